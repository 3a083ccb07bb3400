//! Every registered stack's output held against the provider schema it is written for, without
//! the provider binary, for each hashicorp/aws major ecsynth writes (the stack's own, 6 by
//! default, and the others through `Stack::aws_provider`, as `ecsynth synth --aws-provider`
//! does): each argument and block exists in that version, required ones are there,
//! computed-only ones are not set, single blocks are single, every `ignore_changes` path and
//! every referenced attribute exists. `terraform validate` proves the same for 5.100.0 (the
//! installed provider); the schema check is what reaches a major that cannot be installed here.
//!
//! The schemas are `schema/aws-<version>.json`, made by `scripts/provider_schema.py` (see its header for
//! the two commands that regenerate them).

use ecsynth::model::{ProviderMajor, Severity};
use ecsynth::synth::synthesize;
use ecsynth::tf::schema::ProviderSchema;
use serde_json::Value;

const REPO: &str = env!("CARGO_MANIFEST_DIR");

fn schema(version: &str) -> ProviderSchema {
    let path = format!("{REPO}/schema/aws-{version}.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"));
    ProviderSchema::from_json(&text).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// The version of the schema checked in for `major`: the one `schema/aws-<major>.*.json`.
fn schema_version(major: ProviderMajor) -> String {
    let prefix = format!("aws-{}.", major.number());
    let mut versions: Vec<String> = std::fs::read_dir(format!("{REPO}/schema"))
        .expect("schema/")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter_map(|name| {
            name.strip_prefix(&prefix)?
                .strip_suffix(".json")
                .map(|rest| format!("{}.{rest}", major.number()))
        })
        .collect();
    assert_eq!(
        versions.len(),
        1,
        "want exactly one schema/aws-{}.*.json, found {versions:?}",
        major.number()
    );
    versions.remove(0)
}

/// One stack written for one major: its `main.tf.json` parsed, or the errors with which the
/// stack refuses that major.
struct Variant {
    stack: &'static str,
    major: ProviderMajor,
    /// The major the stack chooses itself.
    own: bool,
    output: Result<Value, Vec<String>>,
}

/// Every registered stack written for every major.
fn variants() -> Vec<Variant> {
    let registry = stacks::registry();
    let mut variants = Vec::new();
    for name in registry.names() {
        let build = registry.get(name).expect("registered");
        let own = build().provider_major;
        for major in ProviderMajor::ALL {
            let mut stack = build();
            stack.aws_provider(major);
            let (synthesized, diagnostics) = synthesize(&stack);
            let output = match synthesized {
                Some(synthesized) => {
                    let text = synthesized.document.to_json().expect("renders");
                    Ok(serde_json::from_str(&text).expect("synth writes JSON"))
                }
                None => Err(diagnostics
                    .iter()
                    .filter(|d| d.severity == Severity::Error)
                    .map(ToString::to_string)
                    .collect()),
            };
            variants.push(Variant {
                stack: name,
                major,
                own: major == own,
                output,
            });
        }
    }
    variants
}

/// The written variants. A stack that refuses a major other than its own (ECS-native
/// blue/green needs 6.x) is left out, its reason printed: the refusal is the validation
/// error, and its own major must always be written.
fn written(variants: &[Variant]) -> Vec<(&Variant, &Value)> {
    let mut found = Vec::new();
    for variant in variants {
        match &variant.output {
            Ok(document) => found.push((variant, document)),
            Err(errors) if variant.own => panic!(
                "stack `{}` is invalid for its own {}:\n{}",
                variant.stack,
                variant.major,
                errors.join("\n")
            ),
            Err(errors) => eprintln!(
                "stack `{}` is not checked for {}: it refuses that major:\n  {}",
                variant.stack,
                variant.major,
                errors.join("\n  ")
            ),
        }
    }
    found
}

#[test]
fn every_stack_fits_the_schema_of_each_major_it_can_be_written_for() {
    let variants = variants();
    let mut failures = Vec::new();
    let mut checked = Vec::new();
    for (variant, document) in written(&variants) {
        let version = schema_version(variant.major);
        for problem in schema(&version).check(document) {
            failures.push(format!(
                "stack `{}` ({}, schema {version}): {problem}",
                variant.stack, variant.major
            ));
        }
        checked.push(variant.major);
    }
    for major in ProviderMajor::ALL {
        assert!(
            checked.contains(&major),
            "no registered stack was written for {major}"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A version constraint as Terraform writes it (`>= 6.5, < 7.0`), evaluated for `version`.
fn admits(constraint: &str, version: &str) -> bool {
    let parse = |text: &str| -> Vec<u64> {
        text.trim()
            .split('.')
            .map(|part| part.parse().unwrap_or_else(|_| panic!("version {text:?}")))
            .collect()
    };
    let compare = |a: &[u64], b: &[u64]| {
        let width = a.len().max(b.len());
        let pad = |v: &[u64]| {
            let mut v = v.to_vec();
            v.resize(width, 0);
            v
        };
        pad(a).cmp(&pad(b))
    };
    let version = parse(version);
    constraint.split(',').all(|part| {
        let part = part.trim();
        let (operator, bound) = ["!=", ">=", "<=", "~>", "=", ">", "<"]
            .iter()
            .find_map(|op| part.strip_prefix(op).map(|rest| (*op, parse(rest))))
            .unwrap_or_else(|| ("=", parse(part)));
        let order = compare(&version, &bound);
        match operator {
            ">=" => order.is_ge(),
            ">" => order.is_gt(),
            "<=" => order.is_le(),
            "<" => order.is_lt(),
            "=" => order.is_eq(),
            "!=" => order.is_ne(),
            other => panic!("operator {other} in {constraint:?}: not one ecsynth writes"),
        }
    })
}

#[test]
fn constraint_arithmetic_is_terraforms() {
    assert!(admits(">= 6.5, < 7.0", "6.66.0"));
    assert!(admits(">= 6.5, < 7.0", "6.5.0"));
    assert!(!admits(">= 6.5, < 7.0", "6.4.0"));
    assert!(!admits(">= 6.5, < 7.0", "7.0.0"));
    assert!(!admits(">= 5.36, < 6.0", "6.0.0"));
    assert!(admits(">= 5.36, < 6.0", "5.100.0"));
}

/// The constraint of every stack, for every major it is written for, admits that major's
/// schema version (5.100.0 is also the installed provider) and nothing of another major: an
/// online `terraform init` can never pick a provider the output was not written for.
#[test]
fn the_constraint_is_bounded_to_the_major_the_output_is_written_for() {
    let variants = variants();
    let mut failures = Vec::new();
    for (variant, document) in written(&variants) {
        let constraint = document
            .pointer("/terraform/required_providers/aws/version")
            .and_then(Value::as_str)
            .expect("the output pins hashicorp/aws");
        let number = variant.major.number();
        let own_version = schema_version(variant.major);
        let other_versions: Vec<String> = ProviderMajor::ALL
            .into_iter()
            .filter(|major| *major != variant.major)
            .map(schema_version)
            .chain([
                format!("{}.0.0", number + 1),
                format!("{}.999.999", number - 1),
            ])
            .collect();
        if !admits(constraint, &own_version) {
            failures.push(format!(
                "stack `{}` ({}): {constraint:?} refuses {own_version}",
                variant.stack, variant.major
            ));
        }
        for other in other_versions.iter().filter(|v| admits(constraint, v)) {
            failures.push(format!(
                "stack `{}` ({}): {constraint:?} admits {other}, of another major",
                variant.stack, variant.major
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// No hashicorp/aws 6.0 breaking change needs a different argument for what ecsynth emits
/// (README, "hashicorp/aws 5 or 6"): a stack written for both majors differs only in the
/// constraint and in the comment naming the major.
#[test]
fn the_5_and_6_outputs_differ_only_in_the_constraint_and_its_comment() {
    let variants = variants();
    let registry = stacks::registry();
    let mut compared = 0;
    for name in registry.names() {
        let outputs: Vec<(ProviderMajor, Value)> = variants
            .iter()
            .filter(|variant| variant.stack == name)
            .filter_map(|variant| Some((variant.major, variant.output.clone().ok()?)))
            .collect();
        let [(major_a, a), (major_b, b)] = outputs.as_slice() else {
            continue;
        };
        let without_major = |document: &Value, major: &ProviderMajor| {
            let mut document = document.clone();
            let comment = document["//"].as_str().expect("a comment").to_owned();
            assert!(
                comment.contains(&format!("for {major}.")),
                "stack `{name}`: the comment names the major: {comment}"
            );
            document["//"] = Value::Null;
            document["terraform"]["required_providers"]["aws"]["version"] = Value::Null;
            document
        };
        assert_eq!(
            without_major(a, major_a),
            without_major(b, major_b),
            "stack `{name}`: {major_a} and {major_b} outputs differ beyond the constraint"
        );
        compared += 1;
    }
    assert!(
        compared > 0,
        "no registered stack is written for two majors"
    );
}

/// hashicorp/aws 6.0 validates the nullable booleans of `aws_launch_template` and
/// `aws_lb_target_group` as `""`, `true` or `false` only (version-6-upgrade guide, "Nullable
/// Boolean Validation Update"; `0`/`1` fail at plan); no schema file carries value types, so
/// every one the output writes is checked to be a JSON boolean, for every major.
#[test]
fn nullable_booleans_are_json_booleans() {
    const NULLABLE_BOOLEANS: &[(&str, &[&str])] = &[
        (
            "aws_launch_template",
            &[
                "block_device_mappings.ebs.delete_on_termination",
                "block_device_mappings.ebs.encrypted",
                "ebs_optimized",
                "network_interfaces.associate_carrier_ip_address",
                "network_interfaces.associate_public_ip_address",
                "network_interfaces.delete_on_termination",
                "network_interfaces.primary_ipv6",
            ],
        ),
        ("aws_lb_target_group", &["preserve_client_ip"]),
    ];
    fn values<'a>(value: &'a Value, path: &[&str], found: &mut Vec<&'a Value>) {
        match (value, path.split_first()) {
            (Value::Array(items), _) => {
                for item in items {
                    values(item, path, found);
                }
            }
            (_, None) => found.push(value),
            (Value::Object(object), Some((key, rest))) => {
                if let Some(next) = object.get(*key) {
                    values(next, rest, found);
                }
            }
            _ => {}
        }
    }
    let variants = variants();
    let (mut seen, mut failures) = (0, Vec::new());
    for (variant, document) in written(&variants) {
        for (resource_type, paths) in NULLABLE_BOOLEANS {
            let blocks = document["resource"][*resource_type].as_object();
            for (label, block) in blocks.into_iter().flatten() {
                for path in *paths {
                    let mut found = Vec::new();
                    values(block, &path.split('.').collect::<Vec<_>>(), &mut found);
                    for value in found {
                        seen += 1;
                        if !value.is_boolean() {
                            failures.push(format!(
                                "stack `{}` ({}): {resource_type}.{label} › {path} = {value}",
                                variant.stack, variant.major
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(seen > 0, "no registered stack writes a nullable boolean");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `Ok(document)` of every written variant, for the tests that look at all of them.
fn outputs() -> Vec<(&'static str, Value)> {
    let variants = variants();
    written(&variants)
        .into_iter()
        .map(|(variant, document)| (variant.stack, document.clone()))
        .collect()
}

/// The checked-in schemas are the ones the extractor writes for every type ecsynth emits: a new
/// type in `src/aws/` without a regenerated schema fails here, naming the command.
#[test]
fn the_schemas_cover_every_type_ecsynth_emits() {
    let mut missing = Vec::new();
    for version in ProviderMajor::ALL.map(schema_version) {
        let schema = schema(&version);
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
