//! End to end: apply every blue/green stack on the moto AWS emulator with the real Terraform
//! and AWS provider, act as CodeDeploy and the autoscaler, and require a clean plan. The
//! same run strips `ignore_changes` and requires a dirty plan, so the check can fail.
//!
//! The work is done by `e2e/drift_check.py` (one emulator per stack, on a free loopback port);
//! this test synthesizes the stacks, prepares the Python environment under `target/` once, and
//! runs the stacks side by side.

#[path = "../stacks/mod.rs"]
#[allow(dead_code)]
mod stacks;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;

use ecsynth::synth::synthesize;

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// Creates (once per requirements file) a virtual environment with moto and boto3.
fn python_environment() -> PathBuf {
    let requirements = Path::new(REPO).join("e2e").join("requirements.txt");
    let wanted = std::fs::read_to_string(&requirements)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", requirements.display()));
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-venv");
    let python = venv.join("bin").join("python");
    let marker = venv.join("installed-requirements.txt");
    if python.is_file() && std::fs::read_to_string(&marker).ok().as_deref() == Some(&wanted) {
        return python;
    }
    let run = |command: &mut Command, what: &str| {
        let output = command.output().unwrap_or_else(|error| {
            panic!("{what}: cannot start ({error}); is python3 installed?")
        });
        assert!(
            output.status.success(),
            "{what} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let _ = std::fs::remove_dir_all(&venv);
    run(
        Command::new("python3").args(["-m", "venv"]).arg(&venv),
        "python3 -m venv",
    );
    run(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements),
        "pip install -r e2e/requirements.txt",
    );
    std::fs::write(&marker, wanted).expect("write venv marker");
    python
}

#[test]
fn blue_green_stacks_stay_drift_free_after_codedeploy_and_autoscaling() {
    support::require_terraform();
    let python = python_environment();
    let registry = stacks::registry();
    let names: Vec<&'static str> = registry.names().collect();
    let work = support::scratch_dir("e2e");
    let failures: Vec<String> = thread::scope(|scope| {
        let runs: Vec<_> = names
            .iter()
            .map(|name| {
                let build = registry.get(name).expect("registered");
                let dir = work.join(name);
                let (synthesized, _) = synthesize(&build());
                synthesized
                    .expect("registered stacks are valid")
                    .write_to(&work)
                    .expect("write stack");
                let python = python.clone();
                scope.spawn(move || drift_check(name, &python, &dir))
            })
            .collect();
        runs.into_iter()
            .filter_map(|run| run.join().expect("drift check thread panicked"))
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// `None` when the stack passed every step, the harness's log otherwise.
fn drift_check(name: &str, python: &Path, dir: &Path) -> Option<String> {
    let mut command = Command::new(python);
    command
        .arg(Path::new(REPO).join("e2e").join("drift_check.py"))
        .arg(dir)
        .arg("--python")
        .arg(python);
    if let Some(mirror) = support::plugin_mirror() {
        command.env("TF_PLUGIN_MIRROR", mirror);
    }
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("cannot run drift_check.py: {error}"));
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // Visible with --nocapture; the timings are part of what this test reports.
    println!("--- stack `{name}` ---\n{log}");
    (!output.status.success()).then(|| {
        format!(
            "stack `{name}` failed the drift check ({}):\n{log}",
            output.status
        )
    })
}
