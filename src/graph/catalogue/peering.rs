//! Catalogue rows of the peering family (`HK3xx`): the peered networks
//! (HK301–309) and gateway transit (HK310–319).

use super::{Family, Rule};

#[allow(unused_imports)]
use Family::*;

/// A hub (gateway `$gw`), a cluster at `$space`, and `$rest`.
macro_rules! hub_and_spoke {
    ($gw:literal, $space:literal, $rest:literal) => {
        concat!(
            "hub hub {\n",
            "  resource_group_name = \"net-rg\"\n",
            "  location            = \"westeurope\"\n",
            "  address_space       = [10.20.0.0/22]\n",
            "  gateway             = ",
            $gw,
            "\n}\n\n",
            "cluster_network aks {\n",
            "  resource_group_name = \"rg\"\n",
            "  location            = \"westeurope\"\n",
            "  address_space       = [",
            $space,
            "]\n",
            "  plugin              = azure_cni\n",
            "  max_nodes           = 10\n",
            "  service_cidr        = 172.16.0.0/16\n",
            "}\n\n",
            $rest
        )
    };
}

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "HK301",
        code: "duplicate-peering",
        family: Peering,
        summary: "Two peerings between the same cluster network and hub",
        why: "Azure allows one peering per pair of VNETs (`AnotherPeeringAlreadyReferencesRemoteVnet`, ARM error codes; domain rules §9).",
        bad: hub_and_spoke!(
            "vpn",
            "10.40.0.0/16",
            "peering a {\n  cluster = aks\n  hub     = hub\n}\n\npeering b {\n  cluster = aks\n  hub     = hub\n}\n"
        ),
        good: hub_and_spoke!("vpn", "10.40.0.0/16", "peering a {\n  cluster = aks\n  hub     = hub\n}\n"),
    },
    Rule {
        id: "HK302",
        code: "peering-overlap",
        family: Peering,
        summary: "A peering between VNETs whose address spaces overlap",
        why: "Peered VNETs must not overlap: Azure refuses the peering with `VnetAddressSpacesOverlap` (domain rules §4, §9).",
        bad: hub_and_spoke!("vpn", "10.20.0.0/16", "peering aks_hub {\n  cluster = aks\n  hub     = hub\n}\n"),
        good: hub_and_spoke!("vpn", "10.40.0.0/16", "peering aks_hub {\n  cluster = aks\n  hub     = hub\n}\n"),
    },
    Rule {
        id: "HK303",
        code: "spoke-overlap",
        family: Peering,
        summary: "Two cluster networks peered to one hub whose address spaces overlap",
        why: "The hub routes to each spoke by its prefixes; two spokes with overlapping ranges cannot both be reached, and Azure refuses the second peering (`VnetAddressSpaceOverlapsWithAlreadyPeeredVnet`; domain rules §4, §9).",
        bad: hub_and_spoke!(
            "vpn",
            "10.40.0.0/16",
            "cluster_network qa {\n  resource_group_name = \"rg\"\n  location            = \"westeurope\"\n  address_space       = [10.40.0.0/16]\n  plugin              = azure_cni\n  max_nodes           = 10\n  service_cidr        = 172.16.0.0/16\n}\n\npeering aks_hub {\n  cluster = aks\n  hub     = hub\n}\n\npeering qa_hub {\n  cluster = qa\n  hub     = hub\n}\n"
        ),
        good: hub_and_spoke!(
            "vpn",
            "10.40.0.0/16",
            "cluster_network qa {\n  resource_group_name = \"rg\"\n  location            = \"westeurope\"\n  address_space       = [10.41.0.0/16]\n  plugin              = azure_cni\n  max_nodes           = 10\n  service_cidr        = 172.16.0.0/16\n}\n\npeering aks_hub {\n  cluster = aks\n  hub     = hub\n}\n\npeering qa_hub {\n  cluster = qa\n  hub     = hub\n}\n"
        ),
    },
    Rule {
        id: "HK310",
        code: "no-remote-gateway",
        family: Peering,
        summary: "`use_remote_gateways = true` towards a hub without a gateway",
        why: "A spoke can use the hub's gateway only if the hub has one; Azure answers `RemoteVnetHasNoGateways` (terraform#30569; domain rules §4, §9).",
        bad: hub_and_spoke!(
            "none",
            "10.40.0.0/16",
            "peering aks_hub {\n  cluster             = aks\n  hub                 = hub\n  use_remote_gateways = true\n}\n"
        ),
        good: hub_and_spoke!(
            "vpn",
            "10.40.0.0/16",
            "peering aks_hub {\n  cluster             = aks\n  hub                 = hub\n  use_remote_gateways = true\n}\n"
        ),
    },
    Rule {
        id: "HK311",
        code: "gateway-transit-disabled",
        family: Peering,
        summary: "`use_remote_gateways = true` with `allow_gateway_transit = false` on the hub side",
        why: "The spoke side's `useRemoteGateways` needs the hub side's `allowGatewayTransit`; Azure refuses it (\"…cannot have UseRemoteGateways flag set to true, because corresponding remote peering has AllowGatewayTransit flag set to false\"; azurerm#2872; domain rules §4, §9).",
        bad: hub_and_spoke!(
            "vpn",
            "10.40.0.0/16",
            "peering aks_hub {\n  cluster               = aks\n  hub                   = hub\n  use_remote_gateways   = true\n  allow_gateway_transit = false\n}\n"
        ),
        good: hub_and_spoke!(
            "vpn",
            "10.40.0.0/16",
            "peering aks_hub {\n  cluster               = aks\n  hub                   = hub\n  use_remote_gateways   = true\n  allow_gateway_transit = true\n}\n"
        ),
    },
    Rule {
        id: "HK312",
        code: "second-remote-gateway",
        family: Peering,
        summary: "A second peering of one cluster network that uses remote gateways",
        why: "A VNET may use remote gateways through one peering only (Azure virtual network peering docs, \"Gateway transit\"; domain rules §4).",
        bad: hub_and_spoke!(
            "vpn",
            "10.40.0.0/16",
            "hub hub2 {\n  resource_group_name = \"net-rg\"\n  location            = \"westeurope\"\n  address_space       = [10.21.0.0/22]\n  gateway             = vpn\n}\n\npeering a {\n  cluster             = aks\n  hub                 = hub\n  use_remote_gateways = true\n}\n\npeering b {\n  cluster             = aks\n  hub                 = hub2\n  use_remote_gateways = true\n}\n"
        ),
        good: hub_and_spoke!(
            "vpn",
            "10.40.0.0/16",
            "hub hub2 {\n  resource_group_name = \"net-rg\"\n  location            = \"westeurope\"\n  address_space       = [10.21.0.0/22]\n  gateway             = vpn\n}\n\npeering a {\n  cluster             = aks\n  hub                 = hub\n  use_remote_gateways = true\n}\n\npeering b {\n  cluster             = aks\n  hub                 = hub2\n  use_remote_gateways = false\n}\n"
        ),
    },
];
