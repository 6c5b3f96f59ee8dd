//! The emulated subscription: every resource group, network object and
//! long-running operation, as one serializable value persisted whole
//! (temp file + rename) after each change.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every object of the subscription. Maps are keyed by the lower-cased ARM
/// ID (resource groups by lower-cased name): ARM IDs are case-insensitive.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    pub subscription_id: String,
    /// A counter for etags, GUIDs and public addresses.
    pub seq: u64,
    /// Bearer tokens issued by the token endpoint (kept across a restart,
    /// so a client holding one goes on).
    pub tokens: BTreeSet<String>,
    pub groups: BTreeMap<String, Group>,
    pub vnets: BTreeMap<String, Vnet>,
    pub gateways: BTreeMap<String, Gateway>,
    pub public_ips: BTreeMap<String, PublicIp>,
    /// Long-running operations by GUID.
    pub operations: BTreeMap<String, Operation>,
    #[serde(skip, default = "Rng::from_time")]
    pub rng: Rng,
}

/// A small xorshift generator: GUIDs, tokens and fault draws.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Default for Rng {
    fn default() -> Self {
        Rng::from_time()
    }
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn from_time() -> Rng {
        static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(7);
        Rng::new(n ^ COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed).rotate_left(32))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A uniform draw in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A random version-4 GUID.
    pub fn guid(&mut self) -> String {
        let (a, b) = (self.next_u64(), self.next_u64());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            8 + (b >> 62),
            (b >> 48) & 0xfff,
            b & 0xffff_ffff_ffff
        )
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    pub location: String,
    pub tags: Map<String, Value>,
    pub provisioning_state: String,
}

/// What every top-level network resource carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Common {
    pub id: String,
    pub name: String,
    pub location: String,
    pub tags: Map<String, Value>,
    pub etag: String,
    pub provisioning_state: String,
    pub resource_guid: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Vnet {
    pub c: Common,
    pub address_prefixes: Vec<String>,
    pub dns_servers: Vec<String>,
    pub subnets: Vec<Subnet>,
    pub peerings: Vec<Peering>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Subnet {
    pub name: String,
    pub address_prefix: String,
    pub etag: String,
    pub provisioning_state: String,
}

/// One side of a peering, on the VNET that holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Peering {
    pub name: String,
    /// The remote VNET's ID as the client wrote it.
    pub remote_vnet_id: String,
    pub allow_virtual_network_access: bool,
    pub allow_forwarded_traffic: bool,
    pub allow_gateway_transit: bool,
    pub use_remote_gateways: bool,
    /// `Initiated`, `Connected` or `Disconnected`.
    pub peering_state: String,
    /// The remote address space as this side last synced it.
    pub remote_address_space: Vec<String>,
    pub etag: String,
    pub provisioning_state: String,
    pub resource_guid: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Gateway {
    pub c: Common,
    pub gateway_type: String,
    pub vpn_type: String,
    pub sku_name: String,
    pub sku_tier: String,
    pub active_active: bool,
    pub enable_bgp: bool,
    pub ip_configurations: Vec<GatewayIpConfig>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GatewayIpConfig {
    pub name: String,
    pub subnet_id: String,
    pub public_ip_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublicIp {
    pub c: Common,
    pub sku_name: String,
    pub sku_tier: String,
    pub allocation_method: String,
    pub ip_version: String,
    pub ip_address: String,
    pub zones: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpKind {
    Put,
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpStatus {
    InProgress,
    Succeeded,
    Failed,
}

impl OpStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OpStatus::InProgress => "InProgress",
            OpStatus::Succeeded => "Succeeded",
            OpStatus::Failed => "Failed",
        }
    }
}

/// An operation's error when it ends `Failed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpError {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Operation {
    pub guid: String,
    /// The normalized region of the resource (`westeurope`).
    pub location: String,
    pub kind: OpKind,
    /// The canonical ARM ID of the resource the operation changes.
    pub resource_id: String,
    /// The key no other write may hold while this runs (the VNET for its
    /// subnets and peerings, else the resource itself).
    pub lock: String,
    pub status: OpStatus,
    /// Status polls answered so far.
    pub polls: u32,
    pub started_ms: u64,
    pub ended_ms: Option<u64>,
    /// Set when the operation is to end `Failed` (an injected fault).
    pub fail: Option<OpError>,
}

impl State {
    pub fn new(subscription_id: &str) -> State {
        State {
            subscription_id: subscription_id.to_string(),
            ..State::default()
        }
    }

    /// The next value of the counter.
    pub fn next(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// A fresh etag, `W/"<guid>"` as ARM writes it.
    pub fn etag(&mut self) -> String {
        self.next();
        format!("W/\"{}\"", self.rng.guid())
    }

    /// Whether an operation holding `lock` is still running.
    pub fn running_on(&self, lock: &str) -> Option<&Operation> {
        self.operations
            .values()
            .find(|o| o.status == OpStatus::InProgress && o.lock == lock)
    }

    pub fn load(path: &Path) -> Result<State, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("parsing {}: {e}", path.display()))
    }

    /// Writes the whole state atomically: a temp file beside it, then a rename.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string(self).map_err(|e| e.to_string())?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text).map_err(|e| format!("writing {}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, path).map_err(|e| format!("renaming to {}: {e}", path.display()))
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// RFC 3339 (UTC, with 7 fractional digits as ARM writes them) of a Unix time in ms.
pub fn rfc3339(ms: u64) -> String {
    let secs = (ms / 1000) as i64;
    let frac = (ms % 1000) * 10_000;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:07}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}
