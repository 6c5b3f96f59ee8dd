//! The subnet-security rows of the rule catalogue (HK6xx): `hybridk8s check`
//! reports each row's code on its bad program and not on its good one (which
//! checks clean of errors).

use hybridk8s::graph::catalogue::{self, Family};
use std::process::Command;

fn codes_of(dir: &std::path::Path, name: &str, program: &str) -> (bool, Vec<String>) {
    let path = dir.join(format!("{name}.hk"));
    std::fs::write(&path, program).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hybridk8s"))
        .args(["check", path.to_str().unwrap(), "--json"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{name}: {e}\n{}", String::from_utf8_lossy(&out.stderr)));
    let codes = j["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_string())
        .collect();
    (j["valid"] == true, codes)
}

#[test]
fn every_security_rule_has_a_bad_and_a_good_program_that_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<_> = catalogue::all().filter(|r| r.family == Family::Security).collect();
    assert!(rows.len() >= 14, "{} rows", rows.len());
    for r in rows {
        assert!(r.id.starts_with("HK6"), "{}", r.id);
        let (_, bad) = codes_of(dir.path(), &format!("{}_bad", r.id), r.bad);
        assert!(bad.iter().any(|c| c == r.code), "{} bad: {bad:?}\n{}", r.id, r.bad);
        let (valid, good) = codes_of(dir.path(), &format!("{}_good", r.id), r.good);
        assert!(valid, "{} good is not valid: {good:?}\n{}", r.id, r.good);
        assert!(!good.iter().any(|c| c == r.code), "{} good: {good:?}\n{}", r.id, r.good);
        assert_eq!(catalogue::id_of(r.code), r.id);
    }
}
