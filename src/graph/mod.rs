//! The resource graph both front doors compile to: typed resources with
//! three-valued attributes, one schema per kind, dependency order, and the
//! hybrid-network rules. Knows no parser, protocol or backend.

pub mod address;
pub mod address_plan;
pub mod catalogue;
pub mod diag;
pub mod flow;
pub mod kinds;
pub mod lookup;
pub mod manifests;
pub mod net;
pub mod packet;
pub mod regions;
pub mod rules;
pub mod schema;
pub mod sizing;
pub mod value;

pub use address::{Address, Kind};
pub use diag::{Diagnostic, Diagnostics, Severity};
pub use schema::{Attribute, Attrs, Block, Presence, Schema};
pub use value::{AttrPath, PathStep, Type, Value};

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Where resources live: the values IDs are built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ctx {
    pub subscription_id: String,
}

/// The subscription of the embedded fabric.
pub const LOCAL_SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000000";

impl Default for Ctx {
    fn default() -> Self {
        Ctx {
            subscription_id: LOCAL_SUBSCRIPTION.to_string(),
        }
    }
}

/// One resource: its address, every attribute of its schema, and what it
/// depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub address: Address,
    pub attrs: Attrs,
    pub depends_on: BTreeSet<Address>,
}

impl Resource {
    pub fn new(address: Address, attrs: Attrs) -> Self {
        Resource {
            address,
            attrs,
            depends_on: BTreeSet::new(),
        }
    }

    pub fn kind(&self) -> Kind {
        self.address.kind
    }

    /// An attribute's value (null when absent).
    pub fn get(&self, name: &str) -> &Value {
        static NULL: Value = Value::Null;
        self.attrs.get(name).unwrap_or(&NULL)
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name).as_str()
    }

    pub fn int(&self, name: &str) -> Option<i64> {
        self.get(name).as_i64()
    }

    pub fn bool(&self, name: &str) -> Option<bool> {
        self.get(name).as_bool()
    }

    /// The resource's ID, when known.
    pub fn id(&self) -> Option<&str> {
        self.str("id")
    }
}

/// A set of resources with unique addresses.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    resources: Vec<Resource>,
    by_address: HashMap<Address, usize>,
    /// The resources that are looked up, not declared ([`lookup`]).
    lookups: BTreeMap<Address, lookup::Resolution>,
}

impl Graph {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a resource; a duplicate address is an error naming both.
    pub fn add(&mut self, r: Resource) -> Result<(), Box<Diagnostic>> {
        if self.by_address.contains_key(&r.address) {
            return Err(Box::new(
                Diagnostic::error("duplicate-address", format!("{} is declared twice", r.address))
                    .at(&r.address, AttrPath::root())
                    .hint("give each resource a distinct name"),
            ));
        }
        self.by_address.insert(r.address.clone(), self.resources.len());
        self.resources.push(r);
        Ok(())
    }

    pub fn get(&self, a: &Address) -> Option<&Resource> {
        self.by_address.get(a).map(|&i| &self.resources[i])
    }

    pub fn get_mut(&mut self, a: &Address) -> Option<&mut Resource> {
        self.by_address.get(a).map(|&i| &mut self.resources[i])
    }

    pub fn iter(&self) -> impl Iterator<Item = &Resource> {
        self.resources.iter()
    }

    pub fn len(&self) -> usize {
        self.resources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &Resource> {
        self.resources.iter().filter(move |r| r.kind() == kind)
    }

    /// Resources sorted by address (the order of every listing).
    pub fn sorted(&self) -> Vec<&Resource> {
        let mut v: Vec<&Resource> = self.resources.iter().collect();
        v.sort_by(|a, b| a.address.cmp(&b.address));
        v
    }

    /// Resources by ID, for resolving `*_id` references.
    pub fn id_index(&self) -> HashMap<&str, &Resource> {
        self.resources.iter().filter_map(|r| r.id().map(|id| (id, r))).collect()
    }

    /// Dependency order (dependencies first; ties by address). A cycle is a
    /// diagnostic naming every resource on it.
    pub fn order(&self) -> Result<Vec<&Address>, Box<Diagnostic>> {
        let mut indegree: BTreeMap<&Address, usize> = BTreeMap::new();
        let mut dependents: HashMap<&Address, Vec<&Address>> = HashMap::new();
        for r in &self.resources {
            indegree.entry(&r.address).or_insert(0);
            for d in &r.depends_on {
                if self.by_address.contains_key(d) {
                    *indegree.entry(&r.address).or_insert(0) += 1;
                    dependents.entry(d).or_default().push(&r.address);
                }
            }
        }
        let mut ready: BTreeSet<&Address> = indegree.iter().filter(|(_, &n)| n == 0).map(|(a, _)| *a).collect();
        let mut out = Vec::with_capacity(self.resources.len());
        while let Some(a) = ready.pop_first() {
            out.push(a);
            for d in dependents.get(a).map(Vec::as_slice).unwrap_or(&[]) {
                let n = indegree.get_mut(d).expect("every dependent has an indegree");
                *n -= 1;
                if *n == 0 {
                    ready.insert(d);
                }
            }
        }
        if out.len() == self.resources.len() {
            return Ok(out);
        }
        let stuck: BTreeSet<&Address> = indegree.iter().filter(|(_, &n)| n > 0).map(|(a, _)| *a).collect();
        let cycle = self.find_cycle(&stuck);
        let names: Vec<String> = cycle.iter().map(|a| a.to_string()).collect();
        let first = cycle
            .first()
            .copied()
            .unwrap_or_else(|| stuck.iter().next().copied().expect("stuck is not empty"));
        Err(Box::new(
            Diagnostic::error("dependency-cycle", format!("dependency cycle: {}", names.join(" -> ")))
                .at(first, AttrPath::root())
                .hint("break the cycle: one of these references must not point back"),
        ))
    }

    /// Walks depends_on edges inside `stuck` until a node repeats.
    fn find_cycle<'a>(&'a self, stuck: &BTreeSet<&'a Address>) -> Vec<&'a Address> {
        let Some(&start) = stuck.iter().next() else {
            return Vec::new();
        };
        let mut path: Vec<&Address> = vec![start];
        let mut seen: HashMap<&Address, usize> = HashMap::from([(start, 0)]);
        let mut cur = start;
        loop {
            let next = self
                .get(cur)
                .and_then(|r| r.depends_on.iter().find(|d| stuck.contains(d)));
            let Some(next) = next else { return path };
            if let Some(&i) = seen.get(next) {
                let mut cycle = path[i..].to_vec();
                cycle.push(next);
                return cycle;
            }
            seen.insert(next, path.len());
            path.push(next);
            cur = next;
        }
    }
}

/// Runs every rule: schema shape, per-kind rules, cross-resource rules and
/// dependency order. Diagnostics come back sorted.
pub fn check(graph: &Graph) -> Diagnostics {
    let mut diags = Diagnostics::default();
    // A looked-up object is what the fabric holds: only the rules across
    // resources (and its names) concern it.
    for r in graph.iter().filter(|r| !graph.is_lookup(&r.address)) {
        diags.extend(kinds::def(r.kind()).validate(r));
    }
    if let Err(d) = graph.order() {
        diags.push(*d);
    }
    diags.extend(rules::check_graph(graph));
    diags.sort();
    diags
}
