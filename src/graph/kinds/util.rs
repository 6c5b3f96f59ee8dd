//! Small helpers the kinds share: reading typed attributes with diagnostics,
//! and deriving values only when their inputs are known.

use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::net;
use crate::graph::schema::{Attribute, Attrs};
use crate::graph::value::{AttrPath, Type, Value};
use crate::graph::Resource;
use ipnet::Ipv4Net;
use std::net::Ipv4Addr;

/// The attributes that say which Kubernetes API server a resource talks to:
/// `kubeconfig_path` and `kubeconfig_context`, and for the kinds that are
/// Kubernetes objects also `force_conflicts`. Desired-only (never read from
/// a cluster) and changed in place.
pub fn kubeconfig_attrs(object_kind: bool) -> Vec<Attribute> {
    let mut v = vec![
        Attribute::optional(
            "kubeconfig_path",
            Type::String,
            if object_kind {
                "Kubeconfig file of the cluster's API server. In the DSL inherited from the `cluster` when not set; in Terraform defaulting to the provider block's `kubeconfig_path`, then `KUBECONFIG`, then `~/.kube/config`, then the in-cluster configuration. Desired-only: never read from the cluster."
            } else {
                "Kubeconfig file of this cluster's API server, for the Kubernetes objects of the cluster (`dns_upstream`, `external_service`, `lb_service` with `cluster = …` inherit it in the DSL). May be known only at apply. Desired-only: never read from the cluster."
            },
        ),
        Attribute::optional(
            "kubeconfig_context",
            Type::String,
            if object_kind {
                "Context of the kubeconfig to use (default: its `current-context`). Inherited like `kubeconfig_path`."
            } else {
                "Context of the kubeconfig to use for this cluster (default: its `current-context`)."
            },
        ),
    ];
    if object_kind {
        v.push(
            Attribute::optional(
                "force_conflicts",
                Type::Bool,
                "Take the fields another field manager owns instead of failing (server-side apply `force`, as `kubectl apply --server-side --force-conflicts`). Desired-only.",
            )
            .default(Value::Bool(false)),
        );
    }
    v
}

/// `attrs` with `extra` inserted before the first purely computed attribute
/// (settable attributes first, as the docs list them).
pub fn insert_settable(mut attrs: Vec<Attribute>, extra: Vec<Attribute>) -> Vec<Attribute> {
    let at = attrs.iter().position(|a| !a.user_settable()).unwrap_or(attrs.len());
    attrs.splice(at..at, extra);
    attrs
}

/// Sets a computed attribute: `f` runs only when every input is known;
/// an unknown input makes the result unknown. A user-set value is kept.
pub fn derive(attrs: &mut Attrs, name: &str, inputs: &[&str], f: impl FnOnce(&Attrs) -> Value) {
    if !attrs.get(name).is_none_or(Value::is_null) && !attrs.get(name).is_some_and(Value::is_unknown) {
        return;
    }
    let v = if inputs
        .iter()
        .any(|i| attrs.get(*i).is_some_and(|v| !v.is_wholly_known()))
    {
        Value::Unknown
    } else {
        f(attrs)
    };
    attrs.insert(name.to_string(), v);
}

/// Overwrites a purely computed attribute the same way.
pub fn set_computed(attrs: &mut Attrs, name: &str, inputs: &[&str], f: impl FnOnce(&Attrs) -> Value) {
    attrs.insert(name.to_string(), Value::Null);
    derive(attrs, name, inputs, f);
}

/// A computed attribute only the fabric reports (`resource_guid`, …):
/// unknown until it does.
pub fn reported(attrs: &mut Attrs, name: &str) {
    if attrs.get(name).is_none_or(Value::is_null) {
        attrs.insert(name.to_string(), Value::Unknown);
    }
}

pub fn s<'a>(attrs: &'a Attrs, name: &str) -> Option<&'a str> {
    attrs.get(name).and_then(Value::as_str)
}

pub fn i(attrs: &Attrs, name: &str) -> Option<i64> {
    attrs.get(name).and_then(Value::as_i64)
}

/// A CIDR attribute, or a diagnostic at its path when it does not parse.
pub fn cidr(r: &Resource, name: &str, d: &mut Diagnostics) -> Option<Ipv4Net> {
    let s = r.str(name)?;
    match net::parse_cidr(s) {
        Ok(n) => Some(n),
        Err(e) => {
            d.push(Diagnostic::error("invalid-cidr", e).at(&r.address, AttrPath::attr(name)));
            None
        }
    }
}

/// Every parsable CIDR of a list attribute, with its index.
pub fn cidr_list(r: &Resource, name: &str, d: &mut Diagnostics) -> Vec<(usize, Ipv4Net)> {
    let mut out = Vec::new();
    for (idx, v) in r.get(name).as_list().unwrap_or(&[]).iter().enumerate() {
        if let Some(s) = v.as_str() {
            match net::parse_cidr(s) {
                Ok(n) => out.push((idx, n)),
                Err(e) => d.push(Diagnostic::error("invalid-cidr", e).at(&r.address, AttrPath::attr(name).index(idx))),
            }
        }
    }
    out
}

/// The CIDRs of a list attribute, ignoring what does not parse (rules that
/// look at other resources; the owner reports the syntax error).
pub fn cidrs_quiet(r: &Resource, name: &str) -> Vec<(usize, Ipv4Net)> {
    r.get(name)
        .as_list()
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.as_str().and_then(|s| net::parse_cidr(s).ok()).map(|n| (i, n)))
        .collect()
}

pub fn cidr_quiet(r: &Resource, name: &str) -> Option<Ipv4Net> {
    r.str(name).and_then(|s| net::parse_cidr(s).ok())
}

pub fn ip(r: &Resource, name: &str, d: &mut Diagnostics) -> Option<Ipv4Addr> {
    let s = r.str(name)?;
    match net::parse_ip(s) {
        Ok(ip) => Some(ip),
        Err(e) => {
            d.push(Diagnostic::error("invalid-ip", e).at(&r.address, AttrPath::attr(name)));
            None
        }
    }
}

pub fn ip_list(r: &Resource, name: &str, d: &mut Diagnostics) -> Vec<(usize, Ipv4Addr)> {
    let mut out = Vec::new();
    for (idx, v) in r.get(name).as_list().unwrap_or(&[]).iter().enumerate() {
        if let Some(s) = v.as_str() {
            match net::parse_ip(s) {
                Ok(ip) => out.push((idx, ip)),
                Err(e) => d.push(Diagnostic::error("invalid-ip", e).at(&r.address, AttrPath::attr(name).index(idx))),
            }
        }
    }
    out
}

/// Checks a string attribute against a closed set of names.
pub fn one_of(r: &Resource, name: &str, allowed: &[&str], d: &mut Diagnostics) -> Option<String> {
    let v = r.str(name)?;
    if allowed.contains(&v) {
        return Some(v.to_string());
    }
    let mut diag = Diagnostic::error(
        "invalid-value",
        format!("`{name}` is `{v}`; expected one of {}", allowed.join(", ")),
    )
    .at(&r.address, AttrPath::attr(name));
    if let Some(c) = crate::graph::schema::closest(v, allowed) {
        diag = diag.hint(format!("did you mean `{c}`?"));
    }
    d.push(diag);
    None
}

/// A number attribute within bounds.
pub fn bounded(r: &Resource, name: &str, lo: i64, hi: i64, d: &mut Diagnostics) -> Option<i64> {
    let v = r.int(name)?;
    if v < lo || v > hi {
        d.push(
            Diagnostic::error(
                "out-of-range",
                format!("`{name}` is {v}; it must be between {lo} and {hi}"),
            )
            .at(&r.address, AttrPath::attr(name)),
        );
        return None;
    }
    Some(v)
}

/// DNS-1123 subdomain: lowercase labels of [a-z0-9-], dot-separated,
/// each 1..=63, total ≤ 253, no leading/trailing hyphen.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

/// DNS-1035 label (Service names): starts with a letter, [a-z0-9-], ≤ 63.
pub fn is_dns1035_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.as_bytes()[0].is_ascii_lowercase()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.ends_with('-')
}

/// The last segment of an Azure ID (`…/virtualNetworks/hub` → `hub`).
pub fn id_name(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names() {
        assert!(is_dns1123_subdomain("my-company.local"));
        assert!(!is_dns1123_subdomain("My-Company.local"));
        assert!(!is_dns1123_subdomain("-bad.local"));
        assert!(!is_dns1123_subdomain("a..b"));
        assert!(is_dns1035_label("external-random-api"));
        assert!(!is_dns1035_label("1api"));
        assert!(!is_dns1035_label("api.v1"));
    }
}

/// Tags a VNET may carry besides the ones hybridk8s keeps (Azure allows 50
/// per resource; hybridk8s uses up to 6).
pub const MAX_USER_TAGS: usize = 44;

/// The prefix of every tag hybridk8s writes for itself; a user's `tags`
/// may not use it.
pub const OWN_TAG_PREFIX: &str = "hybridk8s-";

/// True for a tag hybridk8s writes for itself (Azure compares tag names
/// without case).
pub fn is_own_tag(name: &str) -> bool {
    name.get(..OWN_TAG_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(OWN_TAG_PREFIX))
}

/// Azure's limits on the user's `tags`, and hybridk8s's reserved prefix.
pub fn tag_rules(r: &Resource, d: &mut Diagnostics) {
    for (name, value) in r.get("tags").as_map().into_iter().flatten() {
        let path = AttrPath::attr("tags").key(name);
        let bad = name.chars().find(|c| "<>%&\\?/".contains(*c));
        let problem = if is_own_tag(name) {
            Some(format!(
                "tag `{name}` uses the `{}` prefix hybridk8s keeps for its own tags (owner, role, subnets)",
                OWN_TAG_PREFIX
            ))
        } else if name.is_empty() || name.chars().count() > 512 {
            Some(format!("tag name `{}` must be 1 to 512 characters", cut(name)))
        } else if let Some(c) = bad {
            Some(format!(
                "tag name `{}` contains `{c}`, which Azure refuses in tag names",
                cut(name)
            ))
        } else if value.as_str().is_some_and(|v| v.chars().count() > 256) {
            Some(format!(
                "the value of tag `{}` is longer than Azure's 256 characters",
                cut(name)
            ))
        } else {
            None
        };
        if let Some(msg) = problem {
            d.push(
                Diagnostic::error("invalid-tag", msg)
                    .at(&r.address, path)
                    .hint("Azure tag names are 1-512 characters without < > % & \\ ? /, values at most 256 characters"),
            );
        }
    }
}

fn cut(s: &str) -> String {
    let (kept, more) = crate::graph::diag::cut(s, 64);
    if more > 0 {
        format!("{kept}…")
    } else {
        kept.to_string()
    }
}
