//! `ecsynth graph`: what a stack creates and how traffic and control flow between the resources,
//! as a Mermaid flowchart (renders in pull requests as is), a Graphviz `dot` graph, or an SVG
//! picture laid out here ([`svg`]), grouped per service with what the stack has once (cluster,
//! capacity, load balancers) in a group of its own ([`groups`]), or for one service only.
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
//! (`hashicorp/aws 6.x (>= 6.5, < 7.0)`). Nodes keep document order within their group and
//! arrows are sorted, so the output is the same on every run.

mod groups;
mod svg;

use std::fmt::Write as _;

use crate::review::{self, Json};
use crate::tf::schema::interpolated_traversals;
use groups::Group;

/// Output syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Mermaid,
    Dot,
    /// A picture, laid out here: no browser, no Graphviz, no network.
    Svg,
}

/// `--service NAME` names no service of the stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownService {
    pub name: String,
    /// The stack's services, in document order.
    pub known: Vec<String>,
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
    /// Its literal `name` argument, else its label: how a service is named.
    name: String,
    /// `(owner, attributes)` in order of first appearance; owner `None` when no ownership rule
    /// names the attribute.
    owned: Vec<(Option<String>, Vec<String>)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum EdgeKind {
    Reference,
    DependsOn,
}

/// One reference (or `depends_on` entry) as the document has it: from the referring block to
/// the referenced one.
struct Link {
    referrer: usize,
    referenced: usize,
    kind: EdgeKind,
    /// The referring attribute.
    attribute: String,
    /// The reference names where traffic comes from: drawn the other way.
    traffic_from: bool,
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
    render_service(document, format, None).unwrap_or_default()
}

/// As [`render`]; with `service`, only that service's blocks and the shared blocks they use,
/// directly or through other shared blocks.
pub fn render_service(
    document: &Json,
    format: Format,
    service: Option<&str>,
) -> Result<String, UnknownService> {
    let nodes = nodes(document);
    let links = links(document, &nodes);
    let grouping = groups::group(&nodes, &links);
    let shown = match service {
        None => vec![true; nodes.len()],
        Some(name) => shown_for(&grouping, &links, name).ok_or_else(|| UnknownService {
            name: name.to_owned(),
            known: grouping
                .services
                .iter()
                .map(|(name, _)| name.clone())
                .collect(),
        })?,
    };
    let edges: Vec<Edge> = edges(&links)
        .into_iter()
        .filter(|edge| shown[edge.from] && shown[edge.to])
        .collect();
    let mut clusters = Vec::new();
    let shared: Vec<usize> = (0..nodes.len())
        .filter(|&n| shown[n] && grouping.of[n] == Group::Shared)
        .collect();
    if !shared.is_empty() {
        clusters.push(Cluster {
            id: "group_shared".to_owned(),
            title: "shared: cluster, capacity, load balancers".to_owned(),
            nodes: shared,
        });
    }
    for (index, (name, _)) in grouping.services.iter().enumerate() {
        let members: Vec<usize> = (0..nodes.len())
            .filter(|&n| shown[n] && grouping.of[n] == Group::Service(index))
            .collect();
        if !members.is_empty() {
            clusters.push(Cluster {
                id: format!("group_{}", identifier(name)),
                title: format!("service {name}"),
                nodes: members,
            });
        }
    }
    let title = review::required_providers(document).join("; ");
    let graph = Graph {
        title: &title,
        nodes: &nodes,
        clusters: &clusters,
        edges: &edges,
    };
    Ok(match format {
        Format::Mermaid => mermaid(&graph),
        Format::Dot => dot(&graph),
        Format::Svg => svg::render(&graph),
    })
}

/// The blocks shown for service `name`: its own, the shared blocks next to them, and the
/// shared blocks those reference, transitively. `None` when there is no such service.
fn shown_for(grouping: &groups::Grouping, links: &[Link], name: &str) -> Option<Vec<bool>> {
    let service = grouping
        .services
        .iter()
        .position(|(known, _)| known == name)?;
    let mine = |n: usize| grouping.of[n] == Group::Service(service);
    let mut shown: Vec<bool> = (0..grouping.of.len()).map(mine).collect();
    let mut stack = Vec::new();
    for link in links {
        for (here, there) in [
            (link.referrer, link.referenced),
            (link.referenced, link.referrer),
        ] {
            if mine(here) && !shown[there] && grouping.of[there] == Group::Shared {
                shown[there] = true;
                stack.push(there);
            }
        }
    }
    while let Some(node) = stack.pop() {
        for link in links.iter().filter(|link| link.referrer == node) {
            let next = link.referenced;
            if link.kind == EdgeKind::Reference
                && !shown[next]
                && grouping.of[next] == Group::Shared
            {
                shown[next] = true;
                stack.push(next);
            }
        }
    }
    Some(shown)
}

/// A group of nodes drawn together.
struct Cluster {
    /// An identifier for Mermaid and dot.
    id: String,
    title: String,
    /// In document order.
    nodes: Vec<usize>,
}

/// What a renderer draws: every node of a cluster, and the edges between them.
struct Graph<'a> {
    /// The providers the document requires ([`review::required_providers`]); may be empty.
    title: &'a str,
    nodes: &'a [Node],
    clusters: &'a [Cluster],
    edges: &'a [Edge],
}

/// `text` with every character outside `[A-Za-z0-9_]` as `_`.
fn identifier(text: &str) -> String {
    text.replace(|c: char| !(c.is_ascii_alphanumeric() || c == '_'), "_")
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
            name: block
                .get("name")
                .and_then(Json::as_str)
                .filter(|name| !name.contains("${"))
                .map_or_else(
                    || address.rsplit('.').next().unwrap_or_default().to_owned(),
                    str::to_owned,
                ),
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

/// Every reference and `depends_on` entry between two blocks, in document order.
fn links(document: &Json, nodes: &[Node]) -> Vec<Link> {
    let index: std::collections::HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(n, node)| (node.address.as_str(), n))
        .collect();
    let mut links = Vec::new();
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
                        if let Some(&to) = index.get(dependency) {
                            links.push(Link {
                                referrer: from,
                                referenced: to,
                                kind: EdgeKind::DependsOn,
                                attribute: "depends_on".to_owned(),
                                traffic_from: false,
                            });
                        }
                    }
                }
                _ => {
                    let mut found = Vec::new();
                    references(value, attribute, &mut found);
                    for (path, address) in found {
                        let Some(&to) = index.get(address.as_str()) else {
                            continue;
                        };
                        links.push(Link {
                            referrer: from,
                            referenced: to,
                            kind: EdgeKind::Reference,
                            attribute: attribute.clone(),
                            traffic_from: TRAFFIC_FROM_REFERENCED.contains(&path.as_str()),
                        });
                    }
                }
            }
        }
    }
    links.retain(|link| link.referrer != link.referenced);
    links
}

/// The arrows: one per pair of blocks and kind, in the direction traffic and control flow,
/// labelled with the referring attributes; sorted.
fn edges(links: &[Link]) -> Vec<Edge> {
    let mut edges: Vec<Edge> = Vec::new();
    for link in links {
        let (from, to) = if link.traffic_from {
            (link.referenced, link.referrer)
        } else {
            (link.referrer, link.referenced)
        };
        let label = &link.attribute;
        match edges
            .iter_mut()
            .find(|edge| (edge.from, edge.to, edge.kind) == (from, to, link.kind))
        {
            Some(edge) if edge.labels.iter().any(|known| known == label) => {}
            Some(edge) => edge.labels.push(label.clone()),
            None => edges.push(Edge {
                from,
                to,
                kind: link.kind,
                labels: vec![label.clone()],
            }),
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

fn mermaid(graph: &Graph<'_>) -> String {
    let id = |node: &Node| identifier(&node.address.replace('.', "__"));
    let escape = |text: &str| text.replace('"', "#quot;");
    // Mermaid takes a title only from its YAML front matter; a quoted scalar holds any text.
    let mut out = if graph.title.is_empty() {
        String::new()
    } else {
        let quoted = graph.title.replace('\\', "\\\\").replace('"', "\\\"");
        format!("---\ntitle: \"{quoted}\"\n---\n")
    };
    let _ = write!(out, "flowchart LR\n  %% {LEGEND}\n");
    for cluster in graph.clusters {
        let _ = writeln!(
            out,
            "  subgraph {}[\"{}\"]",
            cluster.id,
            escape(&cluster.title)
        );
        for &n in &cluster.nodes {
            let node = &graph.nodes[n];
            let mut label = escape(&node.address);
            for line in owned_lines(node) {
                let _ = write!(label, "<br/>{}", escape(&line));
            }
            let _ = writeln!(out, "    {}[\"{label}\"]", id(node));
        }
        out.push_str("  end\n");
    }
    for edge in graph.edges {
        let arrow = match edge.kind {
            EdgeKind::Reference => "-->",
            EdgeKind::DependsOn => "-.->",
        };
        let _ = writeln!(
            out,
            "  {} {arrow}|{}| {}",
            id(&graph.nodes[edge.from]),
            escape(&edge.labels.join(", ")),
            id(&graph.nodes[edge.to])
        );
    }
    let owned: Vec<String> = graph
        .clusters
        .iter()
        .flat_map(|cluster| &cluster.nodes)
        .map(|&n| &graph.nodes[n])
        .filter(|node| !node.owned.is_empty())
        .map(id)
        .collect();
    if !owned.is_empty() {
        out.push_str("  classDef owned stroke-dasharray: 6 4\n");
        let _ = writeln!(out, "  class {} owned", owned.join(","));
    }
    out
}

fn dot(graph: &Graph<'_>) -> String {
    let escape = |text: &str| text.replace('\\', "\\\\").replace('"', "\\\"");
    let quote = |text: &str| format!("\"{}\"", escape(text));
    let mut out = format!(
        "// {LEGEND}\ndigraph stack {{\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n  \
         edge [fontname=\"Helvetica\", fontsize=10];\n"
    );
    if !graph.title.is_empty() {
        let _ = writeln!(out, "  labelloc=t;\n  label={};", quote(graph.title));
    }
    for cluster in graph.clusters {
        let _ = writeln!(
            out,
            "  subgraph {} {{\n    label={};\n    style=rounded;",
            quote(&format!("cluster_{}", cluster.id)),
            quote(&cluster.title)
        );
        for &n in &cluster.nodes {
            let node = &graph.nodes[n];
            let lines = owned_lines(node);
            if lines.is_empty() {
                let _ = writeln!(out, "    {};", quote(&node.address));
            } else {
                let label = std::iter::once(node.address.clone())
                    .chain(lines)
                    .map(|line| escape(&line))
                    .collect::<Vec<_>>()
                    .join("\\n");
                let _ = writeln!(
                    out,
                    "    {} [label=\"{label}\", style=dashed];",
                    quote(&node.address)
                );
            }
        }
        out.push_str("  }\n");
    }
    for edge in graph.edges {
        let style = match edge.kind {
            EdgeKind::Reference => "",
            EdgeKind::DependsOn => ", style=dotted",
        };
        let _ = writeln!(
            out,
            "  {} -> {} [label={}{style}];",
            quote(&graph.nodes[edge.from].address),
            quote(&graph.nodes[edge.to].address),
            quote(&edge.labels.join(", "))
        );
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn document() -> Json {
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
    fn mermaid_follows_traffic_groups_per_service_and_marks_owned_attributes() {
        assert_eq!(
            render(&document(), Format::Mermaid),
            format!(
                "flowchart LR
  %% {LEGEND}
  subgraph group_shared[\"shared: cluster, capacity, load balancers\"]
    aws_lb__web[\"aws_lb.web\"]
  end
  subgraph group_web[\"service web\"]
    aws_lb_listener__web_prod[\"aws_lb_listener.web_prod<br/>CodeDeploy owns default_action<br/>ignore_changes tags\"]
    aws_lb_target_group__blue[\"aws_lb_target_group.blue\"]
    aws_ecs_service__web[\"aws_ecs_service.web\"]
    aws_ecs_task_definition__web[\"aws_ecs_task_definition.web\"]
  end
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

    /// Two services on one load balancer: what each references or is referenced by alone is
    /// its own; the listener both rules use, and what the load balancer references, are
    /// shared; a redirect listener touching only shared blocks is shared.
    #[test]
    fn blocks_of_two_services_are_grouped_apart_and_what_both_use_is_shared() {
        let document = Json::parse(
            br#"{"resource": {
              "aws_ecs_cluster": {"main": {"name": "c"}},
              "aws_security_group": {"lb": {"name": "lb"}},
              "aws_lb": {"edge": {"security_groups": ["${aws_security_group.lb.id}"]}},
              "aws_lb_listener": {
                "prod": {"load_balancer_arn": "${aws_lb.edge.arn}"},
                "redirect": {"load_balancer_arn": "${aws_lb.edge.arn}"}
              },
              "aws_lb_target_group": {
                "a_blue": {"name": "a"}, "a_green": {"name": "ag"}, "b_blue": {"name": "b"}
              },
              "aws_lb_listener_rule": {
                "a": {"listener_arn": "${aws_lb_listener.prod.arn}", "action": [{"target_group_arn": "${aws_lb_target_group.a_blue.arn}"}]},
                "b": {"listener_arn": "${aws_lb_listener.prod.arn}", "action": [{"target_group_arn": "${aws_lb_target_group.b_blue.arn}"}]}
              },
              "aws_ecs_service": {
                "a": {"name": "alpha", "cluster": "${aws_ecs_cluster.main.id}", "load_balancer": [{"target_group_arn": "${aws_lb_target_group.a_blue.arn}"}]},
                "b": {"name": "beta", "cluster": "${aws_ecs_cluster.main.id}", "load_balancer": [{"target_group_arn": "${aws_lb_target_group.b_blue.arn}"}]}
              },
              "aws_codedeploy_deployment_group": {"a": {
                "service": "${aws_ecs_service.a.name}",
                "groups": ["${aws_lb_target_group.a_blue.name}", "${aws_lb_target_group.a_green.name}"],
                "listener": "${aws_lb_listener.prod.arn}"
              }}
            }}"#,
        )
        .expect("JSON");
        let nodes = nodes(&document);
        let grouping = groups::group(&nodes, &links(&document, &nodes));
        let names: Vec<&str> = grouping.services.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["alpha", "beta"]);
        let group_of = |address: &str| {
            let n = nodes
                .iter()
                .position(|node| node.address == address)
                .expect(address);
            match grouping.of[n] {
                Group::Shared => "shared".to_owned(),
                Group::Service(s) => grouping.services[s].0.clone(),
            }
        };
        for (address, group) in [
            ("aws_ecs_cluster.main", "shared"),
            ("aws_security_group.lb", "shared"),
            ("aws_lb.edge", "shared"),
            ("aws_lb_listener.prod", "shared"),
            ("aws_lb_listener.redirect", "shared"),
            ("aws_lb_target_group.a_blue", "alpha"),
            ("aws_lb_target_group.a_green", "alpha"),
            ("aws_lb_target_group.b_blue", "beta"),
            ("aws_lb_listener_rule.a", "alpha"),
            ("aws_lb_listener_rule.b", "beta"),
            ("aws_ecs_service.a", "alpha"),
            ("aws_codedeploy_deployment_group.a", "alpha"),
        ] {
            assert_eq!(group_of(address), group, "{address}");
        }

        // One service: its blocks and the shared ones it uses, not the other service's.
        let beta = render_service(&document, Format::Mermaid, Some("beta")).expect("known");
        for shown in [
            "aws_lb_target_group__b_blue[",
            "aws_lb_listener__prod[",
            "aws_lb__edge[",
            "aws_security_group__lb[",
            "aws_ecs_cluster__main[",
        ] {
            assert!(beta.contains(shown), "{shown}\n{beta}");
        }
        for hidden in ["__a_blue", "__a_green", "aws_ecs_service__a", "__redirect"] {
            assert!(!beta.contains(hidden), "{hidden}\n{beta}");
        }
        assert_eq!(
            render_service(&document, Format::Mermaid, Some("gamma")),
            Err(UnknownService {
                name: "gamma".into(),
                known: vec!["alpha".into(), "beta".into()],
            })
        );
    }

    #[test]
    fn dot_has_the_same_nodes_and_arrows() {
        let dot = render(&document(), Format::Dot);
        assert!(dot.starts_with(&format!("// {LEGEND}\ndigraph stack {{\n")));
        assert!(dot.contains(
            "  subgraph \"cluster_group_web\" {\n    label=\"service web\";\n    style=rounded;\n    \
             \"aws_lb_listener.web_prod\" [label=\"aws_lb_listener.web_prod\\nCodeDeploy owns \
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
