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
    out
}

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
    s
}

fn example(kind: Kind, data: bool) -> &'static str {
    match (kind, data) {
        (Kind::Onprem, _) => "data \"hybridk8s_onprem_network\" \"corp\" {\n  name          = \"corp\"\n  address_space = [\"10.0.0.0/12\", \"192.168.0.0/16\"]\n  dns_servers   = [\"10.1.0.4\", \"10.1.0.5\"]\n  domains       = [\"my-company.local\"]\n}",
        (Kind::Hub, true) => "data \"hybridk8s_hub_network\" \"hub\" {\n  name           = \"hub\"\n  resource_group_name = \"net-rg\"\n}",
        (Kind::Hub, false) => "resource \"hybridk8s_hub_network\" \"hub\" {\n  name           = \"hub\"\n  resource_group_name = \"net-rg\"\n  location       = \"westeurope\"\n  address_space  = [\"10.20.0.0/22\"]\n  gateway        = \"expressroute\"\n}",
        (Kind::ClusterNetwork, _) => "resource \"hybridk8s_cluster_network\" \"aks\" {\n  name           = \"k8s-dev-vnet\"\n  resource_group_name = \"k8s-dev-rg\"\n  location       = \"westeurope\"\n  address_space  = [\"10.40.0.0/16\"]\n  plugin         = \"azure_cni\"\n  max_nodes      = 50\n  max_pods       = 30\n  service_cidr   = \"172.16.0.0/16\"\n  dns_service_ip = \"172.16.0.10\"\n  avoid          = data.hybridk8s_onprem_network.corp.address_space\n}",
        (Kind::Peering, _) => "resource \"hybridk8s_peering\" \"aks_hub\" {\n  cluster_network_id          = hybridk8s_cluster_network.aks.id\n  hub_id              = hybridk8s_hub_network.hub.id\n  use_remote_gateways = true\n}",
        (Kind::DnsUpstream, _) => "resource \"hybridk8s_dns_upstream\" \"aks\" {\n  cluster_network_id = hybridk8s_cluster_network.aks.id\n  flavor     = \"coredns_aks\"\n  stub_domains = {\n    \"my-company.local\" = data.hybridk8s_onprem_network.corp.dns_servers\n  }\n}",
        (Kind::ExternalService, _) => "resource \"hybridk8s_external_service\" \"random_api\" {\n  cluster_network_id = hybridk8s_cluster_network.aks.id\n  name       = \"external-random-api\"\n  endpoints  = [\"10.1.8.4\"]\n\n  ports {\n    port        = 80\n    target_port = 8080\n  }\n}",
        (Kind::LbService, _) => "resource \"hybridk8s_lb_service\" \"nginx\" {\n  cluster_network_id = hybridk8s_cluster_network.aks.id\n  name       = \"nginx-internal\"\n  selector   = { app = \"nginx\" }\n  internal   = true\n\n  ports {\n    port = 80\n  }\n}",
    }
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
    for b in &schema.blocks {
        let _ = writeln!(s, "\n### Nested block `{}`\n\n{}\n", b.name, b.description);
        for a in &b.attrs {
            attr_line(&mut s, a, lookup);
        }
    }
    if !data {
        let _ = write!(
            s,
            "\n## Import\n\nImport by ID (see `id` above):\n\n```shell\nterraform import {}.example '<id>'\n```\n",
            kind.terraform_type()
        );
    }
    s
}
