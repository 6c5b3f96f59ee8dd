//! Azure's naming rules and regions, checked at plan for every backend:
//! the DSL reports them at the source (snapshots), the provider at the
//! attribute path, and an invalid name never reaches the fabric.

#[path = "provider_grpc/harness.rs"]
mod harness;

use harness::{cluster, configure, errors, hub, obj, plan, start, Kind, Value};
use hybridk8s::dsl::{self, Options};
use hybridk8s::graph;
use std::path::Path;
use std::process::Command;

fn load(name: &str) -> (dsl::Program, graph::Diagnostics) {
    let path = Path::new("tests/fixtures/names").join(name);
    let program = dsl::load(&path, &Options::default()).unwrap_or_else(|e| panic!("{}", e.render_plain()));
    let diags = graph::check(&program.graph);
    (program, diags)
}

fn codes(d: &graph::Diagnostics) -> Vec<(&'static str, String)> {
    d.iter()
        .filter(|d| d.is_error())
        .map(|d| (d.code, d.path.to_string()))
        .collect()
}

#[test]
fn names_azure_refuses_are_errors_at_their_attribute() {
    let (program, diags) = load("bad_names.hk");
    let mut got = codes(&diags);
    got.sort();
    let want = [
        ("invalid-name", "hub_peering_name"),
        ("invalid-name", "hub_peering_name"),
        ("invalid-name", "name"),
        ("invalid-name", "name"),
        ("invalid-name", "name"),
        ("invalid-name", "name"),
        ("invalid-name", "node_subnet_name"),
        ("invalid-name", "resource_group_name"),
        ("invalid-name", "resource_group_name"),
        ("invalid-name", "subnets[0].name"),
        ("reserved-subnet-name", "subnets[0].name"),
    ];
    let want: Vec<(&str, String)> = want.iter().map(|(c, p)| (*c, p.to_string())).collect();
    assert_eq!(got, want);
    // Every one has a span and a hint in the DSL.
    for p in program.problems(&diags) {
        assert!(p.span.is_some() && p.help.is_some(), "{}: no span or hint", p.message);
    }
    insta::assert_snapshot!(program.render_plain(&diags));
}

#[test]
fn regions_must_be_azure_short_names() {
    let (program, diags) = load("bad_regions.hk");
    let got = codes(&diags);
    assert_eq!(
        got,
        [
            ("unknown-region", "location".to_string()),
            ("unknown-region", "location".to_string()),
            ("region-spelling", "location".to_string()),
        ]
    );
    let text = program.render_plain(&diags);
    assert!(text.contains("did you mean `westeurope`?"), "{text}");
    assert!(text.contains("write `westeurope`"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn names_at_the_edges_of_the_rules_pass() {
    let (program, diags) = load("good_edges.hk");
    assert!(!diags.has_errors(), "{}", program.render_plain(&diags));
}

#[test]
fn the_cli_stops_before_the_fabric() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fabric.db");
    let out = Command::new(env!("CARGO_BIN_EXE_hybridk8s"))
        .args([
            "apply",
            "--auto-approve",
            "tests/fixtures/names/bad_names.hk",
            "--state",
        ])
        .arg(&db)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("ARM_SUBSCRIPTION_ID")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("virtual network name `aks/vnet` holds `/`"), "{err}");
    assert!(!db.exists(), "the fabric was opened for a program with invalid names");
}

#[tokio::test]
async fn the_provider_reports_names_and_regions_at_plan_with_the_path() {
    let mut h = start().await;
    configure(&mut h).await;
    let cases: Vec<(Kind, Value, &str, Vec<&str>)> = vec![
        (
            Kind::ClusterNetwork,
            cluster("10.40.0.0/16", &[("name", Value::str("aks vnet"))]),
            "virtual network name `aks vnet` holds a space",
            vec!["name"],
        ),
        (
            Kind::ClusterNetwork,
            cluster("10.40.0.0/16", &[("location", Value::str("westeruope"))]),
            "location `westeruope` is not an Azure region",
            vec!["location"],
        ),
        (
            Kind::ClusterNetwork,
            cluster(
                "10.40.0.0/16",
                &[(
                    "subnets",
                    Value::List(vec![obj(&[
                        ("name", Value::str("a?b")),
                        ("cidr", Value::str("10.40.200.0/24")),
                    ])]),
                )],
            ),
            "subnet name `a?b` holds `?`",
            vec!["subnets", "[0]", "name"],
        ),
        (
            Kind::Hub,
            {
                let mut m = hub("10.20.0.0/22", "none").as_map().unwrap().clone();
                m.insert("resource_group_name".into(), Value::str("net-rg."));
                Value::Map(m)
            },
            "resource group name `net-rg.` ends with `.`",
            vec!["resource_group_name"],
        ),
    ];
    for (kind, config, summary, path) in cases {
        let p = plan(&mut h, kind, &Value::Null, &config).await;
        let errs = errors(&p.diagnostics);
        assert_eq!(errs.len(), 1, "{summary}: {errs:?}");
        assert!(errs[0].0.contains(summary), "{errs:?}");
        assert_eq!(errs[0].1, path, "{summary}");
    }
}
