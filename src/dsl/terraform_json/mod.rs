//! `hybridk8s compile --to terraform-json`: a program as Terraform JSON
//! configuration for the hybridk8s provider, written from the syntax trees
//! (not the evaluated graph) so that every reference stays a Terraform
//! reference and Terraform orders the resources as `hybridk8s apply` does.
//!
//! The root file becomes `main.tf.json`; every module *file* becomes one
//! Terraform module, `modules/<name>/main.tf.json`, used by a `module` block
//! per instance. Params become `variable` blocks; the root's take the values
//! given at compile time (`--var`, var files) as their defaults. A module
//! declares one `output` per block and per module instance, holding the
//! whole object, so that `prod.aks.id` is `module.prod.aks.id`. `flow`
//! blocks are not compiled (a `//` comment names them).

mod body;
mod expr;

use super::ast::{Block, Expr, ExprKind, File, Item, ModuleUse, Param, TypeKind};
use super::error::{LoadError, Problem, Sources};
use super::lower::{internal_lbs, normalize, param_type, ADDRESS_PLAN};
use super::{parser, Files, Options};
use crate::graph::{lookup, Kind, Type};
use expr::{address, escape_template, Ctx, Name, ADDRESS_PLAN_TYPE};
use serde_json::{Map, Value as J};
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};

/// The provider's registry address, as `required_providers` names it.
pub const PROVIDER_SOURCE: &str = "hybridk8s/hybridk8s";

/// One file of the program and the module instances it uses.
struct Unit {
    path: PathBuf,
    file: File,
    /// Instance name → the unit it instantiates.
    instances: HashMap<String, usize>,
    /// The Terraform module directory name (`None`: the root).
    dir: Option<String>,
}

/// Compiles the program at `path` (checked beforehand: mistakes in it are
/// not diagnosed here): each file to write, relative to the output
/// directory, with its text.
pub fn compile(path: &Path, opts: &Options) -> Result<Vec<(PathBuf, String)>, LoadError> {
    let units = read_units(path)?;
    let names: Vec<HashMap<String, Name>> = units.iter().map(names_of).collect();
    let given = root_values(opts, &units[0].file)?;
    let mut out = Vec::new();
    for (i, u) in units.iter().enumerate() {
        let ctx = Ctx { files: &names, file: i };
        let doc = unit_json(&ctx, u, &units, (i == 0).then_some(&given));
        let mut text = serde_json::to_string_pretty(&J::Object(doc)).expect("JSON values serialize");
        text.push('\n');
        let rel = match &u.dir {
            None => PathBuf::from("main.tf.json"),
            Some(d) => Path::new("modules").join(d).join("main.tf.json"),
        };
        out.push((rel, text));
    }
    Ok(out)
}

fn failed(p: Problem, sources: Sources) -> LoadError {
    LoadError::new(vec![p], sources)
}

/// The root file and every module file it reaches, each once.
fn read_units(root: &Path) -> Result<Vec<Unit>, LoadError> {
    let fs = Files::Disk;
    let mut sources = Sources::default();
    let mut units: Vec<Unit> = Vec::new();
    let mut by_key: HashMap<PathBuf, usize> = HashMap::new();
    let mut queue = VecDeque::from([normalize(root)]);
    let mut dirs: HashMap<String, usize> = HashMap::new();
    while let Some(path) = queue.pop_front() {
        let text = match fs.read(&path) {
            Ok(t) => t,
            Err(e) => {
                let p = Problem::error("dsl::io", format!("cannot read {}: {e}", path.display()));
                return Err(failed(p, sources));
            }
        };
        let id = sources.add(path.display().to_string(), text.clone());
        let file = match parser::parse_file(&text, id) {
            Ok(f) => f,
            Err(p) => return Err(failed(p, sources)),
        };
        by_key.insert(fs.canonical(&path), units.len());
        let dir = (!units.is_empty()).then(|| {
            let stem: String = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let n = dirs.entry(stem.clone()).or_default();
            *n += 1;
            if *n == 1 {
                stem
            } else {
                format!("{stem}_{n}")
            }
        });
        units.push(Unit {
            path,
            file,
            instances: HashMap::new(),
            dir,
        });
        // Breadth-first, each file once: directory names follow the order
        // files are first used in.
        let i = units.len() - 1;
        for m in modules(&units[i].file) {
            let p = normalize(&units[i].path.parent().unwrap_or(Path::new(".")).join(&m.path));
            let key = fs.canonical(&p);
            if !by_key.contains_key(&key) && !queue.iter().any(|q| fs.canonical(q) == key) {
                queue.push_back(p);
            }
        }
    }
    // Instance names → units, now that every file has its index.
    for i in 0..units.len() {
        let found: HashMap<String, usize> = modules(&units[i].file)
            .filter_map(|m| {
                let p = normalize(&units[i].path.parent().unwrap_or(Path::new(".")).join(&m.path));
                by_key.get(&fs.canonical(&p)).map(|&u| (m.name.name.clone(), u))
            })
            .collect();
        units[i].instances = found;
    }
    Ok(units)
}

fn modules(file: &File) -> impl Iterator<Item = &ModuleUse> {
    file.items.iter().filter_map(|i| match i {
        Item::Module(m) => Some(m),
        _ => None,
    })
}

fn params(file: &File) -> impl Iterator<Item = &Param> {
    file.items.iter().filter_map(|i| match i {
        Item::Param(p) => Some(p),
        _ => None,
    })
}

/// What the names of one file stand for.
fn names_of(u: &Unit) -> HashMap<String, Name> {
    let mut out = HashMap::new();
    let mut declared: Vec<String> = Vec::new();
    for item in &u.file.items {
        match item {
            Item::Param(p) => {
                let local = p.default.as_ref().is_some_and(|d| refs_params(d, &declared));
                declared.push(p.name.name.clone());
                out.insert(
                    p.name.name.clone(),
                    Name::Param {
                        ty: param_type(&p.ty),
                        local,
                    },
                );
            }
            Item::Block(b) if b.kind.name == ADDRESS_PLAN => {
                out.insert(b.label.name.clone(), Name::Plan);
            }
            Item::Block(b) => {
                if let Ok(kind) = b.kind.name.parse::<Kind>() {
                    out.insert(b.label.name.clone(), Name::Resource { kind, data: false });
                }
            }
            Item::Data(b) => {
                if let Ok(kind) = b.kind.name.parse::<Kind>() {
                    out.insert(b.label.name.clone(), Name::Resource { kind, data: true });
                }
            }
            Item::Module(m) => {
                if let Some(&f) = u.instances.get(&m.name.name) {
                    out.insert(m.name.name.clone(), Name::Module(f));
                }
            }
            Item::Flow(_) | Item::State(_) => {}
        }
    }
    out
}

/// Whether `e` reads one of `params`.
fn refs_params(e: &Expr, params: &[String]) -> bool {
    use super::ast::{ExprKind as K, StrPart};
    match &e.kind {
        K::Ref(segs) => params.contains(&segs[0].name),
        K::List(items) => items.iter().any(|i| refs_params(i, params)),
        K::Object(attrs) => attrs.iter().any(|a| refs_params(&a.value, params)),
        K::Str(parts) => parts
            .iter()
            .any(|p| matches!(p, StrPart::Interp(x) if refs_params(x, params))),
        _ => false,
    }
}

/// A Terraform type constraint.
fn tf_type(t: &TypeKind) -> String {
    match t {
        TypeKind::String | TypeKind::Cidr | TypeKind::Ip => "string".into(),
        TypeKind::Number => "number".into(),
        TypeKind::Bool => "bool".into(),
        TypeKind::List(t) => format!("list({})", tf_type(&t.kind)),
        TypeKind::Map(t) => format!("map({})", tf_type(&t.kind)),
    }
}

/// A literal as a plain JSON value (variable defaults are not templates):
/// `None` when it reads a param.
fn literal(e: &Expr, params: &[String]) -> Option<J> {
    use super::ast::ExprKind as K;
    Some(match &e.kind {
        K::Bool(b) => J::Bool(*b),
        K::Number(n) => J::from(*n),
        K::Cidr(s) | K::Ip(s) => J::String(s.clone()),
        K::Str(parts) => {
            let mut s = String::new();
            for p in parts {
                match p {
                    super::ast::StrPart::Lit(l) => s.push_str(l),
                    super::ast::StrPart::Interp(x) => match literal(x, params)? {
                        J::String(v) => s.push_str(&v),
                        v @ (J::Number(_) | J::Bool(_)) => s.push_str(&v.to_string()),
                        _ => return None,
                    },
                }
            }
            J::String(s)
        }
        K::List(items) => J::Array(items.iter().map(|i| literal(i, params)).collect::<Option<_>>()?),
        K::Object(attrs) => J::Object(
            attrs
                .iter()
                .map(|a| Some((a.key.name.clone(), literal(&a.value, params)?)))
                .collect::<Option<_>>()?,
        ),
        K::Ref(segs) if segs.len() == 1 && !params.contains(&segs[0].name) => J::String(segs[0].name.clone()),
        K::Ref(_) => return None,
    })
}

/// The root params' values given at compile time (var files, then `--var`).
fn root_values(opts: &Options, root: &File) -> Result<HashMap<String, J>, LoadError> {
    let types: HashMap<&str, &TypeKind> = params(root).map(|p| (p.name.name.as_str(), &p.ty.kind)).collect();
    let mut sources = Sources::default();
    let mut out = HashMap::new();
    for path in &opts.var_files {
        let text = Files::Disk.read(path).map_err(|e| {
            let p = Problem::error("dsl::io", format!("cannot read var file {}: {e}", path.display()));
            failed(p, Sources::default())
        })?;
        let id = sources.add(path.display().to_string(), text.clone());
        let attrs = parser::parse_var_file(&text, id).map_err(|p| failed(p, sources.clone()))?;
        for a in attrs {
            if let Some(v) = literal(&a.value, &[]) {
                out.insert(a.key.name.clone(), v);
            }
        }
    }
    for (name, raw) in &opts.vars {
        match types.get(name.as_str()) {
            Some(TypeKind::String) | None => {
                out.insert(name.clone(), J::String(raw.clone()));
            }
            Some(_) => {
                let id = sources.add(format!("--var {name}"), raw.clone());
                let e = parser::parse_value(raw, id).map_err(|p| failed(p, sources.clone()))?;
                if let Some(v) = literal(&e, &[]) {
                    out.insert(name.clone(), v);
                }
            }
        }
    }
    Ok(out)
}

fn insert(map: &mut Map<String, J>, section: &str, key: &str, value: J) {
    let s = map.entry(section).or_insert_with(|| J::Object(Map::new()));
    if let J::Object(s) = s {
        s.insert(key.to_string(), value);
    }
}

/// `SECTION.TYPE.LABEL = body` (`resource` or `data`).
fn insert_block(doc: &mut Map<String, J>, section: &str, ty: &str, label: &str, body: J) {
    let s = doc.entry(section).or_insert_with(|| J::Object(Map::new()));
    if let J::Object(s) = s {
        insert(s, ty, label, body);
    }
}

/// An `address_plan` block as the body of the data source: `supernets`,
/// `reserved` (blocks read as their address spaces) and one `environment`
/// block per environment, in the order written (the order they are
/// allocated in).
fn address_plan(ctx: &Ctx<'_>, b: &Block) -> Map<String, J> {
    let cidrs = Type::list(Type::Cidr);
    let mut out = Map::new();
    for a in &b.attrs {
        match a.key.name.as_str() {
            key @ ("supernets" | "reserved") => {
                out.insert(key.into(), ctx.value(&a.value, Some(&cidrs)));
            }
            "environments" => {
                let ExprKind::Object(entries) = &a.value.kind else {
                    continue; // refused by the loader
                };
                let envs = entries
                    .iter()
                    .map(|e| {
                        let mut env = Map::new();
                        env.insert("name".into(), J::String(escape_template(&e.key.name)));
                        if let ExprKind::Object(fields) = &e.value.kind {
                            for f in fields {
                                let ty = match f.key.name.as_str() {
                                    "size" | "headroom" => Type::Number,
                                    "slots" => Type::list(Type::String),
                                    _ => Type::Cidr,
                                };
                                env.insert(f.key.name.clone(), ctx.value(&f.value, Some(&ty)));
                            }
                        }
                        J::Object(env)
                    })
                    .collect();
                out.insert("environment".into(), J::Array(envs));
            }
            _ => {} // refused by the loader
        }
    }
    out
}

/// One file as a Terraform JSON document.
fn unit_json(ctx: &Ctx<'_>, u: &Unit, units: &[Unit], given: Option<&HashMap<String, J>>) -> Map<String, J> {
    let mut doc = Map::new();
    let flows: Vec<String> = u
        .file
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Flow(f) => Some(format!("\"{}\"", f.name)),
            _ => None,
        })
        .collect();
    if !flows.is_empty() {
        doc.insert(
            "//".into(),
            J::String(format!(
                "not compiled: flow {} (answer them with `hybridk8s flows`)",
                flows.join(", ")
            )),
        );
    }
    let mut provider = Map::new();
    provider.insert("source".into(), J::String(PROVIDER_SOURCE.into()));
    let mut required = Map::new();
    required.insert("hybridk8s".into(), J::Object(provider));
    let mut terraform = Map::new();
    terraform.insert("required_providers".into(), J::Object(required));
    doc.insert("terraform".into(), J::Object(terraform));
    if given.is_some() {
        insert(&mut doc, "provider", "hybridk8s", J::Object(Map::new()));
    }

    let mut declared: Vec<String> = Vec::new();
    for p in params(&u.file) {
        let name = &p.name.name;
        let mut var = Map::new();
        var.insert("type".into(), J::String(tf_type(&p.ty.kind)));
        match (given.and_then(|g| g.get(name)), &p.default) {
            (Some(v), _) => {
                var.insert("default".into(), v.clone());
            }
            (None, Some(d)) => match literal(d, &declared) {
                Some(v) => {
                    var.insert("default".into(), v);
                }
                None => {
                    // A default that reads other params: a local.
                    var.insert("default".into(), J::Null);
                    let ty = param_type(&p.ty);
                    let v = format!("${{var.{name} != null ? var.{name} : {}}}", ctx.hcl(d, Some(&ty)));
                    insert(&mut doc, "locals", name, J::String(v));
                }
            },
            (None, None) => {}
        }
        declared.push(name.clone());
        insert(&mut doc, "variable", name, J::Object(var));
    }

    let nodes: Vec<&Item> = u.file.items.iter().collect();
    let lbs = internal_lbs(&nodes);
    let mut outputs: Vec<(String, String)> = Vec::new();
    for item in &u.file.items {
        match item {
            Item::Block(b) if b.kind.name == ADDRESS_PLAN => {
                insert_block(
                    &mut doc,
                    "data",
                    ADDRESS_PLAN_TYPE,
                    &b.label.name,
                    J::Object(address_plan(ctx, b)),
                );
            }
            Item::Block(b) | Item::Data(b) => {
                let data = matches!(item, Item::Data(_));
                let Ok(kind) = b.kind.name.parse::<Kind>() else {
                    continue;
                };
                let is_lookup = data && lookup::KINDS.contains(&kind);
                let body = ctx.body(b, kind, is_lookup, &lbs);
                let section = if data || kind.is_declaration_only() {
                    "data"
                } else {
                    "resource"
                };
                insert_block(&mut doc, section, kind.terraform_type(), &b.label.name, J::Object(body));
                outputs.push((b.label.name.clone(), address(kind, data, &b.label.name)));
            }
            Item::Module(m) => {
                let Some(&target) = u.instances.get(&m.name.name) else {
                    continue;
                };
                let t = &units[target];
                let dir = t.dir.as_deref().unwrap_or_default();
                let source = if given.is_some() {
                    format!("./modules/{dir}")
                } else {
                    format!("../{dir}")
                };
                let types: HashMap<&str, Type> = params(&t.file)
                    .map(|p| (p.name.name.as_str(), param_type(&p.ty)))
                    .collect();
                let mut body = Map::new();
                body.insert("source".into(), J::String(source));
                for a in &m.args {
                    let v = ctx.value(&a.value, types.get(a.key.name.as_str()));
                    body.insert(a.key.name.clone(), v);
                }
                insert(&mut doc, "module", &m.name.name, J::Object(body));
                outputs.push((m.name.name.clone(), format!("module.{}", m.name.name)));
            }
            Item::Param(_) | Item::Flow(_) | Item::State(_) => {}
        }
    }
    if given.is_none() {
        for (name, value) in outputs {
            let mut o = Map::new();
            o.insert("value".into(), J::String(format!("${{{value}}}")));
            insert(&mut doc, "output", &escape_template(&name), J::Object(o));
        }
    }
    doc
}
