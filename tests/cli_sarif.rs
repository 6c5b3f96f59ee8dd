//! `hybridk8s check --format sarif`: a SARIF 2.1.0 log that the SARIF 2.1.0
//! JSON schema accepts (checked with `jsonschema`) and Microsoft's SARIF
//! Multitool validates without an error, holding the same findings as
//! `--json`. Both tools come from `tests/run.sh` (npm, PyPI); a missing one
//! fails the test.

use std::path::{Path, PathBuf};
use std::process::Command;

fn tool(var: &str) -> PathBuf {
    let p = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{var} is not set: run the tests with `bash tests/run.sh`, which installs it"));
    assert!(
        p.exists(),
        "{var}={} does not exist: run `bash tests/run.sh`",
        p.display()
    );
    p
}

fn check(format: &str) -> (Option<i32>, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_hybridk8s"))
        .args(["check", "tests/fixtures/cli/several_problems.hk", "--format", format])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let doc =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code(), doc)
}

/// The schema's verdict on `doc`: the errors, one per line.
fn schema_errors(doc: &serde_json::Value) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("log.sarif");
    std::fs::write(&file, doc.to_string()).unwrap();
    let script = "import json, sys, jsonschema\n\
        schema = json.load(open(sys.argv[1]))\n\
        doc = json.load(open(sys.argv[2]))\n\
        v = jsonschema.validators.validator_for(schema)(schema)\n\
        for e in v.iter_errors(doc):\n    print(list(e.absolute_path), e.message)\n";
    let out = Command::new(tool("HYBRIDK8S_PYTHON"))
        .args(["-c", script])
        .arg(tool("HYBRIDK8S_SARIF_SCHEMA"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// The Multitool's results for `doc` (its own rules and the schema).
fn multitool(doc: &serde_json::Value) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().unwrap();
    let (file, report) = (dir.path().join("log.sarif"), dir.path().join("report.sarif"));
    std::fs::write(&file, serde_json::to_string_pretty(doc).unwrap()).unwrap();
    let out = Command::new(tool("HYBRIDK8S_SARIF_MULTITOOL"))
        .arg("validate")
        .arg(&file)
        .arg("-o")
        .arg(&report)
        .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    r["runs"][0]["results"].as_array().cloned().unwrap_or_default()
}

#[test]
fn sarif_holds_every_finding_and_passes_the_validators() {
    let (code, sarif) = check("sarif");
    let (json_code, json) = check("json");
    assert_eq!(code, Some(1));
    assert_eq!(json_code, code);

    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let diags = json["diagnostics"].as_array().unwrap();
    assert_eq!(results.len(), diags.len());
    assert!(results.len() >= 4, "{sarif:#}");
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    for (r, d) in results.iter().zip(diags) {
        // The rule is the catalogue's: its ID, the code as its name, the
        // summary, the why and the page.
        assert_eq!(r["ruleId"], d["id"]);
        let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], d["id"]);
        assert_eq!(rule["name"], d["code"]);
        let row = hybridk8s::graph::catalogue::by_code(d["code"].as_str().unwrap()).unwrap();
        assert_eq!(rule["shortDescription"]["text"], row.summary);
        assert_eq!(rule["fullDescription"]["markdown"], row.why);
        // The page, relative to the repository (SARIF's `helpUri` must be
        // absolute: the Multitool refuses a relative one).
        let page = format!("docs/rules/{}.md", row.id);
        assert_eq!(rule["properties"]["page"], page.as_str());
        assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join(&page).is_file(), "{rule:#}");
        assert!(
            rule["help"]["markdown"]
                .as_str()
                .unwrap()
                .contains(&format!("]({page})")),
            "{rule:#}"
        );
        assert!(rule["help"]["markdown"].as_str().unwrap().contains(row.why), "{rule:#}");
        assert_eq!(r["level"], d["severity"]);
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert_eq!(region["startLine"], d["span"]["line"]);
        assert_eq!(region["startColumn"], d["span"]["column"]);
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            d["span"]["file"]
        );
        assert!(r["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with(d["message"].as_str().unwrap()));
    }

    let mut shown = sarif.clone();
    shown["runs"][0]["tool"]["driver"]["version"] = "[version]".into();
    insta::assert_json_snapshot!("check_sarif", shown);

    assert_eq!(schema_errors(&sarif), "", "the SARIF 2.1.0 schema refuses the log");
    let found = multitool(&sarif);
    let errors: Vec<_> = found.iter().filter(|r| r["level"] == "error").collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn the_schema_check_can_fail() {
    // A log the schema must refuse: the validator is really consulted.
    let (_, mut sarif) = check("sarif");
    sarif["runs"][0]["results"][0]["level"] = "fatal".into();
    sarif["version"] = "2.0".into();
    let errors = schema_errors(&sarif);
    assert!(errors.contains("'fatal'"), "{errors}");
    assert!(errors.contains("'2.0'"), "{errors}");
}

#[test]
fn a_valid_program_is_an_empty_run() {
    let out = Command::new(env!("CARGO_BIN_EXE_hybridk8s"))
        .args(["check", "examples/existing-hub.hk", "--format", "sarif"])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["level"] != "error"));
    assert_eq!(schema_errors(&sarif), "");
}
