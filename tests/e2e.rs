//! End to end: apply every blue/green stack on the moto AWS emulator with the real Terraform
//! and AWS provider, act as CodeDeploy and the autoscaler, and require a clean plan. The
//! same run strips `ignore_changes` and requires a dirty plan, so the check can fail.
//!
//! The work is done by `e2e/drift_check.py` (one emulator per stack, on a free loopback port);
//! this test synthesizes the stacks, prepares the Python environment under `target/` once, and
//! runs the stacks side by side, at most [`DEFAULT_JOBS`] at a time (`ECSYNTH_E2E_JOBS`).
//!
//! The provider installed here is hashicorp/aws 5.100.0, so each stack is written for 5.x as a
//! user would (`ecsynth synth --aws-provider 5`); a stack that refuses 5.x (ECS-native
//! blue/green) is listed in the summary with its reason.

mod support;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// The virtual environment with moto and boto3 (created once per requirements file).
fn python_environment() -> PathBuf {
    support::python_environment("e2e-venv", "e2e/requirements.txt").join("python")
}

/// How many stacks run at once. A run is mostly waiting (the provider sleeps 30 s twice per
/// load balancer), but every Terraform command also spends seconds of CPU loading the provider
/// schema, and CI has 2 cores; 3 at a time runs today's 7 stacks in about 5–6 minutes (see
/// e2e/README.md, Timings). `ECSYNTH_E2E_JOBS` overrides it.
const DEFAULT_JOBS: usize = 3;

fn jobs() -> usize {
    match std::env::var("ECSYNTH_E2E_JOBS") {
        Ok(value) => value
            .parse::<usize>()
            .ok()
            .filter(|jobs| *jobs > 0)
            .unwrap_or_else(|| panic!("ECSYNTH_E2E_JOBS={value:?} is not a positive number")),
        Err(_) => DEFAULT_JOBS,
    }
}

#[test]
#[ignore = "full suite: Terraform on the moto emulator, minutes; see README, Running the tests"]
fn e2e_every_stack_stays_drift_free_after_codedeploy_ecs_and_the_autoscalers() {
    support::require_terraform();
    let python = python_environment();
    let registry = stacks::registry();
    let work = support::scratch_dir("e2e");
    let names: Vec<&'static str> = registry.names().collect();
    let (installed, refused) = support::installed_provider_stacks(&registry, &names);
    assert!(
        !installed.is_empty(),
        "no registered stack can be written for {}: nothing for the emulator to run",
        support::INSTALLED_PROVIDER
    );
    let dirs = support::write_for_installed_provider(&registry, &installed, &work);
    let pending: Mutex<VecDeque<(&'static str, PathBuf)>> =
        Mutex::new(installed.iter().copied().zip(dirs).collect());
    let started = Instant::now();
    let jobs = jobs();
    let mut results: Vec<(&'static str, Duration, Option<String>)> = thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs)
            .map(|_| {
                let (pending, python) = (&pending, &python);
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let next = pending.lock().expect("queue").pop_front();
                        let Some((name, dir)) = next else { break done };
                        let began = Instant::now();
                        let failure = drift_check(name, python, &dir);
                        done.push((name, began.elapsed(), failure));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("drift check thread panicked"))
            .collect()
    });
    let order: Vec<&str> = registry.names().collect();
    results.sort_by_key(|(name, _, _)| order.iter().position(|n| n == name));
    let mut summary = format!(
        "e2e: {} stacks for {}, {jobs} at a time, {:.0} s in all",
        results.len(),
        support::INSTALLED_PROVIDER,
        started.elapsed().as_secs_f64()
    );
    for (name, took, failure) in &results {
        let verdict = if failure.is_some() { "FAIL" } else { "pass" };
        summary += &format!("\n  {name}: {verdict} in {:.0} s", took.as_secs_f64());
    }
    for line in &refused {
        summary += &format!("\n  not run: {line}");
    }
    println!("{summary}");
    let failures: Vec<&String> = results.iter().filter_map(|(_, _, f)| f.as_ref()).collect();
    assert!(
        failures.is_empty(),
        "{}\n\n{summary}",
        failures
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

/// The harness's exit status for a failure in a step where the provider resent a request
/// after losing the emulator's answer (`EXIT_TRANSIENT` in `e2e/drift_check.py`).
const EXIT_TRANSIENT: i32 = 3;

/// How one run of the harness on a stack ended, with its log.
enum Outcome {
    Pass,
    Fail(String),
    /// Failed where the provider had resent a request: the emulator's transport lost an
    /// answer, and the retried call can fail on its own (see `e2e/README.md`).
    Transient(String),
}

/// `None` when the stack passed every step, the harness's log otherwise. A run that failed
/// after a lost answer gets one rerun from scratch (a new emulator, a new work dir); a real
/// problem fails that rerun as well, and both logs are reported.
fn drift_check(name: &str, python: &Path, dir: &Path) -> Option<String> {
    match run_harness(name, python, dir) {
        Outcome::Pass => None,
        Outcome::Fail(log) => Some(format!("stack `{name}` failed the drift check:\n{log}")),
        Outcome::Transient(first) => {
            println!("--- stack `{name}`: the emulator lost an answer; one rerun from scratch ---");
            match run_harness(name, python, dir) {
                Outcome::Pass => None,
                Outcome::Fail(second) | Outcome::Transient(second) => Some(format!(
                    "stack `{name}` failed the drift check twice.\nFirst run:\n{first}\n\
                     Second run:\n{second}"
                )),
            }
        }
    }
}

fn run_harness(name: &str, python: &Path, dir: &Path) -> Outcome {
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
    match output.status.code() {
        Some(0) => Outcome::Pass,
        Some(EXIT_TRANSIENT) => Outcome::Transient(log),
        _ => Outcome::Fail(format!("({})\n{log}", output.status)),
    }
}
