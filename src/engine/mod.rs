//! The engine: plan a desired graph against a stack's state and the fabric,
//! then apply the plan through a backend in dependency order with bounded
//! parallelism, recording the stack state after every resource.
//!
//! Typical use (the CLI):
//! ```no_run
//! # async fn run(graph: hybridk8s::graph::Graph) -> anyhow::Result<()> {
//! use hybridk8s::backend::local::{stack::DEFAULT_LOCK_TIMEOUT, LocalFabric};
//! use hybridk8s::engine::{self, ApplyOptions};
//! use std::sync::Arc;
//! let fabric = LocalFabric::open_default()?;
//! let lock = fabric.lock_stack("dev", DEFAULT_LOCK_TIMEOUT).await?;
//! let plan = engine::plan(&graph, &lock.state().await?, Arc::new(fabric.clone())).await?;
//! let report = engine::apply(&plan, Arc::new(fabric), &lock, &ApplyOptions::default()).await?;
//! lock.release().await?;
//! # let _ = report; Ok(()) }
//! ```
//! `destroy` is [`destroy_plan`]: a plan with an empty desired graph.
//!
//! The engine does not run `graph::check`: callers check the graph first
//! (the local fabric's refusals are the safety net behind those rules).

pub mod apply;
mod json;
pub mod lookup;
pub mod plan;
mod refresh;
mod report;
pub mod sample;
pub mod saved;
pub mod state;

pub use apply::{
    apply, ApplyOptions, ApplyReport, Outcome, Progress, ProgressFn, ResourceReport, Step, DEFAULT_PARALLELISM,
};
pub use json::FORMAT_VERSION as PLAN_FORMAT_VERSION;
pub use plan::{diff, plan, plan_with, Action, AttrChange, Plan, ResourcePlan, Summary};
pub use state::{Pending, StackState, StateEntry, StateError, StateSink};

use crate::backend::{Backend, BackendError};
use crate::graph::{Address, Graph};
use std::sync::Arc;

/// Why planning or applying could not proceed (per-resource failures are
/// in the [`ApplyReport`] instead).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    #[error("{0}")]
    Cycle(String),
    #[error("refreshing {address}: {source}")]
    Refresh {
        address: Address,
        #[source]
        source: BackendError,
    },
    #[error("stack `{stack}`: {source}; plan again")]
    StalePlan {
        stack: String,
        #[source]
        source: StateError,
    },
    #[error("writing the state of stack `{stack}`: {source}")]
    State {
        stack: String,
        #[source]
        source: StateError,
    },
    /// An object the state names carries another owner's mark now.
    #[error("{address} ({id}) is {owner}, no longer this stack's; hybridk8s leaves it alone: forget it with `hybridk8s state rm {address}` or give it back to this stack with `hybridk8s import`")]
    NotOwned {
        address: Address,
        id: String,
        owner: crate::backend::Owner,
    },
    /// Creates whose IDs are taken: the apply would be refused.
    #[error("{}", conflicts_text(.0))]
    Conflicts(Vec<(Address, String)>),
    /// The change cannot be made to the objects that exist (a cluster's
    /// node subnet is fixed, …): the errors, with numbers and ways out.
    #[error("{}", .0.errors().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Rejected(crate::graph::Diagnostics),
    #[error("internal error: {0}")]
    Internal(String),
}

fn conflicts_text(c: &[(Address, String)]) -> String {
    c.iter()
        .map(|(a, why)| format!("{a}: {why}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl EngineError {
    fn state(stack: &str, e: StateError) -> Self {
        match e {
            StateError::Stale { .. } => EngineError::StalePlan {
                stack: stack.to_string(),
                source: e,
            },
            _ => EngineError::State {
                stack: stack.to_string(),
                source: e,
            },
        }
    }
}

/// The plan that deletes everything the stack owns.
pub async fn destroy_plan(state: &StackState, backend: Arc<dyn Backend>) -> Result<Plan, EngineError> {
    plan(&Graph::new(), state, backend).await
}
