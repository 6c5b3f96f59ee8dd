//! Cluster subnet sizing from a scaling plan (domain rules §2).

use super::net;
use ipnet::Ipv4Net;

/// The network plugin a cluster uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plugin {
    /// Every node and every pod slot takes a VNET address.
    AzureCni,
    /// Only nodes take VNET addresses; pods get a /24 per node from `pod_cidr`.
    Kubenet,
    /// Network policy on kubenet: sized as kubenet.
    Calico,
}

impl Plugin {
    pub const NAMES: [&'static str; 3] = ["azure_cni", "kubenet", "calico"];

    pub fn parse(s: &str) -> Option<Plugin> {
        match s {
            "azure_cni" => Some(Plugin::AzureCni),
            "kubenet" => Some(Plugin::Kubenet),
            "calico" => Some(Plugin::Calico),
            _ => None,
        }
    }

    pub fn default_max_pods(self) -> i64 {
        match self {
            Plugin::AzureCni => 30,
            Plugin::Kubenet | Plugin::Calico => 110,
        }
    }

    pub fn uses_pod_cidr(self) -> bool {
        !matches!(self, Plugin::AzureCni)
    }
}

pub const MIN_MAX_PODS: i64 = 10;
pub const MAX_MAX_PODS: i64 = 250;
/// Azure route tables cap kubenet clusters at 400 nodes.
pub const KUBENET_MAX_NODES: u64 = 400;
pub const DEFAULT_POD_CIDR: &str = "10.244.0.0/16";

/// A scaling plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub plugin: Plugin,
    pub max_nodes: u64,
    pub surge_nodes: u64,
    pub max_pods: u64,
    pub internal_lb_ips: u64,
}

impl Plan {
    /// Addresses the node subnet must hold, the 5 Azure reserves included;
    /// `None` when the count does not fit in 64 bits (the rules bound every
    /// input long before that, but sizing runs before the rules).
    pub fn required_ip_count(&self) -> Option<u64> {
        let nodes = self.max_nodes.checked_add(self.surge_nodes)?;
        nodes
            .checked_mul(self.addresses_per_node()?)?
            .checked_add(self.internal_lb_ips)?
            .checked_add(net::AZURE_RESERVED_PER_SUBNET)
    }

    /// The smallest subnet (longest prefix) that holds the plan, never
    /// smaller than Azure's /29 minimum; `None` when no IPv4 prefix does.
    pub fn required_prefix(&self) -> Option<u8> {
        net::prefix_for(self.required_ip_count()?).map(|p| p.min(net::MIN_SUBNET_PREFIX))
    }

    /// VNET addresses one node takes: itself and, with Azure CNI, its pods.
    fn addresses_per_node(&self) -> Option<u64> {
        match self.plugin {
            Plugin::AzureCni => self.max_pods.checked_add(1),
            Plugin::Kubenet | Plugin::Calico => Some(1),
        }
    }

    /// How many nodes (the autoscaler maximum, surge excluded) the subnet
    /// and, for kubenet, the pod range and route table can carry.
    pub fn max_nodes_supported(&self, subnet: &Ipv4Net, pod_cidr: Option<&Ipv4Net>) -> u64 {
        let free = net::usable(subnet).saturating_sub(self.internal_lb_ips);
        let mut nodes = self.addresses_per_node().map_or(0, |per_node| free / per_node);
        if self.plugin.uses_pod_cidr() {
            nodes = nodes.min(KUBENET_MAX_NODES);
            if let Some(p) = pod_cidr {
                nodes = nodes.min(pod_slots(p));
            }
        }
        nodes.saturating_sub(self.surge_nodes)
    }
}

/// How many /24 node pod ranges a kubenet pod CIDR holds.
pub fn pod_slots(pod_cidr: &Ipv4Net) -> u64 {
    if pod_cidr.prefix_len() > 24 {
        0
    } else {
        1u64 << (24 - pod_cidr.prefix_len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(plugin: Plugin, max_nodes: u64, max_pods: u64) -> Plan {
        Plan {
            plugin,
            max_nodes,
            surge_nodes: 1,
            max_pods,
            internal_lb_ips: 0,
        }
    }

    #[test]
    fn worked_example_from_aks_ip_planning() {
        // 50 nodes + 1 surge, 30 pods: 51 + 51 x 30 = 1,581, plus 5 reserved.
        let p = plan(Plugin::AzureCni, 50, 30);
        assert_eq!(p.required_ip_count(), Some(1586));
        assert_eq!(p.required_prefix(), Some(21));
    }

    #[test]
    fn table_of_plans() {
        let cases = [
            (
                Plan {
                    internal_lb_ips: 3,
                    ..plan(Plugin::AzureCni, 50, 30)
                },
                1589,
                21,
            ),
            (plan(Plugin::AzureCni, 3, 250), 4 * 251 + 5, 22),
            (plan(Plugin::Kubenet, 50, 110), 56, 26),
            (plan(Plugin::Calico, 399, 110), 405, 23),
            (plan(Plugin::Kubenet, 1, 110), 7, 29),
            (
                Plan {
                    surge_nodes: 0,
                    ..plan(Plugin::AzureCni, 100, 10)
                },
                1105,
                21,
            ),
        ];
        for (p, count, prefix) in cases {
            assert_eq!(p.required_ip_count(), Some(count), "{p:?}");
            assert_eq!(p.required_prefix(), Some(prefix), "{p:?}");
        }
    }

    #[test]
    fn huge_plans_have_no_size_instead_of_overflowing() {
        let p = plan(Plugin::AzureCni, 1_000_000_000_000_000_000, 30);
        assert_eq!(p.required_ip_count(), None);
        assert_eq!(p.required_prefix(), None);
        let p = plan(Plugin::AzureCni, 10, u64::MAX);
        assert_eq!(p.required_ip_count(), None);
        assert_eq!(p.max_nodes_supported(&"10.0.0.0/8".parse().unwrap(), None), 0);
        // Fits in 64 bits, but not in IPv4.
        let p = plan(Plugin::Kubenet, 1 << 33, 110);
        assert_eq!(p.required_ip_count(), Some((1 << 33) + 6));
        assert_eq!(p.required_prefix(), None);
        let p = plan(Plugin::Kubenet, u64::MAX, 110);
        assert_eq!(p.required_ip_count(), None);
    }

    #[test]
    fn max_nodes_supported_by_subnet_and_pod_range() {
        let p = plan(Plugin::AzureCni, 50, 30);
        // /21: 2043 usable / 31 per node = 65 nodes, minus 1 surge.
        assert_eq!(p.max_nodes_supported(&"10.40.0.0/21".parse().unwrap(), None), 64);
        let k = plan(Plugin::Kubenet, 50, 110);
        // /16 pod range: 256 node slots minus surge.
        assert_eq!(
            k.max_nodes_supported(
                &"10.40.0.0/20".parse().unwrap(),
                Some(&"10.244.0.0/16".parse().unwrap())
            ),
            255
        );
        // Route table cap.
        assert_eq!(
            k.max_nodes_supported(&"10.40.0.0/16".parse().unwrap(), Some(&"10.0.0.0/8".parse().unwrap())),
            399
        );
    }
}
