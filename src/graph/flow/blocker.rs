//! What stops a flow, each kind named and explained.

use crate::graph::packet::Direction;
use crate::graph::Address;
use std::net::Ipv4Addr;

/// Which side of a gateway-transit peering lacks its flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitSide {
    /// The hub side: `allow_gateway_transit = false`.
    Hub,
    /// The spoke side: `use_remote_gateways = false`.
    Spoke,
}

/// The first thing on a flow's path that stops it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocker {
    /// Spoke to spoke through a hub: peering is not transitive.
    NotTransitive { from: Address, to: Address, hub: Address },
    /// A peering without gateway transit on one of its sides.
    NoGatewayTransit { peering: Address, side: TransitSide },
    /// The hub on the way to on-premises has no gateway.
    HubWithoutGateway { hub: Address },
    /// The destination is a pod address of an overlay or kubenet cluster:
    /// pods leave as node IPs and are not routable from outside.
    Snat { cluster: Address, plugin: String },
    /// The destination lies in two declared networks: it is routed to the
    /// nearer one (`routed_to`), never to the other.
    Overlap {
        dst: Ipv4Addr,
        routed_to: String,
        shadowed: String,
    },
    /// The destination is in no declared network.
    MissingRoute { dst: Ipv4Addr },
    /// The source network is not peered with the destination network.
    NotPeered { from: Address, to: Option<Address> },
    /// A network security group rule denies the packet.
    Nsg {
        nsg: Address,
        rule: String,
        priority: u32,
        direction: Direction,
    },
    /// A route table sends the packet nowhere (next hop `None`).
    RouteDropped { route_table: Address, route: String },
    /// The Service does not listen on the flow's port.
    PortNotExposed {
        service: Address,
        port: Option<u16>,
        ports: Vec<u16>,
    },
    /// A Service without a load balancer is reachable only inside its cluster.
    ClusterOnly { service: Address, cluster: Address },
}

impl Blocker {
    /// The kind's stable name (JSON, Terraform's `blocker`).
    pub fn kind(&self) -> &'static str {
        match self {
            Blocker::NotTransitive { .. } => "peering-not-transitive",
            Blocker::NoGatewayTransit { .. } => "no-gateway-transit",
            Blocker::HubWithoutGateway { .. } => "hub-without-gateway",
            Blocker::Snat { .. } => "pod-snat",
            Blocker::Overlap { .. } => "overlapping-ranges",
            Blocker::MissingRoute { .. } => "missing-route",
            Blocker::NotPeered { .. } => "not-peered",
            Blocker::Nsg { .. } => "nsg-rule",
            Blocker::RouteDropped { .. } => "route-dropped",
            Blocker::PortNotExposed { .. } => "port-not-exposed",
            Blocker::ClusterOnly { .. } => "cluster-only-service",
        }
    }

    /// One sentence: what blocks, and the fact behind it.
    pub fn explain(&self) -> String {
        match self {
            Blocker::NotTransitive { from, to, hub } => format!(
                "{from} and {to} are both peered with {hub}, but peering is not transitive: a spoke does not reach another spoke through the hub"
            ),
            Blocker::NoGatewayTransit { peering, side: TransitSide::Hub } => format!(
                "{peering} has allow_gateway_transit = false on the hub side: the spoke cannot use the hub's gateway"
            ),
            Blocker::NoGatewayTransit { peering, side: TransitSide::Spoke } => format!(
                "{peering} has use_remote_gateways = false: the spoke does not route to on-premises through the hub's gateway"
            ),
            Blocker::HubWithoutGateway { hub } => {
                format!("{hub} has no gateway (gateway = none): nothing connects it to on-premises")
            }
            Blocker::Snat { cluster, plugin } => format!(
                "the destination is a pod address of {cluster} (plugin {plugin}): pods leave as node IPs and their own addresses are not routable outside the cluster"
            ),
            Blocker::Overlap { dst, routed_to, shadowed } => format!(
                "{dst} lies in both {routed_to} and {shadowed}: it is routed to {routed_to} and never reaches {shadowed}"
            ),
            Blocker::MissingRoute { dst } => format!("{dst} is in no declared network: there is no route to it"),
            Blocker::NotPeered { from, to: Some(to) } => format!("{from} is not peered with {to}"),
            Blocker::NotPeered { from, to: None } => format!(
                "{from} has no peering: on-premises is reached only through a hub's gateway"
            ),
            Blocker::Nsg { nsg, rule, priority, direction } => format!(
                "rule `{rule}` (priority {priority}) of {nsg} denies it {}",
                match direction {
                    Direction::Inbound => "inbound",
                    Direction::Outbound => "outbound",
                }
            ),
            Blocker::RouteDropped { route_table, route } => {
                format!("route `{route}` of {route_table} has next hop None: the packet is dropped")
            }
            Blocker::PortNotExposed { service, port, ports } => format!(
                "{service} does not listen on {} (ports: {})",
                port.map_or("the flow's port".to_string(), |p| format!("port {p}")),
                ports.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")
            ),
            Blocker::ClusterOnly { service, cluster } => format!(
                "{service} has no load balancer: its cluster IP is reachable only from inside {cluster}"
            ),
        }
    }

    /// What to change so that the flow passes.
    pub fn hint(&self) -> String {
        match self {
            Blocker::NotTransitive { .. } => {
                "route spoke-to-spoke traffic through a firewall or NVA in the hub (a route table), or peer the spokes directly".into()
            }
            Blocker::NoGatewayTransit { side: TransitSide::Hub, .. } => {
                "set allow_gateway_transit = true (or leave it to follow use_remote_gateways)".into()
            }
            Blocker::NoGatewayTransit { side: TransitSide::Spoke, .. } => "set use_remote_gateways = true on the peering".into(),
            Blocker::HubWithoutGateway { .. } => "give the hub a gateway (gateway = vpn or expressroute)".into(),
            Blocker::Snat { .. } => {
                "reach the pods through a Service (an internal lb_service), or use azure_cni / azure_cni_pod_subnet so that pods keep their IP".into()
            }
            Blocker::Overlap { .. } => "give the networks ranges that do not overlap (avoid = [...] on the cluster)".into(),
            Blocker::MissingRoute { .. } => {
                "declare the network that holds it (onprem { address_space = [...] }) or fix the address".into()
            }
            Blocker::NotPeered { to: Some(_), .. } => "declare a peering between them".into(),
            Blocker::NotPeered { to: None, .. } => "peer the cluster with a hub that has a gateway, with use_remote_gateways = true".into(),
            Blocker::Nsg { .. } => "add an allow rule with a lower priority number, or narrow the deny rule".into(),
            Blocker::RouteDropped { .. } => "change the route's next hop, or remove the route".into(),
            Blocker::PortNotExposed { .. } => "use one of the Service's ports, or add the port to it".into(),
            Blocker::ClusterOnly { .. } => "expose it with an internal lb_service".into(),
        }
    }
}
