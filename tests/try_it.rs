//! `ecsynth try`: the README's "try it with no account" command, run as the README writes it
//! (the stack named there), against the real Terraform and the moto emulator.

mod support;

use std::process::Command;

use ecsynth::try_it::TRY_PROVIDER;

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// The stack of the README's `cargo run -- try <stack>` line.
fn readme_try_stack() -> String {
    let readme = std::fs::read_to_string(format!("{REPO}/README.md")).expect("read README.md");
    let line = readme
        .lines()
        .find_map(|line| line.trim().strip_prefix("cargo run -- try "))
        .expect("README.md shows `cargo run -- try <stack>`");
    line.split_whitespace()
        .next()
        .expect("a stack name after `try`")
        .to_owned()
}

#[test]
fn the_readme_tries_a_registered_stack() {
    let stack = readme_try_stack();
    assert!(
        stacks::registry().get(&stack).is_some(),
        "README.md tries `{stack}`, which is not registered"
    );
}

#[test]
fn try_refuses_an_unknown_stack_before_starting_anything() {
    let (code, stdout, stderr) = support::run(&stacks::registry(), &["try", "prdo"]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(
        stderr.starts_with("error: unknown stack `prdo`; did you mean `prod`?"),
        "{stderr}"
    );
}

/// Plan, apply, the list of what was created (every resource of the stack's output), a second
/// plan without changes, destroy, and the emulator stopped; exit 0.
#[test]
#[ignore = "full suite: applies a stack on the emulator (about 2 minutes)"]
fn e2e_try_applies_the_readme_stack_on_the_emulator_and_destroys_it() {
    support::require_terraform();
    let stack = readme_try_stack();
    let output = Command::new(env!("CARGO_BIN_EXE_ecsynth"))
        .args(["try", &stack])
        .current_dir(REPO)
        .output()
        .expect("run ecsynth try");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}{stderr}");
    assert!(
        output.status.success(),
        "ecsynth try {stack} failed:\n{stdout}{stderr}"
    );

    let registry = stacks::registry();
    let mut built = registry.get(&stack).expect("registered")();
    built.aws_provider(TRY_PROVIDER);
    let (synthesized, _) = ecsynth::synth::synthesize(&built);
    let bytes = synthesized.expect("valid").render().expect("render");
    let document: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    let addresses: Vec<String> = document["resource"]
        .as_object()
        .expect("resources")
        .iter()
        .flat_map(|(kind, blocks)| {
            let blocks = blocks.as_object().expect("blocks by label");
            blocks.keys().map(move |label| format!("{kind}.{label}"))
        })
        .collect();
    let created: usize = stdout
        .split_once("terraform apply: created ")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("no `created N resources` line:\n{stdout}"));
    let listed: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("    "))
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert_eq!(listed.len(), created, "{stdout}");
    // `for_each` instances are listed as `type.label["key"]`, one per element.
    let mut blocks: Vec<&str> = listed
        .iter()
        .map(|address| address.split('[').next().unwrap_or(address))
        .collect();
    blocks.sort();
    blocks.dedup();
    let mut expected = addresses.clone();
    expected.sort();
    assert_eq!(
        blocks, expected,
        "every resource of the stack is created, and only those"
    );
    for step in [
        "terraform plan: Plan: ",
        "terraform plan again: no changes",
        &format!("terraform destroy: {created} resources destroyed"),
        "AWS emulator stopped",
    ] {
        assert!(stdout.contains(step), "no `{step}` in:\n{stdout}");
    }
}
