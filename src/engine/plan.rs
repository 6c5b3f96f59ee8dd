//! Planning: the desired graph against the stack state against the fabric
//! (refreshed), into one action per address with reasons and attribute
//! changes.
//!
//! - an object the state owns but the fabric lacks is re-created
//!   ("deleted outside hybridk8s");
//! - a peering that is not Connected (a side deleted, or only one side) is
//!   replaced; one whose address spaces are not in sync is updated (synced);
//! - a changed attribute whose schema says `requires_replace` replaces;
//!   other changes update in place; attributes only known after apply
//!   (`peering_state`, …) never cause a diff (`realize::diff`, shared with
//!   the provider);
//! - a create whose ID is taken (by another stack, another tool, or a
//!   second block of this program) is a plan error naming the owner: the
//!   apply would be refused, and hybridk8s never adopts;
//! - an object of the state whose owner mark now names someone else is
//!   not this stack's any more: planning stops and says so;
//! - a lookup (`data hub …`) is read once (`engine::lookup`) and checked
//!   by the rules with what was read; it has no action, is not in the stack
//!   state, and a missing one is a plan error;
//! - a resource replaced takes its dependents along: they are deleted before
//!   it and created after it (a VNET cannot be deleted while peerings or
//!   Kubernetes objects use it, and its replacement starts empty).

use super::refresh::{conflicts, refresh, Found};
use super::state::{Pending, StackState, StateEntry};
use super::EngineError;
use crate::backend::{Backend, OpCtx};
use crate::graph::{kinds, Address, Attrs, Graph, Kind, Value};
use crate::realize;
pub use crate::realize::AttrChange;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// What the apply will do to one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    NoOp,
    Create,
    Update,
    /// Delete, then create.
    Replace,
    Delete,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::NoOp => "no-op",
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The plan for one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePlan {
    pub address: Address,
    pub kind: Kind,
    pub action: Action,
    /// Why, in words users recognize (`requires replace: address_space changed`).
    pub reasons: Vec<String>,
    pub changes: Vec<AttrChange>,
    /// The object as the fabric has it now (`None` when it does not exist).
    pub before: Option<Attrs>,
    /// The desired attributes (`None` when it leaves the configuration).
    pub after: Option<Attrs>,
    /// Desired dependencies (creates wait for them).
    pub depends_on: BTreeSet<Address>,
    /// Dependencies recorded at the last apply (deletes of dependents go first).
    pub prior_depends_on: BTreeSet<Address>,
    /// The state entry is out of date even without an action (refreshed
    /// attributes, a resolved pending operation, new dependencies).
    pub refresh_state: bool,
}

impl ResourcePlan {
    /// The object's ID: desired, else current.
    pub fn id(&self) -> Option<&str> {
        self.after
            .as_ref()
            .and_then(|a| a.get("id"))
            .and_then(Value::as_str)
            .or_else(|| self.before.as_ref().and_then(|a| a.get("id")).and_then(Value::as_str))
    }
}

/// Counts per action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub no_op: usize,
}

/// A plan for one stack: every address of the configuration and the state,
/// sorted by address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub stack: String,
    /// The stack serial the plan was made at; apply refuses a stale plan.
    pub serial: i64,
    pub resources: Vec<ResourcePlan>,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for r in &self.resources {
            match r.action {
                Action::NoOp => s.no_op += 1,
                Action::Create => s.create += 1,
                Action::Update => s.update += 1,
                Action::Replace => s.replace += 1,
                Action::Delete => s.delete += 1,
            }
        }
        s
    }

    /// True when applying would change the fabric.
    pub fn has_changes(&self) -> bool {
        self.resources.iter().any(|r| r.action != Action::NoOp)
    }

    pub fn get(&self, address: &Address) -> Option<&ResourcePlan> {
        self.resources.iter().find(|r| &r.address == address)
    }

    /// The resources with an action, sorted by address.
    pub fn changes(&self) -> impl Iterator<Item = &ResourcePlan> {
        self.resources.iter().filter(|r| r.action != Action::NoOp)
    }
}

/// Top-level attribute changes from `before` to `after` (see [`realize::changes`]).
pub fn diff(kind: Kind, before: &Attrs, after: &Attrs) -> Vec<AttrChange> {
    realize::changes(kind, before, after)
}

/// Plans `desired` for the stack whose state is `state`, refreshing every
/// owned object from `backend`. Reads only; changes nothing.
pub async fn plan(desired: &Graph, state: &StackState, backend: Arc<dyn Backend>) -> Result<Plan, EngineError> {
    plan_with(
        desired,
        state,
        backend,
        &OpCtx::new(state.name.clone()).with_read_scope(),
    )
    .await
}

/// [`plan`] with an operation context (cancellation, deadline).
pub async fn plan_with(
    desired: &Graph,
    state: &StackState,
    backend: Arc<dyn Backend>,
    cx: &OpCtx,
) -> Result<Plan, EngineError> {
    let order = desired.order().map_err(|d| EngineError::Cycle(d.summary))?;
    let resolved = super::lookup::resolve(desired, state, &backend, cx).await?;
    let desired = resolved.as_ref().unwrap_or(desired);
    let live = refresh(state, &backend, cx).await?;
    let mut addrs: BTreeSet<&Address> = state.resources.keys().collect();
    // Lookups are read, never planned.
    addrs.extend(
        desired
            .iter()
            .filter(|r| !desired.is_lookup(&r.address))
            .map(|r| &r.address),
    );
    let mut rejected = crate::graph::Diagnostics::default();
    let mut plans: Vec<ResourcePlan> = addrs
        .into_iter()
        .map(|a| {
            let (entry, found) = match live.get(a) {
                Some(Found::NotCreated) => (None, None),
                Some(Found::Ours(l)) => (state.resources.get(a), Some(l.clone())),
                _ => (state.resources.get(a), None),
            };
            let mut d = crate::graph::Diagnostics::default();
            let settled = desired
                .get(a)
                .map(|r| kinds::settle_desired(a, found.as_ref(), &r.attrs, &mut d));
            let mut p = plan_one(
                a,
                settled.as_ref().zip(desired.get(a)).map(|(s, r)| (s, &r.depends_on)),
                entry,
                found,
            );
            p.reasons.extend(
                d.iter()
                    .filter(|w| !w.is_error())
                    .map(|w| format!("warning: {}", w.summary)),
            );
            rejected.extend(d);
            p
        })
        .collect();
    for p in plans.iter_mut() {
        if live.get(&p.address).is_some_and(|f| matches!(f, Found::NotCreated)) {
            p.refresh_state = true;
            p.reasons
                .push("a previous apply's create was refused: the object there is not this stack's".into());
        }
    }
    rejected.extend(gateways_in_use(&plans, desired));
    for r in desired.sorted().into_iter().filter(|r| !desired.is_lookup(&r.address)) {
        if let Some(why) = backend.refuses(r.kind()) {
            rejected.push(
                crate::graph::Diagnostic::error("backend", why)
                    .at(&r.address, crate::graph::AttrPath::root())
                    .hint("nothing was changed"),
            );
        }
    }
    if rejected.has_errors() {
        rejected.sort();
        return Err(EngineError::Rejected(rejected));
    }
    conflicts(&plans, &backend, cx).await?;
    let index: HashMap<Address, usize> = plans.iter().enumerate().map(|(i, p)| (p.address.clone(), i)).collect();
    // A replaced resource takes its dependents along (dependencies first).
    for a in order {
        let Some(&i) = index.get(a) else { continue };
        if !matches!(plans[i].action, Action::NoOp | Action::Update) {
            continue;
        }
        let replaced = plans[i]
            .depends_on
            .iter()
            .find(|d| index.get(*d).is_some_and(|&j| plans[j].action == Action::Replace))
            .cloned();
        if let Some(d) = replaced {
            plans[i].action = Action::Replace;
            plans[i]
                .reasons
                .push(format!("replaced along with {d}, which it depends on"));
        }
    }
    // A VNET whose address space changes leaves its peerings to be synced.
    for i in 0..plans.len() {
        if plans[i].kind != Kind::Peering || plans[i].action != Action::NoOp {
            continue;
        }
        let moved = plans[i].depends_on.iter().find(|d| {
            index.get(*d).is_some_and(|&j| {
                plans[j].action == Action::Update && plans[j].changes.iter().any(|c| c.attribute == "address_space")
            })
        });
        if let Some(d) = moved.cloned() {
            plans[i].action = Action::Update;
            plans[i]
                .reasons
                .push(format!("the address space of {d} changes: the peering must be synced"));
        }
    }
    Ok(Plan {
        stack: state.name.clone(),
        serial: state.serial,
        resources: plans,
    })
}

/// A hub whose gateway is switched while peerings of the configuration
/// use it (`kinds::hub::gateway_in_use`).
fn gateways_in_use(plans: &[ResourcePlan], desired: &Graph) -> crate::graph::Diagnostics {
    let mut d = crate::graph::Diagnostics::default();
    let gateway = |a: &Option<Attrs>| {
        a.as_ref()
            .and_then(|a| a.get("gateway"))
            .and_then(Value::as_str)
            .unwrap_or("none")
            .to_string()
    };
    for p in plans
        .iter()
        .filter(|p| p.kind == Kind::Hub && p.action == Action::Update)
    {
        let (old, new) = (gateway(&p.before), gateway(&p.after));
        let Some(id) = p.id() else { continue };
        if !kinds::hub::is_gateway_switch(&old, &new) {
            continue;
        }
        let users: Vec<String> = desired
            .of_kind(Kind::Peering)
            .filter(|r| r.str("hub_id").is_some_and(|h| h.eq_ignore_ascii_case(id)))
            .filter(|r| r.bool("use_remote_gateways") == Some(true))
            .map(|r| r.address.to_string())
            .collect();
        if !users.is_empty() {
            d.push(kinds::hub::gateway_in_use(&p.address, &old, &new, &users));
        }
    }
    d
}

fn plan_one(
    address: &Address,
    desired: Option<(&Attrs, &BTreeSet<Address>)>,
    state: Option<&StateEntry>,
    live: Option<Attrs>,
) -> ResourcePlan {
    let kind = address.kind;
    let mut p = ResourcePlan {
        address: address.clone(),
        kind,
        action: Action::NoOp,
        reasons: Vec::new(),
        changes: Vec::new(),
        before: live.clone(),
        after: desired.map(|(a, _)| a.clone()),
        depends_on: desired.map(|(_, d)| d.clone()).unwrap_or_default(),
        prior_depends_on: state.map(|s| s.depends_on.clone()).unwrap_or_default(),
        refresh_state: false,
    };
    let pending = state.and_then(|s| s.pending);
    match (desired, state, live) {
        (Some((after, _)), _, None) => {
            p.action = Action::Create;
            p.changes = diff(kind, &Attrs::new(), after);
            match (state, pending) {
                (None, _) => {}
                (Some(_), Some(Pending::Create)) => {
                    p.reasons.push("a previous apply did not finish creating it".into())
                }
                (Some(_), _) => p.reasons.push("deleted outside hybridk8s".into()),
            }
        }
        (None, _, None) => {
            // Owned, gone already: only forgotten.
            p.action = Action::Delete;
            p.reasons
                .push("not in the configuration; already gone from the fabric".into());
        }
        (None, _, Some(_)) => {
            p.action = Action::Delete;
            p.reasons.push("not in the configuration".into());
        }
        (Some((after, deps)), state, Some(live)) => {
            p.changes = diff(kind, &live, after);
            let replace = realize::replace_reasons(kind, &live, &p.changes);
            if !replace.is_empty() {
                p.action = Action::Replace;
                p.reasons = replace;
            } else if !p.changes.is_empty() {
                p.action = Action::Update;
            }
            if p.action != Action::Replace {
                if let Some(why) = realize::sync_reason(kind, &live) {
                    p.action = Action::Update;
                    p.reasons.push(why);
                }
            }
            if pending.is_some() && p.action == Action::NoOp {
                p.reasons.push(format!(
                    "a previous apply's {} was found done",
                    pending.map_or("", |x| x.as_str())
                ));
            }
            p.refresh_state = state.is_none_or(|s| s.pending.is_some() || s.attrs != live || &s.depends_on != deps);
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, Value)]) -> Attrs {
        pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    #[test]
    fn requires_replace_comes_from_the_schema() {
        let before = attrs(&[
            ("location", Value::str("westeurope")),
            ("address_space", Value::list_of_str(["10.40.0.0/16"])),
            ("max_nodes", Value::Number(5)),
        ]);
        let after = attrs(&[
            ("location", Value::str("northeurope")),
            ("address_space", Value::list_of_str(["10.40.0.0/16", "10.41.0.0/16"])),
            ("max_nodes", Value::Number(6)),
        ]);
        let d = diff(Kind::ClusterNetwork, &before, &after);
        let by: HashMap<&str, bool> = d.iter().map(|c| (c.attribute.as_str(), c.requires_replace)).collect();
        assert_eq!(
            by,
            HashMap::from([("location", true), ("address_space", false), ("max_nodes", false)])
        );
        // A missing attribute and an explicit null are the same.
        assert!(diff(
            Kind::Hub,
            &attrs(&[("gateway_subnet_cidr", Value::Null)]),
            &Attrs::new()
        )
        .is_empty());
    }
}
