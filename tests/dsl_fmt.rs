//! The formatter: parse → format → parse gives the same tree (modulo spans),
//! formatting is idempotent, comments survive. Over every fixture.

use hybridk8s::dsl::{self, ast::ClearSpans};
use std::path::PathBuf;

fn all_hk_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![PathBuf::from("tests/fixtures/dsl"), PathBuf::from("examples")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "hk") {
                out.push(p);
            }
        }
    }
    out.sort();
    assert!(out.len() > 20);
    out
}

fn comments(src: &str) -> Vec<String> {
    dsl::parse(src, "x").map_or_else(|_| Vec::new(), |f| f.comments.into_iter().map(|c| c.text).collect())
}

#[test]
fn parse_format_parse_round_trips_every_fixture() {
    let mut checked = 0;
    for path in all_hk_files() {
        let src = std::fs::read_to_string(&path).expect("read");
        let Ok(mut before) = dsl::parse(&src, "before") else {
            continue; // syntax-error fixtures
        };
        let formatted = dsl::format(&src).expect("parsable source formats");
        let mut after = dsl::parse(&formatted, "after").unwrap_or_else(|e| {
            panic!(
                "{}: formatted output does not parse:\n{}",
                path.display(),
                e.render_plain()
            )
        });
        before.clear_spans();
        after.clear_spans();
        assert_eq!(before.items, after.items, "{}", path.display());
        assert_eq!(comments(&src), comments(&formatted), "{}: comments", path.display());
        assert_eq!(
            dsl::format(&formatted).expect("formats"),
            formatted,
            "{}: not idempotent",
            path.display()
        );
        checked += 1;
    }
    assert!(checked > 20);
}

#[test]
fn the_shipped_examples_are_formatted() {
    for p in [
        "examples/hybrid.hk",
        "examples/env.hk",
        "examples/environments.hk",
        "examples/existing-hub.hk",
    ] {
        let src = std::fs::read_to_string(p).expect("read");
        assert_eq!(dsl::format(&src).expect("formats"), src, "{p} is not in canonical form");
    }
}

#[test]
fn design_example_layout() {
    let src = std::fs::read_to_string("tests/fixtures/dsl/design_example.hk").expect("read");
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    s.bind(|| insta::assert_snapshot!("fmt_design_example", dsl::format(&src).expect("formats")));
}

#[test]
fn comments_and_long_values() {
    let src = r#"# head

param a: list(string) = ["aaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbb", "cccccccccccccccccccccccccc", "ddddddddddddddddd"]
param b: number = 1   # trailing
onprem x { address_space = [10.0.0.0/8,
  # inside
  192.168.0.0/16]   // after
  domains = ["a.local"] }
# tail
"#;
    let out = dsl::format(src).expect("formats");
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    s.bind(|| insta::assert_snapshot!("fmt_comments_and_long_values", out));
    assert_eq!(dsl::format(&out).expect("formats"), out);
}

#[test]
fn string_escapes_survive() {
    let src = "onprem x {\n  name = \"a\\\"b\\\\c\\n\\t\\$${1}{x}\\u{7f}\"\n}\n";
    let out = dsl::format(src).expect("formats");
    let mut a = dsl::parse(src, "a").expect("parses");
    let mut b = dsl::parse(&out, "b").expect("parses");
    a.clear_spans();
    b.clear_spans();
    assert_eq!(a, b, "{out}");
}

/// Found by the `dsl_parse` fuzz target: a value that the formatter breaks
/// over several lines must not gain a blank line on the next run.
#[test]
fn broken_values_format_idempotently() {
    let long = "x".repeat(120);
    let src = format!(
        "lb_service web {{\n  cluster = aks\n  name = \"web\"\n  selector = {{ app = \"{long}\" }}\n  ports = [{{ port = 443 }}]\n}}\n"
    );
    let once = hybridk8s::dsl::format(&src).expect("formats");
    assert!(
        once.contains("selector = {\n"),
        "the long map is broken over lines:\n{once}"
    );
    assert_eq!(hybridk8s::dsl::format(&once).expect("formats again"), once);
}

/// Found by the `dsl_parse` fuzz target: a comment after the second of two
/// params moved onto the first (`param a: string # c`), and the next
/// `fmt --check` failed. Comments stay on the line they were on.
#[test]
fn a_comment_after_a_param_stays_on_its_line() {
    for (src, want) in [
        (
            "param a: string\nparam b: string = \"x\" # c\n",
            "param a: string\nparam b: string = \"x\" # c\n",
        ),
        (
            "param a: string\nparam b: number # c\n",
            "param a: string\nparam b: number # c\n",
        ),
        (
            "param a: string\n# about b\nparam b: string = \"x\"\n",
            "param a: string\n# about b\nparam b: string = \"x\"\n",
        ),
        (
            "param a: cidr # the range\n\nonprem o {\n  address_space = [a]\n}\n",
            "param a: cidr # the range\n\nonprem o {\n  address_space = [a]\n}\n",
        ),
    ] {
        let once = hybridk8s::dsl::format(src).expect("formats");
        assert_eq!(once, want, "from {src:?}");
        assert_eq!(hybridk8s::dsl::format(&once).expect("formats again"), once);
    }
}
