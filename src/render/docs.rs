//! Provider documentation in the Terraform registry layout, generated from
//! the graph's schemas so it never drifts from what the provider serves.

use crate::graph::{kinds, Attribute, Kind, Presence, Schema};
use std::fmt::Write;

/// Every generated page: (path under `docs/`, markdown).
pub fn pages() -> Vec<(String, String)> {
    let mut out = vec![("index.md".to_string(), index())];
    for kind in Kind::ALL {
        if !kind.is_declaration_only() {
            out.push((format!("resources/{}.md", short(kind)), page(kind, false)));
        }
    }
    out.push((
        format!("data-sources/{}.md", short(Kind::Onprem)),
        page(Kind::Onprem, true),
    ));
    out.push((format!("data-sources/{}.md", short(Kind::Hub)), page(Kind::Hub, true)));
    out.push(("data-sources/flow_check.md".to_string(), flow_check_page()));
    out.push(("data-sources/address_plan.md".to_string(), address_plan_page()));
    out
}

/// The `hybridk8s_address_plan` data source: its own schema, not a kind's.
fn address_plan_page() -> String {
    use crate::provider::address_plan::{schema, ADDRESS_PLAN_DATA_SOURCE};
    let schema = schema();
    let mut s = format!(
        "---\npage_title: \"{t} Data Source - hybridk8s\"\nsubcategory: \"data-sources\"\ndescription: |-\n  {d}\n---\n\n# {t} (Data Source)\n\n{d}\n\n",
        t = ADDRESS_PLAN_DATA_SOURCE,
        d = schema.description,
    );
    let _ = write!(
        s,
        "The DSL's `address_plan` block is the same allocation (see `docs/address-plans.md`). The example instantiates one module per range: `examples/terraform/environments/` holds it whole.\n\n\
         ## Example Usage\n\n```terraform\n{}\n```\n\n## Schema\n\n",
        ADDRESS_PLAN_EXAMPLE
    );
    for a in &schema.attrs {
        attr_line(&mut s, a, false);
    }
    for b in &schema.blocks {
        let _ = writeln!(s, "\n### Nested block `{}`\n\n{}\n", b.name, b.description);
        for a in &b.attrs {
            attr_line(&mut s, a, false);
        }
    }
    s
}

/// Passes `terraform fmt -check` and `terraform validate` with the other
/// examples (tests/docs.rs).
const ADDRESS_PLAN_EXAMPLE: &str = r#"data "hybridk8s_address_plan" "ranges" {
  supernets = ["10.64.0.0/10"]
  reserved  = data.hybridk8s_onprem_network.corp.address_space

  environment {
    name = "dev"
    size = 16
  }

  environment {
    name = "qa"
    size = 16
  }

  environment {
    name     = "prod"
    size     = 16
    slots    = ["blue", "green"]
    headroom = 1
  }
}

output "prod_green_cidr" {
  value = data.hybridk8s_address_plan.ranges.allocations["prod.green"]
}"#;

/// The `hybridk8s_flow_check` data source: its own schema, not a kind's.
fn flow_check_page() -> String {
    use crate::provider::flow_check::{schema, FLOW_CHECK_DATA_SOURCE};
    let schema = schema();
    let mut s = format!(
        "---\npage_title: \"{t} Data Source - hybridk8s\"\nsubcategory: \"data-sources\"\ndescription: |-\n  {d}\n---\n\n# {t} (Data Source)\n\n{d}\n\n",
        t = FLOW_CHECK_DATA_SOURCE,
        d = schema.description,
    );
    let _ = write!(
        s,
        "The flow is answered over the plan's resources, so the data source must be read after them: refer to the resources it names (and `depends_on` the peerings on the way), as below. Terraform then reads it once they are planned (or, when they change, once they are applied).\n\n\
         ## Example Usage\n\n```terraform\n{}\n```\n\n## Schema\n\n",
        FLOW_CHECK_EXAMPLE
    );
    for a in &schema.attrs {
        attr_line(&mut s, a, false);
    }
    s
}

/// Passes `terraform fmt -check` and `terraform validate` with the other
/// examples (tests/docs.rs).
const FLOW_CHECK_EXAMPLE: &str = r#"data "hybridk8s_flow_check" "pods_to_onprem_db" {
  from_cluster_network_id = hybridk8s_cluster_network.aks.id
  from_side               = "pods"
  to_address              = "10.1.2.3"
  port                    = 5432
  expect                  = "reachable"

  depends_on = [hybridk8s_peering.aks_hub]
}

data "hybridk8s_flow_check" "onprem_to_nginx" {
  from_address  = "10.1.0.0/24"
  to_service_id = hybridk8s_lb_service.nginx.id
  port          = 80

  depends_on = [hybridk8s_peering.aks_hub]
}

output "onprem_to_nginx_path" {
  value = data.hybridk8s_flow_check.onprem_to_nginx.path
}"#;

fn short(kind: Kind) -> &'static str {
    kind.terraform_type().trim_start_matches("hybridk8s_")
}

fn index() -> String {
    let mut s = String::from(
        "---\npage_title: \"hybridk8s provider\"\ndescription: |-\n  Kubernetes in Azure beside an on-premises network, checked before anything is created.\n---\n\n\
         # hybridk8s provider\n\n\
         Stands up a Kubernetes cluster's network in Azure next to an existing on-premises network: the cluster in its own VNET, \
         peered to the hub that holds the VPN/ExpressRoute gateway, on-premises DNS as upstream, on-premises backends as Services, \
         public and internal load balancers. Every resource is checked at plan time against the hybrid-network rules \
         (subnet sizing, overlaps with on-premises and peered ranges, gateway transit, DNS limits, endpoint reachability).\n\n\
         ## Example\n\n```terraform\nterraform {\n  required_providers {\n    hybridk8s = { source = \"hybridk8s/hybridk8s\" }\n  }\n}\n\n\
         provider \"hybridk8s\" {\n  backend    = \"local\"\n  state_path = \".hybridk8s/fabric.db\"\n}\n```\n\n\
         ## Argument reference\n\n",
    );
    // From the provider schema, so the page says what the provider accepts.
    for a in &crate::provider::schema::provider_schema().attrs {
        let _ = writeln!(s, "- `{}` (Optional) {}", a.name, a.description);
    }
    s.push_str("\n## Resources and data sources\n\n");
    for kind in Kind::ALL {
        let what = if kind.is_declaration_only() {
            "data source"
        } else {
            "resource"
        };
        let _ = writeln!(s, "- `{}` ({what})", kind.terraform_type());
    }
    let _ = writeln!(s, "- `{}` (data source)", Kind::Hub.terraform_type());
    let _ = writeln!(
        s,
        "- `{}` (data source)",
        crate::provider::flow_check::FLOW_CHECK_DATA_SOURCE
    );
    let _ = writeln!(
        s,
        "- `{}` (data source)",
        crate::provider::address_plan::ADDRESS_PLAN_DATA_SOURCE
    );
    s
}

fn example(kind: Kind, data: bool) -> &'static str {
    // Each passes `terraform fmt -check` and, all together, `terraform
    // validate` (tests/docs.rs).
    match (kind, data) {
        (Kind::Onprem, _) => {
            r#"data "hybridk8s_onprem_network" "corp" {
  name          = "corp"
  address_space = ["10.0.0.0/12", "192.168.0.0/16"]
  dns_servers   = ["10.1.0.4", "10.1.0.5"]
  domains       = ["my-company.local"]
}"#
        }
        (Kind::Hub, true) => {
            r#"data "hybridk8s_hub_network" "hub" {
  name                = "hub"
  resource_group_name = "net-rg"
}"#
        }
        (Kind::Hub, false) => {
            r#"resource "hybridk8s_hub_network" "hub" {
  name                = "hub"
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = ["10.20.0.0/22"]
  gateway             = "expressroute"

  tags = {
    environment = "shared"
    cost-center = "network"
  }
}"#
        }
        (Kind::ClusterNetwork, _) => {
            r#"resource "hybridk8s_cluster_network" "aks" {
  name                = "k8s-dev-vnet"
  resource_group_name = "k8s-dev-rg"
  location            = "westeurope"
  address_space       = ["10.40.0.0/16"]
  plugin              = "azure_cni"
  max_nodes           = 50
  max_pods            = 30
  service_cidr        = "172.16.0.0/16"
  dns_service_ip      = "172.16.0.10"
  avoid               = data.hybridk8s_onprem_network.corp.address_space

  tags = {
    environment = "dev"
  }

  timeouts {
    create = "45m"
  }
}"#
        }
        (Kind::Peering, _) => {
            r#"resource "hybridk8s_peering" "aks_hub" {
  cluster_network_id  = hybridk8s_cluster_network.aks.id
  hub_id              = hybridk8s_hub_network.hub.id
  use_remote_gateways = true
}"#
        }
        (Kind::DnsUpstream, _) => {
            r#"resource "hybridk8s_dns_upstream" "aks" {
  cluster_network_id = hybridk8s_cluster_network.aks.id
  flavor             = "coredns_aks"
  stub_domains = {
    "my-company.local" = data.hybridk8s_onprem_network.corp.dns_servers
  }
}"#
        }
        (Kind::ExternalService, _) => {
            r#"resource "hybridk8s_external_service" "random_api" {
  cluster_network_id = hybridk8s_cluster_network.aks.id
  name               = "external-random-api"
  endpoints          = ["10.1.8.4"]

  ports {
    port        = 80
    target_port = 8080
  }
}"#
        }
        (Kind::LbService, _) => {
            r#"resource "hybridk8s_lb_service" "nginx" {
  cluster_network_id = hybridk8s_cluster_network.aks.id
  name               = "nginx-internal"
  selector           = { app = "nginx" }
  internal           = true

  ports {
    port = 80
  }
}"#
        }
        (Kind::NetworkSecurityGroup, _) => {
            r#"resource "hybridk8s_network_security_group" "aks_nodes" {
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
    source_address_prefixes = data.hybridk8s_onprem_network.corp.address_space
  }

  rule {
    name                    = "deny-internet-in"
    priority                = 4000
    direction               = "inbound"
    access                  = "deny"
    source_address_prefixes = ["Internet"]
  }
}"#
        }
        (Kind::RouteTable, _) => {
            r#"resource "hybridk8s_route_table" "aks_nodes" {
  name                = "k8s-dev-nodes-rt"
  resource_group_name = "k8s-dev-rg"
  location            = "westeurope"
  cluster_network_id  = hybridk8s_cluster_network.aks.id

  route {
    name           = "onprem-via-gateway"
    address_prefix = "10.0.0.0/12"
    next_hop_type  = "VirtualNetworkGateway"
  }

  route {
    name           = "egress-via-firewall"
    address_prefix = "0.0.0.0/0"
    next_hop_type  = "VirtualAppliance"
    next_hop_ip    = "10.20.0.4"
  }
}"#
        }
    }
}

/// The resource name of each kind's example, and the ID an import of the
/// object it makes takes (built by the kind itself, so it cannot drift).
fn import_example(kind: Kind) -> (&'static str, String) {
    use crate::graph::{Ctx, Value};
    let ctx = Ctx::default();
    let hub = kinds::vnet_id(&ctx, "net-rg", "hub");
    let cluster = kinds::vnet_id(&ctx, "k8s-dev-rg", "k8s-dev-vnet");
    let (label, config): (&str, Vec<(&str, &str)>) = match kind {
        Kind::Hub => ("hub", vec![("name", "hub"), ("resource_group_name", "net-rg")]),
        Kind::ClusterNetwork => (
            "aks",
            vec![("name", "k8s-dev-vnet"), ("resource_group_name", "k8s-dev-rg")],
        ),
        Kind::Peering => ("aks_hub", vec![("cluster_network_id", &cluster), ("hub_id", &hub)]),
        Kind::DnsUpstream => ("aks", vec![("cluster_network_id", &cluster), ("flavor", "coredns_aks")]),
        Kind::ExternalService => (
            "random_api",
            vec![("cluster_network_id", &cluster), ("name", "external-random-api")],
        ),
        Kind::NetworkSecurityGroup => (
            "aks_nodes",
            vec![("name", "k8s-dev-nodes-nsg"), ("resource_group_name", "k8s-dev-rg")],
        ),
        Kind::RouteTable => (
            "aks_nodes",
            vec![("name", "k8s-dev-nodes-rt"), ("resource_group_name", "k8s-dev-rg")],
        ),
        _ => (
            "nginx",
            vec![("cluster_network_id", &cluster), ("name", "nginx-internal")],
        ),
    };
    let attrs = config
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::str(v)))
        .collect();
    let (done, _) = kinds::complete(&crate::graph::Address::new(kind, label), attrs, &ctx);
    let id = done.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
    (label, id)
}

fn flag(a: &Attribute, data_lookup: bool) -> &'static str {
    if data_lookup {
        return if matches!(a.name, "name" | "resource_group_name") {
            "Required"
        } else {
            "Read-only"
        };
    }
    match a.presence {
        Presence::Required => "Required",
        Presence::Optional | Presence::OptionalComputed => "Optional",
        Presence::Computed => "Read-only",
    }
}

fn attr_line(s: &mut String, a: &Attribute, lookup: bool) {
    let mut notes = Vec::new();
    if let Some(d) = a.default.as_ref().filter(|_| !lookup) {
        notes.push(format!("default `{}`", d.to_json()));
    }
    if a.requires_replace && !lookup && a.user_settable() {
        notes.push("changing it replaces the resource".to_string());
    }
    if a.sensitive {
        notes.push("sensitive".to_string());
    }
    let extra = if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join("; "))
    };
    let _ = writeln!(
        s,
        "- `{}` ({}, {}) {}{extra}",
        a.name,
        flag(a, lookup),
        a.ty.describe(),
        a.description
    );
}

fn page(kind: Kind, data: bool) -> String {
    let schema: &Schema = kinds::schema(kind);
    let lookup = data && kind == Kind::Hub;
    let (what, sub) = if data {
        ("Data Source", "data-sources")
    } else {
        ("Resource", "resources")
    };
    let mut s = format!(
        "---\npage_title: \"{t} {what} - hybridk8s\"\nsubcategory: \"{sub}\"\ndescription: |-\n  {d}\n---\n\n# {t} ({what})\n\n{d}\n\n",
        t = kind.terraform_type(),
        d = if lookup { "Looks up an existing hub network (created by `hybridk8s_hub_network` or present in the fabric) by name and resource group." } else { schema.description },
    );
    let _ = write!(
        s,
        "## Example Usage\n\n```terraform\n{}\n```\n\n## Schema\n\n",
        example(kind, data)
    );
    for a in &schema.attrs {
        attr_line(&mut s, a, lookup);
    }
    for (old, a) in schema.aliases() {
        let _ = writeln!(
            s,
            "- `{old}` (Optional, Deprecated) The former name of `{}`, accepted with a warning until the next release and kept equal to it in state. Rename it: nothing is replaced.",
            a.name
        );
    }
    for b in schema.blocks.iter().filter(|b| !(lookup && b.name == "timeouts")) {
        let _ = writeln!(s, "\n### Nested block `{}`\n\n{}\n", b.name, b.description);
        for a in &b.attrs {
            attr_line(&mut s, a, lookup);
        }
    }
    if !data {
        let (label, id) = import_example(kind);
        let _ = write!(
            s,
            "\n## Import\n\nAn existing object is imported by its ID (see `id` above); hybridk8s puts its owner mark on it, and refuses one another stack owns. The object of the example above:\n\n```shell\nterraform import {t}.{label} '{id}'\n```\n\nOr, with Terraform 1.5 and later, in the configuration:\n\n```terraform\nimport {{\n  to = {t}.{label}\n  id = \"{id}\"\n}}\n```\n",
            t = kind.terraform_type()
        );
    }
    s
}
