//! The registry of resource kinds: one file per kind with its schema, the
//! attributes it derives (defaults that depend on other attributes, IDs,
//! sizing) and the rules that need only the resource itself.

pub mod cluster_modes;
pub mod cluster_network;
pub mod cluster_private;
mod cluster_sizing;
pub mod dns_path;
pub mod dns_upstream;
pub mod external_service;
pub mod hub;
pub mod lb_service;
pub mod network_security_group;
pub mod onprem;
pub mod peering;
pub mod route_table;
mod settle;
pub mod timeouts;
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
    /// Planning against an existing object: `(address, prior, config,
    /// planned, diagnostics)`; see [`settle`].
    settle: fn(&Address, &Attrs, &Attrs, &mut Attrs, &mut Diagnostics),
}

/// The hook of kinds whose existing objects need nothing special.
fn no_settle(_: &Address, _: &Attrs, _: &Attrs, _: &mut Attrs, _: &mut Diagnostics) {}

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
        timeouts::rules(r, &mut d);
        d
    }
}

static REGISTRY: [KindDef; 9] = [
    KindDef {
        kind: Kind::Onprem,
        schema: onprem::schema,
        compute: onprem::compute,
        rules: onprem::rules,
        settle: no_settle,
    },
    KindDef {
        kind: Kind::Hub,
        schema: hub::schema,
        compute: hub::compute,
        rules: hub::rules,
        settle: settle::hub,
    },
    KindDef {
        kind: Kind::ClusterNetwork,
        schema: cluster_network::schema,
        compute: cluster_network::compute,
        rules: cluster_network::rules,
        settle: settle::cluster_network,
    },
    KindDef {
        kind: Kind::Peering,
        schema: peering::schema,
        compute: peering::compute,
        rules: peering::rules,
        settle: settle::peering,
    },
    KindDef {
        kind: Kind::DnsUpstream,
        schema: dns_upstream::schema,
        compute: dns_upstream::compute,
        rules: dns_upstream::rules,
        settle: no_settle,
    },
    KindDef {
        kind: Kind::ExternalService,
        schema: external_service::schema,
        compute: external_service::compute,
        rules: external_service::rules,
        settle: no_settle,
    },
    KindDef {
        kind: Kind::LbService,
        schema: lb_service::schema,
        compute: lb_service::compute,
        rules: lb_service::rules,
        settle: no_settle,
    },
    KindDef {
        kind: Kind::NetworkSecurityGroup,
        schema: network_security_group::schema,
        compute: network_security_group::compute,
        rules: network_security_group::rules,
        settle: network_security_group::settle,
    },
    KindDef {
        kind: Kind::RouteTable,
        schema: route_table::schema,
        compute: route_table::compute,
        rules: route_table::rules,
        settle: network_security_group::settle,
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
    let mut attrs = config;
    let mut diags = schema.fold_aliases(address, &mut attrs);
    diags.extend(schema.validate_config(address, &attrs));
    schema.apply_defaults(&mut attrs);
    (d.compute)(&mut attrs, ctx);
    (attrs, diags)
}

/// Re-derives the computed attributes of an already complete resource (after
/// a reference it depends on became known).
pub fn recompute(attrs: &mut Attrs, kind: Kind, ctx: &Ctx) {
    (def(kind).compute)(attrs, ctx)
}

/// Plans a change to an object that exists: runs after [`complete`] with the
/// object's prior attributes (Terraform's prior state, the CLI's refreshed
/// object), the user's configuration (what they set, nothing derived) and
/// the planned attributes, which it may adjust — a cluster keeps its node
/// subnet. Errors mean the change cannot be made to the existing object.
pub fn settle(address: &Address, prior: &Attrs, config: &Attrs, planned: &mut Attrs) -> Diagnostics {
    let mut d = Diagnostics::default();
    (def(address.kind).settle)(address, prior, config, planned, &mut d);
    d
}

/// [`settle`] for a front end that keeps only the completed graph (the CLI
/// engine): the desired attributes against the object as it exists (none:
/// a create, unchanged). Diagnostics go to `d`.
pub fn settle_desired(address: &Address, prior: Option<&Attrs>, desired: &Attrs, d: &mut Diagnostics) -> Attrs {
    let mut planned = desired.clone();
    let schema = def(address.kind).schema();
    let replaced = |p: &Attrs| {
        schema
            .attrs
            .iter()
            .filter(|a| a.requires_replace)
            .any(|a| match (p.get(a.name), desired.get(a.name)) {
                (Some(x), Some(y)) => x.is_wholly_known() && y.is_wholly_known() && x != y,
                _ => false,
            })
    };
    if let Some(prior) = prior.filter(|p| !replaced(p)) {
        d.extend(settle(address, prior, &config_of(address.kind, desired), &mut planned));
    }
    planned
}

/// The configuration a completed resource came from, as far as it can be
/// told: computed attributes dropped, and optional ones dropped where their
/// value is what hybridk8s derives without them (a value written equal to
/// its default counts as not written). For front ends that keep only the
/// completed graph (the CLI engine).
pub fn config_of(kind: Kind, attrs: &Attrs) -> Attrs {
    let schema = schema(kind);
    let mut cfg: Attrs = attrs
        .iter()
        .filter(|(k, _)| schema.attribute(k).is_none_or(|a| a.user_settable()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let address = Address::new(kind, "config");
    for a in schema
        .attrs
        .iter()
        .filter(|a| a.presence == super::schema::Presence::OptionalComputed)
    {
        let Some(v) = cfg.get(a.name).filter(|v| !v.is_null()).cloned() else {
            continue;
        };
        let mut trial = cfg.clone();
        trial.remove(a.name);
        let (derived, _) = complete(&address, trial, &Ctx::default());
        if derived.get(a.name) == Some(&v) {
            cfg.remove(a.name);
        }
    }
    cfg
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
