//! Every registered stack's output held against the provider schema it is written for, without
//! the provider binary: each argument and block exists in that version, required ones are
//! there, computed-only ones are not set, single blocks are single, every `ignore_changes` path
//! and every referenced attribute exists. `terraform validate` proves the same for 5.100.0 (the
//! installed provider); the schema check is what reaches a major that cannot be installed here.
//!
//! The schemas are `schema/aws-<version>.json`, made by `scripts/provider_schema.py` (see its header for
//! the two commands that regenerate them).

use ecsynth::synth::synthesize;
use ecsynth::tf::schema::ProviderSchema;

const REPO: &str = env!("CARGO_MANIFEST_DIR");

fn schema(version: &str) -> ProviderSchema {
    let path = format!("{REPO}/schema/aws-{version}.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"));
    ProviderSchema::from_json(&text).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// Each registered stack's `main.tf.json`, parsed.
fn outputs() -> Vec<(&'static str, serde_json::Value)> {
    let registry = stacks::registry();
    registry
        .names()
        .map(|name| {
            let build = registry.get(name).expect("registered");
            let (synthesized, diagnostics) = synthesize(&build());
            let synthesized = synthesized.unwrap_or_else(|| {
                panic!("stack `{name}` is invalid: {diagnostics:?}");
            });
            let text = synthesized.document.to_json().expect("renders");
            (
                name,
                serde_json::from_str(&text).expect("synth writes JSON"),
            )
        })
        .collect()
}

/// The provider version the output constrains itself to: `~> 5.x` or `< 6.0` means 5.100.0,
/// the 5.x schema checked in.
fn major_of(document: &serde_json::Value) -> u32 {
    let constraint = document
        .pointer("/terraform/required_providers/aws/version")
        .and_then(serde_json::Value::as_str)
        .expect("the output pins hashicorp/aws");
    if constraint.contains("< 6") || constraint.contains("~> 5") {
        5
    } else if constraint.contains("< 7") || constraint.contains("~> 6") {
        6
    } else {
        panic!("unrecognised hashicorp/aws constraint {constraint:?}")
    }
}

fn schema_for_major(major: u32) -> ProviderSchema {
    match major {
        5 => schema("5.100.0"),
        6 => schema("6.66.0"),
        other => panic!("no schema checked in for hashicorp/aws {other}.x"),
    }
}

#[test]
fn every_stack_fits_the_schema_of_the_provider_major_it_pins() {
    let mut failures = Vec::new();
    for (name, document) in outputs() {
        let major = major_of(&document);
        for problem in schema_for_major(major).check(&document) {
            failures.push(format!(
                "stack `{name}` (hashicorp/aws {major}.x): {problem}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The checked-in schemas are the ones the extractor writes for every type ecsynth emits: a new
/// type in `src/aws/` without a regenerated schema fails here, naming the command.
#[test]
fn the_schemas_cover_every_type_ecsynth_emits() {
    let mut missing = Vec::new();
    for version in ["5.100.0", "6.66.0"] {
        let schema = schema(version);
        for (name, document) in outputs() {
            for (kind, types) in [("resource", &schema.resources), ("data", &schema.data)] {
                let blocks = document.get(kind).and_then(serde_json::Value::as_object);
                for type_name in blocks.into_iter().flat_map(|blocks| blocks.keys()) {
                    if !types.contains_key(type_name) {
                        missing.push(format!(
                            "{kind} `{type_name}` (stack `{name}`) is not in schema/aws-{version}.json"
                        ));
                    }
                }
            }
        }
    }
    missing.sort();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "{}\nregenerate the schemas (commands in scripts/provider_schema.py)",
        missing.join("\n")
    );
}

/// The check is not vacuous: the 5.100.0 schema refuses an argument 6.x added
/// (`aws_ecs_service.deployment_configuration`, ECS-native blue/green, provider 6.4.0), and
/// the 6.66.0 schema refuses one 6.0 removed (`aws_ecs_task_definition.inference_accelerator`,
/// version-6-upgrade guide).
#[test]
fn each_schema_refuses_what_its_major_does_not_have() {
    let new_in_6 = serde_json::json!({"resource": {"aws_ecs_service": {"web": {
        "name": "web",
        "deployment_configuration": [{"strategy": "BLUE_GREEN"}]
    }}}});
    let problems: Vec<String> = schema("5.100.0")
        .check(&new_in_6)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        problems,
        ["aws_ecs_service.web › deployment_configuration: no argument or block `deployment_configuration`; did you mean `deployment_controller`?"]
    );
    assert!(schema("6.66.0").check(&new_in_6).is_empty());

    let removed_in_6 = serde_json::json!({"resource": {"aws_ecs_task_definition": {"web": {
        "family": "web",
        "container_definitions": "[]",
        "inference_accelerator": [{"device_name": "a", "device_type": "eia2.medium"}]
    }}}});
    assert!(schema("5.100.0").check(&removed_in_6).is_empty());
    let problems: Vec<String> = schema("6.66.0")
        .check(&removed_in_6)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        problems,
        ["aws_ecs_task_definition.web › inference_accelerator: no argument or block `inference_accelerator`"]
    );
}
