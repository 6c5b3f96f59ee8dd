//! The `hybridk8s` binary end to end: exit codes, where output goes, and the
//! text users read (snapshots).

use std::path::Path;
use std::process::{Command, Output};

fn hk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hybridk8s"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("run hybridk8s")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn check_valid_example_exits_zero_with_warnings_on_stderr() {
    let out = hk(&["check", "examples/hybrid.hk"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    insta::assert_snapshot!(text(&out.stderr));
}

#[test]
fn check_invalid_program_exits_one_and_names_the_numbers() {
    let out = hk(&["check", "tests/fixtures/dsl/bad/subnet_too_small.hk"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("needs 1586 addresses (/21); 10.40.0.0/22 holds 1019"),
        "{err}"
    );
    insta::assert_snapshot!(err);
}

#[test]
fn check_syntax_error_exits_one() {
    let out = hk(&["check", "tests/fixtures/dsl/bad/syntax_error.hk"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("syntax_error.hk"));
}

#[test]
fn compile_formats() {
    let out = hk(&["compile", "examples/hybrid.hk", "--to", "graph-json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("graph JSON");
    let addrs: Vec<&str> = v["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["address"].as_str().unwrap())
        .collect();
    assert!(
        addrs.contains(&"cluster_network.aks") && addrs.contains(&"peering.aks_hub"),
        "{addrs:?}"
    );
    // Deterministic: the same bytes twice.
    assert_eq!(out.stdout, hk(&["compile", "examples/hybrid.hk"]).stdout);

    let k8s = hk(&["compile", "examples/hybrid.hk", "--to", "k8s"]);
    insta::assert_snapshot!("hybrid_k8s", text(&k8s.stdout));
    let dot = hk(&["compile", "examples/hybrid.hk", "--to", "dot"]);
    assert!(text(&dot.stdout).starts_with("digraph hybridk8s {"));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.json");
    let out = hk(&["compile", "examples/hybrid.hk", "-o", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read(&path).unwrap(),
        hk(&["compile", "examples/hybrid.hk"]).stdout
    );
}

#[test]
fn compile_refuses_an_invalid_program() {
    let out = hk(&["compile", "tests/fixtures/dsl/bad/no_remote_gateway.hk"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

#[test]
fn vars_reach_the_program() {
    let out = hk(&["compile", "examples/hybrid.hk", "--var", "env=prod"]);
    assert!(text(&out.stdout).contains("k8s-prod-vnet"));
    let out = hk(&["check", "examples/hybrid.hk", "--var", "nope=1"]);
    assert_eq!(out.status.code(), Some(1));
    let out = hk(&["check", "examples/hybrid.hk", "--var", "novalue"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("expected NAME=VALUE"));
}

#[test]
fn fmt_check_and_rewrite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.hk");
    std::fs::write(&path, "onprem corp {address_space=[10.0.0.0/8]\n}\n").unwrap();
    let p = path.to_str().unwrap();
    assert_eq!(hk(&["fmt", "--check", p]).status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "onprem corp {address_space=[10.0.0.0/8]\n}\n"
    );
    assert_eq!(hk(&["fmt", p]).status.code(), Some(0));
    assert_eq!(hk(&["fmt", "--check", p]).status.code(), Some(0));
    assert!(Path::new(p).exists());
    assert_eq!(hk(&["fmt", "--check", "examples/hybrid.hk"]).status.code(), Some(0));
}
