//! `route_table` in the local fabric: the route table row and its
//! association ([`attached`]) and one `routes` row per route. Azure's
//! refusals: more than 400 routes, a route name or prefix used twice, a
//! VirtualAppliance hop without an IP.

use super::attached;
use super::records::flag;
use super::{Fail, LocalFabric};
use crate::backend::{BackendError, ErrorCode, Observed, Op, OpCtx};
use crate::graph::kinds::route_table::{MAX_ROUTES, NEXT_HOP_TYPES};
use crate::graph::{Attrs, Kind, Value};
use rusqlite::{params, Transaction};

const KIND: Kind = Kind::RouteTable;

fn route_rows(a: &Attrs) -> Result<Vec<(String, String, String, Option<String>)>, Fail> {
    let items = a.get("route").and_then(Value::as_list).unwrap_or(&[]);
    if items.len() > MAX_ROUTES {
        return Err(Fail::refused(
            ErrorCode::InvalidRequest,
            format!(
                "a route table holds at most {MAX_ROUTES} routes; {} were given",
                items.len()
            ),
        ));
    }
    let mut out = Vec::new();
    for item in items {
        let m = item.as_map();
        let s = |k: &str| m.and_then(|m| m.get(k)).and_then(Value::as_str).map(str::to_string);
        let (Some(name), Some(prefix), Some(hop)) = (s("name"), s("address_prefix"), s("next_hop_type")) else {
            return Err(Fail::Missing("route".into()));
        };
        let ip = s("next_hop_ip");
        if !NEXT_HOP_TYPES.contains(&hop.as_str()) || (hop == "VirtualAppliance") != ip.is_some() {
            return Err(Fail::refused(
                ErrorCode::InvalidRequest,
                format!(
                    "route {name}: next hop {hop} {} a next hop IP",
                    if ip.is_some() { "takes no" } else { "needs" }
                ),
            ));
        }
        out.push((name, prefix, hop, ip));
    }
    Ok(out)
}

fn put_routes(
    tx: &Transaction,
    id: &str,
    routes: &[(String, String, String, Option<String>)],
    bgp: bool,
) -> Result<(), Fail> {
    tx.execute(
        "UPDATE route_tables SET bgp_route_propagation = ?2 WHERE id = ?1",
        params![id, bgp],
    )?;
    tx.execute("DELETE FROM routes WHERE route_table_id = ?1", [id])?;
    for (i, (name, prefix, hop, ip)) in routes.iter().enumerate() {
        let inserted = tx.execute(
            "INSERT INTO routes (route_table_id, name, address_prefix, next_hop_type, next_hop_ip, ord)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, name, prefix, hop, ip, i as i64],
        );
        if let Err(rusqlite::Error::SqliteFailure(e, _)) = &inserted {
            if e.code == rusqlite::ErrorCode::ConstraintViolation {
                return Err(Fail::refused(
                    ErrorCode::InvalidRequest,
                    format!("route {name} ({prefix}) conflicts with another route of the table: names and prefixes are unique"),
                ));
            }
        }
        inserted?;
    }
    Ok(())
}

/// What the fabric observes of the route table with this ID.
pub fn read_tx(tx: &Transaction, id: &str, prior: Option<&Attrs>) -> Result<Option<Observed>, Fail> {
    let Some(h) = attached::get(tx, KIND, id)? else {
        if attached::get(tx, Kind::NetworkSecurityGroup, id)?.is_some() {
            return Err(Fail::wrong_kind(KIND, Kind::NetworkSecurityGroup, id));
        }
        return Ok(None);
    };
    let mut a = attached::observe(&h, prior);
    let bgp: bool = tx.query_row(
        "SELECT bgp_route_propagation FROM route_tables WHERE id = ?1",
        [id],
        |r| r.get(0),
    )?;
    a.insert("bgp_route_propagation_enabled".into(), Value::Bool(bgp));
    let mut st = tx.prepare_cached(
        "SELECT name, address_prefix, next_hop_type, next_hop_ip FROM routes WHERE route_table_id = ?1 ORDER BY ord",
    )?;
    let routes: Vec<Value> = st
        .query_map([id], |r| {
            let mut m = Attrs::new();
            m.insert("name".into(), Value::str(r.get::<_, String>(0)?));
            m.insert("address_prefix".into(), Value::str(r.get::<_, String>(1)?));
            m.insert("next_hop_type".into(), Value::str(r.get::<_, String>(2)?));
            m.insert(
                "next_hop_ip".into(),
                r.get::<_, Option<String>>(3)?.map_or(Value::Null, Value::String),
            );
            Ok(Value::Map(m))
        })?
        .collect::<Result<_, _>>()?;
    a.insert("route".into(), Value::List(routes));
    Ok(Some(Observed {
        owner: h.owner(),
        attrs: a,
    }))
}

pub async fn read(
    f: &LocalFabric,
    cx: &OpCtx,
    id: &str,
    prior: Option<&Attrs>,
) -> Result<Option<Observed>, BackendError> {
    attached::read(f, cx, KIND, id, prior).await
}

async fn write(
    f: &LocalFabric,
    cx: &OpCtx,
    op: Op,
    prior: Option<&Attrs>,
    attrs: &Attrs,
) -> Result<Observed, BackendError> {
    let routes = route_rows(attrs).map_err(|e| e.at(op, "Route Table", &super::id_of(attrs)))?;
    let bgp = flag(attrs, "bgp_route_propagation_enabled", true);
    attached::write(f, cx, op, KIND, prior, attrs, move |tx, id| {
        put_routes(tx, id, &routes, bgp)
    })
    .await
}

pub async fn create(f: &LocalFabric, cx: &OpCtx, attrs: &Attrs) -> Result<Observed, BackendError> {
    write(f, cx, Op::Creating, None, attrs).await
}

/// Routes change in place; the route table (and its ID) stays.
pub async fn update(f: &LocalFabric, cx: &OpCtx, prior: &Attrs, attrs: &Attrs) -> Result<Observed, BackendError> {
    write(f, cx, Op::Updating, Some(prior), attrs).await
}

pub async fn delete(f: &LocalFabric, cx: &OpCtx, prior: &Attrs) -> Result<(), BackendError> {
    attached::delete(f, cx, KIND, prior, |tx, id| {
        tx.execute("DELETE FROM routes WHERE route_table_id = ?1", [id])?;
        Ok(())
    })
    .await
}

/// The dump of every route table: identity, association and routes, sorted.
pub fn dump(tx: &Transaction) -> Result<Vec<serde_json::Value>, Fail> {
    let ids: Vec<String> = tx
        .prepare("SELECT id FROM route_tables ORDER BY lower(id)")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for id in ids {
        if let Some(o) = read_tx(tx, &id, None)? {
            let mut a = o.attrs;
            a.remove("tags");
            out.push(Value::Map(a).to_json());
        }
    }
    Ok(out)
}
