//! Snapshots of every registered stack, one file per stack and kind (`synth@prod.snap`,
//! `graph@prod.snap`), checked all at once: a mismatch in one stack does not hide the others.

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
}

/// The repository's `snapshots/`.
pub fn repository_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots")
}

/// Compares the `kind` snapshot of every stack in `registry` with its file in `dir`, through
/// insta (so a mismatch leaves `<name>.snap.new` for `cargo insta review`). Returns one line per
/// stack that does not match, after trying them all.
pub fn failures(registry: &Registry, dir: &Path, kind: Kind) -> Vec<String> {
    let mut failures = Vec::new();
    for name in registry.names() {
        let snapshot = format!("{}@{name}", kind.prefix());
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let text = kind.render(registry, name);
            let mut settings = insta::Settings::clone_current();
            settings.set_snapshot_path(dir);
            settings.set_prepend_module_to_snapshot(false);
            settings.set_omit_expression(true);
            settings.bind(|| insta::assert_snapshot!(snapshot.clone(), text));
        }));
        if outcome.is_err() {
            failures.push(format!(
                "stack `{name}`: {} does not match (see the diff above; review with `cargo insta \
                 review`)",
                dir.join(format!("{snapshot}.snap")).display()
            ));
        }
    }
    failures
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
