//! Networks that stay put, with real Terraform binaries (the newest and
//! 1.0.3) over the seed topology: `max_nodes` 30 → 40 → 20 is a plan error
//! naming the numbers, then an update in place — never a VNET replacement;
//! a `location` change replaces the cluster VNET and everything in it in
//! one apply, and the plan after is empty; a peered hub's gateway goes
//! none → vpn → expressroute → none in place, the peering untouched.

#[path = "terraform/harness.rs"]
mod harness;

use harness::{Terraform, Workspace};

#[path = "support/edit.rs"]
mod support_edit;
use support_edit::edit;

fn cluster_vnet(ws: &Workspace) -> serde_json::Value {
    let d = ws.fabric_dump();
    let v = d["vnets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["role"] == "cluster")
        .cloned();
    v.unwrap_or_else(|| panic!("no cluster VNET: {d:#}"))
}

fn networks(terraform: Terraform) {
    let ws = Workspace::new(terraform);
    let main = edit(
        &harness::example_main_tf(),
        "max_nodes       = 50",
        "max_nodes       = 30",
    );
    ws.write_main(&main);
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    assert_eq!(cluster_vnet(&ws)["subnets"][0]["cidr"], "10.40.0.0/22");

    // 40 nodes need a /21: an error at plan, at the attribute, with the way out.
    ws.write_main(&edit(&main, "max_nodes       = 30", "max_nodes       = 40"));
    let (out, err) = ws.expect(&["plan", "-input=false"], 1);
    assert!(err.contains("needs 1,277 addresses (/21)"), "{err}");
    assert!(err.contains("10.40.0.0/22") && err.contains("holds 1,019"), "{err}");
    assert!(err.contains("blue/green"), "{err}");
    assert!(!out.contains("must be replaced"), "{out}");

    // 20 fit the /22: in place, and nothing else moves.
    let twenty = edit(&main, "max_nodes       = 30", "max_nodes       = 20");
    ws.write_main(&twenty);
    let (out, _) = ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 2);
    assert!(out.contains("0 to add, 1 to change, 0 to destroy"), "{out}");
    assert!(out.contains("updated in-place"), "{out}");
    let (out, _) = ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    assert!(out.contains("0 added, 1 changed, 0 destroyed"), "{out}");
    assert!(out.contains("required_ip_count = 657"), "{out}");
    assert_eq!(cluster_vnet(&ws)["subnets"][0]["cidr"], "10.40.0.0/22");
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);

    // A new region needs a new VNET: it and its dependents (peering, DNS,
    // Services) are replaced, in order, in one apply.
    let moved = edit(
        &twenty,
        "resource_group_name = \"k8s-dev-rg\"\n  location = \"westeurope\"",
        "resource_group_name = \"k8s-dev-rg\"\n  location = \"northeurope\"",
    );
    ws.write_main(&moved);
    let (out, _) = ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 2);
    assert!(out.contains("7 to add, 0 to change, 7 to destroy"), "{out}");
    assert!(out.contains("hybridk8s_peering.aks_hub must be replaced"), "{out}");
    let (out, _) = ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    assert!(out.contains("7 added, 0 changed, 7 destroyed"), "{out}");
    assert_eq!(cluster_vnet(&ws)["location"], "northeurope");
    let d = ws.fabric_dump();
    let sides = d["peerings"].as_array().unwrap();
    assert_eq!(sides.len(), 2, "{d:#}");
    assert!(sides.iter().all(|s| s["peering_state"] == "Connected"), "{d:#}");
    assert_eq!(d["kubernetes_objects"].as_array().unwrap().len(), 6, "{d:#}");
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);
    ws.expect(&["destroy", "-auto-approve", "-input=false"], 0);
}

/// A hub and a cluster peered without gateway transit, the hub's gateway
/// `GATEWAY`.
const PEERED_HUB: &str = r#"
terraform {
  required_providers {
    hybridk8s = { source = "hybridk8s/hybridk8s" }
  }
}

provider "hybridk8s" {
  backend = "local"
}

resource "hybridk8s_hub_network" "hub" {
  name           = "hub"
  resource_group_name = "net-rg"
  location       = "westeurope"
  address_space  = ["10.20.0.0/22"]
  gateway        = "GATEWAY"
}

resource "hybridk8s_cluster_network" "aks" {
  name           = "aks"
  resource_group_name = "k8s-rg"
  location       = "westeurope"
  address_space  = ["10.40.0.0/16"]
  max_nodes      = 10
}

resource "hybridk8s_peering" "aks_hub" {
  cluster_network_id = hybridk8s_cluster_network.aks.id
  hub_id     = hybridk8s_hub_network.hub.id
}
"#;

fn gateways(terraform: Terraform) {
    let ws = Workspace::new(terraform);
    ws.write_main(&PEERED_HUB.replace("GATEWAY", "none"));
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    let sides = ws.fabric_dump()["peerings"].clone();
    for gw in ["vpn", "expressroute", "none"] {
        ws.write_main(&PEERED_HUB.replace("GATEWAY", gw));
        let (out, _) = ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
        assert!(out.contains("0 added, 1 changed, 0 destroyed"), "{gw}: {out}");
        let d = ws.fabric_dump();
        assert_eq!(d["peerings"], sides, "{gw}: the peering is untouched");
        let kinds: Vec<&str> = d["gateways"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|g| g["kind"].as_str())
            .collect();
        assert_eq!(kinds, if gw == "none" { vec![] } else { vec![gw] }, "{d:#}");
        ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);
    }
    ws.expect(&["destroy", "-auto-approve", "-input=false"], 0);
}

#[test]
fn terraform_newest() {
    networks(harness::newest());
    gateways(harness::newest());
}

#[test]
fn terraform_1_0_3() {
    networks(harness::v1_0_3());
    gateways(harness::v1_0_3());
}
