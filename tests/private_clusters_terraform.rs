//! A private cluster through Terraform (the newest binary and 1.0.3): API
//! server VNet integration with its delegated subnet on the local fabric, a
//! hub resolver with the zone linked, the site's conditional forwarders on
//! the onprem data source; re-plan empty; a wrong zone refused at plan with
//! the attribute path.

#[path = "terraform/harness.rs"]
mod harness;

use harness::{Terraform, Workspace};

const ZONE: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/dns-rg/providers/Microsoft.Network/privateDnsZones";

fn main_tf(zone: &str) -> String {
    format!(
        r#"
terraform {{
  required_providers {{
    hybridk8s = {{ source = "hybridk8s/hybridk8s" }}
  }}
}}

provider "hybridk8s" {{
  backend    = "local"
  state_path = ".hybridk8s/fabric.db"
}}

data "hybridk8s_onprem_network" "corp" {{
  name          = "corp"
  address_space = ["10.0.0.0/12"]
  dns_servers   = ["10.1.0.4", "10.1.0.5"]

  dns_forwarders {{
    zone    = "private.westeurope.azmk8s.io"
    targets = ["10.20.1.4"]
  }}
}}

resource "hybridk8s_hub_network" "hub" {{
  name                 = "hub"
  resource_group_name  = "net-rg"
  location             = "westeurope"
  address_space        = ["10.20.0.0/22"]
  gateway              = "vpn"
  dns_resolver_ips     = ["10.20.1.4"]
  private_dns_zone_ids = ["{ZONE}/private.westeurope.azmk8s.io"]
}}

resource "hybridk8s_cluster_network" "aks" {{
  name                        = "aks-private-vnet"
  resource_group_name         = "aks-rg"
  location                    = "westeurope"
  address_space               = ["10.41.0.0/16"]
  max_nodes                   = 20
  service_cidr                = "172.16.0.0/16"
  dns_servers                 = data.hybridk8s_onprem_network.corp.dns_servers
  private_cluster             = true
  private_dns_zone            = "{ZONE}/{zone}"
  api_server_vnet_integration = true
  api_server_subnet_cidr      = "10.41.255.0/28"
  avoid                       = data.hybridk8s_onprem_network.corp.address_space
}}

resource "hybridk8s_peering" "aks_hub" {{
  cluster_network_id  = hybridk8s_cluster_network.aks.id
  hub_id              = hybridk8s_hub_network.hub.id
  use_remote_gateways = true
}}

output "api_server_subnet_id" {{
  value = hybridk8s_cluster_network.aks.api_server_subnet_id
}}
"#
    )
}

fn private_cluster(terraform: Terraform) {
    let ws = Workspace::new(terraform);
    ws.write_main(&main_tf("private.westeurope.azmk8s.io"));
    let (out, err) = ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    assert!(
        out.contains("Resources: 3 added, 0 changed, 0 destroyed"),
        "{out}\n{err}"
    );
    assert!(
        out.contains("/virtualNetworks/aks-private-vnet/subnets/apiserver"),
        "the output names the API server subnet:\n{out}"
    );
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);

    let dump = ws.fabric_dump();
    let vnet = dump["vnets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "aks-private-vnet")
        .unwrap_or_else(|| panic!("{dump:#}"))
        .clone();
    let api = vnet["subnets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "apiserver")
        .unwrap_or_else(|| panic!("{vnet:#}"))
        .clone();
    assert_eq!(api["cidr"], "10.41.255.0/28", "{api:#}");
    assert_eq!(
        api["delegation"], "Microsoft.ContainerService/managedClusters",
        "{api:#}"
    );

    // A zone of another region: refused at plan, at its attribute.
    ws.write_main(&main_tf("private.northeurope.azmk8s.io"));
    let (_, err) = ws.expect(&["plan", "-input=false"], 1);
    assert!(
        err.contains("is for region `northeurope`; the cluster is in `westeurope`"),
        "{err}"
    );
    assert!(err.contains("private_dns_zone"), "{err}");

    ws.write_main(&main_tf("private.westeurope.azmk8s.io"));
    ws.expect(&["destroy", "-auto-approve", "-input=false"], 0);
}

#[test]
fn private_cluster_newest() {
    private_cluster(harness::newest());
}

#[test]
fn private_cluster_1_0_3() {
    private_cluster(harness::v1_0_3());
}
