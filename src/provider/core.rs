//! The protocol-free core of the RPCs that need no backend: validation,
//! planning and state upgrade, over graph values. No tonic or prost here.

use super::cty::{self, CtyType};
use crate::graph::diag::Diagnostic;
use crate::graph::kinds;
use crate::graph::schema::{Attrs, Presence, Schema};
use crate::graph::value::{AttrPath, PathStep, Value};
use crate::graph::{Address, Ctx, Kind, Resource};

/// The address diagnostics of one Terraform resource are reported at.
/// Terraform does not say which block is planned; the `name` attribute, when
/// known, makes messages readable.
pub fn address_for(kind: Kind, attrs: &Attrs) -> Address {
    let name = attrs.get("name").and_then(Value::as_str).unwrap_or("this");
    Address::new(kind, name)
}

/// A decoded object as attributes (null and unknown objects have none).
pub fn attrs_of(v: &Value) -> Attrs {
    v.as_map().cloned().unwrap_or_default()
}

/// Schema shape plus per-kind rules over a completed resource. Unknown inputs
/// stay unknown through `complete`, and the rules skip what they cannot read.
pub fn validate(kind: Kind, config: &Value, ctx: &Ctx) -> Vec<Diagnostic> {
    let attrs = attrs_of(config);
    let address = address_for(kind, &attrs);
    let (done, diags) = kinds::complete(&address, attrs, ctx);
    let mut out = diags.0;
    if !out.iter().any(Diagnostic::is_error) {
        out.extend(kinds::def(kind).validate(&Resource::new(address, done)).0);
    }
    out
}

/// Checks the user-given part of a schema that is not a resource kind (the
/// hub look-up): names, presence and shapes only.
pub fn validate_shape(kind: Kind, schema: &Schema, config: &Value) -> Vec<Diagnostic> {
    let mut attrs = attrs_of(config);
    let address = address_for(kind, &attrs);
    let mut diags = schema.fold_aliases(&address, &mut attrs);
    diags.extend(schema.validate_config(&address, &attrs));
    diags.0
}

/// The answer to PlanResourceChange.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The planned object; null when the resource is to be destroyed.
    pub planned: Value,
    /// Attributes whose change forces a new object, sorted.
    pub requires_replace: Vec<AttrPath>,
    /// Errors only: warnings were already given by validation.
    pub diagnostics: Vec<Diagnostic>,
}

/// Plans one resource. The planned object is: each attribute's config
/// value where set; for computed attributes left unset, the value derived
/// from the config (`kinds::complete`), or — when that is unknown although
/// every input is known, i.e. only the fabric can tell (`peering_state`) —
/// the prior value. So an unchanged resource plans exactly its prior state,
/// and values turn unknown only when an input is unknown.
pub fn plan(kind: Kind, prior: &Value, config: &Value, ctx: &Ctx) -> Plan {
    if config.is_null() {
        return Plan {
            planned: Value::Null,
            requires_replace: vec![],
            diagnostics: vec![],
        };
    }
    let schema = kinds::schema(kind);
    let mut cfg = attrs_of(config);
    let address = address_for(kind, &cfg);
    let (fresh, diags) = kinds::complete(&address, cfg.clone(), ctx);
    // What the user wrote under a former name counts as written (`complete`
    // reported it).
    let _ = schema.fold_aliases(&address, &mut cfg);
    let mut diagnostics: Vec<Diagnostic> = diags.0;
    if !diagnostics.iter().any(Diagnostic::is_error) {
        diagnostics.extend(
            kinds::def(kind)
                .validate(&Resource::new(address.clone(), fresh.clone()))
                .0,
        );
    }
    diagnostics.retain(Diagnostic::is_error);

    let prior_attrs = prior.as_map();
    let inputs_known = schema
        .attrs
        .iter()
        .filter(|a| a.user_settable())
        .map(|a| a.name)
        .chain(schema.blocks.iter().map(|b| b.name))
        .all(|n| cfg.get(n).is_none_or(Value::is_wholly_known));
    let mut planned = Attrs::new();
    for a in &schema.attrs {
        let set = cfg.get(a.name).cloned().unwrap_or_default();
        let v = if !set.is_null() {
            set
        } else if !a.is_computed() {
            Value::Null
        } else {
            let derived = fresh.get(a.name).cloned().unwrap_or_default();
            let before = prior_attrs.and_then(|p| p.get(a.name)).filter(|v| !v.is_null());
            match before {
                Some(p) if inputs_known && !derived.is_wholly_known() => p.clone(),
                _ => derived,
            }
        };
        planned.insert(a.name.to_string(), v);
    }
    for b in &schema.blocks {
        let v = fresh.get(b.name).cloned().unwrap_or(Value::List(vec![]));
        planned.insert(b.name.to_string(), v);
    }

    let mut requires_replace = Vec::new();
    if let Some(p) = prior_attrs {
        // One diff for both front doors (`realize`): null and `[]` are the same.
        for c in crate::realize::changes(kind, p, &planned) {
            if c.requires_replace {
                requires_replace.push(AttrPath(vec![PathStep::Attr(c.attribute)]));
            }
        }
        // A peering with a side gone cannot be repaired in place: Azure
        // needs both sides re-created. The new one's state is known after apply.
        if crate::realize::diff::peering_not_connected(kind, p).is_some() {
            planned.insert("peering_state".into(), Value::Unknown);
            planned.insert("peering_sync_level".into(), Value::Unknown);
            requires_replace.push(AttrPath::attr("peering_state"));
        }
    }
    requires_replace.sort();
    if let Some(p) = prior_attrs.filter(|_| requires_replace.is_empty()) {
        diagnostics.extend(kinds::settle(&address, p, &cfg, &mut planned).0);
    }
    if !requires_replace.is_empty() {
        unknown_computed(kind, &mut planned);
    }
    Plan {
        planned: Value::Map(planned),
        requires_replace,
        diagnostics,
    }
}

/// The private data of a planned replacement. Terraform plans a replacement
/// twice — with the prior state, then as a create with a null prior and this
/// private data — and both plans must leave the new object's computed
/// attributes unknown.
pub const REPLACING: &[u8] = b"hybridk8s:replacing";

/// A new object: what only it can tell is unknown (as azurerm does), so that
/// dependents that reference its `id` are replaced with it, after it.
pub fn unknown_computed(kind: Kind, planned: &mut Attrs) {
    for a in kinds::schema(kind)
        .attrs
        .iter()
        .filter(|a| a.presence == Presence::Computed)
    {
        planned.insert(a.name.to_string(), Value::Unknown);
    }
}

/// What to answer as the planned private data; marks `plan` as a
/// replacement when it is one (see [`REPLACING`]).
pub fn mark_replacement(kind: Kind, prior: &Value, prior_private: Vec<u8>, plan: &mut Plan) -> Vec<u8> {
    let second = prior.is_null() && prior_private == REPLACING;
    if !second && plan.requires_replace.is_empty() {
        return prior_private;
    }
    if let Value::Map(m) = &mut plan.planned {
        unknown_computed(kind, m);
    }
    REPLACING.to_vec()
}

/// `duplicate-id`: another resource of this plan resolves to the same Azure
/// ID or Kubernetes object (the second create would meet the first's
/// object). The ID is the prior one when known, else the planned one.
pub fn duplicate_id(
    kind: Kind,
    prior: &Value,
    planned: &Value,
    store: &super::plan_store::PlanStore,
) -> Vec<Diagnostic> {
    let id_of = |v: &Value| {
        v.as_map()
            .and_then(|m| m.get("id"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    // A resource leaving the configuration claims nothing (a renamed block
    // is destroyed while its successor is created).
    let Some(id) = id_of(prior).or_else(|| id_of(planned)).filter(|_| !planned.is_null()) else {
        return vec![];
    };
    if kind.is_declaration_only() || store.first_with_id(&id, prior.is_null()) {
        return vec![];
    }
    let at = address_for(kind, planned.as_map().unwrap_or(&Attrs::new()));
    vec![Diagnostic::error(
        "duplicate-id",
        format!("two resources of this configuration are the same object {id}: the second create would meet the first's object"),
    )
    .at(&at, AttrPath::attr("name"))
    .hint("give each resource its own name (or resource group, namespace)")]
}

/// What ApplyResourceChange may act on: the planned state only where it is
/// exactly what this provider plans for the prior state and configuration
/// it is sent with (and the private data of the plan: a replacement's
/// create half). Terraform applies the plan it got from the provider, so an
/// honest plan always passes; a forged or corrupted one — an ID the names
/// do not give, `max_nodes = -1`, a `manifest` of another object, a change
/// that needs a replacement applied in place — is refused before any
/// backend call, with the attribute it differs at.
pub fn recheck(
    kind: Kind,
    prior: &Value,
    config: &Value,
    planned: &Value,
    planned_private: &[u8],
    ctx: &Ctx,
) -> Result<Value, Vec<Diagnostic>> {
    let refused = |at: &Attrs, path: AttrPath, why: String| {
        Diagnostic::error("planned-state-mismatch", why)
            .at(&address_for(kind, at), path)
            .hint("plan again (`terraform plan`): the planned change is not one this provider makes")
    };
    if planned.is_null() {
        return match config.is_null() {
            true => Ok(Value::Null),
            false => Err(vec![refused(
                &attrs_of(config),
                AttrPath::attr("id"),
                "the planned change destroys an object the configuration still declares".into(),
            )]),
        };
    }
    if config.is_null() {
        return Err(vec![refused(
            &attrs_of(planned),
            AttrPath::attr("id"),
            "the planned change makes an object no configuration declares".into(),
        )]);
    }
    let mut again = plan(kind, prior, config, ctx);
    mark_replacement(kind, prior, planned_private.to_vec(), &mut again);
    if again.diagnostics.iter().any(Diagnostic::is_error) {
        return Err(again.diagnostics);
    }
    let cfg = attrs_of(config);
    if !prior.is_null() && !again.requires_replace.is_empty() {
        let path = again.requires_replace[0].clone();
        return Err(vec![refused(
            &cfg,
            path.clone(),
            format!("`{path}` cannot change in place: this change is a replacement, planned as an update"),
        )]);
    }
    let again_planned = cty::normalize(again.planned, super::schema::resource_type(kind));
    let (want, got) = (attrs_of(&again_planned), attrs_of(planned));
    let names: std::collections::BTreeSet<&String> = want.keys().chain(got.keys()).collect();
    for name in names {
        let (w, g) = (
            want.get(name).unwrap_or(&Value::Null),
            got.get(name).unwrap_or(&Value::Null),
        );
        if w != g {
            return Err(vec![refused(
                &cfg,
                AttrPath::attr(name),
                format!(
                    "the planned `{name}` is {}, the configuration plans {}",
                    shown(g),
                    shown(w)
                ),
            )]);
        }
    }
    if let (Some(p), Some(n)) = (prior.as_map(), again_planned.as_map()) {
        let id = |m: &Attrs| m.get("id").and_then(Value::as_str).map(str::to_string);
        if let (Some(before), Some(after)) = (id(p), id(n)) {
            if before != after {
                return Err(vec![refused(
                    &cfg,
                    AttrPath::attr("id"),
                    format!("the update of {before} is planned for another object, {after}"),
                )]);
            }
        }
    }
    Ok(again_planned)
}

/// A value in a message: long ones (a manifest) are cut.
fn shown(v: &Value) -> String {
    match crate::graph::diag::cut(&v.to_string(), 80) {
        (kept, 0) => kept.to_string(),
        (kept, _) => format!("{kept}…"),
    }
}

/// Reads stored state (JSON) under the current schema: attributes the schema
/// no longer has are dropped, new ones are null. Works before Configure.
pub fn upgrade(kind: Kind, version: i64, json: &[u8]) -> Result<Value, Box<Diagnostic>> {
    let schema = kinds::schema(kind);
    if version > schema.version {
        return Err(Box::new(Diagnostic::error(
            "state-too-new",
            format!(
                "the state of this {} was written by a newer hybridk8s (schema version {version}, this one knows {})",
                kind.terraform_type(),
                schema.version
            ),
        )));
    }
    let mut v = cty::decode_json(json, &CtyType::of_schema(schema)).map_err(|e| {
        Box::new(Diagnostic::error(
            "invalid-state",
            format!("reading the stored state: {e}"),
        ))
    })?;
    // Collections newer than the state (`tags`, the `timeouts` block) take
    // the empty value a plan gives them when unset, so an upgraded state
    // plans no change; scalars stay as stored.
    if let Value::Map(m) = &mut v {
        let _ = schema.fold_aliases(&address_for(kind, m), m);
        let empty =
            |d: &Value| d.as_list().is_some_and(<[Value]>::is_empty) || d.as_map().is_some_and(|m| m.is_empty());
        for a in &schema.attrs {
            if let (Some(d), true) = (
                a.default.as_ref().filter(|d| empty(d)),
                m.get(a.name).is_none_or(Value::is_null),
            ) {
                m.insert(a.name.to_string(), d.clone());
            }
        }
        for b in &schema.blocks {
            if m.get(b.name).is_none_or(Value::is_null) {
                m.insert(b.name.to_string(), Value::List(vec![]));
            }
        }
    }
    Ok(v)
}

#[cfg(test)]
mod tests;
