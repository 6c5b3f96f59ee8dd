//! `docs/` is generated from the schemas; this test fails when it drifts.
//! Regenerate with `UPDATE_DOCS=1 cargo test --test docs`.

use std::path::Path;

#[test]
fn docs_match_the_schemas() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let update = std::env::var_os("UPDATE_DOCS").is_some();
    let mut stale = Vec::new();
    for (rel, text) in hybridk8s::render::docs::pages() {
        let path = root.join(&rel);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(rel);
        }
    }
    assert!(
        stale.is_empty(),
        "stale docs (run UPDATE_DOCS=1 cargo test --test docs): {stale:?}"
    );
}

#[path = "terraform/harness.rs"]
#[allow(dead_code)]
mod harness;

/// Every `terraform` block of `docs/`, one file per page, in one module.
fn examples_module(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for (rel, text) in hybridk8s::render::docs::pages() {
        let mut rest = text.as_str();
        let mut n = 0;
        while let Some(i) = rest.find("```terraform\n") {
            let body = &rest[i + "```terraform\n".len()..];
            let end = body.find("```").expect("a closed code block");
            let name = format!("{}_{n}.tf", rel.trim_end_matches(".md").replace('/', "_"));
            std::fs::write(dir.join(&name), &body[..end]).unwrap();
            files.push(name);
            rest = &body[end..];
            n += 1;
        }
    }
    files
}

/// The examples in `docs/` are what a user copies: `terraform fmt -check`
/// and `terraform validate` accept all of them, with both Terraforms.
fn docs_examples_are_formatted_and_valid(terraform: harness::Terraform) {
    let ws = harness::Workspace::new(terraform);
    std::fs::remove_file(ws.dir.join("main.tf")).unwrap();
    let files = examples_module(&ws.dir);
    assert!(files.len() >= 15, "{files:?}");
    // Import blocks need Terraform 1.5: validate them only with a newer one.
    if ws.terraform.version < (1, 5, 0) {
        for f in &files {
            let p = ws.dir.join(f);
            if std::fs::read_to_string(&p).unwrap().starts_with("import {") {
                std::fs::remove_file(p).unwrap();
            }
        }
    }
    let (out, _) = ws.expect(&["fmt", "-check", "-diff", "-recursive"], 0);
    assert!(out.trim().is_empty(), "{out}");
    let (out, err) = ws.expect(&["validate"], 0);
    assert!(out.contains("The configuration is valid"), "{out}\n{err}");
}

#[test]
fn docs_examples_newest() {
    docs_examples_are_formatted_and_valid(harness::newest());
}

#[test]
fn docs_examples_1_0_3() {
    docs_examples_are_formatted_and_valid(harness::v1_0_3());
}
