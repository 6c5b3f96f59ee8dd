//! Cross-resource rules at plan time. Terraform plans one resource at a
//! time, so the rules that need other resources (`graph::rules`) run over a
//! small graph: the planned resource plus the objects its references name,
//! as the backend reads them now. What cannot be read — an unknown or
//! absent reference, an object not created yet, a backend error — is
//! skipped silently: the fabric checks it again at apply and refuses.
//!
//! Only rules that are sound over such a partial graph are kept (see
//! [`SOUND`]): e.g. "endpoint reachable" needs every on-premises network and
//! peering, which this graph does not hold.

use crate::backend::{Backend, OpCtx};
use crate::graph::diag::Diagnostic;
use crate::graph::rules::check_graph;
use crate::graph::value::AttrPath;
use crate::graph::{Address, Attrs, Graph, Kind, Resource, Value};

/// Rule codes whose verdict holds although the graph holds only the planned
/// resource and what it references.
const SOUND: [&str; 8] = [
    "peering-overlap",
    "no-remote-gateway",
    "hub-overlap",
    "endpoint-in-service-cidr",
    "internal-lb-not-sized",
    "unknown-subnet",
    "lb-ip-outside-subnet",
    "conflicting-vnet-dns",
];

/// The references of a kind that name other objects, with their kind.
fn references(kind: Kind) -> &'static [(&'static str, Kind)] {
    match kind {
        Kind::Peering => &[("cluster_id", Kind::ClusterNetwork), ("hub_id", Kind::Hub)],
        Kind::DnsUpstream | Kind::ExternalService | Kind::LbService => &[("cluster_id", Kind::ClusterNetwork)],
        Kind::Onprem | Kind::Hub | Kind::ClusterNetwork => &[],
    }
}

/// Errors of the cross-resource rules about the planned resource at
/// `address`, with the attribute path they concern. `planned` is wholly
/// known where the rules look (they skip what is not).
pub async fn check(
    kind: Kind,
    address: &Address,
    planned: &Attrs,
    backend: &dyn Backend,
    cx: &OpCtx,
) -> Vec<Diagnostic> {
    let refs = references(kind);
    if refs.is_empty() {
        return vec![];
    }
    let mut graph = Graph::new();
    let mut read_any = false;
    for (attr, ref_kind) in refs {
        let Some(id) = planned.get(*attr).and_then(Value::as_str) else {
            continue;
        };
        let Ok(Some(crate::backend::Observed { attrs, .. })) = backend.read(cx, *ref_kind, id, None).await else {
            continue;
        };
        let name = attrs
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("referenced")
            .to_string();
        if graph.add(Resource::new(Address::new(*ref_kind, name), attrs)).is_ok() {
            read_any = true;
        }
    }
    if !read_any || graph.add(Resource::new(address.clone(), planned.clone())).is_err() {
        return vec![];
    }
    let cluster = graph.of_kind(Kind::ClusterNetwork).next().map(|c| c.address.clone());
    let mut diags = check_graph(&graph);
    diags.sort();
    let mut out: Vec<Diagnostic> = diags
        .0
        .into_iter()
        .filter(|d| d.is_error() && SOUND.contains(&d.code))
        .filter_map(|d| {
            if d.address.as_ref() == Some(address) {
                return Some(d);
            }
            // A peering brings the hub next to the cluster's other ranges:
            // report the clash on the peering, which causes it.
            let about_cluster = d.address.is_some() && d.address == cluster;
            (kind == Kind::Peering && about_cluster && d.code == "hub-overlap").then(|| {
                let mut d = d;
                d.address = Some(address.clone());
                d.path = AttrPath::attr("hub_id");
                d
            })
        })
        .collect();
    out.dedup();
    out
}
