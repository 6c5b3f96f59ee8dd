//! `data hub corp_hub { name = "hub"  resource_group_name = "net-rg" }`: a hub
//! that exists already, looked up by name (`graph::lookup`). Only `name`
//! (the label when absent) and `resource_group_name` are written; the rest is
//! read from the fabric when the program is planned.

use super::eval::{unknown_name, Eval};
use super::scope::{Named, Scope};
use super::Loader;
use crate::dsl::ast::{Block, Ident, Span};
use crate::dsl::error::Problem;
use crate::graph::lookup::{self, Resolution};
use crate::graph::{AttrPath, Attrs, Kind, Resource, Type, Value};
use std::collections::HashMap;

/// The kind a `data KIND …` block looks up, or why it cannot.
pub(super) fn data_kind(kind: &Ident) -> Result<Kind, Box<Problem>> {
    let lookups: Vec<&str> = lookup::KINDS.iter().map(|k| k.keyword()).collect();
    match kind.name.parse::<Kind>() {
        Ok(k) if lookup::KINDS.contains(&k) => Ok(k),
        Ok(k) => Err(Box::new(
            Problem::error(
                "dsl::unknown-lookup",
                format!("a {k} cannot be looked up: only {} can", list(&lookups)),
            )
            .at(kind.span, format!("`data {k}` is not a lookup"))
            .help(format!(
                "declare it as a `{k} NAME {{ … }}` block to have hybridk8s manage it; `data` reads an existing {}",
                list(&lookups)
            )),
        )),
        Err(_) => {
            let msg = format!("unknown lookup `data {}`", kind.name);
            let p = unknown_name("dsl::unknown-lookup", msg, &kind.name, kind.span, &lookups);
            Err(Box::new(p.help_opt(Some(format!(
                "`data` reads an existing object: `data hub NAME {{ name = \"…\"  resource_group_name = \"…\" }}`; lookups are {}",
                list(&lookups)
            )))))
        }
    }
}

fn list(kinds: &[&str]) -> String {
    kinds.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
}

impl Loader<'_> {
    pub(super) fn lower_data(&mut self, scope: &Scope, b: &Block) {
        let Some(Named::Resource(addr)) = scope.names.get(&b.label.name) else {
            return;
        };
        let addr = addr.clone();
        let mut ev = Eval::new(scope, &self.graph, &mut self.problems);
        let mut config = Attrs::new();
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for a in &b.attrs {
            let mut key = a.key.name.as_str();
            if let Some(now) = crate::graph::kinds::schema(addr.kind).alias(key) {
                ev.problems.push(
                    Problem::warning(
                        "dsl::deprecated-attribute",
                        format!("`{key}` is deprecated: it is now `{}`", now.name),
                    )
                    .at(a.key.span, "former name")
                    .help(format!(
                        "rename it to `{}`; `{key}` will be removed in the next release",
                        now.name
                    )),
                );
                key = now.name;
            }
            if !lookup::ATTRIBUTES.contains(&key) {
                ev.problems
                    .push(not_settable(addr.kind, &b.label.name, key, a.key.span));
                continue;
            }
            if let Some(prev) = seen.insert(key, a.key.span) {
                ev.problems.push(
                    Problem::error("dsl::duplicate-attribute", format!("`{key}` is set twice"))
                        .at(a.key.span, "set again here")
                        .related(prev, "first set here")
                        .help("remove one of them"),
                );
                continue;
            }
            let v = ev
                .eval(&a.value, Some(&Type::String), &AttrPath::attr(key))
                .unwrap_or(Value::Unknown);
            config.insert(key.to_string(), v);
        }
        let Eval { deps, mut recorded, .. } = ev;
        if !config.contains_key("name") {
            config.insert("name".into(), Value::str(&b.label.name));
            recorded.push((AttrPath::attr("name"), b.label.span));
        }
        if !config.contains_key("resource_group_name") {
            self.problems.push(
                Problem::error(
                    "dsl::missing-attribute",
                    format!("data {} `{}` needs `resource_group_name`", addr.kind, b.label.name),
                )
                .at(b.label.span, "no resource_group_name")
                .help("write the resource group the existing hub is in, e.g. `resource_group_name = \"net-rg\"`"),
            );
            config.insert("resource_group_name".into(), Value::Unknown);
        }
        let spans = self.spans.insert_resource(addr.clone(), b.label.span, b.span);
        spans.paths.extend(recorded);
        let name = config.remove("name").unwrap_or(Value::Unknown);
        let rg = config.remove("resource_group_name").unwrap_or(Value::Unknown);
        let unread = lookup::unread(addr.kind, name, rg, &self.opts.ctx);
        let (attrs, resolution) = match self.lookups.get(&addr) {
            Some(observed) => (lookup::resolved(addr.kind, &unread, observed), Resolution::Read),
            None => (unread, Resolution::Unread),
        };
        let r = Resource {
            address: addr,
            attrs,
            depends_on: deps,
        };
        if let Err(d) = self.graph.add_lookup(r, resolution) {
            self.problems.push(self.spans.problem(&d));
        }
    }
}

/// An attribute other than `name` and `resource_group_name` in a lookup.
fn not_settable(kind: Kind, label: &str, key: &str, span: Span) -> Problem {
    let known = crate::graph::kinds::schema(kind).attribute(key).is_some()
        || crate::graph::kinds::schema(kind).block(key).is_some();
    let allowed = list(&lookup::ATTRIBUTES);
    if known {
        Problem::error(
            "dsl::lookup-attribute",
            format!("`{key}` cannot be set on a looked-up {kind}: its attributes come from Azure"),
        )
        .at(span, "read from the existing object")
        .help(format!(
            "a lookup takes only {allowed}; read the value as `{label}.{key}`, or declare a `{kind}` block to manage it"
        ))
    } else {
        let msg = format!("data {kind} has no attribute `{key}`");
        let p = unknown_name("dsl::unknown-attribute", msg, key, span, &lookup::ATTRIBUTES);
        let help = format!("a lookup takes only {allowed}; everything else comes from Azure");
        if p.help.is_none() {
            p.help(help)
        } else {
            p
        }
    }
}
