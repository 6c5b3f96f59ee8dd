//! Peering rules: no overlap between the two sides, gateway transit, at
//! most one remote-gateway peering per cluster, no two spokes of one hub
//! overlapping each other, at most [`MAX_PEERINGS_PER_VNET`] peerings of
//! one hub.

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
    ("hub-peering-limit", Needs::Named),
];

/// Azure's limit of peerings per virtual network (networking limits of a
/// subscription; a blue/green switch-over holds two spokes per environment
/// for a while).
pub const MAX_PEERINGS_PER_VNET: usize = 500;

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
    peering_limit(t, d);
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

/// More peerings of one hub than Azure allows: the program's own and, in a
/// Terraform plan, the spokes other stacks already peered (the cross-resource
/// graph holds them). Reported once per hub, at the first peering over the limit.
fn peering_limit(t: &Topology, d: &mut Diagnostics) {
    let mut by_hub: HashMap<String, Vec<&Resource>> = HashMap::new();
    for p in t.graph.sorted().into_iter().filter(|r| r.kind() == Kind::Peering) {
        if let Some(hid) = p.str("hub_id") {
            by_hub.entry(hid.to_ascii_lowercase()).or_default().push(p);
        }
    }
    let mut hubs: Vec<(&String, &Vec<&Resource>)> = by_hub.iter().collect();
    hubs.sort_by(|a, b| a.0.cmp(b.0));
    for (hid, list) in hubs {
        if list.len() <= MAX_PEERINGS_PER_VNET {
            continue;
        }
        let over = list[MAX_PEERINGS_PER_VNET];
        let hub = t.hubs.iter().find(|(id, _)| id.eq_ignore_ascii_case(hid)).map_or_else(
            || hid.rsplit('/').next().unwrap_or(hid).to_string(),
            |(_, h)| h.address.to_string(),
        );
        d.push(
            Diagnostic::error(
                "hub-peering-limit",
                format!(
                    "{hub} would have {} peerings; Azure allows at most {MAX_PEERINGS_PER_VNET} per virtual network",
                    list.len()
                ),
            )
            .at(&over.address, AttrPath::attr("hub_id"))
            .hint("retire the blue slot of an environment before adding its green one, or spread the spokes over a second hub"),
        );
    }
}
