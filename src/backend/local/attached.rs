//! What NSGs and route tables share in the local fabric: a top-level row
//! (identity, location, tags with the owner mark) and the association with
//! one subnet of a cluster VNET (`subnet_associations`: one NSG and one
//! route table per subnet, as Azure's subnet holds one of each). The kind
//! files (`nsg`, `route_table`) keep their own rules and routes.

use super::records::need;
use super::tags::{self, Tags};
use super::{vnet, Fail, LocalFabric};
use crate::backend::owner::{self, Owner};
use crate::backend::{noun, BackendError, ErrorCode, Observed, Op, OpCtx};
use crate::graph::{Attrs, Kind, Value};
use rusqlite::{params, OptionalExtension, Transaction};

/// The table of the kind's rows and its tag in `subnet_associations`.
pub fn table(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::RouteTable => ("route_tables", "route_table"),
        _ => ("network_security_groups", "network_security_group"),
    }
}

/// The row every attached object has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub id: String,
    pub resource_group: String,
    pub name: String,
    pub location: String,
    pub tags: Tags,
    /// The cluster VNET and subnet it is attached to (`None`: the node subnet).
    pub vnet_id: String,
    pub subnet: Option<String>,
}

impl Head {
    pub fn of(a: &Attrs) -> Result<Head, Fail> {
        Ok(Head {
            id: need(a, "id")?.to_string(),
            resource_group: need(a, "resource_group_name")?.to_string(),
            name: need(a, "name")?.to_string(),
            location: need(a, "location")?.to_string(),
            tags: Tags::new(),
            vnet_id: need(a, "cluster_network_id")?.to_string(),
            subnet: a.get("subnet_name").and_then(Value::as_str).map(str::to_string),
        })
    }

    pub fn owner(&self) -> Owner {
        Owner::from_tags(&self.tags)
    }
}

/// The stored row of `id` (its association in `vnet_id` / `subnet`).
pub fn get(tx: &Transaction, kind: Kind, id: &str) -> Result<Option<Head>, Fail> {
    let (t, k) = table(kind);
    let row = tx
        .query_row(
            &format!("SELECT id, resource_group, name, location, tags FROM {t} WHERE id = ?1"),
            [id],
            |r| {
                Ok(Head {
                    id: r.get(0)?,
                    resource_group: r.get(1)?,
                    name: r.get(2)?,
                    location: r.get(3)?,
                    tags: tags::from_json(&r.get::<_, String>(4)?),
                    vnet_id: String::new(),
                    subnet: None,
                })
            },
        )
        .optional()?;
    let Some(mut row) = row else { return Ok(None) };
    let at: Option<(String, String)> = tx
        .query_row(
            "SELECT vnet_id, subnet FROM subnet_associations WHERE kind = ?1 AND target_id = ?2",
            [k, id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((v, s)) = at {
        row.vnet_id = v;
        row.subnet = Some(s);
    }
    Ok(Some(row))
}

/// Writes the row and its association: the subnet must exist in a cluster
/// VNET (the node subnet when none is named) and hold no other object of
/// the kind. Returns the subnet's name.
pub fn put(tx: &Transaction, kind: Kind, h: &Head) -> Result<String, Fail> {
    let (t, k) = table(kind);
    let Some(v) = vnet::get(tx, &h.vnet_id)?.filter(|v| v.role == "cluster") else {
        return Err(Fail::refused(
            ErrorCode::ResourceNotFound,
            format!("cluster network {} was not found", h.vnet_id),
        ));
    };
    let subnet = match &h.subnet {
        Some(s) => v
            .subnets
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(n, _)| n.clone()),
        None => v.subnets.first().map(|(n, _)| n.clone()),
    };
    let Some(subnet) = subnet else {
        return Err(Fail::refused(
            ErrorCode::ResourceNotFound,
            format!(
                "Subnet {} of virtual network {} was not found",
                h.subnet.as_deref().unwrap_or("(node subnet)"),
                v.name
            ),
        ));
    };
    let holder: Option<String> = tx
        .query_row(
            "SELECT target_id FROM subnet_associations WHERE vnet_id = ?1 AND subnet = ?2 AND kind = ?3",
            params![v.id, subnet, k],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(other) = holder.filter(|o| !o.eq_ignore_ascii_case(&h.id)) {
        return Err(Fail::refused(
            ErrorCode::InvalidRequest,
            format!(
                "subnet {subnet} of virtual network {} is already associated with {} {other}; a subnet holds one",
                v.name,
                noun(kind)
            ),
        ));
    }
    tx.execute(
        &format!(
            "INSERT INTO {t} (id, resource_group, name, location, tags) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET location = excluded.location, tags = excluded.tags"
        ),
        params![h.id, h.resource_group, h.name, h.location, tags::to_json(&h.tags)],
    )?;
    tx.execute(
        "DELETE FROM subnet_associations WHERE kind = ?1 AND target_id = ?2",
        params![k, h.id],
    )?;
    tx.execute(
        "INSERT INTO subnet_associations (vnet_id, subnet, kind, target_id) VALUES (?1, ?2, ?3, ?4)",
        params![v.id, subnet, k, h.id],
    )?;
    Ok(subnet)
}

/// Removes the row and its association.
pub fn remove(tx: &Transaction, kind: Kind, id: &str) -> Result<(), Fail> {
    let (t, k) = table(kind);
    tx.execute(
        "DELETE FROM subnet_associations WHERE kind = ?1 AND target_id = ?2",
        [k, id],
    )?;
    tx.execute(&format!("DELETE FROM {t} WHERE id = ?1"), [id])?;
    Ok(())
}

/// The attributes every attached object reports.
pub fn observe(h: &Head, prior: Option<&Attrs>) -> Attrs {
    let mut a = Attrs::new();
    a.insert("id".into(), Value::str(&h.id));
    a.insert("name".into(), Value::str(&h.name));
    a.insert("resource_group_name".into(), Value::str(&h.resource_group));
    a.insert("location".into(), Value::str(&h.location));
    a.insert("tags".into(), owner::user_tags(&h.tags, prior));
    a.insert(
        "cluster_network_id".into(),
        if h.vnet_id.is_empty() {
            Value::Null
        } else {
            Value::str(&h.vnet_id)
        },
    );
    a.insert(
        "subnet_name".into(),
        h.subnet.as_deref().map_or(Value::Null, Value::str),
    );
    a
}

/// Create or update: `body` writes the kind's own rows after the head.
pub async fn write<B>(
    f: &LocalFabric,
    cx: &OpCtx,
    op: Op,
    kind: Kind,
    prior: Option<&Attrs>,
    attrs: &Attrs,
    body: B,
) -> Result<Observed, BackendError>
where
    B: Fn(&Transaction, &str) -> Result<(), Fail> + Send + 'static,
{
    let id = super::id_of(attrs);
    let mut head = Head::of(attrs).map_err(|e| e.at(op, noun(kind), &id))?;
    let (stack, before, after) = (cx.stack().to_string(), prior.cloned(), attrs.clone());
    let read = read_fn(kind);
    f.write(cx, op, kind, &id, move |tx| {
        let old = get(tx, kind, &head.id)?;
        match (&old, op) {
            (Some(o), Op::Creating) => return Err(tags::exists(&format!("{} {}", noun(kind), o.name), &o.owner())),
            (None, Op::Updating) => {
                return Err(Fail::refused(
                    ErrorCode::ResourceNotFound,
                    format!("the {} does not exist", noun(kind)),
                ))
            }
            (Some(o), _) => tags::may_change(&o.owner(), &stack, op, noun(kind), &head.id)?,
            _ => {}
        }
        let base = old.as_ref().map(|o| o.tags.clone()).unwrap_or_default();
        head.tags = tags::marked(&base, &stack);
        owner::put_user_tags(&mut head.tags, before.as_ref(), &after);
        put(tx, kind, &head)?;
        body(tx, &head.id)?;
        read(tx, &head.id, Some(&after))?.ok_or_else(|| Fail::Corrupt("written object not found".into()))
    })
    .await
}

type ReadFn = fn(&Transaction, &str, Option<&Attrs>) -> Result<Option<Observed>, Fail>;

fn read_fn(kind: Kind) -> ReadFn {
    match kind {
        Kind::RouteTable => super::route_table::read_tx,
        _ => super::nsg::read_tx,
    }
}

pub async fn read(
    f: &LocalFabric,
    cx: &OpCtx,
    kind: Kind,
    id: &str,
    prior: Option<&Attrs>,
) -> Result<Option<Observed>, BackendError> {
    let (id2, prior) = (id.to_string(), prior.cloned());
    let read = read_fn(kind);
    f.snapshot(cx, Op::Retrieving, kind, id, move |tx| read(tx, &id2, prior.as_ref()))
        .await
}

/// Deletes the object (its association first, as Azure needs); refuses
/// another stack's. `body` removes the kind's own rows.
pub async fn delete<B>(f: &LocalFabric, cx: &OpCtx, kind: Kind, prior: &Attrs, body: B) -> Result<(), BackendError>
where
    B: Fn(&Transaction, &str) -> Result<(), Fail> + Send + 'static,
{
    let id = super::id_of(prior);
    let (id2, stack) = (id.clone(), cx.stack().to_string());
    f.write(cx, Op::Deleting, kind, &id, move |tx| {
        let Some(old) = get(tx, kind, &id2)? else { return Ok(()) };
        tags::may_change(&old.owner(), &stack, Op::Deleting, noun(kind), &id2)?;
        body(tx, &old.id)?;
        remove(tx, kind, &old.id)
    })
    .await
}

/// Puts the stack's owner mark on the object (import) or takes it off.
pub async fn claim(f: &LocalFabric, cx: &OpCtx, kind: Kind, id: &str, claim: bool) -> Result<(), BackendError> {
    let (id2, stack) = (id.to_string(), cx.stack().to_string());
    f.write(cx, Op::Importing, kind, id, move |tx| {
        let Some(old) = get(tx, kind, &id2)? else {
            return Err(Fail::refused(
                ErrorCode::ResourceNotFound,
                format!("the {} does not exist", noun(kind)),
            ));
        };
        if let Owner::Stack(s) = old.owner() {
            tags::may_change(&Owner::Stack(s), &stack, Op::Importing, noun(kind), &id2)?;
        }
        let t = if claim {
            tags::marked(&old.tags, &stack)
        } else {
            tags::unmarked(&old.tags)
        };
        let (tbl, _) = table(kind);
        tx.execute(
            &format!("UPDATE {tbl} SET tags = ?2 WHERE id = ?1"),
            params![old.id, tags::to_json(&t)],
        )?;
        Ok(())
    })
    .await
}

/// Table definitions of both kinds (part of the fabric's schema).
pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS network_security_groups (
    id TEXT PRIMARY KEY COLLATE NOCASE,
    resource_group TEXT NOT NULL,
    name TEXT NOT NULL,
    location TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS security_rules (
    nsg_id TEXT NOT NULL COLLATE NOCASE,
    name TEXT NOT NULL COLLATE NOCASE,
    priority INTEGER NOT NULL,
    direction TEXT NOT NULL,
    access TEXT NOT NULL,
    protocol TEXT NOT NULL,
    source_port_ranges TEXT NOT NULL,
    destination_port_ranges TEXT NOT NULL,
    source_address_prefixes TEXT NOT NULL,
    destination_address_prefixes TEXT NOT NULL,
    description TEXT,
    ord INTEGER NOT NULL,
    PRIMARY KEY (nsg_id, name)
);
CREATE UNIQUE INDEX IF NOT EXISTS security_rules_priority ON security_rules (nsg_id, lower(direction), priority);
CREATE TABLE IF NOT EXISTS route_tables (
    id TEXT PRIMARY KEY COLLATE NOCASE,
    resource_group TEXT NOT NULL,
    name TEXT NOT NULL,
    location TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '{}',
    bgp_route_propagation INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS routes (
    route_table_id TEXT NOT NULL COLLATE NOCASE,
    name TEXT NOT NULL COLLATE NOCASE,
    address_prefix TEXT NOT NULL,
    next_hop_type TEXT NOT NULL,
    next_hop_ip TEXT,
    ord INTEGER NOT NULL,
    PRIMARY KEY (route_table_id, name)
);
CREATE UNIQUE INDEX IF NOT EXISTS routes_prefix ON routes (route_table_id, address_prefix);
CREATE TABLE IF NOT EXISTS subnet_associations (
    vnet_id TEXT NOT NULL COLLATE NOCASE,
    subnet TEXT NOT NULL COLLATE NOCASE,
    kind TEXT NOT NULL,
    target_id TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (vnet_id, subnet, kind)
);
CREATE INDEX IF NOT EXISTS subnet_associations_target ON subnet_associations (target_id);
"#;
