//! The command line as a user runs it: exit codes, what is written, what is left alone.

mod support;

use std::fs;
use std::path::Path;
use std::process::Command;

use ecsynth::model::{Backend, Container, Service, Stack, TaskSize};
use support::{out_arg, run};

/// The registered stack names, as `list` should print them.
fn registered() -> Vec<&'static str> {
    stacks::registry().names().collect()
}

/// A name that is not registered: `no-such-stack`, with a number added while that is taken.
fn unregistered_name() -> String {
    let registry = stacks::registry();
    std::iter::once("no-such-stack".to_owned())
        .chain((1..).map(|n| format!("no-such-stack-{n}")))
        .find(|name| registry.get(name).is_none())
        .expect("some name is free")
}

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
        assert_eq!(
            stdout
                .lines()
                .filter(|line| line.ends_with("/main.tf.json"))
                .count(),
            registered().len(),
            "one main.tf.json per stack: {stdout}"
        );
        for line in stdout.lines() {
            assert!(
                Path::new(line).is_file(),
                "{line} was printed but not written"
            );
        }
    }
    for stack in registered() {
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
    assert_eq!(stdout, support::written_paths(&dir, "prod"));
}

#[test]
fn stacks_synthesized_together_are_reported_in_the_order_named() {
    // Each stack runs on a thread of its own; what they print must not depend on which
    // finished first.
    let dir = support::scratch_dir("order");
    let mut names = registered();
    names.reverse();
    let mut args = vec!["synth"];
    args.extend(names.iter().copied());
    let out = out_arg(&dir);
    args.extend(["--out", &out]);
    let (code, stdout, stderr) = run(&stacks::registry(), &args);
    assert_eq!((code, stderr.as_str()), (0, ""));
    let mains: Vec<String> = stdout
        .lines()
        .filter(|line| line.ends_with("main.tf.json"))
        .map(str::to_owned)
        .collect();
    let expected: Vec<String> = names
        .iter()
        .map(|name| dir.join(name).join("main.tf.json").display().to_string())
        .collect();
    assert_eq!(mains, expected);
}

#[test]
fn list_prints_the_registered_stacks() {
    let (code, stdout, _) = run(&stacks::registry(), &["list"]);
    let expected: String = registered()
        .iter()
        .map(|name| format!("{name}\n"))
        .collect();
    assert_eq!((code, stdout.as_str()), (0, expected.as_str()));
}

#[test]
fn unknown_stack_exits_2_names_the_known_stacks_and_writes_nothing() {
    let dir = support::scratch_dir("unknown");
    let known = registered();
    let unknown = unregistered_name();
    let (code, stdout, stderr) = run(
        &stacks::registry(),
        &["synth", known[0], &unknown, "--out", &out_arg(&dir)],
    );
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert!(
        stderr.starts_with(&format!("error: unknown stack `{unknown}`; "))
            && stderr.ends_with(&format!("known stacks: {}\n", known.join(", ")))
            && stderr.lines().count() == 1,
        "{stderr}"
    );
    assert_eq!(
        fs::read_dir(&dir).expect("dir").count(),
        0,
        "nothing written"
    );
}

#[test]
fn a_misspelt_stack_gets_a_suggestion() {
    let known = registered();
    // Each registered name with its last letter doubled, and with its first two letters swapped.
    for name in &known {
        let mut swapped: Vec<char> = name.chars().collect();
        swapped.swap(0, 1);
        let swapped: String = swapped.into_iter().collect();
        let last = name.chars().last().expect("non-empty");
        for typo in [format!("{name}{last}"), swapped] {
            if known.contains(&typo.as_str()) {
                continue;
            }
            let (code, stdout, stderr) = run(&stacks::registry(), &["synth", &typo]);
            assert_eq!((code, stdout.as_str()), (2, ""));
            assert_eq!(
                stderr,
                format!(
                    "error: unknown stack `{typo}`; did you mean `{name}`? known stacks: {}\n",
                    known.join(", ")
                )
            );
        }
    }
}

#[test]
fn error_and_warning_are_coloured_only_when_asked() {
    let unknown = unregistered_name();
    let command_line = ["ecsynth", "synth", unknown.as_str()];
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = ecsynth::cli::run_styled(
        &stacks::registry(),
        command_line,
        &mut stdout,
        &mut stderr,
        true,
    );
    assert_eq!(code, 2);
    let stderr = String::from_utf8(stderr).expect("UTF-8");
    assert!(
        stderr.starts_with(&format!(
            "\u{1b}[1m\u{1b}[31merror:\u{1b}[0m unknown stack `{unknown}`"
        )),
        "{stderr:?}"
    );
    // The in-process runner the other tests use is plain.
    let (_, _, plain) = run(&stacks::registry(), &command_line[1..]);
    assert!(plain.starts_with("error: unknown stack"), "{plain:?}");
}

/// The real binary decides from the environment: stderr is a pipe here, so plain unless
/// `CLICOLOR_FORCE` is set, and `NO_COLOR` wins over that.
#[test]
fn the_binary_colours_stderr_by_terminal_and_environment() {
    let unknown = unregistered_name();
    let stderr = |env: &[(&str, &str)]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ecsynth"));
        command
            .args(["synth", &unknown])
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .env_remove("CLICOLOR");
        for (key, value) in env {
            command.env(key, value);
        }
        let output = command.output().expect("run ecsynth");
        assert_eq!(output.status.code(), Some(2));
        String::from_utf8(output.stderr).expect("UTF-8")
    };
    assert!(stderr(&[]).starts_with("error: "), "piped stderr is plain");
    assert!(
        stderr(&[("CLICOLOR_FORCE", "1")]).starts_with("\u{1b}["),
        "CLICOLOR_FORCE colours"
    );
    assert!(
        stderr(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).starts_with("error: "),
        "NO_COLOR wins"
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
    // What was being done, and the file the user asked for, not the hidden temporary one.
    assert!(
        stderr.starts_with(&format!(
            "error: cannot write {} (through a temporary file in the same directory): ",
            previous.display()
        )) && !stderr.contains(".tmp"),
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
    assert_eq!(
        stderr,
        format!(
            "error: cannot create the output directory {}: Not a directory (os error 20)\n",
            file.join("dev").display()
        )
    );
}

fn broken() -> Stack {
    let mut stack = Stack::new("broken", "eu-west-1");
    stack.backend(Backend::Local);
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
    assert_eq!(stdout, support::written_paths(&dir, "dev"));
    assert_eq!(
        fs::read_to_string(&previous).expect("kept"),
        "previous output\n"
    );
}

#[test]
fn a_stack_named_twice_is_synthesized_once() {
    // Two threads writing the same files would race for the temporary file.
    let dir = support::scratch_dir("named-twice");
    let (code, stdout, stderr) = run(
        &stacks::registry(),
        &["synth", "dev", "dev", "dev", "--out", &out_arg(&dir)],
    );
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert_eq!(stdout, support::written_paths(&dir, "dev"));
}

fn panicking() -> Stack {
    panic!("the definition of this stack has a bug")
}

#[test]
fn a_stack_that_panics_exits_1_and_the_others_are_still_written() {
    let dir = support::scratch_dir("panicking");
    let mut registry = stacks::registry();
    registry.register("panicking", panicking);
    let (code, stdout, stderr) = run(
        &registry,
        &["synth", "panicking", "dev", "--out", &out_arg(&dir)],
    );
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        stderr,
        "error: stack `panicking`: building or synthesizing it panicked: the definition of \
         this stack has a bug\n"
    );
    assert!(
        stdout.contains(&dir.join("dev").join("main.tf.json").display().to_string()),
        "{stdout}"
    );
    assert!(!dir.join("panicking").exists());
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

/// A synth killed mid-write leaves `.main.tf.json.<pid>.tmp`; `--check` reports it and the next
/// synth removes it. A temporary file of a process still running (pid 1) is left to it.
#[test]
fn temporary_files_of_a_killed_synth_are_reported_then_removed() {
    let dir = support::scratch_dir("killed");
    let out = out_arg(&dir);
    let (code, _, stderr) = run(&stacks::registry(), &["synth", "dev", "--out", &out]);
    assert_eq!(code, 0, "{stderr}");
    let stack_dir = dir.join("dev");
    let dead = stack_dir.join(".main.tf.json.4294967295.tmp");
    let running = stack_dir.join(".main.tf.json.1.tmp");
    let unrelated = stack_dir.join(".notes.4294967295.tmp");
    for path in [&dead, &running, &unrelated] {
        fs::write(path, "{\"half\": ").expect("seed");
    }

    let (code, _, stderr) = run(
        &stacks::registry(),
        &["synth", "dev", "--check", "--out", &out],
    );
    assert_eq!(code, 1, "{stderr}");
    for path in [&running, &dead] {
        assert!(
            stderr.contains(&format!(
                "error: stack `dev` for hashicorp/aws 6.x: {} is a stray temporary file of an \
                 interrupted synth; the \
                 next synth removes it\n",
                path.display()
            )),
            "{stderr}"
        );
    }
    assert!(!stderr.contains(".notes."), "{stderr}");

    let (code, _, stderr) = run(&stacks::registry(), &["synth", "dev", "--out", &out]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!dead.exists());
    assert!(running.exists() && unrelated.exists());
}

fn escaping_up() -> Stack {
    let mut stack = Stack::new("../escaped", "eu-west-1");
    stack.backend(Backend::Local).cluster_name("fine");
    stack
}

fn escaping_absolute() -> Stack {
    let mut stack = Stack::new("/tmp/ecsynth-escaped", "eu-west-1");
    stack.backend(Backend::Local).cluster_name("fine");
    stack
}

/// A stack with no services and an explicit cluster name has no derived AWS name to check
/// its name through; its name is still checked as a name, so nothing lands outside `--out`.
#[test]
fn a_stack_name_that_is_a_path_is_refused_at_registration_and_nothing_is_written() {
    let dir = support::scratch_dir("escaping");
    let out = dir.join("out");
    for (name, build, bad) in [
        ("../escaped", escaping_up as fn() -> Stack, "`.`, `/`"),
        ("/tmp/ecsynth-escaped", escaping_absolute, "`/`"),
    ] {
        let mut registry = stacks::registry();
        registry.register(name, build);
        let (code, stdout, stderr) = run(&registry, &["synth", name, "--out", &out_arg(&out)]);
        assert_eq!((code, stdout.as_str()), (2, ""), "{stderr}");
        assert!(
            stderr.eq(&format!(
                "error: stack `{name}` › `name`: stack name `{name}` contains {bad}; stack \
                 names allow only A-Z, a-z, 0-9, `-` and `_`; rename the stack name `{name}`\n"
            )),
            "{stderr}"
        );
    }
    assert!(!dir.join("escaped").exists());
    assert!(!Path::new("/tmp/ecsynth-escaped").exists());
    assert!(!out.exists());
}

#[test]
fn writing_refuses_a_directory_outside_out_even_past_validation() {
    let dir = support::scratch_dir("write-outside");
    // A valid stack's document under a name validation refuses: the write itself still
    // refuses the path.
    let mut stack = escaping_up();
    stack.name = "fine".into();
    let validated = stack.validated().expect("a valid stack");
    let synthesized = ecsynth::synth::Synthesized {
        stack: escaping_up().name,
        document: ecsynth::lower::lower(&validated),
    };
    let error = synthesized
        .write_to(&dir.join("out"))
        .expect_err("outside --out");
    assert!(
        error.to_string().starts_with(
            "stack `../escaped`: its directory would not be a directory directly inside"
        ),
        "{error}"
    );
    assert!(!dir.join("escaped").exists());
    // A symbolic link inside --out that leads elsewhere is resolved and refused too.
    #[cfg(unix)]
    {
        let out = dir.join("linked-out");
        fs::create_dir_all(&out).expect("mkdir");
        let elsewhere = dir.join("elsewhere");
        fs::create_dir_all(&elsewhere).expect("mkdir");
        std::os::unix::fs::symlink(&elsewhere, out.join("dev")).expect("symlink");
        let (synthesized, _) = ecsynth::synth::synthesize(&stacks::dev());
        let error = synthesized
            .expect("dev is valid")
            .write_to(&out)
            .expect_err("the link leads outside --out");
        assert!(error.to_string().contains("nothing written"), "{error}");
        assert_eq!(fs::read_dir(&elsewhere).expect("read").count(), 0);
    }
}

#[test]
fn graph_prints_mermaid_by_default_and_dot_on_request() {
    let registry = stacks::registry();
    for name in registered() {
        let document =
            ecsynth::review::Json::parse(&support::main_tf_json(&registry, name)).expect("JSON");
        let (code, stdout, stderr) = run(&registry, &["graph", name]);
        assert_eq!((code, stderr.as_str()), (0, ""));
        assert_eq!(
            stdout,
            ecsynth::graph::render(&document, ecsynth::graph::Format::Mermaid)
        );
        // The title (Mermaid front matter) names the provider major, then the flowchart.
        assert!(
            stdout.starts_with("---\ntitle: \"hashicorp/aws ")
                && stdout.contains("\nflowchart LR\n"),
            "{stdout}"
        );
        let (code, stdout, _) = run(&registry, &["graph", name, "--format", "dot"]);
        assert_eq!(code, 0);
        assert_eq!(
            stdout,
            ecsynth::graph::render(&document, ecsynth::graph::Format::Dot)
        );
    }
}

#[test]
fn graph_of_an_unknown_or_invalid_stack_exits_2() {
    let unknown = unregistered_name();
    let (code, stdout, stderr) = run(&stacks::registry(), &["graph", &unknown]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(
        stderr.starts_with(&format!("error: unknown stack `{unknown}`; ")),
        "{stderr}"
    );
    let mut registry = stacks::registry();
    registry.register("broken", broken);
    let (code, stdout, stderr) = run(&registry, &["graph", "broken"]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(stderr.contains("`task_size.cpu`"), "{stderr}");
}

/// `synth --check` marks a change of an attribute the block's `lifecycle.ignore_changes` lists
/// (Terraform plans no change of it once the resource exists: Terraform language docs, "The
/// lifecycle Meta-Argument", `ignore_changes`) apart from real changes, naming the owner the
/// block's `//` comment gives: CodeDeploy's `task_definition`, the autoscaler's
/// `desired_count`, ECS managed scaling's `desired_capacity`, in every registered stack.
#[test]
fn check_marks_changes_terraform_ignores_with_their_owner() {
    use ecsynth::review::Json;
    let dir = support::scratch_dir("check-ignored");
    let out = out_arg(&dir);
    let (code, _, stderr) = run(&stacks::registry(), &["synth", "--all", "--out", &out]);
    assert_eq!(code, 0, "{stderr}");
    let mut expected: Vec<String> = Vec::new();
    for name in registered() {
        let main = dir.join(name).join("main.tf.json");
        let mut json = Json::parse(&fs::read(&main).expect("read")).expect("JSON");
        let resources = json
            .get_mut("resource")
            .and_then(Json::as_object_mut)
            .expect("resources");
        for (kind, blocks) in resources.iter_mut() {
            for (label, block) in blocks.as_object_mut().into_iter().flatten() {
                let ignored: Vec<String> = block
                    .get("lifecycle")
                    .and_then(|lifecycle| lifecycle.get("ignore_changes"))
                    .and_then(|list| match list {
                        Json::Array(items) => Some(items.clone()),
                        _ => None,
                    })
                    .into_iter()
                    .flatten()
                    .filter_map(|item| item.as_str().map(str::to_owned))
                    .collect();
                let comment = block
                    .get("//")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let object = block.as_object_mut().expect("a block is an object");
                for attribute in ignored {
                    let Some(value) = object.get_mut(&attribute) else {
                        continue;
                    };
                    *value = Json::String("changed outside".into());
                    let owner = comment
                        .split(&format!("{attribute} — "))
                        .nth(1)
                        .and_then(|rest| rest.split_once(':'))
                        .map(|(owner, _)| owner)
                        .unwrap_or_else(|| panic!("{kind}.{label}: no owner of {attribute}"));
                    expected.push(format!(
                        "\n    ignored by Terraform after creation (owner: {owner}): {attribute}"
                    ));
                }
            }
        }
        fs::write(&main, json.to_pretty()).expect("write");
    }
    for owner in [
        "CodeDeploy",
        "Application Auto Scaling",
        "ECS managed scaling",
    ] {
        assert!(
            expected.iter().any(|line| line.contains(owner)),
            "no registered stack has an attribute owned by {owner}"
        );
    }

    let (code, _, stderr) = run(
        &stacks::registry(),
        &["synth", "--all", "--check", "--out", &out],
    );
    assert_eq!(code, 1, "{stderr}");
    for line in &expected {
        assert!(stderr.contains(line.as_str()), "{line}\n{stderr}");
    }
    let marked = stderr
        .matches("\n    ignored by Terraform after creation")
        .count();
    assert_eq!(marked, expected.len(), "{stderr}");
}
