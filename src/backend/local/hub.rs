//! `hub` in the local fabric: a VNET with its `GatewaySubnet` and gateway kind.

use super::records::{need, strings};
use super::vnet::{subnet_items, VnetRow};
use super::Fail;
use crate::graph::{Attrs, Value};

pub use crate::graph::kinds::hub::GATEWAY_SUBNET;

/// The fabric row a hub's attributes describe.
pub fn row(a: &Attrs) -> Result<VnetRow, Fail> {
    let mut subnets = Vec::new();
    if let Some(gw) = a.get("gateway_subnet_cidr").and_then(Value::as_str) {
        subnets.push((GATEWAY_SUBNET.to_string(), gw.to_string()));
    }
    subnets.extend(extra_subnets(a)?);
    Ok(VnetRow {
        id: need(a, "id")?.to_string(),
        role: "hub".into(),
        resource_group: need(a, "resource_group_name")?.to_string(),
        name: need(a, "name")?.to_string(),
        location: need(a, "location")?.to_string(),
        address_space: strings(a, "address_space"),
        dns_servers: strings(a, "dns_servers"),
        gateway: a.get("gateway").and_then(Value::as_str).unwrap_or("none").to_string(),
        subnets,
        delegations: Vec::new(),
        tags: Default::default(),
    })
}

/// The items of the `subnets` block as `(name, cidr)`.
pub fn extra_subnets(a: &Attrs) -> Result<Vec<(String, String)>, Fail> {
    let mut out = Vec::new();
    for item in a.get("subnets").and_then(Value::as_list).unwrap_or(&[]) {
        let m = item.as_map().ok_or_else(|| Fail::Missing("subnets".into()))?;
        let get = |k: &str| {
            m.get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| Fail::Missing(format!("subnets[].{k}")))
        };
        out.push((get("name")?, get("cidr")?));
    }
    Ok(out)
}

/// Writes what the fabric reports into the graph attributes.
pub fn overlay(a: &mut Attrs, row: &VnetRow, gateway_id: Option<String>) {
    a.insert("gateway_id".into(), gateway_id.map_or(Value::Null, Value::String));
    a.insert("location".into(), Value::str(&row.location));
    a.insert("address_space".into(), Value::list_of_str(row.address_space.clone()));
    a.insert("dns_servers".into(), Value::list_of_str(row.dns_servers.clone()));
    a.insert("gateway".into(), Value::str(&row.gateway));
    let gw = row.subnets.iter().find(|(n, _)| n == GATEWAY_SUBNET);
    a.insert(
        "gateway_subnet_cidr".into(),
        gw.map_or(Value::Null, |(_, c)| Value::str(c)),
    );
    a.insert(
        "gateway_subnet_id".into(),
        gw.map_or(Value::Null, |_| {
            Value::str(format!("{}/subnets/{GATEWAY_SUBNET}", row.id))
        }),
    );
    a.insert("subnets".into(), subnet_items(row, GATEWAY_SUBNET));
}
