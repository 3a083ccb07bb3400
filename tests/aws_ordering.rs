//! Creation order that only real AWS needs, checked on the `depends_on` edges of every
//! registered stack's output: neither `terraform validate` nor the emulator (which has no IAM
//! propagation delay and no service-linked roles of its own) sees these races.
//!
//! - A task starts as soon as its service exists; ECS then uses the execution role to pull the
//!   image, write logs and read secrets, and the task its role (an EFS mount with IAM
//!   authorisation). Policy attachments are separate resources the task definition does not
//!   reference, so without an edge the first launch can fail before IAM has them; on destroy
//!   the policies go while the tasks still drain. The hashicorp/aws provider's
//!   `aws_ecs_service` documentation (website/docs/r/ecs_service.html.markdown, the note on
//!   `iam_role`) asks for `depends_on` the role policy for this reason.
//! - ECS creates `AWSServiceRoleForECS` on the first CreateCluster and assumes it at once; a
//!   capacity provider created alongside can fail with "Unable to assume the service linked
//!   role" (terraform-aws-modules/terraform-aws-ecs #26, aws/containers-roadmap #2614). Capacity
//!   providers wait for the cluster, and for the `aws_iam_service_linked_role` when the stack
//!   creates it (IAM API CreateServiceLinkedRole).

mod support;

use ecsynth::model::{Compute, Container, Ec2Capacity, Rolling, Service, Stack, TaskSize};
use serde_json::Value;

/// The addresses an expression refers to (`${aws_iam_role.web_execution.arn}` →
/// `aws_iam_role.web_execution`).
fn referenced(value: &Value) -> Vec<String> {
    let text = value.to_string();
    text.split("${")
        .skip(1)
        .filter_map(|rest| rest.split('}').next())
        .filter_map(|inner| {
            inner
                .rsplit_once('.')
                .map(|(address, _)| address.to_owned())
        })
        .collect()
}

fn depends_on(block: &Value) -> Vec<String> {
    block["depends_on"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

fn resources<'d>(doc: &'d Value, kind: &str) -> Vec<(String, &'d Value)> {
    doc["resource"][kind]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(label, block)| (format!("{kind}.{label}"), block))
        .collect()
}

fn documents() -> Vec<(&'static str, Value)> {
    let registry = stacks::registry();
    registry
        .names()
        .map(|name| {
            let bytes = support::main_tf_json(&registry, name);
            (name, serde_json::from_slice(&bytes).expect("JSON"))
        })
        .collect()
}

/// Every policy attached to (or inlined in) the execution and task roles of a service's task
/// definition is a `depends_on` of the service.
#[test]
fn services_wait_for_their_roles_policies() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for (name, doc) in documents() {
        let policies: Vec<(String, Vec<String>)> =
            ["aws_iam_role_policy_attachment", "aws_iam_role_policy"]
                .into_iter()
                .flat_map(|kind| resources(&doc, kind))
                .map(|(address, block)| (address, referenced(&block["role"])))
                .collect();
        for (address, service) in resources(&doc, "aws_ecs_service") {
            let task_definition = referenced(&service["task_definition"]);
            let task_definition = task_definition
                .first()
                .expect("a task definition reference");
            let (kind, label) = task_definition.split_once('.').expect("type.label");
            let definition = &doc["resource"][kind][label];
            let roles: Vec<String> = ["execution_role_arn", "task_role_arn"]
                .iter()
                .flat_map(|field| referenced(&definition[field]))
                .collect();
            let waits_for = depends_on(service);
            for (policy, on) in &policies {
                if on.iter().any(|role| roles.contains(role)) {
                    checked += 1;
                    if !waits_for.contains(policy) {
                        problems.push(format!(
                            "stack `{name}`: {address} does not depend on {policy}, a policy of \
                             its roles {roles:?}"
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        checked > 0,
        "no registered stack attaches a policy to a service's role"
    );
}

/// Every capacity provider waits for the cluster (whose CreateCluster makes ECS's
/// service-linked role) and for the `aws_iam_service_linked_role` of the stack, if any; the
/// cluster waits for that role too.
#[test]
fn capacity_providers_wait_for_the_service_linked_role() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for (name, doc) in documents() {
        let roles: Vec<String> = resources(&doc, "aws_iam_service_linked_role")
            .into_iter()
            .map(|(address, role)| {
                assert_eq!(role["aws_service_name"], "ecs.amazonaws.com", "{address}");
                address
            })
            .collect();
        let clusters: Vec<String> = resources(&doc, "aws_ecs_cluster")
            .into_iter()
            .map(|(address, cluster)| {
                for role in &roles {
                    if !depends_on(cluster).contains(role) {
                        problems.push(format!(
                            "stack `{name}`: {address} does not wait for {role}"
                        ));
                    }
                }
                address
            })
            .collect();
        for (address, provider) in resources(&doc, "aws_ecs_capacity_provider") {
            checked += 1;
            let waits_for = depends_on(provider);
            for needed in clusters.iter().chain(&roles) {
                if !waits_for.contains(needed) {
                    problems.push(format!(
                        "stack `{name}`: {address} does not depend on {needed}; depends_on = \
                         {waits_for:?}"
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked > 0, "no registered stack has a capacity provider");
}

/// The role is the stack's choice: created only when asked (CreateServiceLinkedRole fails
/// where `AWSServiceRoleForECS` already exists, one per account).
#[test]
fn the_service_linked_role_is_created_only_when_the_stack_asks() {
    let build = |create: bool| {
        let mut stack = Stack::new("fresh", "eu-west-1");
        if create {
            stack.create_ecs_service_linked_role();
        }
        let capacity = stack.add_capacity_provider(Ec2Capacity::new("nodes", "m6i.large"));
        stack.add_service(
            Service::new(
                "worker",
                TaskSize {
                    cpu: 256,
                    memory: 512,
                },
            )
            .compute(Compute::ec2(capacity))
            .container(
                Container::new("worker", "busybox:1.36")
                    .cpu_units(256)
                    .memory_reservation(512),
            )
            .rolling(Rolling::default()),
        );
        let (synthesized, diagnostics) = ecsynth::synth::synthesize(&stack);
        let synthesized = synthesized.unwrap_or_else(|| panic!("invalid: {diagnostics:?}"));
        serde_json::from_slice::<Value>(&synthesized.render().expect("renders")).expect("JSON")
    };
    let without = build(false);
    assert!(without["resource"]["aws_iam_service_linked_role"].is_null());
    assert_eq!(
        depends_on(&without["resource"]["aws_ecs_capacity_provider"]["nodes"]),
        ["aws_ecs_cluster.main"]
    );
    let with = build(true);
    assert_eq!(
        with["resource"]["aws_iam_service_linked_role"]["ecs"]["aws_service_name"],
        "ecs.amazonaws.com"
    );
    assert_eq!(
        depends_on(&with["resource"]["aws_ecs_cluster"]["main"]),
        ["aws_iam_service_linked_role.ecs"]
    );
    assert_eq!(
        depends_on(&with["resource"]["aws_ecs_capacity_provider"]["nodes"]),
        ["aws_ecs_cluster.main", "aws_iam_service_linked_role.ecs"]
    );
}
