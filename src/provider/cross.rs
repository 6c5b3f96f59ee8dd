//! Cross-resource rules at plan time. Terraform plans one resource at a
//! time; every planned object (and every data source read) goes into the
//! plan store, and the rules of `graph::rules` run over a graph of the
//! plan as planned so far, completed by what the backend holds
//! ([`fetch`]): the plan's objects override the fabric's, objects planned
//! for destroy are left out.
//!
//! Of the errors found, those about the planned resource are reported on
//! it; an error about an object planned earlier that only this resource
//! brings about (it is not there without it) is reported on this one, which
//! comes later — so of two conflicting resources, whichever is planned
//! second fails. Errors whose rule needs more than the graph holds
//! (`rules::holds_on_part`: reachability before any peering of the
//! cluster is known) wait for the resource that completes the picture.

mod fetch;
mod scope;

use super::plan_store::{Entry, PlanStore, Snapshot};
use crate::backend::{Backend, OpCtx};
use crate::graph::diag::{Diagnostic, Diagnostics, Related};
use crate::graph::rules::{check_graph, holds_on_part};
use crate::graph::value::AttrPath;
use crate::graph::{Address, Attrs, Graph, Kind, Resource, Value};
use fetch::Fallback;
use std::collections::HashSet;
use std::sync::Arc;

/// Records the planned object (null: planned for destroy, `prior` names
/// it) and returns the errors the cross-resource rules find about it, with
/// attribute paths. `planned` is wholly known where the rules look (they
/// skip what is not). Without a backend only the plan is checked.
pub async fn check(
    store: &PlanStore,
    kind: Kind,
    prior: &Value,
    planned: &Value,
    backend: Option<&dyn Backend>,
    cx: &OpCtx,
) -> Vec<Diagnostic> {
    let Some(attrs) = planned.as_map() else {
        if let Some((id, prior)) = prior.as_map().and_then(|p| Some((p.get("id")?.as_str()?, p))) {
            let prior = Arc::new(prior.clone());
            store.record(id, Entry::Destroyed { kind, prior });
        }
        return vec![];
    };
    let fallback = match backend {
        Some(b) => fetch::fetch(kind, attrs, &store.snapshot(), b, cx).await,
        None => Fallback::default(),
    };
    let id = attrs.get("id").and_then(Value::as_str);
    let entry = Entry::Planned {
        kind,
        attrs: Arc::new(attrs.clone()),
    };
    let (was, snapshot) = match id {
        Some(id) => store.record_over(id, entry),
        // Nothing can refer to it yet: check it, do not record it.
        None => {
            let mut s = store.snapshot();
            s.insert(String::new(), entry);
            (None, s)
        }
    };
    let me = id.unwrap_or_default();
    let near = scope::around(&snapshot, kind, attrs);
    let errors = judge(&snapshot, &fallback, me, kind, near.as_ref());
    if let (Some(id), false) = (id, errors.is_empty()) {
        // A plan that fails is no part of the plan.
        store.withdraw(id, was);
    }
    errors
}

/// The graph of the plan as planned so far, completed by the objects
/// `refs` names that the plan lacks, as the backend holds them (a flow
/// check reads it).
pub async fn plan_graph(
    store: &PlanStore,
    refs: &[(Kind, String)],
    backend: Option<&dyn Backend>,
    cx: &OpCtx,
) -> Graph {
    let snapshot = store.snapshot();
    let mut fallback = Fallback::default();
    if let Some(b) = backend {
        for (kind, id) in refs {
            if snapshot.contains_key(id)
                || fallback
                    .objects
                    .iter()
                    .any(|(_, a)| a.get("id") == Some(&Value::str(id)))
            {
                continue;
            }
            if let Ok(Some(o)) = b.read(cx, *kind, id, None).await {
                fallback.objects.push((*kind, o.attrs));
            }
        }
        for hub in refs.iter().filter(|(k, _)| *k == Kind::Hub).map(|(_, id)| id) {
            if let Ok(views) = b.peerings_of(cx, hub).await {
                fallback.spokes.extend(views.into_iter().map(|v| (hub.clone(), v)));
            }
        }
    }
    build(&snapshot, &fallback, None, "", None).0
}

/// The errors about `me` (the key of the object just recorded) in
/// `snapshot`, and those it brings about on others; only objects `near`
/// it take part (all when `None`).
fn judge(
    snapshot: &Snapshot,
    fallback: &Fallback,
    me: &str,
    kind: Kind,
    near: Option<&HashSet<String>>,
) -> Vec<Diagnostic> {
    let (after, at) = build(snapshot, fallback, None, me, near);
    let Some(at) = at else { return vec![] };
    let (before, _) = build(snapshot, fallback, Some(me), me, near);
    let earlier = errors(&before);
    let mut out: Vec<Diagnostic> = errors(&after)
        .into_iter()
        .filter_map(|d| match &d.address {
            Some(a) if *a == at => Some(d),
            _ if earlier.contains(&d) => None,
            _ => Some(blame(d, &at, kind)),
        })
        .collect();
    let mut sorted = Diagnostics(std::mem::take(&mut out));
    sorted.sort();
    out = sorted.0;
    out.dedup();
    out
}

/// The errors of the rules over `g` that hold although `g` is part of the
/// program.
fn errors(g: &Graph) -> Vec<Diagnostic> {
    let mut d = check_graph(g);
    d.sort();
    d.0.into_iter()
        .filter(|d| d.is_error() && holds_on_part(d, g))
        .collect()
}

/// An error about an object planned earlier, reported on `at`, which brings
/// it about. The path is `at`'s attribute the error names, or the one that
/// links `at` to the trouble.
fn blame(mut d: Diagnostic, at: &Address, kind: Kind) -> Diagnostic {
    let path = d
        .related
        .iter()
        .find(|r| r.address == *at)
        .map(|r| r.path.clone())
        .unwrap_or_else(|| AttrPath::attr(link(kind, d.code)));
    if let Some(was) = d.address.take() {
        d.summary = format!("{was}: {}", d.summary);
        d.related.push(Related {
            address: was,
            path: std::mem::take(&mut d.path),
            label: "planned earlier in this plan".into(),
        });
    }
    d.at(at, path)
}

/// The attribute of a `kind` resource that brings about an error of `code`
/// on another object.
fn link(kind: Kind, code: &str) -> &'static str {
    match (kind, code) {
        (Kind::Peering, "spoke-overlap" | "second-remote-gateway" | "duplicate-peering") => "cluster_network_id",
        (Kind::Peering, "onprem-unreachable" | "endpoint-unreachable" | "nameserver-unreachable") => {
            "use_remote_gateways"
        }
        (Kind::Peering, _) => "hub_id",
        (Kind::Onprem, _) => "address_space",
        (Kind::ClusterNetwork, "internal-lb-not-sized") => "internal_lb_ips",
        (Kind::ClusterNetwork | Kind::Hub, _) => "address_space",
        (
            Kind::NetworkSecurityGroup | Kind::RouteTable,
            "subnet-already-attached" | "kubenet-subnet-without-route-table",
        ) => "subnet_name",
        (Kind::NetworkSecurityGroup, _) => "rule",
        (Kind::RouteTable, _) => "route",
        (Kind::DnsUpstream | Kind::ExternalService | Kind::LbService, _) => "cluster_network_id",
    }
}

/// The graph of the plan's live objects (without `skip`), the fallback
/// objects the plan does not name, and the hub spokes of the fabric that no
/// planned peering stands for; with the address of `me` in it.
fn build(
    snapshot: &Snapshot,
    fallback: &Fallback,
    skip: Option<&str>,
    me: &str,
    near: Option<&HashSet<String>>,
) -> (Graph, Option<Address>) {
    let mut g = Graph::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut at = None;
    let add = |g: &mut Graph, seen: &mut HashSet<String>, kind: Kind, id: &str, attrs: &Attrs| -> Option<Address> {
        if !seen.insert(id.to_lowercase()) {
            return None;
        }
        let name = attrs.get("name").and_then(Value::as_str).unwrap_or(id);
        let mut address = Address::new(kind, name);
        if g.get(&address).is_some() {
            address = Address::new(kind, id);
        }
        g.add(Resource::new(address.clone(), attrs.clone())).ok()?;
        Some(address)
    };
    for (id, e) in snapshot {
        let wanted = id == me || near.is_none_or(|n| n.contains(&id.to_lowercase()));
        if let (Some(attrs), false, true) = (e.live(), skip == Some(id.as_str()), wanted) {
            let a = add(&mut g, &mut seen, e.kind(), id, attrs);
            if id == me {
                at = a;
            }
        } else {
            seen.insert(id.to_lowercase());
        }
    }
    for (kind, attrs) in &fallback.objects {
        if let Some(id) = attrs.get("id").and_then(Value::as_str) {
            add(&mut g, &mut seen, *kind, id, attrs);
        }
    }
    // Pairs (cluster, hub) some planned peering stands for, live or not.
    let pair = |a: &Attrs| {
        let s = |k: &str| a.get(k).and_then(Value::as_str).map(str::to_lowercase);
        s("cluster_network_id").zip(s("hub_id"))
    };
    let planned: HashSet<(String, String)> = snapshot
        .values()
        .filter(|e| e.kind() == Kind::Peering)
        .filter_map(|e| pair(e.attrs()))
        .collect();
    for (hub, v) in &fallback.spokes {
        let remote = v.remote_vnet_id.to_lowercase();
        if planned.contains(&(remote.clone(), hub.to_lowercase())) {
            continue;
        }
        if snapshot
            .iter()
            .any(|(id, e)| e.live().is_none() && id.to_lowercase() == remote)
        {
            continue; // the spoke is planned for destroy
        }
        let name = v.remote_vnet_id.rsplit('/').next().unwrap_or_default();
        let cluster = Attrs::from([
            ("id".to_string(), Value::str(&v.remote_vnet_id)),
            ("name".to_string(), Value::str(name)),
            (
                "address_space".to_string(),
                Value::list_of_str(v.remote_address_space.iter().map(String::as_str)),
            ),
        ]);
        add(&mut g, &mut seen, Kind::ClusterNetwork, &v.remote_vnet_id, &cluster);
        let id = format!("{hub}/virtualNetworkPeerings/{}", v.name);
        let peering = Attrs::from([
            ("id".to_string(), Value::str(&id)),
            ("name".to_string(), Value::str(&v.name)),
            ("cluster_network_id".to_string(), Value::str(&v.remote_vnet_id)),
            ("hub_id".to_string(), Value::str(hub)),
        ]);
        add(&mut g, &mut seen, Kind::Peering, &id, &peering);
    }
    (g, at)
}
