use super::*;

fn n(s: &str) -> Ipv4Net {
    s.parse().unwrap()
}

fn env(name: &str, size: u8) -> EnvInput {
    EnvInput {
        name: name.into(),
        size: Some(size),
        ..EnvInput::default()
    }
}

fn slotted(name: &str, size: u8, slots: &[&str]) -> EnvInput {
    EnvInput {
        slots: slots.iter().map(|s| s.to_string()).collect(),
        ..env(name, size)
    }
}

fn plan(envs: Vec<EnvInput>) -> PlanInput {
    PlanInput {
        supernets: vec![n("10.64.0.0/10")],
        reserved: vec![n("10.64.0.0/16")],
        environments: envs,
    }
}

fn keys(p: &Plan) -> Vec<(String, String)> {
    p.allocations().map(|(k, c)| (k, c.to_string())).collect()
}

#[test]
fn dev_qa_prod_with_a_green_slot() {
    let p = allocate(&plan(vec![
        env("dev", 16),
        env("qa", 16),
        slotted("prod", 16, &["blue", "green"]),
    ]))
    .unwrap();
    let got = keys(&p);
    let want = [
        ("dev", "10.65.0.0/16"),
        ("qa", "10.66.0.0/16"),
        ("prod", "10.68.0.0/15"),
        ("prod.blue", "10.68.0.0/16"),
        ("prod.green", "10.69.0.0/16"),
    ];
    assert_eq!(got, want.map(|(k, c)| (k.to_string(), c.to_string())));
}

/// A small deterministic generator: plans of every shape without a crate.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, m: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % m
    }
}

fn random_plan(seed: u64, envs: usize) -> PlanInput {
    let mut r = Lcg(seed);
    let mut environments = Vec::new();
    for i in 0..envs {
        let slots: &[&str] = match r.next(4) {
            0 => &["blue", "green"],
            1 => &["blue"],
            _ => &[],
        };
        environments.push(EnvInput {
            headroom: r.next(3) as u8,
            ..slotted(&format!("e{i}"), 18 + r.next(8) as u8, slots)
        });
    }
    PlanInput {
        supernets: vec![n("10.0.0.0/12"), n("172.16.0.0/14")],
        reserved: vec![n("10.1.0.0/16"), n("10.2.128.0/17"), n("172.17.0.0/24")],
        environments,
    }
}

#[test]
fn a_thousand_replans_give_the_same_ranges() {
    let input = random_plan(7, 40);
    let first = allocate(&input).unwrap();
    for _ in 0..1000 {
        assert_eq!(allocate(&input.clone()).unwrap(), first);
    }
}

#[test]
fn appending_environments_or_slots_moves_nothing() {
    for seed in 0..50 {
        let full = random_plan(seed, 30);
        let all = allocate(&full).unwrap();
        for k in 0..30 {
            let mut prefix = full.clone();
            prefix.environments.truncate(k);
            let part = allocate(&prefix).unwrap();
            assert_eq!(
                part.environments[..],
                all.environments[..k],
                "seed {seed}, {k} environments"
            );
        }
    }
    // A green slot added where only blue was declared.
    let before = allocate(&plan(vec![slotted("prod", 16, &["blue"]), env("dev", 16)])).unwrap();
    let after = allocate(&plan(vec![slotted("prod", 16, &["blue", "green"]), env("dev", 16)])).unwrap();
    let before: Vec<_> = keys(&before);
    let after: Vec<_> = keys(&after);
    for kv in &before {
        assert!(after.contains(kv), "{kv:?} moved: {after:?}");
    }
    assert!(
        after.contains(&("prod.green".into(), "10.67.0.0/16".into())),
        "{after:?}"
    );
}

#[test]
fn ranges_avoid_each_other_reservations_and_stay_in_supernets() {
    for seed in 0..50 {
        let input = random_plan(seed, 30);
        let p = allocate(&input).unwrap();
        let mut kept: Vec<Ipv4Net> = p.ranges().map(|r| r.reserved_cidr).collect();
        for r in p.ranges() {
            assert!(r.reserved_cidr.contains(&r.cidr), "{r:?}");
            assert!(input.supernets.iter().any(|s| s.contains(&r.reserved_cidr)), "{r:?}");
            assert!(!input.reserved.iter().any(|x| overlaps(x, &r.cidr)), "{r:?}");
        }
        kept.sort();
        for w in kept.windows(2) {
            assert!(!overlaps(&w[0], &w[1]), "seed {seed}: {} and {}", w[0], w[1]);
        }
    }
}

#[test]
fn headroom_keeps_the_buddy_free_to_grow_in_place() {
    let small = EnvInput {
        headroom: 1,
        ..env("dev", 22)
    };
    let p = allocate(&plan(vec![small, env("qa", 22)])).unwrap();
    assert_eq!(
        keys(&p),
        [
            ("dev".to_string(), "10.65.0.0/22".to_string()),
            ("qa".into(), "10.65.8.0/22".into())
        ]
    );
    // Growing dev by its headroom keeps its start and moves nothing.
    let grown = EnvInput {
        headroom: 0,
        ..env("dev", 21)
    };
    let q = allocate(&plan(vec![grown, env("qa", 22)])).unwrap();
    assert_eq!(
        keys(&q),
        [
            ("dev".to_string(), "10.65.0.0/21".to_string()),
            ("qa".into(), "10.65.8.0/22".into())
        ]
    );
}

#[test]
fn exhaustion_names_the_largest_free_block_and_what_fits() {
    let input = PlanInput {
        supernets: vec![n("10.64.0.0/14")],
        reserved: vec![n("10.64.0.0/16")],
        environments: vec![env("dev", 16), env("qa", 16), slotted("prod", 16, &["blue", "green"])],
    };
    let e = allocate(&input).unwrap_err();
    assert_eq!(e.code, CODE_EXHAUSTED);
    assert_eq!(e.part, Part::Environment(2));
    assert_eq!(e.message, "no room for environment `prod`: it needs a /15 block (2 /16 slots blue, green), and the largest free block of 10.64.0.0/14 is 10.67.0.0/16");
    assert_eq!(
        e.hint,
        "still free: 1 × /16; add or widen a supernet, lower the size or headroom, or remove an environment"
    );
}

#[test]
fn pins_hold_and_conflicts_are_named() {
    let pinned = EnvInput {
        cidr: Some(n("10.100.0.0/16")),
        size: None,
        ..env("legacy", 0)
    };
    let p = allocate(&plan(vec![env("dev", 16), pinned.clone(), env("qa", 16)])).unwrap();
    assert_eq!(keys(&p)[1], ("legacy".into(), "10.100.0.0/16".into()));
    // Removing dev moves qa but not the pinned one.
    let p = allocate(&plan(vec![pinned, env("qa", 16)])).unwrap();
    assert_eq!(
        keys(&p),
        [
            ("legacy".to_string(), "10.100.0.0/16".to_string()),
            ("qa".into(), "10.65.0.0/16".into())
        ]
    );
    let clash = EnvInput {
        cidr: Some(n("10.65.0.0/16")),
        size: None,
        ..env("late", 0)
    };
    let e = allocate(&plan(vec![env("dev", 16), clash])).unwrap_err();
    assert_eq!((e.code, e.part), (CODE_INVALID, Part::Cidr(1)));
    assert_eq!(
        e.message,
        "`late` pins 10.65.0.0/16, which overlaps `dev` (10.65.0.0/16)"
    );
    let reserved = EnvInput {
        cidr: Some(n("10.64.0.0/17")),
        size: None,
        ..env("r", 0)
    };
    let e = allocate(&plan(vec![reserved])).unwrap_err();
    assert_eq!(
        e.message,
        "`r` pins 10.64.0.0/17, which overlaps the reserved range 10.64.0.0/16"
    );
    let outside = EnvInput {
        cidr: Some(n("192.168.0.0/16")),
        size: None,
        ..env("o", 0)
    };
    assert_eq!(
        allocate(&plan(vec![outside])).unwrap_err().message,
        "`o` pins 192.168.0.0/16, which is not inside a supernet"
    );
}

#[test]
fn bad_plans_are_errors_at_their_part() {
    let cases: Vec<(PlanInput, Part, &str)> = vec![
        (
            PlanInput {
                supernets: vec![n("10.0.0.0/8"), n("10.64.0.0/10")],
                ..PlanInput::default()
            },
            Part::Supernet(1),
            "supernet 10.64.0.0/10 overlaps supernet 10.0.0.0/8",
        ),
        (
            PlanInput::default(),
            Part::Supernet(0),
            "an address plan needs at least one supernet",
        ),
        (
            plan(vec![env("dev", 16), env("dev", 16)]),
            Part::Name(1),
            "environment `dev` is declared twice",
        ),
        (
            plan(vec![env("a.b", 16)]),
            Part::Name(0),
            "`a.b` is not a valid environment name",
        ),
        (
            plan(vec![env("dev", 33)]),
            Part::Size(0),
            "size 33 is not a prefix length",
        ),
        (
            plan(vec![EnvInput {
                size: None,
                ..env("dev", 0)
            }]),
            Part::Size(0),
            "environment `dev` has no size",
        ),
        (
            plan(vec![slotted("p", 16, &["blue", "blue"])]),
            Part::Slot(0, 1),
            "slot `blue` of `p` is listed twice",
        ),
        (
            plan(vec![EnvInput {
                headroom: 17,
                ..env("dev", 24)
            }]),
            Part::Headroom(0),
            "headroom 17 is more than 16 bits",
        ),
        (
            plan(vec![EnvInput {
                headroom: 2,
                ..env("dev", 1)
            }]),
            Part::Headroom(0),
            "a /1 with 2 bits of headroom and 0 slots needs more than the whole address space",
        ),
    ];
    for (input, part, message) in cases {
        let e = allocate(&input).unwrap_err();
        assert_eq!((e.part, e.message.as_str()), (part, message));
    }
}

#[test]
fn ten_thousand_ranges_from_a_slash_8() {
    let input = PlanInput {
        supernets: vec![n("10.0.0.0/8")],
        reserved: vec![],
        environments: (0..10_000).map(|i| env(&format!("e{i}"), 22)).collect(),
    };
    let p = allocate(&input).unwrap();
    assert_eq!(p.environments[9_999].cidr, n("10.156.60.0/22"));
}
