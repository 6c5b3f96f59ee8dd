//! `peering` on ARM: both sides of a cluster↔hub peering as one unit, under
//! both VNETs' write locks. The hub side (`allow_gateway_transit`) is
//! written before the cluster side (`use_remote_gateways`); a side left
//! `Disconnected` (its other side deleted) is deleted and made again. The
//! owner mark is the tag `hybridk8s-peering-<name>` on the cluster VNET
//! (ARM peerings carry no tags), written before the first side so that an
//! interrupted create reads back as the stack's.
//!
//! After an address-space change every peering of the VNET is re-synced on
//! both sides (`syncRemoteAddressSpace=true`) until it is `FullyInSync`.

use super::backend::AzureBackend;
use super::error::ArmError;
use super::retry::pause;
use super::vnet_body::{self, View};
use crate::backend::{
    noun, BackendError, ErrorCode, Observed, Op, OpCtx, Owner, PeeringId, PeeringView, VirtualNetworkId,
};
use crate::graph::{Attrs, Kind, Value};
use azure_mgmt_network::models;
use std::time::Duration;

const NOUN: &str = "Virtual Network Peering";
/// The tag on a cluster VNET naming the stack of its peering `<name>`.
pub const PEERING_TAG_PREFIX: &str = "hybridk8s-peering-";

fn tag_key(name: &str) -> String {
    format!("{PEERING_TAG_PREFIX}{}", name.to_ascii_lowercase())
}

/// One side as hybridk8s wants it.
#[derive(Debug, Clone)]
struct Side {
    id: PeeringId,
    remote: VirtualNetworkId,
    allow_forwarded_traffic: bool,
    allow_gateway_transit: bool,
    use_remote_gateways: bool,
}

impl Side {
    fn body(&self) -> models::VirtualNetworkPeering {
        let mut p = models::VirtualNetworkPeeringPropertiesFormat::new();
        p.allow_virtual_network_access = Some(true);
        p.allow_forwarded_traffic = Some(self.allow_forwarded_traffic);
        p.allow_gateway_transit = Some(self.allow_gateway_transit);
        p.use_remote_gateways = Some(self.use_remote_gateways);
        let mut remote = models::SubResource::new();
        remote.id = Some(self.remote.to_string());
        p.remote_virtual_network = Some(remote);
        let mut b = models::VirtualNetworkPeering::new();
        b.name = Some(self.id.name.clone());
        b.properties = Some(p);
        b
    }
}

fn flag(a: &Attrs, name: &str, default: bool) -> bool {
    a.get(name).and_then(Value::as_bool).unwrap_or(default)
}

fn need<'a>(op: Op, a: &'a Attrs, name: &str) -> Result<&'a str, BackendError> {
    a.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| BackendError::MissingAttribute {
            op,
            noun: NOUN,
            id: a
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or("(unknown id)")
                .to_string(),
            attribute: name.to_string(),
        })
}

/// The two sides a peering's attributes describe: (hub, cluster).
fn sides(op: Op, a: &Attrs) -> Result<(Side, Side), BackendError> {
    let cluster: VirtualNetworkId = need(op, a, "cluster_network_id")?.parse()?;
    let hub: VirtualNetworkId = need(op, a, "hub_id")?.parse()?;
    let forwarded = flag(a, "allow_forwarded_traffic", true);
    let use_gw = flag(a, "use_remote_gateways", false);
    let h = Side {
        id: PeeringId::new(hub.clone(), need(op, a, "hub_peering_name")?),
        remote: cluster.clone(),
        allow_forwarded_traffic: forwarded,
        allow_gateway_transit: flag(a, "allow_gateway_transit", use_gw),
        use_remote_gateways: false,
    };
    let c = Side {
        id: PeeringId::new(cluster, need(op, a, "name")?),
        remote: hub,
        allow_forwarded_traffic: forwarded,
        allow_gateway_transit: false,
        use_remote_gateways: use_gw,
    };
    Ok((h, c))
}

fn peerings(v: &models::VirtualNetwork) -> &[models::VirtualNetworkPeering] {
    v.properties
        .as_ref()
        .map_or(&[], |p| p.virtual_network_peerings.as_slice())
}

fn named<'a>(v: &'a models::VirtualNetwork, name: &str) -> Option<&'a models::VirtualNetworkPeering> {
    peerings(v)
        .iter()
        .find(|p| p.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name)))
}

fn remote_of(p: &models::VirtualNetworkPeering) -> Option<&str> {
    p.properties.as_ref()?.remote_virtual_network.as_ref()?.id.as_deref()
}

/// The side on `v` that points back at `to`, first by name.
fn pointing_at<'a>(v: &'a models::VirtualNetwork, to: &VirtualNetworkId) -> Option<&'a models::VirtualNetworkPeering> {
    let to = to.to_string();
    let mut back: Vec<_> = peerings(v)
        .iter()
        .filter(|p| remote_of(p).is_some_and(|r| r.eq_ignore_ascii_case(&to)))
        .collect();
    back.sort_by_key(|p| p.name.clone());
    back.into_iter().next()
}

/// An enum of the model as the string ARM sends.
fn enum_str<T: serde::Serialize>(v: Option<&T>) -> String {
    v.and_then(|x| serde_json::to_value(x).ok())
        .and_then(|j| j.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn state(p: &models::VirtualNetworkPeering) -> String {
    enum_str(p.properties.as_ref().and_then(|x| x.peering_state.as_ref()))
}

fn sync_level(p: &models::VirtualNetworkPeering) -> String {
    let s = enum_str(p.properties.as_ref().and_then(|x| x.peering_sync_level.as_ref()));
    if s.is_empty() {
        "FullyInSync".into()
    } else {
        s
    }
}

/// The peering's owner: the stack its cluster VNET's tag names.
fn owner_on(cluster: Option<&models::VirtualNetwork>, name: &str) -> Owner {
    cluster
        .map(|v| vnet_body::tags_of(v.resource.tags.as_ref()))
        .and_then(|t| t.get(&tag_key(name)).cloned())
        .map_or(Owner::Unmanaged, Owner::Stack)
}

pub async fn read(
    b: &AzureBackend,
    cx: &OpCtx,
    id: &str,
    prior: Option<&Attrs>,
) -> Result<Option<Observed>, BackendError> {
    let pid: PeeringId = id.parse()?;
    let at = |e: ArmError| e.at(Op::Retrieving, NOUN, id);
    let cluster_vnet = b.get_vnet(cx, &pid.vnet).await.map_err(at)?;
    let cluster_side = cluster_vnet.as_ref().and_then(|v| named(v, &pid.name)).cloned();
    let named_hub = prior.and_then(|a| {
        Some((
            a.get("hub_id")
                .and_then(Value::as_str)?
                .parse::<VirtualNetworkId>()
                .ok()?,
            a.get("hub_peering_name").and_then(Value::as_str)?.to_string(),
        ))
    });
    let hub_side = match (&named_hub, &cluster_side) {
        (Some((h, n)), _) => b
            .get_vnet(cx, h)
            .await
            .map_err(at)?
            .and_then(|v| named(&v, n).cloned().map(|p| (h.clone(), p))),
        (None, Some(c)) => match remote_of(c).and_then(|r| r.parse::<VirtualNetworkId>().ok()) {
            Some(h) => b
                .get_vnet(cx, &h)
                .await
                .map_err(at)?
                .and_then(|v| pointing_at(&v, &pid.vnet).cloned().map(|p| (h.clone(), p))),
            None => None,
        },
        (None, None) => None,
    };
    let Some(primary) = cluster_side.as_ref().or(hub_side.as_ref().map(|(_, p)| p)) else {
        return Ok(None);
    };
    let mut a = Attrs::new();
    a.insert("id".into(), Value::str(pid.to_string()));
    a.insert("name".into(), Value::str(&pid.name));
    a.insert("cluster_network_id".into(), Value::str(pid.vnet.to_string()));
    a.insert("peering_state".into(), Value::str(state(primary)));
    a.insert("peering_sync_level".into(), Value::str(sync_level(primary)));
    if let Some(c) = &cluster_side {
        let p = c.properties.clone().unwrap_or_default();
        if let Some(r) = remote_of(c) {
            let r = r.parse::<VirtualNetworkId>().map_or(r.to_string(), |v| v.to_string());
            a.insert("hub_id".into(), Value::str(r));
        }
        a.insert(
            "use_remote_gateways".into(),
            Value::Bool(p.use_remote_gateways.unwrap_or(false)),
        );
        a.insert(
            "allow_forwarded_traffic".into(),
            Value::Bool(p.allow_forwarded_traffic.unwrap_or(false)),
        );
    }
    if let Some((h, s)) = &hub_side {
        a.insert("hub_id".into(), Value::str(h.to_string()));
        a.insert(
            "hub_peering_name".into(),
            Value::str(s.name.clone().unwrap_or_default()),
        );
        a.insert(
            "allow_gateway_transit".into(),
            Value::Bool(
                s.properties
                    .as_ref()
                    .and_then(|p| p.allow_gateway_transit)
                    .unwrap_or(false),
            ),
        );
    }
    Ok(Some(Observed {
        attrs: a,
        owner: owner_on(cluster_vnet.as_ref(), &pid.name),
    }))
}

fn refused(op: Op, id: &PeeringId, code: ErrorCode, message: String) -> BackendError {
    BackendError::Refused {
        op,
        noun: NOUN,
        id: id.to_string(),
        code,
        message,
    }
}

/// Sets (`Some(stack)`) or removes the owner tag of peering `name` on the
/// cluster VNET (held locked by the caller).
async fn set_tag(
    b: &AzureBackend,
    cx: &OpCtx,
    vid: &VirtualNetworkId,
    name: &str,
    stack: Option<&str>,
) -> Result<(), ArmError> {
    let Some(mut v) = b.get_vnet(cx, vid).await? else {
        return Ok(());
    };
    let view = View::of(&v);
    let mut tags = view.tags.clone();
    let key = tag_key(name);
    match stack {
        Some(s) if tags.get(&key).map(String::as_str) == Some(s) => return Ok(()),
        Some(s) => {
            tags.insert(key, s.to_string());
        }
        None if !tags.contains_key(&key) => return Ok(()),
        None => {
            tags.remove(&key);
        }
    }
    v.resource.tags = Some(vnet_body::tags_value(&tags));
    b.put_vnet(cx, vid, &vnet_body::to_json(&v, &view.dns_servers)).await
}

/// Deletes the sides of `sides` that ARM shows `Disconnected`.
async fn drop_disconnected(b: &AzureBackend, cx: &OpCtx, sides: &[&Side]) -> Result<(), ArmError> {
    for s in sides {
        let Some(v) = b.get_vnet(cx, &s.id.vnet).await? else {
            continue;
        };
        if named(&v, &s.id.name).is_some_and(|p| state(p) == "Disconnected") {
            b.delete_peering(cx, &s.id).await?;
        }
    }
    Ok(())
}

pub async fn create(b: &AzureBackend, cx: &OpCtx, attrs: &Attrs) -> Result<Observed, BackendError> {
    let op = Op::Creating;
    let (hub, cluster) = sides(op, attrs)?;
    let fresh = cx.clone().without_read_scope();
    {
        let (h, c) = (hub.id.vnet.to_string(), cluster.id.vnet.to_string());
        let _held = b.locks.lock(&[&h, &c]).await;
        let at = |e: ArmError| e.at(op, NOUN, &cluster.id.to_string());
        let cluster_vnet = b.get_vnet(&fresh, &cluster.id.vnet).await.map_err(at)?;
        let hub_vnet = b.get_vnet(&fresh, &hub.id.vnet).await.map_err(at)?;
        let owner = owner_on(cluster_vnet.as_ref(), &cluster.id.name);
        // A create never adopts: a side that exists must be this stack's
        // own (the owner tag on the cluster VNET is set before any side is
        // written), to the same remote — what a create left when it was cut
        // off between its steps or lost its answer. That create is resumed:
        // both sides are put again, a side left Disconnected is made anew.
        let mut resumed = Vec::new();
        for (side, vnet, remote) in [
            (&hub, &hub_vnet, &cluster.id.vnet),
            (&cluster, &cluster_vnet, &hub.id.vnet),
        ] {
            let Some(p) = vnet.as_ref().and_then(|v| named(v, &side.id.name)) else {
                continue;
            };
            let same_remote = remote_of(p).is_some_and(|r| r.eq_ignore_ascii_case(&remote.to_string()));
            if !owner.is(cx.stack()) || !same_remote {
                return Err(refused(
                    op,
                    &side.id,
                    ErrorCode::AlreadyExists,
                    super::vnet::exists(&format!("peering {}", side.id), &owner),
                ));
            }
            resumed.push(side);
        }
        let cluster_found = resumed.iter().any(|s| s.id == cluster.id);
        drop_disconnected(b, &fresh, &resumed)
            .await
            .map_err(|e| e.at(op, NOUN, &cluster.id.to_string()))?;
        for (vid, vnet, what) in [
            (&cluster.id.vnet, &cluster_vnet, "local"),
            (&hub.id.vnet, &hub_vnet, "remote"),
        ] {
            if vnet.is_none() {
                return Err(refused(
                    op,
                    &cluster.id,
                    ErrorCode::ResourceNotFound,
                    format!("{what} virtual network {vid} was not found"),
                ));
            }
        }
        set_tag(b, &fresh, &cluster.id.vnet, &cluster.id.name, Some(cx.stack()))
            .await
            .map_err(at)?;
        b.put_peering(&fresh, &hub.id, &hub.body(), false)
            .await
            .map_err(|e| e.at(op, NOUN, &hub.id.to_string()))?;
        if let Err(e) = b.put_peering(&fresh, &cluster.id, &cluster.body(), false).await {
            // Leave nothing half-made when the cluster side is refused: take
            // the hub side back (even when the context was cancelled in
            // between). If this process dies first, the next create resumes.
            if !cluster_found {
                let undo = crate::backend::OpCtx::new(cx.stack());
                let _ = b.delete_peering(&undo, &hub.id).await;
            }
            return Err(e.at(op, NOUN, &cluster.id.to_string()));
        }
    }
    b.forget(cx, &hub.id.vnet.to_string());
    b.forget(cx, &cluster.id.vnet.to_string());
    read_back(b, cx, op, &cluster.id, attrs).await
}

async fn read_back(
    b: &AzureBackend,
    cx: &OpCtx,
    op: Op,
    id: &PeeringId,
    attrs: &Attrs,
) -> Result<Observed, BackendError> {
    read(b, &cx.clone().without_read_scope(), &id.to_string(), Some(attrs))
        .await?
        .ok_or_else(|| {
            refused(
                op,
                id,
                ErrorCode::ResourceNotFound,
                "the peering was not found after it was written".into(),
            )
        })
}

/// Refuses a change of a peering that is not the stack's (when a side exists).
async fn check_owner(b: &AzureBackend, cx: &OpCtx, op: Op, hub: &Side, cluster: &Side) -> Result<(), BackendError> {
    let at = |e: ArmError| e.at(op, NOUN, &cluster.id.to_string());
    let cluster_vnet = b.get_vnet(cx, &cluster.id.vnet).await.map_err(at)?;
    let hub_vnet = b.get_vnet(cx, &hub.id.vnet).await.map_err(at)?;
    let any = cluster_vnet.as_ref().and_then(|v| named(v, &cluster.id.name)).is_some()
        || hub_vnet.as_ref().and_then(|v| named(v, &hub.id.name)).is_some();
    let owner = owner_on(cluster_vnet.as_ref(), &cluster.id.name);
    if any && cluster_vnet.is_some() && !owner.is(cx.stack()) {
        return Err(BackendError::NotOwned {
            op,
            noun: NOUN,
            id: cluster.id.to_string(),
            owner,
        });
    }
    Ok(())
}

pub async fn update(b: &AzureBackend, cx: &OpCtx, prior: &Attrs, attrs: &Attrs) -> Result<Observed, BackendError> {
    let op = Op::Updating;
    let (hub, cluster) = sides(op, attrs)?;
    let fresh = cx.clone().without_read_scope();
    {
        let (h, c) = (hub.id.vnet.to_string(), cluster.id.vnet.to_string());
        let _held = b.locks.lock(&[&h, &c]).await;
        check_owner(b, &fresh, op, &hub, &cluster).await?;
        let at = |e: ArmError| e.at(op, NOUN, &cluster.id.to_string());
        drop_disconnected(b, &fresh, &[&hub, &cluster]).await.map_err(at)?;
        // Gateway transit on before remote gateways are used; off after.
        let order = if cluster.use_remote_gateways {
            [&hub, &cluster]
        } else {
            [&cluster, &hub]
        };
        b.put_peering(&fresh, &order[0].id, &order[0].body(), false)
            .await
            .map_err(|e| e.at(op, NOUN, &order[0].id.to_string()))?;
        if let Err(e) = b.put_peering(&fresh, &order[1].id, &order[1].body(), false).await {
            // The second side refused: put the first back as it was, so a
            // failed update changes nothing (even when cancelled meanwhile).
            if let Ok((hub0, cluster0)) = sides(op, prior) {
                let first = if order[0].id == hub.id { &hub0 } else { &cluster0 };
                let undo = crate::backend::OpCtx::new(cx.stack());
                let _ = b.put_peering(&undo, &first.id, &first.body(), false).await;
            }
            return Err(e.at(op, NOUN, &order[1].id.to_string()));
        }
    }
    b.forget(cx, &hub.id.vnet.to_string());
    b.forget(cx, &cluster.id.vnet.to_string());
    read_back(b, cx, op, &cluster.id, attrs).await
}

pub async fn delete(b: &AzureBackend, cx: &OpCtx, prior: &Attrs) -> Result<(), BackendError> {
    let op = Op::Deleting;
    let (hub, cluster) = sides(op, prior)?;
    let fresh = cx.clone().without_read_scope();
    let (h, c) = (hub.id.vnet.to_string(), cluster.id.vnet.to_string());
    let _held = b.locks.lock(&[&h, &c]).await;
    check_owner(b, &fresh, op, &hub, &cluster).await?;
    b.delete_peering(&fresh, &cluster.id)
        .await
        .map_err(|e| e.at(op, NOUN, &cluster.id.to_string()))?;
    b.delete_peering(&fresh, &hub.id)
        .await
        .map_err(|e| e.at(op, NOUN, &hub.id.to_string()))?;
    set_tag(b, &fresh, &cluster.id.vnet, &cluster.id.name, None)
        .await
        .map_err(|e| e.at(op, NOUN, &cluster.id.to_string()))?;
    b.forget(cx, &h);
    b.forget(cx, &c);
    Ok(())
}

/// Puts the stack's owner mark on a peering (import), or takes it off.
pub async fn claim(b: &AzureBackend, cx: &OpCtx, id: &str, claim: bool) -> Result<(), BackendError> {
    let op = Op::Importing;
    let pid: PeeringId = id.parse()?;
    let fresh = cx.clone().without_read_scope();
    let Some(found) = read(b, &fresh, id, None).await? else {
        return Err(refused(
            op,
            &pid,
            ErrorCode::ResourceNotFound,
            "the peering does not exist".into(),
        ));
    };
    if let Owner::Stack(s) = &found.owner {
        if s != cx.stack() {
            return Err(BackendError::NotOwned {
                op,
                noun: NOUN,
                id: pid.to_string(),
                owner: found.owner,
            });
        }
    }
    let vid = pid.vnet.to_string();
    let _held = b.locks.lock(&[&vid]).await;
    set_tag(b, &fresh, &pid.vnet, &pid.name, claim.then_some(cx.stack()))
        .await
        .map_err(|e| e.at(op, NOUN, id))?;
    b.forget(cx, &vid);
    Ok(())
}

/// Every peering of the VNET, as seen from it.
pub async fn peerings_of(b: &AzureBackend, cx: &OpCtx, vnet_id: &str) -> Result<Vec<PeeringView>, BackendError> {
    let vid: VirtualNetworkId = vnet_id.parse()?;
    let Some(v) = b
        .get_vnet(cx, &vid)
        .await
        .map_err(|e| e.at(Op::Retrieving, noun(Kind::Hub), vnet_id))?
    else {
        return Ok(Vec::new());
    };
    let mut out: Vec<PeeringView> = peerings(&v)
        .iter()
        .map(|p| {
            let props = p.properties.clone().unwrap_or_default();
            PeeringView {
                name: p.name.clone().unwrap_or_default(),
                remote_vnet_id: remote_of(p).unwrap_or_default().to_string(),
                remote_address_space: props
                    .remote_address_space
                    .map(|a| a.address_prefixes)
                    .unwrap_or_default(),
                use_remote_gateways: props.use_remote_gateways.unwrap_or(false),
                peering_state: state(p),
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The longest pause between two looks at a peering's sync level.
const MAX_SYNC_POLL: Duration = Duration::from_secs(5);

/// Re-syncs every peering of `vid` (both sides) after its address space
/// changed, and waits until each is `FullyInSync`.
pub async fn sync_all(b: &AzureBackend, cx: &OpCtx, vid: &VirtualNetworkId) -> Result<(), ArmError> {
    let Some(v) = b.get_vnet(cx, vid).await? else {
        return Ok(());
    };
    let mut synced = Vec::new();
    for p in peerings(&v) {
        let (Some(name), Some(remote)) = (
            p.name.clone(),
            remote_of(p).and_then(|r| r.parse::<VirtualNetworkId>().ok()),
        ) else {
            continue;
        };
        if state(p) == "Disconnected" {
            continue;
        }
        let (a, r) = (vid.to_string(), remote.to_string());
        let _held = b.locks.lock(&[&a, &r]).await;
        let here = PeeringId::new(vid.clone(), &name);
        let current = b.get_vnet(cx, vid).await?;
        if let Some(mine) = current.as_ref().and_then(|v| named(v, &name)) {
            b.put_peering(cx, &here, mine, true).await?;
        }
        if let Some(rv) = b.get_vnet(cx, &remote).await? {
            if let Some(back) = pointing_at(&rv, vid).cloned() {
                let there = PeeringId::new(remote.clone(), back.name.as_deref().unwrap_or_default());
                b.put_peering(cx, &there, &back, true).await?;
            }
        }
        synced.push(name);
    }
    let mut d = Duration::from_millis(100);
    loop {
        let Some(v) = b.get_vnet(cx, vid).await? else {
            return Ok(());
        };
        let behind = synced
            .iter()
            .any(|n| named(&v, n).is_some_and(|p| state(p) != "Disconnected" && sync_level(p) != "FullyInSync"));
        if !behind {
            return Ok(());
        }
        pause(cx, d).await?;
        d = (d * 2).min(MAX_SYNC_POLL);
    }
}
