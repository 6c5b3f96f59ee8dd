//! One operation's conversation with a cluster: GET, POST (create, never
//! adopting), server-side apply (field manager `hybridk8s`), merge patches
//! and DELETE with a uid precondition, each answer checked; and the
//! managedFields of an object hybridk8s created with POST handed from its
//! `Update` entry to its `Apply` entry (as `kubectl`'s client-side to
//! server-side upgrade does), so that a later apply removes what it no
//! longer sets.

use super::api::ApiKind;
use super::call::{self, Answer, Body, Method, FIELD_MANAGER};
use super::cluster::{At, Conn};
use crate::backend::objects::owner_of;
use crate::backend::{BackendError, ErrorCode, OpCtx, Owner};
use serde_json::{json, Value as J};

pub struct Session<'a> {
    pub conn: Conn,
    pub cx: &'a OpCtx,
    pub at: At<'a>,
}

/// What a POST came to.
pub enum Created {
    /// The object the server made.
    New(J),
    /// An object was there already.
    Exists(J),
}

impl Session<'_> {
    async fn send(&self, method: Method, path: &str, body: Body<'_>) -> Result<Answer, BackendError> {
        call::send(&self.conn, self.cx, &self.at, method, path, body).await
    }

    pub fn refused(&self, a: &Answer) -> BackendError {
        call::refused(&self.at, a)
    }

    /// The object, or `None` when it is not there.
    pub async fn get(&self, k: ApiKind, ns: &str, name: &str) -> Result<Option<J>, BackendError> {
        let a = self.send(Method::Get, &k.object(ns, name), Body::None).await?;
        match a.status {
            200 => Ok(Some(a.body)),
            404 => Ok(None),
            _ => Err(self.refused(&a)),
        }
    }

    /// Creates the object; one that exists is returned as found (a POST
    /// retried after a lost answer meets its own object there).
    pub async fn create(&self, k: ApiKind, ns: &str, body: &J) -> Result<Created, BackendError> {
        let path = format!("{}{}", k.collection(ns), call::write_query(false));
        let a = self.send(Method::Post, &path, Body::Json(body)).await?;
        if a.ok() {
            return Ok(Created::New(a.body));
        }
        if a.status == 409 && a.reason() == "AlreadyExists" {
            let name = body.pointer("/metadata/name").and_then(J::as_str).unwrap_or("");
            // Deleted in between: nothing is there to adopt, try once more.
            return match self.get(k, ns, name).await? {
                Some(found) => Ok(Created::Exists(found)),
                None => {
                    let a = self.send(Method::Post, &path, Body::Json(body)).await?;
                    if a.ok() {
                        Ok(Created::New(a.body))
                    } else {
                        Err(self.refused(&a))
                    }
                }
            };
        }
        Err(self.refused(&a))
    }

    /// Server-side apply of `config` (`force`: take fields other managers own).
    pub async fn apply(&self, k: ApiKind, ns: &str, name: &str, config: &J, force: bool) -> Result<J, BackendError> {
        let path = format!("{}{}", k.object(ns, name), call::write_query(force));
        let a = self.send(Method::Patch, &path, Body::Apply(config)).await?;
        if a.ok() {
            Ok(a.body)
        } else {
            Err(self.refused(&a))
        }
    }

    /// A JSON merge patch; `None` when the object is not there.
    pub async fn merge_patch(&self, k: ApiKind, ns: &str, name: &str, patch: &J) -> Result<Option<J>, BackendError> {
        let path = format!("{}?fieldManager={FIELD_MANAGER}", k.object(ns, name));
        let a = self.send(Method::Patch, &path, Body::MergePatch(patch)).await?;
        match a.status {
            s if (200..300).contains(&s) => Ok(Some(a.body)),
            404 => Ok(None),
            _ => Err(self.refused(&a)),
        }
    }

    /// Deletes the object with this uid (dependents go with it, by their
    /// ownerReferences). An object that is gone, or that is another one
    /// now (another uid), is left as it is.
    pub async fn delete(&self, k: ApiKind, ns: &str, name: &str, uid: &str) -> Result<(), BackendError> {
        let opts = json!({ "apiVersion": "v1", "kind": "DeleteOptions",
                           "preconditions": { "uid": uid }, "propagationPolicy": "Background" });
        let a = self
            .send(Method::Delete, &k.object(ns, name), Body::Json(&opts))
            .await?;
        match a.status {
            s if (200..300).contains(&s) => Ok(()),
            404 => Ok(()),
            409 if a.reason() == "Conflict" => Ok(()),
            _ => Err(self.refused(&a)),
        }
    }

    /// Hands the fields of hybridk8s's `Update` entry (a POST) to its
    /// `Apply` entry, once; returns the object as it is afterwards.
    pub async fn upgrade_managed_fields(&self, k: ApiKind, live: J) -> Result<J, BackendError> {
        let Some(entries) = upgraded(&live) else {
            return Ok(live);
        };
        let (ns, name) = ns_name(&live);
        let rv = live.pointer("/metadata/resourceVersion").cloned().unwrap_or(J::Null);
        let patch = json!({ "metadata": { "managedFields": entries, "resourceVersion": rv } });
        let path = format!("{}?fieldManager={FIELD_MANAGER}", k.object(&ns, &name));
        let a = self.send(Method::Patch, &path, Body::MergePatch(&patch)).await?;
        match a.status {
            s if (200..300).contains(&s) => Ok(a.body),
            // Changed in between: the next write sees it again.
            409 => Ok(live),
            _ => Err(self.refused(&a)),
        }
    }

    /// `AlreadyExists`, naming the owner of what is there.
    pub fn exists(&self, what: &str, found: &J) -> BackendError {
        BackendError::Refused {
            op: self.at.op,
            noun: self.at.noun,
            id: self.at.id.to_string(),
            code: ErrorCode::AlreadyExists,
            message: format!(
                "{what} already exists and is {}; hybridk8s never adopts an existing object: to manage it with this stack, import it (`hybridk8s import ADDRESS ID` or `terraform import`), or choose another name",
                owner_of(found)
            ),
        }
    }

    /// `NotOwned` unless the object is this stack's.
    pub fn must_own(&self, found: &J) -> Result<(), BackendError> {
        let owner = owner_of(found);
        if owner.is(self.cx.stack()) {
            return Ok(());
        }
        Err(BackendError::NotOwned {
            op: self.at.op,
            noun: self.at.noun,
            id: self.at.id.to_string(),
            owner,
        })
    }

    /// True when another stack's mark is on the object.
    pub fn other_stacks(&self, found: &J) -> bool {
        matches!(owner_of(found), Owner::Stack(s) if s != self.cx.stack())
    }
}

/// Namespace and name of an object.
pub fn ns_name(o: &J) -> (String, String) {
    let s = |p: &str| o.pointer(p).and_then(J::as_str).unwrap_or("").to_string();
    (s("/metadata/namespace"), s("/metadata/name"))
}

/// The uid the server gave an object.
pub fn uid(o: &J) -> String {
    o.pointer("/metadata/uid").and_then(J::as_str).unwrap_or("").to_string()
}

/// The managedFields with hybridk8s's `Update` entry made (or merged into)
/// its `Apply` entry; `None` when there is no such entry.
fn upgraded(live: &J) -> Option<Vec<J>> {
    let entries = live.pointer("/metadata/managedFields")?.as_array()?;
    let is = |e: &J, op: &str| e["manager"] == FIELD_MANAGER && e["operation"] == op;
    let update = entries.iter().find(|e| is(e, "Update"))?;
    let mut out: Vec<J> = entries.iter().filter(|e| !is(e, "Update")).cloned().collect();
    match out.iter_mut().find(|e| is(e, "Apply")) {
        Some(apply) => deep_merge(&mut apply["fieldsV1"], &update["fieldsV1"]),
        None => {
            let mut e = update.clone();
            e["operation"] = json!("Apply");
            out.push(e);
        }
    }
    Some(out)
}

fn deep_merge(into: &mut J, from: &J) {
    match (into, from) {
        (J::Object(a), J::Object(b)) => {
            for (k, v) in b {
                deep_merge(a.entry(k.clone()).or_insert_with(|| json!({})), v);
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_update_entry_becomes_the_apply_entry() {
        let live = json!({"metadata": {"managedFields": [
            {"manager": "hybridk8s", "operation": "Update", "fieldsV1": {"f:spec": {"f:ports": {}}}},
            {"manager": "kubectl", "operation": "Update", "fieldsV1": {"f:data": {}}}]}});
        let up = upgraded(&live).unwrap();
        assert_eq!(up.len(), 2);
        assert!(up
            .iter()
            .any(|e| e["manager"] == "hybridk8s" && e["operation"] == "Apply" && e["fieldsV1"]["f:spec"].is_object()));
        let both = json!({"metadata": {"managedFields": [
            {"manager": "hybridk8s", "operation": "Apply", "fieldsV1": {"f:spec": {"f:type": {}}}},
            {"manager": "hybridk8s", "operation": "Update", "fieldsV1": {"f:spec": {"f:ports": {}}}}]}});
        let up = upgraded(&both).unwrap();
        assert_eq!(up.len(), 1);
        assert_eq!(up[0]["fieldsV1"], json!({"f:spec": {"f:type": {}, "f:ports": {}}}));
        assert!(upgraded(&json!({"metadata": {"managedFields": [up[0].clone()]}})).is_none());
    }
}
