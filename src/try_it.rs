//! `ecsynth try <stack>`: a stack from synth to a real `terraform plan` and `apply` on the
//! local AWS emulator the end-to-end tests use (moto, `e2e/moto_server.py`), then destroyed,
//! with no AWS account. The emulator is started and stopped for the user.
//!
//! The Rust side synthesizes the stack for the hashicorp/aws major the machine can install
//! offline (5.x, [`TRY_PROVIDER`]) and prepares the pinned Python environment the tests share
//! ([`python_environment`]); `e2e/try_stack.py` does the rest with the e2e harness's own parts
//! (emulator, network, provider override), so "try" and the tests cannot drift apart. It needs
//! a checkout of this repository (for `e2e/`), Terraform and `python3`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;

use crate::model::{ProviderMajor, Severity};
use crate::registry::Registry;
use crate::synth::synthesize;

/// The provider major `try` writes for: the version the offline mirror and the emulator tests
/// have (hashicorp/aws 5.100.0).
pub const TRY_PROVIDER: ProviderMajor = ProviderMajor::V5;

/// The emulator's pinned Python packages, relative to the repository.
pub const E2E_REQUIREMENTS: &str = "e2e/requirements.txt";

/// The virtual environment's directory under `target/tmp/`, shared with the e2e tests.
pub const E2E_VENV: &str = "e2e-venv";

const EXIT_OK: u8 = 0;
const EXIT_FAILED: u8 = 1;
const EXIT_INVALID: u8 = 2;

/// Runs `try` for the stack registered as `name`; progress goes to `stdout` as it happens,
/// problems to `stderr`. Returns the exit code: 0 applied, listed and destroyed; 1 a step
/// failed (the message says which, and where its logs are); 2 bad input or a missing tool.
pub fn try_stack(
    registry: &Registry,
    name: &str,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let Some(build) = registry.get(name) else {
        let known: Vec<&str> = registry.names().collect();
        let _ = writeln!(stderr, "{}", crate::cli::unknown_stack(name, &known));
        return EXIT_INVALID;
    };
    let Some(repo) = repository() else {
        let _ = writeln!(
            stderr,
            "error: `ecsynth try` runs the emulator from the ecsynth repository (`e2e/`); run \
             it from a checkout: `cargo run -- try {name}`"
        );
        return EXIT_INVALID;
    };
    if let Err(problem) = require_tools() {
        let _ = writeln!(stderr, "error: {problem}");
        return EXIT_INVALID;
    }
    let mut stack = build();
    stack.aws_provider(TRY_PROVIDER);
    let (synthesized, diagnostics) = synthesize(&stack);
    for diagnostic in &diagnostics {
        let _ = writeln!(stderr, "{diagnostic}");
    }
    let Some(synthesized) = synthesized.filter(|_| {
        diagnostics
            .iter()
            .all(|diagnostic| diagnostic.severity != Severity::Error)
    }) else {
        return EXIT_INVALID;
    };
    let target = target_dir(&repo);
    let work = target.join("try");
    if let Err(error) = synthesized.write_to(&work) {
        let _ = writeln!(stderr, "error: {error}");
        return EXIT_FAILED;
    }
    let dir = work.join(name);
    let _ = writeln!(
        stdout,
        "synthesized stack `{name}` for hashicorp/aws {}.x into {}",
        TRY_PROVIDER.number(),
        dir.display()
    );
    let venv = target.join("tmp").join(E2E_VENV);
    if !venv.join("bin").join("python").is_file() {
        let _ = writeln!(
            stdout,
            "first run: installing the emulator's Python packages ({E2E_REQUIREMENTS}) into {} \
             (about a minute)",
            venv.display()
        );
    }
    let _ = stdout.flush();
    let python = match python_environment(&venv, &repo.join(E2E_REQUIREMENTS)) {
        Ok(bin) => bin.join("python"),
        Err(problem) => {
            let _ = writeln!(stderr, "error: {problem}");
            return EXIT_FAILED;
        }
    };
    let mut command = Command::new(&python);
    command
        .arg(repo.join("e2e").join("try_stack.py"))
        .arg(&dir)
        .arg("--python")
        .arg(&python);
    if let Some(mirror) = plugin_mirror() {
        command.env("TF_PLUGIN_MIRROR", mirror);
    }
    match relay(&mut command, stdout, stderr) {
        Ok(true) => EXIT_OK,
        Ok(false) => EXIT_FAILED,
        Err(error) => {
            let _ = writeln!(
                stderr,
                "error: cannot run {}: {error}",
                repo.join("e2e").join("try_stack.py").display()
            );
            EXIT_FAILED
        }
    }
}

/// The repository checkout `try` runs from: the current directory when it is one, else the
/// one this binary was built from (an installed `ecsynth` still finds its source).
fn repository() -> Option<PathBuf> {
    let is_checkout = |dir: &Path| dir.join("e2e").join("try_stack.py").is_file();
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_owned);
    std::env::current_dir()
        .ok()
        .into_iter()
        .chain(built_from)
        .find(|dir| is_checkout(dir))
}

/// `$CARGO_TARGET_DIR` when set (where cargo builds, and so where the tests keep their
/// environment), else the repository's `target/`.
fn target_dir(repo: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => repo.join(dir),
        _ => repo.join("target"),
    }
}

/// Terraform and `python3` answer, or what to install.
fn require_tools() -> Result<(), String> {
    let answers = |program: &str, arg: &str| {
        Command::new(program)
            .arg(arg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    if !answers("terraform", "version") {
        return Err(
            "`ecsynth try` runs the real Terraform CLI, and `terraform version` does \
                    not answer; install Terraform >= 1.10 and put it on PATH"
                .into(),
        );
    }
    if !answers("python3", "--version") {
        return Err(
            "`ecsynth try` runs the AWS emulator (moto) under `python3`, which is not \
                    on PATH; install Python 3.11 or later with its `venv` module"
                .into(),
        );
    }
    Ok(())
}

/// Where `terraform init` takes providers from, as in the tests: `$TF_PLUGIN_MIRROR` when set,
/// else `/opt/tf-plugins` when it exists, else the registry (`None`).
pub fn plugin_mirror() -> Option<PathBuf> {
    match std::env::var_os("TF_PLUGIN_MIRROR") {
        Some(mirror) if !mirror.is_empty() => Some(PathBuf::from(mirror)),
        _ => Some(PathBuf::from("/opt/tf-plugins")).filter(|default| default.is_dir()),
    }
}

/// A virtual environment at `venv` with the packages of the pinned `requirements` file,
/// created once per version of that file (a copy of it inside the environment says which).
/// Returns the environment's `bin` directory. Shared by `try` and the tests
/// (`tests/support`), so both use one environment.
pub fn python_environment(venv: &Path, requirements: &Path) -> Result<PathBuf, String> {
    let wanted = std::fs::read_to_string(requirements)
        .map_err(|error| format!("cannot read {}: {error}", requirements.display()))?;
    let bin = venv.join("bin");
    let python = bin.join("python");
    let marker = venv.join("installed-requirements.txt");
    if python.is_file() && std::fs::read_to_string(&marker).ok().as_deref() == Some(&wanted) {
        return Ok(bin);
    }
    let run = |command: &mut Command, what: &str| -> Result<(), String> {
        let output = command
            .output()
            .map_err(|error| format!("{what}: cannot start ({error}); is python3 installed?"))?;
        if output.status.success() {
            return Ok(());
        }
        Err(format!(
            "{what} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    };
    let _ = std::fs::remove_dir_all(venv);
    run(
        Command::new("python3").args(["-m", "venv"]).arg(venv),
        "python3 -m venv",
    )?;
    run(
        Command::new(&python)
            .args(["-m", "pip", "install", "--quiet"])
            .args(["--disable-pip-version-check", "-r"])
            .arg(requirements),
        &format!("pip install -r {}", requirements.display()),
    )?;
    std::fs::write(&marker, wanted)
        .map_err(|error| format!("cannot write {}: {error}", marker.display()))?;
    Ok(bin)
}

/// Runs `command`, copying its stdout and stderr lines to `stdout` and `stderr` as they come
/// (the apply takes minutes; the user sees each step). Returns whether it succeeded.
fn relay(
    command: &mut Command,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> std::io::Result<bool> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let (sender, lines) = mpsc::channel::<(bool, String)>();
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|pipe| (false, Box::new(pipe) as Box<dyn std::io::Read + Send>)),
        child
            .stderr
            .take()
            .map(|pipe| (true, Box::new(pipe) as Box<dyn std::io::Read + Send>)),
    ]
    .into_iter()
    .flatten()
    .map(|(is_error, pipe)| {
        let sender = sender.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let _ = sender.send((is_error, line));
            }
        })
    })
    .collect();
    drop(sender);
    for (is_error, line) in lines {
        let stream: &mut dyn Write = if is_error { &mut *stderr } else { &mut *stdout };
        let _ = writeln!(stream, "{line}");
        let _ = stream.flush();
    }
    for reader in readers {
        let _ = reader.join();
    }
    Ok(child.wait()?.success())
}
