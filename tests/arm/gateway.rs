//! Virtual network gateways and public IP addresses. A gateway sits in its
//! VNET's `GatewaySubnet` (whose `ipConfigurations` then name it) with a
//! public IP; it is not deleted while a peering uses it
//! (`useRemoteGateways`), nor is its public IP or its subnet.

use super::dispatch::{bad_request, resource_not_found, tags_of, Ctx, Reply};
use super::lro;
use super::network::{busy, public_ip_user};
use super::render;
use super::state::{Common, Gateway, GatewayIpConfig, OpKind, PublicIp, State};
use super::target::{key, normalize_location, resource_id, split_child, Child, NetType};
use serde_json::Value;

fn str_at<'a>(v: Option<&'a Value>, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.and_then(|c| c.get(*p));
    }
    cur.and_then(Value::as_str)
}

pub fn gateway(st: &mut State, cx: &Ctx, method: &str, rg: &str, name: &str, body: &Value) -> Reply {
    let id = resource_id(&st.subscription_id, rg, NetType::VirtualNetworkGateways, name);
    let k = key(&id);
    let ty = NetType::VirtualNetworkGateways.type_name();
    match method {
        "GET" => match st.gateways.get(&k) {
            Some(g) => Reply::json(200, render::gateway(st, g)),
            None => resource_not_found(ty, name, rg),
        },
        "PUT" => put_gateway(st, cx, id, name, body),
        "PATCH" => {
            if let Some(r) = busy(st, cx, &k) {
                return r;
            }
            let etag = st.etag();
            let Some(g) = st.gateways.get_mut(&k) else {
                return resource_not_found(ty, name, rg);
            };
            g.c.tags = tags_of(body);
            g.c.etag = etag;
            Reply::json(200, render::gateway(st, &st.gateways[&k])).changed()
        }
        "DELETE" => {
            let Some(g) = st.gateways.get(&k) else {
                return Reply::empty(204);
            };
            if let Some(r) = busy(st, cx, &k) {
                return r;
            }
            let vnets: Vec<String> = g
                .ip_configurations
                .iter()
                .filter_map(|c| split_child(&c.subnet_id, Child::Subnets).map(|(v, _)| key(v)))
                .collect();
            let users: Vec<String> = st
                .vnets
                .values()
                .flat_map(|v| {
                    v.peerings
                        .iter()
                        .filter(|p| p.use_remote_gateways && vnets.contains(&key(&p.remote_vnet_id)))
                        .map(move |p| format!("{}/virtualNetworkPeerings/{}", v.c.id, p.name))
                })
                .collect();
            if !users.is_empty() {
                return bad_request(
                    "InUseGatewayCannotBeDeleted",
                    format!(
                        "Virtual network gateway {} cannot be deleted because peering(s) {} use it (useRemoteGateways).",
                        g.c.id,
                        users.join(", ")
                    ),
                );
            }
            let location = g.c.location.clone();
            let id = g.c.id.clone();
            lro::set_state(st, &id, "Deleting");
            let guid = lro::start(st, cx, OpKind::Delete, &id, &k, &location);
            lro::accepted(cx, st, guid.as_deref(), &location).changed()
        }
        _ => Reply::error(
            405,
            "HttpMethodNotAllowed",
            format!("The HTTP method '{method}' is not supported."),
        ),
    }
}

fn put_gateway(st: &mut State, cx: &Ctx, id: String, name: &str, body: &Value) -> Reply {
    let k = key(&id);
    let Some(location) = body.get("location").and_then(Value::as_str) else {
        return bad_request(
            "LocationRequired",
            "The location property is required for this definition.",
        );
    };
    let location = normalize_location(location);
    let props = body.get("properties");
    let mut ipconfs = Vec::new();
    for (i, c) in props
        .and_then(|p| p.get("ipConfigurations"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let cname = c
            .get("name")
            .and_then(Value::as_str)
            .map_or_else(|| format!("ipconfig{i}"), str::to_string);
        let subnet_id = str_at(c.get("properties"), &["subnet", "id"])
            .unwrap_or_default()
            .to_string();
        let public_ip_id = str_at(c.get("properties"), &["publicIPAddress", "id"])
            .unwrap_or_default()
            .to_string();
        ipconfs.push(GatewayIpConfig {
            name: cname,
            subnet_id,
            public_ip_id,
        });
    }
    if ipconfs.is_empty() {
        return bad_request(
            "InvalidRequestFormat",
            format!("Virtual network gateway {id} needs at least one IP configuration."),
        );
    }
    if let Some(r) = busy(st, cx, &k) {
        return r;
    }
    for c in &ipconfs {
        let Some((vnet_id, subnet)) = split_child(&c.subnet_id, Child::Subnets) else {
            return bad_request(
                "GatewaySubnetMissing",
                format!("IP configuration {} of gateway {id} names no subnet; a gateway needs a subnet named GatewaySubnet.", c.name),
            );
        };
        let Some(v) = st.vnets.get(&key(vnet_id)) else {
            return bad_request(
                "ResourceNotFound",
                format!("Resource {vnet_id} referenced by resource {id} was not found."),
            );
        };
        if !subnet.eq_ignore_ascii_case("GatewaySubnet")
            || !v.subnets.iter().any(|s| s.name.eq_ignore_ascii_case("GatewaySubnet"))
        {
            return bad_request(
                "GatewaySubnetMissing",
                format!(
                    "Gateway {id} must be in a subnet named GatewaySubnet of virtual network {}; {} is not one.",
                    v.c.name, c.subnet_id
                ),
            );
        }
        if c.public_ip_id.is_empty() || !st.public_ips.contains_key(&key(&c.public_ip_id)) {
            return bad_request(
                "ResourceNotFound",
                format!(
                    "Resource {} referenced by resource {id} was not found.",
                    if c.public_ip_id.is_empty() {
                        "(publicIPAddress)"
                    } else {
                        &c.public_ip_id
                    }
                ),
            );
        }
        if let Some(user) = public_ip_user(st, &c.public_ip_id) {
            if !key(&user).starts_with(&format!("{k}/")) {
                return bad_request(
                    "PublicIPAddressInUse",
                    format!("Public IP address {} is already used by {user}.", c.public_ip_id),
                );
            }
        }
    }
    let existing = st.gateways.get(&k).cloned();
    let gateway_type = str_at(props, &["gatewayType"]).unwrap_or("Vpn").to_string();
    if let Some(e) = &existing {
        if !e.gateway_type.eq_ignore_ascii_case(&gateway_type) {
            return bad_request(
                "InvalidRequest",
                format!(
                    "The gateway type of {id} cannot be changed from {} to {gateway_type}.",
                    e.gateway_type
                ),
            );
        }
    }
    let etag = st.etag();
    let resource_guid = existing
        .as_ref()
        .map_or_else(|| st.rng.guid(), |e| e.c.resource_guid.clone());
    let default_sku = if gateway_type.eq_ignore_ascii_case("ExpressRoute") {
        "Standard"
    } else {
        "VpnGw1"
    };
    let sku_name = str_at(props, &["sku", "name"]).unwrap_or(default_sku).to_string();
    let g = Gateway {
        c: Common {
            id: existing.as_ref().map_or_else(|| id.clone(), |e| e.c.id.clone()),
            name: name.to_string(),
            location: location.clone(),
            tags: tags_of(body),
            etag,
            provisioning_state: "Updating".into(),
            resource_guid,
        },
        vpn_type: str_at(props, &["vpnType"]).unwrap_or("RouteBased").to_string(),
        sku_tier: str_at(props, &["sku", "tier"]).unwrap_or(&sku_name).to_string(),
        sku_name,
        gateway_type,
        active_active: props
            .and_then(|p| p.get("activeActive"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
        enable_bgp: props
            .and_then(|p| p.get("enableBgp"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
        ip_configurations: ipconfs,
    };
    let id = g.c.id.clone();
    st.gateways.insert(k.clone(), g);
    let guid = lro::start(st, cx, OpKind::Put, &id, &k, &location);
    let reply = Reply::json(
        if existing.is_some() { 200 } else { 201 },
        render::gateway(st, &st.gateways[&k]),
    )
    .changed();
    lro::put_headers(reply, cx, st, guid.as_deref(), &location)
}

pub fn public_ip(st: &mut State, cx: &Ctx, method: &str, rg: &str, name: &str, body: &Value) -> Reply {
    let id = resource_id(&st.subscription_id, rg, NetType::PublicIpAddresses, name);
    let k = key(&id);
    let ty = NetType::PublicIpAddresses.type_name();
    match method {
        "GET" => match st.public_ips.get(&k) {
            Some(p) => Reply::json(200, render::public_ip(st, p)),
            None => resource_not_found(ty, name, rg),
        },
        "PUT" => {
            let Some(location) = body.get("location").and_then(Value::as_str) else {
                return bad_request(
                    "LocationRequired",
                    "The location property is required for this definition.",
                );
            };
            let location = normalize_location(location);
            if let Some(r) = busy(st, cx, &k) {
                return r;
            }
            let existing = st.public_ips.get(&k).cloned();
            let props = body.get("properties");
            let sku_name = str_at(body.get("sku"), &["name"]).unwrap_or("Standard").to_string();
            let allocation_method = str_at(props, &["publicIPAllocationMethod"])
                .unwrap_or(if sku_name.eq_ignore_ascii_case("Standard") {
                    "Static"
                } else {
                    "Dynamic"
                })
                .to_string();
            if sku_name.eq_ignore_ascii_case("Standard") && !allocation_method.eq_ignore_ascii_case("Static") {
                return bad_request(
                    "StandardSkuPublicIPAddressesMustBeStatic",
                    format!("Standard sku publicIp {id} must have AllocationMethod set to Static."),
                );
            }
            let etag = st.etag();
            let n = st.next();
            let (resource_guid, ip_address) = match &existing {
                Some(e) => (e.c.resource_guid.clone(), e.ip_address.clone()),
                None => (
                    st.rng.guid(),
                    format!("20.{}.{}.{}", 50 + (n / 65_536) % 200, (n / 256) % 256, n % 256),
                ),
            };
            let zones = body
                .get("zones")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|z| z.as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            let p = PublicIp {
                c: Common {
                    id: existing.as_ref().map_or_else(|| id.clone(), |e| e.c.id.clone()),
                    name: name.to_string(),
                    location: location.clone(),
                    tags: tags_of(body),
                    etag,
                    provisioning_state: "Updating".into(),
                    resource_guid,
                },
                sku_tier: str_at(body.get("sku"), &["tier"]).unwrap_or("Regional").to_string(),
                sku_name,
                allocation_method,
                ip_version: str_at(props, &["publicIPAddressVersion"]).unwrap_or("IPv4").to_string(),
                ip_address,
                zones,
            };
            let id = p.c.id.clone();
            st.public_ips.insert(k.clone(), p);
            let guid = lro::start(st, cx, OpKind::Put, &id, &k, &location);
            let reply = Reply::json(
                if existing.is_some() { 200 } else { 201 },
                render::public_ip(st, &st.public_ips[&k]),
            )
            .changed();
            lro::put_headers(reply, cx, st, guid.as_deref(), &location)
        }
        "PATCH" => {
            if let Some(r) = busy(st, cx, &k) {
                return r;
            }
            let etag = st.etag();
            let Some(p) = st.public_ips.get_mut(&k) else {
                return resource_not_found(ty, name, rg);
            };
            p.c.tags = tags_of(body);
            p.c.etag = etag;
            Reply::json(200, render::public_ip(st, &st.public_ips[&k])).changed()
        }
        "DELETE" => {
            let Some(p) = st.public_ips.get(&k) else {
                return Reply::empty(204);
            };
            if let Some(r) = busy(st, cx, &k) {
                return r;
            }
            if let Some(user) = public_ip_user(st, &p.c.id) {
                return bad_request(
                    "PublicIPAddressCannotBeDeleted",
                    format!(
                        "Public IP address {} can not be deleted since it is still allocated to resource {user}.",
                        p.c.id
                    ),
                );
            }
            let (id, location) = (p.c.id.clone(), p.c.location.clone());
            lro::set_state(st, &id, "Deleting");
            let guid = lro::start(st, cx, OpKind::Delete, &id, &k, &location);
            lro::accepted(cx, st, guid.as_deref(), &location).changed()
        }
        _ => Reply::error(
            405,
            "HttpMethodNotAllowed",
            format!("The HTTP method '{method}' is not supported."),
        ),
    }
}
