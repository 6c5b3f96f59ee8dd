//! Blue/green through real Terraform (1.0.3 and the newest):
//! `examples/terraform/blue-green` over the environment module, stepped
//! with `live_slots` = ["blue"] → ["blue", "green"] → ["green"]. Each apply
//! is followed by an empty plan; step 2 only adds, step 3 only destroys;
//! the hub and the surviving slot are what they were; the slots' ranges are
//! the address plan's.

#[path = "terraform/harness.rs"]
mod harness;
#[path = "support/slots.rs"]
mod slots;

use harness::{Terraform, Workspace};
use serde_json::Value;
use slots::{cluster_vnets, connected, vnet_itself, BLUE, GREEN};
use std::path::Path;

fn read(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn live(slots: &str) -> String {
    format!("-var=live_slots={slots}")
}

/// What the plan does, one line per resource: `module.slot["green"].… will be created`.
fn actions(plan: &str) -> Vec<String> {
    plan.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("# ") && (l.contains(" will be ") || l.contains(" must be ")))
        .map(|l| l[2..].to_string())
        .collect()
}

fn step(ws: &Workspace, slots: &str) -> String {
    let var = live(slots);
    let (plan, _) = ws.expect(&["plan", "-detailed-exitcode", "-input=false", &var], 2);
    ws.expect(&["apply", "-auto-approve", "-input=false", &var], 0);
    ws.expect(&["plan", "-detailed-exitcode", "-input=false", &var], 0);
    plan
}

fn blue_green(terraform: Terraform) {
    let ws = Workspace::new(terraform);
    ws.write_main(&read("examples/terraform/blue-green/main.tf"));
    let module = ws.dir.parent().unwrap().join("modules/environment");
    std::fs::create_dir_all(&module).unwrap();
    std::fs::write(
        module.join("main.tf"),
        read("examples/terraform/modules/environment/main.tf"),
    )
    .unwrap();
    ws.expect(&["get"], 0);

    // Step 1: blue live.
    let plan = step(&ws, r#"["blue"]"#);
    assert!(plan.contains("0 to change, 0 to destroy"), "{plan}");
    let one = ws.fabric_dump();
    assert_eq!(
        cluster_vnets(&one),
        [("k8s-prod-blue-vnet".to_string(), BLUE.to_string())]
    );
    connected(&one, 1);
    let (slots, _) = ws.expect(&["output", "-json", "slots"], 0);
    let slots: Value = serde_json::from_str(&slots).unwrap();
    assert_eq!(slots, serde_json::json!({ "blue": BLUE, "green": GREEN }));

    // Step 2: green added; only adds, nothing of blue or the hub changes.
    let plan = step(&ws, r#"["blue","green"]"#);
    assert!(plan.contains("to add, 0 to change, 0 to destroy"), "{plan}");
    let did = actions(&plan);
    assert!(did.len() >= 5, "{plan}");
    for a in &did {
        assert!(
            a.starts_with("module.slot[\"green\"].") && a.ends_with(" will be created"),
            "step 2: {a}\n{plan}"
        );
    }
    let two = ws.fabric_dump();
    assert_eq!(cluster_vnets(&two).len(), 2);
    connected(&two, 2);
    assert_eq!(vnet_itself(&one, "hub"), vnet_itself(&two, "hub"));
    assert_eq!(
        vnet_itself(&one, "k8s-prod-blue-vnet"),
        vnet_itself(&two, "k8s-prod-blue-vnet")
    );

    // Step 3: blue removed; only destroys, nothing of green or the hub changes.
    let plan = step(&ws, r#"["green"]"#);
    assert!(plan.contains("0 to add, 0 to change,"), "{plan}");
    let undone = actions(&plan);
    assert_eq!(undone.len(), did.len(), "{plan}");
    for a in &undone {
        assert!(
            a.starts_with("module.slot[\"blue\"].") && a.ends_with(" will be destroyed"),
            "step 3: {a}\n{plan}"
        );
    }
    let three = ws.fabric_dump();
    assert_eq!(
        cluster_vnets(&three),
        [("k8s-prod-green-vnet".to_string(), GREEN.to_string())]
    );
    connected(&three, 1);
    assert_eq!(vnet_itself(&two, "hub"), vnet_itself(&three, "hub"));
    assert_eq!(
        vnet_itself(&two, "k8s-prod-green-vnet"),
        vnet_itself(&three, "k8s-prod-green-vnet")
    );

    // A slot that is not in the plan is refused before anything is planned.
    let (_, err) = ws.expect(&["plan", "-input=false", &live(r#"["purple"]"#)], 1);
    assert!(err.contains("live_slots must name blue, green or both"), "{err}");

    ws.expect(&["destroy", "-auto-approve", "-input=false", &live(r#"["green"]"#)], 0);
    assert!(cluster_vnets(&ws.fabric_dump()).is_empty());
}

#[test]
fn blue_green_terraform_newest() {
    blue_green(harness::newest());
}

#[test]
fn blue_green_terraform_1_0_3() {
    blue_green(harness::v1_0_3());
}
