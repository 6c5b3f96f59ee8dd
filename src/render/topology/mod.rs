//! A picture of the network a person wants to look at, like the figure of
//! the hybrid guide: on-premises ranges and DNS, the gateway, the hub VNET
//! with its subnets, each peering with its gateway-transit direction and
//! state, each cluster VNET with its subnets, pod and service ranges,
//! Services and DNS forwarding. Built as a model from the graph first
//! ([`Picture`]), then drawn as DOT ([`dot`]) for Graphviz to lay out.
//!
//! One picture holds every resource, or one environment: a top-level module
//! instance (`module.prod…`) with the shared networks outside modules
//! (on-premises sites, hubs) and whatever else of the root it depends on.

mod draw;
pub mod graphviz;
mod links;
mod model;
mod read;

pub use draw::dot;
pub use model::{Cluster, Group, Hub, Link, LinkKind, Peering, Picture, Row, Site};

use crate::graph::{Address, Graph, Kind};
use std::collections::BTreeSet;

/// The environments of a program: its top-level module instances, sorted.
pub fn environments(graph: &Graph) -> Vec<String> {
    let names: BTreeSet<&str> = graph
        .iter()
        .filter_map(|r| r.address.module.first().map(String::as_str))
        .collect();
    names.into_iter().map(str::to_string).collect()
}

/// The picture of every resource.
pub fn whole(graph: &Graph) -> Picture {
    model::build(graph, |_| true)
}

/// The picture of every resource (`None`) or of one environment. An
/// environment the program does not have is an error naming those it has.
pub fn picture(graph: &Graph, environment: Option<&str>) -> Result<Picture, String> {
    let Some(env) = environment else {
        return Ok(whole(graph));
    };
    let envs = environments(graph);
    if !envs.iter().any(|e| e == env) {
        return Err(if envs.is_empty() {
            format!("environment `{env}`: the program has no module instances, so its only picture is the whole program (leave out --environment)")
        } else {
            format!(
                "environment `{env}` is not a module instance of the program; its environments: {}",
                envs.join(", ")
            )
        });
    }
    let keep = in_environment(graph, env);
    Ok(model::build(graph, |a| keep.contains(a)))
}

/// The addresses of one environment: the module's resources, the shared
/// networks outside modules, and the root resources the module's depend on
/// (transitively).
fn in_environment(graph: &Graph, env: &str) -> BTreeSet<Address> {
    let mut keep: BTreeSet<Address> = BTreeSet::new();
    let mut todo: Vec<&Address> = Vec::new();
    for r in graph.iter() {
        let mine = r.address.module.first().map(String::as_str) == Some(env);
        let shared = r.address.module.is_empty() && matches!(r.kind(), Kind::Onprem | Kind::Hub);
        if mine || shared {
            keep.insert(r.address.clone());
            todo.push(&r.address);
        }
    }
    while let Some(a) = todo.pop() {
        let Some(r) = graph.get(a) else { continue };
        for d in &r.depends_on {
            if d.module.is_empty() && keep.insert(d.clone()) {
                todo.push(d);
            }
        }
    }
    keep
}

/// [`picture`] drawn as DOT.
pub fn dot_of(graph: &Graph, environment: Option<&str>) -> Result<String, String> {
    picture(graph, environment).map(|p| dot(&p))
}
