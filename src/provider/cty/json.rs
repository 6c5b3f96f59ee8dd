//! cty JSON: the fallback `DynamicValue` encoding and the form of stored
//! state (`UpgradeResourceState.raw_state`). JSON has no unknowns.

use super::{normalize, parse_decimal, step, too_long, too_many, whole, CtyError, CtyType, MAX_ITEMS, MAX_STRING};
use crate::graph::value::{AttrPath, PathStep, Value};
use serde_json::Value as J;
use std::collections::BTreeMap;

/// Reads a JSON value of type `ty`. Attributes the type does not have are
/// dropped (state written by an older schema); missing ones become null.
pub fn decode_json(bytes: &[u8], ty: &CtyType) -> Result<Value, CtyError> {
    let root = AttrPath::root();
    let j: J = serde_json::from_slice(bytes).map_err(|e| CtyError::new(&root, format!("invalid JSON: {e}")))?;
    Ok(normalize(from_json(&j, ty, &root)?, ty))
}

fn from_json(j: &J, ty: &CtyType, path: &AttrPath) -> Result<Value, CtyError> {
    match (j, ty) {
        (J::Array(items), CtyType::List(_) | CtyType::Set(_) | CtyType::Blocks(_)) if items.len() > MAX_ITEMS => {
            return Err(too_many(path, items.len()))
        }
        (J::Object(m), CtyType::Map(_)) if m.len() > MAX_ITEMS => return Err(too_many(path, m.len())),
        (J::String(s), _) if s.len() > MAX_STRING => return Err(too_long(path, s.len())),
        _ => {}
    }
    match (j, ty) {
        (J::Null, _) => Ok(Value::Null),
        (J::Object(m), CtyType::Dynamic) => {
            let t = m
                .get("type")
                .and_then(CtyType::from_json)
                .filter(|t| *t != CtyType::Dynamic)
                .ok_or_else(|| CtyError::new(path, "dynamic value without a type"))?;
            from_json(m.get("value").unwrap_or(&J::Null), &t, path)
        }
        (J::String(s), CtyType::String) => Ok(Value::String(s.clone())),
        (J::Number(n), CtyType::String) => Ok(Value::String(n.to_string())),
        (J::Bool(b), CtyType::String) => Ok(Value::String(b.to_string())),
        (J::Bool(b), CtyType::Bool) => Ok(Value::Bool(*b)),
        (J::String(s), CtyType::Bool) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
        (J::Number(n), CtyType::Number) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Ok(Value::Number(i)),
            (None, Some(f)) => whole(f, path),
            _ => Err(CtyError::new(path, format!("{n} is not a number"))),
        },
        (J::String(s), CtyType::Number) => parse_decimal(s, path),
        (J::Array(items), CtyType::List(e) | CtyType::Set(e) | CtyType::Blocks(e)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| from_json(item, e, &step(path, PathStep::Index(i))))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::List),
        (J::Object(m), CtyType::Map(e)) => m
            .iter()
            .map(|(k, v)| Ok((k.clone(), from_json(v, e, &step(path, PathStep::Key(k.clone())))?)))
            .collect::<Result<BTreeMap<_, _>, CtyError>>()
            .map(Value::Map),
        (J::Object(m), CtyType::Object(fields)) => {
            let mut out = BTreeMap::new();
            for (name, t) in fields {
                if let Some(v) = m.get(name) {
                    out.insert(
                        name.clone(),
                        from_json(v, t, &step(path, PathStep::Attr(name.clone())))?,
                    );
                }
            }
            Ok(Value::Map(out))
        }
        (_, t) => Err(CtyError::new(path, format!("expected {}", t.to_json()))),
    }
}

/// Writes a wholly known value of type `ty` as JSON.
pub fn encode_json(v: &Value, ty: &CtyType) -> Result<Vec<u8>, CtyError> {
    let j = to_json(v, ty, &AttrPath::root())?;
    serde_json::to_vec(&j).map_err(|e| CtyError::new(&AttrPath::root(), e.to_string()))
}

fn to_json(v: &Value, ty: &CtyType, path: &AttrPath) -> Result<J, CtyError> {
    Ok(match (v, ty) {
        (Value::Unknown, _) => return Err(CtyError::new(path, "an unknown value has no JSON form")),
        (Value::Null, CtyType::Blocks(_)) => J::Array(Vec::new()),
        (Value::Null, _) => J::Null,
        (Value::String(s), CtyType::String | CtyType::Dynamic) => J::String(s.clone()),
        (Value::Number(n), CtyType::Number | CtyType::Dynamic) => J::from(*n),
        (Value::Number(n), CtyType::String) => J::String(n.to_string()),
        (Value::Bool(b), CtyType::Bool | CtyType::Dynamic) => J::Bool(*b),
        (Value::List(items), CtyType::List(e) | CtyType::Set(e) | CtyType::Blocks(e)) => J::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| to_json(item, e, &step(path, PathStep::Index(i))))
                .collect::<Result<_, _>>()?,
        ),
        (Value::Map(m), CtyType::Map(e)) => J::Object(
            m.iter()
                .map(|(k, item)| Ok((k.clone(), to_json(item, e, &step(path, PathStep::Key(k.clone())))?)))
                .collect::<Result<_, CtyError>>()?,
        ),
        (Value::Map(m), CtyType::Object(fields)) => J::Object(
            fields
                .iter()
                .map(|(name, t)| {
                    let item = m.get(name).unwrap_or(&Value::Null);
                    Ok((
                        name.clone(),
                        to_json(item, t, &step(path, PathStep::Attr(name.clone())))?,
                    ))
                })
                .collect::<Result<_, CtyError>>()?,
        ),
        (v, CtyType::Dynamic) => v.to_json(),
        (v, t) => return Err(CtyError::new(path, format!("cannot write {v} as {}", t.to_json()))),
    })
}
