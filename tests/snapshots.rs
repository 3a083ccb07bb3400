//! Snapshots of every registered stack, stored under the top-level `snapshots/` for review in
//! pull requests (`cargo insta review`): `synth@<stack>.snap`, the `main.tf.json` synth writes
//! in review form (strings that are JSON text expanded, multi-line strings split into lines),
//! and `graph@<stack>.snap`, the Mermaid graph of `ecsynth graph <stack>`.
//!
//! The stacks come from the registry, so a new stack needs no edit here: outside CI its first
//! run writes `synth@<stack>.snap` and `graph@<stack>.snap` (and passes); in CI a stack without
//! them fails (`support::snapshots::Missing`). Every stack is compared before a test fails, so
//! one broken stack does not hide another.

mod support;

use ecsynth::review::{self, Json};
use support::snapshots::{self, Kind, Missing};

fn assert_snapshots(kind: Kind) {
    let checked = snapshots::check(
        &stacks::registry(),
        &snapshots::repository_dir(),
        kind,
        Missing::from_env(),
    );
    assert!(
        checked.failures.is_empty(),
        "{} of the registered stacks do not match their snapshot:\n{}",
        checked.failures.len(),
        checked.failures.join("\n")
    );
}

#[test]
fn every_registered_stack_matches_its_synth_snapshot() {
    assert_snapshots(Kind::Synth);
}

#[test]
fn every_registered_stack_matches_its_graph_snapshot() {
    assert_snapshots(Kind::Graph);
}

#[test]
fn every_snapshot_file_belongs_to_a_registered_stack() {
    let orphans = snapshots::orphans(&stacks::registry(), &snapshots::repository_dir());
    assert!(
        orphans.is_empty(),
        "snapshots of stacks that are not registered (renamed or removed?); delete them:\n{}",
        orphans.join("\n")
    );
}

/// The snapshot differs from the file synth writes only in presentation: collapsing the
/// expanded strings of the committed snapshot gives back the exact bytes of `main.tf.json`.
/// A stack without a snapshot is left to `every_registered_stack_matches_its_synth_snapshot`,
/// which writes it or reports it.
#[test]
fn synth_snapshots_collapse_to_exactly_the_bytes_synth_writes() {
    let registry = stacks::registry();
    for name in registry.names() {
        let path = Kind::Synth.path(&snapshots::repository_dir(), name);
        let committed = match std::fs::read_to_string(&path) {
            Ok(committed) => committed,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => panic!("cannot read {}: {error}", path.display()),
        };
        // insta's header is `---`, metadata lines, `---`; the snapshot follows.
        let body = committed
            .splitn(3, "---\n")
            .nth(2)
            .unwrap_or_else(|| panic!("{} has no insta header", path.display()));
        let expanded = Json::parse(body.as_bytes())
            .unwrap_or_else(|error| panic!("{} is not JSON: {error}", path.display()));
        let written = String::from_utf8(support::main_tf_json(&registry, name)).expect("UTF-8");
        assert!(
            review::collapse(&expanded).to_pretty() == written,
            "stack `{name}`: {} collapsed is not what synth writes",
            path.display()
        );
    }
}

/// Every `container_definitions` is shown line by line in the review form.
#[test]
fn container_definitions_are_expanded_for_review() {
    let registry = stacks::registry();
    let mut seen = 0;
    for name in registry.names() {
        let review = Json::parse(Kind::Synth.render(&registry, name).as_bytes()).expect("JSON");
        let resources = review.get("resource").and_then(Json::as_object);
        for blocks in resources.into_iter().flat_map(|types| types.values()) {
            for (label, block) in blocks.as_object().into_iter().flatten() {
                if let Some(definitions) = block.get("container_definitions") {
                    assert!(
                        matches!(definitions.get(review::JSON_TEXT), Some(Json::Array(_))),
                        "stack `{name}`, `{label}`: container_definitions not expanded"
                    );
                    seen += 1;
                }
            }
        }
    }
    assert!(seen > 0, "no container_definitions in any registered stack");
}
