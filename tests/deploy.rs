//! `ecsynth deploy` before it talks to AWS: what it reads from every registered stack, and the
//! bad input it refuses (exit 2) without a single AWS call. The emulator test is
//! `tests/deploy_e2e.rs`.

mod support;

use ecsynth::deploy::{plan, taskdef, template};
use ecsynth::synth::synthesize;

fn document(name: &str) -> serde_json::Value {
    let registry = stacks::registry();
    let (synthesized, _) = synthesize(&registry.get(name).expect("registered")());
    let bytes = synthesized
        .expect("registered stacks are valid")
        .render()
        .expect("render");
    serde_json::from_slice(&bytes).expect("JSON")
}

/// Stand-ins for the values only live AWS knows.
fn fake(expression: &str) -> Result<String, String> {
    Ok(match expression {
        e if e.starts_with("jsonencode(") => r#"["subnet-1","subnet-2"]"#.to_owned(),
        e if e.ends_with(".arn") => format!("arn:aws:iam::123456789012:role/{e}"),
        e => format!("live-{}", e.replace('.', "-")),
    })
}

fn fill(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::String(text) => {
            serde_json::Value::String(template::fill(text, &mut fake).expect("fill"))
        }
        serde_json::Value::Array(items) => items.iter().map(fill).collect(),
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(key, item)| (key.clone(), fill(item)))
            .collect(),
        other => other.clone(),
    }
}

/// Every key lowering writes into a task definition maps to the RegisterTaskDefinition request
/// (an unknown one is refused, never dropped), and the AppSpec of every blue/green service
/// has nothing left unfilled: for every service of every registered stack.
#[test]
fn every_service_of_every_stack_registers_from_the_model() {
    let registry = stacks::registry();
    let mut checked = 0;
    for name in registry.names() {
        let document = document(name);
        for (service, _) in plan::services(&document) {
            let plan = plan::plan(name, &document, &service)
                .unwrap_or_else(|error| panic!("{name} › {service}: {error:?}"));
            let container = plan
                .traffic_container
                .clone()
                .unwrap_or_else(|| plan.containers[0].clone());
            let task = taskdef::from_resource(
                &fill(&plan.task_definition),
                &container,
                "repo@sha256:0000",
            )
            .unwrap_or_else(|error| panic!("{name} › {service}: {error}"));
            assert_eq!(task.family, plan.family);
            let images: Vec<_> = task.containers.iter().filter_map(|c| c.image()).collect();
            assert!(images.contains(&"repo@sha256:0000"), "{name} › {service}");
            assert_eq!(
                plan.is_blue_green(),
                plan.appspec.is_some(),
                "{name} › {service}"
            );
            if let Some(appspec) = &plan.appspec {
                let filled = template::fill(appspec, &mut fake).expect("fill");
                assert!(!filled.contains("${"), "{name} › {service}:\n{filled}");
                assert!(filled.contains("TaskDefinition: \"<TASK_DEFINITION>\""));
            }
            assert!(
                plan.tags.iter().any(|(key, _)| key == "Stack"),
                "{name} › {service}"
            );
            checked += 1;
        }
    }
    assert!(checked > 0);
}

#[test]
fn a_blue_green_service_knows_its_codedeploy_group_and_target_group_pair() {
    let registry = stacks::registry();
    for name in registry.names() {
        let document = document(name);
        for (service, _) in plan::services(&document) {
            let plan = plan::plan(name, &document, &service).expect("plan");
            if let Some(codedeploy) = &plan.codedeploy {
                assert_eq!(codedeploy.target_groups.len(), 2, "{name} › {service}");
                assert!(plan.load_balancers[0]
                    .target_groups
                    .iter()
                    .all(|tg| codedeploy.target_groups.contains(tg)));
                assert!(plan.default_timeout_seconds() >= 15 * 60);
            }
        }
    }
}

#[test]
fn unknown_stack_is_refused_with_the_known_ones() {
    let (code, _, stderr) = support::run(
        &stacks::registry(),
        &["deploy", "prdo", "web", "--image", "web:1"],
    );
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("error: unknown stack `prdo`; did you mean `prod`?"),
        "{stderr}"
    );
}

#[test]
fn unknown_service_is_refused_with_the_stack_services() {
    let registry = stacks::registry();
    let name = registry.names().next().expect("a stack");
    let document = document(name);
    let services: Vec<String> = plan::services(&document)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    let (code, _, stderr) =
        support::run(&registry, &["deploy", name, "nosuch", "--image", "web:1"]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        format!(
            "error: stack `{name}` › service `nosuch`: no service `nosuch` in this stack; its \
             services: {}\n",
            services.join(", ")
        )
    );
}

#[test]
fn an_image_without_tag_or_digest_is_refused_before_aws_is_asked() {
    let registry = stacks::registry();
    let name = registry.names().next().expect("a stack");
    let document = document(name);
    let (service, _) = plan::services(&document).remove(0);
    let (code, _, stderr) = support::run(
        &registry,
        &[
            "deploy",
            name,
            &service,
            "--image",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web",
        ],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("names no tag or digest"), "{stderr}");
    assert!(stderr.starts_with(&format!(
        "error: stack `{name}` › service `{service}`: `--image`"
    )));
}

#[test]
fn an_unknown_container_is_refused_with_the_task_containers() {
    let registry = stacks::registry();
    let name = registry.names().next().expect("a stack");
    let document = document(name);
    let (service, _) = plan::services(&document).remove(0);
    let (code, _, stderr) = support::run(
        &registry,
        &[
            "deploy",
            name,
            &service,
            "--image",
            "web:1",
            "--container",
            "nosuch",
        ],
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("`--container`: the task has no container `nosuch`"),
        "{stderr}"
    );
}
