//! `hub`: the hub VNET holding the VPN/ExpressRoute gateway and its
//! GatewaySubnet. Clusters peer to it to reach on-premises.

use super::util;
use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::net;
use crate::graph::schema::{Attribute, Attrs, Block, Schema};
use crate::graph::value::{AttrPath, Type, Value};
use crate::graph::{Ctx, Kind, Resource};
use ipnet::Ipv4Net;

pub const GATEWAYS: [&str; 3] = ["none", "vpn", "expressroute"];
pub const GATEWAY_SUBNET: &str = "GatewaySubnet";

pub fn schema() -> Schema {
    Schema {
        kind: Kind::Hub,
        version: 0,
        description: "The hub virtual network that holds the VPN or ExpressRoute gateway to on-premises. Cluster networks peer to it and use its gateway (gateway transit).",
        attrs: util::insert_settable(vec![
            Attribute::required("name", Type::String, "Name of the virtual network.").replace(),
            Attribute::required("resource_group_name", Type::String, "Resource group of the virtual network.").replace().was("resource_group"),
            Attribute::required("location", Type::String, "Azure region, e.g. `westeurope`.").replace(),
            Attribute::required("address_space", Type::list(Type::Cidr), "Address ranges of the hub VNET (CIDR). Ranges can be added in place (peerings are then synced)."),
            Attribute::optional("gateway", Type::String, "Gateway to on-premises: `none`, `vpn` or `expressroute`. The gateway is its own object: adding, switching or removing it changes the hub in place.").default(Value::str("none")),
            Attribute::optional_computed("gateway_subnet_cidr", Type::Cidr, "Prefix of the `GatewaySubnet` (/27 or larger). Defaults to the last /27 of the first address range when a gateway is set; kept while the hub has a gateway."),
            Attribute::optional("dns_servers", Type::list(Type::Ip), "Custom DNS servers of the hub VNET, in order. Empty means Azure's resolver.").default(Value::List(vec![])),
            Attribute::optional("tags", Type::map(Type::String), "Azure tags of the virtual network, merged with the tags hybridk8s keeps on it (owner, role, subnets: names starting `hybridk8s-`, which are reserved). Changed in place; tags another tool sets are kept, and a tag removed here is removed from the network.").default(Value::Map(Default::default())).max_items(crate::graph::kinds::util::MAX_USER_TAGS),
            Attribute::computed("id", Type::String, "Azure resource ID of the virtual network."),
            Attribute::computed("resource_guid", Type::String, "ARM's `resourceGuid` of the virtual network: new whenever the VNET is created again."),
            Attribute::computed("gateway_id", Type::String, "Azure resource ID of the virtual network gateway, when there is one (a new gateway when its kind changes)."),
            Attribute::computed("gateway_subnet_id", Type::String, "Azure resource ID of the `GatewaySubnet`, when there is a gateway."),
        ], super::dns_path::hub_attrs()),
        blocks: vec![subnets_block(), super::dns_path::forwarders_block(), super::timeouts::block()],
    }
}

/// Extra subnets of a VNET (shared by hub and cluster network).
pub fn subnets_block() -> Block {
    Block {
        name: "subnets",
        description: "Further subnets of the virtual network, checked against the address space and each other.",
        attrs: vec![
            Attribute::required("name", Type::String, "Subnet name."),
            Attribute::required("cidr", Type::Cidr, "Subnet prefix (/29 or larger)."),
        ],
        min_items: 0,
        max_items: 0,
        requires_replace: false,
    }
}

/// Azure's ID of the gateway of a hub: one per kind, so switching kinds
/// makes a new gateway.
pub fn gateway_id(ctx: &Ctx, resource_group: &str, hub: &str, gateway: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{resource_group}/providers/Microsoft.Network/virtualNetworkGateways/{hub}-{gateway}-gateway",
        ctx.subscription_id
    )
}

pub fn compute(attrs: &mut Attrs, ctx: &Ctx) {
    util::reported(attrs, "resource_guid");
    util::set_computed(
        attrs,
        "gateway_id",
        &["name", "resource_group_name", "gateway"],
        |a| match (
            util::s(a, "name"),
            util::s(a, "resource_group_name"),
            util::s(a, "gateway"),
        ) {
            (Some(n), Some(rg), Some(g)) if g != "none" => Value::str(gateway_id(ctx, rg, n, g)),
            _ => Value::Null,
        },
    );
    util::set_computed(attrs, "id", &["name", "resource_group_name"], |a| {
        match (util::s(a, "name"), util::s(a, "resource_group_name")) {
            (Some(n), Some(rg)) => Value::str(super::vnet_id(ctx, rg, n)),
            _ => Value::Null,
        }
    });
    util::derive(attrs, "gateway_subnet_cidr", &["gateway", "address_space"], |a| {
        if util::s(a, "gateway").is_none_or(|g| g == "none") {
            return Value::Null;
        }
        let first = a
            .get("address_space")
            .and_then(|v| v.as_list())
            .and_then(|l| l.first())
            .and_then(Value::as_str);
        match first.and_then(|s| net::parse_cidr(s).ok()) {
            Some(range) if range.prefix_len() <= net::GATEWAY_SUBNET_PREFIX => {
                let last = u32::from(range.broadcast()) - (1 << (32 - net::GATEWAY_SUBNET_PREFIX)) + 1;
                Value::str(
                    Ipv4Net::new(last.into(), net::GATEWAY_SUBNET_PREFIX)
                        .expect("/27 is valid")
                        .to_string(),
                )
            }
            _ => Value::Null,
        }
    });
    util::set_computed(attrs, "gateway_subnet_id", &["id", "gateway_subnet_cidr"], |a| {
        match (util::s(a, "id"), util::s(a, "gateway_subnet_cidr")) {
            (Some(id), Some(_)) => Value::str(format!("{id}/subnets/{GATEWAY_SUBNET}")),
            _ => Value::Null,
        }
    });
}

pub fn rules(r: &Resource, d: &mut Diagnostics) {
    util::tag_rules(r, d);
    let gateway = util::one_of(r, "gateway", &GATEWAYS, d);
    let space = super::cluster_network::address_space_rules(r, d);
    let mut subnets: Vec<(Ipv4Net, (AttrPath, String))> = Vec::new();
    if let Some(gw) = util::cidr(r, "gateway_subnet_cidr", d) {
        if gateway.as_deref() == Some("none") {
            d.push(
                Diagnostic::warning(
                    "unused-gateway-subnet",
                    "`gateway_subnet_cidr` is set but `gateway` is `none`",
                )
                .at(&r.address, AttrPath::attr("gateway_subnet_cidr"))
                .hint("the subnet is made and stays empty: set `gateway` to `vpn` or `expressroute`, or remove `gateway_subnet_cidr`"),
            );
        }
        if gw.prefix_len() > net::GATEWAY_SUBNET_PREFIX {
            d.push(
                Diagnostic::warning(
                    "small-gateway-subnet",
                    format!(
                        "GatewaySubnet {gw} holds {} addresses; Azure recommends /27 ({} addresses) or larger",
                        net::size(&gw),
                        32
                    ),
                )
                .at(&r.address, AttrPath::attr("gateway_subnet_cidr"))
                .hint("a smaller GatewaySubnet cannot take an ExpressRoute and VPN gateway side by side or a larger SKU later, and it cannot grow while a gateway is in it"),
            );
        }
        subnets.push((gw, (AttrPath::attr("gateway_subnet_cidr"), GATEWAY_SUBNET.to_string())));
    } else if gateway.as_deref().is_some_and(|g| g != "none")
        && r.get("gateway_subnet_cidr").is_null()
        && !space.is_empty()
    {
        d.push(
            Diagnostic::error(
                "no-room-for-gateway-subnet",
                format!(
                    "hub `{}` has a gateway but its first range {} cannot hold a /27 GatewaySubnet",
                    r.address.name, space[0].1
                ),
            )
            .at(&r.address, AttrPath::attr("address_space").index(0))
            .hint("widen the hub's address space or set gateway_subnet_cidr"),
        );
    }
    subnets.extend(extra_subnets(r, d));
    subnet_rules(r, &space, &subnets, d);
    super::dns_path::hub_rules(r, d);
}

/// The `subnets` block items that parse.
pub fn extra_subnets(r: &Resource, d: &mut Diagnostics) -> Vec<(Ipv4Net, (AttrPath, String))> {
    let mut out = Vec::new();
    for (idx, item) in r.get("subnets").as_list().unwrap_or(&[]).iter().enumerate() {
        let Some(m) = item.as_map() else { continue };
        let path = AttrPath::attr("subnets").index(idx).then("cidr");
        let name = m.get("name").and_then(Value::as_str).unwrap_or("?").to_string();
        if let Some(s) = m.get("cidr").and_then(Value::as_str) {
            match net::parse_cidr(s) {
                Ok(n) => out.push((n, (path, name))),
                Err(e) => d.push(Diagnostic::error("invalid-cidr", e).at(&r.address, path)),
            }
        }
    }
    out
}

/// Every subnet lies inside the address space, is /29 or larger, and does
/// not overlap a sibling.
pub fn subnet_rules(
    r: &Resource,
    space: &[(usize, Ipv4Net)],
    subnets: &[(Ipv4Net, (AttrPath, String))],
    d: &mut Diagnostics,
) {
    for (net_, (path, name)) in subnets {
        if net_.prefix_len() > net::MIN_SUBNET_PREFIX {
            d.push(
                Diagnostic::error(
                    "subnet-too-small",
                    format!("subnet {name} {net_} holds {} addresses; Azure's smallest subnet is a /29 (8 addresses, 3 usable)", net::size(net_)),
                )
                .at(&r.address, path.clone()),
            );
        }
        if !space.is_empty() && !space.iter().any(|(_, s)| s.contains(net_)) {
            let ranges: Vec<String> = space.iter().map(|(_, s)| s.to_string()).collect();
            d.push(
                Diagnostic::error(
                    "subnet-outside-vnet",
                    format!(
                        "subnet {name} {net_} is not inside the address space of {} ({})",
                        r.address,
                        ranges.join(", ")
                    ),
                )
                .at(&r.address, path.clone())
                .hint("Azure refuses it with NetcfgInvalidSubnet; pick a prefix inside the VNET"),
            );
        }
    }
    for ((a, (pa, na)), (b, (pb, nb))) in net::find_overlaps(subnets) {
        d.push(
            Diagnostic::error(
                "subnet-overlap",
                format!("subnet {nb} {b} overlaps sibling subnet {na} {a} in {}", r.address),
            )
            .at(&r.address, pb)
            .related(&r.address, pa, format!("{na} {a}")),
        );
    }
}

/// True when a hub's gateway goes from `old` to `new` by deleting the old
/// one for a new one (vpn ↔ expressroute). Going to or from `none` is not a
/// switch (removing a gateway is the `no-remote-gateway` rule's).
pub fn is_gateway_switch(old: &str, new: &str) -> bool {
    old != "none" && new != "none" && old != new
}

/// The plan-time refusal of a gateway switch while `users` (peerings with
/// `use_remote_gateways`) depend on the old gateway: Azure refuses to delete
/// a gateway in use, and the hub is changed before its peerings.
pub fn gateway_in_use(address: &crate::graph::Address, old: &str, new: &str, users: &[String]) -> Diagnostic {
    Diagnostic::error(
        "gateway-in-use",
        format!(
            "{address} switches its gateway from {old} to {new}: the {old} gateway is deleted while {} use it (use_remote_gateways), which Azure refuses",
            users.join(", ")
        ),
    )
    .at(address, AttrPath::attr("gateway"))
    .hint("apply use_remote_gateways = false on those peerings first, then switch the gateway, then turn it back on")
}
