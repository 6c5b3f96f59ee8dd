//! Peering rules: no overlap between the two sides, gateway transit, at
//! most one remote-gateway peering per cluster, no two spokes of one hub
//! overlapping each other.

use super::{overlaps_any, space, Needs, Topology};
use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::net;
use crate::graph::value::AttrPath;
use crate::graph::{Kind, Resource};
use std::collections::HashMap;

/// What each code of this file needs to hold on part of a graph.
pub(super) const RULES: &[(&str, Needs)] = &[
    ("duplicate-peering", Needs::Named),
    ("peering-overlap", Needs::Named),
    ("no-remote-gateway", Needs::Named),
    ("second-remote-gateway", Needs::Named),
    ("spoke-overlap", Needs::Named),
];

pub fn check(t: &Topology, d: &mut Diagnostics) {
    let mut remote_gw: HashMap<&str, &Resource> = HashMap::new();
    let mut pairs: HashMap<(&str, &str), &Resource> = HashMap::new();
    let mut spokes: HashMap<&str, Vec<(&Resource, &Resource)>> = HashMap::new();
    for p in t.graph.sorted().into_iter().filter(|r| r.kind() == Kind::Peering) {
        let (Some(cid), Some(hid)) = (p.str("cluster_network_id"), p.str("hub_id")) else {
            continue;
        };
        let (Some(&c), Some(&h)) = (t.clusters.get(cid), t.hubs.get(hid)) else {
            continue;
        };
        if let Some(first) = pairs.insert((cid, hid), p) {
            d.push(
                Diagnostic::error(
                    "duplicate-peering",
                    format!("{} peers {} and {} again", p.address, c.address, h.address),
                )
                .at(&p.address, AttrPath::root())
                .related(&first.address, AttrPath::root(), "first peering of this pair"),
            );
            continue;
        }
        if let Some((a, b)) = overlaps_any(&space(c), &space(h)) {
            d.push(
                Diagnostic::error(
                    "peering-overlap",
                    format!(
                        "cannot peer {} ({}) with {} ({}): peered VNETs must not overlap",
                        c.address, a.1, h.address, b.1
                    ),
                )
                .at(&p.address, AttrPath::attr("hub_id"))
                .related(
                    &c.address,
                    AttrPath::attr("address_space").index(a.0),
                    format!("{}", a.1),
                )
                .related(
                    &h.address,
                    AttrPath::attr("address_space").index(b.0),
                    format!("{}", b.1),
                ),
            );
        }
        if p.bool("use_remote_gateways") == Some(true) {
            if h.str("gateway") == Some("none") {
                d.push(
                    Diagnostic::error(
                        "no-remote-gateway",
                        format!(
                            "use_remote_gateways = true but {} has no gateway (gateway = none)",
                            h.address
                        ),
                    )
                    .at(&p.address, AttrPath::attr("use_remote_gateways"))
                    .related(&h.address, AttrPath::attr("gateway"), "gateway = none")
                    .hint(if t.graph.is_lookup(&h.address) {
                        "the hub is looked up, not managed here: set use_remote_gateways = false, or peer to a hub that has a gateway"
                    } else {
                        "set gateway = vpn or expressroute on the hub, or use_remote_gateways = false"
                    }),
                );
            }
            if let Some(first) = remote_gw.insert(cid, p) {
                d.push(
                    Diagnostic::error(
                        "second-remote-gateway",
                        format!(
                            "{} already uses remote gateways through {}; a VNET may use only one",
                            c.address, first.address
                        ),
                    )
                    .at(&p.address, AttrPath::attr("use_remote_gateways"))
                    .related(
                        &first.address,
                        AttrPath::attr("use_remote_gateways"),
                        "first remote-gateway peering",
                    ),
                );
                remote_gw.insert(cid, first);
            }
        }
        spokes.entry(hid).or_default().push((p, c));
    }
    // Spokes of one hub must not overlap each other: the hub (and on-premises
    // through it) could not route to both.
    let mut hub_ids: Vec<&&str> = spokes.keys().collect();
    hub_ids.sort();
    for hid in hub_ids {
        let list = &spokes[*hid];
        let tagged: Vec<_> = list
            .iter()
            .flat_map(|(p, c)| space(c).into_iter().map(move |(i, n)| (n, (*p, *c, i))))
            .collect();
        for ((a, (_, ca, ia)), (b, (pb, cb, ib))) in net::find_overlaps(&tagged) {
            if ca.address == cb.address {
                continue;
            }
            d.push(
                Diagnostic::error(
                    "spoke-overlap",
                    format!(
                        "{} ({b}) overlaps {} ({a}); both are peered to {}",
                        cb.address, ca.address, t.hubs[*hid].address
                    ),
                )
                .at(&pb.address, AttrPath::attr("cluster_network_id"))
                .related(&cb.address, AttrPath::attr("address_space").index(ib), format!("{b}"))
                .related(&ca.address, AttrPath::attr("address_space").index(ia), format!("{a}"))
                .hint("give the next (blue/green) cluster a fresh, non-overlapping range"),
            );
        }
    }
}
