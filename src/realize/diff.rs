//! What changed between the object as it is and as it is wanted.

use crate::graph::{kinds, Attrs, Kind, Value};
use std::collections::BTreeSet;

/// One changed top-level attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrChange {
    pub attribute: String,
    pub old: Value,
    pub new: Value,
    pub requires_replace: bool,
}

/// Attributes the fabric reports and the configuration never sets: they
/// never make a change by themselves (see [`replace_reasons`], [`sync_reason`]).
pub const REPORTED: [&str; 2] = ["peering_state", "peering_sync_level"];

/// Null, an empty list and an empty map mean the same: nothing set.
fn is_empty(v: &Value) -> bool {
    v.is_null() || v.as_list().is_some_and(<[Value]>::is_empty) || v.as_map().is_some_and(|m| m.is_empty())
}

/// True when `old` and `new` differ as far as the fabric is concerned.
pub fn differs(old: &Value, new: &Value) -> bool {
    old != new && !(is_empty(old) && is_empty(new))
}

/// Top-level attribute changes from `before` to `after`, sorted by name.
/// Values unknown in `after` (known after apply) are not changes, except
/// where the schema says a change replaces: they may change, so they do.
pub fn changes(kind: Kind, before: &Attrs, after: &Attrs) -> Vec<AttrChange> {
    let schema = kinds::schema(kind);
    let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let mut out = Vec::new();
    for name in names {
        static NULL: Value = Value::Null;
        let new = after.get(name.as_str()).unwrap_or(&NULL);
        let old = before.get(name.as_str()).unwrap_or(&NULL);
        if REPORTED.contains(&name.as_str()) {
            continue;
        }
        // A value the state never knew (an import: the fabric does not
        // observe sizing inputs) is recorded, not changed: no replacement.
        let requires_replace = !is_empty(old)
            && (schema.attribute(name).map(|a| a.requires_replace).unwrap_or(false)
                || schema.block(name).is_some_and(|b| b.requires_replace));
        // Unknown until apply: a change only where any change replaces (the
        // reference of a dependent whose target is replaced).
        if new.is_unknown() && !requires_replace || !new.is_unknown() && !differs(old, new) {
            continue;
        }
        out.push(AttrChange {
            attribute: name.clone(),
            old: old.clone(),
            new: new.clone(),
            requires_replace,
        });
    }
    out
}

/// Why the existing object `live` must be replaced to become what is
/// wanted: a peering that is not Connected (a side was deleted: Azure
/// cannot repair it in place), or a change the schema marks as replacing.
pub fn replace_reasons(kind: Kind, live: &Attrs, changes: &[AttrChange]) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(s) = peering_not_connected(kind, live) {
        out.push(format!("peering is {s}"));
    }
    for c in changes.iter().filter(|c| c.requires_replace) {
        out.push(format!("requires replace: {} changed", c.attribute));
    }
    out
}

/// The state of a peering that is not Connected.
pub fn peering_not_connected(kind: Kind, live: &Attrs) -> Option<&str> {
    let s = live.get("peering_state").and_then(Value::as_str)?;
    (kind == Kind::Peering && s != "Connected").then_some(s)
}

/// Why a peering whose address spaces are out of sync must be updated.
pub fn sync_reason(kind: Kind, live: &Attrs) -> Option<String> {
    let sync = live.get("peering_sync_level").and_then(Value::as_str)?;
    (kind == Kind::Peering && sync != "FullyInSync")
        .then(|| format!("peering_sync_level is {sync}: the peering must be synced"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, Value)]) -> Attrs {
        pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    #[test]
    fn unknown_and_reported_values_are_not_changes() {
        let before = attrs(&[
            ("peering_state", Value::str("Connected")),
            ("name", Value::str("a-to-b")),
            ("use_remote_gateways", Value::Bool(false)),
        ]);
        let after = attrs(&[
            ("peering_state", Value::Unknown),
            ("name", Value::str("a-to-b")),
            ("use_remote_gateways", Value::Bool(true)),
        ]);
        let d = changes(Kind::Peering, &before, &after);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].attribute, "use_remote_gateways");
        assert!(!d[0].requires_replace);
        // A replacing reference that turns unknown (its target is replaced) replaces.
        let before = attrs(&[
            ("cluster_network_id", Value::str("/x")),
            ("allow_forwarded_traffic", Value::Bool(true)),
        ]);
        let after = attrs(&[
            ("cluster_network_id", Value::Unknown),
            ("allow_forwarded_traffic", Value::Unknown),
        ]);
        let d = changes(Kind::Peering, &before, &after);
        assert_eq!(d.len(), 1);
        assert!(d[0].attribute == "cluster_network_id" && d[0].requires_replace);
    }

    #[test]
    fn a_value_the_state_never_knew_is_recorded_in_place() {
        let before = attrs(&[("plugin", Value::Null), ("location", Value::str("westeurope"))]);
        let after = attrs(&[
            ("plugin", Value::str("kubenet")),
            ("location", Value::str("northeurope")),
        ]);
        let d = changes(Kind::ClusterNetwork, &before, &after);
        let by: Vec<(&str, bool)> = d.iter().map(|c| (c.attribute.as_str(), c.requires_replace)).collect();
        assert_eq!(by, [("location", true), ("plugin", false)]);
    }

    #[test]
    fn null_and_empty_collections_are_the_same() {
        let before = attrs(&[("dns_servers", Value::Null), ("subnets", Value::List(vec![]))]);
        let after = attrs(&[("dns_servers", Value::List(vec![])), ("subnets", Value::Null)]);
        assert!(changes(Kind::Hub, &before, &after).is_empty());
        assert!(changes(
            Kind::Hub,
            &attrs(&[("gateway_subnet_cidr", Value::Null)]),
            &Attrs::new()
        )
        .is_empty());
    }

    #[test]
    fn a_disconnected_peering_is_replaced_and_an_unsynced_one_updated() {
        let live = attrs(&[
            ("peering_state", Value::str("Disconnected")),
            ("peering_sync_level", Value::str("LocalNotInSync")),
        ]);
        assert_eq!(replace_reasons(Kind::Peering, &live, &[]), ["peering is Disconnected"]);
        assert!(sync_reason(Kind::Peering, &live).unwrap().contains("LocalNotInSync"));
        assert!(replace_reasons(Kind::Hub, &live, &[]).is_empty());
    }
}
