//! Catalogue rows of private clusters and DNS resolution paths (family
//! `Dns`, IDs HK450–HK499; see `mod.rs`).

use super::{Family, Rule};

use Family::*;

/// A zone ID for the examples.
macro_rules! zone {
    ($name:literal) => {
        concat!("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/dns-rg/providers/Microsoft.Network/privateDnsZones/", $name)
    };
}

/// A cluster network in westeurope with extra settings (at least one piece).
macro_rules! cluster {
    ($($extra:tt)+) => {
        concat!(
            "cluster_network aks {\n  name                = \"aks-vnet\"\n  resource_group_name = \"aks-rg\"\n  location            = \"westeurope\"\n  address_space       = [10.40.0.0/16]\n  max_nodes           = 10\n  service_cidr        = 172.16.0.0/16\n",
            $($extra)+,
            "}\n"
        )
    };
}

/// The hybrid picture: the site's DNS, a hub with a gateway, a private
/// cluster using the site's DNS, peered with gateway transit.
macro_rules! hybrid {
    (onprem: [$($o:tt)+], hub: [$($h:tt)+], cluster: [$($c:tt)+]) => {
        concat!(
            "onprem corp {\n  address_space = [10.0.0.0/12]\n  dns_servers   = [10.1.0.4]\n", $($o)+, "}\n\n",
            "hub hub {\n  resource_group_name = \"net-rg\"\n  location            = \"westeurope\"\n  address_space       = [10.20.0.0/22]\n  gateway             = vpn\n", $($h)+, "}\n\n",
            cluster!("  dns_servers         = [10.1.0.4]\n  avoid               = [corp]\n", $($c)+),
            "\npeering aks_hub {\n  cluster_network_id  = aks.id\n  hub_id              = hub.id\n  use_remote_gateways = true\n}\n"
        )
    };
}

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "HK450",
        code: "invalid-private-dns-zone",
        family: Dns,
        summary: "A private DNS zone is `system`, `none` or the ID of a private DNS zone.",
        why: "AKS takes `system` (it makes the zone), `none` (a public FQDN that resolves to the private address) or the resource ID of a zone you bring (`/subscriptions/…/resourceGroups/…/providers/Microsoft.Network/privateDnsZones/<zone>`). A bare zone name or a public DNS zone is refused when the cluster is created.",
        bad: cluster!("  private_cluster     = true\n  private_dns_zone    = \"privatelink.westeurope.azmk8s.io\"\n"),
        good: cluster!("  private_cluster     = true\n  private_dns_zone    = \"", zone!("privatelink.westeurope.azmk8s.io"), "\"\n"),
    },
    Rule {
        id: "HK451",
        code: "private-dns-zone-name",
        family: Dns,
        summary: "A private cluster's own zone is privatelink.<region>.azmk8s.io or <subzone>.privatelink.<region>.azmk8s.io in its region.",
        why: "AKS accepts a custom zone only under the name it would give it: `privatelink.<region>.azmk8s.io` or `<subzone>.privatelink.<region>.azmk8s.io` with a subzone of at most 32 characters, in the cluster's own region (`location`); `private.<region>.azmk8s.io` only with API server VNet integration (`private-clusters.md`).",
        bad: cluster!("  private_cluster     = true\n  private_dns_zone    = \"", zone!("privatelink.northeurope.azmk8s.io"), "\"\n"),
        good: cluster!("  private_cluster     = true\n  private_dns_zone    = \"", zone!("team1.privatelink.westeurope.azmk8s.io"), "\"\n"),
    },
    Rule {
        id: "HK452",
        code: "private-dns-none-without-fqdn",
        family: Dns,
        summary: "`private_dns_zone = \"none\"` needs the public FQDN.",
        why: "With `none` AKS makes no private zone: the API server's name is a public FQDN whose A record holds the private address. Disabling the public FQDN as well leaves no name at all, and AKS refuses the combination.",
        bad: cluster!("  private_cluster     = true\n  private_dns_zone    = \"none\"\n  disable_public_fqdn = true\n"),
        good: cluster!("  private_cluster     = true\n  private_dns_zone    = \"none\"\n"),
    },
    Rule {
        id: "HK453",
        code: "private-setting-unused",
        family: Dns,
        summary: "Private-cluster settings on a public cluster, or an API server subnet without VNet integration, do nothing.",
        why: "`private_dns_zone` and `disable_public_fqdn` apply only with `private_cluster = true`, and `api_server_subnet_cidr` only with `api_server_vnet_integration = true`; set alone they suggest a private API server that is not there.",
        bad: cluster!("  private_dns_zone    = \"system\"\n"),
        good: cluster!("  private_cluster     = true\n  private_dns_zone    = \"system\"\n"),
    },
    Rule {
        id: "HK454",
        code: "api-server-subnet-missing",
        family: Dns,
        summary: "API server VNet integration needs its delegated subnet (`api_server_subnet_cidr`).",
        why: "With API server VNet integration the API server gets an internal load-balancer address in a subnet of the cluster VNET delegated to `Microsoft.ContainerService/managedClusters` (`api-server-vnet-integration.md`); hybridk8s makes that subnet and needs its prefix.",
        bad: cluster!("  node_subnet_cidr    = 10.40.0.0/22\n  api_server_vnet_integration = true\n"),
        good: cluster!("  node_subnet_cidr    = 10.40.0.0/22\n  api_server_vnet_integration = true\n  api_server_subnet_cidr = 10.40.4.0/28\n"),
    },
    Rule {
        id: "HK455",
        code: "api-server-subnet-too-small",
        family: Dns,
        summary: "The API server subnet is at least a /28.",
        why: "AKS needs at least a /28 delegated to `Microsoft.ContainerService/managedClusters` for the API server's internal load balancer and the addresses it projects there; Azure refuses a smaller one.",
        bad: cluster!("  node_subnet_cidr    = 10.40.0.0/22\n  api_server_vnet_integration = true\n  api_server_subnet_cidr = 10.40.4.0/29\n"),
        good: cluster!("  node_subnet_cidr    = 10.40.0.0/22\n  api_server_vnet_integration = true\n  api_server_subnet_cidr = 10.40.4.0/28\n"),
    },
    Rule {
        id: "HK456",
        code: "private-zone-unresolvable",
        family: Dns,
        summary: "With custom VNET DNS, a private cluster's zone must resolve: forwarded to a hub resolver, the zone linked to the hub (AKS#4841).",
        why: "Custom DNS servers on the VNET replace Azure DNS (168.63.129.16) on the nodes. On-premises DNS cannot reach 168.63.129.16, and a private zone answers only in the VNETs it is linked to, so the agents fail with \"unable to resolve the API server name\" (Azure/AKS#4841) unless the site forwards the zone to a resolver in the hub (e.g. an Azure DNS Private Resolver inbound endpoint, `dns_resolver_ips`) and the zone is linked to the hub VNET (`private_dns_zone_ids`).",
        bad: hybrid!(
            onprem: [""],
            hub: [""],
            cluster: ["  private_cluster     = true\n  private_dns_zone    = \"system\"\n"]
        ),
        good: hybrid!(
            onprem: ["  dns_forwarders = [{ zone = \"privatelink.westeurope.azmk8s.io\", targets = [10.20.0.68] }]\n"],
            hub: ["  dns_resolver_ips    = [10.20.0.68]\n  private_dns_zone_ids = [\"", zone!("privatelink.westeurope.azmk8s.io"), "\"]\n"],
            cluster: ["  private_cluster     = true\n  private_dns_zone    = \"", zone!("privatelink.westeurope.azmk8s.io"), "\"\n"]
        ),
    },
    Rule {
        id: "HK457",
        code: "vnet-dns-unreachable",
        family: Dns,
        summary: "Every DNS server of a cluster VNET is reachable from its nodes.",
        why: "The VNET's DNS servers are the nodes' only resolvers. A server the nodes cannot reach — not in the VNET, not in a peered VNET, not on premises through a peering that uses the hub's gateway (peering is not transitive) — leaves them without DNS, so the cluster cannot even pull images.",
        bad: concat!(
            "onprem corp {\n  address_space = [10.0.0.0/12]\n  dns_servers   = [10.1.0.4]\n}\n\n",
            "hub hub {\n  resource_group_name = \"net-rg\"\n  location            = \"westeurope\"\n  address_space       = [10.20.0.0/22]\n  gateway             = vpn\n}\n\n",
            cluster!("  dns_servers         = [10.1.0.4]\n  avoid               = [corp]\n"),
            "\npeering aks_hub {\n  cluster_network_id  = aks.id\n  hub_id              = hub.id\n  use_remote_gateways = false\n}\n"
        ),
        good: concat!(
            "onprem corp {\n  address_space = [10.0.0.0/12]\n  dns_servers   = [10.1.0.4]\n}\n\n",
            "hub hub {\n  resource_group_name = \"net-rg\"\n  location            = \"westeurope\"\n  address_space       = [10.20.0.0/22]\n  gateway             = vpn\n}\n\n",
            cluster!("  dns_servers         = [10.1.0.4]\n  avoid               = [corp]\n"),
            "\npeering aks_hub {\n  cluster_network_id  = aks.id\n  hub_id              = hub.id\n  use_remote_gateways = true\n}\n"
        ),
    },
    Rule {
        id: "HK458",
        code: "dns-forwarding-loop",
        family: Dns,
        summary: "Conditional forwarders never send a zone round in a circle (on-premises to the hub resolver and back).",
        why: "When on-premises DNS forwards a zone to the hub resolver and the hub's forwarding ruleset sends the same zone (or a parent of it) back on premises, every query for it goes round until it times out. One side must answer: the hub resolver asks 168.63.129.16 for Azure zones, on-premises DNS answers its own.",
        bad: hybrid!(
            onprem: ["  dns_forwarders = [{ zone = \"privatelink.westeurope.azmk8s.io\", targets = [10.20.0.68] }]\n"],
            hub: ["  dns_resolver_ips    = [10.20.0.68]\n  dns_forwarders      = [{ zone = \"azmk8s.io\", targets = [10.1.0.4] }]\n"],
            cluster: [""]
        ),
        good: hybrid!(
            onprem: ["  dns_forwarders = [{ zone = \"privatelink.westeurope.azmk8s.io\", targets = [10.20.0.68] }]\n"],
            hub: ["  dns_resolver_ips    = [10.20.0.68]\n  dns_forwarders      = [{ zone = \"my-company.local\", targets = [10.1.0.4] }]\n"],
            cluster: [""]
        ),
    },
    Rule {
        id: "HK459",
        code: "forwarder-to-azure-dns",
        family: Dns,
        summary: "On-premises DNS does not forward to 168.63.129.16, which answers only inside Azure.",
        why: "Azure DNS at 168.63.129.16 is a virtual address every VNET reaches on its own host; it is not routed over VPN or ExpressRoute. On-premises DNS forwards Azure zones to a resolver inside a VNET instead (an Azure DNS Private Resolver inbound endpoint or a DNS VM in the hub), which asks 168.63.129.16.",
        bad: "onprem corp {\n  address_space  = [10.0.0.0/12]\n  dns_servers    = [10.1.0.4]\n  dns_forwarders = [{ zone = \"privatelink.westeurope.azmk8s.io\", targets = [168.63.129.16] }]\n}\n",
        good: "onprem corp {\n  address_space  = [10.0.0.0/12]\n  dns_servers    = [10.1.0.4]\n  dns_forwarders = [{ zone = \"privatelink.westeurope.azmk8s.io\", targets = [10.20.0.68] }]\n}\n",
    },
    Rule {
        id: "HK460",
        code: "empty-dns-forwarder",
        family: Dns,
        summary: "A conditional forwarder names at least one target.",
        why: "A forwarder without targets leaves its zone to no one: DNS servers refuse it, and the rules cannot follow the zone's names.",
        bad: "onprem corp {\n  address_space  = [10.0.0.0/12]\n  dns_servers    = [10.1.0.4]\n  dns_forwarders = [{ zone = \"privatelink.westeurope.azmk8s.io\", targets = [] }]\n}\n",
        good: "onprem corp {\n  address_space  = [10.0.0.0/12]\n  dns_servers    = [10.1.0.4]\n  dns_forwarders = [{ zone = \"privatelink.westeurope.azmk8s.io\", targets = [10.20.0.68] }]\n}\n",
    },
    Rule {
        id: "HK461",
        code: "duplicate-dns-forwarder",
        family: Dns,
        summary: "A zone has one conditional forwarder per DNS side.",
        why: "A DNS server (or an Azure DNS forwarding ruleset) holds one rule per zone; two rules for the same zone leave it unclear which targets answer.",
        bad: "onprem corp {\n  address_space  = [10.0.0.0/12]\n  dns_servers    = [10.1.0.4]\n  dns_forwarders = [\n    { zone = \"azmk8s.io\", targets = [10.20.0.68] },\n    { zone = \"azmk8s.io\", targets = [10.20.0.69] }\n  ]\n}\n",
        good: "onprem corp {\n  address_space  = [10.0.0.0/12]\n  dns_servers    = [10.1.0.4]\n  dns_forwarders = [{ zone = \"azmk8s.io\", targets = [10.20.0.68, 10.20.0.69] }]\n}\n",
    },
    Rule {
        id: "HK462",
        code: "dns-resolver-outside-hub",
        family: Dns,
        summary: "A hub's DNS resolvers lie inside the hub VNET.",
        why: "A resolver answers Azure's private zones as the VNET it sits in sees them (the zones linked to it). `dns_resolver_ips` are the resolvers in the hub VNET (e.g. the inbound endpoint of an Azure DNS Private Resolver in a subnet of the hub); an address outside the hub is some other server.",
        bad: "hub hub {\n  resource_group_name = \"net-rg\"\n  location            = \"westeurope\"\n  address_space       = [10.20.0.0/22]\n  dns_resolver_ips    = [10.30.0.4]\n}\n",
        good: "hub hub {\n  resource_group_name = \"net-rg\"\n  location            = \"westeurope\"\n  address_space       = [10.20.0.0/22]\n  dns_resolver_ips    = [10.20.0.68]\n}\n",
    },
];
