//! The objects: create, replace, patch, server-side apply, delete with
//! preconditions and garbage collection of dependents, and what the server
//! allocates (uid, resourceVersion, clusterIP, generation).

use super::fields;
use super::kinds::Kind;
use super::managed;
use super::status::{self, Status};
use super::validate::{arr, defaults, name_of, validate};
use serde_json::{json, Value};
use std::collections::BTreeMap;

type Key = (String, String, String); // qualified plural, namespace, name

#[derive(Debug, Default, Clone)]
pub struct Store {
    objects: BTreeMap<Key, Value>,
    rv: u64,
    next_ip: u32,
    uids: u64,
}

/// RFC 3339 UTC, seconds.
pub fn now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    hybridk8s::clock::rfc3339(secs)
}

fn key(k: &Kind, ns: &str, name: &str) -> Key {
    let ns = if k.namespaced { ns } else { "" };
    (k.qualified(), ns.to_string(), name.to_string())
}

impl Store {
    fn allocate(&mut self, k: &Kind, obj: &mut Value, old: Option<&Value>) {
        if k.kind != "Service" {
            return;
        }
        let ty = obj
            .pointer("/spec/type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if ty == "ExternalName" {
            return;
        }
        let kept = old.and_then(|o| o.pointer("/spec/clusterIP")).cloned();
        let ip = match obj.pointer("/spec/clusterIP").cloned().or(kept) {
            Some(ip) => ip,
            None => {
                self.next_ip += 1;
                let n = 10 + self.next_ip;
                json!(format!("10.0.{}.{}", n / 250, n % 250 + 1))
            }
        };
        let spec = &mut obj["spec"];
        spec["clusterIP"] = ip.clone();
        if ip != json!("None") {
            spec["clusterIPs"] = json!([ip]);
        }
        spec["ipFamilies"] = json!(["IPv4"]);
        spec["ipFamilyPolicy"] = json!("SingleStack");
        if ty == "LoadBalancer" && obj.get("status").is_none() {
            obj["status"] = json!({"loadBalancer": {}});
        }
    }

    fn finish(&mut self, k: &Kind, obj: &mut Value, old: Option<&Value>, ns: &str) {
        self.rv += 1;
        let m = &mut obj["metadata"];
        if k.namespaced {
            m["namespace"] = json!(ns);
        } else if let Some(o) = m.as_object_mut() {
            o.remove("namespace");
        }
        m["resourceVersion"] = json!(self.rv.to_string());
        match old {
            Some(o) => {
                m["uid"] = o["metadata"]["uid"].clone();
                m["creationTimestamp"] = o["metadata"]["creationTimestamp"].clone();
            }
            None => {
                self.uids += 1;
                m["uid"] = json!(format!(
                    "6b1d2f4e-{:04x}-4c3a-9e1b-{:012x}",
                    self.uids,
                    self.uids * 7919
                ));
                m["creationTimestamp"] = json!(now());
            }
        }
        if k.kind == "Deployment" {
            let gen = old
                .and_then(|o| o.pointer("/metadata/generation"))
                .and_then(Value::as_i64)
                .unwrap_or(0);
            let changed = old.map(|o| o.get("spec") != obj.get("spec")).unwrap_or(true);
            obj["metadata"]["generation"] = json!(if changed { gen + 1 } else { gen.max(1) });
            let replicas = obj.pointer("/spec/replicas").cloned().unwrap_or(json!(1));
            obj["status"] = json!({"observedGeneration": obj["metadata"]["generation"], "replicas": replicas, "readyReplicas": replicas, "updatedReplicas": replicas, "availableReplicas": replicas});
        }
        obj["apiVersion"] = json!(k.api_version());
        obj["kind"] = json!(k.kind);
        self.allocate(k, obj, old);
    }

    fn ns_exists(&self, ns: &str) -> bool {
        self.objects
            .contains_key(&("namespaces".into(), String::new(), ns.into()))
    }

    pub fn get(&self, k: &Kind, ns: &str, name: &str) -> Option<&Value> {
        self.objects.get(&key(k, ns, name))
    }

    /// Objects of a kind, in `ns` or everywhere (None).
    pub fn list(&self, k: &Kind, ns: Option<&str>) -> Vec<Value> {
        self.objects
            .iter()
            .filter(|((q, n, _), _)| *q == k.qualified() && ns.is_none_or(|ns| !k.namespaced || n == ns))
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn resource_version(&self) -> String {
        self.rv.to_string()
    }

    fn check_ns(&self, k: &Kind, ns: &str) -> Result<(), Status> {
        if k.namespaced && !self.ns_exists(ns) {
            return Err(status::namespace_not_found(ns));
        }
        Ok(())
    }

    fn normalize(k: &Kind, mut obj: Value, ns: &str, name: Option<&str>) -> Result<Value, Status> {
        if !obj.is_object() {
            return Err(status::bad_request("the object is not a JSON object".into()));
        }
        if let Some(kind) = obj.get("kind").and_then(Value::as_str) {
            if kind != k.kind {
                return Err(status::bad_request(format!(
                    "the object provided is unrecognized (kind {kind:?} on {})",
                    k.qualified()
                )));
            }
        }
        if obj.get("metadata").is_none() {
            obj["metadata"] = json!({});
        }
        if let Some(n) = name {
            let body_name = name_of(&obj);
            if body_name.is_empty() {
                obj["metadata"]["name"] = json!(n);
            } else if body_name != n {
                return Err(status::bad_request(format!(
                    "the name of the object ({body_name}) does not match the name on the URL ({n})"
                )));
            }
        }
        if k.namespaced {
            if let Some(bns) = obj.pointer("/metadata/namespace").and_then(Value::as_str) {
                if bns != ns {
                    return Err(status::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request".into(),
                    ));
                }
            }
        }
        Ok(obj)
    }

    pub fn create(&mut self, k: &Kind, ns: &str, obj: Value, manager: &str) -> Result<Value, Status> {
        let mut obj = Self::normalize(k, obj, ns, None)?;
        let name = name_of(&obj);
        validate(k, &obj)?;
        self.check_ns(k, ns)?;
        if self.get(k, ns, &name).is_some() {
            return Err(status::already_exists(k, &name));
        }
        defaults(k, &mut obj);
        managed::record_update(k.kind, None, &mut obj, manager, &k.api_version(), &now(), &[]);
        self.finish(k, &mut obj, None, ns);
        self.objects.insert(key(k, ns, &name), obj.clone());
        Ok(obj)
    }

    fn check_rv(k: &Kind, name: &str, new: &Value, old: &Value) -> Result<(), Status> {
        if let Some(rv) = new.pointer("/metadata/resourceVersion").and_then(Value::as_str) {
            if !rv.is_empty() && Some(rv) != old.pointer("/metadata/resourceVersion").and_then(Value::as_str) {
                return Err(status::modified(k, name));
            }
        }
        Ok(())
    }

    pub fn replace(&mut self, k: &Kind, ns: &str, name: &str, obj: Value, manager: &str) -> Result<Value, Status> {
        let mut obj = Self::normalize(k, obj, ns, Some(name))?;
        let Some(old) = self.get(k, ns, name).cloned() else {
            return Err(status::not_found(k, name));
        };
        Self::check_rv(k, name, &obj, &old)?;
        validate(k, &obj)?;
        obj["metadata"]["managedFields"] = old["metadata"]["managedFields"].clone();
        defaults(k, &mut obj);
        self.allocate(k, &mut obj, Some(&old));
        managed::record_update(k.kind, Some(&old), &mut obj, manager, &k.api_version(), &now(), &[]);
        self.finish(k, &mut obj, Some(&old), ns);
        self.objects.insert(key(k, ns, name), obj.clone());
        Ok(obj)
    }

    /// A JSON merge patch (or a strategic merge patch, merged the same way
    /// with keyed lists merged by key).
    pub fn patch(
        &mut self,
        k: &Kind,
        ns: &str,
        name: &str,
        patch: &Value,
        strategic: bool,
        manager: &str,
    ) -> Result<Value, Status> {
        let Some(old) = self.get(k, ns, name).cloned() else {
            return Err(status::not_found(k, name));
        };
        Self::check_rv(k, name, patch, &old)?;
        let mut obj = old.clone();
        merge_patch(k.kind, &mut obj, patch, strategic, &mut Vec::new());
        let obj = Self::normalize(k, obj, ns, Some(name))?;
        // managedFields written by the request replace the object's (how
        // a client hands its fields from one entry to another).
        let base = match patch.pointer("/metadata/managedFields") {
            Some(mf) => {
                let mut b = old.clone();
                b["metadata"]["managedFields"] = mf.clone();
                b
            }
            None => old,
        };
        self.replace_unchecked(k, ns, name, obj, &base, manager)
    }

    fn replace_unchecked(
        &mut self,
        k: &Kind,
        ns: &str,
        name: &str,
        mut obj: Value,
        old: &Value,
        manager: &str,
    ) -> Result<Value, Status> {
        validate(k, &obj)?;
        defaults(k, &mut obj);
        self.allocate(k, &mut obj, Some(old));
        managed::record_update(k.kind, Some(old), &mut obj, manager, &k.api_version(), &now(), &[]);
        self.finish(k, &mut obj, Some(old), ns);
        self.objects.insert(key(k, ns, name), obj.clone());
        Ok(obj)
    }

    /// Server-side apply; creates the object when it is not there.
    pub fn apply(
        &mut self,
        k: &Kind,
        ns: &str,
        name: &str,
        cfg: Value,
        manager: &str,
        force: bool,
    ) -> Result<Value, Status> {
        let cfg = Self::normalize(k, cfg, ns, Some(name))?;
        if cfg.get("apiVersion").and_then(Value::as_str).is_none() || cfg.get("kind").is_none() {
            return Err(status::bad_request(
                "apiVersion and kind must be set in an applied configuration".into(),
            ));
        }
        let old = self.get(k, ns, name).cloned();
        if old.is_none() {
            self.check_ns(k, ns)?;
        }
        let mut cfg_clean = cfg.clone();
        if let Some(m) = cfg_clean.get_mut("metadata").and_then(Value::as_object_mut) {
            m.remove("managedFields");
            m.remove("resourceVersion");
            m.remove("uid");
            m.remove("creationTimestamp");
        }
        let mut obj = managed::apply(
            k.kind,
            old.as_ref(),
            &cfg_clean,
            manager,
            &k.api_version(),
            &now(),
            force,
        )
        .map_err(|c| status::apply_conflict(k, name, &c))?;
        validate(k, &obj)?;
        defaults(k, &mut obj);
        self.finish(k, &mut obj, old.as_ref(), ns);
        self.objects.insert(key(k, ns, name), obj.clone());
        Ok(obj)
    }

    /// Deletes an object (honouring `preconditions`) and, in the background,
    /// the objects whose ownerReferences name it.
    pub fn delete(&mut self, k: &Kind, ns: &str, name: &str, options: &Value) -> Result<Value, Status> {
        let Some(old) = self.get(k, ns, name).cloned() else {
            return Err(status::not_found(k, name));
        };
        if let Some(uid) = options.pointer("/preconditions/uid").and_then(Value::as_str) {
            let have = old["metadata"]["uid"].as_str().unwrap_or("");
            if uid != have {
                return Err(status::conflict(
                    k,
                    name,
                    format!("Precondition failed: UID in precondition: {uid}, UID in object meta: {have}"),
                ));
            }
        }
        if let Some(rv) = options
            .pointer("/preconditions/resourceVersion")
            .and_then(Value::as_str)
        {
            let have = old["metadata"]["resourceVersion"].as_str().unwrap_or("");
            if rv != have {
                return Err(status::conflict(k, name, format!("Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {have}")));
            }
        }
        let orphan = options.get("propagationPolicy").and_then(Value::as_str) == Some("Orphan");
        if orphan {
            self.objects.remove(&key(k, ns, name));
            self.rv += 1;
        } else {
            self.remove(k, ns, name);
        }
        Ok(old)
    }

    fn remove(&mut self, k: &Kind, ns: &str, name: &str) {
        let Some(old) = self.objects.remove(&key(k, ns, name)) else {
            return;
        };
        self.rv += 1;
        let uid = old["metadata"]["uid"].as_str().unwrap_or("").to_string();
        let mut dependents: Vec<Key> = self
            .objects
            .iter()
            .filter(|(_, v)| {
                arr(v, "/metadata/ownerReferences")
                    .iter()
                    .any(|o| o["uid"] == json!(uid))
            })
            .map(|(key, _)| key.clone())
            .collect();
        if k.kind == "Namespace" {
            dependents.extend(self.objects.keys().filter(|(_, n, _)| n == name).cloned());
        }
        for (q, n, nm) in dependents {
            if let Some(dk) = super::kinds::KINDS.iter().find(|x| x.qualified() == q) {
                self.remove(dk, &n, &nm);
            }
        }
    }
}

fn merge_patch(kind: &str, target: &mut Value, patch: &Value, strategic: bool, names: &mut Vec<String>) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    for (k, v) in p {
        if k.starts_with('$') {
            continue;
        }
        let t = target.as_object_mut().expect("object");
        if v.is_null() {
            t.remove(k);
            continue;
        }
        names.push(k.clone());
        match (t.get_mut(k), v) {
            (Some(tv @ Value::Array(_)), Value::Array(_)) if strategic => fields::merge_at(kind, tv, v, names),
            (Some(tv), Value::Object(_)) => merge_patch(kind, tv, v, strategic, names),
            _ => {
                let mut fresh = json!({});
                if v.is_object() {
                    merge_patch(kind, &mut fresh, v, strategic, names);
                    t.insert(k.clone(), fresh);
                } else {
                    t.insert(k.clone(), v.clone());
                }
            }
        }
        names.pop();
    }
}
