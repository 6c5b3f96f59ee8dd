//! Syntax trees to the resource graph: files and modules, names, dependency
//! order between blocks. Blocks are lowered in `block`, params bound in
//! `params`, expressions evaluated in `eval`.

mod block;
mod data;
mod eval;
mod flow;
mod params;
mod plan;
mod scope;
mod state;

use super::ast::{Block, File, Item, Span};
use super::error::{LoadError, Problem, Sources};
use super::{parser, Files, Lookups, Options, Program, SpanMap};
use crate::graph::{Graph, Kind};
use scope::{for_each_ref, Named, Scope};

pub(crate) use block::{internal_lbs, sugar};
pub(crate) use plan::KEYWORD as ADDRESS_PLAN;
pub(crate) use scope::param_type;
pub use state::url_of as state_url_of;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

/// Loads `path` with everything it includes; `lookups` holds what the
/// fabric observed of the program's `data` blocks (by address), when read.
pub fn load(path: &Path, opts: &Options, fs: &Files, lookups: &Lookups) -> Result<Program, LoadError> {
    let mut l = Loader {
        opts,
        fs,
        lookups,
        sources: Sources::default(),
        problems: Vec::new(),
        graph: Graph::new(),
        spans: SpanMap::default(),
        files: HashMap::new(),
        stack: Vec::new(),
        root: PathBuf::new(),
        instances: 0,
        resources: 0,
        over_limit: false,
        flows: Vec::new(),
        state_block: None,
    };
    let path = normalize(path);
    l.root = fs.canonical(opts.root.as_deref().unwrap_or_else(|| {
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }));
    if let Some(file) = l.read(&path, None) {
        if let Some(params) = l.root_params(&file) {
            l.stack.push(l.fs.canonical(&path));
            let scope = Scope {
                params,
                ..Scope::default()
            };
            l.lower_scope(&file, scope, &path);
        }
    }
    if l.problems.iter().any(Problem::is_error) {
        return Err(LoadError::new(l.problems, l.sources));
    }
    Ok(Program {
        graph: l.graph,
        sources: l.sources,
        spans: l.spans,
        warnings: l.problems,
        flows: l.flows,
    })
}

/// The state of one load.
pub(crate) struct Loader<'o> {
    opts: &'o Options,
    /// Where files are read from.
    fs: &'o Files,
    /// What the fabric observed of `data` blocks.
    lookups: &'o Lookups,
    sources: Sources,
    problems: Vec<Problem>,
    graph: Graph,
    spans: SpanMap,
    /// Parsed files by canonical path (`None`: unreadable or unparsable).
    files: HashMap<PathBuf, Option<Rc<File>>>,
    /// Canonical paths of the files being instantiated (include cycles).
    stack: Vec<PathBuf>,
    /// The tree modules and var files must lie in (canonical).
    root: PathBuf,
    /// Module instances and resource blocks lowered so far (bounded by
    /// [`MAX_MODULE_INSTANCES`] and [`MAX_RESOURCES`]).
    instances: usize,
    resources: usize,
    /// A limit was reported: nothing more is lowered.
    over_limit: bool,
    /// The `flow` declarations of every file instance, in order.
    flows: Vec<crate::dsl::flows::DeclaredFlow>,
    /// The root program's `state` block, once seen (its keyword).
    state_block: Option<Span>,
}

/// A program expands to at most this many module instances: 24 small files
/// that each use the next twice would otherwise make 16 million.
pub const MAX_MODULE_INSTANCES: usize = 10_000;

/// And to at most this many resources (blocks, in every instance).
pub const MAX_RESOURCES: usize = 100_000;

/// Modules nest at most this deep.
pub const MAX_MODULE_DEPTH: usize = 32;

/// What a file is included as.
#[derive(Debug, Clone, Copy)]
pub(super) enum Include {
    Module,
    VarFile,
}

impl Loader<'_> {
    /// `Err` (a problem to report) unless `path` is a file of the kind
    /// (`.hk`, `.hkvars`) inside the program's root, links resolved: no
    /// input makes a load read, or show an excerpt of, anything else.
    pub(super) fn confined(&self, path: &Path, what: Include) -> Result<(), Problem> {
        let (ext, noun) = match what {
            Include::Module => ("hk", "a module"),
            Include::VarFile => ("hkvars", "a var file"),
        };
        if path.extension().is_none_or(|e| e != ext) {
            return Err(Problem::error(
                "dsl::not-a-program",
                format!("{} is not {noun}: its name must end in `.{ext}`", path.display()),
            )
            .help("only hybridk8s programs are read; nothing of this file was read"));
        }
        // Missing altogether: reading it says so.
        let Some(canonical) = self.fs.resolved(path) else {
            return Ok(());
        };
        if !canonical.starts_with(&self.root) {
            return Err(Problem::error(
                "dsl::outside-root",
                format!(
                    "{} is outside the program's root {}",
                    path.display(),
                    self.root.display()
                ),
            )
            .help("modules and var files must lie under the top program's directory (links resolved); pass `--root DIR` to widen it"));
        }
        Ok(())
    }

    /// Reads and parses a file once; problems are reported at `from`.
    fn read(&mut self, path: &Path, from: Option<Span>) -> Option<Rc<File>> {
        let key = self.fs.canonical(path);
        if let Some(f) = self.files.get(&key) {
            return f.clone();
        }
        let parsed = match self.fs.read(path) {
            Ok(text) => {
                let id = self.sources.add(path.display().to_string(), text);
                let text = self.sources.get(id).expect("just added").text.clone();
                match parser::parse_file(&text, id) {
                    Ok(f) => Some(Rc::new(f)),
                    Err(p) => {
                        self.problems.push(p);
                        None
                    }
                }
            }
            Err(e) => {
                let mut p = Problem::error("dsl::io", format!("cannot read {}: {e}", path.display()));
                if let Some(s) = from {
                    p = p.at(s, "included here");
                }
                self.problems.push(p);
                None
            }
        };
        self.files.insert(key, parsed.clone());
        parsed
    }

    /// Lowers every block and module instance of one file instance, in
    /// dependency order; returns what its names stand for (the instance's
    /// outputs).
    fn lower_scope(&mut self, file: &File, mut scope: Scope, path: &Path) -> HashMap<String, Named> {
        // Names: one namespace for labels, instance names and params.
        let mut declared: HashMap<String, Span> = HashMap::new();
        let mut nodes: Vec<&Item> = Vec::new();
        let mut flows: Vec<&super::ast::FlowBlock> = Vec::new();
        let mut flow_names: HashMap<&str, Span> = HashMap::new();
        for item in &file.items {
            let (name, named) = match item {
                Item::State(st) => {
                    self.lower_state(&scope, st);
                    continue;
                }
                Item::Flow(f) => {
                    if let Some(prev) = flow_names.insert(&f.name, f.name_span) {
                        self.problems.push(
                            Problem::error("dsl::duplicate-name", format!("flow \"{}\" is declared twice", f.name))
                                .at(f.name_span, "declared again here")
                                .related(prev, "first declared here")
                                .help("give each flow of a file its own name"),
                        );
                    } else {
                        flows.push(f);
                    }
                    continue;
                }
                Item::Param(p) => (&p.name, Named::Broken),
                Item::Module(m) => (&m.name, Named::Module(None)),
                Item::Block(b) if b.kind.name == plan::KEYWORD => (&b.label, Named::Plan),
                Item::Block(b) => match b.kind.name.parse::<Kind>() {
                    Ok(k) => (&b.label, Named::Resource(crate::graph::Address::new(k, &b.label.name))),
                    Err(_) => {
                        let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.keyword()).chain([plan::KEYWORD]).collect();
                        let msg = format!("unknown block type `{}`", b.kind.name);
                        let mut p = eval::unknown_name("dsl::unknown-block", msg, &b.kind.name, b.kind.span, &kinds);
                        if p.help.is_none() {
                            p = p.help(format!("block types are {}", kinds.join(", ")));
                        }
                        if b.kind.name == "data" {
                            p = p.help("a lookup names what it looks up and its label: `data hub NAME { … }`");
                        }
                        self.problems.push(p);
                        (&b.label, Named::Broken)
                    }
                },
                Item::Data(b) => match data::data_kind(&b.kind) {
                    Ok(k) => (&b.label, Named::Resource(crate::graph::Address::new(k, &b.label.name))),
                    Err(p) => {
                        self.problems.push(*p);
                        (&b.label, Named::Broken)
                    }
                },
            };
            if let Some(prev) = declared.insert(name.name.clone(), name.span) {
                self.problems.push(
                    Problem::error("dsl::duplicate-name", format!("`{}` is declared twice", name.name))
                        .at(name.span, "declared again here")
                        .related(prev, "first declared here")
                        .help("labels, module instance names and params share one namespace per file"),
                );
                continue;
            }
            let named = match named {
                Named::Resource(a) => Named::Resource(a.in_module(&scope.module)),
                _ if matches!(item, Item::Param(_)) => continue,
                n => n,
            };
            scope.names.insert(name.name.clone(), named);
            nodes.push(item);
        }
        scope.internal_lbs = block::internal_lbs(&nodes);
        for idx in order(&nodes, &scope, &mut self.problems) {
            if self.over_limit {
                return scope.names;
            }
            if let Item::Block(b) = nodes[idx] {
                if b.kind.name == plan::KEYWORD {
                    if let Some(p) = self.lower_plan(&scope, b) {
                        scope.plans.insert(b.label.name.clone(), p);
                    }
                    continue;
                }
            }
            if let Item::Block(Block { label, .. }) | Item::Data(Block { label, .. }) = nodes[idx] {
                self.resources += 1;
                if self.resources > MAX_RESOURCES {
                    self.limit(
                        format!("the program expands to more than {MAX_RESOURCES} resources"),
                        label.span,
                    );
                    return scope.names;
                }
            }
            match nodes[idx] {
                Item::Block(b) => self.lower_block(&scope, b),
                Item::Data(b) => self.lower_data(&scope, b),
                Item::Module(m) => {
                    let names = self.instantiate(&scope, m, path);
                    if let Some(Named::Module(slot)) = scope.names.get_mut(&m.name.name) {
                        *slot = names.map(Rc::new);
                    }
                }
                Item::Param(_) | Item::Flow(_) | Item::State(_) => {}
            }
        }
        for f in flows {
            self.lower_flow(&scope, f);
        }
        scope.names
    }

    /// Lowers one `module "PATH" as NAME { … }`; returns what the names of
    /// the instance stand for (`None`: it could not be lowered, reported).
    fn instantiate(&mut self, scope: &Scope, m: &super::ast::ModuleUse, from: &Path) -> Option<HashMap<String, Named>> {
        let path = normalize(&from.parent().unwrap_or(Path::new(".")).join(&m.path));
        let key = self.fs.canonical(&path);
        if let Some(i) = self.stack.iter().position(|p| *p == key) {
            let chain: Vec<String> = self.stack[i..]
                .iter()
                .chain([&key])
                .map(|p| {
                    p.file_name()
                        .map_or(p.display().to_string(), |n| n.to_string_lossy().into())
                })
                .collect();
            self.problems.push(
                Problem::error(
                    "dsl::include-cycle",
                    format!("module include cycle: {}", chain.join(" -> ")),
                )
                .at(m.path_span, "includes a file that is already being included")
                .help("a module cannot include itself, directly or through other modules"),
            );
            return None;
        }
        if let Err(p) = self.confined(&path, Include::Module) {
            self.problems.push(p.at(m.path_span, "included here"));
            return None;
        }
        self.instances += 1;
        if self.instances > MAX_MODULE_INSTANCES {
            let why = format!("the program expands to more than {MAX_MODULE_INSTANCES} module instances");
            self.limit(why, m.name.span);
            return None;
        }
        if self.stack.len() >= MAX_MODULE_DEPTH {
            let why = format!("modules nest deeper than {MAX_MODULE_DEPTH} levels");
            self.limit(why, m.name.span);
            return None;
        }
        let Some(file) = self.read(&path, Some(m.path_span)) else {
            return None;
        };
        let Some(params) = self.module_params(scope, &file, m) else {
            return None;
        };
        let mut module = scope.module.clone();
        module.push(m.name.name.clone());
        let inner = Scope {
            module,
            params,
            ..Scope::default()
        };
        self.stack.push(key);
        let names = self.lower_scope(&file, inner, &path);
        self.stack.pop();
        Some(names)
    }
}

impl Loader<'_> {
    /// Reports that the program is too large, once, and stops lowering.
    fn limit(&mut self, why: String, at: Span) {
        if !self.over_limit {
            self.over_limit = true;
            self.problems.push(
                Problem::error("dsl::too-large", why)
                    .at(at, "the limit is reached here")
                    .help("a module that uses another more than once multiplies: check the module uses for one that repeats (or recurses through others)"),
            );
        }
    }
}

/// Dependency order of the nodes (declaration order among independents);
/// a cycle is reported and its nodes (and what depends on them) are skipped.
fn order(nodes: &[&Item], scope: &Scope, problems: &mut Vec<Problem>) -> Vec<usize> {
    let index: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| match n {
            Item::Block(b) | Item::Data(b) => (b.label.name.as_str(), i),
            Item::Module(m) => (m.name.name.as_str(), i),
            Item::Param(p) => (p.name.name.as_str(), i),
            Item::Flow(f) => (f.name.as_str(), i),
            Item::State(_) => ("state", i),
        })
        .collect();
    let mut deps: Vec<Vec<(usize, Span)>> = vec![Vec::new(); nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        let attrs = match n {
            Item::Block(b) | Item::Data(b) => &b.attrs,
            Item::Module(m) => &m.args,
            Item::Param(_) | Item::Flow(_) | Item::State(_) => continue,
        };
        for a in attrs {
            for_each_ref(&a.value, &mut |id| {
                if !scope.params.contains_key(&id.name) {
                    if let Some(&j) = index.get(id.name.as_str()) {
                        if !deps[i].iter().any(|(k, _)| *k == j) {
                            deps[i].push((j, id.span));
                        }
                    }
                }
            });
        }
    }
    let mut indegree: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, ds) in deps.iter().enumerate() {
        for (j, _) in ds {
            dependents[*j].push(i);
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> = (0..nodes.len()).filter(|&i| indegree[i] == 0).map(Reverse).collect();
    let mut out = Vec::with_capacity(nodes.len());
    while let Some(Reverse(i)) = ready.pop() {
        out.push(i);
        for &d in &dependents[i] {
            indegree[d] -= 1;
            if indegree[d] == 0 {
                ready.push(Reverse(d));
            }
        }
    }
    if out.len() < nodes.len() {
        problems.push(cycle_problem(nodes, &deps, &indegree, scope));
    }
    out
}

fn cycle_problem(nodes: &[&Item], deps: &[Vec<(usize, Span)>], indegree: &[usize], scope: &Scope) -> Problem {
    let stuck = |i: usize| indegree[i] > 0;
    let start = (0..nodes.len()).find(|&i| stuck(i)).expect("some node is stuck");
    let mut path = vec![(start, None::<Span>)];
    let mut seen: HashMap<usize, usize> = HashMap::from([(start, 0)]);
    let mut cur = start;
    let cycle = loop {
        let Some(&(next, span)) = deps[cur].iter().find(|(j, _)| stuck(*j)) else {
            break path;
        };
        path.last_mut().expect("path is not empty").1 = Some(span);
        if let Some(&k) = seen.get(&next) {
            let mut c = path[k..].to_vec();
            c.push((next, None));
            break c;
        }
        seen.insert(next, path.len());
        path.push((next, None));
        cur = next;
    };
    let name = |i: usize| match nodes[i] {
        Item::Block(b) | Item::Data(b) => match scope.names.get(&b.label.name) {
            Some(Named::Resource(a)) => a.to_string(),
            _ => b.label.name.clone(),
        },
        Item::Module(m) => format!("module.{}", m.name.name),
        Item::Param(p) => p.name.name.clone(),
        Item::Flow(f) => f.name.clone(),
        Item::State(_) => "state".to_string(),
    };
    let names: Vec<String> = cycle.iter().map(|(i, _)| name(*i)).collect();
    let mut p = Problem::error(
        "dsl::dependency-cycle",
        format!("dependency cycle: {}", names.join(" -> ")),
    )
    .help("break the cycle: one of these references must not point back");
    for (k, (i, span)) in cycle.iter().enumerate() {
        let Some(span) = span else { continue };
        let target = cycle.get(k + 1).map_or_else(String::new, |(j, _)| name(*j));
        if k == 0 {
            p = p.at(*span, format!("{} refers to {target}", name(*i)));
        } else {
            p = p.related(*span, format!("{} refers to {target}", name(*i)));
        }
    }
    p
}

/// Removes `.` components and folds `x/..`, without touching the disk.
pub(crate) fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}
