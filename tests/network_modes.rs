//! Network modes through the DSL (issue 10, item 1): each mode's refusal as
//! `check` renders it, a clean overlay + Cilium program, the calico and
//! kubenet warnings, the mode rules, and an existing cluster keeping its
//! plugin through the engine and the local fabric.

use hybridk8s::backend::local::LocalFabric;
use hybridk8s::backend::Backend;
use hybridk8s::dsl::{self, Files, Options, Program};
use hybridk8s::engine::{self, Action, ApplyOptions};
use hybridk8s::graph::{self, Address, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const CLUSTER: &str = "cluster_network aks {
  name                = \"aks-vnet\"
  resource_group_name = \"k8s-rg\"
  location            = \"westeurope\"
  address_space       = [10.40.0.0/16]
  service_cidr        = 172.16.0.0/16
";

/// A program of one cluster with `lines` added, and what else `rest` declares.
fn program(lines: &str, rest: &str) -> String {
    format!("{rest}{CLUSTER}{lines}}}\n")
}

fn load(text: &str) -> Program {
    let files = Files::memory([("main.hk", text.to_string())]);
    dsl::load_from(Path::new("main.hk"), &Options::default(), &files)
        .unwrap_or_else(|e| panic!("does not load:\n{}\n{text}", e.render_plain()))
}

/// What `check` prints for a program.
fn check(text: &str) -> (graph::Diagnostics, String) {
    let p = load(text);
    let d = graph::check(&p.graph);
    let out = p.render_plain(&d);
    (d, out)
}

fn codes(d: &graph::Diagnostics) -> Vec<&'static str> {
    let mut v: Vec<_> = d.iter().map(|d| d.code).collect();
    v.sort();
    v.dedup();
    v
}

fn cluster_attr(text: &str, k: &str) -> Value {
    let p = load(text);
    let a: Address = "cluster_network.aks".parse().unwrap();
    p.graph.get(&a).unwrap().get(k).clone()
}

fn snap(name: &str, text: String) {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    s.bind(|| insta::assert_snapshot!(name, text));
}

#[test]
fn each_mode_refuses_a_plan_that_does_not_fit_with_its_arithmetic() {
    let onprem = "onprem corp {\n  address_space = [10.0.0.0/12]\n}\n\n";
    let cases = [
        ("modes_node_subnet_too_small", program("  plugin = azure_cni\n  max_nodes = 50\n  max_pods = 30\n  node_subnet_cidr = 10.40.0.0/22\n", ""), "subnet-too-small"),
        ("modes_upgrade_headroom", program("  plugin = azure_cni\n  max_nodes = 32\n  max_pods = 30\n  node_subnet_cidr = 10.40.0.0/22\n", ""), "no-upgrade-headroom"),
        ("modes_overlay_pod_cidr_too_small", program("  max_nodes = 300\n", ""), "pod-cidr-too-small"),
        ("modes_overlay_pod_cidr_onprem", program("  max_nodes = 10\n  pod_cidr = 10.8.0.0/16\n  avoid = [corp]\n", onprem), "onprem-overlap"),
        ("modes_overlay_node_cap", program("  max_nodes = 5000\n  surge_nodes = 2\n  pod_cidr = 100.64.0.0/10\n", ""), "cluster-node-cap"),
        ("modes_pod_subnet_too_small", program("  plugin = azure_cni_pod_subnet\n  max_nodes = 50\n  pod_subnet_cidr = 10.40.64.0/20\n", ""), "pod-subnet-too-small"),
        ("modes_pod_subnet_overlaps_nodes", program("  plugin = azure_cni_pod_subnet\n  max_nodes = 50\n  pod_subnet_cidr = 10.40.0.0/19\n", ""), "subnet-overlap"),
        ("modes_static_block_too_large", program("  plugin = azure_cni_pod_subnet\n  pod_ip_allocation = static_block\n  max_nodes = 50\n  max_pods = 110\n  pod_subnet_cidr = 10.32.0.0/11\n", "").replace("10.40.0.0/16]", "10.0.0.0/8]"), "pod-subnet-too-large"),
        ("modes_kubenet_node_cap", program("  plugin = kubenet\n  max_nodes = 400\n  pod_cidr = 10.100.0.0/14\n", ""), "kubenet-node-cap"),
    ];
    for (name, text, code) in cases {
        let (d, out) = check(&text);
        assert!(
            d.iter().any(|x| x.code == code && x.is_error()),
            "{name}: no {code}:\n{out}"
        );
        snap(name, out);
    }
}

#[test]
fn messages_name_the_numbers_of_the_mode() {
    let (_, out) = check(&program(
        "  plugin = azure_cni\n  max_nodes = 50\n  max_pods = 30\n  node_subnet_cidr = 10.40.0.0/22\n",
        "",
    ));
    assert!(
        out.contains("needs 1,586 addresses (/21); 10.40.0.0/22 holds 1,019"),
        "{out}"
    );
    assert!(out.contains("(50 + 1 surge) x (1 + 30)"), "{out}");
    let (_, out) = check(&program(
        "  plugin = azure_cni_pod_subnet\n  max_nodes = 50\n  pod_subnet_cidr = 10.40.64.0/20\n",
        "",
    ));
    assert!(
        out.contains("needs 5,717 addresses (/19); 10.40.64.0/20 holds 4,091"),
        "{out}"
    );
    assert!(out.contains("110 max_pods rounded up to 112"), "{out}");
    let (_, out) = check(&program(
        "  plugin = azure_cni\n  max_nodes = 32\n  max_pods = 30\n  node_subnet_cidr = 10.40.0.0/22\n",
        "",
    ));
    assert!(
        out.contains("upgrade runs out of addresses") && out.contains("AKS#1053"),
        "{out}"
    );
}

#[test]
fn defaults_and_sizes_per_mode() {
    // (lines, node subnet, required_ip_count, max_pods, pod_cidr, pod subnet, pod IPs)
    let cases = [
        (
            "  max_nodes = 50\n",
            "10.40.0.0/26",
            56,
            250,
            Value::str("10.244.0.0/16"),
            Value::Null,
            Value::Null,
        ),
        (
            "  plugin = azure_cni\n  max_nodes = 50\n",
            "10.40.0.0/21",
            1586,
            30,
            Value::Null,
            Value::Null,
            Value::Null,
        ),
        (
            "  plugin = kubenet\n  max_nodes = 50\n",
            "10.40.0.0/26",
            56,
            110,
            Value::str("10.244.0.0/16"),
            Value::Null,
            Value::Null,
        ),
        (
            "  plugin = azure_cni_pod_subnet\n  max_nodes = 50\n",
            "10.40.0.0/26",
            56,
            110,
            Value::Null,
            Value::str("10.40.32.0/19"),
            Value::Number(5717),
        ),
        (
            "  plugin = azure_cni_pod_subnet\n  pod_ip_allocation = static_block\n  max_pods = 127\n  max_nodes = 50\n",
            "10.40.0.0/26",
            56,
            127,
            Value::Null,
            Value::str("10.40.32.0/19"),
            Value::Number(6533),
        ),
    ];
    for (lines, subnet, count, pods, pod_cidr, pod_subnet, pod_ips) in cases {
        let text = program(lines, "");
        assert_eq!(cluster_attr(&text, "node_subnet_cidr"), Value::str(subnet), "{lines}");
        assert_eq!(
            cluster_attr(&text, "required_ip_count"),
            Value::Number(count),
            "{lines}"
        );
        assert_eq!(cluster_attr(&text, "max_pods"), Value::Number(pods), "{lines}");
        assert_eq!(cluster_attr(&text, "pod_cidr"), pod_cidr, "{lines}");
        assert_eq!(cluster_attr(&text, "pod_subnet_cidr"), pod_subnet, "{lines}");
        assert_eq!(cluster_attr(&text, "required_pod_ip_count"), pod_ips, "{lines}");
        let (d, out) = check(&text);
        assert!(!d.has_errors(), "{lines}:\n{out}");
    }
    assert_eq!(
        cluster_attr(&program("  max_nodes = 5\n", ""), "plugin"),
        Value::str("azure_cni_overlay")
    );
    assert_eq!(
        cluster_attr(&program("  max_nodes = 5\n", ""), "network_policy"),
        Value::str("none")
    );
    assert_eq!(
        cluster_attr(&program("  plugin = calico\n  max_nodes = 5\n", ""), "network_policy"),
        Value::str("calico")
    );
    assert_eq!(
        cluster_attr(&program("  max_nodes = 50\n", ""), "max_nodes_supported"),
        Value::Number(58)
    );
}

/// The acceptance program of issue 10: a private overlay + Cilium cluster
/// beside on-premises checks (one warning: the VNET's custom DNS), answers
/// its flows, plans, applies on the local fabric with the sizes below, and
/// plans no changes after.
#[test]
fn the_private_overlay_cilium_example_checks_plans_and_applies_with_its_sizes() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/overlay-cilium.hk");
    let p = dsl::load(&example, &Options::default()).unwrap();
    let d = graph::check(&p.graph);
    assert!(!d.has_errors(), "{}", p.render_plain(&d));
    assert_eq!(codes(&d), ["vnet-dns-change"], "{}", p.render_plain(&d));
    let aks = p.graph.get(&"cluster_network.aks".parse().unwrap()).unwrap();
    // 50 nodes + 2 surge + 1 internal LB + 5 reserved = 58: a /26.
    assert_eq!(aks.get("required_ip_count"), &Value::Number(58));
    assert_eq!(aks.get("node_subnet_cidr"), &Value::str("10.40.0.0/26"));
    assert_eq!(aks.get("max_pods"), &Value::Number(250));
    assert_eq!(aks.get("pod_cidr"), &Value::str("10.244.0.0/16"));
    assert_eq!(aks.get("private_cluster"), &Value::Bool(true));

    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&example, dir.path().join("main.hk")).unwrap();
    let hk = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_hybridk8s"))
            .args(args)
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env_remove("HYBRIDK8S_STATE")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(0), "{args:?}:\n{text}");
        text
    };
    hk(&["check", "main.hk"]);
    let flows = hk(&["flows", "main.hk"]);
    assert!(flows.contains("3 flows: 3 as expected, 0 not"), "{flows}");
    assert!(flows.contains("rule `no-ssh-from-corp` (priority 200)"), "{flows}");
    let plan = hk(&["plan", "main.hk"]);
    assert!(plan.contains("network_security_group.nodes"), "{plan}");
    let applied = hk(&["apply", "main.hk", "--auto-approve"]);
    assert!(
        applied.contains("Resources: 7 added, 0 changed, 0 destroyed"),
        "{applied}"
    );
    assert!(hk(&["plan", "main.hk"]).contains("No changes"));

    let dump: serde_json::Value = serde_json::from_str(&hk(&["fabric", "dump", "--json"])).unwrap();
    let vnet = dump["vnets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "k8s-dev-vnet")
        .expect("the cluster VNET")
        .clone();
    // Only the nodes are on the subnet: no pod subnet, no /21 for pods.
    assert_eq!(
        vnet["subnets"],
        serde_json::json!([{"cidr": "10.40.0.0/26", "name": "nodes"}])
    );
    assert_eq!(vnet["dns_servers"], serde_json::json!(["10.1.0.4", "10.1.0.5"]));
    let nsg = &dump["network_security_groups"][0];
    assert_eq!(nsg["subnet_name"], "nodes");
    assert_eq!(nsg["cluster_network_id"], vnet["id"]);
    assert!(dump["peerings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["peering_state"] == "Connected" && p["peering_sync_level"] == "FullyInSync"));
    let need = hk(&["output", "main.hk", "cluster_network.aks.required_ip_count"]);
    assert_eq!(need.trim(), "58");

    // The same program without the Cilium dataplane is refused.
    let text = std::fs::read_to_string(&example).unwrap();
    let broken = text.replace(
        "  dataplane           = cilium            # Azure CNI Powered by Cilium\n",
        "",
    );
    assert_ne!(broken, text);
    let p = load(&broken);
    let d = graph::check(&p.graph);
    let errors: Vec<&str> = d.errors().map(|d| d.code).collect();
    assert_eq!(errors, ["cilium-policy-needs-dataplane"], "{}", p.render_plain(&d));
}

#[test]
fn calico_and_kubenet_warn_with_the_replacement() {
    let (d, out) = check(&program("  plugin = calico\n  max_nodes = 10\n", ""));
    assert!(!d.has_errors(), "{out}");
    assert_eq!(codes(&d), ["calico-plugin-deprecated"], "{out}");
    assert!(
        out.contains("plugin = \"kubenet\"") && out.contains("network_policy = \"calico\""),
        "{out}"
    );
    snap("modes_calico_deprecated", out);
    let (d, out) = check(&program("  plugin = kubenet\n  max_nodes = 10\n", ""));
    assert_eq!(codes(&d), ["kubenet-retirement"], "{out}");
    assert!(out.contains("2028-03-31") && out.contains("Azure/AKS#4859"), "{out}");
    snap("modes_kubenet_retirement", out);
    let (d, out) = check(&program(
        "  network_policy = azure\n  windows_nodes = true\n  max_nodes = 10\n",
        "",
    ));
    assert_eq!(codes(&d), ["npm-windows-retired"], "{out}");
    let w = d.iter().next().unwrap();
    assert!(
        w.summary.contains("2026-09-30") && w.summary.contains("2028-09-30"),
        "{out}"
    );
}

#[test]
fn policy_and_dataplane_combinations() {
    let cases: [(&str, &[&str]); 10] = [
        ("  network_policy = cilium\n  dataplane = cilium\n", &[]),
        (
            "  plugin = azure_cni_pod_subnet\n  network_policy = cilium\n  dataplane = cilium\n",
            &[],
        ),
        ("  plugin = azure_cni\n  dataplane = cilium\n", &[]),
        ("  network_policy = cilium\n", &["cilium-policy-needs-dataplane"]),
        (
            "  plugin = kubenet\n  network_policy = cilium\n  dataplane = cilium\n",
            &["cilium-needs-azure-cni", "kubenet-retirement"],
        ),
        (
            "  plugin = kubenet\n  network_policy = azure\n",
            &["kubenet-retirement", "policy-plugin-mismatch"],
        ),
        (
            "  plugin = calico\n  network_policy = none\n",
            &["calico-plugin-deprecated", "policy-plugin-mismatch"],
        ),
        (
            "  dataplane = cilium\n  network_policy = calico\n",
            &["policy-plugin-mismatch"],
        ),
        (
            "  dataplane = cilium\n  windows_nodes = true\n",
            &["windows-unsupported"],
        ),
        (
            "  plugin = kubenet\n  windows_nodes = true\n",
            &["kubenet-retirement", "windows-unsupported"],
        ),
    ];
    for (lines, want) in cases {
        let (d, out) = check(&program(&format!("{lines}  max_nodes = 10\n"), ""));
        assert_eq!(codes(&d), want, "{lines}\n{out}");
    }
    let (d, out) = check(&program("  plugin = flannel\n  max_nodes = 10\n", ""));
    assert_eq!(codes(&d), ["invalid-value"], "{out}");
    let e = d.iter().next().unwrap();
    assert!(
        e.summary
            .contains("azure_cni_overlay, azure_cni_pod_subnet, azure_cni, kubenet, calico"),
        "{out}"
    );
}

/// Settle against the object as it exists: the DSL's completed graph, the
/// prior attributes of a cluster created with another default.
#[test]
fn settle_keeps_the_prior_plugin_and_says_what_a_change_does() {
    let a: Address = "cluster_network.aks".parse().unwrap();
    let legacy = load(&program("  plugin = azure_cni\n  max_nodes = 10\n", ""));
    let prior = legacy.graph.get(&a).unwrap().attrs.clone();
    assert_eq!(prior["node_subnet_cidr"], Value::str("10.40.0.0/23"));
    let unset = load(&program("  max_nodes = 10\n", ""));
    let desired = unset.graph.get(&a).unwrap().attrs.clone();
    assert_eq!(desired["plugin"], Value::str("azure_cni_overlay"));
    let mut d = graph::Diagnostics::default();
    let planned = graph::kinds::settle_desired(&a, Some(&prior), &desired, &mut d);
    assert!(d.is_empty(), "{d:?}");
    for k in [
        "plugin",
        "max_pods",
        "pod_cidr",
        "node_subnet_cidr",
        "required_ip_count",
        "max_nodes_supported",
        "network_policy",
    ] {
        assert_eq!(planned.get(k), prior.get(k), "{k}");
    }

    // A written change: in place or a new cluster, said at plan.
    let kubenet = load(&program("  plugin = kubenet\n  max_nodes = 10\n", ""));
    let prior_k = kubenet.graph.get(&a).unwrap().attrs.clone();
    let overlay = load(&program(
        "  plugin = azure_cni_overlay\n  max_nodes = 10\n  max_pods = 110\n",
        "",
    ));
    let mut d = graph::Diagnostics::default();
    let mut cfg = graph::kinds::config_of(a.kind, &overlay.graph.get(&a).unwrap().attrs);
    cfg.insert("plugin".into(), Value::str("azure_cni_overlay"));
    let mut planned = overlay.graph.get(&a).unwrap().attrs.clone();
    d.extend(graph::kinds::settle(&a, &prior_k, &cfg, &mut planned));
    let w: Vec<_> = d.iter().filter(|x| x.code == "mode-change").collect();
    assert_eq!(w.len(), 1, "{d:?}");
    assert!(
        !w[0].is_error() && w[0].summary.contains("in place"),
        "{}",
        w[0].summary
    );
    assert_eq!(planned["plugin"], Value::str("azure_cni_overlay"));

    let mut back = prior_k.clone();
    let mut cfg = graph::kinds::config_of(a.kind, &prior_k);
    cfg.insert("plugin".into(), Value::str("kubenet"));
    let d = graph::kinds::settle(&a, &overlay.graph.get(&a).unwrap().attrs, &cfg, &mut back);
    let w: Vec<_> = d.iter().filter(|x| x.code == "mode-change").collect();
    assert_eq!(w.len(), 1, "{d:?}");
    assert!(w[0].summary.contains("only in a new cluster"), "{}", w[0].summary);
    assert!(w[0].hint.as_deref().is_some_and(|h| h.contains("blue/green")));
}

async fn plan_of(text: &str, fabric: &LocalFabric, b: &Arc<dyn Backend>) -> engine::Plan {
    let lock = fabric.lock_stack("dev", Duration::from_secs(5)).await.unwrap();
    let g = load(text).graph;
    engine::plan(&g, &lock.state().await.unwrap(), b.clone()).await.unwrap()
}

/// An azure_cni cluster applied by an older configuration: the same
/// program without `plugin` plans no change, through the local fabric.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_cluster_keeps_its_plugin_through_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    let fabric = LocalFabric::open(dir.path().join("fabric.db")).unwrap();
    let b: Arc<dyn Backend> = Arc::new(fabric.clone());
    let with = program("  plugin = azure_cni\n  max_nodes = 10\n", "");
    let p = plan_of(&with, &fabric, &b).await;
    {
        let lock = fabric.lock_stack("dev", Duration::from_secs(5)).await.unwrap();
        let r = engine::apply(&p, b.clone(), &lock, &ApplyOptions::default())
            .await
            .unwrap();
        assert!(r.is_success(), "{:#?}", r.failures().collect::<Vec<_>>());
    }
    let a: Address = "cluster_network.aks".parse().unwrap();
    let without = program("  max_nodes = 10\n", "");
    let p = plan_of(&without, &fabric, &b).await;
    let c = p.get(&a).unwrap();
    assert_eq!(c.action, Action::NoOp, "{:#}", p.to_json());
    let after = c.after.as_ref().unwrap();
    assert_eq!(after["plugin"], Value::str("azure_cni"));
    assert_eq!(after["node_subnet_cidr"], Value::str("10.40.0.0/23"));
    assert!(
        c.reasons
            .iter()
            .all(|r| !r.contains("mode-change") && !r.contains("plugin")),
        "{:?}",
        c.reasons
    );
    // A new cluster in the same program gets the new default.
    let fresh = format!(
        "{without}\n{}",
        program("  max_nodes = 10\n", "")
            .replace("cluster_network aks", "cluster_network next")
            .replace("aks-vnet", "next-vnet")
            .replace("10.40.0.0/16", "10.41.0.0/16")
    );
    let p = plan_of(&fresh, &fabric, &b).await;
    let n = p.get(&"cluster_network.next".parse().unwrap()).unwrap();
    assert_eq!(n.action, Action::Create);
    assert_eq!(n.after.as_ref().unwrap()["plugin"], Value::str("azure_cni_overlay"));
    assert_eq!(
        n.after.as_ref().unwrap()["node_subnet_cidr"],
        Value::str("10.41.0.0/28")
    );
    assert_eq!(p.get(&a).unwrap().action, Action::NoOp);
}
