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
    // The same through the DSL: an `address_plan` block of 10,000
    // environments parsed, evaluated and allocated, and 100 clusters reading
    // their ranges, by `hybridk8s::dsl::load_from` in memory.
    let mut program = String::from("address_plan ranges {\n  supernets = [10.0.0.0/8]\n  environments = {\n");
    for i in 0..10_000 {
        program.push_str(&format!("    e{i} = {{ size = 22 }}\n"));
    }
    program.push_str("  }\n}\n");
    for i in (0..10_000).step_by(100) {
        program.push_str(&format!(
            "cluster_network c{i} {{\n  resource_group_name = \"rg\"\n  location = \"westeurope\"\n  address_space = [ranges.e{i}]\n  max_nodes = 10\n}}\n"
        ));
    }
    let files = hybridk8s::dsl::Files::memory([("main.hk", program.as_str())]);
    let opts = hybridk8s::dsl::Options::default();
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let p = hybridk8s::dsl::load_from(std::path::Path::new("main.hk"), &opts, &files)
            .unwrap_or_else(|e| panic!("{}", e.render_plain()));
        times.push(t.elapsed().as_secs_f64());
        assert_eq!(p.graph.len(), 100);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "DSL          10000 allocations from a /8 ({} bytes, 100 clusters reading them): {:>8.3} ms median",
        program.len(),
        times[2] * 1e3
    );
}
