//! The command line as a user runs it: exit codes, what is written, what is left alone.

#[path = "../stacks/mod.rs"]
#[allow(dead_code)]
mod stacks;
mod support;

use std::fs;
use std::process::Command;

use ecsynth::model::{Container, Service, Stack, TaskSize};
use support::{out_arg, run};

#[test]
fn synth_all_twice_writes_byte_identical_files() {
    let (first, second) = (
        support::scratch_dir("determinism-1"),
        support::scratch_dir("determinism-2"),
    );
    for dir in [&first, &second] {
        // Through the real binary, as a user runs it.
        let output = Command::new(env!("CARGO_BIN_EXE_ecsynth"))
            .args(["synth", "--all", "--out", &out_arg(dir)])
            .output()
            .expect("run ecsynth");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        let registered = stacks::registry().names().count();
        assert_eq!(
            stdout.lines().count(),
            registered,
            "one path per stack: {stdout}"
        );
    }
    for stack in stacks::registry().names() {
        let a = fs::read(first.join(stack).join("main.tf.json")).expect("first run wrote it");
        let b = fs::read(second.join(stack).join("main.tf.json")).expect("second run wrote it");
        assert!(a == b, "stack `{stack}` differs between two runs");
    }
}

#[test]
fn synth_prints_the_path_of_each_file_it_writes() {
    let dir = support::scratch_dir("paths");
    let (code, stdout, stderr) = run(
        &stacks::registry(),
        &["synth", "prod", "--out", &out_arg(&dir)],
    );
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert_eq!(
        stdout,
        format!("{}\n", dir.join("prod").join("main.tf.json").display())
    );
}

#[test]
fn list_prints_the_registered_stacks() {
    let registry = stacks::registry();
    let (code, stdout, _) = run(&registry, &["list"]);
    let expected: String = registry.names().map(|name| format!("{name}\n")).collect();
    assert_eq!((code, stdout), (0, expected));
}

#[test]
fn unknown_stack_exits_2_names_the_known_stacks_and_writes_nothing() {
    let dir = support::scratch_dir("unknown");
    let registry = stacks::registry();
    let known: Vec<&str> = registry.names().collect();
    // A name no registry will ever hold, whatever stacks users add.
    let unknown = format!("{}-never-registered", known.join("-"));
    let (code, stdout, stderr) = run(
        &registry,
        &["synth", known[0], &unknown, "--out", &out_arg(&dir)],
    );
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        format!(
            "error: unknown stack `{unknown}`; known stacks: {}\n",
            known.join(", ")
        )
    );
    assert_eq!(
        fs::read_dir(&dir).expect("dir").count(),
        0,
        "nothing written"
    );
}

#[test]
fn synth_without_stacks_asks_for_names() {
    let (code, _, stderr) = run(&stacks::registry(), &["synth"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("name the stacks to synthesize, or pass --all"),
        "{stderr}"
    );
}

#[test]
fn a_failed_write_leaves_the_previous_file_whole_and_exits_1() {
    let dir = support::scratch_dir("failed-write");
    let previous = dir.join("prod").join("main.tf.json");
    fs::create_dir_all(previous.parent().expect("parent")).expect("mkdir");
    fs::write(&previous, "previous output\n").expect("seed previous output");
    // The writer's temporary file is named after this process; a directory in its place makes
    // creating it fail, as a full disk or a permission error would.
    let temporary = dir
        .join("prod")
        .join(format!(".main.tf.json.{}.tmp", std::process::id()));
    fs::create_dir_all(&temporary).expect("block the temporary file");

    let (code, stdout, stderr) = run(
        &stacks::registry(),
        &["synth", "prod", "--out", &out_arg(&dir)],
    );
    assert_eq!(code, 1, "I/O errors exit 1: {stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.starts_with("error: ") && stderr.contains(".main.tf.json."),
        "{stderr}"
    );
    assert_eq!(
        fs::read_to_string(&previous).expect("still there"),
        "previous output\n"
    );
}

#[test]
fn an_output_directory_that_is_a_file_exits_1() {
    let dir = support::scratch_dir("out-is-file");
    let file = dir.join("out");
    fs::write(&file, "").expect("create file");
    let (code, _, stderr) = run(
        &stacks::registry(),
        &["synth", "dev", "--out", &out_arg(&file)],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains(&out_arg(&file)), "{stderr}");
}

fn broken() -> Stack {
    let mut stack = Stack::new("broken", "eu-west-1");
    stack.add_service(
        Service::new(
            "web",
            TaskSize {
                cpu: 300,
                memory: 512,
            },
        )
        .container(Container::new("app", "nginx"))
        .deployment(ecsynth::model::Deployment::rolling()),
    );
    stack
}

#[test]
fn an_invalid_stack_exits_2_keeps_its_previous_output_and_valid_stacks_are_still_written() {
    let dir = support::scratch_dir("invalid");
    let previous = dir.join("broken").join("main.tf.json");
    fs::create_dir_all(previous.parent().expect("parent")).expect("mkdir");
    fs::write(&previous, "previous output\n").expect("seed");
    let mut registry = stacks::registry();
    registry.register("broken", broken);

    let (code, stdout, stderr) = run(
        &registry,
        &["synth", "broken", "dev", "--out", &out_arg(&dir)],
    );
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "error: stack `broken` › service `web` › `task_size.cpu`: 300 is not a Fargate CPU size; \
         allowed: 256, 512, 1024, 2048, 4096, 8192, 16384\n"
    );
    assert_eq!(
        stdout,
        format!("{}\n", dir.join("dev").join("main.tf.json").display())
    );
    assert_eq!(
        fs::read_to_string(&previous).expect("kept"),
        "previous output\n"
    );
}

#[test]
fn a_stack_registered_twice_is_refused() {
    let mut registry = stacks::registry();
    registry.register("dev", stacks::dev);
    let (code, _, stderr) = run(&registry, &["synth", "--all", "--out", "unused"]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "error: stack `dev` › `name`: registered 2 times; stack names must be unique, they \
         prefix every AWS name and output directory\n"
    );
}
