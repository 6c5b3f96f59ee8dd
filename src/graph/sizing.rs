//! Cluster subnet sizing from a scaling plan, per network mode (domain
//! rules §2 and §8; worked examples in `docs/sizing.md`).

use super::net;
use ipnet::Ipv4Net;

/// A closed set of names written as strings in the DSL and Terraform.
macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($(#[$vm])* $v,)* }

        impl $name {
            /// Every name, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($s,)*];

            /// The value a name stands for.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$v),)* _ => None }
            }

            /// The name as written in configuration.
            pub fn name(self) -> &'static str {
                match self { $(Self::$v => $s,)* }
            }
        }
    };
}

named_enum! {
    /// The network plugin (and, for Azure CNI, its IP address mode).
    Plugin {
        /// Azure CNI Overlay: nodes on the subnet, pods a /24 per node from `pod_cidr`.
        AzureCniOverlay = "azure_cni_overlay",
        /// Azure CNI with a pod subnet: pods take addresses of a second VNET subnet.
        AzureCniPodSubnet = "azure_cni_pod_subnet",
        /// Azure CNI node subnet ("legacy"): every node and every pod slot on the node subnet.
        AzureCni = "azure_cni",
        /// Nodes on the subnet; pods a /24 per node from `pod_cidr`, routed by a route table.
        Kubenet = "kubenet",
        /// Deprecated name: kubenet with Calico network policy.
        Calico = "calico",
    }
}

named_enum! {
    /// How pod addresses of the pod subnet are handed to nodes.
    PodIpAllocation {
        /// Batches of 16 addresses, a new batch when fewer than 8 are free.
        Dynamic = "dynamic",
        /// /28 blocks reserved per node when it joins.
        StaticBlock = "static_block",
    }
}

named_enum! {
    /// The engine that enforces Kubernetes network policies.
    NetworkPolicy {
        None = "none",
        /// Azure Network Policy Manager.
        Azure = "azure",
        Calico = "calico",
        Cilium = "cilium",
    }
}

named_enum! {
    /// The dataplane of the pods' traffic.
    Dataplane {
        Azure = "azure",
        /// Azure CNI Powered by Cilium (eBPF).
        Cilium = "cilium",
    }
}

/// The plugin of programs that do not set one.
pub const DEFAULT_PLUGIN: Plugin = Plugin::AzureCniOverlay;

impl Plugin {
    pub fn default_max_pods(self) -> i64 {
        match self {
            Plugin::AzureCniOverlay => 250,
            Plugin::AzureCni => 30,
            Plugin::AzureCniPodSubnet | Plugin::Kubenet | Plugin::Calico => 110,
        }
    }

    /// Pods get a /24 per node from `pod_cidr` (overlay, kubenet).
    pub fn uses_pod_cidr(self) -> bool {
        matches!(self, Plugin::AzureCniOverlay | Plugin::Kubenet | Plugin::Calico)
    }

    /// Kubenet under either name.
    pub fn is_kubenet(self) -> bool {
        matches!(self, Plugin::Kubenet | Plugin::Calico)
    }

    /// One of the Azure CNI modes.
    pub fn is_azure_cni(self) -> bool {
        !self.is_kubenet()
    }

    /// The most nodes a cluster of this plugin may have, surge included:
    /// kubenet's route table holds 400 routes, overlay documents 5,000.
    pub fn node_cap(self) -> u64 {
        if self.is_kubenet() {
            KUBENET_MAX_NODES
        } else {
            OVERLAY_MAX_NODES
        }
    }

    /// The same mode under its current name (`calico` is kubenet).
    pub fn canonical(self) -> Plugin {
        if self == Plugin::Calico {
            Plugin::Kubenet
        } else {
            self
        }
    }
}

pub const MIN_MAX_PODS: i64 = 10;
pub const MAX_MAX_PODS: i64 = 250;
/// Azure route tables cap kubenet clusters at 400 nodes.
pub const KUBENET_MAX_NODES: u64 = 400;
/// Azure CNI Overlay supports up to 5,000 nodes.
pub const OVERLAY_MAX_NODES: u64 = 5000;
pub const DEFAULT_POD_CIDR: &str = "10.244.0.0/16";
/// Pod-subnet addresses come in batches (dynamic) or blocks (/28, static) of 16.
pub const POD_BATCH: u64 = 16;
/// A static-block pod subnet may be at most a /12.
pub const STATIC_BLOCK_LARGEST_PREFIX: u8 = 12;

/// A scaling plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub plugin: Plugin,
    pub max_nodes: u64,
    pub surge_nodes: u64,
    pub max_pods: u64,
    pub internal_lb_ips: u64,
    /// Used by `azure_cni_pod_subnet` only.
    pub allocation: PodIpAllocation,
}

impl Plan {
    /// The nodes at the autoscaler maximum during an upgrade.
    pub fn nodes(&self) -> Option<u64> {
        self.max_nodes.checked_add(self.surge_nodes)
    }

    /// Addresses the node subnet must hold, the 5 Azure reserves included;
    /// `None` when the count does not fit in 64 bits (the rules bound every
    /// input long before that, but sizing runs before the rules).
    pub fn required_ip_count(&self) -> Option<u64> {
        self.node_subnet_count(self.nodes()?)
    }

    /// What the node subnet needs for `nodes` nodes.
    fn node_subnet_count(&self, nodes: u64) -> Option<u64> {
        nodes
            .checked_mul(self.addresses_per_node()?)?
            .checked_add(self.internal_lb_ips)?
            .checked_add(net::AZURE_RESERVED_PER_SUBNET)
    }

    /// The node subnet without the upgrade surge: when the subnet holds this
    /// but not [`Self::required_ip_count`], only upgrades run out (AKS#1053).
    pub fn required_ip_count_without_surge(&self) -> Option<u64> {
        self.node_subnet_count(self.max_nodes)
    }

    /// The smallest subnet (longest prefix) that holds the plan, never
    /// smaller than Azure's /29 minimum; `None` when no IPv4 prefix does.
    pub fn required_prefix(&self) -> Option<u8> {
        subnet_prefix(self.required_ip_count()?)
    }

    /// Node-subnet addresses one node takes: itself and, with the legacy
    /// Azure CNI, its pods.
    fn addresses_per_node(&self) -> Option<u64> {
        match self.plugin {
            Plugin::AzureCni => self.max_pods.checked_add(1),
            _ => Some(1),
        }
    }

    /// Pod-subnet addresses one node reserves (`azure_cni_pod_subnet`):
    /// `max_pods` rounded up to batches of 16 (dynamic), or /28 blocks for
    /// `max_pods + 1` (static, so `16·N − 1` pods fill N blocks exactly).
    pub fn pod_ips_per_node(&self) -> Option<u64> {
        if self.plugin != Plugin::AzureCniPodSubnet {
            return None;
        }
        let pods = match self.allocation {
            PodIpAllocation::Dynamic => self.max_pods.max(1),
            PodIpAllocation::StaticBlock => self.max_pods.checked_add(1)?,
        };
        pods.div_ceil(POD_BATCH).checked_mul(POD_BATCH)
    }

    /// Static blocks per node, and whether `max_pods` leaves some unused.
    pub fn static_blocks(&self) -> Option<(u64, bool)> {
        if self.plugin != Plugin::AzureCniPodSubnet || self.allocation != PodIpAllocation::StaticBlock {
            return None;
        }
        let per = self.pod_ips_per_node()?;
        Some((per / POD_BATCH, per != self.max_pods.checked_add(1)?))
    }

    /// Addresses the pod subnet must hold (`azure_cni_pod_subnet`), the 5
    /// Azure reserves included.
    pub fn required_pod_ip_count(&self) -> Option<u64> {
        self.nodes()?
            .checked_mul(self.pod_ips_per_node()?)?
            .checked_add(net::AZURE_RESERVED_PER_SUBNET)
    }

    /// The smallest pod subnet that holds the plan.
    pub fn required_pod_prefix(&self) -> Option<u8> {
        subnet_prefix(self.required_pod_ip_count()?)
    }

    /// How many nodes (the autoscaler maximum, surge excluded) the node
    /// subnet, the pod range or pod subnet and the plugin's cap can carry.
    pub fn max_nodes_supported(
        &self,
        subnet: &Ipv4Net,
        pod_cidr: Option<&Ipv4Net>,
        pod_subnet: Option<&Ipv4Net>,
    ) -> u64 {
        let free = net::usable(subnet).saturating_sub(self.internal_lb_ips);
        let mut nodes = self.addresses_per_node().map_or(0, |per_node| free / per_node);
        nodes = nodes.min(self.plugin.node_cap());
        if self.plugin.uses_pod_cidr() {
            if let Some(p) = pod_cidr {
                nodes = nodes.min(pod_slots(p));
            }
        }
        if let (Some(per), Some(ps)) = (self.pod_ips_per_node(), pod_subnet) {
            nodes = nodes.min(net::usable(ps) / per);
        }
        nodes.saturating_sub(self.surge_nodes)
    }
}

/// The smallest Azure subnet prefix for `count` addresses (at least a /29).
fn subnet_prefix(count: u64) -> Option<u8> {
    net::prefix_for(count).map(|p| p.min(net::MIN_SUBNET_PREFIX))
}

/// How many /24 node pod ranges a pod CIDR (overlay, kubenet) holds.
pub fn pod_slots(pod_cidr: &Ipv4Net) -> u64 {
    if pod_cidr.prefix_len() > 24 {
        0
    } else {
        1u64 << (24 - pod_cidr.prefix_len())
    }
}

/// A count the way the messages print it: `1,586`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests;
