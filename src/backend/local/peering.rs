//! `peering` in the local fabric: both sides of a cluster↔hub peering as
//! one resource. The backend creates the hub side (with
//! `allow_gateway_transit`) first, then the cluster side, so
//! `use_remote_gateways` succeeds the first time.

use super::id_of;
use super::peering_side::{
    delete_side, get_side, put_side, reverse_side, side_of, sync_level, Side, NOUN, SIDE_COLUMNS,
};
use super::records::{flag, need};
use super::tags;
use super::{Fail, LocalFabric};
use crate::backend::{BackendError, Observed, Op, OpCtx, Owner, PeeringId, PeeringView};
use crate::graph::{Attrs, Kind, Value};
use rusqlite::Transaction;
/// The two sides a peering resource's attributes describe: (hub, cluster).
fn sides(a: &Attrs) -> Result<(Side, Side), Fail> {
    let (cluster, hub) = (need(a, "cluster_network_id")?, need(a, "hub_id")?);
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
        tags: Default::default(),
    };
    let mut h = side(hub, need(a, "hub_peering_name")?, cluster);
    h.allow_gateway_transit = flag(a, "allow_gateway_transit", use_gw);
    let mut c = side(cluster, need(a, "name")?, hub);
    c.use_remote_gateways = use_gw;
    Ok((h, c))
}

/// What the fabric observes of the peering with this (cluster-side) ID:
/// both sides' state and flags; `prior` names the hub side. `None` when
/// neither side exists.
pub fn read_tx(tx: &Transaction, id: &str, prior: Option<&Attrs>) -> Result<Option<Observed>, Fail> {
    let pid = id.parse::<PeeringId>().ok();
    let cluster_side = match &pid {
        Some(p) => get_side(tx, &p.vnet.to_string(), &p.name)?,
        None => None,
    };
    let named = prior.and_then(|a| {
        Some((
            a.get("hub_id").and_then(Value::as_str)?,
            a.get("hub_peering_name").and_then(Value::as_str)?,
        ))
    });
    let hub_side = match (named, &cluster_side) {
        (Some((h, n)), _) => get_side(tx, h, n)?,
        (None, Some(c)) => reverse_side(tx, c)?,
        (None, None) => None,
    };
    let Some(primary) = cluster_side.as_ref().or(hub_side.as_ref()) else {
        return Ok(None);
    };
    let mut a = Attrs::new();
    a.insert("id".into(), Value::str(id));
    if let Some(p) = &pid {
        a.insert("name".into(), Value::str(&p.name));
        a.insert("cluster_network_id".into(), Value::str(p.vnet.to_string()));
    }
    a.insert("peering_state".into(), Value::str(&primary.peering_state));
    a.insert("peering_sync_level".into(), Value::str(sync_level(tx, primary)?));
    if let Some(c) = &cluster_side {
        a.insert("hub_id".into(), Value::str(&c.remote_vnet_id));
        a.insert("use_remote_gateways".into(), Value::Bool(c.use_remote_gateways));
        a.insert("allow_forwarded_traffic".into(), Value::Bool(c.allow_forwarded_traffic));
    }
    if let Some(h) = &hub_side {
        a.insert("hub_id".into(), Value::str(&h.vnet_id));
        a.insert("hub_peering_name".into(), Value::str(&h.name));
        a.insert("allow_gateway_transit".into(), Value::Bool(h.allow_gateway_transit));
    }
    Ok(Some(Observed {
        attrs: a,
        owner: primary.owner(),
    }))
}

pub async fn read(
    f: &LocalFabric,
    cx: &OpCtx,
    id: &str,
    prior: Option<&Attrs>,
) -> Result<Option<Observed>, BackendError> {
    let (id2, prior) = (id.to_string(), prior.cloned());
    f.snapshot(cx, Op::Retrieving, Kind::Peering, id, move |tx| {
        read_tx(tx, &id2, prior.as_ref())
    })
    .await
}

/// Refuses a change of a peering whose sides carry another owner's mark.
fn check_owner(tx: &Transaction, sides: &[&Side], stack: &str, op: Op) -> Result<(), Fail> {
    for s in sides {
        if let Some(cur) = get_side(tx, &s.vnet_id, &s.name)? {
            tags::may_change(&cur.owner(), stack, op, NOUN, &cur.id())?;
        }
    }
    Ok(())
}

pub async fn create(f: &LocalFabric, cx: &OpCtx, attrs: &Attrs) -> Result<Observed, BackendError> {
    let id = id_of(attrs);
    let (mut hub, mut cluster) = sides(attrs).map_err(|e| e.at(Op::Creating, NOUN, &id))?;
    hub.tags = tags::marked(&hub.tags, cx.stack());
    cluster.tags = tags::marked(&cluster.tags, cx.stack());
    // A create never adopts: a side that exists must be this stack's own,
    // to the same remote — what a create left when it was cut off between
    // its steps (the process killed, the RPC dropped) or lost its answer.
    // Such a create is resumed: its sides are written again, a side left
    // Disconnected is made anew. Checked for both before anything is written.
    let (h0, c0, stack) = (hub.clone(), cluster.clone(), cx.stack().to_string());
    let found = f
        .snapshot(cx, Op::Creating, Kind::Peering, &id, move |tx| {
            let mut found = Vec::new();
            for s in [&h0, &c0] {
                let Some(cur) = get_side(tx, &s.vnet_id, &s.name)? else {
                    found.push(None);
                    continue;
                };
                if !cur.owner().is(&stack) || cur.remote_vnet_id != s.remote_vnet_id {
                    return Err(match tags::exists(&format!("peering {}", cur.id()), &cur.owner()) {
                        Fail::Refused(code, message) => Fail::Backend(BackendError::Refused {
                            op: Op::Creating,
                            noun: NOUN,
                            id: cur.id(),
                            code,
                            message,
                        }),
                        other => other,
                    });
                }
                found.push(Some(cur.peering_state != "Disconnected"));
            }
            Ok(found)
        })
        .await?;
    // Some(true): a live side of this stack's (updated); Some(false): one left Disconnected.
    let (hub_found, cluster_found) = (found[0], found[1]);
    if hub_found.is_some() || cluster_found.is_some() {
        // Resuming: both sides in one transaction, so a refusal changes
        // nothing of what the cut-off create left.
        let (id2, prior) = (id.clone(), attrs.clone());
        return f
            .write_as(cx, Op::Creating, NOUN, &cluster.id(), move |tx| {
                for (s, state) in [(&hub, hub_found), (&cluster, cluster_found)] {
                    if state == Some(false) {
                        delete_side(tx, &s.vnet_id, &s.name)?;
                    }
                }
                put_side(tx, &hub, hub_found == Some(true))?;
                put_side(tx, &cluster, cluster_found == Some(true))?;
                read_tx(tx, &id2, Some(&prior))?.ok_or_else(|| Fail::Corrupt("written peering not found".into()))
            })
            .await;
    }
    let h = hub.clone();
    f.write_as(cx, Op::Creating, NOUN, &hub.id(), move |tx| put_side(tx, &h, false))
        .await?;
    let (id2, prior) = (id.clone(), attrs.clone());
    let res = f
        .write_as(cx, Op::Creating, NOUN, &cluster.id(), move |tx| {
            put_side(tx, &cluster, false)?;
            read_tx(tx, &id2, Some(&prior))?.ok_or_else(|| Fail::Corrupt("written peering not found".into()))
        })
        .await;
    if res.is_err() {
        // Leave nothing half-made when the cluster side is refused: take
        // the hub side back (even when the context was cancelled in
        // between). If this process dies first, the next create resumes.
        let undo = OpCtx::new(cx.stack());
        let _ = f
            .write_as(&undo, Op::Deleting, NOUN, &hub.id(), move |tx| {
                delete_side(tx, &hub.vnet_id, &hub.name)
            })
            .await;
    }
    res
}

pub async fn update(f: &LocalFabric, cx: &OpCtx, prior: &Attrs, attrs: &Attrs) -> Result<Observed, BackendError> {
    let _ = prior;
    let id = id_of(attrs);
    let (mut hub, mut cluster) = sides(attrs).map_err(|e| e.at(Op::Updating, NOUN, &id))?;
    hub.tags = tags::marked(&hub.tags, cx.stack());
    cluster.tags = tags::marked(&cluster.tags, cx.stack());
    // Gateway transit on before remote gateways are used; off after.
    let order = if cluster.use_remote_gateways {
        [hub, cluster]
    } else {
        [cluster, hub]
    };
    // Both sides in one transaction: a refusal of the second leaves the
    // first as it was.
    let (sid, stack) = (order[0].id(), cx.stack().to_string());
    f.write_as(cx, Op::Updating, NOUN, &sid, move |tx| {
        check_owner(tx, &[&order[0], &order[1]], &stack, Op::Updating)?;
        for side in &order {
            put_side(tx, side, true)?;
        }
        Ok(())
    })
    .await?;
    let (id2, after) = (id.clone(), attrs.clone());
    f.snapshot(cx, Op::Updating, Kind::Peering, &id, move |tx| {
        read_tx(tx, &id2, Some(&after))?.ok_or_else(|| Fail::Corrupt("updated peering not found".into()))
    })
    .await
}

pub async fn delete(f: &LocalFabric, cx: &OpCtx, prior: &Attrs) -> Result<(), BackendError> {
    let id = id_of(prior);
    let (hub, cluster) = sides(prior).map_err(|e| e.at(Op::Deleting, NOUN, &id))?;
    let (cid, stack) = (cluster.id(), cx.stack().to_string());
    let h = hub.clone();
    f.write_as(cx, Op::Deleting, NOUN, &cid, move |tx| {
        check_owner(tx, &[&cluster, &h], &stack, Op::Deleting)?;
        delete_side(tx, &cluster.vnet_id, &cluster.name)
    })
    .await?;
    let stack = cx.stack().to_string();
    f.write_as(cx, Op::Deleting, NOUN, &hub.id(), move |tx| {
        check_owner(tx, &[&hub], &stack, Op::Deleting)?;
        delete_side(tx, &hub.vnet_id, &hub.name)
    })
    .await
}

/// Puts the stack's owner mark on both sides (import), or takes it off.
pub async fn claim(f: &LocalFabric, cx: &OpCtx, id: &str, claim: bool) -> Result<(), BackendError> {
    let (id2, stack) = (id.to_string(), cx.stack().to_string());
    f.write_as(cx, Op::Importing, NOUN, id, move |tx| {
        let Some(found) = read_tx(tx, &id2, None)? else {
            return Err(Fail::refused(
                crate::backend::ErrorCode::ResourceNotFound,
                "the peering does not exist",
            ));
        };
        if let Owner::Stack(_) = &found.owner {
            tags::may_change(&found.owner, &stack, Op::Importing, NOUN, &id2)?;
        }
        let mark = if claim {
            tags::to_json(&crate::backend::owner::tags_for(&stack))
        } else {
            "{}".to_string()
        };
        let pid: PeeringId = id2
            .parse()
            .map_err(|e: crate::backend::IdError| Fail::Corrupt(e.to_string()))?;
        let cluster_vnet = pid.vnet.to_string();
        let hub = found
            .attrs
            .get("hub_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let hub_name = found
            .attrs
            .get("hub_peering_name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        for (v, n) in [
            (cluster_vnet.as_str(), pid.name.as_str()),
            (hub.as_str(), hub_name.as_str()),
        ] {
            tx.execute(
                "UPDATE peerings SET tags = ?3 WHERE vnet_id = ?1 AND name = ?2",
                rusqlite::params![v, n, mark],
            )?;
        }
        Ok(())
    })
    .await
}

/// Every peering side on the VNET `vnet_id`, by name.
pub async fn peerings_of(f: &LocalFabric, cx: &OpCtx, vnet_id: &str) -> Result<Vec<PeeringView>, BackendError> {
    let id = vnet_id.to_string();
    f.snapshot(cx, Op::Retrieving, Kind::Peering, vnet_id, move |tx| {
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
