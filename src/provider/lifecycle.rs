//! The protocol-free core of the RPCs that need a backend: apply, read,
//! import and the data sources, over graph values, through the same
//! realization core (`realize`) and [`Backend`] the CLI engine uses.

use super::core::{address_for, attrs_of};
use super::cty::{normalize, CtyType};
use super::schema::{data_source_schema, HUB_DATA_SOURCE, ONPREM_DATA_SOURCE};
use crate::backend::{Backend, BackendError, OpCtx};
use crate::graph::diag::Diagnostic;
use crate::graph::kinds;
use crate::graph::value::Value;
use crate::graph::{Attrs, Ctx, Kind, Resource};
use crate::realize::{self, Live, StepOutcome};

/// A new state (null = no object) and what went wrong on the way.
pub type Outcome = (Value, Vec<Diagnostic>);

/// A backend error as the user sees it; the backend words it like azurerm
/// (`creating Virtual Network Peering "<id>": RemoteVnetHasNoGateways: …`).
fn failed(e: &BackendError) -> Diagnostic {
    Diagnostic::error("backend", e.to_string())
}

fn object(kind: Kind, attrs: Attrs) -> Value {
    normalize(Value::Map(attrs), super::schema::resource_type(kind))
}

fn id_of(v: &Value) -> Option<&str> {
    v.as_map().and_then(|m| m.get("id")).and_then(Value::as_str)
}

/// The Terraform answer to a step: the state to record (null when nothing
/// exists for this stack), the failure, and a warning.
fn settled(kind: Kind, planned: &Value, out: StepOutcome, succeeded_check: bool) -> Outcome {
    let state = out.state.map_or(Value::Null, |a| object(kind, a));
    let mut diags = Vec::new();
    if let Some(w) = out.warning {
        diags.push(Diagnostic::warning("not-owned", w).hint(
            "hybridk8s never deletes what another stack owns or what it did not create; remove it by hand, or from the stack that owns it, if it should go",
        ));
    }
    match out.error {
        Some(e) => {
            diags.push(failed(&e));
            (state, diags)
        }
        None if succeeded_check && !state.is_null() => {
            let (state, mut more) = checked(kind, planned, state);
            diags.append(&mut more);
            (state, diags)
        }
        None => (state, diags),
    }
}

/// Applies a planned change: create (no prior), delete (no planned) or
/// update. On a refusal the state is what the fabric holds afterwards for
/// this stack; a create never adopts what it meets.
pub async fn apply(kind: Kind, prior: &Value, planned: &Value, b: &dyn Backend, cx: &OpCtx) -> Outcome {
    match (prior.is_null(), planned.is_null()) {
        (true, true) => (Value::Null, vec![]),
        (false, true) => {
            let out = realize::delete(b, cx, kind, &attrs_of(prior)).await;
            settled(kind, planned, out, false)
        }
        (true, false) => {
            let out = realize::create(b, cx, kind, &attrs_of(planned)).await;
            settled(kind, planned, out, true)
        }
        (false, false) => {
            let out = realize::update(b, cx, kind, &attrs_of(prior), &attrs_of(planned)).await;
            settled(kind, planned, out, true)
        }
    }
}

/// Terraform refuses a result that is not wholly known or changes a known
/// planned value; say which attribute, as a provider bug, before it does.
fn checked(kind: Kind, planned: &Value, new: Value) -> Outcome {
    let mut diags = vec![];
    if let (Some(p), Some(n)) = (planned.as_map(), new.as_map()) {
        for (k, pv) in p {
            let nv = n.get(k).unwrap_or(&Value::Null);
            if !nv.is_wholly_known() {
                diags.push(Diagnostic::error(
                    "unknown-after-apply",
                    format!("{}: `{k}` is unknown after apply", kind.terraform_type()),
                ));
            } else if pv.is_wholly_known() && pv != nv {
                diags.push(Diagnostic::error(
                    "inconsistent-apply",
                    format!(
                        "{}: the backend changed planned `{k}` from {pv} to {nv}",
                        kind.terraform_type()
                    ),
                ));
            }
        }
    }
    (new, diags)
}

/// Refreshes an object: null when it is gone (Terraform then plans a
/// create); an error when its owner mark names someone else now.
pub async fn read(kind: Kind, current: &Value, b: &dyn Backend, cx: &OpCtx) -> Outcome {
    if id_of(current).is_none() {
        return (current.clone(), vec![]);
    }
    match realize::refresh(b, cx, kind, &attrs_of(current)).await {
        Ok(Live::Ours(a)) => (object(kind, a), vec![]),
        Ok(Live::Gone) => (Value::Null, vec![]),
        Ok(Live::Foreign(owner)) => (
            current.clone(),
            vec![Diagnostic::error(
                "not-owned",
                format!(
                    "{} {:?} is {owner}, not this configuration's (stack {:?}); hybridk8s leaves it alone: remove it with `terraform state rm`",
                    crate::backend::noun(kind),
                    id_of(current).unwrap_or_default(),
                    cx.stack()
                ),
            )],
        ),
        Err(e) => (current.clone(), vec![failed(&e)]),
    }
}

/// At plan time, for a resource to be created: an error at `name` when
/// its ID is taken (another stack's object, or one hybridk8s does not
/// manage). This stack's own object is allowed: Terraform plans the create
/// half of a replacement without prior state.
pub async fn check_create(kind: Kind, planned: &Attrs, b: &dyn Backend, cx: &OpCtx) -> Vec<Diagnostic> {
    if kind.is_declaration_only() {
        return vec![];
    }
    let Some(id) = planned.get("id").and_then(Value::as_str) else {
        return vec![];
    };
    match realize::check_create(b, cx, kind, id, true).await {
        Some(why) => vec![Diagnostic::error("already-exists", why)
            .at(&address_for(kind, planned), crate::graph::AttrPath::attr("name"))
            .hint(import_hint(kind))],
        None => vec![],
    }
}

/// At plan time, for a hub whose gateway is switched (vpn ↔ expressroute):
/// an error at `gateway` when peerings in the fabric use the old one
/// (`use_remote_gateways`). Azure refuses to delete a gateway in use, and
/// Terraform updates the hub before its peerings.
pub async fn check_gateway_switch(
    kind: Kind,
    prior: &Value,
    planned: &Value,
    b: &dyn Backend,
    cx: &OpCtx,
) -> Vec<Diagnostic> {
    let gateway = |v: &Value| {
        v.as_map()
            .and_then(|m| m.get("gateway"))
            .and_then(Value::as_str)
            .unwrap_or("none")
            .to_string()
    };
    let (old, new) = (gateway(prior), gateway(planned));
    let Some(hub) = id_of(prior) else { return vec![] };
    if kind != Kind::Hub || !kinds::hub::is_gateway_switch(&old, &new) {
        return vec![];
    }
    let Ok(sides) = b.peerings_of(cx, hub).await else {
        return vec![];
    };
    let mut users = Vec::new();
    for s in sides {
        let Ok(back) = b.peerings_of(cx, &s.remote_vnet_id).await else {
            continue;
        };
        users.extend(
            back.into_iter()
                .filter(|p| p.remote_vnet_id.eq_ignore_ascii_case(hub) && p.use_remote_gateways)
                .map(|p| format!("{}/virtualNetworkPeerings/{}", s.remote_vnet_id, p.name)),
        );
    }
    if users.is_empty() {
        return vec![];
    }
    let at = address_for(kind, planned.as_map().unwrap_or(&Attrs::new()));
    vec![kinds::hub::gateway_in_use(&at, &old, &new, &users)]
}

/// Imports an existing object by its ID (the kind's typed ID is checked first).
pub async fn import(kind: Kind, id: &str, b: &dyn Backend, cx: &OpCtx) -> Outcome {
    match realize::import(b, cx, kind, id).await {
        Ok(mut a) => {
            // What the backend does not hold (declarations of hybridk8s, such
            // as a hub's resolvers) starts at the schema's default; the next
            // plan shows the configuration's value as an in-place change.
            for attr in &kinds::schema(kind).attrs {
                if let Some(d) = &attr.default {
                    if a.get(attr.name).is_none_or(Value::is_null) {
                        a.insert(attr.name.to_string(), d.clone());
                    }
                }
            }
            (object(kind, a), vec![])
        }
        Err(e) => {
            let mut d = failed(&e);
            if matches!(e, BackendError::InvalidId(_) | BackendError::ImportNotFound { .. }) {
                d = d.hint(import_hint(kind));
            }
            (Value::Null, vec![d])
        }
    }
}

fn import_hint(kind: Kind) -> &'static str {
    match kind {
        Kind::Hub | Kind::ClusterNetwork => {
            "the ID is the Azure resource ID: /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<name>"
        }
        Kind::Peering => "the ID is the cluster side's: <cluster VNET ID>/virtualNetworkPeerings/<name>",
        Kind::NetworkSecurityGroup => {
            "the ID is the Azure resource ID: /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Network/networkSecurityGroups/<name>"
        }
        Kind::RouteTable => {
            "the ID is the Azure resource ID: /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Network/routeTables/<name>"
        }
        _ => "the ID is the Kubernetes object's: <cluster VNET ID>/namespaces/<ns>/<configmaps|services>/<name>",
    }
}

/// Reads a data source: the on-premises declaration (checked, no backend)
/// or the hub look-up (through the backend).
pub async fn read_data_source(
    type_name: &str,
    config: &Value,
    ctx: &Ctx,
    b: Option<&dyn Backend>,
    cx: &OpCtx,
) -> Outcome {
    let Some(schema) = data_source_schema(type_name) else {
        return (
            Value::Null,
            vec![Diagnostic::error(
                "unknown-type",
                format!("no data source `{type_name}`"),
            )],
        );
    };
    let ty = CtyType::of_schema(schema);
    let mut cfg = attrs_of(config);
    let _ = schema.fold_aliases(&address_for(schema.kind, &cfg), &mut cfg);
    match type_name {
        ONPREM_DATA_SOURCE => {
            let address = address_for(Kind::Onprem, &cfg);
            let (done, diags) = kinds::complete(&address, cfg, ctx);
            let mut diags = diags.0;
            diags.extend(
                kinds::def(Kind::Onprem)
                    .validate(&Resource::new(address, done.clone()))
                    .0,
            );
            diags.retain(Diagnostic::is_error);
            let v = normalize(Value::Map(done), &ty);
            if diags.is_empty() && !v.is_wholly_known() {
                diags.push(Diagnostic::error(
                    "unknown-input",
                    "the on-premises declaration is not wholly known",
                ));
            }
            (v, diags)
        }
        HUB_DATA_SOURCE => {
            let (Some(name), Some(rg)) = (
                cfg.get("name").and_then(Value::as_str),
                cfg.get("resource_group_name").and_then(Value::as_str),
            ) else {
                return (
                    Value::Null,
                    vec![Diagnostic::error(
                        "missing-attribute",
                        "name and resource_group_name are required",
                    )],
                );
            };
            let names =
                crate::graph::rules::names::check_lookup(&Resource::new(address_for(Kind::Hub, &cfg), cfg.clone()));
            if !names.is_empty() {
                return (Value::Null, names.0);
            }
            let Some(b) = b else {
                return (Value::Null, vec![not_configured()]);
            };
            let id = kinds::vnet_id(ctx, rg, name);
            match b.read(cx, Kind::Hub, &id, None).await {
                Ok(Some(mut o)) => {
                    schema.mirror_aliases(&mut o.attrs);
                    (normalize(Value::Map(o.attrs), &ty), vec![])
                }
                Ok(None) => (
                    Value::Null,
                    vec![Diagnostic::error(
                        "not-found",
                        format!("retrieving {id}: hub network `{name}` not found in resource group `{rg}`"),
                    )],
                ),
                Err(e) => (Value::Null, vec![failed(&e)]),
            }
        }
        _ => unreachable!("data_source_schema knows no other data source; the flow check is read by the server"),
    }
}

/// The diagnostic for lifecycle calls that arrive before Configure.
pub fn not_configured() -> Diagnostic {
    Diagnostic::error(
        "not-configured",
        "the hybridk8s provider is not configured yet (Terraform calls Configure first)",
    )
}
