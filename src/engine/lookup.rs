//! Looked-up objects at plan (`data hub corp_hub`): each is read once
//! through `Backend::read`, so every backend serves it. A lookup is never
//! created, changed, deleted or recorded in the stack state; a missing one
//! is a plan error.

use super::refresh::bounded;
use super::state::StackState;
use super::EngineError;
use crate::backend::{Backend, OpCtx};
use crate::graph::{lookup, rules, Address, AttrPath, Attrs, Diagnostic, Diagnostics, Graph};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What the fabric holds for the lookups of a graph.
#[derive(Debug, Clone, Default)]
pub struct LookupRead {
    /// What the fabric observes of each lookup found, by address.
    pub found: BTreeMap<Address, Attrs>,
    /// Lookups that found nothing, or whose names Azure would refuse (never read).
    pub diagnostics: Diagnostics,
}

/// Reads every lookup of `graph` not read yet, a few at a time, one read each.
pub async fn read(graph: &Graph, backend: &Arc<dyn Backend>, cx: &OpCtx) -> Result<LookupRead, EngineError> {
    let mut out = LookupRead::default();
    let mut reads = Vec::new();
    for r in graph.unread_lookups() {
        let names = rules::names::check_lookup(r);
        if names.has_errors() {
            out.diagnostics.extend(names);
            continue;
        }
        let (Some(id), Some(name), Some(rg)) = (r.id(), r.str("name"), r.str("resource_group_name")) else {
            out.diagnostics.push(
                Diagnostic::error(
                    "unknown-lookup-name",
                    format!(
                        "the name and resource group of {} are not known, so it cannot be looked up",
                        r.address
                    ),
                )
                .at(&r.address, AttrPath::attr("name"))
                .hint("give the lookup a name and resource group known before anything is applied"),
            );
            continue;
        };
        let (b, cx, kind) = (backend.clone(), cx.clone(), r.kind());
        let (addr, id, name, rg) = (r.address.clone(), id.to_string(), name.to_string(), rg.to_string());
        reads.push(async move {
            let res = b.read(&cx, kind, &id, None).await;
            (addr, name, rg, res)
        });
    }
    for (addr, name, rg, res) in bounded(reads).await? {
        match res.map_err(|source| EngineError::Refresh {
            address: addr.clone(),
            source,
        })? {
            Some(o) => {
                out.found.insert(addr, o.attrs);
            }
            None => out.diagnostics.push(lookup::not_found(&addr, &name, &rg)),
        }
    }
    out.diagnostics.sort();
    Ok(out)
}

/// `desired` with every lookup read and filled in, checked again by the
/// rules (an overlap with the real hub, gateway transit to a hub without a
/// gateway); `None` when it has no lookup left to read. Errors reject the plan.
pub(super) async fn resolve(
    desired: &Graph,
    state: &StackState,
    backend: &Arc<dyn Backend>,
    cx: &OpCtx,
) -> Result<Option<Graph>, EngineError> {
    let mut d = managed_lookups(desired, state);
    let resolved = if desired.unread_lookups().next().is_some() {
        let read = read(desired, backend, cx).await?;
        let mut g = desired.clone();
        for (a, attrs) in &read.found {
            g.resolve_lookup(a, attrs);
        }
        d.extend(read.diagnostics);
        if !d.has_errors() {
            d.extend(crate::graph::check(&g));
        }
        Some(g)
    } else {
        None
    };
    if d.has_errors() {
        d.sort();
        return Err(EngineError::Rejected(d));
    }
    Ok(resolved)
}

/// A lookup at an address the stack manages: planning would delete the
/// object it now only reads.
fn managed_lookups(desired: &Graph, state: &StackState) -> Diagnostics {
    let mut d = Diagnostics::default();
    for r in desired.lookups().filter(|r| state.resources.contains_key(&r.address)) {
        d.push(
            Diagnostic::error(
                "managed-lookup",
                format!(
                    "{} is managed by stack `{}`, and the program now looks it up instead of declaring it",
                    r.address, state.name
                ),
            )
            .at(&r.address, AttrPath::root())
            .hint(format!(
                "to stop managing it and keep the object, run `hybridk8s state rm {}` first; to keep managing it, declare it again",
                r.address
            )),
        );
    }
    d
}
