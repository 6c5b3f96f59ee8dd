//! The picture's model: what each box shows. Tables are rows of label,
//! address and note, so addresses line up in one column; values known only
//! after apply read `(known after apply)`. Read from the graph by
//! [`build`] ([`super::read`] for each resource, [`super::links`] for the
//! edges between boxes).

use super::links::links;
use super::read::{attr, cluster, hub, peering, service, site, texts};
use crate::graph::{value::UNKNOWN_MARKER, Address, Graph, Kind, Resource, Value};
use std::collections::{BTreeMap, HashMap};

/// One table row: what, its address or range, and a remark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub label: String,
    pub value: String,
    pub note: String,
}

pub(super) fn row(label: impl Into<String>, value: impl Into<String>, note: impl Into<String>) -> Row {
    Row {
        label: label.into(),
        value: value.into(),
        note: note.into(),
    }
}

/// Rows `label | v` for each value, the label on the first only.
pub(super) fn rows(label: &str, values: &[String], note: &str) -> Vec<Row> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            row(
                if i == 0 { label } else { "" },
                v.clone(),
                if i == 0 { note } else { "" },
            )
        })
        .collect()
}

/// An on-premises site.
#[derive(Debug, Clone)]
pub struct Site {
    pub address: Address,
    pub name: String,
    pub rows: Vec<Row>,
}

/// A hub VNET and its gateway.
#[derive(Debug, Clone)]
pub struct Hub {
    pub address: Address,
    pub name: String,
    pub looked_up: bool,
    /// `ExpressRoute` / `VPN` / unknown; `None` without a gateway.
    pub gateway: Option<String>,
    pub ranges: Vec<Row>,
    pub subnets: Vec<Row>,
    pub dns: Vec<Row>,
}

/// A cluster VNET and the Kubernetes cluster in it.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub address: Address,
    pub name: String,
    /// Address space, network plugin, VNET DNS servers.
    pub ranges: Vec<Row>,
    pub subnets: Vec<Row>,
    /// `AKS`, with `private API server` when private.
    pub kubernetes_title: String,
    /// Pod and service ranges, the DNS service IP.
    pub kubernetes: Vec<Row>,
    pub services: Vec<Row>,
    pub dns_title: String,
    pub dns: Vec<Row>,
}

/// The clusters of one environment (a top-level module instance), or of
/// the root program (`environment: None`).
#[derive(Debug, Clone)]
pub struct Group {
    pub environment: Option<String>,
    pub clusters: Vec<Cluster>,
}

/// A peering between a hub and a cluster VNET.
#[derive(Debug, Clone)]
pub struct Peering {
    pub address: Address,
    pub hub: Option<Address>,
    pub cluster: Option<Address>,
    /// The hub lets the cluster use its gateway and the cluster uses it.
    pub transit: bool,
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LinkKind {
    /// A site reaches a hub's gateway.
    Gateway,
    /// DNS queries are forwarded there.
    Dns,
    /// A Service's endpoints lie there.
    Endpoints,
}

/// An edge between two boxes (node IDs of [`super::dot`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Link {
    pub from: String,
    pub to: String,
    pub kind: LinkKind,
    pub labels: Vec<String>,
}

/// Everything the picture shows, each list sorted by address.
#[derive(Debug, Clone, Default)]
pub struct Picture {
    pub sites: Vec<Site>,
    pub hubs: Vec<Hub>,
    pub groups: Vec<Group>,
    pub peerings: Vec<Peering>,
    pub links: Vec<Link>,
}

/// The node ID of a resource's main box, and of its parts.
pub fn node(a: &Address) -> String {
    a.to_string()
}
pub fn gateway_node(a: &Address) -> String {
    format!("{a}/gateway")
}
pub fn kubernetes_node(a: &Address) -> String {
    format!("{a}/kubernetes")
}

/// Builds the picture of the resources `keep` accepts.
pub fn build(graph: &Graph, keep: impl Fn(&Address) -> bool) -> Picture {
    let resources: Vec<&Resource> = graph.sorted().into_iter().filter(|r| keep(&r.address)).collect();
    let by_id: HashMap<String, &Address> = resources
        .iter()
        .filter_map(|r| r.id().map(|id| (id.to_ascii_lowercase(), &r.address)))
        .collect();
    // The resource of `kind` an attribute names by ID, else the one of that
    // kind it depends on.
    let target = |r: &Resource, id_attr: &str, kind: Kind| -> Option<Address> {
        r.str(id_attr)
            .and_then(|id| by_id.get(&id.to_ascii_lowercase()))
            .filter(|a| a.kind == kind)
            .map(|a| (*a).clone())
            .or_else(|| r.depends_on.iter().find(|d| d.kind == kind && keep(d)).cloned())
    };
    let of = |kind: Kind| resources.iter().copied().filter(move |r| r.kind() == kind);

    let mut pic = Picture {
        sites: of(Kind::Onprem).map(site).collect(),
        hubs: of(Kind::Hub).map(|r| hub(r, graph.is_lookup(&r.address))).collect(),
        ..Picture::default()
    };

    // Cluster parts: attachments, Services and DNS per cluster address.
    let mut notes: HashMap<(Address, String), Vec<String>> = HashMap::new();
    let mut services: HashMap<Address, Vec<Row>> = HashMap::new();
    let mut dns: HashMap<Address, (String, Vec<Row>)> = HashMap::new();
    for r in &resources {
        let Some(c) = target(r, "cluster_network_id", Kind::ClusterNetwork) else {
            continue;
        };
        match r.kind() {
            Kind::NetworkSecurityGroup | Kind::RouteTable => {
                let (what, block) = if r.kind() == Kind::NetworkSecurityGroup {
                    ("NSG", "rule")
                } else {
                    ("route table", "route")
                };
                let n = r.get(block).as_list().map_or(0, <[Value]>::len);
                let plural = if n == 1 { "" } else { "s" };
                let mut note = format!("{what} {} ({n} {block}{plural})", attr(r, "name").unwrap_or_default());
                if r.bool("bgp_route_propagation_enabled") == Some(false) {
                    note.push_str(", gateway routes off");
                }
                let subnet = attr(r, "subnet_name").unwrap_or_else(|| UNKNOWN_MARKER.into());
                notes.entry((c, subnet)).or_default().push(note);
            }
            Kind::LbService | Kind::ExternalService => services.entry(c).or_default().push(service(r)),
            Kind::DnsUpstream => {
                let flavor = attr(r, "flavor").unwrap_or_default();
                let entry = dns.entry(c).or_insert_with(|| (String::new(), Vec::new()));
                entry.0 = format!("DNS forwarding ({flavor})");
                entry
                    .1
                    .extend(rows("everything else", &texts(r.get("nameservers")), ""));
                if let Some(m) = r.get("stub_domains").as_map() {
                    for (zone, servers) in m {
                        entry.1.extend(rows(zone, &texts(servers), "stub domain"));
                    }
                }
            }
            _ => {}
        }
    }

    let mut groups: BTreeMap<Option<String>, Vec<Cluster>> = BTreeMap::new();
    for r in of(Kind::ClusterNetwork) {
        let a = r.address.clone();
        let mut c = cluster(r, |subnet| {
            notes.remove(&(a.clone(), subnet.to_string())).unwrap_or_default()
        });
        c.services = services.remove(&a).unwrap_or_default();
        if let Some((title, rows)) = dns.remove(&a) {
            c.dns_title = title;
            c.dns = rows;
        }
        groups.entry(a.module.first().cloned()).or_default().push(c);
    }
    pic.groups = groups
        .into_iter()
        .map(|(environment, clusters)| Group { environment, clusters })
        .collect();

    for r in of(Kind::Peering) {
        pic.peerings.push(peering(
            r,
            target(r, "hub_id", Kind::Hub),
            target(r, "cluster_network_id", Kind::ClusterNetwork),
        ));
    }
    pic.links = links(&pic, &resources, &target);
    pic
}
