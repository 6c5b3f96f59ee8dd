//! Declared flows through the command line: `check` reports a flow whose
//! verdict differs from its `expect` at the flow (blocker in the message,
//! path in the hint), `check --json` carries every flow's verdict and path,
//! `flows` prints the table; flows are never resources.

use std::process::Command;

const DIR: &str = "tests/fixtures/flows";

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hybridk8s"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn file(name: &str) -> String {
    format!("{DIR}/{name}.hk")
}

fn json(name: &str) -> (i32, serde_json::Value) {
    let (code, out, err) = run(&["check", &file(name), "--json"]);
    let doc = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, doc)
}

#[test]
fn flows_as_expected_check_clean() {
    let (code, out, err) = run(&["check", &file("reachable")]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty());
    // Flows are declarations: the resource count is the topology's.
    let (_, _, topo) = run(&["check", &file("topology")]);
    let count = |s: &str| {
        s.split(": ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .map(str::to_string)
    };
    assert_eq!(count(&err), count(&topo), "{err} / {topo}");
    insta::assert_snapshot!("reachable_check", err);
}

#[test]
fn mismatched_flows_are_errors_at_the_flow() {
    let (code, out, err) = run(&["check", &file("blocked")]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    for kind in [
        "[peering-not-transitive]",
        "[pod-snat]",
        "[missing-route]",
        "[port-not-exposed]",
        "flow-reachable",
        "invalid-flow",
    ] {
        assert!(err.contains(kind), "{kind} missing:\n{err}");
    }
    assert!(err.contains("Error: 6 problems"), "{err}");
    insta::assert_snapshot!("blocked_check", err);
}

#[test]
fn check_json_carries_each_flow() {
    let (code, doc) = json("blocked");
    assert_eq!(code, 1);
    assert_eq!(doc["valid"], false);
    let flows = doc["flows"].as_array().expect("a flows array");
    assert_eq!(flows.len(), 6);
    let spoke = &flows[0];
    assert_eq!(spoke["name"], "spoke-to-spoke");
    assert_eq!(spoke["verdict"], "blocked");
    assert_eq!(spoke["as_expected"], false);
    assert_eq!(spoke["blocker"]["kind"], "peering-not-transitive");
    let d = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["message"].as_str().unwrap().contains("\"spoke-to-spoke\""))
        .expect("a diagnostic for the flow");
    assert_eq!(d["code"], "flow-blocked");
    assert!(
        d["help"]
            .as_str()
            .unwrap()
            .starts_with("path: nodes of cluster_network.aks"),
        "{d}"
    );
    // At the flow's name.
    let text = std::fs::read_to_string(file("blocked")).unwrap();
    let off = d["span"]["offset"].as_u64().unwrap() as usize;
    assert!(text[off..].starts_with("\"spoke-to-spoke\""), "{d}");
    insta::assert_json_snapshot!("blocked_json_flows", doc["flows"]);

    let (code, doc) = json("reachable");
    assert_eq!(code, 0);
    assert_eq!(doc["error_count"], 0);
    let flows = doc["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 7);
    assert!(flows.iter().all(|f| f["as_expected"] == true), "{flows:?}");
    insta::assert_json_snapshot!("reachable_json_flows", doc["flows"]);

    // A program without flows keeps the document it had.
    let (_, doc) = json("topology");
    assert!(doc.get("flows").is_none(), "{doc}");
}

#[test]
fn the_flows_table() {
    let (code, out, _) = run(&["flows", &file("reachable")]);
    assert_eq!(code, 0);
    assert!(out.ends_with("7 flows: 7 as expected, 0 not\n"), "{out}");
    insta::assert_snapshot!("reachable_table", out);
    let (code, out, _) = run(&["flows", &file("blocked")]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("blocked_table", out);
}

#[test]
fn bad_flow_declarations_are_load_errors_with_hints() {
    let (code, _, err) = run(&["check", &file("invalid")]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("invalid_check", err);
    let (code, _, err) = run(&["flows", &file("invalid")]);
    assert_eq!(code, 1);
    assert!(err.contains("say which of its addresses"), "{err}");
}

#[test]
fn flows_format_and_parse_back() {
    for name in ["reachable", "blocked", "invalid"] {
        let (code, _, err) = run(&["fmt", "--check", &file(name)]);
        assert_eq!(code, 0, "{name}: {err}");
    }
    let src = "flow   \"x\" {from=corp to=10.1.2.3,port=1}\n";
    let formatted = hybridk8s::dsl::format(src).unwrap();
    assert_eq!(
        formatted,
        "flow \"x\" {\n  from = corp\n  to   = 10.1.2.3\n  port = 1\n}\n"
    );
    assert_eq!(hybridk8s::dsl::format(&formatted).unwrap(), formatted);
}

#[test]
fn flows_in_modules_are_named_by_their_instance() {
    let dir = tempfile::tempdir().unwrap();
    let topology = std::fs::read_to_string(file("topology")).unwrap();
    std::fs::write(
        dir.path().join("env.hk"),
        format!("{topology}\nflow \"spoke-to-spoke\" {{\n  from = aks.nodes\n  to   = blue.nodes\n  port = 22\n}}\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("main.hk"), "module \"./env.hk\" as prod {}\n").unwrap();
    let main = dir.path().join("main.hk");
    let program = hybridk8s::dsl::load(&main, &hybridk8s::dsl::Options::default()).unwrap();
    let answered = program.answer_flows();
    assert_eq!(answered.len(), 1);
    assert_eq!(answered[0].declared.flow.name, "module.prod.spoke-to-spoke");
    let problem = answered[0].problem().expect("blocked, expected reachable");
    assert!(
        problem.message.contains("module.prod.cluster_network.aks"),
        "{}",
        problem.message
    );
}
