//! The operation context every backend call takes: which stack is acting
//! (its owner mark goes on what it creates), a deadline, and cancellation
//! (Terraform's `StopProvider`, Ctrl-C in the CLI).
//!
//! Backends check the context before each remote step and wait on it
//! instead of sleeping; a step already sent (one SQLite transaction, one ARM
//! PUT) is allowed to finish, so that what the caller records afterwards
//! matches what exists.

use super::{BackendError, Op};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;

/// Reads shared by the calls of one refresh (a plan's reads): a remote GET
/// made once per key, its answer given to every read that asks for the
/// same key while the scope lives (a VNET GET answers for the VNET, its
/// subnets and its peerings). Backends that have nothing to share ignore it.
/// Writes never go through it.
#[derive(Default)]
pub struct ReadScope {
    cells: Mutex<HashMap<String, Arc<OnceCell<Arc<[u8]>>>>>,
}

impl std::fmt::Debug for ReadScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.cells.lock().map_or(0, |c| c.len());
        write!(f, "ReadScope({n} keys)")
    }
}

impl ReadScope {
    /// The bytes for `key`: fetched by the first caller (concurrent callers
    /// wait for it), then shared. A failed fetch is not remembered.
    pub async fn get_or_fetch<E, F, Fut>(&self, key: &str, fetch: F) -> Result<Arc<[u8]>, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Arc<[u8]>, E>>,
    {
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
            cells.entry(key.to_string()).or_default().clone()
        };
        cell.get_or_try_init(fetch).await.cloned()
    }

    /// Forgets `key` (after a write to what it names).
    pub fn forget(&self, key: &str) {
        let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
        cells.remove(key);
    }
}

/// Who is acting, until when, and whether to stop. Cheap to clone.
#[derive(Debug, Clone)]
pub struct OpCtx {
    stack: Arc<str>,
    deadline: Option<Instant>,
    cancel: CancellationToken,
    reads: Option<Arc<ReadScope>>,
}

impl OpCtx {
    /// A context for `stack` without deadline, never cancelled until asked.
    pub fn new(stack: impl Into<String>) -> Self {
        OpCtx {
            stack: Arc::from(stack.into()),
            deadline: None,
            cancel: CancellationToken::new(),
            reads: None,
        }
    }

    /// The same context, sharing reads through a new [`ReadScope`] (one
    /// refresh: every read made with this context or its clones).
    pub fn with_read_scope(mut self) -> Self {
        self.reads = Some(Arc::new(ReadScope::default()));
        self
    }

    /// The same context without shared reads (a write must see the fabric).
    pub fn without_read_scope(mut self) -> Self {
        self.reads = None;
        self
    }

    /// The shared reads of this context, when it has a scope.
    pub fn read_scope(&self) -> Option<&ReadScope> {
        self.reads.as_deref()
    }

    /// The same context, cancelled by `token` as well.
    pub fn with_cancel(mut self, token: CancellationToken) -> Self {
        self.cancel = token;
        self
    }

    /// The same context, giving up at `deadline` (the earlier one wins).
    pub fn with_deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(self.deadline.map_or(deadline, |d| d.min(deadline)));
        self
    }

    /// The same context, giving up `timeout` from now.
    pub fn with_timeout(self, timeout: Duration) -> Self {
        let at = Instant::now().checked_add(timeout);
        match at {
            Some(at) => self.with_deadline(at),
            None => self,
        }
    }

    /// The stack whose owner mark goes on created objects.
    pub fn stack(&self) -> &str {
        &self.stack
    }

    /// The token that cancels this context.
    pub fn cancel_token(&self) -> &CancellationToken {
        &self.cancel
    }

    /// True once cancelled or past the deadline.
    pub fn is_done(&self) -> bool {
        self.cancel.is_cancelled() || self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// `Err` when the operation must not start (cancelled, or past its deadline).
    pub fn check(&self, op: Op, noun: &'static str, id: &str) -> Result<(), BackendError> {
        if self.cancel.is_cancelled() {
            return Err(BackendError::Cancelled {
                op,
                noun,
                id: id.to_string(),
            });
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(BackendError::DeadlineExceeded {
                op,
                noun,
                id: id.to_string(),
            });
        }
        Ok(())
    }

    /// Waits `d` (a retry back-off, a slow cloud), returning early with
    /// `Err` when cancelled or when the deadline comes first.
    pub async fn wait(&self, d: Duration, op: Op, noun: &'static str, id: &str) -> Result<(), BackendError> {
        self.check(op, noun, id)?;
        let until_deadline = self.deadline.map(|dl| dl.saturating_duration_since(Instant::now()));
        let sleep = until_deadline.map_or(d, |u| u.min(d));
        tokio::select! {
            _ = self.cancel.cancelled() => {}
            _ = tokio::time::sleep(sleep) => {}
        }
        self.check(op, noun, id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wait_ends_early_on_cancel_and_at_the_deadline() {
        let token = CancellationToken::new();
        let cx = OpCtx::new("s").with_cancel(token.clone());
        assert!(cx.check(Op::Creating, "x", "id").is_ok());
        let waiting = {
            let cx = cx.clone();
            tokio::spawn(async move { cx.wait(Duration::from_secs(3600), Op::Creating, "x", "id").await })
        };
        token.cancel();
        let e = waiting.await.unwrap().unwrap_err();
        assert!(matches!(e, BackendError::Cancelled { .. }), "{e}");
        assert!(cx.is_done());

        let cx = OpCtx::new("s").with_timeout(Duration::from_millis(1));
        let e = cx
            .wait(Duration::from_secs(3600), Op::Deleting, "x", "id")
            .await
            .unwrap_err();
        assert!(matches!(e, BackendError::DeadlineExceeded { .. }), "{e}");
        // The earlier deadline wins.
        let later = OpCtx::new("s")
            .with_timeout(Duration::from_millis(1))
            .with_timeout(Duration::from_secs(3600));
        assert!(later
            .wait(Duration::from_secs(3600), Op::Deleting, "x", "id")
            .await
            .is_err());
    }
}
