//! The subnet step of a flow's path: the network security groups and route
//! tables attached to a cluster subnet decide whether a packet passes.
//!
//! This is the one place the flow engine meets those kinds. The NSG rule
//! evaluation (`kinds::network_security_group::evaluate`) and the route
//! table lookup (`kinds::route_table::next_hop`) live with their kinds; the
//! function below receives everything they take — the subnet's resources,
//! the direction, the packet and the virtual-network ranges (the VNET,
//! peered VNETs and on-premises reached through a gateway) — and hands each
//! resource to its kind.

use crate::graph::kinds::{network_security_group, route_table};
use crate::graph::packet::{Direction, Packet};
use crate::graph::{Address, Kind, Resource};
use ipnet::Ipv4Net;

/// Whether resources of a kind attach to a subnet and take part in flows.
pub fn is_subnet_security(kind: Kind) -> bool {
    matches!(kind, Kind::NetworkSecurityGroup | Kind::RouteTable)
}

/// What the subnet step decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubnetVerdict {
    /// The packet passes; each string is a hop to show on the path (the
    /// rule that allowed it, a route through an appliance).
    Allowed(Vec<String>),
    /// A network security group rule denies it.
    Denied { nsg: Address, rule: String, priority: u32 },
    /// A route sends it nowhere (next hop `None`).
    Dropped { route_table: Address, route: String },
}

/// The verdict of the resources attached to one subnet on one packet.
///
/// Each network security group is evaluated in `direction` (first matching
/// rule by priority, then Azure's default rules); on the way out, the
/// subnet's route table gives the next hop of `packet.dst`. A subnet with
/// nothing attached lets everything pass (Azure's defaults allow traffic
/// inside the virtual network and to peered and on-premises ranges).
pub fn subnet_verdict(
    attached: &[&Resource],
    direction: Direction,
    packet: &Packet,
    virtual_network: &[Ipv4Net],
) -> SubnetVerdict {
    let mut hops = Vec::new();
    // Security rules first (Azure evaluates the NSG before routing the
    // packet), then, on the way out, the route table's next hop.
    for r in attached.iter().filter(|r| r.kind() == Kind::NetworkSecurityGroup) {
        let d = network_security_group::evaluate(r, direction, packet, virtual_network);
        if !d.allowed {
            return SubnetVerdict::Denied {
                nsg: r.address.clone(),
                rule: d.rule,
                priority: d.priority,
            };
        }
        hops.push(format!("{} allows ({} {})", r.address, d.rule, d.priority));
    }
    if direction == Direction::Outbound {
        for r in attached.iter().filter(|r| r.kind() == Kind::RouteTable) {
            match route_table::next_hop(r, packet.dst) {
                Some((route, route_table::NextHop::None)) => {
                    return SubnetVerdict::Dropped {
                        route_table: r.address.clone(),
                        route,
                    }
                }
                Some((route, route_table::NextHop::VirtualAppliance(ip))) => {
                    hops.push(format!("{} routes through appliance {ip} ({route})", r.address))
                }
                Some((route, hop)) => hops.push(format!("{} routes to {hop:?} ({route})", r.address)),
                None => {}
            }
        }
    }
    SubnetVerdict::Allowed(hops)
}

/// The signature of the subnet step, so that tests can stand in for it.
pub type SubnetStep = fn(&[&Resource], Direction, &Packet, &[Ipv4Net]) -> SubnetVerdict;
