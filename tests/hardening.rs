//! Inputs that used to crash, now diagnostics: errors past column 65,535,
//! numbers that overflow the sizing, ranges at the top of the address
//! space, a byte-order mark, non-ASCII text.

use hybridk8s::dsl::{self, Files, Options, Program};
use hybridk8s::graph::{self, Address, AttrPath};
use std::path::Path;
use std::process::{Command, Output};

/// Loads `src` as `/t/main.hk` (in memory) and checks it: every diagnostic
/// code, and the rendered text.
fn check(src: &str) -> (Vec<String>, String) {
    let files = Files::memory([("/t/main.hk", src)]);
    match dsl::load_from(Path::new("/t/main.hk"), &Options::default(), &files) {
        Ok(p) => {
            let d = graph::check(&p.graph);
            (d.iter().map(|d| d.code.to_string()).collect(), p.render_plain(&d))
        }
        Err(e) => (e.problems.iter().map(|p| p.code.clone()).collect(), e.render_plain()),
    }
}

fn load(src: &str) -> Program {
    let files = Files::memory([("/t/main.hk", src)]);
    dsl::load_from(Path::new("/t/main.hk"), &Options::default(), &files)
        .unwrap_or_else(|e| panic!("{}", e.render_plain()))
}

fn cluster(extra: &str) -> String {
    format!(
        "cluster_network aks {{\n  name = \"vnet\"\n  resource_group_name = \"rg\"\n  location = \"westeurope\"\n  address_space = [10.40.0.0/16]\n  {extra}\n}}\n"
    )
}

fn hk_check(src: &str) -> (Output, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("main.hk");
    std::fs::write(&file, src).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_hybridk8s"))
        .arg("check")
        .arg(&file)
        .env("NO_COLOR", "1")
        .output()
        .expect("run hybridk8s");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, err)
}

#[test]
fn a_syntax_error_past_column_65535_renders_a_short_excerpt() {
    let src = format!(
        "onprem corp {{ address_space = [10.0.0.0/12]{} bogus }}\n",
        " ".repeat(70_000)
    );
    let e = dsl::parse(&src, "long.hk").unwrap_err();
    let text = e.render_plain();
    assert!(text.contains("[long.hk:1:70051]"), "{text}");
    assert!(text.lines().all(|l| l.chars().count() < 120), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn a_rule_error_past_column_65535_points_at_the_value() {
    let src = format!(
        "cluster_network aks {{ name = \"{}\" resource_group_name = \"rg\" location = \"l\" address_space = [10.40.0.0/16] max_nodes = 0 }}\n",
        "v".repeat(70_000)
    );
    let (codes, text) = check(&src);
    assert!(codes.contains(&"out-of-range".to_string()), "{codes:?}");
    assert!(text.contains("`max_nodes` is 0"), "{text}");
    assert!(text.contains("[/t/main.hk:1:70118]"), "{text}");
    assert!(text.lines().all(|l| l.chars().count() < 200), "{text}");
}

#[test]
fn the_cli_exits_one_not_101_on_a_long_line() {
    let src = format!(
        "onprem corp {{ address_space = [10.0.0.0/12]{} bogus }}\n",
        " ".repeat(70_000)
    );
    let (out, err) = hk_check(&src);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("dsl::syntax") && err.contains("main.hk:1:70051"), "{err}");
}

#[test]
fn huge_max_nodes_is_an_out_of_range_diagnostic() {
    for v in [
        "1000000000000000000",
        "9223372036854775807",
        "-9223372036854775808",
        "-1",
    ] {
        let (codes, text) = check(&cluster(&format!("max_nodes = {v}")));
        assert!(codes.contains(&"out-of-range".to_string()), "{v}: {codes:?}");
        assert!(
            text.contains(&format!("`max_nodes` is {v}; it must be between 1 and 5000")),
            "{text}"
        );
    }
    let (out, err) = hk_check(&cluster("max_nodes = 1000000000000000000"));
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("must be between 1 and 5000"), "{err}");
}

#[test]
fn every_sizing_input_may_be_huge() {
    for attr in ["surge_nodes", "max_pods", "internal_lb_ips"] {
        for plugin in ["azure_cni", "kubenet"] {
            let src = cluster(&format!(
                "max_nodes = 10  plugin = {plugin}  {attr} = 9223372036854775807"
            ));
            let (codes, text) = check(&src);
            assert!(codes.contains(&"out-of-range".to_string()), "{attr}: {codes:?}");
            assert!(text.contains(&format!("`{attr}` is 9223372036854775807")), "{text}");
        }
    }
    let (codes, _) = check(&cluster("max_nodes = 99999999999999999999"));
    assert_eq!(codes, ["dsl::syntax"]);
}

#[test]
fn a_service_cidr_at_the_top_of_the_address_space() {
    let p = load(&cluster("max_nodes = 10  service_cidr = 255.255.255.0/24"));
    let aks = p
        .graph
        .get(&Address::new(graph::Kind::ClusterNetwork, "aks"))
        .expect("aks");
    assert_eq!(aks.str("dns_service_ip"), Some("255.255.255.10"));
    assert!(!graph::check(&p.graph).has_errors());

    let (codes, text) = check(&cluster("max_nodes = 10  service_cidr = 255.255.255.248/29"));
    assert_eq!(codes, ["service-cidr-too-small"], "{text}");
    assert!(text.contains("255.255.255.248/29 holds 8 addresses"), "{text}");

    let (codes, text) = check(&cluster(
        "max_nodes = 10  service_cidr = 255.255.255.248/29  dns_service_ip = 10.0.0.10",
    ));
    assert_eq!(codes, ["invalid-dns-service-ip"], "{text}");
    assert!(text.contains("has no .10 address; use a /28 or larger"), "{text}");

    let (codes, _) = check(&cluster(
        "max_nodes = 10  service_cidr = 255.255.255.255/32  dns_service_ip = 255.255.255.255",
    ));
    assert_eq!(codes, ["invalid-dns-service-ip"]);
    let (codes, _) = check(&cluster(
        "max_nodes = 10  service_cidr = 255.255.255.254/31  dns_service_ip = 255.255.255.255",
    ));
    assert_eq!(codes, ["invalid-dns-service-ip"]);
}

#[test]
fn ranges_at_the_edges_of_the_address_space() {
    let top = "cluster_network aks {\n  name = \"v\"\n  resource_group_name = \"rg\"\n  location = \"l\"\n  address_space = [255.255.255.0/24]\n  max_nodes = 2\n  plugin = kubenet\n  service_cidr = 10.0.0.0/16\n}\n\
               hub hub {\n  name = \"h\"\n  resource_group_name = \"rg\"\n  location = \"l\"\n  address_space = [255.255.255.0/24]\n  gateway = vpn\n}\n\
               onprem corp { address_space = [255.255.255.255/32] }\n";
    let p = load(top);
    let hub = p.graph.get(&Address::new(graph::Kind::Hub, "hub")).expect("hub");
    assert_eq!(hub.str("gateway_subnet_cidr"), Some("255.255.255.224/27"));
    let (codes, _) = check(top);
    assert!(codes.contains(&"onprem-overlap".to_string()), "{codes:?}");

    let all = "onprem corp { address_space = [0.0.0.0/0] }\n".to_string()
        + &cluster("max_nodes = 10  avoid = [0.0.0.0/0, 255.255.255.255/32]");
    let (codes, text) = check(&all);
    assert!(
        codes.iter().any(|c| c == "onprem-overlap" || c == "avoid-overlap"),
        "{codes:?}\n{text}"
    );
}

#[test]
fn a_byte_order_mark_is_accepted_and_spans_stay_right() {
    let src = format!("\u{feff}{}", cluster("max_nodes = 0"));
    let p = load(&src);
    let aks = Address::new(graph::Kind::ClusterNetwork, "aks");
    let span = p.spans.lookup(&aks, &AttrPath::attr("max_nodes")).expect("span");
    assert_eq!(p.sources.text(span), "0");
    let text = p.render_plain(&graph::check(&p.graph));
    assert!(text.contains("[/t/main.hk:6:15]"), "{text}");
    assert_eq!(
        dsl::format(&src).expect("formats"),
        dsl::format(&src[3..]).expect("formats")
    );
    let (out, err) = hk_check("\u{feff}onprem corp { address_space = [10.0.0.0/12] }\n");
    assert_eq!(out.status.code(), Some(0), "{err}");
}

#[test]
fn a_var_file_may_start_with_a_byte_order_mark() {
    let files = Files::memory([
        (
            "/t/main.hk",
            "param n: number\n".to_string() + &cluster("max_nodes = n"),
        ),
        ("/t/v.hkvars", "\u{feff}n = 7\n".to_string()),
    ]);
    let opts = Options {
        var_files: vec!["/t/v.hkvars".into()],
        ..Options::default()
    };
    let p = dsl::load_from(Path::new("/t/main.hk"), &opts, &files).unwrap_or_else(|e| panic!("{}", e.render_plain()));
    let aks = p
        .graph
        .get(&Address::new(graph::Kind::ClusterNetwork, "aks"))
        .expect("aks");
    assert_eq!(aks.int("max_nodes"), Some(7));
}

#[test]
fn non_ascii_names_get_a_hint_and_columns_count_characters() {
    let (codes, text) = check("# ünïcödé 日本\nonprem cörp { address_space = [10.0.0.0/12] }\n");
    assert_eq!(codes, ["dsl::syntax"]);
    assert!(text.contains("names are ASCII letters"), "{text}");
    assert!(text.contains("[/t/main.hk:2:9]"), "{text}");
    let (_, text) = check("onprem corp { domains = [\"日本\"] x = 日本 }\n");
    assert!(text.contains("[/t/main.hk:1:36]"), "{text}");
}

#[test]
fn multi_byte_text_in_strings_comments_and_long_excerpts() {
    let p = load(&cluster("max_nodes = 3 # 日本語のコメント\n  name2 = 1").replace("  name2 = 1", ""));
    assert_eq!(p.graph.len(), 1);
    let (codes, text) = check(&cluster(&format!(
        "max_nodes = 3  dns_servers = [\"{}\"]",
        "日本".repeat(5000)
    )));
    assert_eq!(codes, ["dsl::type-mismatch"]);
    assert!(text.lines().all(|l| l.chars().count() < 200), "{text}");
    let (codes, _) = check(&format!("{}é = 1", "é".repeat(40_000)));
    assert_eq!(codes, ["dsl::syntax"]);
}

#[test]
fn malformed_numbers_get_a_hint() {
    for v in ["1e30", "1.5", "0x10", "--1", "1E+9"] {
        let (codes, text) = check(&cluster(&format!("max_nodes = {v}")));
        assert_eq!(codes, ["dsl::syntax"], "{v}");
        assert!(text.contains("numbers are whole decimal numbers"), "{v}: {text}");
    }
    let (_, text) = check(&cluster("max_nodes = 10  avoid = [10.0.0/8]"));
    assert!(!text.contains("numbers are whole"), "{text}");
}
