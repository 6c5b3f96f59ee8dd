//! What planning reads from the backend: the refresh of every object the
//! state owns (whose is it now?), and the check that no create meets an
//! existing object.

use super::plan::{Action, ResourcePlan};
use super::state::{Pending, StackState};
use super::EngineError;
use crate::backend::{Backend, OpCtx};
use crate::graph::{Address, Attrs, Value};
use crate::realize::{self, Live};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::task::JoinSet;

/// What a refresh found for one address of the state.
pub(super) enum Found {
    Gone,
    Ours(Attrs),
    /// Another owner's object at a pending create's ID: the create never
    /// happened (or was refused); the state entry is stale.
    NotCreated,
}

/// Reads every object the state owns, a few at a time.
pub(super) async fn refresh(
    state: &StackState,
    backend: &Arc<dyn Backend>,
    cx: &OpCtx,
) -> Result<HashMap<Address, Found>, EngineError> {
    const READS_IN_FLIGHT: usize = 16;
    let mut out = HashMap::new();
    let mut set: JoinSet<(Address, Result<Live, crate::backend::BackendError>)> = JoinSet::new();
    let mut todo = state.resources.iter();
    loop {
        while set.len() < READS_IN_FLIGHT {
            let Some((addr, e)) = todo.next() else { break };
            match (&e.id, e.kind.is_declaration_only()) {
                (_, true) => {
                    out.insert(addr.clone(), Found::Ours(e.attrs.clone()));
                }
                (None, false) => {
                    out.insert(addr.clone(), Found::Gone);
                }
                (Some(id), false) => {
                    let (b, addr, kind, cx) = (backend.clone(), addr.clone(), e.kind, cx.clone());
                    let mut prior = e.attrs.clone();
                    prior.insert("id".into(), Value::str(id));
                    set.spawn(async move { (addr, realize::refresh(&*b, &cx, kind, &prior).await) });
                }
            }
        }
        let Some(done) = set.join_next().await else { break };
        let (addr, res) = done.map_err(|e| EngineError::Internal(e.to_string()))?;
        let live = res.map_err(|source| EngineError::Refresh {
            address: addr.clone(),
            source,
        })?;
        let pending_create = state.resources.get(&addr).and_then(|e| e.pending) == Some(Pending::Create);
        let found = match live {
            Live::Gone => Found::Gone,
            Live::Ours(a) => Found::Ours(a),
            Live::Foreign(_) if pending_create => Found::NotCreated,
            Live::Foreign(owner) => {
                return Err(EngineError::NotOwned {
                    address: addr.clone(),
                    id: state.resources[&addr].id.clone().unwrap_or_default(),
                    owner,
                })
            }
        };
        out.insert(addr, found);
    }
    Ok(out)
}

/// Every create whose ID is already taken in the fabric: the apply would be
/// refused, so the plan is. Reads a few at a time.
pub(super) async fn conflicts(
    plans: &[ResourcePlan],
    backend: &Arc<dyn Backend>,
    cx: &OpCtx,
) -> Result<(), EngineError> {
    const READS_IN_FLIGHT: usize = 16;
    let mut set: JoinSet<(Address, Option<String>)> = JoinSet::new();
    let mut found = Vec::new();
    let mut todo = plans
        .iter()
        .filter(|p| p.action == Action::Create && !p.kind.is_declaration_only())
        .filter_map(|p| Some((p.address.clone(), p.kind, p.id()?.to_string())));
    loop {
        while set.len() < READS_IN_FLIGHT {
            let Some((addr, kind, id)) = todo.next() else { break };
            let (b, cx) = (backend.clone(), cx.clone());
            set.spawn(async move { (addr, realize::check_create(&*b, &cx, kind, &id, false).await) });
        }
        let Some(done) = set.join_next().await else { break };
        let (addr, why) = done.map_err(|e| EngineError::Internal(e.to_string()))?;
        if let Some(why) = why {
            found.push((addr, why));
        }
    }
    if found.is_empty() {
        return Ok(());
    }
    found.sort();
    Err(EngineError::Conflicts(found))
}
