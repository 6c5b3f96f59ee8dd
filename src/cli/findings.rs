//! What `check` (and `plan`/`apply` before they touch anything) found in a
//! program, in the form a command prints: rendered at the source for
//! people, a stable JSON document for machines (`--json`), and the closing
//! `Error: 3 problems in 2 resources` line.
//!
//! The JSON document (`check --json`; `plan --json` embeds the same keys):
//!
//! ```json
//! { "valid": false, "error_count": 2, "warning_count": 0,
//!   "diagnostics": [
//!     { "severity": "error", "id": "HK201", "code": "subnet-too-small",
//!       "message": "needs 1586 addresses (/21); 10.40.0.0/22 holds 1019",
//!       "label": "cluster_network.aks.node_subnet_cidr",
//!       "help": "use a /21 or lower max_nodes/max_pods",
//!       "address": "cluster_network.aks", "attribute": "node_subnet_cidr",
//!       "span": { "file": "main.hk", "line": 8, "column": 22, "end_line": 8,
//!                 "end_column": 34, "offset": 140, "length": 12 },
//!       "related": [ { "message": "…", "span": { … } } ] } ] }
//! ```
//!
//! `id` is the rule's catalogue ID (`docs/rules/<id>.md`), `null` for a
//! code the catalogue lacks. `address` and `attribute` are `null` for problems found before the
//! program became a graph (syntax, unknown names), `span` for problems
//! without a place in a file, `attribute` for the resource as a whole.
//! Lines and columns count from 1, columns in characters; `offset` and
//! `length` are bytes into the file.

use crate::dsl::ast::Span;
use crate::dsl::{LoadError, Problem, Program, Sources};
use crate::graph::catalogue;
use crate::graph::{Diagnostics, Severity};
use serde_json::{json, Value as J};
use std::collections::BTreeSet;

/// How a command reports what it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Rendered at the source on stderr, with a closing summary line.
    Human,
    /// One JSON document on stdout.
    Json,
    /// One SARIF 2.1.0 log on stdout, for code-review and CI tools.
    Sarif,
}

impl Format {
    pub fn json(json: bool) -> Format {
        if json {
            Format::Json
        } else {
            Format::Human
        }
    }
}

/// A place in a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Place {
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    offset: usize,
    length: usize,
}

impl Place {
    fn of(span: Span, sources: &Sources) -> Option<Place> {
        let f = sources.get(span.file)?;
        let text = f.text.as_str();
        if span.start > span.end || span.end > text.len() {
            return None;
        }
        let (line, column) = line_column(text, span.start);
        let (end_line, end_column) = line_column(text, span.end);
        Some(Place {
            file: f.name.clone(),
            line,
            column,
            end_line,
            end_column,
            offset: span.start,
            length: span.end - span.start,
        })
    }

    fn to_json(&self) -> J {
        json!({
            "file": self.file, "line": self.line, "column": self.column,
            "end_line": self.end_line, "end_column": self.end_column,
            "offset": self.offset, "length": self.length,
        })
    }
}

/// A file name as a relative URI reference (RFC 3986): path separators
/// kept, everything else outside the unreserved set percent-encoded.
fn uri(file: &str) -> String {
    let mut out = String::new();
    for b in file.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// 1-based line and character column of byte `at` (snapped back to a
/// character boundary).
fn line_column(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

/// One problem with everything known about it.
#[derive(Debug, Clone)]
struct Finding {
    severity: Severity,
    code: String,
    message: String,
    label: Option<String>,
    help: Option<String>,
    address: Option<String>,
    attribute: Option<String>,
    place: Option<Place>,
    related: Vec<(Option<Place>, String)>,
}

impl Finding {
    fn of(p: &Problem, sources: &Sources) -> Finding {
        Finding {
            severity: p.severity,
            code: p.code.clone(),
            message: p.message.clone(),
            label: p.label.clone(),
            help: p.help.clone(),
            address: None,
            attribute: None,
            place: p.span.and_then(|s| Place::of(s, sources)),
            related: p
                .related
                .iter()
                .map(|(s, l)| (Place::of(*s, sources), l.clone()))
                .collect(),
        }
    }

    fn to_json(&self) -> J {
        json!({
            "severity": match self.severity { Severity::Error => "error", Severity::Warning => "warning" },
            "id": catalogue::by_code(&self.code).map(|r| r.id),
            "code": self.code,
            "message": self.message,
            "label": self.label,
            "help": self.help,
            "address": self.address,
            "attribute": self.attribute,
            "span": self.place.as_ref().map(Place::to_json),
            "related": self.related.iter().map(|(p, m)| json!({
                "message": m,
                "span": p.as_ref().map(Place::to_json),
            })).collect::<Vec<_>>(),
        })
    }
}

/// Everything found in a program, and how to show it.
pub struct Findings {
    items: Vec<Finding>,
    /// Rendered at the source (miette), for people.
    rendered: String,
    /// Each declared flow's answer (`flows` in the JSON document; absent
    /// when the program declares none).
    flows: Vec<J>,
}

impl Findings {
    /// A program that did not load.
    pub fn of_load(e: &LoadError) -> Findings {
        Findings {
            items: e.problems.iter().map(|p| Finding::of(p, &e.sources)).collect(),
            rendered: e.render(),
            flows: Vec::new(),
        }
    }

    /// Graph rule diagnostics of a loaded program.
    pub fn of_graph(program: &Program, diags: &Diagnostics) -> Findings {
        // The load's own warnings (a former attribute name) come first.
        let loaded = program.warnings.iter().map(|p| Finding::of(p, &program.sources));
        let items = loaded
            .chain(diags.iter().map(|d| {
                let mut f = Finding::of(&program.spans.problem(d), &program.sources);
                f.address = d.address.as_ref().map(ToString::to_string);
                f.attribute = (d.address.is_some() && !d.path.is_root()).then(|| d.path.to_string());
                f
            }))
            .collect();
        let rendered = if diags.is_empty() && program.warnings.is_empty() {
            String::new()
        } else {
            program.render(diags)
        };
        Findings {
            items,
            rendered,
            flows: Vec::new(),
        }
    }

    /// Adds the answers of a program's flows: a verdict that differs from
    /// the flow's `expect` is an error at the flow.
    pub fn add_flows(&mut self, program: &Program, answered: &[crate::dsl::flows::Answered<'_>]) {
        let problems: Vec<Problem> = answered.iter().filter_map(|a| a.problem()).collect();
        self.items
            .extend(problems.iter().map(|p| Finding::of(p, &program.sources)));
        if !problems.is_empty() {
            self.rendered.push_str(&program.render_problems(&problems));
        }
        self.flows = answered.iter().map(super::flows::to_json).collect();
    }

    pub fn errors(&self) -> usize {
        self.items.iter().filter(|f| f.severity == Severity::Error).count()
    }

    pub fn warnings(&self) -> usize {
        self.items.len() - self.errors()
    }

    /// The source excerpts of every problem.
    pub fn rendered(&self) -> &str {
        &self.rendered
    }

    /// The findings as a SARIF 2.1.0 log: one run of the tool `hybridk8s`,
    /// one rule per code (its catalogue ID, the code as its name, the
    /// summary, the why and the page), one result per problem at its region (columns in
    /// Unicode code points, as `--json` counts them), related places as
    /// related locations, and the resource address as a logical location.
    pub fn to_sarif(&self) -> J {
        let mut codes: Vec<&str> = self.items.iter().map(|f| f.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        let rules: Vec<J> = codes.iter().map(|c| sarif_rule(c)).collect();
        let rule_id = |c: &str| catalogue::by_code(c).map_or(c.to_string(), |r| r.id.to_string());
        let region = |p: &Place| {
            json!({
                "startLine": p.line, "startColumn": p.column,
                "endLine": p.end_line, "endColumn": p.end_column,
            })
        };
        let physical = |p: &Place| json!({ "artifactLocation": { "uri": uri(&p.file) }, "region": region(p) });
        let results: Vec<J> = self
            .items
            .iter()
            .map(|f| {
                let mut text = f.message.clone();
                if let Some(h) = &f.help {
                    text.push_str(&format!(" (hint: {h})"));
                }
                let mut location = serde_json::Map::new();
                if let Some(p) = &f.place {
                    location.insert("physicalLocation".into(), physical(p));
                }
                if let Some(a) = &f.address {
                    let name = match &f.attribute {
                        Some(attr) => format!("{a}.{attr}"),
                        None => a.clone(),
                    };
                    location.insert(
                        "logicalLocations".into(),
                        json!([{ "fullyQualifiedName": name, "kind": "resource" }]),
                    );
                }
                let related: Vec<J> = f
                    .related
                    .iter()
                    .enumerate()
                    .filter_map(|(i, (p, m))| {
                        p.as_ref()
                            .map(|p| json!({ "id": i, "physicalLocation": physical(p), "message": { "text": m } }))
                    })
                    .collect();
                let mut r = json!({
                    "ruleId": rule_id(&f.code),
                    "ruleIndex": codes.binary_search(&f.code.as_str()).unwrap_or_default(),
                    "level": match f.severity { Severity::Error => "error", Severity::Warning => "warning" },
                    "message": { "text": text },
                });
                if !location.is_empty() {
                    r["locations"] = json!([location]);
                }
                if !related.is_empty() {
                    r["relatedLocations"] = J::Array(related);
                }
                r
            })
            .collect();
        json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": { "driver": {
                    "name": "hybridk8s",
                    "version": crate::VERSION,
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                } },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }],
        })
    }

    /// `{"valid", "error_count", "warning_count", "diagnostics"}` (module docs).
    pub fn to_json(&self) -> serde_json::Map<String, J> {
        let mut m = serde_json::Map::new();
        m.insert("valid".into(), J::Bool(self.errors() == 0));
        m.insert("error_count".into(), self.errors().into());
        m.insert("warning_count".into(), self.warnings().into());
        m.insert(
            "diagnostics".into(),
            J::Array(self.items.iter().map(Finding::to_json).collect()),
        );
        if !self.flows.is_empty() {
            m.insert("flows".into(), J::Array(self.flows.clone()));
        }
        m
    }

    /// `Error: 3 problems in 2 resources` (errors only; `None` without any).
    pub fn summary(&self) -> Option<String> {
        let errors: Vec<&Finding> = self.items.iter().filter(|f| f.severity == Severity::Error).collect();
        summary_line(errors.iter().map(|f| f.address.as_deref()))
    }
}

/// The SARIF `reportingDescriptor` of a code: the catalogue's row (ID,
/// code as the name, summary, why, the page), or for a code the catalogue
/// lacks, the code alone.
fn sarif_rule(code: &str) -> J {
    let Some(r) = catalogue::by_code(code) else {
        return json!({
            "id": code,
            "name": code,
            "shortDescription": { "text": format!("hybridk8s rule {code}") },
        });
    };
    let text = |md: &str| md.replace('`', "").replace("\n", " ");
    json!({
        "id": r.id,
        "name": r.code,
        "shortDescription": { "text": r.summary, "markdown": r.summary },
        "fullDescription": { "text": text(r.why), "markdown": r.why },
        // Not `helpUri`: SARIF wants an absolute URI there (the Multitool
        // refuses a relative one, SARIF1005), and the page is a path in
        // the repository. `help` links it; `properties.page` names it.
        "properties": { "page": r.page_path(), "tags": [r.family.title()] },
        "help": {
            "text": format!("{} See {}.", text(r.why), r.page_path()),
            "markdown": format!("{}\n\nSee [{} {}]({}).", r.why, r.id, r.code, r.page_path()),
        },
    })
}

/// The closing line of a failure: `n` problems, each in the resource it
/// names (if any): `Error: 1 problem`, `Error: 3 problems in 2 resources`,
/// `Error: 4 problems (3 in 2 resources)`.
pub fn summary_line<'a>(problems: impl IntoIterator<Item = Option<&'a str>>) -> Option<String> {
    let mut n = 0;
    let mut placed = 0;
    let mut resources = BTreeSet::new();
    for a in problems {
        n += 1;
        if let Some(a) = a {
            placed += 1;
            resources.insert(a);
        }
    }
    if n == 0 {
        return None;
    }
    let count = |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
    let all = count(n, "problem", "problems");
    let r = count(resources.len(), "resource", "resources");
    Some(match placed {
        0 => format!("Error: {all}"),
        p if p == n => format!("Error: {all} in {r}"),
        p => format!("Error: {all} ({p} in {r})"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_lines_stay_grammatical() {
        assert_eq!(summary_line([]), None);
        assert_eq!(summary_line([None]).unwrap(), "Error: 1 problem");
        assert_eq!(summary_line([Some("a.b")]).unwrap(), "Error: 1 problem in 1 resource");
        assert_eq!(
            summary_line([Some("a.b"), Some("a.b"), Some("c.d")]).unwrap(),
            "Error: 3 problems in 2 resources"
        );
        assert_eq!(
            summary_line([Some("a.b"), None, Some("a.b"), None]).unwrap(),
            "Error: 4 problems (2 in 1 resource)"
        );
    }

    #[test]
    fn lines_and_columns_count_from_one_in_characters() {
        let t = "ab\nçd = 1\n";
        assert_eq!(line_column(t, 0), (1, 1));
        assert_eq!(line_column(t, 3), (2, 1));
        // `d` follows a two-byte character.
        assert_eq!(line_column(t, 5), (2, 2));
        assert_eq!(line_column(t, t.len()), (3, 1));
    }
}
