//! `route_table`: an Azure route table attached to a subnet of a cluster
//! network (by default its node subnet). With kubenet AKS adds one route
//! per node to it (so user routes + nodes ≤ 400), and every cluster subnet
//! needs it. [`next_hop`] answers the longest-prefix match the flow checks
//! need.

use super::network_security_group::{compute_attached, invalid};
use super::util;
use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::net;
use crate::graph::schema::{Attribute, Attrs, Block, Schema};
use crate::graph::value::{AttrPath, Type, Value};
use crate::graph::{Ctx, Kind, Resource};
use ipnet::Ipv4Net;
use std::collections::HashMap;
use std::net::Ipv4Addr;

/// Routes one route table holds (Azure's limit).
pub const MAX_ROUTES: usize = 400;
/// The values of `next_hop_type`, as Azure spells them.
pub const NEXT_HOP_TYPES: [&str; 5] = [
    "VirtualNetworkGateway",
    "VnetLocal",
    "Internet",
    "VirtualAppliance",
    "None",
];

pub fn schema() -> Schema {
    Schema {
        kind: Kind::RouteTable,
        version: 0,
        description: "An Azure route table attached to a subnet of a cluster network (by default its node subnet). A kubenet cluster needs one on every cluster subnet, and AKS adds a route per node to it: user routes plus the cluster's maximum nodes and surge stay within Azure's 400. Routes change in place; the route table stays.",
        attrs: vec![
            Attribute::required("name", Type::String, "Name of the route table.").replace(),
            Attribute::required("resource_group_name", Type::String, "Resource group of the route table.").replace(),
            Attribute::required("location", Type::String, "Azure region, e.g. `westeurope` (the cluster network's).").replace(),
            Attribute::required("cluster_network_id", Type::String, "ID of the `hybridk8s_cluster_network` whose subnet the route table is attached to. Changed in place (the association moves)."),
            Attribute::optional_computed("subnet_name", Type::String, "Subnet of the cluster network the route table is attached to. Defaults to the cluster's node subnet. A subnet holds at most one route table."),
            Attribute::optional("bgp_route_propagation_enabled", Type::Bool, "Whether routes the VPN/ExpressRoute gateway learns (on-premises prefixes) are propagated to the subnet. Turning it off cuts the cluster off from on-premises unless a route says otherwise.").default(Value::Bool(true)),
            Attribute::optional("tags", Type::map(Type::String), "Azure tags of the route table, beside the owner tags hybridk8s keeps on it (names starting `hybridk8s-` are reserved). Changed in place.").default(Value::Map(Default::default())).max_items(util::MAX_USER_TAGS),
            Attribute::computed("id", Type::String, "Azure resource ID of the route table: `/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Network/routeTables/<name>`."),
        ],
        blocks: vec![route_block(), super::timeouts::block()],
    }
}

fn route_block() -> Block {
    Block {
        name: "route",
        description:
            "User routes, at most 400 (fewer with kubenet: AKS adds one per node). Names and prefixes are unique.",
        attrs: vec![
            Attribute::required("name", Type::String, "Route name, unique in the route table."),
            Attribute::required("address_prefix", Type::Cidr, "Destination CIDR."),
            Attribute::required(
                "next_hop_type",
                Type::String,
                "`VirtualNetworkGateway`, `VnetLocal`, `Internet`, `VirtualAppliance` or `None` (drop).",
            ),
            Attribute::optional(
                "next_hop_ip",
                Type::Ip,
                "The appliance's IP: required for `VirtualAppliance`, not allowed otherwise.",
            ),
        ],
        min_items: 0,
        max_items: MAX_ROUTES,
        requires_replace: false,
    }
}

pub fn compute(attrs: &mut Attrs, ctx: &Ctx) {
    compute_attached(attrs, ctx, "routeTables");
}

/// Where a route sends a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NextHop {
    VirtualNetworkGateway,
    VnetLocal,
    Internet,
    VirtualAppliance(Ipv4Addr),
    /// Dropped.
    None,
}

impl NextHop {
    fn of(ty: &str, ip: Option<Ipv4Addr>) -> Option<NextHop> {
        Some(match ty {
            "VirtualNetworkGateway" => NextHop::VirtualNetworkGateway,
            "VnetLocal" => NextHop::VnetLocal,
            "Internet" => NextHop::Internet,
            "VirtualAppliance" => NextHop::VirtualAppliance(ip?),
            "None" => NextHop::None,
            _ => return None,
        })
    }
}

/// The routes that parse, with their index in `route`.
pub fn routes(rt: &Resource) -> Vec<(usize, String, Ipv4Net, NextHop)> {
    let mut out = Vec::new();
    for (i, item) in rt.get("route").as_list().unwrap_or(&[]).iter().enumerate() {
        let Some(m) = item.as_map() else { continue };
        let s = |k: &str| m.get(k).and_then(Value::as_str);
        let ip = s("next_hop_ip").and_then(|v| net::parse_ip(v).ok());
        if let (Some(n), Some(p), Some(h)) = (
            s("name"),
            s("address_prefix").and_then(|p| net::parse_cidr(p).ok()),
            s("next_hop_type").and_then(|t| NextHop::of(t, ip)),
        ) {
            out.push((i, n.to_string(), p, h));
        }
    }
    out
}

/// The user route a packet to `dst` takes: the longest matching prefix
/// (the first of equal ones). `None` when no user route matches: Azure's
/// system routes decide.
pub fn next_hop(rt: &Resource, dst: Ipv4Addr) -> Option<(String /*route name*/, NextHop)> {
    routes(rt)
        .into_iter()
        .filter(|(_, _, p, _)| p.contains(&dst))
        .min_by_key(|(i, _, p, _)| (std::cmp::Reverse(p.prefix_len()), *i))
        .map(|(_, n, _, h)| (n, h))
}

pub fn rules(r: &Resource, d: &mut Diagnostics) {
    util::tag_rules(r, d);
    let items = r.get("route").as_list().unwrap_or(&[]);
    let mut names: HashMap<&str, usize> = HashMap::new();
    let mut prefixes: HashMap<&str, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let Some(m) = item.as_map() else { continue };
        let base = AttrPath::attr("route").index(i);
        let s = |k: &str| m.get(k).and_then(Value::as_str);
        let name = s("name").unwrap_or_default();
        if let Some(first) = names.insert(name, i).filter(|_| !name.is_empty()) {
            d.push(
                Diagnostic::error("route-duplicate-name", format!("route name `{name}` is used twice"))
                    .at(&r.address, base.clone().then("name"))
                    .related(
                        &r.address,
                        AttrPath::attr("route").index(first).then("name"),
                        "first used here",
                    )
                    .hint("every route of a route table needs its own name"),
            );
        }
        if let Some(p) = s("address_prefix") {
            match net::parse_cidr(p) {
                Err(e) => {
                    d.push(Diagnostic::error("invalid-cidr", e).at(&r.address, base.clone().then("address_prefix")))
                }
                Ok(_) => {
                    if let Some(first) = prefixes.insert(p, i) {
                        d.push(
                            Diagnostic::error(
                                "route-duplicate-prefix",
                                format!("two routes send {p}: Azure takes one route per prefix"),
                            )
                            .at(&r.address, base.clone().then("address_prefix"))
                            .related(
                                &r.address,
                                AttrPath::attr("route").index(first).then("address_prefix"),
                                "first route here",
                            )
                            .hint("remove one of the routes, or merge them"),
                        );
                    }
                }
            }
        }
        let ty = s("next_hop_type");
        if let Some(t) = ty.filter(|t| !NEXT_HOP_TYPES.contains(t)) {
            d.push(invalid(
                r,
                base.clone().then("next_hop_type"),
                "next_hop_type",
                t,
                &NEXT_HOP_TYPES,
            ));
        }
        let ip = m.get("next_hop_ip").filter(|v| !v.is_null());
        match (ty, ip) {
            (Some("VirtualAppliance"), None) => d.push(
                Diagnostic::error("route-next-hop-ip", format!("route `{name}` goes to a VirtualAppliance but names no `next_hop_ip`"))
                    .at(&r.address, base.clone().then("next_hop_type"))
                    .hint("set next_hop_ip to the appliance's (firewall's) private IP"),
            ),
            (Some(t), Some(_)) if t != "VirtualAppliance" && NEXT_HOP_TYPES.contains(&t) => d.push(
                Diagnostic::error("route-next-hop-ip", format!("route `{name}` sets `next_hop_ip`, which only a VirtualAppliance next hop takes (this one is {t})"))
                    .at(&r.address, base.clone().then("next_hop_ip"))
                    .hint("remove next_hop_ip, or set next_hop_type = \"VirtualAppliance\""),
            ),
            (_, Some(v)) => {
                if let Some(Err(e)) = v.as_str().map(net::parse_ip) {
                    d.push(Diagnostic::error("invalid-ip", e).at(&r.address, base.clone().then("next_hop_ip")));
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
#[path = "route_table_tests.rs"]
mod tests;
