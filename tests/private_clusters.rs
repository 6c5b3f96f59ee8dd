//! Private clusters and the DNS picture around them: every refusal at its
//! source (snapshots), the AKS#4841 failure refused at plan with the fix in
//! the hint, a clean private cluster with custom DNS, a hub resolver and a
//! linked zone that checks, plans and applies on the local fabric (its API
//! server subnet delegated there), forwarding loops with their cycle, and
//! the custom-DNS advice said once per VNET.

use hybridk8s::dsl::{self, Files, Options, Program};
use hybridk8s::graph::{self, Diagnostics};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const FIXTURES: &str = "tests/fixtures/private";

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(Path::new(FIXTURES).join(dir))
        .expect("fixture dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "hk"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {dir}");
    files
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

fn load_file(p: &Path) -> Program {
    dsl::load(p, &Options::default()).unwrap_or_else(|e| panic!("{}: {}", p.display(), e.render_plain()))
}

fn load(src: &str) -> Program {
    let files = Files::memory([("/t/main.hk", src)]);
    dsl::load_from(Path::new("/t/main.hk"), &Options::default(), &files)
        .unwrap_or_else(|e| panic!("{}", e.render_plain()))
}

fn codes(d: &Diagnostics) -> Vec<&'static str> {
    d.iter().map(|d| d.code).collect()
}

#[test]
fn each_refusal_renders_at_its_source() {
    for path in fixtures("bad") {
        let program = load_file(&path);
        let diags = graph::check(&program.graph);
        assert!(diags.has_errors(), "{} should fail", path.display());
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        settings().bind(|| insta::assert_snapshot!(format!("private_bad_{stem}"), program.render_plain(&diags)));
    }
}

#[test]
fn each_refusal_has_its_own_code() {
    let expect = [
        ("aks4841_custom_dns", "private-zone-unresolvable"),
        ("api_subnet_missing", "api-server-subnet-missing"),
        ("api_subnet_outside_vnet", "subnet-outside-vnet"),
        ("api_subnet_overlaps_nodes", "subnet-overlap"),
        ("api_subnet_too_small", "api-server-subnet-too-small"),
        ("none_without_fqdn", "private-dns-none-without-fqdn"),
        ("private_zone_without_integration", "private-dns-zone-name"),
        ("subzone_too_long", "private-dns-zone-name"),
        ("zone_not_an_id", "invalid-private-dns-zone"),
        ("zone_not_linked_to_hub", "private-zone-unresolvable"),
        ("zone_other_region", "private-dns-zone-name"),
    ];
    assert_eq!(fixtures("bad").len(), expect.len(), "a fixture without an expectation");
    for (stem, code) in expect {
        let p = load_file(&Path::new(FIXTURES).join("bad").join(format!("{stem}.hk")));
        let d = graph::check(&p.graph);
        let errors: Vec<&str> = d.errors().map(|d| d.code).collect();
        assert_eq!(errors, vec![code], "{stem}:\n{}", p.render_plain(&d));
    }
}

#[test]
fn the_good_program_checks_clean_and_says_the_dns_advice_once_per_vnet() {
    let p = load_file(&Path::new(FIXTURES).join("good/hub_resolver.hk"));
    let d = graph::check(&p.graph);
    assert!(!d.has_errors(), "{}", p.render_plain(&d));
    // Both VNETs use custom DNS: one DHCP note each, and no forwarding
    // advice (the site already forwards the Azure zones to the hub).
    let notes: Vec<_> = d.iter().filter(|d| d.code == "vnet-dns-change").collect();
    assert_eq!(notes.len(), 2, "{}", p.render_plain(&d));
    assert!(notes.iter().all(|n| n.hint.is_none()), "{}", p.render_plain(&d));
    settings().bind(|| insta::assert_snapshot!("private_good_hub_resolver_check", p.render_plain(&d)));
}

// ---- the CLI on the local fabric -------------------------------------------

struct Work {
    dir: tempfile::TempDir,
}

impl Work {
    fn new(files: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        for f in files {
            let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURES).join(f);
            std::fs::copy(&src, dir.path().join(Path::new(f).file_name().unwrap())).unwrap();
        }
        Work { dir }
    }

    fn hk(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_hybridk8s"))
            .args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env_remove("HYBRIDK8S_STATE")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.hk(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}:\n{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn aks4841_is_refused_at_plan_with_the_fix_in_the_hint() {
    let w = Work::new(&["bad/aks4841_custom_dns.hk"]);
    let out = w.hk(&["plan", "aks4841_custom_dns.hk"]);
    assert_eq!(out.status.code(), Some(1), "{}{}", text(&out.stdout), text(&out.stderr));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(all.contains("unable to resolve the API server name"), "{all}");
    assert!(all.contains("AKS#4841"), "{all}");
    for step in [
        "private_dns_zone_ids",
        "dns_resolver_ips",
        "dns_forwarders",
        "168.63.129.16",
    ] {
        assert!(all.contains(step), "the hint names {step}:\n{all}");
    }
    // Nothing was created.
    assert!(
        !w.dir.path().join(".hybridk8s/fabric.db").exists() || {
            let dump = w.ok(&["fabric", "dump", "--json"]);
            !dump.contains("aks-private-vnet")
        }
    );
}

#[test]
fn a_private_cluster_with_a_hub_resolver_checks_plans_and_applies() {
    let w = Work::new(&["good/hub_resolver.hk"]);
    w.ok(&["check", "hub_resolver.hk"]);
    let plan = w.ok(&["plan", "hub_resolver.hk"]);
    assert!(plan.contains("cluster_network.aks_vi"), "{plan}");
    w.ok(&["apply", "hub_resolver.hk", "--auto-approve"]);
    let again = w.ok(&["plan", "hub_resolver.hk"]);
    assert!(again.contains("No changes"), "{again}");

    let dump: serde_json::Value = serde_json::from_str(&w.ok(&["fabric", "dump", "--json"])).unwrap();
    let vnet = |name: &str| {
        dump["vnets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {dump}"))
            .clone()
    };
    let vi = vnet("aks-vi-vnet");
    let subnets = vi["subnets"].as_array().unwrap();
    let api = subnets
        .iter()
        .find(|s| s["name"] == "apiserver")
        .expect("the API server subnet");
    assert_eq!(api["cidr"], "10.41.8.0/28");
    assert_eq!(api["delegation"], "Microsoft.ContainerService/managedClusters");
    assert!(subnets
        .iter()
        .filter(|s| s["name"] != "apiserver")
        .all(|s| s.get("delegation").is_none()));
    assert_eq!(vi["dns_servers"], serde_json::json!(["10.1.0.4", "10.1.0.5"]));
    let aks = vnet("aks-private-vnet");
    assert!(aks["subnets"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["name"] != "apiserver"));

    let id = w.ok(&[
        "output",
        "hub_resolver.hk",
        "cluster_network.aks_vi.api_server_subnet_id",
    ]);
    assert!(
        id.trim().ends_with("/virtualNetworks/aks-vi-vnet/subnets/apiserver"),
        "{id}"
    );
    w.ok(&["destroy", "hub_resolver.hk", "--auto-approve"]);
}

#[tokio::test]
async fn the_fabric_refuses_a_delegated_api_server_subnet_below_a_28() {
    use hybridk8s::backend::local::LocalFabric;
    use hybridk8s::backend::{Backend, OpCtx};
    use hybridk8s::graph::Kind;
    let src = std::fs::read_to_string(Path::new(FIXTURES).join("bad/api_subnet_too_small.hk")).unwrap();
    let p = load(&src);
    let r = p.graph.iter().find(|r| r.kind() == Kind::ClusterNetwork).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let f = LocalFabric::open(dir.path().join("fabric.db")).unwrap();
    let err = f
        .create(&OpCtx::new("t"), Kind::ClusterNetwork, &r.attrs)
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("must be at least a /28"), "{msg}");
    assert!(msg.contains("NetcfgInvalidSubnet"), "{msg}");
}

// ---- forwarding loops and the once-only advice ------------------------------

const SITE: &str = r#"
onprem corp {
  address_space  = [10.0.0.0/12]
  dns_servers    = [10.1.0.4]
  dns_forwarders = [FORWARDERS]
}

hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
  gateway             = vpn
  dns_resolver_ips    = [10.20.1.4]
  dns_forwarders      = [RULESET]
}

cluster_network aks {
  name                = "aks-vnet"
  resource_group_name = "aks-rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  max_nodes           = 10
  service_cidr        = 172.16.0.0/16
  dns_servers         = [10.1.0.4]
  avoid               = [corp]
}

peering aks_hub {
  cluster             = aks
  hub                 = hub
  use_remote_gateways = true
}
"#;

fn site(forwarders: &str, ruleset: &str, extra: &str) -> String {
    format!(
        "{}{extra}",
        SITE.replace("FORWARDERS", forwarders).replace("RULESET", ruleset)
    )
}

#[test]
fn a_forwarding_loop_between_the_site_and_the_hub_is_reported_with_its_cycle() {
    let p = load(&site(
        r#"{ zone = "privatelink.westeurope.azmk8s.io", targets = [10.20.1.4] }"#,
        r#"{ zone = "azmk8s.io", targets = [10.1.0.4] }"#,
        "",
    ));
    let d = graph::check(&p.graph);
    let loops: Vec<_> = d.iter().filter(|d| d.code == "dns-forwarding-loop").collect();
    assert_eq!(loops.len(), 1, "{}", p.render_plain(&d));
    assert_eq!(
        loops[0].summary,
        "DNS forwarding loop for `privatelink.westeurope.azmk8s.io`: 10.20.1.4 (hub.hub) → 10.1.0.4 (onprem.corp) → 10.20.1.4 (hub.hub)"
    );
    assert!(loops[0].is_error());
    settings().bind(|| insta::assert_snapshot!("private_dns_forwarding_loop", p.render_plain(&d)));

    // The hub resolver answering the zone itself ends the loop.
    let fixed = load(&site(
        r#"{ zone = "privatelink.westeurope.azmk8s.io", targets = [10.20.1.4] }"#,
        r#"{ zone = "my-company.local", targets = [10.1.0.4] }"#,
        "",
    ));
    assert!(!codes(&graph::check(&fixed.graph)).contains(&"dns-forwarding-loop"));
}

#[test]
fn a_dns_upstream_forwarding_into_a_loop_is_named_in_it() {
    let upstream = r#"
dns_upstream aks_dns {
  cluster      = aks
  flavor       = coredns_aks
  stub_domains = { "my-company.local" = [10.20.1.4] }
}
"#;
    let p = load(&site(
        r#"{ zone = "my-company.local", targets = [10.20.1.4] }"#,
        r#"{ zone = "my-company.local", targets = [10.1.0.4] }"#,
        upstream,
    ));
    let d = graph::check(&p.graph);
    let loops: Vec<_> = d.iter().filter(|d| d.code == "dns-forwarding-loop").collect();
    assert_eq!(
        loops.len(),
        1,
        "one cycle, found from three places, said once:\n{}",
        p.render_plain(&d)
    );
    assert!(loops[0].summary.contains("my-company.local"), "{}", loops[0].summary);
    assert!(
        loops[0]
            .related
            .iter()
            .any(|r| r.address.to_string() == "dns_upstream.aks_dns"),
        "{}",
        p.render_plain(&d)
    );
}

#[test]
fn the_custom_dns_advice_is_said_once_per_vnet_and_points_at_the_hub() {
    // Two servers, the cluster's own list and a dns_upstream setting the same
    // ones: one warning for the VNET.
    let upstream = r#"
dns_upstream aks_dns {
  cluster     = aks
  flavor      = coredns_aks
  nameservers = [10.1.0.4, 10.1.0.5]
}
"#;
    let src = site(
        r#"{ zone = "my-company.local", targets = [10.1.0.5] }"#,
        r#"{ zone = "corp.example", targets = [10.1.0.4] }"#,
        upstream,
    )
    .replace(
        "dns_servers         = [10.1.0.4]",
        "dns_servers         = [10.1.0.4, 10.1.0.5]",
    )
    .replace("dns_servers    = [10.1.0.4]", "dns_servers    = [10.1.0.4, 10.1.0.5]");
    let p = load(&src);
    let d = graph::check(&p.graph);
    let notes: Vec<_> = d.iter().filter(|d| d.code == "vnet-dns-change").collect();
    assert_eq!(notes.len(), 1, "{}", p.render_plain(&d));
    let hint = notes[0].hint.as_deref().unwrap_or_default();
    assert!(hint.contains("cannot reach Azure DNS (168.63.129.16"), "{hint}");
    assert!(hint.contains("privatelink.westeurope.azmk8s.io"), "{hint}");
    assert!(hint.contains("resolver in the hub"), "{hint}");
    assert!(!hint.contains("must forward Azure zones to 168.63.129.16"), "{hint}");
    settings().bind(|| insta::assert_snapshot!("private_dns_advice_once", p.render_plain(&d)));
}

#[test]
fn unreachable_vnet_dns_servers_are_errors() {
    let base = site(
        r#"{ zone = "my-company.local", targets = [10.1.0.4] }"#,
        r#"{ zone = "corp.example", targets = [10.1.0.4] }"#,
        "",
    );
    // On premises without gateway transit.
    let no_transit = load(&base.replace("use_remote_gateways = true", "use_remote_gateways = false"));
    let d = graph::check(&no_transit.graph);
    let e: Vec<_> = d.iter().filter(|d| d.code == "vnet-dns-unreachable").collect();
    assert_eq!(e.len(), 1, "{}", no_transit.render_plain(&d));
    assert!(e[0].is_error());
    assert!(e[0].summary.contains("on premises (onprem.corp)"), "{}", e[0].summary);
    // In no declared network.
    let nowhere = load(&base.replace(
        "dns_servers         = [10.1.0.4]",
        "dns_servers         = [192.168.7.53]",
    ));
    let d = graph::check(&nowhere.graph);
    let e: Vec<_> = d.iter().filter(|d| d.code == "vnet-dns-unreachable").collect();
    assert_eq!(e.len(), 1, "{}", nowhere.render_plain(&d));
    assert!(e[0].summary.contains("in no declared network"), "{}", e[0].summary);
    // The hub resolver, Azure DNS and the site through the gateway are reached.
    for ok in ["[10.20.1.4]", "[168.63.129.16]", "[10.1.0.4]"] {
        let p = load(&base.replace(
            "dns_servers         = [10.1.0.4]",
            &format!("dns_servers         = {ok}"),
        ));
        assert!(
            !codes(&graph::check(&p.graph)).contains(&"vnet-dns-unreachable"),
            "{ok}"
        );
    }
}

// ---- the catalogue rows of this family --------------------------------------

#[test]
fn the_catalogue_examples_of_private_clusters_report_their_code_and_only_the_bad_one() {
    let rows: Vec<_> = graph::catalogue::all()
        .filter(|r| r.id.as_bytes().get(2..4) == Some(b"45") || r.id.as_bytes().get(2..4) == Some(b"46"))
        .collect();
    assert_eq!(rows.len(), 13, "HK450-HK462");
    for r in rows {
        let bad = load(r.bad);
        let bd = graph::check(&bad.graph);
        assert!(
            codes(&bd).contains(&r.code),
            "{} bad does not report {}:\n{}",
            r.id,
            r.code,
            bad.render_plain(&bd)
        );
        let good = load(r.good);
        let gd = graph::check(&good.graph);
        assert!(
            !codes(&gd).contains(&r.code),
            "{} good reports {}:\n{}",
            r.id,
            r.code,
            good.render_plain(&gd)
        );
        assert!(
            !gd.has_errors(),
            "{} good has errors:\n{}",
            r.id,
            good.render_plain(&gd)
        );
    }
}
