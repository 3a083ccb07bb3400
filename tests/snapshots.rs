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

macro_rules! stack_snapshots {
    ($($stack:ident),* $(,)?) => {
        $(
            #[test]
            fn $stack() {
                assert_stack_snapshot(stringify!($stack));
            }
        )*

        #[test]
        fn every_registered_stack_has_a_snapshot_test() {
            let tested = [$(stringify!($stack)),*];
            let registered: Vec<&str> = stacks::registry().names().collect();
            assert_eq!(registered, tested, "add the new stack to stack_snapshots! in tests/snapshots.rs");
        }
    };
}

stack_snapshots!(dev, staging, prod);
