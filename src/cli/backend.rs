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
}

/// How to reach the chosen backend, resolved before anything is read (a
/// missing `ARM_*` setting fails first).
pub(super) enum Target {
    Local,
    Azure(crate::backend::azure::AzureConfig),
}

impl Target {
    pub(super) fn resolve(args: &BackendArgs) -> anyhow::Result<Target> {
        Ok(match args.backend {
            BackendKind::Local => Target::Local,
            BackendKind::Azure => Target::Azure(
                crate::backend::azure::AzureConfig::from_env().map_err(|e| anyhow::anyhow!("--backend azure: {e}"))?,
            ),
        })
    }

    /// The backend over `fabric` (the local file: the whole fabric, or
    /// the stack state and records next to Azure).
    pub(super) fn backend(&self, fabric: LocalFabric) -> anyhow::Result<Arc<dyn Backend>> {
        match self {
            Target::Local => Ok(Arc::new(fabric)),
            Target::Azure(cfg) => crate::backend::azure::config::backend(cfg.clone(), fabric)
                .map_err(|e| anyhow::anyhow!("opening the azure backend: {e}")),
        }
    }
}
