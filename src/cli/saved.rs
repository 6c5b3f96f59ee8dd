//! Saved plans: `plan PROGRAM --out FILE` writes the plan with what it was
//! made against; `apply FILE` applies exactly that plan, or refuses when
//! the stack or the fabric moved since.
//!
//! The file is JSON:
//!
//! ```json
//! { "hybridk8s_plan": 1,            // the format version
//!   "program": "/abs/envs/dev/main.hk", "stack": "envs/dev/main.hk", "serial": 3,
//!   "fabric": "/abs/.hybridk8s/fabric.db", "backend": "local",
//!   "fingerprint": [ { "address": "cluster_network.aks", "id": "/subscriptions/…",
//!                      "digest": "sha256:…" | "absent" } ],
//!   "graph": { "resources": [ … ] },  // the resolved program (as `compile`)
//!   "plan": { … },                    // every field of the plan (`engine::saved`)
//!   "checksum": "sha256:…" }          // of the rest: an edited file is refused
//! ```
//!
//! The fingerprint covers every object the plan read: the objects of the
//! stack, the IDs its creates will take and the hubs it looked up. Plans
//! hold attributes only; no attribute of a resource kind is sensitive
//! (saving refuses one that is), and no backend credential is written.

use crate::backend::{Backend, OpCtx};
use crate::engine::saved::attrs_out;
use crate::engine::Plan;
use crate::graph::{kinds, Address, Graph};
use anyhow::{bail, Context};
use serde_json::{json, Value as J};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

/// The format version this build writes and reads.
pub const VERSION: i64 = 1;
/// The key that marks a saved plan and holds its version.
const MARK: &str = "hybridk8s_plan";
/// The largest plan file read.
const MAX_BYTES: u64 = 256 << 20;

/// One object the plan read, as it was then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub address: Address,
    pub id: String,
    /// `sha256:…` of what the fabric held, or `absent`.
    pub digest: String,
}

/// A plan with what it was made against.
pub struct Saved {
    pub program: String,
    pub fabric: String,
    pub backend: String,
    pub fingerprint: Vec<Seen>,
    pub plan: Plan,
}

fn sha256(text: &str) -> String {
    let d = Sha256::digest(text.as_bytes());
    format!("sha256:{}", d.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// True when `path` holds a saved plan rather than a program: not a `.hk`
/// file, and JSON (or named `*.hkplan`).
pub fn is_plan_file(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str());
    if ext == Some("hk") {
        return false;
    }
    if ext == Some("hkplan") {
        return true;
    }
    let mut head = [0u8; 64];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    head[..n].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// The objects `plan` read: those of its resources with an ID, and the
/// hubs `graph` looked up.
pub fn targets(plan: &Plan, graph: &Graph) -> Vec<(Address, String)> {
    let mut out: Vec<(Address, String)> = plan
        .resources
        .iter()
        .filter(|r| !r.kind.is_declaration_only())
        .filter_map(|r| Some((r.address.clone(), r.id()?.to_string())))
        .collect();
    out.extend(
        graph
            .lookups()
            .filter_map(|r| Some((r.address.clone(), r.str("id")?.to_string()))),
    );
    out
}

/// Reads `targets` from the fabric: what each holds now.
pub async fn fingerprint(
    targets: Vec<(Address, String)>,
    plan: &Plan,
    backend: &Arc<dyn Backend>,
    cx: &OpCtx,
) -> anyhow::Result<Vec<Seen>> {
    let mut out = Vec::new();
    for (address, id) in targets {
        let prior = plan.get(&address).and_then(|r| r.before.as_ref());
        let seen = backend
            .read(cx, address.kind, &id, prior)
            .await
            .with_context(|| format!("reading {address} ({id})"))?;
        let digest = match seen {
            None => "absent".to_string(),
            Some(o) => sha256(&json!({ "owner": o.owner.to_string(), "attrs": attrs_out(&o.attrs) }).to_string()),
        };
        out.push(Seen { address, id, digest });
    }
    Ok(out)
}

/// Writes `saved` (and `graph`, for the record) to `path`.
pub fn write(path: &Path, saved: &Saved, graph: &Graph) -> anyhow::Result<()> {
    for r in &saved.plan.resources {
        let schema = kinds::schema(r.kind);
        for attrs in r.before.iter().chain(&r.after) {
            if let Some(k) = attrs.keys().find(|k| schema.attribute(k).is_some_and(|a| a.sensitive)) {
                bail!(
                    "{}.{k} is sensitive: a saved plan never holds secrets; apply the program instead",
                    r.address
                );
            }
        }
    }
    let graph: J = serde_json::from_str(&crate::render::graph_json(graph)).context("the graph as JSON")?;
    let mut body = json!({
        "program": saved.program,
        "stack": saved.plan.stack,
        "serial": saved.plan.serial,
        "fabric": saved.fabric,
        "backend": saved.backend,
        "fingerprint": saved.fingerprint.iter().map(|s| json!({
            "address": s.address.to_string(), "id": s.id, "digest": s.digest,
        })).collect::<Vec<_>>(),
        "graph": graph,
        "plan": saved.plan.to_saved(),
    });
    body[MARK] = J::from(VERSION);
    let checksum = sha256(&body.to_string());
    body["checksum"] = J::String(checksum);
    let text = serde_json::to_string_pretty(&body)? + "\n";
    crate::atomic::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Reads a saved plan; every way a file can be wrong is an error naming it.
pub fn read(path: &Path) -> anyhow::Result<Saved> {
    let name = path.display();
    let again = "make a new one with `hybridk8s plan PROGRAM --out FILE`";
    let mut text = String::new();
    std::fs::File::open(path)
        .with_context(|| format!("opening {name}"))?
        .take(MAX_BYTES)
        .read_to_string(&mut text)
        .with_context(|| format!("reading {name}: not a saved plan"))?;
    let mut j: J = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{name} is not a saved plan of hybridk8s (damaged or cut short: {e}); {again}"))?;
    let version = match j.get(MARK) {
        Some(v) => v.as_i64(),
        None => bail!("{name} is not a saved plan of hybridk8s (no `{MARK}` version); {again}"),
    };
    if version != Some(VERSION) {
        bail!(
            "{name} is a saved plan of format version {}; this hybridk8s reads version {VERSION} only: {again}",
            j[MARK]
        );
    }
    let Some(J::String(checksum)) = j.as_object_mut().and_then(|o| o.remove("checksum")) else {
        bail!("{name} has no checksum; {again}");
    };
    if sha256(&j.to_string()) != checksum {
        bail!("{name} was changed after it was written (its checksum does not match); {again}");
    }
    let field = |k: &str| -> anyhow::Result<String> {
        j.get(k)
            .and_then(J::as_str)
            .map(String::from)
            .ok_or_else(|| anyhow::anyhow!("{name}: `{k}` is missing; {again}"))
    };
    let plan = Plan::from_saved(&j["plan"]).map_err(|e| anyhow::anyhow!("{name}: {e}; {again}"))?;
    if plan.stack != field("stack")? || Some(plan.serial) != j["serial"].as_i64() {
        bail!("{name}: the plan and its header name different stacks; {again}");
    }
    let Some(J::Array(list)) = j.get("fingerprint") else {
        bail!("{name}: `fingerprint` is missing; {again}");
    };
    let fingerprint = list
        .iter()
        .map(|s| {
            let get = |k: &str| s.get(k).and_then(J::as_str);
            match (get("address").map(str::parse::<Address>), get("id"), get("digest")) {
                (Some(Ok(address)), Some(id), Some(digest)) => Some(Seen {
                    address,
                    id: id.to_string(),
                    digest: digest.to_string(),
                }),
                _ => None,
            }
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| anyhow::anyhow!("{name}: a fingerprint entry is damaged; {again}"))?;
    Ok(Saved {
        program: field("program")?,
        fabric: field("fabric")?,
        backend: field("backend")?,
        fingerprint,
        plan,
    })
}

/// What moved since the plan was made, one line per object (empty: nothing).
pub fn moved(then: &[Seen], now: &[Seen]) -> Vec<String> {
    then.iter()
        .zip(now)
        .filter(|(a, b)| a.digest != b.digest)
        .map(|(a, b)| {
            let what = match (a.digest.as_str(), b.digest.as_str()) {
                ("absent", _) => "appeared",
                (_, "absent") => "vanished",
                _ => "changed",
            };
            format!("{} ({}) {what} in the fabric", a.address, a.id)
        })
        .collect()
}
