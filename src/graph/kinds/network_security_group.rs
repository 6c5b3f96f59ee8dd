//! `network_security_group`: an Azure NSG attached to a subnet of a cluster
//! network (by default its node subnet), as the guide asks ("Network
//! Security must be applied at the subnet level"). Its rules, and
//! [`evaluate`]: what Azure decides for one packet, which the flow checks
//! build on.

use super::util;
use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::net;
use crate::graph::packet::{Direction, Packet, Protocol};
use crate::graph::schema::{Attribute, Attrs, Block, Schema};
use crate::graph::value::{AttrPath, Type, Value};
use crate::graph::{Ctx, Kind, Resource};
use ipnet::Ipv4Net;
use std::collections::HashMap;
use std::net::Ipv4Addr;

/// Azure's bounds on a user rule's priority (lower numbers win).
pub const PRIORITIES: std::ops::RangeInclusive<i64> = 100..=4096;
/// Rules one NSG holds (Azure's limit per NSG).
pub const MAX_RULES: usize = 1000;
/// The service tags a prefix may name, besides `*`.
pub const SERVICE_TAGS: [&str; 3] = ["VirtualNetwork", "Internet", "AzureLoadBalancer"];
/// Where Azure's load-balancer health probes (and the platform) come from:
/// what the `AzureLoadBalancer` tag stands for.
pub const AZURE_PLATFORM_IP: Ipv4Addr = Ipv4Addr::new(168, 63, 129, 16);

pub fn schema() -> Schema {
    Schema {
        kind: Kind::NetworkSecurityGroup,
        version: 0,
        description: "An Azure network security group attached to a subnet of a cluster network (by default its node subnet): security at the subnet level. Rules are evaluated as Azure does: rules of the packet's direction by priority (lowest number first), first match wins, then Azure's default rules (`AllowVnetInBound` 65000, `AllowAzureLoadBalancerInBound` 65001, `DenyAllInBound` 65500; `AllowVnetOutBound`, `AllowInternetOutBound`, `DenyAllOutBound`). Rules change in place; the NSG stays.",
        attrs: vec![
            Attribute::required("name", Type::String, "Name of the network security group.").replace(),
            Attribute::required("resource_group_name", Type::String, "Resource group of the network security group.").replace(),
            Attribute::required("location", Type::String, "Azure region, e.g. `westeurope` (the cluster network's).").replace(),
            Attribute::required("cluster_network_id", Type::String, "ID of the `hybridk8s_cluster_network` whose subnet the NSG is attached to. Changed in place (the association moves)."),
            Attribute::optional_computed("subnet_name", Type::String, "Subnet of the cluster network the NSG is attached to. Defaults to the cluster's node subnet. A subnet holds at most one NSG."),
            Attribute::optional("tags", Type::map(Type::String), "Azure tags of the NSG, beside the owner tags hybridk8s keeps on it (names starting `hybridk8s-` are reserved). Changed in place.").default(Value::Map(Default::default())).max_items(util::MAX_USER_TAGS),
            Attribute::computed("id", Type::String, "Azure resource ID of the NSG: `/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Network/networkSecurityGroups/<name>`."),
        ],
        blocks: vec![rule_block(), super::timeouts::block()],
    }
}

fn rule_block() -> Block {
    let any = || Value::List(vec![Value::str("*")]);
    Block {
        name: "rule",
        description: "Security rules, at most 1,000. Priorities are unique per direction and lie in 100..=4096; names are unique.",
        attrs: vec![
            Attribute::required("name", Type::String, "Rule name, unique in the NSG."),
            Attribute::required("priority", Type::Number, "100 to 4096; the lowest number is evaluated first."),
            Attribute::required("direction", Type::String, "`inbound` or `outbound`."),
            Attribute::required("access", Type::String, "`allow` or `deny`."),
            Attribute::optional("protocol", Type::String, "`tcp`, `udp`, `icmp`, or `any` / `*`.").default(Value::str("*")),
            Attribute::optional("source_port_ranges", Type::list(Type::String), "Source ports: `443`, `8000-8080` or `*`. Packets carry no source port here: a rule narrowed by source port never matches in hybridk8s's evaluation.").default(any()),
            Attribute::optional("destination_port_ranges", Type::list(Type::String), "Destination ports: `443`, `8000-8080` or `*`.").default(any()),
            Attribute::optional("source_address_prefixes", Type::list(Type::String), "Source CIDRs, single IPs, or the service tags `VirtualNetwork`, `Internet`, `AzureLoadBalancer`, `*`.").default(any()),
            Attribute::optional("destination_address_prefixes", Type::list(Type::String), "Destination CIDRs, single IPs, or the service tags `VirtualNetwork`, `Internet`, `AzureLoadBalancer`, `*`.").default(any()),
            Attribute::optional("description", Type::String, "What the rule is for."),
        ],
        min_items: 0,
        max_items: MAX_RULES,
        requires_replace: false,
    }
}

/// Azure's ID of a top-level network resource (`networkSecurityGroups`, `routeTables`).
pub fn network_resource_id(ctx: &Ctx, resource_group: &str, plural: &str, name: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{resource_group}/providers/Microsoft.Network/{plural}/{name}",
        ctx.subscription_id
    )
}

/// `id` from name and resource group; `subnet_name` known only from the
/// cluster (the DSL fills it in, the fabric reports it otherwise).
pub fn compute_attached(attrs: &mut Attrs, ctx: &Ctx, plural: &str) {
    util::set_computed(attrs, "id", &["name", "resource_group_name"], |a| {
        match (util::s(a, "name"), util::s(a, "resource_group_name")) {
            (Some(n), Some(rg)) => Value::str(network_resource_id(ctx, rg, plural, n)),
            _ => Value::Null,
        }
    });
    util::reported(attrs, "subnet_name");
}

pub fn compute(attrs: &mut Attrs, ctx: &Ctx) {
    compute_attached(attrs, ctx, "networkSecurityGroups");
}

/// Keeps the subnet an existing NSG (or route table) is attached to when
/// the configuration leaves `subnet_name` out (it stays the node subnet).
pub fn settle(_: &crate::graph::Address, prior: &Attrs, config: &Attrs, planned: &mut Attrs, _: &mut Diagnostics) {
    if config.get("subnet_name").is_none_or(Value::is_null) && planned.get("subnet_name").is_some_and(Value::is_unknown)
    {
        if let Some(v) = prior.get("subnet_name").filter(|v| v.as_str().is_some()) {
            planned.insert("subnet_name".into(), v.clone());
        }
    }
}

/// An address prefix of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefix {
    Any,
    VirtualNetwork,
    Internet,
    AzureLoadBalancer,
    Net(Ipv4Net),
}

impl Prefix {
    /// `*`, a service tag (any case), a CIDR or a single IP.
    pub fn parse(s: &str) -> Result<Prefix, String> {
        if s == "*" {
            return Ok(Prefix::Any);
        }
        for (tag, p) in SERVICE_TAGS
            .iter()
            .zip([Prefix::VirtualNetwork, Prefix::Internet, Prefix::AzureLoadBalancer])
        {
            if s.eq_ignore_ascii_case(tag) {
                return Ok(p);
            }
        }
        if s.contains('/') {
            return net::parse_cidr(s).map(Prefix::Net);
        }
        net::parse_ip(s).map(|ip| Prefix::Net(Ipv4Net::from(ip))).map_err(|_| {
            format!(
                "`{s}` is not a CIDR, an IP, `*` or one of the service tags {}",
                SERVICE_TAGS.join(", ")
            )
        })
    }

    /// Whether the prefix covers `ip`; `virtual_network` is what the
    /// `VirtualNetwork` tag stands for.
    pub fn matches(self, ip: Ipv4Addr, virtual_network: &[Ipv4Net]) -> bool {
        match self {
            Prefix::Any => true,
            Prefix::VirtualNetwork => virtual_network.iter().any(|n| n.contains(&ip)),
            Prefix::Internet => is_internet(ip, virtual_network),
            Prefix::AzureLoadBalancer => ip == AZURE_PLATFORM_IP,
            Prefix::Net(n) => n.contains(&ip),
        }
    }
}

/// The `Internet` tag, kept simple: an address outside the virtual network
/// that is not private (RFC 1918), shared (100.64.0.0/10), loopback,
/// link-local, "this network" (0.0.0.0/8), multicast or reserved (224/3),
/// and not Azure's platform address 168.63.129.16.
pub fn is_internet(ip: Ipv4Addr, virtual_network: &[Ipv4Net]) -> bool {
    const NOT: [(u8, u8, u8, u8, u8); 8] = [
        (10, 0, 0, 0, 8),
        (172, 16, 0, 0, 12),
        (192, 168, 0, 0, 16),
        (100, 64, 0, 0, 10),
        (127, 0, 0, 0, 8),
        (169, 254, 0, 0, 16),
        (0, 0, 0, 0, 8),
        (224, 0, 0, 0, 3),
    ];
    let special = NOT
        .iter()
        .any(|&(a, b, c, d, p)| Ipv4Net::new(Ipv4Addr::new(a, b, c, d), p).is_ok_and(|n| n.contains(&ip)));
    !special && ip != AZURE_PLATFORM_IP && !virtual_network.iter().any(|n| n.contains(&ip))
}

/// A port range of a rule, inclusive (`*` is 0-65535).
pub fn parse_ports(s: &str) -> Result<(u16, u16), String> {
    if s == "*" {
        return Ok((0, u16::MAX));
    }
    let num = |p: &str| {
        p.trim()
            .parse::<u16>()
            .map_err(|_| format!("`{s}` is not a port (0-65535), a range like `8000-8080`, or `*`"))
    };
    let (lo, hi) = match s.split_once('-') {
        Some((a, b)) => (num(a)?, num(b)?),
        None => (num(s)?, num(s)?),
    };
    if lo > hi {
        return Err(format!("port range `{s}` starts after it ends"));
    }
    Ok((lo, hi))
}

/// One rule, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NsgRule {
    pub name: String,
    pub priority: u32,
    pub direction: Direction,
    pub allow: bool,
    pub protocol: Protocol,
    pub source_ports: Vec<(u16, u16)>,
    pub destination_ports: Vec<(u16, u16)>,
    pub sources: Vec<Prefix>,
    pub destinations: Vec<Prefix>,
}

impl NsgRule {
    fn new(name: &str, priority: u32, direction: Direction, allow: bool, src: Prefix, dst: Prefix) -> Self {
        NsgRule {
            name: name.into(),
            priority,
            direction,
            allow,
            protocol: Protocol::Any,
            source_ports: vec![(0, u16::MAX)],
            destination_ports: vec![(0, u16::MAX)],
            sources: vec![src],
            destinations: vec![dst],
        }
    }

    /// Whether the rule applies to the packet (its direction aside).
    pub fn matches(&self, p: &Packet, virtual_network: &[Ipv4Net]) -> bool {
        let all = |r: &[(u16, u16)]| r.iter().any(|&(lo, hi)| lo == 0 && hi == u16::MAX);
        let port_ok = match p.dst_port {
            Some(port) => self.destination_ports.iter().any(|&(lo, hi)| (lo..=hi).contains(&port)),
            None => all(&self.destination_ports),
        };
        self.protocol.covers(p.protocol)
            && all(&self.source_ports)
            && port_ok
            && self.sources.iter().any(|s| s.matches(p.src, virtual_network))
            && self.destinations.iter().any(|d| d.matches(p.dst, virtual_network))
    }
}

/// Azure's default rules of a direction, in priority order.
pub fn default_rules(direction: Direction) -> Vec<NsgRule> {
    use Prefix::*;
    match direction {
        Direction::Inbound => vec![
            NsgRule::new(
                "AllowVnetInBound",
                65000,
                direction,
                true,
                VirtualNetwork,
                VirtualNetwork,
            ),
            NsgRule::new(
                "AllowAzureLoadBalancerInBound",
                65001,
                direction,
                true,
                AzureLoadBalancer,
                Any,
            ),
            NsgRule::new("DenyAllInBound", 65500, direction, false, Any, Any),
        ],
        Direction::Outbound => vec![
            NsgRule::new(
                "AllowVnetOutBound",
                65000,
                direction,
                true,
                VirtualNetwork,
                VirtualNetwork,
            ),
            NsgRule::new("AllowInternetOutBound", 65001, direction, true, Any, Internet),
            NsgRule::new("DenyAllOutBound", 65500, direction, false, Any, Any),
        ],
    }
}

fn direction_of(s: &str) -> Option<Direction> {
    match s.to_ascii_lowercase().as_str() {
        "inbound" => Some(Direction::Inbound),
        "outbound" => Some(Direction::Outbound),
        _ => None,
    }
}

fn access_of(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "allow" => Some(true),
        "deny" => Some(false),
        _ => None,
    }
}

fn strings(m: &std::collections::BTreeMap<String, Value>, k: &str) -> Vec<String> {
    m.get(k)
        .map(|v| v.strings().into_iter().map(str::to_string).collect())
        .unwrap_or_default()
}

/// The user rules of an NSG that parse, with their index in `rule`, sorted
/// by priority (invalid ones are left out: the rules report them).
pub fn user_rules(nsg: &Resource) -> Vec<(usize, NsgRule)> {
    let mut out = Vec::new();
    for (i, item) in nsg.get("rule").as_list().unwrap_or(&[]).iter().enumerate() {
        let Some(m) = item.as_map() else { continue };
        let s = |k: &str| m.get(k).and_then(Value::as_str);
        let parsed = (|| {
            let ports = |k| {
                strings(m, k)
                    .iter()
                    .map(|p| parse_ports(p))
                    .collect::<Result<Vec<_>, _>>()
                    .ok()
            };
            let prefixes = |k| {
                strings(m, k)
                    .iter()
                    .map(|p| Prefix::parse(p))
                    .collect::<Result<Vec<_>, _>>()
                    .ok()
            };
            Some(NsgRule {
                name: s("name")?.to_string(),
                priority: u32::try_from(m.get("priority")?.as_i64()?).ok()?,
                direction: direction_of(s("direction")?)?,
                allow: access_of(s("access")?)?,
                protocol: Protocol::parse(s("protocol").unwrap_or("*"))?,
                source_ports: ports("source_port_ranges")?,
                destination_ports: ports("destination_port_ranges")?,
                sources: prefixes("source_address_prefixes")?,
                destinations: prefixes("destination_address_prefixes")?,
            })
        })();
        if let Some(r) = parsed {
            out.push((i, r));
        }
    }
    out.sort_by_key(|(i, r)| (r.priority, *i));
    out
}

/// What Azure decides for a packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// The rule that decided (a user rule's name, or a default rule's).
    pub rule: String,
    pub priority: u32,
}

/// Azure's evaluation of one packet crossing the NSG in `direction`: the
/// user rules of that direction by priority, first match wins, then the
/// default rules. `virtual_network` is what the `VirtualNetwork` tag
/// stands for: the VNET, the peered VNETs and the on-premises ranges
/// reached through a gateway.
pub fn evaluate(nsg: &Resource, direction: Direction, packet: &Packet, virtual_network: &[Ipv4Net]) -> Decision {
    let users = user_rules(nsg).into_iter().map(|(_, r)| r);
    evaluate_rules(users, direction, packet, virtual_network)
}

/// [`evaluate`] over parsed rules (any order; sorted here).
pub fn evaluate_rules(
    rules: impl IntoIterator<Item = NsgRule>,
    direction: Direction,
    packet: &Packet,
    virtual_network: &[Ipv4Net],
) -> Decision {
    let mut mine: Vec<NsgRule> = rules.into_iter().filter(|r| r.direction == direction).collect();
    mine.sort_by_key(|r| r.priority);
    mine.into_iter()
        .chain(default_rules(direction))
        .find(|r| r.matches(packet, virtual_network))
        .map_or(
            Decision {
                allowed: false,
                rule: "DenyAll".into(),
                priority: 65500,
            },
            |r| Decision {
                allowed: r.allow,
                rule: r.name,
                priority: r.priority,
            },
        )
}

pub fn rules(r: &Resource, d: &mut Diagnostics) {
    util::tag_rules(r, d);
    let items = r.get("rule").as_list().unwrap_or(&[]);
    let mut names: HashMap<&str, usize> = HashMap::new();
    let mut priorities: HashMap<(Direction, i64), (usize, &str)> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let Some(m) = item.as_map() else { continue };
        let base = AttrPath::attr("rule").index(i);
        let s = |k: &str| m.get(k).and_then(Value::as_str);
        let name = s("name").unwrap_or_default();
        if let Some(first) = names.insert(name, i).filter(|_| !name.is_empty()) {
            d.push(
                Diagnostic::error("nsg-duplicate-rule-name", format!("rule name `{name}` is used twice"))
                    .at(&r.address, base.clone().then("name"))
                    .related(
                        &r.address,
                        AttrPath::attr("rule").index(first).then("name"),
                        "first used here",
                    )
                    .hint("every rule of a network security group needs its own name"),
            );
        }
        let direction = s("direction").map(|v| (v, direction_of(v)));
        if let Some((v, None)) = direction {
            d.push(invalid(
                r,
                base.clone().then("direction"),
                "direction",
                v,
                &["inbound", "outbound"],
            ));
        }
        if let Some(v) = s("access").filter(|v| access_of(v).is_none()) {
            d.push(invalid(r, base.clone().then("access"), "access", v, &["allow", "deny"]));
        }
        if let Some(v) = s("protocol").filter(|v| Protocol::parse(v).is_none()) {
            d.push(invalid(
                r,
                base.clone().then("protocol"),
                "protocol",
                v,
                &Protocol::NAMES,
            ));
        }
        if let Some(p) = m.get("priority").and_then(Value::as_i64) {
            if !PRIORITIES.contains(&p) {
                d.push(
                    Diagnostic::error("nsg-priority-out-of-range", format!("rule `{name}` has priority {p}; Azure takes 100 to 4096"))
                        .at(&r.address, base.clone().then("priority"))
                        .hint("pick a priority between 100 and 4096 (lower numbers are evaluated first; 65000 and up are Azure's default rules)"),
                );
            } else if let Some((_, Some(dir))) = direction {
                if let Some((first, other)) = priorities.insert((dir, p), (i, name)) {
                    d.push(
                        Diagnostic::error(
                            "nsg-duplicate-priority",
                            format!(
                                "rules `{other}` and `{name}` both have {} priority {p}",
                                s("direction").unwrap_or_default()
                            ),
                        )
                        .at(&r.address, base.clone().then("priority"))
                        .related(
                            &r.address,
                            AttrPath::attr("rule").index(first).then("priority"),
                            "the same priority here",
                        )
                        .hint("priorities are unique per direction: give one of them another number"),
                    );
                }
            }
        }
        for k in ["source_port_ranges", "destination_port_ranges"] {
            let list = strings(m, k);
            // Unknown items (an address known after apply) are not missing.
            if m.get(k).and_then(|v| v.as_list()).is_some_and(|l| l.is_empty()) {
                d.push(
                    Diagnostic::error("nsg-invalid-port-range", format!("rule `{name}`: `{k}` is empty"))
                        .at(&r.address, base.clone().then(k))
                        .hint("write `[\"*\"]` for every port"),
                );
            }
            for (j, p) in list.iter().enumerate() {
                if let Err(e) = parse_ports(p) {
                    d.push(
                        Diagnostic::error("nsg-invalid-port-range", format!("rule `{name}`: {e}"))
                            .at(&r.address, base.clone().then(k).index(j))
                            .hint("a port is 0-65535; write `443`, `8000-8080` or `*`"),
                    );
                }
            }
        }
        for k in ["source_address_prefixes", "destination_address_prefixes"] {
            let list = strings(m, k);
            // Unknown items (an address known after apply) are not missing.
            if m.get(k).and_then(|v| v.as_list()).is_some_and(|l| l.is_empty()) {
                d.push(
                    Diagnostic::error("nsg-invalid-address-prefix", format!("rule `{name}`: `{k}` is empty"))
                        .at(&r.address, base.clone().then(k))
                        .hint("write `[\"*\"]` for any address"),
                );
            }
            for (j, p) in list.iter().enumerate() {
                if let Err(e) = Prefix::parse(p) {
                    d.push(
                        Diagnostic::error("nsg-invalid-address-prefix", format!("rule `{name}`: {e}"))
                            .at(&r.address, base.clone().then(k).index(j))
                            .hint("write a CIDR (`10.1.0.0/16`), an IP, `*`, or `VirtualNetwork`, `Internet`, `AzureLoadBalancer`"),
                    );
                }
            }
        }
    }
}

/// `invalid-value` for a closed set of names inside a block item.
pub(crate) fn invalid(r: &Resource, path: AttrPath, name: &str, v: &str, allowed: &[&str]) -> Diagnostic {
    let mut diag = Diagnostic::error(
        "invalid-value",
        format!("`{name}` is `{v}`; expected one of {}", allowed.join(", ")),
    )
    .at(&r.address, path);
    if let Some(c) = crate::graph::schema::closest(v, allowed) {
        diag = diag.hint(format!("did you mean `{c}`?"));
    }
    diag
}

#[cfg(test)]
#[path = "network_security_group_tests.rs"]
mod tests;
