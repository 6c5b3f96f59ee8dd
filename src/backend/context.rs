//! The operation context every backend call takes: which stack is acting
//! (its owner mark goes on what it creates), a deadline, and cancellation
//! (Terraform's `StopProvider`, Ctrl-C in the CLI).
//!
//! Backends check the context before each remote step and wait on it
//! instead of sleeping; a step already sent (one SQLite transaction, one ARM
//! PUT) is allowed to finish, so that what the caller records afterwards
//! matches what exists.

use super::{BackendError, Op};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Who is acting, until when, and whether to stop. Cheap to clone.
#[derive(Debug, Clone)]
pub struct OpCtx {
    stack: Arc<str>,
    deadline: Option<Instant>,
    cancel: CancellationToken,
}

impl OpCtx {
    /// A context for `stack` without deadline, never cancelled until asked.
    pub fn new(stack: impl Into<String>) -> Self {
        OpCtx {
            stack: Arc::from(stack.into()),
            deadline: None,
            cancel: CancellationToken::new(),
        }
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
