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

fn load(src: &str) -> hybridk8s::dsl::Program {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.hk");
    std::fs::write(&path, src).unwrap();
    hybridk8s::dsl::load(&path, &hybridk8s::dsl::Options::default()).unwrap_or_else(|e| panic!("{}", e.render_plain()))
}

const CLUSTER: &str = r#"
cluster_network aks {
  resource_group_name     = "k8s-rg"
  location           = "westeurope"
  address_space      = [10.40.0.0/16]
  max_nodes          = 10
  kubeconfig_path    = "/etc/k8s/aks.yaml"
  kubeconfig_context = "aks-admin"
}
"#;

#[test]
fn kubernetes_objects_inherit_the_clusters_kubeconfig_unless_they_set_their_own() {
    let src = format!(
        "{CLUSTER}
external_service api {{ cluster = aks  ports = [{{ port = 80 }}]  endpoints = [10.40.0.9] }}
lb_service web {{ cluster = aks  selector = {{ app = \"web\" }}  ports = [{{ port = 443 }}]  kubeconfig_context = \"other\" }}
dns_upstream dns {{ cluster = aks  stub_domains = {{ \"corp.local\" = [10.40.0.53] }}  kubeconfig_path = \"/tmp/own.yaml\" }}
"
    );
    let g = load(&src).graph;
    let get = |kind, name: &str, k: &str| {
        g.get(&hybridk8s::graph::Address::new(kind, name))
            .unwrap()
            .get(k)
            .as_str()
            .map(str::to_string)
    };
    use hybridk8s::graph::Kind::*;
    assert_eq!(
        get(ExternalService, "api", "kubeconfig_path").as_deref(),
        Some("/etc/k8s/aks.yaml")
    );
    assert_eq!(
        get(ExternalService, "api", "kubeconfig_context").as_deref(),
        Some("aks-admin")
    );
    assert_eq!(
        get(LbService, "web", "kubeconfig_path").as_deref(),
        Some("/etc/k8s/aks.yaml")
    );
    assert_eq!(get(LbService, "web", "kubeconfig_context").as_deref(), Some("other"));
    assert_eq!(
        get(DnsUpstream, "dns", "kubeconfig_path").as_deref(),
        Some("/tmp/own.yaml")
    );
    assert_eq!(
        get(DnsUpstream, "dns", "kubeconfig_context").as_deref(),
        Some("aks-admin")
    );
    // Desired-only inputs: they never reach the manifests.
    let streams = render::k8s_streams(&g);
    assert!(!streams[0].1.contains("kubeconfig"), "{}", streams[0].1);
}

#[test]
fn a_clusters_stream_starts_with_the_namespaces_it_does_not_ship() {
    let src = format!(
        "{CLUSTER}
external_service api {{ cluster = aks  namespace = \"payments\"  ports = [{{ port = 80 }}]  endpoints = [10.40.0.9] }}
lb_service web {{ cluster = aks  namespace = \"payments\"  selector = {{ app = \"web\" }}  ports = [{{ port = 443 }}] }}
lb_service sys {{ cluster = aks  namespace = \"kube-system\"  selector = {{ app = \"sys\" }}  ports = [{{ port = 53 }}] }}
lb_service def {{ cluster = aks  selector = {{ app = \"def\" }}  ports = [{{ port = 8080 }}]  load_balancer_ip = 10.40.0.200 }}
"
    );
    let streams = render::k8s_streams(&load(&src).graph);
    assert_eq!(streams.len(), 1);
    let text = &streams[0].1;
    assert_eq!(text.matches("kind: Namespace\n").count(), 1, "{text}");
    assert!(
        text.starts_with("# namespace of external_service.api\napiVersion: v1\nkind: Namespace\nmetadata:\n  labels:\n    app.kubernetes.io/managed-by: hybridk8s\n  name: payments\n"),
        "{text}"
    );
    assert!(
        text.contains("service.beta.kubernetes.io/azure-load-balancer-ipv4: 10.40.0.200"),
        "{text}"
    );
    assert!(!text.contains("loadBalancerIP"), "{text}");
}
