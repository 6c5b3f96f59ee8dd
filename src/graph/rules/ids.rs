//! Two blocks of one program that name the same Azure object: the second
//! create would meet the first's object (Azure compares IDs without case).
//! Kubernetes objects and peerings have their own rules (`duplicate-service`,
//! `duplicate-peering`, `duplicate-dns-upstream`), which name the cluster.

use super::Topology;
use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::value::AttrPath;
use crate::graph::{Kind, Resource};
use std::collections::HashMap;

pub fn check(t: &Topology, d: &mut Diagnostics) {
    let mut seen: HashMap<String, &Resource> = HashMap::new();
    for r in t.graph.sorted() {
        if !matches!(r.kind(), Kind::Hub | Kind::ClusterNetwork) {
            continue;
        }
        let Some(id) = r.id() else { continue };
        if let Some(first) = seen.insert(id.to_ascii_lowercase(), r) {
            d.push(
                Diagnostic::error(
                    "duplicate-id",
                    format!(
                        "{} and {} are the same virtual network {id}: the second create would meet the first's object",
                        first.address, r.address
                    ),
                )
                .at(&r.address, AttrPath::attr("name"))
                .related(&first.address, AttrPath::attr("name"), "first declared here")
                .hint("give each block its own name or resource group"),
            );
            seen.insert(id.to_ascii_lowercase(), first);
        }
    }
}
