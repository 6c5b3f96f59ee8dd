//! What the parity tests share: running `hybridk8s` for its output, and the
//! first difference between two fabric dumps.

use std::process::Command;

pub const CLI: &str = env!("CARGO_BIN_EXE_hybridk8s");

/// `hybridk8s ARGS`, which must succeed: its stdout.
pub fn cli(args: &[&str]) -> String {
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

/// The first place two JSON values differ, as a path and both sides.
pub fn first_difference(a: &serde_json::Value, b: &serde_json::Value, at: String) -> Option<String> {
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
