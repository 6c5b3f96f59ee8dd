//! The Kubernetes objects of a resource's `manifest`, as every backend
//! that holds them sees them: parsed from the YAML documents, with the
//! owner marks put on, read and taken off, and the hybridk8s kind an object
//! stands for. The local fabric stores them; the Kubernetes plane applies them.

use super::owner::{MANAGED_BY, MANAGED_BY_LABEL, STACK_ANNOTATION};
use super::Owner;
use crate::graph::Kind;
use serde::Deserialize;
use serde_json::Value as J;
use std::collections::BTreeMap;

/// One object of a manifest, with its key.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    pub namespace: String,
    pub kind: String,
    pub name: String,
    pub body: J,
}

impl Object {
    /// An object body with its key read off it.
    fn of(body: J) -> Result<Object, String> {
        let s = |p: &str| body.pointer(p).and_then(J::as_str).map(str::to_string);
        Ok(Object {
            namespace: s("/metadata/namespace").unwrap_or_else(|| "default".into()),
            kind: s("/kind").ok_or("an object has no kind")?,
            name: s("/metadata/name").ok_or("an object has no metadata.name")?,
            body,
        })
    }
}

/// The objects of a manifest (YAML documents, empty ones skipped); `Err`
/// names what is wrong with it.
pub fn parse_manifest(text: &str) -> Result<Vec<Object>, String> {
    let mut out = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(text) {
        let body = J::deserialize(doc).map_err(|e| e.to_string())?;
        if body.is_null() {
            continue;
        }
        out.push(Object::of(body)?);
    }
    if out.is_empty() {
        return Err("no object".into());
    }
    Ok(out)
}

/// The objects a Kubernetes-side resource stands for, built from its
/// attributes (never from a `manifest` string a client sent); `Err` names
/// what is missing.
pub fn of_attrs(kind: Kind, attrs: &crate::graph::Attrs) -> Result<Vec<Object>, String> {
    let bodies = crate::graph::manifests::objects_of(kind, attrs).ok_or_else(|| {
        format!(
            "the attributes of a {} describe no Kubernetes object",
            kind.terraform_type()
        )
    })?;
    bodies.into_iter().map(Object::of).collect()
}

fn string_map(body: &J, pointer: &str) -> BTreeMap<String, String> {
    body.pointer(pointer)
        .and_then(J::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// The owner an object's metadata names.
pub fn owner_of(body: &J) -> Owner {
    Owner::from_k8s(
        &string_map(body, "/metadata/labels"),
        &string_map(body, "/metadata/annotations"),
    )
}

/// Puts the owner label and annotation on an object.
pub fn mark(body: &mut J, stack: &str) {
    let Some(meta) = body.get_mut("metadata").and_then(J::as_object_mut) else {
        return;
    };
    for (field, key, value) in [
        ("labels", MANAGED_BY_LABEL, MANAGED_BY),
        ("annotations", STACK_ANNOTATION, stack),
    ] {
        let m = meta.entry(field).or_insert_with(|| J::Object(Default::default()));
        if let Some(m) = m.as_object_mut() {
            m.insert(key.to_string(), J::String(value.to_string()));
        }
    }
}

/// Takes the stack annotation off an object as read back (it is reported
/// as the owner, not as content; the managed-by label is part of every
/// rendered manifest), dropping a map that only held it.
pub fn unmark(body: &mut J) {
    let Some(meta) = body.get_mut("metadata").and_then(J::as_object_mut) else {
        return;
    };
    let empty = meta.get_mut("annotations").and_then(J::as_object_mut).is_some_and(|m| {
        m.remove(STACK_ANNOTATION);
        m.is_empty()
    });
    if empty {
        meta.remove("annotations");
    }
}

/// What kind of hybridk8s resource an object stands for (its primary
/// object: a ConfigMap or a Service; `None` for the others).
pub fn kind_of_object(body: &J) -> Option<Kind> {
    match body.get("kind").and_then(J::as_str)? {
        "ConfigMap" => Some(Kind::DnsUpstream),
        "Service" if body.pointer("/spec/type").and_then(J::as_str) == Some("LoadBalancer") => Some(Kind::LbService),
        "Service" => Some(Kind::ExternalService),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn marks_round_trip_and_manifests_parse() {
        let objs =
            parse_manifest("apiVersion: v1\nkind: Service\nmetadata:\n  name: a\nspec:\n  type: LoadBalancer\n---\n")
                .unwrap();
        assert_eq!((objs[0].namespace.as_str(), objs[0].name.as_str()), ("default", "a"));
        assert_eq!(kind_of_object(&objs[0].body), Some(Kind::LbService));
        let mut body = objs[0].body.clone();
        assert_eq!(owner_of(&body), Owner::Unmanaged);
        mark(&mut body, "prod");
        assert!(owner_of(&body).is("prod"));
        unmark(&mut body);
        assert_eq!(
            body["metadata"],
            json!({ "name": "a", "labels": { MANAGED_BY_LABEL: MANAGED_BY } })
        );
        assert!(parse_manifest("").is_err());
        assert!(parse_manifest("kind: Service\nmetadata: {}\n").is_err());
    }
}
