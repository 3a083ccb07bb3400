//! `ecsynth graph`: grouped per service with what the stack has once in a group of its own,
//! filtered to one service with `--service`, and drawn as SVG without a browser. Every
//! registered stack and every service of it, taken from the registry and the model.

mod support;

use ecsynth::graph::{self, Format};
use ecsynth::review::Json;
use support::run;

fn document(registry: &ecsynth::registry::Registry, name: &str) -> Json {
    Json::parse(&support::main_tf_json(registry, name)).expect("synth writes JSON")
}

/// The blocks of the document, as `type.label` / `data.type.label`.
fn addresses(document: &Json) -> Vec<String> {
    let mut found = Vec::new();
    for (top, prefix) in [("resource", ""), ("data", "data.")] {
        for (kind, blocks) in document
            .get(top)
            .and_then(Json::as_object)
            .into_iter()
            .flatten()
        {
            for label in blocks.as_object().into_iter().flatten().map(|(l, _)| l) {
                found.push(format!("{prefix}{kind}.{label}"));
            }
        }
    }
    found
}

/// The Mermaid node id of a block.
fn id(address: &str) -> String {
    address
        .replace('.', "__")
        .replace(|c: char| !(c.is_ascii_alphanumeric() || c == '_'), "_")
}

/// `(group title, node ids)` of a Mermaid graph, in order.
fn groups(mermaid: &str) -> Vec<(String, Vec<String>)> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for line in mermaid.lines() {
        if let Some(rest) = line.strip_prefix("  subgraph ") {
            let title = rest
                .split_once("[\"")
                .expect("titled")
                .1
                .trim_end_matches("\"]");
            groups.push((title.to_owned(), Vec::new()));
        } else if let Some(node) = line.strip_prefix("    ") {
            let node_id = node.split_once('[').expect("a node").0;
            groups
                .last_mut()
                .expect("in a group")
                .1
                .push(node_id.to_owned());
        }
    }
    groups
}

/// Every block is drawn exactly once; the shared group comes first; each service of the model
/// has a group holding its `aws_ecs_service` and its task definition.
#[test]
fn every_block_is_in_one_group_and_every_service_has_its_own() {
    let registry = stacks::registry();
    for name in registry.names() {
        let stack = registry.get(name).expect("registered")();
        let document = document(&registry, name);
        let mermaid = graph::render(&document, Format::Mermaid);
        let groups = groups(&mermaid);
        let mut drawn: Vec<&String> = groups.iter().flat_map(|(_, ids)| ids).collect();
        let mut expected: Vec<String> = addresses(&document).iter().map(|a| id(a)).collect();
        drawn.sort();
        expected.sort();
        assert_eq!(drawn, expected.iter().collect::<Vec<_>>(), "stack `{name}`");
        assert_eq!(
            groups[0].0, "shared: cluster, capacity, load balancers",
            "{name}"
        );
        let services = document
            .get("resource")
            .and_then(|r| r.get("aws_ecs_service"))
            .and_then(Json::as_object)
            .expect("services");
        for service in stack.services() {
            let (label, block) = services
                .iter()
                .find(|(_, block)| block.get("name").and_then(Json::as_str) == Some(&service.name))
                .unwrap_or_else(|| panic!("{name}: no aws_ecs_service named {}", service.name));
            let task_definition = block
                .get("task_definition")
                .and_then(Json::as_str)
                .and_then(|reference| reference.strip_prefix("${"))
                .and_then(|reference| reference.strip_suffix(".arn}"))
                .expect("a task definition reference");
            let (_, members) = groups
                .iter()
                .find(|(title, _)| *title == format!("service {}", service.name))
                .unwrap_or_else(|| panic!("{name}: no group for {}", service.name));
            for member in [
                format!("aws_ecs_service.{label}"),
                task_definition.to_owned(),
            ] {
                assert!(
                    members.contains(&id(&member)),
                    "{name}: {member} in {members:?}"
                );
            }
        }
    }
}

/// `--service NAME` shows that service's group and shared blocks only, never another
/// service's group; the output is what the library renders.
#[test]
fn the_graph_of_one_service_leaves_the_others_out() {
    let registry = stacks::registry();
    for name in registry.names() {
        let stack = registry.get(name).expect("registered")();
        let document = document(&registry, name);
        for service in stack.services() {
            let (code, stdout, stderr) =
                run(&registry, &["graph", name, "--service", &service.name]);
            assert_eq!((code, stderr.as_str()), (0, ""), "{name} {}", service.name);
            assert_eq!(
                Ok(stdout.clone()),
                graph::render_service(&document, Format::Mermaid, Some(&service.name)),
            );
            let titles: Vec<String> = groups(&stdout).into_iter().map(|(t, _)| t).collect();
            let own = format!("service {}", service.name);
            assert!(titles.contains(&own), "{name}: {titles:?}");
            assert!(
                titles.iter().all(|t| *t == own || t.starts_with("shared")),
                "{name} {}: {titles:?}",
                service.name
            );
        }
    }
}

#[test]
fn an_unknown_service_is_refused_listing_the_services() {
    let registry = stacks::registry();
    let name = registry
        .names()
        .find(|name| registry.get(name).expect("registered")().services().len() > 1)
        .expect("a stack with two services");
    let stack = registry.get(name).expect("registered")();
    let known: Vec<&str> = stack.services().iter().map(|s| s.name.as_str()).collect();
    let typo = format!("{}x", known[0]);
    let (code, stdout, stderr) = run(&registry, &["graph", name, "--service", &typo]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr,
        format!(
            "error: stack `{name}` has no service `{typo}`; did you mean `{}`? its services: {}\n",
            known[0],
            known.join(", ")
        )
    );
}

/// The SVG of every stack: one box per block, one path per arrow, the same bytes on every
/// run, and well-formed XML (read back by Python's parser, as any SVG viewer would).
#[test]
fn every_stack_draws_as_svg_without_a_browser() {
    let registry = stacks::registry();
    for name in registry.names() {
        let (code, svg, stderr) = run(&registry, &["graph", name, "--format", "svg"]);
        assert_eq!((code, stderr.as_str()), (0, ""), "{name}");
        let document = document(&registry, name);
        assert_eq!(svg, graph::render(&document, Format::Svg), "{name}");
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            "{name}"
        );
        assert_eq!(
            svg.matches("<rect class=\"node\"").count(),
            addresses(&document).len(),
            "{name}"
        );
        let mermaid = graph::render(&document, Format::Mermaid);
        let arrows = mermaid
            .lines()
            .filter(|l| l.contains("-->") || l.contains("-.->"));
        assert_eq!(
            svg.matches("<path class=\"edge\"").count(),
            arrows.count(),
            "{name}"
        );
        let boxes = rects(&svg, "node");
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                let apart = a[0] + a[2] <= b[0]
                    || b[0] + b[2] <= a[0]
                    || a[1] + a[3] <= b[1]
                    || b[1] + b[3] <= a[1];
                assert!(apart, "{name}: boxes {a:?} and {b:?} overlap");
            }
        }
        let parsed = std::process::Command::new("python3")
            .args([
                "-c",
                "import sys, xml.dom.minidom as m; d = m.parseString(sys.stdin.read()); \
                 print(d.documentElement.tagName)",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child
                    .stdin
                    .take()
                    .expect("stdin")
                    .write_all(svg.as_bytes())?;
                child.wait_with_output()
            })
            .expect("python3 runs");
        assert_eq!(
            String::from_utf8_lossy(&parsed.stdout),
            "svg\n",
            "{name}: {}",
            String::from_utf8_lossy(&parsed.stderr)
        );
    }
}

/// `[x, y, width, height]` of every `<rect class="{class}" …>` of an SVG.
fn rects(svg: &str, class: &str) -> Vec<[i64; 4]> {
    svg.lines()
        .filter(|line| line.starts_with(&format!("<rect class=\"{class}\"")))
        .map(|line| {
            let number = |attribute: &str| -> i64 {
                let start =
                    line.find(&format!(" {attribute}=\"")).expect(attribute) + attribute.len() + 3;
                let end = start + line[start..].find('"').expect("closing quote");
                line[start..end].parse().expect("a number")
            };
            [number("x"), number("y"), number("width"), number("height")]
        })
        .collect()
}
