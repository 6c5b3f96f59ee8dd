//! The protocol-free core of the RPCs that need a backend: apply, read,
//! import and the data sources, over graph values and a [`Realizer`].

use super::core::{address_for, attrs_of};
use super::cty::{normalize, CtyType};
use super::realizer::{RealizeError, Realizer};
use super::schema::{data_source_schema, HUB_DATA_SOURCE, ONPREM_DATA_SOURCE};
use crate::graph::diag::Diagnostic;
use crate::graph::kinds;
use crate::graph::value::Value;
use crate::graph::{Ctx, Kind, Resource};

/// A new state (null = no object) and what went wrong on the way.
pub type Outcome = (Value, Vec<Diagnostic>);

fn failed(what: &str, e: RealizeError) -> Diagnostic {
    Diagnostic::error("backend", format!("{what}: {}", e.message))
}

fn object(kind: Kind, attrs: crate::graph::Attrs) -> Value {
    normalize(Value::Map(attrs), super::schema::resource_type(kind))
}

/// Applies a planned change: create (no prior), delete (no planned) or
/// update. On failure the state stays what it was, or becomes the partial
/// object the backend reports.
pub async fn apply(kind: Kind, prior: &Value, planned: &Value, r: &dyn Realizer) -> Outcome {
    let ty = kind.terraform_type();
    match (prior.is_null(), planned.is_null()) {
        (true, true) => (Value::Null, vec![]),
        (false, true) => match r.delete(kind, attrs_of(prior)).await {
            Ok(()) => (Value::Null, vec![]),
            Err(e) => (prior.clone(), vec![failed(&format!("deleting {ty}"), e)]),
        },
        (true, false) => match r.create(kind, attrs_of(planned)).await {
            Ok(a) => checked(kind, planned, object(kind, a)),
            Err(e) => {
                let state = e.partial.clone().map_or(Value::Null, |a| object(kind, a));
                (state, vec![failed(&format!("creating {ty}"), e)])
            }
        },
        (false, false) => match r.update(kind, attrs_of(prior), attrs_of(planned)).await {
            Ok(a) => checked(kind, planned, object(kind, a)),
            Err(e) => {
                let state = e.partial.clone().map_or_else(|| prior.clone(), |a| object(kind, a));
                (state, vec![failed(&format!("updating {ty}"), e)])
            }
        },
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

/// Refreshes an object: null when it is gone.
pub async fn read(kind: Kind, current: &Value, r: &dyn Realizer) -> Outcome {
    let Some(id) = current.as_map().and_then(|m| m.get("id")).and_then(Value::as_str) else {
        return (current.clone(), vec![]);
    };
    match r.read(kind, id).await {
        Ok(Some(a)) => (object(kind, a), vec![]),
        Ok(None) => (Value::Null, vec![]),
        Err(e) => (current.clone(), vec![failed(&format!("retrieving {id}"), e)]),
    }
}

/// Imports an existing object by ID.
pub async fn import(kind: Kind, id: &str, r: &dyn Realizer) -> Outcome {
    match r.read(kind, id).await {
        Ok(Some(a)) => (object(kind, a), vec![]),
        Ok(None) => (
            Value::Null,
            vec![Diagnostic::error(
                "not-found",
                format!("importing {id}: no {} with this ID exists", kind.terraform_type()),
            )
            .hint("the ID is the Azure resource ID, e.g. /subscriptions/…/virtualNetworks/<name>")],
        ),
        Err(e) => (Value::Null, vec![failed(&format!("importing {id}"), e)]),
    }
}

/// Reads a data source: the on-premises declaration (checked, no backend)
/// or the hub look-up (through the backend).
pub async fn read_data_source(type_name: &str, config: &Value, ctx: &Ctx, r: Option<&dyn Realizer>) -> Outcome {
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
    let cfg = attrs_of(config);
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
                cfg.get("resource_group").and_then(Value::as_str),
            ) else {
                return (
                    Value::Null,
                    vec![Diagnostic::error(
                        "missing-attribute",
                        "name and resource_group are required",
                    )],
                );
            };
            let Some(r) = r else {
                return (Value::Null, vec![not_configured()]);
            };
            let id = kinds::vnet_id(ctx, rg, name);
            match r.read(Kind::Hub, &id).await {
                Ok(Some(a)) => (normalize(Value::Map(a), &ty), vec![]),
                Ok(None) => (
                    Value::Null,
                    vec![Diagnostic::error(
                        "not-found",
                        format!("retrieving {id}: hub network `{name}` not found in resource group `{rg}`"),
                    )],
                ),
                Err(e) => (Value::Null, vec![failed(&format!("retrieving {id}"), e)]),
            }
        }
        _ => unreachable!("data_source_schema knows only the two data sources"),
    }
}

/// The diagnostic for lifecycle calls that arrive before Configure.
pub fn not_configured() -> Diagnostic {
    Diagnostic::error(
        "not-configured",
        "the hybridk8s provider is not configured yet (Terraform calls Configure first)",
    )
}
