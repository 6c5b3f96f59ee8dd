//! Azure's naming rules for the objects hybridk8s creates (resource groups,
//! virtual networks, subnets, peerings) and the region of every network,
//! checked at plan for every backend: a name Azure would refuse is an error
//! here, so that a name holding `/`, a space or `?` never becomes part of
//! a resource ID sent anywhere.
//!
//! Sources: Microsoft's "Naming rules and restrictions for Azure resources"
//! (Microsoft.Resources/resourcegroups, Microsoft.Network/virtualNetworks,
//! …/subnets, …/virtualNetworkPeerings).

use super::{Needs, Topology};
use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::kinds::hub::GATEWAY_SUBNET;
use crate::graph::regions::{self, Lookup};
use crate::graph::value::{AttrPath, Value};
use crate::graph::{Kind, Resource};

/// What each code of this file needs to hold on part of a graph: each
/// looks at one resource only.
pub(super) const RULES: &[(&str, Needs)] = &[
    ("invalid-name", Needs::Named),
    ("reserved-subnet-name", Needs::Named),
    ("unknown-region", Needs::Named),
    ("region-spelling", Needs::Named),
];

/// One kind of Azure name and its rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    ResourceGroup,
    VirtualNetwork,
    Subnet,
    Peering,
}

impl NameRule {
    /// What the name is, in messages.
    pub fn noun(self) -> &'static str {
        match self {
            NameRule::ResourceGroup => "resource group name",
            NameRule::VirtualNetwork => "virtual network name",
            NameRule::Subnet => "subnet name",
            NameRule::Peering => "peering name",
        }
    }

    /// Allowed length in characters.
    pub fn length(self) -> (usize, usize) {
        match self {
            NameRule::ResourceGroup => (1, 90),
            NameRule::VirtualNetwork => (2, 64),
            NameRule::Subnet | NameRule::Peering => (1, 80),
        }
    }

    fn allowed(self, c: char) -> bool {
        match self {
            // Unicode letters and digits are allowed in resource group names.
            NameRule::ResourceGroup => c.is_alphanumeric() || matches!(c, '_' | '(' | ')' | '-' | '.'),
            _ => c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'),
        }
    }

    fn charset(self) -> &'static str {
        match self {
            NameRule::ResourceGroup => "letters, digits, `_`, `(`, `)`, `-` and `.`",
            _ => "ASCII letters, digits, `_`, `.` and `-`",
        }
    }

    /// The first rule `name` breaks, as the end of a sentence that starts
    /// with the name.
    pub fn broken(self, name: &str) -> Option<String> {
        let (min, max) = self.length();
        let len = name.chars().count();
        if len < min || len > max {
            return Some(format!(
                "is {len} character{} long: Azure allows {min} to {max}",
                if len == 1 { "" } else { "s" }
            ));
        }
        if let Some(c) = name.chars().find(|c| !self.allowed(*c)) {
            return Some(format!("holds {}: Azure allows only {}", shown(c), self.charset()));
        }
        let first = name.chars().next()?;
        let last = name.chars().last()?;
        match self {
            NameRule::ResourceGroup if last == '.' => Some("ends with `.`: Azure does not allow that".to_string()),
            NameRule::ResourceGroup => None,
            _ if !first.is_ascii_alphanumeric() => Some(format!(
                "starts with {}: it must start with a letter or a digit",
                shown(first)
            )),
            _ if !(last.is_ascii_alphanumeric() || last == '_') => Some(format!(
                "ends with {}: it must end with a letter, a digit or `_`",
                shown(last)
            )),
            _ => None,
        }
    }
}

/// A character as messages show it.
fn shown(c: char) -> String {
    match c {
        ' ' => "a space".to_string(),
        c if c.is_whitespace() || c.is_control() => format!("`{}`", c.escape_debug()),
        c => format!("`{c}`"),
    }
}

pub fn check(t: &Topology, d: &mut Diagnostics) {
    for r in t.graph.sorted() {
        match r.kind() {
            Kind::Hub => {
                network(r, d);
                subnets(r, false, d);
            }
            Kind::ClusterNetwork => {
                network(r, d);
                subnets(r, true, d);
                if let Some(n) = r.str("node_subnet_name") {
                    subnet(r, n, AttrPath::attr("node_subnet_name"), true, d);
                }
            }
            Kind::Peering => {
                for attr in ["name", "hub_peering_name"] {
                    if let Some(n) = r.str(attr) {
                        name(r, NameRule::Peering, n, AttrPath::attr(attr), d);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The names of a VNET looked up by name (the hub data source): errors at
/// `name` and `resource_group_name`, so that no ID is built from them otherwise.
pub fn check_lookup(r: &Resource) -> Diagnostics {
    let mut d = Diagnostics::default();
    if let Some(n) = r.str("name") {
        name(r, NameRule::VirtualNetwork, n, AttrPath::attr("name"), &mut d);
    }
    if let Some(n) = r.str("resource_group_name") {
        name(
            r,
            NameRule::ResourceGroup,
            n,
            AttrPath::attr("resource_group_name"),
            &mut d,
        );
    }
    d
}

/// The name, resource group and location of a VNET.
fn network(r: &Resource, d: &mut Diagnostics) {
    if let Some(n) = r.str("name") {
        name(r, NameRule::VirtualNetwork, n, AttrPath::attr("name"), d);
    }
    if let Some(n) = r.str("resource_group_name") {
        name(r, NameRule::ResourceGroup, n, AttrPath::attr("resource_group_name"), d);
    }
    if let Some(l) = r.str("location") {
        location(r, l, d);
    }
}

fn subnets(r: &Resource, reserved: bool, d: &mut Diagnostics) {
    for (i, item) in r.get("subnets").as_list().unwrap_or(&[]).iter().enumerate() {
        if let Some(n) = item.as_map().and_then(|m| m.get("name")).and_then(Value::as_str) {
            subnet(r, n, AttrPath::attr("subnets").index(i).then("name"), reserved, d);
        }
    }
}

/// A subnet name; `GatewaySubnet` is the hub's (a cluster network has no gateway).
fn subnet(r: &Resource, n: &str, path: AttrPath, reserved: bool, d: &mut Diagnostics) {
    if reserved && n.eq_ignore_ascii_case(GATEWAY_SUBNET) {
        d.push(
            Diagnostic::error(
                "reserved-subnet-name",
                format!(
                    "subnet name `{n}` is reserved for the gateway subnet of a hub; {} is a cluster network",
                    r.address
                ),
            )
            .at(&r.address, path)
            .hint("give the subnet another name; gateways belong in the hub"),
        );
        return;
    }
    name(r, NameRule::Subnet, n, path, d);
}

fn name(r: &Resource, rule: NameRule, n: &str, path: AttrPath, d: &mut Diagnostics) {
    let Some(broken) = rule.broken(n) else { return };
    let derived = r.kind() == Kind::Peering && defaults_of(r).iter().any(|d| d == n);
    let mut diag = Diagnostic::error("invalid-name", format!("{} `{n}` {broken}", rule.noun())).at(&r.address, path);
    diag = if derived {
        diag.hint("a peering's default name joins both network names (`<cluster>-to-<hub>`): set it explicitly")
    } else {
        diag.hint("rename it: Azure refuses the name, and it is part of the resource ID")
    };
    d.push(diag);
}

/// The names a peering gets when none is set: `<cluster>-to-<hub>` and
/// `<hub>-to-<cluster>`.
fn defaults_of(r: &Resource) -> Vec<String> {
    let last = |k: &str| r.str(k).and_then(|id| id.rsplit('/').next());
    match (last("cluster_network_id"), last("hub_id")) {
        (Some(c), Some(h)) => vec![format!("{c}-to-{h}"), format!("{h}-to-{c}")],
        _ => Vec::new(),
    }
}

fn location(r: &Resource, l: &str, d: &mut Diagnostics) {
    let path = AttrPath::attr("location");
    match regions::lookup(l) {
        Lookup::Known(_) => {}
        Lookup::Spelled(region) => d.push(
            Diagnostic::error(
                "region-spelling",
                format!("location `{l}` is region `{}` spelled another way", region.name),
            )
            .at(&r.address, path)
            .hint(format!(
                "write `{}`: Azure answers with that name, so `{l}` would read back as a change that replaces the network",
                region.name
            )),
        ),
        Lookup::Unknown { suggestion } => {
            let diag = Diagnostic::error("unknown-region", format!("location `{l}` is not an Azure region"))
                .at(&r.address, path);
            d.push(match suggestion {
                Some(s) => diag.hint(format!("did you mean `{s}`?")),
                None => diag.hint("use a region name such as `westeurope` (`az account list-locations -o table` lists them)"),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_table() {
        use NameRule::*;
        let cases: &[(NameRule, &str, Option<&str>)] = &[
            (ResourceGroup, "k8s-dev-rg", None),
            (ResourceGroup, "réseau_(prod).v1", None),
            (ResourceGroup, "rg.", Some("ends with `.`")),
            (ResourceGroup, "", Some("is 0 characters long")),
            (
                ResourceGroup,
                &"r".repeat(91),
                Some("is 91 characters long: Azure allows 1 to 90"),
            ),
            (ResourceGroup, "a/b", Some("holds `/`")),
            (VirtualNetwork, "k8s-dev-vnet", None),
            (VirtualNetwork, "a", Some("is 1 character long: Azure allows 2 to 64")),
            (VirtualNetwork, "my vnet", Some("holds a space")),
            (VirtualNetwork, "vnet?x", Some("holds `?`")),
            (VirtualNetwork, "-vnet", Some("starts with `-`")),
            (VirtualNetwork, "vnet.", Some("ends with `.`")),
            (VirtualNetwork, "vnet_", None),
            (VirtualNetwork, "réseau", Some("holds `é`")),
            (Subnet, "n", None),
            (Subnet, "_n", Some("starts with `_`")),
            (Subnet, &"s".repeat(81), Some("is 81 characters long")),
            (Peering, "aks-to-hub", None),
            (Peering, "aks-to-hub-", Some("ends with `-`")),
            (Peering, "tab\tname", Some("holds `\\t`")),
        ];
        for (rule, name, want) in cases {
            let got = rule.broken(name);
            match want {
                None => assert_eq!(got, None, "{rule:?} {name}"),
                Some(w) => assert!(
                    got.as_deref().is_some_and(|g| g.contains(w)),
                    "{rule:?} {name}: {got:?}"
                ),
            }
        }
    }
}
