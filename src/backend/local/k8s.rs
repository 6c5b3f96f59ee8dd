//! Kubernetes-side kinds in the local fabric (`dns_upstream`,
//! `external_service`, `lb_service`): the objects of the resource's
//! `manifest`, keyed by cluster + namespace + kind + name and owned by the
//! resource's ID; `dns_upstream` also records a DNS configuration (flavor and
//! the VNET DNS servers it sets).

use super::id_of;
use super::records::{self, need, strings, strings_from_json, strings_to_json};
use super::{vnet, Fail, LocalFabric};
use crate::backend::{BackendError, ErrorCode, Op};
use crate::graph::{manifests, Attrs, Kind, Value};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::Deserialize;
use serde_json::Value as J;

/// One object of a manifest, with its key.
#[derive(Debug, Clone)]
struct Object {
    namespace: String,
    kind: String,
    name: String,
    body: J,
}

fn parse_manifest(text: &str) -> Result<Vec<Object>, Fail> {
    let bad = |why: String| Fail::refused(ErrorCode::InvalidRequest, format!("manifest: {why}"));
    let mut out = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(text) {
        let body = J::deserialize(doc).map_err(|e| bad(e.to_string()))?;
        if body.is_null() {
            continue;
        }
        let s = |p: &str| body.pointer(p).and_then(J::as_str).map(str::to_string);
        out.push(Object {
            namespace: s("/metadata/namespace").unwrap_or_else(|| "default".into()),
            kind: s("/kind").ok_or_else(|| bad("an object has no kind".into()))?,
            name: s("/metadata/name").ok_or_else(|| bad("an object has no metadata.name".into()))?,
            body,
        });
    }
    if out.is_empty() {
        return Err(bad("no object".into()));
    }
    Ok(out)
}

struct Spec {
    id: String,
    cluster_id: String,
    objects: Vec<Object>,
    /// `dns_upstream` only: (flavor, VNET DNS servers).
    dns: Option<(String, Vec<String>)>,
}

fn spec(kind: Kind, a: &Attrs) -> Result<Spec, Fail> {
    Ok(Spec {
        id: need(a, "id")?.to_string(),
        cluster_id: need(a, "cluster_id")?.to_string(),
        objects: parse_manifest(need(a, "manifest")?)?,
        dns: (kind == Kind::DnsUpstream).then(|| {
            let flavor = a
                .get("flavor")
                .and_then(Value::as_str)
                .unwrap_or("coredns_aks")
                .to_string();
            (flavor, strings(a, "vnet_dns_servers"))
        }),
    })
}

/// Writes the objects (after removing the owner's earlier ones).
fn put_objects(tx: &Transaction, s: &Spec) -> Result<(), Fail> {
    match vnet::get(tx, &s.cluster_id)? {
        Some(v) if v.role == "cluster" => {}
        _ => {
            return Err(Fail::refused(
                ErrorCode::ResourceNotFound,
                format!("cluster network {} was not found", s.cluster_id),
            ))
        }
    }
    tx.execute("DELETE FROM k8s_objects WHERE owner_id = ?1", [&s.id])?;
    for (i, o) in s.objects.iter().enumerate() {
        let owner: Option<String> = tx
            .query_row(
                "SELECT owner_id FROM k8s_objects WHERE cluster_id = ?1 AND namespace = ?2 AND kind = ?3 AND name = ?4",
                [&s.cluster_id, &o.namespace, &o.kind, &o.name],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(owner) = owner {
            return Err(Fail::refused(
                ErrorCode::AlreadyExists,
                format!(
                    "{} {}/{} already exists in the cluster (owned by {owner})",
                    o.kind, o.namespace, o.name
                ),
            ));
        }
        tx.execute(
            "INSERT INTO k8s_objects (cluster_id, namespace, kind, name, owner_id, ord, manifest)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                s.cluster_id,
                o.namespace,
                o.kind,
                o.name,
                s.id,
                i as i64,
                o.body.to_string()
            ],
        )?;
    }
    if let Some((flavor, servers)) = &s.dns {
        tx.execute(
            "INSERT INTO dns_configurations (id, cluster_id, flavor, vnet_dns_servers) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET flavor = excluded.flavor, vnet_dns_servers = excluded.vnet_dns_servers",
            params![s.id, s.cluster_id, flavor, strings_to_json(servers)],
        )?;
    }
    Ok(())
}

/// The resource owning objects under this ID, its manifest re-rendered
/// from the stored objects; `None` when it has no object left.
pub fn read_tx(tx: &Transaction, kind: Kind, id: &str) -> Result<Option<Attrs>, Fail> {
    let mut st = tx.prepare_cached("SELECT manifest FROM k8s_objects WHERE owner_id = ?1 ORDER BY ord")?;
    let objects: Vec<J> = st
        .query_map([id], |r| r.get::<_, String>(0))?
        .map(|s| s.map(|s| serde_json::from_str(&s).unwrap_or(J::Null)))
        .collect::<Result<_, _>>()?;
    if objects.is_empty() {
        return Ok(None);
    }
    let mut a = records::get(tx, id)?.unwrap_or_else(|| Attrs::from([("id".into(), Value::str(id))]));
    a.insert("manifest".into(), Value::str(manifests::to_yaml(&objects)));
    if kind == Kind::DnsUpstream {
        let servers: Option<String> = tx
            .query_row(
                "SELECT vnet_dns_servers FROM dns_configurations WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(s) = servers {
            a.insert("vnet_dns_servers".into(), Value::list_of_str(strings_from_json(&s)));
        }
    }
    Ok(Some(a))
}

pub async fn read(f: &LocalFabric, kind: Kind, id: &str) -> Result<Option<Attrs>, BackendError> {
    let id2 = id.to_string();
    f.snapshot(Op::Retrieving, kind, id, move |tx| read_tx(tx, kind, &id2))
        .await
}

async fn write(f: &LocalFabric, op: Op, kind: Kind, attrs: &Attrs) -> Result<Attrs, BackendError> {
    let id = id_of(attrs);
    let s = spec(kind, attrs).map_err(|e| e.at(op, crate::backend::noun(kind), &id))?;
    let attrs = attrs.clone();
    f.write(op, kind, &id, move |tx| {
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM k8s_objects WHERE owner_id = ?1)",
            [&s.id],
            |r| r.get(0),
        )?;
        match (op, exists) {
            (Op::Creating, true) => {
                return Err(Fail::refused(
                    ErrorCode::AlreadyExists,
                    "the object already exists - to be managed it needs to be imported",
                ))
            }
            (Op::Updating, false) => {
                return Err(Fail::refused(ErrorCode::ResourceNotFound, "the object does not exist"))
            }
            _ => {}
        }
        put_objects(tx, &s)?;
        records::put(tx, kind, &s.id, &attrs)?;
        read_tx(tx, kind, &s.id)?.ok_or_else(|| Fail::Corrupt("written object not found".into()))
    })
    .await
}

pub async fn create(f: &LocalFabric, kind: Kind, attrs: &Attrs) -> Result<Attrs, BackendError> {
    write(f, Op::Creating, kind, attrs).await
}

pub async fn update(f: &LocalFabric, kind: Kind, attrs: &Attrs) -> Result<Attrs, BackendError> {
    write(f, Op::Updating, kind, attrs).await
}

pub async fn delete(f: &LocalFabric, kind: Kind, prior: &Attrs) -> Result<(), BackendError> {
    let id = id_of(prior);
    let id2 = id.clone();
    f.write(Op::Deleting, kind, &id, move |tx| {
        tx.execute("DELETE FROM k8s_objects WHERE owner_id = ?1", [&id2])?;
        tx.execute("DELETE FROM dns_configurations WHERE id = ?1", [&id2])?;
        records::remove(tx, &id2)
    })
    .await
}
