//! Drift proof for ECS-native blue/green, as far as the moto emulator reaches: apply a stack's
//! provider-5 projection, do through the AWS API what ECS does during a deployment (swap the
//! weights of the listener rules it switches), require a clean plan; then change what ECS
//! never changes (a rule's priority, the service's task definition) and require the plan to
//! show exactly that. The steps are `e2e/ecs_bluegreen_drift.py`'s.
//!
//! The emulator has no ECS-native blue/green and only hashicorp/aws 5.100.0 can be installed
//! here, so the stack is projected onto what 5.x can express ([`project_to_provider_5`]): the
//! `deployment_configuration` block (strategy, bake time, hooks) and the load balancer's
//! `advanced_configuration` (alternate target group, listener rules, role) are removed and
//! the constraint set to 5.x. Everything ECS changes after a deployment lives outside those
//! two blocks (the rules' weights; the service keeps its configuration), so the ownership
//! rules under test are all in the projection: the weighted listener rules with their
//! `ignore_changes`, the service without a `task_definition` ignore, the autoscaler's
//! `desired_count`. What the projection drops is checked against the 6.66.0 schema by
//! `tests/provider_schema.rs` instead.

mod support;

use std::path::Path;
use std::process::Command;

use ecsynth::model::ControllerKind;
use ecsynth::synth::synthesize;
use ecsynth::tf::schema::ProviderSchema;
use serde_json::Value;

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// The blocks of an `aws_ecs_service` only provider 6.4+ has, and the constraint of the
/// installed provider.
fn project_to_provider_5(document: &mut Value) {
    document["terraform"]["required_providers"]["aws"]["version"] = ">= 5.36, < 6.0".into();
    let services = document["resource"]["aws_ecs_service"]
        .as_object_mut()
        .expect("the stack has ECS services");
    for service in services.values_mut() {
        let service = service.as_object_mut().expect("a block");
        service.remove("deployment_configuration");
        for load_balancer in service
            .get_mut("load_balancer")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            load_balancer
                .as_object_mut()
                .expect("a block")
                .remove("advanced_configuration");
        }
    }
}

fn schema_5() -> ProviderSchema {
    let text = std::fs::read_to_string(format!("{REPO}/schema/aws-5.100.0.json")).expect("schema");
    ProviderSchema::from_json(&text).expect("schema")
}

/// The registered stacks with an ECS-native blue/green service, from the models.
fn ecs_blue_green_stacks() -> Vec<(&'static str, Value)> {
    let registry = stacks::registry();
    registry
        .names()
        .filter_map(|name| {
            let stack = registry.get(name).expect("registered")();
            let ecs = stack
                .services()
                .iter()
                .any(|service| service.blue_green_controller() == Some(ControllerKind::Ecs));
            ecs.then(|| {
                let (synthesized, diagnostics) = synthesize(&stack);
                let synthesized =
                    synthesized.unwrap_or_else(|| panic!("{name} is invalid: {diagnostics:?}"));
                let text = synthesized.document.to_json().expect("renders");
                (name, serde_json::from_str(&text).expect("JSON"))
            })
        })
        .collect()
}

/// The projection is exactly what provider 5.x can express: the 5.100.0 schema accepts it
/// whole, and refuses the stack before projection (so the projection is needed and complete).
#[test]
fn the_provider_5_projection_fits_the_5_100_schema() {
    let stacks = ecs_blue_green_stacks();
    assert!(
        !stacks.is_empty(),
        "no registered stack uses ECS-native blue/green"
    );
    let schema = schema_5();
    for (name, mut document) in stacks {
        assert!(
            !schema.check(&document).is_empty(),
            "stack `{name}`: the 5.100.0 schema accepts ECS-native blue/green unprojected"
        );
        project_to_provider_5(&mut document);
        let problems: Vec<String> = schema
            .check(&document)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(problems, Vec::<String>::new(), "stack `{name}`");
    }
}

#[test]
#[ignore = "full suite: Terraform on the moto emulator, minutes; see README, Running the tests"]
fn e2e_ecs_moves_rule_weights_without_drift_and_everything_else_still_shows() {
    support::require_terraform();
    let python = support::python_environment("e2e-venv", "e2e/requirements.txt").join("python");
    let work = support::scratch_dir("ecs-bluegreen-drift");
    let mut failures = Vec::new();
    for (name, mut document) in ecs_blue_green_stacks() {
        project_to_provider_5(&mut document);
        let dir = work.join(name);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        std::fs::write(
            dir.join("main.tf.json"),
            serde_json::to_string_pretty(&document).expect("JSON"),
        )
        .expect("write the projection");
        let mut command = Command::new(&python);
        command
            .arg(Path::new(REPO).join("e2e").join("ecs_bluegreen_drift.py"))
            .arg(&dir)
            .arg("--python")
            .arg(&python);
        if let Some(mirror) = support::plugin_mirror() {
            command.env("TF_PLUGIN_MIRROR", mirror);
        }
        let output = command
            .output()
            .unwrap_or_else(|error| panic!("cannot run ecs_bluegreen_drift.py: {error}"));
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        println!("--- stack `{name}` ---\n{log}");
        if !output.status.success() {
            failures.push(format!("stack `{name}` ({}):\n{log}", output.status));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
