//! `address_plan NAME { supernets = [...]  reserved = [...]  environments = { … } }`:
//! evaluated while lowering, in dependency order like a block, by the one
//! allocator (`graph::address_plan`). It makes no resource: `NAME.ENV` and
//! `NAME.ENV.SLOT` read the allocated CIDRs as literals, anywhere a CIDR
//! goes (an `address_space`, a module argument).

use super::eval::{unknown_name, Eval};
use super::scope::Scope;
use super::Loader;
use crate::dsl::ast::{Attr, Block, Expr, ExprKind, Ident, Span};
use crate::dsl::error::Problem;
use crate::graph::address_plan::{self, EnvInput, Part, Plan, PlanInput};
use crate::graph::{net, AttrPath, Type, Value};
use ipnet::Ipv4Net;
use std::collections::HashMap;

/// The block keyword.
pub(crate) const KEYWORD: &str = "address_plan";

const ATTRS: [&str; 3] = ["supernets", "reserved", "environments"];
const ENV_ATTRS: [&str; 4] = ["size", "slots", "headroom", "cidr"];

/// Where each part of the plan was written, to point at it.
#[derive(Default)]
struct Spans {
    block: Span,
    supernets: Vec<Span>,
    reserved: Vec<Span>,
    /// Per environment: its key, and each attribute's value.
    envs: Vec<(Span, HashMap<&'static str, Span>, Vec<Span>)>,
}

impl Loader<'_> {
    /// Allocates one `address_plan` block; `None` when it is wrong (reported).
    pub(super) fn lower_plan(&mut self, scope: &Scope, b: &Block) -> Option<Plan> {
        let errors = self.problems.iter().filter(|p| p.is_error()).count();
        let mut ev = Eval::new(scope, &self.graph, &mut self.problems);
        let mut input = PlanInput::default();
        let mut spans = Spans {
            block: b.label.span,
            ..Spans::default()
        };
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for a in &b.attrs {
            let key = a.key.name.as_str();
            if let Some(prev) = seen.insert(key, a.key.span) {
                ev.problems.push(
                    Problem::error("dsl::duplicate-attribute", format!("`{key}` is set twice"))
                        .at(a.key.span, "set again here")
                        .related(prev, "first set here")
                        .help("remove one of them"),
                );
                continue;
            }
            match key {
                "supernets" => (input.supernets, spans.supernets) = cidrs(&mut ev, a),
                "reserved" => (input.reserved, spans.reserved) = cidrs(&mut ev, a),
                "environments" => environments(&mut ev, a, &mut input.environments, &mut spans.envs),
                _ => {
                    let msg = format!("{KEYWORD} has no attribute `{key}`");
                    let p = unknown_name("dsl::unknown-attribute", msg, key, a.key.span, &ATTRS);
                    ev.problems.push(p.help_opt(Some(format!(
                        "{KEYWORD} takes `supernets`, `reserved` and `environments`"
                    ))));
                }
            }
        }
        if self.problems.iter().filter(|p| p.is_error()).count() > errors {
            return None;
        }
        match address_plan::allocate(&input) {
            Ok(plan) => Some(plan),
            Err(e) => {
                let (span, label) = spans.of(e.part);
                self.problems
                    .push(Problem::error(e.code, e.message).at(span, label).help(e.hint));
                None
            }
        }
    }
}

impl Spans {
    fn of(&self, part: Part) -> (Span, &'static str) {
        let env = |i: usize| self.envs.get(i);
        let attr = |i: usize, k: &str| env(i).and_then(|(_, m, _)| m.get(k).copied());
        let key = |i: usize| env(i).map_or(self.block, |(s, _, _)| *s);
        match part {
            Part::Supernet(i) => (self.supernets.get(i).copied().unwrap_or(self.block), "this supernet"),
            Part::Reserved(i) => (
                self.reserved.get(i).copied().unwrap_or(self.block),
                "this reserved range",
            ),
            Part::Environment(i) => (key(i), "does not fit"),
            Part::Name(i) => (key(i), "this environment"),
            Part::Size(i) => (attr(i, "size").unwrap_or(key(i)), "this size"),
            Part::Slot(i, j) => (
                env(i).and_then(|(_, _, s)| s.get(j).copied()).unwrap_or(key(i)),
                "this slot",
            ),
            Part::Headroom(i) => (
                attr(i, "headroom").or(attr(i, "size")).unwrap_or(key(i)),
                "this headroom",
            ),
            Part::Cidr(i) => (attr(i, "cidr").unwrap_or(key(i)), "this pinned range"),
        }
    }
}

/// A list of CIDRs (an `onprem` or `hub` stands for its ranges), with the
/// span each came from.
fn cidrs(ev: &mut Eval<'_>, a: &Attr) -> (Vec<Ipv4Net>, Vec<Span>) {
    let path = AttrPath::attr(&a.key.name);
    let from = ev.recorded.len();
    let Some(Value::List(items)) = ev.eval(&a.value, Some(&Type::list(Type::Cidr)), &path) else {
        return (Vec::new(), Vec::new());
    };
    let recorded = ev.recorded.split_off(from);
    items
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            let at = path.clone().index(i);
            let span = recorded
                .iter()
                .rev()
                .find(|(p, _)| *p == at)
                .map_or(a.value.span, |(_, s)| *s);
            let net = v.as_str().and_then(|s| net::parse_cidr(s).ok())?;
            Some((net, span))
        })
        .unzip()
}

type EnvSpans = (Span, HashMap<&'static str, Span>, Vec<Span>);

/// `environments = { dev = { size = 16 }, … }`, in the order written.
fn environments(ev: &mut Eval<'_>, a: &Attr, out: &mut Vec<EnvInput>, spans: &mut Vec<EnvSpans>) {
    let ExprKind::Object(entries) = &a.value.kind else {
        ev.problems.push(
            Problem::error("dsl::type-mismatch", "expected an object of environments")
                .at(a.value.span, "not an object literal")
                .help("write the environments in place, in the order they are allocated: `environments = { dev = { size = 16 }, prod = { size = 16, slots = [\"blue\", \"green\"] } }`"),
        );
        return;
    };
    for e in entries {
        let ExprKind::Object(fields) = &e.value.kind else {
            ev.problems.push(
                Problem::error(
                    "dsl::type-mismatch",
                    format!("expected the settings of environment `{}`", e.key.name),
                )
                .at(e.value.span, "not an object literal")
                .help("an environment is `{ size = 16 }`, with optional `slots`, `headroom` and `cidr`"),
            );
            continue;
        };
        let mut env = EnvInput {
            name: e.key.name.clone(),
            ..EnvInput::default()
        };
        let mut at: HashMap<&'static str, Span> = HashMap::new();
        let mut slot_spans = Vec::new();
        for f in fields {
            let Some(&k) = ENV_ATTRS.iter().find(|k| **k == f.key.name) else {
                let msg = format!("an environment has no attribute `{}`", f.key.name);
                let p = unknown_name("dsl::unknown-attribute", msg, &f.key.name, f.key.span, &ENV_ATTRS);
                ev.problems.push(p.help_opt(Some(
                    "an environment takes `size`, `slots`, `headroom` and `cidr`".into(),
                )));
                continue;
            };
            if let Some(prev) = at.insert(k, f.value.span) {
                ev.problems.push(
                    Problem::error("dsl::duplicate-key", format!("`{k}` is set twice"))
                        .at(f.key.span, "set again here")
                        .related(prev, "first set here"),
                );
                continue;
            }
            let path = AttrPath::attr(&a.key.name).key(&e.key.name).then(k);
            match k {
                "size" | "headroom" => {
                    if let Some(n) = ev.eval(&f.value, Some(&Type::Number), &path).and_then(|v| v.as_i64()) {
                        let Ok(n) = u8::try_from(n) else {
                            ev.problems.push(
                                Problem::error(address_plan::CODE_INVALID, format!("{k} {n} is out of range"))
                                    .at(f.value.span, format!("this {k}"))
                                    .help(if k == "size" {
                                        "a size is a prefix length from 1 to 32, e.g. 16 for a /16"
                                    } else {
                                        "headroom is how many bits a range may grow by in place, e.g. 1"
                                    }),
                            );
                            continue;
                        };
                        match k {
                            "size" => env.size = Some(n),
                            _ => env.headroom = n,
                        }
                    }
                }
                "slots" => {
                    if let Some(Value::List(vs)) = ev.eval(&f.value, Some(&Type::list(Type::String)), &path) {
                        env.slots = vs.iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
                        slot_spans = match &f.value.kind {
                            ExprKind::List(items) => items.iter().map(|i| i.span).collect(),
                            _ => vec![f.value.span; env.slots.len()],
                        };
                    }
                }
                _ => {
                    if let Some(v) = ev.eval(&f.value, Some(&Type::Cidr), &path) {
                        env.cidr = v.as_str().and_then(|s| net::parse_cidr(s).ok());
                    }
                }
            }
        }
        out.push(env);
        spans.push((e.key.span, at, slot_spans));
    }
}

/// `PLAN.ENV` or `PLAN.ENV.SLOT`: the CIDR allocated there.
pub(super) fn read(plan: &Plan, segs: &[Ident], whole: &Expr) -> Result<Value, Box<Problem>> {
    let name = &segs[0].name;
    let Some(env_seg) = segs.get(1) else {
        let example = plan.allocations().next().map_or("dev".to_string(), |(k, _)| k);
        return Err(Box::new(
            Problem::error(
                "dsl::bare-resource",
                format!("`{name}` is an address plan, not a value"),
            )
            .at(whole.span, "an address plan, not a value")
            .help(format!("read one of its ranges, e.g. `{name}.{example}`")),
        ));
    };
    let Some(env) = plan.environments.iter().find(|e| e.name == env_seg.name) else {
        let names: Vec<&str> = plan.environments.iter().map(|e| e.name.as_str()).collect();
        let msg = format!("address plan `{name}` has no environment `{}`", env_seg.name);
        let p = unknown_name("dsl::unknown-key", msg, &env_seg.name, env_seg.span, &names);
        return Err(Box::new(
            p.help_opt(Some(format!("its environments are {}", names.join(", ")))),
        ));
    };
    let Some(slot_seg) = segs.get(2) else {
        return Ok(Value::str(env.cidr.to_string()));
    };
    let slots: Vec<&str> = env.ranges.iter().filter_map(|r| r.slot.as_deref()).collect();
    let found = env
        .ranges
        .iter()
        .find(|r| r.slot.as_deref() == Some(slot_seg.name.as_str()));
    match (found, segs.get(3)) {
        (Some(r), None) => Ok(Value::str(r.cidr.to_string())),
        (Some(_), Some(extra)) => Err(Box::new(
            Problem::error(
                "dsl::unknown-key",
                format!(
                    "`{}.{}.{}` is a CIDR: it has no `{}`",
                    name, env.name, slot_seg.name, extra.name
                ),
            )
            .at(extra.span, "not found"),
        )),
        (None, _) if slots.is_empty() => Err(Box::new(
            Problem::error(
                "dsl::unknown-key",
                format!("environment `{}` of `{name}` has no slots", env.name),
            )
            .at(slot_seg.span, "not found")
            .help(format!(
                "`{name}.{}` is its range; declare `slots = [\"blue\", \"green\"]` to have slots",
                env.name
            )),
        )),
        (None, _) => {
            let msg = format!("environment `{}` of `{name}` has no slot `{}`", env.name, slot_seg.name);
            let p = unknown_name("dsl::unknown-key", msg, &slot_seg.name, slot_seg.span, &slots);
            Err(Box::new(
                p.help_opt(Some(format!("its slots are {}", slots.join(", ")))),
            ))
        }
    }
}
