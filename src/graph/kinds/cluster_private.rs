//! The private-cluster part of `cluster_network`: a private API server
//! (`private_cluster`, `private_dns_zone`, `disable_public_fqdn`) and API
//! server VNet integration, whose delegated subnet is a subnet of the
//! cluster VNET. Facts: AKS `private-clusters.md` and
//! `api-server-vnet-integration.md` (domain rules §8).

use super::util;
use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::net;
use crate::graph::schema::{Attribute, Attrs};
use crate::graph::value::{AttrPath, Type, Value};
use crate::graph::Resource;
use ipnet::Ipv4Net;

/// The service the API server subnet is delegated to.
pub const API_SERVER_DELEGATION: &str = "Microsoft.ContainerService/managedClusters";
/// The default name of the API server subnet.
pub const API_SERVER_SUBNET: &str = "apiserver";
/// The smallest API server subnet AKS takes.
pub const API_SERVER_MIN_PREFIX: u8 = 28;
/// The longest `<subzone>` label AKS accepts in a custom private zone.
pub const MAX_SUBZONE: usize = 32;
/// Azure's recursive resolver, reachable only from inside a VNET.
pub const AZURE_DNS: &str = "168.63.129.16";

/// The attributes this part adds to `cluster_network`.
pub fn attrs() -> Vec<Attribute> {
    vec![
        Attribute::optional("private_cluster", Type::Bool, "The API server has only a private endpoint (AKS private cluster): nodes and clients resolve its name through a private DNS zone.").default(Value::Bool(false)),
        Attribute::optional_computed("private_dns_zone", Type::String, "Private DNS zone of a private cluster: `system` (AKS makes one, linked to the cluster VNET only), `none` (a public FQDN that resolves to the private address), or a zone ID `/subscriptions/…/resourceGroups/…/providers/Microsoft.Network/privateDnsZones/<zone>` whose name is `privatelink.<location>.azmk8s.io` or `<subzone>.privatelink.<location>.azmk8s.io` (subzone at most 32 characters), or `private.<location>.azmk8s.io` with API server VNet integration. Defaults to `system` for a private cluster. With custom VNET DNS servers, the zone must be linked to a hub whose DNS resolver the servers forward it to."),
        Attribute::optional("disable_public_fqdn", Type::Bool, "No public FQDN for the private API server. Not with `private_dns_zone = \"none\"`, which has nothing else to resolve.").default(Value::Bool(false)),
        Attribute::optional("api_server_vnet_integration", Type::Bool, "API server VNet integration: the API server gets an internal load-balancer address in a subnet of the cluster VNET delegated to `Microsoft.ContainerService/managedClusters` (`api_server_subnet_cidr`, at least a /28).").default(Value::Bool(false)),
        Attribute::optional("api_server_subnet_name", Type::String, "Name of the delegated API server subnet.").default(Value::str(API_SERVER_SUBNET)),
        Attribute::optional("api_server_subnet_cidr", Type::Cidr, "Prefix of the API server subnet (at least a /28), inside the cluster VNET and overlapping no other subnet. Required with `api_server_vnet_integration`."),
        Attribute::computed("api_server_subnet_id", Type::String, "Azure resource ID of the API server subnet, with API server VNet integration."),
    ]
}

/// Derives the zone default and the API server subnet ID.
pub fn compute(attrs: &mut Attrs) {
    util::derive(attrs, "private_dns_zone", &["private_cluster"], |a| {
        if a.get("private_cluster").and_then(Value::as_bool) == Some(true) {
            Value::str("system")
        } else {
            Value::Null
        }
    });
    let inputs = ["id", "api_server_vnet_integration", "api_server_subnet_name"];
    util::set_computed(attrs, "api_server_subnet_id", &inputs, |a| {
        let on = a.get("api_server_vnet_integration").and_then(Value::as_bool) == Some(true);
        match (on, util::s(a, "id"), util::s(a, "api_server_subnet_name")) {
            (true, Some(id), Some(n)) => Value::str(format!("{id}/subnets/{n}")),
            _ => Value::Null,
        }
    });
}

/// What `private_dns_zone` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Zone {
    System,
    None,
    /// A zone the user brings: its ID and its name (lowercase).
    Custom {
        id: String,
        name: String,
    },
}

impl Zone {
    /// The zone's name where the cluster's location decides it.
    pub fn name(&self, location: &str) -> Option<String> {
        match self {
            Zone::System => Some(format!("privatelink.{}.azmk8s.io", region(location))),
            Zone::None => None,
            Zone::Custom { name, .. } => Some(name.clone()),
        }
    }
}

/// An Azure location as DNS names spell it (`West Europe` → `westeurope`).
pub fn region(location: &str) -> String {
    location
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Parses `system`, `none` or a private DNS zone ID.
pub fn parse_zone(s: &str) -> Result<Zone, String> {
    match s {
        "system" => return Ok(Zone::System),
        "none" => return Ok(Zone::None),
        _ => {}
    }
    let parts: Vec<&str> = s.split('/').collect();
    let ok = parts.len() == 9
        && parts[0].is_empty()
        && parts[1].eq_ignore_ascii_case("subscriptions")
        && !parts[2].is_empty()
        && parts[3].eq_ignore_ascii_case("resourceGroups")
        && !parts[4].is_empty()
        && parts[5].eq_ignore_ascii_case("providers")
        && parts[6].eq_ignore_ascii_case("Microsoft.Network")
        && parts[7].eq_ignore_ascii_case("privateDnsZones")
        && !parts[8].is_empty();
    if !ok {
        return Err(format!(
            "`private_dns_zone` is `{s}`; expected `system`, `none` or a private DNS zone ID (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/privateDnsZones/<zone>)"
        ));
    }
    Ok(Zone::Custom {
        id: s.to_string(),
        name: parts[8].to_ascii_lowercase(),
    })
}

/// Why a custom zone name does not suit a cluster in `location`, if it
/// does not. `vnet_integration` allows `private.<region>.azmk8s.io`.
pub fn zone_name_problem(name: &str, location: &str, vnet_integration: bool) -> Option<String> {
    let region = region(location);
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let privatelink = format!("privatelink.{region}.azmk8s.io");
    let private = format!("private.{region}.azmk8s.io");
    if name == privatelink {
        return None;
    }
    if name == private {
        return (!vnet_integration)
            .then(|| format!("zone `{name}` is for clusters with API server VNet integration; this cluster has none"));
    }
    if let Some(sub) = name.strip_suffix(&format!(".{privatelink}")) {
        let label = !sub.is_empty()
            && !sub.contains('.')
            && sub.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !sub.starts_with('-')
            && !sub.ends_with('-');
        if !label {
            return Some(format!("subzone `{sub}` of `{name}` is not one DNS label"));
        }
        if sub.len() > MAX_SUBZONE {
            return Some(format!(
                "subzone `{sub}` of `{name}` has {} characters; AKS takes at most {MAX_SUBZONE}",
                sub.len()
            ));
        }
        return None;
    }
    let other_region = name
        .strip_suffix(".azmk8s.io")
        .and_then(|rest| rest.rsplit_once('.'))
        .filter(|(head, _)| *head == "privatelink" || head.ends_with(".privatelink") || *head == "private");
    Some(match other_region {
        Some((_, r)) => format!("zone `{name}` is for region `{r}`; the cluster is in `{region}`"),
        None => format!("zone `{name}` is not an AKS private zone"),
    })
}

/// The API server subnet, when VNet integration is on and its prefix
/// parses: `(prefix, (path, name))` as the cluster's subnet rules take it.
pub fn subnets(r: &Resource) -> Vec<(Ipv4Net, (AttrPath, String))> {
    if r.bool("api_server_vnet_integration") != Some(true) {
        return Vec::new();
    }
    let name = r.str("api_server_subnet_name").unwrap_or(API_SERVER_SUBNET).to_string();
    util::cidr_quiet(r, "api_server_subnet_cidr")
        .map(|n| (n, (AttrPath::attr("api_server_subnet_cidr"), name)))
        .into_iter()
        .collect()
}

/// The rules of one cluster network's private-cluster settings. Whether the
/// API server subnet is inside the VNET and overlaps no sibling is checked
/// with the other subnets (`subnets`).
pub fn rules(r: &Resource, d: &mut Diagnostics) {
    let private = r.bool("private_cluster") == Some(true);
    let integration = r.bool("api_server_vnet_integration") == Some(true);
    let zone_path = AttrPath::attr("private_dns_zone");
    let zone = r.str("private_dns_zone").and_then(|s| match parse_zone(s) {
        Ok(z) => Some(z),
        Err(e) => {
            d.push(
                Diagnostic::error("invalid-private-dns-zone", e)
                    .at(&r.address, zone_path.clone())
                    .hint("write `system` to let AKS make the zone, or the ID of a zone named privatelink.<location>.azmk8s.io"),
            );
            None
        }
    });
    if !private && (zone.is_some() || r.bool("disable_public_fqdn") == Some(true)) {
        let at = if zone.is_some() {
            zone_path.clone()
        } else {
            AttrPath::attr("disable_public_fqdn")
        };
        d.push(
            Diagnostic::warning(
                "private-setting-unused",
                format!("{} is not a private cluster: `{}` has no effect", r.address, at),
            )
            .at(&r.address, at)
            .hint("set `private_cluster = true`, or remove the setting"),
        );
    }
    if let (true, Some(Zone::Custom { name, .. })) = (private, &zone) {
        let location = r.str("location").unwrap_or_default();
        if let Some(why) = zone_name_problem(name, location, integration) {
            let region = region(location);
            d.push(
                Diagnostic::error("private-dns-zone-name", format!("private DNS zone of {}: {why}", r.address))
                    .at(&r.address, zone_path.clone())
                    .hint(format!(
                        "name the zone privatelink.{region}.azmk8s.io or <subzone>.privatelink.{region}.azmk8s.io (subzone at most {MAX_SUBZONE} characters){}",
                        if integration { format!(", or private.{region}.azmk8s.io") } else { String::new() }
                    )),
            );
        }
    }
    if private && zone == Some(Zone::None) && r.bool("disable_public_fqdn") == Some(true) {
        d.push(
            Diagnostic::error(
                "private-dns-none-without-fqdn",
                format!("{} has `private_dns_zone = \"none\"` and `disable_public_fqdn = true`: nothing would resolve the API server name", r.address),
            )
            .at(&r.address, AttrPath::attr("disable_public_fqdn"))
            .related(&r.address, zone_path, "none: the public FQDN is the only name")
            .hint("AKS refuses this combination: keep the public FQDN, or use `system` or a zone ID"),
        );
    }
    api_server_subnet_rules(r, integration, d);
}

fn api_server_subnet_rules(r: &Resource, integration: bool, d: &mut Diagnostics) {
    let path = AttrPath::attr("api_server_subnet_cidr");
    let cidr = util::cidr(r, "api_server_subnet_cidr", d);
    if !integration {
        if cidr.is_some() {
            d.push(
                Diagnostic::warning(
                    "private-setting-unused",
                    format!(
                        "`api_server_subnet_cidr` is set but {} has no API server VNet integration",
                        r.address
                    ),
                )
                .at(&r.address, path)
                .hint("set `api_server_vnet_integration = true`, or remove `api_server_subnet_cidr`"),
            );
        }
        return;
    }
    let Some(sn) = cidr else {
        if r.get("api_server_subnet_cidr").is_null() {
            d.push(
                Diagnostic::error(
                    "api-server-subnet-missing",
                    format!("{} has API server VNet integration but no `api_server_subnet_cidr`", r.address),
                )
                .at(&r.address, AttrPath::attr("api_server_vnet_integration"))
                .hint(format!("give a free /{API_SERVER_MIN_PREFIX} (or larger) of the cluster VNET, e.g. api_server_subnet_cidr = <a /28 after the node subnet>; it is delegated to {API_SERVER_DELEGATION}")),
            );
        }
        return;
    };
    if sn.prefix_len() > API_SERVER_MIN_PREFIX {
        d.push(
            Diagnostic::error(
                "api-server-subnet-too-small",
                format!(
                    "API server subnet {sn} holds {} addresses; AKS needs at least a /{API_SERVER_MIN_PREFIX} ({} addresses)",
                    net::size(&sn),
                    1u32 << (32 - API_SERVER_MIN_PREFIX)
                ),
            )
            .at(&r.address, path)
            .hint(format!(
                "use a /{API_SERVER_MIN_PREFIX} or larger, e.g. {}",
                Ipv4Net::new(sn.network(), API_SERVER_MIN_PREFIX).map_or_else(|_| sn.to_string(), |n| n.trunc().to_string())
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_names_by_table() {
        let long = format!("{}.privatelink.westeurope.azmk8s.io", "a".repeat(33));
        let max = format!("{}.privatelink.westeurope.azmk8s.io", "a".repeat(32));
        // (zone name, location, VNet integration, accepted)
        let cases: &[(&str, &str, bool, bool)] = &[
            ("privatelink.westeurope.azmk8s.io", "westeurope", false, true),
            ("privatelink.westeurope.azmk8s.io", "West Europe", false, true),
            ("PrivateLink.WestEurope.azmk8s.io", "westeurope", false, true),
            ("team1.privatelink.westeurope.azmk8s.io", "westeurope", false, true),
            (&max, "westeurope", false, true),
            (&long, "westeurope", false, false),
            ("a.b.privatelink.westeurope.azmk8s.io", "westeurope", false, false),
            ("-x.privatelink.westeurope.azmk8s.io", "westeurope", false, false),
            ("privatelink.northeurope.azmk8s.io", "westeurope", false, false),
            ("team1.privatelink.northeurope.azmk8s.io", "westeurope", false, false),
            ("private.westeurope.azmk8s.io", "westeurope", true, true),
            ("private.westeurope.azmk8s.io", "westeurope", false, false),
            ("private.northeurope.azmk8s.io", "westeurope", true, false),
            ("privatelink.westeurope.azurecr.io", "westeurope", false, false),
            ("corp.local", "westeurope", false, false),
        ];
        for (name, loc, vi, ok) in cases {
            let got = zone_name_problem(name, loc, *vi);
            assert_eq!(got.is_none(), *ok, "{name} in {loc} (integration {vi}): {got:?}");
        }
        assert_eq!(
            zone_name_problem("privatelink.northeurope.azmk8s.io", "westeurope", false).as_deref(),
            Some(
                "zone `privatelink.northeurope.azmk8s.io` is for region `northeurope`; the cluster is in `westeurope`"
            )
        );
        assert!(zone_name_problem(&long, "westeurope", false).is_some_and(|m| m.contains("33 characters")));
    }

    #[test]
    fn zone_values_parse() {
        assert_eq!(parse_zone("system"), Ok(Zone::System));
        assert_eq!(parse_zone("none"), Ok(Zone::None));
        let id = "/subscriptions/0000/resourceGroups/dns-rg/providers/Microsoft.Network/privateDnsZones/privatelink.westeurope.azmk8s.io";
        assert_eq!(
            parse_zone(id),
            Ok(Zone::Custom {
                id: id.into(),
                name: "privatelink.westeurope.azmk8s.io".into()
            })
        );
        let lower = id.to_ascii_lowercase();
        assert!(parse_zone(&lower).is_ok());
        for bad in [
            "System",
            "privatelink.westeurope.azmk8s.io",
            "/subscriptions/0000/resourceGroups/dns-rg/providers/Microsoft.Network/dnsZones/x.io",
            "/subscriptions/0000/resourceGroups/dns-rg/providers/Microsoft.Network/privateDnsZones/",
            "/subscriptions//resourceGroups/dns-rg/providers/Microsoft.Network/privateDnsZones/a",
        ] {
            assert!(parse_zone(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Zone::System.name("West Europe").as_deref(),
            Some("privatelink.westeurope.azmk8s.io")
        );
        assert_eq!(Zone::None.name("westeurope"), None);
    }
}
