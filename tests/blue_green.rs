//! Blue/green on the embedded fabric: `examples/blue-green.hk` stepped
//! through the switch-over (blue live → blue and green live → green live),
//! each step the example with the slots that are live. Every apply is
//! followed by an empty plan; adding green only creates, removing blue only
//! destroys; the hub's VNET and the surviving slot's VNET are what they
//! were; each live slot has one peering that uses the hub's gateway, both
//! sides `Connected`; the slots' ranges are the address plan's.

#[path = "support/slots.rs"]
mod slots;

use serde_json::Value;
use slots::{cluster_vnets, connected, vnet, vnet_itself, BLUE, GREEN};
use std::path::Path;
use std::process::{Command, Output, Stdio};

const PROGRAM: &str = "blue-green.hk";

fn example(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The example without the module block of `slot` (and the comment line
/// just above it): the program of a step in which `slot` is not live.
fn without(program: &str, slot: &str) -> String {
    let head = format!("module \"./slot.hk\" as {slot} {{");
    let lines: Vec<&str> = program.lines().collect();
    let start = lines
        .iter()
        .position(|l| *l == head)
        .unwrap_or_else(|| panic!("no `{head}`"));
    let end = start + lines[start..].iter().position(|l| *l == "}").expect("the block's end");
    let from = if lines[start - 1].starts_with('#') {
        start - 1
    } else {
        start
    };
    let mut kept: Vec<&str> = lines[..from].to_vec();
    kept.extend(&lines[end + 1..]);
    let out = kept.join("\n") + "\n";
    assert!(!out.contains(&head));
    out
}

struct Work {
    dir: tempfile::TempDir,
}

impl Work {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("slot.hk"), example("slot.hk")).unwrap();
        Work { dir }
    }

    fn write(&self, program: &str) {
        std::fs::write(self.dir.path().join(PROGRAM), program).unwrap();
    }

    fn hk(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_hybridk8s"))
            .args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env_remove("HYBRIDK8S_STATE")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.hk(args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}:\n{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }

    fn plan(&self) -> Value {
        serde_json::from_str(&self.ok(&["plan", PROGRAM, "--json"])).unwrap()
    }

    fn apply(&self) -> String {
        let out = self.ok(&["apply", PROGRAM, "--auto-approve"]);
        let clean = self.hk(&["plan", PROGRAM, "--detailed-exitcode"]);
        assert_eq!(
            clean.status.code(),
            Some(0),
            "the re-plan after the apply is not empty:\n{}{}",
            String::from_utf8_lossy(&clean.stdout),
            String::from_utf8_lossy(&clean.stderr)
        );
        out
    }

    fn dump(&self) -> Value {
        serde_json::from_str(&self.ok(&["fabric", "dump", "--json"])).unwrap()
    }
}

/// Address → action of every resource the plan changes.
fn changes(plan: &Value) -> Vec<(String, String)> {
    plan["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["address"].as_str().unwrap().to_string(),
                r["action"].as_str().unwrap().to_string(),
            )
        })
        .filter(|(_, a)| a != "no-op" && a != "none")
        .collect()
}

/// Every peering side is Connected; each cluster VNET has exactly one side,
/// and it uses the hub's gateway; the hub has one side per live slot.
fn peerings_of(dump: &Value, live: usize) {
    let sides = connected(dump, live);
    let transit = sides.iter().filter(|s| s["allow_gateway_transit"] == true).count();
    assert_eq!(transit, live, "the hub side of each peering offers transit: {dump:#}");
}

#[test]
fn the_example_is_step_two_and_both_other_steps_check() {
    let full = example(PROGRAM);
    let w = Work::new();
    for program in [without(&full, "green"), full.clone(), without(&full, "blue")] {
        w.write(&program);
        w.ok(&["check", PROGRAM]);
    }
    assert!(without(&full, "green").contains("as blue {"));
    assert!(!without(&full, "blue").contains("as blue {"));
}

#[test]
fn green_added_both_live_blue_removed() {
    let full = example(PROGRAM);
    let w = Work::new();

    // Step 1: blue live.
    w.write(&without(&full, "green"));
    let out = w.apply();
    assert!(out.contains("0 changed, 0 destroyed."), "{out}");
    let one = w.dump();
    assert_eq!(
        cluster_vnets(&one),
        [("k8s-prod-blue-vnet".to_string(), BLUE.to_string())]
    );
    peerings_of(&one, 1);

    // Step 2: green added. The plan only creates, and only green's objects.
    w.write(&full);
    let plan = w.plan();
    let step2 = changes(&plan);
    assert!(!step2.is_empty());
    for (address, action) in &step2 {
        assert_eq!(action, "create", "{address} in step 2: {plan:#}");
        assert!(
            address.starts_with("module.green."),
            "step 2 touches {address}: {plan:#}"
        );
    }
    for kind in [
        "cluster_network.aks",
        "peering.hub",
        "dns_upstream.onprem",
        "external_service.database",
        "lb_service.ingress",
    ] {
        assert!(
            step2.iter().any(|(a, _)| *a == format!("module.green.{kind}")),
            "no module.green.{kind}: {step2:?}"
        );
    }
    w.apply();
    let two = w.dump();
    assert_eq!(
        cluster_vnets(&two),
        [
            ("k8s-prod-blue-vnet".to_string(), BLUE.to_string()),
            ("k8s-prod-green-vnet".to_string(), GREEN.to_string()),
        ]
    );
    peerings_of(&two, 2);
    assert_eq!(vnet_itself(&one, "hub"), vnet_itself(&two, "hub"), "the hub changed");
    assert_eq!(
        vnet(&one, "k8s-prod-blue-vnet"),
        vnet(&two, "k8s-prod-blue-vnet"),
        "blue changed"
    );

    // Step 3: blue removed. The plan only destroys, and only blue's objects.
    w.write(&without(&full, "blue"));
    let plan = w.plan();
    let step3 = changes(&plan);
    assert_eq!(step3.len(), step2.len(), "{step3:?} vs {step2:?}");
    for (address, action) in &step3 {
        assert_eq!(action, "delete", "{address} in step 3: {plan:#}");
        assert!(
            address.starts_with("module.blue."),
            "step 3 touches {address}: {plan:#}"
        );
    }
    let out = w.apply();
    assert!(out.contains("0 added, 0 changed"), "{out}");
    let three = w.dump();
    assert_eq!(
        cluster_vnets(&three),
        [("k8s-prod-green-vnet".to_string(), GREEN.to_string())]
    );
    peerings_of(&three, 1);
    assert_eq!(vnet_itself(&two, "hub"), vnet_itself(&three, "hub"), "the hub changed");
    assert_eq!(
        vnet(&two, "k8s-prod-green-vnet"),
        vnet(&three, "k8s-prod-green-vnet"),
        "green changed"
    );

    // The next upgrade goes back to blue, in the range blue had.
    w.write(&full);
    let back = changes(&w.plan());
    assert!(
        back.iter()
            .all(|(a, act)| a.starts_with("module.blue.") && act == "create"),
        "{back:?}"
    );
    w.apply();
    assert_eq!(vnet(&w.dump(), "k8s-prod-blue-vnet").unwrap()["address_space"][0], BLUE);
}

#[test]
fn a_second_gateway_peering_in_a_slot_is_refused_at_plan_time() {
    let w = Work::new();
    let slot = example("slot.hk");
    let twice = slot.replace(
        "dns_upstream onprem {",
        "peering again {\n  cluster             = aks\n  hub_id              = hub_id\n  use_remote_gateways = true\n}\n\ndns_upstream onprem {",
    );
    assert_ne!(twice, slot);
    std::fs::write(w.dir.path().join("slot.hk"), twice).unwrap();
    w.write(&example(PROGRAM));
    let out = w.hk(&["plan", PROGRAM]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("second-remote-gateway") || err.contains("duplicate-peering"),
        "{err}"
    );
    assert!(!w.dir.path().join(".hybridk8s/fabric.db").exists() || w.dump()["vnets"].as_array().unwrap().is_empty());
}
