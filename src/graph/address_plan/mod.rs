//! Address plans: cluster ranges per environment (and per blue/green slot)
//! allocated from supernets around every reserved range, as a pure
//! function of the plan. The DSL's `address_plan` block and the Terraform
//! data source `hybridk8s_address_plan` both call [`allocate`].
//!
//! Stability: environments are allocated in declaration order, each from
//! what the ones before it left, so appending an environment (or a slot an
//! environment has room for) never moves an existing range. Removing or
//! reordering environments can move those after; `cidr` pins one.
//!
//! Layout of one environment, for `size = S`, `headroom = H` and `n` slots:
//! every range is the first /S of its own /(S−H) block (so it can grow by H
//! bits in place); the slots' blocks sit side by side in one environment
//! block of 2^k of them, k = ⌈log2 n⌉ and at least 1 (a pair: declaring
//! only `blue` keeps `green`'s place).

mod buddy;

use crate::graph::net::overlaps;
use buddy::Free;
use ipnet::Ipv4Net;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::net::Ipv4Addr;

/// No free block is large enough for an environment.
pub const CODE_EXHAUSTED: &str = "address-plan-exhausted";
/// A plan that cannot be allocated as written: overlapping supernets, a bad
/// size or name, a pinned range that is taken.
pub const CODE_INVALID: &str = "invalid-address-plan";

/// The most bits of headroom one range may keep.
pub const MAX_HEADROOM: u8 = 16;

/// An address plan as declared.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanInput {
    /// Where ranges come from, tried in this order.
    pub supernets: Vec<Ipv4Net>,
    /// Ranges never allocated: on-premises, hubs, existing VNETs.
    pub reserved: Vec<Ipv4Net>,
    /// In declaration order.
    pub environments: Vec<EnvInput>,
}

/// One environment as declared.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvInput {
    pub name: String,
    /// Prefix length of each range (of each slot's range with slots);
    /// `None`: the prefix length of `cidr`.
    pub size: Option<u8>,
    /// Slot names in order (`["blue", "green"]`); empty: one range.
    pub slots: Vec<String>,
    /// Bits each range can grow by in place.
    pub headroom: u8,
    /// A pinned range: what the environment's key yields (the range, or the
    /// environment block with slots).
    pub cidr: Option<Ipv4Net>,
}

/// One allocated range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    /// `dev`, or `prod.blue` for a slot.
    pub key: String,
    pub environment: String,
    pub slot: Option<String>,
    pub cidr: Ipv4Net,
    /// The block kept for it: `cidr` grown by the headroom.
    pub reserved_cidr: Ipv4Net,
}

/// One allocated environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvPlan {
    pub name: String,
    /// What `plan.NAME` yields: the range, or with slots the environment
    /// block that holds every slot.
    pub cidr: Ipv4Net,
    /// Its ranges: one, or one per slot.
    pub ranges: Vec<Range>,
}

/// The result of a plan: environments in declaration order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub environments: Vec<EnvPlan>,
}

impl Plan {
    /// Every key (`dev`, `prod`, `prod.blue`, …) with its CIDR, in order.
    pub fn allocations(&self) -> impl Iterator<Item = (String, Ipv4Net)> + '_ {
        self.environments.iter().flat_map(|e| {
            let own = (e.name.clone(), e.cidr);
            let slots = e
                .ranges
                .iter()
                .filter(|r| r.slot.is_some())
                .map(|r| (r.key.clone(), r.cidr));
            std::iter::once(own).chain(slots)
        })
    }

    /// Every range (an environment without slots, or a slot), in order.
    pub fn ranges(&self) -> impl Iterator<Item = &Range> {
        self.environments.iter().flat_map(|e| e.ranges.iter())
    }
}

/// What of the plan an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Supernet(usize),
    Reserved(usize),
    /// Environment `i` as a whole (its block does not fit).
    Environment(usize),
    Name(usize),
    Size(usize),
    Slot(usize, usize),
    Headroom(usize),
    Cidr(usize),
}

/// Why a plan cannot be allocated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    pub code: &'static str,
    pub part: Part,
    pub message: String,
    pub hint: String,
}

fn invalid(part: Part, message: impl Into<String>, hint: impl Into<String>) -> PlanError {
    PlanError {
        code: CODE_INVALID,
        part,
        message: message.into(),
        hint: hint.into(),
    }
}

/// A name usable as a key and in a DSL reference.
pub fn valid_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_' || x == '-')
}

/// Bits the slots of an environment take: a pair at least.
fn slot_bits(n: usize) -> u8 {
    match n {
        0 => 0,
        1 | 2 => 1,
        n => (usize::BITS - (n - 1).leading_zeros()) as u8,
    }
}

/// Allocates the plan: the same input gives the same ranges, always.
pub fn allocate(input: &PlanInput) -> Result<Plan, PlanError> {
    let mut sorted: Vec<(Ipv4Net, usize)> = input.supernets.iter().copied().zip(0..).collect();
    sorted.sort();
    for w in sorted.windows(2) {
        let ((a, _), (b, j)) = (w[0], w[1]);
        if a.contains(&b.network()) {
            return Err(invalid(
                Part::Supernet(j),
                format!("supernet {b} overlaps supernet {a}"),
                "supernets are disjoint: list each range once",
            ));
        }
    }
    if input.supernets.is_empty() {
        return Err(invalid(
            Part::Supernet(0),
            "an address plan needs at least one supernet",
            "set `supernets` to the ranges environments are carved from, e.g. [10.64.0.0/10]",
        ));
    }
    let mut free: Vec<Free> = input.supernets.iter().map(|s| Free::new(*s)).collect();
    for r in &input.reserved {
        for (f, s) in free.iter_mut().zip(&input.supernets) {
            if overlaps(s, r) {
                f.carve(*r);
            }
        }
    }
    let mut seen: HashSet<&str> = HashSet::with_capacity(input.environments.len());
    let mut out: Vec<EnvPlan> = Vec::with_capacity(input.environments.len());
    for (i, env) in input.environments.iter().enumerate() {
        if !valid_name(&env.name) {
            return Err(invalid(
                Part::Name(i),
                format!("`{}` is not a valid environment name", env.name),
                "a name starts with a letter or `_` and holds letters, digits, `_` and `-`",
            ));
        }
        if !seen.insert(&env.name) {
            return Err(invalid(
                Part::Name(i),
                format!("environment `{}` is declared twice", env.name),
                "give each environment its own name",
            ));
        }
        let taken = Taken {
            reserved: &input.reserved,
            earlier: &out,
        };
        let e = allocate_env(i, env, &input.supernets, &mut free, taken)?;
        out.push(e);
    }
    Ok(Plan { environments: out })
}

/// What is taken before an environment, to name what a pinned range
/// overlaps (looked up only then).
#[derive(Clone, Copy)]
struct Taken<'a> {
    reserved: &'a [Ipv4Net],
    earlier: &'a [EnvPlan],
}

impl Taken<'_> {
    fn what_overlaps(&self, block: &Ipv4Net) -> String {
        if let Some(r) = self.reserved.iter().find(|r| overlaps(r, block)) {
            return format!("the reserved range {r}");
        }
        self.earlier
            .iter()
            .flat_map(|e| &e.ranges)
            .find(|r| overlaps(&r.reserved_cidr, block))
            .map_or_else(
                || "another range".to_string(),
                |r| format!("`{}` ({})", r.key, r.reserved_cidr),
            )
    }
}

fn allocate_env(
    i: usize,
    env: &EnvInput,
    supernets: &[Ipv4Net],
    free: &mut [Free],
    taken: Taken<'_>,
) -> Result<EnvPlan, PlanError> {
    for (j, s) in env.slots.iter().enumerate() {
        if !valid_name(s) {
            return Err(invalid(
                Part::Slot(i, j),
                format!("`{s}` is not a valid slot name"),
                "a slot name starts with a letter and holds letters, digits, `_` and `-`, e.g. blue",
            ));
        }
        if env.slots[..j].contains(s) {
            return Err(invalid(
                Part::Slot(i, j),
                format!("slot `{s}` of `{}` is listed twice", env.name),
                "list each slot once",
            ));
        }
    }
    if env.headroom > MAX_HEADROOM {
        return Err(invalid(
            Part::Headroom(i),
            format!("headroom {} is more than {MAX_HEADROOM} bits", env.headroom),
            "headroom is how many bits a range may grow by in place, e.g. 1 to double it",
        ));
    }
    let bits = slot_bits(env.slots.len());
    let size = match (env.size, env.cidr) {
        (Some(s), _) => s,
        (None, Some(c)) if bits == 0 => c.prefix_len(),
        (None, _) => {
            return Err(invalid(
                Part::Size(i),
                format!("environment `{}` has no size", env.name),
                "set `size` to the prefix length of each range, e.g. 16 for a /16",
            ))
        }
    };
    if !(1..=32).contains(&size) {
        return Err(invalid(
            Part::Size(i),
            format!("size {size} is not a prefix length"),
            "a size is a prefix length from 1 to 32, e.g. 16 for a /16",
        ));
    }
    let Some(block_prefix) = size.checked_sub(env.headroom + bits) else {
        return Err(invalid(
            Part::Headroom(i),
            format!(
                "a /{size} with {} bits of headroom and {} slots needs more than the whole address space",
                env.headroom,
                env.slots.len()
            ),
            "lower the headroom or the number of slots",
        ));
    };
    let block = match env.cidr {
        Some(c) => pin(i, env, c, size, block_prefix, bits, supernets, free, taken)?,
        None => take(i, env, size, block_prefix, supernets, free)?,
    };
    let unit = size - env.headroom;
    let ranges: Vec<Range> = if env.slots.is_empty() {
        vec![range(&env.name, None, block, size)]
    } else {
        env.slots
            .iter()
            .enumerate()
            .map(|(j, s)| {
                let start = u64::from(u32::from(block.network())) + (j as u64) * (1u64 << (32 - u32::from(unit)));
                let reserved = Ipv4Net::new(Ipv4Addr::from(start as u32), unit).expect("prefix is at most 32");
                range(&env.name, Some(s), reserved, size)
            })
            .collect()
    };
    let cidr = if env.slots.is_empty() { ranges[0].cidr } else { block };
    Ok(EnvPlan {
        name: env.name.clone(),
        cidr,
        ranges,
    })
}

fn range(env: &str, slot: Option<&String>, reserved: Ipv4Net, size: u8) -> Range {
    let cidr = Ipv4Net::new(reserved.network(), size).expect("prefix is at most 32");
    Range {
        key: slot.map_or_else(|| env.to_string(), |s| format!("{env}.{s}")),
        environment: env.to_string(),
        slot: slot.cloned(),
        cidr,
        reserved_cidr: reserved,
    }
}

/// The lowest free block of the first supernet that has one.
fn take(
    i: usize,
    env: &EnvInput,
    size: u8,
    p: u8,
    supernets: &[Ipv4Net],
    free: &mut [Free],
) -> Result<Ipv4Net, PlanError> {
    if let Some(b) = free.iter_mut().find_map(|f| f.take_any(p)) {
        return Ok(b);
    }
    let what = if env.slots.is_empty() && env.headroom == 0 {
        format!("a /{p}")
    } else {
        format!(
            "a /{p} block ({} /{size}{}{})",
            env.slots.len().max(1),
            if env.slots.is_empty() {
                String::new()
            } else {
                format!(" slots {}", env.slots.join(", "))
            },
            if env.headroom > 0 {
                format!(", headroom {}", env.headroom)
            } else {
                String::new()
            }
        )
    };
    let names: Vec<String> = supernets.iter().map(ToString::to_string).collect();
    let largest = free.iter().filter_map(Free::largest).min_by_key(|n| n.prefix_len());
    let message = match largest {
        Some(l) => format!(
            "no room for environment `{}`: it needs {what}, and the largest free block of {} is {l}",
            env.name,
            names.join(", ")
        ),
        None => format!(
            "no room for environment `{}`: it needs {what}, and nothing of {} is free",
            env.name,
            names.join(", ")
        ),
    };
    let mut counts = [0usize; 33];
    for f in free.iter() {
        for (q, c) in f.counts() {
            counts[usize::from(q)] += c;
        }
    }
    let mut hint = String::new();
    let fits: Vec<String> = counts
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .take(4)
        .map(|(q, c)| format!("{c} × /{q}"))
        .collect();
    if !fits.is_empty() {
        let _ = write!(hint, "still free: {}; ", fits.join(", "));
    }
    hint.push_str("add or widen a supernet, lower the size or headroom, or remove an environment");
    Err(PlanError {
        code: CODE_EXHAUSTED,
        part: Part::Environment(i),
        message,
        hint,
    })
}

/// A pinned environment: its block must lie free in a supernet.
#[allow(clippy::too_many_arguments)]
fn pin(
    i: usize,
    env: &EnvInput,
    c: Ipv4Net,
    size: u8,
    p: u8,
    bits: u8,
    supernets: &[Ipv4Net],
    free: &mut [Free],
    taken: Taken<'_>,
) -> Result<Ipv4Net, PlanError> {
    let want = if bits == 0 { size } else { p };
    if c.prefix_len() != want {
        let what = if bits == 0 {
            "the range".to_string()
        } else {
            format!("the block of its {} slots", env.slots.len())
        };
        return Err(invalid(
            Part::Cidr(i),
            format!("`{}` pins {c}, but {what} is a /{want}", env.name),
            format!("pin a /{want}, or change `size`"),
        ));
    }
    // The block kept for it: the pinned range grown by its headroom.
    let block = Ipv4Net::new(c.network(), p).expect("prefix is at most 32").trunc();
    if block.network() != c.network() {
        return Err(invalid(
            Part::Cidr(i),
            format!(
                "`{}` pins {c}, but its headroom of {} bits keeps {block}, which starts lower",
                env.name, env.headroom
            ),
            format!(
                "a range grows in place from the start of its block: pin {}, or lower `headroom`",
                Ipv4Net::new(block.network(), c.prefix_len()).expect("prefix is at most 32")
            ),
        ));
    }
    let Some(k) = supernets.iter().position(|s| s.contains(&block)) else {
        return Err(invalid(
            Part::Cidr(i),
            format!(
                "`{}` pins {c}{}, which is not inside a supernet",
                env.name,
                if block != c {
                    format!(" (kept as {block})")
                } else {
                    String::new()
                }
            ),
            "pin a range inside one of `supernets`, or add a supernet that holds it",
        ));
    };
    if !free[k].holds(block) {
        let by = taken.what_overlaps(&block);
        return Err(invalid(
            Part::Cidr(i),
            format!("`{}` pins {block}, which overlaps {by}", env.name),
            "pin a free range, or pin the earlier environment instead: ranges are allocated in declaration order",
        ));
    }
    free[k].carve(block);
    Ok(block)
}

#[cfg(test)]
mod tests;
