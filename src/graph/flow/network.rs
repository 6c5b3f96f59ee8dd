//! The graph seen as networks, indexed once: where each address lives
//! (cluster VNETs, unroutable pod ranges, hubs, on-premises), what is
//! peered with what, and what is attached to each subnet.

use super::{security, FlowError, Part, Ref, Side};
use crate::graph::kinds::util;
use crate::graph::net::{self, RangeIndex};
use crate::graph::rules::{space, Topology};
use crate::graph::{Graph, Kind, Resource};
use ipnet::Ipv4Net;
use std::collections::HashMap;
use std::net::Ipv4Addr;

/// Whether a cluster's pods keep their own IP on the way out (Azure CNI on
/// the node subnet or a pod subnet); with overlay, kubenet or Calico they
/// leave as the node IP and their addresses are not routable outside.
pub fn pods_keep_their_ip(plugin: &str) -> bool {
    matches!(plugin, "azure_cni" | "azure_cni_pod_subnet")
}

/// The plugin of a cluster: overlay is the default of new clusters, the
/// schema's default fills it otherwise.
pub(super) fn plugin(c: &Resource) -> &str {
    c.str("plugin").unwrap_or("azure_cni_overlay")
}

/// One network an address can belong to.
#[derive(Debug, Clone, Copy)]
pub(super) enum Site<'g> {
    /// A cluster VNET (node subnet, other subnets, internal frontends).
    Cluster(&'g Resource),
    /// The pod range of an overlay/kubenet cluster: only its own cluster
    /// routes it.
    Pods(&'g Resource),
    Hub(&'g Resource),
    Onprem(&'g Resource),
}

impl<'g> Site<'g> {
    pub fn resource(&self) -> &'g Resource {
        match self {
            Site::Cluster(r) | Site::Pods(r) | Site::Hub(r) | Site::Onprem(r) => r,
        }
    }

    pub fn same(&self, other: &Site) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
            && self.resource().address == other.resource().address
    }

    pub fn describe(&self) -> String {
        match self {
            Site::Cluster(r) => format!("{}", r.address),
            Site::Pods(r) => format!("the pod range of {}", r.address),
            Site::Hub(r) => format!("{}", r.address),
            Site::Onprem(r) => format!("on-premises {}", r.address),
        }
    }
}

/// The graph, indexed for flows.
pub struct Network<'g> {
    pub topology: Topology<'g>,
    by_id: HashMap<&'g str, &'g Resource>,
    clusters: RangeIndex<&'g Resource>,
    pods: RangeIndex<&'g Resource>,
    hubs: RangeIndex<&'g Resource>,
    onprem: RangeIndex<&'g Resource>,
    /// Peerings by (cluster ID, hub ID).
    peered: HashMap<(&'g str, &'g str), &'g Resource>,
    /// Security resources by (cluster ID, subnet name).
    attached: HashMap<(&'g str, &'g str), Vec<&'g Resource>>,
}

impl<'g> Network<'g> {
    pub fn new(graph: &'g Graph) -> Self {
        let topology = Topology::new(graph);
        let ranges = |k: Kind| {
            RangeIndex::new(
                graph
                    .of_kind(k)
                    .flat_map(|r| space(r).into_iter().map(move |(_, n)| (n, r))),
            )
        };
        let pods = RangeIndex::new(graph.of_kind(Kind::ClusterNetwork).filter_map(|c| {
            let routed = pods_keep_their_ip(plugin(c));
            util::cidr_quiet(c, "pod_cidr").filter(|_| !routed).map(|n| (n, c))
        }));
        let mut peered = HashMap::new();
        for p in graph.of_kind(Kind::Peering) {
            if let (Some(c), Some(h)) = (p.str("cluster_network_id"), p.str("hub_id")) {
                peered.insert((c, h), p);
            }
        }
        let mut attached: HashMap<(&str, &str), Vec<&Resource>> = HashMap::new();
        for r in graph.iter().filter(|r| security::is_subnet_security(r.kind())) {
            let Some(c) = r.str("cluster_network_id") else { continue };
            let subnet = r
                .str("subnet_name")
                .or_else(|| topology.clusters.get(c).and_then(|cl| cl.str("node_subnet_name")))
                .unwrap_or("nodes");
            attached.entry((c, subnet)).or_default().push(r);
        }
        for v in attached.values_mut() {
            v.sort_by(|a, b| a.address.cmp(&b.address));
        }
        Network {
            by_id: graph.id_index(),
            clusters: ranges(Kind::ClusterNetwork),
            pods,
            hubs: ranges(Kind::Hub),
            onprem: ranges(Kind::Onprem),
            peered,
            attached,
            topology,
        }
    }

    /// The resource a flow names, of one of `kinds`.
    pub(super) fn resolve(&self, r: &Ref, kinds: &[Kind], part: Part) -> Result<&'g Resource, FlowError> {
        let found = match r {
            Ref::Address(a) => self.topology.graph.get(a),
            Ref::Id(id) => self.by_id.get(id.as_str()).copied(),
        };
        let names: Vec<&str> = kinds.iter().map(|k| k.keyword()).collect();
        match found {
            Some(res) if kinds.contains(&res.kind()) => Ok(res),
            Some(res) => Err(FlowError::new(
                part,
                format!("{} is {}, not a {}", res.address, res.kind(), names.join(" or ")),
                format!("`{}` names a {}", part.attr(), names.join(" or ")),
            )),
            None => Err(FlowError::new(
                part,
                format!("{r} is not in the graph"),
                format!("`{}` names a declared {}", part.attr(), names.join(" or ")),
            )),
        }
    }

    /// Every declared network holding `ip`, the nearest kind first
    /// (cluster VNET, pod range, hub, on-premises).
    pub(super) fn locate(&self, ip: Ipv4Addr) -> Vec<Site<'g>> {
        let mut out = Vec::new();
        if let Some(c) = self.clusters.containing_ip(ip) {
            out.push(Site::Cluster(c));
        }
        if let Some(c) = self.pods.containing_ip(ip) {
            out.push(Site::Pods(c));
        }
        if let Some(h) = self.hubs.containing_ip(ip) {
            out.push(Site::Hub(h));
        }
        if let Some(o) = self.onprem.containing_ip(ip) {
            out.push(Site::Onprem(o));
        }
        out
    }

    /// The peering between a cluster and a hub.
    pub(super) fn peering(&self, cluster: &Resource, hub: &Resource) -> Option<&'g Resource> {
        self.peered.get(&(cluster.id()?, hub.id()?)).copied()
    }

    /// The security resources attached to a cluster subnet.
    pub(super) fn attached(&self, cluster: &Resource, subnet: &str) -> Vec<&'g Resource> {
        let Some(c) = cluster.id() else { return Vec::new() };
        self.attached
            .iter()
            .find(|((ac, asub), _)| *ac == c && *asub == subnet)
            .map_or_else(Vec::new, |(_, v)| v.clone())
    }
}

/// `Some(true)` with a gateway, `Some(false)` without, `None` not known yet
/// (a hub looked up but not read).
pub(super) fn has_gateway(hub: &Resource) -> Option<bool> {
    if hub.get("gateway").is_unknown() {
        return None;
    }
    Some(hub.str("gateway").is_some_and(|g| g != "none"))
}

/// The node subnet of a cluster: name and prefix.
pub(super) fn node_subnet(c: &Resource) -> (String, Option<Ipv4Net>) {
    (
        c.str("node_subnet_name").unwrap_or("nodes").to_string(),
        util::cidr_quiet(c, "node_subnet_cidr"),
    )
}

/// Every subnet of a cluster (the node subnet first).
pub(super) fn subnets(c: &Resource) -> Vec<(String, Option<Ipv4Net>)> {
    let mut out = vec![node_subnet(c)];
    for item in c.get("subnets").as_list().unwrap_or(&[]) {
        if let Some(m) = item.as_map() {
            let name = m.get("name").and_then(|v| v.as_str()).unwrap_or_default().to_string();
            let cidr = m
                .get("cidr")
                .and_then(|v| v.as_str())
                .and_then(|s| net::parse_cidr(s).ok());
            out.push((name, cidr));
        }
    }
    out
}

/// The subnet of a cluster holding an address.
pub(super) fn subnet_of(c: &Resource, ip: Ipv4Addr) -> Option<(String, Ipv4Net)> {
    subnets(c)
        .into_iter()
        .find_map(|(n, s)| s.filter(|s| s.contains(&ip)).map(|s| (n, s)))
}

/// The range a cluster's pods or nodes take: for pods that keep their IP,
/// the pod subnet (or the node subnet); otherwise the pod range.
pub(super) fn side_range(c: &Resource, side: Side) -> Option<Ipv4Net> {
    let nodes = util::cidr_quiet(c, "node_subnet_cidr");
    match side {
        Side::Nodes => nodes,
        Side::Pods if pods_keep_their_ip(plugin(c)) => util::cidr_quiet(c, "pod_subnet_cidr").or(nodes),
        Side::Pods => util::cidr_quiet(c, "pod_cidr"),
    }
}

/// The address that stands for a range: its first usable one in Azure
/// (network + 4), or the address itself for a /32.
pub(super) fn representative(n: &Ipv4Net) -> Ipv4Addr {
    if n.prefix_len() >= 30 {
        return n.network();
    }
    net::nth(n, 4).unwrap_or_else(|| n.network())
}

/// An address as a /32.
#[cfg(test)]
pub fn host(ip: Ipv4Addr) -> Ipv4Net {
    Ipv4Net::new(ip, 32).expect("/32 is a valid prefix")
}
