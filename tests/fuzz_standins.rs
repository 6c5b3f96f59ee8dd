//! The fuzz targets on a stable toolchain: every seed, then thousands of
//! deterministic pseudo-random inputs (a seeded xorshift, no clock), through
//! the same bodies `cargo fuzz` runs (`hybridk8s::fuzzing`). A panic here is
//! a bug; save the input as a seed when fixing it.

use hybridk8s::fuzzing::{
    address_plan, blob_state, dsl_check, fabric_ops, graph_of, kube_answer, provider_apply, rules_graph,
};
use std::collections::BTreeSet;
use std::path::Path;

/// Marsaglia's xorshift64: the same numbers on every run.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn files_in(dir: &str, ext: &[&str]) -> Vec<Vec<u8>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| ext.iter().any(|e| x == *e)))
        .collect();
    paths.sort();
    paths.iter().map(|p| std::fs::read(p).expect("read seed")).collect()
}

fn dsl_seeds() -> Vec<Vec<u8>> {
    let mut seeds = files_in("fuzz/seeds/dsl_parse", &["hk"]);
    for dir in ["tests/fixtures/dsl/good", "tests/fixtures/dsl/bad", "examples"] {
        seeds.extend(files_in(dir, &["hk"]));
    }
    seeds
}

/// Pieces the mutator splices in: syntax, the old crash inputs, modules.
const TOKENS: [&str; 24] = [
    "{",
    "}",
    "[",
    "]",
    "\"",
    "${",
    " = ",
    ",",
    "\n",
    "# 日本語\n",
    "\u{feff}",
    "é",
    "\0",
    "\0param env: string\nonprem o { address_space = [192.168.0.0/16] }\0",
    "module \"./env.hk\" as e { env = \"x\" }\n",
    "module \"./m.hk\" as m { }\n",
    "module \"../../etc/passwd\" as p { }\n",
    "max_nodes = 1000000000000000000\n",
    "service_cidr = 255.255.255.248/29\n",
    "address_space = [255.255.255.0/24]\n",
    "0.0.0.0/0",
    "99999999999999999999",
    "-9223372036854775808",
    "aks.id",
];

fn mutate(rng: &mut XorShift, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut data = seeds[rng.below(seeds.len())].clone();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(6) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 => {
                let end = (at + rng.below(16)).min(data.len());
                data.drain(at..end);
            }
            2 => {
                let other = &seeds[rng.below(seeds.len())];
                let from = rng.below(other.len() + 1);
                let to = (from + rng.below(200)).min(other.len());
                data.splice(at..at, other[from..to].iter().copied());
            }
            // Past column 65,535 now and then (long inputs are slow).
            3 if rng.below(8) == 0 => {
                data.splice(at..at, std::iter::repeat_n(b' ', 70_000));
            }
            _ => {
                let t = TOKENS[rng.below(TOKENS.len())];
                data.splice(at..at, t.bytes());
            }
        }
    }
    data
}

#[test]
fn dsl_check_survives_every_seed_and_mutations_of_them() {
    let seeds = dsl_seeds();
    assert!(seeds.len() >= 20, "{} seeds", seeds.len());
    for s in &seeds {
        dsl_check(s);
    }
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    for _ in 0..2_000 {
        dsl_check(&mutate(&mut rng, &seeds));
    }
}

#[test]
fn rules_graph_survives_every_seed_and_random_bytes() {
    let seeds = files_in("fuzz/seeds/rules_graph", &["bin"]);
    assert!(!seeds.is_empty());
    for s in &seeds {
        rules_graph(s);
    }
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for _ in 0..5_000 {
        let len = rng.below(700);
        let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        rules_graph(&data);
    }
    for _ in 0..1_000 {
        rules_graph(&mutate(&mut rng, &seeds));
    }
}

/// The seeds are worth fuzzing from: together they reach the cross-resource
/// rules, not only the per-kind checks.
#[test]
fn rules_graph_seeds_reach_the_cross_resource_rules() {
    let mut codes = BTreeSet::new();
    for s in files_in("fuzz/seeds/rules_graph", &["bin"]) {
        let g = graph_of(&s);
        codes.extend(hybridk8s::graph::check(&g).iter().map(|d| d.code));
    }
    for code in [
        "onprem-overlap",
        "peering-overlap",
        "no-remote-gateway",
        "endpoint-unreachable",
        "internal-lb-not-sized",
        "subnet-too-small",
        "invalid-dns-service-ip",
    ] {
        assert!(codes.contains(code), "no seed reaches {code}: {codes:?}");
    }
    assert!(codes.len() >= 40, "{} codes: {codes:?}", codes.len());
}

#[test]
fn the_virtual_root_is_all_a_fuzzed_program_can_read() {
    // A module path outside the root is refused, whatever exists on disk.
    let src = format!(
        "module \"{}\" as m {{ }}\n",
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/env.hk").display()
    );
    let files = hybridk8s::dsl::Files::memory([("/fuzz/main.hk", src.as_str())]);
    let e = hybridk8s::dsl::load_from(Path::new("/fuzz/main.hk"), &Default::default(), &files).unwrap_err();
    assert!(
        e.problems.iter().any(|p| p.code == "dsl::outside-root"),
        "{}",
        e.render_plain()
    );
    dsl_check(src.as_bytes());
}

#[test]
fn kube_answer_survives_every_seed_and_mutations_of_them() {
    let seeds = files_in("fuzz/seeds/kube_answer", &["bin"]);
    assert!(seeds.len() >= 5, "{} seeds", seeds.len());
    for s in &seeds {
        kube_answer(s);
    }
    let mut rng = XorShift(0xD1B5_4A32_D192_ED03);
    for _ in 0..5_000 {
        kube_answer(&mutate(&mut rng, &seeds));
    }
    for _ in 0..2_000 {
        let len = rng.below(300);
        let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        kube_answer(&data);
    }
}

/// Random bytes, and the seeds with random bytes spliced in, through a target.
fn random_and_seeded(dir: &str, runs: usize, target: fn(&[u8])) {
    let seeds = files_in(dir, &["bin"]);
    assert!(!seeds.is_empty(), "{dir} has seeds");
    for s in &seeds {
        target(s);
    }
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    for i in 0..runs {
        let data: Vec<u8> = if i % 2 == 0 {
            (0..rng.below(120)).map(|_| rng.next() as u8).collect()
        } else {
            let mut d = seeds[rng.below(seeds.len())].clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(d.len() + 1);
                d.insert(at, rng.next() as u8);
            }
            d
        };
        target(&data);
    }
}

#[test]
fn provider_apply_survives_every_seed_and_random_sequences() {
    random_and_seeded("fuzz/seeds/provider_apply", 600, provider_apply);
}

#[test]
fn fabric_ops_survives_every_seed_and_random_sequences() {
    random_and_seeded("fuzz/seeds/fabric_ops", 600, fabric_ops);
}

#[test]
fn address_plan_survives_every_seed_and_random_plans() {
    random_and_seeded("fuzz/seeds/address_plan", 5_000, address_plan);
}

#[test]
fn address_plan_seeds_allocate() {
    use hybridk8s::fuzzing::plan_input;
    use hybridk8s::graph::address_plan::allocate;
    let seed = std::fs::read("fuzz/seeds/address_plan/dev-qa-prod.bin").unwrap();
    let input = plan_input(&seed);
    assert_eq!(input.environments.len(), 4);
    let plan = allocate(&input).expect("the seed plan fits");
    assert_eq!(plan.ranges().count(), 5, "{plan:?}");
    let seed = std::fs::read("fuzz/seeds/address_plan/exhausted.bin").unwrap();
    assert!(allocate(&plan_input(&seed)).is_err(), "five /26 do not fit a /24");
    // Random plans reach the promises: a good share allocates some ranges.
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut allocated = 0;
    for _ in 0..1_000 {
        let data: Vec<u8> = (0..rng.below(120)).map(|_| rng.next() as u8).collect();
        allocated += allocate(&plan_input(&data)).is_ok_and(|p| p.ranges().count() > 0) as usize;
    }
    assert!(
        allocated >= 100,
        "only {allocated} of 1,000 random plans allocated a range"
    );
}

#[test]
fn blob_state_survives_every_seed_and_mutations_of_them() {
    random_and_seeded("fuzz/seeds/blob_state", 3_000, blob_state);
}
