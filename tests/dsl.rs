//! Snapshot tests over `.hk` files: the graph of every good program, the
//! rendered diagnostics of every bad one (load errors, else rule failures).

use hybridk8s::dsl::{self, Options, Program};
use hybridk8s::graph;
use std::path::{Path, PathBuf};

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(Path::new("tests/fixtures/dsl").join(dir))
        .expect("fixture dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "hk"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {dir}");
    files
}

fn stem(p: &Path) -> String {
    p.file_stem().expect("file name").to_string_lossy().into_owned()
}

/// Resources sorted by address, attributes as JSON.
fn graph_json(p: &Program) -> String {
    let mut out = serde_json::Map::new();
    for r in p.graph.sorted() {
        let attrs: serde_json::Map<String, serde_json::Value> =
            r.attrs.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
        let deps: Vec<String> = r.depends_on.iter().map(|a| a.to_string()).collect();
        out.insert(
            r.address.to_string(),
            serde_json::json!({ "attrs": attrs, "depends_on": deps }),
        );
    }
    serde_json::to_string_pretty(&out).expect("json")
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

#[test]
fn good_programs_lower_and_pass_the_rules() {
    for path in fixtures("good") {
        let program = dsl::load(&path, &Options::default())
            .unwrap_or_else(|e| panic!("{} does not load:\n{}", path.display(), e.render_plain()));
        let diags = graph::check(&program.graph);
        assert!(
            !diags.has_errors(),
            "{} has rule errors:\n{}",
            path.display(),
            program.render_plain(&diags)
        );
        settings().bind(|| insta::assert_snapshot!(format!("good_{}", stem(&path)), graph_json(&program)));
    }
}

#[test]
fn bad_programs_render_at_the_source() {
    // The fixtures share modules across `good/` and `bad/`: one tree.
    let opts = Options {
        root: Some("tests/fixtures/dsl".into()),
        ..Options::default()
    };
    for path in fixtures("bad") {
        let text = match dsl::load(&path, &opts) {
            Err(e) => e.render_plain(),
            Ok(program) => {
                let diags = graph::check(&program.graph);
                assert!(diags.has_errors(), "{} should fail", path.display());
                program.render_plain(&diags)
            }
        };
        settings().bind(|| insta::assert_snapshot!(format!("bad_{}", stem(&path)), text));
    }
}

#[test]
fn the_design_example_parses_and_lowers() {
    let program = dsl::load(Path::new("tests/fixtures/dsl/design_example.hk"), &Options::default())
        .unwrap_or_else(|e| panic!("{}", e.render_plain()));
    assert_eq!(program.graph.len(), 9);
    let diags = graph::check(&program.graph);
    // The design's example writes no `internal_lb_ips`: its internal LB is
    // counted (it used to fail `internal-lb-not-sized` until typed by hand).
    let codes: Vec<&str> = diags.errors().map(|d| d.code).collect();
    assert!(codes.is_empty(), "{codes:?}");
    settings().bind(|| {
        insta::assert_snapshot!("design_example_graph", graph_json(&program));
        insta::assert_snapshot!("design_example_check", program.render_plain(&diags));
    });
}

#[test]
fn the_shipped_example_is_clean() {
    let program = dsl::load(Path::new("examples/hybrid.hk"), &Options::default())
        .unwrap_or_else(|e| panic!("{}", e.render_plain()));
    let diags = graph::check(&program.graph);
    assert!(!diags.has_errors(), "{}", program.render_plain(&diags));
    assert_eq!(program.graph.len(), 9);
}

#[test]
fn several_errors_are_collected() {
    let e = dsl::load(
        Path::new("tests/fixtures/dsl/bad/type_mismatch.hk"),
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(e.problems.len(), 4, "{}", e.render_plain());
}

#[test]
fn rendering_has_no_colors_and_a_fixed_width() {
    let e = dsl::load(
        Path::new("tests/fixtures/dsl/bad/unknown_attribute.hk"),
        &Options::default(),
    )
    .unwrap_err();
    let text = e.render_plain();
    assert!(!text.contains('\u{1b}'));
    assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
}
