//! Rules that look across resources: peering, ranges against every declared
//! network, reachability of service backends, DNS. Each rule sorts or
//! indexes; none compares all pairs. Each rule code declares what its
//! verdict needs to hold on part of a graph ([`Needs`]).

mod completeness;
mod dns;
mod ids;
pub mod names;
mod peering;
mod private;
mod ranges;
mod resolve;
mod security;
mod services;

use super::diag::Diagnostics;
use super::kinds::util;
use super::net::{self, RangeIndex};
use super::{Address, Graph, Kind, Resource};
pub use completeness::{holds_on_part, needs, Needs};
use ipnet::Ipv4Net;
pub use peering::MAX_PEERINGS_PER_VNET;
use std::collections::HashMap;

/// Who is connected to whom, resolved once per check.
pub struct Topology<'g> {
    pub graph: &'g Graph,
    pub clusters: HashMap<&'g str, &'g Resource>,
    pub hubs: HashMap<&'g str, &'g Resource>,
    /// Peerings by cluster ID.
    pub peerings: HashMap<&'g str, Vec<&'g Resource>>,
    /// Every on-premises range, tagged with its onprem resource and index.
    pub onprem: RangeIndex<(&'g Address, usize)>,
}

impl<'g> Topology<'g> {
    pub fn new(graph: &'g Graph) -> Self {
        let by_id = |k: Kind| {
            graph
                .of_kind(k)
                .filter_map(|r| r.id().map(|id| (id, r)))
                .collect::<HashMap<_, _>>()
        };
        let mut peerings: HashMap<&str, Vec<&Resource>> = HashMap::new();
        for p in graph.of_kind(Kind::Peering) {
            if let Some(c) = p.str("cluster_network_id") {
                peerings.entry(c).or_default().push(p);
            }
        }
        let onprem = RangeIndex::new(graph.of_kind(Kind::Onprem).flat_map(|r| {
            util::cidrs_quiet(r, "address_space")
                .into_iter()
                .map(move |(i, n)| (n, (&r.address, i)))
        }));
        Topology {
            graph,
            clusters: by_id(Kind::ClusterNetwork),
            hubs: by_id(Kind::Hub),
            peerings,
            onprem,
        }
    }

    /// The cluster a Kubernetes-side resource belongs to.
    pub fn cluster_of(&self, r: &Resource) -> Option<&'g Resource> {
        r.str("cluster_network_id")
            .and_then(|id| self.clusters.get(id).copied())
    }

    /// Hubs peered with a cluster.
    pub fn hubs_of(&self, cluster: &Resource) -> Vec<(&'g Resource, &'g Resource)> {
        let Some(id) = cluster.id() else {
            return Vec::new();
        };
        self.peerings
            .get(id)
            .into_iter()
            .flatten()
            .filter_map(|p| p.str("hub_id").and_then(|h| self.hubs.get(h)).map(|h| (*p, *h)))
            .collect()
    }

    /// Whether the cluster reaches on-premises: a peering using the remote
    /// gateway of a hub that has one (peering is not transitive otherwise).
    /// A hub whose gateway is not known yet (a lookup not read) may have one.
    pub fn reaches_onprem(&self, cluster: &Resource) -> bool {
        self.hubs_of(cluster).iter().any(|(p, h)| {
            p.bool("use_remote_gateways") == Some(true)
                && (h.get("gateway").is_unknown() || h.str("gateway").is_some_and(|g| g != "none"))
        })
    }
}

/// The address ranges of a VNET-like resource.
pub fn space(r: &Resource) -> Vec<(usize, Ipv4Net)> {
    util::cidrs_quiet(r, "address_space")
}

/// Runs every cross-resource rule.
pub fn check_graph(graph: &Graph) -> Diagnostics {
    let topo = Topology::new(graph);
    let mut d = Diagnostics::default();
    peering::check(&topo, &mut d);
    ranges::check(&topo, &mut d);
    services::check(&topo, &mut d);
    dns::check(&topo, &mut d);
    private::check(&topo, &mut d);
    ids::check(&topo, &mut d);
    names::check(&topo, &mut d);
    security::check(&topo, &mut d);
    d
}

pub(crate) fn overlaps_any(
    a: &[(usize, Ipv4Net)],
    b: &[(usize, Ipv4Net)],
) -> Option<((usize, Ipv4Net), (usize, Ipv4Net))> {
    a.iter()
        .find_map(|x| b.iter().find(|y| net::overlaps(&x.1, &y.1)).map(|y| (*x, *y)))
}
