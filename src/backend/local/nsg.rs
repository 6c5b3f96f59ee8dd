//! `network_security_group` in the local fabric: the NSG row and its
//! association ([`attached`]) and one `security_rules` row per rule. Azure's
//! refusals: a priority outside 100..=4096 or used twice in a direction,
//! a rule name used twice (the table's keys say no as Azure does).

use super::attached;
use super::records::{strings_from_json, strings_to_json};
use super::{Fail, LocalFabric};
use crate::backend::{BackendError, ErrorCode, Observed, Op, OpCtx};
use crate::graph::kinds::network_security_group::PRIORITIES;
use crate::graph::{Attrs, Kind, Value};
use rusqlite::{params, Transaction};

const KIND: Kind = Kind::NetworkSecurityGroup;
const LISTS: [&str; 4] = [
    "source_port_ranges",
    "destination_port_ranges",
    "source_address_prefixes",
    "destination_address_prefixes",
];

/// One rule as stored: the block item's fields.
fn rule_rows(a: &Attrs) -> Result<Vec<Attrs>, Fail> {
    let mut out = Vec::new();
    for item in a.get("rule").and_then(Value::as_list).unwrap_or(&[]) {
        let Some(m) = item.as_map() else {
            return Err(Fail::refused(
                ErrorCode::InvalidRequest,
                "a security rule is not an object",
            ));
        };
        out.push(m.clone());
    }
    Ok(out)
}

fn text<'a>(m: &'a Attrs, k: &str) -> Result<&'a str, Fail> {
    m.get(k)
        .and_then(Value::as_str)
        .ok_or_else(|| Fail::Missing(format!("rule.{k}")))
}

fn put_rules(tx: &Transaction, id: &str, rules: &[Attrs]) -> Result<(), Fail> {
    tx.execute("DELETE FROM security_rules WHERE nsg_id = ?1", [id])?;
    for (i, m) in rules.iter().enumerate() {
        let name = text(m, "name")?;
        let priority = m
            .get("priority")
            .and_then(Value::as_i64)
            .ok_or_else(|| Fail::Missing("rule.priority".into()))?;
        if !PRIORITIES.contains(&priority) {
            return Err(Fail::refused(
                ErrorCode::InvalidRequest,
                format!("security rule {name} has invalid priority {priority}; values from 100 to 4096 are allowed"),
            ));
        }
        let lists: Vec<String> = LISTS
            .iter()
            .map(|k| {
                strings_to_json(
                    &m.get(*k)
                        .map(|v| v.strings().into_iter().map(str::to_string).collect::<Vec<_>>())
                        .unwrap_or_default(),
                )
            })
            .collect();
        let description = m.get("description").and_then(Value::as_str);
        let inserted = tx.execute(
            "INSERT INTO security_rules (nsg_id, name, priority, direction, access, protocol, source_port_ranges,
                 destination_port_ranges, source_address_prefixes, destination_address_prefixes, description, ord)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                id,
                name,
                priority,
                text(m, "direction")?,
                text(m, "access")?,
                m.get("protocol").and_then(Value::as_str).unwrap_or("*"),
                lists[0],
                lists[1],
                lists[2],
                lists[3],
                description,
                i as i64
            ],
        );
        if let Err(rusqlite::Error::SqliteFailure(e, _)) = &inserted {
            if e.code == rusqlite::ErrorCode::ConstraintViolation {
                return Err(Fail::refused(
                    ErrorCode::InvalidRequest,
                    format!("security rule {name} conflicts with another rule of the NSG: rule names, and priorities per direction, are unique"),
                ));
            }
        }
        inserted?;
    }
    Ok(())
}

fn rules_of(tx: &Transaction, id: &str) -> Result<Vec<Value>, Fail> {
    let mut st = tx.prepare_cached(
        "SELECT name, priority, direction, access, protocol, source_port_ranges, destination_port_ranges,
                source_address_prefixes, destination_address_prefixes, description
         FROM security_rules WHERE nsg_id = ?1 ORDER BY ord",
    )?;
    let rows = st
        .query_map([id], |r| {
            let mut m = Attrs::new();
            m.insert("name".into(), Value::str(r.get::<_, String>(0)?));
            m.insert("priority".into(), Value::Number(r.get(1)?));
            m.insert("direction".into(), Value::str(r.get::<_, String>(2)?));
            m.insert("access".into(), Value::str(r.get::<_, String>(3)?));
            m.insert("protocol".into(), Value::str(r.get::<_, String>(4)?));
            for (i, k) in LISTS.iter().enumerate() {
                m.insert(
                    (*k).into(),
                    Value::list_of_str(strings_from_json(&r.get::<_, String>(5 + i)?)),
                );
            }
            m.insert(
                "description".into(),
                r.get::<_, Option<String>>(9)?.map_or(Value::Null, Value::String),
            );
            Ok(Value::Map(m))
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// What the fabric observes of the NSG with this ID.
pub fn read_tx(tx: &Transaction, id: &str, prior: Option<&Attrs>) -> Result<Option<Observed>, Fail> {
    let Some(h) = attached::get(tx, KIND, id)? else {
        if attached::get(tx, Kind::RouteTable, id)?.is_some() {
            return Err(Fail::wrong_kind(KIND, Kind::RouteTable, id));
        }
        return Ok(None);
    };
    let mut a = attached::observe(&h, prior);
    a.insert("rule".into(), Value::List(rules_of(tx, id)?));
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
    let rules = rule_rows(attrs).map_err(|e| e.at(op, "Network Security Group", &super::id_of(attrs)))?;
    attached::write(f, cx, op, KIND, prior, attrs, move |tx, id| put_rules(tx, id, &rules)).await
}

pub async fn create(f: &LocalFabric, cx: &OpCtx, attrs: &Attrs) -> Result<Observed, BackendError> {
    write(f, cx, Op::Creating, None, attrs).await
}

/// Rules change in place; the NSG (and its ID) stays.
pub async fn update(f: &LocalFabric, cx: &OpCtx, prior: &Attrs, attrs: &Attrs) -> Result<Observed, BackendError> {
    write(f, cx, Op::Updating, Some(prior), attrs).await
}

pub async fn delete(f: &LocalFabric, cx: &OpCtx, prior: &Attrs) -> Result<(), BackendError> {
    attached::delete(f, cx, KIND, prior, |tx, id| {
        tx.execute("DELETE FROM security_rules WHERE nsg_id = ?1", [id])?;
        Ok(())
    })
    .await
}

/// The dump of every NSG: identity, association and rules, sorted.
pub fn dump(tx: &Transaction) -> Result<Vec<serde_json::Value>, Fail> {
    let ids: Vec<String> = tx
        .prepare("SELECT id FROM network_security_groups ORDER BY lower(id)")?
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
