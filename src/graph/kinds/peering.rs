//! `peering`: both sides of a cluster↔hub VNET peering, gateway-aware.
//! The hub side (with `allow_gateway_transit`) is created first.

use super::util;
use crate::graph::diag::Diagnostics;
use crate::graph::schema::{Attribute, Attrs, Schema};
use crate::graph::value::{Type, Value};
use crate::graph::{Ctx, Kind, Resource};

pub const STATES: [&str; 3] = ["Initiated", "Connected", "Disconnected"];
pub const SYNC_LEVELS: [&str; 4] = [
    "FullyInSync",
    "LocalNotInSync",
    "RemoteNotInSync",
    "LocalAndRemoteNotInSync",
];

pub fn schema() -> Schema {
    Schema {
        kind: Kind::Peering,
        version: 0,
        description: "Both sides of the peering between a cluster network and the hub. With `use_remote_gateways` the cluster reaches on-premises through the hub's gateway; the hub side, with `allow_gateway_transit`, is created first.",
        attrs: vec![
            Attribute::required("cluster_network_id", Type::String, "ID of the `hybridk8s_cluster_network` (the spoke).").replace().was("cluster_id"),
            Attribute::required("hub_id", Type::String, "ID of the `hybridk8s_hub_network`.").replace(),
            Attribute::optional_computed("name", Type::String, "Name of the cluster-side peering. Defaults to `<cluster>-to-<hub>`.").replace(),
            Attribute::optional_computed("hub_peering_name", Type::String, "Name of the hub-side peering. Defaults to `<hub>-to-<cluster>`.").replace(),
            Attribute::optional("use_remote_gateways", Type::Bool, "The cluster side uses the hub's gateway to reach on-premises. Needs a hub gateway; at most one such peering per cluster VNET.").default(Value::Bool(false)),
            Attribute::optional_computed("allow_gateway_transit", Type::Bool, "The hub side lets the cluster use its gateway. Defaults to `use_remote_gateways`."),
            Attribute::optional("allow_forwarded_traffic", Type::Bool, "Accept traffic forwarded by the other VNET (needed for on-premises traffic through the hub).").default(Value::Bool(true)),
            Attribute::computed("id", Type::String, "Azure resource ID of the cluster-side peering."),
            Attribute::computed("hub_peering_id", Type::String, "Azure resource ID of the hub-side peering."),
            Attribute::computed("peering_state", Type::String, "State of the cluster side: `Initiated`, `Connected` or `Disconnected`."),
            Attribute::computed("peering_sync_level", Type::String, "Address-space sync: `FullyInSync`, `LocalNotInSync`, `RemoteNotInSync` or `LocalAndRemoteNotInSync`."),
        ],
        blocks: vec![super::timeouts::block()],
    }
}

pub fn compute(attrs: &mut Attrs, _ctx: &Ctx) {
    util::derive(attrs, "name", &["cluster_network_id", "hub_id"], |a| {
        match (util::s(a, "cluster_network_id"), util::s(a, "hub_id")) {
            (Some(c), Some(h)) => Value::str(format!("{}-to-{}", util::id_name(c), util::id_name(h))),
            _ => Value::Null,
        }
    });
    util::derive(
        attrs,
        "hub_peering_name",
        &["cluster_network_id", "hub_id"],
        |a| match (util::s(a, "cluster_network_id"), util::s(a, "hub_id")) {
            (Some(c), Some(h)) => Value::str(format!("{}-to-{}", util::id_name(h), util::id_name(c))),
            _ => Value::Null,
        },
    );
    util::derive(attrs, "allow_gateway_transit", &["use_remote_gateways"], |a| {
        a.get("use_remote_gateways").cloned().unwrap_or(Value::Bool(false))
    });
    util::set_computed(attrs, "id", &["cluster_network_id", "name"], |a| {
        match (util::s(a, "cluster_network_id"), util::s(a, "name")) {
            (Some(c), Some(n)) => Value::str(format!("{c}/virtualNetworkPeerings/{n}")),
            _ => Value::Null,
        }
    });
    util::set_computed(attrs, "hub_peering_id", &["hub_id", "hub_peering_name"], |a| {
        match (util::s(a, "hub_id"), util::s(a, "hub_peering_name")) {
            (Some(h), Some(n)) => Value::str(format!("{h}/virtualNetworkPeerings/{n}")),
            _ => Value::Null,
        }
    });
    // Reported by the fabric after apply.
    for k in ["peering_state", "peering_sync_level"] {
        if attrs.get(k).is_none_or(Value::is_null) {
            attrs.insert(k.to_string(), Value::Unknown);
        }
    }
}

pub fn rules(r: &Resource, d: &mut Diagnostics) {
    if r.bool("use_remote_gateways") == Some(true) && r.bool("allow_gateway_transit") == Some(false) {
        d.push(
            crate::graph::Diagnostic::error(
                "gateway-transit-disabled",
                "use_remote_gateways = true needs allow_gateway_transit = true on the hub side",
            )
            .at(&r.address, crate::graph::AttrPath::attr("allow_gateway_transit"))
            .hint("remove allow_gateway_transit (it follows use_remote_gateways) or set it to true"),
        );
    }
}
