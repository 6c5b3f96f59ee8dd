//! apply → no changes → update in place → replace → destroy, on the local
//! fabric, through the engine.

use hybridk8s::backend::local::{dump_is_empty, LocalFabric, StackLock};
use hybridk8s::backend::Backend;
use hybridk8s::engine::{self, sample, Action, ApplyOptions, ApplyReport, Plan};
use hybridk8s::graph::{self, Address, Graph, Kind, Value};
use std::sync::Arc;
use std::time::Duration;

fn addr(s: &str) -> Address {
    s.parse().unwrap()
}

async fn plan(g: &Graph, lock: &StackLock, b: &Arc<dyn Backend>) -> Plan {
    engine::plan(g, &lock.state().await.unwrap(), b.clone()).await.unwrap()
}

async fn apply(p: &Plan, lock: &StackLock, b: &Arc<dyn Backend>) -> ApplyReport {
    let r = engine::apply(p, b.clone(), lock, &ApplyOptions::default())
        .await
        .unwrap();
    assert!(r.is_success(), "{:#?}", r.failures().collect::<Vec<_>>());
    r
}

fn set(g: &mut Graph, a: &str, attr: &str, v: Value) {
    let r = g.get_mut(&addr(a)).unwrap();
    r.attrs.insert(attr.into(), v);
}

/// Re-completes a resource after a configuration edit (what a front end does).
fn recomplete(g: &mut Graph, a: &str, edits: &[(&str, Value)]) {
    let r = g.get_mut(&addr(a)).unwrap();
    let schema = graph::kinds::schema(r.kind());
    let mut config: graph::Attrs = r
        .attrs
        .iter()
        .filter(|(k, _)| {
            schema
                .attribute(k)
                .is_none_or(|at| at.presence != graph::Presence::Computed)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // Derived optional+computed values follow their inputs again.
    for k in ["node_subnet_cidr", "manifest"] {
        config.remove(k);
    }
    for (k, v) in edits {
        config.insert(k.to_string(), v.clone());
    }
    let (attrs, _) = graph::kinds::complete(&r.address, config, &graph::Ctx::default());
    r.attrs = attrs;
}

/// The `resource_guid` the fabric reports for the cluster network.
async fn fabric_guid(b: &Arc<dyn Backend>, g: &Graph) -> Value {
    let id = g.get(&addr("cluster_network.aks")).unwrap().id().unwrap().to_string();
    let live = b
        .read(&hybridk8s::backend::OpCtx::new("test"), Kind::ClusterNetwork, &id, None)
        .await
        .unwrap()
        .unwrap()
        .attrs;
    assert!(
        live["resource_guid"].as_str().is_some_and(|s| s.len() == 36),
        "{live:?}"
    );
    live["resource_guid"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_replan_update_replace_destroy() {
    let dir = tempfile::tempdir().unwrap();
    let fabric = LocalFabric::open(dir.path().join("fabric.db")).unwrap();
    let b: Arc<dyn Backend> = Arc::new(fabric.clone());
    let lock = fabric.lock_stack("dev", Duration::from_secs(5)).await.unwrap();
    let mut g = sample::topology("dev", "10.40.0.0/16");
    let diags = graph::check(&g);
    assert!(!diags.has_errors(), "{diags:#?}");

    // Apply from nothing.
    let p = plan(&g, &lock, &b).await;
    assert_eq!(p.summary().create, 7, "{:#?}", p.to_json());
    let peering_plan = p.get(&addr("peering.aks_hub")).unwrap();
    let state_change = peering_plan.changes.iter().find(|c| c.attribute == "peering_state");
    assert!(state_change.is_none(), "known-after-apply values are not changes");
    apply(&p, &lock, &b).await;
    let d = fabric.dump().await.unwrap();
    let peerings = d["peerings"].as_array().unwrap();
    assert_eq!(peerings.len(), 2);
    for side in peerings {
        assert_eq!(side["peering_state"], "Connected");
        assert_eq!(side["peering_sync_level"], "FullyInSync");
    }
    assert_eq!(d["vnets"].as_array().unwrap().len(), 2);
    assert_eq!(d["kubernetes_objects"].as_array().unwrap().len(), 4, "{d:#}");
    let state = lock.state().await.unwrap();
    assert_eq!(state.serial, 1);
    assert_eq!(state.resources.len(), 7);
    let pstate = &state.resources[&addr("peering.aks_hub")];
    assert_eq!(pstate.attrs["peering_state"], Value::str("Connected"));
    assert!(pstate.pending.is_none());

    // Nothing changed: an empty plan.
    let p = plan(&g, &lock, &b).await;
    assert!(!p.has_changes(), "{:#}", p.to_json());
    assert!(
        p.resources.iter().all(|r| !r.refresh_state),
        "state matches the fabric after apply"
    );

    // In-place updates: endpoints of a Service, max_nodes of the cluster.
    recomplete(
        &mut g,
        "external_service.random_api",
        &[("endpoints", Value::list_of_str(["10.1.8.5"]))],
    );
    recomplete(&mut g, "cluster_network.aks", &[("max_nodes", Value::Number(12))]);
    let p = plan(&g, &lock, &b).await;
    let s = p.summary();
    assert_eq!(
        (s.update, s.replace, s.create, s.delete),
        (2, 0, 0, 0),
        "{:#}",
        p.to_json()
    );
    let es = p.get(&addr("external_service.random_api")).unwrap();
    let ch = es.changes.iter().find(|c| c.attribute == "endpoints").unwrap();
    assert_eq!(ch.old, Value::list_of_str(["10.1.8.4"]));
    assert!(!ch.requires_replace);
    apply(&p, &lock, &b).await;
    let d = fabric.dump().await.unwrap();
    assert!(d.to_string().contains("10.1.8.5"));
    assert!(!plan(&g, &lock, &b).await.has_changes());

    // A location change needs a new VNET: the cluster network is replaced,
    // and with it everything that depends on it.
    recomplete(
        &mut g,
        "cluster_network.aks",
        &[("location", Value::str("northeurope"))],
    );
    let guid = fabric_guid(&b, &g).await;
    let p = plan(&g, &lock, &b).await;
    let c = p.get(&addr("cluster_network.aks")).unwrap();
    assert_eq!(c.action, Action::Replace);
    assert_eq!(c.reasons[0], "requires replace: location changed");
    for a in [
        "peering.aks_hub",
        "dns_upstream.aks_dns",
        "lb_service.nginx",
        "external_service.random_api",
    ] {
        let r = p.get(&addr(a)).unwrap();
        assert_eq!(r.action, Action::Replace, "{a}");
        assert!(r.reasons[0].contains("cluster_network.aks"), "{:?}", r.reasons);
    }
    assert_eq!(p.get(&addr("hub.hub")).unwrap().action, Action::NoOp);
    let json = p.to_json();
    assert_eq!(json["summary"]["replace"], 5);
    apply(&p, &lock, &b).await;
    let d = fabric.dump().await.unwrap();
    assert!(d.to_string().contains("northeurope"), "{d:#}");
    assert_ne!(fabric_guid(&b, &g).await, guid, "a new VNET has a new resource_guid");
    assert_eq!(d["kubernetes_objects"].as_array().unwrap().len(), 4, "{d:#}");
    assert!(!plan(&g, &lock, &b).await.has_changes());

    // A hub address-space change is in place, and the peering is synced.
    recomplete(
        &mut g,
        "hub.hub",
        &[("address_space", Value::list_of_str(["10.20.0.0/21"]))],
    );
    let p = plan(&g, &lock, &b).await;
    assert_eq!(
        p.get(&addr("hub.hub")).unwrap().action,
        Action::Update,
        "{:#}",
        p.to_json()
    );
    let peering = p.get(&addr("peering.aks_hub")).unwrap();
    assert_eq!(peering.action, Action::Update, "{:#}", p.to_json());
    assert!(peering.reasons[0].contains("must be synced"), "{:?}", peering.reasons);
    apply(&p, &lock, &b).await;
    let d = fabric.dump().await.unwrap();
    assert!(d["peerings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["peering_sync_level"] == "FullyInSync"));
    assert!(!plan(&g, &lock, &b).await.has_changes());

    // Destroy leaves nothing.
    let p = engine::destroy_plan(&lock.state().await.unwrap(), b.clone())
        .await
        .unwrap();
    assert_eq!(p.summary().delete, 7);
    apply(&p, &lock, &b).await;
    let d = fabric.dump().await.unwrap();
    assert!(dump_is_empty(&d), "{d:#}");
    assert!(lock.state().await.unwrap().resources.is_empty());
    lock.release().await.unwrap();
    let _ = set;
    let _ = Kind::Hub;
}
