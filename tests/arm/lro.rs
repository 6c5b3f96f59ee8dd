//! Long-running operations: a PUT or DELETE starts one; its status document
//! (`Azure-AsyncOperation`) answers `InProgress` for `op_polls` polls, then
//! `Succeeded` or `Failed`; the `Location` URL answers 202 while it runs.
//! An operation nobody polls ends on its own after `op_max_age` (checked at
//! each request), as Azure's would; operations in flight at a restart end.

use super::dispatch::{Ctx, Reply};
use super::state::{now_ms, OpError, OpKind, OpStatus, Operation, State};
use super::target::{key, Child, NetType, Target};
use super::{network, render};
use serde_json::{json, Value};

pub const API_VERSION: &str = "2024-03-01";

/// Starts an operation on `resource_id` holding `lock`. Out-of-band, or with
/// `op_polls = 0`, it ends at once. Returns its GUID.
pub fn start(st: &mut State, cx: &Ctx, kind: OpKind, resource_id: &str, lock: &str, location: &str) -> Option<String> {
    if cx.oob {
        finish(st, kind, resource_id, None);
        return None;
    }
    let guid = st.rng.guid();
    st.operations.insert(
        guid.clone(),
        Operation {
            guid: guid.clone(),
            location: super::target::normalize_location(location),
            kind,
            resource_id: resource_id.to_string(),
            lock: lock.to_string(),
            status: OpStatus::InProgress,
            polls: 0,
            started_ms: now_ms(),
            ended_ms: None,
            fail: cx.take_operation_failure(),
        },
    );
    if cx.op_polls == 0 {
        complete(st, &guid);
    }
    Some(guid)
}

fn op_url(cx: &Ctx, st: &State, location: &str, guid: &str, results: bool) -> String {
    format!(
        "{}subscriptions/{}/providers/Microsoft.Network/locations/{location}/{}/{guid}?api-version={API_VERSION}",
        cx.endpoint,
        st.subscription_id,
        if results { "operationResults" } else { "operations" }
    )
}

/// The headers of a PUT that started an operation.
pub fn put_headers(reply: Reply, cx: &Ctx, st: &State, guid: Option<&str>, location: &str) -> Reply {
    let Some(guid) = guid else { return reply };
    let location = super::target::normalize_location(location);
    reply
        .header("Azure-AsyncOperation", op_url(cx, st, &location, guid, false))
        .header("Retry-After", cx.retry_after_secs.to_string())
}

/// The 202 of a DELETE: `Location` and `Azure-AsyncOperation`.
pub fn accepted(cx: &Ctx, st: &State, guid: Option<&str>, location: &str) -> Reply {
    let Some(guid) = guid else {
        return Reply::empty(200);
    };
    let location = super::target::normalize_location(location);
    Reply::empty(202)
        .header("Location", op_url(cx, st, &location, guid, true))
        .header("Azure-AsyncOperation", op_url(cx, st, &location, guid, false))
        .header("Retry-After", cx.retry_after_secs.to_string())
}

fn document(st: &State, op: &Operation) -> Value {
    let mut doc = json!({
        "id": format!(
            "/subscriptions/{}/providers/Microsoft.Network/locations/{}/operations/{}",
            st.subscription_id, op.location, op.guid
        ),
        "name": op.guid,
        "status": op.status.as_str(),
        "startTime": super::state::rfc3339(op.started_ms),
    });
    if let Some(end) = op.ended_ms {
        doc["endTime"] = Value::String(super::state::rfc3339(end));
    }
    if op.status == OpStatus::Failed {
        let e = op.fail.clone().unwrap_or(OpError {
            code: "InternalServerError".into(),
            message: "An error occurred.".into(),
        });
        doc["error"] = json!({"code": e.code, "message": e.message, "details": []});
    }
    doc
}

/// GET of an operation's status (`results = false`) or result (`true`).
pub fn status(st: &mut State, cx: &Ctx, guid: &str, results: bool) -> Reply {
    let Some(op) = st.operations.get_mut(guid) else {
        return Reply::error(
            404,
            "OperationNotFound",
            format!("The operation '{guid}' could not be found."),
        );
    };
    let mut changed = false;
    if op.status == OpStatus::InProgress {
        if op.polls < cx.op_polls {
            op.polls += 1;
            changed = true;
        } else {
            complete(st, guid);
            changed = true;
        }
    }
    let op = st.operations[guid].clone();
    let retry = cx.retry_after_secs.to_string();
    let reply = if !results {
        Reply::json(200, document(st, &op)).header("Retry-After", retry)
    } else {
        match op.status {
            OpStatus::InProgress => Reply::empty(202)
                .header("Location", op_url(cx, st, &op.location, guid, true))
                .header("Retry-After", retry),
            OpStatus::Succeeded => match op.kind {
                OpKind::Delete => Reply::empty(204),
                OpKind::Put => match render::any(st, &op.resource_id) {
                    Some(body) => Reply::json(200, body),
                    None => Reply::empty(204),
                },
            },
            OpStatus::Failed => {
                let e = op.fail.clone().unwrap_or(OpError {
                    code: "InternalServerError".into(),
                    message: "An error occurred.".into(),
                });
                Reply::error(500, &e.code, e.message)
            }
        }
    };
    if changed {
        reply.changed()
    } else {
        reply
    }
}

/// Ends a running operation: `Succeeded` (a delete removes its resource)
/// or `Failed` when a fault asked for it (the resource is `Failed`).
pub fn complete(st: &mut State, guid: &str) {
    let Some(op) = st.operations.get(guid).cloned() else {
        return;
    };
    if op.status != OpStatus::InProgress {
        return;
    }
    finish(st, op.kind, &op.resource_id, op.fail.as_ref());
    if let Some(o) = st.operations.get_mut(guid) {
        o.status = if op.fail.is_some() {
            OpStatus::Failed
        } else {
            OpStatus::Succeeded
        };
        o.ended_ms = Some(now_ms());
    }
}

fn finish(st: &mut State, kind: OpKind, resource_id: &str, fail: Option<&OpError>) {
    match (kind, fail) {
        (_, Some(_)) => set_state(st, resource_id, "Failed"),
        (OpKind::Put, None) => set_state(st, resource_id, "Succeeded"),
        (OpKind::Delete, None) => remove(st, resource_id),
    }
}

/// Ends every operation older than `max_age_ms`; forgets finished ones
/// older than ten minutes. Returns whether anything changed.
pub fn settle(st: &mut State, max_age_ms: u64) -> bool {
    let now = now_ms();
    let due: Vec<String> = st
        .operations
        .values()
        .filter(|o| o.status == OpStatus::InProgress && now.saturating_sub(o.started_ms) >= max_age_ms)
        .map(|o| o.guid.clone())
        .collect();
    for g in &due {
        complete(st, g);
    }
    let before = st.operations.len();
    st.operations
        .retain(|_, o| o.ended_ms.is_none_or(|end| now.saturating_sub(end) < 600_000));
    !due.is_empty() || before != st.operations.len()
}

/// Ends every running operation (a restart).
pub fn settle_all(st: &mut State) {
    let running: Vec<String> = st
        .operations
        .values()
        .filter(|o| o.status == OpStatus::InProgress)
        .map(|o| o.guid.clone())
        .collect();
    for g in running {
        complete(st, &g);
    }
}

/// Sets the `provisioningState` of the resource with this ID (a VNET's
/// subnets and peerings follow their VNET).
pub fn set_state(st: &mut State, id: &str, state: &str) {
    let Some(t) = Target::parse(id) else { return };
    match t {
        Target::Group { rg, .. } => {
            if let Some(g) = st.groups.get_mut(&rg.to_ascii_lowercase()) {
                g.provisioning_state = state.into();
            }
        }
        Target::Resource { ty, .. } => {
            let k = key(id);
            match ty {
                NetType::VirtualNetworks => {
                    if let Some(v) = st.vnets.get_mut(&k) {
                        v.c.provisioning_state = state.into();
                        for s in &mut v.subnets {
                            s.provisioning_state = state.into();
                        }
                    }
                }
                NetType::VirtualNetworkGateways => {
                    if let Some(g) = st.gateways.get_mut(&k) {
                        g.c.provisioning_state = state.into();
                    }
                }
                NetType::PublicIpAddresses => {
                    if let Some(p) = st.public_ips.get_mut(&k) {
                        p.c.provisioning_state = state.into();
                    }
                }
            }
        }
        Target::ChildResource { child, name, .. } => {
            let Some((vnet_id, _)) = super::target::split_child(id, child) else {
                return;
            };
            let Some(v) = st.vnets.get_mut(&key(vnet_id)) else {
                return;
            };
            match child {
                Child::Subnets => {
                    if let Some(s) = v.subnets.iter_mut().find(|s| s.name.eq_ignore_ascii_case(&name)) {
                        s.provisioning_state = state.into();
                    }
                }
                Child::Peerings => {
                    if let Some(p) = v.peerings.iter_mut().find(|p| p.name.eq_ignore_ascii_case(&name)) {
                        p.provisioning_state = state.into();
                    }
                }
            }
        }
        _ => {}
    }
}

/// Removes the resource with this ID and what goes with it: a VNET leaves
/// the peerings that point at it `Disconnected`, so does a peering side;
/// a group takes everything in it along.
pub fn remove(st: &mut State, id: &str) {
    let Some(t) = Target::parse(id) else { return };
    match t {
        Target::Group { rg, .. } => {
            let prefix = format!("/subscriptions/{}/resourcegroups/{}/", st.subscription_id, rg).to_ascii_lowercase();
            let vnets: Vec<String> = st.vnets.keys().filter(|k| k.starts_with(&prefix)).cloned().collect();
            for k in vnets {
                network::remove_vnet(st, &k);
            }
            st.gateways.retain(|k, _| !k.starts_with(&prefix));
            st.public_ips.retain(|k, _| !k.starts_with(&prefix));
            st.groups.remove(&rg.to_ascii_lowercase());
        }
        Target::Resource { ty, .. } => {
            let k = key(id);
            match ty {
                NetType::VirtualNetworks => network::remove_vnet(st, &k),
                NetType::VirtualNetworkGateways => {
                    st.gateways.remove(&k);
                }
                NetType::PublicIpAddresses => {
                    st.public_ips.remove(&k);
                }
            }
        }
        Target::ChildResource { child, name, .. } => {
            let Some((vnet_id, _)) = super::target::split_child(id, child) else {
                return;
            };
            let vk = key(vnet_id);
            match child {
                Child::Subnets => {
                    if let Some(v) = st.vnets.get_mut(&vk) {
                        v.subnets.retain(|s| !s.name.eq_ignore_ascii_case(&name));
                    }
                }
                Child::Peerings => network::remove_peering(st, &vk, &name),
            }
        }
        _ => {}
    }
}
