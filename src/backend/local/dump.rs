//! `fabric dump`: the whole fabric as sorted JSON, for tests and the parity
//! test. No row ids, no timestamps, nothing that differs between two runs
//! that built the same topology. Owner marks are left out (two stacks that
//! built the same topology dump the same).

use super::peering_side::{self as peering, side_of, SIDE_COLUMNS};
use super::records::strings_from_json;
use super::{vnet, Fail};
use rusqlite::Transaction;
use serde_json::{json, Value as J};

pub fn dump(tx: &Transaction) -> Result<J, Fail> {
    let mut vnets = Vec::new();
    let ids: Vec<String> = tx
        .prepare("SELECT id FROM vnets ORDER BY lower(id)")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in ids {
        let Some(v) = vnet::get(tx, &id)? else { continue };
        let mut subnets = v.subnets.clone();
        subnets.sort_by_key(|(n, _)| n.to_ascii_lowercase());
        vnets.push(json!({
            "id": v.id, "role": v.role, "resource_group": v.resource_group, "name": v.name,
            "location": v.location, "address_space": v.address_space, "dns_servers": v.dns_servers,
            "gateway": v.gateway,
            "subnets": subnets.iter().map(|(n, c)| {
                let mut s = json!({ "name": n, "cidr": c });
                if let Some((_, svc)) = v.delegations.iter().find(|(d, _)| d.eq_ignore_ascii_case(n)) {
                    s["delegation"] = json!(svc);
                }
                s
            }).collect::<Vec<_>>(),
        }));
    }
    let sides: Vec<peering::Side> = tx
        .prepare(&format!(
            "SELECT {SIDE_COLUMNS} FROM peerings ORDER BY lower(vnet_id), lower(name)"
        ))?
        .query_map([], side_of)?
        .collect::<Result<_, _>>()?;
    let mut peerings = Vec::new();
    for s in &sides {
        peerings.push(json!({
            "id": s.id(), "vnet_id": s.vnet_id, "name": s.name, "remote_vnet_id": s.remote_vnet_id,
            "peering_state": s.peering_state, "peering_sync_level": peering::sync_level(tx, s)?,
            "allow_virtual_network_access": s.allow_virtual_network_access,
            "allow_forwarded_traffic": s.allow_forwarded_traffic,
            "allow_gateway_transit": s.allow_gateway_transit,
            "use_remote_gateways": s.use_remote_gateways,
        }));
    }
    let dns: Vec<J> = tx
        .prepare("SELECT id, cluster_id, flavor, vnet_dns_servers FROM dns_configurations ORDER BY lower(id)")?
        .query_map([], |r| {
            Ok(json!({
                "id": r.get::<_, String>(0)?, "cluster_id": r.get::<_, String>(1)?,
                "flavor": r.get::<_, String>(2)?,
                "vnet_dns_servers": strings_from_json(&r.get::<_, String>(3)?),
            }))
        })?
        .collect::<Result<_, _>>()?;
    let objects: Vec<J> = tx
        .prepare(
            "SELECT cluster_id, namespace, kind, name, owner_id, manifest FROM k8s_objects
             ORDER BY lower(cluster_id), namespace, kind, name",
        )?
        .query_map([], |r| {
            let manifest: String = r.get(5)?;
            let mut manifest = serde_json::from_str::<J>(&manifest).unwrap_or(J::Null);
            super::k8s::unmark(&mut manifest);
            Ok(json!({
                "cluster_id": r.get::<_, String>(0)?, "namespace": r.get::<_, String>(1)?,
                "kind": r.get::<_, String>(2)?, "name": r.get::<_, String>(3)?,
                "owner_id": r.get::<_, String>(4)?,
                "manifest": manifest,
            }))
        })?
        .collect::<Result<_, _>>()?;
    let gateways: Vec<J> = super::gateway::all(tx)?
        .into_iter()
        .map(|(id, vnet_id, kind)| json!({ "id": id, "vnet_id": vnet_id, "kind": kind }))
        .collect();
    let mut out = json!({
        "vnets": vnets,
        "gateways": gateways,
        "peerings": peerings,
        "dns_configurations": dns,
        "kubernetes_objects": objects,
    });
    // Listed when there are any (dumps of fabrics without them stay as they were).
    for (key, items) in [
        ("network_security_groups", super::nsg::dump(tx)?),
        ("route_tables", super::route_table::dump(tx)?),
    ] {
        if let (false, Some(o)) = (items.is_empty(), out.as_object_mut()) {
            o.insert(key.into(), J::Array(items));
        }
    }
    Ok(out)
}
