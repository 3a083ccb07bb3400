//! The graph as an SVG picture, laid out here: no browser, no Graphviz, no network, and the
//! same bytes on every run (integer coordinates, no font measurement).
//!
//! A small layered layout, enough for a stack's few hundred boxes:
//! - columns: each block's longest chain of references before it (arrows as drawn, traffic
//!   left to right: load balancer, listener, target group, service, task definition);
//!   `depends_on` does not place, and a reference that closes a cycle is drawn but not
//!   followed (found by a depth-first walk in document order);
//! - bands: one horizontal band per group (shared, then each service), the columns running
//!   through all bands, so an arrow between groups still points right;
//! - in a band's column, blocks stacked in document order.
//!
//! Text is monospace and sized by characters, so a box fits its label without measuring a
//! font.

use std::fmt::Write as _;

use super::{owned_lines, EdgeKind, Graph, Node, LEGEND};

/// Width of a character of the 11-pixel monospace font, rounded up.
const CHAR_WIDTH: i64 = 7;
const LINE_HEIGHT: i64 = 15;
/// Inside a box, around its text.
const PADDING: i64 = 6;
const COLUMN_GAP: i64 = 90;
const ROW_GAP: i64 = 12;
/// Inside a band, around its boxes.
const BAND_PADDING: i64 = 14;
const BAND_TITLE: i64 = 22;
const BAND_GAP: i64 = 16;
const MARGIN: i64 = 16;
const LEGEND_HEIGHT: i64 = 26;

/// A rectangle in pixels; `x`, `y` its top left corner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Rect {
    pub x: i64,
    pub y: i64,
    pub width: i64,
    pub height: i64,
}

impl Rect {
    fn right(self) -> i64 {
        self.x + self.width
    }

    fn bottom(self) -> i64 {
        self.y + self.height
    }
}

/// Where everything goes.
pub(super) struct Layout {
    pub width: i64,
    pub height: i64,
    /// Per node of the graph; `None` for a node in no cluster (not shown).
    pub boxes: Vec<Option<Rect>>,
    /// Per cluster.
    pub bands: Vec<Rect>,
}

/// The lines of a node's box: its address, then what is owned outside Terraform.
fn lines(node: &Node) -> Vec<String> {
    std::iter::once(node.address.clone())
        .chain(owned_lines(node))
        .collect()
}

fn box_size(node: &Node) -> (i64, i64) {
    let lines = lines(node);
    let longest = lines
        .iter()
        .map(|line| line.chars().count())
        .max()
        .unwrap_or(0);
    let width = i64::try_from(longest).unwrap_or(i64::MAX / 2) * CHAR_WIDTH + 2 * PADDING;
    let height = i64::try_from(lines.len()).unwrap_or(1) * LINE_HEIGHT + 2 * PADDING;
    (width, height)
}

/// Each shown node's column: the longest chain of reference arrows leading to it, arrows that
/// close a cycle left out.
fn columns(graph: &Graph<'_>, shown: &[bool]) -> Vec<usize> {
    let count = graph.nodes.len();
    let mut successors: Vec<Vec<usize>> = vec![Vec::new(); count];
    for edge in graph.edges {
        if edge.kind == EdgeKind::Reference && shown[edge.from] && shown[edge.to] {
            successors[edge.from].push(edge.to);
        }
    }
    // Depth-first walk in document order; an arrow to a node still on the path closes a cycle.
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        OnPath,
        Done,
    }
    let mut state = vec![State::New; count];
    let mut kept: Vec<Vec<usize>> = vec![Vec::new(); count];
    let mut finished = Vec::with_capacity(count);
    for start in (0..count).filter(|&n| shown[n]) {
        if state[start] != State::New {
            continue;
        }
        state[start] = State::OnPath;
        let mut path = vec![(start, 0usize)];
        while let Some(&mut (node, ref mut next)) = path.last_mut() {
            if let Some(&to) = successors[node].get(*next) {
                *next += 1;
                match state[to] {
                    State::OnPath => {}
                    State::Done => kept[node].push(to),
                    State::New => {
                        kept[node].push(to);
                        state[to] = State::OnPath;
                        path.push((to, 0));
                    }
                }
            } else {
                state[node] = State::Done;
                finished.push(node);
                path.pop();
            }
        }
    }
    // Reverse finishing order is a topological order of the kept arrows.
    let mut column = vec![0usize; count];
    for &node in finished.iter().rev() {
        for &to in &kept[node] {
            column[to] = column[to].max(column[node] + 1);
        }
    }
    column
}

pub(super) fn layout(graph: &Graph<'_>) -> Layout {
    let count = graph.nodes.len();
    let mut shown = vec![false; count];
    for cluster in graph.clusters {
        for &n in &cluster.nodes {
            shown[n] = true;
        }
    }
    let columns = columns(graph, &shown);
    let sizes: Vec<(i64, i64)> = graph.nodes.iter().map(box_size).collect();
    let column_count = (0..count)
        .filter(|&n| shown[n])
        .map(|n| columns[n] + 1)
        .max()
        .unwrap_or(0);
    let mut column_widths = vec![0i64; column_count];
    for n in (0..count).filter(|&n| shown[n]) {
        column_widths[columns[n]] = column_widths[columns[n]].max(sizes[n].0);
    }
    let mut column_x = Vec::with_capacity(column_count);
    let mut x = MARGIN + BAND_PADDING;
    for width in &column_widths {
        column_x.push(x);
        x += width + COLUMN_GAP;
    }
    let content_width = (x - COLUMN_GAP - MARGIN - BAND_PADDING).max(0);
    let band_width = content_width + 2 * BAND_PADDING;
    let mut boxes = vec![None; count];
    let mut bands = Vec::with_capacity(graph.clusters.len());
    let mut y = MARGIN + LEGEND_HEIGHT;
    for cluster in graph.clusters {
        let top = y + BAND_TITLE;
        let mut column_bottom = vec![top; column_count];
        for &n in &cluster.nodes {
            let column = columns[n];
            let (width, height) = sizes[n];
            boxes[n] = Some(Rect {
                x: column_x[column],
                y: column_bottom[column],
                width,
                height,
            });
            column_bottom[column] += height + ROW_GAP;
        }
        let bottom = column_bottom.into_iter().max().unwrap_or(top) - ROW_GAP;
        let band = Rect {
            x: MARGIN,
            y,
            width: band_width,
            height: (bottom - y + BAND_PADDING).max(BAND_TITLE + BAND_PADDING),
        };
        bands.push(band);
        y = band.bottom() + BAND_GAP;
    }
    let legend_width = i64::try_from(LEGEND.chars().count()).unwrap_or(0) * CHAR_WIDTH;
    Layout {
        width: (MARGIN + band_width.max(legend_width) + MARGIN).max(2 * MARGIN),
        height: (y - BAND_GAP + MARGIN).max(MARGIN + LEGEND_HEIGHT),
        boxes,
        bands,
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The picture.
pub(super) fn render(graph: &Graph<'_>) -> String {
    let layout = layout(graph);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\" font-family=\"monospace\" font-size=\"11\">\n\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
         markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" \
         fill=\"#555\"/></marker></defs>\n\
         <rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>\n\
         <text x=\"{MARGIN}\" y=\"{legend_y}\" fill=\"#555\">{legend}</text>\n",
        w = layout.width,
        h = layout.height,
        legend_y = MARGIN + 12,
        // The providers first, as in the Mermaid and dot titles: which provider the picture
        // holds for.
        legend = escape(&if graph.title.is_empty() {
            LEGEND.to_owned()
        } else {
            format!("{} · {LEGEND}", graph.title)
        }),
    );
    for (cluster, band) in graph.clusters.iter().zip(&layout.bands) {
        let _ = writeln!(
            out,
            "<rect class=\"group\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"8\" \
             fill=\"#f4f6fa\" stroke=\"#aab\"/>\n<text x=\"{}\" y=\"{}\" font-weight=\"bold\">{}</text>",
            band.x,
            band.y,
            band.width,
            band.height,
            band.x + BAND_PADDING,
            band.y + 15,
            escape(&cluster.title)
        );
    }
    draw_edges(graph, &layout, &mut out);
    for cluster in graph.clusters {
        for &n in &cluster.nodes {
            let (node, Some(rect)) = (&graph.nodes[n], layout.boxes[n]) else {
                continue;
            };
            let dash = if node.owned.is_empty() {
                ""
            } else {
                " stroke-dasharray=\"6 4\""
            };
            let _ = writeln!(
                out,
                "<rect class=\"node\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"3\" \
                 fill=\"white\" stroke=\"#333\"{dash}/>",
                rect.x, rect.y, rect.width, rect.height
            );
            for (index, line) in lines(node).iter().enumerate() {
                let index = i64::try_from(index).unwrap_or(0);
                let _ = writeln!(
                    out,
                    "<text x=\"{}\" y=\"{}\">{}</text>",
                    rect.x + PADDING,
                    rect.y + PADDING + (index + 1) * LINE_HEIGHT - 4,
                    escape(line)
                );
            }
        }
    }
    out.push_str("</svg>\n");
    out
}

/// The arrows, then their labels (over every arrow, under the boxes).
fn draw_edges(graph: &Graph<'_>, layout: &Layout, out: &mut String) {
    let mut labels = String::new();
    for edge in graph.edges {
        let (Some(from), Some(to)) = (layout.boxes[edge.from], layout.boxes[edge.to]) else {
            continue;
        };
        let (y1, y2) = (from.y + from.height / 2, to.y + to.height / 2);
        // Right side to left side; an arrow to a column on the left (`depends_on`, a cycle)
        // leaves from the left side and enters the right side; within one column it loops
        // round on the right. The curve never leaves the space between the two boxes' sides.
        let (x1, c1, c2, x2) = if to.x >= from.right() {
            let bend = ((to.x - from.right()) / 2).max(1);
            (from.right(), from.right() + bend, to.x - bend, to.x)
        } else if to.right() <= from.x {
            let bend = ((from.x - to.right()) / 2).max(1);
            (from.x, from.x - bend, to.right() + bend, to.right())
        } else {
            let loop_x = from.right().max(to.right()) + COLUMN_GAP / 3;
            (from.right(), loop_x, loop_x, to.right())
        };
        let dash = match edge.kind {
            EdgeKind::Reference => "",
            EdgeKind::DependsOn => " stroke-dasharray=\"2 3\"",
        };
        let _ = writeln!(
            out,
            "<path class=\"edge\" d=\"M{x1},{y1} C{c1},{y1} {c2},{y2} {x2},{y2}\" fill=\"none\" \
             stroke=\"#555\"{dash} marker-end=\"url(#arrow)\"/>"
        );
        let _ = writeln!(
            labels,
            "<text x=\"{}\" y=\"{}\" font-size=\"9\" text-anchor=\"middle\" fill=\"#333\" \
             stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\">{}</text>",
            (c1 + c2) / 2,
            (y1 + y2) / 2 - 3,
            escape(&edge.labels.join(", "))
        );
    }
    out.push_str(&labels);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overlap(a: Rect, b: Rect) -> bool {
        a.x < b.right() && b.x < a.right() && a.y < b.bottom() && b.y < a.bottom()
    }

    fn inside(inner: Rect, outer: Rect) -> bool {
        inner.x >= outer.x
            && inner.y >= outer.y
            && inner.right() <= outer.right()
            && inner.bottom() <= outer.bottom()
    }

    /// Boxes never overlap, sit inside their group's band and the picture, bands never
    /// overlap, and every reference arrow that does not close a cycle points right.
    #[test]
    fn the_layout_keeps_boxes_apart_inside_their_bands_and_arrows_pointing_right() {
        let document = super::super::tests::document();
        let nodes = super::super::nodes(&document);
        let links = super::super::links(&document, &nodes);
        let edges = super::super::edges(&links);
        // Two groups: what the test document's service uses, and the rest.
        let clusters = vec![
            super::super::Cluster {
                id: "a".into(),
                title: "shared <&>".into(),
                nodes: vec![0, 1],
            },
            super::super::Cluster {
                id: "b".into(),
                title: "service web".into(),
                nodes: vec![2, 3, 4],
            },
        ];
        let graph = Graph {
            title: "",
            nodes: &nodes,
            clusters: &clusters,
            edges: &edges,
        };
        let layout = layout(&graph);
        let picture = Rect {
            x: 0,
            y: 0,
            width: layout.width,
            height: layout.height,
        };
        let boxes: Vec<Rect> = layout.boxes.iter().map(|b| b.expect("shown")).collect();
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                assert!(!overlap(*a, *b), "{a:?} {b:?}");
            }
        }
        for (cluster, band) in clusters.iter().zip(&layout.bands) {
            assert!(inside(*band, picture), "{band:?}");
            for &n in &cluster.nodes {
                assert!(inside(boxes[n], *band), "{} {band:?}", nodes[n].address);
            }
        }
        assert!(!overlap(layout.bands[0], layout.bands[1]));
        // The test document has one cycle (the task definition reads the load balancer).
        let right = edges
            .iter()
            .filter(|e| e.kind == EdgeKind::Reference)
            .filter(|e| boxes[e.from].right() < boxes[e.to].x)
            .count();
        let references = edges
            .iter()
            .filter(|e| e.kind == EdgeKind::Reference)
            .count();
        assert_eq!(right, references - 1);

        let svg = render(&graph);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches("<rect class=\"node\"").count(), nodes.len());
        assert_eq!(svg.matches("<path class=\"edge\"").count(), edges.len());
        assert!(svg.contains(">shared &lt;&amp;&gt;</text>"));
        assert_eq!(svg, render(&graph), "deterministic");
    }
}
