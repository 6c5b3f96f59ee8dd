//! The registry of resource kinds: one file per kind with its schema, the
//! attributes it derives (defaults that depend on other attributes, IDs,
//! sizing) and the rules that need only the resource itself.

pub mod cluster_network;
pub mod dns_upstream;
pub mod external_service;
pub mod hub;
pub mod lb_service;
pub mod onprem;
pub mod peering;
pub(crate) mod util;

use super::address::{Address, Kind};
use super::diag::Diagnostics;
use super::schema::{Attrs, Schema};
use super::{Ctx, Resource};
use std::sync::OnceLock;

/// Everything the core knows about one kind.
pub struct KindDef {
    pub kind: Kind,
    schema: fn() -> Schema,
    compute: fn(&mut Attrs, &Ctx),
    rules: fn(&Resource, &mut Diagnostics),
}

impl KindDef {
    /// The kind's schema (built once).
    pub fn schema(&self) -> &'static Schema {
        static SCHEMAS: OnceLock<Vec<Schema>> = OnceLock::new();
        let all = SCHEMAS.get_or_init(|| REGISTRY.iter().map(|d| (d.schema)()).collect());
        &all[REGISTRY
            .iter()
            .position(|d| d.kind == self.kind)
            .expect("every kind is registered")]
    }

    /// Rules over one completed resource.
    pub fn validate(&self, r: &Resource) -> Diagnostics {
        let mut d = Diagnostics::default();
        (self.rules)(r, &mut d);
        d
    }
}

static REGISTRY: [KindDef; 7] = [
    KindDef {
        kind: Kind::Onprem,
        schema: onprem::schema,
        compute: onprem::compute,
        rules: onprem::rules,
    },
    KindDef {
        kind: Kind::Hub,
        schema: hub::schema,
        compute: hub::compute,
        rules: hub::rules,
    },
    KindDef {
        kind: Kind::ClusterNetwork,
        schema: cluster_network::schema,
        compute: cluster_network::compute,
        rules: cluster_network::rules,
    },
    KindDef {
        kind: Kind::Peering,
        schema: peering::schema,
        compute: peering::compute,
        rules: peering::rules,
    },
    KindDef {
        kind: Kind::DnsUpstream,
        schema: dns_upstream::schema,
        compute: dns_upstream::compute,
        rules: dns_upstream::rules,
    },
    KindDef {
        kind: Kind::ExternalService,
        schema: external_service::schema,
        compute: external_service::compute,
        rules: external_service::rules,
    },
    KindDef {
        kind: Kind::LbService,
        schema: lb_service::schema,
        compute: lb_service::compute,
        rules: lb_service::rules,
    },
];

/// The definition of a kind.
pub fn def(kind: Kind) -> &'static KindDef {
    REGISTRY
        .iter()
        .find(|d| d.kind == kind)
        .expect("every kind is registered")
}

/// The schema of a kind.
pub fn schema(kind: Kind) -> &'static Schema {
    def(kind).schema()
}

/// Turns user configuration into a complete resource: checks names and
/// types, fills defaults, derives computed attributes where their inputs are
/// known (unknown otherwise). Diagnostics concern the configuration only.
pub fn complete(address: &Address, config: Attrs, ctx: &Ctx) -> (Attrs, Diagnostics) {
    let d = def(address.kind);
    let schema = d.schema();
    let diags = schema.validate_config(address, &config);
    let mut attrs = config;
    schema.apply_defaults(&mut attrs);
    (d.compute)(&mut attrs, ctx);
    (attrs, diags)
}

/// Re-derives the computed attributes of an already complete resource (after
/// a reference it depends on became known).
pub fn recompute(attrs: &mut Attrs, kind: Kind, ctx: &Ctx) {
    (def(kind).compute)(attrs, ctx)
}

/// Azure's ID of a virtual network.
pub fn vnet_id(ctx: &Ctx, resource_group: &str, name: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{resource_group}/providers/Microsoft.Network/virtualNetworks/{name}",
        ctx.subscription_id
    )
}

/// The ID of a Kubernetes object of a cluster: the cluster network's ID,
/// then `namespaces/{ns}/{plural}/{name}`.
pub fn k8s_id(cluster_id: &str, namespace: &str, plural: &str, name: &str) -> String {
    format!("{cluster_id}/namespaces/{namespace}/{plural}/{name}")
}
