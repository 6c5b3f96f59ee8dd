//! Long-running writes, as ARM keeps them: while a write to a VNET (its
//! subnets, DNS servers, gateway or one of its peerings) is in progress, the
//! VNET is "Updating", and another write to it is refused with 409
//! `AnotherOperationInProgress`; a peering write whose remote VNET is
//! updating gets 400 `ReferencedResourceNotProvisioned` (azurerm#2605,
//! AVM virtual-network#57). hybridk8s's own writes never meet: the fabric
//! takes a per-VNET lock first ([`VnetLocks`]), as the Azure backend does.
//! A handle made with [`LocalFabric::unserialized`] skips the lock, the way
//! a client that sends both peering directions in parallel does.

use super::LocalFabric;
use crate::backend::locks::{Held, VnetLocks};
use crate::backend::{noun, BackendError, ErrorCode, Op};
use crate::graph::{Attrs, Kind, Value};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// The VNETs with a write in progress (lower-case IDs), shared by every
/// handle of one fabric.
#[derive(Debug, Default)]
pub(super) struct Busy {
    locks: VnetLocks,
    updating: Mutex<HashSet<String>>,
}

/// A write in progress: its VNETs are "Updating" until it is dropped.
pub(crate) struct InProgress {
    busy: Arc<Busy>,
    vnets: Vec<String>,
    _held: Option<Held>,
}

impl Drop for InProgress {
    fn drop(&mut self) {
        let mut u = self.busy.updating.lock().unwrap_or_else(|p| p.into_inner());
        for v in &self.vnets {
            u.remove(v);
        }
    }
}

/// The VNETs a write of `kind` touches, the one written first first: a
/// VNET itself; a peering's hub (its side is written first), then its
/// cluster network. Kubernetes objects touch none.
fn vnets_of(kind: Kind, attrs: &Attrs) -> Vec<String> {
    let s = |k: &str| attrs.get(k).and_then(Value::as_str).map(str::to_string);
    match kind {
        Kind::Hub | Kind::ClusterNetwork => s("id").into_iter().collect(),
        Kind::Peering => [s("hub_id"), s("cluster_network_id")].into_iter().flatten().collect(),
        // Associating either with a subnet is a write to the subnet's VNET.
        Kind::NetworkSecurityGroup | Kind::RouteTable => s("cluster_network_id").into_iter().collect(),
        _ => Vec::new(),
    }
}

impl LocalFabric {
    /// Marks the VNETs of a write as updating, after taking their locks
    /// (unless the handle is unserialized); refuses as ARM does when one is
    /// updating already. A write that touches no VNET holds nothing.
    pub(crate) async fn begin(&self, op: Op, kind: Kind, attrs: &Attrs) -> Result<InProgress, BackendError> {
        let named = vnets_of(kind, attrs);
        let vnets: Vec<String> = named.iter().map(|v| v.to_ascii_lowercase()).collect();
        let busy = self.inner.busy.clone();
        let held = if self.serialized && !vnets.is_empty() {
            let ids: Vec<&str> = vnets.iter().map(String::as_str).collect();
            Some(busy.locks.lock(&ids).await)
        } else {
            None
        };
        {
            let mut u = busy.updating.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(i) = vnets.iter().position(|v| u.contains(v)) {
                let v = &named[i];
                let id = crate::backend::id_of(attrs);
                let (code, message) = if i == 0 {
                    (
                        ErrorCode::AnotherOperationInProgress,
                        format!("Another operation on this or dependent resource is in progress: {v} is updating"),
                    )
                } else {
                    (
                        ErrorCode::ReferencedResourceNotProvisioned,
                        format!("Cannot proceed with operation because resource {v} used by resource {id} is not in Succeeded state. Resource is in Updating state and the last operation that updated/is updating the resource is PutVirtualNetworkOperation."),
                    )
                };
                return Err(BackendError::Refused {
                    op,
                    noun: noun(kind),
                    id,
                    code,
                    message,
                });
            }
            u.extend(vnets.iter().cloned());
        }
        Ok(InProgress {
            busy,
            vnets,
            _held: held,
        })
    }

    /// This handle without the per-VNET write lock: its writes run in
    /// parallel and meet each other as they would in Azure.
    pub fn unserialized(mut self) -> Self {
        self.serialized = false;
        self
    }
}
