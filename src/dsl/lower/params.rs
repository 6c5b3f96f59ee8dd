//! Binding params: defaults, var files, `--var` (root) or module arguments.
//! Precedence at the root: default < var files in order < `--var` in order.

use super::eval::{unknown_name, Eval};
use super::scope::{param_type, ParamVal, Scope};
use super::Loader;
use crate::dsl::ast::{File, Item, ModuleUse, Param, Span};
use crate::dsl::error::Problem;
use crate::dsl::parser;
use crate::graph::{Address, AttrPath, Type, Value};
use std::collections::{BTreeSet, HashMap};

type Params = HashMap<String, ParamVal>;
/// Values given for params, with the resources each one read.
type Given = HashMap<String, (Value, BTreeSet<Address>)>;

fn declared(file: &File) -> Vec<&Param> {
    file.items
        .iter()
        .filter_map(|i| match i {
            Item::Param(p) => Some(p),
            _ => None,
        })
        .collect()
}

impl Loader<'_> {
    /// The root file's params; `None` when any could not be bound.
    pub(super) fn root_params(&mut self, file: &File) -> Option<Params> {
        let decls = declared(file);
        let by_name: HashMap<&str, &Param> = decls.iter().map(|p| (p.name.name.as_str(), *p)).collect();
        let names: Vec<&str> = decls.iter().map(|p| p.name.name.as_str()).collect();
        let errors_before = self.problems.len();
        let mut given = Given::new();
        let empty = Scope::default();
        for path in &self.opts.var_files {
            if let Err(p) = self.confined(path, super::Include::VarFile) {
                self.problems.push(p);
                continue;
            }
            let text = match self.fs.read(path) {
                Ok(t) => t,
                Err(e) => {
                    self.problems.push(Problem::error(
                        "dsl::io",
                        format!("cannot read var file {}: {e}", path.display()),
                    ));
                    continue;
                }
            };
            let id = self.sources.add(path.display().to_string(), text);
            let text = self.sources.get(id).expect("just added").text.clone();
            let attrs = match parser::parse_var_file(&text, id) {
                Ok(a) => a,
                Err(p) => {
                    self.problems.push(p);
                    continue;
                }
            };
            for a in attrs {
                let Some(p) = by_name.get(a.key.name.as_str()) else {
                    let msg = format!("the program declares no param `{}`", a.key.name);
                    let code = "dsl::unknown-variable";
                    self.problems
                        .push(unknown_name(code, msg, &a.key.name, a.key.span, &names));
                    continue;
                };
                let ty = param_type(&p.ty);
                let mut ev = Eval::new(&empty, &self.graph, &mut self.problems);
                if let Some(v) = ev.eval(&a.value, Some(&ty), &AttrPath::root()) {
                    given.insert(a.key.name.clone(), (v, BTreeSet::new()));
                }
            }
        }
        for (name, raw) in &self.opts.vars {
            let Some(p) = by_name.get(name.as_str()) else {
                let mut pr = Problem::error("dsl::unknown-variable", format!("unknown variable `{name}` (--var)"));
                pr = pr.help_opt(Some(match crate::graph::schema::closest(name, &names) {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => format!("the program declares: {}", names.join(", ")),
                }));
                self.problems.push(pr);
                continue;
            };
            let ty = param_type(&p.ty);
            if ty == Type::String {
                given.insert(name.clone(), (Value::str(raw), BTreeSet::new()));
                continue;
            }
            let id = self.sources.add(format!("--var {name}"), raw.clone());
            let text = self.sources.get(id).expect("just added").text.clone();
            match parser::parse_value(&text, id) {
                Ok(e) => {
                    let mut ev = Eval::new(&empty, &self.graph, &mut self.problems);
                    if let Some(v) = ev.eval(&e, Some(&ty), &AttrPath::root()) {
                        given.insert(name.clone(), (v, BTreeSet::new()));
                    }
                }
                Err(p) => self.problems.push(p),
            }
        }
        let params = self.bind(&decls, given, |p| {
            Problem::error("dsl::missing-variable", format!("param `{}` has no value", p.name.name))
                .at(p.name.span, "required: no default")
                .help(format!(
                    "pass --var {0}=VALUE, add `{0} = …` to a var file, or give it a default",
                    p.name.name
                ))
        });
        (self.problems[errors_before..].iter().all(|p| !p.is_error())).then_some(params)
    }

    /// A module instance's params from its arguments (evaluated in the
    /// parent scope), each with the parent resources it read.
    pub(super) fn module_params(&mut self, parent: &Scope, file: &File, m: &ModuleUse) -> Option<Params> {
        let decls = declared(file);
        let by_name: HashMap<&str, &Param> = decls.iter().map(|p| (p.name.name.as_str(), *p)).collect();
        let names: Vec<&str> = decls.iter().map(|p| p.name.name.as_str()).collect();
        let errors_before = self.problems.len();
        let mut given = Given::new();
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut ev = Eval::new(parent, &self.graph, &mut self.problems);
        for a in &m.args {
            if let Some(prev) = seen.insert(&a.key.name, a.key.span) {
                ev.problems.push(
                    Problem::error("dsl::duplicate-attribute", format!("`{}` is set twice", a.key.name))
                        .at(a.key.span, "set again here")
                        .related(prev, "first set here"),
                );
                continue;
            }
            let Some(p) = by_name.get(a.key.name.as_str()) else {
                let msg = format!("module `{}` has no param `{}`", m.name.name, a.key.name);
                ev.problems
                    .push(unknown_name("dsl::unknown-param", msg, &a.key.name, a.key.span, &names));
                continue;
            };
            let v = ev.eval(&a.value, Some(&param_type(&p.ty)), &AttrPath::root());
            let deps = std::mem::take(&mut ev.deps);
            // A failed argument is reported; it is not "missing" on top.
            given.insert(a.key.name.clone(), (v.unwrap_or(Value::Unknown), deps));
        }
        let instance = m.name.clone();
        let params = self.bind(&decls, given, |p| {
            Problem::error(
                "dsl::missing-variable",
                format!("module `{}` does not set param `{}`", instance.name, p.name.name),
            )
            .at(instance.span, format!("`{}` is required", p.name.name))
            .related(p.name.span, "declared here without a default")
            .help(format!("add `{} = …` to the module block", p.name.name))
        });
        (self.problems[errors_before..].iter().all(|p| !p.is_error())).then_some(params)
    }

    /// Binds params in declaration order: given value, else default (which
    /// may read earlier params, and then depends on what they read), else a
    /// `missing` problem.
    fn bind(&mut self, decls: &[&Param], mut given: Given, missing: impl Fn(&Param) -> Problem) -> Params {
        let mut scope = Scope::default();
        for p in decls {
            let ty = param_type(&p.ty);
            if scope.params.contains_key(&p.name.name) {
                continue; // reported as a duplicate name by the scope
            }
            let (value, deps) = match (given.remove(&p.name.name), &p.default) {
                (Some(given), _) => given,
                (None, Some(d)) => {
                    let mut ev = Eval::new(&scope, &self.graph, &mut self.problems);
                    match ev.eval(d, Some(&ty), &AttrPath::root()) {
                        Some(v) => (v, ev.deps),
                        None => continue,
                    }
                }
                (None, None) => {
                    self.problems.push(missing(p));
                    continue;
                }
            };
            scope.params.insert(p.name.name.clone(), ParamVal { value, ty, deps });
        }
        scope.params
    }
}
