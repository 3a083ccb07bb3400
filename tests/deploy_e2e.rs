//! End to end: `ecsynth deploy`, `status` and `rollback` against the moto AWS emulator, after a
//! real `terraform apply` of a registered stack. Success, failure with rollback, bad input
//! (each exit 2 before anything is registered), and `terraform plan` clean after each.
//!
//! The work is done by `e2e/deploy_check.py` (its docstring lists the steps); this test picks
//! the stack from the registry by shape — one with a blue/green and a rolling service, the
//! fewest resources first — synthesizes it, and runs the harness with the `ecsynth` binary this
//! build made (`required-features = ["deploy"]` in Cargo.toml: the full suite's
//! `--all-features` builds it with the AWS SDK).

mod support;

use std::path::Path;
use std::process::Command;

use ecsynth::synth::synthesize;

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// (stack name, blue/green service, rolling service) of the smallest stack with both kinds,
/// else of the smallest stack with a blue/green service; among those, one whose services have
/// deployment topics first, so that the notifications of both paths are checked.
fn pick() -> (String, String, Option<String>) {
    let registry = stacks::registry();
    let mut candidates = Vec::new();
    for name in registry.names() {
        let stack = registry.get(name).expect("registered")();
        let blue_green = stack.services().iter().find(|s| s.is_blue_green());
        let rolling = stack.services().iter().find(|s| !s.is_blue_green());
        let Some(blue_green) = blue_green else {
            continue;
        };
        // Applied with the installed provider (5.100.0): a stack that refuses its major
        // (ECS-native blue/green needs 6.x) cannot run here.
        let (synthesized, _) = synthesize(&support::for_installed_provider(stack.clone()));
        let Some(synthesized) = synthesized else {
            continue;
        };
        let size = synthesized.document.resource_count();
        let notifies = blue_green.notifications.is_some()
            && rolling.is_none_or(|rolling| rolling.notifications.is_some());
        candidates.push((
            rolling.is_none(),
            !notifies,
            size,
            name.to_owned(),
            blue_green.name.clone(),
            rolling.map(|s| s.name.clone()),
        ));
    }
    candidates.sort();
    let (_, _, _, stack, blue_green, rolling) = candidates
        .into_iter()
        .next()
        .expect("the registry has a stack with a blue/green service");
    (stack, blue_green, rolling)
}

#[test]
#[ignore = "full suite: Terraform on the moto emulator, minutes; see README, Running the tests"]
fn e2e_deploy_status_rollback_against_the_emulator() {
    support::require_terraform();
    let python = support::python_environment("e2e-venv", "e2e/requirements.txt").join("python");
    let (stack, blue_green, rolling) = pick();
    let work = support::scratch_dir("deploy-e2e");
    let registry = stacks::registry();
    let (synthesized, _) = synthesize(&support::for_installed_provider(registry
        .get(&stack)
        .expect("registered")(
    )));
    let paths = synthesized
        .expect("registered stacks are valid")
        .write_to(&work)
        .expect("write the stack");
    let dir = paths[0].parent().expect("stack directory").to_owned();

    let mut command = Command::new(&python);
    command
        .arg(Path::new(REPO).join("e2e").join("deploy_check.py"))
        .arg(&dir)
        .args(["--ecsynth", env!("CARGO_BIN_EXE_ecsynth")])
        .args(["--stack", &stack, "--blue-green", &blue_green])
        .arg("--python")
        .arg(&python);
    if let Some(rolling) = &rolling {
        command.args(["--rolling", rolling]);
    }
    if let Some(mirror) = support::plugin_mirror() {
        command.env("TF_PLUGIN_MIRROR", mirror);
    }
    let output = command.output().expect("run deploy_check.py");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("--- stack `{stack}` (blue/green `{blue_green}`, rolling {rolling:?}) ---\n{log}");
    assert!(
        output.status.success(),
        "deploy e2e failed on stack `{stack}` ({}):\n{log}",
        output.status
    );
}
