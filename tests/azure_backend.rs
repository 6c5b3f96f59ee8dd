//! The `azure` backend driven directly against the ARM emulator, with the
//! real `ClientSecretCredential` path: every kind's lifecycle, owner
//! refusals, what others made kept, gateways, peerings and their sync,
//! Azure's errors, retries under faults, and shared reads.
#![cfg(feature = "azure")]

#[path = "arm/mod.rs"]
mod arm;
#[path = "common/kube_cluster.rs"]
mod kube_cluster;
#[path = "kube/mod.rs"]
mod kube_emu;

use arm::{ArmEmulator, Fault, Options};
use hybridk8s::backend::azure::{AzureBackend, AzureConfig};
use hybridk8s::backend::kube::KubeDefaults;
use hybridk8s::backend::local::LocalFabric;
use hybridk8s::backend::{Backend, BackendError, ErrorCode, OpCtx, Owner};
use hybridk8s::engine::sample;
use hybridk8s::graph::{Attrs, Kind, Resource, Value, LOCAL_SUBSCRIPTION};
use serde_json::json;
use std::time::Duration;

struct World {
    emu: ArmEmulator,
    backend: AzureBackend,
    _dir: tempfile::TempDir,
}

fn config(emu: &ArmEmulator, secret: &str) -> AzureConfig {
    emu.azure_config(secret)
}

fn world_with(opts: Options) -> World {
    let emu = ArmEmulator::start(Options {
        subscription_id: LOCAL_SUBSCRIPTION.into(),
        ..opts
    });
    for rg in ["net-rg", "k8s-rg", "rg"] {
        emu.create_resource_group(rg, "westeurope");
    }
    let dir = tempfile::tempdir().unwrap();
    let objects = LocalFabric::open(dir.path().join("fabric.db")).unwrap();
    let secret = emu.options().client_secret.clone();
    let backend = AzureBackend::new(config(&emu, &secret), objects)
        .unwrap()
        .with_kubernetes(KubeDefaults {
            kubeconfig_path: Some(kube_cluster::shared().kubeconfig.clone()),
            kubeconfig_context: None,
        });
    World {
        emu,
        backend,
        _dir: dir,
    }
}

fn world() -> World {
    world_with(Options::default())
}

fn cx() -> OpCtx {
    OpCtx::new("test").with_timeout(Duration::from_secs(60))
}

fn hub(gateway: &str) -> Resource {
    sample::hub("hub", "net-rg", "10.20.0.0/22", gateway)
}

fn cluster() -> Resource {
    sample::cluster("aks", "k8s-rg", "10.40.0.0/16")
}

fn with(r: &Resource, k: &str, v: Value) -> Attrs {
    let mut a = r.attrs.clone();
    a.insert(k.into(), v);
    a
}

#[tokio::test]
async fn no_token_until_the_first_call() {
    let w = world();
    assert_eq!(w.emu.tokens_issued(), 0);
    let h = hub("none");
    assert!(w
        .backend
        .read(&cx(), Kind::Hub, h.id().unwrap(), None)
        .await
        .unwrap()
        .is_none());
    assert_eq!(w.emu.tokens_issued(), 1);
}

#[tokio::test]
async fn every_kind_creates_reads_back_the_same_and_deletes() {
    let w = world();
    let g = sample::topology("dev", "10.40.0.0/16");
    for rg in ["net-dev-rg", "k8s-dev-rg"] {
        w.emu.create_resource_group(rg, "westeurope");
    }
    let order = g.order().unwrap();
    for a in &order {
        let r = g.get(a).unwrap();
        let created = w.backend.create(&cx(), r.kind(), &r.attrs).await.unwrap();
        assert!(created.attrs.values().all(Value::is_wholly_known), "{a}: {created:?}");
        assert_eq!(created.owner, Owner::Stack("test".into()), "{a}");
        if r.kind() != Kind::Onprem {
            let read = w
                .backend
                .read(&cx(), r.kind(), r.id().unwrap(), Some(&r.attrs))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(read, created, "{a}");
        }
    }
    let peering = g.get(order.iter().find(|a| a.kind == Kind::Peering).unwrap()).unwrap();
    let p = w
        .backend
        .read(&cx(), Kind::Peering, peering.id().unwrap(), Some(&peering.attrs))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.attrs["peering_state"], Value::str("Connected"));
    assert_eq!(p.attrs["peering_sync_level"], Value::str("FullyInSync"));
    let hub = g.get(order.iter().find(|a| a.kind == Kind::Hub).unwrap()).unwrap();
    let h = w
        .backend
        .read(&cx(), Kind::Hub, hub.id().unwrap(), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(h.attrs["gateway"], Value::str("expressroute"));
    assert_eq!(h.attrs["gateway_id"], hub.attrs["gateway_id"]);
    assert!(h.attrs["resource_guid"].as_str().is_some());
    for a in order.iter().rev() {
        let r = g.get(a).unwrap();
        w.backend.delete(&cx(), r.kind(), &r.attrs).await.unwrap();
        w.backend.delete(&cx(), r.kind(), &r.attrs).await.unwrap();
    }
    let dump = w.emu.dump();
    for k in ["virtualNetworks", "virtualNetworkGateways", "publicIPAddresses"] {
        assert_eq!(dump[k], json!([]), "{k}: {dump}");
    }
}

#[tokio::test]
async fn create_never_adopts_and_others_objects_are_refused_until_imported() {
    let w = world();
    let c = cluster();
    let id = c.id().unwrap();
    w.emu.put(
        id,
        json!({"location": "westeurope", "properties": {
            "addressSpace": {"addressPrefixes": ["10.40.0.0/16"]},
            "subnets": [{"name": "nodes", "properties": {"addressPrefix": "10.40.0.0/22"}}]
        }}),
    );
    let e = w
        .backend
        .create(&cx(), Kind::ClusterNetwork, &c.attrs)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::AlreadyExists), "{e}");
    assert!(e.to_string().contains("not managed by hybridk8s"), "{e}");
    let e = w
        .backend
        .update(&cx(), Kind::ClusterNetwork, &c.attrs, &c.attrs)
        .await
        .unwrap_err();
    assert!(matches!(e, BackendError::NotOwned { .. }), "{e}");
    let e = w
        .backend
        .delete(&cx(), Kind::ClusterNetwork, &c.attrs)
        .await
        .unwrap_err();
    assert!(matches!(e, BackendError::NotOwned { .. }), "{e}");
    let imported = w.backend.import(&cx(), Kind::ClusterNetwork, id).await.unwrap();
    assert_eq!(imported.owner, Owner::Stack("test".into()));
    assert_eq!(imported.attrs["address_space"], Value::list_of_str(["10.40.0.0/16"]));
    let other = OpCtx::new("other");
    let e = w.backend.import(&other, Kind::ClusterNetwork, id).await.unwrap_err();
    assert!(matches!(e, BackendError::NotOwned { .. }), "{e}");
    w.backend
        .update(&cx(), Kind::ClusterNetwork, &c.attrs, &c.attrs)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_update_keeps_foreign_subnets_and_clears_dns_servers() {
    let w = world();
    let c = cluster();
    let id = c.id().unwrap().to_string();
    let with_dns = with(&c, "dns_servers", Value::list_of_str(["10.1.0.4"]));
    w.backend.create(&cx(), Kind::ClusterNetwork, &with_dns).await.unwrap();
    let mut body = w.emu.get(&id).unwrap();
    body["properties"]["subnets"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "theirs", "properties": {"addressPrefix": "10.40.200.0/24"}}));
    w.emu.put(&id, body);
    let after = w
        .backend
        .update(&cx(), Kind::ClusterNetwork, &with_dns, &c.attrs)
        .await
        .unwrap();
    assert_eq!(after.attrs["dns_servers"], Value::List(vec![]));
    let raw = w.emu.get(&id).unwrap();
    let dns = &raw["properties"]["dhcpOptions"]["dnsServers"];
    assert!(dns.is_null() || dns == &json!([]), "{raw}");
    let names: Vec<&str> = raw["properties"]["subnets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(names.contains(&"theirs"), "{names:?}");
    // A foreign subnet is not reported, and keeps the VNET from being deleted.
    assert!(!after.attrs["subnets"].to_json().to_string().contains("theirs"));
    let e = w
        .backend
        .delete(&cx(), Kind::ClusterNetwork, &c.attrs)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::InUseSubnetCannotBeDeleted), "{e}");
}

#[tokio::test]
async fn switching_a_gateway_deletes_the_old_one_and_makes_the_new() {
    let w = world();
    let vpn = hub("vpn");
    let er = hub("expressroute");
    let a = w.backend.create(&cx(), Kind::Hub, &vpn.attrs).await.unwrap();
    assert_eq!(a.attrs["gateway"], Value::str("vpn"));
    let b = w.backend.update(&cx(), Kind::Hub, &vpn.attrs, &er.attrs).await.unwrap();
    assert_eq!(b.attrs["gateway"], Value::str("expressroute"));
    assert_eq!(b.attrs["gateway_id"], er.attrs["gateway_id"]);
    assert_eq!(b.attrs["resource_guid"], a.attrs["resource_guid"], "the VNET stays");
    let gws = w.emu.dump()["virtualNetworkGateways"].clone();
    assert_eq!(gws.as_array().unwrap().len(), 1, "{gws}");
}

#[tokio::test]
async fn a_hub_the_network_team_runs_reads_with_its_gateway() {
    let w = world();
    let vnet = w.emu.vnet_id("net-rg", "corp-hub");
    w.emu.put(
        &vnet,
        json!({"location": "westeurope", "properties": {
            "addressSpace": {"addressPrefixes": ["10.50.0.0/22"]},
            "subnets": [{"name": "GatewaySubnet", "properties": {"addressPrefix": "10.50.3.224/27"}}]
        }}),
    );
    let pip = format!(
        "/subscriptions/{LOCAL_SUBSCRIPTION}/resourceGroups/net-rg/providers/Microsoft.Network/publicIPAddresses/corp-pip"
    );
    w.emu.put(
        &pip,
        json!({"location": "westeurope", "sku": {"name": "Standard"}, "properties": {"publicIPAllocationMethod": "Static"}}),
    );
    let gw = format!(
        "/subscriptions/{LOCAL_SUBSCRIPTION}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworkGateways/corp-gw"
    );
    w.emu.put(
        &gw,
        json!({"location": "westeurope", "properties": {
            "gatewayType": "Vpn", "vpnType": "RouteBased", "sku": {"name": "VpnGw1", "tier": "VpnGw1"},
            "ipConfigurations": [{"name": "default", "properties": {
                "subnet": {"id": format!("{vnet}/subnets/GatewaySubnet")}, "publicIPAddress": {"id": pip}}}]
        }}),
    );
    let h = w.backend.read(&cx(), Kind::Hub, &vnet, None).await.unwrap().unwrap();
    assert_eq!(h.owner, Owner::Unmanaged);
    assert_eq!(h.attrs["gateway"], Value::str("vpn"));
    assert_eq!(h.attrs["gateway_id"], Value::str(&gw));
    assert_eq!(h.attrs["gateway_subnet_cidr"], Value::str("10.50.3.224/27"));
    assert_eq!(h.attrs["address_space"], Value::list_of_str(["10.50.0.0/22"]));
}

#[tokio::test]
async fn peerings_resync_after_an_address_change_and_a_disconnected_side_is_made_again() {
    let w = world();
    let (h, c) = (hub("vpn"), cluster());
    let p = sample::peering("p", &c, &h, true);
    for r in [&h, &c, &p] {
        w.backend.create(&cx(), r.kind(), &r.attrs).await.unwrap();
    }
    let wider = with(
        &c,
        "address_space",
        Value::list_of_str(["10.40.0.0/16", "10.41.0.0/16"]),
    );
    w.emu.clear_requests();
    w.backend
        .update(&cx(), Kind::ClusterNetwork, &c.attrs, &wider)
        .await
        .unwrap();
    let synced: Vec<String> = w
        .emu
        .requests()
        .into_iter()
        .filter(|r| {
            r.method == "PUT"
                && r.path.contains("virtualNetworkPeerings")
                && r.query.contains("syncRemoteAddressSpace=true")
        })
        .map(|r| r.path)
        .collect();
    assert_eq!(synced.len(), 2, "both sides are synced: {synced:?}");
    let read = w
        .backend
        .read(&cx(), Kind::Peering, p.id().unwrap(), Some(&p.attrs))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.attrs["peering_sync_level"], Value::str("FullyInSync"));
    let views = w.backend.peerings_of(&cx(), h.id().unwrap()).await.unwrap();
    assert_eq!(views.len(), 1);
    assert!(
        views[0].remote_address_space.contains(&"10.41.0.0/16".to_string()),
        "{views:?}"
    );

    // The hub side deleted by someone: the cluster side is Disconnected.
    let hub_side = format!(
        "{}/virtualNetworkPeerings/{}",
        h.id().unwrap(),
        p.attrs["hub_peering_name"].as_str().unwrap()
    );
    w.emu.delete(&hub_side);
    let read = w
        .backend
        .read(&cx(), Kind::Peering, p.id().unwrap(), Some(&p.attrs))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.attrs["peering_state"], Value::str("Disconnected"));
    let fixed = w
        .backend
        .update(&cx(), Kind::Peering, &p.attrs, &p.attrs)
        .await
        .unwrap();
    assert_eq!(fixed.attrs["peering_state"], Value::str("Connected"));
    assert_eq!(fixed.attrs["use_remote_gateways"], Value::Bool(true));
}

#[tokio::test]
async fn a_failed_operation_reports_azures_code_message_and_the_id() {
    let w = world();
    let c = cluster();
    w.emu
        .faults()
        .fail_operation_next_with("virtualNetworks/aks", "InternalConflict", "the fabric said no");
    let e = w
        .backend
        .create(&cx(), Kind::ClusterNetwork, &c.attrs)
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(text.starts_with("creating Virtual Network \""), "{text}");
    assert!(text.contains(c.id().unwrap()), "{text}");
    assert!(text.contains("InternalConflict: the fabric said no"), "{text}");
    assert!(!text.contains(&w.emu.options().client_secret), "{text}");
}

#[tokio::test]
async fn a_wrong_secret_is_a_clear_error_without_the_secret() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let objects = LocalFabric::open(dir.path().join("f.db")).unwrap();
    let b = AzureBackend::new(config(&w.emu, "not-the-secret-xyz"), objects).unwrap();
    let h = hub("none");
    let e = b.read(&cx(), Kind::Hub, h.id().unwrap(), None).await.unwrap_err();
    let text = e.to_string();
    assert!(text.contains("no access token"), "{text}");
    assert!(!text.contains("not-the-secret-xyz"), "{text}");
}

#[tokio::test]
async fn transient_faults_are_retried_until_the_apply_converges() {
    let w = world();
    let (h, c) = (hub("vpn"), cluster());
    let p = sample::peering("p", &c, &h, true);
    let f = w.emu.faults();
    f.fail_next("PUT", "virtualNetworks/hub", Fault::Throttle { retry_after_secs: 0 });
    f.fail_next("PUT", "virtualNetworks/aks", Fault::Conflict);
    f.fail_next("GET", "virtualNetworks/aks", Fault::Drop);
    f.fail_next("PUT", "virtualNetworkPeerings", Fault::ServerError);
    f.fail_rate(0.3, 7);
    for r in [&h, &c, &p] {
        w.backend.create(&cx(), r.kind(), &r.attrs).await.unwrap();
    }
    f.clear();
    assert!(f.injected() > 0);
    let p = w
        .backend
        .read(&cx(), Kind::Peering, p.id().unwrap(), Some(&p.attrs))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.attrs["peering_state"], Value::str("Connected"));
    let dump = w.emu.dump();
    assert_eq!(dump["virtualNetworks"].as_array().unwrap().len(), 2, "{dump}");
    assert_eq!(dump["virtualNetworkGateways"].as_array().unwrap().len(), 1, "{dump}");
}

#[tokio::test]
async fn the_deadline_is_respected_under_endless_throttling() {
    let w = world();
    w.emu.faults().fail_rate(1.0, 1);
    let h = hub("none");
    let cx = OpCtx::new("test").with_timeout(Duration::from_millis(500));
    let e = w.backend.create(&cx, Kind::Hub, &h.attrs).await.unwrap_err();
    assert!(
        matches!(
            e,
            BackendError::Azure { .. } | BackendError::Remote { .. } | BackendError::DeadlineExceeded { .. }
        ),
        "{e}"
    );
}

#[tokio::test]
async fn a_refresh_makes_one_get_per_vnet_and_gateway() {
    let w = world();
    let (h, c) = (hub("vpn"), cluster());
    let p = sample::peering("p", &c, &h, true);
    let svc = sample::external_service("svc", &c, "api", &["10.1.8.4"]);
    for r in [&h, &c, &p, &svc] {
        w.backend.create(&cx(), r.kind(), &r.attrs).await.unwrap();
    }
    w.emu.clear_requests();
    let scope = cx().with_read_scope();
    let reads = [&h, &c, &p, &svc, &h, &p].map(|r| {
        let (b, scope) = (&w.backend, scope.clone());
        async move { b.read(&scope, r.kind(), r.id().unwrap(), Some(&r.attrs)).await }
    });
    for r in futures::future::join_all(reads).await {
        assert!(r.unwrap().is_some());
    }
    let gets: Vec<String> = w
        .emu
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && !r.path.contains("oauth2"))
        .map(|r| r.path.to_ascii_lowercase())
        .collect();
    let mut unique = gets.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(gets.len(), unique.len(), "{gets:#?}");
    assert_eq!(gets.len(), 3, "hub, cluster, gateway: {gets:#?}");
}

#[tokio::test]
async fn import_checks_the_kind_of_a_vnet() {
    let w = world();
    let (h, c) = (hub("vpn"), cluster());
    w.backend.create(&cx(), Kind::Hub, &h.attrs).await.unwrap();
    w.backend.create(&cx(), Kind::ClusterNetwork, &c.attrs).await.unwrap();
    let hub_id = h.id().unwrap().to_string();
    let cluster_id = c.id().unwrap().to_string();
    let other = OpCtx::new("other");
    for (kind, id) in [(Kind::ClusterNetwork, &hub_id), (Kind::Hub, &cluster_id)] {
        let e = w.backend.import(&other, kind, id).await.unwrap_err();
        assert!(matches!(e, BackendError::WrongKind { .. }), "{kind:?} {id}: {e}");
    }
    // A hub the network team made (its GatewaySubnet holds a gateway) is
    // not a cluster network either; a plain VNET may become either.
    let team = w.emu.vnet_id("net-rg", "team-hub");
    w.emu.put(
        &team,
        json!({"location": "westeurope", "properties": {
            "addressSpace": {"addressPrefixes": ["10.60.0.0/22"]},
            "subnets": [{"name": "GatewaySubnet", "properties": {"addressPrefix": "10.60.3.224/27"}}]}}),
    );
    let base = format!("/subscriptions/{LOCAL_SUBSCRIPTION}/resourceGroups/net-rg/providers/Microsoft.Network");
    let pip = format!("{base}/publicIPAddresses/team-pip");
    w.emu.put(
        &pip,
        json!({"location": "westeurope", "sku": {"name": "Standard"}, "properties": {"publicIPAllocationMethod": "Static"}}),
    );
    w.emu.put(
        &format!("{base}/virtualNetworkGateways/team-gw"),
        json!({"location": "westeurope", "properties": {
            "gatewayType": "Vpn", "vpnType": "RouteBased", "sku": {"name": "VpnGw1", "tier": "VpnGw1"},
            "ipConfigurations": [{"name": "default", "properties": {
                "subnet": {"id": format!("{team}/subnets/GatewaySubnet")}, "publicIPAddress": {"id": pip}}}]}}),
    );
    let e = w.backend.import(&other, Kind::ClusterNetwork, &team).await.unwrap_err();
    assert!(matches!(e, BackendError::WrongKind { .. }), "{e}");
    let plain = w.emu.vnet_id("net-rg", "plain");
    w.emu.put(
        &plain,
        json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.70.0.0/22"]}}}),
    );
    let got = w.backend.import(&other, Kind::ClusterNetwork, &plain).await.unwrap();
    assert_eq!(got.owner, Owner::Stack("other".into()));
    assert_eq!(w.emu.get(&plain).unwrap()["tags"]["hybridk8s-role"], "cluster_network");
}

#[tokio::test]
async fn a_peering_create_cut_off_between_its_sides_is_resumed_not_adopted() {
    let w = world();
    let (h, c) = (hub("vpn"), cluster());
    for r in [&h, &c] {
        w.backend.create(&cx(), r.kind(), &r.attrs).await.unwrap();
    }
    let p = sample::peering("p", &c, &h, true);
    let hub_side = format!(
        "{}/virtualNetworkPeerings/{}",
        h.id().unwrap(),
        p.attrs["hub_peering_name"].as_str().unwrap()
    );
    // Every ARM answer slow: the create is dropped (a killed Terraform)
    // once the hub side exists, before the cluster side is put.
    w.emu.faults().set_latency(Duration::from_millis(300));
    let ctx = cx();
    {
        let create = w.backend.create(&ctx, Kind::Peering, &p.attrs);
        tokio::pin!(create);
        while w.emu.get(&hub_side).is_none() {
            tokio::select! {
                r = &mut create => panic!("the create finished before it was cut off: {:?}", r.map(|o| o.attrs)),
                _ = tokio::time::sleep(Duration::from_millis(5)) => {}
            }
        }
    }
    w.emu.faults().set_latency(Duration::ZERO);
    w.emu.finish_operations();
    assert!(w.emu.get(p.id().unwrap()).is_none(), "the cluster side was never put");

    // Another stack does not take it over.
    let e = w
        .backend
        .create(&OpCtx::new("qa"), Kind::Peering, &p.attrs)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::AlreadyExists), "{e}");
    // This stack's next create finishes it: both sides Connected.
    let done = w.backend.create(&cx(), Kind::Peering, &p.attrs).await.unwrap();
    assert_eq!(done.attrs["peering_state"], Value::str("Connected"));
    assert_eq!(done.attrs["use_remote_gateways"], Value::Bool(true));
    let views = w.backend.peerings_of(&cx(), h.id().unwrap()).await.unwrap();
    assert_eq!(views.len(), 1, "{views:?}");
}
