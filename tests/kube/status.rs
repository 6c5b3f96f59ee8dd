//! `meta.k8s.io/v1` Status bodies, in the API server's words.

use super::kinds::Kind;
use serde_json::{json, Value};

/// An error answer: HTTP status and Status body.
#[derive(Debug, Clone)]
pub struct Status(pub u16, pub Value);

fn body(code: u16, reason: &str, message: String, details: Option<Value>) -> Status {
    let mut v = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": message, "reason": reason, "code": code,
    });
    if let Some(d) = details {
        v["details"] = d;
    }
    Status(code, v)
}

fn details(k: &Kind, name: &str) -> Value {
    let mut d = json!({"name": name, "kind": k.plural});
    if !k.group.is_empty() {
        d["group"] = json!(k.group);
    }
    d
}

pub fn unauthorized() -> Status {
    body(401, "Unauthorized", "Unauthorized".into(), None)
}

pub fn not_found(k: &Kind, name: &str) -> Status {
    body(
        404,
        "NotFound",
        format!("{} {name:?} not found", k.qualified()),
        Some(details(k, name)),
    )
}

pub fn path_not_found() -> Status {
    body(
        404,
        "NotFound",
        "the server could not find the requested resource".into(),
        Some(json!({})),
    )
}

pub fn namespace_not_found(ns: &str) -> Status {
    body(
        404,
        "NotFound",
        format!("namespaces {ns:?} not found"),
        Some(json!({"name": ns, "kind": "namespaces"})),
    )
}

pub fn already_exists(k: &Kind, name: &str) -> Status {
    body(
        409,
        "AlreadyExists",
        format!("{} {name:?} already exists", k.qualified()),
        Some(details(k, name)),
    )
}

pub fn conflict(k: &Kind, name: &str, message: String) -> Status {
    body(409, "Conflict", message, Some(details(k, name)))
}

pub fn modified(k: &Kind, name: &str) -> Status {
    conflict(
        k,
        name,
        format!("Operation cannot be fulfilled on {} {name:?}: the object has been modified; please apply your changes to the latest version and try again", k.qualified()),
    )
}

pub fn apply_conflict(k: &Kind, name: &str, conflicts: &[super::managed::Conflict]) -> Status {
    let causes: Vec<Value> = conflicts
        .iter()
        .map(|c| json!({"reason": "FieldManagerConflict", "message": format!("conflict with {}", c.manager), "field": c.path}))
        .collect();
    let mut d = details(k, name);
    d["causes"] = json!(causes);
    body(409, "Conflict", super::managed::conflict_message(conflicts), Some(d))
}

pub fn bad_request(message: String) -> Status {
    body(400, "BadRequest", message, None)
}

pub fn method_not_allowed() -> Status {
    body(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource".into(),
        Some(json!({})),
    )
}

pub fn unsupported_media(ct: &str) -> Status {
    body(415, "UnsupportedMediaType", format!("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml; got {ct:?}"), None)
}

/// One invalid field: `field`, cause reason, message after the field.
pub struct Cause {
    pub field: String,
    pub reason: &'static str,
    pub message: String,
}

impl Cause {
    pub fn invalid(field: impl Into<String>, value: &Value, why: &str) -> Cause {
        Cause {
            field: field.into(),
            reason: "FieldValueInvalid",
            message: format!("Invalid value: {value}: {why}"),
        }
    }

    pub fn required(field: impl Into<String>) -> Cause {
        Cause {
            field: field.into(),
            reason: "FieldValueRequired",
            message: "Required value".into(),
        }
    }

    pub fn unsupported(field: impl Into<String>, value: &Value, allowed: &[&str]) -> Cause {
        let allowed: Vec<String> = allowed.iter().map(|a| format!("{a:?}")).collect();
        Cause {
            field: field.into(),
            reason: "FieldValueNotSupported",
            message: format!("Unsupported value: {value}: supported values: {}", allowed.join(", ")),
        }
    }
}

pub fn invalid(k: &Kind, name: &str, causes: &[Cause]) -> Status {
    let list: Vec<String> = causes.iter().map(|c| format!("{}: {}", c.field, c.message)).collect();
    let joined = if list.len() == 1 {
        list[0].clone()
    } else {
        format!("[{}]", list.join(", "))
    };
    let mut d = json!({"name": name, "kind": k.kind});
    if !k.group.is_empty() {
        d["group"] = json!(k.group);
    }
    d["causes"] = json!(causes
        .iter()
        .map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field}))
        .collect::<Vec<_>>());
    body(
        422,
        "Invalid",
        format!("{} {name:?} is invalid: {joined}", k.kind),
        Some(d),
    )
}

pub fn too_many(retry_after: u64) -> Status {
    let _ = retry_after;
    body(
        429,
        "TooManyRequests",
        "the server has received too many requests and has asked us to try again later".into(),
        Some(json!({"retryAfterSeconds": 1})),
    )
}

pub fn internal(code: u16) -> Status {
    match code {
        429 => too_many(1),
        503 => body(
            503,
            "ServiceUnavailable",
            "the server is currently unable to handle the request".into(),
            None,
        ),
        c => body(
            c,
            "InternalError",
            "Internal error occurred: injected fault".into(),
            Some(json!({"causes": [{"message": "injected fault"}]})),
        ),
    }
}
