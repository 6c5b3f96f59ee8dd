//! Two more fuzz bodies: the address-plan allocator on arbitrary plans
//! (its promises checked on whatever it allocates) and the decoder of a
//! stack state read from a blob (which any holder of the storage account
//! can write).

use crate::backend::azblob::format;
use crate::graph::address_plan::{allocate, EnvInput, Plan, PlanInput};
use crate::graph::net::overlaps;
use ipnet::Ipv4Net;
use std::net::Ipv4Addr;

/// Bytes read front to back; zeros once they run out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    fn net(&mut self) -> Ipv4Net {
        let a = Ipv4Addr::new(self.u8(), self.u8(), self.u8(), self.u8());
        let len = 4 + self.u8() % 25;
        Ipv4Net::new(a, len).map(|n| n.trunc()).unwrap_or_default()
    }

    /// A range inside one of `supernets` (most reservations and pins are).
    fn inside(&mut self, supernets: &[Ipv4Net]) -> Ipv4Net {
        let Some(sup) = supernets.get(self.u8() as usize % supernets.len().max(1)) else {
            return self.net();
        };
        let len = (sup.prefix_len() + 1 + self.u8() % 10).min(32);
        let span = u32::from(sup.network()) ^ u32::from(sup.broadcast());
        let offset = u32::from_be_bytes([self.u8(), self.u8(), self.u8(), self.u8()]) & span;
        Ipv4Net::new(Ipv4Addr::from(u32::from(sup.network()) | offset), len)
            .map(|n| n.trunc())
            .unwrap_or(*sup)
    }
}

/// A plan from bytes: 1–3 supernets (/4 to /28), 0–4 reserved ranges
/// (mostly inside a supernet), 0–15 environments (a size near the
/// supernets', headroom, 0–3 slots, sometimes a pin).
pub fn plan_input(data: &[u8]) -> PlanInput {
    let mut b = Bytes(data);
    let supernets: Vec<Ipv4Net> = (0..1 + b.u8() % 3).map(|_| b.net()).collect();
    let widest = supernets.iter().map(Ipv4Net::prefix_len).min().unwrap_or(8);
    let reserved = (0..b.u8() % 5)
        .map(|_| if b.u8() % 4 == 0 { b.net() } else { b.inside(&supernets) })
        .collect();
    let environments = (0..b.u8() % 16)
        .map(|i| {
            let size = b.u8();
            let headroom = b.u8() % 3;
            let slots = (0..b.u8() % 4)
                .map(|s| ["blue", "green", "teal"][s as usize % 3].to_string())
                .collect();
            let cidr = (b.u8() % 16 == 0).then(|| b.inside(&supernets));
            EnvInput {
                name: format!("e{i}"),
                // Mostly sizes that fit; now and then one that cannot be.
                size: match size % 32 {
                    0 => None,
                    1 => Some(size % 40),
                    n => Some((widest + 2 + n % 12).min(32)),
                },
                slots,
                headroom,
                cidr,
            }
        })
        .collect();
    PlanInput {
        supernets,
        reserved,
        environments,
    }
}

/// What an allocation promises: every range (and the block kept for it) in
/// a supernet, clear of every reservation and of every other range, the
/// size asked for; the same answer again; and an environment appended
/// moves nothing.
pub fn check_plan(input: &PlanInput, plan: &Plan) {
    let blocks: Vec<(&str, Ipv4Net, Ipv4Net)> = plan
        .ranges()
        .map(|r| (r.key.as_str(), r.cidr, r.reserved_cidr))
        .collect();
    for (i, (key, cidr, kept)) in blocks.iter().enumerate() {
        assert!(kept.contains(cidr), "{key}: {cidr} outside its block {kept}");
        assert!(
            input.supernets.iter().any(|s| s.contains(kept)),
            "{key}: {kept} in no supernet of {:?}",
            input.supernets
        );
        for r in &input.reserved {
            assert!(!overlaps(kept, r), "{key}: {kept} overlaps the reserved {r}");
        }
        for (other, _, theirs) in &blocks[i + 1..] {
            assert!(!overlaps(kept, theirs), "{key} ({kept}) overlaps {other} ({theirs})");
        }
    }
    for (env, got) in input.environments.iter().zip(&plan.environments) {
        if let (Some(size), None) = (env.size, env.cidr) {
            for r in &got.ranges {
                assert_eq!(r.cidr.prefix_len(), size, "{}: asked for a /{size}", r.key);
            }
        }
    }
    let again = allocate(input).expect("the same plan allocates again");
    assert_eq!(&again, plan, "the same plan gives the same ranges");
    let mut more = input.clone();
    more.environments.push(EnvInput {
        name: "appended".into(),
        size: Some(28),
        ..EnvInput::default()
    });
    if let Ok(grown) = allocate(&more) {
        assert_eq!(
            &grown.environments[..plan.environments.len()],
            &plan.environments[..],
            "appending moved a range"
        );
    }
}

/// The `address_plan` target: any plan allocates or is refused with a
/// reason; what allocates keeps the promises of [`check_plan`].
pub fn address_plan(data: &[u8]) {
    let input = plan_input(data);
    match allocate(&input) {
        Ok(plan) => check_plan(&input, &plan),
        Err(e) => assert!(!e.message.is_empty(), "a refusal says why"),
    }
}

/// The `blob_state` target: whatever decodes as a stack state encodes and
/// decodes to the same state; anything else is an error, never a panic.
pub fn blob_state(data: &[u8]) {
    if let Ok(st) = format::decode("fuzz.hkstate", data) {
        let again = format::decode("fuzz.hkstate", &format::encode(&st)).expect("an encoded state decodes");
        assert_eq!(again, st, "a state survives the round trip");
    }
}
