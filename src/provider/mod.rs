//! The Terraform provider: tfplugin5 5.2 over gRPC, speaking go-plugin's
//! handshake. Thin layers: generated types (`proto`, private) are converted
//! at the edge (`convert`, `cty`, `schema`), each RPC (`server`) calls a
//! protocol-free core (`core` for validation and planning, `lifecycle` for
//! what needs a backend, `cross` for the plan-time rules across resources, over the objects of
//! the plan in `plan_store`)
//! and the [`Backend`](crate::backend::Backend) the CLI uses does the work.

pub mod address_plan;
mod convert;
pub(crate) mod core;
mod cross;
pub mod flow_check;
pub(crate) mod lifecycle;
mod plan_store;
mod proto;
mod rpc_log;
mod server;

pub mod config;
pub mod cty;
pub mod plugin;
pub mod schema;
pub mod tls;

pub use config::{default_factory, BackendFactory, ProviderConfig};
pub use server::ProviderService;

/// Generated client and message types and the service router, for the
/// in-process gRPC tests. Not an API.
#[doc(hidden)]
pub mod testing {
    pub use super::plugin::router;
    pub use super::proto::{health, plugin, tfplugin5};
}
