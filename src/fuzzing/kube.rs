//! The `kube_answer` target: what the Kubernetes plane decodes from an API
//! server — a status and a body (a `Status`, an object, or anything) — and
//! the manifests it parses. Nothing panics; a conflict names non-empty
//! managers; a refusal names its status; projecting an object onto itself
//! gives it back.

use crate::backend::kube::call::{conflicts, refused, Answer};
use crate::backend::kube::cluster::At;
use crate::backend::kube::read::project;
use crate::backend::{objects, BackendError, Op};
use serde_json::Value as J;

/// The first two bytes are the HTTP status (big-endian, folded into
/// 100..=599); the rest is the body (JSON when it parses, else text), and
/// also a manifest.
pub fn kube_answer(data: &[u8]) {
    let (status, rest) = match data {
        [a, b, rest @ ..] => (100 + u16::from_be_bytes([*a, *b]) % 500, rest),
        _ => (409, data),
    };
    let text = String::from_utf8_lossy(rest);
    let body = serde_json::from_slice::<J>(rest).unwrap_or_else(|_| J::String(text.to_string()));
    let answer = Answer { status, body };
    let at = At {
        op: Op::Updating,
        noun: "Kubernetes Service",
        id: "/fuzz",
    };
    if let Some((managers, _)) = conflicts(&answer) {
        assert!(!managers.is_empty(), "a conflict names a manager");
    }
    match refused(&at, &answer) {
        BackendError::Kubernetes { status: s, reason, .. } => {
            assert_eq!(s, status);
            assert!(!reason.is_empty(), "a refusal has a reason");
        }
        BackendError::FieldConflict { managers, .. } => assert!(!managers.is_empty()),
        other => panic!("an answer is a Kubernetes refusal or a conflict, not {other}"),
    }
    let _ = refused(&at, &answer).to_string();
    assert_eq!(project(&answer.body, &answer.body), answer.body);
    if let Ok(objs) = objects::parse_manifest(&text) {
        for o in objs {
            assert_eq!(project(&o.body, &o.body), o.body);
            let _ = objects::owner_of(&o.body);
            let _ = objects::kind_of_object(&o.body);
        }
    }
}
