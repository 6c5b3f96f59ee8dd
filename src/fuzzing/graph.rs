//! The `rules_graph` target: arbitrary bytes decoded into a graph of
//! resources of every kind with arbitrary attribute values (of the right
//! type mostly, edge values often, wrong types and unknowns sometimes, IDs
//! of earlier resources as references), then every rule over it.

use crate::graph::kinds;
use crate::graph::{Address, Attrs, Ctx, Graph, Kind, Resource, Type, Value};

/// Decodes, completes and checks: no rule may panic, and checking twice
/// gives the same diagnostics.
pub fn rules_graph(data: &[u8]) {
    let graph = graph_of(data);
    let first = crate::graph::check(&graph);
    let again = crate::graph::check(&graph);
    assert_eq!(first.0, again.0, "checking is deterministic");
}

/// The graph `data` stands for. Every resource goes through
/// `kinds::complete`, as both front ends do.
pub fn graph_of(data: &[u8]) -> Graph {
    let mut u = Bytes { data, at: 0 };
    // Attributes newer than the seeds draw from the input read backwards,
    // so that the seeds keep decoding to the graphs they were made for and
    // the newer attributes still get arbitrary values.
    let reversed: Vec<u8> = data.iter().rev().copied().collect();
    let mut newer = Bytes { data: &reversed, at: 0 };
    let ctx = Ctx::default();
    let mut graph = Graph::new();
    let mut ids: Vec<String> = Vec::new();
    let mut addresses: Vec<Address> = Vec::new();
    let count = 1 + u.below(12);
    for _ in 0..count {
        if u.done() {
            break;
        }
        let kind = u.kind();
        let name = ["a", "b", "c", "hub", "aks", "corp"][u.below(6)];
        let address = Address::new(kind, name);
        let schema = kinds::schema(kind);
        let mut config = Attrs::new();
        // Attributes newer than the seeds are not drawn, so the seeds keep
        // decoding to the graphs they were made for (how to reach a
        // cluster is no input of any rule; `endpoints_api`, `tags` and
        // `timeouts` are checked on their own and have their own tests).
        let connection = |n: &str| {
            matches!(
                n,
                "kubeconfig_path" | "kubeconfig_context" | "force_conflicts" | "endpoints_api" | "tags" | "timeouts"
            )
        };
        for a in schema.attrs.iter().filter(|a| a.user_settable() && !connection(a.name)) {
            let u = if SEEDED_ATTRS.contains(&a.name) {
                &mut u
            } else {
                &mut newer
            };
            // Required attributes are mostly set, optional ones half the time.
            let set = if a.presence == crate::graph::Presence::Required {
                u.below(8) != 0
            } else {
                u.bool()
            };
            if set {
                config.insert(a.name.to_string(), u.value(&a.ty, a.name, &ids, 0));
            }
        }
        for b in schema.blocks.iter().filter(|b| !connection(b.name)) {
            let u = if SEEDED_ATTRS.contains(&b.name) {
                &mut u
            } else {
                &mut newer
            };
            if u.bool() {
                let n = u.below(4);
                let item = b.item_type();
                let items = (0..n).map(|_| u.value(&item, b.name, &ids, 1)).collect();
                config.insert(b.name.to_string(), Value::List(items));
            }
        }
        let (attrs, _) = kinds::complete(&address, config, &ctx);
        let mut r = Resource::new(address.clone(), attrs);
        for _ in 0..u.below(3) {
            if let Some(d) = u.pick(&addresses) {
                r.depends_on.insert(d.clone());
            }
        }
        ids.extend(r.id().map(str::to_string));
        if graph.add(r).is_ok() {
            addresses.push(address);
        }
    }
    graph
}

/// The attribute and block names of the kinds when the seeds were made.
const SEEDED_ATTRS: &[&str] = &[
    "address_space",
    "allow_forwarded_traffic",
    "allow_gateway_transit",
    "avoid",
    "cidr",
    "cluster_domain",
    "cluster_network_id",
    "configmap_name",
    "dns_servers",
    "dns_service_ip",
    "docker_bridge_cidr",
    "domains",
    "endpoints",
    "endpoints_api",
    "external_name",
    "flavor",
    "force_conflicts",
    "forward_policy",
    "gateway",
    "gateway_id",
    "gateway_subnet_cidr",
    "gateway_subnet_id",
    "hub_id",
    "hub_peering_id",
    "hub_peering_name",
    "id",
    "internal",
    "internal_lb_ips",
    "internal_subnet",
    "kubeconfig_context",
    "kubeconfig_path",
    "load_balancer_ip",
    "location",
    "manifest",
    "max_nodes",
    "max_nodes_supported",
    "max_pods",
    "name",
    "nameservers",
    "namespace",
    "node_subnet_cidr",
    "node_subnet_id",
    "node_subnet_name",
    "peering_state",
    "peering_sync_level",
    "plugin",
    "pod_cidr",
    "port",
    "ports",
    "protocol",
    "required_ip_count",
    "resource_group_name",
    "resource_guid",
    "selector",
    "service_cidr",
    "stub_domains",
    "subnets",
    "surge_nodes",
    "tags",
    "target_port",
    "timeouts",
    "use_remote_gateways",
    "vnet_dns_servers",
];

/// A cursor over the input; past its end every read is zero.
struct Bytes<'a> {
    data: &'a [u8],
    at: usize,
}

/// Strings the rules look for, and some they should survive.
const WORDS: [&str; 22] = [
    "azure_cni",
    "kubenet",
    "calico",
    "none",
    "vpn",
    "expressroute",
    "coredns_aks",
    "coredns",
    "node_local",
    "Connected",
    "Disconnected",
    "TCP",
    "UDP",
    "default",
    "westeurope",
    "rg",
    "my-company.local",
    "kube-system",
    "",
    "日本語",
    "a\u{301}\u{feff}",
    "-bad-",
];

const CIDRS: [&str; 14] = [
    "0.0.0.0/0",
    "255.255.255.255/32",
    "255.255.255.248/29",
    "255.255.255.0/24",
    "255.255.0.0/16",
    "10.0.0.0/8",
    "10.40.0.0/16",
    "10.40.0.0/22",
    "10.0.0.0/12",
    "172.16.0.0/16",
    "192.168.0.0/16",
    "169.254.0.0/16",
    "10.244.0.0/16",
    "10.0.0.1/8",
];

const NUMBERS: [i64; 12] = [
    0,
    1,
    -1,
    10,
    30,
    110,
    250,
    400,
    5000,
    1_000_000_000_000_000_000,
    i64::MAX,
    i64::MIN,
];

impl Bytes<'_> {
    fn done(&self) -> bool {
        self.at >= self.data.len()
    }

    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    fn bool(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    /// A number in `0..n` (`n` ≥ 1).
    /// A kind. The seeds were made when there were seven kinds, drawn as
    /// `byte % 7`; kinds added since take the top byte values, so the seeds
    /// keep decoding to the graphs they were made for.
    fn kind(&mut self) -> Kind {
        const SEEDED: usize = 7;
        const NEWER_FROM: u8 = 252;
        let b = self.byte();
        let newer = &Kind::ALL[SEEDED..];
        if b >= NEWER_FROM && !newer.is_empty() {
            newer[usize::from(b - NEWER_FROM) % newer.len()]
        } else {
            Kind::ALL[usize::from(b) % SEEDED]
        }
    }

    fn below(&mut self, n: usize) -> usize {
        self.byte() as usize % n.max(1)
    }

    fn pick<'t, T>(&mut self, items: &'t [T]) -> Option<&'t T> {
        let i = self.below(items.len());
        items.get(i)
    }

    fn ip(&mut self) -> [u8; 4] {
        [self.byte(), self.byte(), self.byte(), self.byte()]
    }

    fn string(&mut self, ids: &[String]) -> String {
        match self.below(8) {
            0..=3 => WORDS[self.below(WORDS.len())].to_string(),
            4 => self.pick(ids).cloned().unwrap_or_default(),
            5 => "x".repeat(self.below(80) * self.below(8)),
            _ => {
                let n = self.below(12);
                (0..n).map(|_| char::from(b'a' + self.byte() % 26)).collect()
            }
        }
    }

    fn cidr(&mut self) -> String {
        match self.below(4) {
            0 => CIDRS[self.below(CIDRS.len())].to_string(),
            1 => format!("{}/{}", std::net::Ipv4Addr::from(self.ip()), self.below(40)),
            _ => {
                let prefix = self.below(33) as u8;
                let net = ipnet::Ipv4Net::new(self.ip().into(), prefix).map(|n| n.trunc());
                net.map_or_else(|_| "10.0.0.0/8".to_string(), |n| n.to_string())
            }
        }
    }

    /// A value for an attribute of type `ty`.
    fn value(&mut self, ty: &Type, name: &str, ids: &[String], depth: usize) -> Value {
        match self.below(32) {
            0 => return Value::Unknown,
            1 => return Value::Null,
            2 if depth < 2 => {
                // A value of another type.
                let other = [Type::String, Type::Number, Type::Bool, Type::list(Type::String)];
                let t = other[self.below(other.len())].clone();
                return self.value(&t, name, ids, depth + 1);
            }
            _ => {}
        }
        match ty {
            Type::String if name.ends_with("_id") || name == "cluster" || name == "hub" => {
                if self.below(4) == 0 {
                    Value::String(self.string(ids))
                } else {
                    self.pick(ids).map_or(Value::Null, |id| Value::str(id.clone()))
                }
            }
            Type::String => Value::String(self.string(ids)),
            Type::Number => match self.below(3) {
                0 => Value::Number(NUMBERS[self.below(NUMBERS.len())]),
                1 => Value::Number(self.below(300) as i64),
                _ => Value::Number(i64::from_le_bytes(std::array::from_fn(|_| self.byte()))),
            },
            Type::Bool => Value::Bool(self.bool()),
            Type::Cidr => Value::String(self.cidr()),
            Type::Ip => Value::String(match self.below(4) {
                0 => "255.255.255.255".to_string(),
                1 => "not-an-ip".to_string(),
                _ => std::net::Ipv4Addr::from(self.ip()).to_string(),
            }),
            Type::List(t) => {
                let n = self.below(5);
                Value::List((0..n).map(|_| self.value(t, name, ids, depth + 1)).collect())
            }
            Type::Map(t) => {
                let n = self.below(4);
                Value::Map(
                    (0..n)
                        .map(|_| (self.string(ids), self.value(t, name, ids, depth + 1)))
                        .collect(),
                )
            }
            Type::Object(fields) => {
                let mut m = std::collections::BTreeMap::new();
                for (k, t) in fields {
                    if self.below(8) != 0 {
                        m.insert(k.to_string(), self.value(t, k, ids, depth + 1));
                    }
                }
                Value::Map(m)
            }
        }
    }
}
