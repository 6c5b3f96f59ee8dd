//! The provider block: which backend realizes resources, where the local
//! fabric lives, which subscription IDs are built in. Each setting falls back
//! to an environment variable, then to a default — the same ones the CLI
//! uses, so `terraform apply` and `hybridk8s apply` in one directory share
//! one fabric.

use crate::backend::azure::config::{check_setting, subscription_or_local, AttrValue, ConfigError, SETTINGS};
use crate::backend::azure::AzureConfig;
use crate::backend::local::{db, LocalFabric};
use crate::backend::Backend;
use crate::graph::diag::Diagnostic;
use crate::graph::schema::Attrs;
use crate::graph::value::{AttrPath, Value};
use crate::graph::{Address, Ctx, Kind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Environment fallback of `backend`.
pub const ENV_BACKEND: &str = "HYBRIDK8S_BACKEND";
/// Environment fallback of `state_path`.
pub const ENV_STATE: &str = "HYBRIDK8S_STATE";
/// Environment fallback of `stack`.
pub const ENV_STACK: &str = "HYBRIDK8S_STACK";
/// Environment fallback of `subscription_id` (azurerm's name).
pub const ENV_SUBSCRIPTION: &str = "ARM_SUBSCRIPTION_ID";
/// Environment fallback of `kubeconfig_path` (the kubernetes provider's name).
pub const ENV_KUBECONFIG_PATH: &str = "KUBE_CONFIG_PATH";
/// Environment fallback of `kubeconfig_context` (the kubernetes provider's name).
pub const ENV_KUBECONFIG_CONTEXT: &str = "KUBE_CTX";
/// Where the local fabric lives when nothing says otherwise (relative to the
/// working directory, like the CLI's default).
pub const DEFAULT_STATE_PATH: &str = ".hybridk8s/fabric.db";

pub const BACKENDS: [&str; 2] = ["local", "azure"];

/// The resolved provider configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderConfig {
    pub backend: String,
    pub state_path: PathBuf,
    /// A GUID (checked), for either backend.
    pub subscription_id: String,
    /// The owner mark this provider puts on what it creates.
    pub stack: String,
    /// How to reach ARM: resolved when `backend = "azure"` (no network, no token).
    pub azure: Option<AzureConfig>,
    /// The default kubeconfig file of Kubernetes resources (`KUBE_CONFIG_PATH`).
    pub kubeconfig_path: Option<PathBuf>,
    /// The default kubeconfig context (`KUBE_CTX`).
    pub kubeconfig_context: Option<String>,
}

/// The stack of a Terraform working directory: `terraform:` and its path,
/// so two working directories on one fabric never own each other's objects.
pub fn default_stack(cwd: &Path) -> String {
    let dir = std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    format!("terraform:{}", dir.display())
}

/// The provider block's address in diagnostics.
fn provider_address() -> Address {
    Address::new(Kind::Onprem, "provider")
}

/// A configuration error as a diagnostic at the attribute it concerns.
pub fn config_diagnostic(e: &ConfigError) -> Diagnostic {
    let d = Diagnostic::error("invalid-provider-config", e.to_string());
    match e.setting() {
        Some(s) => d.at(&provider_address(), AttrPath::attr(s.attribute)),
        None => d.hint("see the provider documentation, section Authentication"),
    }
}

/// A provider attribute as the Azure resolution reads it (null and unknown
/// are not set).
fn attr_value(config: &Attrs, name: &str) -> Option<AttrValue> {
    match config.get(name)? {
        Value::String(s) => Some(AttrValue::Str(s.clone())),
        Value::Bool(b) => Some(AttrValue::Bool(*b)),
        _ => None,
    }
}

impl ProviderConfig {
    /// Resolves config values (null or unknown = not set), then the
    /// environment (`env` is a lookup so tests need not touch the process
    /// environment), then defaults. With `backend = "azure"` the Azure
    /// settings are resolved too; a wrong or missing one is a diagnostic at
    /// its attribute.
    pub fn resolve(config: &Attrs, env: impl Fn(&str) -> Option<String>) -> Result<Self, Vec<Diagnostic>> {
        let get = |name: &str, var: &str| {
            config
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| env(var).filter(|v| !v.is_empty()))
        };
        let backend = get("backend", ENV_BACKEND).unwrap_or_else(|| "local".into());
        let azure = if backend == "azure" {
            Some(AzureConfig::resolve(|n| attr_value(config, n), &env).map_err(|e| vec![config_diagnostic(&e)])?)
        } else {
            None
        };
        let subscription_id = match &azure {
            Some(a) => a.subscription_id.clone(),
            None => subscription_or_local(get("subscription_id", ENV_SUBSCRIPTION).as_deref())
                .map_err(|e| vec![config_diagnostic(&e)])?,
        };
        Ok(ProviderConfig {
            backend,
            state_path: get("state_path", ENV_STATE).map_or_else(|| db::default_path(Path::new("")), PathBuf::from),
            subscription_id,
            stack: get("stack", ENV_STACK)
                .unwrap_or_else(|| default_stack(&std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")))),
            azure,
            kubeconfig_path: get("kubeconfig_path", ENV_KUBECONFIG_PATH).map(PathBuf::from),
            kubeconfig_context: get("kubeconfig_context", ENV_KUBECONFIG_CONTEXT),
        })
    }

    /// From the process environment.
    pub fn from_env(config: &Attrs) -> Result<Self, Vec<Diagnostic>> {
        Self::resolve(config, |k| std::env::var(k).ok())
    }

    /// Where the Kubernetes objects go unless a resource says otherwise.
    pub fn kube_defaults(&self) -> crate::backend::kube::KubeDefaults {
        crate::backend::kube::KubeDefaults {
            kubeconfig_path: self.kubeconfig_path.clone(),
            kubeconfig_context: self.kubeconfig_context.clone(),
        }
    }

    pub fn ctx(&self) -> Ctx {
        Ctx {
            subscription_id: self.subscription_id.clone(),
        }
    }
}

/// Checks the provider block as written, before Configure (the
/// environment is read at Configure): the backend's name, non-empty
/// strings, and the shape of every Azure setting given as an attribute.
pub fn validate(config: &Attrs) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let at = provider_address();
    if let Some(b) = config.get("backend").and_then(Value::as_str) {
        if !BACKENDS.contains(&b) {
            out.push(
                Diagnostic::error("invalid-backend", format!("backend `{b}` is not one of local, azure"))
                    .at(&at, AttrPath::attr("backend")),
            );
        }
    }
    if config.get("stack").and_then(Value::as_str) == Some("") {
        out.push(Diagnostic::error("invalid-stack", "stack is empty").at(&at, AttrPath::attr("stack")));
    }
    for name in ["kubeconfig_path", "kubeconfig_context"] {
        if config.get(name).and_then(Value::as_str) == Some("") {
            out.push(Diagnostic::error("invalid-kubeconfig", format!("{name} is empty")).at(&at, AttrPath::attr(name)));
        }
    }
    if config.get("state_path").and_then(Value::as_str) == Some("") {
        out.push(Diagnostic::error("invalid-state-path", "state_path is empty").at(&at, AttrPath::attr("state_path")));
    }
    if let Some(s) = config.get("subscription_id").and_then(Value::as_str) {
        if let Err(e) = subscription_or_local(Some(s)) {
            out.push(config_diagnostic(&e));
        }
    }
    out.extend(azure_shapes(config));
    out
}

/// The Azure settings written in the block, each checked alone (what the
/// environment adds is judged at Configure).
fn azure_shapes(config: &Attrs) -> Vec<Diagnostic> {
    SETTINGS
        .iter()
        .filter(|s| s.attribute != "subscription_id")
        .filter_map(|s| attr_value(config, s.attribute).map(|v| (*s, v)))
        .filter_map(|(s, v)| check_setting(s, &v).err())
        .map(|e| config_diagnostic(&e))
        .collect()
}

/// Builds the backend a configuration asks for. Tests pass their own (a
/// fabric in a temp dir); the binary uses [`default_factory`].
pub type BackendFactory = Arc<dyn Fn(&ProviderConfig) -> Result<Arc<dyn Backend>, String> + Send + Sync>;

/// `local` opens (creating when missing) the SQLite fabric at `state_path`;
/// `azure` realizes networks in ARM and Kubernetes objects in the clusters
/// the kubeconfig names, and keeps its records in that file.
/// Either is wrapped in [`Logged`](crate::backend::logged::Logged) (trace lines).
pub fn default_factory() -> BackendFactory {
    Arc::new(|c: &ProviderConfig| {
        let opened = match (c.backend.as_str(), &c.azure) {
            ("local", _) => LocalFabric::open(&c.state_path)
                .map(|f| Arc::new(f) as Arc<dyn Backend>)
                .map_err(|e| e.to_string()),
            ("azure", Some(azure)) => open_azure(azure, c),
            ("azure", None) => Err("the azure backend needs its settings resolved at Configure".into()),
            (other, _) => Err(format!("backend `{other}` is not one of local, azure")),
        };
        opened.map(|b| crate::backend::logged::opened(&c.backend, &c.state_path, b))
    })
}

/// The `azure` backend over the local file at `state_path` (stack state,
/// locks and records stay there).
fn open_azure(config: &AzureConfig, c: &ProviderConfig) -> Result<Arc<dyn Backend>, String> {
    let objects = LocalFabric::open(&c.state_path).map_err(|e| e.to_string())?;
    crate::backend::azure::config::backend(config.clone(), objects, c.kube_defaults())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::azure::CredentialSource;
    use crate::graph::LOCAL_SUBSCRIPTION;

    const SUB: &str = "11111111-2222-3333-4444-555555555555";

    #[test]
    fn config_beats_env_beats_default() {
        let mut cfg = Attrs::new();
        cfg.insert("state_path".into(), Value::str("/tmp/x.json"));
        cfg.insert("backend".into(), Value::Unknown);
        let env = |k: &str| match k {
            ENV_STATE => Some("/env/state.json".to_string()),
            ENV_SUBSCRIPTION => Some(SUB.to_string()),
            _ => None,
        };
        let c = ProviderConfig::resolve(&cfg, env).unwrap();
        assert_eq!(c.state_path, PathBuf::from("/tmp/x.json"));
        assert_eq!(c.subscription_id, SUB);
        assert_eq!(c.backend, "local");
        assert_eq!(c.azure, None);
    }

    #[test]
    fn default_state_path_is_the_clis() {
        let c = ProviderConfig::resolve(&Attrs::new(), |_| None).unwrap();
        assert_eq!(c.state_path, PathBuf::from(DEFAULT_STATE_PATH));
        assert_eq!(c.state_path, db::default_path(Path::new("")));
        assert_eq!(c.subscription_id, LOCAL_SUBSCRIPTION);
    }

    #[test]
    fn a_subscription_that_is_not_a_guid_is_refused_for_both_backends() {
        for backend in ["local", "azure"] {
            let cfg = Attrs::from([("backend".to_string(), Value::str(backend))]);
            let env = |k: &str| (k == ENV_SUBSCRIPTION).then(|| "sub-1".to_string());
            let d = ProviderConfig::resolve(&cfg, env).unwrap_err();
            assert_eq!(d.len(), 1, "{d:?}");
            assert_eq!(d[0].path, AttrPath::attr("subscription_id"), "{backend}");
            assert!(
                d[0].summary.contains("`sub-1` is not a subscription ID"),
                "{}",
                d[0].summary
            );
        }
        let cfg = Attrs::from([("subscription_id".to_string(), Value::str("x"))]);
        assert_eq!(validate(&cfg)[0].path, AttrPath::attr("subscription_id"));
    }

    #[test]
    fn azure_resolves_at_configure_with_the_attribute_path_of_what_is_wrong() {
        let cfg = Attrs::from([
            ("backend".to_string(), Value::str("azure")),
            ("subscription_id".to_string(), Value::str(SUB)),
            ("client_secret".to_string(), Value::str("s3cret")),
        ]);
        let d = ProviderConfig::resolve(&cfg, |_| None).unwrap_err();
        assert_eq!(d[0].path, AttrPath::attr("tenant_id"));
        assert!(!d[0].summary.contains("s3cret"));
        let env = |k: &str| match k {
            "ARM_TENANT_ID" => Some("tenant".to_string()),
            "ARM_CLIENT_ID" => Some("client".to_string()),
            _ => None,
        };
        let c = ProviderConfig::resolve(&cfg, env).unwrap();
        let azure = c.azure.unwrap();
        assert_eq!(c.subscription_id, SUB);
        assert!(matches!(azure.credential, CredentialSource::ClientSecret { .. }));
        let missing = Attrs::from([("backend".to_string(), Value::str("azure"))]);
        let d = ProviderConfig::resolve(&missing, |_| None).unwrap_err();
        assert_eq!(d[0].path, AttrPath::attr("subscription_id"));
    }

    #[test]
    fn validate_checks_the_shape_of_written_azure_settings() {
        let cfg = Attrs::from([
            ("environment".to_string(), Value::str("mars")),
            ("authority_host".to_string(), Value::str("login.example")),
            ("use_cli".to_string(), Value::Bool(false)),
            ("client_secret".to_string(), Value::str("not judged")),
        ]);
        let mut paths: Vec<String> = validate(&cfg).iter().map(|d| d.path.to_string()).collect();
        paths.sort();
        assert_eq!(paths, ["authority_host", "environment"]);
    }
}
