//! Service rules that need the cluster and its networks: endpoint
//! reachability, cluster-IP clashes, unique names, internal load balancers
//! counted in sizing and placed in a real subnet.

use super::{space, Needs, Topology};
use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::kinds::util;
use crate::graph::net;
use crate::graph::schema::closest;
use crate::graph::value::AttrPath;
use crate::graph::{Kind, Resource};
use std::collections::{BTreeMap, HashMap};

/// What each code of this file needs to hold on part of a graph.
pub(super) const RULES: &[(&str, Needs)] = &[
    ("duplicate-service", Needs::Named),
    ("internal-lb-not-sized", Needs::Named),
    ("endpoint-in-service-cidr", Needs::Named),
    ("onprem-unreachable", Needs::Connectivity),
    ("endpoint-unreachable", Needs::Connectivity),
    ("unknown-subnet", Needs::Named),
    ("lb-ip-outside-subnet", Needs::Named),
];

pub fn check(t: &Topology, d: &mut Diagnostics) {
    let mut names: HashMap<(&str, &str, &str), &Resource> = HashMap::new();
    let mut internal: BTreeMap<&str, Vec<&Resource>> = BTreeMap::new();
    for r in t.graph.sorted() {
        if !matches!(r.kind(), Kind::ExternalService | Kind::LbService) {
            continue;
        }
        let Some(c) = t.cluster_of(r) else { continue };
        let cid = c.id().unwrap_or_default();
        if let (Some(ns), Some(n)) = (r.str("namespace"), r.str("name")) {
            if let Some(first) = names.insert((cid, ns, n), r) {
                d.push(
                    Diagnostic::error(
                        "duplicate-service",
                        format!(
                            "Service {ns}/{n} is declared by {} and {} in {}",
                            first.address, r.address, c.address
                        ),
                    )
                    .at(&r.address, AttrPath::attr("name"))
                    .related(&first.address, AttrPath::attr("name"), "first declared here"),
                );
                names.insert((cid, ns, n), first);
            }
        }
        match r.kind() {
            Kind::ExternalService => endpoints(t, r, c, d),
            _ => {
                if r.bool("internal") == Some(true) {
                    internal.entry(cid).or_default().push(r);
                    internal_lb(r, c, d);
                }
            }
        }
    }
    for (cid, lbs) in internal {
        let c = t.clusters[cid];
        // Null: a cluster read from the fabric, whose sizing inputs only its
        // own configuration knows.
        let Some(reserved) = c.int("internal_lb_ips") else {
            continue;
        };
        if (lbs.len() as i64) > reserved {
            let extra = lbs[reserved.max(0) as usize];
            d.push(
                Diagnostic::error(
                    "internal-lb-not-sized",
                    format!(
                        "{} internal load balancer(s) in {} but internal_lb_ips = {reserved}: the subnet sizing does not count {}",
                        lbs.len(),
                        c.address,
                        extra.address
                    ),
                )
                .at(&extra.address, AttrPath::attr("internal"))
                .related(&c.address, AttrPath::attr("internal_lb_ips"), format!("internal_lb_ips = {reserved}"))
                .hint(format!("set internal_lb_ips = {} on {}", lbs.len(), c.address)),
            );
        }
    }
}

fn endpoints(t: &Topology, r: &Resource, c: &Resource, d: &mut Diagnostics) {
    let service = util::cidr_quiet(c, "service_cidr");
    let own = space(c);
    let hubs = t.hubs_of(c);
    let via_gateway = t.reaches_onprem(c);
    for (i, s) in r.get("endpoints").strings().into_iter().enumerate() {
        let Ok(ip) = net::parse_ip(s) else { continue };
        let path = AttrPath::attr("endpoints").index(i);
        if service.is_some_and(|sc| sc.contains(&ip)) {
            d.push(
                Diagnostic::error(
                    "endpoint-in-service-cidr",
                    format!(
                        "endpoint {ip} lies in service_cidr {} of {}: it would be a Service's cluster IP",
                        service.expect("checked"),
                        c.address
                    ),
                )
                .at(&r.address, path)
                .related(&c.address, AttrPath::attr("service_cidr"), "service range"),
            );
            continue;
        }
        if own.iter().any(|(_, n)| n.contains(&ip)) {
            continue;
        }
        // A hub whose ranges are not known yet (a lookup not read) may hold it.
        if hubs
            .iter()
            .any(|(_, h)| !h.get("address_space").is_wholly_known() || space(h).iter().any(|(_, n)| n.contains(&ip)))
        {
            continue;
        }
        if let Some((addr, _)) = t.onprem.containing_ip(ip) {
            if !via_gateway {
                d.push(
                    Diagnostic::error(
                        "onprem-unreachable",
                        format!(
                            "endpoint {ip} is on premises ({addr}) but {} has no peering that uses a hub gateway",
                            c.address
                        ),
                    )
                    .at(&r.address, path)
                    .related(addr, AttrPath::attr("address_space"), "on-premises range")
                    .hint("peer the cluster with the hub with use_remote_gateways = true (peering is not transitive)"),
                );
            }
            continue;
        }
        let mut declared: Vec<String> = own.iter().map(|(_, n)| format!("{n} ({})", c.address)).collect();
        declared.extend(
            hubs.iter()
                .flat_map(|(_, h)| space(h).into_iter().map(move |(_, n)| format!("{n} ({})", h.address))),
        );
        d.push(
            Diagnostic::error(
                "endpoint-unreachable",
                format!(
                    "endpoint {ip} is in no network {} can reach (declared: {})",
                    c.address,
                    if declared.is_empty() {
                        "none".into()
                    } else {
                        declared.join(", ")
                    }
                ),
            )
            .at(&r.address, path)
            .hint("declare the on-premises range that holds it (onprem { address_space = [...] }) or fix the address"),
        );
    }
}

fn internal_lb(r: &Resource, c: &Resource, d: &mut Diagnostics) {
    let mut subnets: Vec<(String, Option<ipnet::Ipv4Net>)> = vec![(
        c.str("node_subnet_name").unwrap_or("nodes").to_string(),
        util::cidr_quiet(c, "node_subnet_cidr"),
    )];
    for item in c.get("subnets").as_list().unwrap_or(&[]) {
        if let Some(m) = item.as_map() {
            let name = m.get("name").and_then(|v| v.as_str()).unwrap_or_default().to_string();
            let cidr = m
                .get("cidr")
                .and_then(|v| v.as_str())
                .and_then(|s| net::parse_cidr(s).ok());
            subnets.push((name, cidr));
        }
    }
    let chosen = match r.str("internal_subnet") {
        Some(want) => match subnets.iter().find(|(n, _)| n == want) {
            Some(s) => Some(s.clone()),
            None => {
                let names: Vec<&str> = subnets.iter().map(|(n, _)| n.as_str()).collect();
                let mut diag = Diagnostic::error(
                    "unknown-subnet",
                    format!(
                        "internal_subnet `{want}` is not a subnet of {} (subnets: {})",
                        c.address,
                        names.join(", ")
                    ),
                )
                .at(&r.address, AttrPath::attr("internal_subnet"));
                if let Some(s) = closest(want, &names) {
                    diag = diag.hint(format!("did you mean `{s}`?"));
                }
                d.push(diag);
                None
            }
        },
        None => subnets.first().cloned(),
    };
    if let (Some((name, Some(sn))), Some(ip)) = (chosen, r.str("load_balancer_ip").and_then(|s| net::parse_ip(s).ok()))
    {
        if !sn.contains(&ip) {
            d.push(
                Diagnostic::error(
                    "lb-ip-outside-subnet",
                    format!("load_balancer_ip {ip} is not in subnet {name} {sn} of {}", c.address),
                )
                .at(&r.address, AttrPath::attr("load_balancer_ip")),
            );
        }
    }
}
