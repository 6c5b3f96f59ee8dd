//! One request to an API server, as the plane makes them: retried on 429
//! (after `Retry-After`), on 5xx and on a dropped connection, within the
//! operation's deadline and never once it is cancelled; the answer's status
//! and body, and the `Status` of a refusal turned into a [`BackendError`].

use super::cluster::{At, Conn};
use crate::backend::BackendError;
use serde_json::Value as J;
use std::time::Duration;

/// The field manager of every write.
pub const FIELD_MANAGER: &str = "hybridk8s";

/// How many times one request is sent before its failure is final.
const ATTEMPTS: u32 = 6;

/// An HTTP method the plane uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

impl Method {
    fn as_http(self) -> http::Method {
        match self {
            Method::Get => http::Method::GET,
            Method::Post => http::Method::POST,
            Method::Patch => http::Method::PATCH,
            Method::Delete => http::Method::DELETE,
        }
    }
}

/// The body of a write and its media type.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    None,
    Json(&'a J),
    /// Server-side apply (`application/apply-patch+yaml`; JSON is YAML).
    Apply(&'a J),
    MergePatch(&'a J),
}

/// An answer: HTTP status and JSON body (`Null` when it had none).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: J,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The `reason` of a `Status` body.
    pub fn reason(&self) -> &str {
        self.body.get("reason").and_then(J::as_str).unwrap_or("")
    }
}

fn retryable(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis((100u64 << attempt.min(6)).min(3_000))
}

/// Sends one request (the query already in `path`), retrying what a
/// retry can fix. Transport failures that outlast the retries are
/// [`BackendError::Remote`]; HTTP answers, good or bad, are returned.
pub async fn send(
    conn: &Conn,
    cx: &crate::backend::OpCtx,
    at: &At<'_>,
    method: Method,
    path: &str,
    body: Body<'_>,
) -> Result<Answer, BackendError> {
    let (ct, bytes) = match body {
        Body::None => (None, Vec::new()),
        Body::Json(v) => (Some("application/json"), serde_json::to_vec(v).unwrap_or_default()),
        Body::Apply(v) => (
            Some("application/apply-patch+yaml"),
            serde_json::to_vec(v).unwrap_or_default(),
        ),
        Body::MergePatch(v) => (
            Some("application/merge-patch+json"),
            serde_json::to_vec(v).unwrap_or_default(),
        ),
    };
    let mut attempt = 0;
    loop {
        cx.check(at.op, at.noun, at.id)?;
        attempt += 1;
        let mut req = http::Request::builder()
            .method(method.as_http())
            .uri(path)
            .header(http::header::ACCEPT, "application/json");
        if let Some(ct) = ct {
            req = req.header(http::header::CONTENT_TYPE, ct);
        }
        let req = req
            .body(kube::client::Body::from(bytes.clone()))
            .map_err(|e| at.remote(format!("building the request {path}: {e}")))?;
        let started = std::time::Instant::now();
        let sent = tokio::select! {
            r = conn.client.send(req) => r,
            _ = cx.cancel_token().cancelled() => {
                cx.check(at.op, at.noun, at.id)?;
                continue;
            }
        };
        trace(
            method,
            path,
            sent.as_ref().map(|r| r.status().as_u16()).ok(),
            attempt,
            started.elapsed(),
        );
        let wait = match sent {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let retry_after = resp
                    .headers()
                    .get(http::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok());
                let body = resp.into_body().collect_bytes().await;
                match body {
                    Ok(b) if !(retryable(status) && attempt < ATTEMPTS) => {
                        let body = if b.is_empty() {
                            J::Null
                        } else {
                            serde_json::from_slice(&b).unwrap_or_else(|_| J::String(String::from_utf8_lossy(&b).into()))
                        };
                        return Ok(Answer { status, body });
                    }
                    Ok(_) => retry_after.map_or(backoff(attempt), |s| Duration::from_secs(s.min(30))),
                    Err(e) if attempt >= ATTEMPTS => {
                        return Err(at.remote(format!("reading the answer of {} ({path}): {e}", conn.server)))
                    }
                    Err(_) => backoff(attempt),
                }
            }
            Err(e) if attempt >= ATTEMPTS => {
                return Err(at.remote(format!(
                    "the Kubernetes API server {} did not answer: {}",
                    conn.server,
                    crate::backend::error_chain(&e)
                )))
            }
            Err(_) => backoff(attempt),
        };
        cx.wait(wait, at.op, at.noun, at.id).await?;
    }
}

/// One trace line per request: method, path (no query, no body), status
/// (none: no answer), attempt and time.
fn trace(method: Method, path: &str, status: Option<u16>, attempt: u32, took: Duration) {
    use crate::log::{self, Field, Level, Module};
    if !log::enabled(Level::Trace) {
        return;
    }
    let path = path.split('?').next().unwrap_or_default();
    let method = method.as_http();
    let outcome = status.map_or_else(|| "no answer".to_string(), |s| s.to_string());
    let attempt = [("attempt", Field::Num(u64::from(attempt)))];
    log::http(Module::Kube, method.as_str(), path, status, &outcome, took, &attempt);
}

/// The managers a server-side-apply conflict names, and the fields.
pub fn conflicts(a: &Answer) -> Option<(Vec<String>, Vec<String>)> {
    if a.status != 409 || a.reason() != "Conflict" {
        return None;
    }
    let causes = a.body.pointer("/details/causes").and_then(J::as_array)?;
    let mut managers = Vec::new();
    let mut fields = Vec::new();
    for c in causes {
        if c.get("reason").and_then(J::as_str) != Some("FieldManagerConflict") {
            continue;
        }
        let msg = c.get("message").and_then(J::as_str).unwrap_or("");
        let who = msg.strip_prefix("conflict with ").unwrap_or(msg);
        // `"kubectl-edit" using v1` → kubectl-edit
        let name = who
            .strip_prefix('"')
            .and_then(|r| r.split_once('"'))
            .map(|(n, _)| n)
            .unwrap_or(who);
        if !managers.iter().any(|m| m == name) {
            managers.push(name.to_string());
        }
        if let Some(f) = c.get("field").and_then(J::as_str) {
            fields.push(f.to_string());
        }
    }
    (!managers.is_empty()).then_some((managers, fields))
}

/// The error of a refused request.
pub fn refused(at: &At<'_>, a: &Answer) -> BackendError {
    if let Some((managers, fields)) = conflicts(a) {
        return BackendError::FieldConflict {
            op: at.op,
            noun: at.noun,
            id: at.id.to_string(),
            managers,
            fields,
        };
    }
    let mut message = a
        .body
        .get("message")
        .and_then(J::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| match &a.body {
            J::String(s) => s.clone(),
            _ => String::new(),
        });
    let reason = match a.reason() {
        "" => http::StatusCode::from_u16(a.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error")
            .replace(' ', ""),
        r => r.to_string(),
    };
    if a.status == 401 {
        message.push_str(
            " (the API server refused the kubeconfig's credentials: an expired token or certificate? get new credentials, e.g. `az aks get-credentials`)",
        );
    }
    BackendError::Kubernetes {
        op: at.op,
        noun: at.noun,
        id: at.id.to_string(),
        status: a.status,
        reason,
        message,
    }
}

/// `?fieldManager=hybridk8s&fieldValidation=Strict`, plus `&force=true`.
pub fn write_query(force: bool) -> String {
    let mut q = format!("?fieldManager={FIELD_MANAGER}&fieldValidation=Strict");
    if force {
        q.push_str("&force=true");
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Op;
    use serde_json::json;

    #[test]
    fn conflicts_name_the_other_managers() {
        let a = Answer {
            status: 409,
            body: json!({"kind": "Status", "reason": "Conflict", "code": 409,
                "message": "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using v1: .spec.ports[port=80,protocol=\"TCP\"].targetPort",
                "details": {"causes": [{"reason": "FieldManagerConflict", "message": "conflict with \"kubectl-edit\" using v1",
                    "field": ".spec.ports[port=80,protocol=\"TCP\"].targetPort"}]}}),
        };
        let at = At {
            op: Op::Updating,
            noun: "Kubernetes Service",
            id: "/x",
        };
        let e = refused(&at, &a).to_string();
        assert!(
            e.contains("(kubectl-edit)") && e.contains("targetPort") && e.contains("force_conflicts"),
            "{e}"
        );
        let a = Answer {
            status: 401,
            body: json!({"kind": "Status", "reason": "Unauthorized", "message": "Unauthorized", "code": 401}),
        };
        let e = refused(&at, &a).to_string();
        assert!(e.contains("Unauthorized (401)") && e.contains("expired token"), "{e}");
        let a = Answer {
            status: 503,
            body: J::String("upstream connect error".into()),
        };
        assert!(refused(&at, &a)
            .to_string()
            .contains("ServiceUnavailable (503): upstream connect error"));
    }
}
