//! The topology picture (`compile --to dot|svg|png`): DOT snapshots of the
//! examples, and SVG/PNG laid out by the real Graphviz, which must hold
//! every network's range. Graphviz is `HYBRIDK8S_DOT` (tests/run.sh sets
//! it) or `dot` on PATH; without it these tests fail, never skip.

use hybridk8s::graph::{Graph, Kind, Value};
use hybridk8s::render::topology::{self, graphviz};
use std::path::Path;
use std::process::{Command, Output};

fn load(example: &str) -> Graph {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(example);
    hybridk8s::dsl::load(&path, &hybridk8s::dsl::Options::default())
        .unwrap_or_else(|e| panic!("{example}: {}", e.render_plain()))
        .graph
}

/// A VPN hub with a further subnet, a cluster with pod and API server
/// subnets and one of its own, a route table, a peering without gateway
/// transit and an internal load balancer at a fixed address.
const SUBNETS: &str = r#"
onprem site {
  address_space = [10.0.0.0/12]
  dns_servers   = [10.1.0.4]
}

hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
  gateway             = vpn
  subnets             = [{ name = "firewall", cidr = 10.20.0.0/26 }]
}

cluster_network aks {
  name                        = "k8s-vnet"
  resource_group_name         = "k8s-rg"
  location                    = "westeurope"
  address_space               = [10.40.0.0/16]
  plugin                      = azure_cni_pod_subnet
  max_nodes                   = 10
  api_server_vnet_integration = true
  api_server_subnet_cidr      = 10.40.100.0/28
  service_cidr                = 172.16.0.0/16
  subnets                     = [{ name = "ingress", cidr = 10.40.200.0/24 }]
}

peering aks_hub {
  cluster = aks
  hub     = hub
}

route_table egress {
  name                = "k8s-egress"
  resource_group_name = "k8s-rg"
  location            = "westeurope"
  cluster             = aks
  bgp_route_propagation_enabled = false
  route = [{ name = "site", address_prefix = 10.0.0.0/12, next_hop_type = "VirtualNetworkGateway" }]
}

lb_service web {
  cluster          = aks
  name             = "web"
  selector         = { app = "web" }
  ports            = [{ port = 443 }]
  internal         = true
  load_balancer_ip = 10.40.0.20
}
"#;

fn load_src(src: &str) -> Graph {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.hk");
    std::fs::write(&path, src).unwrap();
    hybridk8s::dsl::load(&path, &hybridk8s::dsl::Options::default())
        .unwrap_or_else(|e| panic!("{}", e.render_plain()))
        .graph
}

/// Graphviz's `dot`, or a failure saying how to get it.
fn require_graphviz() {
    if let Err(e) = graphviz::binary() {
        panic!("these tests need Graphviz: run them with tests/run.sh (it unpacks Debian's graphviz into target/tools and sets HYBRIDK8S_DOT), or install Graphviz. {e}");
    }
}

fn hk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hybridk8s"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("run hybridk8s")
}

/// Every range and network address the picture must show: address spaces,
/// subnets (the GatewaySubnet too), pod and service ranges, DNS service IPs.
fn ranges(g: &Graph) -> Vec<String> {
    let mut out = Vec::new();
    for r in g.iter() {
        if !matches!(r.kind(), Kind::Onprem | Kind::Hub | Kind::ClusterNetwork) {
            continue;
        }
        out.extend(r.get("address_space").strings().into_iter().map(str::to_string));
        for a in [
            "gateway_subnet_cidr",
            "node_subnet_cidr",
            "pod_subnet_cidr",
            "api_server_subnet_cidr",
            "pod_cidr",
            "service_cidr",
            "dns_service_ip",
        ] {
            if let Some(s) = r.str(a) {
                out.push(s.to_string());
            }
        }
        for s in r.get("subnets").as_list().unwrap_or(&[]) {
            if let Some(Value::String(c)) = s.as_map().and_then(|m| m.get("cidr")) {
                out.push(c.clone());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn dot_of(example: &str, env: Option<&str>) -> String {
    let dot = topology::dot_of(&load(example), env).unwrap();
    assert!(!dot.contains("\\n"), "{example}: a literal \\n in the DOT");
    assert_eq!(
        dot,
        topology::dot_of(&load(example), env).unwrap(),
        "{example}: deterministic"
    );
    dot
}

#[test]
fn dot_of_the_seed_topology() {
    insta::assert_snapshot!(dot_of("hybrid.hk", None));
}

#[test]
fn dot_of_the_environments() {
    insta::assert_snapshot!(dot_of("environments.hk", None));
}

#[test]
fn dot_of_blue_green_shows_both_slots_peered_to_the_hub() {
    let dot = dot_of("blue-green.hk", None);
    for want in [
        "module.blue.cluster_network.aks",
        "module.green.cluster_network.aks",
        "10.16.0.0/16",
        "10.18.0.0/16",
    ] {
        assert!(dot.contains(want), "{want} is not in\n{dot}");
    }
    insta::assert_snapshot!(dot);
}

#[test]
fn dot_of_one_environment_keeps_its_cluster_and_the_shared_site() {
    let dot = dot_of("environments.hk", Some("prod"));
    assert!(
        dot.contains("module.prod.cluster_network.aks") && dot.contains("\"onprem.corp\""),
        "{dot}"
    );
    assert!(!dot.contains("module.staging"), "{dot}");
    insta::assert_snapshot!(dot);
}

#[test]
fn dot_of_the_private_overlay_cluster() {
    insta::assert_snapshot!(dot_of("overlay-cilium.hk", None));
}

#[test]
fn a_looked_up_hub_shows_what_is_known_after_apply() {
    let dot = dot_of("existing-hub.hk", None);
    assert!(dot.contains("existing, looked up"), "{dot}");
    assert!(dot.contains("(known after apply)"), "{dot}");
}

#[test]
fn an_unknown_environment_names_the_programs_environments() {
    let e = topology::picture(&load("environments.hk"), Some("qa")).unwrap_err();
    assert!(e.contains("prod, staging"), "{e}");
    let e = topology::picture(&load("hybrid.hk"), Some("prod")).unwrap_err();
    assert!(e.contains("no module instances"), "{e}");
}

#[test]
fn subnets_attachments_and_a_peering_without_transit_are_drawn() {
    let dot = topology::dot(&topology::whole(&load_src(SUBNETS)));
    for want in [
        "<b>VPN gateway</b>",
        "<b>VPN</b>",
        ">firewall<",
        ">apiserver<",
        ">pods<",
        ">ingress<",
        "route table k8s-egress (1 route), gateway routes off",
        "10.40.0.20",
        "no gateway transit",
        "dir=none",
    ] {
        assert!(dot.contains(want), "{want} is not in\n{dot}");
    }
}

#[test]
fn svg_holds_every_networks_range() {
    require_graphviz();
    let examples = [
        "hybrid.hk",
        "environments.hk",
        "overlay-cilium.hk",
        "existing-hub.hk",
        "address-plan.hk",
        "blue-green.hk",
        "subnets",
    ];
    for example in examples {
        let g = if example == "subnets" {
            load_src(SUBNETS)
        } else {
            load(example)
        };
        let svg = graphviz::render(&topology::dot(&topology::whole(&g)), graphviz::Image::Svg)
            .unwrap_or_else(|e| panic!("{example}: {e}"));
        let svg = String::from_utf8(svg).unwrap();
        assert!(svg.contains("<svg"), "{example}");
        assert!(!svg.contains("\\n"), "{example}: a literal \\n in the SVG");
        let want = ranges(&g);
        assert!(want.len() >= 4, "{example}: {want:?}");
        for range in want {
            assert!(
                svg.contains(&format!(">{range}<")),
                "{example}: {range} is not in the SVG"
            );
        }
    }
}

#[test]
fn compile_draws_png_and_one_picture_per_environment() {
    require_graphviz();
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hybrid.png");
    let out = hk(&[
        "compile",
        "examples/hybrid.hk",
        "--to",
        "png",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::read(&file).unwrap().starts_with(PNG));

    // PNG bytes on stdout when it is not a terminal.
    let out = hk(&["compile", "examples/hybrid.hk", "--to", "png"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.starts_with(PNG));

    let pictures = dir.path().join("pictures/");
    let out = hk(&[
        "compile",
        "examples/environments.hk",
        "--to",
        "svg",
        "-o",
        pictures.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut names: Vec<String> = std::fs::read_dir(&pictures)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["all.svg", "prod.svg", "staging.svg"]);
    let prod = std::fs::read_to_string(pictures.join("prod.svg")).unwrap();
    assert!(
        prod.contains(">10.44.0.0/16<") && !prod.contains("10.42.0.0/16"),
        "prod.svg"
    );
    let all = std::fs::read_to_string(pictures.join("all.svg")).unwrap();
    assert!(
        all.contains(">10.44.0.0/16<") && all.contains(">10.42.0.0/16<"),
        "all.svg"
    );

    let out = hk(&[
        "compile",
        "examples/environments.hk",
        "--to",
        "dot",
        "--environment",
        "staging",
    ]);
    assert!(out.status.success());
    let dot = String::from_utf8(out.stdout).unwrap();
    assert!(dot.starts_with("digraph hybridk8s {") && dot.contains("10.42.0.0/16") && !dot.contains("10.44.0.0/16"));
}

#[test]
fn without_graphviz_svg_is_an_error_that_says_how_to_install_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-dot");
    let out = Command::new(env!("CARGO_BIN_EXE_hybridk8s"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["compile", "examples/hybrid.hk", "--to", "svg"])
        .env("HYBRIDK8S_DOT", &missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("needs Graphviz") && err.contains("apt-get install graphviz") && err.contains("HYBRIDK8S_DOT"),
        "{err}"
    );

    // `--to dot` needs no Graphviz; --environment only goes with pictures.
    let out = Command::new(env!("CARGO_BIN_EXE_hybridk8s"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["compile", "examples/hybrid.hk", "--to", "dot"])
        .env("HYBRIDK8S_DOT", &missing)
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = Command::new(env!("CARGO_BIN_EXE_hybridk8s"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "compile",
            "examples/environments.hk",
            "--to",
            "k8s",
            "--environment",
            "prod",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--environment"));
}

#[test]
fn a_broken_dot_binary_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("dot");
    std::fs::write(&fake, "#!/bin/sh\necho 'syntax error in line 1' >&2\nexit 3\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hybridk8s"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["compile", "examples/hybrid.hk", "--to", "svg"])
        .env("HYBRIDK8S_DOT", &fake)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Graphviz failed") && err.contains("syntax error in line 1"),
        "{err}"
    );
}
