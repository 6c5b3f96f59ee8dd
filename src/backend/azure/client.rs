//! The connection to ARM: the credential, the typed `azure_mgmt_network`
//! client (no SDK retries: ours are in [`super::retry`]), and one way to
//! send a request and get its whole answer.
//!
//! The SDK's pipeline turns an error status into an `azure_core::Error`
//! that keeps neither `Retry-After` nor the message in reach, so the
//! transport is ours ([`ArmTransport`]): it answers an error status with an
//! [`ArmError`] inside the `azure_core::Error`, which [`Arm::call`] takes out.

use super::config::AzureConfig;
use super::credential;
use super::error::{code_and_message, ArmError};
use crate::backend::OpCtx;
use async_trait::async_trait;
use azure_core::auth::TokenCredential;
use azure_core::error::ErrorKind;
use azure_core::headers::{self, Headers};
use azure_core::{Context, HttpClient, Method, Policy, PolicyResult, Request, Response, TransportOptions, Url};
use azure_mgmt_network::Client as NetworkClient;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// API version of Microsoft.Network calls.
pub const NETWORK_API: &str = "2024-03-01";
/// The longest one request may take before it counts as dropped.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(100);

/// One ARM answer, read whole.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Headers,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &'static str) -> Option<&str> {
        self.headers.get_optional_str(&headers::HeaderName::from_static(name))
    }

    /// The body as a typed model.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, ArmError> {
        serde_json::from_slice(&self.body).map_err(|e| ArmError::Decode(e.to_string()))
    }
}

/// The `Retry-After` of an answer (seconds, or `retry-after-ms`).
pub fn retry_after(headers: &Headers) -> Option<Duration> {
    if let Some(ms) = headers
        .get_optional_str(&headers::RETRY_AFTER_MS)
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return Some(Duration::from_millis(ms));
    }
    headers
        .get_optional_str(&headers::RETRY_AFTER)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// The last policy of the SDK pipeline: sends, and answers an error status
/// with an [`ArmError`] that keeps Azure's code, message and `Retry-After`.
#[derive(Debug)]
struct ArmTransport {
    http: Arc<dyn HttpClient>,
}

#[async_trait]
impl Policy for ArmTransport {
    async fn send(&self, _ctx: &Context, request: &mut Request, _next: &[Arc<dyn Policy>]) -> PolicyResult {
        let rsp = self.http.execute_request(request).await?;
        if rsp.status().is_success() {
            return Ok(rsp);
        }
        let status = rsp.status();
        let e = status_error(rsp).await;
        Err(azure_core::Error::new(
            ErrorKind::http_response(status, e.code().map(str::to_string)),
            e,
        ))
    }
}

async fn status_error(rsp: Response) -> ArmError {
    let (status, headers, body) = rsp.deconstruct();
    let body = body.collect().await.map(|b| b.to_vec()).unwrap_or_default();
    let (code, message) = code_and_message(&body, headers.get_optional_str(&headers::ERROR_CODE));
    ArmError::Status {
        status: u16::from(status),
        code,
        message,
        retry_after: retry_after(&headers),
    }
}

/// An `azure_core` error as ours.
pub fn from_core(e: azure_core::Error) -> ArmError {
    if let Some(arm) = e.downcast_ref::<ArmError>() {
        return arm.clone();
    }
    let text = crate::backend::error_chain(&e);
    match e.kind() {
        ErrorKind::Io => ArmError::Io(text),
        ErrorKind::Credential => ArmError::Credential(match entra_answer(&e) {
            Some(answer) => format!("{text}: {answer}"),
            None => text,
        }),
        ErrorKind::DataConversion => ArmError::Decode(text),
        ErrorKind::HttpResponse { status, error_code } => ArmError::Status {
            status: u16::from(*status),
            code: error_code.clone().unwrap_or_else(|| "UnknownError".into()),
            message: text,
            retry_after: None,
        },
        _ => ArmError::Io(text),
    }
}

/// What Microsoft Entra answered to a refused token request (`invalid_client:
/// AADSTS7000215: …`): `azure_identity` keeps it only inside the error.
fn entra_answer(e: &azure_core::Error) -> Option<String> {
    use oauth2::basic::BasicErrorResponse;
    use oauth2::RequestTokenError;
    match e.downcast_ref::<RequestTokenError<azure_core::Error, BasicErrorResponse>>()? {
        RequestTokenError::ServerResponse(r) => Some(match r.error_description() {
            Some(d) => format!("{}: {d}", r.error()),
            None => r.error().to_string(),
        }),
        _ => None,
    }
}

/// An HTTP client whose requests are logged at trace: method, path (no
/// query, no header, no body), status and time.
#[derive(Debug)]
struct LoggedHttp(Arc<dyn HttpClient>);

#[async_trait]
impl HttpClient for LoggedHttp {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<Response> {
        use crate::log::{self, Level, Module};
        if !log::enabled(Level::Trace) {
            return self.0.execute_request(request).await;
        }
        let started = std::time::Instant::now();
        let answer = self.0.execute_request(request).await;
        let took = started.elapsed();
        let method = request.method().to_string();
        let path = request.url().path();
        let (status, outcome) = match &answer {
            Ok(r) => (Some(u16::from(r.status())), u16::from(r.status()).to_string()),
            Err(e) => (None, format!("no answer: {}", e.kind())),
        };
        log::http(Module::Arm, &method, path, status, &outcome, took, &[]);
        answer
    }
}

/// ARM for one subscription.
pub struct Arm {
    pub network: NetworkClient,
    endpoint: Url,
    http: Arc<dyn HttpClient>,
    credential: Arc<dyn TokenCredential>,
    scope: String,
}

impl Arm {
    /// Builds the credential and the clients; no network, no token.
    pub fn new(config: &AzureConfig) -> Result<Arm, String> {
        let endpoint = Url::parse(&config.resource_manager_endpoint).map_err(|e| {
            format!(
                "the resource manager endpoint {:?} is not a URL: {e}",
                config.resource_manager_endpoint
            )
        })?;
        let http = azure_core::new_http_client();
        let credential = credential::build(&config.credential, http.clone(), &config.authority_host)?;
        // ARM requests are logged; token requests (the credential's) are not.
        let http: Arc<dyn HttpClient> = Arc::new(LoggedHttp(http));
        let scope = format!("{}/.default", endpoint.as_str().trim_end_matches('/'));
        let transport = TransportOptions::new_custom_policy(Arc::new(ArmTransport { http: http.clone() }));
        let network = NetworkClient::builder(credential.clone())
            .endpoint(endpoint.clone())
            .scopes(&[scope.as_str()])
            .retry(azure_core::RetryOptions::none())
            .transport(transport)
            .build()
            .map_err(|e| format!("building the ARM client: {e}"))?;
        Ok(Arm {
            network,
            endpoint,
            http,
            credential,
            scope,
        })
    }

    /// The absolute URL of an ARM path (`/subscriptions/…`) with `api-version`.
    pub fn url(&self, path: &str, api_version: &str) -> Result<Url, ArmError> {
        let mut url = self.endpoint.clone();
        url.set_path(path);
        url.query_pairs_mut().append_pair("api-version", api_version);
        Ok(url)
    }

    /// Sends one request of our own (a PUT whose body the typed model
    /// cannot express, an operation poll) with the bearer token.
    pub async fn raw(
        &self,
        cx: &OpCtx,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, ArmError> {
        let token = self
            .credential
            .get_token(&[self.scope.as_str()])
            .await
            .map_err(from_core)?;
        let mut req = Request::new(url, method);
        req.insert_header(headers::AUTHORIZATION, format!("Bearer {}", token.token.secret()));
        if let Some(b) = body {
            req.insert_header(headers::CONTENT_TYPE, "application/json");
            req.set_body(azure_core::to_json(b).map_err(|e| ArmError::Decode(e.to_string()))?);
        }
        let http = self.http.clone();
        let answer = self
            .call(cx, async move {
                let rsp = http.execute_request(&req).await?;
                if rsp.status().is_success() {
                    Ok(rsp)
                } else {
                    let status = rsp.status();
                    let e = status_error(rsp).await;
                    Err(azure_core::Error::new(
                        ErrorKind::http_response(status, e.code().map(str::to_string)),
                        e,
                    ))
                }
            })
            .await?;
        Ok(answer)
    }

    /// Runs one request (a typed client's `send()`) to its whole answer,
    /// bounded by [`REQUEST_TIMEOUT`] and the context's deadline. A request
    /// once sent is not abandoned for a cancellation (what it did must be
    /// read back); the deadline ends it.
    pub async fn call<R, F>(&self, cx: &OpCtx, fut: F) -> Result<Answer, ArmError>
    where
        R: Into<Response>,
        F: Future<Output = azure_core::Result<R>>,
    {
        let until_deadline = cx.clone().with_cancel(CancellationToken::new());
        let run = async {
            let rsp: Response = fut.await.map_err(from_core)?.into();
            let (status, headers, body) = rsp.deconstruct();
            let body = body.collect().await.map_err(from_core)?.to_vec();
            Ok(Answer {
                status: u16::from(status),
                headers,
                body,
            })
        };
        tokio::select! {
            r = run => r,
            w = until_deadline.wait(REQUEST_TIMEOUT, crate::backend::Op::Retrieving, "ARM request", "") => match w {
                Ok(()) => Err(ArmError::Io(format!("no answer within {}s", REQUEST_TIMEOUT.as_secs()))),
                Err(e) => Err(ArmError::from_context(&e)),
            },
        }
    }
}
