//! The provider block: which backend realizes resources, where the local
//! fabric lives, which subscription IDs are built in. Each setting falls back
//! to an environment variable, then to a default — the same ones the CLI
//! uses, so `terraform apply` and `hybridk8s apply` in one directory share
//! one fabric.

use crate::backend::local::{db, LocalFabric};
use crate::backend::Backend;
use crate::graph::diag::Diagnostic;
use crate::graph::schema::Attrs;
use crate::graph::value::{AttrPath, Value};
use crate::graph::{Address, Ctx, Kind, LOCAL_SUBSCRIPTION};
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
/// Where the local fabric lives when nothing says otherwise (relative to the
/// working directory, like the CLI's default).
pub const DEFAULT_STATE_PATH: &str = ".hybridk8s/fabric.db";

pub const BACKENDS: [&str; 2] = ["local", "azure"];

/// The resolved provider configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderConfig {
    pub backend: String,
    pub state_path: PathBuf,
    pub subscription_id: String,
    /// The owner mark this provider puts on what it creates.
    pub stack: String,
}

/// The stack of a Terraform working directory: `terraform:` and its path,
/// so two working directories on one fabric never own each other's objects.
pub fn default_stack(cwd: &Path) -> String {
    let dir = std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    format!("terraform:{}", dir.display())
}

impl ProviderConfig {
    /// Resolves config values (null or unknown = not set), then the
    /// environment (`env` is a lookup so tests need not touch the process
    /// environment), then defaults.
    pub fn resolve(config: &Attrs, env: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str, var: &str| {
            config
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| env(var).filter(|v| !v.is_empty()))
        };
        ProviderConfig {
            backend: get("backend", ENV_BACKEND).unwrap_or_else(|| "local".into()),
            state_path: get("state_path", ENV_STATE).map_or_else(|| db::default_path(Path::new("")), PathBuf::from),
            subscription_id: get("subscription_id", ENV_SUBSCRIPTION).unwrap_or_else(|| LOCAL_SUBSCRIPTION.into()),
            stack: get("stack", ENV_STACK)
                .unwrap_or_else(|| default_stack(&std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")))),
        }
    }

    /// From the process environment.
    pub fn from_env(config: &Attrs) -> Self {
        Self::resolve(config, |k| std::env::var(k).ok())
    }

    pub fn ctx(&self) -> Ctx {
        Ctx {
            subscription_id: self.subscription_id.clone(),
        }
    }
}

/// Checks the provider block before Configure.
pub fn validate(config: &Attrs) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let at = Address::new(Kind::Onprem, "provider");
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
    if config.get("state_path").and_then(Value::as_str) == Some("") {
        out.push(Diagnostic::error("invalid-state-path", "state_path is empty").at(&at, AttrPath::attr("state_path")));
    }
    out
}

/// Builds the backend a configuration asks for. Tests pass their own (a
/// fabric in a temp dir); the binary uses [`default_factory`].
pub type BackendFactory = Arc<dyn Fn(&ProviderConfig) -> Result<Arc<dyn Backend>, String> + Send + Sync>;

/// `local` opens (creating when missing) the SQLite fabric at `state_path`;
/// `azure` is not in this build yet.
pub fn default_factory() -> BackendFactory {
    Arc::new(|c: &ProviderConfig| match c.backend.as_str() {
        "local" => LocalFabric::open(&c.state_path)
            .map(|f| Arc::new(f) as Arc<dyn Backend>)
            .map_err(|e| e.to_string()),
        "azure" => Err("the azure backend is not available in this build; use backend = \"local\"".into()),
        other => Err(format!("backend `{other}` is not one of local, azure")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_beats_env_beats_default() {
        let mut cfg = Attrs::new();
        cfg.insert("state_path".into(), Value::str("/tmp/x.json"));
        cfg.insert("backend".into(), Value::Unknown);
        let env = |k: &str| match k {
            ENV_STATE => Some("/env/state.json".to_string()),
            ENV_SUBSCRIPTION => Some("sub-1".to_string()),
            _ => None,
        };
        let c = ProviderConfig::resolve(&cfg, env);
        assert_eq!(c.state_path, PathBuf::from("/tmp/x.json"));
        assert_eq!(c.subscription_id, "sub-1");
        assert_eq!(c.backend, "local");
    }

    #[test]
    fn default_state_path_is_the_clis() {
        let c = ProviderConfig::resolve(&Attrs::new(), |_| None);
        assert_eq!(c.state_path, PathBuf::from(DEFAULT_STATE_PATH));
        assert_eq!(c.state_path, db::default_path(Path::new("")));
        assert_eq!(c.subscription_id, LOCAL_SUBSCRIPTION);
    }
}
