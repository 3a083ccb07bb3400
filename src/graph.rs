//! `ecsynth graph`: what a stack creates and how traffic and control flow between the resources,
//! as a Mermaid flowchart (renders in pull requests as is) or a Graphviz `dot` graph.
//!
//! Built from the Terraform JSON synth writes, not from the model, so it knows no resource type:
//! every `resource` (and `data`) block is a node labelled `type.name`; every `${type.name.attr}`
//! reference inside a block is an arrow from the block to what it references, labelled with the
//! referring attribute; `depends_on` entries are dotted arrows. A few references name where
//! traffic comes *from* (a listener's `load_balancer_arn`, a service's
//! `load_balancer.target_group_arn`); those arrows are turned round so that the picture reads
//! load balancer → listener → target group → service → task definition. A block with
//! `lifecycle.ignore_changes` is drawn dashed and lists what is owned outside Terraform, by the
//! owner the ownership rules give for the block's type and attribute
//! ([`review::ignored_after_creation`]).
//!
//! The title names the providers the document requires and the major it is written for
//! (`hashicorp/aws 6.x (>= 6.5, < 7.0)`). Nodes keep document order and arrows are sorted, so
//! the output is the same on every run.

use std::fmt::Write as _;

use crate::review::{self, Json};
use crate::tf::schema::interpolated_traversals;

/// Output syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Mermaid,
    Dot,
}

/// Attribute paths (object keys joined by `.`, list positions left out) whose reference names
/// the resource that sends traffic to the referring one; their arrows point the other way.
const TRAFFIC_FROM_REFERENCED: &[&str] = &[
    "load_balancer_arn",
    "listener_arn",
    "load_balancer.target_group_arn",
];

/// A block of the document.
struct Node {
    /// `type.name`, or `data.type.name`.
    address: String,
    /// `(owner, attributes)` in order of first appearance; owner `None` when no ownership rule
    /// names the attribute.
    owned: Vec<(Option<String>, Vec<String>)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum EdgeKind {
    Reference,
    DependsOn,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    from: usize,
    to: usize,
    kind: EdgeKind,
    /// Referring attributes, in order of first appearance.
    labels: Vec<String>,
}

/// The stack's graph in `format`, from a parsed `main.tf.json`.
/// Titled with the providers the document requires and their major
/// ([`review::required_providers`]): which provider the picture holds for.
pub fn render(document: &Json, format: Format) -> String {
    let nodes = nodes(document);
    let edges = edges(document, &nodes);
    let title = review::required_providers(document).join("; ");
    match format {
        Format::Mermaid => mermaid(&title, &nodes, &edges),
        Format::Dot => dot(&title, &nodes, &edges),
    }
}

/// `(address, block)` of every resource and data block, in document order.
fn blocks(document: &Json) -> Vec<(String, &Json)> {
    let mut found = Vec::new();
    for (top, prefix) in [("resource", ""), ("data", "data.")] {
        let Some(types) = document.get(top).and_then(Json::as_object) else {
            continue;
        };
        for (kind, blocks) in types {
            for (name, block) in blocks.as_object().into_iter().flatten() {
                found.push((format!("{prefix}{kind}.{name}"), block));
            }
        }
    }
    found
}

fn nodes(document: &Json) -> Vec<Node> {
    blocks(document)
        .into_iter()
        .map(|(address, block)| Node {
            owned: owned(&address, block),
            address,
        })
        .collect()
}

/// The block's `ignore_changes`, grouped by the owner the ownership rules give for the block's
/// resource type and each attribute (owners joined by `or` when rules of several name it).
fn owned(address: &str, block: &Json) -> Vec<(Option<String>, Vec<String>)> {
    let mut groups: Vec<(Option<String>, Vec<String>)> = Vec::new();
    for (attribute, owners) in review::ignored_after_creation(address, block) {
        let owner = (!owners.is_empty()).then(|| owners.join(" or "));
        match groups.iter_mut().find(|(known, _)| *known == owner) {
            Some((_, attributes)) => attributes.push(attribute),
            None => groups.push((owner, vec![attribute])),
        }
    }
    groups
}

fn edges(document: &Json, nodes: &[Node]) -> Vec<Edge> {
    let index_of = |address: &str| nodes.iter().position(|node| node.address == address);
    let mut edges: Vec<Edge> = Vec::new();
    let mut add = |from: usize, to: usize, kind: EdgeKind, label: &str| {
        if from == to {
            return;
        }
        match edges
            .iter_mut()
            .find(|edge| (edge.from, edge.to, edge.kind) == (from, to, kind))
        {
            Some(edge) if edge.labels.iter().any(|known| known == label) => {}
            Some(edge) => edge.labels.push(label.to_owned()),
            None => edges.push(Edge {
                from,
                to,
                kind,
                labels: vec![label.to_owned()],
            }),
        }
    };
    for (from, (_, block)) in blocks(document).into_iter().enumerate() {
        let Some(attributes) = block.as_object() else {
            continue;
        };
        for (attribute, value) in attributes {
            match attribute.as_str() {
                "//" | "lifecycle" => {}
                "depends_on" => {
                    let Json::Array(dependencies) = value else {
                        continue;
                    };
                    for dependency in dependencies.iter().filter_map(Json::as_str) {
                        if let Some(to) = index_of(dependency) {
                            add(from, to, EdgeKind::DependsOn, "depends_on");
                        }
                    }
                }
                _ => {
                    let mut found = Vec::new();
                    references(value, attribute, &mut found);
                    for (path, address) in found {
                        let Some(to) = index_of(&address) else {
                            continue;
                        };
                        if TRAFFIC_FROM_REFERENCED.contains(&path.as_str()) {
                            add(to, from, EdgeKind::Reference, attribute);
                        } else {
                            add(from, to, EdgeKind::Reference, attribute);
                        }
                    }
                }
            }
        }
    }
    edges.sort();
    edges
}

/// Every `(attribute path, referenced address)` in `value`, whose path is `path`.
fn references(value: &Json, path: &str, found: &mut Vec<(String, String)>) {
    match value {
        Json::String(text) => {
            for traversal in interpolated_traversals(text) {
                found.push((path.to_owned(), traversal.address));
            }
        }
        Json::Array(items) => {
            for item in items {
                references(item, path, found);
            }
        }
        Json::Object(object) => {
            for (key, value) in object {
                references(value, &format!("{path}.{key}"), found);
            }
        }
        Json::Null | Json::Bool(_) | Json::Number(_) => {}
    }
}

const LEGEND: &str = "arrows: references, in the direction traffic and control flow; dotted: \
                      depends_on; dashed boxes: attributes owned outside Terraform \
                      (lifecycle.ignore_changes)";

fn owned_lines(node: &Node) -> Vec<String> {
    node.owned
        .iter()
        .map(|(owner, attributes)| match owner {
            Some(owner) => format!("{owner} owns {}", attributes.join(", ")),
            None => format!("ignore_changes {}", attributes.join(", ")),
        })
        .collect()
}

fn mermaid(title: &str, nodes: &[Node], edges: &[Edge]) -> String {
    let id = |node: &Node| {
        node.address
            .replace('.', "__")
            .replace(|c: char| !(c.is_ascii_alphanumeric() || c == '_'), "_")
    };
    let escape = |text: &str| text.replace('"', "#quot;");
    // Mermaid takes a title only from its YAML front matter; a quoted scalar holds any text.
    let mut out = if title.is_empty() {
        String::new()
    } else {
        let quoted = title.replace('\\', "\\\\").replace('"', "\\\"");
        format!("---\ntitle: \"{quoted}\"\n---\n")
    };
    let _ = write!(out, "flowchart LR\n  %% {LEGEND}\n");
    for node in nodes {
        let mut label = escape(&node.address);
        for line in owned_lines(node) {
            let _ = write!(label, "<br/>{}", escape(&line));
        }
        let _ = writeln!(out, "  {}[\"{label}\"]", id(node));
    }
    for edge in edges {
        let arrow = match edge.kind {
            EdgeKind::Reference => "-->",
            EdgeKind::DependsOn => "-.->",
        };
        let _ = writeln!(
            out,
            "  {} {arrow}|{}| {}",
            id(&nodes[edge.from]),
            escape(&edge.labels.join(", ")),
            id(&nodes[edge.to])
        );
    }
    let owned: Vec<String> = nodes
        .iter()
        .filter(|node| !node.owned.is_empty())
        .map(id)
        .collect();
    if !owned.is_empty() {
        out.push_str("  classDef owned stroke-dasharray: 6 4\n");
        let _ = writeln!(out, "  class {} owned", owned.join(","));
    }
    out
}

fn dot(title: &str, nodes: &[Node], edges: &[Edge]) -> String {
    let escape = |text: &str| text.replace('\\', "\\\\").replace('"', "\\\"");
    let quote = |text: &str| format!("\"{}\"", escape(text));
    let mut out = format!(
        "// {LEGEND}\ndigraph stack {{\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n  \
         edge [fontname=\"Helvetica\", fontsize=10];\n"
    );
    if !title.is_empty() {
        let _ = writeln!(out, "  labelloc=t;\n  label={};", quote(title));
    }
    for node in nodes {
        let lines = owned_lines(node);
        if lines.is_empty() {
            let _ = writeln!(out, "  {};", quote(&node.address));
        } else {
            let label = std::iter::once(node.address.clone())
                .chain(lines)
                .map(|line| escape(&line))
                .collect::<Vec<_>>()
                .join("\\n");
            let _ = writeln!(
                out,
                "  {} [label=\"{label}\", style=dashed];",
                quote(&node.address)
            );
        }
    }
    for edge in edges {
        let style = match edge.kind {
            EdgeKind::Reference => "",
            EdgeKind::DependsOn => ", style=dotted",
        };
        let _ = writeln!(
            out,
            "  {} -> {} [label={}{style}];",
            quote(&nodes[edge.from].address),
            quote(&nodes[edge.to].address),
            quote(&edge.labels.join(", "))
        );
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> Json {
        Json::parse(
            r#"{
              "resource": {
                "aws_lb": {"web": {"name": "x"}},
                "aws_lb_listener": {"web_prod": {
                  "load_balancer_arn": "${aws_lb.web.arn}",
                  "default_action": [{"target_group_arn": "${aws_lb_target_group.blue.arn}"}],
                  "//": "default_action — Someone else: the comment is not read.",
                  "lifecycle": {"ignore_changes": ["default_action", "tags"]}
                }},
                "aws_lb_target_group": {"blue": {"name": "$${not.a_reference}", "vpc_id": "${var.vpc_id}"}},
                "aws_ecs_service": {"web": {
                  "load_balancer": [{"target_group_arn": "${aws_lb_target_group.blue.arn}"}],
                  "task_definition": "${aws_ecs_task_definition.web.arn}",
                  "depends_on": ["aws_lb_listener.web_prod"]
                }},
                "aws_ecs_task_definition": {"web": {"family": "${format(\"%s\", aws_lb.web.name)}"}}
              },
              "output": {"dns": {"value": "${aws_lb.web.dns_name}"}}
            }"#
            .as_bytes(),
        )
        .expect("JSON")
    }

    #[test]
    fn mermaid_follows_traffic_and_marks_owned_attributes() {
        assert_eq!(
            render(&document(), Format::Mermaid),
            format!(
                "flowchart LR
  %% {LEGEND}
  aws_lb__web[\"aws_lb.web\"]
  aws_lb_listener__web_prod[\"aws_lb_listener.web_prod<br/>CodeDeploy owns default_action<br/>ignore_changes tags\"]
  aws_lb_target_group__blue[\"aws_lb_target_group.blue\"]
  aws_ecs_service__web[\"aws_ecs_service.web\"]
  aws_ecs_task_definition__web[\"aws_ecs_task_definition.web\"]
  aws_lb__web -->|load_balancer_arn| aws_lb_listener__web_prod
  aws_lb_listener__web_prod -->|default_action| aws_lb_target_group__blue
  aws_lb_target_group__blue -->|load_balancer| aws_ecs_service__web
  aws_ecs_service__web -.->|depends_on| aws_lb_listener__web_prod
  aws_ecs_service__web -->|task_definition| aws_ecs_task_definition__web
  aws_ecs_task_definition__web -->|family| aws_lb__web
  classDef owned stroke-dasharray: 6 4
  class aws_lb_listener__web_prod owned
"
            )
        );
    }

    #[test]
    fn dot_has_the_same_nodes_and_arrows() {
        let dot = render(&document(), Format::Dot);
        assert!(dot.starts_with(&format!("// {LEGEND}\ndigraph stack {{\n")));
        assert!(dot.contains(
            "  \"aws_lb_listener.web_prod\" [label=\"aws_lb_listener.web_prod\\nCodeDeploy owns \
             default_action\\nignore_changes tags\", style=dashed];\n"
        ));
        assert!(dot.contains(
            "  \"aws_ecs_service.web\" -> \"aws_lb_listener.web_prod\" [label=\"depends_on\", \
             style=dotted];\n"
        ));
        assert_eq!(dot.matches(" -> ").count(), 6);
        assert!(dot.ends_with("}\n"));
    }

    /// The title names the provider major the document is written for, read from its
    /// `required_providers`; text that would end the quoted title is escaped.
    #[test]
    fn the_title_names_the_required_providers_and_their_major() {
        let document = Json::parse(
            br#"{"terraform": {"required_providers": {
                "aws": {"source": "hashicorp/aws", "version": ">= 6.5, < 7.0"},
                "odd": {"source": "x/\"quoted\"", "version": ">= 1"}
            }}}"#,
        )
        .expect("JSON");
        assert_eq!(
            render(&document, Format::Mermaid),
            format!(
                "---\ntitle: \"hashicorp/aws 6.x (>= 6.5, < 7.0); x/\\\"quoted\\\" (>= 1)\"\n---\n\
                 flowchart LR\n  %% {LEGEND}\n"
            )
        );
        assert!(render(&document, Format::Dot).contains(
            "  labelloc=t;\n  label=\"hashicorp/aws 6.x (>= 6.5, < 7.0); x/\\\"quoted\\\" (>= 1)\";\n"
        ));
    }
}
