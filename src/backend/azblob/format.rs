//! The blob's content: one stack as JSON.
//!
//! ```json
//! { "hybridk8s_stack": 1, "stack": "dev.hkstate", "serial": 3,
//!   "resources": { "cluster_network.aks": { "kind": "cluster_network", "id": "/subscriptions/…",
//!       "attrs": { … }, "depends_on": ["hub.hub"], "pending": null } } }
//! ```

use crate::backend::local::{attrs_from_json, attrs_to_json};
use crate::engine::state::{StackState, StateEntry};
use crate::graph::{Address, Kind};
use serde_json::{json, Map, Value as J};
use std::collections::BTreeSet;
use std::io::Read;

/// The format version this build writes and reads.
pub const VERSION: i64 = 1;
const MARK: &str = "hybridk8s_stack";

/// The blob's bytes for a state.
pub fn encode(st: &StackState) -> Vec<u8> {
    let mut resources = Map::new();
    for (addr, e) in &st.resources {
        let attrs: J = serde_json::from_str(&attrs_to_json(&e.attrs)).unwrap_or(J::Null);
        let deps: Vec<String> = e.depends_on.iter().map(Address::to_string).collect();
        resources.insert(
            addr.to_string(),
            json!({
                "kind": e.kind.keyword(),
                "id": e.id,
                "attrs": attrs,
                "depends_on": deps,
                "pending": e.pending.map(|p| p.as_str()),
            }),
        );
    }
    let doc = json!({ MARK: VERSION, "stack": st.name, "serial": st.serial, "resources": resources });
    let mut out = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    out.push(b'\n');
    out
}

/// The state in the blob's bytes (an empty blob is an empty stack).
pub fn decode(name: &str, bytes: &[u8]) -> Result<StackState, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(StackState::empty(name));
    }
    let doc: J = serde_json::from_slice(bytes).map_err(|e| format!("the blob is not a hybridk8s stack state: {e}"))?;
    match doc.get(MARK).and_then(J::as_i64) {
        Some(VERSION) => {}
        Some(v) => {
            return Err(format!(
                "the blob holds a stack state of format {v}; this hybridk8s reads format {VERSION} (upgrade it)"
            ))
        }
        None if doc.get("terraform_version").is_some() => {
            return Err("the blob holds a Terraform state, not a hybridk8s stack: give hybridk8s its own key".into())
        }
        None => return Err(format!("the blob is not a hybridk8s stack state (no `{MARK}`)")),
    }
    let mut st = StackState::empty(name);
    st.serial = doc
        .get("serial")
        .and_then(J::as_i64)
        .ok_or("the stack state has no serial")?;
    let empty = Map::new();
    let resources = match doc.get("resources") {
        Some(J::Object(m)) => m,
        None => &empty,
        Some(_) => return Err("`resources` is not an object".into()),
    };
    for (address, r) in resources {
        let corrupt = |e: String| format!("resource {address}: {e}");
        let addr: Address = address.parse().map_err(corrupt)?;
        let kind: Kind = r
            .get("kind")
            .and_then(J::as_str)
            .ok_or_else(|| corrupt("no kind".into()))?
            .parse()
            .map_err(corrupt)?;
        let attrs =
            attrs_from_json(&r.get("attrs").cloned().unwrap_or_else(|| json!({})).to_string()).map_err(corrupt)?;
        let depends_on = r
            .get("depends_on")
            .and_then(J::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(J::as_str)
                    .map(str::parse)
                    .collect::<Result<BTreeSet<Address>, _>>()
            })
            .transpose()
            .map_err(corrupt)?
            .unwrap_or_default();
        let pending = r
            .get("pending")
            .and_then(J::as_str)
            .map(str::parse)
            .transpose()
            .map_err(corrupt)?;
        let id = r.get("id").and_then(J::as_str).map(String::from);
        st.resources.insert(
            addr,
            StateEntry {
                kind,
                id,
                attrs,
                depends_on,
                pending,
            },
        );
    }
    Ok(st)
}

/// A random (version 4) UUID: lease and lock IDs.
pub fn uuid() -> String {
    use sha2::{Digest, Sha256};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let mut b = [0u8; 16];
    let random = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b));
    if random.is_err() {
        let seed = format!(
            "{:?}/{}/{}",
            std::time::SystemTime::now(),
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        );
        b.copy_from_slice(&Sha256::digest(seed.as_bytes())[..16]);
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::state::Pending;
    use crate::graph::Value;

    #[test]
    fn a_state_survives_the_round_trip() {
        let mut st = StackState::empty("dev.hkstate");
        st.serial = 7;
        let mut attrs = crate::graph::Attrs::new();
        attrs.insert("name".into(), Value::str("hub-vnet"));
        st.resources.insert(
            "peering.p".parse().unwrap(),
            StateEntry {
                kind: Kind::Peering,
                id: None,
                attrs,
                depends_on: ["hub.hub".parse().unwrap()].into_iter().collect(),
                pending: Some(Pending::Create),
            },
        );
        let back = decode("dev.hkstate", &encode(&st)).unwrap();
        assert_eq!(back, st);
        assert_eq!(decode("x", b"").unwrap(), StackState::empty("x"));
    }

    #[test]
    fn foreign_blobs_are_refused_with_a_reason() {
        assert!(decode("x", b"{\"terraform_version\": \"1.9.0\"}")
            .unwrap_err()
            .contains("Terraform state"));
        assert!(decode("x", b"{\"hybridk8s_stack\": 2, \"serial\": 1}")
            .unwrap_err()
            .contains("format 2"));
        assert!(decode("x", b"not json")
            .unwrap_err()
            .contains("not a hybridk8s stack state"));
    }

    #[test]
    fn uuids_are_version_4_and_differ() {
        let (a, b) = (uuid(), uuid());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
    }
}
