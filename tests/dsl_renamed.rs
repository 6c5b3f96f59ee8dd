//! Former attribute names in the DSL: `resource_group` (now
//! `resource_group_name`) still loads, with a warning at its span; set
//! beside the new name with another value it is an error; references to the
//! old name read the new attribute; `data hub` takes it too.

use hybridk8s::dsl::{self, Files, Options};
use hybridk8s::graph::{self, Address};
use std::path::Path;

fn load(src: &str) -> Result<dsl::Program, dsl::LoadError> {
    let files = Files::memory([("/t/main.hk", src)]);
    dsl::load_from(Path::new("/t/main.hk"), &Options::default(), &files)
}

const CLUSTER: &str = "cluster_network aks {\n  name = \"vnet\"\n  resource_group = \"k8s-rg\"\n  location = \"westeurope\"\n  address_space = [10.40.0.0/16]\n  max_nodes = 10\n}\n";

#[test]
fn a_former_name_loads_with_a_warning_at_its_span() {
    let p = load(CLUSTER).unwrap_or_else(|e| panic!("{}", e.render_plain()));
    let aks: Address = "cluster_network.aks".parse().unwrap();
    let r = p.graph.get(&aks).unwrap();
    assert_eq!(r.str("resource_group_name"), Some("k8s-rg"));
    assert!(r.attrs.get("resource_group").is_none(), "{:?}", r.attrs);
    assert!(r.id().unwrap().contains("/resourceGroups/k8s-rg/"));

    let problems = p.problems(&graph::check(&p.graph));
    let w: Vec<_> = problems.iter().filter(|p| p.code == "deprecated-attribute").collect();
    assert_eq!(w.len(), 1, "{problems:?}");
    assert!(!w[0].is_error());
    let span = w[0].span.expect("a span");
    // At the attribute written under the former name (its value).
    let line_start = CLUSTER[..span.start].rfind('\n').map_or(0, |i| i + 1);
    assert_eq!(
        &CLUSTER[line_start..span.end],
        "  resource_group = \"k8s-rg\"",
        "{span:?}"
    );
    let text = p.render_plain(&graph::check(&p.graph));
    assert!(
        text.contains("`resource_group` is deprecated: it is now `resource_group_name`"),
        "{text}"
    );
    assert!(text.contains("nothing is replaced"), "{text}");
}

#[test]
fn both_names_with_different_values_are_an_error() {
    let src = CLUSTER.replace("  location", "  resource_group_name = \"other-rg\"\n  location");
    let e = load(&src).err().expect("refused");
    let codes: Vec<&str> = e.problems.iter().map(|p| p.code.as_str()).collect();
    assert!(codes.contains(&"conflicting-alias"), "{codes:?}");
    // The same value twice is only the warning.
    let same = CLUSTER.replace("  location", "  resource_group_name = \"k8s-rg\"\n  location");
    assert!(load(&same).is_ok());
}

#[test]
fn references_and_lookups_take_the_former_name() {
    let src = format!("{CLUSTER}\ndata hub corp {{\n  name = \"hub\"\n  resource_group = aks.resource_group\n}}\n");
    let p = load(&src).unwrap_or_else(|e| panic!("{}", e.render_plain()));
    let hub: Address = "hub.corp".parse().unwrap();
    let id = p.graph.get(&hub).unwrap().id().unwrap().to_string();
    assert!(id.contains("/resourceGroups/k8s-rg/"), "{id}");
    let codes: Vec<String> = p
        .problems(&graph::check(&p.graph))
        .into_iter()
        .map(|p| p.code)
        .collect();
    assert_eq!(
        codes.iter().filter(|c| c.ends_with("deprecated-attribute")).count(),
        2,
        "{codes:?}"
    );
}

/// `hybridk8s check` reports the warning, in both formats.
#[test]
fn check_reports_a_former_name() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("main.hk");
    std::fs::write(&file, CLUSTER).unwrap();
    let run = |json: bool| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_hybridk8s"));
        c.arg("check").arg(&file).current_dir(dir.path());
        if json {
            c.arg("--json");
        }
        let out = c.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        out
    };
    let j: serde_json::Value = serde_json::from_slice(&run(true).stdout).unwrap();
    assert_eq!(j["valid"], true);
    let d = j["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "deprecated-attribute")
        .unwrap_or_else(|| panic!("{j:#}"));
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["span"]["line"], 3, "{d:#}");
    let human = String::from_utf8_lossy(&run(false).stderr).to_string();
    assert!(human.contains("`resource_group` is deprecated"), "{human}");
}
