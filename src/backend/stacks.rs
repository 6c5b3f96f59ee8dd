//! Where stacks live: the local fabric's SQLite file, or a blob in Azure
//! Storage ([`super::azblob`]). The CLI reads, locks, lists and unlocks
//! stacks through [`StackStore`] the same way over either; a held lock is a
//! [`StackHold`], the only way to write a stack.

use super::local::{stack::StackLock, LocalFabric, StackError};
use crate::engine::state::{StackState, StateSink};
use async_trait::async_trait;
use std::time::Duration;

/// A place that keeps stacks with their serials and locks.
#[async_trait]
pub trait StackStore: Send + Sync {
    /// What it is in messages: `the fabric /p/.hybridk8s/fabric.db`,
    /// `the state azblob://acct/tfstate/dev.hkstate`.
    fn describe(&self) -> String;

    /// The one stack it can hold, when the place itself names it (a blob
    /// holds one stack, named by its key); `None` when it holds any number.
    fn fixed_stack(&self) -> Option<String> {
        None
    }

    /// The state of a stack (empty when it was never applied). Needs no lock.
    async fn stack_state(&self, name: &str) -> Result<StackState, StackError>;

    /// Whether the stack was ever locked or holds resources.
    async fn stack_exists(&self, name: &str) -> Result<bool, StackError>;

    /// Every stack with its serial, by name.
    async fn stacks(&self) -> Result<Vec<(String, i64)>, StackError>;

    /// Takes the stack's lock, waiting up to `timeout` for another holder.
    async fn lock_stack(&self, name: &str, timeout: Duration) -> Result<Box<dyn StackHold>, StackError>;

    /// Clears the stack's lock when its ID is `id` (`state unlock ID`);
    /// `Ok(false)` when the stack holds no lock of that ID.
    async fn unlock_stack(&self, name: &str, id: &str) -> Result<bool, StackError>;
}

/// A held stack lock: writes go through its [`StateSink`]; released by
/// [`StackHold::release`], or (best effort) when dropped.
#[async_trait]
pub trait StackHold: StateSink {
    /// The stack's state as of now.
    async fn state(&self) -> Result<StackState, StackError>;

    /// Releases the lock.
    async fn release(self: Box<Self>) -> Result<(), StackError>;
}

#[async_trait]
impl StackStore for LocalFabric {
    fn describe(&self) -> String {
        format!("the fabric {}", self.path().display())
    }

    async fn stack_state(&self, name: &str) -> Result<StackState, StackError> {
        LocalFabric::stack_state(self, name).await
    }

    async fn stack_exists(&self, name: &str) -> Result<bool, StackError> {
        LocalFabric::stack_exists(self, name).await
    }

    async fn stacks(&self) -> Result<Vec<(String, i64)>, StackError> {
        LocalFabric::stacks(self).await
    }

    async fn lock_stack(&self, name: &str, timeout: Duration) -> Result<Box<dyn StackHold>, StackError> {
        Ok(Box::new(LocalFabric::lock_stack(self, name, timeout).await?))
    }

    async fn unlock_stack(&self, name: &str, id: &str) -> Result<bool, StackError> {
        LocalFabric::unlock_stack(self, name, id).await
    }
}

#[async_trait]
impl StackHold for StackLock {
    async fn state(&self) -> Result<StackState, StackError> {
        StackLock::state(self).await
    }

    async fn release(self: Box<Self>) -> Result<(), StackError> {
        StackLock::release(*self).await
    }
}
