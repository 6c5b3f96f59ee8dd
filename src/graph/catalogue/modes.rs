//! Catalogue rows of the network modes and their sizing (see `mod.rs`):
//! plugin, pod IP allocation, network policy and dataplane on
//! `cluster_network`, HK250–HK299.

use super::{Family, Rule};

/// A small cluster network with the given lines added.
macro_rules! cluster {
    ($($line:literal),* $(,)?) => {
        concat!(
            "cluster_network aks {\n",
            "  name                = \"aks-vnet\"\n",
            "  resource_group_name = \"k8s-rg\"\n",
            "  location            = \"westeurope\"\n",
            "  service_cidr        = 172.16.0.0/16\n",
            $("  ", $line, "\n",)*
            "}\n"
        )
    };
}

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "HK250",
        code: "calico-plugin-deprecated",
        family: Family::Sizing,
        summary: "`plugin = \"calico\"` is the former name of kubenet with Calico network policy",
        why: "acs-engine called kubenet with Calico policy the `calico` plugin; AKS separates the plugin (`kubenet`) from the policy engine (`network_policy = \"calico\"`). The old name keeps working and is sized as kubenet.",
        bad: cluster!("address_space = [10.40.0.0/16]", "plugin = calico", "max_nodes = 10"),
        good: cluster!("address_space = [10.40.0.0/16]", "plugin = kubenet", "network_policy = calico", "max_nodes = 10"),
    },
    Rule {
        id: "HK251",
        code: "kubenet-retirement",
        family: Family::Sizing,
        summary: "kubenet reaches its end of support on 2028-03-31",
        why: "AKS retires kubenet on 2028-03-31 (Azure/AKS#4859, `includes/kubenet-retirement.md`). Azure CNI Overlay keeps kubenet's addressing (a /24 per node from the pod CIDR, only nodes on the subnet) and AKS migrates kubenet clusters to it in place.",
        bad: cluster!("address_space = [10.40.0.0/16]", "plugin = kubenet", "max_nodes = 10"),
        good: cluster!("address_space = [10.40.0.0/16]", "plugin = azure_cni_overlay", "max_nodes = 10"),
    },
    Rule {
        id: "HK252",
        code: "policy-plugin-mismatch",
        family: Family::Sizing,
        summary: "the network policy engine cannot run with this plugin or dataplane",
        why: "Azure Network Policy Manager needs an Azure CNI plugin (kubenet supports only Calico); `plugin = \"calico\"` means Calico policy; the Cilium dataplane enforces policy itself, so Azure NPM or Calico cannot run beside it (AKS `use-network-policies.md`, `azure-cni-powered-by-cilium.md`).",
        bad: cluster!("address_space = [10.40.0.0/16]", "plugin = kubenet", "network_policy = azure", "max_nodes = 10"),
        good: cluster!("address_space = [10.40.0.0/16]", "plugin = kubenet", "network_policy = calico", "max_nodes = 10"),
    },
    Rule {
        id: "HK253",
        code: "cilium-policy-needs-dataplane",
        family: Family::Sizing,
        summary: "Cilium network policy needs the Cilium dataplane",
        why: "On AKS, Cilium network policies are enforced by Azure CNI Powered by Cilium: `network_policy = \"cilium\"` comes with `dataplane = \"cilium\"` (`azure-cni-powered-by-cilium.md`).",
        bad: cluster!("address_space = [10.40.0.0/16]", "network_policy = cilium", "max_nodes = 10"),
        good: cluster!("address_space = [10.40.0.0/16]", "network_policy = cilium", "dataplane = cilium", "max_nodes = 10"),
    },
    Rule {
        id: "HK254",
        code: "cilium-needs-azure-cni",
        family: Family::Sizing,
        summary: "the Cilium dataplane runs on an Azure CNI plugin, not on kubenet",
        why: "Azure CNI Powered by Cilium assigns pod addresses from an overlay or from the virtual network (pod subnet, node subnet); there is no kubenet variant (`azure-cni-powered-by-cilium.md`).",
        bad: cluster!("address_space = [10.40.0.0/16]", "plugin = kubenet", "dataplane = cilium", "network_policy = cilium", "max_nodes = 10"),
        good: cluster!("address_space = [10.40.0.0/16]", "plugin = azure_cni_overlay", "dataplane = cilium", "network_policy = cilium", "max_nodes = 10"),
    },
    Rule {
        id: "HK255",
        code: "windows-unsupported",
        family: Family::Sizing,
        summary: "the network mode has no Windows node pools",
        why: "kubenet does not support Windows Server node pools, and Azure CNI Powered by Cilium is Linux-only (`azure-cni-powered-by-cilium.md`, limitations). A cluster with `windows_nodes = true` needs an Azure CNI plugin with the Azure dataplane.",
        bad: cluster!("address_space = [10.40.0.0/16]", "plugin = kubenet", "windows_nodes = true", "max_nodes = 10"),
        good: cluster!("address_space = [10.40.0.0/16]", "plugin = azure_cni_overlay", "windows_nodes = true", "max_nodes = 10"),
    },
    Rule {
        id: "HK256",
        code: "npm-windows-retired",
        family: Family::Sizing,
        summary: "Azure NPM no longer supports Windows nodes",
        why: "Azure Network Policy Manager support ended for Windows nodes on 2026-09-30 and ends for Linux on 2028-09-30 (AKS overlay docs, domain rules §8). Windows pools need another policy engine (Calico).",
        bad: cluster!("address_space = [10.40.0.0/16]", "network_policy = azure", "windows_nodes = true", "max_nodes = 10"),
        good: cluster!("address_space = [10.40.0.0/16]", "network_policy = calico", "windows_nodes = true", "max_nodes = 10"),
    },
    Rule {
        id: "HK257",
        code: "unused-pod-subnet",
        family: Family::Sizing,
        summary: "a pod subnet setting with a plugin that has no pod subnet",
        why: "Only `azure_cni_pod_subnet` takes pod addresses from a pod subnet; with the other plugins `pod_subnet_cidr` and `pod_ip_allocation = \"static_block\"` are ignored, which usually means the plugin is not the one intended.",
        bad: cluster!("address_space = [10.40.0.0/16]", "pod_subnet_cidr = 10.40.32.0/19", "max_nodes = 10"),
        good: cluster!("address_space = [10.40.0.0/16]", "plugin = azure_cni_pod_subnet", "pod_subnet_cidr = 10.40.32.0/19", "max_nodes = 10"),
    },
    Rule {
        id: "HK260",
        code: "no-upgrade-headroom",
        family: Family::Sizing,
        summary: "the node subnet holds the nodes but not the surge nodes of an upgrade",
        why: "An upgrade adds `surge_nodes` nodes at the autoscaler maximum; when the subnet cannot give them addresses the upgrade fails half-way and leaves the cluster broken (AKS#1053). Size for `max_nodes + surge_nodes`.",
        bad: cluster!("address_space = [10.40.0.0/16]", "plugin = azure_cni", "max_nodes = 32", "max_pods = 30", "node_subnet_cidr = 10.40.0.0/22"),
        good: cluster!("address_space = [10.40.0.0/16]", "plugin = azure_cni", "max_nodes = 32", "max_pods = 30", "node_subnet_cidr = 10.40.0.0/21"),
    },
    Rule {
        id: "HK261",
        code: "cluster-node-cap",
        family: Family::Sizing,
        summary: "more than 5,000 nodes, surge included, in an Azure CNI cluster",
        why: "An AKS cluster with Azure CNI (Overlay documents it) holds at most 5,000 nodes; the upgrade surge counts (`concepts-network-azure-cni-overlay.md`).",
        bad: cluster!("address_space = [10.40.0.0/16]", "max_nodes = 5000", "pod_cidr = 100.64.0.0/10"),
        good: cluster!("address_space = [10.40.0.0/16]", "max_nodes = 4999", "pod_cidr = 100.64.0.0/10"),
    },
    Rule {
        id: "HK262",
        code: "pod-subnet-too-small",
        family: Family::Sizing,
        summary: "the pod subnet cannot hold the pod addresses of the plan",
        why: "With `azure_cni_pod_subnet`, nodes take pod addresses in batches of 16 (dynamic) or /28 blocks (static) for `max_pods` at the autoscaler maximum plus the surge (`concepts-network-azure-cni-pod-subnet.md`); a full pod subnet leaves pods pending.",
        bad: cluster!("address_space = [10.40.0.0/16]", "plugin = azure_cni_pod_subnet", "max_nodes = 50", "pod_subnet_cidr = 10.40.64.0/20"),
        good: cluster!("address_space = [10.40.0.0/16]", "plugin = azure_cni_pod_subnet", "max_nodes = 50", "pod_subnet_cidr = 10.40.64.0/19"),
    },
    Rule {
        id: "HK263",
        code: "pod-subnet-too-large",
        family: Family::Sizing,
        summary: "a static-block pod subnet larger than a /12",
        why: "Static block allocation supports a pod subnet of at most a /12 (`concepts-network-azure-cni-pod-subnet.md`).",
        bad: cluster!("address_space = [10.0.0.0/8]", "plugin = azure_cni_pod_subnet", "pod_ip_allocation = static_block", "max_pods = 111", "max_nodes = 50", "pod_subnet_cidr = 10.32.0.0/11"),
        good: cluster!("address_space = [10.0.0.0/8]", "plugin = azure_cni_pod_subnet", "pod_ip_allocation = static_block", "max_pods = 111", "max_nodes = 50", "pod_subnet_cidr = 10.32.0.0/12"),
    },
    Rule {
        id: "HK264",
        code: "static-block-waste",
        family: Family::Sizing,
        summary: "`max_pods` leaves part of each node's static /28 blocks unused",
        why: "Static block allocation reserves whole /28 blocks (16 addresses) per node for `max_pods + 1`; `max_pods = 16·N − 1` fills N blocks, any other value reserves addresses no pod uses (`concepts-network-azure-cni-pod-subnet.md`).",
        bad: cluster!("address_space = [10.40.0.0/16]", "plugin = azure_cni_pod_subnet", "pod_ip_allocation = static_block", "max_pods = 110", "max_nodes = 50"),
        good: cluster!("address_space = [10.40.0.0/16]", "plugin = azure_cni_pod_subnet", "pod_ip_allocation = static_block", "max_pods = 111", "max_nodes = 50"),
    },
];
