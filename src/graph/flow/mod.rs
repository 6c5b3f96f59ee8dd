//! Reachability checked statically, before anything exists: a flow (from a
//! cluster's pods or nodes, an on-premises range or a hub, to an address or
//! a Service, with a protocol and a port) is answered over the graph with a
//! verdict, the path it takes as hops, and the first thing that blocks it.
//!
//! The answer follows the hybrid-network rules (domain rules §2, §4):
//! peering is not transitive (spoke to spoke through the hub is blocked),
//! on-premises is reached only through a hub gateway with gateway transit on
//! both sides, pods of overlay and kubenet clusters leave as node IPs and
//! cannot be reached by their own addresses from outside the cluster, a
//! destination declared twice is routed to the nearer network, and an
//! address in no declared network has no route. The subnet step (network
//! security groups, route tables) is one function in [`security`].
//!
//! Flows are declarations, not resources: they are never realized. One
//! [`Network`] is built per graph (indexes, no pair is compared) and answers
//! any number of flows.

mod blocker;
mod network;
mod route;
pub mod security;
mod target;
#[cfg(test)]
mod tests;

pub use blocker::{Blocker, TransitSide};
pub use network::{pods_keep_their_ip, Network};

use crate::graph::packet::Protocol;
use crate::graph::Address;
use ipnet::Ipv4Net;
use std::fmt;

/// A resource a flow names: by address (the DSL) or by ID (Terraform).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ref {
    Address(Address),
    Id(String),
}

impl fmt::Display for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ref::Address(a) => write!(f, "{a}"),
            Ref::Id(id) => f.write_str(id),
        }
    }
}

/// Which addresses of a cluster: its pods' or its nodes'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Pods,
    Nodes,
}

impl Side {
    pub fn parse(s: &str) -> Option<Side> {
        match s {
            "pods" => Some(Side::Pods),
            "nodes" => Some(Side::Nodes),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Side::Pods => "pods",
            Side::Nodes => "nodes",
        }
    }
}

/// Where a flow starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A cluster's pods or nodes.
    Cluster { cluster: Ref, side: Side },
    /// An on-premises declaration (its first range) or one of its ranges.
    Onprem { onprem: Ref, range: Option<Ipv4Net> },
    /// A hub network.
    Hub(Ref),
    /// An address or range, found in whichever declared network holds it.
    Address(Ipv4Net),
}

/// Where a flow goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// An address (a /32) or a range (its first usable address stands for it).
    Address(Ipv4Net),
    /// An `external_service` (its endpoints) or an `lb_service` (its frontend).
    Service(Ref),
    /// A cluster's pods or nodes.
    Cluster { cluster: Ref, side: Side },
}

/// What a flow is expected to be, and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Reachable,
    Blocked,
}

impl Verdict {
    pub const NAMES: [&'static str; 2] = ["reachable", "blocked"];

    pub fn parse(s: &str) -> Option<Verdict> {
        match s {
            "reachable" => Some(Verdict::Reachable),
            "blocked" => Some(Verdict::Blocked),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Verdict::Reachable => "reachable",
            Verdict::Blocked => "blocked",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One declared flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    pub name: String,
    pub from: Source,
    pub to: Destination,
    pub protocol: Protocol,
    /// The destination port (TCP and UDP; a Service's own port).
    pub port: Option<u16>,
    pub expect: Verdict,
}

/// The answer to one flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub verdict: Verdict,
    /// The hops, in order (`pods of cluster_network.aks (10.40.0.0/21)`, …).
    pub path: Vec<String>,
    /// What stops the flow first (`None` when reachable).
    pub blocker: Option<Blocker>,
}

impl Answer {
    /// Whether the verdict is the expected one.
    pub fn as_expected(&self, flow: &Flow) -> bool {
        self.verdict == flow.expect
    }

    /// The path as one line (`a → b → c`).
    pub fn path_line(&self) -> String {
        self.path.join(" → ")
    }
}

/// Which part of a flow a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    From,
    To,
    Port,
    Protocol,
}

impl Part {
    /// The attribute name in the DSL block.
    pub fn attr(self) -> &'static str {
        match self {
            Part::From => "from",
            Part::To => "to",
            Part::Port => "port",
            Part::Protocol => "protocol",
        }
    }
}

/// A flow that cannot be answered: it names something that is not in the
/// graph, or a Service without addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowError {
    pub part: Part,
    pub message: String,
    pub hint: String,
}

impl FlowError {
    pub(crate) fn new(part: Part, message: impl Into<String>, hint: impl Into<String>) -> Self {
        FlowError {
            part,
            message: message.into(),
            hint: hint.into(),
        }
    }
}

/// The diagnostic code of a flow blocked though expected reachable.
pub const CODE_BLOCKED: &str = "flow-blocked";
/// The diagnostic code of a flow reachable though expected blocked.
pub const CODE_REACHABLE: &str = "flow-reachable";
/// The diagnostic code of a flow that cannot be answered.
pub const CODE_INVALID: &str = "invalid-flow";

/// A flow whose verdict differs from its `expect`, as (code, message,
/// hint): the blocker in the message, the path in the hint.
pub fn mismatch(flow: &Flow, answer: &Answer) -> Option<(&'static str, String, String)> {
    if answer.as_expected(flow) {
        return None;
    }
    let path = answer.path_line();
    Some(match &answer.blocker {
        Some(b) => (
            CODE_BLOCKED,
            format!("flow \"{}\" is blocked: {} [{}]", flow.name, b.explain(), b.kind()),
            format!("path: {path}; {}", b.hint()),
        ),
        None => (
            CODE_REACHABLE,
            format!(
                "flow \"{}\" is reachable but expect = \"blocked\": nothing on its path stops it",
                flow.name
            ),
            format!("path: {path}; add the rule that must stop it, or expect = \"reachable\""),
        ),
    })
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Cluster { cluster, side } => write!(f, "{cluster}.{}", side.name()),
            Source::Onprem { onprem, range: None } => write!(f, "{onprem}"),
            Source::Onprem { onprem, range: Some(n) } => write!(f, "{onprem} ({n})"),
            Source::Hub(h) => write!(f, "{h}"),
            Source::Address(n) => write!(f, "{}", show_net(n)),
        }
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Destination::Address(n) => write!(f, "{}", show_net(n)),
            Destination::Service(s) => write!(f, "{s}"),
            Destination::Cluster { cluster, side } => write!(f, "{cluster}.{}", side.name()),
        }
    }
}

/// An address as written: a /32 without its prefix length.
fn show_net(n: &Ipv4Net) -> String {
    if n.prefix_len() == 32 {
        n.addr().to_string()
    } else {
        n.to_string()
    }
}
