//! The loopback HTTP server: token endpoint, bearer-token checks, latency,
//! faults (a dropped connection closes the socket without an answer), the
//! request log, ARM's request-ID headers, and persistence after changes.

use super::dispatch::{dispatch, Ctx, Reply};
use super::faults::Fault;
use super::lro;
use super::state::State;
use super::target::Target;
use super::{Options, Request};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::HeaderMap;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

pub struct Shared {
    pub state: Mutex<State>,
    pub opts: Options,
    pub endpoint: String,
    pub faults: super::Faults,
    pub log: Mutex<Vec<Request>>,
    pub tokens_issued: AtomicUsize,
}

impl Shared {
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn persist(&self, st: &State) {
        if let Some(path) = &self.opts.state_file {
            if let Err(e) = st.save(path) {
                eprintln!("ARM emulator: {e}");
            }
        }
    }

    fn record(&self, method: &str, path: &str, query: &str, status: u16, at: Instant, retry_after: Option<u64>) {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).push(Request {
            method: method.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            status,
            at,
            retry_after,
        });
    }

    pub fn max_age_ms(&self) -> u64 {
        self.opts.op_max_age.as_millis() as u64
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

pub fn parse_query(q: &str) -> BTreeMap<String, String> {
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

pub async fn handle(
    shared: Arc<Shared>,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Dropped> {
    let at = Instant::now();
    let method = req.method().as_str().to_ascii_uppercase();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let headers = req.headers().clone();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Err(Dropped),
    };
    let target = Target::parse(&path);
    let is_token = matches!(target, Some(Target::Token { .. }));
    let fault = shared.faults.pick(&method, &path, is_token);
    let mut wait = shared.faults.latency();
    if let Some(Fault::Latency(d)) = &fault {
        wait += *d;
    }
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    let reply = match &fault {
        Some(Fault::Drop) => {
            shared.record(&method, &path, &query, 0, at, None);
            return Err(Dropped);
        }
        Some(Fault::Throttle { retry_after_secs }) => Reply::error(
            429,
            "SubscriptionRequestsThrottled",
            format!(
                "Number of requests for subscription '{}' and operation '{method} {path}' exceeded the backend storage limit. Please try again after '{retry_after_secs}' seconds.",
                shared.opts.subscription_id
            ),
        )
        .header("Retry-After", retry_after_secs.to_string()),
        Some(Fault::ServerError) => Reply::error(
            500,
            "InternalServerError",
            "Encountered internal server error. Please try again.",
        ),
        Some(Fault::Conflict) => Reply::error(
            409,
            "AnotherOperationInProgress",
            format!("Another operation on this or dependent resource is in progress: {path}."),
        ),
        _ => match &target {
            Some(Target::Token { tenant }) => token(&shared, tenant, &body),
            _ => arm(&shared, &method, &path, &query, &headers, &body, target.as_ref()),
        },
    };
    let retry_after = reply
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
        .and_then(|(_, v)| v.parse().ok());
    if matches!(fault, Some(Fault::DropAfter)) {
        shared.record(&method, &path, &query, 0, at, retry_after);
        return Err(Dropped);
    }
    shared.record(&method, &path, &query, reply.status, at, retry_after);
    Ok(respond(
        reply,
        &headers,
        &mut shared.state().rng,
        !is_token,
        method == "HEAD",
    ))
}

fn respond(
    reply: Reply,
    req_headers: &HeaderMap,
    rng: &mut super::state::Rng,
    arm: bool,
    head: bool,
) -> hyper::Response<Full<Bytes>> {
    let mut b = hyper::Response::builder()
        .status(reply.status)
        .header("Cache-Control", "no-cache")
        .header("Pragma", "no-cache");
    if arm {
        let correlation = req_headers
            .get("x-ms-correlation-request-id")
            .and_then(|v| v.to_str().ok())
            .map_or_else(|| rng.guid(), str::to_string);
        b = b
            .header("x-ms-request-id", rng.guid())
            .header("x-ms-correlation-request-id", correlation);
    }
    for (k, v) in &reply.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    let body = match (&reply.body, head) {
        (Some(v), false) => {
            b = b.header("Content-Type", "application/json; charset=utf-8");
            Bytes::from(serde_json::to_vec(v).unwrap_or_default())
        }
        _ => Bytes::new(),
    };
    b.body(Full::new(body))
        .unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::new())))
}

fn aad_error(status: u16, error: &str, code: u32, description: String) -> Reply {
    Reply::json(
        status,
        json!({
            "error": error,
            "error_description": description,
            "error_codes": [code],
            "timestamp": super::state::rfc3339(super::state::now_ms()),
        }),
    )
}

/// The client-credentials token endpoint.
fn token(shared: &Shared, tenant: &str, body: &[u8]) -> Reply {
    let form: BTreeMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
    let o = &shared.opts;
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    if !tenant.eq_ignore_ascii_case(&o.tenant_id) {
        return aad_error(
            400,
            "invalid_request",
            90002,
            format!("AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."),
        );
    }
    if field("grant_type") != "client_credentials" {
        return aad_error(
            400,
            "unsupported_grant_type",
            70003,
            format!(
                "AADSTS70003: The app requested an unsupported grant type '{}'.",
                field("grant_type")
            ),
        );
    }
    if field("client_id") != o.client_id {
        return aad_error(
            400,
            "unauthorized_client",
            700016,
            format!(
                "AADSTS700016: Application with identifier '{}' was not found in the directory '{tenant}'.",
                field("client_id")
            ),
        );
    }
    let assertion = field("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    if assertion && field("client_assertion") != o.federated_token {
        return aad_error(
            401,
            "invalid_client",
            700211,
            "AADSTS700211: No matching federated identity record found for presented assertion issuer.".to_string(),
        );
    }
    if !assertion && field("client_secret") != o.client_secret {
        return aad_error(
            401,
            "invalid_client",
            7000215,
            format!(
                "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.",
                o.client_id
            ),
        );
    }
    let scope = field("scope");
    if !scope.split(' ').any(|s| s.ends_with("/.default")) {
        return aad_error(
            400,
            "invalid_scope",
            70011,
            format!("AADSTS70011: The provided value for the input parameter 'scope' is not valid: '{scope}'. The scope must end in /.default."),
        );
    }
    let mut st = shared.state();
    let t = format!(
        "emu.{}.{}",
        st.rng.guid().replace('-', ""),
        st.rng.guid().replace('-', "")
    );
    st.tokens.insert(t.clone());
    shared.persist(&st);
    shared.tokens_issued.fetch_add(1, Ordering::SeqCst);
    Reply::json(
        200,
        json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": t}),
    )
}

#[allow(clippy::too_many_arguments)]
fn arm(
    shared: &Shared,
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
    target: Option<&Target>,
) -> Reply {
    let mut st = shared.state();
    let bearer = headers.get("authorization").and_then(|v| v.to_str().ok()).map(|v| {
        v.strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
            .unwrap_or("")
    });
    match bearer {
        None => {
            return Reply::error(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
            )
            .header(
                "WWW-Authenticate",
                "Bearer authorization_uri=\"\", error=\"invalid_token\"",
            )
        }
        Some(t) if !st.tokens.contains(t) => {
            return Reply::error(401, "InvalidAuthenticationToken", "The access token is invalid.")
                .header("WWW-Authenticate", "Bearer error=\"invalid_token\"")
        }
        Some(_) => {}
    }
    let q = parse_query(query);
    if !q.keys().any(|k| k.eq_ignore_ascii_case("api-version")) {
        return Reply::error(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        );
    }
    let Some(target) = target else {
        return Reply::error(
            404,
            "InvalidResourceType",
            format!("The resource type of '{path}' could not be found in the namespace 'Microsoft.Network'."),
        );
    };
    let parsed: Option<Value> = if matches!(method, "PUT" | "PATCH") && !body.is_empty() {
        match serde_json::from_slice(body) {
            Ok(v) => Some(v),
            Err(e) => {
                return Reply::error(
                    400,
                    "InvalidRequestContent",
                    format!("The request content was invalid and could not be deserialized: '{e}'."),
                )
            }
        }
    } else {
        None
    };
    let settled = lro::settle(&mut st, shared.max_age_ms());
    let cx = Ctx {
        endpoint: &shared.endpoint,
        op_polls: shared.opts.op_polls,
        retry_after_secs: shared.opts.retry_after_secs,
        page_size: shared.opts.page_size,
        oob: false,
        faults: Some(&shared.faults),
        path,
        query: &q,
    };
    let reply = dispatch(&mut st, &cx, method, target, parsed.as_ref());
    if reply.changed || settled {
        shared.persist(&st);
    }
    reply
}
