//! Which rule verdicts hold on part of a graph. The Terraform provider sees
//! one plan resource by resource, so it runs the rules over what it has seen
//! so far (and what the backend holds); every rule code declares here what
//! its error needs to stand when more resources arrive later.

use super::{dns, names, peering, private, ranges, security, services, Topology};
use crate::graph::diag::Diagnostic;
use crate::graph::{Graph, Kind};

/// What an error of a rule needs to hold on the whole graph although it was
/// found on part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Only the objects it names: more resources never lift it (overlaps,
    /// duplicates, counts that can only grow, single-resource range checks).
    Named,
    /// Also the peerings of the cluster and the on-premises declarations: a
    /// peering or a declaration not seen yet may make the address reachable.
    Connectivity,
    /// Every resource of the program: judged on whole graphs only.
    Whole,
}

/// Every rule code with what it needs.
fn all() -> impl Iterator<Item = &'static (&'static str, Needs)> {
    [
        peering::RULES,
        ranges::RULES,
        services::RULES,
        dns::RULES,
        names::RULES,
        security::RULES,
        private::RULES,
    ]
    .into_iter()
    .flatten()
}

/// What the errors of rule `code` need; `None` for a code no rule declares.
pub fn needs(code: &str) -> Option<Needs> {
    all().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// Whether diagnostic `d`, found by `check_graph(graph)` on part of a
/// program, holds on the whole program: its rule needs only what it names,
/// or the graph holds what the rule needs besides (for connectivity: a
/// peering of the cluster and an on-premises declaration). An undeclared
/// code never holds on part of a graph.
pub fn holds_on_part(d: &Diagnostic, graph: &Graph) -> bool {
    match needs(d.code) {
        Some(Needs::Named) => true,
        Some(Needs::Whole) | None => false,
        Some(Needs::Connectivity) => {
            let topo = Topology::new(graph);
            let cluster = d.address.as_ref().and_then(|a| graph.get(a)).and_then(|r| {
                if r.kind() == Kind::ClusterNetwork {
                    Some(r)
                } else {
                    topo.cluster_of(r)
                }
            });
            let peered = cluster.is_some_and(|c| !topo.hubs_of(c).is_empty());
            peered && graph.of_kind(Kind::Onprem).next().is_some()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The codes the rule files emit, read from their source.
    fn emitted() -> Vec<String> {
        let files = [
            include_str!("peering.rs"),
            include_str!("ranges.rs"),
            include_str!("services.rs"),
            include_str!("dns.rs"),
            include_str!("names.rs"),
            include_str!("security.rs"),
            include_str!("private.rs"),
        ];
        let mut out = Vec::new();
        for text in files {
            for ctor in ["Diagnostic::error(", "Diagnostic::warning("] {
                for (i, _) in text.match_indices(ctor) {
                    let rest = text[i + ctor.len()..].trim_start();
                    let code = rest.strip_prefix('"').and_then(|r| r.split('"').next());
                    out.push(code.expect("a rule code literal follows").to_string());
                }
            }
        }
        out
    }

    #[test]
    fn every_emitted_code_is_declared_once() {
        let codes = emitted();
        assert!(codes.len() >= 18, "{codes:?}");
        for c in &codes {
            assert!(needs(c).is_some(), "rule code `{c}` declares no Needs");
        }
        let declared: Vec<&str> = all().map(|(c, _)| *c).collect();
        for c in &declared {
            assert_eq!(declared.iter().filter(|d| *d == c).count(), 1, "`{c}` declared twice");
            assert!(codes.iter().any(|e| e == c), "`{c}` is declared but never emitted");
        }
    }

    #[test]
    fn reachability_waits_for_peerings_and_onprem() {
        assert_eq!(needs("spoke-overlap"), Some(Needs::Named));
        assert_eq!(needs("onprem-unreachable"), Some(Needs::Connectivity));
        assert_eq!(needs("no-such-rule"), None);
        let d = Diagnostic::error("onprem-unreachable", "x");
        assert!(!holds_on_part(&d, &Graph::new()));
        assert!(holds_on_part(&Diagnostic::error("avoid-overlap", "x"), &Graph::new()));
        assert!(!holds_on_part(&Diagnostic::error("no-such-rule", "x"), &Graph::new()));
    }
}
