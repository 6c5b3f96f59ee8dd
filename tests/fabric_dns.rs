//! `coredns_aks` on the local fabric: applying the seed (examples/hybrid.hk)
//! sets the cluster VNET's DNS servers to the on-premises DNS and writes a
//! non-empty `coredns-custom`; re-planning is empty (the cluster network does
//! not take the upstream's servers for its own); removing the dns_upstream
//! puts back what the VNET had.

use hybridk8s::backend::local::{LocalFabric, StackLock};
use hybridk8s::backend::Backend;
use hybridk8s::dsl::{self, Options};
use hybridk8s::engine::{self, ApplyOptions};
use hybridk8s::graph::{Graph, Kind};
use serde_json::Value as J;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

async fn converge(graph: &Graph, backend: &Arc<dyn Backend>, lock: &StackLock) {
    let p = engine::plan(graph, &lock.state().await.unwrap(), backend.clone())
        .await
        .unwrap();
    let r = engine::apply(&p, backend.clone(), lock, &ApplyOptions::default())
        .await
        .unwrap();
    assert!(r.is_success(), "{:#?}", r.failures().collect::<Vec<_>>());
    let again = engine::plan(graph, &lock.state().await.unwrap(), backend.clone())
        .await
        .unwrap();
    assert!(!again.has_changes(), "{:#}", again.to_json());
}

fn cluster_vnet(dump: &J) -> &J {
    dump["vnets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["role"] == "cluster")
        .unwrap()
}

fn without_dns(g: &Graph) -> Graph {
    let mut out = Graph::new();
    for r in g.iter().filter(|r| r.kind() != Kind::DnsUpstream) {
        out.add(r.clone()).unwrap();
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coredns_aks_sets_the_vnet_dns_servers_and_gives_them_back() {
    let graph = dsl::load(Path::new("examples/hybrid.hk"), &Options::default())
        .unwrap_or_else(|e| panic!("{}", e.render_plain()))
        .graph;
    let dir = tempfile::tempdir().unwrap();
    let fabric = LocalFabric::open(dir.path().join("fabric.db")).unwrap();
    let lock = fabric.lock_stack("dev", Duration::from_secs(5)).await.unwrap();
    let backend: Arc<dyn Backend> = Arc::new(fabric.clone());

    // The network alone first: the VNET keeps Azure's resolver (no servers).
    converge(&without_dns(&graph), &backend, &lock).await;
    assert_eq!(
        cluster_vnet(&fabric.dump().await.unwrap())["dns_servers"],
        serde_json::json!([])
    );

    converge(&graph, &backend, &lock).await;
    let d = fabric.dump().await.unwrap();
    assert_eq!(
        cluster_vnet(&d)["dns_servers"],
        serde_json::json!(["10.1.0.4", "10.1.0.5"])
    );
    let cm = d["kubernetes_objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "ConfigMap")
        .unwrap();
    assert_eq!(cm["name"], "coredns-custom");
    let data = cm["manifest"]["data"].as_object().unwrap();
    assert!(
        data["my-company.local.server"]
            .as_str()
            .unwrap()
            .contains("forward . 10.1.0.4 10.1.0.5 {\n        policy sequential\n    }"),
        "{data:?}"
    );
    assert!(data["hybridk8s.override"]
        .as_str()
        .unwrap()
        .contains("10.1.0.4 10.1.0.5"));

    // Destroying the dns_upstream restores the VNET's own servers (none).
    converge(&without_dns(&graph), &backend, &lock).await;
    let d = fabric.dump().await.unwrap();
    assert_eq!(cluster_vnet(&d)["dns_servers"], serde_json::json!([]));
    assert!(!d["kubernetes_objects"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["kind"] == "ConfigMap"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vnet_with_dns_servers_of_its_own_gets_them_back() {
    // The fabric's view (the rule `conflicting-vnet-dns` refuses this program
    // at check time): the cluster network has DNS servers of its own; the
    // dns_upstream's replace them, the network does not read them as drift,
    // and they come back when the dns_upstream goes.
    let mut graph = dsl::load(Path::new("examples/hybrid.hk"), &Options::default())
        .unwrap_or_else(|e| panic!("{}", e.render_plain()))
        .graph;
    let aks = graph.get_mut(&"cluster_network.aks".parse().unwrap()).unwrap();
    aks.attrs.insert(
        "dns_servers".into(),
        hybridk8s::graph::Value::list_of_str(["10.40.0.53"]),
    );
    let dir = tempfile::tempdir().unwrap();
    let fabric = LocalFabric::open(dir.path().join("fabric.db")).unwrap();
    let lock = fabric.lock_stack("dev", Duration::from_secs(5)).await.unwrap();
    let backend: Arc<dyn Backend> = Arc::new(fabric.clone());
    converge(&graph, &backend, &lock).await;
    assert_eq!(
        cluster_vnet(&fabric.dump().await.unwrap())["dns_servers"],
        serde_json::json!(["10.1.0.4", "10.1.0.5"])
    );
    converge(&without_dns(&graph), &backend, &lock).await;
    assert_eq!(
        cluster_vnet(&fabric.dump().await.unwrap())["dns_servers"],
        serde_json::json!(["10.40.0.53"])
    );
}
