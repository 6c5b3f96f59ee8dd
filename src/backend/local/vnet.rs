//! Virtual networks and their subnets, shared by `hub` and
//! `cluster_network`: rows, Azure's subnet rules, in-use rules on delete,
//! and the address-space rules of an update (peerings are left to sync).

use super::id_of;
use super::tags;
use super::{cluster_network, gateway, hub, Fail, LocalFabric};
use crate::backend::owner::{self, Owner, SUBNETS_TAG};
use crate::backend::{noun, BackendError, ErrorCode, Observed, Op, OpCtx};
use crate::graph::{net, Attrs, Kind, Value};
use rusqlite::Transaction;

pub use super::vnet_row::{get, validate, write_row, VnetRow};

fn row_of(kind: Kind, attrs: &Attrs) -> Result<VnetRow, Fail> {
    match kind {
        Kind::Hub => hub::row(attrs),
        _ => cluster_network::row(attrs),
    }
}

fn role_of(kind: Kind) -> &'static str {
    if kind == Kind::Hub {
        "hub"
    } else {
        "cluster"
    }
}

/// What the fabric observes of a VNET: identity, location, address space,
/// DNS servers, gateway and the subnets hybridk8s manages (foreign ones are
/// not reported: they are someone else's). `prior` names the node subnet.
pub fn read_tx(tx: &Transaction, kind: Kind, id: &str, prior: Option<&Attrs>) -> Result<Option<Observed>, Fail> {
    let Some(row) = get(tx, id)? else { return Ok(None) };
    if row.role != role_of(kind) {
        let found = if row.role == "hub" {
            Kind::Hub
        } else {
            Kind::ClusterNetwork
        };
        return Err(Fail::wrong_kind(kind, found, id));
    }
    let mut attrs = Attrs::new();
    attrs.insert("id".into(), Value::str(&row.id));
    attrs.insert("name".into(), Value::str(&row.name));
    attrs.insert("resource_group_name".into(), Value::str(&row.resource_group));
    attrs.insert("tags".into(), owner::user_tags(&row.tags, prior));
    if let Some(n) = prior
        .and_then(|p| p.get("node_subnet_name"))
        .filter(|v| v.as_str().is_some())
    {
        attrs.insert("node_subnet_name".into(), n.clone());
    }
    match kind {
        Kind::Hub => hub::overlay(&mut attrs, &row, gateway::get(tx, id)?),
        _ => {
            cluster_network::overlay(&mut attrs, &row);
            // DNS servers a dns_upstream set are its own, not the network's.
            attrs.insert("dns_servers".into(), Value::list_of_str(row.own_dns_servers()));
        }
    }
    let guid = gateway::guid(tx, id)?;
    attrs.insert("resource_guid".into(), guid.map_or(Value::Null, Value::String));
    Ok(Some(Observed {
        attrs,
        owner: row.owner(),
    }))
}

/// The subnet items of a row other than `skip`, as a `subnets` block value.
pub fn subnet_items(row: &VnetRow, skip: &str) -> Value {
    let managed = row.managed_subnets();
    Value::List(
        row.subnets
            .iter()
            .filter(|(n, _)| n != skip && managed.iter().any(|m| m.eq_ignore_ascii_case(n)))
            .map(|(n, c)| Value::Map([("name".into(), Value::str(n)), ("cidr".into(), Value::str(c))].into()))
            .collect(),
    )
}

pub async fn read(
    f: &LocalFabric,
    cx: &OpCtx,
    kind: Kind,
    id: &str,
    prior: Option<&Attrs>,
) -> Result<Option<Observed>, BackendError> {
    let (id2, prior) = (id.to_string(), prior.cloned());
    f.snapshot(cx, Op::Retrieving, kind, id, move |tx| {
        read_tx(tx, kind, &id2, prior.as_ref())
    })
    .await
}

/// The names of the subnets a row describes, for the `hybridk8s-subnets` tag.
fn subnet_names(row: &VnetRow) -> String {
    row.subnets
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

pub async fn create(f: &LocalFabric, cx: &OpCtx, kind: Kind, attrs: &Attrs) -> Result<Observed, BackendError> {
    let id = id_of(attrs);
    let mut row = row_of(kind, attrs).map_err(|e| e.at(Op::Creating, noun(kind), &id))?;
    let (id2, stack, prior) = (id.clone(), cx.stack().to_string(), attrs.clone());
    f.write(cx, Op::Creating, kind, &id, move |tx| {
        if let Some(old) = get(tx, &row.id)? {
            return Err(tags::exists(&format!("virtual network {}", old.name), &old.owner()));
        }
        validate(&row)?;
        row.tags = tags::marked(&row.tags, &stack);
        row.tags.insert(SUBNETS_TAG.into(), subnet_names(&row));
        owner::put_user_tags(&mut row.tags, None, &prior);
        write_row(tx, &row)?;
        gateway::reconcile(tx, &row)?;
        gateway::new_guid(tx, &row.id)?;
        read_tx(tx, kind, &id2, Some(&prior))?.ok_or_else(|| Fail::Corrupt("written VNET not found".into()))
    })
    .await
}

/// Subnet names hybridk8s finds by name whatever the tag says.
fn known_subnets(kind: Kind, prior: &Attrs) -> Vec<String> {
    match kind {
        Kind::Hub => vec![hub::GATEWAY_SUBNET.to_string()],
        _ => vec![prior
            .get("node_subnet_name")
            .and_then(Value::as_str)
            .unwrap_or("nodes")
            .to_string()],
    }
}

/// GET-modify-PUT, as Azure's VNET API is used: the desired row, plus every
/// subnet someone else made, plus tags other tools set.
pub async fn update(
    f: &LocalFabric,
    cx: &OpCtx,
    kind: Kind,
    prior: &Attrs,
    attrs: &Attrs,
) -> Result<Observed, BackendError> {
    let id = id_of(attrs);
    let mut row = row_of(kind, attrs).map_err(|e| e.at(Op::Updating, noun(kind), &id))?;
    let (id2, stack, known) = (id.clone(), cx.stack().to_string(), known_subnets(kind, prior));
    let (before, after) = (prior.clone(), attrs.clone());
    f.write(cx, Op::Updating, kind, &id, move |tx| {
        let Some(old) = get(tx, &row.id)? else {
            return Err(Fail::refused(
                ErrorCode::ResourceNotFound,
                "the virtual network does not exist",
            ));
        };
        tags::may_change(&old.owner(), &stack, Op::Updating, noun(kind), &id2)?;
        if old.address_space != row.address_space {
            check_kept_subnets(&old, &row)?;
        }
        let managed = subnet_names(&row);
        let mut known = known;
        known.extend(row.subnets.iter().map(|(n, _)| n.clone()));
        row.subnets.extend(old.foreign_subnets(&known));
        row.tags = tags::marked(&old.tags, &stack);
        row.tags.insert(SUBNETS_TAG.into(), managed);
        owner::put_user_tags(&mut row.tags, Some(&before), &after);
        row.keep_upstream_dns(&old);
        validate(&row)?;
        if old.address_space != row.address_space {
            check_peered_overlap(tx, &row)?;
        }
        gateway::reconcile(tx, &row)?;
        // The peerings now see an old address space (`…NotInSync`) until
        // they are synced, as in Azure.
        write_row(tx, &row)?;
        read_tx(tx, kind, &id2, Some(&after))?.ok_or_else(|| Fail::Corrupt("written VNET not found".into()))
    })
    .await
}

/// Puts the stack's owner mark on a VNET (import; subnets already there stay
/// someone else's unless the VNET was hybridk8s's before), or takes it off
/// (`claim = false`: the stack gives the VNET up).
pub async fn claim(f: &LocalFabric, cx: &OpCtx, kind: Kind, id: &str, claim: bool) -> Result<(), BackendError> {
    let (id2, stack) = (id.to_string(), cx.stack().to_string());
    f.write(cx, Op::Importing, kind, id, move |tx| {
        let Some(mut row) = get(tx, &id2)? else {
            return Err(Fail::refused(
                ErrorCode::ResourceNotFound,
                "the virtual network does not exist",
            ));
        };
        if let Owner::Stack(s) = row.owner() {
            tags::may_change(&Owner::Stack(s), &stack, Op::Importing, noun(kind), &id2)?;
        }
        row.tags = if claim {
            tags::marked(&row.tags, &stack)
        } else {
            tags::unmarked(&row.tags)
        };
        write_row(tx, &row)
    })
    .await
}

/// Azure refuses removing an address range that still holds a subnet.
fn check_kept_subnets(old: &VnetRow, row: &VnetRow) -> Result<(), Fail> {
    let space: Vec<_> = row
        .address_space
        .iter()
        .filter_map(|s| net::parse_cidr(s).ok())
        .collect();
    for (name, cidr) in &old.subnets {
        let Ok(n) = net::parse_cidr(cidr) else { continue };
        let kept = row
            .subnets
            .iter()
            .any(|(m, c)| m.eq_ignore_ascii_case(name) && c == cidr);
        if kept && !space.iter().any(|s| s.contains(&n)) {
            return Err(Fail::refused(
                ErrorCode::NetcfgSubnetRangeOutsideVnet,
                format!(
                    "Subnet '{name}' is not valid because its IP address range {cidr} is outside the IP address range of virtual network '{}' ({})",
                    row.name,
                    row.address_space.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// Azure refuses an address space that would overlap a peered VNET.
fn check_peered_overlap(tx: &Transaction, row: &VnetRow) -> Result<(), Fail> {
    let mut st = tx.prepare_cached(
        "SELECT remote_vnet_id FROM peerings WHERE vnet_id = ?1
         UNION SELECT vnet_id FROM peerings WHERE remote_vnet_id = ?1",
    )?;
    let peers: Vec<String> = st.query_map([&row.id], |r| r.get(0))?.collect::<Result<_, _>>()?;
    for p in peers {
        if let Some(remote) = get(tx, &p)? {
            if let Some((a, b)) = first_overlap(&row.address_space, &remote.address_space) {
                return Err(Fail::refused(
                    ErrorCode::VnetAddressSpacesOverlap,
                    format!(
                        "address space {a} of virtual network {} overlaps {b} of peered virtual network {}",
                        row.name, remote.name
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The first overlapping pair of two address spaces.
pub fn first_overlap(a: &[String], b: &[String]) -> Option<(String, String)> {
    for x in a {
        for y in b {
            if let (Ok(nx), Ok(ny)) = (net::parse_cidr(x), net::parse_cidr(y)) {
                if net::overlaps(&nx, &ny) {
                    return Some((x.clone(), y.clone()));
                }
            }
        }
    }
    None
}

pub async fn delete(f: &LocalFabric, cx: &OpCtx, kind: Kind, prior: &Attrs) -> Result<(), BackendError> {
    let id = id_of(prior);
    let (id2, stack, known) = (id.clone(), cx.stack().to_string(), known_subnets(kind, prior));
    f.write(cx, Op::Deleting, kind, &id, move |tx| {
        let Some(row) = get(tx, &id2)? else { return Ok(()) };
        tags::may_change(&row.owner(), &stack, Op::Deleting, noun(kind), &id2)?;
        let foreign = row.foreign_subnets(&known);
        if !foreign.is_empty() {
            let names: Vec<&str> = foreign.iter().map(|(n, _)| n.as_str()).collect();
            return Err(Fail::refused(
                ErrorCode::InUseSubnetCannotBeDeleted,
                format!(
                    "virtual network {} holds subnet(s) {} that hybridk8s did not create; they are kept, so the virtual network cannot be deleted (delete them first, or stop managing the network: `hybridk8s state rm` / `terraform state rm`)",
                    row.name,
                    names.join(", ")
                ),
            ));
        }
        delete_tx(tx, &id2, true)
    })
    .await
}

/// Deletes a VNET. With `checked`, refuses while peerings or Kubernetes
/// objects use it; without (a resource-group delete), takes them along.
pub fn delete_tx(tx: &Transaction, id: &str, checked: bool) -> Result<(), Fail> {
    let Some(row) = get(tx, id)? else { return Ok(()) };
    if checked {
        let mut st = tx.prepare_cached("SELECT name FROM peerings WHERE vnet_id = ?1 ORDER BY name")?;
        let used: Vec<String> = st.query_map([id], |r| r.get(0))?.collect::<Result<_, _>>()?;
        if !used.is_empty() {
            return Err(Fail::refused(
                ErrorCode::InUseVnetCannotBeDeleted,
                format!(
                    "virtual network {} cannot be deleted because it is in use by peering(s) {}",
                    row.name,
                    used.join(", ")
                ),
            ));
        }
        let mut st = tx.prepare_cached(
            "SELECT kind || ' ' || namespace || '/' || name FROM k8s_objects WHERE cluster_id = ?1
             ORDER BY namespace, kind, name",
        )?;
        let objs: Vec<String> = st.query_map([id], |r| r.get(0))?.collect::<Result<_, _>>()?;
        if !objs.is_empty() {
            let subnet = row.subnets.first().map_or("nodes", |(n, _)| n.as_str());
            return Err(Fail::refused(
                ErrorCode::InUseSubnetCannotBeDeleted,
                format!(
                    "subnet {subnet} of virtual network {} is in use by the cluster's Kubernetes objects ({}) and cannot be deleted",
                    row.name,
                    objs.join(", ")
                ),
            ));
        }
    } else {
        tx.execute("DELETE FROM peerings WHERE vnet_id = ?1", [id])?;
        tx.execute("DELETE FROM k8s_objects WHERE cluster_id = ?1", [id])?;
        tx.execute("DELETE FROM dns_configurations WHERE cluster_id = ?1", [id])?;
    }
    tx.execute("DELETE FROM subnets WHERE vnet_id = ?1", [id])?;
    // NSGs and route tables outlive the VNET, dissociated, as in Azure.
    tx.execute("DELETE FROM subnet_associations WHERE vnet_id = ?1", [id])?;
    tx.execute("DELETE FROM subnet_delegations WHERE vnet_id = ?1", [id])?;
    tx.execute("DELETE FROM vnets WHERE id = ?1", [id])?;
    gateway::forget(tx, id)?;
    // The other side of every peering to this VNET is now Disconnected.
    tx.execute(
        "UPDATE peerings SET peering_state = 'Disconnected' WHERE remote_vnet_id = ?1",
        [id],
    )?;
    Ok(())
}
