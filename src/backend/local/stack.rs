//! Stacks in the fabric file: per stack name, the resources it owns, their
//! last applied attributes and a serial; and a lock so that two applies of
//! one stack never interleave. A lock records the holder's pid, host,
//! process start time and a lease that the holder renews while it runs. On
//! the same host a lock whose process is gone — or is another process with
//! the same pid (a restarted container's pid 1) — is taken over; a lock of
//! another host is taken over once its lease has expired. Different stacks
//! lock independently. `hybridk8s state unlock ID` clears a lock by its ID
//! ([`LocalFabric::unlock_stack`]).

use super::records::{attrs_from_json, attrs_to_json};
use super::{Fail, LocalFabric};
use crate::engine::state::{Pending, StackState, StateEntry, StateError, StateSink};
use crate::graph::{Address, Kind};
use async_trait::async_trait;
use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long a lock holds without renewal (the holder renews it every third).
pub const LOCK_LEASE: Duration = Duration::from_secs(60);

/// How long `lock_stack` waits by default for another apply to finish.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(50);

/// Why a stack could not be read or locked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StackError {
    #[error(
        "stack `{stack}` is locked by pid {pid} on {host} since {since} (lock ID {id}); if that apply is gone, `hybridk8s state unlock {id} --stack {stack}` clears it"
    )]
    Locked {
        stack: String,
        pid: i64,
        since: String,
        host: String,
        id: String,
    },
    #[error("stack `{stack}`: {cause}")]
    Storage { stack: String, cause: String },
}

fn storage(stack: &str, e: Fail) -> StackError {
    StackError::Storage {
        stack: stack.to_string(),
        cause: match e {
            Fail::Sql(e) => e.to_string(),
            Fail::Corrupt(s) | Fail::Missing(s) => s,
            Fail::Refused(c, m) => format!("{c}: {m}"),
            Fail::Backend(b) => b.to_string(),
        },
    }
}

use crate::clock::now_secs;

/// `2024-05-01T10:00:00Z` from seconds since the epoch.
pub fn utc(secs: i64) -> String {
    crate::clock::rfc3339(secs)
}

/// Whether a process with this pid exists (a zombie counts until reaped).
fn alive(pid: i64) -> bool {
    #[cfg(unix)]
    {
        let Ok(p) = libc::pid_t::try_from(pid) else {
            return false;
        };
        if p <= 0 {
            return false;
        }
        // SAFETY: signal 0 only checks that the process exists.
        let r = unsafe { libc::kill(p, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// This machine's name.
pub fn host_name() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it or truncates.
        if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len() - 1) } == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            if end > 0 {
                return String::from_utf8_lossy(&buf[..end]).into_owned();
            }
        }
    }
    "localhost".into()
}

/// When the process with this pid started (the boot and the start time in
/// clock ticks since boot): tells a restarted pid 1 from the one that locked.
fn started(pid: i64) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name (in parentheses, which may hold spaces): field 3 on.
    let rest = &stat[stat.rfind(')')? + 1..];
    let start = rest.split_whitespace().nth(19)?;
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
    Some(format!("{}/{start}", boot.trim()))
}

/// The holder of a lock as recorded.
struct Holder {
    pid: i64,
    since: i64,
    host: Option<String>,
    start: Option<String>,
    expires: Option<i64>,
    token: Option<String>,
}

impl Holder {
    /// Whether it still holds: on this host its very process is running;
    /// on another, its lease has not expired.
    fn holds(&self, here: &str, now: i64) -> bool {
        match &self.host {
            Some(h) if h != here => self.expires.is_none_or(|e| e > now),
            _ => {
                alive(self.pid)
                    && self
                        .start
                        .as_ref()
                        .is_none_or(|s| started(self.pid).as_ref() == Some(s))
            }
        }
    }
}

fn holder(tx: &Transaction, name: &str) -> Result<Option<Holder>, Fail> {
    Ok(tx
        .query_row(
            "SELECT lock_pid, lock_since, lock_host, lock_start, lock_expires, lock_token FROM stacks WHERE name = ?1",
            [name],
            |r| {
                Ok(r.get::<_, Option<i64>>(0)?.map(|pid| Holder {
                    pid,
                    since: r.get::<_, Option<i64>>(1).ok().flatten().unwrap_or(0),
                    host: r.get(2).ok().flatten(),
                    start: r.get(3).ok().flatten(),
                    expires: r.get(4).ok().flatten(),
                    token: r.get(5).ok().flatten(),
                }))
            },
        )
        .optional()?
        .flatten())
}

fn load(tx: &Transaction, name: &str) -> Result<StackState, Fail> {
    let serial: i64 = tx
        .query_row("SELECT serial FROM stacks WHERE name = ?1", [name], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    let mut st = StackState::empty(name);
    st.serial = serial;
    let mut q = tx.prepare(
        "SELECT address, kind, id, attrs, depends_on, pending FROM stack_resources WHERE stack = ?1 ORDER BY address",
    )?;
    let rows = q.query_map([name], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, Option<String>>(5)?,
        ))
    })?;
    for row in rows {
        let (address, kind, id, attrs, deps, pending) = row?;
        let corrupt = |e: String| Fail::Corrupt(format!("resource {address}: {e}"));
        let addr: Address = address.parse().map_err(corrupt)?;
        let kind: Kind = kind.parse().map_err(corrupt)?;
        let deps: Vec<String> = serde_json::from_str(&deps).map_err(|e| corrupt(e.to_string()))?;
        let depends_on = deps
            .iter()
            .map(|d| d.parse::<Address>())
            .collect::<Result<BTreeSet<_>, _>>()
            .map_err(corrupt)?;
        let entry = StateEntry {
            kind,
            id,
            attrs: attrs_from_json(&attrs).map_err(corrupt)?,
            depends_on,
            pending: pending.map(|p| p.parse()).transpose().map_err(corrupt)?,
        };
        st.resources.insert(addr, entry);
    }
    Ok(st)
}

static TOKENS: AtomicU64 = AtomicU64::new(0);

impl LocalFabric {
    /// The state of a stack (empty when it was never applied). Reading needs no lock.
    pub async fn stack_state(&self, name: &str) -> Result<StackState, StackError> {
        let n = name.to_string();
        self.with_conn(move |c| load(&c.transaction_with_behavior(TransactionBehavior::Deferred)?, &n))
            .await
            .map_err(|e| storage(name, e))
    }

    /// Whether the stack was ever locked or holds resources (a name that
    /// was never used does not exist).
    pub async fn stack_exists(&self, name: &str) -> Result<bool, StackError> {
        let n = name.to_string();
        self.with_conn(move |c| {
            let found: Option<i64> = c
                .query_row(
                    "SELECT 1 FROM stacks WHERE name = ?1 UNION ALL SELECT 1 FROM stack_resources WHERE stack = ?1 LIMIT 1",
                    [&n],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(found.is_some())
        })
        .await
        .map_err(|e| storage(name, e))
    }

    /// Every stack with its serial, by name.
    pub async fn stacks(&self) -> Result<Vec<(String, i64)>, StackError> {
        self.with_conn(|c| {
            let mut q = c.prepare("SELECT name, serial FROM stacks ORDER BY name")?;
            let out = q
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            Ok(out)
        })
        .await
        .map_err(|e| storage("*", e))
    }

    /// Clears a stack's lock whoever holds it (`force-unlock`): for a lock
    /// left by another machine or a reused pid. Returns the pid it held.
    pub async fn force_unlock_stack(&self, name: &str) -> Result<Option<i64>, StackError> {
        let n = name.to_string();
        self.with_conn(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let pid: Option<i64> = tx
                .query_row("SELECT lock_pid FROM stacks WHERE name = ?1", [&n], |r| r.get(0))
                .optional()?
                .flatten();
            tx.execute(
                "UPDATE stacks SET lock_pid = NULL, lock_token = NULL, lock_since = NULL, lock_host = NULL,
                 lock_start = NULL, lock_expires = NULL WHERE name = ?1",
                [&n],
            )?;
            tx.commit()?;
            Ok(pid)
        })
        .await
        .map_err(|e| storage(name, e))
    }

    /// Takes the stack's lock, waiting up to `timeout` for another holder;
    /// a lock held by a process that no longer exists is taken over.
    pub async fn lock_stack(&self, name: &str, timeout: Duration) -> Result<StackLock, StackError> {
        let deadline = Instant::now() + timeout;
        let pid = i64::from(std::process::id());
        let token = format!(
            "{pid}-{}-{}",
            SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos()),
            TOKENS.fetch_add(1, Ordering::Relaxed)
        );
        let here = host_name();
        let start = started(pid);
        loop {
            let (n, t, h, st) = (name.to_string(), token.clone(), here.clone(), start.clone());
            let held: Option<Holder> = self
                .with_conn(move |c| {
                    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                    tx.execute("INSERT OR IGNORE INTO stacks (name, serial) VALUES (?1, 0)", [&n])?;
                    let now = now_secs();
                    if let Some(other) = holder(&tx, &n)?.filter(|o| o.holds(&h, now)) {
                        return Ok(Some(other));
                    }
                    tx.execute(
                        "UPDATE stacks SET lock_pid = ?2, lock_token = ?3, lock_since = ?4, lock_host = ?5,
                         lock_start = ?6, lock_expires = ?7 WHERE name = ?1",
                        params![n, pid, t, now, h, st, now + LOCK_LEASE.as_secs() as i64],
                    )?;
                    tx.commit()?;
                    Ok(None)
                })
                .await
                .map_err(|e| storage(name, e))?;
            match held {
                None => {
                    return Ok(StackLock {
                        fabric: self.clone(),
                        name: name.to_string(),
                        renewal: Some(self.renew(name, &token)),
                        token,
                        released: false,
                    })
                }
                Some(h) if Instant::now() >= deadline => {
                    return Err(StackError::Locked {
                        stack: name.to_string(),
                        pid: h.pid,
                        since: utc(h.since),
                        host: h.host.unwrap_or_else(|| "this host".into()),
                        id: h.token.unwrap_or_default(),
                    })
                }
                Some(_) => tokio::time::sleep(POLL.min(deadline.saturating_duration_since(Instant::now()))).await,
            }
        }
    }

    /// Renews the lease of a held lock every third of it, until aborted.
    fn renew(&self, name: &str, token: &str) -> tokio::task::AbortHandle {
        let (f, n, t) = (self.clone(), name.to_string(), token.to_string());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(LOCK_LEASE / 3).await;
                let (n, t) = (n.clone(), t.clone());
                let _ = f
                    .with_conn(move |c| {
                        c.execute(
                            "UPDATE stacks SET lock_expires = ?3 WHERE name = ?1 AND lock_token = ?2",
                            params![n, t, now_secs() + LOCK_LEASE.as_secs() as i64],
                        )?;
                        Ok(())
                    })
                    .await;
            }
        })
        .abort_handle()
    }

    /// Clears the stack's lock when its ID is `id` (`hybridk8s state unlock
    /// ID`); `Ok(false)` when the stack holds no lock of that ID.
    pub async fn unlock_stack(&self, name: &str, id: &str) -> Result<bool, StackError> {
        let (n, i) = (name.to_string(), id.to_string());
        self.with_conn(move |c| {
            let changed = c.execute(
                "UPDATE stacks SET lock_pid = NULL, lock_token = NULL, lock_since = NULL, lock_host = NULL,
                 lock_start = NULL, lock_expires = NULL WHERE name = ?1 AND lock_token = ?2",
                [&n, &i],
            )?;
            Ok(changed > 0)
        })
        .await
        .map_err(|e| storage(name, e))
    }
}

/// A held stack lock: the only way to write a stack. Released by
/// [`StackLock::release`], or when dropped.
pub struct StackLock {
    fabric: LocalFabric,
    name: String,
    token: String,
    released: bool,
    /// The task renewing the lease.
    renewal: Option<tokio::task::AbortHandle>,
}

impl StackLock {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The stack's state as of now.
    pub async fn state(&self) -> Result<StackState, StackError> {
        self.fabric.stack_state(&self.name).await
    }

    /// Releases the lock.
    pub async fn release(mut self) -> Result<(), StackError> {
        self.released = true;
        if let Some(r) = self.renewal.take() {
            r.abort();
        }
        let (n, t) = (self.name.clone(), self.token.clone());
        self.fabric
            .with_conn(move |c| unlock(c, &n, &t))
            .await
            .map_err(|e| storage(&self.name, e))
    }

    async fn write<F>(&self, f: F) -> Result<(), StateError>
    where
        F: FnOnce(&Transaction, &str) -> Result<(), Fail> + Send + 'static,
    {
        let (n, t) = (self.name.clone(), self.token.clone());
        self.fabric
            .with_conn(move |c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let holder: Option<String> =
                    tx.query_row("SELECT lock_token FROM stacks WHERE name = ?1", [&n], |r| r.get(0))?;
                if holder.as_deref() != Some(t.as_str()) {
                    return Err(Fail::Corrupt(format!("the lock of stack `{n}` was taken over")));
                }
                f(&tx, &n)?;
                tx.commit()?;
                Ok(())
            })
            .await
            .map_err(|e| StateError::Storage(storage(&self.name, e).to_string()))
    }
}

fn unlock(c: &mut rusqlite::Connection, name: &str, token: &str) -> Result<(), Fail> {
    c.execute(
        "UPDATE stacks SET lock_pid = NULL, lock_token = NULL, lock_since = NULL, lock_host = NULL,
         lock_start = NULL, lock_expires = NULL WHERE name = ?1 AND lock_token = ?2",
        [name, token],
    )?;
    Ok(())
}

impl Drop for StackLock {
    fn drop(&mut self) {
        if let Some(r) = self.renewal.take() {
            r.abort();
        }
        if !self.released {
            if let Ok(mut c) = super::db::connect(self.fabric.path()) {
                let _ = unlock(&mut c, &self.name, &self.token);
            }
        }
    }
}

#[async_trait]
impl StateSink for StackLock {
    async fn begin_apply(&self, planned_serial: i64) -> Result<(), StateError> {
        let stale = std::sync::Arc::new(std::sync::Mutex::new(None));
        let s2 = stale.clone();
        self.write(move |tx, n| {
            let current: i64 = tx.query_row("SELECT serial FROM stacks WHERE name = ?1", [n], |r| r.get(0))?;
            if current != planned_serial {
                *s2.lock().unwrap_or_else(|p| p.into_inner()) = Some(current);
                return Err(Fail::Corrupt("stale".into()));
            }
            tx.execute("UPDATE stacks SET serial = serial + 1 WHERE name = ?1", [n])?;
            Ok(())
        })
        .await
        .map_err(|e| match *stale.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(current) => StateError::Stale {
                planned: planned_serial,
                current,
            },
            None => e,
        })
    }

    async fn put(&self, address: &Address, entry: &StateEntry) -> Result<(), StateError> {
        let address = address.to_string();
        let deps: Vec<String> = entry.depends_on.iter().map(Address::to_string).collect();
        let deps = serde_json::to_string(&deps).unwrap_or_else(|_| "[]".into());
        let (kind, id, attrs) = (entry.kind.keyword(), entry.id.clone(), attrs_to_json(&entry.attrs));
        let pending = entry.pending.map(Pending::as_str);
        self.write(move |tx, n| {
            tx.execute(
                "INSERT INTO stack_resources (stack, address, kind, id, attrs, depends_on, pending)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (stack, address) DO UPDATE SET kind = excluded.kind, id = excluded.id,
                   attrs = excluded.attrs, depends_on = excluded.depends_on, pending = excluded.pending",
                params![n, address, kind, id, attrs, deps, pending],
            )?;
            Ok(())
        })
        .await
    }

    async fn remove(&self, address: &Address) -> Result<(), StateError> {
        let address = address.to_string();
        self.write(move |tx, n| {
            tx.execute(
                "DELETE FROM stack_resources WHERE stack = ?1 AND address = ?2",
                [n, address.as_str()],
            )?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::LocalFabric;
    use crate::engine::state::StateSink;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stack_exists_once_locked_and_in_memory_fabrics_are_separate() {
        let a = LocalFabric::empty_in_memory().unwrap();
        let b = LocalFabric::empty_in_memory().unwrap();
        assert!(!a.stack_exists("dev").await.unwrap());
        let lock = a.lock_stack("dev", super::DEFAULT_LOCK_TIMEOUT).await.unwrap();
        lock.begin_apply(0).await.unwrap();
        lock.release().await.unwrap();
        assert!(a.stack_exists("dev").await.unwrap());
        assert_eq!(a.stacks().await.unwrap(), [("dev".to_string(), 1)]);
        assert!(!b.stack_exists("dev").await.unwrap());
        assert!(b.stacks().await.unwrap().is_empty());
    }

    #[test]
    fn open_existing_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = crate::backend::local::db::default_path(dir.path());
        assert!(LocalFabric::open_existing(&path).unwrap().is_none());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        LocalFabric::open(&path).unwrap();
        assert!(LocalFabric::open_existing(&path).unwrap().is_some());
    }

    #[test]
    fn utc_formats_the_epoch_and_a_leap_day() {
        assert_eq!(super::utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::utc(951_782_400 + 3661), "2000-02-29T01:01:01Z");
    }
}
