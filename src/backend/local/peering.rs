//! `peering` in the local fabric: both sides of a cluster↔hub peering as
//! one resource. The backend creates the hub side (with
//! `allow_gateway_transit`) first, then the cluster side, so
//! `use_remote_gateways` succeeds the first time.

use super::id_of;
use super::peering_side::{
    delete_side, get_side, put_side, reverse_side, side_of, sync_level, Side, NOUN, SIDE_COLUMNS,
};
use super::records::{self, flag, need};
use super::{Fail, LocalFabric};
use crate::backend::{BackendError, Op, PeeringId, PeeringView};
use crate::graph::{kinds, Address, Attrs, Ctx, Kind, Value};
use rusqlite::Transaction;
/// The two sides a peering resource's attributes describe: (hub, cluster).
fn sides(a: &Attrs) -> Result<(Side, Side), Fail> {
    let (cluster, hub) = (need(a, "cluster_id")?, need(a, "hub_id")?);
    let forwarded = flag(a, "allow_forwarded_traffic", true);
    let use_gw = flag(a, "use_remote_gateways", false);
    let side = |vnet: &str, name: &str, remote: &str| Side {
        vnet_id: vnet.into(),
        name: name.into(),
        remote_vnet_id: remote.into(),
        allow_virtual_network_access: true,
        allow_forwarded_traffic: forwarded,
        allow_gateway_transit: false,
        use_remote_gateways: false,
        peering_state: String::new(),
        remote_address_space: Vec::new(),
    };
    let mut h = side(hub, need(a, "hub_peering_name")?, cluster);
    h.allow_gateway_transit = flag(a, "allow_gateway_transit", use_gw);
    let mut c = side(cluster, need(a, "name")?, hub);
    c.use_remote_gateways = use_gw;
    Ok((h, c))
}

/// The peering resource with this (cluster-side) ID, overlaid with the state
/// of its sides; `None` when neither side exists.
pub fn read_tx(tx: &Transaction, id: &str) -> Result<Option<Attrs>, Fail> {
    let stored = records::get(tx, id)?;
    let pid = id.parse::<PeeringId>().ok();
    let cluster_side = match &pid {
        Some(p) => get_side(tx, &p.vnet.to_string(), &p.name)?,
        None => None,
    };
    let hub_side = match (&stored, &cluster_side) {
        (Some(a), _) => match (
            a.get("hub_id").and_then(Value::as_str),
            a.get("hub_peering_name").and_then(Value::as_str),
        ) {
            (Some(h), Some(n)) => get_side(tx, h, n)?,
            _ => None,
        },
        (None, Some(c)) => reverse_side(tx, c)?,
        (None, None) => None,
    };
    let Some(primary) = cluster_side.as_ref().or(hub_side.as_ref()) else {
        return Ok(None);
    };
    let mut a = match stored {
        Some(a) => a,
        None => {
            let Some(c) = &cluster_side else { return Ok(None) };
            let mut config = Attrs::new();
            config.insert("cluster_id".into(), Value::str(&c.vnet_id));
            config.insert("hub_id".into(), Value::str(&c.remote_vnet_id));
            config.insert("name".into(), Value::str(&c.name));
            if let Some(h) = &hub_side {
                config.insert("hub_peering_name".into(), Value::str(&h.name));
            }
            let addr = Address::new(Kind::Peering, c.name.clone());
            kinds::complete(&addr, config, &Ctx::default()).0
        }
    };
    a.insert("peering_state".into(), Value::str(&primary.peering_state));
    a.insert("peering_sync_level".into(), Value::str(sync_level(tx, primary)?));
    if let Some(c) = &cluster_side {
        a.insert("use_remote_gateways".into(), Value::Bool(c.use_remote_gateways));
        a.insert("allow_forwarded_traffic".into(), Value::Bool(c.allow_forwarded_traffic));
    }
    if let Some(h) = &hub_side {
        a.insert("allow_gateway_transit".into(), Value::Bool(h.allow_gateway_transit));
    }
    Ok(Some(a))
}

pub async fn read(f: &LocalFabric, id: &str) -> Result<Option<Attrs>, BackendError> {
    let id2 = id.to_string();
    f.snapshot(Op::Retrieving, Kind::Peering, id, move |tx| read_tx(tx, &id2))
        .await
}

pub async fn create(f: &LocalFabric, attrs: &Attrs) -> Result<Attrs, BackendError> {
    let id = id_of(attrs);
    let (hub, cluster) = sides(attrs).map_err(|e| e.at(Op::Creating, NOUN, &id))?;
    // The record goes with the first side, so that a crash between the two
    // sides leaves a peering that reads as Initiated (and is replaced).
    let (h, a, i) = (hub.clone(), attrs.clone(), id.clone());
    f.write_as(Op::Creating, NOUN, &hub.id(), move |tx| {
        put_side(tx, &h, false)?;
        records::put(tx, Kind::Peering, &i, &a)
    })
    .await?;
    let id2 = id.clone();
    let res = f
        .write_as(Op::Creating, NOUN, &cluster.id(), move |tx| {
            put_side(tx, &cluster, false)?;
            read_tx(tx, &id2)?.ok_or_else(|| Fail::Corrupt("written peering not found".into()))
        })
        .await;
    if res.is_err() {
        // Leave nothing half-made: take the hub side back.
        let _ = f
            .write_as(Op::Deleting, NOUN, &hub.id(), move |tx| {
                delete_side(tx, &hub.vnet_id, &hub.name)?;
                records::remove(tx, &id)
            })
            .await;
    }
    res
}

pub async fn update(f: &LocalFabric, prior: &Attrs, attrs: &Attrs) -> Result<Attrs, BackendError> {
    let _ = prior;
    let id = id_of(attrs);
    let (hub, cluster) = sides(attrs).map_err(|e| e.at(Op::Updating, NOUN, &id))?;
    // Gateway transit on before remote gateways are used; off after.
    let order = if cluster.use_remote_gateways {
        [hub, cluster]
    } else {
        [cluster, hub]
    };
    for side in order {
        let sid = side.id();
        f.write_as(Op::Updating, NOUN, &sid, move |tx| put_side(tx, &side, true))
            .await?;
    }
    let (attrs, id2) = (attrs.clone(), id.clone());
    f.write_as(Op::Updating, NOUN, &id, move |tx| {
        records::put(tx, Kind::Peering, &id2, &attrs)?;
        read_tx(tx, &id2)?.ok_or_else(|| Fail::Corrupt("updated peering not found".into()))
    })
    .await
}

pub async fn delete(f: &LocalFabric, prior: &Attrs) -> Result<(), BackendError> {
    let id = id_of(prior);
    let (hub, cluster) = sides(prior).map_err(|e| e.at(Op::Deleting, NOUN, &id))?;
    let cid = cluster.id();
    f.write_as(Op::Deleting, NOUN, &cid, move |tx| {
        delete_side(tx, &cluster.vnet_id, &cluster.name)
    })
    .await?;
    let id2 = id.clone();
    f.write_as(Op::Deleting, NOUN, &hub.id(), move |tx| {
        delete_side(tx, &hub.vnet_id, &hub.name)?;
        records::remove(tx, &id2)
    })
    .await
}

/// Every peering side on the VNET `vnet_id`, by name.
pub async fn peerings_of(f: &LocalFabric, vnet_id: &str) -> Result<Vec<PeeringView>, BackendError> {
    let id = vnet_id.to_string();
    f.snapshot(Op::Retrieving, Kind::Peering, vnet_id, move |tx| {
        let sql = format!("SELECT {SIDE_COLUMNS} FROM peerings WHERE vnet_id = ?1 ORDER BY name");
        let mut stmt = tx.prepare(&sql)?;
        let sides = stmt.query_map([&id], side_of)?.collect::<Result<Vec<Side>, _>>()?;
        Ok(sides
            .into_iter()
            .map(|s| PeeringView {
                name: s.name,
                remote_vnet_id: s.remote_vnet_id,
                remote_address_space: s.remote_address_space,
                use_remote_gateways: s.use_remote_gateways,
                peering_state: s.peering_state,
            })
            .collect())
    })
    .await
}
