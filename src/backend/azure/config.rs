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

/// One setting of the configuration: its provider attribute and its
/// environment variable (azurerm's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The provider attribute (`subscription_id`).
    pub attribute: &'static str,
    /// The environment variable read when the attribute is not set.
    pub env: &'static str,
    /// A secret: its value never appears in a message.
    pub secret: bool,
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` ({})", self.attribute, self.env)
    }
}

const fn setting(attribute: &'static str, env: &'static str) -> Setting {
    Setting {
        attribute,
        env,
        secret: false,
    }
}

pub const SUBSCRIPTION_ID: Setting = setting("subscription_id", "ARM_SUBSCRIPTION_ID");
pub const TENANT_ID: Setting = setting("tenant_id", "ARM_TENANT_ID");
pub const CLIENT_ID: Setting = setting("client_id", "ARM_CLIENT_ID");
pub const CLIENT_SECRET: Setting = Setting {
    secret: true,
    ..setting("client_secret", "ARM_CLIENT_SECRET")
};
pub const USE_OIDC: Setting = setting("use_oidc", "ARM_USE_OIDC");
pub const OIDC_TOKEN: Setting = Setting {
    secret: true,
    ..setting("oidc_token", "ARM_OIDC_TOKEN")
};
pub const OIDC_TOKEN_FILE_PATH: Setting = setting("oidc_token_file_path", "ARM_OIDC_TOKEN_FILE_PATH");
pub const USE_MSI: Setting = setting("use_msi", "ARM_USE_MSI");
pub const USE_CLI: Setting = setting("use_cli", "ARM_USE_CLI");
pub const ENVIRONMENT: Setting = setting("environment", "ARM_ENVIRONMENT");
pub const RESOURCE_MANAGER_ENDPOINT: Setting = setting("resource_manager_endpoint", "ARM_RESOURCE_MANAGER_ENDPOINT");
pub const AUTHORITY_HOST: Setting = setting("authority_host", "AZURE_AUTHORITY_HOST");

/// Every setting, in the order the provider block lists them.
pub const SETTINGS: [Setting; 12] = [
    SUBSCRIPTION_ID,
    TENANT_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    USE_OIDC,
    OIDC_TOKEN,
    OIDC_TOKEN_FILE_PATH,
    USE_MSI,
    USE_CLI,
    ENVIRONMENT,
    RESOURCE_MANAGER_ENDPOINT,
    AUTHORITY_HOST,
];

/// The boolean settings (the others are strings).
pub const BOOLEAN_SETTINGS: [Setting; 3] = [USE_OIDC, USE_MSI, USE_CLI];

/// A provider attribute's value as the resolution reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrValue {
    Str(String),
    Bool(bool),
}

/// Why a configuration cannot reach ARM. Messages name the attribute and
/// the variable, never a secret's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A setting the chosen method needs is not set.
    #[error("{setting} is not set: {why}")]
    Missing { setting: Setting, why: String },
    /// A setting is set to something it cannot be.
    #[error("{setting}: {message}")]
    Invalid { setting: Setting, message: String },
    /// No credential method is usable.
    #[error("{}", no_credential_message())]
    NoCredential,
}

impl ConfigError {
    /// The setting the error is about (its attribute is the diagnostic's path).
    pub fn setting(&self) -> Option<Setting> {
        match self {
            ConfigError::Missing { setting, .. } | ConfigError::Invalid { setting, .. } => Some(*setting),
            ConfigError::NoCredential => None,
        }
    }
}

fn no_credential_message() -> String {
    "no Azure credential is configured; set one of:\n  \
     - a client secret: ARM_TENANT_ID, ARM_CLIENT_ID and ARM_CLIENT_SECRET\n  \
     - workload identity (OIDC): ARM_USE_OIDC=true, ARM_TENANT_ID, ARM_CLIENT_ID and ARM_OIDC_TOKEN or ARM_OIDC_TOKEN_FILE_PATH\n  \
     - a managed identity: ARM_USE_MSI=true (and ARM_CLIENT_ID for a user-assigned one)\n  \
     - the Azure CLI: ARM_USE_CLI=true (the default) after `az login`\n\
     (in a provider block: the attributes tenant_id, client_id, client_secret, use_oidc, oidc_token, oidc_token_file_path, use_msi, use_cli)"
        .to_string()
}

impl Cloud {
    /// Every cloud with its `ARM_ENVIRONMENT` name.
    pub const ALL: [(Cloud, &'static str); 3] = [
        (Cloud::Public, "public"),
        (Cloud::UsGovernment, "usgovernment"),
        (Cloud::China, "china"),
    ];

    /// Its `ARM_ENVIRONMENT` name.
    pub fn name(self) -> &'static str {
        Cloud::ALL.iter().find(|(c, _)| *c == self).map_or("public", |(_, n)| n)
    }

    /// Reads an `ARM_ENVIRONMENT` value (any case).
    pub fn parse(s: &str) -> Option<Cloud> {
        Cloud::ALL
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(s.trim()))
            .map(|(c, _)| *c)
    }

    /// ARM's base URL in this cloud.
    pub fn resource_manager_endpoint(self) -> &'static str {
        match self {
            Cloud::Public => "https://management.azure.com/",
            Cloud::UsGovernment => "https://management.usgovcloudapi.net/",
            Cloud::China => "https://management.chinacloudapi.cn/",
        }
    }

    /// Microsoft Entra's authority host in this cloud.
    pub fn authority_host(self) -> &'static str {
        match self {
            Cloud::Public => "https://login.microsoftonline.com/",
            Cloud::UsGovernment => "https://login.microsoftonline.us/",
            Cloud::China => "https://login.chinacloudapi.cn/",
        }
    }
}

/// Whether `s` is a GUID: 8-4-4-4-12 hexadecimal digits.
pub fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A subscription ID, checked: a GUID, or an error naming the setting.
pub fn check_subscription_id(s: &str) -> Result<String, ConfigError> {
    let s = s.trim();
    if is_guid(s) {
        Ok(s.to_string())
    } else {
        Err(ConfigError::Invalid {
            setting: SUBSCRIPTION_ID,
            message: format!(
                "`{s}` is not a subscription ID: expected a GUID, 8-4-4-4-12 hexadecimal digits such as `00000000-0000-0000-0000-000000000000`"
            ),
        })
    }
}

/// Reads settings: the provider attribute first, then the environment
/// (empty values count as not set, as azurerm does).
struct Reader<A, E> {
    attr: A,
    env: E,
}

impl<A, E> Reader<A, E>
where
    A: Fn(&str) -> Option<AttrValue>,
    E: Fn(&str) -> Option<String>,
{
    fn raw(&self, s: Setting) -> Option<AttrValue> {
        let set = |v: &AttrValue| !matches!(v, AttrValue::Str(x) if x.trim().is_empty());
        (self.attr)(s.attribute)
            .filter(set)
            .or_else(|| (self.env)(s.env).filter(|v| !v.trim().is_empty()).map(AttrValue::Str))
    }

    fn string(&self, s: Setting) -> Option<String> {
        match self.raw(s)? {
            AttrValue::Str(v) => Some(v.trim().to_string()),
            AttrValue::Bool(b) => Some(b.to_string()),
        }
    }

    fn secret(&self, s: Setting) -> Option<Secret> {
        match self.raw(s)? {
            // Kept as given: a secret may legitimately end in spaces.
            AttrValue::Str(v) => Some(Secret::new(v)),
            AttrValue::Bool(b) => Some(Secret::new(b.to_string())),
        }
    }

    fn boolean(&self, s: Setting, default: bool) -> Result<bool, ConfigError> {
        match self.raw(s) {
            None => Ok(default),
            Some(AttrValue::Bool(b)) => Ok(b),
            Some(AttrValue::Str(v)) => parse_bool(&v).ok_or_else(|| ConfigError::Invalid {
                setting: s,
                message: format!("`{}` is not a boolean: use true, false, 1 or 0", v.trim()),
            }),
        }
    }
}

/// azurerm's booleans: `true`/`false` in any case, `1`/`0`.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// An endpoint setting: an http(s) URL with a host, no query or fragment,
/// normalised to end in `/`.
fn endpoint(setting: Setting, s: &str) -> Result<String, ConfigError> {
    let invalid = |why: &str| ConfigError::Invalid {
        setting,
        message: format!("`{s}` is not an endpoint URL: {why}"),
    };
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or_else(|| invalid("it must start with https:// or http://"))?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Err(invalid("it has no host"));
    }
    if s.contains(['?', '#']) || s.chars().any(char::is_whitespace) {
        return Err(invalid("it may not hold a query, a fragment or spaces"));
    }
    Ok(if s.ends_with('/') {
        s.to_string()
    } else {
        format!("{s}/")
    })
}

/// A tenant or client ID goes into a URL path or a form: a GUID or a
/// domain name (tenants), nothing that would change the URL.
fn identifier(setting: Setting, s: String) -> Result<String, ConfigError> {
    let ok = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    if ok {
        Ok(s)
    } else {
        Err(ConfigError::Invalid {
            setting,
            message: format!("`{s}` is not a tenant or client ID: expected a GUID or a domain name (letters, digits, `-`, `.` and `_` only)"),
        })
    }
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

/// The `azure` backend over `objects` (the local file that keeps the stack
/// state, locks and records): what the provider and the CLI build. Without
/// the `azure` feature it says so.
pub fn backend(
    config: AzureConfig,
    objects: crate::backend::local::LocalFabric,
) -> Result<std::sync::Arc<dyn crate::backend::Backend>, String> {
    #[cfg(feature = "azure")]
    {
        open(config, objects)
    }
    #[cfg(not(feature = "azure"))]
    {
        let _ = (config, objects);
        Err("this build of hybridk8s lacks the cargo feature `azure` (rebuild with `--features azure`); use the local backend".into())
    }
}

/// Opens the `azure` backend over `objects` (temporary: the backend itself
/// replaces this).
#[cfg(feature = "azure")]
pub fn open(
    config: AzureConfig,
    objects: crate::backend::local::LocalFabric,
) -> Result<std::sync::Arc<dyn crate::backend::Backend>, String> {
    let _ = (config, objects);
    Err("the azure backend is not built yet".into())
}

/// The subscription IDs are built in, for either backend: the setting when
/// set (it must be a GUID, so no ID reads `/subscriptions//…`), else the
/// all-zero subscription of the embedded fabric.
pub fn subscription_or_local(value: Option<&str>) -> Result<String, ConfigError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => check_subscription_id(v),
        None => Ok(crate::graph::LOCAL_SUBSCRIPTION.to_string()),
    }
}

/// Checks one setting's value alone, as written (a provider block before
/// Configure): its shape, not whether the rest of the configuration is
/// complete. Secrets are never judged (nor shown).
pub fn check_setting(setting: Setting, value: &AttrValue) -> Result<(), ConfigError> {
    let text = match value {
        AttrValue::Str(s) => s.trim(),
        AttrValue::Bool(_) if BOOLEAN_SETTINGS.contains(&setting) => return Ok(()),
        AttrValue::Bool(_) => {
            return Err(ConfigError::Invalid {
                setting,
                message: "expected a string, not a boolean".into(),
            })
        }
    };
    if text.is_empty() || setting.secret {
        return Ok(());
    }
    if BOOLEAN_SETTINGS.contains(&setting) {
        return parse_bool(text).map(|_| ()).ok_or_else(|| ConfigError::Invalid {
            setting,
            message: format!("`{text}` is not a boolean: use true, false, 1 or 0"),
        });
    }
    match setting {
        s if s == SUBSCRIPTION_ID => check_subscription_id(text).map(|_| ()),
        s if s == TENANT_ID || s == CLIENT_ID => identifier(s, text.to_string()).map(|_| ()),
        s if s == ENVIRONMENT => parse_cloud(text).map(|_| ()),
        s if s == RESOURCE_MANAGER_ENDPOINT || s == AUTHORITY_HOST => endpoint(s, text).map(|_| ()),
        _ => Ok(()),
    }
}

fn parse_cloud(e: &str) -> Result<Cloud, ConfigError> {
    Cloud::parse(e).ok_or_else(|| ConfigError::Invalid {
        setting: ENVIRONMENT,
        message: format!(
            "`{e}` is not an Azure cloud: use one of {}",
            Cloud::ALL.map(|(_, n)| n).join(", ")
        ),
    })
}
