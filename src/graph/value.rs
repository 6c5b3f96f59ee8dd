//! Three-valued attribute values (known / null / unknown) and their types.
//!
//! Terraform sends unknowns while planning; the DSL never does. Both front
//! ends produce these values so the rules and the engine see one shape.

use std::collections::BTreeMap;
use std::fmt;

/// An attribute value. Maps are ordered so every output is deterministic.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Value {
    /// Not known until apply ("known after apply").
    Unknown,
    /// Explicitly absent.
    #[default]
    Null,
    Bool(bool),
    /// Whole numbers only: every numeric attribute of hybridk8s is a count.
    Number(i64),
    String(String),
    List(Vec<Value>),
    /// Maps and objects (nested block items) alike.
    Map(BTreeMap<String, Value>),
}

impl Value {
    pub fn str(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn list_of_str<I, S>(items: I) -> Value
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Value::List(items.into_iter().map(|s| Value::String(s.into())).collect())
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// True when neither this value nor anything inside it is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(items) => items.iter().all(Value::is_wholly_known),
            Value::Map(m) => m.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The strings of a list value, skipping anything that is not a known string.
    pub fn strings(&self) -> Vec<&str> {
        self.as_list()
            .map(|items| items.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// Converts to JSON; unknowns become the marker `"(known after apply)"`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Unknown => serde_json::Value::String(UNKNOWN_MARKER.into()),
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => serde_json::Value::from(*n),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::List(items) => serde_json::Value::Array(items.iter().map(Value::to_json).collect()),
            Value::Map(m) => serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }

    /// Converts from JSON. Never an unknown: every string, the marker
    /// `"(known after apply)"` too, is a string.
    pub fn from_json(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            // Whole numbers only; anything else stays visible (as text) so the
            // type check reports it instead of a silent truncation.
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Number(i),
                None => match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::Number(f as i64),
                    _ => Value::String(n.to_string()),
                },
            },
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(items) => Value::List(items.iter().map(|i| Value::from_json(i)).collect()),
            serde_json::Value::Object(m) => {
                Value::Map(m.iter().map(|(k, v)| (k.clone(), Value::from_json(v))).collect())
            }
        }
    }
}

/// How unknown values are written in JSON output (graph-json, plans).
pub const UNKNOWN_MARKER: &str = "(known after apply)";

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Unknown => f.write_str(UNKNOWN_MARKER),
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Map(m) => {
                f.write_str("{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k:?} = {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// The type of an attribute. CIDRs and IPs are strings on the wire
/// (Terraform) but typed literals in the DSL; rules parse them with `ipnet`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    String,
    Number,
    Bool,
    /// An IPv4 prefix such as `10.40.0.0/16`.
    Cidr,
    /// An IPv4 address.
    Ip,
    List(Box<Type>),
    Map(Box<Type>),
    /// An object with fixed attribute names (items of a nested block).
    Object(Vec<(&'static str, Type)>),
}

impl Type {
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }

    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }

    /// The name users see in diagnostics.
    pub fn describe(&self) -> String {
        match self {
            Type::String => "string".into(),
            Type::Number => "number".into(),
            Type::Bool => "bool".into(),
            Type::Cidr => "cidr".into(),
            Type::Ip => "ip".into(),
            Type::List(t) => format!("list({})", t.describe()),
            Type::Map(t) => format!("map({})", t.describe()),
            Type::Object(_) => "object".into(),
        }
    }

    /// Checks the shape of a value (not CIDR/IP syntax: rules do that with
    /// a better message). Returns the path suffix and the expected type on
    /// the first mismatch.
    pub fn check(&self, v: &Value) -> Result<(), (Vec<PathStep>, String)> {
        match (self, v) {
            (_, Value::Null) | (_, Value::Unknown) => Ok(()),
            (Type::String | Type::Cidr | Type::Ip, Value::String(_)) => Ok(()),
            (Type::Number, Value::Number(_)) => Ok(()),
            (Type::Bool, Value::Bool(_)) => Ok(()),
            (Type::List(t), Value::List(items)) => {
                for (i, item) in items.iter().enumerate() {
                    t.check(item).map_err(|(mut p, e)| {
                        p.insert(0, PathStep::Index(i));
                        (p, e)
                    })?;
                }
                Ok(())
            }
            (Type::Map(t), Value::Map(m)) => {
                for (k, item) in m {
                    t.check(item).map_err(|(mut p, e)| {
                        p.insert(0, PathStep::Key(k.clone()));
                        (p, e)
                    })?;
                }
                Ok(())
            }
            (Type::Object(fields), Value::Map(m)) => {
                for (k, item) in m {
                    match fields.iter().find(|(n, _)| n == k) {
                        Some((_, t)) => t.check(item).map_err(|(mut p, e)| {
                            p.insert(0, PathStep::Attr(k.clone()));
                            (p, e)
                        })?,
                        None => return Err((vec![PathStep::Attr(k.clone())], "no such attribute".into())),
                    }
                }
                Ok(())
            }
            (t, _) => Err((vec![], t.describe())),
        }
    }
}

/// One step of an attribute path: `ports[0].port`, `stub_domains["corp.local"]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathStep {
    Attr(String),
    Index(usize),
    Key(String),
}

/// A path into a resource's attributes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct AttrPath(pub Vec<PathStep>);

impl AttrPath {
    pub fn root() -> Self {
        AttrPath(Vec::new())
    }

    pub fn attr(name: &str) -> Self {
        AttrPath(vec![PathStep::Attr(name.to_string())])
    }

    pub fn index(mut self, i: usize) -> Self {
        self.0.push(PathStep::Index(i));
        self
    }

    pub fn key(mut self, k: &str) -> Self {
        self.0.push(PathStep::Key(k.to_string()));
        self
    }

    pub fn then(mut self, name: &str) -> Self {
        self.0.push(PathStep::Attr(name.to_string()));
        self
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The first attribute name of the path, if any.
    pub fn head(&self) -> Option<&str> {
        match self.0.first() {
            Some(PathStep::Attr(a)) => Some(a),
            _ => None,
        }
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Attr(a) if i == 0 => f.write_str(a)?,
                PathStep::Attr(a) => write!(f, ".{a}")?,
                PathStep::Index(n) => write!(f, "[{n}]")?,
                PathStep::Key(k) => write!(f, "[{k:?}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_print_like_terraform() {
        let p = AttrPath::attr("ports").index(0).then("port");
        assert_eq!(p.to_string(), "ports[0].port");
        assert_eq!(
            AttrPath::attr("stub_domains").key("corp.local").to_string(),
            "stub_domains[\"corp.local\"]"
        );
    }

    #[test]
    fn type_check_reports_the_path() {
        let t = Type::list(Type::Number);
        let v = Value::List(vec![Value::Number(1), Value::str("x")]);
        let (path, want) = t.check(&v).unwrap_err();
        assert_eq!(path, vec![PathStep::Index(1)]);
        assert_eq!(want, "number");
    }

    #[test]
    fn unknown_inside_is_not_wholly_known() {
        assert!(!Value::List(vec![Value::Unknown]).is_wholly_known());
        assert!(Value::List(vec![Value::Null]).is_wholly_known());
    }
}
