//! The path of a packet from its source site to its destination site, hop
//! by hop, stopping at the first blocker.

use super::network::{has_gateway, subnet_of, Network, Site};
use super::security::{self, SubnetStep, SubnetVerdict};
use super::target::{needs_port, Dst, Dsts, Src};
use super::{Answer, Blocker, Flow, FlowError, Part, TransitSide, Verdict};
use crate::graph::packet::{Direction, Packet};
use crate::graph::rules::space;
use crate::graph::Resource;
use ipnet::Ipv4Net;

/// Hops so far, and the blocker that ended them.
type Walk = (Vec<String>, Option<Blocker>);

impl<'g> Network<'g> {
    /// Answers one flow.
    pub fn answer(&self, flow: &Flow) -> Result<Answer, FlowError> {
        self.answer_with(flow, security::subnet_verdict)
    }

    /// Answers one flow with another subnet step (tests stand in for the
    /// security kinds with it).
    pub fn answer_with(&self, flow: &Flow, step: SubnetStep) -> Result<Answer, FlowError> {
        if needs_port(flow.protocol) && flow.port.is_none() && !matches!(flow.to, super::Destination::Service(_)) {
            return Err(FlowError::new(
                Part::Port,
                format!("a {} flow needs a port", flow.protocol),
                "set port = N (or protocol = \"icmp\" / \"any\")",
            ));
        }
        let src = self.source(&flow.from)?;
        let (before, dsts) = match self.destinations(flow)? {
            Dsts::To(before, dsts) => (before, dsts),
            Dsts::Blocked(before, b) => {
                let mut path = src.hops.clone();
                path.extend(before);
                return Ok(blocked(path, b));
            }
        };
        // A Service is reachable when every address behind it is: the
        // first one that is not decides.
        let mut first = None;
        for d in &dsts {
            let (mut hops, blocker) = self.walk(flow, &src, d, step);
            let mut path = src.hops.clone();
            path.extend(before.iter().cloned());
            path.append(&mut hops);
            if blocker.is_none() {
                path.extend(d.after.iter().cloned());
            }
            let answer = Answer {
                verdict: if blocker.is_some() {
                    Verdict::Blocked
                } else {
                    Verdict::Reachable
                },
                path,
                blocker,
            };
            if answer.blocker.is_some() {
                return Ok(answer);
            }
            first.get_or_insert(answer);
        }
        Ok(first.expect("a destination list is never empty"))
    }

    /// From the source to one destination address.
    fn walk(&self, flow: &Flow, src: &Src<'g>, dst: &Dst<'g>, step: SubnetStep) -> Walk {
        if let Some((service, cluster)) = &dst.cluster_only {
            let inside = matches!(src.site, Site::Cluster(c) if c.address == cluster.address);
            if !inside {
                return (
                    Vec::new(),
                    Some(Blocker::ClusterOnly {
                        service: service.clone(),
                        cluster: cluster.address.clone(),
                    }),
                );
            }
        }
        let packet = Packet {
            src: src.ip,
            dst: dst.ip,
            protocol: flow.protocol,
            dst_port: dst.port,
        };
        // Leaving the source subnet.
        if let Site::Cluster(c) = src.site {
            if let Some(b) = self.subnet_step(c, src.ip, Direction::Outbound, &packet, step) {
                return (Vec::new(), Some(b));
            }
        }
        if dst.public {
            return (vec![format!("{} (through the internet)", dst.label)], None);
        }
        let (mut hops, blocker) = self.route(src, dst);
        if blocker.is_some() {
            return (hops, blocker);
        }
        // Entering the destination subnet.
        if let Some(Site::Cluster(c)) = self.locate(dst.ip).first().copied() {
            if let Some(b) = self.subnet_step(c, dst.ip, Direction::Inbound, &packet, step) {
                return (hops, Some(b));
            }
        }
        hops.push(dst.label.clone());
        (hops, None)
    }

    /// The route between the two sites, without the destination hop.
    fn route(&self, src: &Src<'g>, dst: &Dst<'g>) -> Walk {
        // A cluster routes its own pod range (which other clusters may reuse).
        if let Site::Cluster(c) = src.site {
            let pods = crate::graph::kinds::util::cidr_quiet(c, "pod_cidr");
            if !super::network::pods_keep_their_ip(super::network::plugin(c))
                && pods.is_some_and(|p| p.contains(&dst.ip))
            {
                return (vec![format!("pod network of {} (inside the cluster)", c.address)], None);
            }
        }
        let sites = self.locate(dst.ip);
        let own_pods = |s: &Site| matches!((s, src.pods_of), (Site::Pods(p), Some(c)) if p.address == c.address);
        let Some(primary) = sites
            .iter()
            .find(|s| s.same(&src.site) || own_pods(s))
            .or(sites.first())
            .copied()
        else {
            // Azure's default route sends public addresses from a VNET to
            // the internet (for a cluster, out through its outbound SNAT);
            // a route table in the subnet step may have said otherwise.
            let from_azure = matches!(src.site, Site::Cluster(_) | Site::Hub(_));
            if from_azure && crate::graph::kinds::network_security_group::is_internet(dst.ip, &[]) {
                return (vec!["the internet (Azure's default route, outbound SNAT)".into()], None);
            }
            return (Vec::new(), Some(Blocker::MissingRoute { dst: dst.ip }));
        };
        if let Some(other) = sites.iter().find(|s| !s.same(&primary)) {
            return (
                vec![format!("routed to {}", primary.describe())],
                Some(Blocker::Overlap {
                    dst: dst.ip,
                    routed_to: primary.describe(),
                    shadowed: other.describe(),
                }),
            );
        }
        let none = || (Vec::new(), None);
        match (src.site, primary) {
            (_, Site::Pods(p))
                if own_pods(&primary) || matches!(src.site, Site::Cluster(c) if c.address == p.address) =>
            {
                (vec![format!("pod network of {} (inside the cluster)", p.address)], None)
            }
            (_, Site::Pods(p)) => (
                Vec::new(),
                Some(Blocker::Snat {
                    cluster: p.address.clone(),
                    plugin: super::network::plugin(p).to_string(),
                }),
            ),
            (Site::Cluster(a), Site::Cluster(b)) if a.address == b.address => {
                (vec![format!("inside {} (VNET-local)", a.address)], None)
            }
            (Site::Hub(a), Site::Hub(b)) if a.address == b.address => none(),
            (Site::Onprem(_), Site::Onprem(_)) => (vec!["routed on premises".into()], None),
            (Site::Cluster(c), Site::Hub(h)) | (Site::Hub(h), Site::Cluster(c)) => match self.peering(c, h) {
                Some(p) => (vec![format!("peering {}", p.address)], None),
                None => (
                    Vec::new(),
                    Some(Blocker::NotPeered {
                        from: src.site.resource().address.clone(),
                        to: Some(primary.resource().address.clone()),
                    }),
                ),
            },
            (Site::Cluster(a), Site::Cluster(b)) => {
                let via = self
                    .topology
                    .hubs_of(a)
                    .into_iter()
                    .find(|(_, h)| self.peering(b, h).is_some());
                match via {
                    Some((p, h)) => (
                        vec![format!("peering {}", p.address), format!("{}", h.address)],
                        Some(Blocker::NotTransitive {
                            from: a.address.clone(),
                            to: b.address.clone(),
                            hub: h.address.clone(),
                        }),
                    ),
                    None => (
                        Vec::new(),
                        Some(Blocker::NotPeered {
                            from: a.address.clone(),
                            to: Some(b.address.clone()),
                        }),
                    ),
                }
            }
            (Site::Cluster(c), Site::Onprem(_)) => self.through_gateway(c, false),
            (Site::Onprem(_), Site::Cluster(c)) => self.through_gateway(c, true),
            (Site::Hub(h), Site::Onprem(_)) | (Site::Onprem(_), Site::Hub(h)) => match has_gateway(h) {
                Some(false) => (Vec::new(), Some(Blocker::HubWithoutGateway { hub: h.address.clone() })),
                _ => (vec![gateway_hop(h)], None),
            },
            (Site::Hub(a), Site::Hub(b)) => (
                Vec::new(),
                Some(Blocker::NotPeered {
                    from: a.address.clone(),
                    to: Some(b.address.clone()),
                }),
            ),
            (Site::Pods(_), _) => unreachable!("a source is never a pod range: pods start in their cluster"),
        }
    }

    /// Between a cluster and on-premises: a peering with gateway transit on
    /// both sides, to a hub with a gateway. The hops run from the cluster
    /// (or, `inbound`, from on-premises).
    fn through_gateway(&self, c: &'g Resource, inbound: bool) -> Walk {
        let mut peerings: Vec<&Resource> = self
            .topology
            .peerings
            .get(c.id().unwrap_or_default())
            .cloned()
            .unwrap_or_default();
        peerings.sort_by(|a, b| a.address.cmp(&b.address));
        let mut first: Option<Walk> = None;
        for p in peerings {
            let Some(h) = p.str("hub_id").and_then(|id| self.topology.hubs.get(id)).copied() else {
                continue;
            };
            let peer = format!("peering {} (use_remote_gateways)", p.address);
            let blocker = if p.bool("use_remote_gateways") == Some(false) {
                Some(Blocker::NoGatewayTransit {
                    peering: p.address.clone(),
                    side: TransitSide::Spoke,
                })
            } else if p.bool("allow_gateway_transit") == Some(false) {
                Some(Blocker::NoGatewayTransit {
                    peering: p.address.clone(),
                    side: TransitSide::Hub,
                })
            } else if has_gateway(h) == Some(false) {
                Some(Blocker::HubWithoutGateway { hub: h.address.clone() })
            } else {
                None
            };
            match blocker {
                None => {
                    let mut hops = vec![peer, gateway_hop(h)];
                    if inbound {
                        hops.reverse();
                    }
                    return (hops, None);
                }
                Some(b) => {
                    first.get_or_insert((vec![format!("peering {}", p.address)], Some(b)));
                }
            }
        }
        first.unwrap_or_else(|| {
            (
                Vec::new(),
                Some(Blocker::NotPeered {
                    from: c.address.clone(),
                    to: None,
                }),
            )
        })
    }

    /// The security step of the cluster subnet holding `ip`.
    fn subnet_step(
        &self,
        c: &'g Resource,
        ip: std::net::Ipv4Addr,
        direction: Direction,
        packet: &Packet,
        step: SubnetStep,
    ) -> Option<Blocker> {
        let (subnet, _) = subnet_of(c, ip)?;
        let attached = self.attached(c, &subnet);
        match step(&attached, direction, packet, &self.virtual_network(c)) {
            SubnetVerdict::Allowed(_) => None,
            SubnetVerdict::Denied { nsg, rule, priority } => Some(Blocker::Nsg {
                nsg,
                rule,
                priority,
                direction,
            }),
            SubnetVerdict::Dropped { route_table, route } => Some(Blocker::RouteDropped { route_table, route }),
        }
    }

    /// What Azure's `VirtualNetwork` tag covers for a cluster: its VNET,
    /// the hubs it is peered with and, through a gateway, on-premises.
    pub fn virtual_network(&self, c: &Resource) -> Vec<Ipv4Net> {
        let mut out: Vec<Ipv4Net> = space(c).into_iter().map(|(_, n)| n).collect();
        for (_, h) in self.topology.hubs_of(c) {
            out.extend(space(h).into_iter().map(|(_, n)| n));
        }
        if self.topology.reaches_onprem(c) {
            for o in self.topology.graph.of_kind(crate::graph::Kind::Onprem) {
                out.extend(space(o).into_iter().map(|(_, n)| n));
            }
        }
        out
    }
}

fn gateway_hop(h: &Resource) -> String {
    match h.str("gateway") {
        Some(g) => format!("gateway of {} ({g})", h.address),
        None => format!("gateway of {} (not known yet)", h.address),
    }
}

fn blocked(path: Vec<String>, b: Blocker) -> Answer {
    Answer {
        verdict: Verdict::Blocked,
        path,
        blocker: Some(b),
    }
}
