//! A cluster's ranges against every network it will meet: on-premises
//! ranges, `avoid` ranges and the hubs it peers with. The classic hybrid
//! failure is an overlap here (nodes NotReady after peering, or
//! `ServiceCidrOverlapExistingSubnetsCidr`).

use super::{space, Needs, Topology};
use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::kinds::util;
use crate::graph::net;
use crate::graph::sizing::Plugin;
use crate::graph::value::AttrPath;
use crate::graph::{Kind, Resource};
use ipnet::Ipv4Net;

/// What each code of this file needs to hold on part of a graph.
pub(super) const RULES: &[(&str, Needs)] = &[
    ("onprem-overlap", Needs::Named),
    ("avoid-overlap", Needs::Named),
    ("hub-overlap", Needs::Named),
];

pub fn check(t: &Topology, d: &mut Diagnostics) {
    for c in t.graph.of_kind(Kind::ClusterNetwork) {
        let avoid = util::cidrs_quiet(c, "avoid");
        let hubs = t.hubs_of(c);
        let mut own: Vec<(AttrPath, &str, Ipv4Net)> = space(c)
            .into_iter()
            .map(|(i, n)| (AttrPath::attr("address_space").index(i), "address range", n))
            .collect();
        // Overlay and kubenet pods use pod_cidr; the other modes take VNET addresses.
        let uses_pods = c
            .str("plugin")
            .and_then(Plugin::parse)
            .is_some_and(Plugin::uses_pod_cidr);
        for (attr, what) in [
            ("service_cidr", "service_cidr"),
            ("pod_cidr", "pod_cidr"),
            ("docker_bridge_cidr", "docker_bridge_cidr"),
        ] {
            if attr == "pod_cidr" && !uses_pods {
                continue;
            }
            let n = if attr == "docker_bridge_cidr" {
                c.str(attr)
                    .and_then(|s| net::parse_iface_cidr(s).ok())
                    .map(|n| n.trunc())
            } else {
                util::cidr_quiet(c, attr)
            };
            if let Some(n) = n {
                own.push((AttrPath::attr(attr), what, n));
            }
        }
        for (path, what, n) in &own {
            if let Some((addr, i)) = t.onprem.overlapping(n) {
                let onp = t.graph.get(addr).expect("indexed from the graph");
                let theirs = util::cidrs_quiet(onp, "address_space")
                    .into_iter()
                    .find(|(j, _)| j == i)
                    .map(|(_, r)| r);
                d.push(
                    Diagnostic::error(
                        "onprem-overlap",
                        format!(
                            "{what} {n} of {} overlaps on-premises range {} of {}",
                            c.address,
                            theirs.map_or("?".into(), |r| r.to_string()),
                            addr
                        ),
                    )
                    .at(&c.address, path.clone())
                    .related(addr, AttrPath::attr("address_space").index(*i), "on-premises range")
                    .hint(hint_for(what)),
                );
                continue;
            }
            if let Some((j, a)) = avoid.iter().find(|(_, a)| net::overlaps(a, n)) {
                if path.head() == Some("address_space") || !own_space_contains(c, a) {
                    d.push(
                        Diagnostic::error(
                            "avoid-overlap",
                            format!("{what} {n} of {} overlaps avoided range {a}", c.address),
                        )
                        .at(&c.address, path.clone())
                        .related(&c.address, AttrPath::attr("avoid").index(*j), format!("{a}"))
                        .hint(hint_for(what)),
                    );
                    continue;
                }
            }
            if path.head() == Some("address_space") {
                continue; // peering rules cover VNET vs hub
            }
            for (_, h) in &hubs {
                if let Some((i, hn)) = space(h).into_iter().find(|(_, hn)| net::overlaps(hn, n)) {
                    d.push(
                        Diagnostic::error(
                            "hub-overlap",
                            format!("{what} {n} of {} overlaps {hn} of peered hub {}", c.address, h.address),
                        )
                        .at(&c.address, path.clone())
                        .related(&h.address, AttrPath::attr("address_space").index(i), format!("{hn}"))
                        .hint(hint_for(what)),
                    );
                    break;
                }
            }
        }
    }
}

fn own_space_contains(c: &Resource, a: &Ipv4Net) -> bool {
    space(c).iter().any(|(_, s)| s.contains(a))
}

fn hint_for(what: &str) -> &'static str {
    match what {
        "service_cidr" => "pick a service range no network uses (it is never routed, so clusters may share one), e.g. 172.16.0.0/16 when 10.0.0.0/8 is on premises",
        "pod_cidr" => "pick a pod range no network uses: overlay and kubenet pods are routed (or SNATed) from it, so it must not overlap the VNET, a peered VNET or on-premises; clusters may share one",
        "docker_bridge_cidr" => "pick a bridge range no network uses, e.g. 172.17.0.1/16",
        _ => "choose a cluster range that no on-premises, hub or avoided network uses",
    }
}
