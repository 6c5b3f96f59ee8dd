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

/// Backend reads under way at once while planning.
const READS_IN_FLIGHT: usize = 16;

/// Runs `jobs` a few at a time; their answers in completion order.
pub(super) async fn bounded<T: Send + 'static>(
    jobs: impl IntoIterator<Item = impl std::future::Future<Output = T> + Send + 'static>,
) -> Result<Vec<T>, EngineError> {
    let mut set = JoinSet::new();
    let mut out = Vec::new();
    let mut todo = jobs.into_iter();
    loop {
        while set.len() < READS_IN_FLIGHT {
            let Some(job) = todo.next() else { break };
            set.spawn(job);
        }
        let Some(done) = set.join_next().await else { break };
        out.push(done.map_err(|e| EngineError::Internal(e.to_string()))?);
    }
    Ok(out)
}

/// Reads every object the state owns, a few at a time.
pub(super) async fn refresh(
    state: &StackState,
    backend: &Arc<dyn Backend>,
    cx: &OpCtx,
) -> Result<HashMap<Address, Found>, EngineError> {
    let mut out = HashMap::new();
    let mut reads = Vec::new();
    for (addr, e) in &state.resources {
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
                reads.push(async move { (addr, realize::refresh(&*b, &cx, kind, &prior).await) });
            }
        }
    }
    for (addr, res) in bounded(reads).await? {
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
    let reads = plans
        .iter()
        .filter(|p| p.action == Action::Create && !p.kind.is_declaration_only())
        .filter_map(|p| Some((p.address.clone(), p.kind, p.id()?.to_string())))
        .map(|(addr, kind, id)| {
            let (b, cx) = (backend.clone(), cx.clone());
            async move { (addr, realize::check_create(&*b, &cx, kind, &id, false).await) }
        });
    let mut found: Vec<(Address, String)> = bounded(reads)
        .await?
        .into_iter()
        .filter_map(|(addr, why)| Some((addr, why?)))
        .collect();
    if found.is_empty() {
        return Ok(());
    }
    found.sort();
    Err(EngineError::Conflicts(found))
}
