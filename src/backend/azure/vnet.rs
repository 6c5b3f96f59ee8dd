//! `hub` and `cluster_network` on ARM: read (with the hub's gateway),
//! create (never adopting), update GET-modify-PUT (then the gateway, then
//! the peerings' address-space sync), delete (refusing what is in use) and
//! the owner mark of an import.

use super::backend::AzureBackend;
use super::error::ArmError;
use super::gateway;
use super::peering;
use super::vnet_body::{self, changed_body, marked, new_body, node_subnet_name, unmarked, Desired, View};
use crate::backend::owner::{ROLE_TAG, SUBNETS_TAG};
use crate::backend::{noun, vnet_dns, BackendError, ErrorCode, Observed, Op, OpCtx, Owner, VirtualNetworkId};
use crate::graph::kinds::hub::GATEWAY_SUBNET;
use crate::graph::{Attrs, Kind, Value};
use azure_mgmt_network::models;

fn refused(op: Op, kind: Kind, id: &str, code: ErrorCode, message: String) -> BackendError {
    BackendError::Refused {
        op,
        noun: noun(kind),
        id: id.to_string(),
        code,
        message,
    }
}

fn parse(kind: Kind, id: &str) -> Result<VirtualNetworkId, BackendError> {
    let _ = kind;
    Ok(id.parse::<VirtualNetworkId>()?)
}

/// The attributes ARM reports of a VNET, as the local fabric reports them.
async fn observe(
    b: &AzureBackend,
    cx: &OpCtx,
    kind: Kind,
    vid: &VirtualNetworkId,
    v: &models::VirtualNetwork,
    prior: Option<&Attrs>,
) -> Result<Observed, ArmError> {
    let view = View::of(v);
    let id = vid.to_string();
    let mut a = Attrs::new();
    a.insert("id".into(), Value::str(&id));
    a.insert("name".into(), Value::str(&vid.name));
    a.insert("resource_group_name".into(), Value::str(&vid.resource_group));
    a.insert("tags".into(), crate::backend::owner::user_tags(&view.tags, prior));
    if let Some(n) = prior
        .and_then(|p| p.get("node_subnet_name"))
        .filter(|v| v.as_str().is_some())
    {
        a.insert("node_subnet_name".into(), n.clone());
    }
    a.insert("location".into(), Value::str(&view.location));
    a.insert("address_space".into(), Value::list_of_str(view.address_space.clone()));
    // While a dns_upstream has set the DNS servers, the network's own are
    // the ones it remembers.
    a.insert(
        "dns_servers".into(),
        Value::list_of_str(vnet_dns::own(&view.dns_servers, &view.tags)),
    );
    if kind == Kind::Hub {
        let gw = gateway::find(b, cx, v).await?;
        a.insert(
            "gateway_id".into(),
            gw.as_ref().map_or(Value::Null, |g| Value::str(&g.id)),
        );
        a.insert(
            "gateway".into(),
            Value::str(gw.as_ref().map_or("none", |g| g.kind.as_str())),
        );
        let gs = view
            .subnets
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(GATEWAY_SUBNET));
        a.insert(
            "gateway_subnet_cidr".into(),
            gs.map_or(Value::Null, |(_, c)| Value::str(c)),
        );
        a.insert(
            "gateway_subnet_id".into(),
            gs.map_or(Value::Null, |_| Value::str(format!("{id}/subnets/{GATEWAY_SUBNET}"))),
        );
        a.insert("subnets".into(), view.subnet_items(GATEWAY_SUBNET));
    } else {
        let node = node_subnet_name(&a);
        let cidr = view.subnets.iter().find(|(n, _)| *n == node).map(|(_, c)| c.clone());
        a.insert("node_subnet_cidr".into(), cidr.map_or(Value::Null, Value::String));
        a.insert("node_subnet_name".into(), Value::str(&node));
        a.insert("node_subnet_id".into(), Value::str(format!("{id}/subnets/{node}")));
        match crate::graph::kinds::cluster_modes::pod_subnet_of(&a) {
            Some((pods, _)) => {
                let cidr = view.subnets.iter().find(|(n, _)| *n == pods).map(|(_, c)| c.clone());
                a.insert("pod_subnet_cidr".into(), cidr.map_or(Value::Null, Value::String));
                let mut items = view.subnet_items(&node);
                if let Value::List(l) = &mut items {
                    l.retain(|i| i.as_map().and_then(|m| m.get("name")).and_then(Value::as_str) != Some(pods.as_str()));
                }
                a.insert("subnets".into(), items);
            }
            None => {
                a.insert("subnets".into(), view.subnet_items(&node));
            }
        }
    }
    a.insert(
        "resource_guid".into(),
        view.resource_guid.clone().map_or(Value::Null, Value::String),
    );
    Ok(Observed {
        attrs: a,
        owner: view.owner(),
    })
}

/// What a VNET is, when that can be told: the role hybridk8s marked it
/// with, else a hub when its `GatewaySubnet` holds a gateway (a cluster
/// network never has one). A plain VNET may be either.
fn made_as(v: &models::VirtualNetwork) -> Option<Kind> {
    let view = View::of(v);
    match view.tags.get(ROLE_TAG).map(String::as_str) {
        Some("hub") => return Some(Kind::Hub),
        Some("cluster_network") => return Some(Kind::ClusterNetwork),
        _ => {}
    }
    let p = v.properties.as_ref()?;
    let has_gateway = p.subnets.iter().any(|s| {
        s.name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(GATEWAY_SUBNET))
            && s.properties.as_ref().is_some_and(|sp| !sp.ip_configurations.is_empty())
    });
    has_gateway.then_some(Kind::Hub)
}

pub async fn read(
    b: &AzureBackend,
    cx: &OpCtx,
    kind: Kind,
    id: &str,
    prior: Option<&Attrs>,
) -> Result<Option<Observed>, BackendError> {
    let vid = parse(kind, id)?;
    let at = |e: ArmError| e.at(Op::Retrieving, noun(kind), id);
    let Some(v) = b.get_vnet(cx, &vid).await.map_err(at)? else {
        return Ok(None);
    };
    if let Some(found) = made_as(&v).filter(|f| *f != kind) {
        return Err(BackendError::WrongKind {
            op: Op::Retrieving,
            noun: noun(kind),
            id: id.to_string(),
            expected: format!("a {}", kind.terraform_type()),
            found: format!("a {}", found.terraform_type()),
        });
    }
    observe(b, cx, kind, &vid, &v, prior).await.map(Some).map_err(at)
}

/// Reads back what a write made (fresh, not from a refresh's reads).
async fn read_back(
    b: &AzureBackend,
    cx: &OpCtx,
    op: Op,
    kind: Kind,
    vid: &VirtualNetworkId,
    prior: &Attrs,
) -> Result<Observed, BackendError> {
    let fresh = cx.clone().without_read_scope();
    let id = vid.to_string();
    let at = |e: ArmError| e.at(op, noun(kind), &id);
    let v = b.get_vnet(&fresh, vid).await.map_err(at)?.ok_or_else(|| {
        refused(
            op,
            kind,
            &id,
            ErrorCode::ResourceNotFound,
            "the virtual network was not found after it was written".into(),
        )
    })?;
    observe(b, &fresh, kind, vid, &v, Some(prior)).await.map_err(at)
}

/// The refusal of a create that meets an existing object.
pub fn exists(what: &str, owner: &Owner) -> String {
    format!(
        "{what} already exists and is {owner}; hybridk8s never adopts an existing object: to manage it with this stack, import it (`hybridk8s import ADDRESS ID` or `terraform import`), or choose another name"
    )
}

fn not_owned(op: Op, kind: Kind, id: &str, owner: Owner) -> BackendError {
    BackendError::NotOwned {
        op,
        noun: noun(kind),
        id: id.to_string(),
        owner,
    }
}

pub async fn create(b: &AzureBackend, cx: &OpCtx, kind: Kind, attrs: &Attrs) -> Result<Observed, BackendError> {
    let op = Op::Creating;
    let d = Desired::of(op, kind, attrs)?;
    let vid = parse(kind, &d.id)?;
    let id = vid.to_string();
    let at = |e: ArmError| e.at(op, noun(kind), &id);
    if d.gateway != "none" && !d.subnets.iter().any(|(n, _)| n == GATEWAY_SUBNET) {
        return Err(refused(
            op,
            kind,
            &id,
            ErrorCode::GatewaySubnetMissing,
            format!(
                "a {} gateway needs a subnet named GatewaySubnet in virtual network '{}'",
                d.gateway, d.name
            ),
        ));
    }
    let fresh = cx.clone().without_read_scope();
    {
        let _held = b.locks.lock(&[&id]).await;
        if let Some(old) = b.get_vnet(&fresh, &vid).await.map_err(at)? {
            let owner = View::of(&old).owner();
            return Err(refused(
                op,
                kind,
                &id,
                ErrorCode::AlreadyExists,
                exists(&format!("virtual network {}", d.name), &owner),
            ));
        }
        let mut tags = marked(&Default::default(), cx.stack());
        tags.insert(SUBNETS_TAG.into(), d.subnet_names());
        tags.insert(ROLE_TAG.into(), kind.keyword().into());
        crate::backend::owner::put_user_tags(&mut tags, None, attrs);
        let body = vnet_body::to_json(&new_body(&d, &tags), &d.dns_servers);
        b.put_vnet(&fresh, &vid, &body).await.map_err(at)?;
        if d.gateway != "none" {
            gateway::ensure(b, &fresh, &vid, &d).await.map_err(at)?;
        }
    }
    b.forget(cx, &id);
    read_back(b, cx, op, kind, &vid, attrs).await
}

/// Subnet names hybridk8s finds by name whatever the tag says.
fn known_subnets(kind: Kind, prior: &Attrs) -> Vec<String> {
    match kind {
        Kind::Hub => vec![GATEWAY_SUBNET.to_string()],
        _ => vec![node_subnet_name(prior)],
    }
}

pub async fn update(
    b: &AzureBackend,
    cx: &OpCtx,
    kind: Kind,
    prior: &Attrs,
    attrs: &Attrs,
) -> Result<Observed, BackendError> {
    let op = Op::Updating;
    let d = Desired::of(op, kind, attrs)?;
    let vid = parse(kind, &d.id)?;
    let id = vid.to_string();
    let at = |e: ArmError| e.at(op, noun(kind), &id);
    let fresh = cx.clone().without_read_scope();
    let space_changed;
    {
        let _held = b.locks.lock(&[&id]).await;
        let Some(old) = b.get_vnet(&fresh, &vid).await.map_err(at)? else {
            return Err(refused(
                op,
                kind,
                &id,
                ErrorCode::ResourceNotFound,
                "the virtual network does not exist".into(),
            ));
        };
        let view = View::of(&old);
        if !view.owner().is(cx.stack()) {
            return Err(not_owned(op, kind, &id, view.owner()));
        }
        space_changed = view.address_space != d.address_space;
        // A gateway of another kind (or none wanted) goes first: ARM
        // refuses while a peering uses it, before anything changed.
        let have = if kind == Kind::Hub {
            gateway::find(b, &fresh, &old).await.map_err(at)?
        } else {
            None
        };
        if let Some(g) = &have {
            if g.kind != d.gateway {
                gateway::remove(b, &fresh, g).await.map_err(at)?;
            }
        }
        let mut tags = marked(&view.tags, cx.stack());
        tags.insert(SUBNETS_TAG.into(), d.subnet_names());
        tags.insert(ROLE_TAG.into(), kind.keyword().into());
        crate::backend::owner::put_user_tags(&mut tags, Some(prior), attrs);
        // A dns_upstream's DNS servers stay; the network's own list is
        // what it will put back.
        let mut dns = d.dns_servers.clone();
        vnet_dns::keep_upstream(&mut dns, &mut tags, &view.dns_servers, &view.tags);
        let body = changed_body(&old, &d, &known_subnets(kind, prior), &tags);
        b.put_vnet(&fresh, &vid, &vnet_body::to_json(&body, &dns))
            .await
            .map_err(at)?;
        if d.gateway != "none" && have.as_ref().is_none_or(|g| g.kind != d.gateway) {
            gateway::ensure(b, &fresh, &vid, &d).await.map_err(at)?;
        }
    }
    b.forget(cx, &id);
    if space_changed {
        peering::sync_all(b, &fresh, &vid).await.map_err(at)?;
    }
    read_back(b, cx, op, kind, &vid, attrs).await
}

pub async fn delete(b: &AzureBackend, cx: &OpCtx, kind: Kind, prior: &Attrs) -> Result<(), BackendError> {
    let op = Op::Deleting;
    let raw = prior.get("id").and_then(Value::as_str).unwrap_or("(unknown id)");
    let vid = parse(kind, raw)?;
    let id = vid.to_string();
    let at = |e: ArmError| e.at(op, noun(kind), &id);
    let fresh = cx.clone().without_read_scope();
    let _held = b.locks.lock(&[&id]).await;
    let Some(old) = b.get_vnet(&fresh, &vid).await.map_err(at)? else {
        return Ok(());
    };
    let view = View::of(&old);
    if !view.owner().is(cx.stack()) {
        return Err(not_owned(op, kind, &id, view.owner()));
    }
    let foreign = view.foreign_subnets(&known_subnets(kind, prior));
    if !foreign.is_empty() {
        return Err(refused(
            op,
            kind,
            &id,
            ErrorCode::InUseSubnetCannotBeDeleted,
            format!(
                "virtual network {} holds subnet(s) {} that hybridk8s did not create; they are kept, so the virtual network cannot be deleted (delete them first, or stop managing the network: `hybridk8s state rm` / `terraform state rm`)",
                vid.name,
                foreign.join(", ")
            ),
        ));
    }
    let peerings: Vec<String> = old
        .properties
        .iter()
        .flat_map(|p| p.virtual_network_peerings.iter())
        .filter_map(|p| p.name.clone())
        .collect();
    if !peerings.is_empty() {
        return Err(refused(
            op,
            kind,
            &id,
            ErrorCode::InUseVnetCannotBeDeleted,
            format!(
                "virtual network {} cannot be deleted because it is in use by peering(s) {}",
                vid.name,
                peerings.join(", ")
            ),
        ));
    }
    if kind == Kind::Hub {
        if let Some(g) = gateway::find(b, &fresh, &old).await.map_err(at)? {
            gateway::remove(b, &fresh, &g).await.map_err(at)?;
        }
    }
    b.delete_vnet(&fresh, &vid).await.map_err(at)?;
    b.forget(cx, &id);
    Ok(())
}

/// Puts the stack's owner mark on a VNET (import) or takes it off.
pub async fn claim(b: &AzureBackend, cx: &OpCtx, kind: Kind, id: &str, claim: bool) -> Result<(), BackendError> {
    let op = Op::Importing;
    let vid = parse(kind, id)?;
    let id = vid.to_string();
    let at = |e: ArmError| e.at(op, noun(kind), &id);
    let fresh = cx.clone().without_read_scope();
    let _held = b.locks.lock(&[&id]).await;
    let Some(mut v) = b.get_vnet(&fresh, &vid).await.map_err(at)? else {
        return Err(refused(
            op,
            kind,
            &id,
            ErrorCode::ResourceNotFound,
            "the virtual network does not exist".into(),
        ));
    };
    let view = View::of(&v);
    if let Owner::Stack(s) = view.owner() {
        if s != cx.stack() {
            return Err(not_owned(op, kind, &id, Owner::Stack(s)));
        }
    }
    let tags = if claim {
        let mut t = marked(&view.tags, cx.stack());
        t.insert(ROLE_TAG.into(), kind.keyword().into());
        t
    } else {
        unmarked(&view.tags)
    };
    v.resource.tags = Some(vnet_body::tags_value(&tags));
    b.put_vnet(&fresh, &vid, &vnet_body::to_json(&v, &view.dns_servers))
        .await
        .map_err(at)?;
    b.forget(cx, &id);
    Ok(())
}
