//! The worked examples of `docs/sizing.md`, one per mode, and the edges.

use super::*;

fn plan(plugin: Plugin, max_nodes: u64, max_pods: u64) -> Plan {
    Plan {
        plugin,
        max_nodes,
        surge_nodes: 1,
        max_pods,
        internal_lb_ips: 0,
        allocation: PodIpAllocation::Dynamic,
    }
}

fn cidr(s: &str) -> Ipv4Net {
    s.parse().unwrap()
}

#[test]
fn names_round_trip_and_defaults_per_mode() {
    for n in Plugin::NAMES {
        assert_eq!(Plugin::parse(n).map(Plugin::name), Some(*n));
    }
    assert_eq!(Plugin::parse("azure"), None);
    assert_eq!(DEFAULT_PLUGIN.name(), "azure_cni_overlay");
    let defaults: Vec<_> = Plugin::NAMES
        .iter()
        .map(|n| Plugin::parse(n).unwrap().default_max_pods())
        .collect();
    // overlay 250, pod subnet 110, legacy 30, kubenet 110 (and calico as kubenet).
    assert_eq!(defaults, [250, 110, 30, 110, 110]);
    assert_eq!(Plugin::Calico.canonical(), Plugin::Kubenet);
    assert_eq!(NetworkPolicy::parse("cilium"), Some(NetworkPolicy::Cilium));
    assert_eq!(Dataplane::NAMES, ["azure", "cilium"]);
    assert_eq!(
        PodIpAllocation::parse("static_block"),
        Some(PodIpAllocation::StaticBlock)
    );
}

#[test]
fn node_subnet_worked_example_from_aks_ip_planning() {
    // 50 nodes + 1 surge, 30 pods: 51 + 51 x 30 = 1,581, plus 5 reserved.
    let p = plan(Plugin::AzureCni, 50, 30);
    assert_eq!(p.required_ip_count(), Some(1586));
    assert_eq!(p.required_prefix(), Some(21));
    assert_eq!(p.required_pod_ip_count(), None);
    // Without the surge node it would fit 1,555: only upgrades need the rest.
    assert_eq!(p.required_ip_count_without_surge(), Some(1555));
    // /21: 2,043 usable / 31 per node = 65 nodes, minus 1 surge.
    assert_eq!(p.max_nodes_supported(&cidr("10.40.0.0/21"), None, None), 64);
}

#[test]
fn overlay_worked_example() {
    // 50 nodes + 1 surge with 250 pods each: only the 51 nodes on the subnet.
    let p = plan(Plugin::AzureCniOverlay, 50, 250);
    assert_eq!(p.required_ip_count(), Some(56));
    assert_eq!(p.required_prefix(), Some(26));
    // /26: 59 usable; the /16 pod range holds 256 node ranges; minus surge.
    let pods = cidr("10.244.0.0/16");
    assert_eq!(p.max_nodes_supported(&cidr("10.40.0.0/26"), Some(&pods), None), 58);
    assert_eq!(p.max_nodes_supported(&cidr("10.40.0.0/16"), Some(&pods), None), 255);
    // The documented 5,000-node ceiling.
    let big = plan(Plugin::AzureCniOverlay, 4999, 250);
    assert_eq!(
        big.max_nodes_supported(&cidr("10.0.0.0/8"), Some(&cidr("10.0.0.0/8")), None),
        4999
    );
    assert_eq!(pod_slots(&cidr("10.244.0.0/14")), 1024);
}

#[test]
fn pod_subnet_dynamic_worked_example() {
    // 51 nodes x 110 pods rounded up to 7 batches of 16 (112) = 5,712 + 5.
    let p = plan(Plugin::AzureCniPodSubnet, 50, 110);
    assert_eq!(p.pod_ips_per_node(), Some(112));
    assert_eq!(p.required_pod_ip_count(), Some(5717));
    assert_eq!(p.required_pod_prefix(), Some(19));
    // Nodes alone on the node subnet.
    assert_eq!(p.required_ip_count(), Some(56));
    assert_eq!(p.required_prefix(), Some(26));
    // A /19 pod subnet: 8,187 usable / 112 = 73 nodes, minus surge.
    assert_eq!(
        p.max_nodes_supported(&cidr("10.40.0.0/24"), None, Some(&cidr("10.40.32.0/19"))),
        72
    );
    // At least one batch per node, and exact multiples stay.
    assert_eq!(plan(Plugin::AzureCniPodSubnet, 1, 10).pod_ips_per_node(), Some(16));
    assert_eq!(plan(Plugin::AzureCniPodSubnet, 1, 32).pod_ips_per_node(), Some(32));
    assert_eq!(plan(Plugin::AzureCniPodSubnet, 1, 32).static_blocks(), None);
}

#[test]
fn pod_subnet_static_block_worked_example() {
    let block = |max_pods| Plan {
        allocation: PodIpAllocation::StaticBlock,
        ..plan(Plugin::AzureCniPodSubnet, 50, max_pods)
    };
    // 127 = 16 x 8 - 1 pods fill 8 /28 blocks: 51 x 128 = 6,528 + 5.
    let p = block(127);
    assert_eq!(p.static_blocks(), Some((8, false)));
    assert_eq!(p.required_pod_ip_count(), Some(6533));
    assert_eq!(p.required_pod_prefix(), Some(19));
    // 110 pods take 7 blocks (112 addresses) but could use 111: waste.
    assert_eq!(block(110).static_blocks(), Some((7, true)));
    assert_eq!(block(110).pod_ips_per_node(), Some(112));
    // 16 pods need a second block (the node keeps one address of its blocks).
    assert_eq!(block(16).static_blocks(), Some((2, true)));
    assert_eq!(block(15).static_blocks(), Some((1, false)));
}

#[test]
fn kubenet_worked_example() {
    // 51 nodes + 5 reserved on the subnet; 51 /24s of the /16 pod range.
    let k = plan(Plugin::Kubenet, 50, 110);
    assert_eq!(k.required_ip_count(), Some(56));
    assert_eq!(k.required_prefix(), Some(26));
    let pods = cidr("10.244.0.0/16");
    assert_eq!(k.max_nodes_supported(&cidr("10.40.0.0/20"), Some(&pods), None), 255);
    // Route-table cap, whatever the ranges hold.
    assert_eq!(
        k.max_nodes_supported(&cidr("10.40.0.0/16"), Some(&cidr("10.0.0.0/8")), None),
        399
    );
    assert_eq!(Plugin::Calico.node_cap(), 400);
    assert_eq!(Plugin::AzureCni.node_cap(), 5000);
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
        (plan(Plugin::AzureCniOverlay, 1, 250), 7, 29),
        (plan(Plugin::AzureCniOverlay, 1000, 250), 1006, 22),
        (
            Plan {
                internal_lb_ips: 2,
                ..plan(Plugin::AzureCniPodSubnet, 10, 250)
            },
            18,
            27,
        ),
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
fn upgrade_headroom_is_the_surge_at_the_autoscaler_maximum() {
    let p = Plan {
        surge_nodes: 3,
        ..plan(Plugin::AzureCni, 20, 30)
    };
    // 23 x 31 + 5 with surge, 20 x 31 + 5 without.
    assert_eq!(p.required_ip_count(), Some(718));
    assert_eq!(p.required_ip_count_without_surge(), Some(625));
    let o = Plan {
        surge_nodes: 10,
        ..plan(Plugin::AzureCniOverlay, 50, 250)
    };
    assert_eq!(o.required_ip_count(), Some(65));
    assert_eq!(o.required_ip_count_without_surge(), Some(55));
}

#[test]
fn huge_plans_have_no_size_instead_of_overflowing() {
    let p = plan(Plugin::AzureCni, 1_000_000_000_000_000_000, 30);
    assert_eq!(p.required_ip_count(), None);
    assert_eq!(p.required_prefix(), None);
    let p = plan(Plugin::AzureCni, 10, u64::MAX);
    assert_eq!(p.required_ip_count(), None);
    assert_eq!(p.max_nodes_supported(&cidr("10.0.0.0/8"), None, None), 0);
    let p = plan(Plugin::AzureCniPodSubnet, u64::MAX, 250);
    assert_eq!(p.required_pod_ip_count(), None);
    let p = Plan {
        allocation: PodIpAllocation::StaticBlock,
        ..plan(Plugin::AzureCniPodSubnet, 1, u64::MAX)
    };
    assert_eq!(p.pod_ips_per_node(), None);
    // Fits in 64 bits, but not in IPv4.
    let p = plan(Plugin::Kubenet, 1 << 33, 110);
    assert_eq!(p.required_ip_count(), Some((1 << 33) + 6));
    assert_eq!(p.required_prefix(), None);
    let p = plan(Plugin::Kubenet, u64::MAX, 110);
    assert_eq!(p.required_ip_count(), None);
}

#[test]
fn counts_print_with_thousands_separators() {
    assert_eq!(thousands(0), "0");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(1586), "1,586");
    assert_eq!(thousands(1_048_576), "1,048,576");
}
