//! How the `azure` backend reaches ARM: the subscription, the cloud's
//! endpoints and the credential, resolved the azurerm way from provider
//! attributes and `ARM_*` environment variables. Plain data: this module
//! compiles without the `azure` feature (so a build without it can still
//! validate a configuration and say what is missing), and nothing here
//! talks to the network. The token is fetched by the backend when its
//! first call needs it, never at configuration.

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
