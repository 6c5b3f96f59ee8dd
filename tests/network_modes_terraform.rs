//! Network modes with real Terraform binaries (the newest and 1.0.3) on the
//! local fabric: a cluster without `plugin` is an Azure CNI Overlay cluster
//! whose node subnet holds only the nodes; a cluster created as `azure_cni`
//! (the former default) keeps its mode when the configuration stops saying
//! it, and a written plugin change says what AKS does.

#[path = "terraform/harness.rs"]
mod harness;

use harness::{Terraform, Workspace};

#[path = "support/edit.rs"]
mod support_edit;
use support_edit::edit;

const PLUGIN: &str = "  plugin              = \"azure_cni\"\n";
const MAX_PODS: &str = "  max_pods            = 30\n";

fn cluster_values(ws: &Workspace) -> serde_json::Value {
    let (out, _) = ws.expect(&["show", "-json"], 0);
    let j: serde_json::Value = serde_json::from_str(&out).expect("show -json");
    j["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "hybridk8s_cluster_network.aks")
        .unwrap_or_else(|| panic!("no cluster in {j:#}"))["values"]
        .clone()
}

fn fabric_node_subnet(ws: &Workspace) -> serde_json::Value {
    let d = ws.fabric_dump();
    let v = d["vnets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["role"] == "cluster")
        .cloned();
    v.unwrap_or_else(|| panic!("no cluster VNET: {d:#}"))["subnets"][0]["cidr"].clone()
}

/// The example without `plugin` and `max_pods`: the overlay defaults.
fn overlay(terraform: Terraform) {
    let ws = Workspace::new(terraform);
    let main = harness::example_main_tf();
    assert!(
        main.contains(PLUGIN) && main.contains(MAX_PODS),
        "the example's cluster changed: update this test"
    );
    ws.write_main(&main.replace(PLUGIN, "").replace(MAX_PODS, ""));
    let (out, _) = ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    // 50 nodes + 1 surge + 1 internal LB + 5 reserved = 57: a /26.
    assert!(out.contains("required_ip_count = 57"), "{out}");
    let c = cluster_values(&ws);
    assert_eq!(c["plugin"], "azure_cni_overlay", "{c:#}");
    assert_eq!(c["max_pods"], 250, "{c:#}");
    assert_eq!(c["pod_cidr"], "10.244.0.0/16", "{c:#}");
    assert_eq!(c["network_policy"], "none", "{c:#}");
    assert_eq!(c["dataplane"], "azure", "{c:#}");
    assert_eq!(c["node_subnet_cidr"], "10.40.0.0/26", "{c:#}");
    assert_eq!(c["max_nodes_supported"], 57, "{c:#}");
    assert!(c["required_pod_ip_count"].is_null(), "{c:#}");
    assert_eq!(fabric_node_subnet(&ws), "10.40.0.0/26");
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);

    // Cilium policy without the Cilium dataplane: refused at the attribute.
    let cilium = edit(
        &main.replace(PLUGIN, "").replace(MAX_PODS, ""),
        "  max_nodes           = 50\n",
        "  max_nodes           = 50\n  network_policy      = \"cilium\"\n",
    );
    ws.write_main(&cilium);
    let (_, err) = ws.expect(&["plan", "-input=false"], 1);
    assert!(
        err.contains("dataplane = \\\"cilium\\\"") || err.contains("dataplane = \"cilium\""),
        "{err}"
    );
    assert!(err.contains("network_policy"), "{err}");
    ws.write_main(&edit(
        &cilium,
        "  network_policy      = \"cilium\"\n",
        "  network_policy      = \"cilium\"\n  dataplane           = \"cilium\"\n",
    ));
    let (out, _) = ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 2);
    assert!(out.contains("0 to add, 1 to change, 0 to destroy"), "{out}");
    ws.expect(&["destroy", "-auto-approve", "-input=false"], 0);
}

#[test]
fn overlay_newest() {
    overlay(harness::newest());
}

#[test]
fn overlay_1_0_3() {
    overlay(harness::v1_0_3());
}

/// A state written with `plugin = "azure_cni"` (the former default).
fn kept_plugin(terraform: Terraform) {
    let ws = Workspace::new(terraform);
    let main = harness::example_main_tf();
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    assert_eq!(cluster_values(&ws)["node_subnet_cidr"], "10.40.0.0/21");

    // Without `plugin` (and `max_pods`, which follows it) nothing changes.
    ws.write_main(&main.replace(PLUGIN, "").replace(MAX_PODS, ""));
    let (out, _) = ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);
    assert!(out.contains("No changes"), "{out}");
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    let c = cluster_values(&ws);
    assert_eq!(c["plugin"], "azure_cni", "{c:#}");
    assert_eq!(c["max_pods"], 30, "{c:#}");
    assert!(c["pod_cidr"].is_null(), "{c:#}");
    assert_eq!(c["required_ip_count"], 1587, "{c:#}");
    assert_eq!(fabric_node_subnet(&ws), "10.40.0.0/21");

    // A written change says what AKS does.
    ws.write_main(&edit(&main, PLUGIN, "  plugin              = \"kubenet\"\n").replace(MAX_PODS, ""));
    let (out, err) = ws.expect(&["plan", "-input=false"], 0);
    let text = format!("{out}\n{err}");
    assert!(text.contains("AKS cannot change this on an existing cluster"), "{text}");
    assert!(text.contains("plugin"), "{text}");
    ws.write_main(&edit(&main, PLUGIN, "  plugin              = \"azure_cni_overlay\"\n").replace(MAX_PODS, ""));
    let (out, err) = ws.expect(&["plan", "-input=false"], 0);
    let text = format!("{out}\n{err}");
    assert!(
        text.contains("migrates Azure CNI (node subnet) to overlay in place"),
        "{text}"
    );
    ws.write_main(&main);
    ws.expect(&["destroy", "-auto-approve", "-input=false"], 0);
}

#[test]
fn kept_plugin_newest() {
    kept_plugin(harness::newest());
}

#[test]
fn kept_plugin_1_0_3() {
    kept_plugin(harness::v1_0_3());
}
