//! Backends realize graph resources in a fabric: the embedded local fabric
//! (SQLite), and later Azure Resource Manager. Both the CLI engine and the
//! Terraform provider hold one as `Arc<dyn Backend>`.
//!
//! The contract, per kind, over graph values:
//! - `create` / `update` return the resulting attributes with every computed
//!   one known (`peering_state`, `peering_sync_level`, …);
//! - `read` of an object that no longer exists is `Ok(None)` ("gone");
//! - `delete` of an object that no longer exists succeeds;
//! - `import` parses the kind's typed ID, then reads (a missing object is an
//!   error there, as the user named it).
//!
//! `onprem` is declaration-only: there is no cloud object. `create` and
//! `update` echo the attributes, `delete` does nothing, and `read`/`import`
//! answer [`BackendError::DeclarationOnly`]. The engine never calls the
//! backend for it and keeps it in the stack state only.

pub mod id;
pub mod local;

use crate::graph::{Attrs, Kind};
use async_trait::async_trait;
use std::fmt;

pub use id::{IdError, KubernetesObjectId, PeeringId, SubnetId, VirtualNetworkId};

/// What a backend was doing when it failed (the first word of an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Creating,
    Updating,
    Deleting,
    Retrieving,
    Importing,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Creating => "creating",
            Op::Updating => "updating",
            Op::Deleting => "deleting",
            Op::Retrieving => "retrieving",
            Op::Importing => "importing",
        })
    }
}

/// The Azure (or Kubernetes) error code of a refusal. Names follow what
/// Azure answers so users can search for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// Peered VNETs overlap (also: an address-space change that would overlap a peered VNET).
    VnetAddressSpacesOverlap,
    /// `use_remote_gateways` but the remote VNET has no gateway.
    RemoteVnetHasNoGateways,
    /// `use_remote_gateways` but the remote side of the peering does not exist yet.
    RemotePeeringDoesNotExist,
    /// Creating or updating a peering whose other side is Disconnected.
    RemotePeeringIsDisconnected,
    /// `use_remote_gateways` but the remote side has `allow_gateway_transit = false`.
    RemotePeeringDoesNotAllowGatewayTransit,
    /// A second peering of one VNET with `use_remote_gateways`.
    UseRemoteGatewaysAlreadySet,
    /// A subnet outside its VNET's address space, overlapping a sibling or smaller than /29.
    NetcfgInvalidSubnet,
    /// A gateway without a `GatewaySubnet`.
    GatewaySubnetMissing,
    /// Deleting a subnet (or its VNET) that Kubernetes objects still use.
    InUseSubnetCannotBeDeleted,
    /// Deleting a VNET that still has peerings.
    InUseVnetCannotBeDeleted,
    /// A referenced object (VNET, remote VNET, cluster) does not exist.
    ResourceNotFound,
    /// The object exists already and is not managed by this call.
    AlreadyExists,
    /// The attributes do not describe a valid object.
    InvalidRequest,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::VnetAddressSpacesOverlap => "VnetAddressSpacesOverlap",
            ErrorCode::RemoteVnetHasNoGateways => "RemoteVnetHasNoGateways",
            ErrorCode::RemotePeeringDoesNotExist => "RemotePeeringDoesNotExist",
            ErrorCode::RemotePeeringIsDisconnected => "RemotePeeringIsDisconnected",
            ErrorCode::RemotePeeringDoesNotAllowGatewayTransit => "RemotePeeringDoesNotAllowGatewayTransit",
            ErrorCode::UseRemoteGatewaysAlreadySet => "UseRemoteGatewaysAlreadySet",
            ErrorCode::NetcfgInvalidSubnet => "NetcfgInvalidSubnet",
            ErrorCode::GatewaySubnetMissing => "GatewaySubnetMissing",
            ErrorCode::InUseSubnetCannotBeDeleted => "InUseSubnetCannotBeDeleted",
            ErrorCode::InUseVnetCannotBeDeleted => "InUseVnetCannotBeDeleted",
            ErrorCode::ResourceNotFound => "ResourceNotFound",
            ErrorCode::AlreadyExists => "AlreadyExists",
            ErrorCode::InvalidRequest => "InvalidRequest",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A backend failure. Messages read like azurerm's:
/// `creating Virtual Network Peering "<id>": VnetAddressSpacesOverlap: …`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// The fabric refused the request (an Azure apply-time rule).
    #[error("{op} {noun} {id:?}: {code}: {message}")]
    Refused {
        op: Op,
        noun: &'static str,
        id: String,
        code: ErrorCode,
        message: String,
    },
    /// An ID did not parse as the kind's typed ID.
    #[error(transparent)]
    InvalidId(#[from] IdError),
    /// `import` of an object that does not exist.
    #[error("importing {noun} {id:?}: cannot import non-existent remote object")]
    ImportNotFound { noun: &'static str, id: String },
    /// The kind has no cloud object (`onprem`).
    #[error("{op} {kind}: `{kind}` is declaration-only and has no cloud object")]
    DeclarationOnly { op: Op, kind: Kind },
    /// The attributes lack something the backend needs (a bug upstream, or unknowns at apply).
    #[error("{op} {noun} {id:?}: attribute `{attribute}` is missing or not known")]
    MissingAttribute {
        op: Op,
        noun: &'static str,
        id: String,
        attribute: String,
    },
    /// The backend cannot answer this question (an optional read).
    #[error("{op} {what}: not supported by this backend")]
    Unsupported { op: Op, what: &'static str },
    /// The storage under the fabric failed (SQLite, I/O).
    #[error("{op} {noun} {id:?}: storage: {cause}")]
    Storage {
        op: Op,
        noun: &'static str,
        id: String,
        cause: String,
    },
}

impl BackendError {
    /// The Azure error code of a refusal.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            BackendError::Refused { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// The name Azure's messages use for the object a kind stands for.
pub fn noun(kind: Kind) -> &'static str {
    match kind {
        Kind::Onprem => "On-premises Network",
        Kind::Hub | Kind::ClusterNetwork => "Virtual Network",
        Kind::Peering => "Virtual Network Peering",
        Kind::DnsUpstream => "Kubernetes ConfigMap",
        Kind::ExternalService | Kind::LbService => "Kubernetes Service",
    }
}

/// One peering of a VNET as the fabric holds it, seen from that VNET: a
/// read-only view for plan-time checks (e.g. the other spokes of a hub).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeeringView {
    /// The peering's name on this VNET.
    pub name: String,
    pub remote_vnet_id: String,
    /// The remote VNET's address space as this side last synced it.
    pub remote_address_space: Vec<String>,
    pub use_remote_gateways: bool,
    pub peering_state: String,
}

/// Realizes resources of every kind. Object-safe: hold it as `Arc<dyn Backend>`.
#[async_trait]
pub trait Backend: Send + Sync {
    /// The current attributes of the object with this ID: the graph
    /// attributes last written, overlaid with what the fabric reports now.
    /// `Ok(None)` when it is gone.
    async fn read(&self, kind: Kind, id: &str) -> Result<Option<Attrs>, BackendError>;

    /// Creates the object; returns its attributes with every computed one known.
    async fn create(&self, kind: Kind, attrs: &Attrs) -> Result<Attrs, BackendError>;

    /// Changes the object in place (attributes that do not require replacement).
    async fn update(&self, kind: Kind, prior: &Attrs, attrs: &Attrs) -> Result<Attrs, BackendError>;

    /// Deletes the object described by its last known attributes. Deleting
    /// what is already gone succeeds.
    async fn delete(&self, kind: Kind, prior: &Attrs) -> Result<(), BackendError>;

    /// The peerings of the VNET with this ID (none when it does not exist).
    /// Optional: a backend that cannot tell answers [`BackendError::Unsupported`].
    async fn peerings_of(&self, vnet_id: &str) -> Result<Vec<PeeringView>, BackendError> {
        let _ = vnet_id;
        Err(BackendError::Unsupported {
            op: Op::Retrieving,
            what: "the peerings of a virtual network",
        })
    }

    /// Parses `id` as the kind's typed ID, then reads it.
    async fn import(&self, kind: Kind, id: &str) -> Result<Attrs, BackendError> {
        check_id(kind, id)?;
        match self.read(kind, id).await? {
            Some(a) => Ok(a),
            None => Err(BackendError::ImportNotFound {
                noun: noun(kind),
                id: id.to_string(),
            }),
        }
    }
}

/// Checks that `id` is a valid ID for the kind.
pub fn check_id(kind: Kind, id: &str) -> Result<(), BackendError> {
    match kind {
        Kind::Onprem => {
            return Err(BackendError::DeclarationOnly {
                op: Op::Importing,
                kind,
            })
        }
        Kind::Hub | Kind::ClusterNetwork => {
            id.parse::<VirtualNetworkId>()?;
        }
        Kind::Peering => {
            id.parse::<PeeringId>()?;
        }
        Kind::DnsUpstream | Kind::ExternalService | Kind::LbService => {
            let k: KubernetesObjectId = id.parse()?;
            let want = if kind == Kind::DnsUpstream {
                "configmaps"
            } else {
                "services"
            };
            if k.plural != want {
                return Err(IdError {
                    expected: noun(kind),
                    id: id.to_string(),
                    reason: format!("a {kind} ID names `{want}`, not `{}`", k.plural),
                }
                .into());
            }
        }
    }
    Ok(())
}
