//! Networks that stay put, through the engine and the local fabric: a hub's
//! gateway is its own object (none → vpn → expressroute in place, the
//! peering untouched), the fabric refuses like Azure what would break a
//! running network, and an address-space change leaves the peerings to sync.

use hybridk8s::backend::local::{LocalFabric, StackLock};
use hybridk8s::backend::{Backend, ErrorCode};
use hybridk8s::engine::{self, sample, Action, ApplyOptions, Plan};
use hybridk8s::graph::{self, Address, Graph, Kind, Value};
use std::sync::Arc;
use std::time::Duration;

fn cx() -> hybridk8s::backend::OpCtx {
    hybridk8s::backend::OpCtx::new("dev")
}

fn addr(s: &str) -> Address {
    s.parse().unwrap()
}

async fn plan(g: &Graph, lock: &StackLock, b: &Arc<dyn Backend>) -> Plan {
    engine::plan(g, &lock.state().await.unwrap(), b.clone()).await.unwrap()
}

async fn apply(g: &Graph, lock: &StackLock, b: &Arc<dyn Backend>) -> Plan {
    let p = plan(g, lock, b).await;
    let r = engine::apply(&p, b.clone(), lock, &ApplyOptions::default())
        .await
        .unwrap();
    assert!(r.is_success(), "{:#?}", r.failures().collect::<Vec<_>>());
    p
}

/// A front end's edit: the configuration changes, derived values follow.
fn edit(g: &mut Graph, a: &str, k: &str, v: Value) {
    let r = g.get_mut(&addr(a)).unwrap();
    let mut config = graph::kinds::config_of(r.kind(), &r.attrs);
    config.insert(k.into(), v);
    r.attrs = graph::kinds::complete(&r.address, config, &graph::Ctx::default()).0;
}

fn peered(gateway: &str, use_remote_gateways: bool) -> Graph {
    let h = sample::hub("hub", "net-rg", "10.20.0.0/22", gateway);
    let c = sample::cluster("aks", "k8s-rg", "10.40.0.0/16");
    let p = sample::peering("aks_hub", &c, &h, use_remote_gateways);
    sample::graph([h, c, p])
}

fn open() -> (tempfile::TempDir, LocalFabric, Arc<dyn Backend>) {
    let dir = tempfile::tempdir().unwrap();
    let fabric = LocalFabric::open(dir.path().join("fabric.db")).unwrap();
    let b: Arc<dyn Backend> = Arc::new(fabric.clone());
    (dir, fabric, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_none_vpn_expressroute_on_a_peered_hub_is_in_place() {
    let (_dir, fabric, b) = open();
    let lock = fabric.lock_stack("dev", Duration::from_secs(5)).await.unwrap();
    let mut g = peered("none", false);
    apply(&g, &lock, &b).await;
    let sides = fabric.dump().await.unwrap()["peerings"].clone();
    assert!(fabric.dump().await.unwrap()["gateways"].as_array().unwrap().is_empty());

    let mut gateway_ids = Vec::new();
    for gw in ["vpn", "expressroute", "none"] {
        edit(&mut g, "hub.hub", "gateway", Value::str(gw));
        let p = apply(&g, &lock, &b).await;
        let hub = p.get(&addr("hub.hub")).unwrap();
        assert_eq!(hub.action, Action::Update, "{gw}: {:#}", p.to_json());
        assert_eq!(p.get(&addr("peering.aks_hub")).unwrap().action, Action::NoOp, "{gw}");
        assert_eq!(
            p.get(&addr("cluster_network.aks")).unwrap().action,
            Action::NoOp,
            "{gw}"
        );
        let d = fabric.dump().await.unwrap();
        assert_eq!(d["peerings"], sides, "{gw}: the peering is untouched");
        let gws = d["gateways"].as_array().unwrap();
        let hub_row = d["vnets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["role"] == "hub")
            .cloned()
            .unwrap();
        let has_subnet = hub_row["subnets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "GatewaySubnet");
        if gw == "none" {
            assert!(gws.is_empty(), "{d:#}");
            assert!(!has_subnet, "{d:#}");
        } else {
            assert_eq!(gws.len(), 1, "{d:#}");
            assert_eq!(gws[0]["kind"], gw);
            assert!(has_subnet, "{d:#}");
            let id = gws[0]["id"].as_str().unwrap().to_string();
            assert!(
                id.contains("/providers/Microsoft.Network/virtualNetworkGateways/"),
                "{id}"
            );
            let live = b
                .read(&cx(), Kind::Hub, hub.id().unwrap(), None)
                .await
                .unwrap()
                .unwrap()
                .attrs;
            assert_eq!(live["gateway_id"], Value::str(&id));
            gateway_ids.push(id);
        }
        assert!(!plan(&g, &lock, &b).await.has_changes(), "{gw}: plan empty after");
    }
    assert_ne!(gateway_ids[0], gateway_ids[1], "vpn → expressroute is a new gateway");
    lock.release().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_in_use_by_a_peering_is_not_deleted() {
    let (_dir, fabric, b) = open();
    let g = peered("expressroute", true);
    for r in g.iter() {
        b.create(&cx(), r.kind(), &r.attrs).await.unwrap();
    }
    for gw in ["vpn", "none"] {
        let hub = g.get(&addr("hub.hub")).unwrap();
        let mut config = graph::kinds::config_of(Kind::Hub, &hub.attrs);
        config.insert("gateway".into(), Value::str(gw));
        let after = graph::kinds::complete(&hub.address, config, &graph::Ctx::default()).0;
        let e = b.update(&cx(), Kind::Hub, &hub.attrs, &after).await.unwrap_err();
        assert_eq!(e.code(), Some(ErrorCode::InUseGatewayCannotBeDeleted), "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains("hub-expressroute-gateway") && msg.contains("aks-to-hub"),
            "{msg}"
        );
    }
    let d = fabric.dump().await.unwrap();
    assert_eq!(d["gateways"][0]["kind"], "expressroute", "{d:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_a_gateway_in_use_is_refused_at_plan_with_the_way_out() {
    let (_dir, fabric, b) = open();
    let lock = fabric.lock_stack("dev", Duration::from_secs(5)).await.unwrap();
    let mut g = peered("vpn", true);
    apply(&g, &lock, &b).await;
    edit(&mut g, "hub.hub", "gateway", Value::str("expressroute"));
    let e = hybridk8s::engine::plan(&g, &lock.state().await.unwrap(), b.clone())
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("from vpn to expressroute") && msg.contains("peering.aks_hub"),
        "{msg}"
    );
    // The way out: the peering stops using the gateway, then the switch.
    edit(&mut g, "hub.hub", "gateway", Value::str("vpn"));
    edit(&mut g, "peering.aks_hub", "use_remote_gateways", Value::Bool(false));
    apply(&g, &lock, &b).await;
    edit(&mut g, "hub.hub", "gateway", Value::str("expressroute"));
    apply(&g, &lock, &b).await;
    edit(&mut g, "peering.aks_hub", "use_remote_gateways", Value::Bool(true));
    apply(&g, &lock, &b).await;
    let d = fabric.dump().await.unwrap();
    assert_eq!(d["gateways"][0]["kind"], "expressroute", "{d:#}");
    lock.release().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn address_ranges_are_added_in_place_and_the_peering_synced() {
    let (_dir, fabric, b) = open();
    let lock = fabric.lock_stack("dev", Duration::from_secs(5)).await.unwrap();
    let mut g = peered("vpn", true);
    apply(&g, &lock, &b).await;
    let guid = |d: &Value| d.clone();
    let cid = g.get(&addr("cluster_network.aks")).unwrap().id().unwrap().to_string();
    let before = guid(
        &b.read(&cx(), Kind::ClusterNetwork, &cid, None)
            .await
            .unwrap()
            .unwrap()
            .attrs["resource_guid"],
    );

    // A range in front of the first: in place, the node subnet stays.
    edit(
        &mut g,
        "cluster_network.aks",
        "address_space",
        Value::list_of_str(["10.39.0.0/16", "10.40.0.0/16"]),
    );
    let p = plan(&g, &lock, &b).await;
    let c = p.get(&addr("cluster_network.aks")).unwrap();
    assert_eq!(c.action, Action::Update, "{:#}", p.to_json());
    assert!(
        c.changes.iter().all(|ch| ch.attribute == "address_space"),
        "{:?}",
        c.changes
    );
    assert_eq!(p.get(&addr("peering.aks_hub")).unwrap().action, Action::Update);
    apply(&g, &lock, &b).await;
    let live = b
        .read(&cx(), Kind::ClusterNetwork, &cid, None)
        .await
        .unwrap()
        .unwrap()
        .attrs;
    assert_eq!(live["node_subnet_cidr"], Value::str("10.40.0.0/23"));
    assert_eq!(live["resource_guid"], before, "the same VNET");
    let d = fabric.dump().await.unwrap();
    assert!(
        d["peerings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["peering_sync_level"] == "FullyInSync"),
        "{d:#}"
    );
    assert!(!plan(&g, &lock, &b).await.has_changes());

    // The fabric on its own leaves the peering to sync, as Azure does.
    let cluster = g.get(&addr("cluster_network.aks")).unwrap();
    let mut config = graph::kinds::config_of(Kind::ClusterNetwork, &cluster.attrs);
    config.insert(
        "address_space".into(),
        Value::list_of_str(["10.38.0.0/16", "10.39.0.0/16", "10.40.0.0/16"]),
    );
    config.insert("node_subnet_cidr".into(), Value::str("10.40.0.0/23"));
    let after = graph::kinds::complete(&cluster.address, config, &graph::Ctx::default()).0;
    b.update(&cx(), Kind::ClusterNetwork, &live, &after).await.unwrap();
    let pid = g.get(&addr("peering.aks_hub")).unwrap().id().unwrap().to_string();
    let peering = b.read(&cx(), Kind::Peering, &pid, None).await.unwrap().unwrap().attrs;
    assert_eq!(peering["peering_sync_level"], Value::str("RemoteNotInSync"));

    // Removing the range that holds the node subnet is refused.
    let mut config = graph::kinds::config_of(Kind::ClusterNetwork, &after);
    config.insert("address_space".into(), Value::list_of_str(["10.39.0.0/16"]));
    config.insert("node_subnet_cidr".into(), Value::str("10.40.0.0/23"));
    let shrunk = graph::kinds::complete(&cluster.address, config, &graph::Ctx::default()).0;
    let e = b
        .update(&cx(), Kind::ClusterNetwork, &after, &shrunk)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::NetcfgSubnetRangeOutsideVnet), "{e}");
    assert!(e.to_string().contains("10.40.0.0/23"), "{e}");
    lock.release().await.unwrap();
}
