//! Writes to one VNET and to its subnets and peerings are serialized: ARM
//! answers `AnotherOperationInProgress` (or `ReferencedResourceNotProvisioned`)
//! to a write that meets another on the same VNET. One async mutex per VNET
//! ID (compared as Azure does, without case); a peering write holds both
//! VNETs', taken in sorted order so two peerings never deadlock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OwnedMutexGuard;

/// The per-VNET write locks of one backend.
#[derive(Debug, Default)]
pub struct VnetLocks {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// Held locks; dropping releases them.
#[derive(Debug)]
pub struct Held(#[allow(dead_code)] Vec<OwnedMutexGuard<()>>);

impl VnetLocks {
    /// Takes the locks of these VNETs (duplicates once), in sorted order.
    pub async fn lock(&self, vnet_ids: &[&str]) -> Held {
        let mut keys: Vec<String> = vnet_ids.iter().map(|id| id.to_ascii_lowercase()).collect();
        keys.sort();
        keys.dedup();
        let mutexes: Vec<_> = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            keys.iter()
                .map(|k| locks.entry(k.clone()).or_default().clone())
                .collect()
        };
        let mut held = Vec::with_capacity(mutexes.len());
        for m in mutexes {
            held.push(m.lock_owned().await);
        }
        Held(held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn one_writer_per_vnet_and_pairs_in_either_order_do_not_deadlock() {
        let locks = Arc::new(VnetLocks::default());
        let a = locks.lock(&["/A"]).await;
        let l2 = locks.clone();
        let waiting = tokio::spawn(async move { l2.lock(&["/a"]).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "the same VNET (any case) waits");
        drop(a);
        drop(waiting.await.unwrap());
        let (l1, l2) = (locks.clone(), locks.clone());
        let t1 = tokio::spawn(async move {
            for _ in 0..200 {
                drop(l1.lock(&["/a", "/b"]).await);
            }
        });
        let t2 = tokio::spawn(async move {
            for _ in 0..200 {
                drop(l2.lock(&["/b", "/a"]).await);
            }
        });
        t1.await.unwrap();
        t2.await.unwrap();
    }
}
