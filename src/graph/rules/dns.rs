//! DNS rules across resources: one DNS configuration per cluster ConfigMap,
//! VNET DNS servers set once and reachable, nameservers reachable,
//! ExternalName zones resolvable, custom VNET DNS explained once per VNET,
//! and no conditional forwarding loops.

use super::resolve::{describe, Resolvers};
use super::{Needs, Topology};
use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::kinds::cluster_private::{self, AZURE_DNS};
use crate::graph::kinds::dns_path;
use crate::graph::net;
use crate::graph::value::AttrPath;
use crate::graph::{Kind, Resource};
use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;

/// What each code of this file needs to hold on part of a graph.
pub(super) const RULES: &[(&str, Needs)] = &[
    ("duplicate-dns-upstream", Needs::Named),
    ("conflicting-vnet-dns", Needs::Named),
    ("nameserver-unreachable", Needs::Connectivity),
    ("vnet-dns-unreachable", Needs::Connectivity),
    ("external-name-unresolvable", Needs::Whole),
    ("vnet-dns-change", Needs::Whole),
    ("dns-forwarding-loop", Needs::Named),
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
    for c in t
        .graph
        .sorted()
        .into_iter()
        .filter(|r| r.kind() == Kind::ClusterNetwork)
    {
        vnet_dns_reach(t, c, d);
        vnet_dns_advice(t, c, by_cluster.get(c.id().unwrap_or_default()).copied(), d);
    }
    forwarding_loops(t, d);
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
    // The cluster's own VNET DNS servers are judged there (vnet-dns-unreachable).
    let own: Vec<&str> = c.get("dns_servers").strings();
    for (path, s) in entries {
        let ip = s.rsplit_once(':').map_or(s, |(ip, _)| ip);
        let Ok(ip) = net::parse_ip(ip) else { continue };
        if own.contains(&ip.to_string().as_str()) {
            continue;
        }
        if let Err(why) = reach(t, c, ip) {
            d.push(
                Diagnostic::error(
                    "nameserver-unreachable",
                    format!("nameserver {ip} is {why}: {} cannot reach it", c.address),
                )
                .at(&r.address, path)
                .hint(REACH_HINT),
            );
        }
    }
}

const REACH_HINT: &str = "a cluster reaches its own VNET, the hubs it peers with and, through a peering with `use_remote_gateways = true` to a hub whose gateway connects the site, on-premises ranges (peering is not transitive)";

/// Whether a cluster's nodes reach a DNS server at `ip`; why not otherwise.
/// Azure DNS and public addresses are reached; a private address must lie
/// in a network the cluster reaches.
pub(super) fn reach(t: &Topology, c: &Resource, ip: Ipv4Addr) -> Result<(), String> {
    let inside = |r: &Resource| super::space(r).iter().any(|(_, n)| n.contains(&ip));
    if ip.to_string() == AZURE_DNS || inside(c) {
        return Ok(());
    }
    if t.hubs_of(c).iter().any(|(_, h)| inside(h)) {
        return Ok(());
    }
    if let Some((addr, _)) = t.onprem.containing_ip(ip) {
        return if t.reaches_onprem(c) {
            Ok(())
        } else {
            Err(format!(
                "on premises ({addr}) but there is no peering that uses a hub gateway"
            ))
        };
    }
    let other = t
        .graph
        .sorted()
        .into_iter()
        .find(|r| matches!(r.kind(), Kind::Hub | Kind::ClusterNetwork) && inside(r));
    if let Some(o) = other {
        return Err(format!("in {}, which is not peered with {}", o.address, c.address));
    }
    let shared = net::parse_cidr("100.64.0.0/10").is_ok_and(|n| n.contains(&ip));
    if ip.is_private() || shared {
        return Err("in no declared network (not in the VNET, a peered VNET or on premises)".into());
    }
    Ok(())
}

/// The DNS servers a cluster VNET uses: those a dns_upstream sets there
/// (coredns_aks), else the network's own; with where they are written.
pub(super) fn vnet_dns<'g>(
    c: &'g Resource,
    upstream: Option<&'g Resource>,
) -> Option<(&'g Resource, &'static str, Vec<(usize, Ipv4Addr)>)> {
    let parse = |r: &'g Resource, attr: &str| -> Vec<(usize, Ipv4Addr)> {
        r.get(attr)
            .strings()
            .into_iter()
            .enumerate()
            .filter_map(|(i, s)| net::parse_ip(s).ok().map(|ip| (i, ip)))
            .collect()
    };
    if let Some(u) = upstream.filter(|u| u.get("vnet_dns_servers").as_list().is_some_and(|l| !l.is_empty())) {
        return Some((u, "nameservers", parse(u, "vnet_dns_servers")));
    }
    let own = parse(c, "dns_servers");
    (!own.is_empty()).then_some((c, "dns_servers", own))
}

/// A cluster's own VNET DNS servers must be reachable from its nodes: a
/// server they cannot reach leaves them without DNS.
fn vnet_dns_reach(t: &Topology, c: &Resource, d: &mut Diagnostics) {
    for (i, s) in c.get("dns_servers").strings().into_iter().enumerate() {
        let Ok(ip) = net::parse_ip(s) else { continue };
        if let Err(why) = reach(t, c, ip) {
            d.push(
                Diagnostic::error(
                    "vnet-dns-unreachable",
                    format!(
                        "VNET DNS server {ip} of {} is {why}: its nodes would have no DNS",
                        c.address
                    ),
                )
                .at(&c.address, AttrPath::attr("dns_servers").index(i))
                .hint(REACH_HINT),
            );
        }
    }
}

/// The Azure zones a VNET with custom DNS must have forwarded to a hub
/// resolver (the cluster's own zone first).
fn azure_zones(c: &Resource) -> Vec<String> {
    let region = cluster_private::region(c.str("location").unwrap_or_default());
    vec![
        format!("privatelink.{region}.azmk8s.io"),
        "azmk8s.io".into(),
        "privatelink.*".into(),
    ]
}

/// Says once per cluster VNET what custom DNS servers mean: nodes see them
/// after a DHCP renew, and Azure's names resolve only through a resolver in
/// Azure. The forwarding advice is left out when every server already sends
/// the cluster's Azure zone to a hub resolver.
fn vnet_dns_advice(t: &Topology, c: &Resource, upstream: Option<&Resource>, d: &mut Diagnostics) {
    let Some((at, attr, servers)) = vnet_dns(c, upstream) else {
        return;
    };
    if servers.iter().all(|(_, ip)| ip.to_string() == AZURE_DNS) {
        return;
    }
    let resolvers = Resolvers::new(t);
    let zones = azure_zones(c);
    let forwarded = servers.iter().all(|(_, ip)| {
        ip.to_string() == AZURE_DNS || matches!(resolvers.walk(&zones[0], *ip).1, super::resolve::End::Hub(_))
    });
    let list: Vec<String> = servers.iter().map(|(_, ip)| ip.to_string()).collect();
    let mut w = Diagnostic::warning(
        "vnet-dns-change",
        format!(
            "{} uses custom DNS servers ({}): nodes pick a change up only after a DHCP renew or reboot{}",
            c.address,
            list.join(", "),
            if forwarded {
                ""
            } else {
                ", and Azure's private names resolve only where these servers forward them to a resolver inside Azure"
            }
        ),
    )
    .at(&at.address, AttrPath::attr(attr));
    if !forwarded {
        w = w.hint(format!(
            "on-premises DNS cannot reach Azure DNS (168.63.129.16 answers only inside a VNET): forward the Azure zones ({}, the private endpoints' privatelink.* zones) to a resolver in the hub (a hub's dns_resolver_ips, e.g. an Azure DNS Private Resolver inbound endpoint), which asks 168.63.129.16",
            zones[..2].join(", ")
        ));
    }
    if at.address != c.address {
        w = w.related(&c.address, AttrPath::attr("dns_servers"), "the cluster VNET");
    }
    d.push(w);
}

/// Conditional forwarders that send a zone round in a circle (on-premises
/// to the hub resolver and back), found from every forwarder and every
/// dns_upstream stub domain; each cycle reported once, on its first server
/// in address order.
fn forwarding_loops(t: &Topology, d: &mut Diagnostics) {
    let resolvers = Resolvers::new(t);
    let mut starts: Vec<(String, Ipv4Addr, Option<(&Resource, String)>)> = Vec::new();
    for r in t.graph.sorted() {
        match r.kind() {
            Kind::Hub | Kind::Onprem => {
                for (_, zone, targets) in dns_path::forwarders(r) {
                    for ip in targets.iter().filter_map(|s| net::parse_ip(s).ok()) {
                        starts.push((zone.clone(), ip, None));
                    }
                }
            }
            Kind::DnsUpstream => {
                for (dom, list) in r.get("stub_domains").as_map().into_iter().flatten() {
                    for s in list.strings() {
                        let ip = s.rsplit_once(':').map_or(s, |(ip, _)| ip);
                        if let Ok(ip) = net::parse_ip(ip) {
                            starts.push((dns_path::zone_key(dom), ip, Some((r, dom.clone()))));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    // Each cycle once; every dns_upstream that sends a zone into it is named
    // on it, whichever start found it first.
    let mut found: BTreeMap<(String, Vec<String>), usize> = BTreeMap::new();
    let mut out: Vec<(Diagnostic, Vec<(&Resource, String)>)> = Vec::new();
    for (zone, ip, via) in starts {
        for mut cycle in resolvers.cycles(&zone, ip) {
            let Some(first) = (0..cycle.len()).min_by_key(|&i| cycle[i].server.owner.address.to_string()) else {
                continue;
            };
            cycle.rotate_left(first);
            let key: Vec<String> = cycle.iter().map(|h| h.server.owner.address.to_string()).collect();
            if let Some(&i) = found.get(&(zone.clone(), key.clone())) {
                let named = |u: &Resource| out[i].1.iter().any(|(v, _)| v.address == u.address);
                if let Some(v) = via.clone().filter(|(u, _)| !named(u)) {
                    out[i].1.push(v);
                }
                continue;
            }
            found.insert((zone.clone(), key), out.len());
            let mut path: Vec<String> = cycle.iter().map(|h| describe(&h.server)).collect();
            path.push(describe(&cycle[0].server));
            let head = &cycle[0];
            let mut diag = Diagnostic::error(
                "dns-forwarding-loop",
                format!("DNS forwarding loop for `{zone}`: {}", path.join(" → ")),
            )
            .at(&head.server.owner.address, AttrPath::attr("dns_forwarders").index(head.forwarder).then("targets"))
            .hint("one side must answer the zone: the hub resolver forwards Azure zones to 168.63.129.16 (no forwarder for them), on-premises DNS answers its own zones (no forwarder back to the hub)");
            for h in &cycle[1..] {
                diag = diag.related(
                    &h.server.owner.address,
                    AttrPath::attr("dns_forwarders").index(h.forwarder).then("targets"),
                    format!("{} forwards `{zone}` on", h.server.owner.address),
                );
            }
            out.push((diag, via.clone().into_iter().collect()));
        }
    }
    for (mut diag, vias) in out {
        for (u, dom) in vias {
            diag = diag.related(
                &u.address,
                AttrPath::attr("stub_domains").key(&dom),
                "the cluster DNS sends the zone into the loop",
            );
        }
        d.push(diag);
    }
}
