//! The `hybridk8s_address_plan` data source: the DSL's `address_plan` for
//! Terraform, over the same allocator (`graph::address_plan`). Nothing is
//! read from a backend: the answer depends on the configuration only, so
//! it is known at plan time and `for_each` can range over `ranges`.

use crate::graph::address_plan::{self, EnvInput, Part, PlanInput};
use crate::graph::diag::Diagnostic;
use crate::graph::schema::{Attribute, Attrs, Block, Schema};
use crate::graph::value::{AttrPath, Type, Value};
use crate::graph::{net, Address, Kind};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Type name of the address plan data source.
pub const ADDRESS_PLAN_DATA_SOURCE: &str = "hybridk8s_address_plan";

fn range_type() -> Type {
    Type::Object(vec![
        ("key", Type::String),
        ("environment", Type::String),
        ("slot", Type::String),
        ("cidr", Type::String),
        ("reserved_cidr", Type::String),
    ])
}

/// The data source's schema.
pub fn schema() -> Schema {
    Schema {
        // Not a resource kind; `kind` is unused for a data source of its own.
        kind: Kind::Onprem,
        version: 0,
        description: "Allocates cluster ranges per environment, and per blue/green slot, from supernets around every reserved range (on-premises, hubs, existing VNETs). The answer is a pure function of the configuration: the same plan gives the same ranges byte for byte, and appending an `environment` block (or a slot the environment has room for) never moves an existing range. Environments are allocated in the order of their blocks, each from the smallest free block that holds it (lowest address first); removing or reordering blocks can move the ones after, unless they pin their range with `cidr`. Each range is the first `/size` of a block grown by `headroom` bits, kept free so the range can grow in place; an environment with `slots` gets one such block per slot side by side, room for a pair at least.",
        attrs: vec![
            Attribute::required("supernets", Type::list(Type::String), "CIDRs the ranges are carved from, tried in this order; they must not overlap."),
            Attribute::optional("reserved", Type::list(Type::String), "CIDRs never allocated: on-premises ranges (`data.hybridk8s_onprem_network.corp.address_space`), hubs, existing VNETs."),
            Attribute::computed("id", Type::String, "A digest of the allocations: it changes exactly when a range does."),
            Attribute::computed("allocations", Type::map(Type::String), "Every key with its CIDR: `ENV` (the range, or with slots the environment block holding them) and `ENV.SLOT`."),
            Attribute::computed("ranges", Type::list(range_type()), "One object per range to build (an environment without slots, or a slot), in order: `key` (`dev`, `prod.green`), `environment`, `slot` (null without slots), `cidr`, `reserved_cidr` (the block kept for growth). Use `for_each = { for r in data.hybridk8s_address_plan.NAME.ranges : r.key => r }`."),
        ],
        blocks: vec![Block {
            name: "environment",
            description: "One environment, in allocation order.",
            attrs: vec![
                Attribute::required("name", Type::String, "The environment's key (`dev`): letters, digits, `_` and `-`."),
                Attribute::optional("size", Type::Number, "Prefix length of its range (of each slot's range), e.g. 16 for a /16. Optional when `cidr` pins a range without slots."),
                Attribute::optional("slots", Type::list(Type::String), "Slot names (`[\"blue\", \"green\"]`): one range each, keyed `ENV.SLOT`; append slots to keep the others in place."),
                Attribute::optional("headroom", Type::Number, "Bits each range can later grow by in place: the block kept for it is that much larger. To grow, widen `size` and lower `headroom` by the same bits."),
                Attribute::optional("cidr", Type::String, "A pinned range: what the environment's key yields (its range, or with slots its environment block)."),
            ],
            min_items: 0,
            max_items: 0,
            requires_replace: false,
        }],
    }
}

fn err(code: &'static str, path: AttrPath, message: impl Into<String>, hint: impl Into<String>) -> Diagnostic {
    Diagnostic::error(code, message)
        .at(&Address::new(Kind::Onprem, "address_plan"), path)
        .hint(hint)
}

/// The attribute path of a part of the plan.
fn path_of(part: Part) -> AttrPath {
    let env = |i: usize| AttrPath::attr("environment").index(i);
    match part {
        Part::Supernet(i) => AttrPath::attr("supernets").index(i),
        Part::Reserved(i) => AttrPath::attr("reserved").index(i),
        Part::Environment(i) => env(i),
        Part::Name(i) => env(i).then("name"),
        Part::Size(i) => env(i).then("size"),
        Part::Slot(i, j) => env(i).then("slots").index(j),
        Part::Headroom(i) => env(i).then("headroom"),
        Part::Cidr(i) => env(i).then("cidr"),
    }
}

fn cidrs(cfg: &Attrs, key: &str) -> Result<Vec<ipnet::Ipv4Net>, Diagnostic> {
    let items = cfg.get(key).and_then(Value::as_list).unwrap_or_default();
    items
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.is_null())
        .map(|(i, v)| {
            let s = v.as_str().unwrap_or_default();
            net::parse_cidr(s).map_err(|m| {
                err(
                    address_plan::CODE_INVALID,
                    AttrPath::attr(key).index(i),
                    m,
                    "write a CIDR such as 10.64.0.0/10",
                )
            })
        })
        .collect()
}

fn small(v: Option<&Value>, path: AttrPath, what: &str) -> Result<Option<u8>, Diagnostic> {
    match v.and_then(Value::as_i64) {
        None => Ok(None),
        Some(n) => u8::try_from(n).map(Some).map_err(|_| {
            err(
                address_plan::CODE_INVALID,
                path,
                format!("{what} {n} is out of range"),
                "a size is a prefix length from 1 to 32; headroom a few bits",
            )
        }),
    }
}

/// The plan a configuration declares, or what is wrong with it.
pub fn parse(cfg: &Attrs) -> Result<PlanInput, Diagnostic> {
    let mut input = PlanInput {
        supernets: cidrs(cfg, "supernets")?,
        reserved: cidrs(cfg, "reserved")?,
        environments: Vec::new(),
    };
    let envs = cfg.get("environment").and_then(Value::as_list).unwrap_or_default();
    for (i, e) in envs.iter().enumerate() {
        let path = AttrPath::attr("environment").index(i);
        let get = |k: &str| e.as_map().and_then(|m| m.get(k)).filter(|v| !v.is_null());
        let cidr = match get("cidr").and_then(Value::as_str) {
            Some(s) => Some(net::parse_cidr(s).map_err(|m| {
                err(
                    address_plan::CODE_INVALID,
                    path.clone().then("cidr"),
                    m,
                    "pin a CIDR such as 10.64.0.0/16",
                )
            })?),
            None => None,
        };
        input.environments.push(EnvInput {
            name: get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
            size: small(get("size"), path.clone().then("size"), "size")?,
            slots: get("slots")
                .and_then(Value::as_list)
                .unwrap_or_default()
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            headroom: small(get("headroom"), path.clone().then("headroom"), "headroom")?.unwrap_or(0),
            cidr,
        });
    }
    Ok(input)
}

/// Validation before the values are all known: only what is known.
pub fn validate(cfg: &Attrs) -> Vec<Diagnostic> {
    if !cfg.values().all(Value::is_wholly_known) {
        return Vec::new();
    }
    answer(cfg).1
}

/// The data source's state and its diagnostics.
pub fn answer(cfg: &Attrs) -> (Attrs, Vec<Diagnostic>) {
    let mut state = cfg.clone();
    let plan = match parse(cfg)
        .and_then(|input| address_plan::allocate(&input).map_err(|e| err(e.code, path_of(e.part), e.message, e.hint)))
    {
        Ok(p) => p,
        Err(d) => return (state, vec![d]),
    };
    let allocations: BTreeMap<String, Value> = plan
        .allocations()
        .map(|(k, c)| (k, Value::str(c.to_string())))
        .collect();
    let ranges: Vec<Value> = plan
        .ranges()
        .map(|r| {
            Value::Map(BTreeMap::from([
                ("key".to_string(), Value::str(&r.key)),
                ("environment".to_string(), Value::str(&r.environment)),
                ("slot".to_string(), r.slot.as_ref().map_or(Value::Null, Value::str)),
                ("cidr".to_string(), Value::str(r.cidr.to_string())),
                ("reserved_cidr".to_string(), Value::str(r.reserved_cidr.to_string())),
            ]))
        })
        .collect();
    let mut digest = Sha256::new();
    for (k, v) in &allocations {
        digest.update(format!("{k}={}\n", v.as_str().unwrap_or_default()));
    }
    let hex: String = digest.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
    state.insert("id".into(), Value::str(format!("address-plan:{hex}")));
    state.insert("allocations".into(), Value::Map(allocations));
    state.insert("ranges".into(), Value::List(ranges));
    (state, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str, size: i64, slots: &[&str]) -> Value {
        Value::Map(BTreeMap::from([
            ("name".into(), Value::str(name)),
            ("size".into(), Value::Number(size)),
            (
                "slots".into(),
                if slots.is_empty() {
                    Value::Null
                } else {
                    Value::list_of_str(slots.iter().copied())
                },
            ),
            ("headroom".into(), Value::Null),
            ("cidr".into(), Value::Null),
        ]))
    }

    fn cfg(envs: Vec<Value>) -> Attrs {
        Attrs::from([
            ("supernets".into(), Value::list_of_str(["10.64.0.0/12"])),
            ("reserved".into(), Value::list_of_str(["10.64.0.0/16"])),
            ("environment".into(), Value::List(envs)),
        ])
    }

    #[test]
    fn allocations_and_ranges() {
        let (state, diags) = answer(&cfg(vec![env("dev", 16, &[]), env("prod", 16, &["blue", "green"])]));
        assert!(diags.is_empty(), "{diags:?}");
        let a = state["allocations"].as_map().unwrap();
        let got: Vec<(&str, &str)> = a.iter().map(|(k, v)| (k.as_str(), v.as_str().unwrap())).collect();
        assert_eq!(
            got,
            [
                ("dev", "10.65.0.0/16"),
                ("prod", "10.66.0.0/15"),
                ("prod.blue", "10.66.0.0/16"),
                ("prod.green", "10.67.0.0/16")
            ]
        );
        let keys: Vec<&str> = state["ranges"]
            .as_list()
            .unwrap()
            .iter()
            .map(|r| r.as_map().unwrap()["key"].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["dev", "prod.blue", "prod.green"]);
        assert!(state["id"].as_str().unwrap().starts_with("address-plan:"));
    }

    #[test]
    fn errors_carry_the_attribute_path() {
        let (_, diags) = answer(&cfg(vec![env("dev", 16, &[]), env("big", 12, &[])]));
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, address_plan::CODE_EXHAUSTED);
        assert_eq!(diags[0].path, AttrPath::attr("environment").index(1));
        let (_, diags) = answer(&cfg(vec![env("dev", 16, &["blue", "blue"])]));
        assert_eq!(
            diags[0].path,
            AttrPath::attr("environment").index(0).then("slots").index(1)
        );
        let mut bad = cfg(vec![]);
        bad.insert("supernets".into(), Value::list_of_str(["10.64.0.1/12"]));
        assert_eq!(answer(&bad).1[0].path, AttrPath::attr("supernets").index(0));
    }
}
