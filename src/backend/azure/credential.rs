//! The credential of a [`CredentialSource`], through `azure_identity`. It is
//! built without any network call; the first token is fetched by the first
//! ARM call that needs one (and cached by the credential until it expires).
//!
//! Two small wrappers fill what `azure_identity` 0.21 lacks: a workload
//! identity whose assertion file is re-read at each token request (the
//! platform rotates it), and a user-assigned managed identity (the crate's
//! IMDS credential only offers the system-assigned one publicly).

use super::config::{CredentialSource, OidcToken};
use async_trait::async_trait;
use azure_core::auth::{AccessToken, TokenCredential};
use azure_core::error::{Error, ErrorKind};
use azure_core::{HttpClient, Method, Request, Url};
use azure_identity::{
    AzureCliCredential, ClientSecretCredential, VirtualMachineManagedIdentityCredential, WorkloadIdentityCredential,
};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// IMDS, the instance metadata endpoint managed identities get tokens from.
const IMDS_TOKEN_URL: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

/// The credential for `source`, talking to Entra at `authority_host`.
pub fn build(
    source: &CredentialSource,
    http: Arc<dyn HttpClient>,
    authority_host: &str,
) -> Result<Arc<dyn TokenCredential>, String> {
    let authority = || {
        Url::parse(authority_host.trim_end_matches('/'))
            .map_err(|e| format!("the authority host {authority_host:?} is not a URL: {e}"))
    };
    Ok(match source {
        CredentialSource::ClientSecret {
            tenant_id,
            client_id,
            client_secret,
        } => Arc::new(ClientSecretCredential::new(
            http,
            authority()?,
            tenant_id.clone(),
            client_id.clone(),
            client_secret.expose().to_string(),
        )),
        CredentialSource::Oidc {
            tenant_id,
            client_id,
            token: OidcToken::Inline(token),
        } => Arc::new(WorkloadIdentityCredential::new(
            http,
            authority()?,
            tenant_id.clone(),
            client_id.clone(),
            token.expose().to_string(),
        )),
        CredentialSource::Oidc {
            tenant_id,
            client_id,
            token: OidcToken::File(path),
        } => Arc::new(OidcFileCredential {
            http,
            authority: authority()?,
            tenant_id: tenant_id.clone(),
            client_id: client_id.clone(),
            path: path.clone(),
            current: Mutex::new(None),
        }),
        CredentialSource::ManagedIdentity { client_id: None } => {
            Arc::new(VirtualMachineManagedIdentityCredential::new(http))
        }
        CredentialSource::ManagedIdentity {
            client_id: Some(client_id),
        } => Arc::new(UserAssignedIdentity {
            http,
            client_id: client_id.clone(),
            cached: Mutex::new(None),
        }),
        CredentialSource::AzureCli { .. } => Arc::new(AzureCliCredential::new()),
    })
}

/// A workload identity whose assertion is read from a file at each token
/// request; a changed assertion gets a fresh credential (and token cache).
#[derive(Debug)]
struct OidcFileCredential {
    http: Arc<dyn HttpClient>,
    authority: Url,
    tenant_id: String,
    client_id: String,
    path: PathBuf,
    /// The assertion last read and the credential made from it.
    current: Mutex<Option<(String, Arc<WorkloadIdentityCredential>)>>,
}

impl OidcFileCredential {
    fn credential(&self) -> azure_core::Result<Arc<WorkloadIdentityCredential>> {
        let assertion = std::fs::read_to_string(&self.path).map_err(|e| {
            Error::with_message(ErrorKind::Credential, || {
                format!("reading the OIDC token file {}: {e}", self.path.display())
            })
        })?;
        let assertion = assertion.trim().to_string();
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((seen, cred)) = current.as_ref() {
            if *seen == assertion {
                return Ok(cred.clone());
            }
        }
        let cred = Arc::new(WorkloadIdentityCredential::new(
            self.http.clone(),
            self.authority.clone(),
            self.tenant_id.clone(),
            self.client_id.clone(),
            assertion.clone(),
        ));
        *current = Some((assertion, cred.clone()));
        Ok(cred)
    }
}

#[async_trait]
impl TokenCredential for OidcFileCredential {
    async fn get_token(&self, scopes: &[&str]) -> azure_core::Result<AccessToken> {
        let cred = self.credential()?;
        cred.get_token(scopes).await
    }

    async fn clear_cache(&self) -> azure_core::Result<()> {
        let cred = self.current.lock().unwrap_or_else(|p| p.into_inner()).take();
        match cred {
            Some((_, c)) => c.clear_cache().await,
            None => Ok(()),
        }
    }
}

/// A user-assigned managed identity, by client ID, from IMDS.
#[derive(Debug)]
struct UserAssignedIdentity {
    http: Arc<dyn HttpClient>,
    client_id: String,
    cached: Mutex<Option<(u64, AccessToken)>>,
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[async_trait]
impl TokenCredential for UserAssignedIdentity {
    async fn get_token(&self, scopes: &[&str]) -> azure_core::Result<AccessToken> {
        {
            let cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((expires, token)) = cached.as_ref() {
                if *expires > unix_now() + 120 {
                    return Ok(token.clone());
                }
            }
        }
        let resource = scopes
            .first()
            .map(|s| s.trim_end_matches("/.default"))
            .ok_or_else(|| Error::message(ErrorKind::Credential, "no scope for the managed identity token"))?;
        let mut url = Url::parse(IMDS_TOKEN_URL).map_err(|e| Error::new(ErrorKind::DataConversion, e))?;
        url.query_pairs_mut()
            .append_pair("api-version", "2018-02-01")
            .append_pair("resource", resource)
            .append_pair("client_id", &self.client_id);
        let mut req = Request::new(url, Method::Get);
        req.insert_header("metadata", "true");
        let rsp = self.http.execute_request(&req).await?;
        let (status, _, body) = rsp.deconstruct();
        let body = body.collect().await?;
        if !status.is_success() {
            return Err(Error::with_message(ErrorKind::Credential, || {
                format!(
                    "the managed identity {} has no token (IMDS answered {status})",
                    self.client_id
                )
            }));
        }
        #[derive(serde::Deserialize)]
        struct Imds {
            access_token: String,
            expires_on: String,
        }
        let t: Imds = serde_json::from_slice(&body).map_err(|e| Error::new(ErrorKind::DataConversion, e))?;
        let expires: u64 = t.expires_on.parse().unwrap_or_else(|_| unix_now() + 300);
        let epoch = azure_core::date::parse_rfc3339("1970-01-01T00:00:00Z")?;
        let token = AccessToken::new(t.access_token, epoch + Duration::from_secs(expires));
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = Some((expires, token.clone()));
        Ok(token)
    }

    async fn clear_cache(&self) -> azure_core::Result<()> {
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = None;
        Ok(())
    }
}
