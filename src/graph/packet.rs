//! What a reachability question is about: one packet's direction, protocol,
//! addresses and port. Shared by the NSG evaluation (`kinds::network_security_group`)
//! and the flow checks (`flow`).

use std::fmt;
use std::net::Ipv4Addr;

/// The direction of traffic relative to a subnet (Azure NSG terms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    Inbound,
    Outbound,
}

/// The IP protocol of a packet or of a rule (`Any` matches every protocol).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    Tcp,
    Udp,
    Icmp,
    Any,
}

impl Protocol {
    /// The names the DSL and Terraform accept (`*` as Azure writes "any").
    pub const NAMES: [&'static str; 5] = ["tcp", "udp", "icmp", "any", "*"];

    pub fn parse(s: &str) -> Option<Protocol> {
        match s.to_ascii_lowercase().as_str() {
            "tcp" => Some(Protocol::Tcp),
            "udp" => Some(Protocol::Udp),
            "icmp" => Some(Protocol::Icmp),
            "any" | "*" => Some(Protocol::Any),
            _ => None,
        }
    }

    /// Whether a rule for `self` covers a packet of `other`.
    pub fn covers(self, other: Protocol) -> bool {
        self == Protocol::Any || self == other
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Icmp => "icmp",
            Protocol::Any => "any",
        })
    }
}

/// One packet: source and destination address, protocol and, for TCP and
/// UDP, the destination port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Packet {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub protocol: Protocol,
    pub dst_port: Option<u16>,
}
