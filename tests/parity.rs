//! Parity of the two front doors: the seed topology written in the DSL
//! (`examples/hybrid.hk`, applied by `hybridk8s apply`) and in HCL
//! (`examples/terraform/main.tf`, applied by the newest Terraform through
//! the provider), each on a fresh fabric, end in the same fabric: the same
//! `hybridk8s fabric dump --json`.

#[path = "terraform/harness.rs"]
mod harness;

use harness::Workspace;
use std::path::Path;
use std::process::Command;

const CLI: &str = env!("CARGO_BIN_EXE_hybridk8s");

fn cli(args: &[&str]) -> String {
    let out = Command::new(CLI)
        .args(args)
        .env_remove("HYBRIDK8S_STATE")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "hybridk8s {args:?}\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn dump(state: &Path) -> serde_json::Value {
    let text = cli(&["fabric", "dump", "--json", "--state", &state.display().to_string()]);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("fabric dump is not JSON ({e}):\n{text}"))
}

/// The first place two JSON values differ, as a path and both sides.
fn first_difference(a: &serde_json::Value, b: &serde_json::Value, at: String) -> Option<String> {
    use serde_json::Value as J;
    match (a, b) {
        (J::Object(x), J::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| {
                first_difference(
                    x.get(k).unwrap_or(&J::Null),
                    y.get(k).unwrap_or(&J::Null),
                    format!("{at}.{k}"),
                )
            })
        }
        (J::Array(x), J::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, format!("{at}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!("{at}:\n  DSL:       {a}\n  Terraform: {b}")),
    }
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
