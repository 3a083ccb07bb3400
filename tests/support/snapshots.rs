//! Snapshots of every registered stack, one file per stack and kind (`synth@prod.snap`,
//! `graph@prod.snap`), checked all at once: a mismatch in one stack does not hide the others.
//!
//! A stack that has no snapshot file yet (one just registered) gets it written outside CI, so
//! adding a stack is a registration and one `cargo test --test snapshots`, with no red test in
//! between; the new files are read in review like any other added file. In CI (`CI` set, as
//! `.ci/run` and every CI service do) a missing snapshot fails: a stack is never merged without
//! its committed snapshots. A snapshot that exists and differs fails everywhere and is never
//! overwritten (`cargo insta review` is the way to accept a change).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use ecsynth::registry::Registry;

/// What a snapshot shows.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// `main.tf.json` in review form: JSON-text and multi-line strings expanded
    /// (`ecsynth::review`).
    Synth,
    /// `ecsynth graph <stack>`: the Mermaid flowchart.
    Graph,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::Synth, Kind::Graph];

    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Synth => "synth",
            Kind::Graph => "graph",
        }
    }

    /// The snapshot's text for stack `name`.
    pub fn render(self, registry: &Registry, name: &str) -> String {
        let bytes = super::main_tf_json(registry, name);
        match self {
            Kind::Synth => ecsynth::review::review_text(&bytes).expect("synth writes JSON"),
            Kind::Graph => {
                let document = ecsynth::review::Json::parse(&bytes).expect("synth writes JSON");
                ecsynth::graph::render(&document, ecsynth::graph::Format::Mermaid)
            }
        }
    }

    /// The file holding stack `name`'s snapshot of this kind in `dir`.
    pub fn path(self, dir: &Path, name: &str) -> PathBuf {
        dir.join(format!("{}@{name}.snap", self.prefix()))
    }
}

/// The repository's `snapshots/`.
pub fn repository_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots")
}

/// What to do about a stack without a snapshot file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    /// Write it (a newly registered stack, on a developer's machine).
    Write,
    /// Report it as a failure (CI: every registered stack has committed snapshots).
    Fail,
}

impl Missing {
    /// [`Missing::Fail`] when the `CI` environment variable says this is CI (insta's own test:
    /// set and not `false`, `0` or empty), [`Missing::Write`] otherwise.
    pub fn from_env() -> Missing {
        match std::env::var("CI").ok().as_deref() {
            None | Some("false" | "0" | "") => Missing::Write,
            Some(_) => Missing::Fail,
        }
    }
}

/// The result of checking one kind of snapshot for every stack.
#[derive(Debug, Default)]
pub struct Checked {
    /// One line per stack whose snapshot is missing (under [`Missing::Fail`]) or differs.
    pub failures: Vec<String>,
    /// Snapshot files written for stacks that had none (under [`Missing::Write`]).
    pub written: Vec<PathBuf>,
}

/// Compares the `kind` snapshot of every stack in `registry` with its file in `dir`, through
/// insta (so a mismatch leaves `<name>.snap.new` for `cargo insta review`), after writing the
/// files of stacks that have none when `missing` says so. Tries every stack before returning.
pub fn check(registry: &Registry, dir: &Path, kind: Kind, missing: Missing) -> Checked {
    let mut checked = Checked::default();
    for name in registry.names() {
        let path = kind.path(dir, name);
        let text = kind.render(registry, name);
        if !path.exists() {
            match missing {
                Missing::Fail => {
                    checked.failures.push(format!(
                        "stack `{name}`: no snapshot {}; run `cargo test --test snapshots` \
                         outside CI to write it, read it and commit it with the stack",
                        path.display()
                    ));
                    continue;
                }
                Missing::Write => {
                    write_new(&path, &text);
                    println!("new snapshot: {} (read it, commit it)", path.display());
                    checked.written.push(path.clone());
                }
            }
        }
        let snapshot = format!("{}@{name}", kind.prefix());
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let mut settings = insta::Settings::clone_current();
            settings.set_snapshot_path(dir);
            settings.set_prepend_module_to_snapshot(false);
            settings.set_omit_expression(true);
            settings.bind(|| insta::assert_snapshot!(snapshot.clone(), text));
        }));
        if outcome.is_err() {
            checked.failures.push(format!(
                "stack `{name}`: {} does not match (see the diff above; review with `cargo insta \
                 review`)",
                path.display()
            ));
        }
    }
    checked
}

/// Writes a snapshot file in insta's format through a temporary sibling, so that two tests
/// writing the same new snapshot at once never leave a torn file.
fn write_new(path: &Path, text: &str) {
    let temporary = path.with_extension(format!("snap.{}.tmp", std::process::id()));
    let contents = format!("---\nsource: tests/support/snapshots.rs\n---\n{text}");
    std::fs::write(&temporary, contents)
        .and_then(|()| std::fs::rename(&temporary, path))
        .unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
}

/// Snapshot files in `dir` of a stack that `registry` does not have (left behind by a removed
/// or renamed stack).
pub fn orphans(registry: &Registry, dir: &Path) -> Vec<String> {
    let mut orphans = Vec::new();
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()));
    for entry in entries {
        let file_name = entry.expect("directory entry").file_name();
        let file_name = file_name.to_string_lossy();
        let Some(stem) = file_name.strip_suffix(".snap") else {
            continue;
        };
        let stack = Kind::ALL
            .iter()
            .find_map(|kind| stem.strip_prefix(&format!("{}@", kind.prefix())));
        match stack {
            Some(stack) if registry.get(stack).is_some() => {}
            _ => orphans.push(dir.join(&*file_name).display().to_string()),
        }
    }
    orphans.sort();
    orphans
}
