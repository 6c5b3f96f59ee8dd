//! A VNET row as the local fabric stores it: its subnets and tags, Azure's
//! checks on the body of a PUT, and the write.

use super::records::{strings_from_json, strings_to_json};
use super::tags::{self, Tags};
use super::{hub, Fail};
use crate::backend::owner::{Owner, SUBNETS_TAG};
use crate::backend::vnet_dns;
use crate::backend::ErrorCode;
use crate::graph::net;
use rusqlite::{params, OptionalExtension, Transaction};

/// A VNET as the fabric stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VnetRow {
    pub id: String,
    /// `hub` or `cluster`.
    pub role: String,
    pub resource_group: String,
    pub name: String,
    pub location: String,
    pub address_space: Vec<String>,
    pub dns_servers: Vec<String>,
    pub gateway: String,
    /// `(name, cidr)` in declaration order.
    pub subnets: Vec<(String, String)>,
    /// `(subnet name, service)`: subnets delegated to a service (the API
    /// server subnet to `Microsoft.ContainerService/managedClusters`).
    pub delegations: Vec<(String, String)>,
    /// Azure tags: the owner mark and the list of subnets hybridk8s manages.
    pub tags: Tags,
}

impl VnetRow {
    pub fn owner(&self) -> Owner {
        Owner::from_tags(&self.tags)
    }

    /// The DNS servers a dns_upstream set on this VNET, if one did.
    pub fn upstream_dns(&self) -> Option<Vec<String>> {
        vnet_dns::upstream(&self.tags)
    }

    /// The VNET's own DNS servers (what `cluster_network` reads).
    pub fn own_dns_servers(&self) -> Vec<String> {
        vnet_dns::own(&self.dns_servers, &self.tags)
    }

    /// Sets the DNS servers a dns_upstream wants ([`vnet_dns::set_upstream`]).
    pub fn set_upstream_dns(&mut self, servers: &[String]) {
        vnet_dns::set_upstream(&mut self.dns_servers, &mut self.tags, servers)
    }

    /// Puts back the VNET's own DNS servers ([`vnet_dns::restore_own`]).
    pub fn restore_own_dns(&mut self) {
        vnet_dns::restore_own(&mut self.dns_servers, &mut self.tags)
    }

    /// A change of the network's own DNS servers while a dns_upstream's
    /// are in force ([`vnet_dns::keep_upstream`]).
    pub fn keep_upstream_dns(&mut self, old: &VnetRow) {
        vnet_dns::keep_upstream(&mut self.dns_servers, &mut self.tags, &old.dns_servers, &old.tags)
    }

    /// The subnets hybridk8s manages here (named in the `hybridk8s-subnets` tag).
    pub fn managed_subnets(&self) -> Vec<String> {
        self.tags
            .get(SUBNETS_TAG)
            .map(|s| s.split(',').filter(|n| !n.is_empty()).map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// Subnets someone else made: neither managed nor one hybridk8s
    /// identifies by name (the node subnet, `GatewaySubnet`).
    pub fn foreign_subnets(&self, known: &[String]) -> Vec<(String, String)> {
        let managed = self.managed_subnets();
        self.subnets
            .iter()
            .filter(|(n, _)| !managed.iter().chain(known).any(|m| m.eq_ignore_ascii_case(n)))
            .cloned()
            .collect()
    }
}

pub fn get(tx: &Transaction, id: &str) -> Result<Option<VnetRow>, Fail> {
    let row = tx
        .query_row(
            "SELECT id, role, resource_group, name, location, address_space, dns_servers, gateway, tags
             FROM vnets WHERE id = ?1",
            [id],
            |r| {
                Ok(VnetRow {
                    id: r.get(0)?,
                    role: r.get(1)?,
                    resource_group: r.get(2)?,
                    name: r.get(3)?,
                    location: r.get(4)?,
                    address_space: strings_from_json(&r.get::<_, String>(5)?),
                    dns_servers: strings_from_json(&r.get::<_, String>(6)?),
                    gateway: r.get(7)?,
                    subnets: Vec::new(),
                    delegations: Vec::new(),
                    tags: tags::from_json(&r.get::<_, String>(8)?),
                })
            },
        )
        .optional()?;
    let Some(mut row) = row else { return Ok(None) };
    let mut st = tx.prepare_cached("SELECT name, cidr FROM subnets WHERE vnet_id = ?1 ORDER BY ord")?;
    row.subnets = st
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut st =
        tx.prepare_cached("SELECT subnet, service FROM subnet_delegations WHERE vnet_id = ?1 ORDER BY lower(subnet)")?;
    row.delegations = st
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(Some(row))
}

fn invalid(message: impl Into<String>) -> Fail {
    Fail::refused(ErrorCode::InvalidRequest, message)
}

/// Azure's checks on a VNET body: ranges parse, subnets are /29 or larger,
/// inside the address space, not overlapping a sibling; a gateway has its
/// GatewaySubnet.
pub fn validate(row: &VnetRow) -> Result<(), Fail> {
    if row.address_space.is_empty() {
        return Err(invalid(format!("virtual network {} has no address space", row.name)));
    }
    let mut space = Vec::new();
    for s in &row.address_space {
        space.push(net::parse_cidr(s).map_err(invalid)?);
    }
    let mut subnets = Vec::new();
    for (name, cidr) in &row.subnets {
        let bad = |why: String| {
            Fail::refused(
                ErrorCode::NetcfgInvalidSubnet,
                format!("Subnet '{name}' is not valid in virtual network '{}': {why}", row.name),
            )
        };
        let n = net::parse_cidr(cidr).map_err(bad)?;
        if n.prefix_len() > net::MIN_SUBNET_PREFIX {
            return Err(bad(format!("{n} is smaller than a /{}", net::MIN_SUBNET_PREFIX)));
        }
        if !space.iter().any(|s| s.contains(&n)) {
            return Err(bad(format!(
                "its address range {n} is outside the address space {}",
                row.address_space.join(", ")
            )));
        }
        if subnets
            .iter()
            .any(|(_, other): &(_, &String)| other.eq_ignore_ascii_case(name))
        {
            return Err(invalid(format!("subnet name '{name}' is used twice in {}", row.name)));
        }
        subnets.push((n, name));
    }
    if let Some(((a, an), (b, bn))) = net::find_overlaps(&subnets).into_iter().next() {
        return Err(Fail::refused(
            ErrorCode::NetcfgInvalidSubnet,
            format!(
                "Subnet '{bn}' is not valid in virtual network '{}' because its address range {b} overlaps subnet '{an}' ({a})",
                row.name
            ),
        ));
    }
    validate_delegations(row)?;
    if !crate::graph::kinds::hub::GATEWAYS.contains(&row.gateway.as_str()) {
        return Err(invalid(format!("unknown gateway kind `{}`", row.gateway)));
    }
    if row.gateway != "none" && !row.subnets.iter().any(|(n, _)| n == hub::GATEWAY_SUBNET) {
        return Err(Fail::refused(
            ErrorCode::GatewaySubnetMissing,
            format!(
                "a {} gateway needs a subnet named GatewaySubnet in virtual network '{}'",
                row.gateway, row.name
            ),
        ));
    }
    Ok(())
}

/// A delegation names a subnet of the VNET; a subnet delegated to AKS for
/// the API server is at least a /28.
fn validate_delegations(row: &VnetRow) -> Result<(), Fail> {
    use crate::graph::kinds::cluster_private::{API_SERVER_DELEGATION, API_SERVER_MIN_PREFIX};
    for (subnet, service) in &row.delegations {
        let Some((_, cidr)) = row.subnets.iter().find(|(n, _)| n.eq_ignore_ascii_case(subnet)) else {
            return Err(invalid(format!(
                "delegation to {service} names subnet '{subnet}', which virtual network {} does not have",
                row.name
            )));
        };
        let n = net::parse_cidr(cidr).map_err(invalid)?;
        if service == API_SERVER_DELEGATION && n.prefix_len() > API_SERVER_MIN_PREFIX {
            return Err(Fail::refused(
                ErrorCode::NetcfgInvalidSubnet,
                format!(
                    "Subnet '{subnet}' ({n}) of virtual network '{}' is delegated to {service} and must be at least a /{API_SERVER_MIN_PREFIX}",
                    row.name
                ),
            ));
        }
    }
    Ok(())
}

pub fn write_row(tx: &Transaction, row: &VnetRow) -> Result<(), Fail> {
    tx.execute(
        "INSERT INTO vnets (id, role, resource_group, name, location, address_space, dns_servers, gateway, tags)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (id) DO UPDATE SET location = excluded.location, address_space = excluded.address_space,
             dns_servers = excluded.dns_servers, gateway = excluded.gateway, tags = excluded.tags",
        params![
            row.id,
            row.role,
            row.resource_group,
            row.name,
            row.location,
            strings_to_json(&row.address_space),
            strings_to_json(&row.dns_servers),
            row.gateway,
            tags::to_json(&row.tags)
        ],
    )?;
    tx.execute("DELETE FROM subnets WHERE vnet_id = ?1", [&row.id])?;
    for (i, (name, cidr)) in row.subnets.iter().enumerate() {
        tx.execute(
            "INSERT INTO subnets (vnet_id, name, cidr, ord) VALUES (?1, ?2, ?3, ?4)",
            params![row.id, name, cidr, i as i64],
        )?;
    }
    tx.execute("DELETE FROM subnet_delegations WHERE vnet_id = ?1", [&row.id])?;
    for (subnet, service) in &row.delegations {
        tx.execute(
            "INSERT INTO subnet_delegations (vnet_id, subnet, service) VALUES (?1, ?2, ?3)",
            params![row.id, subnet, service],
        )?;
    }
    Ok(())
}
