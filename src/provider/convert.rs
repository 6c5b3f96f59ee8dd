//! The edge between generated types and graph values: dynamic values,
//! diagnostics and attribute paths.

use super::cty::{self, CtyError, CtyType};
use super::proto::tfplugin5 as pb;
use crate::graph::diag::{Diagnostic, Severity};
use crate::graph::value::{AttrPath, PathStep, Value};
use crate::graph::Kind;
use pb::attribute_path::step::Selector;

/// Decodes a DynamicValue: msgpack, else JSON, else (both empty) null.
pub fn decode(dv: Option<&pb::DynamicValue>, ty: &CtyType) -> Result<Value, CtyError> {
    match dv {
        Some(d) if !d.msgpack.is_empty() => cty::decode_msgpack(&d.msgpack, ty),
        Some(d) if !d.json.is_empty() => cty::decode_json(&d.json, ty),
        _ => Ok(Value::Null),
    }
}

/// Encodes a value as a msgpack DynamicValue.
pub fn encode(v: &Value, ty: &CtyType) -> Result<pb::DynamicValue, CtyError> {
    Ok(pb::DynamicValue {
        msgpack: cty::encode_msgpack(v, ty)?,
        json: vec![],
    })
}

/// A graph attribute path as tfplugin5 steps.
pub fn path(p: &AttrPath) -> pb::AttributePath {
    pb::AttributePath {
        steps: p
            .0
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    PathStep::Attr(a) => Selector::AttributeName(a.clone()),
                    PathStep::Index(i) => Selector::ElementKeyInt(*i as i64),
                    PathStep::Key(k) => Selector::ElementKeyString(k.clone()),
                }),
            })
            .collect(),
    }
}

/// A resource object Terraform sent (state or plan): a former attribute
/// name folded into the attribute it became.
pub fn folded(kind: Kind, v: Value) -> Value {
    match v {
        Value::Map(mut m) => {
            let schema = crate::graph::kinds::schema(kind);
            let _ = schema.fold_aliases(&crate::graph::Address::new(kind, "state"), &mut m);
            Value::Map(m)
        }
        other => other,
    }
}

/// A resource object for Terraform: each former name holds its attribute's value.
pub fn mirrored(kind: Kind, v: &Value) -> Value {
    match v {
        Value::Map(m) => {
            let mut m = m.clone();
            crate::graph::kinds::schema(kind).mirror_aliases(&mut m);
            Value::Map(m)
        }
        other => other.clone(),
    }
}

/// A graph diagnostic as a tfplugin5 diagnostic: the summary, then the hint
/// and related objects as detail, with the attribute path.
pub fn diagnostic(d: &Diagnostic) -> pb::Diagnostic {
    let mut detail: Vec<String> = d
        .related
        .iter()
        .map(|r| format!("see {}: {}", r.address, r.label))
        .collect();
    if let Some(h) = &d.hint {
        detail.insert(0, h.clone());
    }
    pb::Diagnostic {
        severity: match d.severity {
            Severity::Error => pb::diagnostic::Severity::Error,
            Severity::Warning => pb::diagnostic::Severity::Warning,
        } as i32,
        summary: bounded(&d.summary),
        detail: bounded(&detail.join("\n")),
        attribute: (!d.path.is_root()).then(|| path(&d.path)),
    }
}

/// The longest message text sent: a message quoting a megabyte value says
/// no more than its first few thousand characters.
const MAX_MESSAGE_CHARS: usize = 4096;

fn bounded(text: &str) -> String {
    match crate::graph::diag::cut(text, MAX_MESSAGE_CHARS) {
        (kept, 0) => kept.to_string(),
        (kept, more) => format!("{kept}… ({more} more bytes)"),
    }
}

pub fn diagnostics<'a>(ds: impl IntoIterator<Item = &'a Diagnostic>) -> Vec<pb::Diagnostic> {
    ds.into_iter().map(diagnostic).collect()
}

/// A value that could not be read or written, as a diagnostic at its path.
pub fn cty_error(what: &str, e: &CtyError) -> pb::Diagnostic {
    pb::Diagnostic {
        severity: pb::diagnostic::Severity::Error as i32,
        summary: format!("{what}: {}", e.message),
        detail: String::new(),
        attribute: (!e.path.is_root()).then(|| path(&e.path)),
    }
}

/// An error diagnostic without a path.
pub fn error(summary: impl Into<String>) -> pb::Diagnostic {
    pb::Diagnostic {
        severity: pb::diagnostic::Severity::Error as i32,
        summary: summary.into(),
        detail: String::new(),
        attribute: None,
    }
}
