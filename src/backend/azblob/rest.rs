//! The few Blob service REST calls the stack state needs, over `reqwest`:
//! Get Blob, Get Blob Properties, Put Blob (conditional, under a lease),
//! Set Blob Metadata, Lease Blob (acquire, renew, release, break) and
//! Create Container. Every failure is a [`BlobError`] whose text holds no
//! secret.

use super::auth::{self, Auth, Signed};
use super::location::Location;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The service version requests ask for (Shared Key, SAS and Entra alike).
pub const API_VERSION: &str = "2021-12-02";
/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The metadata prefix of the response and request headers.
const META: &str = "x-ms-meta-";

/// Why a Blob call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BlobError {
    /// 403: the credential was refused.
    #[error("{what}: 403 {code}: the storage account refused {auth}{hint}")]
    Forbidden {
        what: String,
        code: String,
        auth: &'static str,
        hint: &'static str,
    },
    /// Any other answer than the one expected.
    #[error("{what}: {status} {code}{}", if .message.is_empty() { String::new() } else { format!(": {}", .message) })]
    Status {
        what: String,
        status: u16,
        /// The service's error code (`LeaseAlreadyPresent`, `ConditionNotMet`, …).
        code: String,
        message: String,
    },
    /// No answer (connection, timeout).
    #[error("{what}: {cause}")]
    Transport { what: String, cause: String },
}

impl BlobError {
    /// The status and error code, for the answers that have one.
    pub fn status(&self) -> Option<(u16, &str)> {
        match self {
            BlobError::Forbidden { code, .. } => Some((403, code)),
            BlobError::Status { status, code, .. } => Some((*status, code)),
            BlobError::Transport { .. } => None,
        }
    }
}

/// A blob's properties as read.
#[derive(Debug, Clone, Default)]
pub struct Props {
    pub etag: String,
    /// `available`, `leased`, `expired`, `breaking`, `broken`.
    pub lease_state: String,
    /// Metadata by (lowercase) name.
    pub meta: BTreeMap<String, String>,
}

/// Which version of the blob a write expects.
pub enum Cond<'a> {
    /// That there is none yet.
    Absent,
    /// This ETag.
    Matches(&'a str),
}

/// A lease operation.
pub enum Lease<'a> {
    Acquire {
        proposed_id: &'a str,
        seconds: u64,
    },
    Renew {
        id: &'a str,
    },
    Release {
        id: &'a str,
    },
    /// Ends the lease at once, whoever holds it.
    Break,
}

/// The client of one blob (and its container).
pub struct Client {
    http: reqwest::Client,
    pub location: Location,
    auth: Arc<Auth>,
}

impl Client {
    pub fn new(location: Location, auth: Arc<Auth>) -> Result<Client, String> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("building the HTTP client: {e}"))?;
        Ok(Client { http, location, auth })
    }

    /// The same blob and credential over new connections (for another runtime).
    pub fn fresh(&self) -> Result<Client, String> {
        Client::new(self.location.clone(), self.auth.clone())
    }

    /// What authorizes the requests, for messages.
    pub fn auth_method(&self) -> &'static str {
        self.auth.describe()
    }

    /// The blob's content and properties; `None` when the blob (or its
    /// container) does not exist.
    pub async fn get(&self) -> Result<Option<(Vec<u8>, Props)>, BlobError> {
        let what = format!("reading {}", self.location);
        match self
            .send(Method::GET, &what, self.blob_path(), &[], BTreeMap::new(), Vec::new())
            .await
        {
            Ok((h, body)) => Ok(Some((body, props(&h)))),
            Err(e) if e.status().is_some_and(|(s, _)| s == 404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The blob's properties and metadata; `None` when it does not exist.
    pub async fn properties(&self) -> Result<Option<Props>, BlobError> {
        let what = format!("reading the properties of {}", self.location);
        match self
            .send(Method::HEAD, &what, self.blob_path(), &[], BTreeMap::new(), Vec::new())
            .await
        {
            Ok((h, _)) => Ok(Some(props(&h))),
            Err(e) if e.status().is_some_and(|(s, _)| s == 404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Writes the whole blob (its metadata replaced by `meta`) when `cond`
    /// holds, under the lease `lease`; returns the new ETag. A refused write
    /// leaves the blob as it was.
    pub async fn put(
        &self,
        body: Vec<u8>,
        cond: Cond<'_>,
        lease: Option<&str>,
        meta: &[(String, String)],
    ) -> Result<String, BlobError> {
        let what = format!("writing {}", self.location);
        let mut h = BTreeMap::new();
        h.insert("x-ms-blob-type".into(), "BlockBlob".into());
        h.insert("content-type".into(), "application/json".into());
        match cond {
            Cond::Absent => h.insert("if-none-match".into(), "*".into()),
            Cond::Matches(etag) => h.insert("if-match".into(), etag.to_string()),
        };
        if let Some(l) = lease {
            h.insert("x-ms-lease-id".into(), l.to_string());
        }
        for (k, v) in meta {
            h.insert(format!("{META}{k}"), v.clone());
        }
        let (headers, _) = self.send(Method::PUT, &what, self.blob_path(), &[], h, body).await?;
        Ok(header(&headers, "etag"))
    }

    /// Replaces the blob's metadata under the lease; returns the new ETag.
    pub async fn set_metadata(&self, lease: &str, meta: &[(String, String)]) -> Result<String, BlobError> {
        let what = format!("writing the lock information of {}", self.location);
        let mut h = BTreeMap::new();
        h.insert("x-ms-lease-id".into(), lease.to_string());
        for (k, v) in meta {
            h.insert(format!("{META}{k}"), v.clone());
        }
        let q = [("comp".to_string(), "metadata".to_string())];
        let (headers, _) = self
            .send(Method::PUT, &what, self.blob_path(), &q, h, Vec::new())
            .await?;
        Ok(header(&headers, "etag"))
    }

    /// A lease operation; returns the lease ID the service answers with.
    pub async fn lease(&self, op: Lease<'_>) -> Result<String, BlobError> {
        let mut h = BTreeMap::new();
        let action = match op {
            Lease::Acquire { proposed_id, seconds } => {
                h.insert("x-ms-lease-duration".into(), seconds.to_string());
                h.insert("x-ms-proposed-lease-id".into(), proposed_id.to_string());
                "acquire"
            }
            Lease::Renew { id } => {
                h.insert("x-ms-lease-id".into(), id.to_string());
                "renew"
            }
            Lease::Release { id } => {
                h.insert("x-ms-lease-id".into(), id.to_string());
                "release"
            }
            Lease::Break => {
                h.insert("x-ms-lease-break-period".into(), "0".into());
                "break"
            }
        };
        h.insert("x-ms-lease-action".into(), action.into());
        let doing = match action {
            "acquire" => "acquiring",
            "renew" => "renewing",
            "release" => "releasing",
            _ => "breaking",
        };
        let what = format!("{doing} the lease of {}", self.location);
        let q = [("comp".to_string(), "lease".to_string())];
        let (headers, _) = self
            .send(Method::PUT, &what, self.blob_path(), &q, h, Vec::new())
            .await?;
        Ok(header(&headers, "x-ms-lease-id"))
    }

    /// Creates the container; one that exists already is fine.
    pub async fn create_container(&self) -> Result<(), BlobError> {
        let what = format!(
            "creating the container `{}` in the storage account `{}`",
            self.location.container, self.location.account
        );
        let q = [("restype".to_string(), "container".to_string())];
        let path = format!("{}/{}", self.location.base_path(), self.location.container);
        match self
            .send(Method::PUT, &what, path, &q, BTreeMap::new(), Vec::new())
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.status().is_some_and(|(s, _)| s == 409) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn blob_path(&self) -> String {
        self.location.blob_path()
    }

    /// Sends one request signed for the credential; a 2xx answer gives its
    /// headers and body, anything else a [`BlobError`].
    async fn send(
        &self,
        method: Method,
        what: &str,
        path: String,
        query: &[(String, String)],
        mut headers: BTreeMap<String, String>,
        body: Vec<u8>,
    ) -> Result<(HeaderMap, Vec<u8>), BlobError> {
        let transport = |cause: String| BlobError::Transport {
            what: what.to_string(),
            cause: self.auth.redact(&cause),
        };
        headers.insert("x-ms-date".into(), auth::http_date(crate::clock::now_secs()));
        headers.insert("x-ms-version".into(), API_VERSION.into());
        if method == Method::PUT {
            headers.insert("content-length".into(), body.len().to_string());
        }
        let mut url = format!("{}{}", self.location.origin(), path);
        let mut q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={}", encode(v, false))).collect();
        match self.auth.as_ref() {
            Auth::Key { decoded, .. } => {
                let to_sign = auth::string_to_sign(&Signed {
                    verb: method.as_str(),
                    headers: &headers,
                    resource: format!("/{}{}", self.location.account, path),
                    query,
                });
                headers.insert(
                    "authorization".into(),
                    auth::shared_key_header(&self.location.account, decoded, &to_sign),
                );
            }
            Auth::Sas(token) => q.push(token.expose().to_string()),
            Auth::Entra(source) => {
                let token = source.token().await.map_err(transport)?;
                headers.insert("authorization".into(), format!("Bearer {}", token.expose()));
            }
        }
        if !q.is_empty() {
            url.push('?');
            url.push_str(&q.join("&"));
        }
        let mut map = HeaderMap::new();
        for (k, v) in &headers {
            let name = HeaderName::from_bytes(k.as_bytes()).map_err(|e| transport(e.to_string()))?;
            let mut value = HeaderValue::from_str(v).map_err(|_| transport(format!("the header {k} is not valid")))?;
            value.set_sensitive(k == "authorization");
            map.insert(name, value);
        }
        let resp = self
            .http
            .request(method, &url)
            .headers(map)
            .body(body)
            .send()
            .await
            .map_err(|e| transport(e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        let h = resp.headers().clone();
        let bytes = resp.bytes().await.map_err(|e| transport(e.without_url().to_string()))?;
        if (200..300).contains(&status) {
            return Ok((h, bytes.to_vec()));
        }
        let text = String::from_utf8_lossy(&bytes);
        let code = match header(&h, "x-ms-error-code") {
            c if c.is_empty() => element(&text, "Code"),
            c => c,
        };
        let message = self.auth.redact(element(&text, "Message").lines().next().unwrap_or(""));
        Err(if status == 403 {
            BlobError::Forbidden {
                what: what.to_string(),
                code,
                auth: self.auth.describe(),
                hint: match self.auth.as_ref() {
                    Auth::Key { .. } => " (is ARM_ACCESS_KEY the key of this account?)",
                    Auth::Sas(_) => " (has the SAS token expired, or does it lack read/write/create permissions?)",
                    Auth::Entra(_) => " (does the identity hold the Storage Blob Data Contributor role?)",
                },
            }
        } else {
            BlobError::Status {
                what: what.to_string(),
                status,
                code,
                message,
            }
        })
    }
}

fn header(h: &HeaderMap, name: &str) -> String {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

fn props(h: &HeaderMap) -> Props {
    let meta = h
        .iter()
        .filter_map(|(k, v)| {
            let name = k.as_str().strip_prefix(META)?;
            Some((name.to_lowercase(), v.to_str().ok()?.to_string()))
        })
        .collect();
    Props {
        etag: header(h, "etag"),
        lease_state: header(h, "x-ms-lease-state"),
        meta,
    }
}

/// The text of the first `<name>…</name>` of an XML error body.
fn element(xml: &str, name: &str) -> String {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    xml.find(&open)
        .and_then(|i| {
            let rest = &xml[i + open.len()..];
            rest.find(&close).map(|j| rest[..j].trim().to_string())
        })
        .unwrap_or_default()
}

/// Percent-encodes all but the unreserved characters (and `/` in a path).
pub fn encode(s: &str, path: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b'/' if path => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn error_bodies_give_their_code_and_message() {
        let xml = "<?xml version=\"1.0\"?><Error><Code>LeaseAlreadyPresent</Code><Message>There is already a lease present.\nRequestId:1</Message></Error>";
        assert_eq!(super::element(xml, "Code"), "LeaseAlreadyPresent");
        assert!(super::element(xml, "Message").starts_with("There is already a lease present."));
        assert_eq!(super::element("", "Code"), "");
    }

    #[test]
    fn paths_keep_their_slashes() {
        assert_eq!(super::encode("envs/dev state.hk", true), "envs/dev%20state.hk");
        assert_eq!(super::encode("a/b", false), "a%2Fb");
    }
}
