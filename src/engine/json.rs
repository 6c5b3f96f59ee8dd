//! The machine form of a plan (`--json`): stable order (resources by
//! address, attributes by name), unknown values as `"(known after apply)"`
//! with `"known_after_apply": true` beside them (so a user's own string
//! equal to the marker is never mistaken for one).
//!
//! ```json
//! { "format_version": 1, "stack": "dev", "serial": 3,
//!   "summary": { "create": 1, "update": 0, "replace": 1, "delete": 0, "no_op": 5 },
//!   "resources": [
//!     { "address": "cluster_network.aks", "kind": "cluster_network", "action": "replace",
//!       "id": "/subscriptions/…/virtualNetworks/k8s-dev-vnet",
//!       "reasons": ["requires replace: address_space changed"],
//!       "changes": [ { "attribute": "address_space", "old": ["10.40.0.0/16"],
//!                      "new": ["10.41.0.0/16"], "known_after_apply": false,
//!                      "requires_replace": true } ] } ] }
//! ```
//!
//! `plan --json` adds the findings of the program's check to it (`valid`,
//! `error_count`, `warning_count`, `diagnostics`: `cli::findings`).

use super::plan::Plan;
use serde_json::{json, Value as J};

/// Version of the JSON shape; bumped on incompatible changes.
pub const FORMAT_VERSION: i64 = 1;

impl Plan {
    /// The plan as JSON (see the module docs for the shape).
    pub fn to_json(&self) -> J {
        let s = self.summary();
        let resources: Vec<J> = self
            .resources
            .iter()
            .map(|r| {
                json!({
                    "address": r.address.to_string(),
                    "kind": r.kind.keyword(),
                    "action": r.action.as_str(),
                    "id": r.id(),
                    "reasons": r.reasons,
                    "changes": r.changes.iter().map(|c| json!({
                        "attribute": c.attribute,
                        "old": c.old.to_json(),
                        "new": c.new.to_json(),
                        "known_after_apply": !c.new.is_wholly_known(),
                        "requires_replace": c.requires_replace,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "format_version": FORMAT_VERSION,
            "stack": self.stack,
            "serial": self.serial,
            "summary": {
                "create": s.create, "update": s.update, "replace": s.replace,
                "delete": s.delete, "no_op": s.no_op,
            },
            "resources": resources,
        })
    }
}
