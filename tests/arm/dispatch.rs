//! One ARM request against the state: routing, resource groups, lists with
//! `nextLink`, and the reply (status, body, headers) ARM would send.

use super::faults::Faults;
use super::state::{Group, OpKind, State};
use super::target::{key, Child, NetType, Target};
use super::{gateway, lro, network, render};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// What the emulator answers to one request.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Option<Value>,
    pub headers: Vec<(String, String)>,
    /// The state changed: persist it.
    pub changed: bool,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body: Some(body),
            headers: Vec::new(),
            changed: false,
        }
    }

    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            body: None,
            headers: Vec::new(),
            changed: false,
        }
    }

    /// ARM's error body, `{"error":{"code","message","details":[]}}`, with `x-ms-error-code`.
    pub fn error(status: u16, code: &str, message: impl Into<String>) -> Reply {
        Reply::json(
            status,
            json!({"error": {"code": code, "message": message.into(), "details": []}}),
        )
        .header("x-ms-error-code", code)
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn changed(mut self) -> Reply {
        self.changed = true;
        self
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The error code of a refusal.
    pub fn code(&self) -> Option<&str> {
        self.body.as_ref()?.get("error")?.get("code")?.as_str()
    }
}

/// How one request is served.
pub struct Ctx<'a> {
    /// The ARM base URL, ending in `/`.
    pub endpoint: &'a str,
    pub op_polls: u32,
    pub retry_after_secs: u64,
    pub page_size: usize,
    /// An out-of-band change (the test's own helpers): completes at once,
    /// takes no lock and no fault.
    pub oob: bool,
    pub faults: Option<&'a Faults>,
    /// The request path, for faults that name a path.
    pub path: &'a str,
    pub query: &'a BTreeMap<String, String>,
}

impl Ctx<'_> {
    pub fn query_flag(&self, name: &str) -> bool {
        self.query
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case(name) && v.eq_ignore_ascii_case("true"))
    }

    /// The one-shot `Failed` ending registered for this path, if any.
    pub fn take_operation_failure(&self) -> Option<super::state::OpError> {
        self.faults?.take_operation_failure(self.path)
    }
}

pub fn not_found_group(rg: &str) -> Reply {
    Reply::error(
        404,
        "ResourceGroupNotFound",
        format!("Resource group '{rg}' could not be found."),
    )
}

pub fn resource_not_found(ty: &str, name: &str, rg: &str) -> Reply {
    Reply::error(
        404,
        "ResourceNotFound",
        format!(
            "The Resource '{ty}/{name}' under resource group '{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
        ),
    )
}

pub fn bad_request(code: &str, message: impl Into<String>) -> Reply {
    Reply::error(400, code, message)
}

fn method_not_allowed(method: &str) -> Reply {
    Reply::error(
        405,
        "HttpMethodNotAllowed",
        format!("The HTTP method '{method}' is not supported at this path."),
    )
}

/// The stored name of a group, when it exists.
pub fn group_name(st: &State, rg: &str) -> Option<String> {
    st.groups.get(&rg.to_ascii_lowercase()).map(|g| g.name.clone())
}

/// Serves one request. `body` is the parsed JSON body of a PUT or PATCH.
pub fn dispatch(st: &mut State, cx: &Ctx, method: &str, target: &Target, body: Option<&Value>) -> Reply {
    let sub = match target {
        Target::Token { .. } => return Reply::error(404, "NotFound", "not an ARM path"),
        Target::Group { sub, .. }
        | Target::List { sub, .. }
        | Target::Resource { sub, .. }
        | Target::ChildList { sub, .. }
        | Target::ChildResource { sub, .. }
        | Target::Operation { sub, .. } => sub,
    };
    if !sub.eq_ignore_ascii_case(&st.subscription_id) {
        return Reply::error(
            404,
            "SubscriptionNotFound",
            format!("The subscription '{sub}' could not be found."),
        );
    }
    let empty = Value::Object(Map::new());
    let body = body.unwrap_or(&empty);
    match target {
        Target::Token { .. } => unreachable_reply(),
        Target::Group { rg, .. } => group(st, cx, method, rg, body),
        Target::List { rg, ty, .. } => {
            if method != "GET" {
                return method_not_allowed(method);
            }
            if let Some(rg) = rg {
                if group_name(st, rg).is_none() {
                    return not_found_group(rg);
                }
            }
            let items = list_of(st, rg.as_deref(), *ty);
            page(cx, items)
        }
        Target::Resource { rg, ty, name, .. } => {
            let Some(rg) = group_name(st, rg) else {
                return not_found_group(rg);
            };
            match ty {
                NetType::VirtualNetworks => network::vnet(st, cx, method, &rg, name, body),
                NetType::VirtualNetworkGateways => gateway::gateway(st, cx, method, &rg, name, body),
                NetType::PublicIpAddresses => gateway::public_ip(st, cx, method, &rg, name, body),
            }
        }
        Target::ChildList { rg, vnet, child, .. } => {
            if method != "GET" {
                return method_not_allowed(method);
            }
            let Some(rg) = group_name(st, rg) else {
                return not_found_group(rg);
            };
            let Some(v) = network::find_vnet(st, &rg, vnet) else {
                return resource_not_found("Microsoft.Network/virtualNetworks", vnet, &rg);
            };
            let items = match child {
                Child::Subnets => v.subnets.iter().map(|s| render::subnet(st, v, s)).collect(),
                Child::Peerings => v.peerings.iter().map(|p| render::peering(st, v, p)).collect(),
            };
            page(cx, items)
        }
        Target::ChildResource {
            rg, vnet, child, name, ..
        } => {
            let Some(rg) = group_name(st, rg) else {
                return not_found_group(rg);
            };
            match child {
                Child::Subnets => network::subnet(st, cx, method, &rg, vnet, name, body),
                Child::Peerings => network::peering(st, cx, method, &rg, vnet, name, body),
            }
        }
        Target::Operation { guid, results, .. } => {
            if method != "GET" {
                return method_not_allowed(method);
            }
            lro::status(st, cx, guid, *results)
        }
    }
}

fn unreachable_reply() -> Reply {
    Reply::error(404, "NotFound", "not an ARM path")
}

fn group(st: &mut State, cx: &Ctx, method: &str, rg: &str, body: &Value) -> Reply {
    let k = rg.to_ascii_lowercase();
    match method {
        "GET" | "HEAD" => match st.groups.get(&k) {
            Some(g) if method == "GET" => Reply::json(200, render::group(&st.subscription_id, g)),
            Some(_) => Reply::empty(204),
            None if method == "HEAD" => Reply::empty(404),
            None => not_found_group(rg),
        },
        "PUT" => {
            let Some(location) = body.get("location").and_then(Value::as_str) else {
                return bad_request(
                    "LocationRequired",
                    "The location property is required for this definition.",
                );
            };
            let tags = tags_of(body);
            let status = match st.groups.get_mut(&k) {
                Some(g) => {
                    if super::target::normalize_location(&g.location) != super::target::normalize_location(location) {
                        return Reply::error(
                            409,
                            "InvalidResourceGroupLocation",
                            format!(
                                "Invalid resource group location '{location}'. The Resource group already exists in location '{}'.",
                                g.location
                            ),
                        );
                    }
                    g.tags = tags;
                    200
                }
                None => {
                    st.groups.insert(
                        k.clone(),
                        Group {
                            name: rg.to_string(),
                            location: super::target::normalize_location(location),
                            tags,
                            provisioning_state: "Succeeded".into(),
                        },
                    );
                    201
                }
            };
            let g = &st.groups[&k];
            Reply::json(status, render::group(&st.subscription_id, g)).changed()
        }
        "DELETE" => {
            let Some(g) = st.groups.get_mut(&k) else {
                return not_found_group(rg);
            };
            g.provisioning_state = "Deleting".into();
            let location = g.location.clone();
            let id = format!("/subscriptions/{}/resourceGroups/{}", st.subscription_id, g.name);
            let guid = lro::start(st, cx, OpKind::Delete, &id, &key(&id), &location);
            lro::accepted(cx, st, guid.as_deref(), &location).changed()
        }
        _ => method_not_allowed(method),
    }
}

/// The `tags` of a body (an object; anything else is no tags).
pub fn tags_of(body: &Value) -> Map<String, Value> {
    body.get("tags").and_then(Value::as_object).cloned().unwrap_or_default()
}

/// Every resource of a type, in a group or the subscription, sorted by ID.
pub fn list_of(st: &State, rg: Option<&str>, ty: NetType) -> Vec<Value> {
    let prefix =
        rg.map(|rg| format!("/subscriptions/{}/resourcegroups/{}/", st.subscription_id, rg).to_ascii_lowercase());
    let keep = |k: &String| prefix.as_ref().is_none_or(|p| k.starts_with(p.as_str()));
    match ty {
        NetType::VirtualNetworks => st
            .vnets
            .iter()
            .filter(|(k, _)| keep(k))
            .map(|(_, v)| render::vnet(st, v))
            .collect(),
        NetType::VirtualNetworkGateways => st
            .gateways
            .iter()
            .filter(|(k, _)| keep(k))
            .map(|(_, g)| render::gateway(st, g))
            .collect(),
        NetType::PublicIpAddresses => st
            .public_ips
            .iter()
            .filter(|(k, _)| keep(k))
            .map(|(_, p)| render::public_ip(st, p))
            .collect(),
    }
}

/// One page of a list, `$skiptoken` being the offset; `nextLink` names the next page.
fn page(cx: &Ctx, items: Vec<Value>) -> Reply {
    let skip: usize = cx
        .query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("$skiptoken"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let size = cx.page_size.max(1);
    let end = (skip + size).min(items.len());
    let value: Vec<Value> = items.get(skip..end).map(<[Value]>::to_vec).unwrap_or_default();
    let mut body = json!({ "value": value });
    if end < items.len() {
        let api = cx.query.get("api-version").cloned().unwrap_or_default();
        let next = format!(
            "{}{}?api-version={api}&$skiptoken={end}",
            cx.endpoint.trim_end_matches('/'),
            cx.path
        );
        body["nextLink"] = Value::String(next);
    }
    Reply::json(200, body)
}
