//! The naming table is where every AWS name comes from (issue 24; issue 19, item 10): each
//! name a resource of a registered stack receives is one the stack's table holds, so
//! validation, which checks the table, checked the names AWS receives, and no lowering module
//! derives a name of its own.

use std::collections::HashSet;

use ecsynth::synth::Synthesized;

/// Attributes holding an AWS name (as `registry.rs` reads them).
const NAME_ATTRIBUTES: &[&str] = &["name", "alarm_name", "family", "creation_token"];

/// Names the stack gives directly, not derived: the cluster and its Cloud Map namespace
/// (`Cluster::name`, `Cluster::namespace`); and names inside a parent resource (the ECS
/// service's name is the model's service name).
const NOT_DERIVED: &[&str] = &[
    "aws_ecs_cluster",
    "aws_service_discovery_private_dns_namespace",
    "aws_service_discovery_service",
    "aws_ecs_service",
    "aws_iam_role_policy",
];

#[test]
fn every_derived_aws_name_in_the_output_comes_from_the_naming_table() {
    let registry = stacks::registry();
    let mut failures = Vec::new();
    let mut checked = 0;
    for name in registry.names() {
        let stack = registry.get(name).expect("registered")();
        let validated = stack
            .validated()
            .unwrap_or_else(|errors| panic!("stack `{name}` is invalid: {errors:?}"));
        let table: HashSet<&str> = validated.aws_names().into_iter().collect();
        let synthesized = Synthesized {
            stack: stack.name.clone(),
            document: ecsynth::lower::lower(&validated),
        };
        let bytes = synthesized.render().expect("renders");
        let json: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
        for (resource_type, blocks) in json["resource"].as_object().expect("resources") {
            if NOT_DERIVED.contains(&resource_type.as_str()) {
                continue;
            }
            for (label, body) in blocks.as_object().expect("blocks") {
                for attribute in NAME_ATTRIBUTES {
                    let Some(value) = body[*attribute].as_str() else {
                        continue;
                    };
                    if value.contains("${") {
                        continue;
                    }
                    checked += 1;
                    if !table.contains(value) {
                        failures.push(format!(
                            "{name}: {resource_type}.{label}.{attribute} = `{value}`"
                        ));
                    }
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} names checked");
    assert!(
        failures.is_empty(),
        "AWS names not in the naming table:\n{}",
        failures.join("\n")
    );
}
