//! Virtual networks, subnets and peerings, with the refusals Azure answers
//! (the same rules the local fabric enforces, same codes).
//!
//! A VNET PUT replaces the VNET: subnets absent from the body are deleted
//! (unless in use). Peerings are changed only through their own path: a
//! VNET PUT keeps every peering and ignores `virtualNetworkPeerings` in its
//! body, as Azure does not delete a peering through its VNET.
//!
//! Sync: each side remembers the remote address space it last synced. A
//! peering PUT with `?syncRemoteAddressSpace=true` syncs the peering as a
//! unit (this side learns the remote space, the remote side learns this
//! one), so resyncing the peerings of the VNET that changed brings both
//! sides to `FullyInSync`.

use super::dispatch::{bad_request, resource_not_found, tags_of, Ctx, Reply};
use super::lro;
use super::render;
use super::state::{Common, OpKind, Peering, State, Subnet, Vnet};
use super::target::{child_id, key, normalize_location, resource_id, Child, NetType};
use ipnet::IpNet;
use serde_json::Value;

pub fn find_vnet<'a>(st: &'a State, rg: &str, name: &str) -> Option<&'a Vnet> {
    st.vnets.get(&key(&resource_id(
        &st.subscription_id,
        rg,
        NetType::VirtualNetworks,
        name,
    )))
}

/// The gateway IP configurations that use the subnet with this ID.
pub fn subnet_users(st: &State, subnet_id: &str) -> Vec<String> {
    let k = key(subnet_id);
    st.gateways
        .values()
        .flat_map(|g| {
            g.ip_configurations
                .iter()
                .filter(|c| key(&c.subnet_id) == k)
                .map(move |c| format!("{}/ipConfigurations/{}", g.c.id, c.name))
        })
        .collect()
}

/// The gateway IP configuration that uses this public IP.
pub fn public_ip_user(st: &State, pip_id: &str) -> Option<String> {
    let k = key(pip_id);
    st.gateways.values().find_map(|g| {
        g.ip_configurations
            .iter()
            .find(|c| key(&c.public_ip_id) == k)
            .map(|c| format!("{}/ipConfigurations/{}", g.c.id, c.name))
    })
}

/// Whether a gateway sits in a subnet of this VNET.
pub fn vnet_has_gateway(st: &State, vnet_id: &str) -> bool {
    let prefix = format!("{}/subnets/", key(vnet_id));
    st.gateways.values().any(|g| {
        g.ip_configurations
            .iter()
            .any(|c| key(&c.subnet_id).starts_with(&prefix))
    })
}

/// The side on the remote VNET that points back at `local_id`.
pub fn back_side<'a>(st: &'a State, local_id: &str, remote_id: &str) -> Option<&'a Peering> {
    let lk = key(local_id);
    st.vnets
        .get(&key(remote_id))?
        .peerings
        .iter()
        .find(|p| key(&p.remote_vnet_id) == lk)
}

fn back_side_mut<'a>(st: &'a mut State, local_id: &str, remote_id: &str) -> Option<&'a mut Peering> {
    let lk = key(local_id);
    st.vnets
        .get_mut(&key(remote_id))?
        .peerings
        .iter_mut()
        .find(|p| key(&p.remote_vnet_id) == lk)
}

/// Removes a VNET; the peerings that point at it become `Disconnected`.
pub fn remove_vnet(st: &mut State, k: &str) {
    st.vnets.remove(k);
    for v in st.vnets.values_mut() {
        for p in &mut v.peerings {
            if key(&p.remote_vnet_id) == k {
                p.peering_state = "Disconnected".into();
            }
        }
    }
}

/// Removes a peering side; the other side becomes `Disconnected`.
pub fn remove_peering(st: &mut State, vnet_key: &str, name: &str) {
    let Some(v) = st.vnets.get_mut(vnet_key) else { return };
    let Some(i) = v.peerings.iter().position(|p| p.name.eq_ignore_ascii_case(name)) else {
        return;
    };
    let p = v.peerings.remove(i);
    let local_id = v.c.id.clone();
    if let Some(b) = back_side_mut(st, &local_id, &p.remote_vnet_id) {
        b.peering_state = "Disconnected".into();
    }
}

/// 409 `AnotherOperationInProgress` while an operation holds `lock`.
pub fn busy(st: &State, cx: &Ctx, lock: &str) -> Option<Reply> {
    if cx.oob {
        return None;
    }
    let op = st.running_on(lock)?;
    Some(Reply::error(
        409,
        "AnotherOperationInProgress",
        format!(
            "Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: {}subscriptions/{}/providers/Microsoft.Network/locations/{}/operations/{}?api-version={}. For more details please go to https://aka.ms/ARMAnotherOperationInProgress",
            cx.endpoint,
            st.subscription_id,
            op.location,
            op.guid,
            lro::API_VERSION
        ),
    ))
}

pub fn strings(v: Option<&Value>, path: &[&str]) -> Vec<String> {
    let mut cur = v;
    for p in path {
        cur = cur.and_then(|c| c.get(*p));
    }
    cur.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// A CIDR as Azure accepts it: parses, and names its network address.
pub fn cidr(s: &str) -> Result<IpNet, Reply> {
    match s.parse::<IpNet>() {
        Ok(n) if n.trunc() == n => Ok(n),
        _ => Err(bad_request(
            "InvalidAddressPrefixFormat",
            format!("Address prefix {s} does not have a valid format."),
        )),
    }
}

fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// The first overlapping pair of two address spaces.
pub fn first_overlap(a: &[String], b: &[String]) -> Option<(String, String)> {
    for x in a {
        for y in b {
            if let (Ok(nx), Ok(ny)) = (x.parse::<IpNet>(), y.parse::<IpNet>()) {
                if overlaps(&nx, &ny) {
                    return Some((x.clone(), y.clone()));
                }
            }
        }
    }
    None
}

fn invalid_subnet(name: &str, vnet: &str, why: String) -> Reply {
    bad_request(
        "NetcfgInvalidSubnet",
        format!("Subnet '{name}' is not valid in virtual network '{vnet}': {why}"),
    )
}

/// A subnet's range: /29 or larger, inside the space, not overlapping a sibling.
fn check_subnet(
    vnet: &str,
    space: &[IpNet],
    name: &str,
    prefix: &str,
    siblings: &[(String, IpNet)],
) -> Result<IpNet, Reply> {
    let n = cidr(prefix).map_err(|_| invalid_subnet(name, vnet, format!("{prefix} is not a valid address range")))?;
    let min = if n.addr().is_ipv4() { 29 } else { 64 };
    if n.prefix_len() > min {
        return Err(invalid_subnet(name, vnet, format!("{n} is smaller than a /{min}")));
    }
    if !space.iter().any(|s| s.contains(&n)) {
        return Err(invalid_subnet(
            name,
            vnet,
            format!(
                "its address range {n} is outside the address space {}",
                space.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    if let Some((other, r)) = siblings.iter().find(|(_, r)| overlaps(r, &n)) {
        return Err(bad_request(
            "NetcfgInvalidSubnet",
            format!("Subnet '{name}' is not valid in virtual network '{vnet}' because its address range {n} overlaps subnet '{other}' ({r})"),
        ));
    }
    Ok(n)
}

fn check_space(vnet: &str, prefixes: &[String]) -> Result<Vec<IpNet>, Reply> {
    if prefixes.is_empty() {
        return Err(bad_request(
            "InvalidRequestFormat",
            format!("Virtual network '{vnet}' must have at least one address prefix in properties.addressSpace.addressPrefixes."),
        ));
    }
    prefixes.iter().map(|p| cidr(p)).collect()
}

/// The peers of a VNET: the remotes of its peerings and the VNETs peered to it.
fn peers(st: &State, v: &Vnet) -> Vec<String> {
    let k = key(&v.c.id);
    let mut out: Vec<String> = v.peerings.iter().map(|p| key(&p.remote_vnet_id)).collect();
    for (ok, other) in &st.vnets {
        if other.peerings.iter().any(|p| key(&p.remote_vnet_id) == k) {
            out.push(ok.clone());
        }
    }
    out.sort();
    out.dedup();
    out
}

fn subnets_of_body(props: Option<&Value>) -> Result<Vec<(String, String)>, Reply> {
    let mut out = Vec::new();
    let items = props
        .and_then(|p| p.get("subnets"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for s in items {
        let Some(name) = s.get("name").and_then(Value::as_str) else {
            return Err(bad_request("InvalidRequestFormat", "Every subnet needs a name."));
        };
        let prefix = subnet_prefix(s.get("properties")).ok_or_else(|| {
            bad_request(
                "InvalidRequestFormat",
                format!("Subnet '{name}' needs properties.addressPrefix."),
            )
        })?;
        out.push((name.to_string(), prefix));
    }
    Ok(out)
}

fn subnet_prefix(props: Option<&Value>) -> Option<String> {
    let p = props?;
    p.get("addressPrefix")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| strings(Some(p), &["addressPrefixes"]).into_iter().next())
}

pub fn vnet(st: &mut State, cx: &Ctx, method: &str, rg: &str, name: &str, body: &Value) -> Reply {
    let id = resource_id(&st.subscription_id, rg, NetType::VirtualNetworks, name);
    let k = key(&id);
    match method {
        "GET" => match st.vnets.get(&k) {
            Some(v) => Reply::json(200, render::vnet(st, v)),
            None => resource_not_found("Microsoft.Network/virtualNetworks", name, rg),
        },
        "PUT" => put_vnet(st, cx, id, name, body),
        "PATCH" => {
            if let Some(r) = busy(st, cx, &k) {
                return r;
            }
            let etag = st.etag();
            let Some(v) = st.vnets.get_mut(&k) else {
                return resource_not_found("Microsoft.Network/virtualNetworks", name, rg);
            };
            v.c.tags = tags_of(body);
            v.c.etag = etag;
            Reply::json(200, render::vnet(st, &st.vnets[&k])).changed()
        }
        "DELETE" => delete_vnet(st, cx, &k),
        _ => Reply::error(
            405,
            "HttpMethodNotAllowed",
            format!("The HTTP method '{method}' is not supported."),
        ),
    }
}

fn put_vnet(st: &mut State, cx: &Ctx, id: String, name: &str, body: &Value) -> Reply {
    let k = key(&id);
    let Some(location) = body.get("location").and_then(Value::as_str) else {
        return bad_request(
            "LocationRequired",
            "The location property is required for this definition.",
        );
    };
    let location = normalize_location(location);
    let props = body.get("properties");
    let prefixes = strings(props, &["addressSpace", "addressPrefixes"]);
    let dns = strings(props, &["dhcpOptions", "dnsServers"]);
    let subnets_in = match subnets_of_body(props) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Some(r) = busy(st, cx, &k) {
        return r;
    }
    let existing = st.vnets.get(&k).cloned();
    if let Some(e) = &existing {
        if e.c.location != location {
            return Reply::error(
                409,
                "InvalidResourceLocation",
                format!(
                    "The resource '{name}' already exists in location '{}'. A resource with the same name cannot be created in location '{location}'.",
                    e.c.location
                ),
            );
        }
    }
    let space = match check_space(name, &prefixes) {
        Ok(s) => s,
        Err(r) => return r,
    };
    // Removing a range that still holds a (kept) subnet.
    if let Some(e) = &existing {
        for s in &e.subnets {
            let kept = subnets_in
                .iter()
                .any(|(n, p)| n.eq_ignore_ascii_case(&s.name) && *p == s.address_prefix);
            let Ok(n) = s.address_prefix.parse::<IpNet>() else {
                continue;
            };
            if kept && !space.iter().any(|r| r.contains(&n)) {
                return bad_request(
                    "NetcfgSubnetRangeOutsideVnet",
                    format!(
                        "Subnet '{}' is not valid because its IP address range {} is outside the IP address range of virtual network '{name}' ({}).",
                        s.name,
                        s.address_prefix,
                        prefixes.join(", ")
                    ),
                );
            }
        }
    }
    let mut seen: Vec<(String, IpNet)> = Vec::new();
    for (n, p) in &subnets_in {
        if seen.iter().any(|(m, _)| m.eq_ignore_ascii_case(n)) {
            return bad_request(
                "InvalidRequestFormat",
                format!("Subnet name '{n}' is used twice in virtual network '{name}'."),
            );
        }
        match check_subnet(name, &space, n, p, &seen) {
            Ok(net) => seen.push((n.clone(), net)),
            Err(r) => return r,
        }
    }
    if let Some(e) = &existing {
        for s in &e.subnets {
            let sid = child_id(&e.c.id, Child::Subnets, &s.name);
            let users = subnet_users(st, &sid);
            if users.is_empty() {
                continue;
            }
            match subnets_in.iter().find(|(n, _)| n.eq_ignore_ascii_case(&s.name)) {
                None => {
                    return bad_request(
                        "InUseSubnetCannotBeDeleted",
                        format!(
                            "Subnet {} is in use by {} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.",
                            s.name,
                            users.join(", ")
                        ),
                    )
                }
                Some((_, p)) if *p != s.address_prefix => {
                    return bad_request(
                        "InUseSubnetCannotBeUpdated",
                        format!(
                            "Subnet {} is in use by {} and its address prefix cannot be changed.",
                            s.name,
                            users.join(", ")
                        ),
                    )
                }
                _ => {}
            }
        }
        if e.address_prefixes != prefixes {
            for p in peers(st, e) {
                if let Some(remote) = st.vnets.get(&p) {
                    if let Some((a, b)) = first_overlap(&prefixes, &remote.address_prefixes) {
                        return bad_request(
                            "VnetAddressSpacesOverlap",
                            format!(
                                "Cannot update address space of virtual network {name}: address space {a} overlaps {b} of peered virtual network {}.",
                                remote.c.name
                            ),
                        );
                    }
                }
            }
        }
    }
    let etag = st.etag();
    let guid_new = st.rng.guid();
    let mut subnets = Vec::new();
    for (n, p) in subnets_in {
        let etag = st.etag();
        subnets.push(Subnet {
            name: n,
            address_prefix: p,
            etag,
            provisioning_state: "Updating".into(),
        });
    }
    let (id, resource_guid, peerings) = match &existing {
        Some(e) => (e.c.id.clone(), e.c.resource_guid.clone(), e.peerings.clone()),
        None => (id, guid_new, Vec::new()),
    };
    st.vnets.insert(
        k.clone(),
        Vnet {
            c: Common {
                id: id.clone(),
                name: name.to_string(),
                location: location.clone(),
                tags: tags_of(body),
                etag,
                provisioning_state: "Updating".into(),
                resource_guid,
            },
            address_prefixes: prefixes,
            dns_servers: dns,
            subnets,
            peerings,
        },
    );
    let guid = lro::start(st, cx, OpKind::Put, &id, &k, &location);
    let status = if existing.is_some() { 200 } else { 201 };
    let reply = Reply::json(status, render::vnet(st, &st.vnets[&k])).changed();
    lro::put_headers(reply, cx, st, guid.as_deref(), &location)
}

fn delete_vnet(st: &mut State, cx: &Ctx, k: &str) -> Reply {
    let Some(v) = st.vnets.get(k) else {
        return Reply::empty(204);
    };
    if let Some(r) = busy(st, cx, k) {
        return r;
    }
    if !v.peerings.is_empty() {
        let names: Vec<&str> = v.peerings.iter().map(|p| p.name.as_str()).collect();
        return bad_request(
            "InUseVnetCannotBeDeleted",
            format!(
                "Virtual network {} cannot be deleted because it is in use by peering(s) {}.",
                v.c.name,
                names.join(", ")
            ),
        );
    }
    for s in &v.subnets {
        let users = subnet_users(st, &child_id(&v.c.id, Child::Subnets, &s.name));
        if !users.is_empty() {
            return bad_request(
                "InUseSubnetCannotBeDeleted",
                format!(
                    "Subnet {} is in use by {} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.",
                    s.name,
                    users.join(", ")
                ),
            );
        }
    }
    let (id, location) = (v.c.id.clone(), v.c.location.clone());
    lro::set_state(st, &id, "Deleting");
    let guid = lro::start(st, cx, OpKind::Delete, &id, k, &location);
    lro::accepted(cx, st, guid.as_deref(), &location).changed()
}

fn not_found_child(id: &str) -> Reply {
    Reply::error(404, "NotFound", format!("Resource {id} not found."))
}

pub fn subnet(st: &mut State, cx: &Ctx, method: &str, rg: &str, vnet: &str, name: &str, body: &Value) -> Reply {
    let vnet_id = resource_id(&st.subscription_id, rg, NetType::VirtualNetworks, vnet);
    let vk = key(&vnet_id);
    let Some(v) = st.vnets.get(&vk).cloned() else {
        if method == "DELETE" {
            return Reply::empty(204);
        }
        return resource_not_found("Microsoft.Network/virtualNetworks", vnet, rg);
    };
    let id = child_id(&v.c.id, Child::Subnets, name);
    let found = v.subnets.iter().position(|s| s.name.eq_ignore_ascii_case(name));
    match method {
        "GET" => match found {
            Some(i) => Reply::json(200, render::subnet(st, &v, &v.subnets[i])),
            None => not_found_child(&id),
        },
        "PUT" => {
            let Some(prefix) = subnet_prefix(body.get("properties")) else {
                return bad_request(
                    "InvalidRequestFormat",
                    format!("Subnet '{name}' needs properties.addressPrefix."),
                );
            };
            if let Some(r) = busy(st, cx, &vk) {
                return r;
            }
            let space: Vec<IpNet> = v.address_prefixes.iter().filter_map(|p| p.parse().ok()).collect();
            let siblings: Vec<(String, IpNet)> = v
                .subnets
                .iter()
                .filter(|s| !s.name.eq_ignore_ascii_case(name))
                .filter_map(|s| Some((s.name.clone(), s.address_prefix.parse().ok()?)))
                .collect();
            if let Err(r) = check_subnet(&v.c.name, &space, name, &prefix, &siblings) {
                return r;
            }
            if let Some(i) = found {
                let users = subnet_users(st, &id);
                if !users.is_empty() && v.subnets[i].address_prefix != prefix {
                    return bad_request(
                        "InUseSubnetCannotBeUpdated",
                        format!(
                            "Subnet {name} is in use by {} and its address prefix cannot be changed.",
                            users.join(", ")
                        ),
                    );
                }
            }
            let etag = st.etag();
            let vm = st.vnets.get_mut(&vk).expect("checked above");
            let s = Subnet {
                name: found.map_or_else(|| name.to_string(), |i| vm.subnets[i].name.clone()),
                address_prefix: prefix,
                etag,
                provisioning_state: "Updating".into(),
            };
            match found {
                Some(i) => vm.subnets[i] = s,
                None => vm.subnets.push(s),
            }
            let location = v.c.location.clone();
            let guid = lro::start(st, cx, OpKind::Put, &id, &vk, &location);
            let v = &st.vnets[&vk];
            let s = v
                .subnets
                .iter()
                .find(|s| s.name.eq_ignore_ascii_case(name))
                .expect("just written");
            let reply = Reply::json(if found.is_some() { 200 } else { 201 }, render::subnet(st, v, s)).changed();
            lro::put_headers(reply, cx, st, guid.as_deref(), &location)
        }
        "DELETE" => {
            let Some(_) = found else {
                return Reply::empty(204);
            };
            if let Some(r) = busy(st, cx, &vk) {
                return r;
            }
            let users = subnet_users(st, &id);
            if !users.is_empty() {
                return bad_request(
                    "InUseSubnetCannotBeDeleted",
                    format!(
                        "Subnet {name} is in use by {} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.",
                        users.join(", ")
                    ),
                );
            }
            lro::set_state(st, &id, "Deleting");
            let guid = lro::start(st, cx, OpKind::Delete, &id, &vk, &v.c.location);
            lro::accepted(cx, st, guid.as_deref(), &v.c.location).changed()
        }
        _ => Reply::error(
            405,
            "HttpMethodNotAllowed",
            format!("The HTTP method '{method}' is not supported."),
        ),
    }
}

fn flag(props: Option<&Value>, name: &str, default: bool) -> bool {
    props
        .and_then(|p| p.get(name))
        .and_then(Value::as_bool)
        .unwrap_or(default)
}

pub fn peering(st: &mut State, cx: &Ctx, method: &str, rg: &str, vnet: &str, name: &str, body: &Value) -> Reply {
    let vnet_id = resource_id(&st.subscription_id, rg, NetType::VirtualNetworks, vnet);
    let vk = key(&vnet_id);
    let Some(v) = st.vnets.get(&vk).cloned() else {
        if method == "DELETE" {
            return Reply::empty(204);
        }
        return resource_not_found("Microsoft.Network/virtualNetworks", vnet, rg);
    };
    let id = child_id(&v.c.id, Child::Peerings, name);
    let found = v.peerings.iter().position(|p| p.name.eq_ignore_ascii_case(name));
    match method {
        "GET" => match found {
            Some(i) => Reply::json(200, render::peering(st, &v, &v.peerings[i])),
            None => not_found_child(&id),
        },
        "PUT" => put_peering(st, cx, &v, &id, name, found, body),
        "DELETE" => {
            if found.is_none() {
                return Reply::empty(204);
            }
            if let Some(r) = busy(st, cx, &vk) {
                return r;
            }
            lro::set_state(st, &id, "Deleting");
            let guid = lro::start(st, cx, OpKind::Delete, &id, &vk, &v.c.location);
            lro::accepted(cx, st, guid.as_deref(), &v.c.location).changed()
        }
        _ => Reply::error(
            405,
            "HttpMethodNotAllowed",
            format!("The HTTP method '{method}' is not supported."),
        ),
    }
}

fn put_peering(st: &mut State, cx: &Ctx, v: &Vnet, id: &str, name: &str, found: Option<usize>, body: &Value) -> Reply {
    let vk = key(&v.c.id);
    let props = body.get("properties");
    let Some(remote_id) = props
        .and_then(|p| p.get("remoteVirtualNetwork"))
        .and_then(|r| r.get("id"))
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return bad_request(
            "InvalidRequestFormat",
            format!("Peering {id} needs properties.remoteVirtualNetwork.id."),
        );
    };
    if let Some(r) = busy(st, cx, &vk) {
        return r;
    }
    let refuse = |code: &str, message: String| bad_request(code, message);
    let Some(remote) = st.vnets.get(&key(&remote_id)).cloned() else {
        return refuse(
            "ResourceNotFound",
            format!("Resource {remote_id} referenced by resource {id} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region."),
        );
    };
    if key(&remote_id) == vk {
        return refuse(
            "InvalidRequest",
            format!("Peering {id} cannot reference its own virtual network."),
        );
    }
    let existing = found.map(|i| v.peerings[i].clone());
    match &existing {
        Some(e) if key(&e.remote_vnet_id) != key(&remote_id) => {
            return refuse(
                "InvalidRequest",
                format!(
                    "The remote virtual network of peering {id} cannot be changed from {} to {remote_id}.",
                    e.remote_vnet_id
                ),
            )
        }
        None => {
            if let Some(other) = v.peerings.iter().find(|p| key(&p.remote_vnet_id) == key(&remote_id)) {
                return refuse(
                    "AnotherPeeringAlreadyReferencesRemoteVnet",
                    format!(
                        "Peering {} of virtual network {} already references remote virtual network {remote_id}.",
                        other.name, v.c.name
                    ),
                );
            }
        }
        _ => {}
    }
    if let Some((a, b)) = first_overlap(&v.address_prefixes, &remote.address_prefixes) {
        return refuse(
            "VnetAddressSpacesOverlap",
            format!(
                "Cannot create or update peering {id}. Virtual networks {} and {} cannot be peered because their address spaces overlap ({a} and {b}).",
                v.c.name, remote.c.name
            ),
        );
    }
    let back = back_side(st, &v.c.id, &remote_id).cloned();
    if let Some(b) = back.as_ref().filter(|b| b.peering_state == "Disconnected") {
        return refuse(
            "RemotePeeringIsDisconnected",
            format!(
                "Cannot create or update peering {id} because remote peering {} referencing parent virtual network {} is in Disconnected state. Update or re-create the remote peering to get it back to Initiated state.",
                child_id(&remote.c.id, Child::Peerings, &b.name),
                v.c.id
            ),
        );
    }
    let use_remote_gateways = flag(props, "useRemoteGateways", false);
    if use_remote_gateways {
        if vnet_has_gateway(st, &v.c.id) {
            return refuse(
                "InvalidRequest",
                format!(
                    "Peering {id} cannot have UseRemoteGateways flag set to true because virtual network {} has a gateway of its own.",
                    v.c.name
                ),
            );
        }
        if !vnet_has_gateway(st, &remote.c.id) {
            return refuse(
                "RemoteVnetHasNoGateways",
                format!(
                    "Peering {id} cannot have UseRemoteGateways flag set to true because remote virtual network {} referenced by the peering does not have any gateways.",
                    remote.c.id
                ),
            );
        }
        match &back {
            None => {
                return refuse(
                    "RemotePeeringDoesNotExist",
                    format!(
                        "Peering {id} cannot have UseRemoteGateways flag set to true because the remote peering from {} back to {} does not exist.",
                        remote.c.name, v.c.name
                    ),
                )
            }
            Some(b) if !b.allow_gateway_transit => {
                return refuse(
                    "RemotePeeringDoesNotAllowGatewayTransit",
                    format!(
                        "Peering {id} cannot have UseRemoteGateways flag set to true, because corresponding remote peering {} has AllowGatewayTransit flag set to false.",
                        child_id(&remote.c.id, Child::Peerings, &b.name)
                    ),
                )
            }
            _ => {}
        }
        if let Some(o) = v
            .peerings
            .iter()
            .find(|p| p.use_remote_gateways && !p.name.eq_ignore_ascii_case(name))
        {
            return refuse(
                "UseRemoteGatewaysAlreadySet",
                format!(
                    "Peering {id} cannot have UseRemoteGateways flag set to true because peering {} of virtual network {} already uses remote gateways.",
                    o.name, v.c.name
                ),
            );
        }
    }
    let sync = cx.query_flag("syncRemoteAddressSpace");
    let remote_address_space = match &existing {
        Some(e) if !sync => e.remote_address_space.clone(),
        _ => remote.address_prefixes.clone(),
    };
    let etag = st.etag();
    let resource_guid = existing
        .as_ref()
        .map_or_else(|| st.rng.guid(), |e| e.resource_guid.clone());
    let side = Peering {
        name: existing.as_ref().map_or_else(|| name.to_string(), |e| e.name.clone()),
        remote_vnet_id: existing
            .as_ref()
            .map_or_else(|| remote_id.clone(), |e| e.remote_vnet_id.clone()),
        allow_virtual_network_access: flag(props, "allowVirtualNetworkAccess", true),
        allow_forwarded_traffic: flag(props, "allowForwardedTraffic", false),
        allow_gateway_transit: flag(props, "allowGatewayTransit", false),
        use_remote_gateways,
        peering_state: if back.is_some() { "Connected" } else { "Initiated" }.into(),
        remote_address_space,
        etag,
        provisioning_state: "Updating".into(),
        resource_guid,
    };
    let local_space = v.address_prefixes.clone();
    if let Some(b) = back_side_mut(st, &v.c.id, &remote_id) {
        b.peering_state = "Connected".into();
        if sync {
            b.remote_address_space = local_space;
        }
    }
    let vm = st.vnets.get_mut(&vk).expect("checked above");
    match found {
        Some(i) => vm.peerings[i] = side,
        None => vm.peerings.push(side),
    }
    let location = v.c.location.clone();
    let guid = lro::start(st, cx, OpKind::Put, id, &vk, &location);
    let v = &st.vnets[&vk];
    let p = v
        .peerings
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .expect("just written");
    let reply = Reply::json(if found.is_some() { 200 } else { 201 }, render::peering(st, v, p)).changed();
    lro::put_headers(reply, cx, st, guid.as_deref(), &location)
}
