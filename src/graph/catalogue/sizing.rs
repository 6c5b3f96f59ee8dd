//! Catalogue rows of the sizing family (`HK200`–`HK249`): node subnets
//! (HK201–209), pod ranges and node caps (HK205–209), load-balancer
//! frontends (HK210–219), gateway subnets (HK220–229). HK250–299 belong to
//! network modes (`modes.rs`).

use super::{Family, Rule};

#[allow(unused_imports)]
use Family::*;

/// The hub of the gateway-subnet examples, with `$extra` lines.
macro_rules! hub {
    ($space:literal, $extra:literal) => {
        concat!(
            "hub hub {\n",
            "  resource_group_name = \"net-rg\"\n",
            "  location            = \"westeurope\"\n",
            "  address_space       = [",
            $space,
            "]\n",
            $extra,
            "}\n"
        )
    };
}

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "HK201",
        code: "subnet-too-small",
        family: Sizing,
        summary: "A node subnet too small for the scaling plan, or a subnet smaller than Azure's /29",
        why: "Azure CNI (node subnet) pre-allocates `1 + max_pods` addresses per node, for the autoscaler maximum plus the upgrade surge, and Azure reserves 5 addresses in every subnet: 50 nodes × 30 pods need 51 + 51 × 30 = 1,581 + 5 addresses, a /21 (AKS IP-planning docs, `concepts-network-ip-address-planning.md`; AKS#3653, AKS-Construction#701; domain rules §1, §2). The smallest Azure subnet is a /29.",
        bad: r#"cluster_network aks {
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = azure_cni
  max_nodes           = 50
  max_pods            = 30
  node_subnet_cidr    = 10.40.0.0/22
  service_cidr        = 172.16.0.0/16
}
"#,
        good: r#"cluster_network aks {
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = azure_cni
  max_nodes           = 50
  max_pods            = 30
  node_subnet_cidr    = 10.40.0.0/21
  service_cidr        = 172.16.0.0/16
}
"#,
    },
    Rule {
        id: "HK205",
        code: "kubenet-node-cap",
        family: Sizing,
        summary: "A kubenet cluster of more than 400 nodes (surge included)",
        why: "kubenet routes each node's pod /24 through an Azure route table, which holds at most 400 routes: a kubenet cluster is capped at 400 nodes (AKS kubenet docs; domain rules §2, §8).",
        bad: r#"cluster_network aks {
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = kubenet
  max_nodes           = 400
  pod_cidr            = 10.128.0.0/12
  service_cidr        = 172.16.0.0/16
}
"#,
        good: r#"cluster_network aks {
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = kubenet
  max_nodes           = 399
  pod_cidr            = 10.128.0.0/12
  service_cidr        = 172.16.0.0/16
}
"#,
    },
    Rule {
        id: "HK206",
        code: "pod-cidr-too-small",
        family: Sizing,
        summary: "A kubenet `pod_cidr` without a /24 for every node",
        why: "kubenet gives each node a /24 from `pod_cidr`, so a /16 bounds the cluster at 256 nodes and a /20 at 16 (domain rules §2).",
        bad: r#"cluster_network aks {
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = kubenet
  max_nodes           = 20
  pod_cidr            = 10.244.0.0/20
  service_cidr        = 172.16.0.0/16
}
"#,
        good: r#"cluster_network aks {
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = kubenet
  max_nodes           = 20
  pod_cidr            = 10.244.0.0/16
  service_cidr        = 172.16.0.0/16
}
"#,
    },
    Rule {
        id: "HK210",
        code: "internal-lb-not-sized",
        family: Sizing,
        summary: "More internal load balancers than `internal_lb_ips` reserves in the node subnet",
        why: "An internal load-balancer frontend takes an address from the cluster subnet (annotation `service.beta.kubernetes.io/azure-load-balancer-internal`), so the sizing counts one per internal Service (domain rules §2, §6).",
        bad: r#"cluster_network aks {
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = azure_cni
  max_nodes           = 10
  service_cidr        = 172.16.0.0/16
  internal_lb_ips     = 0
}

lb_service web {
  cluster  = aks
  selector = { app = "web" }
  ports    = [{ port = 80 }]
  internal = true
}
"#,
        good: r#"cluster_network aks {
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = azure_cni
  max_nodes           = 10
  service_cidr        = 172.16.0.0/16
  internal_lb_ips     = 1
}

lb_service web {
  cluster  = aks
  selector = { app = "web" }
  ports    = [{ port = 80 }]
  internal = true
}
"#,
    },
    Rule {
        id: "HK220",
        code: "no-room-for-gateway-subnet",
        family: Sizing,
        summary: "A hub with a gateway whose first range cannot hold a /27 GatewaySubnet",
        why: "A VPN or ExpressRoute gateway lives in a subnet named `GatewaySubnet` of /27 or larger (Azure VPN gateway docs, \"gateway subnet\"); without `gateway_subnet_cidr` hybridk8s places it in the hub's first range.",
        bad: hub!("10.20.0.0/28", "  gateway             = vpn\n"),
        good: hub!("10.20.0.0/22", "  gateway             = vpn\n"),
    },
    Rule {
        id: "HK221",
        code: "small-gateway-subnet",
        family: Sizing,
        summary: "A GatewaySubnet smaller than the /27 Azure recommends (warning)",
        why: "Azure recommends a /27 or larger GatewaySubnet so that the gateway can scale and ExpressRoute and VPN can coexist (VPN gateway docs, \"About gateway subnets\"; domain rules §1).",
        bad: hub!("10.20.0.0/22", "  gateway             = vpn\n  gateway_subnet_cidr = 10.20.3.0/28\n"),
        good: hub!("10.20.0.0/22", "  gateway             = vpn\n  gateway_subnet_cidr = 10.20.3.0/27\n"),
    },
    Rule {
        id: "HK222",
        code: "unused-gateway-subnet",
        family: Sizing,
        summary: "A `gateway_subnet_cidr` on a hub whose `gateway` is `none` (warning)",
        why: "The GatewaySubnet is only for a gateway (Azure VPN gateway docs); without one it is made and stays empty, holding addresses nothing uses.",
        bad: hub!("10.20.0.0/22", "  gateway             = none\n  gateway_subnet_cidr = 10.20.3.0/27\n"),
        good: hub!("10.20.0.0/22", "  gateway             = vpn\n  gateway_subnet_cidr = 10.20.3.0/27\n"),
    },
];
