//! One snapshot per registered stack: the exact bytes `synth` writes, stored under the
//! top-level `snapshots/` for review in pull requests (`cargo insta review`).

#[path = "../stacks/mod.rs"]
#[allow(dead_code)]
mod stacks;

use ecsynth::synth::synthesize;

fn assert_stack_snapshot(name: &str) {
    let registry = stacks::registry();
    let build = registry
        .get(name)
        .unwrap_or_else(|| panic!("stack `{name}` is not registered"));
    let (synthesized, diagnostics) = synthesize(&build());
    assert_eq!(
        diagnostics
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        Vec::<String>::new(),
        "registered stacks synthesize without errors or warnings"
    );
    let bytes = synthesized
        .expect("a stack without errors is lowered")
        .render()
        .expect("renders");
    let text = String::from_utf8(bytes).expect("JSON is UTF-8");
    insta::with_settings!({
        snapshot_path => "../snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(format!("synth@{name}"), text);
    });
}

/// Every registered stack, from the registry: a new stack needs no edit here. Each stack is
/// compared before the test fails, so one broken stack does not hide another; a new or
/// changed stack leaves `snapshots/synth@<stack>.snap.new` to review.
#[test]
fn every_registered_stack_matches_its_snapshot() {
    let failures: Vec<String> = stacks::registry()
        .names()
        .filter_map(|name| {
            std::panic::catch_unwind(|| assert_stack_snapshot(name))
                .err()
                .map(|_| format!("stack `{name}` does not match snapshots/synth@{name}.snap"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
