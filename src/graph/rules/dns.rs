//! DNS rules across resources: one DNS configuration per cluster ConfigMap,
//! VNET DNS servers set once, nameservers reachable, ExternalName zones
//! resolvable.

use super::{Needs, Topology};
use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::net;
use crate::graph::value::AttrPath;
use crate::graph::{Kind, Resource};
use std::collections::HashMap;

/// What each code of this file needs to hold on part of a graph.
pub(super) const RULES: &[(&str, Needs)] = &[
    ("duplicate-dns-upstream", Needs::Named),
    ("conflicting-vnet-dns", Needs::Named),
    ("nameserver-unreachable", Needs::Connectivity),
    ("external-name-unresolvable", Needs::Whole),
];

pub fn check(t: &Topology, d: &mut Diagnostics) {
    let mut by_cluster: HashMap<&str, &Resource> = HashMap::new();
    for r in t.graph.sorted().into_iter().filter(|r| r.kind() == Kind::DnsUpstream) {
        let Some(c) = t.cluster_of(r) else { continue };
        let cid = c.id().unwrap_or_default();
        if let Some(first) = by_cluster.insert(cid, r) {
            d.push(
                Diagnostic::error(
                    "duplicate-dns-upstream",
                    format!("{} already configures the DNS of {}", first.address, c.address),
                )
                .at(&r.address, AttrPath::attr("cluster_network_id"))
                .related(&first.address, AttrPath::root(), "first DNS configuration"),
            );
            by_cluster.insert(cid, first);
            continue;
        }
        let vnet_dns = r.get("vnet_dns_servers");
        let own = c.get("dns_servers");
        if vnet_dns.as_list().is_some_and(|l| !l.is_empty())
            && own.as_list().is_some_and(|l| !l.is_empty())
            && vnet_dns != own
        {
            d.push(
                Diagnostic::error(
                    "conflicting-vnet-dns",
                    format!(
                        "{} sets the VNET DNS servers of {} to {vnet_dns}, but the cluster network sets {own}",
                        r.address, c.address
                    ),
                )
                .at(&r.address, AttrPath::attr("nameservers"))
                .related(&c.address, AttrPath::attr("dns_servers"), "set here too"),
            );
        }
        nameserver_reach(t, r, c, d);
    }
    for r in t
        .graph
        .sorted()
        .into_iter()
        .filter(|r| r.kind() == Kind::ExternalService)
    {
        let (Some(host), Some(c)) = (r.str("external_name"), t.cluster_of(r)) else {
            continue;
        };
        let host = host.trim_end_matches('.');
        let Some(onprem_domain) = t
            .graph
            .of_kind(Kind::Onprem)
            .flat_map(|o| o.get("domains").strings())
            .find(|dom| host == *dom || host.ends_with(&format!(".{dom}")))
        else {
            continue;
        };
        let dns = by_cluster.get(c.id().unwrap_or_default());
        let covered = dns.is_some_and(|u| {
            let stub = u
                .get("stub_domains")
                .as_map()
                .is_some_and(|m| m.keys().any(|k| host == k || host.ends_with(&format!(".{k}"))));
            stub || u.get("nameservers").as_list().is_some_and(|l| !l.is_empty())
        }) || c.get("dns_servers").as_list().is_some_and(|l| !l.is_empty());
        if !covered {
            d.push(
                Diagnostic::warning(
                    "external-name-unresolvable",
                    format!("external_name {host} is in on-premises domain {onprem_domain}, which no stub domain or upstream of {} covers", c.address),
                )
                .at(&r.address, AttrPath::attr("external_name"))
                .hint(format!("add stub_domains = {{ \"{onprem_domain}\" = <on-prem DNS servers> }} to the cluster's dns_upstream")),
            );
        }
    }
}

fn nameserver_reach(t: &Topology, r: &Resource, c: &Resource, d: &mut Diagnostics) {
    let mut entries: Vec<(AttrPath, &str)> = r
        .get("nameservers")
        .strings()
        .into_iter()
        .enumerate()
        .map(|(i, s)| (AttrPath::attr("nameservers").index(i), s))
        .collect();
    for (dom, list) in r.get("stub_domains").as_map().into_iter().flatten() {
        entries.extend(
            list.strings()
                .into_iter()
                .enumerate()
                .map(|(i, s)| (AttrPath::attr("stub_domains").key(dom).index(i), s)),
        );
    }
    let via_gateway = t.reaches_onprem(c);
    for (path, s) in entries {
        let ip = s.rsplit_once(':').map_or(s, |(ip, _)| ip);
        let Ok(ip) = net::parse_ip(ip) else { continue };
        if let Some((addr, _)) = t.onprem.containing_ip(ip) {
            if !via_gateway {
                d.push(
                    Diagnostic::warning(
                        "nameserver-unreachable",
                        format!(
                            "nameserver {ip} is on premises ({addr}) but {} has no peering that uses a hub gateway",
                            c.address
                        ),
                    )
                    .at(&r.address, path)
                    .hint("peering is not transitive: the cluster reaches on-premises only through a peering with `use_remote_gateways = true` to a hub whose gateway connects the site"),
                );
            }
        }
    }
}
