//! Owner marks: every object a stack creates carries them *on the object*,
//! so that any later call (from any machine, any state file) can tell whose
//! it is. Azure objects carry tags, Kubernetes objects a label and an
//! annotation. hybridk8s never adopts, changes or deletes an object whose
//! mark names another stack, or that carries none (until imported).

use std::collections::BTreeMap;
use std::fmt;

/// Azure tag naming the tool.
pub const MANAGED_BY_TAG: &str = "hybridk8s-managed-by";
/// Azure tag naming the stack.
pub const STACK_TAG: &str = "hybridk8s-stack";
/// Azure tag on a VNET listing (comma-separated) the subnets hybridk8s
/// manages in it; every other subnet belongs to someone else and is kept.
pub const SUBNETS_TAG: &str = "hybridk8s-subnets";
/// Azure tag on a VNET naming what hybridk8s made of it (`hub` or
/// `cluster_network`), so that an import under the other kind is refused.
pub const ROLE_TAG: &str = "hybridk8s-role";
/// Azure tag on a cluster VNET whose DNS servers a `coredns_aks`
/// dns_upstream set: the servers it set (comma-separated).
pub const UPSTREAM_DNS_TAG: &str = "hybridk8s-dns-upstream";
/// Azure tag beside [`UPSTREAM_DNS_TAG`]: the VNET's own DNS servers,
/// restored when the dns_upstream goes (comma-separated, empty for Azure's
/// resolver).
pub const OWN_DNS_TAG: &str = "hybridk8s-dns-own";
pub use crate::graph::kinds::util::{is_own_tag, OWN_TAG_PREFIX};
/// The value of [`MANAGED_BY_TAG`] and [`MANAGED_BY_LABEL`].
pub const MANAGED_BY: &str = "hybridk8s";
/// Kubernetes label naming the tool (the recommended label).
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// Kubernetes annotation naming the stack.
pub const STACK_ANNOTATION: &str = "hybridk8s.io/stack";

/// Whose an existing object is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Owner {
    /// Created (or imported) by this stack of hybridk8s.
    Stack(String),
    /// No hybridk8s mark: made by another tool or by hand.
    Unmanaged,
}

impl Owner {
    /// The owner an Azure tag set names.
    pub fn from_tags(tags: &BTreeMap<String, String>) -> Owner {
        match (tags.get(MANAGED_BY_TAG), tags.get(STACK_TAG)) {
            (Some(m), Some(s)) if m == MANAGED_BY => Owner::Stack(s.clone()),
            _ => Owner::Unmanaged,
        }
    }

    /// The owner Kubernetes metadata names.
    pub fn from_k8s(labels: &BTreeMap<String, String>, annotations: &BTreeMap<String, String>) -> Owner {
        match (labels.get(MANAGED_BY_LABEL), annotations.get(STACK_ANNOTATION)) {
            (Some(m), Some(s)) if m == MANAGED_BY => Owner::Stack(s.clone()),
            _ => Owner::Unmanaged,
        }
    }

    /// True when `stack` owns it.
    pub fn is(&self, stack: &str) -> bool {
        matches!(self, Owner::Stack(s) if s == stack)
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Owner::Stack(s) => write!(f, "owned by stack {s:?}"),
            Owner::Unmanaged => f.write_str("not managed by hybridk8s"),
        }
    }
}

/// The Azure tags that mark an object as `stack`'s.
pub fn tags_for(stack: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (MANAGED_BY_TAG.to_string(), MANAGED_BY.to_string()),
        (STACK_TAG.to_string(), stack.to_string()),
    ])
}

/// The user's `tags` (a map attribute) as name → value.
fn user_tags_in(a: Option<&crate::graph::Attrs>) -> BTreeMap<String, String> {
    a.and_then(|a| a.get("tags"))
        .and_then(crate::graph::Value::as_map)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
        .collect()
}

/// An object's tags with the user's `tags` of `desired` written over them:
/// those set, the ones `prior` held and `desired` no longer does removed,
/// hybridk8s's own and every other tool's kept (merged with the owner mark,
/// never replacing it).
pub fn put_user_tags(
    tags: &mut BTreeMap<String, String>,
    prior: Option<&crate::graph::Attrs>,
    desired: &crate::graph::Attrs,
) {
    let want = user_tags_in(Some(desired));
    for gone in user_tags_in(prior).keys().filter(|k| !want.contains_key(*k)) {
        tags.retain(|k, _| !k.eq_ignore_ascii_case(gone) || is_own_tag(k));
    }
    for (k, v) in want.into_iter().filter(|(k, _)| !is_own_tag(k)) {
        tags.retain(|t, _| !t.eq_ignore_ascii_case(&k));
        tags.insert(k, v);
    }
}

/// The user's tags of an object as read: with a `prior` state, the names it
/// holds (a tag another tool added is not the user's); without one (import),
/// every tag that is not hybridk8s's own.
pub fn user_tags(tags: &BTreeMap<String, String>, prior: Option<&crate::graph::Attrs>) -> crate::graph::Value {
    use crate::graph::Value;
    let known = prior.map(|p| user_tags_in(Some(p)));
    let found = tags.iter().filter(|(k, _)| !is_own_tag(k)).filter(|(k, _)| {
        known
            .as_ref()
            .is_none_or(|known| known.keys().any(|n| n.eq_ignore_ascii_case(k)))
    });
    Value::Map(found.map(|(k, v)| (k.clone(), Value::str(v))).collect())
}
