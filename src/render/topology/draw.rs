//! The picture as Graphviz DOT: every network a box (`subgraph cluster_…`),
//! boxes nested as the networks are (environment ⊃ cluster VNET ⊃
//! Kubernetes), contents as HTML-like tables so addresses line up in one
//! column. Text is escaped as HTML entities; nothing holds a literal `\n`.

use super::model::{gateway_node, kubernetes_node, node, Cluster, Hub, Link, LinkKind, Peering, Picture, Row, Site};
use crate::graph::Address;
use std::fmt::Write;

/// A DOT ID: a quoted string.
fn id(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Text for an HTML-like label.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The subgraph ID of the box drawn around a network.
fn box_id(a: &Address) -> String {
    id(&format!("cluster_{a}"))
}

const FONT_MONO: &str = "Courier";
const GREY: &str = "#555555";

/// A table of titled sections of rows: label | address | note.
fn table(sections: &[(&str, &[Row])], indent: &str) -> String {
    let mut out = String::from("<<table border=\"1\" color=\"#9e9e9e\" bgcolor=\"white\" cellborder=\"0\" cellspacing=\"0\" cellpadding=\"2\">\n");
    let mut first = true;
    for (title, rows) in sections.iter().filter(|(_, rows)| !rows.is_empty()) {
        if !title.is_empty() {
            let sides = if first { "" } else { " sides=\"t\" border=\"1\"" };
            let _ = writeln!(
                out,
                "{indent}  <tr><td align=\"left\" colspan=\"3\"{sides}><b>{}</b></td></tr>",
                esc(title)
            );
        }
        first = false;
        for r in *rows {
            let _ = writeln!(
                out,
                "{indent}  <tr><td align=\"left\">{}</td><td align=\"left\">{}</td><td align=\"left\">{}</td></tr>",
                esc(&r.label),
                mono(&r.value),
                grey(&r.note)
            );
        }
    }
    if first {
        out.push_str(&format!("{indent}  <tr><td>(nothing known)</td></tr>\n"));
    }
    out.push_str(indent);
    out.push_str("</table>>");
    out
}

fn mono(s: &str) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!("<font face=\"{FONT_MONO}\">{}</font>", esc(s))
    }
}

fn grey(s: &str) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!("<font color=\"{GREY}\">{}</font>", esc(s))
    }
}

/// Opens a box: `subgraph "cluster_…" {` with its title and style.
fn open_box(out: &mut String, indent: &str, sub_id: &str, title: &str, subtitle: &str, style: &str) {
    let _ = writeln!(out, "{indent}subgraph {sub_id} {{");
    let sub = if subtitle.is_empty() {
        String::new()
    } else {
        format!("<br/><font point-size=\"9\" color=\"{GREY}\">{}</font>", esc(subtitle))
    };
    let _ = writeln!(out, "{indent}  label=<<b>{}</b>{sub}>;", esc(title));
    let _ = writeln!(out, "{indent}  {style};");
}

/// The topology picture as DOT, deterministic (the model is sorted).
pub fn dot(pic: &Picture) -> String {
    let mut out = String::from("digraph hybridk8s {\n");
    out.push_str("  graph [rankdir=LR compound=true newrank=true fontname=\"Helvetica\" fontsize=12 labeljust=l nodesep=0.3 ranksep=0.9];\n");
    out.push_str("  node [shape=plain fontname=\"Helvetica\" fontsize=10];\n");
    out.push_str("  edge [fontname=\"Helvetica\" fontsize=9];\n");
    for s in &pic.sites {
        site(&mut out, s);
    }
    for h in &pic.hubs {
        hub(&mut out, h);
    }
    for g in &pic.groups {
        let indent = match &g.environment {
            Some(env) => {
                open_box(
                    &mut out,
                    "  ",
                    &id(&format!("cluster_env_{env}")),
                    &format!("environment {env}"),
                    &format!("module.{env}"),
                    "style=\"rounded,dashed\" color=\"#616161\"",
                );
                "    "
            }
            None => "  ",
        };
        for c in &g.clusters {
            cluster(&mut out, c, indent);
        }
        if g.environment.is_some() {
            out.push_str("  }\n");
        }
    }
    for p in &pic.peerings {
        peering(&mut out, p);
    }
    for l in &pic.links {
        link(&mut out, l);
    }
    out.push_str("}\n");
    out
}

fn site(out: &mut String, s: &Site) {
    open_box(
        out,
        "  ",
        &box_id(&s.address),
        &format!("on-premises {}", s.name),
        &s.address.to_string(),
        "style=\"rounded,filled\" fillcolor=\"#eeeeee\" color=\"#757575\"",
    );
    let _ = writeln!(
        out,
        "    {} [label={}];",
        id(&node(&s.address)),
        table(&[("", &s.rows)], "    ")
    );
    out.push_str("  }\n");
}

fn hub(out: &mut String, h: &Hub) {
    let subtitle = if h.looked_up {
        format!("{} (existing, looked up)", h.address)
    } else {
        h.address.to_string()
    };
    open_box(
        out,
        "  ",
        &box_id(&h.address),
        &format!("hub VNET {}", h.name),
        &subtitle,
        "style=\"rounded,filled\" fillcolor=\"#e3f2fd\" color=\"#1565c0\"",
    );
    if let Some(g) = &h.gateway {
        let _ = writeln!(
            out,
            "    {} [shape=box style=\"rounded,filled,bold\" fillcolor=\"#fff8e1\" color=\"#f57f17\" label=<<b>{} gateway</b><br/><font point-size=\"9\">in GatewaySubnet</font>>];",
            id(&gateway_node(&h.address)),
            esc(g)
        );
    }
    let _ = writeln!(
        out,
        "    {} [label={}];",
        id(&node(&h.address)),
        table(&[("", &h.ranges), ("subnets", &h.subnets), ("DNS", &h.dns)], "    ")
    );
    if h.gateway.is_some() {
        // The gateway faces on-premises: left of the VNET's table.
        let _ = writeln!(
            out,
            "    {} -> {} [style=invis];",
            id(&gateway_node(&h.address)),
            id(&node(&h.address))
        );
    }
    out.push_str("  }\n");
}

fn cluster(out: &mut String, c: &Cluster, indent: &str) {
    open_box(
        out,
        indent,
        &box_id(&c.address),
        &format!("cluster VNET {}", c.name),
        &c.address.to_string(),
        "style=\"rounded,filled\" fillcolor=\"#e8f5e9\" color=\"#2e7d32\"",
    );
    let inner = format!("{indent}  ");
    let _ = writeln!(
        out,
        "{inner}{} [label={}];",
        id(&node(&c.address)),
        table(&[("", &c.ranges), ("subnets", &c.subnets)], &inner)
    );
    let k8s = kubernetes_node(&c.address);
    open_box(
        out,
        &inner,
        &id(&format!("cluster_{k8s}")),
        &format!("Kubernetes ({})", c.kubernetes_title),
        "",
        "style=\"rounded,filled\" fillcolor=\"#ffffff\" color=\"#326ce5\"",
    );
    let deepest = format!("{inner}  ");
    let _ = writeln!(
        out,
        "{deepest}{} [label={}];",
        id(&k8s),
        table(
            &[("", &c.kubernetes), ("Services", &c.services), (&c.dns_title, &c.dns)],
            &deepest
        )
    );
    let _ = writeln!(out, "{inner}}}");
    // The VNET's table left of the cluster's.
    let _ = writeln!(out, "{inner}{} -> {} [style=invis];", id(&node(&c.address)), id(&k8s));
    let _ = writeln!(out, "{indent}}}");
}

fn peering(out: &mut String, p: &Peering) {
    let label = p.lines.iter().map(|l| esc(l)).collect::<Vec<_>>().join("<br/>");
    let style = if p.transit {
        "dir=forward penwidth=2 color=\"#1565c0\""
    } else {
        "dir=none penwidth=2 color=\"#1565c0\""
    };
    match (&p.hub, &p.cluster) {
        (Some(h), Some(c)) => {
            let _ = writeln!(
                out,
                "  {} -> {} [ltail={} lhead={} {style} label=<{label}>];",
                id(&node(h)),
                id(&node(c)),
                box_id(h),
                box_id(c)
            );
        }
        // One side is outside this picture: the peering is a note on the other.
        (one, other) => {
            let Some(end) = one.as_ref().or(other.as_ref()) else {
                return;
            };
            let note = p.address.to_string();
            let _ = writeln!(
                out,
                "  {} [shape=note fontsize=9 label=<{label}<br/><font color=\"{GREY}\">the other side is not in this picture</font>>];",
                id(&note)
            );
            let _ = writeln!(out, "  {} -> {} [{style}];", id(&node(end)), id(&note));
        }
    }
}

fn link(out: &mut String, l: &Link) {
    let (style, prefix) = match l.kind {
        LinkKind::Gateway => ("dir=both penwidth=3 color=\"#f57f17\"", ""),
        // Back towards on-premises: not allowed to reorder the columns.
        LinkKind::Dns => (
            "style=dashed constraint=false color=\"#6a1b9a\" fontcolor=\"#6a1b9a\"",
            "DNS: ",
        ),
        LinkKind::Endpoints => (
            "style=dotted constraint=false penwidth=1.5 color=\"#c62828\" fontcolor=\"#c62828\"",
            "Endpoints: ",
        ),
    };
    let label = format!("{prefix}{}", l.labels.join(", "));
    let label = if l.kind == LinkKind::Gateway {
        format!("<b>{}</b>", esc(&label))
    } else {
        esc(&label)
    };
    let _ = writeln!(out, "  {} -> {} [{style} label=<{label}>];", id(&l.from), id(&l.to));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_text_is_escaped_as_html_entities() {
        assert_eq!(
            esc("a&b <c> \"d\" 'e'\nf"),
            "a&amp;b &lt;c&gt; &quot;d&quot; &#39;e&#39; f"
        );
        assert_eq!(id("x\"y\\z"), "\"x\\\"y\\\\z\"");
        let rows = [row_of("<b>", "10.0.0.0/8", "a & b")];
        let t = table(&[("T&T", &rows)], "");
        assert!(
            t.contains("<b>T&amp;T</b>") && t.contains("&lt;b&gt;") && t.contains("a &amp; b"),
            "{t}"
        );
    }

    fn row_of(label: &str, value: &str, note: &str) -> Row {
        Row {
            label: label.into(),
            value: value.into(),
            note: note.into(),
        }
    }
}
