//! Where each resource and attribute came from, so that graph diagnostics
//! (address + attribute path) can be shown at the source.

use super::ast::Span;
use super::error::Problem;
use crate::graph::{Address, AttrPath, Diagnostic};
use std::collections::HashMap;

/// The source spans of one resource.
#[derive(Debug, Clone, Default)]
pub struct ResourceSpans {
    /// The block label (`aks` in `cluster_network aks { … }`).
    pub label: Span,
    /// The whole block.
    pub block: Span,
    /// Attribute paths (`ports[0].port`) to the value written for them.
    pub paths: HashMap<AttrPath, Span>,
}

/// `(Address, AttrPath) -> Span` and `Address -> label span`.
#[derive(Debug, Clone, Default)]
pub struct SpanMap {
    resources: HashMap<Address, ResourceSpans>,
}

impl SpanMap {
    pub fn insert_resource(&mut self, address: Address, label: Span, block: Span) -> &mut ResourceSpans {
        let r = self.resources.entry(address).or_default();
        r.label = label;
        r.block = block;
        r
    }

    /// The span of a block label.
    pub fn label(&self, address: &Address) -> Option<Span> {
        self.resources.get(address).map(|r| r.label)
    }

    /// The span recorded for exactly this path.
    pub fn exact(&self, address: &Address, path: &AttrPath) -> Option<Span> {
        self.resources.get(address)?.paths.get(path).copied()
    }

    /// The most specific span for a path: the path itself, else its longest
    /// recorded prefix (the attribute), else the block label.
    pub fn lookup(&self, address: &Address, path: &AttrPath) -> Option<Span> {
        let r = self.resources.get(address)?;
        let mut p = path.clone();
        loop {
            if let Some(s) = r.paths.get(&p) {
                return Some(*s);
            }
            if p.0.pop().is_none() {
                return Some(r.label);
            }
        }
    }

    /// A graph diagnostic placed at its source.
    pub fn problem(&self, d: &Diagnostic) -> Problem {
        let mut p = Problem::error(d.code, d.summary.clone()).help_opt(d.hint.clone());
        p.severity = d.severity;
        if let Some(a) = &d.address {
            if let Some(span) = self.lookup(a, &d.path) {
                p = p.at(span, describe(a, &d.path));
            } else {
                p.message = format!("{} (at {})", p.message, describe(a, &d.path));
            }
        }
        for r in &d.related {
            if let Some(span) = self.lookup(&r.address, &r.path) {
                let label = if r.address == *d.address.as_ref().unwrap_or(&r.address) {
                    r.label.clone()
                } else {
                    format!("{}: {}", describe(&r.address, &r.path), r.label)
                };
                p = p.related(span, label);
            }
        }
        p
    }
}

fn describe(a: &Address, path: &AttrPath) -> String {
    if path.is_root() {
        a.to_string()
    } else {
        format!("{a}.{path}")
    }
}
