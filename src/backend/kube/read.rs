//! What the plane observes of a resource: its objects as the cluster holds
//! them, projected onto the fields of the resource's last manifest (so an
//! untouched object reads back as exactly that manifest, and a changed
//! field, a missing endpoints object or a deleted Service shows as drift),
//! with the owner its marks name. Without a prior manifest (import), the
//! objects as found, without what the server fills in.

use super::api::{self, ApiKind};
use super::session::Session;
use super::write::{planned, Planned, CREATED_ANNOTATION, SAVED_COREFILE_ANNOTATION};
use crate::backend::objects::{kind_of_object, owner_of};
use crate::backend::owner::STACK_ANNOTATION;
use crate::backend::{BackendError, KubernetesObjectId, Observed, Owner};
use crate::graph::{manifests, Attrs, Kind, Value};
use serde_json::{Map, Value as J};

/// The primary object's resource for an ID's plural.
pub fn primary_kind(id: &KubernetesObjectId) -> ApiKind {
    match id.plural.as_str() {
        "configmaps" => api::CONFIG_MAP,
        "endpoints" => api::ENDPOINTS,
        _ => api::SERVICE,
    }
}

/// `live` with only the fields `desired` has (lists item by item).
pub fn project(desired: &J, live: &J) -> J {
    match (desired, live) {
        (J::Object(d), J::Object(l)) => J::Object(
            d.iter()
                .filter_map(|(k, dv)| l.get(k).map(|lv| (k.clone(), project(dv, lv))))
                .collect(),
        ),
        (J::Array(d), J::Array(l)) => J::Array(
            l.iter()
                .enumerate()
                .map(|(i, lv)| match d.get(i).or(d.last()) {
                    Some(dv) => project(dv, lv),
                    None => lv.clone(),
                })
                .collect(),
        ),
        (_, l) => l.clone(),
    }
}

/// An object as found, without what the API server fills in or hybridk8s
/// keeps for itself.
fn as_found(o: &J) -> J {
    let mut o = o.clone();
    if let Some(m) = o.as_object_mut() {
        m.remove("status");
    }
    if let Some(meta) = o.get_mut("metadata").and_then(J::as_object_mut) {
        let keep: Map<String, J> = meta
            .iter()
            .filter(|(k, _)| matches!(k.as_str(), "name" | "namespace" | "labels" | "annotations"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        *meta = keep;
        let empty = meta.get_mut("annotations").and_then(J::as_object_mut).is_some_and(|a| {
            for k in [
                STACK_ANNOTATION,
                CREATED_ANNOTATION,
                SAVED_COREFILE_ANNOTATION,
                "kubectl.kubernetes.io/last-applied-configuration",
            ] {
                a.remove(k);
            }
            a.is_empty()
        });
        if empty {
            meta.remove("annotations");
        }
    }
    if let Some(spec) = o.get_mut("spec").and_then(J::as_object_mut) {
        for k in [
            "clusterIP",
            "clusterIPs",
            "ipFamilies",
            "ipFamilyPolicy",
            "internalTrafficPolicy",
            "sessionAffinity",
        ] {
            spec.remove(k);
        }
    }
    o
}

fn found_kind(o: &J) -> String {
    o.get("kind")
        .and_then(J::as_str)
        .unwrap_or("an unknown object")
        .to_string()
}

pub async fn read(
    s: &Session<'_>,
    kind: Kind,
    id: &KubernetesObjectId,
    prior: Option<&Attrs>,
) -> Result<Option<Observed>, BackendError> {
    // What the last attributes describe (none for an import, or attributes
    // that do not describe the object the ID names: then as found).
    let desired = prior.and_then(|p| planned(&s.at, kind, p).ok());
    let pk = primary_kind(id);
    let Some(live) = s.get(pk, &id.namespace, &id.name).await? else {
        return Ok(None);
    };
    match kind_of_object(&live) {
        Some(k) if k == kind => {}
        found => {
            return Err(BackendError::WrongKind {
                op: s.at.op,
                noun: s.at.noun,
                id: s.at.id.to_string(),
                expected: format!("a {kind}"),
                found: match found {
                    Some(k) => format!("a {k}"),
                    None => format!("a {}", found_kind(&live)),
                },
            })
        }
    }
    let owner = owner_of(&live);
    // The cluster's own ConfigMap (coredns-custom is always there) without
    // hybridk8s's marks holds no dns_upstream: none was written, or its
    // keys were taken off.
    if kind == Kind::DnsUpstream && owner == Owner::Unmanaged {
        return Ok(None);
    }
    let mut lives = vec![live];
    match &desired {
        Some(d) => {
            for p in d.iter().skip(1) {
                if let Some(o) = s.get(p.k, &p.ns, &p.name).await? {
                    lives.push(o);
                }
            }
        }
        None if kind != Kind::DnsUpstream => {
            for k in [api::ENDPOINT_SLICE, api::ENDPOINTS] {
                if let Some(mut o) = s.get(k, &id.namespace, &id.name).await? {
                    if let Some(m) = o.as_object_mut() {
                        m.insert("apiVersion".into(), J::String(k.api_version.into()));
                        m.insert("kind".into(), J::String(k.kind.into()));
                    }
                    lives.push(o);
                    break;
                }
            }
        }
        None => {}
    }
    Ok(Some(observed(kind, id, prior, desired.as_deref(), &lives, owner)))
}

/// The observation of a resource from its live objects: each projected on
/// the desired object of the same resource type, namespace and name (all
/// of them as found when there is no desired manifest).
pub fn observed(
    kind: Kind,
    id: &KubernetesObjectId,
    prior: Option<&Attrs>,
    desired: Option<&[Planned]>,
    lives: &[J],
    owner: Owner,
) -> Observed {
    let objects: Vec<J> = match desired {
        Some(d) => d
            .iter()
            .filter_map(|p| {
                let live = lives.iter().find(|o| {
                    o.get("kind").and_then(J::as_str).is_none_or(|k| k == p.k.kind)
                        && o.pointer("/metadata/name").and_then(J::as_str) == Some(p.name.as_str())
                        && (!p.k.namespaced
                            || o.pointer("/metadata/namespace").and_then(J::as_str) == Some(p.ns.as_str()))
                })?;
                Some(project(&p.body, live))
            })
            .collect(),
        None => lives.iter().map(as_found).collect(),
    };
    let mut a = Attrs::from([("id".to_string(), Value::str(id.to_string()))]);
    a.insert("cluster_network_id".into(), Value::str(id.cluster.to_string()));
    if kind != Kind::DnsUpstream {
        a.insert("namespace".into(), Value::str(&id.namespace));
        a.insert("name".into(), Value::str(&id.name));
    }
    a.insert("manifest".into(), Value::str(manifests::to_yaml(&objects)));
    if let Some(f) = prior.and_then(|p| p.get("flavor")) {
        a.insert("flavor".into(), f.clone());
    }
    Observed { attrs: a, owner }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_projection_keeps_the_manifest_fields_only() {
        let desired = json!({"metadata": {"name": "a", "labels": {"x": "1"}}, "spec": {"ports": [{"port": 80, "targetPort": 8080}]}});
        let live = json!({"metadata": {"name": "a", "uid": "u", "labels": {"x": "1", "y": "2"}},
                          "spec": {"clusterIP": "10.0.0.9", "ports": [{"port": 80, "targetPort": 9090, "protocol": "TCP"}, {"port": 81, "targetPort": 81}]}});
        assert_eq!(
            project(&desired, &live),
            json!({"metadata": {"name": "a", "labels": {"x": "1"}}, "spec": {"ports": [{"port": 80, "targetPort": 9090}, {"port": 81, "targetPort": 81}]}})
        );
        assert_eq!(project(&desired, &desired), desired);
        let found = as_found(&json!({"apiVersion": "v1", "kind": "Service", "status": {},
            "metadata": {"name": "a", "uid": "u", "annotations": {STACK_ANNOTATION: "s"}}, "spec": {"clusterIP": "1.2.3.4", "type": "ClusterIP"}}));
        assert_eq!(
            found,
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}, "spec": {"type": "ClusterIP"}})
        );
    }
}
