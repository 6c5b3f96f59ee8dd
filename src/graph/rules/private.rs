//! Private clusters across resources: the API server's name must resolve
//! from the cluster VNET's DNS servers (AKS#4841, "agents are unable to
//! resolve the API server name"). With custom DNS the name leaves Azure: it
//! has to come back to a resolver in a hub whose VNET the private zone is
//! linked to, since on-premises DNS cannot reach 168.63.129.16.

use super::dns::vnet_dns;
use super::resolve::{describe, End, Resolvers};
use super::{Needs, Topology};
use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::kinds::cluster_private::{self, Zone, AZURE_DNS};
use crate::graph::value::AttrPath;
use crate::graph::{Kind, Resource};

/// What each code of this file needs to hold on part of a graph.
pub(super) const RULES: &[(&str, Needs)] = &[("private-zone-unresolvable", Needs::Whole)];

pub fn check(t: &Topology, d: &mut Diagnostics) {
    let upstreams: Vec<&Resource> = t
        .graph
        .sorted()
        .into_iter()
        .filter(|r| r.kind() == Kind::DnsUpstream)
        .collect();
    let resolvers = Resolvers::new(t);
    for c in t
        .graph
        .sorted()
        .into_iter()
        .filter(|r| r.kind() == Kind::ClusterNetwork)
    {
        // With VNet integration the nodes use the API server's internal
        // load-balancer address, not its name.
        if c.bool("private_cluster") != Some(true) || c.bool("api_server_vnet_integration") == Some(true) {
            continue;
        }
        let Some(Ok(zone)) = c.str("private_dns_zone").map(cluster_private::parse_zone) else {
            continue;
        };
        let location = c.str("location").unwrap_or_default();
        let Some(name) = zone.name(location) else { continue };
        let upstream = upstreams
            .iter()
            .copied()
            .find(|u| t.cluster_of(u).is_some_and(|x| x.address == c.address));
        let Some((at, attr, servers)) = vnet_dns(c, upstream) else {
            continue;
        };
        for (i, ip) in servers {
            let (hops, end) = resolvers.walk(&name, ip);
            let why = match &end {
                End::AzureHere => None,
                End::Hub(h) => match &zone {
                    Zone::Custom { id, .. } if linked(h.owner, id) => None,
                    Zone::Custom { .. } => Some(format!("the zone is not linked to {}, whose resolver {} answers it", h.owner.address, h.ip)),
                    _ => Some(format!("the `system` zone AKS makes is linked only to the cluster VNET, not to {}, whose resolver {} answers it", h.owner.address, h.ip)),
                },
                End::Recursive(s) => Some(format!("{} has no conditional forwarder for {name}, and on-premises DNS cannot reach 168.63.129.16", describe(s))),
                End::AzureFromOnprem(s) => Some(format!("{} forwards it to 168.63.129.16, which answers only inside Azure", describe(s))),
                End::HubOutOfReach(s, h) => Some(format!("{} forwards it to {}, but {} has no gateway to the site", describe(s), describe(h), h.owner.address)),
                End::Undeclared(x) => Some(format!("{x} is no declared DNS server (a hub's dns_resolver_ips or on-premises dns_servers), so nothing says it resolves Azure private zones")),
                End::Loop => Some("the forwarders loop (see dns-forwarding-loop)".to_string()),
            };
            let Some(why) = why else { continue };
            let via: Vec<String> = hops.iter().map(|h| describe(&h.server)).collect();
            let mut diag = Diagnostic::error(
                "private-zone-unresolvable",
                format!(
                    "agents of private cluster {} are unable to resolve the API server name in {name} (AKS#4841): VNET DNS server {ip}{}: {why}",
                    c.address,
                    if via.is_empty() { String::new() } else { format!(" (via {})", via.join(" → ")) }
                ),
            )
            .at(&at.address, AttrPath::attr(attr).index(i))
            .related(&c.address, AttrPath::attr("private_dns_zone"), format!("{name}"))
            .hint(fix(t, c, &zone, &name));
            for h in &hops {
                diag = diag.related(
                    &h.server.owner.address,
                    AttrPath::attr("dns_forwarders").index(h.forwarder),
                    "forwards it here",
                );
            }
            d.push(diag);
            break;
        }
    }
}

fn linked(hub: &Resource, zone_id: &str) -> bool {
    hub.get("private_dns_zone_ids")
        .strings()
        .iter()
        .any(|z| z.eq_ignore_ascii_case(zone_id))
}

/// The fix, with the names of this program.
fn fix(t: &Topology, c: &Resource, zone: &Zone, name: &str) -> String {
    let hub = t
        .hubs_of(c)
        .first()
        .map(|(_, h)| h.address.name.clone())
        .unwrap_or_else(|| "<hub>".into());
    let zone_step = match zone {
        Zone::Custom { .. } => format!("link the zone to the hub VNET (`private_dns_zone_ids` on hub {hub})"),
        _ => format!("bring your own zone {name} (private_dns_zone = its ID) and link it to the hub VNET (`private_dns_zone_ids` on hub {hub})"),
    };
    format!(
        "{zone_step}; put a resolver in the hub that asks {AZURE_DNS} (`dns_resolver_ips`, e.g. an Azure DNS Private Resolver inbound endpoint); forward {name} to it from on-premises DNS (`dns_forwarders = [{{ zone = \"{name}\", targets = {hub}.dns_resolver_ips }}]` on the onprem) — or use the hub resolver as the VNET's DNS server"
    )
}
