//! One block to one resource: attribute names against the schema, the
//! `cluster = aks` / `hub = hub` sugar, `name` from the label, then
//! `kinds::complete` so that computed attributes can be read by later blocks.

use super::eval::{unknown_name, Eval};
use super::scope::{Named, Scope};
use super::Loader;
use crate::dsl::ast::{Block, Expr, ExprKind, Span};
use crate::dsl::error::Problem;
use crate::graph::schema::Presence;
use crate::graph::{kinds, AttrPath, Attrs, Kind, Resource, Type, Value};
use std::collections::HashMap;

/// `cluster = aks` → `cluster_network_id = aks.id`; `hub = hub` → `hub_id = hub.id`.
pub(crate) fn sugar(kind: Kind, key: &str) -> Option<(&'static str, Kind)> {
    match (kind, key) {
        (
            Kind::Peering
            | Kind::DnsUpstream
            | Kind::ExternalService
            | Kind::LbService
            | Kind::NetworkSecurityGroup
            | Kind::RouteTable,
            "cluster",
        ) => Some(("cluster_network_id", Kind::ClusterNetwork)),
        (Kind::Peering, "hub") => Some(("hub_id", Kind::Hub)),
        _ => None,
    }
}

impl Loader<'_> {
    pub(super) fn lower_block(&mut self, scope: &Scope, b: &Block) {
        let Some(Named::Resource(addr)) = scope.names.get(&b.label.name) else {
            return;
        };
        let addr = addr.clone();
        let schema = kinds::schema(addr.kind);
        let mut ev = Eval::new(scope, &self.graph, &mut self.problems);
        let mut config = Attrs::new();
        let mut seen: HashMap<&str, (Span, &str)> = HashMap::new();
        let mut cluster: Option<crate::graph::Address> = None;
        for a in &b.attrs {
            let key = a.key.name.as_str();
            let sug = sugar(addr.kind, key);
            let target = sug.map_or(key, |(t, _)| t);
            if let Some((prev, prev_key)) = seen.insert(target, (a.key.span, key)) {
                ev.problems.push(
                    Problem::error("dsl::duplicate-attribute", format!("`{target}` is set twice"))
                        .at(a.key.span, "set again here")
                        .related(prev, "first set here")
                        .help(if prev_key != key {
                            "`cluster = NAME` sets `cluster_network_id`, `hub = NAME` sets `hub_id`: write only one"
                        } else {
                            "remove one of them"
                        }),
                );
                continue;
            }
            if let Some((target, want)) = sug {
                // A failed value stays unknown: no "missing attribute" on top.
                let v = sugar_value(&mut ev, &a.value, want, target);
                if want == Kind::ClusterNetwork {
                    cluster = v.as_ref().and_then(|(_, addr)| addr.clone());
                }
                config.insert(target.to_string(), v.map_or(Value::Unknown, |(v, _)| v));
                continue;
            }
            let ty = if let Some(at) = schema.attribute(key).or_else(|| schema.alias(key)) {
                at.ty.clone()
            } else if let Some(bl) = schema.block(key) {
                Type::list(bl.item_type())
            } else {
                let mut names = schema.settable_names();
                if sugar(addr.kind, "cluster").is_some() {
                    names.push("cluster");
                }
                if sugar(addr.kind, "hub").is_some() {
                    names.push("hub");
                }
                let msg = format!("{} has no attribute `{key}`", addr.kind);
                let p = unknown_name("dsl::unknown-attribute", msg, key, a.key.span, &names);
                ev.problems.push(p.help_opt(Some(format!(
                    "{} takes {}",
                    addr.kind,
                    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                ))));
                continue;
            };
            let v = ev
                .eval(&a.value, Some(&ty), &AttrPath::attr(key))
                .unwrap_or(Value::Unknown);
            config.insert(key.to_string(), v);
        }
        let Eval { deps, mut recorded, .. } = ev;
        // The graph knows how many internal load balancers the cluster
        // carries: that count is the default; a written value wins (and the
        // rules check it).
        if addr.kind == Kind::ClusterNetwork && !config.contains_key("internal_lb_ips") {
            if let Some(&n) = scope.internal_lbs.get(&b.label.name) {
                config.insert("internal_lb_ips".into(), Value::Number(n));
            }
        }
        if let Some(c) = cluster.and_then(|c| self.graph.get(&c)) {
            inherit_kubeconfig(&mut config, addr.kind, &c.attrs);
            attach_to_node_subnet(&mut config, addr.kind, &c.attrs);
        }
        let names_label = schema
            .attribute("name")
            .is_some_and(|a| a.presence == Presence::Required && !config.contains_key("name"));
        if names_label {
            config.insert("name".into(), Value::str(&b.label.name));
            recorded.push((AttrPath::attr("name"), b.label.span));
        }
        let spans = self.spans.insert_resource(addr.clone(), b.label.span, b.span);
        spans.paths.extend(recorded);
        let (attrs, diags) = kinds::complete(&addr, config, &self.opts.ctx);
        for d in diags.iter() {
            self.problems.push(self.spans.problem(d));
        }
        let r = Resource {
            address: addr,
            attrs,
            depends_on: deps,
        };
        if let Err(d) = self.graph.add(r) {
            self.problems.push(self.spans.problem(&d));
        }
    }
}

/// Internal load balancers declared on each cluster of one file:
/// `lb_service` blocks with `cluster = LABEL` and `internal = true`, as
/// literals (a computed `internal` is not counted; write
/// `internal_lb_ips` then).
pub(crate) fn internal_lbs(nodes: &[&super::super::ast::Item]) -> HashMap<String, i64> {
    let mut out: HashMap<String, i64> = HashMap::new();
    for item in nodes {
        let super::super::ast::Item::Block(b) = item else {
            continue;
        };
        if b.kind.name != Kind::LbService.keyword() {
            continue;
        }
        let attr = |k: &str| b.attrs.iter().find(|a| a.key.name == k).map(|a| &a.value.kind);
        let cluster = match attr("cluster") {
            Some(ExprKind::Ref(segs)) if segs.len() == 1 => &segs[0].name,
            _ => continue,
        };
        if matches!(attr("internal"), Some(ExprKind::Bool(true))) {
            *out.entry(cluster.clone()).or_default() += 1;
        }
    }
    out
}

/// A Kubernetes object with `cluster = NAME` talks to that cluster's API
/// server: it takes the cluster network's `kubeconfig_path` and
/// `kubeconfig_context` unless it sets its own.
fn inherit_kubeconfig(config: &mut Attrs, kind: Kind, cluster: &Attrs) {
    if !matches!(kind, Kind::DnsUpstream | Kind::ExternalService | Kind::LbService) {
        return;
    }
    for k in ["kubeconfig_path", "kubeconfig_context"] {
        let inherited = cluster.get(k).filter(|v| !v.is_null());
        if let (Some(v), true) = (inherited, config.get(k).is_none_or(Value::is_null)) {
            config.insert(k.to_string(), v.clone());
        }
    }
}

/// An NSG or route table with `cluster = NAME` and no `subnet_name` is
/// attached to that cluster's node subnet.
fn attach_to_node_subnet(config: &mut Attrs, kind: Kind, cluster: &Attrs) {
    if !matches!(kind, Kind::NetworkSecurityGroup | Kind::RouteTable) {
        return;
    }
    let node = cluster.get("node_subnet_name").filter(|v| v.as_str().is_some());
    if let (Some(v), true) = (node, config.get("subnet_name").is_none_or(Value::is_null)) {
        config.insert("subnet_name".into(), v.clone());
    }
}

/// The ID of the block a `cluster = …` / `hub = …` names, with that
/// block's address when it is named directly.
fn sugar_value(
    ev: &mut Eval<'_>,
    e: &Expr,
    want: Kind,
    target: &str,
) -> Option<(Value, Option<crate::graph::Address>)> {
    ev.recorded.push((AttrPath::attr(target), e.span));
    let ExprKind::Ref(segs) = &e.kind else {
        ev.problems.push(
            Problem::error(
                "dsl::type-mismatch",
                format!("expected the name of a {want} block, found a value"),
            )
            .at(e.span, format!("not a {want} name"))
            .help(format!(
                "write `{} = NAME`, or set `{target}` to an ID string",
                want_key(want)
            )),
        );
        return None;
    };
    // `cluster = prod.aks`: a block inside a module instance.
    let inside = match ev.scope.names.get(&segs[0].name) {
        Some(Named::Module(Some(names))) if segs.len() > 1 && !ev.scope.params.contains_key(&segs[0].name) => {
            let names = names.clone();
            let (addr, at) = ev.through_module(e, segs, &names)?;
            (at + 1 == segs.len()).then_some(Named::Resource(addr))
        }
        _ => None,
    };
    if inside.is_none() && (segs.len() > 1 || ev.scope.params.contains_key(&segs[0].name)) {
        let v = ev.reference(e, segs, Some(&Type::String))?;
        return ev.conform(v, Some(&Type::String), e.span).map(|v| (v, None));
    }
    let named = segs.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(".");
    match inside.as_ref().or_else(|| ev.scope.names.get(&segs[0].name)) {
        Some(Named::Resource(addr)) if addr.kind == want => {
            ev.deps.insert(addr.clone());
            let id = ev.graph.get(addr).map_or(Value::Null, |r| r.get("id").clone());
            Some((id, Some(addr.clone())))
        }
        Some(Named::Resource(addr)) => {
            let p = Problem::error(
                "dsl::wrong-kind",
                format!("`{named}` is {}, not a {want}", super::eval::a_kind(addr.kind)),
            )
            .at(e.span, format!("expected a {want}"))
            .help(format!("`{}` takes the name of a {want} block", want_key(want)));
            ev.problems.push(p);
            None
        }
        Some(Named::Broken) => None,
        _ => {
            let mut names: Vec<&str> = ev
                .scope
                .names
                .iter()
                .filter(|(_, n)| matches!(n, Named::Resource(a) if a.kind == want))
                .map(|(k, _)| k.as_str())
                .collect();
            names.sort_unstable();
            let msg = format!("`{}` is not declared", segs[0].name);
            let p = unknown_name("dsl::unknown-reference", msg, &segs[0].name, e.span, &names);
            let help = format!("no {want} block is labelled `{}`", segs[0].name);
            ev.problems.push(if p.help.is_none() { p.help(help) } else { p });
            None
        }
    }
}

fn want_key(k: Kind) -> &'static str {
    if k == Kind::Hub {
        "hub"
    } else {
        "cluster"
    }
}
