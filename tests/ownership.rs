//! Ownership: no stack adopts, changes or deletes what another stack (or
//! another tool) made; sub-objects made by others survive every update and
//! destroy; a cancelled apply starts nothing new and records what is real.

use hybridk8s::backend::local::LocalFabric;
use hybridk8s::backend::{Backend, BackendError, OpCtx, Owner, VirtualNetworkId};
use hybridk8s::engine::state::{Pending, StateEntry, StateSink};
use hybridk8s::engine::{self, sample, Action, ApplyOptions, EngineError, Outcome};
use hybridk8s::graph::{Address, Graph, Kind, Resource, Value};

use hybridk8s::realize;
use std::sync::Arc;
use std::time::Duration;

const LOCK: Duration = Duration::from_secs(5);

fn fabric() -> (tempfile::TempDir, LocalFabric) {
    let dir = tempfile::tempdir().unwrap();
    let f = LocalFabric::open(dir.path().join("fabric.db")).unwrap();
    (dir, f)
}

fn graph(rs: &[&Resource]) -> Graph {
    sample::graph(rs.iter().map(|r| (*r).clone()))
}

/// Plans and applies `g` as `stack`; the report must succeed.
async fn apply(f: &LocalFabric, stack: &str, g: &Graph) {
    let lock = f.lock_stack(stack, LOCK).await.unwrap();
    let b: Arc<dyn Backend> = Arc::new(f.clone());
    let plan = engine::plan(g, &lock.state().await.unwrap(), b.clone()).await.unwrap();
    let report = engine::apply(&plan, b, &lock, &ApplyOptions::default()).await.unwrap();
    assert!(report.is_success(), "{report:?}");
    lock.release().await.unwrap();
}

async fn destroy(f: &LocalFabric, stack: &str) -> engine::ApplyReport {
    let lock = f.lock_stack(stack, LOCK).await.unwrap();
    let b: Arc<dyn Backend> = Arc::new(f.clone());
    let plan = engine::destroy_plan(&lock.state().await.unwrap(), b.clone())
        .await
        .unwrap();
    let report = engine::apply(&plan, b, &lock, &ApplyOptions::default()).await.unwrap();
    lock.release().await.unwrap();
    report
}

async fn owner(f: &LocalFabric, kind: Kind, id: &str) -> Option<Owner> {
    f.read(&OpCtx::new("reader"), kind, id, None)
        .await
        .unwrap()
        .map(|o| o.owner)
}

#[tokio::test]
async fn two_stacks_one_vnet_the_second_is_refused_at_plan_and_destroys_nothing() {
    let (_d, f) = fabric();
    let hub = sample::hub("hub", "net-rg", "10.20.0.0/22", "vpn");
    let id = hub.id().unwrap().to_string();
    apply(&f, "a", &graph(&[&hub])).await;
    assert_eq!(owner(&f, Kind::Hub, &id).await, Some(Owner::Stack("a".into())));

    // Stack b declares the same VNET: the plan is refused, naming the owner.
    let lock = f.lock_stack("b", LOCK).await.unwrap();
    let b: Arc<dyn Backend> = Arc::new(f.clone());
    let err = engine::plan(&graph(&[&hub]), &lock.state().await.unwrap(), b.clone())
        .await
        .unwrap_err();
    let EngineError::Conflicts(c) = &err else {
        panic!("{err}")
    };
    assert_eq!(c.len(), 1, "{err}");
    assert!(
        c[0].1.contains("owned by stack \"a\"") && c[0].1.contains("import"),
        "{err}"
    );
    assert!(lock.state().await.unwrap().resources.is_empty());
    lock.release().await.unwrap();

    // A crash of an earlier version left b a pending create at a's ID (the
    // old adoption path): b's plan still refuses, and b's destroy only
    // forgets the entry.
    let lock = f.lock_stack("b", LOCK).await.unwrap();
    let state = lock.state().await.unwrap();
    lock.begin_apply(state.serial).await.unwrap();
    let entry = StateEntry {
        kind: Kind::Hub,
        id: Some(id.clone()),
        attrs: hub.attrs.clone(),
        depends_on: Default::default(),
        pending: Some(Pending::Create),
    };
    lock.put(&hub.address, &entry).await.unwrap();
    let err = engine::plan(&graph(&[&hub]), &lock.state().await.unwrap(), b.clone())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("owned by stack \"a\""), "{err}");
    lock.release().await.unwrap();
    let report = destroy(&f, "b").await;
    assert!(report.is_success(), "{report:?}");
    assert!(f.stack_state("b").await.unwrap().resources.is_empty());
    assert_eq!(
        owner(&f, Kind::Hub, &id).await,
        Some(Owner::Stack("a".into())),
        "a's VNET survives"
    );
}

#[tokio::test]
async fn a_create_refused_at_apply_records_nothing() {
    let (_d, f) = fabric();
    let hub = sample::hub("hub", "net-rg", "10.20.0.0/22", "vpn");
    let g = graph(&[&hub]);
    // b plans while the name is free; a takes it before b applies.
    let lock = f.lock_stack("b", LOCK).await.unwrap();
    let b: Arc<dyn Backend> = Arc::new(f.clone());
    let plan = engine::plan(&g, &lock.state().await.unwrap(), b.clone()).await.unwrap();
    apply(&f, "a", &g).await;
    let report = engine::apply(&plan, b, &lock, &ApplyOptions::default()).await.unwrap();
    let r = report.get(&hub.address).unwrap();
    let Outcome::Failed(why) = &r.outcome else {
        panic!("{r:?}")
    };
    assert!(
        why.contains("AlreadyExists") && why.contains("owned by stack \"a\""),
        "{why}"
    );
    assert!(lock.state().await.unwrap().resources.is_empty(), "nothing adopted");
    lock.release().await.unwrap();
    assert!(destroy(&f, "b").await.resources.is_empty());
    assert_eq!(
        owner(&f, Kind::Hub, hub.id().unwrap()).await,
        Some(Owner::Stack("a".into()))
    );
}

#[tokio::test]
async fn another_stacks_object_is_neither_changed_nor_deleted_nor_imported() {
    let (_d, f) = fabric();
    let hub = sample::hub("hub", "net-rg", "10.20.0.0/22", "vpn");
    let c = sample::cluster("aks", "k8s-rg", "10.40.0.0/16");
    let svc = sample::external_service("svc", &c, "api", &["10.1.8.4"]);
    apply(&f, "a", &graph(&[&hub, &c, &svc])).await;
    let b = OpCtx::new("b");
    for r in [&hub, &c, &svc] {
        let e = f.update(&b, r.kind(), &r.attrs, &r.attrs).await.unwrap_err();
        assert!(matches!(e, BackendError::NotOwned { .. }), "{e}");
        // A delete by b leaves the object and tells b to forget it.
        let out = realize::delete(&f, &b, r.kind(), &r.attrs).await;
        assert!(out.state.is_none() && out.error.is_none(), "{out:?}");
        assert!(out.warning.unwrap().contains("owned by stack \"a\""));
        assert_eq!(
            owner(&f, r.kind(), r.id().unwrap()).await,
            Some(Owner::Stack("a".into()))
        );
        let e = f.import(&b, r.kind(), r.id().unwrap()).await.unwrap_err();
        assert!(e.to_string().contains("owned by stack \"a\""), "{e}");
    }
}

#[tokio::test]
async fn import_checks_the_objects_kind_not_only_the_ids_shape() {
    let (_d, f) = fabric();
    let hub = sample::hub("hub", "net-rg", "10.20.0.0/22", "vpn");
    let c = sample::cluster("aks", "k8s-rg", "10.40.0.0/16");
    let svc = sample::external_service("svc", &c, "api", &["10.1.8.4"]);
    let lb = sample::lb_service("lb", &c, "web", false);
    apply(&f, "a", &graph(&[&hub, &c, &svc, &lb])).await;
    let a = OpCtx::new("a");
    for (kind, id, found) in [
        (Kind::LbService, svc.id().unwrap(), "hybridk8s_external_service"),
        (Kind::ExternalService, lb.id().unwrap(), "hybridk8s_lb_service"),
        (Kind::ClusterNetwork, hub.id().unwrap(), "hybridk8s_hub_network"),
        (Kind::Hub, c.id().unwrap(), "hybridk8s_cluster_network"),
    ] {
        let e = f.import(&a, kind, id).await.unwrap_err();
        assert!(matches!(e, BackendError::WrongKind { .. }), "{e}");
        assert!(e.to_string().contains(found), "{e}");
    }
}

#[tokio::test]
async fn foreign_subnet_and_peering_on_an_imported_hub_survive_apply_and_destroy() {
    let (_d, f) = fabric();
    // A hub made by another tool, with a firewall subnet and a peering of its own.
    let hub = sample::hub("hub", "net-rg", "10.20.0.0/22", "vpn");
    let hub_id: VirtualNetworkId = hub.id().unwrap().parse().unwrap();
    f.create_unmanaged_vnet(Kind::Hub, &hub.attrs).await.unwrap();
    f.add_foreign_subnet(&hub_id, "AzureFirewallSubnet", "10.20.1.0/26")
        .await
        .unwrap();
    let other = sample::cluster("shared", "shared-rg", "10.50.0.0/16");
    f.create_unmanaged_vnet(Kind::ClusterNetwork, &other.attrs)
        .await
        .unwrap();
    let other_id: VirtualNetworkId = other.id().unwrap().parse().unwrap();
    let foreign = hybridk8s::backend::PeeringId::new(hub_id.clone(), "hub-to-shared");
    f.create_peering_side(&foreign, &other_id, true, false).await.unwrap();
    assert_eq!(owner(&f, Kind::Hub, hub.id().unwrap()).await, Some(Owner::Unmanaged));

    // The stack imports the hub, then applies a cluster peered to it and a
    // change of the hub's DNS servers.
    let lock = f.lock_stack("net", LOCK).await.unwrap();
    let cx = OpCtx::new("net");
    let attrs = realize::import(&f, &cx, Kind::Hub, hub.id().unwrap()).await.unwrap();
    assert_eq!(
        attrs["subnets"],
        Value::List(vec![]),
        "foreign subnets are not the stack's"
    );
    let state = lock.state().await.unwrap();
    lock.begin_apply(state.serial).await.unwrap();
    let entry = StateEntry {
        kind: Kind::Hub,
        id: hub.id().map(str::to_string),
        attrs,
        depends_on: Default::default(),
        pending: None,
    };
    lock.put(&hub.address, &entry).await.unwrap();
    lock.release().await.unwrap();
    let mut hub2 = hub.clone();
    hub2.attrs
        .insert("dns_servers".into(), Value::list_of_str(["10.1.0.4"]));
    let c = sample::cluster("aks", "k8s-rg", "10.40.0.0/16");
    let p = sample::peering("p", &c, &hub2, true);
    apply(&f, "net", &graph(&[&hub2, &c, &p])).await;
    let survives = |d: &serde_json::Value| {
        let hub_row = d["vnets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == "hub")
            .cloned();
        let firewall = hub_row.as_ref().is_some_and(|h| {
            h["subnets"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["name"] == "AzureFirewallSubnet")
        });
        let peering = d["peerings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "hub-to-shared");
        (firewall, peering, hub_row)
    };
    let d = f.dump().await.unwrap();
    let (fw, peer, row) = survives(&d);
    assert!(fw && peer, "{d:#}");
    assert_eq!(row.unwrap()["dns_servers"], serde_json::json!(["10.1.0.4"]));
    // The plan after it is clean: the foreign subnet is not drift.
    let lock = f.lock_stack("net", LOCK).await.unwrap();
    let b: Arc<dyn Backend> = Arc::new(f.clone());
    let plan = engine::plan(&graph(&[&hub2, &c, &p]), &lock.state().await.unwrap(), b)
        .await
        .unwrap();
    assert!(!plan.has_changes(), "{:?}", plan.changes().collect::<Vec<_>>());
    lock.release().await.unwrap();

    // Destroy: the stack's peering and cluster go; the hub cannot be deleted
    // while it holds what others made, and they stay.
    let report = destroy(&f, "net").await;
    let hub_report = report.get(&hub.address).unwrap();
    let Outcome::Failed(why) = &hub_report.outcome else {
        panic!("{hub_report:?}")
    };
    assert!(
        why.contains("AzureFirewallSubnet") || why.contains("hub-to-shared"),
        "{why}"
    );
    for a in [&c.address, &p.address] {
        assert!(report.get(a).unwrap().outcome.is_success(), "{report:?}");
    }
    let d = f.dump().await.unwrap();
    let (fw, peer, row) = survives(&d);
    assert!(fw && peer && row.is_some(), "{d:#}");
    let left: Vec<Address> = f.stack_state("net").await.unwrap().resources.into_keys().collect();
    assert_eq!(
        left,
        std::slice::from_ref(&hub.address),
        "the state still records the hub, as the fabric has it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_apply_starts_nothing_new_and_records_what_exists() {
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var(hybridk8s::backend::local::DELAY_ENV, "150");
    let f = LocalFabric::open(dir.path().join("fabric.db")).unwrap();
    std::env::remove_var(hybridk8s::backend::local::DELAY_ENV);
    let g = sample::topology("dev", "10.40.0.0/16");
    let lock = f.lock_stack("dev", LOCK).await.unwrap();
    let b: Arc<dyn Backend> = Arc::new(f.clone());
    let plan = engine::plan(&g, &lock.state().await.unwrap(), b.clone()).await.unwrap();
    let cancel = tokio_util::sync::CancellationToken::new();
    let started = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (c2, s2) = (cancel.clone(), started.clone());
    let opts = ApplyOptions {
        parallelism: 1,
        progress: Some(Arc::new(move |p: &engine::Progress| {
            if let engine::Progress::Finished { .. } = p {
                // Cancel once the first real step is done.
                if s2.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 1 {
                    c2.cancel();
                }
            }
        })),
        cancel: Some(cancel),
    };
    let report = engine::apply(&plan, b.clone(), &lock, &opts).await.unwrap();
    assert!(!report.is_success());
    let cancelled = report
        .resources
        .iter()
        .filter(|r| matches!(&r.outcome, Outcome::Failed(e) if e.contains("cancelled")))
        .count();
    assert!(cancelled >= 1, "{report:?}");
    // The state names exactly the objects that exist.
    let state = lock.state().await.unwrap();
    lock.release().await.unwrap();
    let reader = OpCtx::new("dev");
    for r in g.iter().filter(|r| !r.kind().is_declaration_only()) {
        let exists = f
            .read(&reader, r.kind(), r.id().unwrap(), Some(&r.attrs))
            .await
            .unwrap()
            .is_some();
        assert_eq!(state.resources.contains_key(&r.address), exists, "{}", r.address);
    }
    // Planning again finishes the job.
    let plan = engine::plan(&g, &f.stack_state("dev").await.unwrap(), b).await.unwrap();
    assert!(plan.changes().all(|r| r.action == Action::Create));
}
