//! Kubernetes kinds (`dns_upstream`, `external_service`, `lb_service`) with
//! the `azure` backend: the objects go to the cluster through the
//! Kubernetes plane ([`crate::backend::kube::KubePlane`]); their cluster
//! network is ARM's, so it is checked there first (a write to a cluster
//! that does not exist is `ResourceNotFound`, the objects of a cluster
//! that is gone read as gone). A `coredns_aks` `dns_upstream` sets the
//! cluster VNET's DNS servers in ARM ([`super::vnet_dns`]) once its
//! ConfigMap is written, and its delete puts the VNET's own back.

use super::backend::AzureBackend;
use super::vnet_dns;
use crate::backend::{id_of, noun, BackendError, ErrorCode, KubernetesObjectId, Observed, Op, OpCtx};
use crate::graph::{Attrs, Kind, Value};

/// Whether the cluster VNET of the object exists in ARM.
async fn cluster_exists(b: &AzureBackend, cx: &OpCtx, op: Op, kind: Kind, id: &str) -> Result<bool, BackendError> {
    let k: KubernetesObjectId = id.parse()?;
    Ok(b.get_vnet(cx, &k.cluster)
        .await
        .map_err(|e| e.at(op, noun(kind), id))?
        .is_some())
}

async fn need_cluster(b: &AzureBackend, cx: &OpCtx, op: Op, kind: Kind, attrs: &Attrs) -> Result<(), BackendError> {
    let id = id_of(attrs);
    let cluster = attrs
        .get("cluster_network_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !cluster_exists(b, &cx.clone().without_read_scope(), op, kind, &id).await? {
        return Err(BackendError::Refused {
            op,
            noun: noun(kind),
            id,
            code: ErrorCode::ResourceNotFound,
            message: format!("cluster network {cluster} was not found"),
        });
    }
    Ok(())
}

/// The VNET DNS servers a `dns_upstream` wants set (empty for the other kinds).
fn vnet_dns_servers(kind: Kind, attrs: &Attrs) -> Vec<String> {
    if kind != Kind::DnsUpstream {
        return Vec::new();
    }
    attrs
        .get("vnet_dns_servers")
        .map(|v| v.strings().into_iter().map(str::to_string).collect())
        .unwrap_or_default()
}

/// Sets (or, when it wants none, puts back) the cluster VNET's DNS servers
/// for a `dns_upstream`.
async fn sync_dns(b: &AzureBackend, cx: &OpCtx, op: Op, kind: Kind, attrs: &Attrs) -> Result<(), BackendError> {
    if kind != Kind::DnsUpstream {
        return Ok(());
    }
    let servers = vnet_dns_servers(kind, attrs);
    if servers.is_empty() {
        vnet_dns::restore(b, cx, op, &id_of(attrs)).await
    } else {
        vnet_dns::set(b, cx, op, &id_of(attrs), &servers).await
    }
}

/// A written `dns_upstream` reports the VNET DNS servers it set.
fn with_dns(kind: Kind, mut o: Observed, attrs: &Attrs) -> Observed {
    if kind == Kind::DnsUpstream {
        o.attrs.insert(
            "vnet_dns_servers".into(),
            Value::list_of_str(vnet_dns_servers(kind, attrs)),
        );
    }
    o
}

pub async fn read(
    b: &AzureBackend,
    cx: &OpCtx,
    kind: Kind,
    id: &str,
    prior: Option<&Attrs>,
) -> Result<Option<Observed>, BackendError> {
    if !cluster_exists(b, cx, Op::Retrieving, kind, id).await? {
        return Ok(None);
    }
    let Some(mut found) = b.kube.read(cx, kind, id, prior).await? else {
        return Ok(None);
    };
    if kind == Kind::DnsUpstream {
        // What the VNET holds: the servers this dns_upstream set, or none
        // when they were taken off out of band (the next apply sets them).
        let servers = vnet_dns::observe(b, cx, id).await?;
        found
            .attrs
            .insert("vnet_dns_servers".into(), Value::list_of_str(servers));
    }
    Ok(Some(found))
}

pub async fn create(b: &AzureBackend, cx: &OpCtx, kind: Kind, attrs: &Attrs) -> Result<Observed, BackendError> {
    need_cluster(b, cx, Op::Creating, kind, attrs).await?;
    // The cluster first (a refused kubeconfig changes nothing in ARM);
    // when the VNET's DNS servers cannot be set, the objects go again.
    let o = b.kube.create(cx, kind, attrs).await?;
    if let Err(e) = sync_dns(b, cx, Op::Creating, kind, attrs).await {
        let _ = b.kube.delete(cx, kind, attrs).await;
        return Err(e);
    }
    Ok(with_dns(kind, o, attrs))
}

pub async fn update(
    b: &AzureBackend,
    cx: &OpCtx,
    kind: Kind,
    prior: &Attrs,
    attrs: &Attrs,
) -> Result<Observed, BackendError> {
    need_cluster(b, cx, Op::Updating, kind, attrs).await?;
    sync_dns(b, cx, Op::Updating, kind, attrs).await?;
    let o = b.kube.update(cx, kind, prior, attrs).await?;
    Ok(with_dns(kind, o, attrs))
}

pub async fn delete(b: &AzureBackend, cx: &OpCtx, kind: Kind, prior: &Attrs) -> Result<(), BackendError> {
    let id = id_of(prior);
    if !cluster_exists(b, &cx.clone().without_read_scope(), Op::Deleting, kind, &id).await? {
        // The cluster (and with it every object in it) is gone.
        return Ok(());
    }
    b.kube.delete(cx, kind, prior).await?;
    if kind == Kind::DnsUpstream {
        vnet_dns::restore(b, cx, Op::Deleting, &id_of(prior)).await?;
    }
    Ok(())
}

pub async fn claim(b: &AzureBackend, cx: &OpCtx, kind: Kind, id: &str, claim: bool) -> Result<(), BackendError> {
    b.kube.claim(cx, kind, id, None, claim).await
}
