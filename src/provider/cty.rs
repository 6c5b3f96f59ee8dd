//! The cty value codec: Terraform's msgpack and JSON encodings of objects,
//! read and written against a type built from a graph `Schema`.
//!
//! Decoding is lenient where Terraform versions differ (every msgpack
//! extension is an unknown, numbers arrive in any width, as floats or as
//! decimal strings) and strict where a value could be lost (a fraction for a
//! whole-number attribute is an error). Encoding is always msgpack, unknowns as
//! `d4 00 00`, objects with every attribute key. Bad input is an error with
//! the attribute path it concerns, never a panic.

mod json;
mod msgpack;

use crate::graph::schema::{Attribute, Schema};
use crate::graph::value::{AttrPath, PathStep, Type, Value};
use std::fmt;

pub use json::{decode_json, encode_json};

pub use msgpack::{decode_msgpack, encode_msgpack};

/// A longer list or map is refused as it is read, before anything is
/// allocated for it, so decoding costs memory in proportion to what a
/// resource can be.
pub const MAX_ITEMS: usize = crate::graph::schema::MAX_LIST_ITEMS;

/// Nor is any string longer than 1 MiB.
pub const MAX_STRING: usize = 1 << 20;

/// The refusal of a collection of `n` items.
fn too_many(path: &AttrPath, n: usize) -> CtyError {
    CtyError::new(
        path,
        format!("{n} items: this provider takes at most {MAX_ITEMS} in one list or map"),
    )
}

/// The refusal of a string of `n` bytes.
fn too_long(path: &AttrPath, n: usize) -> CtyError {
    CtyError::new(
        path,
        format!("a string of {n} bytes: this provider takes at most {MAX_STRING}"),
    )
}

/// A cty type as Terraform sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CtyType {
    String,
    Number,
    Bool,
    /// A value of any type; on the wire a `[type, value]` pair.
    Dynamic,
    List(Box<CtyType>),
    Set(Box<CtyType>),
    Map(Box<CtyType>),
    Object(Vec<(String, CtyType)>),
    /// A nested block in LIST mode: a list of objects whose null is the
    /// empty list (Terraform never has a null block list).
    Blocks(Box<CtyType>),
}

impl CtyType {
    /// The type of a graph attribute: CIDRs and IPs are strings on the wire.
    pub fn of(t: &Type) -> CtyType {
        match t {
            Type::String | Type::Cidr | Type::Ip => CtyType::String,
            Type::Number => CtyType::Number,
            Type::Bool => CtyType::Bool,
            Type::List(e) => CtyType::List(Box::new(CtyType::of(e))),
            Type::Map(e) => CtyType::Map(Box::new(CtyType::of(e))),
            Type::Object(fields) => {
                CtyType::Object(fields.iter().map(|(n, t)| (n.to_string(), CtyType::of(t))).collect())
            }
        }
    }

    /// The object type of a whole schema: every attribute and every block.
    pub fn of_schema(schema: &Schema) -> CtyType {
        CtyType::of_parts(
            &schema.attrs,
            schema.blocks.iter().map(|b| (b.name, b.attrs.as_slice())),
        )
    }

    /// An object type from attributes and LIST-nested blocks.
    pub fn of_parts<'a>(
        attrs: &[Attribute],
        blocks: impl IntoIterator<Item = (&'static str, &'a [Attribute])>,
    ) -> CtyType {
        let mut fields: Vec<(String, CtyType)> =
            attrs.iter().map(|a| (a.name.to_string(), CtyType::of(&a.ty))).collect();
        // A renamed attribute keeps its former name in the type, deprecated.
        fields.extend(
            attrs
                .iter()
                .filter_map(|a| a.was.map(|old| (old.to_string(), CtyType::of(&a.ty)))),
        );
        for (name, battrs) in blocks {
            let item = CtyType::of_parts(battrs, []);
            fields.push((name.to_string(), CtyType::Blocks(Box::new(item))));
        }
        CtyType::Object(fields)
    }

    /// Terraform's JSON spelling of the type (`"string"`, `["list","string"]`).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            CtyType::String => json!("string"),
            CtyType::Number => json!("number"),
            CtyType::Bool => json!("bool"),
            CtyType::Dynamic => json!("dynamic"),
            CtyType::List(e) | CtyType::Blocks(e) => json!(["list", e.to_json()]),
            CtyType::Set(e) => json!(["set", e.to_json()]),
            CtyType::Map(e) => json!(["map", e.to_json()]),
            CtyType::Object(fields) => {
                let m: serde_json::Map<String, serde_json::Value> =
                    fields.iter().map(|(n, t)| (n.clone(), t.to_json())).collect();
                json!(["object", m])
            }
        }
    }

    /// Parses Terraform's JSON spelling of a type (used by `dynamic` values).
    pub fn from_json(v: &serde_json::Value) -> Option<CtyType> {
        use serde_json::Value as J;
        match v {
            J::String(s) => match s.as_str() {
                "string" => Some(CtyType::String),
                "number" => Some(CtyType::Number),
                "bool" => Some(CtyType::Bool),
                "dynamic" => Some(CtyType::Dynamic),
                _ => None,
            },
            J::Array(a) if a.len() == 2 => {
                let kind = a[0].as_str()?;
                match kind {
                    "list" => Some(CtyType::List(Box::new(CtyType::from_json(&a[1])?))),
                    "set" => Some(CtyType::Set(Box::new(CtyType::from_json(&a[1])?))),
                    "map" => Some(CtyType::Map(Box::new(CtyType::from_json(&a[1])?))),
                    "object" => {
                        let m = a[1].as_object()?;
                        let fields = m
                            .iter()
                            .map(|(k, t)| Some((k.clone(), CtyType::from_json(t)?)))
                            .collect::<Option<Vec<_>>>()?;
                        Some(CtyType::Object(fields))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// Why bytes could not be read as a value of a type, or a value written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtyError {
    /// The attribute concerned (root when the whole value is bad).
    pub path: AttrPath,
    pub message: String,
}

impl CtyError {
    pub(crate) fn new(path: &AttrPath, message: impl Into<String>) -> Self {
        CtyError {
            path: path.clone(),
            message: message.into(),
        }
    }
}

impl fmt::Display for CtyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_root() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for CtyError {}

/// Extends a path by one step (paths are small; cloning is fine).
pub(crate) fn step(path: &AttrPath, s: PathStep) -> AttrPath {
    let mut p = path.clone();
    p.0.push(s);
    p
}

/// A number attribute from a decimal string: whole numbers only.
pub(crate) fn parse_decimal(s: &str, path: &AttrPath) -> Result<Value, CtyError> {
    let t = s.trim();
    if let Ok(n) = t.parse::<i64>() {
        return Ok(Value::Number(n));
    }
    match t.parse::<f64>() {
        Ok(f) => whole(f, path),
        Err(_) => Err(CtyError::new(path, format!("`{s}` is not a number"))),
    }
}

/// A float that must be a whole number within i64.
pub(crate) fn whole(f: f64, path: &AttrPath) -> Result<Value, CtyError> {
    if f.fract() == 0.0 && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
        Ok(Value::Number(f as i64))
    } else {
        Err(CtyError::new(
            path,
            format!("{f} is not a whole number; this attribute takes whole numbers only"),
        ))
    }
}

/// Makes a decoded object complete for its type: every field present (null
/// when missing), null block lists as empty lists, recursively.
pub fn normalize(v: Value, ty: &CtyType) -> Value {
    match (v, ty) {
        (Value::Null, CtyType::Blocks(_)) => Value::List(Vec::new()),
        (Value::List(items), CtyType::List(e) | CtyType::Set(e) | CtyType::Blocks(e)) => {
            Value::List(items.into_iter().map(|i| normalize(i, e)).collect())
        }
        (Value::Map(m), CtyType::Map(e)) => Value::Map(m.into_iter().map(|(k, v)| (k, normalize(v, e))).collect()),
        (Value::Map(mut m), CtyType::Object(fields)) => {
            let mut out = std::collections::BTreeMap::new();
            for (name, t) in fields {
                let v = m.remove(name).unwrap_or(Value::Null);
                out.insert(name.clone(), normalize(v, t));
            }
            Value::Map(out)
        }
        (v, _) => v,
    }
}

#[cfg(test)]
mod tests;
