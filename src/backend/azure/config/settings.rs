//! The settings of the Azure configuration, each with its provider
//! attribute and environment variable, and the checks of their values.

use super::{Cloud, Secret};
use std::fmt;

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
pub(super) struct Reader<A, E> {
    pub(super) attr: A,
    pub(super) env: E,
}

impl<A, E> Reader<A, E>
where
    A: Fn(&str) -> Option<AttrValue>,
    E: Fn(&str) -> Option<String>,
{
    pub(super) fn raw(&self, s: Setting) -> Option<AttrValue> {
        let set = |v: &AttrValue| !matches!(v, AttrValue::Str(x) if x.trim().is_empty());
        (self.attr)(s.attribute)
            .filter(set)
            .or_else(|| (self.env)(s.env).filter(|v| !v.trim().is_empty()).map(AttrValue::Str))
    }

    pub(super) fn string(&self, s: Setting) -> Option<String> {
        match self.raw(s)? {
            AttrValue::Str(v) => Some(v.trim().to_string()),
            AttrValue::Bool(b) => Some(b.to_string()),
        }
    }

    pub(super) fn secret(&self, s: Setting) -> Option<Secret> {
        match self.raw(s)? {
            // Kept as given: a secret may legitimately end in spaces.
            AttrValue::Str(v) => Some(Secret::new(v)),
            AttrValue::Bool(b) => Some(Secret::new(b.to_string())),
        }
    }

    pub(super) fn boolean(&self, s: Setting, default: bool) -> Result<bool, ConfigError> {
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
pub(super) fn endpoint(setting: Setting, s: &str) -> Result<String, ConfigError> {
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
pub(super) fn identifier(setting: Setting, s: String) -> Result<String, ConfigError> {
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

pub(super) fn parse_cloud(e: &str) -> Result<Cloud, ConfigError> {
    Cloud::parse(e).ok_or_else(|| ConfigError::Invalid {
        setting: ENVIRONMENT,
        message: format!(
            "`{e}` is not an Azure cloud: use one of {}",
            Cloud::ALL.map(|(_, n)| n).join(", ")
        ),
    })
}
