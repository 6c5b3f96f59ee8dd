//! Graph builders shared by the integration tests: resources from JSON
//! configuration, and the seed topology.
#![allow(dead_code)]

use hybridk8s::graph::{kinds, Address, Attrs, Ctx, Graph, Kind, Resource, Value};
use serde_json::json;

/// Completes a resource from JSON configuration; config errors panic the test.
pub fn res(kind: Kind, name: &str, cfg: serde_json::Value) -> Resource {
    let addr = Address::new(kind, name);
    let Value::Map(m) = Value::from_json(&cfg) else {
        panic!("config must be an object")
    };
    let mut attrs: Attrs = m;
    if kinds::schema(kind).attribute("name").is_some() && !attrs.contains_key("name") {
        attrs.insert("name".into(), Value::str(name));
    }
    let (attrs, diags) = kinds::complete(&addr, attrs, &Ctx::default());
    assert!(!diags.has_errors(), "config of {addr}: {:?}", diags);
    Resource::new(addr, attrs)
}

pub fn id_of(g: &Graph, kind: Kind, name: &str) -> String {
    g.get(&Address::new(kind, name))
        .and_then(|r| r.id())
        .expect("resource with id")
        .to_string()
}

pub fn onprem() -> Resource {
    res(
        Kind::Onprem,
        "corp",
        json!({"address_space": ["10.0.0.0/12", "192.168.0.0/16"], "dns_servers": ["10.1.0.4", "10.1.0.5"], "domains": ["my-company.local"]}),
    )
}

pub fn hub(gateway: &str) -> Resource {
    res(
        Kind::Hub,
        "hub",
        json!({"resource_group_name": "net-rg", "location": "westeurope", "address_space": ["10.20.0.0/22"], "gateway": gateway}),
    )
}

pub fn cluster(extra: serde_json::Value) -> Resource {
    let mut cfg = json!({"resource_group_name": "k8s-rg", "location": "westeurope", "address_space": ["10.40.0.0/16"],
        "plugin": "azure_cni", "max_nodes": 50, "max_pods": 30, "service_cidr": "172.16.0.0/16", "avoid": ["10.0.0.0/12"]});
    for (k, v) in extra.as_object().expect("object") {
        cfg[k] = v.clone();
    }
    res(Kind::ClusterNetwork, "aks", cfg)
}

/// The seed topology: on-prem, hub with gateway, cluster, peering with gateway transit.
pub fn topology(cluster_extra: serde_json::Value, gateway: &str) -> Graph {
    let mut g = Graph::new();
    g.add(onprem()).unwrap();
    g.add(hub(gateway)).unwrap();
    g.add(cluster(cluster_extra)).unwrap();
    let (c, h) = (id_of(&g, Kind::ClusterNetwork, "aks"), id_of(&g, Kind::Hub, "hub"));
    g.add(res(
        Kind::Peering,
        "aks_hub",
        json!({"cluster_network_id": c, "hub_id": h, "use_remote_gateways": true}),
    ))
    .unwrap();
    g
}

pub fn add(g: &mut Graph, kind: Kind, name: &str, mut cfg: serde_json::Value) {
    if cfg.get("cluster_network_id").is_none() && !matches!(kind, Kind::Onprem | Kind::Hub | Kind::ClusterNetwork) {
        cfg["cluster_network_id"] = json!(id_of(g, Kind::ClusterNetwork, "aks"));
    }
    g.add(res(kind, name, cfg)).unwrap();
}

/// The whole seed topology with DNS, external services and load balancers.
pub fn seed() -> Graph {
    let mut g = topology(json!({"internal_lb_ips": 1}), "expressroute");
    add(
        &mut g,
        Kind::DnsUpstream,
        "dns",
        json!({"stub_domains": {"my-company.local": ["10.1.0.4", "10.1.0.5"]}}),
    );
    add(
        &mut g,
        Kind::ExternalService,
        "api",
        json!({"name": "external-random-api", "endpoints": ["10.1.8.4"], "ports": [{"port": 80, "target_port": 8080}]}),
    );
    add(
        &mut g,
        Kind::ExternalService,
        "db",
        json!({"name": "db", "external_name": "db.my-company.local", "ports": [{"port": 1433}]}),
    );
    add(
        &mut g,
        Kind::LbService,
        "web",
        json!({"name": "web", "selector": {"app": "web"}, "ports": [{"port": 80}]}),
    );
    add(
        &mut g,
        Kind::LbService,
        "sql",
        json!({"name": "sql", "selector": {"app": "sql"}, "ports": [{"port": 1433}], "internal": true, "internal_subnet": "nodes"}),
    );
    g
}

/// Runs `kubernetes-validate --strict` on YAML documents: (accepted, output).
pub fn kubernetes_validate(yaml: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("manifests.yaml");
    std::fs::write(&path, yaml).unwrap();
    // `tests/run.sh` puts it in a virtualenv under target/tools/.
    let program = std::env::var_os("HYBRIDK8S_KUBERNETES_VALIDATE").unwrap_or_else(|| {
        let local = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tools/venv/bin/kubernetes-validate");
        if local.is_file() {
            local.into()
        } else {
            "kubernetes-validate".into()
        }
    });
    let out = std::process::Command::new(program)
        .args(["--strict", "--no-warn"])
        .arg(&path)
        .output()
        .expect("kubernetes-validate is missing: run the README's test command (`bash tests/run.sh` puts it under target/tools/)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}
