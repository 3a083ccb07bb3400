//! Terraform labels and AWS names derived from model names: the one definition that lowering,
//! which emits them, and validation, which checks them, both use.

use super::service::Service;

/// A Terraform label for a model name: characters outside `[A-Za-z0-9_]` become `_`.
pub(crate) fn label(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `<base>_<suffix>`, the label of a block derived from another (`web_execution`). Lowering
/// builds labels by the thousand; joining the pieces costs a fraction of `format!`.
pub(crate) fn suffixed(base: &str, suffix: &str) -> String {
    [base, "_", suffix].concat()
}

/// `<stack>-<part>-<part>…`, the AWS name of a stack's resource.
pub(crate) fn aws_name(stack: &str, parts: &[&str]) -> String {
    let mut name =
        String::with_capacity(stack.len() + parts.iter().map(|part| 1 + part.len()).sum::<usize>());
    name.push_str(stack);
    for part in parts {
        name.push('-');
        name.push_str(part);
    }
    name
}

/// The suffixes of a service's target groups (`<stack>-<service>-<suffix>`): a blue/green
/// pair, one group for a rolling service behind an ALB or NLB, none otherwise. The first is
/// the one the service is registered in at creation.
pub(crate) fn target_group_suffixes(service: &Service) -> &'static [&'static str] {
    if service.is_blue_green() {
        &["blue", "green"]
    } else if service.traffic().is_some() {
        &["main"]
    } else {
        &[]
    }
}

/// What a service's rollback alarms watch (`<stack>-<service>-<source>-<metric>`): each of its
/// target groups, or its classic ELB (`elb`); nothing without a load balancer or alarms.
pub(crate) fn rollback_alarm_sources(service: &Service) -> &'static [&'static str] {
    if service.deployment.rollback_alarms().is_none() {
        &[]
    } else if service.classic_traffic().is_some() {
        &["elb"]
    } else {
        target_group_suffixes(service)
    }
}

/// The metric suffixes of rollback alarm names; `unhealthy` is the longest.
pub(crate) const ROLLBACK_ALARM_METRICS: &[&str] = &["unhealthy", "5xx", "p99"];

/// The suffixes of a service's IAM roles (`<stack>-<service>-<suffix>`).
pub(crate) fn role_suffixes(service: &Service) -> &'static [&'static str] {
    if service.is_blue_green() {
        &["execution", "task", "codedeploy"]
    } else {
        &["execution", "task"]
    }
}

/// The CloudWatch Logs group of a service's containers.
pub(crate) fn log_group(stack: &str, service: &str) -> String {
    format!("/ecs/{stack}/{service}")
}

/// The priority of a service's listener rule when the stack does not pin one: derived from
/// the service name alone (FNV-1a), so adding or removing a service never renumbers another.
/// In 1 to 50000, ALB's range.
pub(crate) fn derived_rule_priority(service: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in service.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    1 + hash % 50_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_priorities_are_stable_and_in_range() {
        // Pinned values: a change here renumbers every user's rules.
        assert_eq!(
            derived_rule_priority("orders"),
            derived_rule_priority("orders")
        );
        assert_ne!(
            derived_rule_priority("orders"),
            derived_rule_priority("users")
        );
        for name in [
            "a",
            "orders",
            "users",
            "catalogue",
            "x-very-long-service-name",
        ] {
            assert!((1..=50_000).contains(&derived_rule_priority(name)));
        }
    }
}
