//! Resource bodies as ARM 2024-03-01 answers them (every field parses in
//! `azure_mgmt_network::package_2024_03::models`).

use super::network;
use super::state::{Gateway, Group, Peering, PublicIp, State, Subnet, Vnet};
use super::target::{child_id, key, Child, NetType, Target};
use serde_json::{json, Value};

pub fn group(sub: &str, g: &Group) -> Value {
    json!({
        "id": format!("/subscriptions/{sub}/resourceGroups/{}", g.name),
        "name": g.name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": g.location,
        "tags": g.tags,
        "properties": {"provisioningState": g.provisioning_state},
    })
}

fn space(prefixes: &[String]) -> Value {
    json!({ "addressPrefixes": prefixes })
}

pub fn vnet(st: &State, v: &Vnet) -> Value {
    json!({
        "name": v.c.name,
        "id": v.c.id,
        "etag": v.c.etag,
        "type": NetType::VirtualNetworks.type_name(),
        "location": v.c.location,
        "tags": v.c.tags,
        "properties": {
            "provisioningState": v.c.provisioning_state,
            "resourceGuid": v.c.resource_guid,
            "addressSpace": space(&v.address_prefixes),
            "dhcpOptions": {"dnsServers": v.dns_servers},
            "subnets": v.subnets.iter().map(|s| subnet(st, v, s)).collect::<Vec<_>>(),
            "virtualNetworkPeerings": v.peerings.iter().map(|p| peering(st, v, p)).collect::<Vec<_>>(),
            "enableDdosProtection": false,
        },
    })
}

pub fn subnet(st: &State, v: &Vnet, s: &Subnet) -> Value {
    let id = child_id(&v.c.id, Child::Subnets, &s.name);
    let mut props = json!({
        "provisioningState": s.provisioning_state,
        "addressPrefix": s.address_prefix,
        "privateEndpointNetworkPolicies": "Disabled",
        "privateLinkServiceNetworkPolicies": "Enabled",
    });
    let users = network::subnet_users(st, &id);
    if !users.is_empty() {
        props["ipConfigurations"] = users.iter().map(|u| json!({ "id": u })).collect::<Vec<_>>().into();
    }
    json!({
        "name": s.name,
        "id": id,
        "etag": s.etag,
        "type": "Microsoft.Network/virtualNetworks/subnets",
        "properties": props,
    })
}

/// FullyInSync when both sides know the other's current address space.
pub fn sync_level(st: &State, v: &Vnet, p: &Peering) -> &'static str {
    let local_ok = match st.vnets.get(&key(&p.remote_vnet_id)) {
        Some(remote) => remote.address_prefixes == p.remote_address_space,
        None => true,
    };
    let remote_ok = match network::back_side(st, &v.c.id, &p.remote_vnet_id) {
        Some(back) => back.remote_address_space == v.address_prefixes,
        None => true,
    };
    match (local_ok, remote_ok) {
        (true, true) => "FullyInSync",
        (false, true) => "LocalNotInSync",
        (true, false) => "RemoteNotInSync",
        (false, false) => "LocalAndRemoteNotInSync",
    }
}

pub fn peering(st: &State, v: &Vnet, p: &Peering) -> Value {
    let mut props = json!({
        "provisioningState": p.provisioning_state,
        "resourceGuid": p.resource_guid,
        "peeringState": p.peering_state,
        "peeringSyncLevel": sync_level(st, v, p),
        "remoteVirtualNetwork": {"id": p.remote_vnet_id},
        "allowVirtualNetworkAccess": p.allow_virtual_network_access,
        "allowForwardedTraffic": p.allow_forwarded_traffic,
        "allowGatewayTransit": p.allow_gateway_transit,
        "useRemoteGateways": p.use_remote_gateways,
        "doNotVerifyRemoteGateways": false,
        "remoteAddressSpace": space(&p.remote_address_space),
        "localAddressSpace": space(&v.address_prefixes),
        "localVirtualNetworkAddressSpace": space(&v.address_prefixes),
    });
    if let Some(remote) = st.vnets.get(&key(&p.remote_vnet_id)) {
        props["remoteVirtualNetworkAddressSpace"] = space(&remote.address_prefixes);
    }
    json!({
        "name": p.name,
        "id": child_id(&v.c.id, Child::Peerings, &p.name),
        "etag": p.etag,
        "type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
        "properties": props,
    })
}

pub fn gateway(_st: &State, g: &Gateway) -> Value {
    let ipconfs: Vec<Value> = g
        .ip_configurations
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "id": format!("{}/ipConfigurations/{}", g.c.id, c.name),
                "etag": g.c.etag,
                "properties": {
                    "provisioningState": g.c.provisioning_state,
                    "privateIPAllocationMethod": "Dynamic",
                    "subnet": {"id": c.subnet_id},
                    "publicIPAddress": {"id": c.public_ip_id},
                },
            })
        })
        .collect();
    json!({
        "name": g.c.name,
        "id": g.c.id,
        "etag": g.c.etag,
        "type": NetType::VirtualNetworkGateways.type_name(),
        "location": g.c.location,
        "tags": g.c.tags,
        "properties": {
            "provisioningState": g.c.provisioning_state,
            "resourceGuid": g.c.resource_guid,
            "gatewayType": g.gateway_type,
            "vpnType": g.vpn_type,
            "enableBgp": g.enable_bgp,
            "activeActive": g.active_active,
            "sku": {"name": g.sku_name, "tier": g.sku_tier, "capacity": 2},
            "ipConfigurations": ipconfs,
        },
    })
}

pub fn public_ip(st: &State, p: &PublicIp) -> Value {
    let mut props = json!({
        "provisioningState": p.c.provisioning_state,
        "resourceGuid": p.c.resource_guid,
        "publicIPAddressVersion": p.ip_version,
        "publicIPAllocationMethod": p.allocation_method,
        "idleTimeoutInMinutes": 4,
        "ipAddress": p.ip_address,
    });
    if let Some(user) = network::public_ip_user(st, &p.c.id) {
        props["ipConfiguration"] = json!({ "id": user });
    }
    let mut body = json!({
        "name": p.c.name,
        "id": p.c.id,
        "etag": p.c.etag,
        "type": NetType::PublicIpAddresses.type_name(),
        "location": p.c.location,
        "tags": p.c.tags,
        "sku": {"name": p.sku_name, "tier": p.sku_tier},
        "properties": props,
    });
    if !p.zones.is_empty() {
        body["zones"] = json!(p.zones);
    }
    body
}

/// The body of any resource by ARM ID.
pub fn any(st: &State, id: &str) -> Option<Value> {
    match Target::parse(id)? {
        Target::Group { rg, .. } => st
            .groups
            .get(&rg.to_ascii_lowercase())
            .map(|g| group(&st.subscription_id, g)),
        Target::Resource { ty, .. } => {
            let k = key(id);
            match ty {
                NetType::VirtualNetworks => st.vnets.get(&k).map(|v| vnet(st, v)),
                NetType::VirtualNetworkGateways => st.gateways.get(&k).map(|g| gateway(st, g)),
                NetType::PublicIpAddresses => st.public_ips.get(&k).map(|p| public_ip(st, p)),
            }
        }
        Target::ChildResource { child, name, .. } => {
            let (vnet_id, _) = super::target::split_child(id, child)?;
            let v = st.vnets.get(&key(vnet_id))?;
            match child {
                Child::Subnets => v
                    .subnets
                    .iter()
                    .find(|s| s.name.eq_ignore_ascii_case(&name))
                    .map(|s| subnet(st, v, s)),
                Child::Peerings => v
                    .peerings
                    .iter()
                    .find(|p| p.name.eq_ignore_ascii_case(&name))
                    .map(|p| peering(st, v, p)),
            }
        }
        _ => None,
    }
}
