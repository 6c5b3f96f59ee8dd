//! The provider's acceptance suite against the ARM emulator with
//! `backend = "azure"` (the example's `var.backend`), for both Terraform
//! versions: the real `azure_identity` client-secret flow, then apply, an
//! empty re-plan, an in-place update, an address-space change that resyncs
//! the peering, a replacement, import of every kind (and of a VNET created
//! directly in the emulator, as another tool would), drift, destroy. A
//! VNET of another tool in the same resource group is never touched.

#![cfg(feature = "azure")]

#[path = "arm/mod.rs"]
mod arm;
#[path = "terraform/harness.rs"]
mod harness;
#[path = "common/kube_cluster.rs"]
mod kube_cluster;
#[path = "kube/mod.rs"]
mod kube_emu;

use harness::{Terraform, Workspace};
use serde_json::{json, Value as J};

const ONE_OF_EACH_KIND: [&str; 6] = [
    "hybridk8s_hub_network.hub",
    "hybridk8s_cluster_network.aks",
    "hybridk8s_peering.aks_hub",
    "hybridk8s_dns_upstream.aks_dns",
    "hybridk8s_external_service.random_api",
    "hybridk8s_lb_service.nginx",
];

#[path = "support/edit.rs"]
mod support_edit;
use support_edit::edit;

fn emulator() -> arm::ArmEmulator {
    let emu = arm::ArmEmulator::start(arm::Options::default());
    emu.create_resource_group("net-rg", "westeurope");
    emu.create_resource_group("k8s-dev-rg", "westeurope");
    emu
}

/// The cluster of an emulated Azure (one per ARM emulator, kept for the process).
fn cluster_of(emu: &arm::ArmEmulator) -> &'static kube_cluster::Cluster {
    static CLUSTERS: std::sync::Mutex<Vec<(String, &'static kube_cluster::Cluster)>> =
        std::sync::Mutex::new(Vec::new());
    let mut all = CLUSTERS.lock().unwrap();
    if let Some((_, c)) = all.iter().find(|(e, _)| *e == emu.endpoint()) {
        return c;
    }
    let c: &'static kube_cluster::Cluster = Box::leak(Box::new(kube_cluster::Cluster::start()));
    all.push((emu.endpoint(), c));
    c
}

fn workspace(terraform: Terraform, emu: &arm::ArmEmulator) -> Workspace {
    let mut ws = Workspace::new(terraform);
    ws.env = emu.env();
    ws.env.extend(cluster_of(emu).env());
    ws.env.push(("TF_VAR_backend".into(), "azure".into()));
    ws
}

fn vnet_id(emu: &arm::ArmEmulator, rg: &str, name: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{name}",
        emu.subscription_id()
    )
}

/// The VNETs of the emulator by name.
fn vnets(emu: &arm::ArmEmulator) -> Vec<J> {
    emu.dump()["virtualNetworks"].as_array().cloned().unwrap_or_default()
}

fn vnet<'a>(all: &'a [J], name: &str) -> &'a J {
    all.iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no VNET {name} in {all:#?}"))
}

/// Every peering side is Connected and fully in sync.
fn peerings_connected(emu: &arm::ArmEmulator) -> usize {
    let mut n = 0;
    for v in vnets(emu) {
        for p in v["properties"]["virtualNetworkPeerings"]
            .as_array()
            .into_iter()
            .flatten()
        {
            assert_eq!(p["properties"]["peeringState"], "Connected", "{p:#}");
            assert_eq!(p["properties"]["peeringSyncLevel"], "FullyInSync", "{p:#}");
            n += 1;
        }
    }
    n
}

/// The ARM writes (PUT, PATCH, DELETE) the emulator saw since the last clear.
fn writes(emu: &arm::ArmEmulator) -> Vec<String> {
    emu.requests()
        .into_iter()
        .filter(|r| matches!(r.method.as_str(), "PUT" | "PATCH" | "DELETE") && !r.path.contains("/oauth2/"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn lifecycle(terraform: Terraform) {
    let emu = emulator();
    // Another tool's VNET in the hub's resource group.
    let foreign_id = vnet_id(&emu, "net-rg", "shared-services");
    emu.put(
        &foreign_id,
        json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.90.0.0/24"]}}}),
    );
    let foreign = emu.get(&foreign_id).unwrap();

    let ws = workspace(terraform, &emu);
    let main = harness::example_main_tf();
    let (out, _) = ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    assert!(out.contains("Resources: 8 added, 0 changed, 0 destroyed"), "{out}");
    assert!(emu.tokens_issued() >= 1, "the client-secret flow ran");
    let all = vnets(&emu);
    assert_eq!(all.len(), 3, "{all:#?}");
    let cluster = vnet(&all, "k8s-dev-vnet");
    assert_eq!(
        cluster["properties"]["addressSpace"]["addressPrefixes"],
        json!(["10.40.0.0/16"])
    );
    assert_eq!(cluster["tags"]["hybridk8s-managed-by"], "hybridk8s", "{cluster:#}");
    // The coredns_aks DNS upstream set the on-premises servers as the VNET's
    // (AKS keeps CoreDNS's default `forward .`), remembering its own (none).
    assert_eq!(
        cluster["properties"]["dhcpOptions"]["dnsServers"],
        json!(["10.1.0.4", "10.1.0.5"]),
        "{cluster:#}"
    );
    assert_eq!(cluster["tags"]["hybridk8s-dns-own"], "", "{cluster:#}");
    let subnets = cluster["properties"]["subnets"].as_array().unwrap();
    assert!(
        subnets
            .iter()
            .any(|s| s["properties"]["addressPrefix"] == "10.40.0.0/21"),
        "{subnets:#?}"
    );
    let hub = vnet(&all, "hub");
    assert!(
        hub["properties"]["subnets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "GatewaySubnet"),
        "{hub:#}"
    );
    let gateways = emu.dump()["virtualNetworkGateways"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(gateways.len(), 1, "{gateways:#?}");
    assert_eq!(gateways[0]["properties"]["gatewayType"], "ExpressRoute");
    assert_eq!(peerings_connected(&emu), 2);

    emu.clear_requests();
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);
    assert_eq!(writes(&emu), Vec::<String>::new(), "a plan writes nothing");
    // The refresh of eight resources reads each VNET and the gateway once.
    let gets: Vec<String> = emu
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.path)
        .collect();
    assert_eq!(gets.len(), 3, "one GET per VNET and gateway: {gets:#?}");

    // In place: more nodes still fit the /21.
    ws.write_main(&edit(&main, "max_nodes       = 50", "max_nodes       = 60"));
    let (out, _) = ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    assert!(out.contains("0 added, 1 changed, 0 destroyed"), "{out}");
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);

    // An added range: in place, and the peering is synced on both sides.
    let wider = edit(
        &main,
        "address_space   = [\"10.40.0.0/16\"]",
        "address_space   = [\"10.40.0.0/16\", \"10.41.0.0/16\"]",
    );
    ws.write_main(&wider);
    let guid = vnet(&vnets(&emu), "k8s-dev-vnet")["properties"]["resourceGuid"].clone();
    let (out, _) = ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    assert!(out.contains("0 destroyed"), "{out}");
    let all = vnets(&emu);
    let cluster = vnet(&all, "k8s-dev-vnet");
    assert_eq!(cluster["properties"]["resourceGuid"], guid, "the VNET stayed");
    assert_eq!(
        cluster["properties"]["addressSpace"]["addressPrefixes"],
        json!(["10.40.0.0/16", "10.41.0.0/16"])
    );
    assert_eq!(peerings_connected(&emu), 2);
    let hub_side = &vnet(&all, "hub")["properties"]["virtualNetworkPeerings"][0];
    assert_eq!(
        hub_side["properties"]["remoteVirtualNetworkAddressSpace"]["addressPrefixes"],
        json!(["10.40.0.0/16", "10.41.0.0/16"]),
        "{hub_side:#}"
    );
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);
    ws.write_main(&main);
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);

    // Replace: a Service's name is its identity.
    ws.write_main(&edit(
        &main,
        "name          = \"database\"",
        "name          = \"database-v2\"",
    ));
    let (out, _) = ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 2);
    assert!(out.contains("1 to add, 0 to change, 1 to destroy"), "{out}");
    ws.write_main(&main);

    // Import: forget one resource of each kind, import each by its ID.
    let ids = ws.ids();
    assert_eq!(ids.len(), 8, "{ids:?}");
    let mut rm = vec!["state", "rm"];
    rm.extend(ONE_OF_EACH_KIND);
    ws.expect(&rm, 0);
    for addr in ONE_OF_EACH_KIND {
        let id = &ids.iter().find(|(a, _)| a == addr).unwrap().1;
        let (out, _) = ws.expect(&["import", "-input=false", addr, id], 0);
        assert!(out.contains("Import successful"), "{out}");
    }
    let (out, _) = ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 2);
    assert!(out.contains("0 to add,") && out.contains("0 to destroy"), "{out}");
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);

    // Import of a VNET another tool created (no owner tags): it becomes this
    // configuration's, its subnet kept.
    let old_id = vnet_id(&emu, "k8s-dev-rg", "k8s-old-vnet");
    emu.put(
        &old_id,
        json!({"location": "westeurope", "properties": {
            "addressSpace": {"addressPrefixes": ["10.50.0.0/16"]},
            "subnets": [{"name": "nodes", "properties": {"addressPrefix": "10.50.0.0/21"}}]}}),
    );
    let with_old = format!(
        "{main}\nresource \"hybridk8s_cluster_network\" \"old\" {{\n  name             = \"k8s-old-vnet\"\n  resource_group_name   = \"k8s-dev-rg\"\n  location         = \"westeurope\"\n  address_space    = [\"10.50.0.0/16\"]\n  plugin           = \"azure_cni\"\n  max_nodes        = 50\n  max_pods         = 30\n  node_subnet_cidr = \"10.50.0.0/21\"\n  service_cidr     = \"172.16.0.0/16\"\n  dns_service_ip   = \"172.16.0.10\"\n}}\n"
    );
    ws.write_main(&with_old);
    let (out, _) = ws.expect(&["import", "-input=false", "hybridk8s_cluster_network.old", &old_id], 0);
    assert!(out.contains("Import successful"), "{out}");
    let (out, _) = ws.expect(&["plan", "-input=false"], 0);
    assert!(
        out.contains("0 to add,") && out.contains("0 to destroy") || out.contains("No changes"),
        "{out}"
    );
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    let old = emu.get(&old_id).unwrap();
    assert!(
        old["tags"]["hybridk8s-stack"]
            .as_str()
            .is_some_and(|s| s.starts_with("terraform:")),
        "{old:#}"
    );
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);

    // Drift: a Service deleted behind Terraform's back (in the cluster) is created again.
    assert!(cluster_of(&emu).emu.delete("v1", "Service", "default", "database"));
    let (out, _) = ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 2);
    assert!(
        out.contains("hybridk8s_external_service.database will be created"),
        "{out}"
    );
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);

    // Drift: the hub side of the peering is deleted in the portal; the
    // cluster side is Disconnected, so the peering is replaced.
    let hub_side_id = vnet(&vnets(&emu), "hub")["properties"]["virtualNetworkPeerings"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    emu.delete(&hub_side_id);
    let (out, _) = ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 2);
    assert!(out.contains("hybridk8s_peering.aks_hub must be replaced"), "{out}");
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    assert_eq!(peerings_connected(&emu), 2);
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);

    // Without the DNS upstream the VNET has its own DNS servers (none) again.
    ws.expect(
        &[
            "destroy",
            "-auto-approve",
            "-input=false",
            "-target=hybridk8s_dns_upstream.aks_dns",
        ],
        0,
    );
    let cluster = vnet(&vnets(&emu), "k8s-dev-vnet").clone();
    assert_eq!(
        cluster["properties"]["dhcpOptions"]["dnsServers"],
        json!([]),
        "{cluster:#}"
    );
    assert!(cluster["tags"].get("hybridk8s-dns-upstream").is_none(), "{cluster:#}");
    assert!(cluster["tags"].get("hybridk8s-dns-own").is_none(), "{cluster:#}");
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    assert_eq!(
        vnet(&vnets(&emu), "k8s-dev-vnet")["properties"]["dhcpOptions"]["dnsServers"],
        json!(["10.1.0.4", "10.1.0.5"])
    );

    ws.write_main(&with_old);
    let (out, _) = ws.expect(&["destroy", "-auto-approve", "-input=false"], 0);
    assert!(out.contains("Destroy complete! Resources: 9 destroyed"), "{out}");
    let left = vnets(&emu);
    assert_eq!(left.len(), 1, "only the other tool's VNET is left: {left:#?}");
    assert_eq!(left[0], foreign, "the other tool's VNET is untouched");
    assert!(emu.dump()["virtualNetworkGateways"]
        .as_array()
        .is_none_or(Vec::is_empty));
    assert!(emu.dump()["publicIPAddresses"].as_array().is_none_or(Vec::is_empty));
}

#[test]
fn terraform_newest_on_arm() {
    lifecycle(harness::newest());
}

#[test]
fn terraform_1_0_3_on_arm() {
    lifecycle(harness::v1_0_3());
}

/// A hub the network team runs (made directly in ARM, with its VPN gateway):
/// a `hybridk8s_hub_network` data source reads it from ARM, and a cluster is
/// peered to it with gateway transit. The hub VNET and its gateway are not
/// changed (only the peering side is added, and removed on destroy).
#[test]
fn a_cluster_peers_to_the_hub_the_network_team_runs() {
    let emu = emulator();
    let hub_id = vnet_id(&emu, "net-rg", "corp-hub");
    emu.put(
        &hub_id,
        json!({"location": "westeurope", "tags": {"owner": "network-team"}, "properties": {
            "addressSpace": {"addressPrefixes": ["10.20.0.0/22"]},
            "subnets": [{"name": "GatewaySubnet", "properties": {"addressPrefix": "10.20.3.224/27"}}]}}),
    );
    let base = format!(
        "/subscriptions/{}/resourceGroups/net-rg/providers/Microsoft.Network",
        emu.subscription_id()
    );
    let pip = format!("{base}/publicIPAddresses/corp-vpn-pip");
    emu.put(
        &pip,
        json!({"location": "westeurope", "sku": {"name": "Standard"}, "properties": {"publicIPAllocationMethod": "Static"}}),
    );
    let gw = format!("{base}/virtualNetworkGateways/corp-vpn");
    emu.put(
        &gw,
        json!({"location": "westeurope", "properties": {
            "gatewayType": "Vpn", "vpnType": "RouteBased", "sku": {"name": "VpnGw1", "tier": "VpnGw1"},
            "ipConfigurations": [{"name": "default", "properties": {
                "subnet": {"id": format!("{hub_id}/subnets/GatewaySubnet")}, "publicIPAddress": {"id": pip}}}]}}),
    );
    let hub_before = emu.get(&hub_id).unwrap();
    let gw_before = emu.get(&gw).unwrap();

    let ws = workspace(harness::newest(), &emu);
    let main = harness::example_main_tf();
    let start = main.find("resource \"hybridk8s_hub_network\" \"hub\"").unwrap();
    let end = start + main[start..].find("\n}\n").unwrap() + 3;
    let with_lookup = format!(
        "{}data \"hybridk8s_hub_network\" \"hub\" {{\n  name           = \"corp-hub\"\n  resource_group_name = \"net-rg\"\n}}\n{}",
        &main[..start],
        &main[end..]
    )
    .replace("hub_id              = hybridk8s_hub_network.hub.id", "hub_id              = data.hybridk8s_hub_network.hub.id");
    ws.write_main(&with_lookup);
    let (out, _) = ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    assert!(out.contains("Resources: 7 added, 0 changed, 0 destroyed"), "{out}");
    let hub_now = emu.get(&hub_id).unwrap();
    assert_eq!(
        hub_now["tags"], hub_before["tags"],
        "the hub's tags are the network team's"
    );
    assert_eq!(hub_now["properties"]["subnets"], hub_before["properties"]["subnets"]);
    assert_eq!(emu.get(&gw).unwrap(), gw_before, "the gateway is untouched");
    let sides = hub_now["properties"]["virtualNetworkPeerings"].as_array().unwrap();
    assert_eq!(sides.len(), 1, "{hub_now:#}");
    assert_eq!(sides[0]["properties"]["allowGatewayTransit"], true);
    assert_eq!(peerings_connected(&emu), 2);
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);

    // Overlap with the real hub's range is caught at plan, with nothing made.
    ws.write_main(&edit(
        &with_lookup,
        "address_space = [\"10.40.0.0/16\"]",
        "address_space = [\"10.40.0.0/16\", \"10.20.2.0/24\"]",
    ));
    let (_, err) = ws.expect(&["plan", "-input=false"], 1);
    assert!(err.contains("10.20.0.0/22"), "{err}");
    ws.write_main(&with_lookup);

    ws.expect(&["destroy", "-auto-approve", "-input=false"], 0);
    let hub_after = emu.get(&hub_id).unwrap();
    assert_eq!(hub_after["tags"], hub_before["tags"]);
    assert!(hub_after["properties"]["virtualNetworkPeerings"]
        .as_array()
        .is_none_or(Vec::is_empty));
    assert_eq!(emu.get(&gw).unwrap(), gw_before);
    assert_eq!(vnets(&emu).len(), 1, "only the network team's hub is left");
}

/// Configure makes no ARM call and fetches no token: a plan that needs
/// nothing from Azure (only the on-premises declaration) leaves the
/// emulator untouched, and a wrong subscription is Configure's diagnostic.
#[test]
fn configure_fetches_no_token() {
    let emu = emulator();
    let ws = workspace(harness::newest(), &emu);
    let main = harness::example_main_tf();
    let cut = main.find("resource \"hybridk8s_hub_network\"").unwrap();
    ws.write_main(&format!(
        "{}output \"corp_dns\" {{\n  value = data.hybridk8s_onprem_network.corp.dns_servers\n}}\n",
        &main[..cut]
    ));
    emu.clear_requests();
    let (out, _) = ws.expect(&["plan", "-input=false"], 0);
    assert!(out.contains("corp_dns"), "{out}");
    assert_eq!(emu.tokens_issued(), 0);
    assert!(emu.requests().is_empty(), "{:?}", emu.requests());

    let mut bad = workspace(harness::newest(), &emu);
    bad.env
        .push(("ARM_SUBSCRIPTION_ID".into(), "00000000-0000-0000-0000".into()));
    bad.write_main(&std::fs::read_to_string(ws.dir.join("main.tf")).unwrap());
    let (_, err) = bad.expect(&["plan", "-input=false"], 1);
    assert!(err.contains("ARM_SUBSCRIPTION_ID") && err.contains("GUID"), "{err}");
}
