//! Topologies built with the graph API, for tests, benchmarks and demos:
//! each builder completes the resource (defaults, computed IDs) the way a
//! front end would, and [`link`] derives `depends_on` from `*_id` references.

use crate::graph::{kinds, Address, Attrs, Ctx, Graph, Kind, Resource, Value};
use std::collections::HashMap;

/// A completed resource from `(name, value)` pairs of configuration.
pub fn resource(kind: Kind, name: &str, config: Vec<(&str, Value)>) -> Resource {
    let address = Address::new(kind, name);
    let config: Attrs = config.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    let (attrs, _diags) = kinds::complete(&address, config, &Ctx::default());
    Resource::new(address, attrs)
}

fn strs(items: &[&str]) -> Value {
    Value::list_of_str(items.iter().copied())
}

/// The ID of a completed resource (panics on a resource without one: sample code).
pub fn id_of(r: &Resource) -> Value {
    Value::str(r.id().expect("sample resources have IDs"))
}

pub fn onprem(name: &str, ranges: &[&str], dns: &[&str]) -> Resource {
    resource(
        Kind::Onprem,
        name,
        vec![
            ("name", Value::str(name)),
            ("address_space", strs(ranges)),
            ("dns_servers", strs(dns)),
        ],
    )
}

/// A hub with a gateway (`none`, `vpn`, `expressroute`).
pub fn hub(name: &str, rg: &str, range: &str, gateway: &str) -> Resource {
    resource(
        Kind::Hub,
        name,
        vec![
            ("name", Value::str(name)),
            ("resource_group_name", Value::str(rg)),
            ("location", Value::str("westeurope")),
            ("address_space", strs(&[range])),
            ("gateway", Value::str(gateway)),
        ],
    )
}

/// An Azure CNI cluster network for 10 nodes with 30 pods each and 8
/// internal load-balancer frontends.
pub fn cluster(name: &str, rg: &str, range: &str) -> Resource {
    resource(
        Kind::ClusterNetwork,
        name,
        vec![
            ("name", Value::str(name)),
            ("resource_group_name", Value::str(rg)),
            ("location", Value::str("westeurope")),
            ("address_space", strs(&[range])),
            // Azure CNI: the sizes the engine tests check put pods on the node subnet.
            ("plugin", Value::str("azure_cni")),
            ("max_nodes", Value::Number(10)),
            ("internal_lb_ips", Value::Number(8)),
            ("service_cidr", Value::str("172.16.0.0/16")),
        ],
    )
}

pub fn peering(name: &str, cluster: &Resource, hub: &Resource, use_remote_gateways: bool) -> Resource {
    resource(
        Kind::Peering,
        name,
        vec![
            ("cluster_network_id", id_of(cluster)),
            ("hub_id", id_of(hub)),
            ("use_remote_gateways", Value::Bool(use_remote_gateways)),
        ],
    )
}

pub fn dns(name: &str, cluster: &Resource, nameservers: &[&str], domain: &str) -> Resource {
    let stubs = Value::Map([(domain.to_string(), strs(nameservers))].into());
    resource(
        Kind::DnsUpstream,
        name,
        vec![
            ("cluster_network_id", id_of(cluster)),
            ("nameservers", strs(nameservers)),
            ("stub_domains", stubs),
        ],
    )
}

fn port(p: i64, target: i64) -> Value {
    Value::List(vec![Value::Map(
        [
            ("port".to_string(), Value::Number(p)),
            ("target_port".to_string(), Value::Number(target)),
        ]
        .into(),
    )])
}

pub fn external_service(name: &str, cluster: &Resource, service: &str, endpoints: &[&str]) -> Resource {
    resource(
        Kind::ExternalService,
        name,
        vec![
            ("cluster_network_id", id_of(cluster)),
            ("name", Value::str(service)),
            ("endpoints", strs(endpoints)),
            ("ports", port(80, 8080)),
        ],
    )
}

pub fn lb_service(name: &str, cluster: &Resource, service: &str, internal: bool) -> Resource {
    let selector = Value::Map([("app".to_string(), Value::str(service))].into());
    resource(
        Kind::LbService,
        name,
        vec![
            ("cluster_network_id", id_of(cluster)),
            ("name", Value::str(service)),
            ("selector", selector),
            ("internal", Value::Bool(internal)),
            ("ports", port(80, 80)),
        ],
    )
}

/// Adds `depends_on` edges from every `*_id` attribute naming another
/// resource's ID (what front ends derive from references).
pub fn link(graph: &mut Graph) {
    let ids: HashMap<String, Address> = graph
        .iter()
        .filter_map(|r| r.id().map(|id| (id.to_ascii_lowercase(), r.address.clone())))
        .collect();
    let addrs: Vec<Address> = graph.iter().map(|r| r.address.clone()).collect();
    for a in addrs {
        let r = graph.get_mut(&a).expect("address listed");
        let deps: Vec<Address> = r
            .attrs
            .iter()
            .filter(|(k, _)| k.ends_with("_id") && k.as_str() != "id")
            .filter_map(|(_, v)| v.as_str().and_then(|s| ids.get(&s.to_ascii_lowercase())).cloned())
            .filter(|d| d != &a)
            .collect();
        r.depends_on.extend(deps);
    }
}

/// A graph from resources, linked.
pub fn graph(resources: impl IntoIterator<Item = Resource>) -> Graph {
    let mut g = Graph::new();
    for r in resources {
        g.add(r).expect("sample addresses are distinct");
    }
    link(&mut g);
    g
}

/// The guide's topology: on-premises, a hub with an ExpressRoute gateway,
/// one cluster network peered with gateway transit, DNS upstream, one
/// selectorless and one internal load-balanced Service. `rg` and `range`
/// distinguish environments.
pub fn topology(env: &str, range: &str) -> Graph {
    let corp = onprem("corp", &["10.0.0.0/12", "192.168.0.0/16"], &["10.1.0.4", "10.1.0.5"]);
    let h = hub(
        &format!("hub-{env}"),
        &format!("net-{env}-rg"),
        "10.20.0.0/22",
        "expressroute",
    );
    let c = cluster(&format!("k8s-{env}-vnet"), &format!("k8s-{env}-rg"), range);
    graph([
        peering("aks_hub", &c, &h, true),
        dns("aks_dns", &c, &["10.1.0.4", "10.1.0.5"], "my-company.local"),
        external_service("random_api", &c, "external-random-api", &["10.1.8.4"]),
        lb_service("nginx", &c, "nginx-internal", true),
        corp,
        h.renamed("hub"),
        c.renamed("aks"),
    ])
}

/// A generated graph of `1 + 1 + clusters × (3 + services)` resources: one
/// on-premises declaration, one hub, and per cluster its network, peering,
/// DNS upstream and `services` Services (alternating selectorless and
/// internal load-balanced), each cluster in its own /20.
pub fn generated(clusters: usize, services: usize) -> Graph {
    let mut rs = vec![
        onprem("corp", &["192.168.0.0/16"], &["192.168.0.4"]),
        hub("hub", "net-rg", "10.20.0.0/22", "vpn"),
    ];
    let h = rs[1].clone();
    for i in 0..clusters {
        let base = (10u32 << 24) | (64 << 16);
        let net = std::net::Ipv4Addr::from(base + (i as u32) * 4096);
        let c = cluster(&format!("c{i:04}-vnet"), &format!("c{i:04}-rg"), &format!("{net}/20"));
        rs.push(peering(&format!("c{i:04}_hub"), &c, &h, true));
        rs.push(dns(&format!("c{i:04}_dns"), &c, &["192.168.0.4"], "corp.local"));
        for s in 0..services {
            let name = format!("svc-{s}");
            rs.push(if s % 2 == 0 {
                external_service(&format!("c{i:04}_svc{s}"), &c, &name, &["192.168.1.10"])
            } else {
                lb_service(&format!("c{i:04}_svc{s}"), &c, &name, true)
            });
        }
        rs.push(c.renamed(&format!("c{i:04}")));
    }
    graph(rs)
}

trait Renamed {
    fn renamed(self, name: &str) -> Self;
}

impl Renamed for Resource {
    /// The same resource under another address name.
    fn renamed(mut self, name: &str) -> Self {
        self.address.name = name.to_string();
        self
    }
}
