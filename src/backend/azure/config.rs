//! How the `azure` backend reaches ARM: the subscription, the cloud's
//! endpoints and the credential, resolved the azurerm way from provider
//! attributes and `ARM_*` environment variables. Plain data: this module
//! compiles without the `azure` feature (so a build without it can still
//! validate a configuration and say what is missing), and nothing here
//! talks to the network. The token is fetched by the backend when its
//! first call needs it, never at configuration.

mod settings;

pub use settings::*;
use settings::{endpoint, identifier, parse_cloud, Reader};
use std::fmt;
use std::path::PathBuf;

/// A secret value (client secret, OIDC token). Its `Debug` and `Display`
/// never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The value itself, for the one place that hands it to `azure_identity`.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Azure's clouds (`ARM_ENVIRONMENT`: `public`, `usgovernment`, `china`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    Public,
    UsGovernment,
    China,
}

/// Where an OIDC (workload identity federation) assertion comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OidcToken {
    /// `ARM_OIDC_TOKEN` / `oidc_token`.
    Inline(Secret),
    /// `ARM_OIDC_TOKEN_FILE_PATH` / `oidc_token_file_path` (read at each token request).
    File(PathBuf),
}

/// Which credential, chosen in azurerm's precedence: client secret, then
/// OIDC, then managed identity, then the Azure CLI (the default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    ClientSecret {
        tenant_id: String,
        client_id: String,
        client_secret: Secret,
    },
    Oidc {
        tenant_id: String,
        client_id: String,
        token: OidcToken,
    },
    /// `ARM_USE_MSI`: the VM's or pod's managed identity (a user-assigned
    /// one when `client_id` is set).
    ManagedIdentity { client_id: Option<String> },
    /// `ARM_USE_CLI`: `az account get-access-token`.
    AzureCli { tenant_id: Option<String> },
}

/// Everything the `azure` backend needs to reach ARM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureConfig {
    /// A GUID (validated).
    pub subscription_id: String,
    pub cloud: Cloud,
    /// ARM's base URL (`https://management.azure.com/` for public), or the
    /// explicit `resource_manager_endpoint` (sovereign clouds, the test emulator).
    pub resource_manager_endpoint: String,
    /// Microsoft Entra's authority host (`https://login.microsoftonline.com/`),
    /// or the explicit `authority_host`.
    pub authority_host: String,
    pub credential: CredentialSource,
}

impl AzureConfig {
    /// Resolves the configuration the azurerm way: for each setting the
    /// provider attribute (`attr`), else the environment variable (`env`);
    /// the credential in azurerm's precedence (client secret, OIDC, managed
    /// identity, Azure CLI). No network, no token.
    pub fn resolve(
        attr: impl Fn(&str) -> Option<AttrValue>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<AzureConfig, ConfigError> {
        let r = Reader { attr, env };
        let subscription_id = match r.string(SUBSCRIPTION_ID) {
            Some(s) => check_subscription_id(&s)?,
            None => {
                return Err(ConfigError::Missing {
                    setting: SUBSCRIPTION_ID,
                    why: "the azure backend needs the subscription its resources live in".into(),
                })
            }
        };
        let cloud = match r.string(ENVIRONMENT) {
            None => Cloud::Public,
            Some(e) => parse_cloud(&e)?,
        };
        let resource_manager_endpoint = match r.string(RESOURCE_MANAGER_ENDPOINT) {
            Some(u) => endpoint(RESOURCE_MANAGER_ENDPOINT, &u)?,
            None => cloud.resource_manager_endpoint().to_string(),
        };
        let authority_host = match r.string(AUTHORITY_HOST) {
            Some(u) => endpoint(AUTHORITY_HOST, &u)?,
            None => cloud.authority_host().to_string(),
        };
        let credential = credential(&r)?;
        Ok(AzureConfig {
            subscription_id,
            cloud,
            resource_manager_endpoint,
            authority_host,
            credential,
        })
    }

    /// From the process environment only (the CLI).
    pub fn from_env() -> Result<AzureConfig, ConfigError> {
        Self::resolve(|_| None, |k| std::env::var(k).ok())
    }
}

/// The credential, in azurerm's precedence.
fn credential<A, E>(r: &Reader<A, E>) -> Result<CredentialSource, ConfigError>
where
    A: Fn(&str) -> Option<AttrValue>,
    E: Fn(&str) -> Option<String>,
{
    let tenant = r.string(TENANT_ID).map(|t| identifier(TENANT_ID, t)).transpose()?;
    let client = r.string(CLIENT_ID).map(|c| identifier(CLIENT_ID, c)).transpose()?;
    let needs = |s: Setting, v: &Option<String>, method: &str| {
        v.clone().ok_or_else(|| ConfigError::Missing {
            setting: s,
            why: format!(
                "{method} needs {}, {} and {}",
                TENANT_ID.env,
                CLIENT_ID.env,
                method_secret(method)
            ),
        })
    };
    if let Some(client_secret) = r.secret(CLIENT_SECRET) {
        const M: &str = "a client secret";
        return Ok(CredentialSource::ClientSecret {
            tenant_id: needs(TENANT_ID, &tenant, M)?,
            client_id: needs(CLIENT_ID, &client, M)?,
            client_secret,
        });
    }
    let use_oidc = r.boolean(USE_OIDC, false)?;
    let use_msi = r.boolean(USE_MSI, false)?;
    let use_cli = r.boolean(USE_CLI, true)?;
    if use_oidc {
        const M: &str = "OIDC (ARM_USE_OIDC)";
        let token = match (r.secret(OIDC_TOKEN), r.string(OIDC_TOKEN_FILE_PATH)) {
            (Some(t), _) => OidcToken::Inline(t),
            (None, Some(p)) => OidcToken::File(PathBuf::from(p)),
            (None, None) => {
                return Err(ConfigError::Missing {
                    setting: OIDC_TOKEN,
                    why: format!(
                        "{M} needs a token: set {} or {}",
                        OIDC_TOKEN.env, OIDC_TOKEN_FILE_PATH.env
                    ),
                })
            }
        };
        return Ok(CredentialSource::Oidc {
            tenant_id: needs(TENANT_ID, &tenant, M)?,
            client_id: needs(CLIENT_ID, &client, M)?,
            token,
        });
    }
    if use_msi {
        return Ok(CredentialSource::ManagedIdentity { client_id: client });
    }
    if use_cli {
        return Ok(CredentialSource::AzureCli { tenant_id: tenant });
    }
    Err(ConfigError::NoCredential)
}

fn method_secret(method: &str) -> &'static str {
    if method.starts_with("OIDC") {
        "ARM_OIDC_TOKEN or ARM_OIDC_TOKEN_FILE_PATH"
    } else {
        "ARM_CLIENT_SECRET"
    }
}

/// Microsoft Entra tokens for Azure Storage (`https://storage.azure.com/`),
/// from the same `ARM_*` credential settings as the azure backend: the
/// blob stack state with `ARM_USE_AZUREAD=true`.
pub struct TokenSource {
    #[cfg(feature = "azure")]
    credential: std::sync::Arc<dyn azure_core::auth::TokenCredential>,
}

impl TokenSource {
    /// The credential of `ARM_*` (as `AzureConfig::from_env`). No network.
    pub fn storage() -> Result<TokenSource, String> {
        #[cfg(feature = "azure")]
        {
            let config = AzureConfig::from_env().map_err(|e| format!("ARM_USE_AZUREAD: {e}"))?;
            let http = azure_core::new_http_client();
            let credential = super::credential::build(&config.credential, http, &config.authority_host)?;
            Ok(TokenSource { credential })
        }
        #[cfg(not(feature = "azure"))]
        {
            Err("ARM_USE_AZUREAD: this build of hybridk8s lacks the cargo feature `azure`; use ARM_ACCESS_KEY or ARM_SAS_TOKEN".into())
        }
    }

    /// A token (cached by the credential until it expires).
    pub async fn token(&self) -> Result<Secret, String> {
        #[cfg(feature = "azure")]
        {
            let t = self
                .credential
                .get_token(&["https://storage.azure.com/.default"])
                .await
                .map_err(|e| format!("getting a Microsoft Entra token for Azure Storage: {e}"))?;
            Ok(Secret::new(t.token.secret()))
        }
        #[cfg(not(feature = "azure"))]
        {
            Err("this build of hybridk8s lacks the cargo feature `azure`".into())
        }
    }
}

/// The `azure` backend over `objects` (the local file that keeps the stack
/// state, locks and records): what the provider and the CLI build. Without
/// the `azure` feature it says so.
pub fn backend(
    config: AzureConfig,
    objects: crate::backend::local::LocalFabric,
    kube: crate::backend::kube::KubeDefaults,
) -> Result<std::sync::Arc<dyn crate::backend::Backend>, String> {
    #[cfg(feature = "azure")]
    {
        super::open(config, objects, kube)
    }
    #[cfg(not(feature = "azure"))]
    {
        let _ = (config, objects, kube);
        Err("this build of hybridk8s lacks the cargo feature `azure` (rebuild with `--features azure`); use the local backend".into())
    }
}
