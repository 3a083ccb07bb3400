//! Adding a stack is one registration and one command: a stack registered only in this test's
//! registry goes through every check the repository's stacks go through — validation and
//! synth, the snapshot checks (review form and graph, written for a new stack outside CI), the
//! artefact checks, `terraform validate`, and the CLI (`list`, `synth --all`, `synth --check`,
//! `graph`) — with no test naming it. (The end-to-end drift test
//! iterates the same registry; it is left out here because it takes minutes.)

mod support;

use std::fs;

use ecsynth::model::Stack;
use ecsynth::registry::Registry;
use support::snapshots::{self, Kind, Missing};
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

/// A new stack costs no red test: outside CI the snapshot checks write its two snapshots and
/// pass; in CI the same missing snapshots fail with the command that writes them; once written
/// they are checked like any other, and a changed one is never overwritten.
#[test]
fn the_snapshot_checks_write_a_new_stacks_snapshots_outside_ci_and_fail_in_ci() {
    let registry = newcomer_only();
    let dir = support::scratch_dir("new-stack-snapshots");
    for kind in Kind::ALL {
        let snapshot = kind.path(&dir, NAME);
        let in_ci = snapshots::check(&registry, &dir, kind, Missing::Fail);
        assert_eq!(
            in_ci.failures,
            [format!(
                "stack `{NAME}`: no snapshot {}; run `cargo test --test snapshots` outside CI to \
                 write it, read it and commit it with the stack",
                snapshot.display()
            )]
        );
        assert!(in_ci.written.is_empty() && !snapshot.exists());

        let locally = snapshots::check(&registry, &dir, kind, Missing::Write);
        assert_eq!(locally.failures, Vec::<String>::new());
        assert_eq!(locally.written, std::slice::from_ref(&snapshot));
        let written = fs::read_to_string(&snapshot).expect("snapshot written");
        assert!(
            written.ends_with(&kind.render(&registry, NAME)),
            "{} holds the stack's {kind:?} text",
            snapshot.display()
        );

        // Committed, it passes in CI and is written no more.
        let committed = snapshots::check(&registry, &dir, kind, Missing::Fail);
        assert_eq!(committed.failures, Vec::<String>::new());
        assert!(committed.written.is_empty());
    }
    // Without the stack, its snapshots are reported as left behind.
    let mut expected = Kind::ALL.map(|kind| kind.path(&dir, NAME).display().to_string());
    expected.sort();
    assert_eq!(snapshots::orphans(&Registry::new(), &dir), expected);
    assert_eq!(snapshots::orphans(&registry, &dir), Vec::<String>::new());
}

/// Writing is for missing snapshots only: one that differs fails outside CI too, and keeps its
/// bytes for `cargo insta review`.
#[test]
fn a_changed_snapshot_fails_and_is_not_overwritten() {
    let forced = ["INSTA_FORCE_PASS", "INSTA_UPDATE"]
        .iter()
        .any(|variable| std::env::var_os(variable).is_some());
    if forced {
        return; // insta was told to accept whatever it sees
    }
    let registry = newcomer_only();
    let dir = support::scratch_dir("new-stack-changed-snapshot");
    let snapshot = Kind::Graph.path(&dir, NAME);
    let stale = "---\nsource: tests/new_stack.rs\n---\nflowchart LR\n";
    fs::write(&snapshot, stale).expect("write snapshot");
    let checked = snapshots::check(&registry, &dir, Kind::Graph, Missing::Write);
    assert_eq!(
        checked.failures,
        [format!(
            "stack `{NAME}`: {} does not match (see the diff above; review with `cargo insta \
             review`)",
            snapshot.display()
        )]
    );
    assert!(checked.written.is_empty());
    assert_eq!(fs::read_to_string(&snapshot).expect("kept"), stale);
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
#[ignore = "full suite: runs Terraform; see README, Running the tests"]
fn the_new_stack_passes_terraform_validate() {
    let failures = support::terraform_validate(&registry(), &[NAME]);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
