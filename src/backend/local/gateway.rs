//! The gateway of a hub as its own object (`virtualNetworkGateways/…`, one
//! row per gateway in table `gateways`), and the `resourceGuid` ARM gives
//! every VNET when it is created (table `vnet_guids`). A hub update adds,
//! replaces (another kind is another gateway) or deletes its gateway; like
//! Azure, a gateway that a peering uses (`use_remote_gateways`) is not
//! deleted.

use super::vnet::VnetRow;
use super::Fail;
use crate::backend::ErrorCode;
use rusqlite::{params, OptionalExtension, Transaction};

/// The ID of the gateway of kind `gateway` in the hub `vnet_id`:
/// `…/providers/Microsoft.Network/virtualNetworkGateways/<hub>-<kind>-gateway`.
pub fn gateway_id(vnet_id: &str, gateway: &str) -> String {
    match vnet_id.rsplit_once("/virtualNetworks/") {
        Some((base, name)) => format!("{base}/virtualNetworkGateways/{name}-{gateway}-gateway"),
        None => format!("{vnet_id}/virtualNetworkGateways/{gateway}-gateway"),
    }
}

/// The ID of the gateway of a hub, when it has one.
pub fn get(tx: &Transaction, vnet_id: &str) -> Result<Option<String>, Fail> {
    Ok(tx
        .query_row(
            "SELECT id FROM gateways WHERE vnet_id = ?1 ORDER BY id LIMIT 1",
            [vnet_id],
            |r| r.get(0),
        )
        .optional()?)
}

/// Makes the hub's gateway match `row.gateway`: deletes a gateway of another
/// kind (refused while a peering uses it), creates the wanted one.
pub fn reconcile(tx: &Transaction, row: &VnetRow) -> Result<(), Fail> {
    let want = (row.gateway != "none").then(|| gateway_id(&row.id, &row.gateway));
    let have = get(tx, &row.id)?;
    if have == want {
        return Ok(());
    }
    if let Some(old) = &have {
        let users: Vec<String> = tx
            .prepare_cached(
                "SELECT vnet_id || '/virtualNetworkPeerings/' || name FROM peerings
                 WHERE remote_vnet_id = ?1 AND use_remote_gateways = 1 ORDER BY vnet_id, name",
            )?
            .query_map([&row.id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        if !users.is_empty() {
            return Err(Fail::refused(
                ErrorCode::InUseGatewayCannotBeDeleted,
                format!(
                    "virtual network gateway {old} of virtual network {} cannot be deleted because peering(s) {} use it (use_remote_gateways)",
                    row.name,
                    users.join(", ")
                ),
            ));
        }
        tx.execute("DELETE FROM gateways WHERE id = ?1", [old])?;
    }
    if let Some(id) = want {
        tx.execute(
            "INSERT INTO gateways (id, vnet_id, kind) VALUES (?1, ?2, ?3)",
            params![id, row.id, row.gateway],
        )?;
    }
    Ok(())
}

/// Forgets the gateway and the GUID of a deleted VNET.
pub fn forget(tx: &Transaction, vnet_id: &str) -> Result<(), Fail> {
    tx.execute("DELETE FROM gateways WHERE vnet_id = ?1", [vnet_id])?;
    tx.execute("DELETE FROM vnet_guids WHERE vnet_id = ?1", [vnet_id])?;
    Ok(())
}

/// Gives a new VNET its `resourceGuid` (a random version-4 GUID).
pub fn new_guid(tx: &Transaction, vnet_id: &str) -> Result<(), Fail> {
    let hex: String = tx.query_row("SELECT lower(hex(randomblob(16)))", [], |r| r.get(0))?;
    let b = hex.as_bytes();
    let s = |a: usize, z: usize| String::from_utf8_lossy(&b[a..z]).into_owned();
    let variant = ["8", "9", "a", "b"][usize::from(b[16] % 4)];
    let guid = format!(
        "{}-{}-4{}-{variant}{}-{}",
        s(0, 8),
        s(8, 12),
        s(13, 16),
        s(17, 20),
        s(20, 32)
    );
    tx.execute(
        "INSERT INTO vnet_guids (vnet_id, resource_guid) VALUES (?1, ?2)
         ON CONFLICT (vnet_id) DO UPDATE SET resource_guid = excluded.resource_guid",
        params![vnet_id, guid],
    )?;
    Ok(())
}

/// The `resourceGuid` of a VNET (none for one created before GUIDs were kept).
pub fn guid(tx: &Transaction, vnet_id: &str) -> Result<Option<String>, Fail> {
    Ok(tx
        .query_row(
            "SELECT resource_guid FROM vnet_guids WHERE vnet_id = ?1",
            [vnet_id],
            |r| r.get(0),
        )
        .optional()?)
}

/// Every gateway, for the dump: `(id, vnet_id, kind)` sorted by ID.
pub fn all(tx: &Transaction) -> Result<Vec<(String, String, String)>, Fail> {
    Ok(tx
        .prepare("SELECT id, vnet_id, kind FROM gateways ORDER BY lower(id)")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?)
}
