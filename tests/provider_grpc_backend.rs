//! In-process gRPC tests of what the provider does with its backend (a
//! local fabric in a temp dir): plan-time rules across resources, the
//! fabric's refusals as diagnostics, import of every kind, drift.

#[path = "provider_grpc/harness.rs"]
mod harness;

use harness::*;
use hybridk8s::backend::PeeringId;

#[tokio::test]
async fn remote_gateways_of_a_hub_without_gateway_fail_at_plan_on_the_attribute() {
    let mut h = start().await;
    configure(&mut h).await;
    let cluster = create(&mut h, Kind::ClusterNetwork, &cluster("10.40.0.0/16", &[])).await;
    let cid = id_of(&cluster);
    let hub_id = id_of(&undv(
        Kind::Hub,
        &plan(&mut h, Kind::Hub, &Value::Null, &hub("10.20.0.0/22", "none"))
            .await
            .planned_state,
    ));

    // The hub does not exist yet, but it is in this plan: checked against it.
    let config = peering(&cid, &hub_id, true);
    let r = plan(&mut h, Kind::Peering, &Value::Null, &config).await;
    let errs = errors(&r.diagnostics);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].1, ["use_remote_gateways"]);

    // The next walk (a new provider process on the same fabric): the hub
    // applied without a gateway, then the peering planned against it.
    let next = next_process(&h).await;
    let (_first, mut h) = (h, next);
    configure(&mut h).await;
    create(&mut h, Kind::Hub, &hub("10.20.0.0/22", "none")).await;
    let r = plan(&mut h, Kind::Peering, &Value::Null, &config).await;
    let errs = errors(&r.diagnostics);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].0.contains("has no gateway"), "{errs:?}");
    assert_eq!(errs[0].1, ["use_remote_gateways"]);

    // Applied anyway (an old plan): the fabric refuses, nothing is left.
    let planned = dv(Kind::Peering, &undv(Kind::Peering, &r.planned_state));
    let a = apply(&mut h, Kind::Peering, &Value::Null, &planned, &config).await;
    let errs = errors(&a.diagnostics);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].0.starts_with("HK901: creating Virtual Network Peering")
            && errs[0].0.contains("RemoteVnetHasNoGateways"),
        "{errs:?}"
    );
    assert_eq!(
        a.new_state.unwrap().msgpack,
        [0xc0],
        "a refused create leaves no object"
    );

    // Without remote gateways the same pair plans and applies.
    create(&mut h, Kind::Peering, &peering(&cid, &hub_id, false)).await;
}

#[tokio::test]
async fn overlapping_peering_fails_at_plan_on_hub_id() {
    let mut h = start().await;
    configure(&mut h).await;
    let cluster = create(&mut h, Kind::ClusterNetwork, &cluster("10.40.0.0/16", &[])).await;
    let hub = create(&mut h, Kind::Hub, &hub("10.40.128.0/22", "vpn")).await;
    let r = plan(
        &mut h,
        Kind::Peering,
        &Value::Null,
        &peering(&id_of(&cluster), &id_of(&hub), true),
    )
    .await;
    let errs = errors(&r.diagnostics);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].0.contains("must not overlap"), "{errs:?}");
    assert_eq!(errs[0].1, ["hub_id"]);
}

#[tokio::test]
async fn import_of_every_kind_then_missing_and_malformed_ids() {
    let mut h = start().await;
    configure(&mut h).await;
    let cluster = create(&mut h, Kind::ClusterNetwork, &cluster("10.40.0.0/16", &[])).await;
    let cid = id_of(&cluster);
    let hub = create(&mut h, Kind::Hub, &hub("10.20.0.0/22", "vpn")).await;
    let peering = create(&mut h, Kind::Peering, &peering(&cid, &id_of(&hub), true)).await;
    assert_eq!(peering.as_map().unwrap()["peering_state"], Value::str("Connected"));
    let service = create(
        &mut h,
        Kind::ExternalService,
        &external_service(&cid, "external-random-api", "10.1.8.4"),
    )
    .await;
    let dns = obj(&[
        ("cluster_network_id", Value::str(&cid)),
        ("nameservers", Value::list_of_str(["10.1.0.4"])),
    ]);
    let dns = create(&mut h, Kind::DnsUpstream, &dns).await;
    let lb = obj(&[
        ("cluster_network_id", Value::str(&cid)),
        ("name", Value::str("web")),
        ("selector", Value::Map([("app".to_string(), Value::str("web"))].into())),
        ("ports", Value::List(vec![obj(&[("port", Value::Number(443))])])),
    ]);
    let lb = create(&mut h, Kind::LbService, &lb).await;

    for (kind, state) in [
        (Kind::ClusterNetwork, &cluster),
        (Kind::Hub, &hub),
        (Kind::Peering, &peering),
        (Kind::ExternalService, &service),
        (Kind::DnsUpstream, &dns),
        (Kind::LbService, &lb),
    ] {
        let r = import(&mut h, kind, &id_of(state)).await;
        assert!(r.diagnostics.is_empty(), "{kind}: {:?}", r.diagnostics);
        assert_eq!(r.imported_resources.len(), 1, "{kind}");
        assert_eq!(r.imported_resources[0].type_name, kind.terraform_type());
        // What the fabric observes comes back; what only the configuration
        // knows (sizing inputs, ports) is null until the next apply sets it.
        let imported = undv(kind, &r.imported_resources[0].state);
        let (got, want) = (imported.as_map().unwrap(), state.as_map().unwrap());
        for (k, v) in got {
            let unset =
                v.is_null() || v.as_list().is_some_and(|l| l.is_empty()) || v.as_map().is_some_and(|m| m.is_empty());
            assert!(unset || v == &want[k], "{kind}.{k}: imported {v}, created {}", want[k]);
        }
        assert_eq!(got["id"], want["id"], "{kind}");
    }

    let missing = cid.replace("/aks", "/nope");
    let r = import(&mut h, Kind::ClusterNetwork, &missing).await;
    assert!(r.imported_resources.is_empty());
    let errs = errors(&r.diagnostics);
    assert!(errs.len() == 1 && errs[0].0.contains("non-existent"), "{errs:?}");

    // The object's kind is checked, not only the ID's shape: a selectorless
    // Service is not a load balancer, a hub is not a cluster network.
    for (kind, id, found) in [
        (Kind::LbService, id_of(&service), "hybridk8s_external_service"),
        (Kind::ClusterNetwork, id_of(&hub), "hybridk8s_hub_network"),
    ] {
        let r = import(&mut h, kind, &id).await;
        assert!(r.imported_resources.is_empty());
        let errs = errors(&r.diagnostics);
        assert!(errs.len() == 1 && errs[0].0.contains(found), "{errs:?}");
    }

    let r = import(&mut h, Kind::Peering, "not-an-id").await;
    assert!(r.imported_resources.is_empty());
    assert_eq!(errors(&r.diagnostics).len(), 1, "{:?}", r.diagnostics);
    assert!(!r.diagnostics[0].detail.is_empty(), "a hint shows the ID's shape");
}

#[tokio::test]
async fn out_of_band_deletes_read_as_gone() {
    let mut h = start().await;
    configure(&mut h).await;
    let cluster = create(&mut h, Kind::ClusterNetwork, &cluster("10.40.0.0/16", &[])).await;
    let hub = create(&mut h, Kind::Hub, &hub("10.20.0.0/22", "vpn")).await;
    let peering = create(&mut h, Kind::Peering, &peering(&id_of(&cluster), &id_of(&hub), true)).await;
    let read = |h: &mut Harness, kind: Kind, state: Value| {
        let mut c = h.client.clone();
        async move {
            let r = c
                .read_resource(pb::read_resource::Request {
                    type_name: kind.terraform_type().into(),
                    current_state: dv(kind, &state),
                    private: vec![],
                    provider_meta: None,
                })
                .await
                .unwrap()
                .into_inner();
            assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
            undv(kind, &r.new_state)
        }
    };
    assert_eq!(read(&mut h, Kind::Peering, peering.clone()).await, peering);

    // Someone deletes the cluster side in the portal: the hub side is
    // Disconnected, and the resource reads as such (Terraform replaces it).
    let pid: PeeringId = id_of(&peering).parse().unwrap();
    h.fabric.delete_peering_side(&pid).await.unwrap();
    let now = read(&mut h, Kind::Peering, peering.clone()).await;
    assert_eq!(now.as_map().unwrap()["peering_state"], Value::str("Disconnected"));

    // The whole resource group goes: the cluster is gone, not an error.
    h.fabric
        .delete_resource_group(hybridk8s::graph::LOCAL_SUBSCRIPTION, "k8s-rg")
        .await
        .unwrap();
    assert_eq!(read(&mut h, Kind::ClusterNetwork, cluster).await, Value::Null);
}

#[tokio::test]
async fn hub_look_up_finds_the_hub_or_names_what_is_missing() {
    let mut h = start().await;
    configure(&mut h).await;
    let hub = create(&mut h, Kind::Hub, &hub("10.20.0.0/22", "expressroute")).await;
    let look_up = |h: &mut Harness, name: &str| {
        let mut c = h.client.clone();
        let json = format!(r#"{{"name":"{name}","resource_group_name":"net-rg"}}"#);
        async move {
            c.read_data_source(pb::read_data_source::Request {
                type_name: "hybridk8s_hub_network".into(),
                config: Some(pb::DynamicValue {
                    msgpack: vec![],
                    json: json.into_bytes(),
                }),
                provider_meta: None,
            })
            .await
            .unwrap()
            .into_inner()
        }
    };
    let found = look_up(&mut h, "hub").await;
    assert!(found.diagnostics.is_empty(), "{:?}", found.diagnostics);
    let ty = hybridk8s::provider::cty::CtyType::of_schema(
        hybridk8s::provider::schema::data_source_schema("hybridk8s_hub_network").unwrap(),
    );
    let state = hybridk8s::provider::cty::decode_msgpack(&found.state.unwrap().msgpack, &ty).unwrap();
    assert!(state.is_wholly_known(), "{state}");
    let m = state.as_map().unwrap();
    assert_eq!(m["id"], Value::str(id_of(&hub)));
    assert_eq!(m["gateway"], Value::str("expressroute"));

    let missing = look_up(&mut h, "elsewhere").await;
    let errs = errors(&missing.diagnostics);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0]
            .0
            .contains("hub network `elsewhere` not found in resource group `net-rg`"),
        "{errs:?}"
    );
}

#[tokio::test]
async fn switching_a_gateway_that_peerings_use_fails_at_plan_on_the_attribute() {
    let mut h = start().await;
    configure(&mut h).await;
    let cluster = create(&mut h, Kind::ClusterNetwork, &cluster("10.40.0.0/16", &[])).await;
    let hub_state = create(&mut h, Kind::Hub, &hub("10.20.0.0/22", "vpn")).await;
    create(
        &mut h,
        Kind::Peering,
        &peering(&id_of(&cluster), &id_of(&hub_state), true),
    )
    .await;
    let r = plan(&mut h, Kind::Hub, &hub_state, &hub("10.20.0.0/22", "expressroute")).await;
    let errs = errors(&r.diagnostics);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].0.contains("from vpn to expressroute") && errs[0].0.contains("/virtualNetworkPeerings/"),
        "{errs:?}"
    );
    assert_eq!(errs[0].1, ["gateway"]);
    // Keeping the gateway plans clean.
    let r = plan(&mut h, Kind::Hub, &hub_state, &hub("10.20.0.0/22", "vpn")).await;
    assert!(errors(&r.diagnostics).is_empty(), "{:?}", r.diagnostics);
}
