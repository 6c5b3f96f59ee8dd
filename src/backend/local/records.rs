//! The graph attributes of each resource the fabric holds (table
//! `resources`), and the JSON form of attributes shared with stacks.

use super::Fail;
use crate::graph::{Attrs, Kind, Value};
use rusqlite::{params, OptionalExtension, Transaction};

/// Attributes as a JSON object (unknowns as the marker string).
pub fn attrs_to_json(attrs: &Attrs) -> String {
    serde_json::Value::Object(attrs.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()).to_string()
}

/// The inverse of [`attrs_to_json`].
pub fn attrs_from_json(s: &str) -> Result<Attrs, String> {
    let v: serde_json::Value = serde_json::from_str(s).map_err(|e| format!("corrupt attributes: {e}"))?;
    match Value::from_json(&v, true) {
        Value::Map(m) => Ok(m),
        _ => Err("corrupt attributes: not an object".into()),
    }
}

/// A JSON list of strings, as stored in list columns.
pub fn strings_to_json(items: &[String]) -> String {
    serde_json::Value::from(items.to_vec()).to_string()
}

pub fn strings_from_json(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

pub fn put(tx: &Transaction, kind: Kind, id: &str, attrs: &Attrs) -> Result<(), Fail> {
    tx.execute(
        "INSERT INTO resources (id, kind, attrs) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, attrs = excluded.attrs",
        params![id, kind.keyword(), attrs_to_json(attrs)],
    )?;
    Ok(())
}

pub fn get(tx: &Transaction, id: &str) -> Result<Option<Attrs>, Fail> {
    let s: Option<String> = tx
        .query_row("SELECT attrs FROM resources WHERE id = ?1", [id], |r| r.get(0))
        .optional()?;
    s.map(|s| attrs_from_json(&s).map_err(Fail::Corrupt)).transpose()
}

pub fn remove(tx: &Transaction, id: &str) -> Result<(), Fail> {
    tx.execute("DELETE FROM resources WHERE id = ?1", [id])?;
    Ok(())
}

/// A required string attribute, known.
pub fn need<'a>(attrs: &'a Attrs, name: &str) -> Result<&'a str, Fail> {
    attrs
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| Fail::Missing(name.to_string()))
}

/// A list-of-strings attribute (missing or null = empty).
pub fn strings(attrs: &Attrs, name: &str) -> Vec<String> {
    attrs
        .get(name)
        .map(|v| v.strings().into_iter().map(str::to_string).collect())
        .unwrap_or_default()
}

pub fn flag(attrs: &Attrs, name: &str, default: bool) -> bool {
    attrs.get(name).and_then(Value::as_bool).unwrap_or(default)
}
