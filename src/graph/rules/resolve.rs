//! Following a name through the declared DNS servers: which server owns an
//! address (a hub's resolvers, on-premises DNS), which conditional forwarder
//! decides a name there, and where the walk ends — Azure DNS as one VNET
//! sees it, public recursion on premises, an undeclared server, or a loop.
//! Used by the DNS rules (loops) and the private-cluster rules (AKS#4841).

use super::Topology;
use crate::graph::kinds::cluster_private::AZURE_DNS;
use crate::graph::kinds::dns_path;
use crate::graph::kinds::util;
use crate::graph::net;
use crate::graph::{Kind, Resource};
use std::collections::HashMap;
use std::net::Ipv4Addr;

/// Who answers at an address.
#[derive(Debug, Clone, Copy)]
pub struct Server<'g> {
    pub ip: Ipv4Addr,
    /// The hub or onprem resource the server belongs to.
    pub owner: &'g Resource,
}

/// One step of a walk: a server that forwarded the name, and the forwarder
/// (index into its owner's `dns_forwarders`) that sent it on.
#[derive(Debug, Clone)]
pub struct Hop<'g> {
    pub server: Server<'g>,
    pub forwarder: usize,
}

/// Where a walk ends.
#[derive(Debug, Clone)]
pub enum End<'g> {
    /// 168.63.129.16 asked from the VNET whose DNS it is (the start).
    AzureHere,
    /// A hub resolver without a forwarder for the name: Azure DNS as the hub
    /// VNET sees it (the private zones linked to the hub).
    Hub(Server<'g>),
    /// An on-premises server without a forwarder for the name: public
    /// recursion, which never sees Azure private zones.
    Recursive(Server<'g>),
    /// On-premises DNS sending the name to 168.63.129.16, which it cannot reach.
    AzureFromOnprem(Server<'g>),
    /// An on-premises server forwarding to a hub resolver the site cannot
    /// reach (the hub has no gateway).
    HubOutOfReach(Server<'g>, Server<'g>),
    /// An address no declaration names as a DNS server.
    Undeclared(Ipv4Addr),
    /// The walk came back to a server it passed: the hops of the cycle.
    Loop,
}

/// Every declared DNS server by address.
pub struct Resolvers<'g> {
    by_ip: HashMap<Ipv4Addr, &'g Resource>,
    onprem_ranges: Vec<(ipnet::Ipv4Net, &'g Resource)>,
}

impl<'g> Resolvers<'g> {
    pub fn new(t: &Topology<'g>) -> Self {
        let mut by_ip = HashMap::new();
        let mut onprem_ranges = Vec::new();
        for r in t.graph.sorted() {
            let list = match r.kind() {
                Kind::Hub => "dns_resolver_ips",
                Kind::Onprem => {
                    onprem_ranges.extend(util::cidrs_quiet(r, "address_space").into_iter().map(|(_, n)| (n, r)));
                    "dns_servers"
                }
                _ => continue,
            };
            for s in r.get(list).strings() {
                if let Ok(ip) = net::parse_ip(s) {
                    by_ip.entry(ip).or_insert(r);
                }
            }
        }
        Resolvers { by_ip, onprem_ranges }
    }

    /// The declared server at `ip`: a listed resolver or DNS server, else
    /// an address inside an on-premises range (its DNS rules are the site's).
    pub fn server(&self, ip: Ipv4Addr) -> Option<Server<'g>> {
        self.by_ip
            .get(&ip)
            .copied()
            .or_else(|| {
                self.onprem_ranges
                    .iter()
                    .find(|(n, _)| n.contains(&ip))
                    .map(|(_, r)| *r)
            })
            .map(|owner| Server { ip, owner })
    }

    /// Follows `name` from the server at `ip` through the first target of
    /// each forwarder; returns the hops and the end.
    pub fn walk(&self, name: &str, ip: Ipv4Addr) -> (Vec<Hop<'g>>, End<'g>) {
        let mut hops: Vec<Hop<'g>> = Vec::new();
        let mut at = ip;
        loop {
            if at.to_string() == AZURE_DNS {
                let end = match hops.last() {
                    None => End::AzureHere,
                    Some(h) if h.server.owner.kind() == Kind::Onprem => End::AzureFromOnprem(h.server),
                    Some(h) => End::Hub(h.server),
                };
                return (hops, end);
            }
            let Some(server) = self.server(at) else {
                return (hops, End::Undeclared(at));
            };
            if let Some(prev) = hops.last().map(|h| h.server) {
                let from_site = prev.owner.kind() == Kind::Onprem && server.owner.kind() == Kind::Hub;
                if from_site && server.owner.str("gateway").is_some_and(|g| g == "none") {
                    return (hops, End::HubOutOfReach(prev, server));
                }
            }
            if hops.iter().any(|h| h.server.owner.address == server.owner.address) {
                return (hops, End::Loop);
            }
            let next = dns_path::forwarder_for(server.owner, name)
                .and_then(|(i, _, targets)| Some((i, net::parse_ip(targets.first()?).ok()?)));
            match next {
                Some((i, target)) => {
                    hops.push(Hop { server, forwarder: i });
                    at = target;
                }
                None if server.owner.kind() == Kind::Hub => return (hops, End::Hub(server)),
                None => return (hops, End::Recursive(server)),
            }
        }
    }

    /// Every forwarding cycle for `zone` reachable from the server at
    /// `ip`, following every target: each cycle as its hops, in order.
    pub fn cycles(&self, zone: &str, ip: Ipv4Addr) -> Vec<Vec<Hop<'g>>> {
        let mut out = Vec::new();
        let mut stack = Vec::new();
        self.dfs(zone, ip, &mut stack, &mut out, 0);
        out
    }

    fn dfs(&self, zone: &str, ip: Ipv4Addr, stack: &mut Vec<Hop<'g>>, out: &mut Vec<Vec<Hop<'g>>>, depth: usize) {
        // Declarations are few; the depth bound keeps a hostile graph cheap.
        if depth > 64 {
            return;
        }
        let Some(server) = self.server(ip) else { return };
        if let Some(pos) = stack
            .iter()
            .position(|h| h.server.owner.address == server.owner.address)
        {
            out.push(stack[pos..].to_vec());
            return;
        }
        let Some((i, _, targets)) = dns_path::forwarder_for(server.owner, zone) else {
            return;
        };
        stack.push(Hop { server, forwarder: i });
        for t in targets.iter().filter_map(|t| net::parse_ip(t).ok()) {
            self.dfs(zone, t, stack, out, depth + 1);
        }
        stack.pop();
    }
}

/// A server as messages name it: `10.1.0.4 (onprem.corp)`.
pub fn describe(s: &Server) -> String {
    format!("{} ({})", s.ip, s.owner.address)
}
