//! Adding a stack is one edit: a stack registered only in this test's registry goes through
//! every check the repository's stacks go through — validation and synth, the snapshot checks
//! (review form and graph), the artefact checks, `terraform validate`, and the CLI (`list`,
//! `synth --all`, `synth --check`, `graph`) — with no test naming it. (The end-to-end drift test
//! iterates the same registry; it is left out here because it takes minutes.)

mod support;

use std::fs;

use ecsynth::model::Stack;
use ecsynth::registry::Registry;
use support::snapshots::{self, Kind};
use support::{out_arg, run};

const NAME: &str = "newcomer";

/// A copy of `dev` under a name of its own, registered nowhere but here.
fn newcomer() -> Stack {
    let mut stack = stacks::dev();
    stack.name = NAME.into();
    stack
}

/// The repository's registry plus the newcomer, as after a one-line edit of `stacks/mod.rs`.
fn registry() -> Registry {
    assert!(
        stacks::registry().get(NAME).is_none(),
        "`{NAME}` is registered for real now; pick another name for this test"
    );
    let mut registry = stacks::registry();
    registry.register(NAME, newcomer);
    registry
}

/// Only the newcomer, for checks against a scratch snapshot directory.
fn newcomer_only() -> Registry {
    let mut registry = Registry::new();
    registry.register(NAME, newcomer);
    registry
}

#[test]
fn the_cli_lists_writes_checks_and_graphs_the_new_stack() {
    let registry = registry();
    let (code, stdout, _) = run(&registry, &["list"]);
    assert_eq!(code, 0);
    assert_eq!(stdout.lines().last(), Some(NAME), "{stdout}");

    let dir = support::scratch_dir("new-stack-cli");
    let (code, stdout, stderr) = run(&registry, &["synth", "--all", "--out", &out_arg(&dir)]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    let main = dir.join(NAME).join("main.tf.json");
    assert!(stdout.contains(&main.display().to_string()), "{stdout}");
    assert_eq!(
        fs::read(&main).expect("written"),
        support::main_tf_json(&registry, NAME)
    );

    let (code, stdout, stderr) = run(
        &registry,
        &["synth", "--all", "--check", "--out", &out_arg(&dir)],
    );
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert!(
        stdout.contains(&format!("up to date: stack `{NAME}`")),
        "{stdout}"
    );

    let (code, stdout, stderr) = run(&registry, &["graph", NAME]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert_eq!(stdout, Kind::Graph.render(&registry, NAME));
}

/// The snapshot checks ask for the new stack's snapshots, and pass once they are accepted.
#[test]
fn the_snapshot_checks_ask_for_the_new_stacks_snapshots() {
    let registry = newcomer_only();
    let dir = support::scratch_dir("new-stack-snapshots");
    let forced = ["INSTA_FORCE_PASS", "INSTA_UPDATE"]
        .iter()
        .any(|variable| std::env::var_os(variable).is_some());
    for kind in Kind::ALL {
        let snapshot = dir.join(format!("{}@{NAME}.snap", kind.prefix()));
        if !forced {
            // insta fails on a snapshot it has never seen (and leaves `.snap.new` to review).
            assert_eq!(
                snapshots::failures(&registry, &dir, kind),
                [format!(
                    "stack `{NAME}`: {} does not match (see the diff above; review with `cargo \
                     insta review`)",
                    snapshot.display()
                )]
            );
        }
        // Accepting it, as `cargo insta review` would, makes the check pass.
        let text = kind.render(&registry, NAME);
        fs::write(
            &snapshot,
            format!("---\nsource: tests/new_stack.rs\n---\n{text}"),
        )
        .expect("write snapshot");
        assert_eq!(
            snapshots::failures(&registry, &dir, kind),
            Vec::<String>::new()
        );
    }
    // Without the stack, its snapshots are reported as left behind.
    let mut expected = Kind::ALL.map(|kind| {
        dir.join(format!("{}@{NAME}.snap", kind.prefix()))
            .display()
            .to_string()
    });
    expected.sort();
    assert_eq!(snapshots::orphans(&Registry::new(), &dir), expected);
    assert_eq!(snapshots::orphans(&registry, &dir), Vec::<String>::new());
}

#[test]
fn the_artefact_checks_cover_the_new_stacks_services() {
    let registry = registry();
    let checked = support::artefacts::check_stack(&registry, NAME);
    assert_eq!(
        checked,
        support::artefacts::blue_green_services(&registry, NAME)
    );
    assert!(checked > 0, "the copy of `dev` deploys blue/green");
}

#[test]
fn the_new_stack_passes_terraform_validate() {
    let failures = support::terraform_validate(&registry(), &[NAME]);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
