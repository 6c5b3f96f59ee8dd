//! Catalogue rows of the address-range family (`HK1xx`): VNET address
//! spaces (HK101–109), subnets (HK110–119), a cluster's own service, DNS,
//! pod and bridge ranges (HK120–139), ranges against other networks
//! (HK140–159), and address plans (HK160–169).

use super::config::cluster;
use super::{Family, Rule};

#[allow(unused_imports)]
use Family::*;

pub(super) const RULES: &[Rule] = &[
    // Address spaces.
    Rule {
        id: "HK101",
        code: "empty-address-space",
        family: Ranges,
        summary: "A VNET or on-premises network without any address range",
        why: "An Azure virtual network needs at least one address prefix (`addressSpace.addressPrefixes`); an on-premises declaration without ranges protects nothing from overlapping it.",
        bad: "onprem corp {\n  address_space = []\n}\n",
        good: "onprem corp {\n  address_space = [10.0.0.0/12]\n}\n",
    },
    Rule {
        id: "HK102",
        code: "address-space-overlap",
        family: Ranges,
        summary: "Two address ranges of one VNET that overlap",
        why: "Azure refuses a virtual network whose address prefixes overlap each other (`NetcfgInvalidAddressSpace`, Azure virtual network docs: \"address ranges can't overlap\").",
        bad: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22, 10.20.2.0/24]
}
"#,
        good: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22, 10.20.4.0/24]
}
"#,
    },
    Rule {
        id: "HK103",
        code: "reserved-range",
        family: Ranges,
        summary: "A VNET, pod, service or bridge range that overlaps a range Azure or AKS reserves",
        why: "AKS refuses VNET, pod and service ranges that overlap 169.254.0.0/16, 172.30.0.0/16, 172.31.0.0/16 or 192.0.2.0/24 — merely overlapping is enough, so 172.16.0.0/12 is refused too (`concepts-network-cni-overview.md`, AKS docs; domain rules §3, §8).",
        bad: cluster!("  docker_bridge_cidr  = \"172.31.0.1/16\"\n"),
        good: cluster!("  docker_bridge_cidr  = \"172.17.0.1/16\"\n"),
    },
    Rule {
        id: "HK104",
        code: "overlapping-ranges",
        family: Ranges,
        summary: "On-premises ranges of one declaration that overlap each other (warning)",
        why: "Overlapping on-premises ranges are legal but usually a typo (a /12 that already holds the /16 beside it); every range is still checked against the clusters.",
        bad: "onprem corp {\n  address_space = [10.0.0.0/12, 10.1.0.0/16]\n}\n",
        good: "onprem corp {\n  address_space = [10.0.0.0/12, 192.168.0.0/16]\n}\n",
    },
    // Subnets.
    Rule {
        id: "HK110",
        code: "subnet-outside-vnet",
        family: Ranges,
        summary: "A subnet prefix outside its VNET's address space",
        why: "Every subnet prefix lies inside the VNET's address space; Azure answers `NetcfgInvalidSubnet` (newer: `NetcfgSubnetRangeOutsideVnet`) at apply, and no Terraform provider checks it before (domain rules §1, §9).",
        bad: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
  subnets             = [{ name = "dns", cidr = 10.30.0.0/28 }]
}
"#,
        good: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
  subnets             = [{ name = "dns", cidr = 10.20.1.0/28 }]
}
"#,
    },
    Rule {
        id: "HK111",
        code: "subnet-overlap",
        family: Ranges,
        summary: "Two subnets of one VNET that overlap",
        why: "Sibling subnets may not overlap; Azure answers `NetcfgSubnetRangesOverlap` at apply (domain rules §1, §9).",
        bad: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
  subnets             = [{ name = "a", cidr = 10.20.1.0/24 }, { name = "b", cidr = 10.20.1.128/25 }]
}
"#,
        good: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
  subnets             = [{ name = "a", cidr = 10.20.1.0/24 }, { name = "b", cidr = 10.20.2.0/25 }]
}
"#,
    },
    // A cluster's own ranges.
    Rule {
        id: "HK120",
        code: "range-overlap",
        family: Ranges,
        summary: "A service, pod or bridge range that overlaps the cluster VNET or another of the cluster's ranges",
        why: "`service_cidr` is never routed and must overlap no network, the cluster VNET first (AKS answers `ServiceCidrOverlapExistingSubnetsCidr`, AKS#1117); the pod and bridge ranges likewise (domain rules §3).",
        bad: cluster!("  docker_bridge_cidr  = \"10.40.0.1/16\"\n"),
        good: cluster!("  docker_bridge_cidr  = \"172.17.0.1/16\"\n"),
    },
    Rule {
        id: "HK121",
        code: "service-cidr-too-large",
        family: Ranges,
        summary: "A `service_cidr` of /12 or larger",
        why: "AKS requires the service CIDR to be smaller than a /12 (`concepts-network-azure-cni-overlay.md`, AKS docs; domain rules §3).",
        bad: r#"cluster_network aks {
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = azure_cni
  max_nodes           = 10
  service_cidr        = 100.64.0.0/10
}
"#,
        good: r#"cluster_network aks {
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = azure_cni
  max_nodes           = 10
  service_cidr        = 100.64.0.0/16
}
"#,
    },
    Rule {
        id: "HK122",
        code: "service-cidr-too-small",
        family: Ranges,
        summary: "A `service_cidr` too small to hold the default DNS service IP (its .10)",
        why: "The cluster DNS service takes the .10 address of the service range by convention (AKS default `dns_service_ip`); a range without a .10 address needs an explicit `dns_service_ip` or a /28 or larger (domain rules §3).",
        bad: r#"cluster_network aks {
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = azure_cni
  max_nodes           = 10
  service_cidr        = 172.16.0.0/29
}
"#,
        good: r#"cluster_network aks {
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = azure_cni
  max_nodes           = 10
  service_cidr        = 172.16.0.0/28
}
"#,
    },
    Rule {
        id: "HK123",
        code: "invalid-dns-service-ip",
        family: Ranges,
        summary: "A `dns_service_ip` outside `service_cidr`, or its first or broadcast address",
        why: "The DNS service IP lies inside the service range and is not its first address (.1 is the `kubernetes` service) nor its broadcast address; .10 is the convention (AKS docs, `concepts-network-azure-cni-overlay.md`; domain rules §3).",
        bad: cluster!("  dns_service_ip      = 172.16.0.1\n"),
        good: cluster!("  dns_service_ip      = 172.16.0.10\n"),
    },
    Rule {
        id: "HK124",
        code: "unused-pod-cidr",
        family: Ranges,
        summary: "A `pod_cidr` on an Azure CNI (node subnet) cluster, where it is ignored (warning)",
        why: "With Azure CNI on the node subnet pods take VNET addresses from the node subnet; a pod CIDR is only used by kubenet (and overlay) clusters (domain rules §2).",
        bad: cluster!("  pod_cidr            = 10.244.0.0/16\n"),
        good: cluster!(""),
    },
    // Against other networks.
    Rule {
        id: "HK140",
        code: "onprem-overlap",
        family: Ranges,
        summary: "A cluster VNET, service, pod or bridge range that overlaps an on-premises range",
        why: "Overlap with on-premises ranges is the classic hybrid failure: nodes go NotReady after peering (viya4-iac-azure#259), `ServiceCidrOverlapExistingSubnetsCidr` (AKS#1117), the default 10.0.0.0/16 inside a 10.0.0.0/8 network (AKS#2727) (domain rules §3).",
        bad: concat!(
            "onprem corp {\n  address_space = [10.0.0.0/8]\n}\n\n",
            "cluster_network aks {\n  resource_group_name = \"rg\"\n  location            = \"westeurope\"\n",
            "  address_space       = [10.40.0.0/16]\n  plugin              = azure_cni\n  max_nodes           = 10\n",
            "  service_cidr        = 172.16.0.0/16\n}\n"
        ),
        good: concat!(
            "onprem corp {\n  address_space = [10.0.0.0/12]\n}\n\n",
            "cluster_network aks {\n  resource_group_name = \"rg\"\n  location            = \"westeurope\"\n",
            "  address_space       = [10.40.0.0/16]\n  plugin              = azure_cni\n  max_nodes           = 10\n",
            "  service_cidr        = 172.16.0.0/16\n}\n"
        ),
    },
    Rule {
        id: "HK141",
        code: "avoid-overlap",
        family: Ranges,
        summary: "A cluster range that overlaps a range listed in its `avoid`",
        why: "`avoid` lists what else a cluster must not overlap: another environment, a range kept free for a blue/green cluster in another VNET (the seed's upgrade advice, domain rules §7).",
        bad: cluster!("  avoid               = [10.40.128.0/17]\n"),
        good: cluster!("  avoid               = [10.41.0.0/16]\n"),
    },
    Rule {
        id: "HK142",
        code: "hub-overlap",
        family: Ranges,
        summary: "A cluster range that overlaps the address space of a hub it is peered to",
        why: "Peered VNETs must not overlap (`VnetAddressSpaceOverlapsWithAlreadyPeeredVnet`), and a service or pod range inside the hub would shadow hub addresses for the pods (domain rules §3, §4).",
        bad: concat!(
            "hub hub {\n  resource_group_name = \"net-rg\"\n  location            = \"westeurope\"\n",
            "  address_space       = [10.20.0.0/22]\n  gateway             = vpn\n}\n\n",
            "cluster_network aks {\n  resource_group_name = \"rg\"\n  location            = \"westeurope\"\n",
            "  address_space       = [10.40.0.0/16]\n  plugin              = azure_cni\n  max_nodes           = 10\n",
            "  service_cidr        = 10.20.0.0/24\n}\n\n",
            "peering aks_hub {\n  cluster             = aks\n  hub                 = hub\n  use_remote_gateways = true\n}\n"
        ),
        good: concat!(
            "hub hub {\n  resource_group_name = \"net-rg\"\n  location            = \"westeurope\"\n",
            "  address_space       = [10.20.0.0/22]\n  gateway             = vpn\n}\n\n",
            "cluster_network aks {\n  resource_group_name = \"rg\"\n  location            = \"westeurope\"\n",
            "  address_space       = [10.40.0.0/16]\n  plugin              = azure_cni\n  max_nodes           = 10\n",
            "  service_cidr        = 172.16.0.0/16\n}\n\n",
            "peering aks_hub {\n  cluster             = aks\n  hub                 = hub\n  use_remote_gateways = true\n}\n"
        ),
    },
    // Address plans.
    Rule {
        id: "HK160",
        code: "address-plan-exhausted",
        family: Ranges,
        summary: "An address plan whose supernets have no free block large enough for an environment",
        why: "Environments are allocated in declaration order from what the reserved ranges and the environments before them leave; when no free aligned block is as large as an environment needs (its size, grown by its headroom and its slots), the message names the largest free block and the hint what is still free. Widen or add a supernet, or ask for less.",
        bad: r#"address_plan ranges {
  supernets    = [10.64.0.0/15]
  environments = {
    dev  = { size = 16 }
    prod = { size = 16, slots = ["blue", "green"] }
  }
}
"#,
        good: r#"address_plan ranges {
  supernets    = [10.64.0.0/14]
  environments = {
    dev  = { size = 16 }
    prod = { size = 16, slots = ["blue", "green"] }
  }
}
"#,
    },
    Rule {
        id: "HK161",
        code: "invalid-address-plan",
        family: Ranges,
        summary: "An address plan that cannot be allocated as written: overlapping supernets, a bad size, name or slot, a pinned range that is taken",
        why: "An allocation is a pure function of the plan, so a plan that is ambiguous (overlapping supernets), impossible (a size that is not a prefix length, more headroom than the address space) or contradicts itself (a pinned `cidr` that overlaps a reserved range or an earlier environment) is refused rather than guessed at.",
        bad: r#"address_plan ranges {
  supernets    = [10.64.0.0/10]
  reserved     = [10.64.0.0/16]
  environments = {
    dev = { cidr = 10.64.0.0/16 }
  }
}
"#,
        good: r#"address_plan ranges {
  supernets    = [10.64.0.0/10]
  reserved     = [10.64.0.0/16]
  environments = {
    dev = { cidr = 10.65.0.0/16 }
  }
}
"#,
    },
];
