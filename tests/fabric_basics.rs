//! The local fabric's file, reads, imports, peering states and dump.

use hybridk8s::backend::local::LocalFabric;
use hybridk8s::backend::{Backend, BackendError, PeeringId, VirtualNetworkId};
use hybridk8s::engine::sample;
use hybridk8s::graph::{Kind, Value};

fn cx() -> hybridk8s::backend::OpCtx {
    hybridk8s::backend::OpCtx::new("test")
}

fn fabric() -> (tempfile::TempDir, LocalFabric) {
    let dir = tempfile::tempdir().unwrap();
    let f = LocalFabric::open(dir.path().join("fabric.db")).unwrap();
    (dir, f)
}

#[cfg(unix)]
#[tokio::test]
async fn the_file_is_private_and_in_wal_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join(".hybridk8s").join("fabric.db");
    let f = LocalFabric::open(&path).unwrap();
    f.create(&cx(), Kind::Hub, &sample::hub("hub", "rg", "10.20.0.0/22", "vpn").attrs)
        .await
        .unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let wal = path.with_extension("db-wal");
    if wal.exists() {
        assert_eq!(std::fs::metadata(&wal).unwrap().permissions().mode() & 0o077, 0);
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    f.integrity_check().await.unwrap();
}

#[test]
fn the_default_file_lives_under_dot_hybridk8s() {
    let p = hybridk8s::backend::local::db::default_path(std::path::Path::new("/work/x"));
    assert_eq!(p, std::path::Path::new("/work/x/.hybridk8s/fabric.db"));
}

#[tokio::test]
async fn read_of_a_vanished_object_is_gone_and_delete_is_idempotent() {
    let (_d, f) = fabric();
    let h = sample::hub("hub", "rg", "10.20.0.0/22", "vpn");
    let c = sample::cluster("aks", "k8s-rg", "10.40.0.0/16");
    let svc = sample::external_service("svc", &c, "api", &["10.1.8.4"]);
    for r in [&h, &c, &svc] {
        assert!(f.read(&cx(), r.kind(), r.id().unwrap(), None).await.unwrap().is_none());
        f.delete(&cx(), r.kind(), &r.attrs).await.unwrap();
    }
    let p = sample::peering("p", &c, &h, true);
    assert!(f
        .read(&cx(), Kind::Peering, p.id().unwrap(), None)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn create_returns_what_read_returns() {
    let (_d, f) = fabric();
    let g = sample::topology("dev", "10.40.0.0/16");
    for a in g.order().unwrap() {
        let r = g.get(a).unwrap();
        let created = f.create(&cx(), r.kind(), &r.attrs).await.unwrap();
        assert!(created.attrs.values().all(Value::is_wholly_known), "{a}: {created:?}");
        if r.kind() != Kind::Onprem {
            let read = f.read(&cx(), r.kind(), r.id().unwrap(), None).await.unwrap().unwrap();
            assert_eq!(read, created, "{a}");
        }
    }
}

#[tokio::test]
async fn import_parses_the_id_then_reads() {
    let (_d, f) = fabric();
    let h = sample::hub("hub", "net-rg", "10.20.0.0/22", "vpn");
    let c = sample::cluster("aks", "k8s-rg", "10.40.0.0/16");
    let p = sample::peering("p", &c, &h, true);
    let dns = sample::dns("dns", &c, &["10.1.0.4"], "corp.local");
    for r in [&h, &c, &p, &dns] {
        f.create(&cx(), r.kind(), &r.attrs).await.unwrap();
    }
    for r in [&h, &c, &p, &dns] {
        let id = r.id().unwrap();
        let imported = f.import(&cx(), r.kind(), id).await.unwrap();
        assert_eq!(imported.attrs["id"], Value::str(id));
        // Azure compares IDs case-insensitively.
        let shouting = id
            .replace("resourceGroups", "RESOURCEGROUPS")
            .replace("virtualNetworks", "VirtualNetworks");
        assert!(f.import(&cx(), r.kind(), &shouting).await.is_ok(), "{shouting}");
    }
    let e = f
        .import(&cx(), Kind::Hub, "/subscriptions/x/resourceGroups/rg")
        .await
        .unwrap_err();
    assert!(matches!(e, BackendError::InvalidId(_)), "{e}");
    let e = f.import(&cx(), Kind::Peering, h.id().unwrap()).await.unwrap_err();
    assert!(e.to_string().starts_with("parsing Virtual Network Peering ID"), "{e}");
    let e = f.import(&cx(), Kind::LbService, dns.id().unwrap()).await.unwrap_err();
    assert!(e.to_string().contains("names `services`"), "{e}");
    let missing = VirtualNetworkId::new("s", "rg", "nope").to_string();
    let e = f.import(&cx(), Kind::Hub, &missing).await.unwrap_err();
    assert!(matches!(e, BackendError::ImportNotFound { .. }), "{e}");
    assert!(matches!(
        f.import(&cx(), Kind::Onprem, "onprem/corp").await.unwrap_err(),
        BackendError::DeclarationOnly { .. }
    ));
}

#[tokio::test]
async fn a_vnet_made_outside_hybridk8s_imports_from_its_row() {
    let (_d, f) = fabric();
    let h = sample::hub("hub", "net-rg", "10.20.0.0/22", "vpn");
    let c = sample::cluster("aks", "k8s-rg", "10.40.0.0/16");
    f.create(&cx(), Kind::Hub, &h.attrs).await.unwrap();
    f.create(&cx(), Kind::ClusterNetwork, &c.attrs).await.unwrap();
    // A peering made in the portal, side by side.
    let hub_side = PeeringId::new(h.id().unwrap().parse().unwrap(), "hub-to-aks");
    let aks_side = PeeringId::new(c.id().unwrap().parse().unwrap(), "aks-to-hub");
    f.create_peering_side(&hub_side, &aks_side.vnet, true, false)
        .await
        .unwrap();
    let d = f.dump().await.unwrap();
    assert_eq!(d["peerings"][0]["peering_state"], "Initiated");
    f.create_peering_side(&aks_side, &hub_side.vnet, false, true)
        .await
        .unwrap();
    let imported = f.import(&cx(), Kind::Peering, &aks_side.to_string()).await.unwrap();
    assert_eq!(imported.attrs["peering_state"], Value::str("Connected"));
    assert_eq!(imported.attrs["hub_peering_name"], Value::str("hub-to-aks"));
    assert_eq!(imported.attrs["use_remote_gateways"], Value::Bool(true));
    assert_eq!(imported.attrs["allow_gateway_transit"], Value::Bool(true));
    assert_eq!(imported.attrs["hub_id"], Value::str(h.id().unwrap()));
}

#[tokio::test]
async fn onprem_is_declaration_only() {
    let (_d, f) = fabric();
    let o = sample::onprem("corp", &["10.0.0.0/12"], &["10.1.0.4"]);
    assert_eq!(f.create(&cx(), Kind::Onprem, &o.attrs).await.unwrap().attrs, o.attrs);
    assert!(f.read(&cx(), Kind::Onprem, "onprem/corp", None).await.is_err());
    f.delete(&cx(), Kind::Onprem, &o.attrs).await.unwrap();
    assert!(hybridk8s::backend::local::dump_is_empty(&f.dump().await.unwrap()));
}

#[tokio::test]
async fn the_dump_does_not_depend_on_creation_order() {
    let g = sample::topology("dev", "10.40.0.0/16");
    let order: Vec<_> = g.order().unwrap().into_iter().cloned().collect();
    let (_d1, f1) = fabric();
    let (_d2, f2) = fabric();
    for a in &order {
        let r = g.get(a).unwrap();
        f1.create(&cx(), r.kind(), &r.attrs).await.unwrap();
    }
    // Another valid order: Kubernetes objects before the peering.
    let mut other = order.clone();
    other.sort_by_key(|a| {
        (
            a.kind != Kind::Hub && a.kind != Kind::ClusterNetwork,
            a.kind == Kind::Peering,
        )
    });
    for a in &other {
        let r = g.get(a).unwrap();
        f2.create(&cx(), r.kind(), &r.attrs).await.unwrap();
    }
    let (d1, d2) = (f1.dump().await.unwrap(), f2.dump().await.unwrap());
    assert_eq!(d1, d2);
    assert_eq!(serde_json::to_string(&d1).unwrap(), serde_json::to_string(&d2).unwrap());
    let cm = d1["kubernetes_objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "ConfigMap")
        .unwrap();
    assert_eq!(cm["name"], "coredns-custom");
    assert!(cm["manifest"]["data"]["my-company.local.server"]
        .as_str()
        .unwrap()
        .contains("forward . 10.1.0.4 10.1.0.5"));
    assert_eq!(
        d1["dns_configurations"][0]["vnet_dns_servers"],
        serde_json::json!(["10.1.0.4", "10.1.0.5"])
    );
}
