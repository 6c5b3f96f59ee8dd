//! Parity of the two front doors: the seed topology written in the DSL
//! (`examples/hybrid.hk`, applied by `hybridk8s apply`) and in HCL
//! (`examples/terraform/main.tf`, applied by the newest Terraform through
//! the provider), each on a fresh fabric, end in the same fabric: the same
//! `hybridk8s fabric dump --json`.

#[path = "support/dumps.rs"]
mod dumps;
#[path = "terraform/harness.rs"]
mod harness;

use dumps::{cli, first_difference};
use harness::Workspace;
use std::path::Path;

fn dump(state: &Path) -> serde_json::Value {
    let text = cli(&["fabric", "dump", "--json", "--state", &state.display().to_string()]);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("fabric dump is not JSON ({e}):\n{text}"))
}

#[test]
fn dsl_and_terraform_build_the_same_fabric() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let dsl_state = tmp.path().join("dsl.db");
    cli(&[
        "apply",
        &root.join("examples/hybrid.hk").display().to_string(),
        "--auto-approve",
        "--state",
        &dsl_state.display().to_string(),
    ]);
    let from_dsl = dump(&dsl_state);

    let ws = Workspace::new(harness::newest());
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    let from_terraform = dump(&ws.fabric_path());

    assert_eq!(from_dsl["vnets"].as_array().map(Vec::len), Some(2), "{from_dsl:#}");
    assert!(
        from_dsl["kubernetes_objects"].as_array().map_or(0, Vec::len) >= 5,
        "{from_dsl:#}"
    );
    assert_eq!(from_dsl["peerings"].as_array().map(Vec::len), Some(2), "{from_dsl:#}");
    if let Some(d) = first_difference(&from_dsl, &from_terraform, "dump".into()) {
        panic!(
            "the DSL and Terraform built different fabrics; first difference at {d}\n--- DSL\n{from_dsl:#}\n--- Terraform\n{from_terraform:#}"
        );
    }
}
