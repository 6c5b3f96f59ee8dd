//! Programs that would expand or allocate without bound get a diagnostic
//! instead: module instances, module depth, resources, list length, and
//! the number of problems rendered.

use hybridk8s::dsl::{self, Files, Options};
use std::path::Path;

/// Loads `/t/main.hk` from the files; the codes of the problems and the
/// rendered text.
fn load(files: Vec<(String, String)>) -> (Vec<String>, String) {
    let files = Files::memory(files);
    match dsl::load_from(Path::new("/t/main.hk"), &Options::default(), &files) {
        Ok(p) => {
            let d = hybridk8s::graph::check(&p.graph);
            (d.iter().map(|d| d.code.to_string()).collect(), p.render_plain(&d))
        }
        Err(e) => (e.problems.iter().map(|p| p.code.clone()).collect(), e.render_plain()),
    }
}

#[test]
fn modules_that_use_each_other_twice_stop_at_the_instance_limit() {
    // 24 files, each using the next twice: 16 million instances unbounded.
    let mut files = vec![(
        "/t/main.hk".to_string(),
        "module \"./m1.hk\" as a {}\nmodule \"./m1.hk\" as b {}\n".to_string(),
    )];
    for i in 1..24 {
        let body = if i < 23 {
            format!(
                "module \"./m{0}.hk\" as a {{}}\nmodule \"./m{0}.hk\" as b {{}}\n",
                i + 1
            )
        } else {
            "onprem corp {\n  address_space = [10.1.0.0/16]\n}\n".to_string()
        };
        files.push((format!("/t/m{i}.hk"), body));
    }
    let (codes, text) = load(files);
    assert_eq!(codes, ["dsl::too-large"], "{text}");
    assert!(text.contains("more than 10000 module instances"), "{text}");
    assert!(text.contains("the limit is reached here"), "{text}");
}

#[test]
fn modules_nest_at_most_32_deep() {
    let mut files = vec![("/t/main.hk".to_string(), "module \"./m1.hk\" as a {}\n".to_string())];
    for i in 1..40 {
        files.push((format!("/t/m{i}.hk"), format!("module \"./m{}.hk\" as a {{}}\n", i + 1)));
    }
    files.push(("/t/m40.hk".to_string(), String::new()));
    let (codes, text) = load(files);
    assert_eq!(codes, ["dsl::too-large"], "{text}");
    assert!(text.contains("deeper than 32 levels"), "{text}");
}

#[test]
fn a_program_of_more_than_100000_resources_is_refused() {
    // 11 instances of a module of 10,000 on-premises declarations.
    let mut module = String::new();
    for i in 0..10_000 {
        module.push_str(&format!(
            "onprem o{i} {{\n  address_space = [10.{}.{}.0/24]\n}}\n",
            i / 250,
            i % 250
        ));
    }
    let mut main = String::new();
    for i in 0..11 {
        main.push_str(&format!("module \"./m.hk\" as e{i} {{}}\n"));
    }
    let (codes, text) = load(vec![("/t/main.hk".into(), main), ("/t/m.hk".into(), module)]);
    assert_eq!(codes, ["dsl::too-large"], "{text}");
    assert!(text.contains("more than 100000 resources"), "{text}");
}

#[test]
fn a_list_of_a_million_items_is_refused_before_parsing() {
    let items = vec!["10.40.0.0/16"; 1_000_000].join(", ");
    let src = format!("onprem corp {{\n  address_space = [{items}]\n}}\n");
    let (codes, text) = load(vec![("/t/main.hk".into(), src)]);
    assert_eq!(codes, ["dsl::too-many-items"], "{text}");
    assert!(text.contains("main.hk:2:19"), "{text}");
    // 10,000 items is still a list.
    let items = vec!["10.40.0.0/16"; 9_999].join(", ");
    let (codes, _) = load(vec![(
        "/t/main.hk".into(),
        format!("onprem corp {{\n  address_space = [{items}]\n}}\n"),
    )]);
    assert!(!codes.contains(&"dsl::too-many-items".to_string()), "{codes:?}");
}

#[test]
fn a_hundred_thousand_duplicates_render_a_hundred_and_a_count() {
    let mut src = String::from(
        "cluster_network aks {\n  name = \"v\"\n  resource_group_name = \"rg\"\n  location = \"westeurope\"\n  address_space = [10.40.0.0/16]\n",
    );
    for _ in 0..100_000 {
        src.push_str("  max_nodes = 10\n");
    }
    src.push_str("}\n");
    let (codes, text) = load(vec![("/t/main.hk".into(), src)]);
    assert_eq!(codes.len(), 99_999);
    assert!(codes.iter().all(|c| c == "dsl::duplicate-attribute"));
    assert_eq!(
        text.matches("is set twice").count(),
        100,
        "{}",
        &text[text.len() - 300..]
    );
    assert!(
        text.ends_with("… and 99899 more problems (99899 errors) not shown: fix the ones above first\n"),
        "{}",
        &text[text.len() - 300..]
    );
}
