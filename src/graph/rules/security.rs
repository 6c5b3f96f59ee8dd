//! Subnet security across resources: where NSGs and route tables attach
//! (a real subnet of their cluster, one of each per subnet), what AKS needs
//! an NSG on a node subnet to let through (load-balancer probes, node
//! egress to the API server, traffic between nodes), and the route budget
//! and coverage of a kubenet cluster.

use super::{space, Needs, Topology};
use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::kinds::network_security_group::{evaluate, AZURE_PLATFORM_IP};
use crate::graph::kinds::route_table::MAX_ROUTES;
use crate::graph::net;
use crate::graph::packet::{Direction, Packet, Protocol};
use crate::graph::value::{AttrPath, Value};
use crate::graph::{Kind, Resource};
use ipnet::Ipv4Net;
use std::collections::HashMap;
use std::net::Ipv4Addr;

/// What each code of this file needs to hold on part of a graph.
pub(super) const RULES: &[(&str, Needs)] = &[
    ("attached-subnet-unknown", Needs::Named),
    ("subnet-already-attached", Needs::Named),
    ("kubenet-route-limit", Needs::Named),
    ("kubenet-subnet-without-route-table", Needs::Whole),
    ("nsg-blocks-lb-probes", Needs::Connectivity),
    ("nsg-blocks-api-server", Needs::Connectivity),
    ("nsg-blocks-node-traffic", Needs::Connectivity),
];

/// Stands for the cluster's public API server endpoint (an address on the
/// Internet; hybridk8s cannot know the real one before the cluster exists).
pub const API_SERVER_STANDIN: Ipv4Addr = Ipv4Addr::new(20, 0, 0, 1);
/// kube-proxy's health port, which Azure load-balancer probes reach.
const PROBE_PORT: u16 = 10256;
/// The kubelet port nodes and the control plane's tunnel use between nodes.
const KUBELET_PORT: u16 = 10250;

/// The subnets of a cluster: `(name, cidr, path of the name)`.
fn subnets_of(c: &Resource) -> Vec<(String, Option<Ipv4Net>, AttrPath)> {
    let mut out = Vec::new();
    if let Some(n) = c.str("node_subnet_name") {
        let cidr = c.str("node_subnet_cidr").and_then(|s| net::parse_cidr(s).ok());
        out.push((n.to_string(), cidr, AttrPath::attr("node_subnet_name")));
    }
    for (i, item) in c.get("subnets").as_list().unwrap_or(&[]).iter().enumerate() {
        let m = item.as_map();
        let s = |k: &str| m.and_then(|m| m.get(k)).and_then(Value::as_str);
        if let Some(n) = s("name") {
            let cidr = s("cidr").and_then(|s| net::parse_cidr(s).ok());
            out.push((n.to_string(), cidr, AttrPath::attr("subnets").index(i).then("name")));
        }
    }
    out
}

/// The subnet a resource attaches to: its `subnet_name`, else the node subnet.
pub fn attached_subnet<'a>(r: &'a Resource, cluster: &'a Resource) -> Option<&'a str> {
    r.str("subnet_name").or_else(|| cluster.str("node_subnet_name"))
}

fn is_kubenet(c: &Resource) -> bool {
    matches!(c.str("plugin"), Some("kubenet" | "calico"))
}

/// What the `VirtualNetwork` tag stands for at a cluster: its VNET, the
/// hubs it peers with, and on-premises when a gateway reaches it.
pub fn virtual_network_of(t: &Topology, c: &Resource) -> Vec<Ipv4Net> {
    let mut out: Vec<Ipv4Net> = space(c).into_iter().map(|(_, n)| n).collect();
    for (_, h) in t.hubs_of(c) {
        out.extend(space(h).into_iter().map(|(_, n)| n));
    }
    if t.reaches_onprem(c) {
        for r in t.graph.of_kind(Kind::Onprem) {
            out.extend(space(r).into_iter().map(|(_, n)| n));
        }
    }
    out
}

pub fn check(t: &Topology, d: &mut Diagnostics) {
    let mut taken: HashMap<(Kind, String, String), &Resource> = HashMap::new();
    let mut tables: HashMap<&str, Vec<(&Resource, String)>> = HashMap::new();
    for r in t.graph.sorted() {
        let kind = r.kind();
        if !matches!(kind, Kind::NetworkSecurityGroup | Kind::RouteTable) {
            continue;
        }
        let Some(c) = t.cluster_of(r) else { continue };
        let Some(subnet) = attached_subnet(r, c) else { continue };
        let subnets = subnets_of(c);
        let Some((_, cidr, _)) = subnets.iter().find(|(n, _, _)| n.eq_ignore_ascii_case(subnet)) else {
            let names: Vec<&str> = subnets.iter().map(|(n, _, _)| n.as_str()).collect();
            d.push(
                Diagnostic::error(
                    "attached-subnet-unknown",
                    format!("{} has no subnet `{subnet}` to attach {} to", c.address, r.address),
                )
                .at(&r.address, AttrPath::attr("subnet_name"))
                .related(&c.address, AttrPath::attr("subnets"), "the cluster's subnets")
                .hint(format!("subnets of {}: {}", c.address, names.join(", "))),
            );
            continue;
        };
        let key = (kind, c.id().unwrap_or_default().to_lowercase(), subnet.to_lowercase());
        if let Some(first) = taken.insert(key, r) {
            let what = if kind == Kind::RouteTable {
                "route table"
            } else {
                "network security group"
            };
            d.push(
                Diagnostic::error(
                    "subnet-already-attached",
                    format!(
                        "subnet `{subnet}` of {} already has a {what}: {}",
                        c.address, first.address
                    ),
                )
                .at(&r.address, AttrPath::attr("subnet_name"))
                .related(&first.address, AttrPath::attr("subnet_name"), "attached here")
                .hint(format!(
                    "a subnet holds one {what}: merge the two, or attach this one to another subnet"
                )),
            );
            continue;
        }
        match kind {
            Kind::NetworkSecurityGroup => {
                if let Some(cidr) = cidr {
                    aks_needs(t, r, c, cidr, d);
                }
            }
            _ => {
                if is_kubenet(c) {
                    route_budget(r, c, d);
                }
                tables
                    .entry(c.id().unwrap_or_default())
                    .or_default()
                    .push((r, subnet.to_lowercase()));
            }
        }
    }
    for c in t.graph.of_kind(Kind::ClusterNetwork).filter(|c| is_kubenet(c)) {
        let Some(attached) = tables.get(c.id().unwrap_or_default()) else {
            continue;
        };
        for (name, _, path) in subnets_of(c) {
            if !attached.iter().any(|(_, s)| *s == name.to_lowercase()) {
                let rt = attached[0].0;
                d.push(
                    Diagnostic::warning(
                        "kubenet-subnet-without-route-table",
                        format!("subnet `{name}` of kubenet cluster {} has no route table; {} is attached to another subnet", c.address, rt.address),
                    )
                    .at(&c.address, path)
                    .related(&rt.address, AttrPath::attr("subnet_name"), "the cluster's route table")
                    .hint("with kubenet, pods on a subnet without the route table are unreachable: attach a route table to every cluster subnet (AKS issues #400, #718)"),
                );
            }
        }
    }
}

/// With kubenet AKS adds one route per node (surge included) to the table.
fn route_budget(rt: &Resource, c: &Resource, d: &mut Diagnostics) {
    let routes = rt.get("route").as_list().map_or(0, <[Value]>::len) as i64;
    let (Some(n), Some(s)) = (c.int("max_nodes"), c.int("surge_nodes")) else {
        return;
    };
    let total = routes + n + s;
    if total > MAX_ROUTES as i64 {
        d.push(
            Diagnostic::error(
                "kubenet-route-limit",
                format!(
                    "{} holds {routes} user routes and AKS adds one per node of kubenet cluster {} ({n} nodes + {s} surge): {total} routes, Azure's limit is {MAX_ROUTES}",
                    rt.address, c.address
                ),
            )
            .at(&rt.address, AttrPath::attr("route"))
            .related(&c.address, AttrPath::attr("max_nodes"), "the cluster's maximum nodes")
            .hint(format!("keep user routes + max_nodes + surge_nodes within {MAX_ROUTES}: remove routes, lower max_nodes, or move to Azure CNI Overlay (no routes per node)")),
        );
    }
}

/// Warnings for what AKS needs an NSG on a node subnet to allow.
fn aks_needs(t: &Topology, nsg: &Resource, c: &Resource, cidr: &Ipv4Net, d: &mut Diagnostics) {
    let (Some(node), Some(peer)) = (net::nth(cidr, 4), net::nth(cidr, 5)) else {
        return;
    };
    let vnet = virtual_network_of(t, c);
    if vnet.is_empty() {
        return; // the cluster's ranges are not known yet
    }
    let tcp = |src, dst, port| Packet {
        src,
        dst,
        protocol: Protocol::Tcp,
        dst_port: Some(port),
    };
    let checks = [
        (
            "nsg-blocks-lb-probes",
            Direction::Inbound,
            tcp(AZURE_PLATFORM_IP, node, PROBE_PORT),
            "Azure load-balancer health probes (from AzureLoadBalancer, 168.63.129.16)",
            "without probes every backend is marked down and LoadBalancer Services stop taking traffic: allow inbound from `AzureLoadBalancer` at a lower priority number than the deny",
        ),
        (
            "nsg-blocks-api-server",
            Direction::Outbound,
            tcp(node, API_SERVER_STANDIN, 443),
            "node egress on TCP 443 to the API server and the registries AKS pulls from",
            "nodes must reach the API server (TCP 443, also UDP 1194 / TCP 9000 for the tunnel) or they never become Ready: allow outbound TCP 443 at a lower priority number than the deny (restrict egress by FQDN with a firewall instead; AKS's egress is FQDN-based)",
        ),
        (
            "nsg-blocks-node-traffic",
            Direction::Inbound,
            tcp(peer, node, KUBELET_PORT),
            "traffic between nodes of the subnet (kubelet, pod-to-pod)",
            "AKS does not support blocking traffic inside the node subnet: allow `VirtualNetwork` to `VirtualNetwork` at a lower priority number than the deny",
        ),
    ];
    for (code, dir, packet, what, hint) in checks {
        let verdict = evaluate(nsg, dir, &packet, &vnet);
        if verdict.allowed {
            continue;
        }
        let msg = format!(
            "{} blocks {what}: rule `{}` (priority {}) denies {} -> {}:{}",
            nsg.address,
            verdict.rule,
            verdict.priority,
            packet.src,
            packet.dst,
            packet.dst_port.unwrap_or_default()
        );
        let diag = match code {
            "nsg-blocks-lb-probes" => Diagnostic::warning("nsg-blocks-lb-probes", msg),
            "nsg-blocks-api-server" => Diagnostic::warning("nsg-blocks-api-server", msg),
            _ => Diagnostic::warning("nsg-blocks-node-traffic", msg),
        };
        d.push(
            diag.at(&nsg.address, rule_path(nsg, &verdict.rule))
                .related(&c.address, AttrPath::attr("node_subnet_name"), "the cluster's subnet")
                .hint(hint),
        );
    }
}

/// The path of the user rule named `name` (the `rule` block for a default rule).
fn rule_path(nsg: &Resource, name: &str) -> AttrPath {
    nsg.get("rule")
        .as_list()
        .unwrap_or(&[])
        .iter()
        .position(|i| i.as_map().and_then(|m| m.get("name")).and_then(Value::as_str) == Some(name))
        .map_or(AttrPath::attr("rule"), |i| AttrPath::attr("rule").index(i))
}
