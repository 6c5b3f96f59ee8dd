//! Catalogue rows of the DNS family (`HK400`–`HK449`): upstream
//! nameservers (HK401–404), stub domains (HK405–409), the cluster's DNS
//! across resources (HK410–419), on-premises domains (HK420–). HK450–499
//! belong to private clusters (`private.rs`).

use super::{Family, Rule};

#[allow(unused_imports)]
use Family::*;

/// On-premises site, hub with a gateway, a cluster peered through it, and
/// `$rest` (a `dns_upstream` of cluster `aks`).
macro_rules! site {
    ($rest:literal) => {
        concat!(
            "onprem corp {\n",
            "  address_space = [10.0.0.0/12]\n",
            "  dns_servers   = [10.1.0.4, 10.1.0.5]\n",
            "  domains       = [\"corp.example\"]\n",
            "}\n\n",
            "hub hub {\n",
            "  resource_group_name = \"net-rg\"\n",
            "  location            = \"westeurope\"\n",
            "  address_space       = [10.20.0.0/22]\n",
            "  gateway             = vpn\n",
            "}\n\n",
            "cluster_network aks {\n",
            "  resource_group_name = \"rg\"\n",
            "  location            = \"westeurope\"\n",
            "  address_space       = [10.40.0.0/16]\n",
            "  plugin              = azure_cni\n",
            "  max_nodes           = 10\n",
            "  service_cidr        = 172.16.0.0/16\n",
            "}\n\n",
            "peering aks_hub {\n",
            "  cluster             = aks\n",
            "  hub                 = hub\n",
            "  use_remote_gateways = true\n",
            "}\n\n",
            $rest
        )
    };
}

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "HK401",
        code: "too-many-upstreams",
        family: Dns,
        summary: "More upstream nameservers than kube-dns (3) or CoreDNS (15) takes",
        why: "kube-dns' `upstreamNameservers` holds at most 3 entries (Kubernetes DNS docs, \"Configure stub domains and upstream nameservers\"); CoreDNS `forward` takes at most 15 upstreams (CoreDNS `forward` plugin docs; domain rules §5).",
        bad: site!("dns_upstream aks_dns {\n  cluster     = aks\n  flavor      = kube_dns\n  nameservers = [\"10.1.0.4\", \"10.1.0.5\", \"10.1.0.6\", \"10.1.0.7\"]\n}\n"),
        good: site!("dns_upstream aks_dns {\n  cluster     = aks\n  flavor      = kube_dns\n  nameservers = [\"10.1.0.4\", \"10.1.0.5\", \"10.1.0.6\"]\n}\n"),
    },
    Rule {
        id: "HK402",
        code: "invalid-nameserver",
        family: Dns,
        summary: "A nameserver that is not an IP address (with an optional port)",
        why: "kube-dns and CoreDNS `forward` take IP addresses, optionally `ip:port`, not host names: a name would itself need resolving (CoreDNS `forward` plugin docs; domain rules §5).",
        bad: site!("dns_upstream aks_dns {\n  cluster     = aks\n  flavor      = kube_dns\n  nameservers = [\"dns1.corp.example\"]\n}\n"),
        good: site!("dns_upstream aks_dns {\n  cluster     = aks\n  flavor      = kube_dns\n  nameservers = [\"10.1.0.4\"]\n}\n"),
    },
    Rule {
        id: "HK403",
        code: "port-not-allowed",
        family: Dns,
        summary: "A nameserver with a port where it becomes a VNET DNS server (`coredns_aks`)",
        why: "With `coredns_aks` the upstream nameservers are set as the VNET's DNS servers (`dhcpOptions.dnsServers`), which are plain IP addresses on port 53 (Azure virtual network DNS docs; domain rules §5).",
        bad: site!("dns_upstream aks_dns {\n  cluster     = aks\n  flavor      = coredns_aks\n  nameservers = [\"10.1.0.4:5353\"]\n}\n"),
        good: site!("dns_upstream aks_dns {\n  cluster     = aks\n  flavor      = coredns_aks\n  nameservers = [\"10.1.0.4\"]\n}\n"),
    },
    Rule {
        id: "HK405",
        code: "invalid-stub-domain",
        family: Dns,
        summary: "A stub domain that is not a DNS-1123 subdomain",
        why: "kube-dns `stubDomains` keys and CoreDNS server-block zones are DNS names: lowercase labels of a-z, 0-9 and `-` (Kubernetes DNS docs; domain rules §5).",
        bad: site!("dns_upstream aks_dns {\n  cluster      = aks\n  flavor       = kube_dns\n  stub_domains = { \"Corp_Example\" = [\"10.1.0.4\"] }\n}\n"),
        good: site!("dns_upstream aks_dns {\n  cluster      = aks\n  flavor       = kube_dns\n  stub_domains = { \"corp.example\" = [\"10.1.0.4\"] }\n}\n"),
    },
    Rule {
        id: "HK406",
        code: "stub-is-cluster-domain",
        family: Dns,
        summary: "A stub domain inside the cluster's own domain (`cluster.local`)",
        why: "Names in the cluster domain are the cluster's Services; forwarding them elsewhere breaks in-cluster DNS (Kubernetes DNS docs: stub domains are never the cluster domain; domain rules §5).",
        bad: site!("dns_upstream aks_dns {\n  cluster      = aks\n  flavor       = kube_dns\n  stub_domains = { \"svc.cluster.local\" = [\"10.1.0.4\"] }\n}\n"),
        good: site!("dns_upstream aks_dns {\n  cluster      = aks\n  flavor       = kube_dns\n  stub_domains = { \"corp.example\" = [\"10.1.0.4\"] }\n}\n"),
    },
    Rule {
        id: "HK407",
        code: "empty-stub-domain",
        family: Dns,
        summary: "A stub domain without nameservers",
        why: "A stub domain forwards its zone to the servers listed for it; an empty list makes kube-dns and CoreDNS refuse the configuration (Kubernetes DNS docs; domain rules §5).",
        bad: site!("dns_upstream aks_dns {\n  cluster      = aks\n  flavor       = kube_dns\n  stub_domains = { \"corp.example\" = [] }\n}\n"),
        good: site!("dns_upstream aks_dns {\n  cluster      = aks\n  flavor       = kube_dns\n  stub_domains = { \"corp.example\" = [\"10.1.0.4\"] }\n}\n"),
    },
    Rule {
        id: "HK410",
        code: "duplicate-dns-upstream",
        family: Dns,
        summary: "Two `dns_upstream`s for one cluster",
        why: "A cluster has one DNS ConfigMap (`kube-system/kube-dns`, `coredns-custom` or `coredns`): two configurations would overwrite each other (domain rules §5).",
        bad: site!("dns_upstream a {\n  cluster     = aks\n  flavor      = kube_dns\n  nameservers = [\"10.1.0.4\"]\n}\n\ndns_upstream b {\n  cluster     = aks\n  flavor      = kube_dns\n  nameservers = [\"10.1.0.5\"]\n}\n"),
        good: site!("dns_upstream a {\n  cluster     = aks\n  flavor      = kube_dns\n  nameservers = [\"10.1.0.4\", \"10.1.0.5\"]\n}\n"),
    },
    Rule {
        id: "HK411",
        code: "conflicting-vnet-dns",
        family: Dns,
        summary: "A `coredns_aks` upstream and the cluster network that set different VNET DNS servers",
        why: "With `coredns_aks` the nameservers become the VNET's DNS servers (`dhcpOptions.dnsServers`, an ordered list); the cluster network's own `dns_servers` set the same list, so the two must agree (domain rules §5).",
        bad: concat!(
            "onprem corp {\n  address_space = [10.0.0.0/12]\n}\n\n",
            "hub hub {\n  resource_group_name = \"net-rg\"\n  location            = \"westeurope\"\n  address_space       = [10.20.0.0/22]\n  gateway             = vpn\n}\n\n",
            "cluster_network aks {\n  resource_group_name = \"rg\"\n  location            = \"westeurope\"\n  address_space       = [10.40.0.0/16]\n  plugin              = azure_cni\n  max_nodes           = 10\n  service_cidr        = 172.16.0.0/16\n  dns_servers         = [10.1.0.5]\n}\n\n",
            "peering aks_hub {\n  cluster             = aks\n  hub                 = hub\n  use_remote_gateways = true\n}\n\n",
            "dns_upstream aks_dns {\n  cluster     = aks\n  flavor      = coredns_aks\n  nameservers = [\"10.1.0.4\"]\n}\n"
        ),
        good: concat!(
            "onprem corp {\n  address_space = [10.0.0.0/12]\n}\n\n",
            "hub hub {\n  resource_group_name = \"net-rg\"\n  location            = \"westeurope\"\n  address_space       = [10.20.0.0/22]\n  gateway             = vpn\n}\n\n",
            "cluster_network aks {\n  resource_group_name = \"rg\"\n  location            = \"westeurope\"\n  address_space       = [10.40.0.0/16]\n  plugin              = azure_cni\n  max_nodes           = 10\n  service_cidr        = 172.16.0.0/16\n  dns_servers         = [10.1.0.4]\n}\n\n",
            "peering aks_hub {\n  cluster             = aks\n  hub                 = hub\n  use_remote_gateways = true\n}\n\n",
            "dns_upstream aks_dns {\n  cluster     = aks\n  flavor      = coredns_aks\n  nameservers = [\"10.1.0.4\"]\n}\n"
        ),
    },
    Rule {
        id: "HK412",
        code: "vnet-dns-change",
        family: Dns,
        summary: "VNET DNS servers set through `coredns_aks`: nodes see them only after a DHCP renew (warning)",
        why: "Nodes pick up a change of the VNET's custom DNS servers only after a DHCP renew or a reboot, and custom DNS removes Azure's resolver (168.63.129.16) from the nodes, so the on-premises servers must forward Azure zones back to a resolver in the hub (Azure name-resolution docs; domain rules §5).",
        bad: site!("dns_upstream aks_dns {\n  cluster     = aks\n  flavor      = coredns_aks\n  nameservers = [\"10.1.0.4\"]\n}\n"),
        good: site!("dns_upstream aks_dns {\n  cluster      = aks\n  flavor       = coredns_aks\n  stub_domains = { \"corp.example\" = [\"10.1.0.4\"] }\n}\n"),
    },
    Rule {
        id: "HK413",
        code: "nameserver-unreachable",
        family: Dns,
        summary: "An on-premises nameserver that the cluster cannot reach (no peering with a hub gateway)",
        why: "Peering is not transitive: a spoke reaches on-premises only through a peering with `use_remote_gateways = true` to a hub whose gateway connects the site (Azure virtual network peering docs, gateway transit; domain rules §4).",
        bad: concat!(
            "onprem corp {\n  address_space = [10.0.0.0/12]\n  dns_servers   = [10.1.0.4]\n}\n\n",
            "hub hub {\n  resource_group_name = \"net-rg\"\n  location            = \"westeurope\"\n  address_space       = [10.20.0.0/22]\n  gateway             = vpn\n}\n\n",
            "cluster_network aks {\n  resource_group_name = \"rg\"\n  location            = \"westeurope\"\n  address_space       = [10.40.0.0/16]\n  plugin              = azure_cni\n  max_nodes           = 10\n  service_cidr        = 172.16.0.0/16\n}\n\n",
            "peering aks_hub {\n  cluster = aks\n  hub     = hub\n}\n\n",
            "dns_upstream aks_dns {\n  cluster      = aks\n  flavor       = kube_dns\n  stub_domains = { \"corp.example\" = [\"10.1.0.4\"] }\n}\n"
        ),
        good: concat!(
            "onprem corp {\n  address_space = [10.0.0.0/12]\n  dns_servers   = [10.1.0.4]\n}\n\n",
            "hub hub {\n  resource_group_name = \"net-rg\"\n  location            = \"westeurope\"\n  address_space       = [10.20.0.0/22]\n  gateway             = vpn\n}\n\n",
            "cluster_network aks {\n  resource_group_name = \"rg\"\n  location            = \"westeurope\"\n  address_space       = [10.40.0.0/16]\n  plugin              = azure_cni\n  max_nodes           = 10\n  service_cidr        = 172.16.0.0/16\n}\n\n",
            "peering aks_hub {\n  cluster             = aks\n  hub                 = hub\n  use_remote_gateways = true\n}\n\n",
            "dns_upstream aks_dns {\n  cluster      = aks\n  flavor       = kube_dns\n  stub_domains = { \"corp.example\" = [\"10.1.0.4\"] }\n}\n"
        ),
    },
    Rule {
        id: "HK415",
        code: "external-name-unresolvable",
        family: Dns,
        summary: "An ExternalName in an on-premises domain that no stub domain or upstream covers (warning)",
        why: "An ExternalName Service is a CNAME: it resolves only if the cluster DNS can resolve the name, so an on-premises zone must be covered by a stub domain or an upstream server (Kubernetes Service docs, ExternalName; domain rules §6).",
        bad: site!("external_service ldap {\n  cluster       = aks\n  external_name = \"ldap.corp.example\"\n}\n"),
        good: site!("dns_upstream aks_dns {\n  cluster      = aks\n  flavor       = kube_dns\n  stub_domains = { \"corp.example\" = [\"10.1.0.4\"] }\n}\n\nexternal_service ldap {\n  cluster       = aks\n  external_name = \"ldap.corp.example\"\n}\n"),
    },
    Rule {
        id: "HK420",
        code: "invalid-domain",
        family: Dns,
        summary: "An on-premises domain that is not a DNS name",
        why: "On-premises domains become stub domains and ExternalName zones, which are DNS-1123 subdomains: lowercase labels of a-z, 0-9 and `-` (Kubernetes DNS docs; domain rules §5).",
        bad: "onprem corp {\n  address_space = [10.0.0.0/12]\n  domains       = [\"Corp Example\"]\n}\n",
        good: "onprem corp {\n  address_space = [10.0.0.0/12]\n  domains       = [\"corp.example\"]\n}\n",
    },
];
