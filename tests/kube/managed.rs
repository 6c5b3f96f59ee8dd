//! `managedFields`: entries keyed by (manager, operation), the Update an
//! ordinary write records, and server-side apply (conflicts with other
//! managers, force, removal of what an applier stopped applying).

use super::fields::{display, from_fields_v1, merge, remove, to_fields_v1, walk, Path};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// One `managedFields` entry.
#[derive(Debug, Clone)]
pub struct Entry {
    pub manager: String,
    pub operation: String,
    pub api_version: String,
    pub time: String,
    pub paths: BTreeSet<Path>,
}

impl Entry {
    pub fn to_json(&self) -> Value {
        json!({
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
            "time": self.time,
            "fieldsType": "FieldsV1",
            "fieldsV1": to_fields_v1(&self.paths),
        })
    }

    /// How a conflict names this manager (`"kubectl" using v1` for an Update).
    pub fn printed(&self) -> String {
        if self.operation == "Update" {
            format!("{:?} using {}", self.manager, self.api_version)
        } else {
            format!("{:?}", self.manager)
        }
    }
}

pub fn entries(obj: &Value) -> Vec<Entry> {
    obj.pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|e| Entry {
                    manager: e["manager"].as_str().unwrap_or("").to_string(),
                    operation: e["operation"].as_str().unwrap_or("Update").to_string(),
                    api_version: e["apiVersion"].as_str().unwrap_or("v1").to_string(),
                    time: e["time"].as_str().unwrap_or("").to_string(),
                    paths: from_fields_v1(&e["fieldsV1"]),
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn set_entries(obj: &mut Value, entries: &[Entry]) {
    let list: Vec<Value> = entries
        .iter()
        .filter(|e| !e.paths.is_empty())
        .map(Entry::to_json)
        .collect();
    if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        if list.is_empty() {
            m.remove("managedFields");
        } else {
            m.insert("managedFields".into(), Value::Array(list));
        }
    }
}

/// Records an Update by `manager`: it owns what it changed; the others lose it.
pub fn record_update(
    kind: &str,
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    api_version: &str,
    now: &str,
    extra_owned: &[Path],
) {
    let mut es = old.map(entries).unwrap_or_default();
    let before = old.map(|o| walk(kind, o)).unwrap_or_default();
    let after = walk(kind, new);
    let mut changed: BTreeSet<Path> = after
        .iter()
        .filter(|(p, v)| before.get(*p) != Some(*v))
        .map(|(p, _)| p.clone())
        .collect();
    changed.retain(|p| !extra_owned.contains(p));
    for e in &mut es {
        e.paths.retain(|p| after.contains_key(p) && !changed.contains(p));
    }
    if !changed.is_empty() {
        match es.iter_mut().find(|e| e.manager == manager && e.operation == "Update") {
            Some(e) => {
                e.paths.extend(changed);
                e.time = now.to_string();
                e.api_version = api_version.to_string();
            }
            None => es.push(Entry {
                manager: manager.to_string(),
                operation: "Update".into(),
                api_version: api_version.to_string(),
                time: now.to_string(),
                paths: changed,
            }),
        }
    }
    set_entries(new, &es);
}

/// A field another manager owns with another value.
#[derive(Debug, Clone)]
pub struct Conflict {
    pub manager: String,
    pub path: String,
}

/// Server-side apply of `cfg` by `manager` onto `live` (None: a new object).
/// Returns the merged object (managedFields set, not yet defaulted) or the
/// conflicts.
pub fn apply(
    kind: &str,
    live: Option<&Value>,
    cfg: &Value,
    manager: &str,
    api_version: &str,
    now: &str,
    force: bool,
) -> Result<Value, Vec<Conflict>> {
    let mut es = live.map(entries).unwrap_or_default();
    let live_walk = live.map(|l| walk(kind, l)).unwrap_or_default();
    let cfg_walk = walk(kind, cfg);
    let mine = |e: &Entry| e.manager == manager && e.operation == "Apply";
    let mut conflicts = Vec::new();
    let mut taken: Vec<(usize, Path)> = Vec::new();
    for (i, e) in es.iter().enumerate() {
        if mine(e) {
            continue;
        }
        for (p, v) in &cfg_walk {
            let Some(v) = v else { continue };
            if e.paths.contains(p) && live_walk.get(p) != Some(&Some(v.clone())) {
                conflicts.push(Conflict {
                    manager: e.printed(),
                    path: display(p),
                });
                taken.push((i, p.clone()));
            }
        }
    }
    if !conflicts.is_empty() && !force {
        return Err(conflicts);
    }
    for (i, p) in taken {
        es[i].paths.remove(&p);
    }
    let mut merged = live.cloned().unwrap_or_else(|| json!({}));
    merge(kind, &mut merged, cfg);
    let before: BTreeSet<Path> = es.iter().find(|e| mine(e)).map(|e| e.paths.clone()).unwrap_or_default();
    let others: BTreeSet<Path> = es
        .iter()
        .filter(|e| !mine(e))
        .flat_map(|e| e.paths.iter().cloned())
        .collect();
    // Shallowest first: a list item goes whole (its key fields are how it
    // is found), and what lay under it needs no further removal.
    let mut gone: Vec<&Path> = before.iter().filter(|p| !cfg_walk.contains_key(*p)).collect();
    gone.sort_by_key(|p| p.len());
    let mut removed: Vec<&Path> = Vec::new();
    for p in gone {
        if removed.iter().any(|r| p.starts_with(r)) {
            continue;
        }
        let shared = others.iter().any(|o| o.starts_with(p));
        if !shared {
            remove(kind, &mut merged, p);
            removed.push(p);
        }
    }
    let paths: BTreeSet<Path> = cfg_walk.keys().cloned().collect();
    match es.iter_mut().find(|e| mine(e)) {
        Some(e) => {
            e.paths = paths;
            e.time = now.to_string();
            e.api_version = api_version.to_string();
        }
        None => es.push(Entry {
            manager: manager.to_string(),
            operation: "Apply".into(),
            api_version: api_version.to_string(),
            time: now.to_string(),
            paths,
        }),
    }
    let after = walk(kind, &merged);
    for e in &mut es {
        e.paths.retain(|p| after.contains_key(p));
    }
    set_entries(&mut merged, &es);
    Ok(merged)
}

/// The 409 message of a failed apply, in the API server's words.
pub fn conflict_message(conflicts: &[Conflict]) -> String {
    let n = conflicts.len();
    let body = if n == 1 {
        format!("conflict with {}: {}", conflicts[0].manager, conflicts[0].path)
    } else {
        let mut by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for c in conflicts {
            by.entry(&c.manager).or_default().push(&c.path);
        }
        let mut lines = Vec::new();
        for (m, ps) in by {
            lines.push(format!("conflicts with {m}:"));
            lines.extend(ps.iter().map(|p| format!("- {p}")));
        }
        lines.join("\n")
    };
    format!(
        "Apply failed with {n} conflict{}: {body}",
        if n == 1 { "" } else { "s" }
    )
}
