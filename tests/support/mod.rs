//! Shared test helpers: scratch directories and running the real Terraform CLI.
#![allow(dead_code)] // each test crate uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ecsynth::model::{ProviderMajor, Severity, Stack};

/// A fresh, empty directory under `target/test-scratch/`, unique to this test.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("scratch")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch directory");
    dir
}

/// A directory under `target/` that survives between runs, so `terraform init` runs once.
pub fn cached_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).expect("create cache directory");
    dir
}

/// Fails the test loudly when Terraform is not installed: a test that needs it never passes
/// without it.
pub fn require_terraform() {
    let found = Command::new("terraform").arg("version").output();
    match found {
        Ok(output) if output.status.success() => {}
        Ok(output) => panic!(
            "`terraform version` failed ({}); these tests run the real Terraform CLI:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(error) => panic!(
            "Terraform is not installed or not on PATH ({error}). These tests run the real \
             Terraform CLI: install Terraform >= 1.10 (see README, `Running the tests`)."
        ),
    }
}

/// Runs `terraform <args>` in `dir` and returns its output, whatever the exit status.
pub fn terraform(dir: &Path, args: &[&str]) -> Output {
    Command::new("terraform")
        .args(args)
        .current_dir(dir)
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .unwrap_or_else(|error| panic!("cannot run terraform in {}: {error}", dir.display()))
}

/// Where `terraform init` takes providers from: `$TF_PLUGIN_MIRROR` when set; else the
/// machine-wide mirror at `/opt/tf-plugins` when it exists; else `None`, the registry. The
/// same rule as `ecsynth try`'s.
pub fn plugin_mirror() -> Option<PathBuf> {
    ecsynth::try_it::plugin_mirror()
}

/// `terraform init`, offline from [`plugin_mirror`] when there is one, from the registry
/// otherwise, without a backend (enough to validate). Skipped when `dir` was initialised
/// before.
pub fn terraform_init(dir: &Path) {
    if dir.join(".terraform").join("providers").is_dir()
        && dir.join(".terraform.lock.hcl").is_file()
    {
        return;
    }
    init(dir, "-backend=false");
}

/// `terraform init` with the stack's state kept locally in `dir` (a `backend_override.tf.json`
/// replaces any backend the stack declares), for tests that plan or evaluate: those need an
/// initialised backend, and must never touch a team's real state.
pub fn terraform_init_local_state(dir: &Path) {
    std::fs::write(
        dir.join("backend_override.tf.json"),
        "{\"terraform\": {\"backend\": {\"local\": {}}}}\n",
    )
    .expect("write backend_override.tf.json");
    init(dir, "-reconfigure");
}

fn init(dir: &Path, backend: &str) {
    let mut args = vec!["init", "-input=false", "-no-color", backend];
    let mirror = plugin_mirror();
    let plugin_dir = mirror
        .as_ref()
        .map(|mirror| format!("-plugin-dir={}", mirror.display()));
    args.extend(plugin_dir.as_deref());
    let output = terraform(dir, &args);
    assert!(
        output.status.success(),
        "terraform init failed in {} (provider mirror: {mirror:?}; set TF_PLUGIN_MIRROR to a \
         filesystem mirror when offline):\n{}{}",
        dir.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A virtual environment under `target/tmp/` named `name`, with the packages of the pinned
/// requirements file `requirements` (relative to the repository), created once per version of
/// that file; the bootstrap `ecsynth try` uses too, so the two share `e2e-venv`. Returns the
/// environment's `bin` directory.
pub fn python_environment(name: &str, requirements: &str) -> PathBuf {
    let requirements = Path::new(env!("CARGO_MANIFEST_DIR")).join(requirements);
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    ecsynth::try_it::python_environment(&venv, &requirements)
        .unwrap_or_else(|problem| panic!("{problem}"))
}

/// Runs the CLI in-process against `registry`; returns (exit code, stdout, stderr).
pub fn run(registry: &ecsynth::registry::Registry, args: &[&str]) -> (u8, String, String) {
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let command_line = std::iter::once("ecsynth").chain(args.iter().copied());
    let code = ecsynth::cli::run(registry, command_line, &mut stdout, &mut stderr);
    (
        code,
        String::from_utf8(stdout).expect("UTF-8"),
        String::from_utf8(stderr).expect("UTF-8"),
    )
}

/// What `synth` prints for stack `stack` written under `dir`: the path of its `main.tf.json`,
/// then of its `terraform.tfvars.example`, a line each.
pub fn written_paths(dir: &Path, stack: &str) -> String {
    let stack_dir = dir.join(stack);
    format!(
        "{}\n{}\n",
        stack_dir.join("main.tf.json").display(),
        stack_dir.join("terraform.tfvars.example").display()
    )
}

/// `dir` as a command-line argument.
pub fn out_arg(dir: &Path) -> String {
    dir.to_str().expect("UTF-8 path").to_owned()
}

/// The stack `name` of `registry`, validated and lowered; panics naming the stack and its
/// diagnostics when it has errors or warnings (registered stacks have neither).
pub fn synthesized(
    registry: &ecsynth::registry::Registry,
    name: &str,
) -> ecsynth::synth::Synthesized {
    let build = registry
        .get(name)
        .unwrap_or_else(|| panic!("stack `{name}` is not registered"));
    let (synthesized, diagnostics) = ecsynth::synth::synthesize(&build());
    let messages: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
    assert!(
        messages.is_empty(),
        "stack `{name}`: registered stacks synthesize without errors or warnings:\n{}",
        messages.join("\n")
    );
    synthesized.expect("a stack without errors is lowered")
}

/// The bytes synth writes to `main.tf.json` for stack `name`.
pub fn main_tf_json(registry: &ecsynth::registry::Registry, name: &str) -> Vec<u8> {
    synthesized(registry, name)
        .render()
        .unwrap_or_else(|error| panic!("stack `{name}`: {error}"))
}

/// The hashicorp/aws major of the provider binary installed on the test machines (5.100.0,
/// from the offline mirror): every test that runs the provider runs the stacks' output for
/// this major, written as a user would (`ecsynth synth --aws-provider 5`).
pub const INSTALLED_PROVIDER: ProviderMajor = ProviderMajor::V5;

/// `stack` written for [`INSTALLED_PROVIDER`] instead of its own major.
pub fn for_installed_provider(mut stack: Stack) -> Stack {
    stack.aws_provider(INSTALLED_PROVIDER);
    stack
}

/// The stack `name` of `registry` written for `major`: the bytes of its `main.tf.json`, or
/// the errors with which it refuses that major.
pub fn main_tf_json_for(
    registry: &ecsynth::registry::Registry,
    name: &str,
    major: ProviderMajor,
) -> Result<Vec<u8>, Vec<String>> {
    let build = registry
        .get(name)
        .unwrap_or_else(|| panic!("stack `{name}` is not registered"));
    let mut stack = build();
    stack.aws_provider(major);
    let (synthesized, diagnostics) = ecsynth::synth::synthesize(&stack);
    match synthesized {
        Some(synthesized) => Ok(synthesized
            .render()
            .unwrap_or_else(|error| panic!("stack `{name}`: {error}"))),
        None => Err(diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(ToString::to_string)
            .collect()),
    }
}

/// Of `names`, the stacks that can be written for [`INSTALLED_PROVIDER`], and one line for each
/// that refuses it, with its errors. A stack must be valid for its own major (checked here),
/// so a refusal is the stack saying it needs a newer major (ECS-native blue/green needs 6.x): such a stack is proven by the schema check of
/// `tests/provider_schema.rs` instead. The lines are printed (visible with `--nocapture`, and
/// with any failure).
pub fn installed_provider_stacks(
    registry: &ecsynth::registry::Registry,
    names: &[&'static str],
) -> (Vec<&'static str>, Vec<String>) {
    let mut written = Vec::new();
    let mut refused = Vec::new();
    for name in names {
        match main_tf_json_for(registry, name, INSTALLED_PROVIDER) {
            Ok(_) => written.push(*name),
            Err(errors) => {
                // Only a stack valid for its own major may be left out: else the refusal is a
                // broken stack, not a newer major.
                let own = registry.get(name).expect("registered")().provider_major;
                if let Err(own_errors) = main_tf_json_for(registry, name, own) {
                    panic!(
                        "stack `{name}` is invalid for its own {own}:\n  {}",
                        own_errors.join("\n  ")
                    );
                }
                refused.push(format!(
                    "stack `{name}` is not run on the installed provider: it refuses {}:\n  {}",
                    INSTALLED_PROVIDER,
                    errors.join("\n  ")
                ));
            }
        }
    }
    for line in &refused {
        eprintln!("{line}");
    }
    (written, refused)
}

/// Writes `names` under `out` for [`INSTALLED_PROVIDER`] through the command line, as a user
/// would: `ecsynth synth <names> --aws-provider 5 --out <out>`. Panics with the CLI's errors
/// when it does not succeed. Returns each stack's directory.
pub fn write_for_installed_provider(
    registry: &ecsynth::registry::Registry,
    names: &[&str],
    out: &Path,
) -> Vec<PathBuf> {
    let major = INSTALLED_PROVIDER.number().to_string();
    let out_text = out_arg(out);
    let mut args = vec!["synth"];
    args.extend(names);
    args.extend(["--aws-provider", &major, "--out", &out_text]);
    let (code, _, stderr) = run(registry, &args);
    assert_eq!(code, 0, "`ecsynth {}` failed:\n{stderr}", args.join(" "));
    names.iter().map(|name| out.join(name)).collect()
}

/// Runs the real `terraform validate` on the output of each of `names` written for the
/// installed provider ([`write_for_installed_provider`]), side by side (validation is
/// dominated by loading the provider schema); returns one message per stack that fails, with
/// Terraform's output.
pub fn terraform_validate(registry: &ecsynth::registry::Registry, names: &[&str]) -> Vec<String> {
    require_terraform();
    // Kept between runs so that `terraform init` happens once per stack directory.
    let dirs = write_for_installed_provider(registry, names, &cached_dir("terraform-validate"));
    std::thread::scope(|scope| {
        let runs: Vec<_> = names
            .iter()
            .zip(&dirs)
            .map(|(name, dir)| scope.spawn(move || validate_one(name, dir)))
            .collect();
        runs.into_iter()
            .filter_map(|run| run.join().expect("validation thread panicked"))
            .collect()
    })
}

/// `None` when the stack written in `dir` is valid, the Terraform output otherwise.
fn validate_one(name: &str, dir: &Path) -> Option<String> {
    terraform_init(dir);
    let output = terraform(dir, &["validate", "-no-color", "-json"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    let valid = output.status.success() && report["valid"] == true && report["warning_count"] == 0;
    (!valid).then(|| {
        format!(
            "stack `{name}` failed terraform validate on {INSTALLED_PROVIDER}:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

pub mod artefacts;
pub mod relabelling;
pub mod snapshots;
