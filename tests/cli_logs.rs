//! The CLI's logs: `--log-level` and `RUST_LOG` (the flag wins) write text
//! lines on stderr, one trace line per backend call; by default none, and
//! stdout never changes with the level.

use std::path::Path;
use std::process::Output;

fn apply(state: &Path, args: &[&str], rust_log: Option<&str>) -> Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_hybridk8s"));
    c.args(["apply", "examples/hybrid.hk", "--auto-approve", "--state"])
        .arg(state)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .env_remove("HYBRIDK8S_STATE")
        .env_remove("HYBRIDK8S_BACKEND");
    if let Some(spec) = rust_log {
        c.env("RUST_LOG", spec);
    }
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    out
}

/// Stdout with its lines sorted and their times cut: resources are applied
/// concurrently, so the progress lines come in any order.
fn progress_aside(stdout: &[u8]) -> Vec<String> {
    let mut lines: Vec<String> = String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| match l.rsplit_once(" (") {
            Some((head, t)) if t.ends_with("s)") => head.to_string(),
            _ => l.to_string(),
        })
        .collect();
    lines.sort();
    lines
}

/// The log lines of stderr (`TIMESTAMP LEVEL hybridk8s.…: …`), without
/// the timestamp.
fn log_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| {
            let (ts, rest) = l.split_once(' ')?;
            let rfc3339 = ts.len() == 27 && ts.ends_with('Z') && ts.as_bytes()[10] == b'T';
            (rfc3339 && rest.contains(" hybridk8s.")).then(|| rest.to_string())
        })
        .collect()
}

#[test]
fn log_level_trace_writes_backend_calls_and_leaves_stdout_alone() {
    let dir = tempfile::tempdir().unwrap();
    let quiet = apply(&dir.path().join("a.db"), &[], None);
    assert!(
        log_lines(&quiet).is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );

    let traced = apply(&dir.path().join("b.db"), &["--log-level", "trace"], None);
    assert_eq!(
        progress_aside(&traced.stdout),
        progress_aside(&quiet.stdout),
        "stdout does not change with logging"
    );
    let lines = log_lines(&traced);
    let hub = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/hub";
    let create = lines
        .iter()
        .find(|l| l.starts_with("TRACE hybridk8s.backend: create Virtual Network: ok ") && l.contains(hub))
        .unwrap_or_else(|| panic!("no create line of the hub in {lines:#?}"));
    assert!(
        create.contains(&format!("object_id={hub} ")) && create.contains(" duration_ms="),
        "{create}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("TRACE hybridk8s.backend: create Kubernetes Service: ok ")),
        "{lines:#?}"
    );
    assert!(lines
        .iter()
        .any(|l| l.starts_with("DEBUG hybridk8s.backend: opened the local backend")));
    // What is not a log line on stderr (warnings, the summary) is unchanged too.
    let rest = |o: &Output| -> String {
        String::from_utf8_lossy(&o.stderr)
            .lines()
            .filter(|l| !l.contains(" hybridk8s."))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(rest(&traced), rest(&quiet));
}

#[test]
fn rust_log_sets_the_level_and_the_flag_wins() {
    let dir = tempfile::tempdir().unwrap();
    let debug = log_lines(&apply(&dir.path().join("a.db"), &[], Some("debug")));
    assert!(
        debug
            .iter()
            .any(|l| l.starts_with("DEBUG hybridk8s.backend: opened the local backend")),
        "{debug:#?}"
    );
    assert!(debug.iter().all(|l| !l.starts_with("TRACE")), "{debug:#?}");

    let targeted = log_lines(&apply(
        &dir.path().join("b.db"),
        &[],
        Some("hyper=info,hybridk8s=trace"),
    ));
    assert!(
        targeted.iter().any(|l| l.starts_with("TRACE hybridk8s.backend: ")),
        "{targeted:#?}"
    );

    let flag_wins = apply(&dir.path().join("c.db"), &["--log-level", "warn"], Some("trace"));
    assert!(log_lines(&flag_wins).is_empty(), "{flag_wins:?}");

    let other_crate = log_lines(&apply(&dir.path().join("d.db"), &[], Some("hyper=trace")));
    assert!(other_crate.is_empty(), "{other_crate:#?}");
}
