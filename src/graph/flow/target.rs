//! A flow's two ends resolved to addresses: the source's site and packet
//! address (after SNAT), and each destination address with its port and
//! the hops a Service adds before and after it.

use super::network::{node_subnet, plugin, pods_keep_their_ip, representative, side_range, Network, Site};
use super::{Blocker, Destination, Flow, FlowError, Part, Side, Source};
use crate::graph::kinds::util;
use crate::graph::net;
use crate::graph::packet::Protocol;
use crate::graph::{Kind, Resource};
use ipnet::Ipv4Net;
use std::net::Ipv4Addr;

/// Where a flow starts, resolved.
pub(super) struct Src<'g> {
    pub site: Site<'g>,
    /// The address packets leave with (the node IP for SNAT-ed pods).
    pub ip: Ipv4Addr,
    /// The first hops (`pods of …`, `leave as node IPs …`).
    pub hops: Vec<String>,
    /// Pods of this cluster, when the source is pods (its own pod range
    /// is local to it).
    pub pods_of: Option<&'g Resource>,
}

/// One destination address, resolved.
pub(super) struct Dst<'g> {
    pub ip: Ipv4Addr,
    pub port: Option<u16>,
    /// The last hop (`on-premises … (10.1.2.3)`), after the route.
    pub label: String,
    /// Hops after the destination (a load balancer's backend pods).
    pub after: Vec<String>,
    /// A public frontend: reached through the internet.
    pub public: bool,
    /// A ClusterIP Service and its cluster: reachable from inside it only.
    pub cluster_only: Option<(crate::graph::Address, &'g Resource)>,
}

/// The destination side: hops before the addresses, the addresses, or a
/// blocker found before any routing (a port the Service lacks).
pub(super) enum Dsts<'g> {
    To(Vec<String>, Vec<Dst<'g>>),
    Blocked(Vec<String>, Blocker),
}

impl<'g> Network<'g> {
    pub(super) fn source(&self, from: &Source) -> Result<Src<'g>, FlowError> {
        let missing = |what: String| {
            FlowError::new(
                Part::From,
                format!("{what} is not known yet"),
                "the flow is answered once the ranges are known (set them, or plan after the lookup is read)",
            )
        };
        match from {
            Source::Cluster { cluster, side } => {
                let c = self.resolve(cluster, &[Kind::ClusterNetwork], Part::From)?;
                self.cluster_source(c, *side)
                    .ok_or_else(|| missing(format!("the {} range of {}", side.name(), c.address)))
            }
            Source::Hub(h) => {
                let h = self.resolve(h, &[Kind::Hub], Part::From)?;
                let n = crate::graph::rules::space(h)
                    .first()
                    .map(|(_, n)| *n)
                    .ok_or_else(|| missing(format!("the address space of {}", h.address)))?;
                Ok(Src {
                    site: Site::Hub(h),
                    ip: representative(&n),
                    hops: vec![format!("{} ({n})", h.address)],
                    pods_of: None,
                })
            }
            Source::Onprem { onprem, range } => {
                let o = self.resolve(onprem, &[Kind::Onprem], Part::From)?;
                let n = match range {
                    Some(n) => *n,
                    None => crate::graph::rules::space(o)
                        .first()
                        .map(|(_, n)| *n)
                        .ok_or_else(|| missing(format!("the address space of {}", o.address)))?,
                };
                Ok(Src {
                    site: Site::Onprem(o),
                    ip: representative(&n),
                    hops: vec![format!("on-premises {} ({n})", o.address)],
                    pods_of: None,
                })
            }
            Source::Address(n) => {
                let ip = representative(n);
                let Some(site) = self.locate(ip).into_iter().next() else {
                    return Err(FlowError::new(
                        Part::From,
                        format!("{n} is in no declared network"),
                        "start the flow in a declared network: a cluster's pods or nodes, an on-premises range or a hub",
                    ));
                };
                Ok(match site {
                    Site::Pods(c) => self
                        .cluster_source(c, Side::Pods)
                        .ok_or_else(|| missing(format!("the node subnet of {}", c.address)))?,
                    s => Src {
                        site: s,
                        ip,
                        hops: vec![format!("{n} in {}", s.describe())],
                        pods_of: None,
                    },
                })
            }
        }
    }

    fn cluster_source(&self, c: &'g Resource, side: Side) -> Option<Src<'g>> {
        let nodes = util::cidr_quiet(c, "node_subnet_cidr")?;
        let (subnet, _) = node_subnet(c);
        let mut hops = Vec::new();
        let ip = match side {
            Side::Nodes => {
                hops.push(format!("nodes of {} (node subnet {subnet} {nodes})", c.address));
                representative(&nodes)
            }
            Side::Pods if pods_keep_their_ip(plugin(c)) => {
                let pods = side_range(c, Side::Pods)?;
                hops.push(format!("pods of {} ({pods}, plugin {})", c.address, plugin(c)));
                hops.push(format!("node subnet {subnet} ({nodes})"));
                representative(&pods)
            }
            Side::Pods => {
                let pods = side_range(c, Side::Pods);
                hops.push(format!(
                    "pods of {} ({}, plugin {})",
                    c.address,
                    pods.map_or("pod range".to_string(), |p| p.to_string()),
                    plugin(c)
                ));
                hops.push(format!(
                    "node subnet {subnet} ({nodes}): pods leave as node IPs (SNAT), the destination sees {nodes}"
                ));
                representative(&nodes)
            }
        };
        Some(Src {
            site: Site::Cluster(c),
            ip,
            hops,
            pods_of: (side == Side::Pods).then_some(c),
        })
    }

    pub(super) fn destinations(&self, flow: &Flow) -> Result<Dsts<'g>, FlowError> {
        let plain = |n: &Ipv4Net, label: String| Dst {
            ip: representative(n),
            port: flow.port,
            label,
            after: Vec::new(),
            public: false,
            cluster_only: None,
        };
        match &flow.to {
            Destination::Address(n) => {
                let label = match self.locate(representative(n)).first() {
                    Some(s) => format!("{n} in {}", s.describe()),
                    None => n.to_string(),
                };
                Ok(Dsts::To(Vec::new(), vec![plain(n, label)]))
            }
            Destination::Cluster { cluster, side } => {
                let c = self.resolve(cluster, &[Kind::ClusterNetwork], Part::To)?;
                let n = side_range(c, *side).ok_or_else(|| {
                    FlowError::new(
                        Part::To,
                        format!("the {} range of {} is not known yet", side.name(), c.address),
                        "set node_subnet_cidr / pod_cidr, or plan once they are known",
                    )
                })?;
                Ok(Dsts::To(
                    Vec::new(),
                    vec![plain(&n, format!("{} of {} ({n})", side.name(), c.address))],
                ))
            }
            Destination::Service(s) => {
                let s = self.resolve(s, &[Kind::ExternalService, Kind::LbService], Part::To)?;
                self.service(flow, s)
            }
        }
    }

    fn service(&self, flow: &Flow, s: &'g Resource) -> Result<Dsts<'g>, FlowError> {
        let ports = service_ports(s);
        let port = match (flow.port, ports.as_slice()) {
            (Some(p), _) => p,
            (None, [(p, _)]) => *p,
            (None, _) => {
                return Err(FlowError::new(
                    Part::Port,
                    format!("{} has {} ports: say which one", s.address, ports.len()),
                    "set port = one of the Service's ports",
                ))
            }
        };
        let Some(&(_, target)) = ports.iter().find(|(p, _)| *p == port) else {
            let blocker = Blocker::PortNotExposed {
                service: s.address.clone(),
                port: Some(port),
                ports: ports.iter().map(|(p, _)| *p).collect(),
            };
            return Ok(Dsts::Blocked(vec![format!("{}", s.address)], blocker));
        };
        let cluster = self.topology.cluster_of(s);
        let cname = cluster.map_or("its cluster".to_string(), |c| c.address.to_string());
        let name = format!(
            "{}/{}",
            s.str("namespace").unwrap_or("default"),
            s.str("name").unwrap_or_default()
        );
        if s.kind() == Kind::ExternalService {
            let endpoints: Vec<Ipv4Addr> = s
                .get("endpoints")
                .strings()
                .into_iter()
                .filter_map(|e| net::parse_ip(e).ok())
                .collect();
            if endpoints.is_empty() {
                return Err(FlowError::new(
                    Part::To,
                    format!(
                        "{} has no endpoint addresses (an ExternalName is resolved by DNS, not here)",
                        s.address
                    ),
                    "point the flow at the address the name resolves to",
                ));
            }
            let before = vec![format!("Service {name} of {cname} (port {port} → {target})")];
            let dsts = endpoints
                .into_iter()
                .map(|ip| Dst {
                    ip,
                    port: Some(target),
                    label: match self.locate(ip).first() {
                        Some(site) => format!("endpoint {ip}:{target} in {}", site.describe()),
                        None => format!("endpoint {ip}:{target}"),
                    },
                    after: Vec::new(),
                    public: false,
                    cluster_only: cluster.map(|c| (s.address.clone(), c)),
                })
                .collect();
            return Ok(Dsts::To(before, dsts));
        }
        let internal = s.bool("internal") == Some(true);
        let after = vec![format!("backend pods of {cname} (target port {target})")];
        if !internal {
            return Ok(Dsts::To(
                vec!["the internet".into()],
                vec![Dst {
                    ip: Ipv4Addr::UNSPECIFIED,
                    port: Some(port),
                    label: format!("public load balancer {name} of {cname} (port {port})"),
                    after,
                    public: true,
                    cluster_only: None,
                }],
            ));
        }
        let fixed = s.str("load_balancer_ip").and_then(|ip| net::parse_ip(ip).ok());
        let subnet = cluster.and_then(|c| {
            let want = s.str("internal_subnet");
            super::network::subnets(c)
                .into_iter()
                .find(|(n, _)| want.is_none_or(|w| w == n.as_str()))
        });
        let (ip, at) = match (fixed, &subnet) {
            (Some(ip), _) => (ip, ip.to_string()),
            (None, Some((n, Some(cidr)))) => (representative(cidr), format!("a frontend in subnet {n} {cidr}")),
            _ => {
                return Err(FlowError::new(
                    Part::To,
                    format!("the frontend subnet of {} is not known yet", s.address),
                    "set load_balancer_ip, or plan once the cluster's subnets are known",
                ))
            }
        };
        Ok(Dsts::To(
            Vec::new(),
            vec![Dst {
                ip,
                port: Some(port),
                label: format!("internal load balancer {name} of {cname} ({at}, port {port})"),
                after,
                public: false,
                cluster_only: None,
            }],
        ))
    }
}

/// A Service's `(port, target_port)` pairs.
fn service_ports(s: &Resource) -> Vec<(u16, u16)> {
    s.get("ports")
        .as_list()
        .unwrap_or(&[])
        .iter()
        .filter_map(|item| {
            let m = item.as_map()?;
            let port = u16::try_from(m.get("port")?.as_i64()?).ok()?;
            let target = m
                .get("target_port")
                .and_then(|v| v.as_i64())
                .and_then(|t| u16::try_from(t).ok())
                .unwrap_or(port);
            Some((port, target))
        })
        .collect()
}

/// Whether a protocol needs a destination port.
pub(super) fn needs_port(p: Protocol) -> bool {
    matches!(p, Protocol::Tcp | Protocol::Udp)
}
