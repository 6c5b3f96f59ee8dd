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

use crate::graph::packet::{Direction, Packet};
use crate::graph::{Address, Kind, Resource};
use ipnet::Ipv4Net;

/// The keywords of the kinds attached to subnets that decide a packet's fate.
pub const NSG_KIND: &str = "network_security_group";
pub const ROUTE_TABLE_KIND: &str = "route_table";

/// Whether resources of a kind attach to a subnet and take part in flows.
pub fn is_subnet_security(kind: Kind) -> bool {
    matches!(kind.keyword(), NSG_KIND | ROUTE_TABLE_KIND)
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
    let hops = Vec::new();
    for r in attached {
        match r.kind().keyword() {
            // At merge: `network_security_group::evaluate(r, direction,
            // packet, virtual_network)`; a `Decision { allowed: false, .. }`
            // is `Denied { nsg: r.address, rule, priority }`.
            NSG_KIND => {}
            // At merge: `route_table::next_hop(r, packet.dst)` when
            // `direction` is outbound; `NextHop::None` is `Dropped`.
            ROUTE_TABLE_KIND => {}
            _ => {}
        }
    }
    let _ = (direction, packet, virtual_network);
    SubnetVerdict::Allowed(hops)
}

/// The signature of the subnet step, so that tests can stand in for it.
pub type SubnetStep = fn(&[&Resource], Direction, &Packet, &[Ipv4Net]) -> SubnetVerdict;
