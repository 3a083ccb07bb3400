//! The deployment artefacts (AppSpec, taskdef.json) agree with the infrastructure they deploy
//! to, for every blue/green service of every registered stack (the checks are in
//! `tests/support/artefacts.rs`, shared with `tests/new_stack.rs`).

mod support;

use support::artefacts::{blue_green_services, check_stack};

#[test]
fn appspec_and_taskdef_match_the_service_in_every_stack() {
    let registry = stacks::registry();
    let mut total = 0;
    for name in registry.names() {
        let checked = check_stack(&registry, name);
        assert_eq!(
            checked,
            blue_green_services(&registry, name),
            "stack `{name}`: every blue/green service of the model is checked"
        );
        total += checked;
    }
    assert!(total > 0, "no blue/green service in any registered stack");
}

/// `terraform.tfvars.example` names every variable of the stack with its description, so a
/// reader knows what to fill in before `terraform plan`.
#[test]
fn the_tfvars_example_lists_every_variable_with_its_description() {
    let registry = stacks::registry();
    for name in registry.names() {
        let stack = registry.get(name).expect("registered")();
        let synthesized = ecsynth::synth::synthesize(&stack).0.expect("valid");
        let files = synthesized.files().expect("renders");
        let main: serde_json::Value =
            serde_json::from_slice(&files[0].bytes).expect("main.tf.json is JSON");
        let variables = main["variable"].as_object().cloned().unwrap_or_default();
        let example = files
            .iter()
            .find(|file| {
                file.relative_path
                    .ends_with(ecsynth::synth::TFVARS_EXAMPLE_FILE)
            })
            .map(|file| String::from_utf8(file.bytes.clone()).expect("UTF-8"));
        let Some(example) = example else {
            assert!(
                variables.is_empty(),
                "stack `{name}` has variables but no example"
            );
            continue;
        };
        for (variable, declaration) in &variables {
            let description = declaration["description"].as_str().expect("a description");
            assert!(
                example.contains(&format!("# {description} ("))
                    && example
                        .lines()
                        .any(|line| line.starts_with(&format!("{variable} = "))),
                "stack `{name}`: `{variable}` missing from the example:\n{example}"
            );
        }
    }
}
