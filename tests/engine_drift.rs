//! Drift: changes made outside hybridk8s show up in the next plan with a
//! reason, and applying that plan converges.

use hybridk8s::backend::local::{LocalFabric, StackLock};
use hybridk8s::backend::{Backend, PeeringId, VirtualNetworkId};
use hybridk8s::engine::{self, sample, Action, ApplyOptions, Plan};
use hybridk8s::graph::{Address, Graph, LOCAL_SUBSCRIPTION};
use std::sync::Arc;
use std::time::Duration;

fn addr(s: &str) -> Address {
    s.parse().unwrap()
}

struct Env {
    _dir: tempfile::TempDir,
    fabric: LocalFabric,
    backend: Arc<dyn Backend>,
    lock: StackLock,
    graph: Graph,
}

impl Env {
    async fn applied() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let fabric = LocalFabric::open(dir.path().join("fabric.db")).unwrap();
        let lock = fabric.lock_stack("dev", Duration::from_secs(5)).await.unwrap();
        let env = Env {
            _dir: dir,
            backend: Arc::new(fabric.clone()),
            fabric,
            lock,
            graph: sample::topology("dev", "10.40.0.0/16"),
        };
        env.converge().await;
        env
    }

    async fn plan(&self) -> Plan {
        engine::plan(&self.graph, &self.lock.state().await.unwrap(), self.backend.clone())
            .await
            .unwrap()
    }

    /// Applies the current plan and checks that the next one is empty.
    async fn converge(&self) {
        let p = self.plan().await;
        let r = engine::apply(&p, self.backend.clone(), &self.lock, &ApplyOptions::default())
            .await
            .unwrap();
        assert!(r.is_success(), "{:#?}", r.failures().collect::<Vec<_>>());
        let again = self.plan().await;
        assert!(!again.has_changes(), "{:#}", again.to_json());
    }

    fn peering_sides(&self) -> (PeeringId, PeeringId) {
        let r = self.graph.get(&addr("peering.aks_hub")).unwrap();
        let c = r.str("id").unwrap().parse().unwrap();
        let h = r.str("hub_peering_id").unwrap().parse().unwrap();
        (c, h)
    }
}

fn only_changes(p: &Plan) -> Vec<(String, Action, Vec<String>)> {
    p.changes()
        .map(|r| (r.address.to_string(), r.action, r.reasons.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_peering_side_leaves_the_other_disconnected_and_is_replaced() {
    let env = Env::applied().await;
    let (cluster_side, hub_side) = env.peering_sides();
    env.fabric.delete_peering_side(&cluster_side).await.unwrap();
    let p = env.plan().await;
    assert_eq!(
        only_changes(&p),
        vec![(
            "peering.aks_hub".into(),
            Action::Replace,
            vec!["peering is Disconnected".into()]
        )]
    );
    env.converge().await;
    // The other side this time.
    env.fabric.delete_peering_side(&hub_side).await.unwrap();
    let p = env.plan().await;
    assert_eq!(p.get(&addr("peering.aks_hub")).unwrap().action, Action::Replace);
    env.converge().await;
    let d = env.fabric.dump().await.unwrap();
    assert!(d["peerings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["peering_state"] == "Connected"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vnet_deleted_out_of_band_is_recreated() {
    let env = Env::applied().await;
    env.fabric
        .delete_resource_group(LOCAL_SUBSCRIPTION, "k8s-dev-rg")
        .await
        .unwrap();
    let p = env.plan().await;
    let changes = only_changes(&p);
    let deleted = vec!["deleted outside hybridk8s".to_string()];
    assert!(
        changes.contains(&("cluster_network.aks".into(), Action::Create, deleted.clone())),
        "{changes:#?}"
    );
    for a in [
        "dns_upstream.aks_dns",
        "external_service.random_api",
        "lb_service.nginx",
    ] {
        assert!(
            changes.contains(&(a.into(), Action::Create, deleted.clone())),
            "{a}: {changes:#?}"
        );
    }
    // The hub side survived, Disconnected.
    let peering = p.get(&addr("peering.aks_hub")).unwrap();
    assert_eq!(peering.action, Action::Replace);
    assert_eq!(peering.reasons, vec!["peering is Disconnected".to_string()]);
    assert_eq!(changes.len(), 5);
    env.converge().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_space_changed_out_of_band_is_put_back_and_synced() {
    let env = Env::applied().await;
    let hub: VirtualNetworkId = env.graph.get(&addr("hub.hub")).unwrap().id().unwrap().parse().unwrap();
    env.fabric.set_address_space(&hub, &["10.20.0.0/21"]).await.unwrap();
    let p = env.plan().await;
    let h = p.get(&addr("hub.hub")).unwrap();
    assert_eq!(h.action, Action::Update);
    assert_eq!(h.changes[0].attribute, "address_space");
    let peering = p.get(&addr("peering.aks_hub")).unwrap();
    assert_eq!(peering.action, Action::Update);
    assert_eq!(
        peering.reasons,
        vec!["peering_sync_level is LocalNotInSync: the peering must be synced".to_string()]
    );
    env.converge().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_kubernetes_object_is_updated_back() {
    let env = Env::applied().await;
    let cluster = env
        .graph
        .get(&addr("cluster_network.aks"))
        .unwrap()
        .id()
        .unwrap()
        .to_string();
    env.fabric
        .delete_k8s_object(&cluster, "default", "EndpointSlice", "external-random-api")
        .await
        .unwrap();
    let p = env.plan().await;
    let es = p.get(&addr("external_service.random_api")).unwrap();
    assert_eq!(es.action, Action::Update);
    assert_eq!(es.changes[0].attribute, "manifest");
    env.converge().await;
    let d = env.fabric.dump().await.unwrap();
    assert!(d["kubernetes_objects"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["kind"] == "EndpointSlice"));
}
