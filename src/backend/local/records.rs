//! Attribute helpers of the fabric rows, and the JSON form of attributes
//! the stacks store. (The fabric keeps no copy of graph attributes: what
//! only hybridk8s knows lives in the stack or Terraform state.)

use super::Fail;
use crate::graph::{Attrs, Value};

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
