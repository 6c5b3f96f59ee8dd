//! Stacks in Azure Blob Storage, for teams: `--state
//! azblob://<account>/<container>/<key>` keeps one stack in one blob (named
//! by the key), the way Terraform's `azurerm` backend keeps a state. The
//! same stack, lock and serial semantics as the fabric file:
//!
//! - the lock is a blob lease of [`lease_seconds`] (15–60 s), renewed by a
//!   background task every third of it; a crashed holder's lease expires
//!   and the next apply takes it;
//! - who holds it (lock ID, pid, host, since) is in the blob's metadata, so
//!   a contender's "locked" error names the holder, and `state unlock ID`
//!   breaks the lease only when the ID matches;
//! - every write is the whole state, conditional on the ETag last written
//!   and on the lease (`If-Match` + `x-ms-lease-id`): a holder whose lease
//!   was broken or expired and taken can never overwrite another writer —
//!   its write is refused and the apply fails; a refused write leaves the
//!   blob as it was;
//! - `begin_apply` checks the serial like the fabric file ([`StateError::Stale`]).
//!
//! Credentials: `ARM_ACCESS_KEY` (Shared Key), `ARM_SAS_TOKEN`, or
//! `ARM_USE_AZUREAD=true` with the `ARM_*` credential settings. The
//! endpoint is `https://<account>.blob.core.windows.net` (by
//! `ARM_ENVIRONMENT`), or `?endpoint=URL` / `HYBRIDK8S_BLOB_ENDPOINT`.

pub mod auth;
pub mod format;
pub mod location;
pub mod rest;

pub use location::Location;

use crate::backend::local::{host_name, stack::utc, StackError};
use crate::backend::stacks::{StackHold, StackStore};
use crate::engine::state::{StackState, StateEntry, StateError, StateSink};
use crate::graph::Address;
use async_trait::async_trait;
use auth::Auth;
use rest::{BlobError, Client, Cond, Lease};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The lease duration (seconds, 15–60 as Azure allows) instead of [`DEFAULT_LEASE_SECONDS`].
pub const LEASE_ENV: &str = "HYBRIDK8S_BLOB_LEASE_SECONDS";
/// How long a lease lasts without renewal by default.
pub const DEFAULT_LEASE_SECONDS: u64 = 30;
/// How often a contender asks again while it waits for a lock.
const POLL: Duration = Duration::from_millis(500);

/// The metadata that says who holds the lock.
const META_ID: &str = "hybridk8s_lock_id";
const META_PID: &str = "hybridk8s_lock_pid";
const META_HOST: &str = "hybridk8s_lock_host";
const META_SINCE: &str = "hybridk8s_lock_since";

/// The lease duration from `HYBRIDK8S_BLOB_LEASE_SECONDS`, else the default.
pub fn lease_seconds(env: &dyn Fn(&str) -> Option<String>) -> Result<u64, String> {
    match env(LEASE_ENV) {
        None => Ok(DEFAULT_LEASE_SECONDS),
        Some(v) => match v.trim().parse::<u64>() {
            Ok(s) if (15..=60).contains(&s) => Ok(s),
            _ => Err(format!("{LEASE_ENV}={v}: a blob lease lasts 15 to 60 seconds")),
        },
    }
}

/// The credential from the environment, in the azurerm backend's order:
/// `ARM_ACCESS_KEY`, `ARM_SAS_TOKEN`, then `ARM_USE_AZUREAD`.
pub fn auth_from(env: &dyn Fn(&str) -> Option<String>) -> Result<Auth, String> {
    let set = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    if let Some(key) = set("ARM_ACCESS_KEY") {
        return Auth::key(&key);
    }
    if let Some(sas) = set("ARM_SAS_TOKEN") {
        return Ok(Auth::sas(&sas));
    }
    if set("ARM_USE_AZUREAD").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return Ok(Auth::Entra(crate::backend::azure::config::TokenSource::storage()?));
    }
    Err(
        "no credential for the storage account: set ARM_ACCESS_KEY (the account's key), ARM_SAS_TOKEN, \
         or ARM_USE_AZUREAD=true with the ARM_* credential settings (as for --backend azure)"
            .into(),
    )
}

/// One stack in one blob.
pub struct BlobStore {
    client: Arc<Client>,
    lease: u64,
}

impl BlobStore {
    /// The store of `location` (`azblob://…`), configured by `env`. No network.
    pub fn open(location: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<BlobStore, String> {
        let loc = Location::parse(location, env)?;
        let auth = auth_from(env).map_err(|e| format!("--state {loc}: {e}"))?;
        let lease = lease_seconds(env)?;
        Ok(BlobStore {
            client: Arc::new(Client::new(loc, Arc::new(auth))?),
            lease,
        })
    }

    /// The blob.
    pub fn location(&self) -> &Location {
        &self.client.location
    }

    /// Ends the current lease whoever holds it, without checking its ID:
    /// for an operator who knows the holder is gone (and for tests).
    pub async fn break_lease(&self) -> Result<(), StackError> {
        self.client
            .lease(Lease::Break)
            .await
            .map(|_| ())
            .map_err(|e| self.storage(&e))
    }

    /// Who holds the lock now (the [`StackError::Locked`] a contender
    /// would get), or `None` when no lease is held.
    pub async fn holder(&self) -> Result<Option<StackError>, StackError> {
        match self.client.properties().await.map_err(|e| self.storage(&e))? {
            Some(p) if p.lease_state == "leased" => Ok(Some(self.locked().await?)),
            _ => Ok(None),
        }
    }

    fn name(&self) -> &str {
        &self.client.location.key
    }

    fn storage(&self, e: &BlobError) -> StackError {
        StackError::Storage {
            stack: self.name().to_string(),
            cause: e.to_string(),
        }
    }

    /// Refuses a stack name other than the key.
    fn check(&self, name: &str) -> Result<(), StackError> {
        if name == self.name() {
            return Ok(());
        }
        Err(StackError::Storage {
            stack: name.to_string(),
            cause: format!(
                "the blob {} holds the stack `{}` (its key); drop --stack or name that key",
                self.location(),
                self.name()
            ),
        })
    }

    /// Creates the blob (and its container) holding an empty stack, unless
    /// it exists.
    async fn create_empty(&self) -> Result<(), StackError> {
        let body = format::encode(&StackState::empty(self.name()));
        for _ in 0..2 {
            match self.client.put(body.clone(), Cond::Absent, None, &[]).await {
                Ok(_) => return Ok(()),
                Err(e) => match e.status() {
                    // Created meanwhile by another process.
                    Some((409 | 412, _)) => return Ok(()),
                    Some((404, "ContainerNotFound")) => {
                        self.client.create_container().await.map_err(|e| self.storage(&e))?
                    }
                    _ => return Err(self.storage(&e)),
                },
            }
        }
        Err(StackError::Storage {
            stack: self.name().to_string(),
            cause: format!("the container of {} could not be created", self.location()),
        })
    }

    /// The error that names the lock's holder.
    async fn locked(&self) -> Result<StackError, StackError> {
        let meta = self
            .client
            .properties()
            .await
            .map_err(|e| self.storage(&e))?
            .map(|p| p.meta)
            .unwrap_or_default();
        let get = |k: &str| meta.get(k).cloned();
        Ok(StackError::Locked {
            stack: self.name().to_string(),
            pid: get(META_PID).and_then(|p| p.parse().ok()).unwrap_or(0),
            since: get(META_SINCE)
                .and_then(|s| s.parse().ok())
                .map_or_else(|| "an unknown time".into(), utc),
            host: get(META_HOST).unwrap_or_else(|| "an unknown host (the lease carries no lock information)".into()),
            id: get(META_ID).unwrap_or_else(|| "(none)".into()),
        })
    }
}

#[async_trait]
impl StackStore for BlobStore {
    fn describe(&self) -> String {
        format!("the state {}", self.location())
    }

    fn fixed_stack(&self) -> Option<String> {
        Some(self.name().to_string())
    }

    async fn stack_state(&self, name: &str) -> Result<StackState, StackError> {
        self.check(name)?;
        match self.client.get().await.map_err(|e| self.storage(&e))? {
            None => Ok(StackState::empty(name)),
            Some((body, _)) => format::decode(name, &body).map_err(|cause| StackError::Storage {
                stack: name.to_string(),
                cause: format!("{}: {cause}", self.location()),
            }),
        }
    }

    async fn stack_exists(&self, name: &str) -> Result<bool, StackError> {
        if name != self.name() {
            return Ok(false);
        }
        Ok(self.client.properties().await.map_err(|e| self.storage(&e))?.is_some())
    }

    async fn stacks(&self) -> Result<Vec<(String, i64)>, StackError> {
        if !self.stack_exists(self.name()).await? {
            return Ok(Vec::new());
        }
        let st = StackStore::stack_state(self, self.name()).await?;
        Ok(vec![(st.name, st.serial)])
    }

    async fn lock_stack(&self, name: &str, timeout: Duration) -> Result<Box<dyn StackHold>, StackError> {
        self.check(name)?;
        let deadline = Instant::now() + timeout;
        let proposed = format::uuid();
        let mut created = false;
        let lease_id = loop {
            let acquire = Lease::Acquire {
                proposed_id: &proposed,
                seconds: self.lease,
            };
            match self.client.lease(acquire).await {
                Ok(id) => break if id.is_empty() { proposed.clone() } else { id },
                Err(e) => match e.status() {
                    Some((404, _)) if !created => {
                        self.create_empty().await?;
                        created = true;
                    }
                    Some((409, "LeaseAlreadyPresent")) => {
                        let left = deadline.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            return Err(self.locked().await?);
                        }
                        tokio::time::sleep(POLL.min(left)).await;
                    }
                    _ => return Err(self.storage(&e)),
                },
            }
        };
        let lock_id = format::uuid();
        let meta = vec![
            (META_ID.to_string(), lock_id.clone()),
            (META_PID.to_string(), std::process::id().to_string()),
            (META_HOST.to_string(), host_name()),
            (META_SINCE.to_string(), crate::clock::now_secs().to_string()),
        ];
        let held = async {
            self.client.set_metadata(&lease_id, &meta).await?;
            self.client.get().await
        }
        .await;
        let (body, props) = match held {
            Ok(Some(got)) => got,
            Ok(None) | Err(_) => {
                let _ = self.client.lease(Lease::Release { id: &lease_id }).await;
                return Err(match held {
                    Err(e) => self.storage(&e),
                    _ => StackError::Storage {
                        stack: name.to_string(),
                        cause: format!("{} was deleted while it was being locked", self.location()),
                    },
                });
            }
        };
        let state = match format::decode(name, &body) {
            Ok(s) => s,
            Err(cause) => {
                let _ = self.client.lease(Lease::Release { id: &lease_id }).await;
                return Err(StackError::Storage {
                    stack: name.to_string(),
                    cause: format!("{}: {cause}", self.location()),
                });
            }
        };
        let lost = Arc::new(Mutex::new(None));
        let renewal = renew(self.client.clone(), lease_id.clone(), self.lease, lost.clone());
        Ok(Box::new(BlobLock {
            client: self.client.clone(),
            lease_id,
            meta,
            inner: tokio::sync::Mutex::new(Inner {
                state,
                etag: props.etag,
            }),
            lost,
            renewal: Some(renewal),
            released: false,
        }))
    }

    async fn unlock_stack(&self, name: &str, id: &str) -> Result<bool, StackError> {
        self.check(name)?;
        let Some(props) = self.client.properties().await.map_err(|e| self.storage(&e))? else {
            return Ok(false);
        };
        if props.lease_state != "leased" || props.meta.get(META_ID).map(String::as_str) != Some(id) {
            return Ok(false);
        }
        self.break_lease().await?;
        Ok(true)
    }
}

/// Renews the lease every third of its duration until aborted; records
/// why when the service says the lease is gone.
fn renew(
    client: Arc<Client>,
    lease_id: String,
    seconds: u64,
    lost: Arc<Mutex<Option<String>>>,
) -> tokio::task::AbortHandle {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(seconds) / 3).await;
            match client.lease(Lease::Renew { id: &lease_id }).await {
                Ok(_) => {}
                // No answer: try again at the next tick (the lease may still hold).
                Err(e) if e.status().is_none() => {}
                Err(e) => {
                    *lost.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
                    return;
                }
            }
        }
    })
    .abort_handle()
}

struct Inner {
    state: StackState,
    /// The ETag of the blob as this holder last read or wrote it.
    etag: String,
}

/// A held blob lease: the only way to write the stack.
pub struct BlobLock {
    client: Arc<Client>,
    lease_id: String,
    /// The lock information every write keeps on the blob.
    meta: Vec<(String, String)>,
    inner: tokio::sync::Mutex<Inner>,
    /// Why the lease was lost, once it was.
    lost: Arc<Mutex<Option<String>>>,
    renewal: Option<tokio::task::AbortHandle>,
    released: bool,
}

impl BlobLock {
    fn name(&self) -> &str {
        &self.client.location.key
    }

    fn lost_error(&self, why: &str) -> StateError {
        StateError::Storage(format!(
            "stack `{}`: the lease on {} was lost ({why}); nothing more was written: another process may hold the stack now",
            self.name(),
            self.client.location
        ))
    }

    /// Writes the state as `change` leaves it, conditionally; on any
    /// refusal the blob keeps what it held.
    async fn write(&self, change: impl FnOnce(&mut StackState) -> Result<(), StateError>) -> Result<(), StateError> {
        let mut inner = self.inner.lock().await;
        if let Some(why) = self.lost.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            return Err(self.lost_error(&why));
        }
        let mut next = inner.state.clone();
        change(&mut next)?;
        let body = format::encode(&next);
        let put = self
            .client
            .put(
                body.clone(),
                Cond::Matches(&inner.etag),
                Some(&self.lease_id),
                &self.meta,
            )
            .await;
        let etag = match put {
            Ok(etag) => etag,
            Err(e) => match e.status() {
                Some((404 | 409 | 412, _)) => {
                    *self.lost.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
                    return Err(self.lost_error(&e.to_string()));
                }
                Some(_) => return Err(self.unwritten(&e)),
                // No answer: the write may have landed; if the blob holds
                // exactly it, it did.
                None => match self.client.get().await {
                    Ok(Some((now, props))) if now == body => props.etag,
                    _ => return Err(self.unwritten(&e)),
                },
            },
        };
        inner.state = next;
        inner.etag = etag;
        Ok(())
    }

    fn unwritten(&self, e: &BlobError) -> StateError {
        StateError::Storage(format!(
            "stack `{}`: {e}; the blob keeps the state before this write",
            self.name()
        ))
    }
}

#[async_trait]
impl StateSink for BlobLock {
    async fn begin_apply(&self, planned_serial: i64) -> Result<(), StateError> {
        self.write(|st| {
            if st.serial != planned_serial {
                return Err(StateError::Stale {
                    planned: planned_serial,
                    current: st.serial,
                });
            }
            st.serial += 1;
            Ok(())
        })
        .await
    }

    async fn put(&self, address: &Address, entry: &StateEntry) -> Result<(), StateError> {
        self.write(|st| {
            st.resources.insert(address.clone(), entry.clone());
            Ok(())
        })
        .await
    }

    async fn remove(&self, address: &Address) -> Result<(), StateError> {
        self.write(|st| {
            st.resources.remove(address);
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl StackHold for BlobLock {
    async fn state(&self) -> Result<StackState, StackError> {
        Ok(self.inner.lock().await.state.clone())
    }

    async fn release(mut self: Box<Self>) -> Result<(), StackError> {
        self.released = true;
        if let Some(r) = self.renewal.take() {
            r.abort();
        }
        if self.lost.lock().unwrap_or_else(|p| p.into_inner()).is_some() {
            return Ok(());
        }
        let storage = |e: BlobError| StackError::Storage {
            stack: self.name().to_string(),
            cause: e.to_string(),
        };
        // The lock information goes first, so that no one reads it as the next holder's.
        self.client.set_metadata(&self.lease_id, &[]).await.map_err(storage)?;
        self.client
            .lease(Lease::Release { id: &self.lease_id })
            .await
            .map(|_| ())
            .map_err(storage)
    }
}

impl Drop for BlobLock {
    fn drop(&mut self) {
        if let Some(r) = self.renewal.take() {
            r.abort();
        }
        if self.released {
            return;
        }
        // Not released (an error on the way): release the lease on a
        // thread of its own, with a client of its own, so that the next
        // apply need not wait for it to expire.
        let (client, id) = (self.client.fresh(), self.lease_id.clone());
        let done = std::thread::spawn(move || {
            let Ok(client) = client else { return };
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                rt.block_on(async {
                    let _ = client.set_metadata(&id, &[]).await;
                    let _ = client.lease(Lease::Release { id: &id }).await;
                });
            }
        });
        let _ = done.join();
    }
}
