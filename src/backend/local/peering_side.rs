//! The two rows of a peering, one per side, and Azure's rules for each:
//! creating one side leaves it Initiated; when the other side exists both
//! are Connected; deleting a side leaves the other Disconnected. Each side
//! remembers the remote address space as last synced, from which the sync
//! level follows.

use super::records::{strings_from_json, strings_to_json};
use super::tags::{self, Tags};
use super::vnet::{self, first_overlap};
use super::Fail;
use crate::backend::Owner;
use crate::backend::{BackendError, ErrorCode, Op};
use rusqlite::{params, OptionalExtension, Row, Transaction};

pub const NOUN: &str = "Virtual Network Peering";

/// One side of a peering as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Side {
    pub vnet_id: String,
    pub name: String,
    pub remote_vnet_id: String,
    pub allow_virtual_network_access: bool,
    pub allow_forwarded_traffic: bool,
    pub allow_gateway_transit: bool,
    pub use_remote_gateways: bool,
    pub peering_state: String,
    pub remote_address_space: Vec<String>,
    /// The owner mark of this side.
    pub tags: Tags,
}

impl Side {
    pub fn owner(&self) -> Owner {
        Owner::from_tags(&self.tags)
    }

    pub fn id(&self) -> String {
        format!("{}/virtualNetworkPeerings/{}", self.vnet_id, self.name)
    }
}

pub const SIDE_COLUMNS: &str = "vnet_id, name, remote_vnet_id, allow_virtual_network_access, allow_forwarded_traffic,
     allow_gateway_transit, use_remote_gateways, peering_state, remote_address_space, tags";

pub fn side_of(r: &Row) -> rusqlite::Result<Side> {
    Ok(Side {
        vnet_id: r.get(0)?,
        name: r.get(1)?,
        remote_vnet_id: r.get(2)?,
        allow_virtual_network_access: r.get(3)?,
        allow_forwarded_traffic: r.get(4)?,
        allow_gateway_transit: r.get(5)?,
        use_remote_gateways: r.get(6)?,
        peering_state: r.get(7)?,
        remote_address_space: strings_from_json(&r.get::<_, String>(8)?),
        tags: tags::from_json(&r.get::<_, String>(9)?),
    })
}

pub fn get_side(tx: &Transaction, vnet_id: &str, name: &str) -> Result<Option<Side>, Fail> {
    let sql = format!("SELECT {SIDE_COLUMNS} FROM peerings WHERE vnet_id = ?1 AND name = ?2");
    Ok(tx.query_row(&sql, [vnet_id, name], side_of).optional()?)
}

/// The side on the remote VNET that points back at this one.
pub fn reverse_side(tx: &Transaction, side: &Side) -> Result<Option<Side>, Fail> {
    let sql =
        format!("SELECT {SIDE_COLUMNS} FROM peerings WHERE vnet_id = ?1 AND remote_vnet_id = ?2 ORDER BY name LIMIT 1");
    Ok(tx
        .query_row(&sql, [&side.remote_vnet_id, &side.vnet_id], side_of)
        .optional()?)
}

/// FullyInSync when both sides know the other's current address space.
pub fn sync_level(tx: &Transaction, side: &Side) -> Result<&'static str, Fail> {
    let local_ok = match vnet::get(tx, &side.remote_vnet_id)? {
        Some(remote) => remote.address_space == side.remote_address_space,
        None => true,
    };
    let remote_ok = match (reverse_side(tx, side)?, vnet::get(tx, &side.vnet_id)?) {
        (Some(back), Some(local)) => back.remote_address_space == local.address_space,
        _ => true,
    };
    Ok(match (local_ok, remote_ok) {
        (true, true) => "FullyInSync",
        (false, true) => "LocalNotInSync",
        (true, false) => "RemoteNotInSync",
        (false, false) => "LocalAndRemoteNotInSync",
    })
}

fn refused(op: Op, code: ErrorCode, side: &Side, message: String) -> Fail {
    Fail::Backend(BackendError::Refused {
        op,
        noun: NOUN,
        id: side.id(),
        code,
        message,
    })
}

/// Azure's rules for one side, on create (`existing = false`) or update.
fn check_side(tx: &Transaction, side: &Side, existing: bool) -> Result<(), Fail> {
    let op = if existing { Op::Updating } else { Op::Creating };
    let refused = |code, side: &Side, message: String| refused(op, code, side, message);
    let not_found = |what: &str, id: &str| {
        refused(
            ErrorCode::ResourceNotFound,
            side,
            format!("{what} virtual network {id} was not found"),
        )
    };
    let local = vnet::get(tx, &side.vnet_id)?.ok_or_else(|| not_found("local", &side.vnet_id))?;
    let remote = vnet::get(tx, &side.remote_vnet_id)?.ok_or_else(|| not_found("remote", &side.remote_vnet_id))?;
    let current = get_side(tx, &side.vnet_id, &side.name)?;
    match (&current, existing) {
        (Some(c), false) => {
            return Err(match tags::exists(&format!("peering {}", c.name), &c.owner()) {
                Fail::Refused(code, message) => refused(code, side, message),
                other => other,
            })
        }
        (None, true) => {
            return Err(refused(
                ErrorCode::ResourceNotFound,
                side,
                "the peering does not exist".into(),
            ))
        }
        _ => {}
    }
    if !existing {
        let count: i64 = tx.query_row(
            "SELECT COUNT(*) FROM peerings WHERE vnet_id = ?1",
            [&side.vnet_id],
            |r| r.get(0),
        )?;
        let limit = crate::graph::rules::MAX_PEERINGS_PER_VNET;
        if count as usize >= limit {
            return Err(refused(
                ErrorCode::QuotaExceeded,
                side,
                format!(
                    "virtual network {} already has {count} peerings; the limit is {limit} per virtual network",
                    local.name
                ),
            ));
        }
    }
    if let Some((a, b)) = first_overlap(&local.address_space, &remote.address_space) {
        return Err(refused(
            ErrorCode::VnetAddressSpacesOverlap,
            side,
            format!(
                "virtual networks {} and {} cannot be peered because their address spaces overlap ({a} and {b})",
                local.name, remote.name
            ),
        ));
    }
    let back = reverse_side(tx, side)?;
    if let Some(b) = back.as_ref().filter(|b| b.peering_state == "Disconnected") {
        return Err(refused(
            ErrorCode::RemotePeeringIsDisconnected,
            side,
            format!(
                "remote peering {} is Disconnected; delete and re-create it first",
                b.id()
            ),
        ));
    }
    if side.use_remote_gateways {
        if local.gateway != "none" {
            return Err(refused(
                ErrorCode::InvalidRequest,
                side,
                format!(
                    "virtual network {} has a gateway of its own and cannot use remote gateways",
                    local.name
                ),
            ));
        }
        if remote.gateway == "none" {
            return Err(refused(
                ErrorCode::RemoteVnetHasNoGateways,
                side,
                format!(
                    "remote virtual network {} has no gateway; use_remote_gateways cannot be set",
                    remote.name
                ),
            ));
        }
        match &back {
            None => {
                return Err(refused(
                    ErrorCode::RemotePeeringDoesNotExist,
                    side,
                    format!(
                        "use_remote_gateways needs the peering from {} back to {} to exist first, with allow_gateway_transit",
                        remote.name, local.name
                    ),
                ))
            }
            Some(b) if !b.allow_gateway_transit => {
                return Err(refused(
                    ErrorCode::RemotePeeringDoesNotAllowGatewayTransit,
                    side,
                    format!("remote peering {} does not allow gateway transit", b.id()),
                ))
            }
            _ => {}
        }
        let other: Option<String> = tx
            .query_row(
                "SELECT name FROM peerings WHERE vnet_id = ?1 AND use_remote_gateways = 1 AND name <> ?2 LIMIT 1",
                [&side.vnet_id, &side.name],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(o) = other {
            return Err(refused(
                ErrorCode::UseRemoteGatewaysAlreadySet,
                side,
                format!(
                    "peering {o} of virtual network {} already uses remote gateways",
                    local.name
                ),
            ));
        }
    }
    Ok(())
}

/// Writes a side after its checks; the side learns the remote's current
/// address space (a create or a sync), and both sides become Connected
/// when the other exists.
pub fn put_side(tx: &Transaction, side: &Side, existing: bool) -> Result<(), Fail> {
    check_side(tx, side, existing)?;
    let remote = vnet::get(tx, &side.remote_vnet_id)?
        .map(|r| r.address_space)
        .unwrap_or_default();
    let back = reverse_side(tx, side)?;
    let state = if back.is_some() { "Connected" } else { "Initiated" };
    tx.execute(
        &format!(
            "INSERT INTO peerings ({SIDE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (vnet_id, name) DO UPDATE SET allow_virtual_network_access = excluded.allow_virtual_network_access,
               allow_forwarded_traffic = excluded.allow_forwarded_traffic, allow_gateway_transit = excluded.allow_gateway_transit,
               use_remote_gateways = excluded.use_remote_gateways, peering_state = excluded.peering_state,
               remote_address_space = excluded.remote_address_space, tags = excluded.tags"
        ),
        params![
            side.vnet_id,
            side.name,
            side.remote_vnet_id,
            side.allow_virtual_network_access,
            side.allow_forwarded_traffic,
            side.allow_gateway_transit,
            side.use_remote_gateways,
            state,
            strings_to_json(&remote),
            tags::to_json(&side.tags)
        ],
    )?;
    if let Some(b) = back {
        tx.execute(
            "UPDATE peerings SET peering_state = 'Connected' WHERE vnet_id = ?1 AND name = ?2",
            [&b.vnet_id, &b.name],
        )?;
    }
    Ok(())
}

/// Deletes one side; the other becomes Disconnected.
pub fn delete_side(tx: &Transaction, vnet_id: &str, name: &str) -> Result<(), Fail> {
    let Some(side) = get_side(tx, vnet_id, name)? else {
        return Ok(());
    };
    tx.execute("DELETE FROM peerings WHERE vnet_id = ?1 AND name = ?2", [vnet_id, name])?;
    if let Some(b) = reverse_side(tx, &side)? {
        tx.execute(
            "UPDATE peerings SET peering_state = 'Disconnected' WHERE vnet_id = ?1 AND name = ?2",
            [&b.vnet_id, &b.name],
        )?;
    }
    Ok(())
}
