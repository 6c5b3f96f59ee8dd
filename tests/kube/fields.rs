//! Field paths as the API server keeps them (FieldsV1): the owned paths of
//! an object, keyed lists (`k:{"port":80,"protocol":"TCP"}`), `.` for owned
//! nodes that also have children, and the merge of an applied object.

use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// A path of FieldsV1 tokens (`f:spec`, `k:{...}`).
pub type Path = Vec<String>;
/// Owned paths; a leaf's value is `Some`.
pub type Walk = BTreeMap<Path, Option<Value>>;

/// The key fields of a keyed list at `names` (field names from the root,
/// list items skipped), or None for an atomic list.
fn list_keys(kind: &str, names: &[&str]) -> Option<&'static [&'static str]> {
    match (kind, names) {
        ("Service", ["spec", "ports"]) => Some(&["port", "protocol"]),
        ("EndpointSlice", ["ports"]) => Some(&["name", "protocol"]),
        (_, ["metadata", "ownerReferences"]) => Some(&["uid"]),
        (_, [.., "containers"]) | (_, [.., "initContainers"]) => Some(&["name"]),
        (_, [.., "containers", "ports"]) => Some(&["containerPort", "protocol"]),
        (_, [.., "env"]) => Some(&["name"]),
        _ => None,
    }
}

/// Maps whose entries are free keys (owned as a node, with `.`).
fn is_map(names: &[&str]) -> bool {
    matches!(
        names.last().copied(),
        Some("labels" | "annotations" | "data" | "binaryData" | "matchLabels" | "nodeSelector")
    )
}

fn skipped(names: &[&str]) -> bool {
    matches!(
        names,
        ["apiVersion"]
            | ["kind"]
            | ["status"]
            | [
                "metadata",
                "name" | "namespace" | "uid" | "resourceVersion" | "generation"
            ]
            | [
                "metadata",
                "creationTimestamp" | "managedFields" | "deletionTimestamp" | "selfLink"
            ]
    )
}

/// The key of a keyed-list item; a missing `protocol` is TCP, as defaulted.
pub fn item_key(item: &Value, keys: &[&str]) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = keys
        .iter()
        .filter_map(|k| match item.get(*k) {
            Some(v) => Some((k.to_string(), v.clone())),
            None if *k == "protocol" => Some((k.to_string(), json!("TCP"))),
            None => None,
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn key_token(key: &[(String, Value)]) -> String {
    let m: Map<String, Value> = key.iter().cloned().collect();
    format!("k:{}", Value::Object(m))
}

/// Every owned path of `obj` with leaf values.
pub fn walk(kind: &str, obj: &Value) -> Walk {
    let mut out = Walk::new();
    walk_into(kind, obj, &mut Vec::new(), &mut Vec::new(), &mut out);
    out
}

fn walk_into<'a>(kind: &str, v: &'a Value, names: &mut Vec<&'a str>, path: &mut Path, out: &mut Walk) {
    match v {
        Value::Object(m) if names.is_empty() || !m.is_empty() || is_map(names) => {
            if !names.is_empty() && is_map(names) {
                out.insert(path.clone(), None);
            }
            for (k, child) in m {
                names.push(k);
                if !skipped(names) {
                    path.push(format!("f:{k}"));
                    walk_into(kind, child, names, path, out);
                    path.pop();
                }
                names.pop();
            }
        }
        Value::Array(items) => match list_keys(kind, names) {
            Some(keys) => {
                out.insert(path.clone(), None);
                for item in items {
                    path.push(key_token(&item_key(item, keys)));
                    out.insert(path.clone(), None);
                    if let Value::Object(m) = item {
                        for (k, child) in m {
                            names.push(k);
                            path.push(format!("f:{k}"));
                            walk_into(kind, child, names, path, out);
                            path.pop();
                            names.pop();
                        }
                    }
                    path.pop();
                }
            }
            None => {
                out.insert(path.clone(), Some(v.clone()));
            }
        },
        _ => {
            out.insert(path.clone(), Some(v.clone()));
        }
    }
}

/// FieldsV1 of a set of owned paths.
pub fn to_fields_v1(paths: &BTreeSet<Path>) -> Value {
    let mut root = Map::new();
    for p in paths {
        let mut node = &mut root;
        for t in p {
            node = node
                .entry(t.clone())
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("object");
        }
    }
    // An owned node with children is marked with `.`.
    fn mark(node: &mut Map<String, Value>, path: &mut Path, paths: &BTreeSet<Path>) {
        for (k, child) in node.iter_mut() {
            path.push(k.clone());
            if let Value::Object(m) = child {
                if !m.is_empty() {
                    mark(m, path, paths);
                    if paths.contains(path) {
                        m.insert(".".into(), json!({}));
                    }
                }
            }
            path.pop();
        }
    }
    mark(&mut root, &mut Vec::new(), paths);
    Value::Object(root)
}

/// The owned paths of a FieldsV1 value.
pub fn from_fields_v1(v: &Value) -> BTreeSet<Path> {
    fn go(v: &Value, path: &mut Path, out: &mut BTreeSet<Path>) {
        let Some(m) = v.as_object() else { return };
        if (m.is_empty() || m.contains_key(".")) && !path.is_empty() {
            out.insert(path.clone());
        }
        for (k, child) in m {
            if k != "." {
                path.push(k.clone());
                go(child, path, out);
                path.pop();
            }
        }
    }
    let mut out = BTreeSet::new();
    go(v, &mut Vec::new(), &mut out);
    out
}

/// A path as the API server prints it: `.spec.ports[port=80,protocol="TCP"].targetPort`.
pub fn display(path: &Path) -> String {
    let mut s = String::new();
    for t in path {
        if let Some(f) = t.strip_prefix("f:") {
            s.push('.');
            s.push_str(f);
        } else if let Some(k) = t.strip_prefix("k:") {
            let m: Map<String, Value> = serde_json::from_str(k).unwrap_or_default();
            let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
            s.push_str(&format!("[{}]", parts.join(",")));
        }
    }
    s
}

/// Merges an applied (or patch) object into `live`: maps merge, keyed lists
/// merge item by item, everything else is replaced.
pub fn merge(kind: &str, live: &mut Value, cfg: &Value) {
    merge_at(kind, live, cfg, &mut Vec::new());
}

/// [`merge`] at a position given by the field names from the root.
pub fn merge_at(kind: &str, live: &mut Value, cfg: &Value, names: &mut Vec<String>) {
    match (live, cfg) {
        (Value::Object(l), Value::Object(c)) => {
            for (k, cv) in c {
                names.push(k.clone());
                match l.get_mut(k) {
                    Some(lv) => merge_at(kind, lv, cv, names),
                    None => {
                        l.insert(k.clone(), cv.clone());
                    }
                }
                names.pop();
            }
        }
        (l @ Value::Array(_), Value::Array(c)) => {
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            match list_keys(kind, &refs) {
                Some(keys) => {
                    let Value::Array(items) = l else { unreachable!("array") };
                    for ci in c {
                        let key = item_key(ci, keys);
                        match items.iter_mut().find(|li| item_key(li, keys) == key) {
                            Some(li) => merge_at(kind, li, ci, names),
                            None => items.push(ci.clone()),
                        }
                    }
                }
                None => *l = Value::Array(c.clone()),
            }
        }
        (l, c) => *l = c.clone(),
    }
}

/// Removes the node at `path` from `obj` (a keyed-list item by its key).
pub fn remove(kind: &str, obj: &mut Value, path: &[String]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    let mut node = obj;
    for t in parent {
        match step(node, t) {
            Some(n) => node = n,
            None => return,
        }
    }
    let _ = kind;
    if let Some(f) = last.strip_prefix("f:") {
        if let Some(m) = node.as_object_mut() {
            m.remove(f);
        }
    } else if let Some(k) = last.strip_prefix("k:") {
        let want: Map<String, Value> = serde_json::from_str(k).unwrap_or_default();
        let want: Vec<(String, Value)> = want.into_iter().collect();
        let keys: Vec<String> = want.iter().map(|(k, _)| k.clone()).collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        if let Some(items) = node.as_array_mut() {
            items.retain(|i| item_key(i, &keys) != want);
        }
    }
}

fn step<'a>(node: &'a mut Value, t: &str) -> Option<&'a mut Value> {
    if let Some(f) = t.strip_prefix("f:") {
        node.get_mut(f)
    } else if let Some(k) = t.strip_prefix("k:") {
        let want: Map<String, Value> = serde_json::from_str(k).ok()?;
        let want: Vec<(String, Value)> = want.into_iter().collect();
        let keys: Vec<String> = want.iter().map(|(k, _)| k.clone()).collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        node.as_array_mut()?.iter_mut().find(|i| item_key(i, &keys) == want)
    } else {
        None
    }
}
