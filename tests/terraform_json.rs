//! `hybridk8s compile --to terraform-json`: the same program applied by
//! `hybridk8s apply` (fabric A) and, compiled to `*.tf.json`, by Terraform
//! 1.0.3 and the newest Terraform through the provider (fabric B) ends in
//! the same fabric, and a second plan is empty — for the seed topology, the
//! module example and a program reading module outputs. The generated JSON
//! of a small program is snapshotted and passes `terraform validate`.

#[path = "support/dumps.rs"]
mod dumps;
#[path = "terraform/harness.rs"]
mod harness;

use dumps::{cli, first_difference, CLI};
use harness::{Terraform, Workspace};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Compiles `program` into `dir`; the files written, relative to it.
fn compile(program: &Path, dir: &Path) -> Vec<PathBuf> {
    cli(&[
        "compile",
        &program.display().to_string(),
        "--to",
        "terraform-json",
        "-o",
        &dir.display().to_string(),
    ]);
    let mut files: Vec<PathBuf> = walk(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| p.strip_prefix(dir).unwrap().to_path_buf())
        .collect();
    files.sort();
    files
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            if !p.ends_with(".terraform") && !p.ends_with(".hybridk8s") {
                out.extend(walk(&p));
            }
        } else {
            out.push(p);
        }
    }
    out
}

/// A workspace holding the compiled program instead of the example HCL.
fn compiled_workspace(terraform: Terraform, program: &Path) -> Workspace {
    let ws = Workspace::new(terraform);
    std::fs::remove_file(ws.dir.join("main.tf")).unwrap();
    let files = compile(program, &ws.dir);
    assert!(files.contains(&PathBuf::from("main.tf.json")), "{files:?}");
    // Modules are installed (linked) by `terraform get`; the provider comes
    // from dev_overrides.
    ws.expect(&["get"], 0);
    ws
}

/// `hybridk8s apply` of `program` and Terraform's apply of its compiled
/// JSON build the same fabric; Terraform's second plan is empty.
fn parity(program: &str, terraform: Terraform, vnets: usize) {
    let program = root().join(program);
    let tmp = tempfile::tempdir().unwrap();
    let dsl_state = tmp.path().join("dsl.db");
    cli(&[
        "apply",
        &program.display().to_string(),
        "--auto-approve",
        "--state",
        &dsl_state.display().to_string(),
    ]);
    let text = cli(&["fabric", "dump", "--json", "--state", &dsl_state.display().to_string()]);
    let from_dsl: serde_json::Value = serde_json::from_str(&text).unwrap();

    let ws = compiled_workspace(terraform, &program);
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    let from_terraform = ws.fabric_dump();
    let (plan, _) = ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);
    assert!(plan.contains("No changes"), "{plan}");

    assert_eq!(from_dsl["vnets"].as_array().map(Vec::len), Some(vnets), "{from_dsl:#}");
    if let Some(d) = first_difference(&from_dsl, &from_terraform, "dump".into()) {
        panic!(
            "`hybridk8s apply` and Terraform with the compiled JSON built different fabrics ({}); first difference at {d}\n--- DSL\n{from_dsl:#}\n--- Terraform\n{from_terraform:#}",
            ws.terraform.label()
        );
    }
}

#[test]
fn seed_topology_newest() {
    parity("examples/hybrid.hk", harness::newest(), 2);
}

#[test]
fn seed_topology_1_0_3() {
    parity("examples/hybrid.hk", harness::v1_0_3(), 2);
}

#[test]
fn module_environments_newest() {
    parity("examples/environments.hk", harness::newest(), 3);
}

#[test]
fn module_environments_1_0_3() {
    parity("examples/environments.hk", harness::v1_0_3(), 3);
}

#[test]
fn module_outputs_newest() {
    parity("tests/fixtures/dsl/outputs/main.hk", harness::newest(), 3);
}

#[test]
fn module_outputs_1_0_3() {
    parity("tests/fixtures/dsl/outputs/main.hk", harness::v1_0_3(), 3);
}

#[test]
fn address_plan_newest() {
    parity("examples/address-plan.hk", harness::newest(), 5);
}

#[test]
fn address_plan_1_0_3() {
    parity("examples/address-plan.hk", harness::v1_0_3(), 5);
}

#[test]
fn blue_green_newest() {
    parity("examples/blue-green.hk", harness::newest(), 3);
}

#[test]
fn blue_green_1_0_3() {
    parity("examples/blue-green.hk", harness::v1_0_3(), 3);
}

/// The generated files of the small program, one after the other.
fn small_program(dir: &Path) -> String {
    let files = compile(&root().join("tests/fixtures/dsl/terraform/main.hk"), dir);
    files
        .iter()
        .map(|f| format!("# {}\n{}", f.display(), std::fs::read_to_string(dir.join(f)).unwrap()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn small_program_json_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    insta::assert_snapshot!("small_program", small_program(tmp.path()));
    // The same output twice: deterministic.
    let again = tempfile::tempdir().unwrap();
    assert_eq!(small_program(tmp.path()), small_program(again.path()));
}

fn validates(terraform: Terraform) {
    let ws = compiled_workspace(terraform, &root().join("tests/fixtures/dsl/terraform/main.hk"));
    let (out, _) = ws.expect(&["validate"], 0);
    assert!(out.contains("The configuration is valid"), "{out}");
}

#[test]
fn small_program_validates_newest() {
    validates(harness::newest());
}

#[test]
fn small_program_validates_1_0_3() {
    validates(harness::v1_0_3());
}

#[test]
fn terraform_json_needs_an_output_directory() {
    let out = Command::new(CLI)
        .args(["compile", "examples/hybrid.hk", "--to", "terraform-json"])
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pass `-o DIR`"), "{err}");
}
