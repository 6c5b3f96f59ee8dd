//! What an apply reports: options, progress events for the CLI, and the
//! outcome of every resource.

use super::plan::Action;
use crate::graph::Address;
use std::sync::Arc;
use std::time::Duration;

/// Default number of resources changed at once.
pub const DEFAULT_PARALLELISM: usize = 10;

/// One backend operation of the apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Create,
    Update,
    Delete,
}

/// How one step or one resource ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    /// Done, with something the user must hear (an object left alone).
    Warned(String),
    Failed(String),
    /// Not attempted because something it depends on failed.
    Skipped(String),
}

impl Outcome {
    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Succeeded | Outcome::Warned(_))
    }
}

/// What the progress callback hears. Every step gets a `Finished`; a
/// skipped step gets no `Started`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    Started {
        address: Address,
        step: Step,
    },
    Finished {
        address: Address,
        step: Step,
        outcome: Outcome,
        elapsed: Duration,
    },
}

/// Called from the apply loop (keep it quick).
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// How to apply.
#[derive(Clone)]
pub struct ApplyOptions {
    /// Resources changed at once (at least 1).
    pub parallelism: usize,
    pub progress: Option<ProgressFn>,
    /// Cancels the apply (Ctrl-C): no new step starts; steps under way
    /// finish and are recorded.
    pub cancel: Option<tokio_util::sync::CancellationToken>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            parallelism: DEFAULT_PARALLELISM,
            progress: None,
            cancel: None,
        }
    }
}

/// The result for one address with an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceReport {
    pub address: Address,
    pub action: Action,
    pub outcome: Outcome,
    /// Time spent in the backend (both steps of a replace).
    pub elapsed: Duration,
}

/// What an apply did, sorted by address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyReport {
    pub resources: Vec<ResourceReport>,
    pub elapsed: Duration,
}

impl ApplyReport {
    pub fn is_success(&self) -> bool {
        self.resources.iter().all(|r| r.outcome.is_success())
    }

    pub fn failures(&self) -> impl Iterator<Item = &ResourceReport> {
        self.resources.iter().filter(|r| !r.outcome.is_success())
    }

    pub fn get(&self, address: &Address) -> Option<&ResourceReport> {
        self.resources.iter().find(|r| &r.address == address)
    }
}
