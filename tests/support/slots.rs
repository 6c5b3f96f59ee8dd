//! What the blue/green tests share: the slots' ranges, and reading cluster
//! VNETs and peering sides out of a fabric dump.

use serde_json::Value;

/// The address plan's slots for prod: a /15 block each (two /16s with
/// headroom to grow to a /15 in place), clear of on-premises 10.0.0.0/12
/// and the hub.
pub const BLUE: &str = "10.16.0.0/16";
pub const GREEN: &str = "10.18.0.0/16";

pub fn vnet<'a>(dump: &'a Value, name: &str) -> Option<&'a Value> {
    dump["vnets"].as_array().unwrap().iter().find(|v| v["name"] == name)
}

/// The VNET as it stands, without its peerings (which a new slot adds to
/// the hub's list).
pub fn vnet_itself(dump: &Value, name: &str) -> Value {
    let mut v = vnet(dump, name)
        .unwrap_or_else(|| panic!("no VNET {name}: {dump:#}"))
        .clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("peerings");
    }
    v
}

/// Cluster VNET name → its first range, sorted by name.
pub fn cluster_vnets(dump: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = dump["vnets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["name"].as_str().unwrap().starts_with("k8s-"))
        .map(|v| {
            (
                v["name"].as_str().unwrap().to_string(),
                v["address_space"][0].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Two sides per live slot, every one Connected, one per slot using the
/// hub's gateway; the sides, for further checks.
pub fn connected(dump: &Value, live: usize) -> &Vec<Value> {
    let sides = dump["peerings"].as_array().unwrap();
    assert_eq!(sides.len(), 2 * live, "{dump:#}");
    assert!(sides.iter().all(|s| s["peering_state"] == "Connected"), "{dump:#}");
    let remote = sides.iter().filter(|s| s["use_remote_gateways"] == true).count();
    assert_eq!(remote, live, "one remote-gateway side per slot: {dump:#}");
    sides
}
