//! The standalone state of a DSL program (a stack): which resources it
//! owns, their last applied attributes, and where an operation was started
//! but not confirmed. The engine reads a [`StackState`] to plan and writes
//! through a [`StateSink`] after each resource while it applies.

use crate::graph::{Address, Attrs, Kind};
use async_trait::async_trait;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

/// An operation started on a resource and not yet confirmed. A crash leaves
/// it behind; the next plan reads the fabric to learn what really happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    Create,
    Update,
    Delete,
}

impl Pending {
    pub fn as_str(self) -> &'static str {
        match self {
            Pending::Create => "create",
            Pending::Update => "update",
            Pending::Delete => "delete",
        }
    }
}

impl fmt::Display for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Pending {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "create" => Ok(Pending::Create),
            "update" => Ok(Pending::Update),
            "delete" => Ok(Pending::Delete),
            _ => Err(format!("unknown pending operation `{s}`")),
        }
    }
}

/// One resource a stack owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateEntry {
    pub kind: Kind,
    /// The object's ID (`None` for a create that never got one).
    pub id: Option<String>,
    /// Last applied (or, while pending, last known) attributes.
    pub attrs: Attrs,
    /// Its dependencies when applied, to order a later delete.
    pub depends_on: BTreeSet<Address>,
    pub pending: Option<Pending>,
}

/// The state of one stack.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StackState {
    pub name: String,
    /// Incremented by every apply.
    pub serial: i64,
    pub resources: BTreeMap<Address, StateEntry>,
}

impl StackState {
    /// The state of a stack that has never been applied.
    pub fn empty(name: impl Into<String>) -> Self {
        StackState {
            name: name.into(),
            serial: 0,
            resources: BTreeMap::new(),
        }
    }
}

/// Why the state could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// Another apply changed the stack since the plan was made.
    #[error("the plan was made at serial {planned}; the stack is now at serial {current}")]
    Stale { planned: i64, current: i64 },
    #[error("{0}")]
    Storage(String),
}

/// Where an apply records what it did, resource by resource.
#[async_trait]
pub trait StateSink: Send + Sync {
    /// Starts an apply of a plan made at `planned_serial`: fails when the
    /// stack moved on since, increments the serial otherwise.
    async fn begin_apply(&self, planned_serial: i64) -> Result<(), StateError>;

    /// Records (inserts or replaces) one resource.
    async fn put(&self, address: &Address, entry: &StateEntry) -> Result<(), StateError>;

    /// Forgets one resource.
    async fn remove(&self, address: &Address) -> Result<(), StateError>;
}
