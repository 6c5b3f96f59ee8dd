//! Objects a program looks up instead of declaring (`data hub corp_hub`, the
//! DSL's side of the `hybridk8s_hub_network` data source): resources of the
//! graph whose attributes come from the fabric. Until they are read, every
//! attribute but `name`, `resource_group_name` and `id` is unknown, and the rules
//! treat them as they treat unknowns in a Terraform plan. The engine reads
//! them at plan and never creates, changes, deletes or records them.

use super::diag::Diagnostic;
use super::kinds;
use super::schema::Attrs;
use super::value::{AttrPath, Value};
use super::{Address, Ctx, Graph, Kind, Resource};

/// The kinds a program can look up.
pub const KINDS: [Kind; 1] = [Kind::Hub];

/// The attributes a lookup is configured with; everything else comes from the fabric.
pub const ATTRIBUTES: [&str; 2] = ["name", "resource_group_name"];

/// Whether a lookup's attributes are still to be read or already came from the fabric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    Unread,
    Read,
}

impl Graph {
    /// Adds a looked-up resource (a duplicate address is an error, as for [`Graph::add`]).
    pub fn add_lookup(&mut self, r: Resource, resolution: Resolution) -> Result<(), Box<Diagnostic>> {
        let address = r.address.clone();
        self.add(r)?;
        self.lookups.insert(address, resolution);
        Ok(())
    }

    /// True when the resource at `a` is looked up, not declared.
    pub fn is_lookup(&self, a: &Address) -> bool {
        self.lookups.contains_key(a)
    }

    /// The looked-up resources, sorted by address.
    pub fn lookups(&self) -> impl Iterator<Item = &Resource> {
        self.lookups.keys().filter_map(|a| self.get(a))
    }

    /// The looked-up resources not read from the fabric yet, sorted by address.
    pub fn unread_lookups(&self) -> impl Iterator<Item = &Resource> {
        self.lookups
            .iter()
            .filter(|(_, r)| **r == Resolution::Unread)
            .filter_map(|(a, _)| self.get(a))
    }

    /// Fills a lookup with what the fabric observes (see [`resolved`]). The
    /// resources that read it keep the values they were built with: a front
    /// end that evaluates references (the DSL) loads again with the observed
    /// attributes instead.
    pub fn resolve_lookup(&mut self, a: &Address, observed: &Attrs) {
        let Some(r) = self.get_mut(a) else { return };
        r.attrs = resolved(a.kind, &r.attrs, observed);
        self.lookups.insert(a.clone(), Resolution::Read);
    }
}

/// The attributes of a lookup before it is read: `name` and
/// `resource_group_name` as configured, the `id` they make, the rest unknown.
pub fn unread(kind: Kind, name: Value, resource_group: Value, ctx: &Ctx) -> Attrs {
    let mut attrs: Attrs = kinds::schema(kind)
        .attrs
        .iter()
        .map(|a| (a.name.to_string(), Value::Unknown))
        .chain(
            kinds::schema(kind)
                .blocks
                .iter()
                .map(|b| (b.name.to_string(), Value::Unknown)),
        )
        .collect();
    let id = match (name.as_str(), resource_group.as_str()) {
        (Some(n), Some(rg)) => Value::str(kinds::vnet_id(ctx, rg, n)),
        _ => Value::Unknown,
    };
    attrs.insert("name".into(), name);
    attrs.insert("resource_group_name".into(), resource_group);
    attrs.insert("id".into(), id);
    attrs
}

/// The attributes of a lookup after it is read: what the fabric observes
/// over the kind's schema (an attribute it does not report is null), with
/// the lookup's own `name`, `resource_group_name` and `id` (references were
/// built from them).
pub fn resolved(kind: Kind, lookup: &Attrs, observed: &Attrs) -> Attrs {
    let schema = kinds::schema(kind);
    let mut attrs: Attrs = schema
        .attrs
        .iter()
        .map(|a| a.name)
        .chain(schema.blocks.iter().map(|b| b.name))
        .map(|n| (n.to_string(), observed.get(n).cloned().unwrap_or(Value::Null)))
        .collect();
    for k in ATTRIBUTES.iter().copied().chain(["id"]) {
        if let Some(v) = lookup.get(k) {
            attrs.insert(k.to_string(), v.clone());
        }
    }
    attrs
}

/// A lookup that found nothing: nothing can be peered to it.
pub fn not_found(address: &Address, name: &str, resource_group: &str) -> Diagnostic {
    Diagnostic::error(
        "hub-not-found",
        format!("hub network \"{name}\" not found in resource group \"{resource_group}\""),
    )
    .at(address, AttrPath::attr("name"))
    .hint(format!(
        "check the name and resource group (Azure: `az network vnet show -g {resource_group} -n {name}`), or declare the hub with a `hub {}` block to have hybridk8s create it",
        address.name
    ))
}
