//! `hybridk8s_network_security_group` and `hybridk8s_route_table` with real
//! Terraform binaries (the newest and 1.0.3): create on the local fabric, a
//! clean re-plan, a rule and a route changed in place (IDs kept), import
//! after `state rm`, destroy; and the rules at plan with attribute paths.

#[path = "terraform/harness.rs"]
mod harness;

use harness::{Terraform, Workspace};

const MAIN: &str = r#"
terraform {
  required_providers {
    hybridk8s = { source = "hybridk8s/hybridk8s" }
  }
}

provider "hybridk8s" {
  backend = "local"
}

resource "hybridk8s_cluster_network" "aks" {
  name                = "k8s-dev-vnet"
  resource_group_name = "k8s-dev-rg"
  location            = "westeurope"
  address_space       = ["10.40.0.0/16"]
  plugin              = "kubenet"
  max_nodes           = 50
}

resource "hybridk8s_network_security_group" "nodes" {
  name                = "k8s-dev-nodes-nsg"
  resource_group_name = "k8s-dev-rg"
  location            = "westeurope"
  cluster_network_id  = hybridk8s_cluster_network.aks.id

  rule {
    name                    = "allow-https-from-corp"
    priority                = 100
    direction               = "inbound"
    access                  = "allow"
    protocol                = "tcp"
    destination_port_ranges = ["443"]
    source_address_prefixes = ["10.0.0.0/12"]
  }
}

resource "hybridk8s_route_table" "nodes" {
  name                = "k8s-dev-nodes-rt"
  resource_group_name = "k8s-dev-rg"
  location            = "westeurope"
  cluster_network_id  = hybridk8s_cluster_network.aks.id

  route {
    name           = "onprem"
    address_prefix = "10.0.0.0/12"
    next_hop_type  = "VirtualNetworkGateway"
  }
}
"#;

fn values_of(ws: &Workspace, address: &str) -> serde_json::Value {
    let (out, _) = ws.expect(&["show", "-json"], 0);
    let j: serde_json::Value = serde_json::from_str(&out).expect("show -json");
    j["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == address)
        .unwrap_or_else(|| panic!("no {address} in {j:#}"))["values"]
        .clone()
}

fn lifecycle(terraform: Terraform) {
    let ws = Workspace::new(terraform);
    ws.write_main(MAIN);
    let (out, _) = ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    assert!(out.contains("Resources: 3 added, 0 changed, 0 destroyed"), "{out}");
    let nsg = values_of(&ws, "hybridk8s_network_security_group.nodes");
    let id = nsg["id"].as_str().unwrap().to_string();
    assert!(
        id.ends_with("/providers/Microsoft.Network/networkSecurityGroups/k8s-dev-nodes-nsg"),
        "{id}"
    );
    assert_eq!(nsg["subnet_name"], "nodes", "the node subnet: {nsg:#}");
    assert_eq!(
        nsg["rule"][0]["source_port_ranges"],
        serde_json::json!(["*"]),
        "{nsg:#}"
    );
    let dump = ws.fabric_dump();
    assert_eq!(dump["network_security_groups"][0]["subnet_name"], "nodes", "{dump}");
    assert_eq!(dump["route_tables"][0]["route"][0]["name"], "onprem", "{dump}");
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);

    // A rule and a route change in place.
    let changed = MAIN
        .replace(
            "destination_port_ranges = [\"443\"]",
            "destination_port_ranges = [\"443\", \"8443\"]",
        )
        .replace(
            "\"VirtualNetworkGateway\"",
            "\"VirtualAppliance\"\n    next_hop_ip    = \"10.40.8.4\"",
        );
    ws.write_main(&changed);
    let (out, _) = ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 2);
    assert!(
        out.contains("hybridk8s_network_security_group.nodes will be updated in-place"),
        "{out}"
    );
    assert!(
        out.contains("hybridk8s_route_table.nodes will be updated in-place"),
        "{out}"
    );
    assert!(!out.contains("must be replaced"), "{out}");
    let (out, _) = ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    assert!(out.contains("Resources: 0 added, 2 changed, 0 destroyed"), "{out}");
    let nsg = values_of(&ws, "hybridk8s_network_security_group.nodes");
    assert_eq!(nsg["id"], id.as_str());
    assert_eq!(
        nsg["rule"][0]["destination_port_ranges"],
        serde_json::json!(["443", "8443"])
    );
    assert_eq!(
        ws.fabric_dump()["route_tables"][0]["route"][0]["next_hop_ip"],
        "10.40.8.4"
    );
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);

    // Import after forgetting it: the same object, no change planned.
    ws.expect(&["state", "rm", "hybridk8s_network_security_group.nodes"], 0);
    let (out, _) = ws.expect(
        &["import", "-input=false", "hybridk8s_network_security_group.nodes", &id],
        0,
    );
    assert!(out.contains("Import successful"), "{out}");
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);
    let (out, _) = ws.expect(&["destroy", "-auto-approve", "-input=false"], 0);
    assert!(out.contains("Resources: 3 destroyed"), "{out}");
    let dump = ws.fabric_dump();
    assert!(hybridk8s::backend::local::dump_is_empty(&dump), "{dump}");
}

#[test]
fn lifecycle_newest() {
    lifecycle(harness::newest());
}

#[test]
fn lifecycle_1_0_3() {
    lifecycle(harness::v1_0_3());
}

/// The NSG rules at plan: an error at the rule's attribute path.
fn rules_at_plan(terraform: Terraform) {
    let ws = Workspace::new(terraform);
    ws.write_main(&MAIN.replace("priority                = 100", "priority                = 5000"));
    let (_, err) = ws.expect(&["plan", "-input=false"], 1);
    assert!(err.contains("has priority 5000; Azure takes 100 to 4096"), "{err}");
    assert!(err.contains("rule"), "{err}");
}

#[test]
fn rules_at_plan_newest() {
    rules_at_plan(harness::newest());
}

#[test]
fn rules_at_plan_1_0_3() {
    rules_at_plan(harness::v1_0_3());
}
