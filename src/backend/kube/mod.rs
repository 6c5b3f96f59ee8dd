//! The Kubernetes plane: the objects of `dns_upstream`, `external_service`
//! and `lb_service` applied to a real cluster through its API server
//! (kube-rs). Which cluster comes from the resource's `kubeconfig_path` /
//! `kubeconfig_context` (else the plane's defaults, `KUBECONFIG`,
//! `~/.kube/config`, the in-cluster service account); one client (one
//! connection pool) per cluster, built at first use, never at construction.
//!
//! The backend contract holds here as in the fabrics: `create` never
//! adopts, `update` and `delete` refuse another stack's object, `read`
//! reports the owner the object's marks name and refuses an object of
//! another kind, `import` marks the object as the importing stack's. How
//! each object is written is in [`write`]; how it is read, in [`read`].

#[cfg(feature = "kubernetes")]
mod api;
#[cfg(feature = "kubernetes")]
pub(crate) mod call;
#[cfg(feature = "kubernetes")]
pub(crate) mod cluster;
#[cfg(feature = "kubernetes")]
mod plane;
#[cfg(feature = "kubernetes")]
pub(crate) mod read;
#[cfg(feature = "kubernetes")]
mod session;
#[cfg(feature = "kubernetes")]
mod write;

#[cfg(feature = "kubernetes")]
pub use cluster::ClusterKey;
#[cfg(feature = "kubernetes")]
pub use plane::KubePlane;
#[cfg(feature = "kubernetes")]
pub use write::{CREATED_ANNOTATION, RESTARTED_AT_ANNOTATION, SAVED_COREFILE_ANNOTATION};

use std::path::PathBuf;

/// The cluster defaults of a plane (the provider block's `kubeconfig_path`
/// and `kubeconfig_context`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KubeDefaults {
    pub kubeconfig_path: Option<PathBuf>,
    pub kubeconfig_context: Option<String>,
}
