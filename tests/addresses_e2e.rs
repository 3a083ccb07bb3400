//! End to end on the moto emulator: changing a stack's labelling only moves objects, removing a
//! stateful part is refused, and a log group made outside Terraform is adopted through `import`
//! (README, "Renaming and upgrading safely").
//!
//! This test writes versions of one small stack with ecsynth's address lock, as a user would
//! synth them one after the other; `e2e/addresses_check.py` applies them in turn on one
//! emulator with the real Terraform and provider:
//! - `v0`: the stack as an older ecsynth whose label rule prefixed service labels with `svc_`
//!   wrote it (its output and lock, rewritten here with that rule): applied first;
//! - `v1`: the same stack synthesized by this ecsynth against that lock: the plan must only
//!   move (a deliberate change of a label rule);
//! - `v2`: service `web` renamed `frontend` in Rust with its AWS names pinned: only moves;
//! - removing `web` instead is refused, its log group holding data;
//! - `v3`: a new service `worker` whose log group exists already: imported, then a clean plan.
//!
//! Run alone, it takes a few minutes: `nice cargo test --test addresses_e2e`.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use ecsynth::lock::{self, lock_path, Lock};
use ecsynth::model::Stack;
use ecsynth::registry::Registry;
use support::relabelling::{before, renamed, replaced, service, NAME};
use support::{out_arg, run};

const REPO: &str = env!("CARGO_MANIFEST_DIR");
/// What the older ecsynth of `v0` put before every label of a service's resources.
const OLD_RULE_PREFIX: &str = "svc_";
const WORKER_LOG_GROUP: &str = "/ecs/addr/worker";

fn adopting() -> Stack {
    let mut stack = renamed();
    stack.add_service(service("worker"));
    stack.adopt(
        "service `worker` › aws_cloudwatch_log_group",
        WORKER_LOG_GROUP,
    );
    stack
}

/// Synthesizes `build` with its lock in `work/locks` and keeps its output as `work/<version>`.
fn synth(build: fn() -> Stack, work: &Path, version: &str) -> PathBuf {
    let mut registry = Registry::new();
    registry
        .register(NAME, build)
        .with_locks(work.join("locks"));
    let out = work.join("out");
    let (code, _, stderr) = run(&registry, &["synth", NAME, "--out", &out_arg(&out)]);
    assert_eq!(code, 0, "{version}: {stderr}");
    let dir = work.join(version);
    fs::create_dir_all(&dir).expect("mkdir");
    fs::copy(
        out.join(NAME).join("main.tf.json"),
        dir.join("main.tf.json"),
    )
    .expect("copy");
    dir
}

/// `v0`: the output and lock of `before` as the older label rule wrote them: every address of
/// service `web` gets the rule's prefix, in the blocks' keys and in every reference.
fn old_label_rule(work: &Path) -> PathBuf {
    let scratch = work.join("current-rule");
    let dir = synth(before, &scratch, "v");
    let mut text = fs::read_to_string(dir.join("main.tf.json")).expect("read");
    let mut lock: Lock = lock::read(&lock_path(&scratch.join("locks"), NAME))
        .expect("readable")
        .expect("written");
    for (identity, address) in lock.addresses.iter_mut() {
        if !identity.starts_with("service `web`") {
            continue;
        }
        let (type_name, label) = address.split_once('.').expect("type.label");
        let old = format!("{type_name}.{OLD_RULE_PREFIX}{label}");
        for end in [".", "\"", "}"] {
            text = text.replace(&format!("{address}{end}"), &format!("{old}{end}"));
        }
        *address = old;
    }
    // The blocks' own keys: `"resource": {"<type>": {"<label>": …` (six spaces deep).
    text = text.replace("\n      \"web", &format!("\n      \"{OLD_RULE_PREFIX}web"));
    let v0 = work.join("v0");
    fs::create_dir_all(&v0).expect("mkdir");
    fs::write(v0.join("main.tf.json"), &text).expect("write");
    fs::create_dir_all(work.join("locks")).expect("mkdir");
    fs::write(lock_path(&work.join("locks"), NAME), lock.to_json()).expect("write lock");
    assert!(
        text.contains(&format!("\"{OLD_RULE_PREFIX}web_execution\"")),
        "the old rule relabelled the blocks"
    );
    v0
}

#[test]
#[ignore = "full suite: Terraform on the moto emulator, minutes; see README, Running the tests"]
fn e2e_relabelling_only_moves_stateful_removal_is_refused_and_a_log_group_is_adopted() {
    support::require_terraform();
    let python = support::python_environment("e2e-venv", "e2e/requirements.txt").join("python");
    let work = support::scratch_dir("addresses-e2e");
    let v0 = old_label_rule(&work);
    let v1 = synth(before, &work, "v1");
    let v2 = synth(renamed, &work, "v2");

    // Removing the service drops its log group: refused, nothing written.
    let mut registry = Registry::new();
    registry
        .register(NAME, replaced)
        .with_locks(work.join("locks"));
    let (code, _, stderr) = run(
        &registry,
        &["synth", NAME, "--out", &out_arg(&work.join("out"))],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(
            "`service `web` › aws_cloudwatch_log_group` (aws_cloudwatch_log_group.frontend) \
             holds data"
        ),
        "{stderr}"
    );

    let v3 = synth(adopting, &work, "v3");

    let mut command = Command::new(&python);
    command
        .arg(Path::new(REPO).join("e2e").join("addresses_check.py"))
        .arg("--initial")
        .arg(&v0)
        .arg("--moves")
        .arg(&v1)
        .arg("--moves")
        .arg(&v2)
        .arg("--adopt")
        .arg(&v3)
        .args(["--log-group", WORKER_LOG_GROUP])
        .arg("--python")
        .arg(&python);
    if let Some(mirror) = support::plugin_mirror() {
        command.env("TF_PLUGIN_MIRROR", mirror);
    }
    let output = command.output().expect("run addresses_check.py");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{log}");
    assert!(output.status.success(), "{log}");
}
