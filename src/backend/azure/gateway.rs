//! A hub's gateway as ARM holds it: a `virtualNetworkGateways/<hub>-<kind>-gateway`
//! (`Vpn` or `ExpressRoute`) on the hub's `GatewaySubnet`, with a Standard
//! static public IP `<hub>-<kind>-gateway-pip`. Read finds the gateway of
//! any hub (also one the network team runs) from the `GatewaySubnet`'s
//! IP configurations. Switching kinds deletes the old gateway (ARM refuses
//! while a peering uses it) and creates the new one.

use super::backend::AzureBackend;
use super::error::ArmError;
use super::vnet_body::{marked, tags_of, tags_value, Desired, Tags};
use crate::backend::{OpCtx, Owner, VirtualNetworkId};
use crate::graph::kinds::hub::GATEWAY_SUBNET;
use azure_mgmt_network::models;
use azure_mgmt_network::models::virtual_network_gateway_properties_format::GatewayType;

/// `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Network/{collection}/{name}`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkId {
    pub subscription_id: String,
    pub resource_group: String,
    pub name: String,
}

impl NetworkId {
    /// Parses an ID of `collection` (case-insensitive), ignoring what follows the name.
    pub fn parse(id: &str, collection: &str) -> Option<NetworkId> {
        let parts: Vec<&str> = id.trim_start_matches('/').split('/').collect();
        let at = |i: usize, key: &str| parts.get(i).filter(|p| p.eq_ignore_ascii_case(key)).is_some();
        if at(0, "subscriptions") && at(2, "resourceGroups") && at(4, "providers") && at(6, collection) {
            Some(NetworkId {
                subscription_id: parts.get(1)?.to_string(),
                resource_group: parts.get(3)?.to_string(),
                name: parts.get(7)?.to_string(),
            })
        } else {
            None
        }
    }

    pub fn to_id(&self, collection: &str) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/{collection}/{}",
            self.subscription_id, self.resource_group, self.name
        )
    }
}

/// A gateway found on a hub: its ID and kind (`vpn`, `expressroute`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub id: String,
    pub kind: String,
    pub owner: Owner,
    /// The public IPs of its IP configurations.
    pub public_ips: Vec<String>,
}

fn kind_of(t: Option<&GatewayType>) -> String {
    match t {
        Some(GatewayType::Vpn) => "vpn".into(),
        Some(GatewayType::ExpressRoute) => "expressroute".into(),
        Some(GatewayType::LocalGateway) => "localgateway".into(),
        Some(GatewayType::UnknownValue(s)) => s.to_ascii_lowercase(),
        None => "none".into(),
    }
}

/// The gateway whose IP configuration uses the VNET's `GatewaySubnet`.
pub async fn find(b: &AzureBackend, cx: &OpCtx, vnet: &models::VirtualNetwork) -> Result<Option<Found>, ArmError> {
    let Some(p) = vnet.properties.as_ref() else {
        return Ok(None);
    };
    let Some(gs) = p.subnets.iter().find(|s| {
        s.name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(GATEWAY_SUBNET))
    }) else {
        return Ok(None);
    };
    let ids = gs
        .properties
        .iter()
        .flat_map(|sp| sp.ip_configurations.iter())
        .filter_map(|c| c.sub_resource.id.as_deref());
    for id in ids {
        let Some(gw) = NetworkId::parse(id, "virtualNetworkGateways") else {
            continue;
        };
        let c = b.arm.network.virtual_network_gateways_client();
        let key = gw.to_id("virtualNetworkGateways");
        let found: Option<models::VirtualNetworkGateway> = b
            .get(cx, &key, || {
                c.get(&gw.resource_group, &gw.name, &gw.subscription_id).send()
            })
            .await?;
        if let Some(g) = found {
            let public_ips = g
                .properties
                .ip_configurations
                .iter()
                .filter_map(|c| c.properties.as_ref()?.public_ip_address.as_ref()?.id.clone())
                .collect();
            return Ok(Some(Found {
                id: g.resource.id.clone().unwrap_or(key),
                kind: kind_of(g.properties.gateway_type.as_ref()),
                owner: Owner::from_tags(&tags_of(g.resource.tags.as_ref())),
                public_ips,
            }));
        }
    }
    Ok(None)
}

/// The name of the gateway of kind `kind` of hub `hub`, and of its public IP.
pub fn names(hub: &str, kind: &str) -> (String, String) {
    (format!("{hub}-{kind}-gateway"), format!("{hub}-{kind}-gateway-pip"))
}

/// Creates (or completes) the gateway `d.gateway` of the hub `vid`.
pub async fn ensure(b: &AzureBackend, cx: &OpCtx, vid: &VirtualNetworkId, d: &Desired) -> Result<(), ArmError> {
    let (gw_name, pip_name) = names(&d.name, &d.gateway);
    let tags: Tags = marked(&Tags::new(), cx.stack());
    let sub = &vid.subscription_id;
    let rg = &vid.resource_group;
    let pip_id = NetworkId {
        subscription_id: sub.clone(),
        resource_group: rg.clone(),
        name: pip_name.clone(),
    }
    .to_id("publicIPAddresses");
    let pip: models::PublicIpAddress = serde_json::from_value(serde_json::json!({
        "location": d.location,
        "tags": tags_value(&tags),
        "sku": {"name": "Standard", "tier": "Regional"},
        "properties": {"publicIPAllocationMethod": "Static", "publicIPAddressVersion": "IPv4"}
    }))
    .map_err(|e| ArmError::Decode(e.to_string()))?;
    let c = b.arm.network.public_ip_addresses_client();
    b.write(cx, || {
        b.arm
            .call(cx, c.create_or_update(rg, &pip_name, pip.clone(), sub).send())
    })
    .await?;
    let (gateway_type, sku, vpn) = if d.gateway == "expressroute" {
        ("ExpressRoute", "Standard", None)
    } else {
        ("Vpn", "VpnGw1", Some("RouteBased"))
    };
    let mut props = serde_json::json!({
        "gatewayType": gateway_type,
        "sku": {"name": sku, "tier": sku},
        "ipConfigurations": [{
            "name": "default",
            "properties": {
                "privateIPAllocationMethod": "Dynamic",
                "subnet": {"id": format!("{vid}/subnets/{GATEWAY_SUBNET}")},
                "publicIPAddress": {"id": pip_id}
            }
        }]
    });
    if let Some(v) = vpn {
        props["vpnType"] = serde_json::Value::String(v.into());
    }
    let gw: models::VirtualNetworkGateway = serde_json::from_value(serde_json::json!({
        "location": d.location,
        "tags": tags_value(&tags),
        "properties": props
    }))
    .map_err(|e| ArmError::Decode(e.to_string()))?;
    let c = b.arm.network.virtual_network_gateways_client();
    b.write(cx, || {
        b.arm.call(cx, c.create_or_update(rg, &gw_name, gw.clone(), sub).send())
    })
    .await?;
    b.forget(
        cx,
        &NetworkId {
            subscription_id: sub.clone(),
            resource_group: rg.clone(),
            name: gw_name,
        }
        .to_id("virtualNetworkGateways"),
    );
    Ok(())
}

/// Deletes a gateway hybridk8s made, then its public IPs.
pub async fn remove(b: &AzureBackend, cx: &OpCtx, found: &Found) -> Result<(), ArmError> {
    if let Some(gw) = NetworkId::parse(&found.id, "virtualNetworkGateways") {
        let c = b.arm.network.virtual_network_gateways_client();
        b.remove(cx, || {
            b.arm
                .call(cx, c.delete(&gw.resource_group, &gw.name, &gw.subscription_id).send())
        })
        .await?;
        b.forget(cx, &found.id);
    }
    for pip in &found.public_ips {
        if let Some(p) = NetworkId::parse(pip, "publicIPAddresses") {
            let c = b.arm.network.public_ip_addresses_client();
            b.remove(cx, || {
                b.arm
                    .call(cx, c.delete(&p.resource_group, &p.name, &p.subscription_id).send())
            })
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_ids_parse_from_an_ip_configuration() {
        let id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworkGateways/hub-vpn-gateway/ipConfigurations/default";
        let g = NetworkId::parse(id, "virtualNetworkGateways").unwrap();
        assert_eq!(g.name, "hub-vpn-gateway");
        assert_eq!(
            g.to_id("virtualNetworkGateways"),
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworkGateways/hub-vpn-gateway"
        );
        assert!(NetworkId::parse(id, "publicIPAddresses").is_none());
        assert_eq!(names("hub", "vpn").1, "hub-vpn-gateway-pip");
    }
}
