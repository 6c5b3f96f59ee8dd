//! `--backend local|azure`: where the commands that touch the fabric
//! realize resources. The stack state and locks always stay in the local
//! file; with `azure` the `ARM_*` variables are resolved as the provider
//! resolves them (`backend::azure::config`).

use crate::backend::local::LocalFabric;
use crate::backend::Backend;
use std::sync::Arc;

/// Where resources are realized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
    /// The embedded fabric in the `--state` file.
    Local,
    /// Azure Resource Manager, configured by the `ARM_*` variables (as
    /// azurerm); the stack state and locks stay in the `--state` file.
    Azure,
}

/// Which backend realizes resources.
#[derive(Debug, Clone, clap::Args)]
pub struct BackendArgs {
    /// Where resources are realized: `local` (the embedded fabric) or
    /// `azure` (Azure Resource Manager, from the ARM_* variables).
    #[arg(long = "backend", env = "HYBRIDK8S_BACKEND", value_enum, default_value = "local")]
    pub backend: BackendKind,
    /// With `--backend azure`: the kubeconfig of the clusters the
    /// Kubernetes objects go to, unless a resource sets its own
    /// `kubeconfig_path` (default: `KUBECONFIG`, then `~/.kube/config`,
    /// then the in-cluster configuration of a pod).
    #[arg(long = "kubeconfig", value_name = "PATH")]
    pub kubeconfig: Option<std::path::PathBuf>,
    /// With `--backend azure`: the kubeconfig context to use, unless a
    /// resource sets its own `kubeconfig_context` (default: the current one).
    #[arg(long = "kube-context", value_name = "NAME")]
    pub kube_context: Option<String>,
}

/// How to reach the chosen backend, resolved before anything is read (a
/// missing `ARM_*` setting fails first).
pub(super) enum Target {
    Local,
    Azure(crate::backend::azure::AzureConfig, crate::backend::kube::KubeDefaults),
}

impl Target {
    pub(super) fn resolve(args: &BackendArgs) -> anyhow::Result<Target> {
        Ok(match args.backend {
            BackendKind::Local => Target::Local,
            BackendKind::Azure => Target::Azure(
                crate::backend::azure::AzureConfig::from_env().map_err(|e| anyhow::anyhow!("--backend azure: {e}"))?,
                crate::backend::kube::KubeDefaults {
                    kubeconfig_path: args.kubeconfig.clone(),
                    kubeconfig_context: args.kube_context.clone(),
                },
            ),
        })
    }

    /// The backend over `fabric` (the local file: the whole fabric, or
    /// the stack state and records next to Azure).
    /// Its calls are logged at trace ([`crate::backend::logged`]).
    pub(super) fn backend(&self, fabric: LocalFabric) -> anyhow::Result<Arc<dyn Backend>> {
        let path = fabric.path().to_path_buf();
        let (name, opened): (_, Arc<dyn Backend>) = match self {
            Target::Local => ("local", Arc::new(fabric)),
            Target::Azure(cfg, kube) => (
                "azure",
                crate::backend::azure::config::backend(cfg.clone(), fabric, kube.clone())
                    .map_err(|e| anyhow::anyhow!("opening the azure backend: {e}"))?,
            ),
        };
        Ok(crate::backend::logged::opened(name, &path, opened))
    }
}
