//! Expressions to graph values, checked against the type the schema (or a
//! param) expects. Records the span of every value it produces by path.

use super::scope::{Named, Scope};
use crate::dsl::ast::{Expr, ExprKind, Ident, Span, StrPart};
use crate::dsl::error::Problem;
use crate::graph::schema::closest;
use crate::graph::{kinds, net, Address, AttrPath, Graph, Kind, Type, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Evaluates expressions of one scope against the graph built so far.
pub struct Eval<'a> {
    pub scope: &'a Scope,
    pub graph: &'a Graph,
    pub problems: &'a mut Vec<Problem>,
    /// Resources the evaluated expressions read.
    pub deps: BTreeSet<Address>,
    /// Path → span of every value produced.
    pub recorded: Vec<(AttrPath, Span)>,
}

impl<'a> Eval<'a> {
    pub fn new(scope: &'a Scope, graph: &'a Graph, problems: &'a mut Vec<Problem>) -> Self {
        Eval {
            scope,
            graph,
            problems,
            deps: BTreeSet::new(),
            recorded: Vec::new(),
        }
    }

    fn err(&mut self, p: Problem) -> Option<Value> {
        self.problems.push(p);
        None
    }

    /// Evaluates `e` where a value of type `ty` is expected (`None`: any).
    pub fn eval(&mut self, e: &Expr, ty: Option<&Type>, path: &AttrPath) -> Option<Value> {
        self.recorded.push((path.clone(), e.span));
        match (&e.kind, ty) {
            (ExprKind::Bool(b), None | Some(Type::Bool)) => Some(Value::Bool(*b)),
            (ExprKind::Number(n), None | Some(Type::Number)) => Some(Value::Number(*n)),
            (ExprKind::Cidr(s), None | Some(Type::String)) => Some(Value::str(s)),
            (ExprKind::Cidr(s), Some(Type::Cidr)) => match net::parse_cidr(s) {
                Ok(_) => Some(Value::str(s)),
                Err(m) => self.err(
                    Problem::error("dsl::invalid-cidr", m)
                        .at(e.span, "host bits set")
                        .help("a prefix starts at its network address"),
                ),
            },
            (ExprKind::Ip(s), None | Some(Type::String | Type::Ip)) => Some(Value::str(s)),
            (ExprKind::Ip(s), Some(Type::Cidr)) => {
                self.err(mismatch(e, &Type::Cidr).help(format!("a CIDR has a prefix length, e.g. {s}/32")))
            }
            (ExprKind::Cidr(s), Some(Type::Ip)) => self.err(mismatch(e, &Type::Ip).help(format!(
                "an IP address has no prefix length: {}",
                s.split('/').next().unwrap_or(s)
            ))),
            (ExprKind::Str(parts), _) => self.string(e, parts, ty),
            (ExprKind::List(items), None | Some(Type::List(_))) => {
                let elem = match ty {
                    Some(Type::List(t)) => Some(t.as_ref()),
                    _ => None,
                };
                self.list(items, elem, path)
            }
            (ExprKind::Object(attrs), None | Some(Type::Map(_) | Type::Object(_))) => {
                let mut out = BTreeMap::new();
                let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
                for a in attrs {
                    if let Some(prev) = seen.insert(&a.key.name, a.key.span) {
                        self.problems.push(
                            Problem::error("dsl::duplicate-key", format!("`{}` is set twice", a.key.name))
                                .at(a.key.span, "set again here")
                                .related(prev, "first set here"),
                        );
                        continue;
                    }
                    let (fty, fpath) = match ty {
                        Some(Type::Object(fields)) => match fields.iter().find(|(n, _)| *n == a.key.name) {
                            Some((_, t)) => (Some(t), path.clone().then(&a.key.name)),
                            None => {
                                let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
                                let msg = format!("these objects have no attribute `{}`", a.key.name);
                                let code = "dsl::unknown-attribute";
                                self.problems
                                    .push(unknown_name(code, msg, &a.key.name, a.key.span, &names));
                                continue;
                            }
                        },
                        Some(Type::Map(t)) => (Some(t.as_ref()), path.clone().key(&a.key.name)),
                        _ => (None, path.clone().key(&a.key.name)),
                    };
                    if let Some(v) = self.eval(&a.value, fty, &fpath) {
                        out.insert(a.key.name.clone(), v);
                    }
                }
                Some(Value::Map(out))
            }
            (ExprKind::Ref(segs), _) => {
                let v = self.reference(e, segs, ty)?;
                self.conform(v, ty, e.span)
            }
            (_, Some(t)) => self.err(mismatch(e, t)),
        }
    }

    fn string(&mut self, e: &Expr, parts: &[StrPart], ty: Option<&Type>) -> Option<Value> {
        let mut s = String::new();
        let mut ok = true;
        for p in parts {
            match p {
                StrPart::Lit(l) => s.push_str(l),
                StrPart::Interp(x) => match self.eval(x, None, &AttrPath::root()) {
                    Some(Value::String(v)) => s.push_str(&v),
                    Some(Value::Number(n)) => s.push_str(&n.to_string()),
                    Some(Value::Bool(b)) => s.push_str(&b.to_string()),
                    Some(v) => {
                        ok = false;
                        self.problems.push(
                            Problem::error("dsl::type-mismatch", format!("cannot put {} into a string", what(&v)))
                                .at(x.span, "not a string, number or bool"),
                        );
                    }
                    None => ok = false,
                },
            }
        }
        // Interpolations record spans at the root; they do not name paths.
        self.recorded.retain(|(p, _)| !p.is_root());
        if !ok {
            return None;
        }
        match ty {
            None | Some(Type::String) => Some(Value::String(s)),
            Some(Type::Cidr) => match net::parse_cidr(&s) {
                Ok(_) => Some(Value::String(s)),
                Err(m) => self.err(
                    Problem::error("dsl::type-mismatch", format!("expected cidr, found a string: {m}"))
                        .at(e.span, "not a CIDR")
                        .help("write a CIDR literal without quotes, e.g. 10.40.0.0/16"),
                ),
            },
            Some(Type::Ip) => match net::parse_ip(&s) {
                Ok(_) => Some(Value::String(s)),
                Err(m) => self.err(
                    Problem::error("dsl::type-mismatch", format!("expected ip, found a string: {m}"))
                        .at(e.span, "not an IP address")
                        .help("write an IP literal without quotes, e.g. 10.1.0.4"),
                ),
            },
            Some(t) => self.err(mismatch(e, t)),
        }
    }

    fn list(&mut self, items: &[Expr], elem: Option<&Type>, path: &AttrPath) -> Option<Value> {
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in items {
            let scalar = elem.is_some_and(|t| !matches!(t, Type::List(_) | Type::Map(_) | Type::Object(_)));
            let produced = match &item.kind {
                ExprKind::Ref(segs) if scalar => {
                    let raw = if segs.len() == 1 && elem == Some(&Type::Cidr) {
                        self.address_space_of(&segs[0])
                    } else {
                        None
                    };
                    match raw.or_else(|| self.reference(item, segs, elem)) {
                        Some(Value::List(vs)) => vs.into_iter().map(Some).collect(),
                        v => vec![v],
                    }
                }
                _ => vec![self.eval(item, elem, &path.clone().index(out.len()))],
            };
            for v in produced {
                let v = match &item.kind {
                    ExprKind::Ref(_) if scalar => v.and_then(|v| self.conform(v, elem, item.span)),
                    _ => v,
                };
                match v {
                    Some(v) => {
                        self.recorded.push((path.clone().index(out.len()), item.span));
                        out.push(v);
                    }
                    None => ok = false,
                }
            }
        }
        ok.then_some(Value::List(out))
    }

    /// `[corp]` in a list of CIDRs: an onprem or hub stands for its ranges.
    fn address_space_of(&mut self, name: &Ident) -> Option<Value> {
        if self.scope.params.contains_key(&name.name) {
            return None;
        }
        let Some(Named::Resource(addr)) = self.scope.names.get(&name.name) else {
            return None;
        };
        if !matches!(addr.kind, Kind::Onprem | Kind::Hub) {
            return None;
        }
        self.deps.insert(addr.clone());
        Some(self.graph.get(addr)?.get("address_space").clone())
    }

    /// Resolves a reference: a param, a resource attribute, or (where a
    /// string is expected) a bare word such as `expressroute`.
    pub fn reference(&mut self, e: &Expr, segs: &[Ident], ty: Option<&Type>) -> Option<Value> {
        let first = &segs[0];
        if let Some(p) = self.scope.params.get(&first.name) {
            if segs.len() > 1 {
                return self.err(
                    Problem::error(
                        "dsl::no-attributes",
                        format!("param `{}` has no attributes", first.name),
                    )
                    .at(segs[1].span, format!("`{}` is a {}", first.name, p.ty.describe())),
                );
            }
            self.deps.extend(p.deps.iter().cloned());
            return Some(p.value.clone());
        }
        match self.scope.names.get(&first.name) {
            Some(Named::Broken) => None,
            Some(Named::Plan) => {
                // A plan that failed is reported already.
                let plan = self.scope.plans.get(&first.name)?;
                match super::plan::read(plan, segs, e) {
                    Ok(v) => Some(v),
                    Err(p) => self.err(*p),
                }
            }
            Some(Named::Module(names)) => {
                let names = names.clone()?;
                let (addr, at) = self.through_module(e, segs, &names)?;
                self.resource_attr(e, &addr, &segs[..=at], &segs[at + 1..])
            }
            Some(Named::Resource(addr)) => {
                let addr = addr.clone();
                self.resource_attr(e, &addr, &segs[..1], &segs[1..])
            }
            None if segs.len() == 1 && matches!(ty, None | Some(Type::String)) => Some(Value::str(&first.name)),
            None => {
                let mut names: Vec<&str> = self.scope.params.keys().map(String::as_str).collect();
                names.extend(self.scope.names.keys().map(String::as_str));
                names.sort_unstable();
                let msg = match (ty, closest(&first.name, &names)) {
                    (Some(t), None) if segs.len() == 1 => format!("expected {}, found `{}`", t.describe(), first.name),
                    _ => format!("`{}` is not declared", first.name),
                };
                let p = unknown_name("dsl::unknown-reference", msg, &first.name, first.span, &names).help_opt(
                    closest(&first.name, &names).is_none().then(|| {
                        "a bare name refers to a param or a block label; none is declared with this name".to_string()
                    }),
                );
                self.err(p)
            }
        }
    }

    /// Follows `prod.aks` (or `a.b.aks`) through module instances to the
    /// block it names: its address and the index of its label in `segs`.
    pub fn through_module(
        &mut self,
        e: &Expr,
        segs: &[Ident],
        names: &HashMap<String, Named>,
    ) -> Option<(Address, usize)> {
        let mut names = names;
        for (i, seg) in segs.iter().enumerate().skip(1) {
            let instance = segs[..i].iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(".");
            match names.get(&seg.name) {
                Some(Named::Resource(addr)) => return Some((addr.clone(), i)),
                Some(Named::Module(Some(inner))) => names = inner,
                Some(Named::Module(None) | Named::Broken) => return None,
                Some(Named::Plan) => {
                    self.problems.push(
                        Problem::error(
                            "dsl::module-reference",
                            format!("`{}` is an address plan inside module instance `{instance}`", seg.name),
                        )
                        .at(seg.span, "read inside its module only")
                        .help(format!(
                            "declare the plan beside `{instance}` and pass its ranges in as params, or read a block built from it (e.g. `{instance}.aks.address_space`)"
                        )),
                    );
                    return None;
                }
                None => {
                    let mut labels: Vec<&str> = names.keys().map(String::as_str).collect();
                    labels.sort_unstable();
                    let msg = format!("module instance `{instance}` declares no block `{}`", seg.name);
                    let p = unknown_name("dsl::unknown-reference", msg, &seg.name, seg.span, &labels);
                    let help = if labels.is_empty() {
                        format!("`{instance}` declares no blocks")
                    } else {
                        format!(
                            "`{instance}` declares {}",
                            labels.iter().map(|l| format!("`{l}`")).collect::<Vec<_>>().join(", ")
                        )
                    };
                    self.problems.push(if p.help.is_none() { p.help(help) } else { p });
                    return None;
                }
            }
        }
        let instance = segs.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(".");
        let mut labels: Vec<&String> = names
            .iter()
            .filter(|(_, n)| matches!(n, Named::Resource(_)))
            .map(|(k, _)| k)
            .collect();
        labels.sort_unstable();
        let help = match labels.first() {
            Some(l) => format!("read an attribute of a block inside it, e.g. `{instance}.{l}.id`"),
            None => "read an attribute of a block inside it, e.g. `prod.aks.id`".to_string(),
        };
        self.problems.push(
            Problem::error(
                "dsl::module-reference",
                format!("`{instance}` is a module instance, not a value"),
            )
            .at(e.span, "a module instance, not a value")
            .help(help),
        );
        None
    }

    /// An attribute of the resource `addr`, named by `named` (its label,
    /// behind any module instances) and read by `attr` (empty: the bare
    /// block, an error).
    fn resource_attr(&mut self, e: &Expr, addr: &Address, named: &[Ident], attr: &[Ident]) -> Option<Value> {
        let name = named.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(".");
        let Some(first_attr) = attr.first() else {
            let example = if matches!(addr.kind, Kind::Onprem | Kind::Hub | Kind::ClusterNetwork) {
                format!("`{name}.address_space` or `{name}.id`")
            } else {
                format!("`{name}.id`")
            };
            return self.err(
                Problem::error(
                    "dsl::bare-resource",
                    format!("`{name}` is {} block, not a value", a_kind(addr.kind)),
                )
                .at(e.span, "a resource, not a value")
                .help(format!("read one of its attributes, e.g. {example}")),
            );
        };
        self.deps.insert(addr.clone());
        let r = self.graph.get(addr)?;
        let schema = kinds::schema(addr.kind);
        // A former name reads the attribute it became.
        let attr_name = schema
            .alias(&first_attr.name)
            .map_or(first_attr.name.as_str(), |a| a.name);
        if schema.attribute(attr_name).is_none() && schema.block(attr_name).is_none() {
            let names: Vec<&str> = schema
                .attrs
                .iter()
                .map(|a| a.name)
                .chain(schema.blocks.iter().map(|b| b.name))
                .collect();
            let p = unknown_name(
                "dsl::unknown-attribute",
                format!("{} has no attribute `{}`", addr.kind, first_attr.name),
                &first_attr.name,
                first_attr.span,
                &names,
            );
            return self.err(p);
        }
        let mut v = r.get(attr_name).clone();
        for s in &attr[1..] {
            v = match v.as_map().and_then(|m| m.get(&s.name)) {
                Some(x) => x.clone(),
                None => {
                    return self.err(
                        Problem::error("dsl::unknown-key", format!("no key `{}` here", s.name)).at(s.span, "not found"),
                    )
                }
            };
        }
        Some(v)
    }

    /// Checks a value that came from a param or another resource.
    pub fn conform(&mut self, v: Value, ty: Option<&Type>, span: Span) -> Option<Value> {
        let Some(t) = ty else { return Some(v) };
        let bad = match t.check(&v) {
            Err((_, want)) => Some(format!("expected {want}, found {}", what(&v))),
            Ok(()) => syntax_of(&v, t).err(),
        };
        match bad {
            None => Some(v),
            Some(m) => self.err(
                Problem::error("dsl::type-mismatch", m)
                    .at(span, format!("this is {}", what(&v)))
                    .help(format!("a {} is expected here", t.describe())),
            ),
        }
    }
}

/// CIDR/IP syntax of strings inside a value whose shape already matches.
fn syntax_of(v: &Value, t: &Type) -> Result<(), String> {
    match (t, v) {
        (Type::Cidr, Value::String(s)) => net::parse_cidr(s).map(|_| ()),
        (Type::Ip, Value::String(s)) => net::parse_ip(s).map(|_| ()),
        (Type::List(t), Value::List(items)) => items.iter().try_for_each(|i| syntax_of(i, t)),
        (Type::Map(t), Value::Map(m)) => m.values().try_for_each(|i| syntax_of(i, t)),
        _ => Ok(()),
    }
}

fn what(v: &Value) -> &'static str {
    match v {
        Value::Unknown => "an unknown value",
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::List(_) => "a list",
        Value::Map(_) => "an object",
    }
}

fn what_expr(e: &Expr) -> &'static str {
    match e.kind {
        ExprKind::Bool(_) => "a bool",
        ExprKind::Number(_) => "a number",
        ExprKind::Cidr(_) => "a CIDR",
        ExprKind::Ip(_) => "an IP address",
        ExprKind::Str(_) => "a string",
        ExprKind::List(_) => "a list",
        ExprKind::Object(_) => "an object",
        ExprKind::Ref(_) => "a reference",
    }
}

fn mismatch(e: &Expr, want: &Type) -> Problem {
    Problem::error(
        "dsl::type-mismatch",
        format!("expected {}, found {}", want.describe(), what_expr(e)),
    )
    .at(e.span, format!("this is {}", what_expr(e)))
}

/// `message` about `name`, with the closest candidate as label and help.
pub fn unknown_name(code: &str, message: String, name: &str, span: Span, candidates: &[&str]) -> Problem {
    let p = Problem::error(code, message);
    match closest(name, candidates) {
        Some(c) => p
            .at(span, format!("did you mean `{c}`?"))
            .help(format!("did you mean `{c}`?")),
        None => p.at(span, "not declared"),
    }
}

/// "an onprem", "a hub".
pub fn a_kind(k: Kind) -> String {
    if k == Kind::Onprem {
        format!("an {k}")
    } else {
        format!("a {k}")
    }
}
