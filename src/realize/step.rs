//! One step against the backend, and what the state records after it.
//!
//! The rule everywhere: the state names an object only when this stack's
//! owner mark is on it. A create that meets an existing object records
//! nothing; a failed step reads the fabric back and records what is really
//! there; a delete of another stack's object forgets it without touching it.

use crate::backend::{merge, noun, Backend, BackendError, ErrorCode, Observed, OpCtx, Owner};
use crate::graph::kinds::timeouts::{self, Step};
use crate::graph::{Attrs, Kind, Value};

/// The state after a step: the object's attributes (`None`: nothing to
/// record), the failure if the step failed, and a warning to show.
#[derive(Debug, Clone, PartialEq)]
pub struct StepOutcome {
    pub state: Option<Attrs>,
    pub error: Option<BackendError>,
    pub warning: Option<String>,
}

impl StepOutcome {
    fn ok(state: Option<Attrs>) -> Self {
        StepOutcome {
            state,
            error: None,
            warning: None,
        }
    }
}

fn id_of(a: &Attrs) -> Option<&str> {
    a.get("id").and_then(Value::as_str)
}

/// The object as refreshed: gone, this stack's (prior merged with what the
/// fabric observes), or someone else's.
#[derive(Debug, Clone, PartialEq)]
pub enum Live {
    Gone,
    Ours(Attrs),
    Foreign(Owner),
}

/// Reads the object `prior` describes: this stack's only when its owner
/// mark says so (an object without a mark is foreign until imported).
/// The context of one step, bounded by the resource's `timeouts` (reads
/// back after a failure use the untimed one: the state must say what exists).
fn timed(cx: &OpCtx, attrs: &Attrs, step: Step) -> OpCtx {
    cx.clone().with_timeout(timeouts::of(attrs, step))
}

pub async fn refresh(b: &dyn Backend, cx: &OpCtx, kind: Kind, prior: &Attrs) -> Result<Live, BackendError> {
    let Some(id) = id_of(prior) else { return Ok(Live::Gone) };
    let timed = timed(cx, prior, Step::Read);
    Ok(match b.read(&timed, kind, id, Some(prior)).await? {
        None => Live::Gone,
        Some(Observed { attrs, owner }) if owner.is(cx.stack()) => Live::Ours(merge(prior, &attrs)),
        Some(o) => Live::Foreign(o.owner),
    })
}

/// Reads what exists after a failed step: `base` merged with the fabric's
/// view when the object is this stack's, `None` when it is gone or not ours,
/// `fallback` when even that cannot be told.
async fn read_back(b: &dyn Backend, cx: &OpCtx, kind: Kind, base: &Attrs, fallback: Option<Attrs>) -> Option<Attrs> {
    // The read-back must happen even when the step failed because `cx` was
    // cancelled: it only reads.
    let reader = OpCtx::new(cx.stack());
    match refresh(b, &reader, kind, base).await {
        Ok(Live::Ours(a)) => Some(a),
        Ok(Live::Gone | Live::Foreign(_)) => None,
        Err(_) => fallback,
    }
}

/// Creates the object `planned` describes. A create that meets an existing
/// object (another stack's, or unmanaged) records nothing: hybridk8s never
/// adopts. After another failure, whatever this stack did create is recorded.
pub async fn create(b: &dyn Backend, cx: &OpCtx, kind: Kind, planned: &Attrs) -> StepOutcome {
    match b.create(&timed(cx, planned, Step::Create), kind, planned).await {
        Ok(o) => StepOutcome::ok(Some(merge(planned, &o.attrs))),
        Err(e) => {
            let state = match e.code() {
                Some(ErrorCode::AlreadyExists) => None,
                _ => read_back(b, cx, kind, planned, None).await,
            };
            StepOutcome {
                state,
                error: Some(e),
                warning: None,
            }
        }
    }
}

/// Changes the object in place. After a failure the state is what the
/// fabric holds (the prior state when that cannot be read).
pub async fn update(b: &dyn Backend, cx: &OpCtx, kind: Kind, prior: &Attrs, planned: &Attrs) -> StepOutcome {
    match b.update(&timed(cx, planned, Step::Update), kind, prior, planned).await {
        Ok(o) => StepOutcome::ok(Some(merge(planned, &o.attrs))),
        Err(e) => StepOutcome {
            state: read_back(b, cx, kind, prior, Some(prior.clone())).await,
            error: Some(e),
            warning: None,
        },
    }
}

/// Deletes the object `prior` describes, when it is this stack's. One whose
/// owner mark names another stack is left alone and forgotten, with a warning.
pub async fn delete(b: &dyn Backend, cx: &OpCtx, kind: Kind, prior: &Attrs) -> StepOutcome {
    match b.delete(&timed(cx, prior, Step::Delete), kind, prior).await {
        Ok(()) => StepOutcome::ok(None),
        Err(BackendError::NotOwned { owner, id, .. }) => StepOutcome {
            state: None,
            error: None,
            warning: Some(format!(
                "not deleting {} {id:?}: it is {owner}; it is no longer recorded in this stack",
                noun(kind)
            )),
        },
        Err(e) => StepOutcome {
            state: read_back(b, cx, kind, prior, Some(prior.clone())).await,
            error: Some(e),
            warning: None,
        },
    }
}

/// Imports an existing object: its kind is checked by the backend, another
/// stack's object is refused, the object is marked as this stack's. The
/// attributes are what the fabric observes; desired-only ones are null
/// until the next apply sets them.
pub async fn import(b: &dyn Backend, cx: &OpCtx, kind: Kind, id: &str) -> Result<Attrs, BackendError> {
    b.import(cx, kind, id).await.map(|o| o.attrs)
}

/// At plan time: the reason a create of `id` would fail because an object
/// is already there (naming its owner), or `None` when the ID is free.
/// With `replacing`, an object this stack owns is the one being replaced
/// (Terraform plans the create of a replacement with no prior state).
/// Read failures are left to apply.
pub async fn check_create(b: &dyn Backend, cx: &OpCtx, kind: Kind, id: &str, replacing: bool) -> Option<String> {
    match b.read(cx, kind, id, None).await {
        Ok(Some(o)) if replacing && o.owner.is(cx.stack()) => None,
        Ok(Some(o)) => Some(format!(
            "{} {id:?} already exists and is {}; hybridk8s never adopts an existing object: import it (`hybridk8s import ADDRESS ID` or `terraform import`){}",
            noun(kind),
            o.owner,
            match &o.owner {
                Owner::Stack(s) if s == cx.stack() => " (it is marked as this stack's but missing from its state)",
                Owner::Stack(_) => " after the owning stack has given it up, or choose another name",
                Owner::Unmanaged => " or choose another name",
            }
        )),
        Err(BackendError::WrongKind { found, .. }) => Some(format!(
            "{} {id:?} is taken by {found}; choose another name",
            noun(kind)
        )),
        _ => None,
    }
}
