//! Snapshots of every output format for the seed topology.

mod common;

use hybridk8s::render;

#[test]
fn k8s_manifests() {
    insta::assert_snapshot!(render::k8s_yaml(&common::seed()));
}

#[test]
fn dot_picture() {
    insta::assert_snapshot!(render::dot(&common::seed()));
}

#[test]
fn graph_json_is_stable_and_complete() {
    let g = common::seed();
    let a = render::graph_json(&g);
    assert_eq!(a, render::graph_json(&g.clone()));
    let v: serde_json::Value = serde_json::from_str(&a).unwrap();
    let aks = v["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "cluster_network.aks")
        .unwrap();
    assert_eq!(aks["attributes"]["required_ip_count"], 1587);
    assert_eq!(aks["attributes"]["node_subnet_cidr"], "10.40.0.0/21");
    let peering = v["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "peering")
        .unwrap();
    assert_eq!(peering["attributes"]["peering_state"], "(known after apply)");
    insta::assert_snapshot!(a);
}
