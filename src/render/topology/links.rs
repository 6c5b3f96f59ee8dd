//! The edges between boxes besides peerings: each site to each hub
//! gateway, DNS forwarding and Service endpoints to the network holding
//! the address.

use super::model::{gateway_node, kubernetes_node, node, Link, LinkKind, Picture};
use super::read::{attr, forwarders};
use crate::graph::{net, Address, Kind, Resource};
use std::collections::BTreeMap;

/// Gateway links (each site to each hub gateway), DNS forwarding and
/// Service endpoints to the network holding the address.
pub(super) fn links(
    pic: &Picture,
    resources: &[&Resource],
    target: &dyn Fn(&Resource, &str, Kind) -> Option<Address>,
) -> Vec<Link> {
    let mut found: BTreeMap<(String, String, LinkKind), Vec<String>> = BTreeMap::new();
    let mut add = |from: String, to: String, kind: LinkKind, label: String| {
        // Not to the box it is drawn in (a Service's endpoints in its own VNET).
        if from == to || from.starts_with(&format!("{to}/")) {
            return;
        }
        let labels = found.entry((from, to, kind)).or_default();
        if !labels.contains(&label) {
            labels.push(label);
        }
    };
    for h in &pic.hubs {
        if let Some(g) = &h.gateway {
            for s in &pic.sites {
                add(node(&s.address), gateway_node(&h.address), LinkKind::Gateway, g.clone());
            }
        }
    }
    // Where an address lies: the smallest network of the picture holding it.
    let mut ranges: Vec<(ipnet::Ipv4Net, String)> = Vec::new();
    for r in resources {
        if matches!(r.kind(), Kind::Onprem | Kind::Hub | Kind::ClusterNetwork) {
            for s in r.get("address_space").strings() {
                if let Ok(n) = net::parse_cidr(s) {
                    ranges.push((n, node(&r.address)));
                }
            }
        }
    }
    let holder = |ip: &str| -> Option<String> {
        let host = ip.split(':').next().unwrap_or(ip);
        let ip: std::net::Ipv4Addr = host.parse().ok()?;
        ranges
            .iter()
            .filter(|(n, _)| n.contains(&ip))
            .max_by_key(|(n, _)| n.prefix_len())
            .map(|(_, a)| a.clone())
    };
    for r in resources {
        let cluster = target(r, "cluster_network_id", Kind::ClusterNetwork).map(|a| kubernetes_node(&a));
        match (r.kind(), cluster) {
            (Kind::Onprem | Kind::Hub, _) => {
                for (zone, targets) in forwarders(r) {
                    for t in targets.iter().filter_map(|t| holder(t)) {
                        add(node(&r.address), t, LinkKind::Dns, zone.clone());
                    }
                }
            }
            (Kind::ClusterNetwork, _) => {
                for t in r.get("dns_servers").strings().into_iter().filter_map(holder) {
                    add(node(&r.address), t, LinkKind::Dns, "VNET DNS".into());
                }
            }
            (Kind::DnsUpstream, Some(from)) => {
                for t in r.get("nameservers").strings().into_iter().filter_map(holder) {
                    add(from.clone(), t, LinkKind::Dns, "upstream".into());
                }
                for (zone, servers) in r.get("stub_domains").as_map().into_iter().flatten() {
                    for t in servers.strings().into_iter().filter_map(holder) {
                        add(from.clone(), t, LinkKind::Dns, zone.clone());
                    }
                }
            }
            (Kind::ExternalService, Some(from)) => {
                let name = attr(r, "name").unwrap_or_default();
                for t in r.get("endpoints").strings().into_iter().filter_map(holder) {
                    add(from.clone(), t, LinkKind::Endpoints, name.clone());
                }
            }
            _ => {}
        }
    }
    found
        .into_iter()
        .map(|((from, to, kind), labels)| Link { from, to, kind, labels })
        .collect()
}
