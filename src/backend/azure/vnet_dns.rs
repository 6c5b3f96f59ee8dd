//! The cluster VNET's DNS servers as a `dns_upstream` (`coredns_aks`) sets
//! them: AKS keeps CoreDNS's default `forward . /etc/resolv.conf`, so the
//! on-premises upstreams reach pods through the VNET's DHCP options. The
//! VNET carries the same two tags as in the local fabric: the servers the
//! `dns_upstream` set ([`UPSTREAM_DNS_TAG`]) and the VNET's own
//! ([`OWN_DNS_TAG`], comma-separated, possibly empty). While they are
//! there the DNS servers are the `dns_upstream`'s, not the cluster
//! network's (its read reports its own list, its update records a new own
//! list and keeps the live one), and removing the `dns_upstream` puts the
//! own list back.

use super::backend::AzureBackend;
use super::vnet_body::{self, View};
use crate::backend::vnet_dns as shared;
use crate::backend::{noun, BackendError, ErrorCode, KubernetesObjectId, Op, OpCtx};
use crate::graph::Kind;

fn cluster_of(id: &str) -> Result<crate::backend::VirtualNetworkId, BackendError> {
    Ok(id.parse::<KubernetesObjectId>()?.cluster)
}

/// The VNET DNS servers the `dns_upstream` with this ID has set (empty
/// when it set none, or they were changed back out of band).
pub async fn observe(b: &AzureBackend, cx: &OpCtx, id: &str) -> Result<Vec<String>, BackendError> {
    let vid = cluster_of(id)?;
    let kind = Kind::DnsUpstream;
    let Some(v) = b
        .get_vnet(cx, &vid)
        .await
        .map_err(|e| e.at(Op::Retrieving, noun(kind), id))?
    else {
        return Ok(Vec::new());
    };
    let view = View::of(&v);
    Ok(if shared::upstream(&view.tags).is_some() {
        view.dns_servers
    } else {
        Vec::new()
    })
}

/// Sets the VNET DNS servers to `servers`, remembering the VNET's own
/// list the first time.
pub async fn set(b: &AzureBackend, cx: &OpCtx, op: Op, id: &str, servers: &[String]) -> Result<(), BackendError> {
    change(b, cx, op, id, Some(servers)).await
}

/// Puts back the list the VNET had before a `dns_upstream` set its DNS
/// servers (nothing to do when none did).
pub async fn restore(b: &AzureBackend, cx: &OpCtx, op: Op, id: &str) -> Result<(), BackendError> {
    change(b, cx, op, id, None).await
}

async fn change(
    b: &AzureBackend,
    cx: &OpCtx,
    op: Op,
    id: &str,
    servers: Option<&[String]>,
) -> Result<(), BackendError> {
    let kind = Kind::DnsUpstream;
    let vid = cluster_of(id)?;
    let key = vid.to_string();
    let at = |e: super::error::ArmError| e.at(op, noun(kind), id);
    let fresh = cx.clone().without_read_scope();
    let _held = b.locks.lock(&[&key]).await;
    let Some(mut v) = b.get_vnet(&fresh, &vid).await.map_err(at)? else {
        return match servers {
            None => Ok(()),
            Some(_) => Err(BackendError::Refused {
                op,
                noun: noun(kind),
                id: id.to_string(),
                code: ErrorCode::ResourceNotFound,
                message: format!("cluster network {key} was not found"),
            }),
        };
    };
    let view = View::of(&v);
    let (mut dns, mut tags) = (view.dns_servers.clone(), view.tags.clone());
    match servers {
        Some(s) => shared::set_upstream(&mut dns, &mut tags, s),
        None if shared::upstream(&tags).is_none() => return Ok(()),
        None => shared::restore_own(&mut dns, &mut tags),
    }
    // The DNS servers are the VNET's: only the stack that owns it changes them.
    if !view.owner().is(cx.stack()) {
        return Err(BackendError::NotOwned {
            op,
            noun: noun(Kind::ClusterNetwork),
            id: key,
            owner: view.owner(),
        });
    }
    if dns == view.dns_servers && tags == view.tags {
        return Ok(());
    }
    v.resource.tags = Some(vnet_body::tags_value(&tags));
    b.put_vnet(&fresh, &vid, &vnet_body::to_json(&v, &dns))
        .await
        .map_err(at)?;
    b.forget(cx, &key);
    Ok(())
}
