//! A VNET as ARM holds it (`models::VirtualNetwork`) and as hybridk8s
//! wants it (from a `hub` or `cluster_network`'s attributes): the view the
//! attributes are read from, and the body of a GET-modify-PUT that changes
//! only what hybridk8s manages.

use crate::backend::owner::{self, Owner, SUBNETS_TAG};
use crate::backend::{noun, BackendError, Op};
use crate::graph::kinds::hub::GATEWAY_SUBNET;
use crate::graph::{Attrs, Kind, Value};
use azure_mgmt_network::models;
use std::collections::BTreeMap;

pub type Tags = BTreeMap<String, String>;

/// The tags of an ARM resource.
pub fn tags_of(tags: Option<&serde_json::Value>) -> Tags {
    tags.and_then(|t| t.as_object())
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

pub fn tags_value(tags: &Tags) -> serde_json::Value {
    serde_json::Value::Object(
        tags.iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect(),
    )
}

/// The tags of an object `stack` owns, keeping other tools' tags.
pub fn marked(old: &Tags, stack: &str) -> Tags {
    let mut t = old.clone();
    t.extend(owner::tags_for(stack));
    t
}

pub fn unmarked(old: &Tags) -> Tags {
    let mut t = old.clone();
    t.remove(owner::MANAGED_BY_TAG);
    t.remove(owner::STACK_TAG);
    t
}

/// The prefix of a subnet.
pub fn subnet_prefix(s: &models::Subnet) -> Option<String> {
    let p = s.properties.as_ref()?;
    p.address_prefix.clone().or_else(|| p.address_prefixes.first().cloned())
}

/// What hybridk8s reads of a VNET.
#[derive(Debug, Clone)]
pub struct View {
    pub location: String,
    pub address_space: Vec<String>,
    pub dns_servers: Vec<String>,
    /// `(name, prefix)` in ARM's order.
    pub subnets: Vec<(String, String)>,
    pub tags: Tags,
    pub resource_guid: Option<String>,
}

impl View {
    pub fn of(v: &models::VirtualNetwork) -> View {
        let p = v.properties.as_ref();
        View {
            location: v.resource.location.clone().unwrap_or_default(),
            address_space: p
                .and_then(|p| p.address_space.as_ref())
                .map(|a| a.address_prefixes.clone())
                .unwrap_or_default(),
            dns_servers: p
                .and_then(|p| p.dhcp_options.as_ref())
                .map(|d| d.dns_servers.clone())
                .unwrap_or_default(),
            subnets: p
                .map(|p| {
                    p.subnets
                        .iter()
                        .filter_map(|s| Some((s.name.clone()?, subnet_prefix(s).unwrap_or_default())))
                        .collect()
                })
                .unwrap_or_default(),
            tags: tags_of(v.resource.tags.as_ref()),
            resource_guid: p.and_then(|p| p.resource_guid.clone()),
        }
    }

    pub fn owner(&self) -> Owner {
        Owner::from_tags(&self.tags)
    }

    /// The subnets hybridk8s manages here (the `hybridk8s-subnets` tag).
    pub fn managed_subnets(&self) -> Vec<String> {
        managed(&self.tags)
    }

    /// Subnets someone else made: neither managed nor known by name.
    pub fn foreign_subnets(&self, known: &[String]) -> Vec<String> {
        let managed = self.managed_subnets();
        self.subnets
            .iter()
            .map(|(n, _)| n.clone())
            .filter(|n| !managed.iter().chain(known).any(|m| m.eq_ignore_ascii_case(n)))
            .collect()
    }

    /// The `subnets` block of the managed subnets other than `skip`.
    pub fn subnet_items(&self, skip: &str) -> Value {
        let managed = self.managed_subnets();
        Value::List(
            self.subnets
                .iter()
                .filter(|(n, _)| n != skip && managed.iter().any(|m| m.eq_ignore_ascii_case(n)))
                .map(|(n, c)| Value::Map([("name".into(), Value::str(n)), ("cidr".into(), Value::str(c))].into()))
                .collect(),
        )
    }
}

pub fn managed(tags: &Tags) -> Vec<String> {
    tags.get(SUBNETS_TAG)
        .map(|s| s.split(',').filter(|n| !n.is_empty()).map(str::to_string).collect())
        .unwrap_or_default()
}

/// The VNET a `hub` or `cluster_network`'s attributes describe.
#[derive(Debug, Clone)]
pub struct Desired {
    pub id: String,
    pub name: String,
    pub location: String,
    pub address_space: Vec<String>,
    pub dns_servers: Vec<String>,
    /// `none`, `vpn` or `expressroute` (hubs).
    pub gateway: String,
    /// `(name, cidr)` in declaration order.
    pub subnets: Vec<(String, String)>,
}

fn need<'a>(op: Op, kind: Kind, a: &'a Attrs, name: &str) -> Result<&'a str, BackendError> {
    a.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| BackendError::MissingAttribute {
            op,
            noun: noun(kind),
            id: a
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or("(unknown id)")
                .to_string(),
            attribute: name.to_string(),
        })
}

fn strings(a: &Attrs, name: &str) -> Vec<String> {
    a.get(name)
        .map(|v| v.strings().into_iter().map(str::to_string).collect())
        .unwrap_or_default()
}

/// The node subnet's name of a cluster network (`nodes` unless named).
pub fn node_subnet_name(a: &Attrs) -> String {
    a.get("node_subnet_name")
        .and_then(Value::as_str)
        .unwrap_or("nodes")
        .to_string()
}

impl Desired {
    pub fn of(op: Op, kind: Kind, a: &Attrs) -> Result<Desired, BackendError> {
        let mut subnets = Vec::new();
        if kind == Kind::Hub {
            if let Some(gw) = a.get("gateway_subnet_cidr").and_then(Value::as_str) {
                subnets.push((GATEWAY_SUBNET.to_string(), gw.to_string()));
            }
        } else {
            subnets.push((node_subnet_name(a), need(op, kind, a, "node_subnet_cidr")?.to_string()));
            subnets.extend(crate::graph::kinds::cluster_modes::pod_subnet_of(a));
        }
        for item in a.get("subnets").and_then(Value::as_list).unwrap_or(&[]) {
            let m = item.as_map();
            let get = |k: &str| {
                m.and_then(|m| m.get(k))
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| BackendError::MissingAttribute {
                        op,
                        noun: noun(kind),
                        id: a
                            .get("id")
                            .and_then(Value::as_str)
                            .unwrap_or("(unknown id)")
                            .to_string(),
                        attribute: format!("subnets[].{k}"),
                    })
            };
            subnets.push((get("name")?, get("cidr")?));
        }
        Ok(Desired {
            id: need(op, kind, a, "id")?.to_string(),
            name: need(op, kind, a, "name")?.to_string(),
            location: need(op, kind, a, "location")?.to_string(),
            address_space: strings(a, "address_space"),
            dns_servers: strings(a, "dns_servers"),
            gateway: if kind == Kind::Hub {
                a.get("gateway").and_then(Value::as_str).unwrap_or("none").to_string()
            } else {
                "none".into()
            },
            subnets,
        })
    }

    /// The names for the `hybridk8s-subnets` tag.
    pub fn subnet_names(&self) -> String {
        self.subnets
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

fn subnet(name: &str, prefix: &str) -> models::Subnet {
    let mut s = models::Subnet::new();
    s.name = Some(name.to_string());
    let mut p = models::SubnetPropertiesFormat::new();
    p.address_prefix = Some(prefix.to_string());
    s.properties = Some(p);
    s
}

/// The body of a new VNET.
pub fn new_body(d: &Desired, tags: &Tags) -> models::VirtualNetwork {
    let mut v = models::VirtualNetwork::new();
    v.resource.location = Some(d.location.clone());
    v.resource.tags = Some(tags_value(tags));
    let mut p = models::VirtualNetworkPropertiesFormat::new();
    let mut space = models::AddressSpace::new();
    space.address_prefixes = d.address_space.clone();
    p.address_space = Some(space);
    p.subnets = d.subnets.iter().map(|(n, c)| subnet(n, c)).collect();
    v.properties = Some(p);
    v
}

/// `old` changed to `d`: address space, DNS servers, the managed subnets
/// (an existing one keeps its other settings), every foreign subnet as it
/// is, peerings untouched.
pub fn changed_body(
    old: &models::VirtualNetwork,
    d: &Desired,
    known: &[String],
    tags: &Tags,
) -> models::VirtualNetwork {
    let view = View::of(old);
    let mut v = old.clone();
    v.resource.tags = Some(tags_value(tags));
    let mut p = v.properties.take().unwrap_or_default();
    let mut space = p.address_space.take().unwrap_or_default();
    space.address_prefixes = d.address_space.clone();
    p.address_space = Some(space);
    let mut mine_known: Vec<String> = known.to_vec();
    mine_known.extend(d.subnets.iter().map(|(n, _)| n.clone()));
    let foreign = view.foreign_subnets(&mine_known);
    let old_subnets = std::mem::take(&mut p.subnets);
    let find = |n: &str| {
        old_subnets
            .iter()
            .find(|s| s.name.as_deref().is_some_and(|m| m.eq_ignore_ascii_case(n)))
    };
    let mut subnets = Vec::new();
    for (n, c) in &d.subnets {
        match find(n) {
            Some(s) => {
                let mut s = s.clone();
                let mut sp = s.properties.take().unwrap_or_default();
                sp.address_prefix = Some(c.clone());
                sp.address_prefixes.clear();
                s.properties = Some(sp);
                subnets.push(s);
            }
            None => subnets.push(subnet(n, c)),
        }
    }
    subnets.extend(foreign.iter().filter_map(|n| find(n).cloned()));
    p.subnets = subnets;
    v.properties = Some(p);
    v
}

/// The JSON of a VNET body with its DNS servers set explicitly (an empty
/// list clears them: the typed model would leave `dnsServers` out).
pub fn to_json(v: &models::VirtualNetwork, dns_servers: &[String]) -> serde_json::Value {
    let mut j = serde_json::to_value(v).unwrap_or(serde_json::Value::Null);
    if let Some(p) = j.get_mut("properties").and_then(|p| p.as_object_mut()) {
        p.insert("dhcpOptions".into(), serde_json::json!({ "dnsServers": dns_servers }));
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desired() -> Desired {
        Desired {
            id: "/x".into(),
            name: "aks".into(),
            location: "westeurope".into(),
            address_space: vec!["10.1.0.0/16".into()],
            dns_servers: vec![],
            gateway: "none".into(),
            subnets: vec![("nodes".into(), "10.1.0.0/22".into())],
        }
    }

    #[test]
    fn an_empty_dns_list_is_sent_to_clear() {
        let body = to_json(&new_body(&desired(), &Tags::new()), &[]);
        assert_eq!(body["properties"]["dhcpOptions"], serde_json::json!({"dnsServers": []}));
    }

    #[test]
    fn a_change_keeps_foreign_subnets_and_the_settings_of_managed_ones() {
        let old: models::VirtualNetwork = serde_json::from_value(serde_json::json!({
            "location": "westeurope",
            "tags": {"hybridk8s-subnets": "nodes,old"},
            "properties": {
                "addressSpace": {"addressPrefixes": ["10.1.0.0/16"]},
                "subnets": [
                    {"name": "nodes", "properties": {"addressPrefix": "10.1.0.0/24", "networkSecurityGroup": {"id": "/nsg"}}},
                    {"name": "old", "properties": {"addressPrefix": "10.1.8.0/24"}},
                    {"name": "theirs", "properties": {"addressPrefix": "10.1.9.0/24"}}
                ],
                "virtualNetworkPeerings": [{"name": "p", "properties": {"remoteVirtualNetwork": {"id": "/r"}}}]
            }
        }))
        .unwrap();
        let new = changed_body(&old, &desired(), &["nodes".into()], &Tags::new());
        let j = to_json(&new, &[]);
        let names: Vec<&str> = j["properties"]["subnets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["nodes", "theirs"]);
        assert_eq!(
            j["properties"]["subnets"][0]["properties"]["addressPrefix"],
            "10.1.0.0/22"
        );
        assert_eq!(
            j["properties"]["subnets"][0]["properties"]["networkSecurityGroup"]["id"],
            "/nsg"
        );
        assert_eq!(j["properties"]["virtualNetworkPeerings"][0]["name"], "p");
    }
}
