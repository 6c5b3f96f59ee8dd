//! `flow "NAME" { from = … to = … port = … protocol = … expect = … }` to a
//! [`crate::graph::flow::Flow`]: `from`/`to` name a block (`aks.pods`,
//! `aks.nodes`, `corp`, `hub`, a Service) or give an address or range
//! (a literal, a string or a param). Flows are lowered after every block of
//! their file, and are never resources.

use super::eval::{unknown_name, Eval};
use super::scope::{Named, Scope};
use super::Loader;
use crate::dsl::ast::{Expr, ExprKind, FlowBlock, Span};
use crate::dsl::error::Problem;
use crate::dsl::flows::DeclaredFlow;
use crate::graph::flow::{Destination, Flow, Ref, Side, Source, Verdict};
use crate::graph::packet::Protocol;
use crate::graph::{net, Address, AttrPath, Kind, Type};
use ipnet::Ipv4Net;
use std::collections::HashMap;

const KEYS: [&str; 5] = ["from", "to", "port", "protocol", "expect"];

/// What one side of a flow names.
enum End {
    Block(Address, Option<(String, Span)>),
    Range(Ipv4Net),
}

impl Loader<'_> {
    pub(super) fn lower_flow(&mut self, scope: &Scope, f: &FlowBlock) {
        let mut ev = Eval::new(scope, &self.graph, &mut self.problems);
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut spans: HashMap<&'static str, Span> = HashMap::new();
        let (mut from, mut to, mut port, mut protocol, mut expect) =
            (None, None, None, Protocol::Tcp, Verdict::Reachable);
        let mut broken = false;
        for a in &f.attrs {
            let key = a.key.name.as_str();
            let Some(&k) = KEYS.iter().find(|k| **k == key) else {
                let msg = format!("flow has no attribute `{key}`");
                let p = unknown_name("dsl::unknown-attribute", msg, key, a.key.span, &KEYS);
                ev.problems
                    .push(p.help_opt(Some("flow takes `from`, `to`, `port`, `protocol`, `expect`".into())));
                broken = true;
                continue;
            };
            if let Some(prev) = seen.insert(k, a.key.span) {
                ev.problems.push(
                    Problem::error("dsl::duplicate-attribute", format!("`{k}` is set twice"))
                        .at(a.key.span, "set again here")
                        .related(prev, "first set here")
                        .help("remove one of them"),
                );
                continue;
            }
            spans.insert(k, a.value.span);
            let ok = match k {
                "from" => end(&mut ev, &a.value, k).map(|e| from = Some(e)),
                "to" => end(&mut ev, &a.value, k).map(|e| to = Some(e)),
                "port" => port_of(&mut ev, &a.value).map(|p| port = Some(p)),
                "protocol" => word(&mut ev, &a.value, k, &Protocol::NAMES, Protocol::parse).map(|p| protocol = p),
                _ => word(&mut ev, &a.value, k, &Verdict::NAMES, Verdict::parse).map(|v| expect = v),
            };
            broken |= ok.is_none();
        }
        for k in ["from", "to"] {
            if !seen.contains_key(k) {
                ev.problems.push(
                    Problem::error("dsl::missing-attribute", format!("flow \"{}\" has no `{k}`", f.name))
                        .at(f.name_span, format!("`{k}` is required"))
                        .help("a flow says where it starts (`from = aks.pods`) and where it goes (`to = 10.1.2.3`)"),
                );
                broken = true;
            }
        }
        let (Some(from), Some(to)) = (from, to) else { return };
        if broken {
            return;
        }
        let Some(from) = source(ev.problems, from, spans["from"]) else {
            return;
        };
        let Some(to) = destination(ev.problems, to, spans["to"]) else {
            return;
        };
        let name = scope
            .module
            .iter()
            .map(|m| format!("module.{m}."))
            .chain([f.name.clone()])
            .collect::<String>();
        self.flows.push(DeclaredFlow {
            flow: Flow {
                name,
                from,
                to,
                protocol,
                port,
                expect,
            },
            name_span: f.name_span,
            spans,
        });
    }
}

/// `aks.pods`, `corp`, `web`, or an address / range.
fn end(ev: &mut Eval<'_>, e: &Expr, key: &'static str) -> Option<End> {
    if let ExprKind::Ref(segs) = &e.kind {
        // `prod.aks.pods`: a block inside a module instance.
        let found = match ev.scope.names.get(&segs[0].name) {
            Some(Named::Resource(addr)) => Some((addr.clone(), 0)),
            Some(Named::Module(Some(names))) if !ev.scope.params.contains_key(&segs[0].name) => {
                let names = names.clone();
                Some(ev.through_module(e, segs, &names)?)
            }
            Some(Named::Module(None)) => return None,
            _ => None,
        };
        if let Some((addr, at)) = found {
            let named = segs[..=at]
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(".");
            if segs.len() > at + 2 {
                ev.problems.push(
                    Problem::error(
                        crate::graph::flow::CODE_INVALID,
                        format!("`{key}` names a block or one side of a cluster"),
                    )
                    .at(e.span, "too many parts")
                    .help(format!("write `{key} = {named}.pods` or `{key} = {named}`")),
                );
                return None;
            }
            ev.deps.insert(addr.clone());
            let side = segs.get(at + 1).map(|s| (s.name.clone(), s.span));
            return Some(End::Block(addr, side));
        }
        if !ev.scope.params.contains_key(&segs[0].name) {
            let mut names: Vec<&str> = ev
                .scope
                .names
                .iter()
                .filter(|(_, n)| matches!(n, Named::Resource(_)))
                .map(|(k, _)| k.as_str())
                .collect();
            names.sort_unstable();
            let msg = format!("`{}` is not declared", segs[0].name);
            let p = unknown_name("dsl::unknown-reference", msg, &segs[0].name, e.span, &names);
            let help = format!("`{key}` names a block (`aks.pods`, `corp`, a Service) or an address");
            ev.problems.push(if p.help.is_none() { p.help(help) } else { p });
            return None;
        }
    }
    let v = ev.eval(e, Some(&Type::String), &AttrPath::attr(key))?;
    let s = v.as_str().unwrap_or_default();
    let parsed = net::parse_cidr(s)
        .ok()
        .or_else(|| net::parse_ip(s).ok().and_then(|ip| Ipv4Net::new(ip, 32).ok()));
    match parsed {
        Some(n) => Some(End::Range(n)),
        None => {
            ev.problems.push(
                Problem::error(
                    crate::graph::flow::CODE_INVALID,
                    format!("`{s}` is neither an address nor a range"),
                )
                .at(e.span, "expected an IP address or a CIDR")
                .help("write an address (10.1.2.3), a range (10.1.0.0/24) or the name of a block"),
            );
            None
        }
    }
}

fn port_of(ev: &mut Eval<'_>, e: &Expr) -> Option<u16> {
    let v = ev.eval(e, Some(&Type::Number), &AttrPath::attr("port"))?;
    match v.as_i64().and_then(|n| u16::try_from(n).ok()).filter(|n| *n > 0) {
        Some(p) => Some(p),
        None => {
            ev.problems.push(
                Problem::error(
                    crate::graph::flow::CODE_INVALID,
                    format!("port {} is out of range", v.as_i64().unwrap_or_default()),
                )
                .at(e.span, "not a port")
                .help("a port is 1 to 65535"),
            );
            None
        }
    }
}

fn word<T>(ev: &mut Eval<'_>, e: &Expr, key: &str, names: &[&str], parse: fn(&str) -> Option<T>) -> Option<T> {
    let v = ev.eval(e, Some(&Type::String), &AttrPath::attr(key))?;
    let s = v.as_str().unwrap_or_default();
    let found = parse(s);
    if found.is_none() {
        let msg = format!("`{s}` is not a valid `{key}`");
        let p = unknown_name(crate::graph::flow::CODE_INVALID, msg, s, e.span, names);
        ev.problems
            .push(p.help_opt(Some(format!("`{key}` is one of {}", names.join(", ")))));
    }
    found
}

fn side_of(
    problems: &mut Vec<Problem>,
    addr: &Address,
    side: Option<(String, Span)>,
    at: Span,
    key: &str,
) -> Option<Side> {
    match side {
        Some((s, span)) => Side::parse(&s).or_else(|| {
            problems.push(
                Problem::error(
                    crate::graph::flow::CODE_INVALID,
                    format!("`{s}` is not a side of a cluster"),
                )
                .at(span, "expected `pods` or `nodes`")
                .help(format!(
                    "write `{key} = {}.pods` or `{key} = {}.nodes`",
                    addr.name, addr.name
                )),
            );
            None
        }),
        None => {
            problems.push(
                Problem::error(
                    crate::graph::flow::CODE_INVALID,
                    format!("`{key}` names {addr}: say which of its addresses"),
                )
                .at(at, "a cluster has pods and nodes")
                .help(format!(
                    "write `{key} = {}.pods` or `{key} = {}.nodes`",
                    addr.name, addr.name
                )),
            );
            None
        }
    }
}

fn no_side(problems: &mut Vec<Problem>, addr: &Address, side: &Option<(String, Span)>) -> Option<()> {
    if let Some((s, span)) = side {
        problems.push(
            Problem::error(crate::graph::flow::CODE_INVALID, format!("{addr} has no side `{s}`"))
                .at(*span, "only clusters have sides")
                .help(format!("write `{}` alone", addr.name)),
        );
        return None;
    }
    Some(())
}

fn source(problems: &mut Vec<Problem>, e: End, at: Span) -> Option<Source> {
    match e {
        End::Range(n) => Some(Source::Address(n)),
        End::Block(addr, side) => match addr.kind {
            Kind::ClusterNetwork => {
                let side = side_of(problems, &addr, side, at, "from")?;
                Some(Source::Cluster {
                    cluster: Ref::Address(addr),
                    side,
                })
            }
            Kind::Onprem => no_side(problems, &addr, &side).map(|_| Source::Onprem {
                onprem: Ref::Address(addr),
                range: None,
            }),
            Kind::Hub => no_side(problems, &addr, &side).map(|_| Source::Hub(Ref::Address(addr))),
            k => {
                problems.push(
                    Problem::error(
                        crate::graph::flow::CODE_INVALID,
                        format!("a flow cannot start at {}", super::eval::a_kind(k)),
                    )
                    .at(at, "not a network")
                    .help("a flow starts at a cluster's pods or nodes, an on-premises network, a hub, or an address"),
                );
                None
            }
        },
    }
}

fn destination(problems: &mut Vec<Problem>, e: End, at: Span) -> Option<Destination> {
    match e {
        End::Range(n) => Some(Destination::Address(n)),
        End::Block(addr, side) => match addr.kind {
            Kind::ClusterNetwork => {
                let side = side_of(problems, &addr, side, at, "to")?;
                Some(Destination::Cluster {
                    cluster: Ref::Address(addr),
                    side,
                })
            }
            Kind::ExternalService | Kind::LbService => {
                no_side(problems, &addr, &side).map(|_| Destination::Service(Ref::Address(addr)))
            }
            k => {
                problems.push(
                    Problem::error(
                        crate::graph::flow::CODE_INVALID,
                        format!("a flow cannot go to {} as a whole", super::eval::a_kind(k)),
                    )
                    .at(at, "name an address or a Service")
                    .help("write the address the flow goes to (10.1.2.3), a cluster side (aks.nodes) or a Service"),
                );
                None
            }
        },
    }
}
