//! `state { url = "azblob://…" }`: the root program names where its stack
//! lives. Found by `dsl::state_url` without evaluating the program, checked
//! by the loader (root only, once, a literal blob location), kept by `fmt`,
//! and no resource of the graph.

use hybridk8s::dsl::{self, Files, Options};
use std::path::Path;

const URL: &str = "azblob://mycompanystate/tfstate/dev.hkstate";

const CORP: &str = "onprem corp {\n  address_space = [10.0.0.0/12]\n}\n";

fn load(main: &str, module: &str) -> Result<dsl::Program, String> {
    let files = Files::memory([("main.hk", main), ("env.hk", module)]);
    dsl::load_from(Path::new("main.hk"), &Options::default(), &files).map_err(|e| e.render_plain())
}

fn error_of(main: &str, module: &str) -> String {
    match load(main, module) {
        Ok(_) => panic!("loads:\n{main}"),
        Err(e) => e,
    }
}

#[test]
fn the_root_programs_state_block_is_found_and_makes_no_resource() {
    let main = format!("state {{\n  url = \"{URL}\"\n}}\n\n{CORP}");
    let p = load(&main, "").unwrap();
    assert_eq!(p.graph.len(), 1);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("main.hk");
    std::fs::write(&file, &main).unwrap();
    assert_eq!(dsl::state_url(&file).as_deref(), Some(URL));
    std::fs::write(&file, CORP).unwrap();
    assert_eq!(dsl::state_url(&file), None);
    assert_eq!(dsl::state_url(&dir.path().join("missing.hk")), None);
    // fmt keeps it, aligned like any block.
    let formatted = dsl::format(&format!("state {{ url = \"{URL}\" }}\n{CORP}")).unwrap();
    assert!(
        formatted.starts_with(&format!("state {{\n  url = \"{URL}\"\n}}\n")),
        "{formatted}"
    );
}

#[test]
fn a_state_block_is_the_root_programs_once_with_a_literal_blob_url() {
    let block = |body: &str| format!("state {{\n  {body}\n}}\n\n{CORP}");
    let cases: Vec<(String, &str, &str)> = vec![
        (
            block(&format!("url = \"{URL}\"")) + &block(&format!("url = \"{URL}\"")).replace(CORP, ""),
            "",
            "dsl::duplicate-state",
        ),
        (
            format!("module \"./env.hk\" as prod {{}}\n{CORP}"),
            "state {\n  url = \"azblob://a1b/c1d/k\"\n}\n",
            "dsl::state-in-module",
        ),
        (
            block("url = \"azblob://My_Account/tfstate/dev.hkstate\""),
            "",
            "dsl::state-url",
        ),
        (block("url = \"/tmp/fabric.db\""), "", "dsl::state-url"),
        (
            format!(
                "param env: string = \"dev\"\n{}",
                block("url = \"azblob://acct/tfstate/${env}.hkstate\"")
            ),
            "",
            "dsl::state-url",
        ),
        (block("key = \"dev.hkstate\""), "", "dsl::unknown-attribute"),
        (block(""), "", "dsl::missing-attribute"),
    ];
    for (main, module, code) in cases {
        let err = error_of(&main, module);
        assert!(err.contains(code), "{code} expected for\n{main}\n---\n{err}");
    }
    let err = error_of(&block("url = \"azblob://My_Account/tfstate/dev.hkstate\""), "");
    assert!(err.contains("`My_Account` is not a"), "{err}");
    assert!(err.contains("main.hk:2:"), "the span points at the URL: {err}");
}
