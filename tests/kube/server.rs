//! The HTTP side: authentication (bearer token or client certificate),
//! faults, the request log, discovery, and the resource paths.

use super::faults::Fault;
use super::kinds::{self, Kind};
use super::status::{self, Status};
use super::store::Store;
use super::Request;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Mutex, MutexGuard};

pub struct Shared {
    pub store: Mutex<Store>,
    pub opts: super::Options,
    pub faults: super::Faults,
    pub log: Mutex<Vec<Request>>,
    pub connections: AtomicUsize,
    pub tokens_expired: AtomicBool,
}

impl Shared {
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The connection is closed without an answer.
#[derive(Debug)]
pub struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

type Reply = Result<(u16, Value), Status>;

pub async fn handle(
    shared: Arc<Shared>,
    user: Option<String>,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Dropped> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (ct, accept, auth, ua) = (
        header("content-type"),
        header("accept"),
        header("authorization"),
        header("user-agent"),
    );
    let body = req.into_body().collect().await.map_err(|_| Dropped)?.to_bytes();
    let at = std::time::Instant::now();
    let who = user
        .clone()
        .unwrap_or_else(|| if auth.is_empty() { String::new() } else { "token".into() });
    let record = |status: u16| {
        shared.log.lock().unwrap_or_else(|e| e.into_inner()).push(Request {
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            status,
            content_type: ct.clone(),
            user_agent: ua.clone(),
            at,
            user: who.clone(),
            body: body.to_vec(),
        });
    };
    let wait = shared.faults.wait();
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    let mut extra: Vec<(&str, String)> = Vec::new();
    let fault = shared.faults.pick();
    let answer: Reply = match fault {
        Some(Fault::Drop) => {
            record(0);
            return Err(Dropped);
        }
        Some(Fault::Fail(code)) => {
            if code == 429 {
                extra.push(("Retry-After", "1".into()));
            }
            Err(status::internal(code))
        }
        None | Some(Fault::DropAfter) => {
            let token = auth.strip_prefix("Bearer ").filter(|t| {
                *t == shared.opts.token && !shared.tokens_expired.load(std::sync::atomic::Ordering::SeqCst)
            });
            if token.is_none() && user.is_none() {
                Err(status::unauthorized())
            } else {
                let q: BTreeMap<String, String> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
                route(&shared, &method, &path, &q, &ct, &accept, &body)
            }
        }
    };
    let (code, value) = match answer {
        Ok(a) => a,
        Err(Status(c, v)) => (c, v),
    };
    if fault == Some(Fault::DropAfter) {
        record(0);
        return Err(Dropped);
    }
    record(code);
    let mut b = hyper::Response::builder()
        .status(code)
        .header("Content-Type", "application/json")
        .header("Cache-Control", "no-cache, private");
    for (k, v) in extra {
        b = b.header(k, v);
    }
    Ok(
        b.body(Full::new(Bytes::from(serde_json::to_vec(&value).unwrap_or_default())))
            .unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::new()))),
    )
}

fn parse_body(ct: &str, body: &[u8]) -> Result<Value, Status> {
    if body.is_empty() {
        return Ok(json!({}));
    }
    let r = if ct.contains("yaml") {
        serde_yaml::from_slice::<Value>(body).map_err(|e| e.to_string())
    } else {
        serde_json::from_slice::<Value>(body).map_err(|e| e.to_string())
    };
    r.map_err(|e| status::bad_request(format!("error decoding request body: {e}")))
}

/// A resource path: kind, namespace (None: across namespaces), name.
fn resolve(path: &str) -> Option<(Kind, Option<String>, Option<String>)> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return None,
    };
    let (ns, plural, name) = match rest {
        ["namespaces"] => (None, "namespaces", None),
        ["namespaces", n] => (None, "namespaces", Some(*n)),
        ["namespaces", ns, p] => (Some(*ns), *p, None),
        ["namespaces", ns, p, n] => (Some(*ns), *p, Some(*n)),
        [p] => (None, *p, None),
        [p, n] => (None, *p, Some(*n)),
        _ => return None,
    };
    let k = Kind::by_plural(group, version, plural)?;
    if !k.namespaced && ns.is_some() {
        return None;
    }
    if k.namespaced && name.is_some() && ns.is_none() {
        return None;
    }
    Some((k, ns.map(str::to_string), name.map(str::to_string)))
}

fn route(
    shared: &Shared,
    method: &str,
    path: &str,
    q: &BTreeMap<String, String>,
    ct: &str,
    accept: &str,
    body: &[u8],
) -> Reply {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    if method == "GET" {
        let doc = match segs.as_slice() {
            ["version"] => Some(kinds::version(
                shared.opts.server_version.0,
                shared.opts.server_version.1,
            )),
            ["api"] => Some(kinds::api_versions()),
            ["apis"] => Some(kinds::group_list()),
            ["api", v] => kinds::resource_list("", v),
            ["apis", g] => kinds::group_doc(g),
            ["apis", g, v] => kinds::resource_list(g, v),
            ["openapi", "v3"] => Some(kinds::openapi_root()),
            ["openapi", "v3", rest @ ..] => kinds::openapi_gv(&rest.join("/")),
            _ => None,
        };
        if let Some(d) = doc {
            return Ok((200, d));
        }
    }
    let Some((k, ns, name)) = resolve(path) else {
        return Err(status::path_not_found());
    };
    let manager = q.get("fieldManager").cloned();
    let default_manager = "kubectl".to_string();
    let mut guard = shared.store();
    // `dryRun=All`: the answer of the write, nothing kept.
    let mut scratch = q.get("dryRun").is_some_and(|d| d == "All").then(|| guard.clone());
    let st: &mut Store = match scratch.as_mut() {
        Some(s) => s,
        None => &mut guard,
    };
    let ns_s = ns.clone().unwrap_or_default();
    let strict = q.get("fieldValidation").is_some_and(|v| v == "Strict");
    if strict && matches!(method, "POST" | "PUT" | "PATCH") {
        if let Some(field) = super::validate::unknown_field(k.kind, &parse_body(ct, body)?) {
            return Err(if ct.contains("apply-patch") {
                status::bad_request(format!("{field}: field not declared in schema"))
            } else {
                status::bad_request(format!(
                    "strict decoding error: unknown field {:?}",
                    field.trim_start_matches('.')
                ))
            });
        }
    }
    match (method, name) {
        ("GET", Some(n)) => st
            .get(&k, &ns_s, &n)
            .cloned()
            .map(|o| (200, super::table::maybe(&k, accept, vec![o.clone()], None).unwrap_or(o)))
            .ok_or_else(|| status::not_found(&k, &n)),
        ("GET", None) => {
            let mut items = st.list(&k, ns.as_deref().filter(|_| k.namespaced));
            if let Some(sel) = q.get("labelSelector") {
                let sel = selector(sel)
                    .ok_or_else(|| status::bad_request(format!("unable to parse requirement: {sel:?}")))?;
                items.retain(|o| sel.iter().all(|r| r.matches(&o["metadata"]["labels"])));
            }
            if let Some(sel) = q.get("fieldSelector") {
                let sel =
                    selector(sel).ok_or_else(|| status::bad_request(format!("invalid field selector: {sel:?}")))?;
                items.retain(|o| {
                    let fields = json!({"metadata.name": o["metadata"]["name"], "metadata.namespace": o["metadata"]["namespace"]});
                    sel.iter().all(|r| r.matches(&fields))
                });
            }
            let rv = st.resource_version();
            if let Some(t) = super::table::maybe(&k, accept, items.clone(), Some(&rv)) {
                return Ok((200, t));
            }
            let items: Vec<Value> = items
                .into_iter()
                .map(|mut o| {
                    if let Some(m) = o.as_object_mut() {
                        m.remove("apiVersion");
                        m.remove("kind");
                    }
                    o
                })
                .collect();
            Ok((
                200,
                json!({"kind": format!("{}List", k.kind), "apiVersion": k.api_version(), "metadata": {"resourceVersion": rv}, "items": items}),
            ))
        }
        ("POST", None) => {
            let obj = parse_body(ct, body)?;
            st.create(&k, &ns_s, obj, manager.as_deref().unwrap_or(&default_manager))
                .map(|o| (201, o))
        }
        ("PUT", Some(n)) => {
            let obj = parse_body(ct, body)?;
            st.replace(&k, &ns_s, &n, obj, manager.as_deref().unwrap_or(&default_manager))
                .map(|o| (200, o))
        }
        ("PATCH", Some(n)) => {
            let ct_base = ct.split(';').next().unwrap_or("").trim();
            let patch = parse_body(ct, body)?;
            match ct_base {
                "application/apply-patch+yaml" | "application/apply-patch+cbor" => {
                    let Some(m) = manager else {
                        return Err(status::bad_request(
                            "PATCH requests with apply-patch content type require a fieldManager query parameter"
                                .into(),
                        ));
                    };
                    let force = q.get("force").is_some_and(|f| f == "true");
                    let existed = st.get(&k, &ns_s, &n).is_some();
                    st.apply(&k, &ns_s, &n, patch, &m, force)
                        .map(|o| (if existed { 200 } else { 201 }, o))
                }
                "application/merge-patch+json" | "application/strategic-merge-patch+json" => {
                    let strategic = ct_base.contains("strategic");
                    st.patch(
                        &k,
                        &ns_s,
                        &n,
                        &patch,
                        strategic,
                        manager.as_deref().unwrap_or(&default_manager),
                    )
                    .map(|o| (200, o))
                }
                other => Err(status::unsupported_media(other)),
            }
        }
        ("DELETE", Some(n)) => {
            let mut opts = parse_body("application/json", body)?;
            if let Some(p) = q.get("propagationPolicy") {
                opts["propagationPolicy"] = json!(p);
            }
            st.delete(&k, &ns_s, &n, &opts).map(|o| (200, o))
        }
        _ => Err(status::method_not_allowed()),
    }
}

/// One requirement of a label or field selector.
enum Requirement {
    Eq(String, String),
    Ne(String, String),
    Exists(String),
    Absent(String),
}

impl Requirement {
    fn matches(&self, labels: &Value) -> bool {
        let get = |k: &str| labels.get(k).and_then(Value::as_str);
        match self {
            Requirement::Eq(k, v) => get(k) == Some(v.as_str()),
            Requirement::Ne(k, v) => get(k) != Some(v.as_str()),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::Absent(k) => get(k).is_none(),
        }
    }
}

/// `a=b,c!=d,e,!f` (the equality-based selector syntax).
fn selector(s: &str) -> Option<Vec<Requirement>> {
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let p = p.trim();
            if let Some((k, v)) = p.split_once("!=") {
                Some(Requirement::Ne(k.trim().into(), v.trim().into()))
            } else if let Some((k, v)) = p.split_once("==").or_else(|| p.split_once('=')) {
                Some(Requirement::Eq(k.trim().into(), v.trim().into()))
            } else if let Some(k) = p.strip_prefix('!') {
                Some(Requirement::Absent(k.trim().into()))
            } else if p.contains(' ') || p.contains('(') {
                None
            } else {
                Some(Requirement::Exists(p.into()))
            }
        })
        .collect()
}
