//! Output formats of a resource graph: graph JSON (every attribute, stable
//! order, diffable), Kubernetes manifests (YAML), and a picture of the
//! topology (DOT, laid out as SVG or PNG by Graphviz).

use crate::graph::{manifests, Graph, Kind};
use serde_json::{json, Value as J};
use std::fmt::Write;

pub mod docs;
pub mod topology;

/// Every resource with all its attributes (computed ones filled where known,
/// unknown ones as `"(known after apply)"`), sorted by address.
pub fn graph_json(graph: &Graph) -> String {
    let resources: Vec<J> = graph
        .sorted()
        .into_iter()
        .map(|r| {
            let attrs: serde_json::Map<String, J> = r.attrs.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
            let mut j = json!({
                "address": r.address.to_string(),
                "kind": r.kind().keyword(),
                "terraform_type": r.kind().terraform_type(),
                "depends_on": r.depends_on.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
                "attributes": attrs,
            });
            // A looked-up object (`data hub …`): read, never created.
            if graph.is_lookup(&r.address) {
                j["lookup"] = J::Bool(true);
            }
            j
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&json!({ "format_version": "1", "resources": resources }))
        .expect("JSON values always serialize");
    s.push('\n');
    s
}

/// The Kubernetes objects of every resource, as one YAML stream. Each
/// document is preceded by a comment naming the resource it comes from.
pub fn k8s_yaml(graph: &Graph) -> String {
    k8s_stream(graph.sorted())
}

/// The Kubernetes objects of each cluster as its own stream, in the graph's
/// order: `(cluster, YAML)`, the cluster named by its network's `name`
/// (objects whose cluster is not in the graph are under `unknown-cluster`).
/// Two clusters' `default/orders-api` never share a stream.
pub fn k8s_streams(graph: &Graph) -> Vec<(String, String)> {
    let mut names: Vec<(String, String)> = Vec::new();
    for r in graph.iter().filter(|r| r.kind() == Kind::ClusterNetwork) {
        if let Some(id) = r.id() {
            let name = r.get("name").as_str().unwrap_or(&r.address.name).to_string();
            names.push((id.to_ascii_lowercase(), name));
        }
    }
    let mut groups: Vec<(String, Vec<&crate::graph::Resource>)> = Vec::new();
    for r in graph.sorted() {
        if !matches!(r.kind(), Kind::DnsUpstream | Kind::ExternalService | Kind::LbService) {
            continue;
        }
        let cluster = r
            .get("cluster_network_id")
            .as_str()
            .and_then(|id| names.iter().find(|(i, _)| *i == id.to_ascii_lowercase()))
            .map_or_else(|| "unknown-cluster".to_string(), |(_, n)| n.clone());
        match groups.iter_mut().find(|(c, _)| *c == cluster) {
            Some((_, rs)) => rs.push(r),
            None => groups.push((cluster, vec![r])),
        }
    }
    groups.into_iter().map(|(c, rs)| (c, k8s_stream(rs))).collect()
}

/// The objects of `resources` as one stream, preceded by the Namespace
/// objects of the namespaces they use that a cluster does not start with.
fn k8s_stream<'a>(resources: impl IntoIterator<Item = &'a crate::graph::Resource>) -> String {
    let resources: Vec<&crate::graph::Resource> = resources.into_iter().collect();
    let mut out = String::new();
    let mut namespaces: Vec<&str> = Vec::new();
    for r in &resources {
        let Some(ns) = r.get("namespace").as_str().filter(|ns| !namespaces.contains(ns)) else {
            continue;
        };
        namespaces.push(ns);
        if let Some(o) = manifests::namespace_object(ns) {
            if !out.is_empty() {
                out.push_str("---\n");
            }
            let _ = writeln!(out, "# namespace of {}", r.address);
            out.push_str(&manifests::to_yaml(&[o]));
        }
    }
    for r in resources {
        let Some(objs) = manifests::objects(r) else {
            let _ = writeln!(out, "# {}: not rendered, an input is known only after apply", r.address);
            continue;
        };
        for o in objs {
            if !out.is_empty() {
                out.push_str("---\n");
            }
            let _ = writeln!(out, "# {}", r.address);
            out.push_str(&manifests::to_yaml(&[o]));
        }
    }
    out
}

/// The topology picture of every resource as Graphviz DOT ([`topology`]).
pub fn dot(graph: &Graph) -> String {
    topology::dot(&topology::whole(graph))
}
