//! Catalogue rows of the subnet-security family (see `mod.rs`): network
//! security groups and route tables.

use super::{Family, Rule};

/// A cluster network (kubenet when `$plugin` says so) and the blocks after it.
macro_rules! program {
    ($plugin:literal, $($rest:tt)+) => {
        concat!(
            "cluster_network aks {\n  name                = \"k8s-dev-vnet\"\n  resource_group_name = \"k8s-dev-rg\"\n  location            = \"westeurope\"\n  address_space       = [10.40.0.0/16]\n  plugin              = ",
            $plugin,
            "\n  max_nodes           = 50\n  subnets             = [{ name = \"pool2\", cidr = 10.40.64.0/24 }]\n}\n\n",
            $($rest)+
        )
    };
}

/// An NSG on the node subnet of `aks` with the given rules.
macro_rules! nsg {
    ($rules:literal) => {
        program!(
            "azure_cni",
            concat!(
                "network_security_group nodes {\n  name                = \"k8s-dev-nodes-nsg\"\n  resource_group_name = \"k8s-dev-rg\"\n  location            = \"westeurope\"\n  cluster             = aks\n  rule = [\n",
                $rules,
                "  ]\n}\n"
            )
        )
    };
}

/// A route table on the node subnet of `aks` (Azure CNI unless `$plugin` says).
macro_rules! routes {
    ($extra:literal, $routes:literal) => {
        routes!("azure_cni", $extra, $routes)
    };
    ($plugin:literal, $extra:literal, $routes:literal) => {
        program!(
            $plugin,
            concat!(
                "route_table nodes {\n  name                = \"k8s-dev-nodes-rt\"\n  resource_group_name = \"k8s-dev-rg\"\n  location            = \"westeurope\"\n  cluster             = aks\n",
                $extra,
                "  route = [\n",
                $routes,
                "  ]\n}\n"
            )
        )
    };
}

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "HK601",
        code: "nsg-priority-out-of-range",
        family: Family::Security,
        summary: "An NSG rule's priority lies outside 100..=4096.",
        why: "Azure accepts user security rules with priorities from 100 to 4096 only; 65000 and up are its default rules (`AllowVnetInBound`, `AllowAzureLoadBalancerInBound`, `DenyAllInBound`, …). A priority outside the range fails the apply.",
        bad: nsg!("    { name = \"allow-https\", priority = 50, direction = \"inbound\", access = \"allow\", protocol = \"tcp\", destination_port_ranges = [\"443\"] },\n"),
        good: nsg!("    { name = \"allow-https\", priority = 100, direction = \"inbound\", access = \"allow\", protocol = \"tcp\", destination_port_ranges = [\"443\"] },\n"),
    },
    Rule {
        id: "HK602",
        code: "nsg-duplicate-priority",
        family: Family::Security,
        summary: "Two NSG rules of one direction share a priority.",
        why: "Rules are evaluated by priority and the first match wins, so Azure refuses two rules of the same direction with the same priority (`SecurityRuleConflict`). The same number may be used once inbound and once outbound.",
        bad: nsg!("    { name = \"allow-https\", priority = 100, direction = \"inbound\", access = \"allow\", protocol = \"tcp\", destination_port_ranges = [\"443\"] },\n    { name = \"allow-http\", priority = 100, direction = \"inbound\", access = \"allow\", protocol = \"tcp\", destination_port_ranges = [\"80\"] },\n"),
        good: nsg!("    { name = \"allow-https\", priority = 100, direction = \"inbound\", access = \"allow\", protocol = \"tcp\", destination_port_ranges = [\"443\"] },\n    { name = \"allow-http\", priority = 110, direction = \"inbound\", access = \"allow\", protocol = \"tcp\", destination_port_ranges = [\"80\"] },\n"),
    },
    Rule {
        id: "HK603",
        code: "nsg-duplicate-rule-name",
        family: Family::Security,
        summary: "Two NSG rules share a name.",
        why: "A security rule is a child resource of the NSG named by its `name`: a second rule with the same name would overwrite the first.",
        bad: nsg!("    { name = \"web\", priority = 100, direction = \"inbound\", access = \"allow\", protocol = \"tcp\", destination_port_ranges = [\"443\"] },\n    { name = \"web\", priority = 110, direction = \"inbound\", access = \"allow\", protocol = \"tcp\", destination_port_ranges = [\"80\"] },\n"),
        good: nsg!("    { name = \"web-https\", priority = 100, direction = \"inbound\", access = \"allow\", protocol = \"tcp\", destination_port_ranges = [\"443\"] },\n    { name = \"web-http\", priority = 110, direction = \"inbound\", access = \"allow\", protocol = \"tcp\", destination_port_ranges = [\"80\"] },\n"),
    },
    Rule {
        id: "HK604",
        code: "nsg-invalid-port-range",
        family: Family::Security,
        summary: "An NSG rule's port range is not a port, a range or `*`.",
        why: "Azure takes ports as `443`, a range `8000-8080` (0 to 65535, low to high) or `*`; anything else fails the apply.",
        bad: nsg!("    { name = \"web\", priority = 100, direction = \"inbound\", access = \"allow\", protocol = \"tcp\", destination_port_ranges = [\"8080-8000\"] },\n"),
        good: nsg!("    { name = \"web\", priority = 100, direction = \"inbound\", access = \"allow\", protocol = \"tcp\", destination_port_ranges = [\"8000-8080\"] },\n"),
    },
    Rule {
        id: "HK605",
        code: "nsg-invalid-address-prefix",
        family: Family::Security,
        summary: "An NSG rule's address prefix is not a CIDR, an IP, `*` or a known service tag.",
        why: "Source and destination prefixes are CIDRs, single IPs, `*` or service tags; hybridk8s knows `VirtualNetwork` (the VNET, its peered VNETs and on-premises reached through a gateway), `Internet` and `AzureLoadBalancer`, the ones its evaluation can answer for.",
        bad: nsg!("    { name = \"corp\", priority = 100, direction = \"inbound\", access = \"allow\", source_address_prefixes = [\"10.0.0.0/33\"] },\n"),
        good: nsg!("    { name = \"corp\", priority = 100, direction = \"inbound\", access = \"allow\", source_address_prefixes = [\"10.0.0.0/12\"] },\n"),
    },
    Rule {
        id: "HK610",
        code: "nsg-blocks-lb-probes",
        family: Family::Security,
        summary: "An NSG on a cluster subnet denies Azure load-balancer health probes.",
        why: "Azure Load Balancer probes come from 168.63.129.16 (service tag `AzureLoadBalancer`) and must not be blocked: every NSG allows them by default (`AllowAzureLoadBalancerInBound`, 65001), and a user deny rule in front of it marks every backend down, so `LoadBalancer` Services stop taking traffic.",
        bad: nsg!("    { name = \"deny-all-in\", priority = 4000, direction = \"inbound\", access = \"deny\" },\n"),
        good: nsg!("    { name = \"allow-lb-probes\", priority = 3900, direction = \"inbound\", access = \"allow\", source_address_prefixes = [\"AzureLoadBalancer\"] },\n    { name = \"allow-vnet-in\", priority = 3910, direction = \"inbound\", access = \"allow\", source_address_prefixes = [\"VirtualNetwork\"], destination_address_prefixes = [\"VirtualNetwork\"] },\n    { name = \"deny-all-in\", priority = 4000, direction = \"inbound\", access = \"deny\" },\n"),
    },
    Rule {
        id: "HK611",
        code: "nsg-blocks-api-server",
        family: Family::Security,
        summary: "An NSG on a cluster subnet denies node egress on TCP 443 (API server, registries).",
        why: "AKS nodes must reach the API server and the endpoints AKS pulls from on TCP 443 (and, for the tunnel, UDP 1194 / TCP 9000); AKS's outbound dependencies are FQDNs without static addresses, so AKS's docs say NSGs cannot lock egress down — use a firewall with FQDN rules. A deny in front of `AllowInternetOutBound` leaves nodes NotReady. hybridk8s checks a packet to 20.0.0.1:443, standing for the public API server.",
        bad: nsg!("    { name = \"deny-internet-out\", priority = 4000, direction = \"outbound\", access = \"deny\", destination_address_prefixes = [\"Internet\"] },\n"),
        good: nsg!("    { name = \"allow-https-out\", priority = 3900, direction = \"outbound\", access = \"allow\", protocol = \"tcp\", destination_port_ranges = [\"443\"], destination_address_prefixes = [\"Internet\"] },\n    { name = \"deny-internet-out\", priority = 4000, direction = \"outbound\", access = \"deny\", destination_address_prefixes = [\"Internet\"] },\n"),
    },
    Rule {
        id: "HK612",
        code: "nsg-blocks-node-traffic",
        family: Family::Security,
        summary: "An NSG on a cluster subnet denies traffic between the nodes of the subnet.",
        why: "AKS does not support NSG rules that block traffic inside the cluster subnet: kubelet (TCP 10250), pod-to-pod and node-to-node traffic must pass (the default `AllowVnetInBound`, 65000, allows it). hybridk8s checks a packet between two node addresses of the subnet.",
        bad: nsg!("    { name = \"deny-kubelet\", priority = 200, direction = \"inbound\", access = \"deny\", protocol = \"tcp\", destination_port_ranges = [\"10250\"] },\n"),
        good: nsg!("    { name = \"deny-kubelet-from-internet\", priority = 200, direction = \"inbound\", access = \"deny\", protocol = \"tcp\", destination_port_ranges = [\"10250\"], source_address_prefixes = [\"Internet\"] },\n"),
    },
    Rule {
        id: "HK620",
        code: "route-duplicate-name",
        family: Family::Security,
        summary: "Two routes of a route table share a name.",
        why: "A route is a child resource of the route table named by its `name`: a second route with the same name would overwrite the first.",
        bad: routes!("", "    { name = \"onprem\", address_prefix = 10.0.0.0/12, next_hop_type = \"VirtualNetworkGateway\" },\n    { name = \"onprem\", address_prefix = 192.168.0.0/16, next_hop_type = \"VirtualNetworkGateway\" },\n"),
        good: routes!("", "    { name = \"onprem\", address_prefix = 10.0.0.0/12, next_hop_type = \"VirtualNetworkGateway\" },\n    { name = \"branch\", address_prefix = 192.168.0.0/16, next_hop_type = \"VirtualNetworkGateway\" },\n"),
    },
    Rule {
        id: "HK621",
        code: "route-duplicate-prefix",
        family: Family::Security,
        summary: "Two routes of a route table send the same prefix.",
        why: "Azure picks a route by longest prefix match; two user routes for one prefix are refused, since only one next hop can win.",
        bad: routes!("", "    { name = \"onprem\", address_prefix = 10.0.0.0/12, next_hop_type = \"VirtualNetworkGateway\" },\n    { name = \"onprem-fw\", address_prefix = 10.0.0.0/12, next_hop_type = \"VirtualAppliance\", next_hop_ip = 10.40.64.4 },\n"),
        good: routes!("", "    { name = \"onprem-fw\", address_prefix = 10.0.0.0/12, next_hop_type = \"VirtualAppliance\", next_hop_ip = 10.40.64.4 },\n"),
    },
    Rule {
        id: "HK622",
        code: "route-next-hop-ip",
        family: Family::Security,
        summary: "A VirtualAppliance route names no next-hop IP, or another route names one.",
        why: "A `VirtualAppliance` next hop is an IP (a firewall or NVA); every other next-hop type (`VirtualNetworkGateway`, `VnetLocal`, `Internet`, `None`) takes none, and Azure refuses the mismatch.",
        bad: routes!("", "    { name = \"egress\", address_prefix = 0.0.0.0/0, next_hop_type = \"VirtualAppliance\" },\n"),
        good: routes!("", "    { name = \"egress\", address_prefix = 0.0.0.0/0, next_hop_type = \"VirtualAppliance\", next_hop_ip = 10.40.64.4 },\n"),
    },
    Rule {
        id: "HK623",
        code: "kubenet-route-limit",
        family: Family::Security,
        summary: "A kubenet cluster's route table would exceed 400 routes (user routes + nodes + surge).",
        why: "With kubenet, AKS adds one route per node (pod CIDR → node) to the subnet's route table, and an Azure route table holds at most 400 routes: user routes + max_nodes + surge nodes must stay within 400, or scaling fails when the table is full (the reason kubenet clusters stop at 400 nodes).",
        bad: concat!(
            "cluster_network aks {\n  name                = \"k8s-dev-vnet\"\n  resource_group_name = \"k8s-dev-rg\"\n  location            = \"westeurope\"\n  address_space       = [10.40.0.0/16]\n  plugin              = kubenet\n  max_nodes           = 399\n  pod_cidr            = 10.244.0.0/15\n}\n\n",
            "route_table nodes {\n  name                = \"k8s-dev-nodes-rt\"\n  resource_group_name = \"k8s-dev-rg\"\n  location            = \"westeurope\"\n  cluster             = aks\n  route = [{ name = \"onprem\", address_prefix = 10.0.0.0/12, next_hop_type = \"VirtualNetworkGateway\" }]\n}\n"
        ),
        good: concat!(
            "cluster_network aks {\n  name                = \"k8s-dev-vnet\"\n  resource_group_name = \"k8s-dev-rg\"\n  location            = \"westeurope\"\n  address_space       = [10.40.0.0/16]\n  plugin              = kubenet\n  max_nodes           = 398\n  pod_cidr            = 10.244.0.0/15\n}\n\n",
            "route_table nodes {\n  name                = \"k8s-dev-nodes-rt\"\n  resource_group_name = \"k8s-dev-rg\"\n  location            = \"westeurope\"\n  cluster             = aks\n  route = [{ name = \"onprem\", address_prefix = 10.0.0.0/12, next_hop_type = \"VirtualNetworkGateway\" }]\n}\n"
        ),
    },
    Rule {
        id: "HK624",
        code: "kubenet-subnet-without-route-table",
        family: Family::Security,
        summary: "A subnet of a kubenet cluster has no route table while another has one.",
        why: "kubenet routes pod traffic through the route table AKS fills with a route per node: every cluster subnet must be associated with it, or pods on nodes of the other subnets are unreachable (AKS issues #400, #718).",
        bad: routes!("kubenet", "", "    { name = \"onprem\", address_prefix = 10.0.0.0/12, next_hop_type = \"VirtualNetworkGateway\" },\n"),
        good: concat!(
            routes!("kubenet", "", "    { name = \"onprem\", address_prefix = 10.0.0.0/12, next_hop_type = \"VirtualNetworkGateway\" },\n"),
            "\nroute_table pool2 {\n  name                = \"k8s-dev-pool2-rt\"\n  resource_group_name = \"k8s-dev-rg\"\n  location            = \"westeurope\"\n  cluster             = aks\n  subnet_name         = \"pool2\"\n  route = [{ name = \"onprem\", address_prefix = 10.0.0.0/12, next_hop_type = \"VirtualNetworkGateway\" }]\n}\n"
        ),
    },
    Rule {
        id: "HK630",
        code: "attached-subnet-unknown",
        family: Family::Security,
        summary: "An NSG or route table names a subnet its cluster network does not have.",
        why: "An NSG or route table is associated with one subnet of the cluster VNET (the node subnet unless `subnet_name` says otherwise); Azure refuses an association with a subnet that does not exist.",
        bad: concat!(
            routes!("  subnet_name         = \"pool3\"\n", "    { name = \"onprem\", address_prefix = 10.0.0.0/12, next_hop_type = \"VirtualNetworkGateway\" },\n"),
            "\nroute_table other {\n  name                = \"k8s-dev-other-rt\"\n  resource_group_name = \"k8s-dev-rg\"\n  location            = \"westeurope\"\n  cluster             = aks\n  route = []\n}\n"
        ),
        good: concat!(
            routes!("  subnet_name         = \"pool2\"\n", "    { name = \"onprem\", address_prefix = 10.0.0.0/12, next_hop_type = \"VirtualNetworkGateway\" },\n"),
            "\nroute_table other {\n  name                = \"k8s-dev-other-rt\"\n  resource_group_name = \"k8s-dev-rg\"\n  location            = \"westeurope\"\n  cluster             = aks\n  route = []\n}\n"
        ),
    },
    Rule {
        id: "HK631",
        code: "subnet-already-attached",
        family: Family::Security,
        summary: "Two NSGs (or two route tables) are attached to one subnet.",
        why: "An Azure subnet holds at most one network security group and one route table; a second association replaces the first, silently dropping its rules.",
        bad: concat!(
            nsg!("    { name = \"allow-https\", priority = 100, direction = \"inbound\", access = \"allow\", protocol = \"tcp\", destination_port_ranges = [\"443\"] },\n"),
            "\nnetwork_security_group more {\n  name                = \"k8s-dev-more-nsg\"\n  resource_group_name = \"k8s-dev-rg\"\n  location            = \"westeurope\"\n  cluster             = aks\n  rule = []\n}\n"
        ),
        good: concat!(
            nsg!("    { name = \"allow-https\", priority = 100, direction = \"inbound\", access = \"allow\", protocol = \"tcp\", destination_port_ranges = [\"443\"] },\n"),
            "\nnetwork_security_group more {\n  name                = \"k8s-dev-more-nsg\"\n  resource_group_name = \"k8s-dev-rg\"\n  location            = \"westeurope\"\n  cluster             = aks\n  subnet_name         = \"pool2\"\n  rule = []\n}\n"
        ),
    },
];
