//! Catalogue rows of the configuration family (`HK0xx`): names, regions,
//! IDs, values and types, tags, timeouts, former names (HK001–049), and the
//! DSL's own load problems (HK050–099).

use super::{Family, Rule};

#[allow(unused_imports)]
use Family::*;

/// A cluster network the examples of this file start from.
macro_rules! cluster {
    ($extra:literal) => {
        concat!(
            "cluster_network aks {\n",
            "  resource_group_name = \"rg\"\n",
            "  location            = \"westeurope\"\n",
            "  address_space       = [10.40.0.0/16]\n",
            "  plugin              = azure_cni\n",
            "  max_nodes           = 10\n",
            "  service_cidr        = 172.16.0.0/16\n",
            $extra,
            "}\n"
        )
    };
}
pub(crate) use cluster;

pub(super) const RULES: &[Rule] = &[
    // Names and regions.
    Rule {
        id: "HK001",
        code: "invalid-name",
        family: Config,
        summary: "A resource group, VNET, subnet or peering name that Azure refuses",
        why: "Azure's naming rules (`Microsoft.Network` resource name rules): resource groups 1–90 letters, digits, `_ ( ) - .` not ending in `.`; VNETs 2–64 and subnets and peerings 1–80 ASCII letters, digits, `_ . -`, starting with a letter or digit and ending with a letter, digit or `_`. The name is part of the resource ID, so a name with `/`, a space or `?` cannot even be addressed.",
        bad: r#"cluster_network aks {
  name                = "aks vnet"
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = azure_cni
  max_nodes           = 10
}
"#,
        good: r#"cluster_network aks {
  name                = "aks-vnet"
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = azure_cni
  max_nodes           = 10
}
"#,
    },
    Rule {
        id: "HK002",
        code: "reserved-subnet-name",
        family: Config,
        summary: "A cluster subnet named `GatewaySubnet`, the name Azure reserves for a gateway",
        why: "Azure gives the name `GatewaySubnet` to the subnet of a virtual network gateway (VPN or ExpressRoute gateway docs, \"The gateway subnet must be named GatewaySubnet\"). Only a hub holds a gateway in hybridk8s; a cluster subnet of that name would be taken for one.",
        bad: cluster!("  subnets             = [{ name = \"GatewaySubnet\", cidr = 10.40.255.0/27 }]\n"),
        good: cluster!("  subnets             = [{ name = \"extra\", cidr = 10.40.255.0/27 }]\n"),
    },
    Rule {
        id: "HK005",
        code: "unknown-region",
        family: Config,
        summary: "A location that is not an Azure region",
        why: "ARM refuses a resource in a location it does not know (`LocationNotAvailableForResourceType`, `az account list-locations`). Checked against Azure's short region names of the public, US Government and China clouds, with the closest name suggested.",
        bad: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurpe"
  address_space       = [10.20.0.0/22]
}
"#,
        good: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}
"#,
    },
    Rule {
        id: "HK006",
        code: "region-spelling",
        family: Config,
        summary: "A location written as a display name (`West Europe`) instead of the short name",
        why: "ARM accepts display names on create but answers with the short name (`westeurope`); the next plan would read that as a change of `location`, which replaces the network. Use the short name.",
        bad: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "West Europe"
  address_space       = [10.20.0.0/22]
}
"#,
        good: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}
"#,
    },
    // Identity of objects.
    Rule {
        id: "HK010",
        code: "duplicate-id",
        family: Config,
        summary: "Two resources that are the same Azure virtual network",
        why: "A VNET's ID is built from its subscription, resource group and name (`/subscriptions/…/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<name>`, case-insensitive in ARM). Two declarations with the same ID would both create, and the second would meet the first's object. The provider checks the resources of one Terraform configuration the same way.",
        bad: r#"hub a {
  name                = "net"
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}

hub b {
  name                = "NET"
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.21.0.0/22]
}
"#,
        good: r#"hub a {
  name                = "net"
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}

hub b {
  name                = "net-2"
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.21.0.0/22]
}
"#,
    },
    Rule {
        id: "HK011",
        code: "duplicate-address",
        family: Config,
        summary: "Two resources of one kind with the same address (`kind.name`)",
        why: "Every resource of the graph has one address (`hub.hub`): plans, state and messages name it by that address, so two resources cannot share one. The DSL reports its own code first (`dsl::duplicate-name`, HK072); this check guards what reaches the graph another way (Terraform, the library), so `check` has no example of it.",
        bad: "",
        good: "",
    },
    Rule {
        id: "HK012",
        code: "dependency-cycle",
        family: Config,
        summary: "Resources that depend on each other in a cycle",
        why: "Resources are created in dependency order (a peering after both networks); a cycle has no first resource. The DSL reports its own code first (`dsl::dependency-cycle`, HK084); this check guards what reaches the graph another way (Terraform, the library), so `check` has no example of it.",
        bad: "",
        good: "",
    },
    // Values and types.
    Rule {
        id: "HK020",
        code: "invalid-cidr",
        family: Config,
        summary: "A value that is not an IPv4 CIDR (or a prefix with host bits set)",
        why: "Azure takes address prefixes as network addresses with a prefix length (`10.40.0.0/16`); a prefix with host bits set is refused with `InvalidAddressPrefixFormat` (ARM error codes). `docker_bridge_cidr` is the exception: it is an interface address (`172.17.0.1/16`).",
        bad: cluster!("  docker_bridge_cidr  = \"172.17.0.1\"\n"),
        good: cluster!("  docker_bridge_cidr  = \"172.17.0.1/16\"\n"),
    },
    Rule {
        id: "HK021",
        code: "invalid-ip",
        family: Config,
        summary: "A value that is not an IPv4 address",
        why: "DNS servers, the DNS service IP, endpoints and load-balancer IPs are single IPv4 addresses; Azure and Kubernetes refuse anything else. Terraform passes them as strings, checked here. The DSL reports its own code first (`dsl::type-mismatch`, HK075); this check guards what reaches the graph another way (Terraform, the library), so `check` has no example of it.",
        bad: "",
        good: "",
    },
    Rule {
        id: "HK022",
        code: "invalid-value",
        family: Config,
        summary: "A value outside the set an attribute allows (a plugin, a gateway, a flavor)",
        why: "Attributes such as `plugin`, `gateway` and `flavor` take one of a fixed set of words; anything else has no meaning in Azure or Kubernetes. The message lists the allowed values.",
        bad: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
  gateway             = "vnp"
}
"#,
        good: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
  gateway             = vpn
}
"#,
    },
    Rule {
        id: "HK023",
        code: "out-of-range",
        family: Config,
        summary: "A number outside its bounds (max_pods 10–250, node counts)",
        why: "AKS bounds pods per node to 10..=250 (`concepts-network-ip-address-planning.md`, AKS networking docs) and node counts to what a pool can hold; a plan outside the bounds is refused at cluster creation.",
        bad: cluster!("  max_pods            = 300\n"),
        good: cluster!("  max_pods            = 30\n"),
    },
    Rule {
        id: "HK024",
        code: "type-mismatch",
        family: Config,
        summary: "A value of the wrong type for its attribute (Terraform, or a block item)",
        why: "Every attribute has one type in the schema (string, number, bool, CIDR, IP, list, map, block), checked before any rule looks at the value. The DSL reports its own code first (`dsl::type-mismatch`, HK075); this check guards what reaches the graph another way (Terraform, the library), so `check` has no example of it.",
        bad: "",
        good: "",
    },
    Rule {
        id: "HK025",
        code: "missing-attribute",
        family: Config,
        summary: "A required attribute that is not set",
        why: "Some attributes have no sensible default: an Azure VNET needs a resource group, a location and an address space; a cluster needs its autoscaler maximum (`max_nodes`), because AKS sizes for the maximum, not the current count.",
        bad: r#"hub hub {
  resource_group_name = "net-rg"
  address_space       = [10.20.0.0/22]
}
"#,
        good: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}
"#,
    },
    Rule {
        id: "HK026",
        code: "unknown-attribute",
        family: Config,
        summary: "An attribute the resource kind does not have (Terraform, or a block item)",
        why: "An attribute that is not in the schema would be silently ignored: a misspelt `use_remote_gateway` would leave a peering without gateway transit. The DSL reports its own code first (`dsl::unknown-attribute`, HK061); this check guards what reaches the graph another way (Terraform, the library), so `check` has no example of it.",
        bad: "",
        good: "",
    },
    Rule {
        id: "HK027",
        code: "computed-attribute",
        family: Config,
        summary: "A computed attribute (an ID, a count) that is set by hand",
        why: "IDs and derived numbers (`id`, `required_ip_count`) come from Azure or from hybridk8s; a value written by hand would disagree with the real object. Reference them instead (`hub.id`).",
        bad: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
  id                  = "/subscriptions/x"
}
"#,
        good: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}
"#,
    },
    Rule {
        id: "HK028",
        code: "too-many-items",
        family: Config,
        summary: "More items than an attribute or block takes (one `timeouts` block)",
        why: "Some blocks occur at most once (`timeouts`, Terraform's convention); more than one would leave it open which one counts.",
        bad: cluster!("  timeouts            = [{ create = \"30m\" }, { create = \"1h\" }]\n"),
        good: cluster!("  timeouts            = [{ create = \"30m\", update = \"1h\" }]\n"),
    },
    // Tags, timeouts, former names.
    Rule {
        id: "HK030",
        code: "invalid-tag",
        family: Config,
        summary: "A tag Azure refuses, or one with the reserved `hybridk8s-` prefix",
        why: "Azure tag names are 1–512 characters without `< > % & \\ ? /`, values at most 256, and a resource holds at most 50 tags (Azure Resource Manager tag limits). hybridk8s keeps its own marks (owner, role) as tags starting `hybridk8s-`, so that prefix is reserved and at most 44 user tags fit.",
        bad: cluster!("  tags                = { \"hybridk8s-owner\" = \"me\" }\n"),
        good: cluster!("  tags                = { \"team\" = \"platform\" }\n"),
    },
    Rule {
        id: "HK031",
        code: "invalid-timeout",
        family: Config,
        summary: "A `timeouts` value that is not a Go duration",
        why: "Terraform's `timeouts` block takes Go durations (`30m`, `1h30m`: a number and a unit h, m, s, ms), as every Terraform provider reads them (`time.ParseDuration`).",
        bad: cluster!("  timeouts            = [{ create = \"30 minutes\" }]\n"),
        good: cluster!("  timeouts            = [{ create = \"30m\" }]\n"),
    },
    Rule {
        id: "HK035",
        code: "deprecated-attribute",
        family: Config,
        summary: "A former attribute name (`resource_group`, `cluster_id`) that still works",
        why: "Attributes were renamed to Terraform's conventions (`resource_group_name`, `cluster_network_id`, as azurerm names them). The former name keeps working with the same value and no replacement, and is removed in the next release.",
        bad: r#"hub hub {
  resource_group = "net-rg"
  location       = "westeurope"
  address_space  = [10.20.0.0/22]
}
"#,
        good: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}
"#,
    },
    Rule {
        id: "HK036",
        code: "conflicting-alias",
        family: Config,
        summary: "A former and a current attribute name set to different values",
        why: "`resource_group` and `resource_group_name` are one attribute; set to two values, neither can win without surprising someone.",
        bad: r#"hub hub {
  resource_group      = "net"
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}
"#,
        good: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}
"#,
    },
];
