//! Kubernetes-side kinds in the local fabric (`dns_upstream`,
//! `external_service`, `lb_service`): the objects of the resource's
//! `manifest`, keyed by cluster + namespace + kind + name and owned by the
//! resource's ID; `dns_upstream` also records a DNS configuration (flavor and
//! the VNET DNS servers it sets). A `coredns_aks` dns_upstream really sets
//! the cluster VNET's DNS servers, marking the VNET with the servers it set
//! and the ones the VNET had (tags), and its delete puts those back.

use super::id_of;
use super::records::{need, strings, strings_from_json, strings_to_json};
use super::{tags, vnet, Fail, LocalFabric};
pub(crate) use crate::backend::objects::unmark;
use crate::backend::objects::{self, kind_of_object, mark, owner_of, Object};
use crate::backend::{noun, BackendError, ErrorCode, Observed, Op, OpCtx, Owner};
use crate::graph::{manifests, Attrs, Kind, Value};
use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::Value as J;

fn objects_from(kind: Kind, a: &Attrs) -> Result<Vec<Object>, Fail> {
    objects::of_attrs(kind, a).map_err(|why| Fail::refused(ErrorCode::InvalidRequest, why))
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
        cluster_id: need(a, "cluster_network_id")?.to_string(),
        objects: objects_from(kind, a)?,
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
fn put_objects(tx: &Transaction, s: &Spec, stack: &str, check_cluster: bool) -> Result<(), Fail> {
    match vnet::get(tx, &s.cluster_id)? {
        _ if !check_cluster => {}
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
        let existing: Option<String> = tx
            .query_row(
                "SELECT manifest FROM k8s_objects WHERE cluster_id = ?1 AND namespace = ?2 AND kind = ?3 AND name = ?4",
                [&s.cluster_id, &o.namespace, &o.kind, &o.name],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(body) = existing {
            let owner = owner_of(&serde_json::from_str(&body).unwrap_or(J::Null));
            return Err(tags::exists(
                &format!("{} {}/{} in the cluster", o.kind, o.namespace, o.name),
                &owner,
            ));
        }
        let mut body = o.body.clone();
        mark(&mut body, stack);
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
                body.to_string()
            ],
        )?;
    }
    if let Some((flavor, servers)) = &s.dns {
        tx.execute(
            "INSERT INTO dns_configurations (id, cluster_id, flavor, vnet_dns_servers) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET flavor = excluded.flavor, vnet_dns_servers = excluded.vnet_dns_servers",
            params![s.id, s.cluster_id, flavor, strings_to_json(servers)],
        )?;
        if flavor == "coredns_aks" {
            set_vnet_dns(tx, &s.cluster_id, |row| row.set_upstream_dns(servers))?;
        }
    }
    Ok(())
}

/// Changes the DNS servers of a cluster VNET (one that exists: with an
/// objects-only fabric the VNET lives elsewhere).
fn set_vnet_dns(tx: &Transaction, cluster_id: &str, f: impl FnOnce(&mut vnet::VnetRow)) -> Result<(), Fail> {
    if let Some(mut row) = vnet::get(tx, cluster_id)?.filter(|v| v.role == "cluster") {
        let before = row.clone();
        f(&mut row);
        if row != before {
            vnet::write_row(tx, &row)?;
        }
    }
    Ok(())
}

/// The DNS configuration recorded for a dns_upstream: (cluster, flavor, servers).
fn dns_configuration(tx: &Transaction, id: &str) -> Result<Option<(String, String, Vec<String>)>, Fail> {
    Ok(tx
        .query_row(
            "SELECT cluster_id, flavor, vnet_dns_servers FROM dns_configurations WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, strings_from_json(&r.get::<_, String>(2)?))),
        )
        .optional()?)
}

/// The stored objects of the resource with this ID, in order.
fn objects_of(tx: &Transaction, id: &str) -> Result<Vec<J>, Fail> {
    let mut st = tx.prepare_cached("SELECT manifest FROM k8s_objects WHERE owner_id = ?1 ORDER BY ord")?;
    let objects = st
        .query_map([id], |r| r.get::<_, String>(0))?
        .map(|s| s.map(|s| serde_json::from_str(&s).unwrap_or(J::Null)))
        .collect::<Result<_, _>>()?;
    Ok(objects)
}

/// What the cluster holds for the resource with this ID: its objects (as a
/// manifest, owner marks taken off) and, for `dns_upstream`, the VNET DNS
/// servers it set; `None` when it has no object left.
pub fn read_tx(tx: &Transaction, kind: Kind, id: &str) -> Result<Option<Observed>, Fail> {
    let mut objects = objects_of(tx, id)?;
    let Some(first) = objects.first() else { return Ok(None) };
    let owner = owner_of(first);
    if let Some(found) = objects.iter().find_map(kind_of_object).filter(|k| *k != kind) {
        return Err(Fail::wrong_kind(kind, found, id));
    }
    objects.iter_mut().for_each(unmark);
    let mut a = Attrs::from([("id".into(), Value::str(id))]);
    if let Ok(k) = id.parse::<crate::backend::KubernetesObjectId>() {
        a.insert("cluster_network_id".into(), Value::str(k.cluster.to_string()));
        if kind != Kind::DnsUpstream {
            a.insert("namespace".into(), Value::str(&k.namespace));
            a.insert("name".into(), Value::str(&k.name));
        }
    }
    a.insert("manifest".into(), Value::str(manifests::to_yaml(&objects)));
    if kind == Kind::DnsUpstream {
        if let Some((cluster_id, flavor, recorded)) = dns_configuration(tx, id)? {
            // What the VNET holds: the servers this dns_upstream set, or
            // none when they were taken off (drift; the next apply sets them).
            let servers = match vnet::get(tx, &cluster_id)? {
                Some(row) if flavor == "coredns_aks" => row.upstream_dns().map(|_| row.dns_servers).unwrap_or_default(),
                _ => recorded,
            };
            a.insert("flavor".into(), Value::str(flavor));
            a.insert("vnet_dns_servers".into(), Value::list_of_str(servers));
        }
    }
    Ok(Some(Observed { attrs: a, owner }))
}

pub async fn read(f: &LocalFabric, cx: &OpCtx, kind: Kind, id: &str) -> Result<Option<Observed>, BackendError> {
    let id2 = id.to_string();
    f.snapshot(cx, Op::Retrieving, kind, id, move |tx| read_tx(tx, kind, &id2))
        .await
}

async fn write(f: &LocalFabric, cx: &OpCtx, op: Op, kind: Kind, attrs: &Attrs) -> Result<Observed, BackendError> {
    let id = id_of(attrs);
    let s = spec(kind, attrs).map_err(|e| e.at(op, noun(kind), &id))?;
    let stack = cx.stack().to_string();
    let check_cluster = !f.is_objects_only();
    f.write(cx, op, kind, &id, move |tx| {
        let current = objects_of(tx, &s.id)?;
        match (op, current.first()) {
            (Op::Creating, Some(body)) => {
                return Err(tags::exists(&format!("the object {}", s.id), &owner_of(body)));
            }
            (Op::Updating, None) => {
                return Err(Fail::refused(ErrorCode::ResourceNotFound, "the object does not exist"))
            }
            (Op::Updating, Some(body)) => tags::may_change(&owner_of(body), &stack, op, noun(kind), &s.id)?,
            _ => {}
        }
        put_objects(tx, &s, &stack, check_cluster)?;
        read_tx(tx, kind, &s.id)?.ok_or_else(|| Fail::Corrupt("written object not found".into()))
    })
    .await
}

pub async fn create(f: &LocalFabric, cx: &OpCtx, kind: Kind, attrs: &Attrs) -> Result<Observed, BackendError> {
    write(f, cx, Op::Creating, kind, attrs).await
}

pub async fn update(f: &LocalFabric, cx: &OpCtx, kind: Kind, attrs: &Attrs) -> Result<Observed, BackendError> {
    write(f, cx, Op::Updating, kind, attrs).await
}

pub async fn delete(f: &LocalFabric, cx: &OpCtx, kind: Kind, prior: &Attrs) -> Result<(), BackendError> {
    let id = id_of(prior);
    let (id2, stack) = (id.clone(), cx.stack().to_string());
    f.write(cx, Op::Deleting, kind, &id, move |tx| {
        if let Some(body) = objects_of(tx, &id2)?.first() {
            tags::may_change(&owner_of(body), &stack, Op::Deleting, noun(kind), &id2)?;
        }
        if let Some((cluster_id, flavor, _)) = dns_configuration(tx, &id2)? {
            if flavor == "coredns_aks" {
                set_vnet_dns(tx, &cluster_id, vnet::VnetRow::restore_own_dns)?;
            }
        }
        tx.execute("DELETE FROM k8s_objects WHERE owner_id = ?1", [&id2])?;
        tx.execute("DELETE FROM dns_configurations WHERE id = ?1", [&id2])?;
        Ok(())
    })
    .await
}

/// Puts the stack's owner marks on the resource's objects (import), or
/// takes the stack annotation off.
pub async fn claim(f: &LocalFabric, cx: &OpCtx, kind: Kind, id: &str, claim: bool) -> Result<(), BackendError> {
    let (id2, stack) = (id.to_string(), cx.stack().to_string());
    f.write(cx, Op::Importing, kind, id, move |tx| {
        let mut st = tx.prepare_cached(
            "SELECT cluster_id, namespace, kind, name, manifest FROM k8s_objects WHERE owner_id = ?1",
        )?;
        let rows: Vec<(String, String, String, String, String)> = st
            .query_map([&id2], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
            .collect::<Result<_, _>>()?;
        for (c, ns, k, n, body) in rows {
            let mut body: J = serde_json::from_str(&body).unwrap_or(J::Null);
            if let Owner::Stack(_) = owner_of(&body) {
                tags::may_change(&owner_of(&body), &stack, Op::Importing, noun(kind), &id2)?;
            }
            if claim {
                mark(&mut body, &stack);
            } else {
                unmark(&mut body);
            }
            tx.execute(
                "UPDATE k8s_objects SET manifest = ?5 WHERE cluster_id = ?1 AND namespace = ?2 AND kind = ?3 AND name = ?4",
                params![c, ns, k, n, body.to_string()],
            )?;
        }
        Ok(())
    })
    .await
}
