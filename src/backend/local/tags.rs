//! Azure tags as the local fabric stores them (a JSON object per VNET and
//! per peering side), and the owner checks every write makes.

use super::Fail;
use crate::backend::owner::{self, Owner};
use crate::backend::{BackendError, Op};
use std::collections::BTreeMap;

pub type Tags = BTreeMap<String, String>;

pub fn to_json(tags: &Tags) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "{}".into())
}

pub fn from_json(s: &str) -> Tags {
    serde_json::from_str(s).unwrap_or_default()
}

/// The tags of a new object of `stack`, keeping unrelated tags of `old`.
pub fn marked(old: &Tags, stack: &str) -> Tags {
    let mut t = old.clone();
    t.extend(owner::tags_for(stack));
    t
}

/// The tags without an owner mark (a stack gave the object up).
pub fn unmarked(old: &Tags) -> Tags {
    let mut t = old.clone();
    t.remove(owner::MANAGED_BY_TAG);
    t.remove(owner::STACK_TAG);
    t
}

/// `Ok` when `stack` may change an object whose owner is `owner`.
pub fn may_change(owner: &Owner, stack: &str, op: Op, noun: &'static str, id: &str) -> Result<(), Fail> {
    if owner.is(stack) {
        return Ok(());
    }
    Err(Fail::Backend(BackendError::NotOwned {
        op,
        noun,
        id: id.to_string(),
        owner: owner.clone(),
    }))
}

/// The refusal of a create that meets an existing object.
pub fn exists(what: &str, owner: &Owner) -> Fail {
    Fail::refused(
        crate::backend::ErrorCode::AlreadyExists,
        format!(
            "{what} already exists and is {owner}; hybridk8s never adopts an existing object: to manage it with this stack, import it (`hybridk8s import ADDRESS ID` or `terraform import`), or choose another name"
        ),
    )
}
