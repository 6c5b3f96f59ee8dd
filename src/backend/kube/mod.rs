//! The Kubernetes plane: the objects of `dns_upstream`, `external_service`
//! and `lb_service` applied to a real cluster through its API server
//! (kube-rs). Which cluster comes from the resource's `kubeconfig_path` /
//! `kubeconfig_context` (else the plane's defaults, `KUBECONFIG`,
//! `~/.kube/config`, the in-cluster service account); one client (one
//! connection pool) per cluster, built at first use, never at construction.

mod cluster;

pub use cluster::{ClusterKey, KubeDefaults};

use crate::backend::BackendError;
use crate::graph::Attrs;
use std::sync::Arc;

/// The Kubernetes plane. Cheap to clone (the client cache is shared).
#[derive(Clone)]
pub struct KubePlane {
    inner: Arc<cluster::Clients>,
}

impl KubePlane {
    /// A plane that connects, at first use, to the clusters the resources name.
    pub fn new(defaults: KubeDefaults) -> KubePlane {
        KubePlane {
            inner: Arc::new(cluster::Clients::new(defaults)),
        }
    }

    /// The client of the cluster `attrs` (else `prior`, else the defaults)
    /// names, built once per kubeconfig and context and reused.
    pub async fn client(
        &self,
        at: &cluster::At<'_>,
        attrs: Option<&Attrs>,
        prior: Option<&Attrs>,
    ) -> Result<::kube::Client, BackendError> {
        let key = self.inner.key(attrs, prior);
        self.inner.client(at, &key).await
    }
}
