//! `cluster_network` in the local fabric: a VNET with its node subnet and
//! further subnets; no gateway of its own.

use super::hub::extra_subnets;
use super::records::{need, strings};
use super::vnet::{subnet_items, VnetRow};
use super::Fail;
use crate::graph::kinds::cluster_modes::pod_subnet_of;
use crate::graph::{Attrs, Value};

fn node_subnet_name(a: &Attrs) -> String {
    a.get("node_subnet_name")
        .and_then(Value::as_str)
        .unwrap_or("nodes")
        .to_string()
}

/// The fabric row a cluster network's attributes describe.
pub fn row(a: &Attrs) -> Result<VnetRow, Fail> {
    let mut subnets = vec![(node_subnet_name(a), need(a, "node_subnet_cidr")?.to_string())];
    subnets.extend(pod_subnet_of(a));
    subnets.extend(extra_subnets(a)?);
    Ok(VnetRow {
        id: need(a, "id")?.to_string(),
        role: "cluster".into(),
        resource_group: need(a, "resource_group_name")?.to_string(),
        name: need(a, "name")?.to_string(),
        location: need(a, "location")?.to_string(),
        address_space: strings(a, "address_space"),
        dns_servers: strings(a, "dns_servers"),
        gateway: "none".into(),
        subnets,
        tags: Default::default(),
    })
}

/// Writes what the fabric reports into the graph attributes.
pub fn overlay(a: &mut Attrs, row: &VnetRow) {
    let node = node_subnet_name(a);
    a.insert("location".into(), Value::str(&row.location));
    a.insert("address_space".into(), Value::list_of_str(row.address_space.clone()));
    a.insert("dns_servers".into(), Value::list_of_str(row.dns_servers.clone()));
    let cidr = row.subnets.iter().find(|(n, _)| *n == node).map(|(_, c)| c.clone());
    a.insert("node_subnet_cidr".into(), cidr.map_or(Value::Null, Value::String));
    a.insert("node_subnet_name".into(), Value::str(&node));
    a.insert(
        "node_subnet_id".into(),
        Value::str(format!("{}/subnets/{node}", row.id)),
    );
    if let Some((pods, _)) = pod_subnet_of(a) {
        let cidr = row.subnets.iter().find(|(n, _)| *n == pods).map(|(_, c)| c.clone());
        a.insert("pod_subnet_cidr".into(), cidr.map_or(Value::Null, Value::String));
        let mut items = subnet_items(row, &node);
        if let Value::List(l) = &mut items {
            l.retain(|i| i.as_map().and_then(|m| m.get("name")).and_then(Value::as_str) != Some(pods.as_str()));
        }
        a.insert("subnets".into(), items);
    } else {
        a.insert("subnets".into(), subnet_items(row, &node));
    }
}
