//! Which of the plan's objects can take part in a rule about one planned
//! object, so a check looks at the objects around it, not the whole plan
//! (a plan of hundreds of services checks each against its cluster and the
//! networks that cluster meets, not against every other service).

use super::super::plan_store::Snapshot;
use crate::graph::{Attrs, Kind, Value};
use std::collections::HashSet;

/// The IDs (lowercase) of the planned objects that rules about an object of
/// `kind` with `attrs` may involve; `None`: every object (an on-premises
/// declaration meets every network).
pub fn around(snapshot: &Snapshot, kind: Kind, attrs: &Attrs) -> Option<HashSet<String>> {
    let s = |a: &Attrs, k: &str| a.get(k).and_then(Value::as_str).map(str::to_lowercase);
    let mut clusters: HashSet<String> = HashSet::new();
    let mut hubs: HashSet<String> = HashSet::new();
    match kind {
        Kind::Onprem => return None,
        Kind::ClusterNetwork => clusters.extend(s(attrs, "id")),
        Kind::Hub => hubs.extend(s(attrs, "id")),
        Kind::Peering => {
            clusters.extend(s(attrs, "cluster_network_id"));
            hubs.extend(s(attrs, "hub_id"));
        }
        Kind::DnsUpstream | Kind::ExternalService | Kind::LbService | Kind::NetworkSecurityGroup | Kind::RouteTable => {
            clusters.extend(s(attrs, "cluster_network_id"))
        }
    }
    let live = || {
        snapshot
            .iter()
            .filter_map(|(id, e)| e.live().map(|a| (id, e.kind(), a)))
    };
    // The other spokes of the hubs (spoke overlap), the hubs of the clusters.
    if matches!(kind, Kind::Peering | Kind::Hub) {
        for (_, _, a) in live().filter(|(_, k, _)| *k == Kind::Peering) {
            if s(a, "hub_id").is_some_and(|h| hubs.contains(&h)) {
                clusters.extend(s(a, "cluster_network_id"));
            }
        }
    }
    for (_, _, a) in live().filter(|(_, k, _)| *k == Kind::Peering) {
        if s(a, "cluster_network_id").is_some_and(|c| clusters.contains(&c)) {
            hubs.extend(s(a, "hub_id"));
        }
    }
    let k8s = |k: Kind| matches!(k, Kind::DnsUpstream | Kind::ExternalService | Kind::LbService);
    let mut out = HashSet::new();
    for (id, k, a) in live() {
        let lid = id.to_lowercase();
        let of = |attr: &str, set: &HashSet<String>| s(a, attr).is_some_and(|v| set.contains(&v));
        let keep = match k {
            Kind::Onprem => true,
            Kind::ClusterNetwork => clusters.contains(&lid),
            Kind::Hub => hubs.contains(&lid),
            Kind::Peering => of("cluster_network_id", &clusters) || of("hub_id", &hubs),
            // Services of a cluster meet each other only in counts and
            // names of their own kind (internal load balancers, DNS).
            _ => of("cluster_network_id", &clusters) && (!k8s(kind) || (k == kind && k != Kind::ExternalService)),
        };
        if keep {
            out.insert(lid);
        }
    }
    Some(out)
}
