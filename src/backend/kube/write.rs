//! How the plane writes a resource's objects.
//!
//! A Service (`external_service`, `lb_service`) is hybridk8s's own object:
//! created with POST (an object already there is `AlreadyExists`, naming
//! its owner, unless it is this stack's own from an earlier try), its
//! EndpointSlice (or v1 Endpoints) after it with an ownerReference to it,
//! so that deleting the Service takes them along; changed with server-side
//! apply (conflicts name the other field manager; `force_conflicts` takes
//! the fields); deleted with the Service's uid as precondition.
//!
//! A DNS ConfigMap (`coredns-custom`, `coredns`, `kube-dns`) is the
//! cluster's: hybridk8s applies only its own keys and marks to it, and
//! deleting the `dns_upstream` takes them off again (the object itself
//! goes only when hybridk8s created it). The `corefile` flavor remembers
//! the Corefile it replaced and puts it back. After a CoreDNS ConfigMap
//! changed, the CoreDNS deployment is restarted, as `kubectl rollout
//! restart` does.

use super::api::{self, ApiKind};
use super::session::{uid, Created, Session};
use crate::backend::objects::{mark, owner_of};
use crate::backend::{BackendError, ErrorCode, KubernetesObjectId, Op, Owner};
use crate::graph::{manifests, Attrs, Kind, Value};
use serde_json::{json, Value as J};

/// Annotation on a DNS ConfigMap hybridk8s created (it was not there), so
/// that its delete removes the object rather than its keys.
pub const CREATED_ANNOTATION: &str = "hybridk8s.io/created";
/// Annotation holding the Corefile a `corefile` dns_upstream replaced.
pub const SAVED_COREFILE_ANNOTATION: &str = "hybridk8s.io/saved-corefile";
/// The annotation `kubectl rollout restart` sets on a pod template.
pub const RESTARTED_AT_ANNOTATION: &str = "kubectl.kubernetes.io/restartedAt";

/// One object of a resource, ready to send.
#[derive(Debug, Clone)]
pub struct Planned {
    pub k: ApiKind,
    pub ns: String,
    pub name: String,
    pub body: J,
}

impl Planned {
    /// How messages name the object.
    fn what(&self) -> String {
        format!("{} {}/{} in the cluster", self.k.kind, self.ns, self.name)
    }
}

fn bad(at: &super::cluster::At<'_>, message: String) -> BackendError {
    BackendError::Refused {
        op: at.op,
        noun: at.noun,
        id: at.id.to_string(),
        code: ErrorCode::InvalidRequest,
        message,
    }
}

/// The objects of a resource, built from its attributes (never from a
/// `manifest` string a client sent: only the kinds and names a resource
/// stands for can reach the cluster), its primary object the one its ID
/// names.
pub fn planned(at: &super::cluster::At<'_>, kind: Kind, attrs: &Attrs) -> Result<Vec<Planned>, BackendError> {
    let objs = manifests::objects_of(kind, attrs).ok_or_else(|| BackendError::MissingAttribute {
        op: at.op,
        noun: at.noun,
        id: at.id.to_string(),
        attribute: "manifest".into(),
    })?;
    let out: Vec<Planned> = objs
        .into_iter()
        .map(|body| {
            let s = |p: &str| body.pointer(p).and_then(J::as_str).unwrap_or("").to_string();
            let k = ApiKind::of_object(&s("/apiVersion"), &s("/kind")).ok_or_else(|| {
                bad(
                    at,
                    format!("hybridk8s does not apply {} {}", s("/apiVersion"), s("/kind")),
                )
            })?;
            Ok(Planned {
                k,
                ns: if k.namespaced {
                    s("/metadata/namespace")
                } else {
                    String::new()
                },
                name: s("/metadata/name"),
                body,
            })
        })
        .collect::<Result<_, BackendError>>()?;
    let id: KubernetesObjectId = at.id.parse()?;
    match out.first() {
        Some(p) if p.k.plural == id.plural && p.ns == id.namespace && p.name == id.name => Ok(out),
        Some(p) => Err(bad(
            at,
            format!(
                "the ID names {}/{} {}, the attributes describe {}/{} {}",
                id.namespace, id.plural, id.name, p.ns, p.k.plural, p.name
            ),
        )),
        None => Err(bad(at, "the attributes describe no Kubernetes object".into())),
    }
}

/// Whether the resource asks to take fields other managers own.
pub fn force(attrs: &Attrs) -> bool {
    attrs.get("force_conflicts").and_then(Value::as_bool) == Some(true)
}

fn flavor(attrs: &Attrs) -> String {
    attrs
        .get("flavor")
        .and_then(Value::as_str)
        .unwrap_or("coredns_aks")
        .to_string()
}

fn marked(p: &Planned, stack: &str) -> J {
    let mut b = p.body.clone();
    mark(&mut b, stack);
    b
}

/// The dependent's body: marked, with an ownerReference to the Service.
fn dependent(p: &Planned, stack: &str, service: &J) -> J {
    let mut b = marked(p, stack);
    b["metadata"]["ownerReferences"] = json!([{
        "apiVersion": api::SERVICE.api_version, "kind": api::SERVICE.kind,
        "name": service.pointer("/metadata/name").cloned().unwrap_or(J::Null),
        "uid": uid(service),
    }]);
    b
}

/// Creates a Service and its endpoints object.
pub async fn create_service(s: &Session<'_>, objs: &[Planned]) -> Result<Vec<J>, BackendError> {
    let stack = s.cx.stack();
    let (primary, rest) = objs
        .split_first()
        .ok_or_else(|| bad(&s.at, "manifest: no object".into()))?;
    let service = match s.create(primary.k, &primary.ns, &marked(primary, stack)).await? {
        Created::New(o) => o,
        // An earlier try of this create made it (its answer was lost).
        Created::Exists(o) if owner_of(&o).is(stack) => {
            s.upgrade_managed_fields(primary.k, o).await?;
            s.apply(primary.k, &primary.ns, &primary.name, &marked(primary, stack), false)
                .await?
        }
        Created::Exists(o) => return Err(s.exists(&primary.what(), &o)),
    };
    let mut out = vec![service.clone()];
    for p in rest {
        let body = dependent(p, stack, &service);
        let made = match s.create(p.k, &p.ns, &body).await {
            Ok(Created::New(o)) => Ok(o),
            Ok(Created::Exists(o)) if owner_of(&o).is(stack) => {
                s.upgrade_managed_fields(p.k, o).await?;
                s.apply(p.k, &p.ns, &p.name, &body, false).await
            }
            Ok(Created::Exists(o)) => Err(s.exists(&p.what(), &o)),
            Err(e) => Err(e),
        };
        match made {
            Ok(o) => out.push(o),
            Err(e) => {
                // Nothing half-made stays: the Service goes (and with it
                // whatever its ownerReferences hold).
                let _ = s.delete(primary.k, &primary.ns, &primary.name, &uid(&service)).await;
                return Err(e);
            }
        }
    }
    Ok(out)
}

/// Changes a Service and its endpoints object in place (server-side apply),
/// removing an endpoints object the resource no longer has.
pub async fn update_service(
    s: &Session<'_>,
    prior: &[Planned],
    objs: &[Planned],
    force_conflicts: bool,
) -> Result<Vec<J>, BackendError> {
    let stack = s.cx.stack();
    let (primary, rest) = objs
        .split_first()
        .ok_or_else(|| bad(&s.at, "manifest: no object".into()))?;
    let Some(live) = s.get(primary.k, &primary.ns, &primary.name).await? else {
        return Err(BackendError::Refused {
            op: s.at.op,
            noun: s.at.noun,
            id: s.at.id.to_string(),
            code: ErrorCode::ResourceNotFound,
            message: "the object does not exist".into(),
        });
    };
    s.must_own(&live)?;
    s.upgrade_managed_fields(primary.k, live).await?;
    let service = s
        .apply(
            primary.k,
            &primary.ns,
            &primary.name,
            &marked(primary, stack),
            force_conflicts,
        )
        .await?;
    let mut out = vec![service.clone()];
    for p in rest {
        let body = dependent(p, stack, &service);
        let o = match s.get(p.k, &p.ns, &p.name).await? {
            None => match s.create(p.k, &p.ns, &body).await? {
                Created::New(o) => o,
                Created::Exists(o) if !owner_of(&o).is(stack) => return Err(s.exists(&p.what(), &o)),
                Created::Exists(_) => s.apply(p.k, &p.ns, &p.name, &body, force_conflicts).await?,
            },
            Some(o) if !owner_of(&o).is(stack) => return Err(s.exists(&p.what(), &o)),
            Some(o) => {
                s.upgrade_managed_fields(p.k, o).await?;
                s.apply(p.k, &p.ns, &p.name, &body, force_conflicts).await?
            }
        };
        out.push(o);
    }
    // An endpoints object of the old shape (Endpoints ↔ EndpointSlice).
    for old in prior.iter().skip(1) {
        if objs
            .iter()
            .any(|p| p.k == old.k && p.ns == old.ns && p.name == old.name)
        {
            continue;
        }
        if let Some(o) = s.get(old.k, &old.ns, &old.name).await? {
            if owner_of(&o).is(stack) {
                s.delete(old.k, &old.ns, &old.name, &uid(&o)).await?;
            }
        }
    }
    Ok(out)
}

/// Deletes a Service; its endpoints objects go with it (the API server's
/// garbage collector follows their ownerReferences to it).
pub async fn delete_service(s: &Session<'_>, prior: &[Planned]) -> Result<(), BackendError> {
    let Some(primary) = prior.first() else { return Ok(()) };
    let Some(live) = s.get(primary.k, &primary.ns, &primary.name).await? else {
        return Ok(());
    };
    s.must_own(&live)?;
    s.delete(primary.k, &primary.ns, &primary.name, &uid(&live)).await
}

fn data(o: &J) -> J {
    o.get("data").cloned().unwrap_or_else(|| json!({}))
}

fn annotation<'a>(o: &'a J, key: &str) -> Option<&'a str> {
    o.pointer("/metadata/annotations")?.get(key)?.as_str()
}

/// Applies a dns_upstream's keys to its ConfigMap (creating the ConfigMap
/// when the cluster has none), then restarts CoreDNS if its configuration
/// changed. Returns the ConfigMap.
pub async fn write_dns(
    s: &Session<'_>,
    attrs: &Attrs,
    prior: Option<&[Planned]>,
    objs: &[Planned],
) -> Result<J, BackendError> {
    let stack = s.cx.stack();
    let p = objs.first().ok_or_else(|| bad(&s.at, "manifest: no object".into()))?;
    let flavor = flavor(attrs);
    // The flavor moved to another ConfigMap: the old one gets its own back.
    if let Some(old) = prior.and_then(|o| o.first()) {
        if (old.ns.as_str(), old.name.as_str()) != (p.ns.as_str(), p.name.as_str()) {
            release_dns(s, old, &flavor).await?;
        }
    }
    let mut config = marked(p, stack);
    let live = s.get(p.k, &p.ns, &p.name).await?;
    let written = match live {
        None => {
            config["metadata"]["annotations"][CREATED_ANNOTATION] = json!("true");
            match s.create(p.k, &p.ns, &config).await? {
                Created::New(o) => o,
                Created::Exists(o) => return Err(s.exists(&p.what(), &o)),
            }
        }
        Some(l) => {
            match (owner_of(&l), s.at.op) {
                (Owner::Stack(x), _) if x == stack => {}
                // The cluster's own ConfigMap: hybridk8s adds its keys.
                (Owner::Unmanaged, Op::Creating) => {}
                (Owner::Stack(_), Op::Creating) => return Err(s.exists(&p.what(), &l)),
                // Another stack's, or its marks were taken off (the
                // cluster's again): not this stack's to change.
                _ => s.must_own(&l)?,
            }
            for key in [CREATED_ANNOTATION, SAVED_COREFILE_ANNOTATION] {
                if let Some(v) = annotation(&l, key) {
                    config["metadata"]["annotations"][key] = json!(v);
                }
            }
            if flavor == "corefile" && annotation(&l, SAVED_COREFILE_ANNOTATION).is_none() && !owner_of(&l).is(stack) {
                if let Some(c) = l.pointer("/data/Corefile").and_then(J::as_str) {
                    config["metadata"]["annotations"][SAVED_COREFILE_ANNOTATION] = json!(c);
                }
            }
            let before = data(&l);
            s.upgrade_managed_fields(p.k, l).await?;
            let o = s.apply(p.k, &p.ns, &p.name, &config, force(attrs)).await?;
            if data(&o) != before {
                restart_coredns(s, &flavor).await?;
            }
            return Ok(o);
        }
    };
    restart_coredns(s, &flavor).await?;
    Ok(written)
}

/// Takes a dns_upstream's keys and marks off its ConfigMap (or deletes
/// the ConfigMap it created), then restarts CoreDNS.
pub async fn delete_dns(s: &Session<'_>, attrs: &Attrs, prior: &[Planned]) -> Result<(), BackendError> {
    let Some(p) = prior.first() else { return Ok(()) };
    release_dns(s, p, &flavor(attrs)).await
}

async fn release_dns(s: &Session<'_>, p: &Planned, flavor: &str) -> Result<(), BackendError> {
    let Some(live) = s.get(p.k, &p.ns, &p.name).await? else {
        return Ok(());
    };
    match owner_of(&live) {
        // Already given back.
        Owner::Unmanaged => return Ok(()),
        Owner::Stack(_) => s.must_own(&live)?,
    }
    if annotation(&live, CREATED_ANNOTATION) == Some("true") {
        s.delete(p.k, &p.ns, &p.name, &uid(&live)).await?;
        return restart_coredns(s, flavor).await;
    }
    let before = data(&live);
    let saved = annotation(&live, SAVED_COREFILE_ANNOTATION).map(str::to_string);
    s.upgrade_managed_fields(p.k, live).await?;
    let bare = json!({ "apiVersion": p.k.api_version, "kind": p.k.kind,
                       "metadata": { "name": p.name, "namespace": p.ns } });
    let written = match saved {
        Some(corefile) => {
            let mut back = bare.clone();
            back["data"] = json!({ "Corefile": corefile });
            match s.apply(p.k, &p.ns, &p.name, &back, false).await {
                // Someone else has changed the Corefile since: theirs stays.
                Err(BackendError::FieldConflict { .. }) => s.apply(p.k, &p.ns, &p.name, &bare, false).await?,
                r => r?,
            }
        }
        None => s.apply(p.k, &p.ns, &p.name, &bare, false).await?,
    };
    if data(&written) != before {
        restart_coredns(s, flavor).await?;
    }
    Ok(())
}

/// Restarts the CoreDNS deployment (the flavors CoreDNS reads; kube-dns
/// watches its ConfigMap). A cluster without one has nothing to restart.
async fn restart_coredns(s: &Session<'_>, flavor: &str) -> Result<(), BackendError> {
    if flavor == "kube_dns" {
        return Ok(());
    }
    let patch = json!({ "spec": { "template": { "metadata": { "annotations": {
        RESTARTED_AT_ANNOTATION: crate::clock::rfc3339(crate::clock::now_secs()) } } } } });
    s.merge_patch(api::DEPLOYMENT, "kube-system", "coredns", &patch).await?;
    Ok(())
}

/// Puts the stack's marks on the resource's objects (import), or takes
/// the stack annotation off (release).
pub async fn claim(s: &Session<'_>, kind: Kind, ns: &str, name: &str, claim: bool) -> Result<(), BackendError> {
    let stack = s.cx.stack();
    let kinds: &[ApiKind] = match kind {
        Kind::DnsUpstream => &[api::CONFIG_MAP],
        _ => &[api::SERVICE, api::ENDPOINT_SLICE, api::ENDPOINTS],
    };
    for (i, k) in kinds.iter().enumerate() {
        let Some(o) = s.get(*k, ns, name).await? else {
            if i == 0 && claim {
                return Err(BackendError::ImportNotFound {
                    noun: s.at.noun,
                    id: s.at.id.to_string(),
                });
            }
            continue;
        };
        if s.other_stacks(&o) {
            s.must_own(&o)?;
        }
        let patch = if claim {
            json!({ "metadata": {
                "labels": { crate::backend::owner::MANAGED_BY_LABEL: crate::backend::owner::MANAGED_BY },
                "annotations": { crate::backend::owner::STACK_ANNOTATION: stack } } })
        } else {
            json!({ "metadata": { "annotations": { crate::backend::owner::STACK_ANNOTATION: J::Null } } })
        };
        s.merge_patch(*k, ns, name, &patch).await?;
    }
    Ok(())
}
