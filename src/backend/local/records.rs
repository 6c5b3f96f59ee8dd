//! Attribute helpers of the fabric rows, and the JSON form of attributes
//! the stacks store. (The fabric keeps no copy of graph attributes: what
//! only hybridk8s knows lives in the stack or Terraform state.)

use super::Fail;
use crate::graph::{Attrs, Value};

/// The key, beside the attributes, that lists where the unknown values
/// are (no attribute name starts with `$`). Written always, so that its
/// absence marks a stack written before it (where unknowns were the marker
/// string).
const UNKNOWN_KEY: &str = "$unknown";

/// Attributes as a JSON object: an unknown value (a pending create's
/// computed attributes) is stored as null and its path listed under
/// `$unknown`, so no user string is ever mistaken for one.
pub fn attrs_to_json(attrs: &Attrs) -> String {
    fn walk(v: &Value, path: &mut Vec<serde_json::Value>, unknown: &mut Vec<serde_json::Value>) -> serde_json::Value {
        match v {
            Value::Unknown => {
                unknown.push(serde_json::Value::Array(path.clone()));
                serde_json::Value::Null
            }
            Value::List(items) => serde_json::Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        path.push(i.into());
                        let out = walk(item, path, unknown);
                        path.pop();
                        out
                    })
                    .collect(),
            ),
            Value::Map(m) => serde_json::Value::Object(
                m.iter()
                    .map(|(k, item)| {
                        path.push(k.as_str().into());
                        let out = walk(item, path, unknown);
                        path.pop();
                        (k.clone(), out)
                    })
                    .collect(),
            ),
            v => v.to_json(),
        }
    }
    let mut unknown = Vec::new();
    let mut out = serde_json::Map::new();
    for (k, v) in attrs {
        let mut path = vec![serde_json::Value::from(k.as_str())];
        out.insert(k.clone(), walk(v, &mut path, &mut unknown));
    }
    out.insert(UNKNOWN_KEY.into(), serde_json::Value::Array(unknown));
    serde_json::Value::Object(out).to_string()
}

/// The inverse of [`attrs_to_json`]: every string is the user's string,
/// `"(known after apply)"` too. (A stack written before `$unknown` held
/// unknowns as that marker, and is read so.)
pub fn attrs_from_json(s: &str) -> Result<Attrs, String> {
    let mut v: serde_json::Value = serde_json::from_str(s).map_err(|e| format!("corrupt attributes: {e}"))?;
    let Some(obj) = v.as_object_mut() else {
        return Err("corrupt attributes: not an object".into());
    };
    let Some(unknown) = obj.remove(UNKNOWN_KEY) else {
        return Ok(legacy(&v));
    };
    let Value::Map(mut m) = Value::from_json(&v) else {
        return Err("corrupt attributes: not an object".into());
    };
    for path in unknown.as_array().into_iter().flatten() {
        let steps = path
            .as_array()
            .ok_or("corrupt attributes: an unknown path is not a list")?;
        let mut at: Option<&mut Value> = None;
        for (i, step) in steps.iter().enumerate() {
            at = match (i, at, step) {
                (0, _, serde_json::Value::String(k)) => m.get_mut(k),
                (_, Some(Value::Map(inner)), serde_json::Value::String(k)) => inner.get_mut(k),
                (_, Some(Value::List(items)), serde_json::Value::Number(n)) => {
                    n.as_u64().and_then(|n| items.get_mut(usize::try_from(n).ok()?))
                }
                _ => None,
            };
            if at.is_none() {
                return Err(format!("corrupt attributes: unknown path {path} names no value"));
            }
        }
        if let Some(slot) = at {
            *slot = Value::Unknown;
        }
    }
    Ok(m)
}

/// A stack written before `$unknown`: unknowns were the marker string.
fn legacy(v: &serde_json::Value) -> Attrs {
    fn marker(v: Value) -> Value {
        match v {
            Value::String(s) if s == crate::graph::value::UNKNOWN_MARKER => Value::Unknown,
            Value::List(items) => Value::List(items.into_iter().map(marker).collect()),
            Value::Map(m) => Value::Map(m.into_iter().map(|(k, v)| (k, marker(v))).collect()),
            v => v,
        }
    }
    match marker(Value::from_json(v)) {
        Value::Map(m) => m,
        _ => Attrs::new(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_equal_to_the_unknown_marker_stays_a_string() {
        let marker = crate::graph::value::UNKNOWN_MARKER;
        let mut a = Attrs::new();
        a.insert("note".into(), Value::str(marker));
        a.insert("state".into(), Value::Unknown);
        a.insert("list".into(), Value::List(vec![Value::Unknown, Value::str(marker)]));
        let nested = Value::Map([("k".to_string(), Value::List(vec![Value::Unknown]))].into());
        a.insert("map".into(), nested);
        let text = attrs_to_json(&a);
        assert_eq!(attrs_from_json(&text).unwrap(), a, "{text}");
        // A stack written before `$unknown` reads its markers as unknowns.
        let old = attrs_from_json(&format!(r#"{{"state":"{marker}","n":1}}"#)).unwrap();
        assert_eq!(old["state"], Value::Unknown);
        assert!(attrs_from_json(r#"{"$unknown":[["missing"]]}"#).is_err());
        assert!(attrs_from_json("[1]").is_err());
    }
}
