//! Backends realize graph resources in a fabric: the embedded local fabric
//! (SQLite), and later Azure Resource Manager. Both the CLI engine and the
//! Terraform provider hold one as `Arc<dyn Backend>`.
//!
//! The contract, per kind, over graph values:
//! - every call takes an [`OpCtx`]: the acting stack, a deadline and
//!   cancellation; a cancelled call starts no new remote step;
//! - `read` takes the prior state (to find sub-objects) and returns what the
//!   fabric *observes* ([`Observed`]: address spaces, subnets, DNS servers,
//!   peering state and sync level, Kubernetes object content) with the
//!   object's owner mark; attributes only hybridk8s knows (sizing inputs,
//!   `avoid`) are not in it: the core merges them from prior state
//!   ([`merge`]). An object that no longer exists is `Ok(None)` ("gone");
//!   one of another kind at that ID is [`BackendError::WrongKind`];
//! - `create` puts the stack's owner mark on the object and never adopts:
//!   an existing object is `AlreadyExists`, naming its owner;
//! - `update` and `delete` refuse ([`BackendError::NotOwned`]) an object
//!   whose mark names another stack, and keep sub-objects hybridk8s did not
//!   create (a foreign subnet, a foreign peering); deleting what is already
//!   gone succeeds;
//! - `import` parses the kind's typed ID, reads (a missing object is an
//!   error there, as the user named it), refuses another stack's object and
//!   marks it as the importing stack's ([`Backend::claim`]).
//!
//! `onprem` is declaration-only: there is no cloud object. `create` and
//! `update` echo the attributes, `delete` does nothing, and `read`/`import`
//! answer [`BackendError::DeclarationOnly`]. The engine never calls the
//! backend for it and keeps it in the stack state only.

pub mod azblob;
pub mod azure;
pub mod context;
pub mod id;
pub mod kube;
pub mod local;
pub mod locks;
pub mod logged;
pub mod objects;
pub mod owner;
pub mod stacks;
pub mod vnet_dns;

use crate::graph::{Attrs, Kind};
use async_trait::async_trait;
use std::fmt;

pub use context::OpCtx;
pub use id::{
    IdError, KubernetesObjectId, NetworkSecurityGroupId, PeeringId, RouteTableId, SubnetId, VirtualNetworkId,
};
pub use owner::Owner;

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
    /// An address-space change that would leave a subnet outside the VNET
    /// (removing a range that holds one).
    NetcfgSubnetRangeOutsideVnet,
    /// Deleting (or replacing) a hub's gateway while a peering uses it
    /// (`use_remote_gateways`). Named after Azure's `InUse…CannotBeDeleted`
    /// family; match on the message.
    InUseGatewayCannotBeDeleted,
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
    /// A write met another write in progress on the same VNET (409).
    AnotherOperationInProgress,
    /// A write referenced a VNET that another write is updating (400,
    /// azurerm#2605).
    ReferencedResourceNotProvisioned,
    /// A limit of the subscription's networking quotas is reached (a VNET
    /// with 500 peerings); match on the message.
    QuotaExceeded,
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
            ErrorCode::NetcfgSubnetRangeOutsideVnet => "NetcfgSubnetRangeOutsideVnet",
            ErrorCode::InUseGatewayCannotBeDeleted => "InUseGatewayCannotBeDeleted",
            ErrorCode::GatewaySubnetMissing => "GatewaySubnetMissing",
            ErrorCode::InUseSubnetCannotBeDeleted => "InUseSubnetCannotBeDeleted",
            ErrorCode::InUseVnetCannotBeDeleted => "InUseVnetCannotBeDeleted",
            ErrorCode::ResourceNotFound => "ResourceNotFound",
            ErrorCode::AlreadyExists => "AlreadyExists",
            ErrorCode::InvalidRequest => "InvalidRequest",
            ErrorCode::AnotherOperationInProgress => "AnotherOperationInProgress",
            ErrorCode::ReferencedResourceNotProvisioned => "ReferencedResourceNotProvisioned",
            ErrorCode::QuotaExceeded => "QuotaExceeded",
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
    /// The object's owner mark names another stack (or none, for a change
    /// of an object that was never imported): hybridk8s leaves it alone.
    #[error(
        "{op} {noun} {id:?}: the object is {owner}; hybridk8s changes only what its own stack created or imported"
    )]
    NotOwned {
        op: Op,
        noun: &'static str,
        id: String,
        owner: Owner,
    },
    /// The object at this ID is not of the kind asked for.
    #[error("{op} {noun} {id:?}: the object is {found}, not {expected}")]
    WrongKind {
        op: Op,
        noun: &'static str,
        id: String,
        expected: String,
        found: String,
    },
    /// The operation was cancelled before it started (Ctrl-C, StopProvider).
    #[error("{op} {noun} {id:?}: cancelled before it started")]
    Cancelled { op: Op, noun: &'static str, id: String },
    /// The operation's deadline passed before it started.
    #[error("{op} {noun} {id:?}: the deadline passed before it started")]
    DeadlineExceeded { op: Op, noun: &'static str, id: String },
    /// The backend cannot answer this question (an optional read).
    #[error("{op} {what}: not supported by this backend")]
    Unsupported { op: Op, what: &'static str },
    /// ARM answered an error that is not one of the [`ErrorCode`]s: Azure's
    /// code and message as given, with the HTTP status (0 when the error
    /// came from a long-running operation's status document).
    #[error("{op} {noun} {id:?}: {code}: {message}")]
    Azure {
        op: Op,
        noun: &'static str,
        id: String,
        status: u16,
        code: String,
        message: String,
    },
    /// ARM could not be reached or understood (a credential that yields no
    /// token, a connection dropped on every retry, a body that does not parse).
    #[error("{op} {noun} {id:?}: {cause}")]
    Remote {
        op: Op,
        noun: &'static str,
        id: String,
        cause: String,
    },
    /// The Kubernetes API server answered an error (a `Status` body): its
    /// HTTP status, reason (`Forbidden`, `Invalid`, …) and message.
    #[error("{op} {noun} {id:?}: {reason} ({status}): {message}")]
    Kubernetes {
        op: Op,
        noun: &'static str,
        id: String,
        status: u16,
        reason: String,
        message: String,
    },
    /// Server-side apply met fields another field manager owns.
    #[error(
        "{op} {noun} {id:?}: fields owned by another field manager ({}): {}; set `force_conflicts = true` to take them",
        managers.join(", "),
        fields.join(", ")
    )]
    FieldConflict {
        op: Op,
        noun: &'static str,
        id: String,
        managers: Vec<String>,
        fields: Vec<String>,
    },
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

impl ErrorCode {
    /// The code Azure answers with this name, when it is one of ours.
    pub fn from_azure(code: &str) -> Option<ErrorCode> {
        use ErrorCode::*;
        [
            VnetAddressSpacesOverlap,
            RemoteVnetHasNoGateways,
            RemotePeeringDoesNotExist,
            RemotePeeringIsDisconnected,
            RemotePeeringDoesNotAllowGatewayTransit,
            UseRemoteGatewaysAlreadySet,
            NetcfgInvalidSubnet,
            NetcfgSubnetRangeOutsideVnet,
            InUseGatewayCannotBeDeleted,
            GatewaySubnetMissing,
            InUseSubnetCannotBeDeleted,
            InUseVnetCannotBeDeleted,
            ResourceNotFound,
            AlreadyExists,
            InvalidRequest,
            QuotaExceeded,
        ]
        .into_iter()
        .find(|c| c.as_str().eq_ignore_ascii_case(code))
    }
}

/// The `id` attribute of a resource, for messages (`(unknown id)` without one).
pub fn id_of(attrs: &Attrs) -> String {
    attrs
        .get("id")
        .and_then(crate::graph::Value::as_str)
        .unwrap_or("(unknown id)")
        .to_string()
}

/// An error and its causes on one line, `: `-separated (transport errors
/// say little at the top).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let s = c.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = c.source();
    }
    out
}

/// The name Azure's messages use for the object a kind stands for.
pub fn noun(kind: Kind) -> &'static str {
    match kind {
        Kind::Onprem => "On-premises Network",
        Kind::Hub | Kind::ClusterNetwork => "Virtual Network",
        Kind::Peering => "Virtual Network Peering",
        Kind::DnsUpstream => "Kubernetes ConfigMap",
        Kind::ExternalService | Kind::LbService => "Kubernetes Service",
        Kind::NetworkSecurityGroup => "Network Security Group",
        Kind::RouteTable => "Route Table",
    }
}

/// What a backend observes of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// The attributes the fabric reports (never the desired-only ones).
    pub attrs: Attrs,
    /// Whose the object is, from its owner mark.
    pub owner: Owner,
}

/// The attributes of an object: `base` (prior state, or the planned
/// attributes after a write) overlaid with what the fabric observes. This is
/// the one place desired-only attributes are carried over.
pub fn merge(base: &Attrs, observed: &Attrs) -> Attrs {
    let mut out = base.clone();
    for (k, v) in observed {
        out.insert(k.clone(), v.clone());
    }
    out
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
    /// What the fabric observes of the object with this ID (`prior`: its
    /// last known attributes, when there are any). `Ok(None)` when it is gone.
    async fn read(
        &self,
        cx: &OpCtx,
        kind: Kind,
        id: &str,
        prior: Option<&Attrs>,
    ) -> Result<Option<Observed>, BackendError>;

    /// Creates the object with the stack's owner mark; never adopts an
    /// existing one. Returns what the fabric observes afterwards.
    async fn create(&self, cx: &OpCtx, kind: Kind, attrs: &Attrs) -> Result<Observed, BackendError>;

    /// Changes the object in place (attributes that do not require replacement).
    async fn update(&self, cx: &OpCtx, kind: Kind, prior: &Attrs, attrs: &Attrs) -> Result<Observed, BackendError>;

    /// Deletes the object described by its last known attributes. Deleting
    /// what is already gone succeeds.
    async fn delete(&self, cx: &OpCtx, kind: Kind, prior: &Attrs) -> Result<(), BackendError>;

    /// The peerings of the VNET with this ID (none when it does not exist).
    /// Optional: a backend that cannot tell answers [`BackendError::Unsupported`].
    async fn peerings_of(&self, cx: &OpCtx, vnet_id: &str) -> Result<Vec<PeeringView>, BackendError> {
        let _ = (cx, vnet_id);
        Err(BackendError::Unsupported {
            op: Op::Retrieving,
            what: "the peerings of a virtual network",
        })
    }

    /// Why this backend cannot realize objects of `kind` (`None`: it can).
    /// Both front ends refuse such a resource at plan, before any change.
    fn refuses(&self, kind: Kind) -> Option<String> {
        let _ = kind;
        None
    }

    /// Puts the stack's owner mark on an existing object (import).
    async fn claim(&self, cx: &OpCtx, kind: Kind, id: &str) -> Result<(), BackendError>;

    /// Takes the stack's owner mark off an object it gives up (`state rm`),
    /// so that another stack may import it. Refuses another stack's object.
    async fn release(&self, cx: &OpCtx, kind: Kind, id: &str) -> Result<(), BackendError>;

    /// Parses `id` as the kind's typed ID, reads it, refuses another stack's
    /// object, and claims it for `cx`'s stack.
    async fn import(&self, cx: &OpCtx, kind: Kind, id: &str) -> Result<Observed, BackendError> {
        check_id(kind, id)?;
        let not_found = || BackendError::ImportNotFound {
            noun: noun(kind),
            id: id.to_string(),
        };
        let found = self.read(cx, kind, id, None).await?.ok_or_else(not_found)?;
        if let Owner::Stack(s) = &found.owner {
            if s != cx.stack() {
                return Err(BackendError::NotOwned {
                    op: Op::Importing,
                    noun: noun(kind),
                    id: id.to_string(),
                    owner: found.owner,
                });
            }
        }
        self.claim(cx, kind, id).await?;
        self.read(cx, kind, id, None).await?.ok_or_else(not_found)
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
        Kind::NetworkSecurityGroup => {
            id.parse::<NetworkSecurityGroupId>()?;
        }
        Kind::RouteTable => {
            id.parse::<RouteTableId>()?;
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
