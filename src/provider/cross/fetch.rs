//! What the backend holds that a plan-time check needs and the plan does
//! not: the objects a planned resource references, and the other spokes of
//! a hub it peers with. The only backend calls of the cross-resource
//! checks; what cannot be read is left out (the fabric checks again at
//! apply and refuses).

use super::super::plan_store::Snapshot;
use crate::backend::{Backend, OpCtx, PeeringView};
use crate::graph::{Attrs, Kind, Value};

/// Objects read from the backend, to fill in what the plan lacks.
#[derive(Debug, Default)]
pub struct Fallback {
    /// Referenced objects not in the plan.
    pub objects: Vec<(Kind, Attrs)>,
    /// The peerings of hubs the planned resource peers with, by hub ID.
    pub spokes: Vec<(String, PeeringView)>,
}

/// The references of a kind that name other objects, with their kind.
pub fn references(kind: Kind) -> &'static [(&'static str, Kind)] {
    match kind {
        Kind::Peering => &[("cluster_network_id", Kind::ClusterNetwork), ("hub_id", Kind::Hub)],
        Kind::DnsUpstream | Kind::ExternalService | Kind::LbService | Kind::NetworkSecurityGroup | Kind::RouteTable => {
            &[("cluster_network_id", Kind::ClusterNetwork)]
        }
        Kind::Onprem | Kind::Hub | Kind::ClusterNetwork => &[],
    }
}

/// Reads what `planned` (of `kind`) references and `known` lacks.
pub async fn fetch(kind: Kind, planned: &Attrs, known: &Snapshot, b: &dyn Backend, cx: &OpCtx) -> Fallback {
    let mut out = Fallback::default();
    for (attr, ref_kind) in references(kind) {
        let Some(id) = planned.get(*attr).and_then(Value::as_str) else {
            continue;
        };
        if known.contains_key(id) {
            continue;
        }
        // What the fabric observes; sizing inputs of objects outside this
        // plan are unknown to it, and the rules skip what is null.
        if let Ok(Some(o)) = b.read(cx, *ref_kind, id, None).await {
            out.objects.push((*ref_kind, o.attrs));
        }
    }
    if kind == Kind::Peering {
        if let Some(hub) = planned.get("hub_id").and_then(Value::as_str) {
            if let Ok(views) = b.peerings_of(cx, hub).await {
                out.spokes = views.into_iter().map(|v| (hub.to_string(), v)).collect();
            }
        }
    }
    out
}
