//! The rule catalogue (`src/graph/catalogue/`): every diagnostic code the
//! source emits has a row; every row's bad program makes `hybridk8s check`
//! report its code and the good one does not; the pages of `docs/rules/`
//! are what the rows render, with what the binary prints for the examples
//! (regenerate with `UPDATE_DOCS=1 cargo test --test catalogue`).

use hybridk8s::cli::explain::{self, Example};
use hybridk8s::graph::catalogue::{self, Rule};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The string literal at the start of `text` (after blanks), if any.
fn literal(text: &str) -> Option<&str> {
    text.trim_start().strip_prefix('"')?.split('"').next()
}

/// `text` without its `#[cfg(test)]` items (up to the brace that closes
/// each; braces in format strings pair up).
fn without_tests(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let Some(open) = after.find('{') else { return out };
        let mut depth = 0;
        let mut end = after.len();
        for (j, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + j + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Every diagnostic code `src/` emits outside its tests, with a place it
/// is emitted: the literal after `Diagnostic::error(`/`warning(` and
/// `Problem::error(`/`warning(`, every `"dsl::…"` literal (the DSL
/// passes some codes through helpers), and `const CODE_…` values.
fn emitted() -> BTreeMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    let mut out = BTreeMap::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let code = without_tests(&text);
        let code = code.as_str();
        let at = f.strip_prefix(root).unwrap().display().to_string();
        for ctor in [
            "Diagnostic::error(",
            "Diagnostic::warning(",
            "Problem::error(",
            "Problem::warning(",
        ] {
            for (i, _) in code.match_indices(ctor) {
                if let Some(c) = literal(&code[i + ctor.len()..]) {
                    out.entry(c.to_string()).or_insert_with(|| at.clone());
                }
            }
        }
        // Codes named once as constants (`pub const CODE_BLOCKED: &str = "…"`).
        for (i, _) in code.match_indices("const CODE_") {
            let rest = &code[i..];
            if let Some(eq) = rest.find("= ").filter(|&e| e < 60) {
                if let Some(c) = literal(&rest[eq + 2..]) {
                    out.entry(c.to_string()).or_insert_with(|| at.clone());
                }
            }
        }
        for (i, _) in code.match_indices("\"dsl::") {
            if let Some(c) = literal(&code[i..]) {
                out.entry(c.to_string()).or_insert_with(|| at.clone());
            }
        }
    }
    out
}

#[test]
fn every_emitted_code_has_a_row_and_every_row_is_emitted() {
    let codes = emitted();
    assert!(codes.len() >= 130, "found only {} codes: {codes:?}", codes.len());
    let missing: Vec<String> = codes
        .iter()
        .filter(|(c, _)| catalogue::by_code(c).is_none())
        .map(|(c, at)| format!("{c} ({at})"))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a catalogue row (add one in src/graph/catalogue/): {missing:?}"
    );
    let stale: Vec<&str> = catalogue::all()
        .map(|r| r.code)
        .filter(|c| !codes.contains_key(*c))
        .collect();
    assert!(stale.is_empty(), "rows for codes nothing emits: {stale:?}");
}

/// An example's files written under `dir/work` (modules beside it, or
/// above it for `../`), and the working directory to check it from.
fn write(dir: &Path, file: &str, src: &str) -> (PathBuf, Example) {
    let work = dir.join("work");
    let ex = Example::parse(file, src);
    for (path, text) in &ex.files {
        let p = work.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    (work, ex)
}

/// `hybridk8s check FILE ARGS [--format json]` in `work`: exit code, stdout, stderr.
fn check(work: &Path, file: &str, ex: &Example, json: bool) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hybridk8s"));
    cmd.arg("check").arg(file).args(&ex.args).current_dir(work);
    if json {
        cmd.args(["--format", "json"]);
    }
    let out = cmd.env("NO_COLOR", "1").output().unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The codes (and IDs) `check --format json` reports for an example.
fn reported(r: &Rule, file: &str, src: &str) -> Vec<(String, Option<String>)> {
    let dir = tempfile::tempdir().unwrap();
    let (work, ex) = write(dir.path(), file, src);
    let (_, out, err) = check(&work, file, &ex, true);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{}: {e}\n{out}\n{err}", r.id));
    doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["id"].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// Graph checks no DSL program reaches: the DSL reports a code of its own
/// first (named in the row's why). They guard what Terraform or the library
/// hands the graph.
const FRONT_END_ONLY: &[&str] = &[
    "duplicate-address",
    "dependency-cycle",
    "invalid-ip",
    "type-mismatch",
    "unknown-attribute",
];

#[test]
fn bad_examples_report_their_code_and_good_ones_do_not() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for r in catalogue::all() {
        if !r.has_examples() {
            assert!(
                r.bad.is_empty() && r.good.is_empty(),
                "{}: operation rows have no examples",
                r.id
            );
            continue;
        }
        if r.bad.is_empty() && r.good.is_empty() && FRONT_END_ONLY.contains(&r.code) {
            // The DSL's own code stands in for it: that row has examples.
            let dsl = r.why.split('`').find(|w| w.starts_with("dsl::"));
            match dsl.and_then(catalogue::by_code) {
                Some(d) if !d.bad.is_empty() => {}
                _ => failures.push(format!("{} {}: names no DSL code with examples", r.id, r.code)),
            }
            continue;
        }
        if r.bad.is_empty() || r.good.is_empty() {
            failures.push(format!("{} {}: no example", r.id, r.code));
            continue;
        }
        let bad = reported(r, explain::BAD_FILE, r.bad);
        match bad.iter().find(|(c, _)| c == r.code) {
            None => failures.push(format!("{} {}: bad reports {bad:?}", r.id, r.code)),
            Some((_, id)) if id.as_deref() != Some(r.id) => {
                failures.push(format!("{} {}: reported with id {id:?}", r.id, r.code))
            }
            Some(_) => {}
        }
        let good = reported(r, explain::GOOD_FILE, r.good);
        if good.iter().any(|(c, _)| c == r.code) {
            failures.push(format!("{} {}: good reports it too: {good:?}", r.id, r.code));
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 100, "{checked}");
}

#[test]
fn rule_pages_are_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let update = std::env::var_os("UPDATE_DOCS").is_some();
    let pages = explain::pages(Path::new(env!("CARGO_BIN_EXE_hybridk8s"))).unwrap();
    let mut stale = Vec::new();
    for (rel, text) in &pages {
        let path = root.join(rel);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(rel.clone());
        }
    }
    // No page of a rule that is gone.
    for e in std::fs::read_dir(root.join("rules")).unwrap() {
        let name = format!("rules/{}", e.unwrap().file_name().to_string_lossy());
        if !pages.iter().any(|(rel, _)| *rel == name) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "stale rule pages (run UPDATE_DOCS=1 cargo test --test catalogue): {stale:?}"
    );
    let index = &pages[0].1;
    for r in catalogue::all() {
        assert!(
            index.contains(&format!("[{}]({}.md)", r.id, r.id)),
            "{} not in the index",
            r.id
        );
    }
}

fn explain_cmd(arg: &str) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hybridk8s"))
        .args(["explain", arg])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn explain_prints_the_page_by_id_or_code() {
    let (code, by_id, _) = explain_cmd("HK201");
    assert_eq!(code, Some(0));
    insta::assert_snapshot!("explain_hk201", by_id);
    let (_, by_code, _) = explain_cmd("subnet-too-small");
    assert_eq!(by_code, by_id);
    let (_, lower, _) = explain_cmd("hk201");
    assert_eq!(lower, by_id);
    let page = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules/HK201.md")).unwrap();
    assert_eq!(by_id, page);
}

#[test]
fn explain_of_an_unknown_rule_fails_and_suggests() {
    let (code, out, err) = explain_cmd("subnet-to-small");
    assert_eq!(code, Some(1));
    assert!(out.is_empty(), "{out}");
    insta::assert_snapshot!("explain_unknown", err);
    let (code, _, err) = explain_cmd("HK999");
    assert_eq!(code, Some(1));
    assert!(err.contains("no rule `HK999`"), "{err}");
}
