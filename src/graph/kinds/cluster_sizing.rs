//! Sizing of a `cluster_network` per network mode beyond the node-subnet
//! count of [`crate::graph::sizing`]: the pod subnet's default and rules,
//! the node limits and pod range of overlay and kubenet, the upgrade
//! headroom, and the hints that give each mode's arithmetic (worked
//! examples in `docs/sizing.md`).

use super::util;
use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::net;
use crate::graph::schema::Attrs;
use crate::graph::sizing::{self, thousands, Plan, Plugin, PodIpAllocation};
use crate::graph::value::{AttrPath, Value};
use crate::graph::{Address, Resource};
use ipnet::Ipv4Net;

/// The pod subnet's default (after the node subnet's).
pub fn derive_pod_subnet(attrs: &mut Attrs, plan_inputs: &[&str]) {
    let mut inputs = plan_inputs.to_vec();
    inputs.extend(["address_space", "node_subnet_cidr", "subnets"]);
    util::derive(attrs, "pod_subnet_cidr", &inputs, |a| {
        let Some(prefix) = super::cluster_network::plan_of(a).and_then(|p| p.required_pod_prefix()) else {
            return Value::Null;
        };
        let first = a
            .get("address_space")
            .and_then(Value::as_list)
            .and_then(|l| l.first())
            .and_then(Value::as_str)
            .and_then(|s| net::parse_cidr(s).ok());
        let mut taken: Vec<Ipv4Net> = util::s(a, "node_subnet_cidr")
            .and_then(|s| net::parse_cidr(s).ok())
            .into_iter()
            .collect();
        for item in a.get("subnets").and_then(Value::as_list).unwrap_or(&[]) {
            let cidr = item.as_map().and_then(|m| m.get("cidr")).and_then(Value::as_str);
            taken.extend(cidr.and_then(|s| net::parse_cidr(s).ok()));
        }
        first
            .and_then(|range| first_free(&range, prefix, &taken))
            .map_or(Value::Null, |n| Value::str(n.to_string()))
    });
}

/// `required_pod_ip_count` from the plan.
pub fn pod_ip_count(attrs: &mut Attrs, plan_inputs: &[&str]) {
    util::set_computed(attrs, "required_pod_ip_count", plan_inputs, |a| {
        super::cluster_network::plan_of(a)
            .and_then(|p| p.required_pod_ip_count())
            .and_then(|n| i64::try_from(n).ok())
            .map_or(Value::Null, Value::Number)
    });
}

/// The first block of `prefix` inside `range` that overlaps none of `taken`.
fn first_free(range: &Ipv4Net, prefix: u8, taken: &[Ipv4Net]) -> Option<Ipv4Net> {
    if prefix < range.prefix_len() {
        return None;
    }
    let step = 1u64 << (32 - prefix);
    let mut at = u64::from(net::start(range));
    let end = u64::from(net::end(range));
    while at + step - 1 <= end {
        let candidate = Ipv4Net::new(u32::try_from(at).ok()?.into(), prefix).ok()?;
        match taken
            .iter()
            .filter(|t| net::overlaps(t, &candidate))
            .map(|t| u64::from(net::end(t)))
            .max()
        {
            // Jump past what is in the way, to the next aligned block.
            Some(last) => at = (last + 1).div_ceil(step) * step,
            None => return Some(candidate),
        }
    }
    None
}

/// The pod subnet of `azure_cni_pod_subnet`: present, large enough for the
/// plan, not larger than a /12 with static blocks. Returns it for the
/// subnet rules (inside the VNET, no overlap).
pub fn pod_subnet_rules(r: &Resource, p: &Plan, space: &[(usize, Ipv4Net)], d: &mut Diagnostics) -> Option<Ipv4Net> {
    let (need, prefix) = (p.required_pod_ip_count()?, p.required_pod_prefix()?);
    let hint = pod_subnet_hint(p, need, prefix);
    let Some(ps) = util::cidr(r, "pod_subnet_cidr", d) else {
        if r.get("pod_subnet_cidr").is_null() {
            if let Some((i, first)) = space.first() {
                d.push(
                    Diagnostic::error("pod-subnet-too-small", format!("{} needs a pod subnet of {} addresses (/{prefix}); its first range {first} has no free /{prefix} beside the node subnet", r.address, thousands(need)))
                        .at(&r.address, AttrPath::attr("address_space").index(*i))
                        .hint(format!("{hint}; add a range to address_space and set pod_subnet_cidr in it")),
                );
            }
        }
        return None;
    };
    if net::size(&ps) < need {
        d.push(
            Diagnostic::error(
                "pod-subnet-too-small",
                format!(
                    "the pod subnet needs {} addresses (/{prefix}); {ps} holds {}",
                    thousands(need),
                    thousands(net::usable(&ps))
                ),
            )
            .at(&r.address, AttrPath::attr("pod_subnet_cidr"))
            .hint(hint),
        );
    }
    if let Some((blocks, true)) = p.static_blocks() {
        let fill = blocks * sizing::POD_BATCH - 1;
        d.push(
            Diagnostic::warning("static-block-waste", format!("max_pods {} takes {blocks} /28 blocks per node, which hold {fill} pods: each node reserves {} it never uses", p.max_pods, match fill - p.max_pods { 1 => "1 address".to_string(), n => format!("{n} addresses") }))
                .at(&r.address, AttrPath::attr("max_pods"))
                .hint(format!("static blocks fit max_pods = 16·N − 1: use {fill} (or {})", fill.saturating_sub(16).max(15))),
        );
    }
    if p.allocation == PodIpAllocation::StaticBlock && ps.prefix_len() < sizing::STATIC_BLOCK_LARGEST_PREFIX {
        d.push(
            Diagnostic::error(
                "pod-subnet-too-large",
                format!(
                    "pod subnet {ps} is a /{}; static block allocation takes at most a /12",
                    ps.prefix_len()
                ),
            )
            .at(&r.address, AttrPath::attr("pod_subnet_cidr"))
            .hint(format!("use a /{prefix} (what the plan needs) up to a /12")),
        );
    }
    Some(ps)
}

pub(super) fn pod_subnet_hint(p: &Plan, need: u64, prefix: u8) -> String {
    let per = p.pod_ips_per_node().unwrap_or(0);
    let how = match p.allocation {
        PodIpAllocation::Dynamic => format!(
            "dynamic allocation hands out batches of 16: {} max_pods rounded up to {per}",
            p.max_pods
        ),
        PodIpAllocation::StaticBlock => format!(
            "static_block reserves /28 blocks: {} max_pods + 1 rounded up to {per}",
            p.max_pods
        ),
    };
    format!(
        "{how}; ({} + {} surge) x {per} + 5 reserved = {}; use a /{prefix}",
        p.max_nodes,
        p.surge_nodes,
        thousands(need)
    )
}

/// The arithmetic of a node-subnet size, per mode.
pub fn sizing_hint(p: &Plan, need: u64, prefix: u8) -> String {
    let need = thousands(need);
    match p.plugin {
        Plugin::AzureCni => format!(
            "azure_cni pre-allocates 1 + max_pods addresses per node: ({} + {} surge) x (1 + {}) + {} internal LB + 5 reserved = {need}; use a /{prefix}, lower max_nodes/max_pods, or `plugin = \"azure_cni_overlay\"` (only nodes on the subnet)",
            p.max_nodes, p.surge_nodes, p.max_pods, p.internal_lb_ips
        ),
        other => {
            let pods = match other {
                Plugin::AzureCniPodSubnet => "pods use the pod subnet",
                _ => "pods take a /24 each from pod_cidr",
            };
            format!(
                "{} puts only nodes on the node subnet ({pods}): ({} + {} surge) + {} internal LB + 5 reserved = {need}; use a /{prefix}",
                other.name(),
                p.max_nodes,
                p.surge_nodes,
                p.internal_lb_ips
            )
        }
    }
}

/// The upgrade headroom: a subnet that holds the autoscaler maximum but not
/// its surge nodes breaks the next upgrade (AKS#1053).
pub fn headroom_diagnostic(address: &Address, p: &Plan, need: u64, prefix: u8, subnet: &Ipv4Net) -> Option<Diagnostic> {
    let without = p.required_ip_count_without_surge()?;
    (p.surge_nodes > 0 && net::size(subnet) >= without && net::size(subnet) < need).then(|| {
        Diagnostic::error(
            "no-upgrade-headroom",
            format!(
                "needs {} addresses (/{prefix}) to upgrade at {} nodes with {} surge; {subnet} holds {}: it fits the nodes but an upgrade runs out of addresses and leaves the cluster broken (AKS#1053)",
                thousands(need),
                p.max_nodes,
                p.surge_nodes,
                thousands(net::usable(subnet))
            ),
        )
        .at(address, AttrPath::attr("node_subnet_cidr"))
        .hint(sizing_hint(p, need, prefix))
    })
}

/// Node limits (kubenet's route table, the AKS cluster maximum), the pod
/// range of overlay and kubenet, and a `pod_cidr` the plugin ignores.
pub fn node_rules(r: &Resource, plugin: Option<Plugin>, plan: Option<Plan>, pod: Option<Ipv4Net>, d: &mut Diagnostics) {
    if let (Some(pl), Some(p)) = (plugin, plan) {
        {
            let nodes = p.max_nodes.saturating_add(p.surge_nodes);
            if nodes > pl.node_cap() {
                let what = |limit: &str| {
                    format!(
                        "{} nodes ({} + {} surge) exceed {limit} of {}",
                        thousands(nodes),
                        p.max_nodes,
                        p.surge_nodes,
                        r.get("plugin")
                    )
                };
                let diag = if pl.is_kubenet() {
                    Diagnostic::error("kubenet-node-cap", what("the 400-node route-table limit"))
                        .hint("use azure_cni_overlay (up to 5,000 nodes) or split the cluster")
                } else {
                    Diagnostic::error("cluster-node-cap", what("the 5,000-node limit of an AKS cluster"))
                        .hint("lower max_nodes or surge_nodes, or split the cluster")
                };
                d.push(diag.at(&r.address, AttrPath::attr("max_nodes")));
            }
            if let Some(pc) = pod.filter(|_| pl.uses_pod_cidr()) {
                let slots = sizing::pod_slots(&pc);
                if nodes > slots {
                    let fit = net::prefix_for(nodes).map_or(8, |b| 24u8.saturating_sub(32 - b));
                    d.push(
                        Diagnostic::error(
                            "pod-cidr-too-small",
                            format!(
                                "pod_cidr {pc} holds {} node ranges (/24 each); the plan needs {} ({} + {} surge)",
                                thousands(slots),
                                thousands(nodes),
                                p.max_nodes,
                                p.surge_nodes
                            ),
                        )
                        .at(&r.address, AttrPath::attr("pod_cidr"))
                        .hint(format!(
                            "{} gives every node a /24 of pod_cidr: {} nodes need a /{fit}",
                            pl.name(),
                            thousands(nodes)
                        )),
                    );
                }
            }
        }
    }
    if let Some(pl) = plugin.filter(|p| !p.uses_pod_cidr()) {
        if !r.get("pod_cidr").is_null() {
            d.push(
                Diagnostic::warning(
                    "unused-pod-cidr",
                    format!(
                        "`pod_cidr` is ignored with {}: pods take addresses from the {} subnet",
                        pl.name(),
                        if pl == Plugin::AzureCni { "node" } else { "pod" }
                    ),
                )
                .at(&r.address, AttrPath::attr("pod_cidr")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn pod_subnet_goes_to_the_first_free_aligned_block() {
        let range = n("10.40.0.0/16");
        assert_eq!(first_free(&range, 19, &[n("10.40.0.0/26")]), Some(n("10.40.32.0/19")));
        assert_eq!(first_free(&range, 19, &[]), Some(n("10.40.0.0/19")));
        assert_eq!(
            first_free(&range, 24, &[n("10.40.0.0/26"), n("10.40.1.0/24"), n("10.40.2.0/23")]),
            Some(n("10.40.4.0/24"))
        );
        // Nothing fits: the range is full or smaller than the block.
        assert_eq!(first_free(&n("10.40.0.0/24"), 24, &[n("10.40.0.0/26")]), None);
        assert_eq!(first_free(&n("10.40.0.0/24"), 20, &[]), None);
        assert_eq!(
            first_free(&n("255.255.255.0/24"), 25, &[n("255.255.255.0/25")]),
            Some(n("255.255.255.128/25"))
        );
        assert_eq!(first_free(&n("255.255.255.0/24"), 24, &[n("255.255.255.0/25")]), None);
    }
}
