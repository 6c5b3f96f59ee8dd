//! Planning against objects that exist ([`super::settle`]): what a change
//! may do to a VNET without a new one. A cluster keeps its node subnet (the
//! ranges "cannot be changed afterwards"), a hub keeps its GatewaySubnet
//! while it has a gateway, and a peering out of address-space sync plans
//! the sync.

use super::cluster_network::{plan_of, sizing_attrs};
use super::util;
use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::net;
use crate::graph::schema::Attrs;
use crate::graph::sizing::thousands;
use crate::graph::value::{AttrPath, Value};
use crate::graph::Address;

/// What to do when the node subnet of an existing cluster does not fit.
pub const NODE_SUBNET_WAYS_OUT: &str = "a cluster's node subnet cannot change once the cluster exists: plan a larger subnet up front with `node_subnet_cidr`, add a node-pool subnet in `subnets`, or build a blue/green cluster in a new VNET (a new `name`)";

/// Ranges AKS fixes when the cluster is created; none needs a new VNET.
const FIXED_AT_CREATION: [&str; 4] = ["service_cidr", "dns_service_ip", "pod_cidr", "docker_bridge_cidr"];

/// The sizing inputs, in the order a diagnostic prefers to point at.
const PLAN_INPUTS: [&str; 6] = [
    "max_nodes",
    "max_pods",
    "surge_nodes",
    "internal_lb_ips",
    "plugin",
    "pod_ip_allocation",
];

fn known<'a>(a: &'a Attrs, k: &str) -> Option<&'a Value> {
    a.get(k).filter(|v| !v.is_null() && v.is_wholly_known())
}

pub fn cluster_network(address: &Address, prior: &Attrs, config: &Attrs, planned: &mut Attrs, d: &mut Diagnostics) {
    super::cluster_modes::settle(address, prior, config, planned, d);
    for k in FIXED_AT_CREATION {
        if let (Some(old), Some(new)) = (known(prior, k), known(planned, k)) {
            if old != new {
                d.push(
                    Diagnostic::warning(
                        "fixed-at-creation",
                        format!(
                            "`{k}` cannot change after the cluster is created: AKS keeps {old}; the VNET is updated in place and {new} takes effect only in a new cluster"
                        ),
                    )
                    .at(address, AttrPath::attr(k))
                    .hint("build the next cluster (blue/green) in a new VNET to use the new range"),
                );
            }
        }
    }
    let Some(old) = util::s(prior, "node_subnet_cidr").map(str::to_string) else {
        return;
    };
    if let (Some(a), Some(b)) = (util::s(prior, "node_subnet_name"), util::s(planned, "node_subnet_name")) {
        if a != b {
            d.push(
                Diagnostic::error(
                    "node-subnet-fixed",
                    format!("the node subnet `{a}` of {address} exists and cannot be renamed to `{b}`"),
                )
                .at(address, AttrPath::attr("node_subnet_name"))
                .hint(NODE_SUBNET_WAYS_OUT),
            );
        }
    }
    let explicit = config.get("node_subnet_cidr").is_some_and(|v| !v.is_null());
    if let Some(new) = util::s(planned, "node_subnet_cidr").filter(|n| explicit && *n != old) {
        d.push(
            Diagnostic::error(
                "node-subnet-fixed",
                format!("the node subnet of {address} is {old} and cannot change to {new} once the cluster exists"),
            )
            .at(address, AttrPath::attr("node_subnet_cidr"))
            .hint(NODE_SUBNET_WAYS_OUT),
        );
        return;
    }
    planned.insert("node_subnet_cidr".into(), Value::str(&old));
    sizing_attrs(planned);
    let Ok(subnet) = net::parse_cidr(&old) else { return };

    let space = planned.get("address_space").filter(|v| v.is_wholly_known());
    let ranges: Vec<_> = space
        .and_then(Value::as_list)
        .unwrap_or(&[])
        .iter()
        .filter_map(|v| v.as_str().and_then(|s| net::parse_cidr(s).ok()))
        .collect();
    if !ranges.is_empty() && !ranges.iter().any(|r| r.contains(&subnet)) {
        d.push(
            Diagnostic::error(
                "subnet-outside-vnet",
                format!(
                    "the address space of {address} no longer holds its node subnet {old}; Azure refuses removing a range that holds a subnet (NetcfgSubnetRangeOutsideVnet)"
                ),
            )
            .at(address, AttrPath::attr("address_space"))
            .hint(format!("keep the range that holds {old}; ranges can be added in place")),
        );
    }

    let Some(p) = plan_of(planned) else { return };
    // Sizing that overflows is reported by the bounds rules.
    let (Some(need), Some(prefix)) = (p.required_ip_count(), p.required_prefix()) else {
        return;
    };
    if net::size(&subnet) < need {
        let at = PLAN_INPUTS
            .into_iter()
            .find(|k| prior.get(*k) != planned.get(*k))
            .unwrap_or("max_nodes");
        d.push(
            Diagnostic::error(
                "subnet-too-small",
                format!(
                    "{address} needs {} addresses (/{prefix}) with {} surge nodes for upgrades; its node subnet {old}, fixed since the cluster was created, holds {}",
                    thousands(need),
                    p.surge_nodes,
                    thousands(net::usable(&subnet))
                ),
            )
            .at(address, AttrPath::attr(at))
            .hint(NODE_SUBNET_WAYS_OUT),
        );
    }
}

/// A hub keeps its GatewaySubnet while it has a gateway (Azure cannot move
/// the subnet of a running gateway); adding, switching or removing the
/// gateway is in place.
pub fn hub(_address: &Address, prior: &Attrs, config: &Attrs, planned: &mut Attrs, _d: &mut Diagnostics) {
    let has_gateway = |a: &Attrs| util::s(a, "gateway").is_some_and(|g| g != "none");
    let explicit = config.get("gateway_subnet_cidr").is_some_and(|v| !v.is_null());
    if explicit || !has_gateway(prior) || !has_gateway(planned) {
        return;
    }
    if let Some(old) = known(prior, "gateway_subnet_cidr").cloned() {
        planned.insert("gateway_subnet_cidr".into(), old);
    }
}

/// A peering whose sides do not know each other's address space plans the
/// sync: the update that follows leaves it `FullyInSync`.
pub fn peering(_address: &Address, prior: &Attrs, _config: &Attrs, planned: &mut Attrs, _d: &mut Diagnostics) {
    let out_of_sync = util::s(prior, "peering_sync_level").is_some_and(|s| s != "FullyInSync");
    let connected = util::s(prior, "peering_state") == Some("Connected");
    if out_of_sync && connected && planned.get("peering_sync_level").is_some_and(Value::is_wholly_known) {
        planned.insert("peering_sync_level".into(), Value::str("FullyInSync"));
    }
}
