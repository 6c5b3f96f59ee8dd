//! What `hub` and `onprem` declare about name resolution, so that the rules
//! can follow a name from a VNET's DNS servers to the server that answers
//! it: the hub's DNS resolvers (an Azure DNS Private Resolver inbound
//! endpoint or DNS VMs, which forward to Azure's 168.63.129.16), the private
//! DNS zones linked to the hub VNET, and conditional forwarders (a zone and
//! the servers it is sent to) on either side.

use super::cluster_private::{self, AZURE_DNS};
use super::util;
use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::schema::{Attribute, Block};
use crate::graph::value::{AttrPath, Type, Value};
use crate::graph::{Kind, Resource};
use std::collections::HashMap;

/// The attributes a hub adds: its resolvers and linked private zones.
pub fn hub_attrs() -> Vec<Attribute> {
    vec![
        Attribute::optional("dns_resolver_ips", Type::list(Type::Ip), "DNS resolvers in the hub VNET (an Azure DNS Private Resolver inbound endpoint, or DNS VMs) that answer from Azure DNS (168.63.129.16) as seen from the hub: the private DNS zones linked to the hub. On-premises DNS forwards Azure zones (`privatelink.*`, `azmk8s.io`) to them.").default(Value::List(vec![])),
        Attribute::optional("private_dns_zone_ids", Type::list(Type::String), "Private DNS zones linked to the hub VNET (virtual network links), as zone IDs; the hub's resolvers answer for them.").default(Value::List(vec![])),
    ]
}

/// Conditional forwarders: on `onprem` those of its DNS servers, on `hub`
/// the forwarding ruleset of its resolvers (names outside every rule go to
/// 168.63.129.16).
pub fn forwarders_block() -> Block {
    Block {
        name: "dns_forwarders",
        description: "Conditional forwarders: names in `zone` (and below) are sent to `targets`, in order. On `onprem` they are the rules of its DNS servers; on `hub` the forwarding ruleset of its `dns_resolver_ips` (other names go to Azure DNS, 168.63.129.16).",
        attrs: vec![
            Attribute::required("zone", Type::String, "DNS zone, e.g. `privatelink.westeurope.azmk8s.io` or `my-company.local`."),
            Attribute::required("targets", Type::list(Type::Ip), "Servers the zone is forwarded to, e.g. the hub's `dns_resolver_ips`."),
        ],
        min_items: 0,
        max_items: 0,
        requires_replace: false,
    }
}

/// A zone as the rules compare it: lowercase, no trailing dot.
pub fn zone_key(z: &str) -> String {
    z.trim_end_matches('.').to_ascii_lowercase()
}

/// Whether `name` is `zone` or inside it.
pub fn in_zone(name: &str, zone: &str) -> bool {
    name == zone || name.ends_with(&format!(".{zone}"))
}

/// The `dns_forwarders` items of a resource: `(index, zone, targets)`.
pub fn forwarders(r: &Resource) -> Vec<(usize, String, Vec<String>)> {
    r.get("dns_forwarders")
        .as_list()
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            let m = item.as_map()?;
            let zone = zone_key(m.get("zone")?.as_str()?);
            let targets = m
                .get("targets")
                .map(|t| t.strings().into_iter().map(str::to_string).collect())
                .unwrap_or_default();
            Some((i, zone, targets))
        })
        .collect()
}

/// The forwarder of `r` that decides `name`: the longest matching zone.
pub fn forwarder_for(r: &Resource, name: &str) -> Option<(usize, String, Vec<String>)> {
    forwarders(r)
        .into_iter()
        .filter(|(_, z, _)| in_zone(name, z))
        .max_by_key(|(_, z, _)| z.len())
}

/// Rules of the `dns_forwarders` block, on `hub` and `onprem`.
pub fn forwarder_rules(r: &Resource, d: &mut Diagnostics) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, zone, targets) in forwarders(r) {
        let item = AttrPath::attr("dns_forwarders").index(i);
        if !util::is_dns1123_subdomain(&zone) {
            d.push(
                Diagnostic::error(
                    "invalid-domain",
                    format!("forwarded zone `{zone}` is not a DNS domain (labels of a-z, 0-9 and -)"),
                )
                .at(&r.address, item.clone().then("zone")),
            );
        }
        if let Some(first) = seen.insert(zone.clone(), i) {
            d.push(
                Diagnostic::error(
                    "duplicate-dns-forwarder",
                    format!("zone `{zone}` is forwarded twice by {}", r.address),
                )
                .at(&r.address, item.clone().then("zone"))
                .related(
                    &r.address,
                    AttrPath::attr("dns_forwarders").index(first).then("zone"),
                    "first forwarder",
                )
                .hint("a DNS server has one conditional forwarder per zone: merge the targets"),
            );
        }
        let declared = r
            .get("dns_forwarders")
            .as_list()
            .and_then(|l| l.get(i))
            .and_then(Value::as_map)
            .and_then(|m| m.get("targets"));
        if targets.is_empty() && !declared.is_some_and(Value::is_unknown) {
            d.push(
                Diagnostic::error(
                    "empty-dns-forwarder",
                    format!("zone `{zone}` is forwarded to no server"),
                )
                .at(&r.address, item.clone().then("targets"))
                .hint("name the servers that answer the zone, e.g. the hub's dns_resolver_ips"),
            );
        }
        if r.kind() == Kind::Onprem {
            for (t, target) in targets.iter().enumerate() {
                if target == AZURE_DNS {
                    d.push(
                        Diagnostic::error(
                            "forwarder-to-azure-dns",
                            format!("on-premises DNS forwards `{zone}` to {AZURE_DNS}, which answers only inside Azure virtual networks"),
                        )
                        .at(&r.address, item.clone().then("targets").index(t))
                        .hint("forward the zone to a resolver in the hub (the hub's dns_resolver_ips): it asks 168.63.129.16 from inside the hub VNET"),
                    );
                }
            }
        }
    }
}

/// Rules of the hub's resolvers and linked zones.
pub fn hub_rules(r: &Resource, d: &mut Diagnostics) {
    forwarder_rules(r, d);
    let space = util::cidrs_quiet(r, "address_space");
    for (i, ip) in util::ip_list(r, "dns_resolver_ips", d) {
        if !space.is_empty() && !space.iter().any(|(_, n)| n.contains(&ip)) {
            d.push(
                Diagnostic::error("dns-resolver-outside-hub", format!("DNS resolver {ip} is not inside the address space of {}", r.address))
                    .at(&r.address, AttrPath::attr("dns_resolver_ips").index(i))
                    .hint("the resolver must sit in the hub VNET (e.g. the inbound endpoint's subnet) to ask 168.63.129.16 as the hub"),
            );
        }
    }
    for (i, id) in r.get("private_dns_zone_ids").strings().into_iter().enumerate() {
        if !matches!(
            cluster_private::parse_zone(id),
            Ok(cluster_private::Zone::Custom { .. })
        ) {
            d.push(
                Diagnostic::error(
                    "invalid-private-dns-zone",
                    format!("`{id}` is not a private DNS zone ID"),
                )
                .at(&r.address, AttrPath::attr("private_dns_zone_ids").index(i))
                .hint("/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/privateDnsZones/<zone>"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_contain_names() {
        assert!(in_zone("privatelink.westeurope.azmk8s.io", "azmk8s.io"));
        assert!(in_zone("azmk8s.io", "azmk8s.io"));
        assert!(!in_zone("xazmk8s.io", "azmk8s.io"));
        assert_eq!(zone_key("Corp.Local."), "corp.local");
    }
}
