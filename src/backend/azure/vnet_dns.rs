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
use crate::backend::owner::{OWN_DNS_TAG, UPSTREAM_DNS_TAG};
use crate::backend::{noun, BackendError, ErrorCode, KubernetesObjectId, Op, OpCtx};
use crate::graph::Kind;

fn cluster_of(id: &str) -> Result<crate::backend::VirtualNetworkId, BackendError> {
    Ok(id.parse::<KubernetesObjectId>()?.cluster)
}

/// The list remembered in the tag's value.
pub fn remembered(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
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
    Ok(if view.tags.contains_key(UPSTREAM_DNS_TAG) {
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
    let set_before = view.tags.contains_key(UPSTREAM_DNS_TAG);
    let mut tags = view.tags.clone();
    let dns = match servers {
        None if !set_before => return Ok(()),
        None => {
            tags.remove(UPSTREAM_DNS_TAG);
            remembered(&tags.remove(OWN_DNS_TAG).unwrap_or_default())
        }
        Some(s) => {
            if !set_before {
                tags.insert(OWN_DNS_TAG.into(), view.dns_servers.join(","));
            }
            tags.insert(UPSTREAM_DNS_TAG.into(), s.join(","));
            s.to_vec()
        }
    };
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

#[cfg(test)]
mod tests {
    use super::remembered;

    #[test]
    fn the_remembered_list_reads_back() {
        assert_eq!(remembered(""), Vec::<String>::new());
        assert_eq!(remembered("10.1.0.4,10.1.0.5"), vec!["10.1.0.4", "10.1.0.5"]);
    }
}
