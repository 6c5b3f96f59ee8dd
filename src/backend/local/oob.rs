//! Changes made "outside hybridk8s", the way someone with the Azure portal
//! would: tests use them to create drift the engine must notice.

use super::records::strings_to_json;
use super::{peering_side as peering, vnet, Fail, LocalFabric};
use crate::backend::{BackendError, Op, OpCtx, PeeringId, VirtualNetworkId};
use rusqlite::params;

/// The context of a change made by hand: no stack, never cancelled.
fn portal() -> OpCtx {
    OpCtx::new("(outside hybridk8s)")
}

impl LocalFabric {
    /// Adds a subnet to a VNET, as someone with the portal would (hybridk8s
    /// does not manage it, and keeps it).
    pub async fn add_foreign_subnet(&self, id: &VirtualNetworkId, name: &str, cidr: &str) -> Result<(), BackendError> {
        let (vid, name, cidr) = (id.to_string(), name.to_string(), cidr.to_string());
        self.write_as(&portal(), Op::Updating, "Virtual Network", &id.to_string(), move |tx| {
            let Some(mut row) = vnet::get(tx, &vid)? else {
                return Err(Fail::refused(
                    crate::backend::ErrorCode::ResourceNotFound,
                    "no such virtual network",
                ));
            };
            row.subnets.push((name, cidr));
            vnet::validate(&row)?;
            vnet::write_row(tx, &row)
        })
        .await
    }

    /// Creates a VNET without any owner mark, as another tool would.
    pub async fn create_unmanaged_vnet(
        &self,
        kind: crate::graph::Kind,
        attrs: &crate::graph::Attrs,
    ) -> Result<(), BackendError> {
        let row = match kind {
            crate::graph::Kind::Hub => super::hub::row(attrs),
            _ => super::cluster_network::row(attrs),
        }
        .map_err(|e| e.at(Op::Creating, "Virtual Network", "(unmanaged)"))?;
        let id = row.id.clone();
        self.write_as(&portal(), Op::Creating, "Virtual Network", &id, move |tx| {
            vnet::validate(&row)?;
            vnet::write_row(tx, &row)
        })
        .await
    }

    /// Deletes one side of a peering (the other becomes Disconnected).
    pub async fn delete_peering_side(&self, id: &PeeringId) -> Result<(), BackendError> {
        let (vnet_id, name) = (id.vnet.to_string(), id.name.clone());
        self.write_as(
            &portal(),
            Op::Deleting,
            "Virtual Network Peering",
            &id.to_string(),
            move |tx| peering::delete_side(tx, &vnet_id, &name),
        )
        .await
    }

    /// Creates one side of a peering on its own, as the portal allows
    /// (Initiated until the other side exists). Azure's rules apply.
    pub async fn create_peering_side(
        &self,
        id: &PeeringId,
        remote: &VirtualNetworkId,
        allow_gateway_transit: bool,
        use_remote_gateways: bool,
    ) -> Result<(), BackendError> {
        let side = peering::Side {
            vnet_id: id.vnet.to_string(),
            name: id.name.clone(),
            remote_vnet_id: remote.to_string(),
            allow_virtual_network_access: true,
            allow_forwarded_traffic: true,
            allow_gateway_transit,
            use_remote_gateways,
            peering_state: String::new(),
            remote_address_space: Vec::new(),
            tags: Default::default(),
        };
        self.write_as(
            &portal(),
            Op::Creating,
            "Virtual Network Peering",
            &id.to_string(),
            move |tx| peering::put_side(tx, &side, false),
        )
        .await
    }

    /// Deletes a resource group with everything in it: its VNETs, their
    /// subnets, peerings and Kubernetes objects. Peerings of other VNETs
    /// that pointed at them become Disconnected.
    pub async fn delete_resource_group(&self, subscription_id: &str, resource_group: &str) -> Result<(), BackendError> {
        let (sub, rg) = (subscription_id.to_string(), resource_group.to_string());
        let id = format!("/subscriptions/{sub}/resourceGroups/{rg}");
        self.write_as(&portal(), Op::Deleting, "Resource Group", &id, move |tx| {
            let ids: Vec<String> = tx
                .prepare("SELECT id FROM vnets WHERE resource_group = ?1 COLLATE NOCASE")?
                .query_map([&rg], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for v in ids {
                if v.parse::<VirtualNetworkId>()
                    .is_ok_and(|p| p.subscription_id.eq_ignore_ascii_case(&sub))
                {
                    vnet::delete_tx(tx, &v, false)?;
                }
            }
            Ok(())
        })
        .await
    }

    /// Changes a VNET's address space without syncing its peerings: the
    /// peerings become RemoteNotInSync / LocalNotInSync.
    pub async fn set_address_space(&self, id: &VirtualNetworkId, address_space: &[&str]) -> Result<(), BackendError> {
        let (vid, space) = (
            id.to_string(),
            address_space.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        );
        self.write_as(&portal(), Op::Updating, "Virtual Network", &id.to_string(), move |tx| {
            let n = tx.execute(
                "UPDATE vnets SET address_space = ?2 WHERE id = ?1",
                params![vid, strings_to_json(&space)],
            )?;
            if n == 0 {
                return Err(Fail::refused(
                    crate::backend::ErrorCode::ResourceNotFound,
                    "no such virtual network",
                ));
            }
            Ok(())
        })
        .await
    }

    /// Deletes a Kubernetes object by key.
    pub async fn delete_k8s_object(
        &self,
        cluster_id: &str,
        namespace: &str,
        kind: &str,
        name: &str,
    ) -> Result<(), BackendError> {
        let key = [cluster_id, namespace, kind, name].map(str::to_string);
        self.write_as(
            &portal(),
            Op::Deleting,
            "Kubernetes Object",
            &format!("{cluster_id}/{namespace}/{kind}/{name}"),
            move |tx| {
                tx.execute(
                    "DELETE FROM k8s_objects WHERE cluster_id = ?1 AND namespace = ?2 AND kind = ?3 AND name = ?4",
                    params![key[0], key[1], key[2], key[3]],
                )?;
                Ok(())
            },
        )
        .await
    }
}
