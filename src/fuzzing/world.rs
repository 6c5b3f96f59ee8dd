//! The `provider_apply` and `fabric_ops` targets: arbitrary bytes drive a
//! sequence of operations over a small hybrid topology (hubs, cluster
//! networks, peerings, DNS upstreams, Services), against a real SQLite
//! fabric in memory, and check the invariants that make realization safe.
//!
//! - `provider_apply`: cty msgpack (sometimes corrupted) → decode → plan →
//!   apply in-process, the way Terraform drives the provider. An honest
//!   plan passes `recheck`; a forged one is refused or equal; an applied
//!   state is wholly known and keeps every planned value; planning it again
//!   changes nothing; a refused apply leaves the fabric as it was.
//! - `fabric_ops`: creates, updates, deletes and reads by two stacks, and
//!   out-of-band changes, in random order. A refused operation changes
//!   nothing; a create never adopts (another stack's object stays its
//!   owner's); peering states agree with the sides that exist; subnets lie
//!   in their VNET; SQLite's integrity check passes; deleting what each
//!   stack made leaves an empty fabric.

use crate::backend::local::LocalFabric;
use crate::backend::{Backend, OpCtx, PeeringId, VirtualNetworkId};
use crate::graph::{kinds, Address, Attrs, Ctx, Diagnostic, Kind, Value};
use crate::provider::cty::{decode_msgpack, encode_msgpack, normalize};
use crate::provider::schema::resource_type;
use crate::provider::{core, lifecycle};
use serde_json::Value as J;
use std::collections::BTreeMap;

/// A cursor over the input; past its end every read is zero.
struct Bytes<'a> {
    data: &'a [u8],
    at: usize,
}

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    fn below(&mut self, n: usize) -> usize {
        usize::from(self.byte()) % n.max(1)
    }

    fn done(&self) -> bool {
        self.at >= self.data.len()
    }

    fn pick<'v, T>(&mut self, items: &'v [T]) -> &'v T {
        &items[self.below(items.len())]
    }
}

fn strs(items: &[&str]) -> Value {
    Value::list_of_str(items.iter().copied())
}

fn vnet_id(rg: &str, name: &str) -> String {
    VirtualNetworkId::new(crate::graph::LOCAL_SUBSCRIPTION, rg, name).to_string()
}

/// The configurations of the topology's resources, by slot: what a user
/// writes, varied by the input within (and at the edges of) what is valid.
fn config(slot: usize, u: &mut Bytes) -> (Kind, Attrs) {
    let hubs = [
        ("hub", "net-rg", "10.20.0.0/22", "vpn"),
        ("hub2", "net-rg", "10.21.0.0/22", "none"),
    ];
    let clusters = [
        ("aks", "k8s-rg", "10.40.0.0/16"),
        ("aks2", "k8s-rg", "10.41.0.0/16"),
        ("clash", "k8s-rg", "10.20.0.0/16"),
    ];
    let pairs: Vec<(&str, Value)> = match slot {
        0 | 1 => {
            let (name, rg, range, gw) = hubs[slot];
            let space = match u.below(4) {
                0 => strs(&[range, "10.22.0.0/24"]),
                _ => strs(&[range]),
            };
            vec![
                ("name", Value::str(name)),
                ("resource_group_name", Value::str(rg)),
                (
                    "location",
                    Value::str(*u.pick(&["westeurope", "westeurope", "northeurope"])),
                ),
                ("address_space", space),
                ("gateway", Value::str(if u.below(5) == 0 { "expressroute" } else { gw })),
            ]
            .into_iter()
            .collect()
        }
        2..=4 => {
            let (name, rg, range) = clusters[slot - 2];
            let mut v = vec![
                ("name", Value::str(name)),
                ("resource_group_name", Value::str(rg)),
                ("location", Value::str("westeurope")),
                (
                    "address_space",
                    match u.below(4) {
                        0 => strs(&[range, "10.60.0.0/16"]),
                        _ => strs(&[range]),
                    },
                ),
                ("max_nodes", Value::Number(*u.pick(&[10, 10, 20, 50, 0, -1, 300]))),
            ];
            if u.below(2) == 0 {
                v.push(("plugin", Value::str(*u.pick(&["azure_cni", "kubenet", "calico"]))));
            }
            if u.below(3) == 0 {
                v.push(("internal_lb_ips", Value::Number(*u.pick(&[0, 8, 64]))));
            }
            v
        }
        5..=7 => {
            let (cluster, hub) = [(0, 0), (1, 0), (0, 1)][slot - 5];
            let (c, h) = (clusters[cluster], hubs[hub]);
            vec![
                ("cluster_network_id", Value::str(vnet_id(c.1, c.0))),
                ("hub_id", Value::str(vnet_id(h.1, h.0))),
                ("use_remote_gateways", Value::Bool(u.below(2) == 0)),
            ]
        }
        8 => vec![
            ("cluster_network_id", Value::str(vnet_id("k8s-rg", "aks"))),
            (
                "nameservers",
                strs(*u.pick::<&[&str]>(&[&["10.1.0.4"], &["10.1.0.4", "10.1.0.5"], &[]])),
            ),
            (
                "stub_domains",
                Value::Map([("corp.local".to_string(), strs(&["10.1.0.4"]))].into()),
            ),
        ],
        9 | 10 => vec![
            (
                "cluster_network_id",
                Value::str(vnet_id("k8s-rg", if slot == 9 { "aks" } else { "aks2" })),
            ),
            ("name", Value::str(*u.pick(&["billing", "billing", "ledger"]))),
            (
                "endpoints",
                strs(*u.pick::<&[&str]>(&[&["10.40.100.4"], &["10.40.100.4", "10.40.100.5"]])),
            ),
            (
                "ports",
                Value::List(vec![Value::Map(
                    [
                        ("port".to_string(), Value::Number(*u.pick(&[80, 443]))),
                        ("target_port".to_string(), Value::Number(8080)),
                    ]
                    .into(),
                )]),
            ),
        ],
        _ => vec![
            ("cluster_network_id", Value::str(vnet_id("k8s-rg", "aks"))),
            ("name", Value::str("web")),
            ("selector", Value::Map([("app".to_string(), Value::str("web"))].into())),
            ("internal", Value::Bool(u.below(2) == 0)),
            (
                "ports",
                Value::List(vec![Value::Map([("port".to_string(), Value::Number(80))].into())]),
            ),
        ],
    };
    let kind = match slot {
        0 | 1 => Kind::Hub,
        2..=4 => Kind::ClusterNetwork,
        5..=7 => Kind::Peering,
        8 => Kind::DnsUpstream,
        9 | 10 => Kind::ExternalService,
        _ => Kind::LbService,
    };
    (kind, pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

const SLOTS: usize = 12;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    })
}

fn fabric() -> LocalFabric {
    LocalFabric::empty_in_memory().expect("an in-memory fabric")
}

/// What the fabric holds, checked for the invariants that hold whatever
/// happened: integrity, peering states that agree with the sides, subnets
/// inside their VNET and apart.
async fn checked_dump(f: &LocalFabric) -> J {
    f.integrity_check()
        .await
        .expect("the fabric passes SQLite's integrity check");
    let dump = f.dump().await.expect("the fabric dumps");
    let sides: Vec<&J> = dump["peerings"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let s = |p: &J, k: &str| p[k].as_str().unwrap_or_default().to_ascii_lowercase();
    for p in &sides {
        let back = sides
            .iter()
            .any(|q| s(q, "vnet_id") == s(p, "remote_vnet_id") && s(q, "remote_vnet_id") == s(p, "vnet_id"));
        let state = p["peering_state"].as_str().unwrap_or_default();
        assert_eq!(
            state == "Connected",
            back,
            "peering state {state} with the other side {back}: {p}"
        );
    }
    for v in dump["vnets"].as_array().into_iter().flatten() {
        let space: Vec<ipnet::Ipv4Net> = v["address_space"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str()?.parse().ok())
            .collect();
        let subnets: Vec<ipnet::Ipv4Net> = v["subnets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["cidr"].as_str()?.parse().ok())
            .collect();
        for (i, n) in subnets.iter().enumerate() {
            assert!(space.iter().any(|s| s.contains(n)), "subnet {n} outside {space:?}: {v}");
            for m in &subnets[i + 1..] {
                assert!(!n.contains(m) && !m.contains(n), "subnets {n} and {m} overlap: {v}");
            }
        }
    }
    dump
}

/// Diagnostics that can only be a provider bug.
fn provider_bug(d: &[Diagnostic]) -> Option<&Diagnostic> {
    d.iter()
        .find(|d| matches!(&*d.code, "unknown-after-apply" | "inconsistent-apply"))
}

/// The `provider_apply` target (see the module docs).
pub fn provider_apply(data: &[u8]) {
    runtime().block_on(provider_apply_async(data));
}

async fn provider_apply_async(data: &[u8]) {
    let mut u = Bytes { data, at: 0 };
    let f = fabric();
    let cx = OpCtx::new("fuzz");
    let ctx = Ctx::default();
    let mut states: BTreeMap<usize, (Kind, Value)> = BTreeMap::new();
    for _ in 0..24 {
        if u.done() {
            break;
        }
        let slot = u.below(SLOTS);
        let destroy = u.below(6) == 0;
        let (kind, attrs) = config(slot, &mut u);
        let ty = resource_type(kind);
        let prior = states.get(&slot).map_or(Value::Null, |(_, s)| s.clone());
        let config = if destroy {
            Value::Null
        } else {
            // Terraform sends the configuration as cty msgpack; sometimes corrupted.
            let mut bytes = encode_msgpack(&normalize(Value::Map(attrs), ty), ty).expect("a config encodes");
            if u.below(4) == 0 && !bytes.is_empty() {
                let at = u.below(bytes.len());
                bytes[at] = u.byte();
            }
            match decode_msgpack(&bytes, ty) {
                Ok(v) => v,
                Err(_) => continue,
            }
        };
        let mut plan = core::plan(kind, &prior, &config, &ctx);
        let private = core::mark_replacement(kind, &prior, Vec::new(), &mut plan);
        if plan.diagnostics.iter().any(Diagnostic::is_error) {
            continue;
        }
        // The planned state goes to Terraform and back.
        let wire = encode_msgpack(&plan.planned, ty).expect("a plan encodes");
        let planned = decode_msgpack(&wire, ty).expect("a plan decodes");
        if !plan.requires_replace.is_empty() {
            // Terraform replaces: destroy, then create from nothing.
            let (gone, d) = lifecycle::apply(kind, &prior, &Value::Null, &f, &cx).await;
            assert!(provider_bug(&d).is_none(), "{d:?}");
            if !gone.is_null() {
                continue;
            }
            states.remove(&slot);
            continue;
        }
        let again = core::recheck(kind, &prior, &config, &planned, &private, &ctx);
        assert_eq!(
            again.as_ref().ok(),
            Some(&planned),
            "an honest plan passes recheck: {again:?}"
        );
        // A forged planned state is refused, or is the plan itself.
        if let Some(m) = planned.as_map().filter(|_| u.below(3) == 0) {
            let keys: Vec<&String> = m.keys().collect();
            let mut forged = m.clone();
            let key = (*u.pick(&keys)).clone();
            let bad = [
                Value::str("../../etc/passwd"),
                Value::str(""),
                Value::Number(-1),
                Value::Unknown,
            ];
            forged.insert(key, u.pick(&bad).clone());
            let forged = normalize(Value::Map(forged), ty);
            if let Ok(v) = core::recheck(kind, &prior, &config, &forged, &private, &ctx) {
                assert_eq!(v, forged, "recheck accepts only the plan");
                assert_eq!(forged, planned);
            }
        }
        let before = checked_dump(&f).await;
        let (state, diags) = lifecycle::apply(kind, &prior, &planned, &f, &cx).await;
        assert!(provider_bug(&diags).is_none(), "{diags:?}");
        let after = checked_dump(&f).await;
        if diags.iter().any(Diagnostic::is_error) {
            // A refusal leaves the fabric as it was, and the state saying so.
            if prior.is_null() {
                assert!(state.is_null(), "a refused create records nothing: {state}");
            }
            if state == prior {
                assert_eq!(before, after, "a refused apply changes nothing: {diags:?}");
            }
        } else if !state.is_null() {
            assert!(state.is_wholly_known(), "{state}");
            // Planning the same configuration again changes nothing.
            let next = core::plan(kind, &state, &config, &ctx);
            assert!(next.requires_replace.is_empty(), "{:?}", next.requires_replace);
            if !next.diagnostics.iter().any(Diagnostic::is_error) {
                assert_eq!(normalize(next.planned, ty), state, "a second plan changes nothing");
            }
        }
        match state.is_null() {
            true => states.remove(&slot),
            false => states.insert(slot, (kind, state)),
        };
    }
    // Destroying everything, dependents first, leaves an empty fabric.
    for (_, (kind, state)) in states.into_iter().rev() {
        let (left, d) = lifecycle::apply(kind, &state, &Value::Null, &f, &cx).await;
        assert!(provider_bug(&d).is_none(), "{d:?}");
        if !left.is_null() {
            return;
        }
    }
    let dump = checked_dump(&f).await;
    assert!(crate::backend::local::dump_is_empty(&dump), "{dump}");
}

/// The `fabric_ops` target (see the module docs).
pub fn fabric_ops(data: &[u8]) {
    runtime().block_on(fabric_ops_async(data));
}

async fn fabric_ops_async(data: &[u8]) {
    let mut u = Bytes { data, at: 0 };
    let f = fabric();
    let stacks = ["dev", "qa"];
    // What exists, by ID: (slot, stack, kind, attrs as last applied).
    let mut made: BTreeMap<String, (usize, usize, Kind, Attrs)> = BTreeMap::new();
    let mut out_of_band = false;
    for _ in 0..32 {
        if u.done() {
            break;
        }
        let op = u.below(8);
        let slot = u.below(SLOTS);
        let who = u.below(2);
        let cx = OpCtx::new(stacks[who]);
        let (kind, config) = config(slot, &mut u);
        let address = Address::new(kind, &format!("s{slot}"));
        let (attrs, _) = kinds::complete(&address, config, &Ctx::default());
        let id = attrs.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
        let before = checked_dump(&f).await;
        let failed = match op {
            0..=2 => {
                let r = f.create(&cx, kind, &attrs).await;
                if let Ok(o) = &r {
                    if let Some((_, owner, _, _)) = made.get(&id) {
                        assert_eq!(
                            *owner, who,
                            "a create of {kind} {id} never adopts another stack's object"
                        );
                    }
                    made.insert(id.clone(), (slot, who, kind, o.attrs.clone()));
                }
                r.is_err()
            }
            3 => match made.get(&id).cloned() {
                Some((_, owner, k, prior)) if k == kind => {
                    let r = f.update(&cx, kind, &prior, &attrs).await;
                    if owner != who {
                        assert!(r.is_err(), "another stack's {kind} {id} is not changed");
                    }
                    if let Ok(o) = &r {
                        made.insert(id.clone(), (slot, owner, kind, o.attrs.clone()));
                    }
                    r.is_err()
                }
                _ => false,
            },
            4 => match made.get(&id).cloned() {
                Some((_, owner, k, prior)) => {
                    let r = f.delete(&cx, k, &prior).await;
                    if owner != who {
                        assert!(r.is_err(), "another stack's {k} {id} is not deleted");
                    } else if r.is_ok() {
                        made.remove(&id);
                    }
                    r.is_err()
                }
                None => false,
            },
            5 => {
                if let Some((_, owner, k, prior)) = made.get(&id) {
                    let cx = OpCtx::new(stacks[*owner]);
                    // An object read back by its owner is there, unless an
                    // out-of-band change took it.
                    let read = f.read(&cx, *k, &id, Some(prior)).await;
                    if !out_of_band {
                        assert!(matches!(read, Ok(Some(_))), "{k} {id} reads back: {read:?}");
                    }
                }
                false
            }
            6 => {
                // A cancelled operation changes nothing.
                let cancelled = cx.clone();
                cancelled.cancel_token().cancel();
                let r = f.create(&cancelled, kind, &attrs).await;
                assert!(r.is_err(), "a cancelled create does nothing");
                true
            }
            _ => {
                out_of_band = true;
                let vnet: VirtualNetworkId = vnet_id("k8s-rg", "aks").parse().expect("an ID");
                let _ = match u.below(3) {
                    0 => f.add_foreign_subnet(&vnet, "foreign", "10.40.250.0/24").await,
                    1 => f.set_address_space(&vnet, &["10.40.0.0/16", "10.61.0.0/16"]).await,
                    _ => match made.values().find(|(_, _, k, _)| *k == Kind::Peering) {
                        Some((_, _, _, a)) => {
                            let id: PeeringId = a["id"].as_str().unwrap_or_default().parse().expect("a peering ID");
                            f.delete_peering_side(&id).await
                        }
                        None => Ok(()),
                    },
                };
                false
            }
        };
        let after = checked_dump(&f).await;
        if failed {
            assert_eq!(before, after, "a refused operation changes nothing");
        }
    }
    if out_of_band {
        return;
    }
    // Each stack deletes what it made, dependents first: nothing is left.
    let mut left: Vec<(usize, usize, Kind, Attrs)> = made.into_values().collect();
    left.sort_by_key(|(slot, ..)| std::cmp::Reverse(*slot));
    for (_, owner, kind, attrs) in left {
        let cx = OpCtx::new(stacks[owner]);
        if let Err(e) = f.delete(&cx, kind, &attrs).await {
            panic!("deleting {kind} of {}: {e}", stacks[owner]);
        }
    }
    let dump = checked_dump(&f).await;
    assert!(crate::backend::local::dump_is_empty(&dump), "{dump}");
}
