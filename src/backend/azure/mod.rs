//! `azure`: Azure Resource Manager through `azure_mgmt_network` and
//! `azure_identity` (feature `azure`). [`config`] is plain data and always
//! compiled.
//!
//! The same contract as the local fabric, on real ARM: VNETs are written
//! GET-modify-PUT (subnets and peerings others made are kept), a hub's
//! gateway is its own object (`virtualNetworkGateways/<hub>-<kind>-gateway`
//! with a Standard static public IP), a peering is both sides as one unit
//! (hub side first), every long-running operation is followed by one
//! poller ([`lro`]) and every request retried by one policy ([`retry`]).
//! Kubernetes kinds live in the local fabric's file until the Kubernetes
//! plane exists; their cluster VNET is checked in ARM.
//!
//! Owner marks: tags on VNETs (as everywhere). ARM peerings carry no tags,
//! so a peering's mark is a tag on its cluster-side VNET:
//! `hybridk8s-peering-<name>` = the stack.

pub mod config;

pub use config::{AzureConfig, Cloud, CredentialSource, OidcToken, Secret};

#[cfg(feature = "azure")]
mod client;
#[cfg(feature = "azure")]
mod credential;
#[cfg(feature = "azure")]
mod error;
#[cfg(feature = "azure")]
mod gateway;
#[cfg(feature = "azure")]
mod inventory;
#[cfg(feature = "azure")]
mod k8s;
#[cfg(feature = "azure")]
mod lro;
#[cfg(feature = "azure")]
mod ops;
#[cfg(feature = "azure")]
mod peering;
#[cfg(feature = "azure")]
mod retry;
#[cfg(feature = "azure")]
mod vnet;
#[cfg(feature = "azure")]
mod vnet_body;
#[cfg(feature = "azure")]
mod vnet_dns;

#[cfg(feature = "azure")]
pub use backend::{open, AzureBackend};

#[cfg(feature = "azure")]
mod backend {
    use super::client::Arm;
    use super::{k8s, peering, vnet, AzureConfig};
    use crate::backend::kube::{KubeDefaults, KubePlane};
    use crate::backend::local::LocalFabric;
    use crate::backend::locks::VnetLocks;
    use crate::backend::{Backend, BackendError, Observed, Op, OpCtx, Owner, PeeringView};
    use crate::graph::{Attrs, Kind};
    use async_trait::async_trait;
    use std::sync::Arc;

    /// The Azure backend: ARM for networks, the Kubernetes plane for the
    /// objects in the clusters. Cheap to share (`Arc<dyn Backend>`).
    pub struct AzureBackend {
        pub(crate) arm: Arm,
        pub(crate) kube: KubePlane,
        pub(crate) locks: VnetLocks,
        pub(crate) subscription_id: String,
    }

    impl AzureBackend {
        /// No network, no token: the credential is built now, the first
        /// token is fetched by the first call that needs one.
        /// `_records` is the local file that keeps the stack state and
        /// locks (the engine's); the backend itself writes nothing there.
        /// Kubernetes objects go to the clusters the kubeconfig defaults
        /// (`KUBECONFIG`, `~/.kube/config`, in-cluster) name; see
        /// [`AzureBackend::with_kubernetes`].
        pub fn new(config: AzureConfig, _records: LocalFabric) -> Result<AzureBackend, String> {
            Ok(AzureBackend {
                arm: Arm::new(&config)?,
                kube: KubePlane::new(KubeDefaults::default()),
                locks: VnetLocks::default(),
                subscription_id: config.subscription_id.clone(),
            })
        }

        /// The kubeconfig defaults of the Kubernetes objects (the provider
        /// block's `kubeconfig_path` / `kubeconfig_context`, the CLI's
        /// `--kubeconfig` / `--kube-context`).
        pub fn with_kubernetes(mut self, defaults: KubeDefaults) -> AzureBackend {
            self.kube = KubePlane::new(defaults);
            self
        }
    }

    /// The Azure backend as the CLI and the provider hold it.
    pub fn open(config: AzureConfig, records: LocalFabric, kube: KubeDefaults) -> Result<Arc<dyn Backend>, String> {
        Ok(Arc::new(AzureBackend::new(config, records)?.with_kubernetes(kube)))
    }

    #[async_trait]
    impl Backend for AzureBackend {
        async fn read(
            &self,
            cx: &OpCtx,
            kind: Kind,
            id: &str,
            prior: Option<&Attrs>,
        ) -> Result<Option<Observed>, BackendError> {
            match kind {
                Kind::Onprem => Err(BackendError::DeclarationOnly {
                    op: Op::Retrieving,
                    kind,
                }),
                Kind::Hub | Kind::ClusterNetwork => vnet::read(self, cx, kind, id, prior).await,
                Kind::Peering => peering::read(self, cx, id, prior).await,
                Kind::DnsUpstream | Kind::ExternalService | Kind::LbService => {
                    k8s::read(self, cx, kind, id, prior).await
                }
                Kind::NetworkSecurityGroup | Kind::RouteTable => Err(unsupported(kind)),
            }
        }

        async fn create(&self, cx: &OpCtx, kind: Kind, attrs: &Attrs) -> Result<Observed, BackendError> {
            match kind {
                Kind::Onprem => Ok(Observed {
                    attrs: attrs.clone(),
                    owner: Owner::Stack(cx.stack().to_string()),
                }),
                Kind::Hub | Kind::ClusterNetwork => vnet::create(self, cx, kind, attrs).await,
                Kind::Peering => peering::create(self, cx, attrs).await,
                Kind::DnsUpstream | Kind::ExternalService | Kind::LbService => k8s::create(self, cx, kind, attrs).await,
                Kind::NetworkSecurityGroup | Kind::RouteTable => Err(unsupported(kind)),
            }
        }

        async fn update(&self, cx: &OpCtx, kind: Kind, prior: &Attrs, attrs: &Attrs) -> Result<Observed, BackendError> {
            match kind {
                Kind::Onprem => Ok(Observed {
                    attrs: attrs.clone(),
                    owner: Owner::Stack(cx.stack().to_string()),
                }),
                Kind::Hub | Kind::ClusterNetwork => vnet::update(self, cx, kind, prior, attrs).await,
                Kind::Peering => peering::update(self, cx, prior, attrs).await,
                Kind::DnsUpstream | Kind::ExternalService | Kind::LbService => {
                    k8s::update(self, cx, kind, prior, attrs).await
                }
                Kind::NetworkSecurityGroup | Kind::RouteTable => Err(unsupported(kind)),
            }
        }

        async fn delete(&self, cx: &OpCtx, kind: Kind, prior: &Attrs) -> Result<(), BackendError> {
            match kind {
                Kind::Onprem => Ok(()),
                Kind::Hub | Kind::ClusterNetwork => vnet::delete(self, cx, kind, prior).await,
                Kind::Peering => peering::delete(self, cx, prior).await,
                Kind::DnsUpstream | Kind::ExternalService | Kind::LbService => k8s::delete(self, cx, kind, prior).await,
                Kind::NetworkSecurityGroup | Kind::RouteTable => Err(unsupported(kind)),
            }
        }

        async fn peerings_of(&self, cx: &OpCtx, vnet_id: &str) -> Result<Vec<PeeringView>, BackendError> {
            peering::peerings_of(self, cx, vnet_id).await
        }

        fn refuses(&self, kind: Kind) -> Option<String> {
            refusal(kind)
        }

        async fn claim(&self, cx: &OpCtx, kind: Kind, id: &str) -> Result<(), BackendError> {
            self.mark(cx, kind, id, true).await
        }

        async fn release(&self, cx: &OpCtx, kind: Kind, id: &str) -> Result<(), BackendError> {
            self.mark(cx, kind, id, false).await
        }
    }

    /// The kinds the Azure backend does not realize yet (the local fabric does).
    pub fn refusal(kind: Kind) -> Option<String> {
        matches!(kind, Kind::NetworkSecurityGroup | Kind::RouteTable).then(|| {
            format!(
                "backend `azure` does not manage {} ({}) yet: plan and apply it with the local fabric (backend `local`), or manage the {} with azurerm meanwhile",
                kind.keyword(),
                kind.terraform_type(),
                crate::backend::noun(kind)
            )
        })
    }

    fn unsupported(kind: Kind) -> BackendError {
        BackendError::Unsupported {
            op: Op::Retrieving,
            what: match kind {
                Kind::RouteTable => "route tables (hybridk8s_route_table) with backend `azure`",
                _ => "network security groups (hybridk8s_network_security_group) with backend `azure`",
            },
        }
    }

    impl AzureBackend {
        async fn mark(&self, cx: &OpCtx, kind: Kind, id: &str, claim: bool) -> Result<(), BackendError> {
            match kind {
                Kind::Onprem => Err(BackendError::DeclarationOnly {
                    op: Op::Importing,
                    kind,
                }),
                Kind::Hub | Kind::ClusterNetwork => vnet::claim(self, cx, kind, id, claim).await,
                Kind::Peering => peering::claim(self, cx, id, claim).await,
                Kind::DnsUpstream | Kind::ExternalService | Kind::LbService => {
                    k8s::claim(self, cx, kind, id, claim).await
                }
                Kind::NetworkSecurityGroup | Kind::RouteTable => Err(unsupported(kind)),
            }
        }
    }
}
