//! The hashicorp/aws major a stack is written for: 6 by default, 5 on request
//! (`Stack::aws_provider`, or `ecsynth synth --aws-provider 5` for every named stack), and named
//! wherever the output is shown (the file's comment, the graph's title, `synth --check`).

mod support;

use ecsynth::model::ProviderMajor;
use serde_json::Value;
use support::{out_arg, run};

fn constraint(main_tf_json: &[u8]) -> String {
    let document: Value = serde_json::from_slice(main_tf_json).expect("JSON");
    document["terraform"]["required_providers"]["aws"]["version"]
        .as_str()
        .expect("a hashicorp/aws constraint")
        .to_owned()
}

/// `ecsynth synth prod` writes for hashicorp/aws 6.x unless the stack says otherwise.
#[test]
fn the_default_major_is_6() {
    assert_eq!(ProviderMajor::default(), ProviderMajor::V6);
    let registry = stacks::registry();
    let dir = support::scratch_dir("provider-major-default");
    let (code, _, stderr) = run(&registry, &["synth", "prod", "--out", &out_arg(&dir)]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    let written = std::fs::read(dir.join("prod").join("main.tf.json")).expect("written");
    assert!(
        constraint(&written).ends_with(", < 7.0"),
        "{}",
        constraint(&written)
    );
}

/// `--aws-provider 5` writes exactly what `Stack::aws_provider(ProviderMajor::V5)` lowers to,
/// for every named stack; `--check` compares with the same major and names it.
#[test]
fn the_command_line_writes_and_checks_the_5_x_variant() {
    let registry = stacks::registry();
    let names: Vec<&'static str> = registry.names().collect();
    let (installed, _) = support::installed_provider_stacks(&registry, &names);
    let dir = support::scratch_dir("provider-major-5");
    let dirs = support::write_for_installed_provider(&registry, &installed, &dir);
    for (name, stack_dir) in installed.iter().zip(&dirs) {
        let written = std::fs::read(stack_dir.join("main.tf.json")).expect("written");
        let expected =
            support::main_tf_json_for(&registry, name, ProviderMajor::V5).expect("accepts 5.x");
        assert!(written == expected, "stack `{name}`");
        assert_eq!(constraint(&written), ">= 5.36, < 6.0", "stack `{name}`");
    }

    let name = installed[0];
    let (code, stdout, stderr) = run(
        &registry,
        &[
            "synth",
            name,
            "--check",
            "--aws-provider",
            "5",
            "--out",
            &out_arg(&dir),
        ],
    );
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert_eq!(
        stdout,
        format!(
            "up to date: stack `{name}` for hashicorp/aws 5.x ({})\n",
            dir.join(name).display()
        )
    );
    // Without the option the stack's own major is compared: the 5.x files are stale, and the
    // command that would rewrite them is the one without the option.
    let (code, _, stderr) = run(
        &registry,
        &["synth", name, "--check", "--out", &out_arg(&dir)],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "error: stack `{name}` for hashicorp/aws 6.x: {} is out of date\n",
            dir.join(name).join("main.tf.json").display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(r#"aws.version: ">= 5.36, < 6.0" → ">= 6.5, < 7.0""#),
        "{stderr}"
    );
    assert!(
        stderr.ends_with(&format!(
            "error: committed output is stale; run `ecsynth synth {name} --out {}` and commit \
             the result\n",
            out_arg(&dir)
        )),
        "{stderr}"
    );
}

/// A value that is not a major ecsynth writes for is refused before anything is written,
/// naming the value and every major allowed.
#[test]
fn an_unknown_major_is_refused_naming_the_value_and_the_majors_allowed() {
    let allowed: Vec<String> = ProviderMajor::ALL
        .iter()
        .map(|major| major.number().to_string())
        .collect();
    let dir = support::scratch_dir("provider-major-bad");
    for (command, bad) in [("synth", "7"), ("synth", "v6"), ("graph", "5.0")] {
        let mut args = vec![command, "prod", "--aws-provider", bad];
        if command == "synth" {
            args.extend(["--out", dir.to_str().expect("UTF-8")]);
        }
        let (code, stdout, stderr) = run(&stacks::registry(), &args);
        assert_eq!((code, stdout.as_str()), (2, ""), "{args:?}");
        assert_eq!(
            stderr.lines().next(),
            Some(
                format!(
                    "error: invalid value '{bad}' for '--aws-provider <MAJOR>': `{bad}` is not a \
                     hashicorp/aws major ecsynth writes for; allowed: {}",
                    allowed.join(", ")
                )
                .as_str()
            ),
            "{stderr}"
        );
    }
    assert_eq!(std::fs::read_dir(&dir).expect("scratch").count(), 0);
}

/// The graph's title names the major the picture holds for, with the option too.
#[test]
fn the_graph_title_names_the_major() {
    let registry = stacks::registry();
    for (args, major) in [
        (&["graph", "dev"][..], "6.x"),
        (&["graph", "dev", "--aws-provider", "5"][..], "5.x"),
    ] {
        let (code, stdout, stderr) = run(&registry, args);
        assert_eq!((code, stderr.as_str()), (0, ""));
        let title = stdout.lines().nth(1).expect("a title");
        assert!(
            title.starts_with(&format!("title: \"hashicorp/aws {major} (")),
            "{title}"
        );
    }
}
