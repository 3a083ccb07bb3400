//! The deployment artefacts (AppSpec, taskdef.json) agree with the infrastructure they deploy
//! to, for every blue/green service of every registered stack (the checks are in
//! `tests/support/artefacts.rs`, shared with `tests/new_stack.rs`).

#[path = "../stacks/mod.rs"]
#[allow(dead_code)]
mod stacks;
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
