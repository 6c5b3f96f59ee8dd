//! `address_plan` blocks: one plan gives every environment and slot its
//! range, the same on every load, stable when environments are appended,
//! and every allocated range goes through the rules like a written one.

use hybridk8s::dsl::{self, Files, Options, Program};
use hybridk8s::graph::{self, Kind};
use ipnet::Ipv4Net;
use std::path::Path;

const ENV: &str = r#"
param env: string
param cluster_cidr: cidr
param avoid: list(cidr) = []

cluster_network aks {
  name                = "k8s-${env}-vnet"
  resource_group_name = "k8s-${env}-rg"
  location            = "westeurope"
  address_space       = [cluster_cidr]
  max_nodes           = 20
  service_cidr        = 172.16.0.0/16
  avoid               = avoid
}
"#;

const HEAD: &str = r#"
onprem corp {
  address_space = [10.0.0.0/12, 192.168.0.0/16]
}

hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}
"#;

fn program(plan: &str, uses: &[(&str, &str)]) -> String {
    let mut s = format!("{HEAD}\n{plan}\n");
    for (name, key) in uses {
        s.push_str(&format!(
            "module \"./env.hk\" as {name} {{\n  env = \"{}\"\n  cluster_cidr = {key}\n  avoid = corp.address_space\n}}\n",
            name.replace('_', "-")
        ));
    }
    s
}

fn load(main: &str) -> Result<Program, String> {
    let files = Files::memory([("main.hk", main), ("env.hk", ENV)]);
    dsl::load_from(Path::new("main.hk"), &Options::default(), &files).map_err(|e| e.render_plain())
}

/// Cluster network address → its address space.
fn clusters(p: &Program) -> Vec<(String, String)> {
    p.graph
        .sorted()
        .into_iter()
        .filter(|r| r.address.kind == Kind::ClusterNetwork)
        .map(|r| (r.address.to_string(), r.get("address_space").to_json().to_string()))
        .collect()
}

const PLAN: &str = r#"
address_plan ranges {
  supernets = [10.0.0.0/8]
  reserved  = [corp, hub, 10.30.0.0/16]
  environments = {
    dev  = { size = 16 }
    qa   = { size = 16 }
    prod = { size = 16, slots = ["blue", "green"], headroom = 1 }
  }
}
"#;

const USES: [(&str, &str); 4] = [
    ("dev", "ranges.dev"),
    ("qa", "ranges.qa"),
    ("prod_blue", "ranges.prod.blue"),
    ("prod_green", "ranges.prod.green"),
];

#[test]
fn dev_qa_prod_and_a_green_slot_with_no_range_by_hand() {
    let p = load(&program(PLAN, &USES)).unwrap();
    let diags = graph::check(&p.graph);
    assert!(!diags.has_errors(), "{}", p.render_plain(&diags));
    let got = clusters(&p);
    insta::assert_snapshot!(got.iter().map(|(a, s)| format!("{a} = {s}")).collect::<Vec<_>>().join("\n"), @r#"
    module.dev.cluster_network.aks = ["10.21.0.0/16"]
    module.prod_blue.cluster_network.aks = ["10.16.0.0/16"]
    module.prod_green.cluster_network.aks = ["10.18.0.0/16"]
    module.qa.cluster_network.aks = ["10.31.0.0/16"]
    "#);
    // None overlaps another, on-premises, the hub or the reserved range.
    let mut nets: Vec<Ipv4Net> = got
        .iter()
        .map(|(_, s)| serde_json::from_str::<Vec<String>>(s).unwrap()[0].parse().unwrap())
        .collect();
    nets.extend(
        ["10.0.0.0/12", "192.168.0.0/16", "10.20.0.0/22", "10.30.0.0/16"].map(|s| s.parse::<Ipv4Net>().unwrap()),
    );
    nets.sort();
    for w in nets.windows(2) {
        assert!(!w[0].contains(&w[1].network()), "{} overlaps {}", w[0], w[1]);
    }
}

#[test]
fn the_example_checks() {
    let p = dsl::load(Path::new("examples/address-plan.hk"), &Options::default())
        .unwrap_or_else(|e| panic!("{}", e.render_plain()));
    let diags = graph::check(&p.graph);
    assert!(!diags.has_errors(), "{}", p.render_plain(&diags));
    assert_eq!(clusters(&p).len(), 4);
}

#[test]
fn a_thousand_loads_give_the_same_ranges() {
    let main = program(PLAN, &USES);
    let first = clusters(&load(&main).unwrap());
    for _ in 0..1000 {
        assert_eq!(clusters(&load(&main).unwrap()), first);
    }
}

#[test]
fn appending_an_environment_or_the_green_slot_moves_nothing() {
    let before = PLAN.replace(r#"slots = ["blue", "green"]"#, r#"slots = ["blue"]"#);
    let old = clusters(&load(&program(&before, &USES[..3])).unwrap());
    let after = PLAN
        .replace("    prod =", "    prod =")
        .replace("  }\n}\n", "    stage = { size = 17 }\n  }\n}\n");
    let mut uses = USES.to_vec();
    uses.push(("stage", "ranges.stage"));
    let new = clusters(&load(&program(&after, &uses)).unwrap());
    for kv in &old {
        assert!(new.contains(kv), "{kv:?} moved: {new:?}");
    }
    assert_eq!(new.len(), 5);
}

#[test]
fn allocated_ranges_meet_the_rules_of_written_ones() {
    // Without `reserved`, the plan may hand out on-premises space: the
    // cluster network's own overlap rule reports it.
    let unreserved = PLAN.replace("  reserved  = [corp, hub, 10.30.0.0/16]\n", "");
    let p = load(&program(&unreserved, &USES[..1])).unwrap();
    let diags = graph::check(&p.graph);
    let text = p.render_plain(&diags);
    assert!(diags.has_errors(), "{text}");
    assert!(text.contains("10.0.0.0/16") && text.contains("onprem.corp"), "{text}");
}

fn error_of(plan: &str, uses: &[(&str, &str)]) -> String {
    load(&program(plan, uses)).err().expect("a load error")
}

#[test]
fn exhaustion_names_the_largest_free_block() {
    let small = PLAN.replace("supernets = [10.0.0.0/8]", "supernets = [10.16.0.0/14]");
    insta::assert_snapshot!(error_of(&small, &USES));
}

#[test]
fn bad_plans_and_references_point_at_their_source() {
    let cases = [
        ("unknown_environment", error_of(PLAN, &[("dev", "ranges.deev")])),
        ("unknown_slot", error_of(PLAN, &[("dev", "ranges.prod.gren")])),
        ("no_slots", error_of(PLAN, &[("dev", "ranges.dev.blue")])),
        ("bare_plan", error_of(PLAN, &[("dev", "ranges")])),
        (
            "unknown_attribute",
            error_of(&PLAN.replace("reserved ", "reserve  "), &[]),
        ),
        (
            "unknown_env_attribute",
            error_of(&PLAN.replace("headroom = 1", "headrom = 1"), &[]),
        ),
        (
            "pinned_conflict",
            error_of(
                &PLAN.replace("qa   = { size = 16 }", "qa   = { cidr = 10.0.0.0/16 }"),
                &[],
            ),
        ),
        (
            "pinned_outside",
            error_of(
                &PLAN.replace("qa   = { size = 16 }", "qa   = { cidr = 11.0.0.0/16 }"),
                &[],
            ),
        ),
        (
            "bad_size",
            error_of(&PLAN.replace("dev  = { size = 16 }", "dev  = { size = 300 }"), &[]),
        ),
        (
            "duplicate_slot",
            error_of(&PLAN.replace(r#"["blue", "green"]"#, r#"["blue", "blue"]"#), &[]),
        ),
        (
            "overlapping_supernets",
            error_of(&PLAN.replace("[10.0.0.0/8]", "[10.0.0.0/8, 10.64.0.0/10]"), &[]),
        ),
        (
            "not_an_object",
            error_of(&PLAN.replace("environments = {", "environments = envs\n  x = {"), &[]),
        ),
    ];
    for (name, text) in cases {
        insta::assert_snapshot!(name, text);
    }
}
