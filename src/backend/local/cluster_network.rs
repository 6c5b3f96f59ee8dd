//! `cluster_network` in the local fabric: a VNET with its node subnet and
//! further subnets; no gateway of its own.

use super::hub::extra_subnets;
use super::records::{need, strings};
use super::vnet::{subnet_items, VnetRow};
use super::Fail;
use crate::graph::kinds::cluster_modes::pod_subnet_of;
use crate::graph::kinds::cluster_private::{API_SERVER_DELEGATION, API_SERVER_SUBNET};
use crate::graph::{Attrs, Value};

/// The API server subnet `(name, cidr)`, with API server VNet integration.
fn api_server_subnet(a: &Attrs) -> Option<(String, String)> {
    if a.get("api_server_vnet_integration").and_then(Value::as_bool) != Some(true) {
        return None;
    }
    let name = a
        .get("api_server_subnet_name")
        .and_then(Value::as_str)
        .unwrap_or(API_SERVER_SUBNET);
    let cidr = a.get("api_server_subnet_cidr").and_then(Value::as_str)?;
    Some((name.to_string(), cidr.to_string()))
}

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
    let api = api_server_subnet(a);
    subnets.extend(api.clone());
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
        delegations: api
            .into_iter()
            .map(|(n, _)| (n, API_SERVER_DELEGATION.to_string()))
            .collect(),
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
    // The delegated API server subnet and the pod subnet are reported as
    // such, not as items of `subnets`.
    let api = row
        .delegations
        .iter()
        .find(|(_, s)| s == API_SERVER_DELEGATION)
        .map(|(n, _)| n.clone());
    let pods = pod_subnet_of(a).map(|(p, _)| p);
    let cidr_of = |name: &str| row.subnets.iter().find(|(s, _)| s == name).map(|(_, c)| c.clone());
    let mut items = subnet_items(row, &node);
    if let Value::List(l) = &mut items {
        l.retain(|i| {
            let name = i.as_map().and_then(|m| m.get("name")).and_then(Value::as_str);
            name.is_none_or(|n| Some(n) != api.as_deref() && Some(n) != pods.as_deref())
        });
    }
    a.insert("subnets".into(), items);
    if let Some(p) = &pods {
        a.insert("pod_subnet_cidr".into(), cidr_of(p).map_or(Value::Null, Value::String));
    }
    a.insert("api_server_vnet_integration".into(), Value::Bool(api.is_some()));
    a.insert(
        "api_server_subnet_cidr".into(),
        api.as_deref().and_then(cidr_of).map_or(Value::Null, Value::String),
    );
    if let Some(n) = &api {
        a.insert("api_server_subnet_name".into(), Value::str(n));
        a.insert(
            "api_server_subnet_id".into(),
            Value::str(format!("{}/subnets/{n}", row.id)),
        );
    }
}
