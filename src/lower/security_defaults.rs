//! The security defaults as the escape hatch sees them: the resource arguments through which
//! lowering writes each default of the README's "Security defaults" table, and the check of a
//! stack's overrides against them and against the provider schema of its major.
//!
//! [`SECURITY_DEFAULTS`] is the one list. A plain `Stack::override_attribute` or
//! `remove_attribute` of one of these arguments refuses the stack; the stack says why with
//! `Stack::override_security_default` / `remove_security_default`, and the reason is written
//! into the resource's `//` comment, where the review form and `synth --check` show it. Every
//! change of such an argument needs the reason, even one that looks stronger: whether a value
//! weakens a default (another TLS policy, another CIDR) is what a reviewer decides.

use std::sync::OnceLock;

use crate::model::{ProviderMajor, Stack};
use crate::tf::schema::ProviderSchema;
use crate::tf::{Document, Guarded, OverrideRules};

/// `resource_type`, `argument`, and the default it carries (the README row, in a few words).
const fn guard(resource_type: &'static str, argument: &'static str, why: &'static str) -> Guarded {
    Guarded {
        resource_type,
        argument,
        why,
    }
}

/// Every argument through which lowering writes a security default.
#[rustfmt::skip]
pub const SECURITY_DEFAULTS: &[Guarded] = &[
    guard("aws_lb", "drop_invalid_header_fields", "ALBs drop invalid header fields"),
    guard("aws_lb", "enable_deletion_protection", "load balancer deletion protection"),
    guard("aws_lb", "enable_cross_zone_load_balancing", "NLB cross-zone load balancing"),
    guard("aws_lb", "access_logs", "load balancer access logs"),
    guard("aws_lb_listener", "ssl_policy", "TLS 1.2+ on HTTPS/TLS listeners"),
    guard("aws_lb_listener", "protocol", "HTTPS listeners, HTTP only as a redirect to HTTPS"),
    guard("aws_lb_listener", "default_action", "HTTP is redirected to HTTPS"),
    guard("aws_elb", "listener", "no plain HTTP on a classic ELB"),
    guard("aws_elb", "cross_zone_load_balancing", "classic ELB cross-zone load balancing"),
    guard("aws_elb", "access_logs", "load balancer access logs"),
    guard("aws_load_balancer_policy", "policy_attribute", "TLS 1.2 on classic ELB listeners"),
    guard("aws_load_balancer_listener_policy", "policy_names", "TLS 1.2 on classic ELB listeners"),
    guard("aws_ecs_cluster", "setting", "Container Insights"),
    guard("aws_ecs_task_definition", "container_definitions", "read-only root filesystem, never privileged"),
    guard("aws_ecs_task_definition", "task_role_arn", "execution role ≠ task role"),
    guard("aws_ecs_task_definition", "execution_role_arn", "execution role ≠ task role"),
    guard("aws_ecs_task_definition", "volume", "EFS encrypted in transit, through an access point"),
    guard("aws_ecs_service", "network_configuration", "no public IPs on tasks"),
    guard("aws_ecs_service", "alarms", "rollback on alarms"),
    guard("aws_ecs_service", "deployment_circuit_breaker", "rolling deployments roll back"),
    guard("aws_codedeploy_deployment_group", "auto_rollback_configuration", "rollback on alarms"),
    guard("aws_codedeploy_deployment_group", "alarm_configuration", "rollback on alarms"),
    guard("aws_vpc_security_group_ingress_rule", "cidr_ipv4", "tasks reachable from their load balancer only"),
    guard("aws_vpc_security_group_ingress_rule", "cidr_ipv6", "tasks reachable from their load balancer only"),
    guard("aws_vpc_security_group_ingress_rule", "referenced_security_group_id", "tasks reachable from their load balancer only"),
    guard("aws_vpc_security_group_ingress_rule", "from_port", "tasks reachable on the service port only"),
    guard("aws_vpc_security_group_ingress_rule", "to_port", "tasks reachable on the service port only"),
    guard("aws_vpc_security_group_ingress_rule", "ip_protocol", "tasks reachable on the service port only"),
    guard("aws_cloudwatch_log_group", "retention_in_days", "log groups with retention"),
    guard("aws_cloudwatch_log_group", "kms_key_id", "log groups encrypted with a customer-managed KMS key"),
    guard("aws_kms_key", "enable_key_rotation", "the log key is rotated yearly"),
    guard("aws_kms_key", "deletion_window_in_days", "the log key's 30-day deletion window"),
    guard("aws_kms_key", "policy", "the log key is usable by this stack's log groups only"),
    guard("aws_iam_role", "assume_role_policy", "IAM least privilege"),
    guard("aws_iam_role_policy", "policy", "IAM least privilege: no `*` action, secrets by ARN"),
    guard("aws_iam_role_policy_attachment", "policy_arn", "IAM least privilege: the narrowest managed policies"),
    guard("aws_launch_template", "metadata_options", "IMDSv2 required, one hop"),
    guard("aws_launch_template", "block_device_mappings", "encrypted root volumes"),
    guard("aws_launch_template", "user_data", "ECS_AWSVPC_BLOCK_IMDS=true in the agent config"),
    guard("aws_efs_file_system", "encrypted", "EFS encrypted at rest"),
    guard("aws_efs_file_system", "kms_key_id", "EFS encrypted at rest with the stack key"),
    guard("aws_efs_file_system_policy", "policy", "EFS refuses clients without TLS"),
    guard("aws_efs_backup_policy", "backup_policy", "EFS daily backups"),
];

/// The compact schema of the provider major the stack is written for (`schema/`), parsed once.
pub fn provider_schema(major: ProviderMajor) -> &'static ProviderSchema {
    static V5: OnceLock<ProviderSchema> = OnceLock::new();
    static V6: OnceLock<ProviderSchema> = OnceLock::new();
    let (cell, text) = match major {
        ProviderMajor::V5 => (&V5, include_str!("../../schema/aws-5.100.0.json")),
        ProviderMajor::V6 => (&V6, include_str!("../../schema/aws-6.66.0.json")),
    };
    cell.get_or_init(|| {
        ProviderSchema::from_json(text).expect("the schema files under schema/ parse (tested)")
    })
}

/// Records every problem of the stack's overrides in `doc` (see [`Document::check_overrides`]).
/// The schema is parsed only for a stack that overrides something.
pub(crate) fn check_overrides(doc: &mut Document, stack: &Stack) {
    let schema = (!stack.overrides().is_empty()).then(|| provider_schema(stack.provider_major));
    doc.check_overrides(&OverrideRules {
        schema,
        guarded: SECURITY_DEFAULTS,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every guarded argument is an argument or block of its type in both majors' schemas: a
    /// misspelt entry would guard nothing.
    #[test]
    fn every_security_default_names_an_argument_of_both_schemas() {
        for major in [ProviderMajor::V5, ProviderMajor::V6] {
            let schema = provider_schema(major);
            for guarded in SECURITY_DEFAULTS {
                let block = schema
                    .resources
                    .get(guarded.resource_type)
                    .unwrap_or_else(|| panic!("{} {}", schema.version, guarded.resource_type));
                assert!(
                    block.attributes.contains_key(guarded.argument)
                        || block.blocks.contains_key(guarded.argument),
                    "{} {}.{}",
                    schema.version,
                    guarded.resource_type,
                    guarded.argument
                );
                assert!(!guarded.why.is_empty());
            }
        }
    }

    #[test]
    fn each_argument_is_listed_once() {
        for (index, guarded) in SECURITY_DEFAULTS.iter().enumerate() {
            assert!(
                !SECURITY_DEFAULTS[..index].iter().any(|earlier| {
                    (earlier.resource_type, earlier.argument)
                        == (guarded.resource_type, guarded.argument)
                }),
                "{guarded:?}"
            );
        }
    }
}
