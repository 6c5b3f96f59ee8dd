//! Every apply-time rule the local fabric enforces, through the Backend
//! trait (no plan-time check in front): it refuses with Azure's code and an
//! azurerm-style message, and leaves nothing half-made.

use hybridk8s::backend::local::{dump_is_empty, LocalFabric};
use hybridk8s::backend::{Backend, BackendError, ErrorCode, PeeringId, VirtualNetworkId};
use hybridk8s::engine::sample;
use hybridk8s::graph::{Kind, Resource, Value};

fn cx() -> hybridk8s::backend::OpCtx {
    hybridk8s::backend::OpCtx::new("test")
}

fn fabric() -> (tempfile::TempDir, LocalFabric) {
    let dir = tempfile::tempdir().unwrap();
    let f = LocalFabric::open(dir.path().join("fabric.db")).unwrap();
    (dir, f)
}

async fn create(f: &LocalFabric, r: &Resource) -> Result<hybridk8s::graph::Attrs, BackendError> {
    f.create(&cx(), r.kind(), &r.attrs).await.map(|o| o.attrs)
}

fn code(r: Result<impl std::fmt::Debug, BackendError>) -> (ErrorCode, String) {
    let e = r.expect_err("the fabric must refuse");
    (e.code().unwrap_or_else(|| panic!("not a refusal: {e}")), e.to_string())
}

fn vnet(r: &Resource) -> VirtualNetworkId {
    r.id().unwrap().parse().unwrap()
}

fn with(mut r: Resource, k: &str, v: Value) -> Resource {
    r.attrs.insert(k.into(), v);
    r
}

fn subnet(name: &str, cidr: &str) -> Value {
    Value::Map(
        [
            ("name".to_string(), Value::str(name)),
            ("cidr".to_string(), Value::str(cidr)),
        ]
        .into(),
    )
}

#[tokio::test]
async fn overlapping_vnets_cannot_be_peered() {
    let (_d, f) = fabric();
    let h = sample::hub("hub", "net-rg", "10.20.0.0/22", "vpn");
    let c = sample::cluster("aks", "k8s-rg", "10.20.0.0/16");
    create(&f, &h).await.unwrap();
    create(&f, &c).await.unwrap();
    let p = sample::peering("p", &c, &h, true);
    let (c_, msg) = code(create(&f, &p).await);
    assert_eq!(c_, ErrorCode::VnetAddressSpacesOverlap);
    assert!(
        msg.starts_with("creating Virtual Network Peering \"/subscriptions/")
            && msg.contains(": VnetAddressSpacesOverlap: "),
        "{msg}"
    );
    assert!(msg.contains("10.20.0.0/16") && msg.contains("10.20.0.0/22"), "{msg}");
    assert!(f.dump().await.unwrap()["peerings"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn remote_gateways_need_a_hub_gateway() {
    let (_d, f) = fabric();
    let h = sample::hub("hub", "net-rg", "10.20.0.0/22", "none");
    let c = sample::cluster("aks", "k8s-rg", "10.40.0.0/16");
    create(&f, &h).await.unwrap();
    create(&f, &c).await.unwrap();
    let (c_, msg) = code(create(&f, &sample::peering("p", &c, &h, true)).await);
    assert_eq!(c_, ErrorCode::RemoteVnetHasNoGateways, "{msg}");
    // The hub side created first was taken back.
    assert!(f.dump().await.unwrap()["peerings"].as_array().unwrap().is_empty());
    // Without remote gateways the same peering is fine.
    create(&f, &sample::peering("p", &c, &h, false)).await.unwrap();
}

#[tokio::test]
async fn remote_gateways_need_the_hub_side_first_with_gateway_transit() {
    let (_d, f) = fabric();
    let h = sample::hub("hub", "net-rg", "10.20.0.0/22", "vpn");
    let c = sample::cluster("aks", "k8s-rg", "10.40.0.0/16");
    create(&f, &h).await.unwrap();
    create(&f, &c).await.unwrap();
    // Cluster side first (the order azurerm users get wrong): refused.
    let cluster_side = PeeringId::new(vnet(&c), "aks-to-hub");
    let (c_, msg) = code(f.create_peering_side(&cluster_side, &vnet(&h), false, true).await);
    assert_eq!(c_, ErrorCode::RemotePeeringDoesNotExist, "{msg}");
    // Hub side without gateway transit, then the cluster side: refused.
    let hub_side = PeeringId::new(vnet(&h), "hub-to-aks");
    f.create_peering_side(&hub_side, &vnet(&c), false, false).await.unwrap();
    let (c_, _) = code(f.create_peering_side(&cluster_side, &vnet(&h), false, true).await);
    assert_eq!(c_, ErrorCode::RemotePeeringDoesNotAllowGatewayTransit);
    // Through the backend, with allow_gateway_transit = false forced.
    let (_d2, f2) = fabric();
    create(&f2, &h).await.unwrap();
    create(&f2, &c).await.unwrap();
    let p = with(
        sample::peering("p", &c, &h, true),
        "allow_gateway_transit",
        Value::Bool(false),
    );
    let (c_, _) = code(create(&f2, &p).await);
    assert_eq!(c_, ErrorCode::RemotePeeringDoesNotAllowGatewayTransit);
    // The backend's own order (hub side with transit first) succeeds first time.
    let attrs = create(&f2, &sample::peering("p", &c, &h, true)).await.unwrap();
    assert_eq!(attrs["peering_state"], Value::str("Connected"));
    assert_eq!(attrs["peering_sync_level"], Value::str("FullyInSync"));
}

#[tokio::test]
async fn only_one_peering_per_vnet_uses_remote_gateways() {
    let (_d, f) = fabric();
    let h1 = sample::hub("hub1", "net-rg", "10.20.0.0/22", "vpn");
    let h2 = sample::hub("hub2", "net-rg", "10.30.0.0/22", "expressroute");
    let c = sample::cluster("aks", "k8s-rg", "10.40.0.0/16");
    for r in [&h1, &h2, &c] {
        create(&f, r).await.unwrap();
    }
    create(&f, &sample::peering("p1", &c, &h1, true)).await.unwrap();
    let (c_, msg) = code(create(&f, &sample::peering("p2", &c, &h2, true)).await);
    assert_eq!(c_, ErrorCode::UseRemoteGatewaysAlreadySet, "{msg}");
    create(&f, &sample::peering("p2", &c, &h2, false)).await.unwrap();
}

#[tokio::test]
async fn a_disconnected_side_must_be_recreated() {
    let (_d, f) = fabric();
    let h = sample::hub("hub", "net-rg", "10.20.0.0/22", "vpn");
    let c = sample::cluster("aks", "k8s-rg", "10.40.0.0/16");
    create(&f, &h).await.unwrap();
    create(&f, &c).await.unwrap();
    let p = sample::peering("p", &c, &h, false);
    create(&f, &p).await.unwrap();
    let cluster_side: PeeringId = p.id().unwrap().parse().unwrap();
    f.delete_peering_side(&cluster_side).await.unwrap();
    // The prior state names the hub side that is left.
    let read = f
        .read(&cx(), Kind::Peering, p.id().unwrap(), Some(&p.attrs))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.attrs["peering_state"], Value::str("Disconnected"));
    let (c_, msg) = code(f.create_peering_side(&cluster_side, &vnet(&h), false, false).await);
    assert_eq!(c_, ErrorCode::RemotePeeringIsDisconnected, "{msg}");
    // Deleting what is left and creating again works.
    f.delete(&cx(), Kind::Peering, &p.attrs).await.unwrap();
    assert!(f
        .read(&cx(), Kind::Peering, p.id().unwrap(), None)
        .await
        .unwrap()
        .is_none());
    create(&f, &p).await.unwrap();
}

#[tokio::test]
async fn subnets_must_fit_the_vnet_and_not_overlap() {
    let (_d, f) = fabric();
    let outside = with(
        sample::cluster("a", "rg", "10.40.0.0/16"),
        "subnets",
        Value::List(vec![subnet("extra", "10.50.0.0/24")]),
    );
    let (c_, msg) = code(create(&f, &outside).await);
    assert_eq!(c_, ErrorCode::NetcfgInvalidSubnet);
    assert!(msg.contains("Subnet 'extra'") && msg.contains("outside"), "{msg}");
    let overlapping = with(
        sample::cluster("b", "rg", "10.40.0.0/16"),
        "subnets",
        Value::List(vec![subnet("extra", "10.40.1.0/24")]),
    );
    let (c_, msg) = code(create(&f, &overlapping).await);
    assert_eq!(c_, ErrorCode::NetcfgInvalidSubnet);
    assert!(msg.contains("overlaps subnet 'nodes'"), "{msg}");
    let tiny = with(
        sample::hub("h", "rg", "10.20.0.0/22", "none"),
        "subnets",
        Value::List(vec![subnet("tiny", "10.20.0.0/30")]),
    );
    assert_eq!(code(create(&f, &tiny).await).0, ErrorCode::NetcfgInvalidSubnet);
    let no_gw_subnet = with(
        sample::hub("h", "rg", "10.20.0.0/22", "vpn"),
        "gateway_subnet_cidr",
        Value::Null,
    );
    assert_eq!(code(create(&f, &no_gw_subnet).await).0, ErrorCode::GatewaySubnetMissing);
    assert!(dump_is_empty(&f.dump().await.unwrap()));
    // An update that moves a subnet outside is refused too.
    let ok = sample::cluster("c", "rg", "10.40.0.0/16");
    create(&f, &ok).await.unwrap();
    let moved = with(
        ok.clone(),
        "subnets",
        Value::List(vec![subnet("extra", "10.99.0.0/24")]),
    );
    assert_eq!(
        code(f.update(&cx(), Kind::ClusterNetwork, &ok.attrs, &moved.attrs).await).0,
        ErrorCode::NetcfgInvalidSubnet
    );
}

#[tokio::test]
async fn what_is_in_use_cannot_be_deleted() {
    let (_d, f) = fabric();
    let h = sample::hub("hub", "net-rg", "10.20.0.0/22", "vpn");
    let c = sample::cluster("aks", "k8s-rg", "10.40.0.0/16");
    let p = sample::peering("p", &c, &h, true);
    let dns = sample::dns("dns", &c, &["10.1.0.4"], "corp.local");
    for r in [&h, &c, &p, &dns] {
        create(&f, r).await.unwrap();
    }
    let (c_, msg) = code(f.delete(&cx(), Kind::Hub, &h.attrs).await);
    assert_eq!(c_, ErrorCode::InUseVnetCannotBeDeleted);
    assert!(msg.starts_with("deleting Virtual Network \"/subscriptions/"), "{msg}");
    f.delete(&cx(), Kind::Peering, &p.attrs).await.unwrap();
    let (c_, msg) = code(f.delete(&cx(), Kind::ClusterNetwork, &c.attrs).await);
    assert_eq!(c_, ErrorCode::InUseSubnetCannotBeDeleted);
    assert!(msg.contains("ConfigMap kube-system/coredns-custom"), "{msg}");
    f.delete(&cx(), Kind::DnsUpstream, &dns.attrs).await.unwrap();
    f.delete(&cx(), Kind::ClusterNetwork, &c.attrs).await.unwrap();
    f.delete(&cx(), Kind::Hub, &h.attrs).await.unwrap();
    assert!(dump_is_empty(&f.dump().await.unwrap()));
}

#[tokio::test]
async fn duplicates_and_missing_references_are_refused() {
    let (_d, f) = fabric();
    let h = sample::hub("hub", "net-rg", "10.20.0.0/22", "vpn");
    let c = sample::cluster("aks", "k8s-rg", "10.40.0.0/16");
    create(&f, &h).await.unwrap();
    let (c_, msg) = code(create(&f, &h).await);
    assert_eq!(c_, ErrorCode::AlreadyExists);
    assert!(
        msg.contains("owned by stack \"test\"") && msg.contains("import it"),
        "{msg}"
    );
    // The cluster does not exist yet.
    assert_eq!(
        code(create(&f, &sample::peering("p", &c, &h, false)).await).0,
        ErrorCode::ResourceNotFound
    );
    let svc = sample::external_service("svc", &c, "api", &["10.1.8.4"]);
    assert_eq!(code(create(&f, &svc).await).0, ErrorCode::ResourceNotFound);
    create(&f, &c).await.unwrap();
    create(&f, &svc).await.unwrap();
    assert_eq!(code(create(&f, &svc).await).0, ErrorCode::AlreadyExists);
    // Another resource may not take over the same Kubernetes object.
    let same_name = sample::lb_service("lb", &c, "api", true);
    let (c_, msg) = code(create(&f, &same_name).await);
    assert_eq!(c_, ErrorCode::AlreadyExists);
    assert!(msg.contains("services/api\": AlreadyExists"), "{msg}");
}

#[tokio::test]
async fn an_address_space_change_needs_a_sync() {
    let (_d, f) = fabric();
    let h = sample::hub("hub", "net-rg", "10.20.0.0/22", "vpn");
    let c = sample::cluster("aks", "k8s-rg", "10.40.0.0/16");
    let p = sample::peering("p", &c, &h, true);
    for r in [&h, &c, &p] {
        create(&f, r).await.unwrap();
    }
    f.set_address_space(&vnet(&h), &["10.20.0.0/21"]).await.unwrap();
    let d = f.dump().await.unwrap();
    let level = |vnet_name: &str| {
        d["peerings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["vnet_id"].as_str().unwrap().ends_with(vnet_name))
            .unwrap()["peering_sync_level"]
            .clone()
    };
    assert_eq!(level("/hub"), "RemoteNotInSync");
    assert_eq!(level("/aks"), "LocalNotInSync");
    let read = f
        .read(&cx(), Kind::Peering, p.id().unwrap(), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.attrs["peering_sync_level"], Value::str("LocalNotInSync"));
    // Updating the peering syncs both sides.
    let synced = f.update(&cx(), Kind::Peering, &read.attrs, &p.attrs).await.unwrap();
    assert_eq!(synced.attrs["peering_sync_level"], Value::str("FullyInSync"));
    // An address space that would overlap the peered VNET is refused.
    let grown = with(
        h.clone(),
        "address_space",
        Value::list_of_str(["10.20.0.0/22", "10.40.128.0/17"]),
    );
    assert_eq!(
        code(f.update(&cx(), Kind::Hub, &h.attrs, &grown.attrs).await).0,
        ErrorCode::VnetAddressSpacesOverlap
    );
}

#[tokio::test]
async fn invalid_requests_are_refused() {
    let (_d, f) = fabric();
    // Host bits set in an address range.
    let bad = with(
        sample::hub("h", "rg", "10.20.0.0/22", "none"),
        "address_space",
        Value::list_of_str(["10.20.0.1/22"]),
    );
    let (c_, msg) = code(create(&f, &bad).await);
    assert_eq!(c_, ErrorCode::InvalidRequest);
    assert!(msg.contains("host bits"), "{msg}");
    // A VNET with a gateway of its own cannot use remote gateways.
    let h1 = sample::hub("hub1", "net-rg", "10.20.0.0/22", "vpn");
    let h2 = sample::hub("hub2", "net-rg", "10.30.0.0/22", "vpn");
    create(&f, &h1).await.unwrap();
    create(&f, &h2).await.unwrap();
    f.create_peering_side(&PeeringId::new(vnet(&h2), "h2-to-h1"), &vnet(&h1), true, false)
        .await
        .unwrap();
    let (c_, msg) = code(
        f.create_peering_side(&PeeringId::new(vnet(&h1), "h1-to-h2"), &vnet(&h2), false, true)
            .await,
    );
    assert_eq!(c_, ErrorCode::InvalidRequest);
    assert!(msg.contains("has a gateway of its own"), "{msg}");
    // Attributes the backend needs must be known.
    let mut unknown = sample::hub("h3", "rg", "10.40.0.0/22", "none");
    unknown.attrs.insert("resource_group_name".into(), Value::Unknown);
    let e = create(&f, &unknown).await.unwrap_err();
    assert!(matches!(e, BackendError::MissingAttribute { .. }), "{e}");
}

#[tokio::test]
async fn a_refused_peering_update_changes_neither_side() {
    // Found by the fabric_ops fuzz target: the hub side was written (gateway
    // transit on) before the cluster side was refused.
    let (_d, f) = fabric();
    let h = sample::hub("hub", "net-rg", "10.20.0.0/22", "none");
    let c = sample::cluster("aks", "k8s-rg", "10.40.0.0/16");
    create(&f, &h).await.unwrap();
    create(&f, &c).await.unwrap();
    let p = sample::peering("p", &c, &h, false);
    let made = create(&f, &p).await.unwrap();
    let before = f.dump().await.unwrap();
    let wants_gateways = sample::peering("p", &c, &h, true);
    let r = f.update(&cx(), Kind::Peering, &made, &wants_gateways.attrs).await;
    let (code_, msg) = code(r);
    assert_eq!(code_, ErrorCode::RemoteVnetHasNoGateways, "{msg}");
    assert_eq!(f.dump().await.unwrap(), before, "neither side changed");
}

/// Azure allows 500 peerings per virtual network: the hub's 501st is
/// refused with the quota code, and nothing of it is left behind.
#[tokio::test]
async fn a_hub_takes_at_most_500_peerings() {
    let (_d, f) = fabric();
    let h = sample::hub("hub", "net-rg", "10.20.0.0/22", "vpn");
    create(&f, &h).await.unwrap();
    for i in 0..=500usize {
        let c = sample::cluster(
            &format!("spoke{i}"),
            "k8s-rg",
            &format!("10.{}.{}.0/20", 64 + i / 16, (i % 16) * 16),
        );
        create(&f, &c).await.unwrap();
        let p = sample::peering(&format!("p{i}"), &c, &h, false);
        if i < 500 {
            create(&f, &p).await.unwrap();
            continue;
        }
        let (c_, msg) = code(create(&f, &p).await);
        assert_eq!(c_, ErrorCode::QuotaExceeded, "{msg}");
        assert!(
            msg.contains("already has 500 peerings") && msg.contains("500 per virtual network"),
            "{msg}"
        );
    }
    let dump = f.dump().await.unwrap();
    let sides = dump["peerings"].as_array().unwrap();
    assert_eq!(
        sides.len(),
        1000,
        "500 peerings, both sides each; the refused one left nothing"
    );
}
