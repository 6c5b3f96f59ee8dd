//! Address plans: 10,000 allocations from a /8, uniform (/22 each) and
//! mixed (sizes /23 to /27, every third environment a blue/green pair,
//! some with headroom, around reserved ranges), through the allocator both
//! front ends call. Reports the median of several runs. Target: 10,000
//! allocations in under 50 ms.
//!
//! Run: `cargo bench --bench address_plan`

use hybridk8s::graph::address_plan::{allocate, EnvInput, PlanInput};
use ipnet::Ipv4Net;
use std::time::Instant;

fn n(s: &str) -> Ipv4Net {
    s.parse().expect("a CIDR")
}

fn uniform(count: usize) -> PlanInput {
    PlanInput {
        supernets: vec![n("10.0.0.0/8")],
        reserved: vec![],
        environments: (0..count)
            .map(|i| EnvInput {
                name: format!("e{i}"),
                size: Some(22),
                ..EnvInput::default()
            })
            .collect(),
    }
}

fn mixed(count: usize) -> PlanInput {
    let mut environments = Vec::with_capacity(count);
    let mut allocations = 0;
    let mut i = 0usize;
    while allocations < count {
        let slots: Vec<String> = if i % 3 == 0 {
            vec!["blue".into(), "green".into()]
        } else {
            vec![]
        };
        allocations += slots.len().max(1);
        environments.push(EnvInput {
            name: format!("e{i}"),
            size: Some(23 + (i * 7 % 5) as u8),
            headroom: (i % 4 == 1) as u8,
            slots,
            cidr: None,
        });
        i += 1;
    }
    PlanInput {
        supernets: vec![n("10.0.0.0/8")],
        reserved: vec![
            n("10.0.0.0/12"),
            n("10.20.0.0/22"),
            n("10.77.0.0/16"),
            n("10.200.3.0/24"),
        ],
        environments,
    }
}

fn median(input: &PlanInput, runs: usize) -> (f64, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut ranges = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let plan = allocate(input).expect("the plan fits");
        times.push(t.elapsed().as_secs_f64());
        ranges = plan.ranges().count();
    }
    times.sort_by(f64::total_cmp);
    (times[runs / 2], ranges)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test` lists benches; nothing to list
    }
    for (what, input) in [("uniform /22", uniform(10_000)), ("mixed", mixed(10_000))] {
        let (t, ranges) = median(&input, 11);
        println!(
            "{what:<12} {ranges:>6} allocations from a /8 ({} environments): {:>8.3} ms median",
            input.environments.len(),
            t * 1e3
        );
    }
}
