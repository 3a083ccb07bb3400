//! The README's facts, checked against what they describe: the two commands against `.ci/run`
//! and the registry, the stack table against the registry, the Terraform floor against the
//! stacks' output, the example stack against the compiled `examples/first_stack.rs`, `out/`
//! against `.gitignore`, and every link to a heading against the headings.

mod support;

use std::fs;

use support::snapshots::Missing;

#[path = "../examples/first_stack.rs"]
#[allow(dead_code)] // its `main` is the example's
mod first_stack;

const REPO: &str = env!("CARGO_MANIFEST_DIR");

fn read(file: &str) -> String {
    fs::read_to_string(format!("{REPO}/{file}"))
        .unwrap_or_else(|error| panic!("cannot read {file}: {error}"))
}

fn readme() -> String {
    read("README.md")
}

/// The text of the `## heading` section, up to the next `## ` heading.
fn section(readme: &str, heading: &str) -> String {
    let start = readme
        .find(&format!("\n## {heading}\n"))
        .unwrap_or_else(|| panic!("README.md has no `## {heading}`"));
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |end| end + 4);
    rest[..end].to_owned()
}

/// The lines of the first fenced code block in `text`.
fn first_code_block(text: &str) -> Vec<String> {
    text.split("```")
        .nth(1)
        .expect("a code block")
        .lines()
        .skip(1) // the info string (`sh`, `rust`)
        .map(str::to_owned)
        .collect()
}

/// The command of a shell line, without its `# comment`.
fn command(line: &str) -> &str {
    line.split(" #").next().unwrap_or(line).trim()
}

#[test]
fn the_two_commands_are_the_main_job_and_the_command_ci_runs() {
    let block = first_code_block(&section(&readme(), "The two commands"));
    let commands: Vec<&str> = block.iter().map(|line| command(line)).collect();
    assert_eq!(commands.len(), 2, "two commands: {commands:?}");
    let stack = commands[0]
        .strip_prefix("cargo run -- synth ")
        .expect("the first synthesizes a stack");
    assert!(
        stacks::registry().get(stack).is_some(),
        "`{stack}` is registered"
    );
    let ci = read(".ci/run");
    let ci_tests: Vec<&str> = ci
        .lines()
        .filter(|line| line.starts_with("cargo test"))
        .collect();
    assert_eq!(
        ci_tests,
        [commands[1]],
        ".ci/run runs the README's test command"
    );
}

/// `name`'s services as the table's second column shows them: each in registration order with
/// how it deploys.
fn services_column(name: &str) -> String {
    let stack = stacks::registry().get(name).expect("registered")();
    let services: Vec<String> = stack
        .services()
        .iter()
        .map(|service| {
            let how = if service.is_blue_green() {
                "blue/green"
            } else {
                "rolling"
            };
            format!("`{}` {how}", service.name)
        })
        .collect();
    services.join(", ")
}

/// Every row names a registered stack with its services, in registration order. A registered
/// stack without a row fails in CI only (`CI` set, as for a missing snapshot): adding a stack
/// costs no red test on a developer's machine, and is not merged undocumented.
#[test]
fn the_stack_table_lists_every_registered_stack_with_its_services() {
    let readme = readme();
    let table_start = readme
        .find("| stack | services | shape |")
        .expect("README.md has the registered stacks' table");
    let rows: Vec<(String, String)> = readme[table_start..]
        .lines()
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .map(|row| {
            let cells: Vec<&str> = row.split(" | ").collect();
            let name = cells[0].trim_start_matches("| ").trim_matches('`');
            (name.to_owned(), cells[1].to_owned())
        })
        .collect();
    let all: Vec<(String, String)> = stacks::registry()
        .names()
        .map(|name| (name.to_owned(), services_column(name)))
        .collect();
    let expected: Vec<&(String, String)> = all
        .iter()
        .filter(|(name, _)| {
            Missing::from_env() == Missing::Fail || rows.iter().any(|(row, _)| row == name)
        })
        .collect();
    assert_eq!(
        rows.iter().collect::<Vec<_>>(),
        expected,
        "rows for README.md:\n{}",
        all.iter()
            .map(|(name, services)| format!("| `{name}` | {services} | … |"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// `(major, minor)` of a `>= X.Y.Z` constraint.
fn floor(constraint: &str) -> (u32, u32) {
    let version = constraint.trim_start_matches(">=").trim();
    let mut parts = version
        .split('.')
        .map(|part| part.parse::<u32>().expect("a number"));
    (parts.next().expect("major"), parts.next().expect("minor"))
}

#[test]
fn the_terraform_floor_is_the_highest_a_registered_stack_requires() {
    let registry = stacks::registry();
    let highest = registry
        .names()
        .map(|name| {
            let bytes = support::main_tf_json(&registry, name);
            let document: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
            floor(
                document["terraform"]["required_version"]
                    .as_str()
                    .expect("required_version"),
            )
        })
        .max()
        .expect("stacks are registered");
    let wanted = format!("{}.{}", highest.0, highest.1);
    let readme = readme();
    let stated: Vec<&str> = readme
        .split("Terraform ≥ ")
        .skip(1)
        .filter_map(|rest| rest.split(|c: char| c != '.' && !c.is_ascii_digit()).next())
        .map(|version| version.trim_end_matches('.'))
        .collect();
    assert!(!stated.is_empty(), "README.md states a Terraform floor");
    for version in &stated {
        assert_eq!(*version, wanted, "README.md says Terraform ≥ {version}");
    }
    assert!(
        read(".ci/run").contains(&format!("(>= {wanted})")),
        ".ci/run names Terraform >= {wanted}"
    );
}

#[test]
fn the_example_stack_is_the_compiled_one_and_has_no_warnings() {
    let example = read("examples/first_stack.rs");
    let marked = example
        .split("// README begin\n")
        .nth(1)
        .and_then(|rest| rest.split("// README end\n").next())
        .expect("examples/first_stack.rs marks the README's part");
    let readme = readme();
    let shown = readme
        .split("```rust\n")
        .map(|block| block.split("```").next().unwrap_or(block))
        .find(|block| block.contains("pub fn prod() -> Stack {"))
        .expect("README.md shows the example stack");
    assert_eq!(
        shown,
        format!("use ecsynth::model::*;\n\n{marked}"),
        "README.md shows examples/first_stack.rs"
    );
    let (synthesized, diagnostics) = ecsynth::synth::synthesize(&first_stack::prod());
    let messages: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(messages, Vec::<String>::new(), "no errors, no warnings");
    assert!(synthesized.is_some());
}

#[test]
fn out_is_not_committed_as_the_readme_says() {
    let ignored = read(".gitignore");
    assert!(
        ignored.lines().any(|line| line == "/out/*/*"),
        ".gitignore ignores what synth writes under out/"
    );
    assert!(
        ignored
            .lines()
            .any(|line| line == "!/out/*/*_override.tf.json"),
        ".gitignore keeps hand-written override files"
    );
    assert!(
        readme().contains("This\n   repository does not commit `out/` (`.gitignore`)"),
        "README.md, \"Every day\", says out/ is not committed"
    );
}

#[test]
fn the_benchmark_history_lives_in_its_own_file() {
    let performance = section(&readme(), "Performance");
    assert!(
        performance.lines().count() <= 8,
        "a short pointer:\n{performance}"
    );
    assert!(performance.contains("[BENCHMARKS.md](BENCHMARKS.md)"));
    assert!(read("BENCHMARKS.md").contains("\n## Where it stands\n"));
}

/// GitHub's anchor for a heading: lower case, spaces to `-`, punctuation other than `-` and
/// `_` dropped.
fn anchor(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

#[test]
fn every_link_to_a_heading_finds_it() {
    for file in ["README.md", "BENCHMARKS.md"] {
        let text = read(file);
        let anchors: Vec<String> = text
            .lines()
            .filter(|line| line.starts_with('#'))
            .map(|line| anchor(line.trim_start_matches('#').trim()))
            .collect();
        let broken: Vec<&str> = text
            .split("](#")
            .skip(1)
            .filter_map(|rest| rest.split(')').next())
            .filter(|link| !anchors.iter().any(|anchor| anchor == link))
            .collect();
        assert_eq!(broken, Vec::<&str>::new(), "{file}: links to no heading");
    }
}

/// Every ignored test says why, as the README's "Running the tests" puts it: it is part of the
/// full suite, which `.ci/run` runs with `--include-ignored`. No test is ignored for good.
#[test]
fn every_ignored_test_belongs_to_the_full_suite() {
    let mut checked = 0;
    for entry in fs::read_dir(format!("{REPO}/tests")).expect("tests/") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|extension| extension != "rs") {
            continue;
        }
        let text = fs::read_to_string(&path).expect("read test file");
        for line in text
            .lines()
            .filter(|line| line.trim_start().starts_with("#[ignore"))
        {
            assert!(
                line.trim_start().starts_with("#[ignore = \"full suite: "),
                "{}: `{}` is not `#[ignore = \"full suite: …\"]`",
                path.display(),
                line.trim()
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "the slow tests are ignored in the fast suite");
    assert!(read(".ci/run").contains("-- --include-ignored"));
}
