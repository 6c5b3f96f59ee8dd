//! Params: defaults < var files (in order) < `--var` (in order); typed
//! parsing of `--var`; unknown and missing variables; module instances.

use hybridk8s::dsl::{self, Options};
use hybridk8s::graph::{Address, Kind, Value};
use std::path::{Path, PathBuf};

const PROGRAM: &str = r#"
param env: string = "dev"
param cluster_cidr: cidr = 10.40.0.0/16
param max_nodes: number = 10
param servers: list(ip) = []

cluster_network aks {
  name           = "k8s-${env}-vnet"
  resource_group_name = "rg"
  location       = "westeurope"
  address_space  = [cluster_cidr]
  max_nodes      = max_nodes
  dns_servers    = servers
}
"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

fn aks(opts: &Options, dir: &Path) -> (String, Value, i64) {
    let path = write(dir, "main.hk", PROGRAM);
    let p = dsl::load(&path, opts).unwrap_or_else(|e| panic!("{}", e.render_plain()));
    let r = p.graph.get(&Address::new(Kind::ClusterNetwork, "aks")).expect("aks");
    (
        r.str("name").expect("name").to_string(),
        r.get("address_space").clone(),
        r.int("max_nodes").expect("max_nodes"),
    )
}

fn vars(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[test]
fn defaults_apply() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (name, space, n) = aks(&Options::default(), dir.path());
    assert_eq!(name, "k8s-dev-vnet");
    assert_eq!(space, Value::list_of_str(["10.40.0.0/16"]));
    assert_eq!(n, 10);
}

#[test]
fn var_files_in_order_then_vars_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f1 = write(
        dir.path(),
        "a.hkvars",
        "env = \"a\"\ncluster_cidr = 10.41.0.0/16\nmax_nodes = 20\n",
    );
    let f2 = write(dir.path(), "b.hkvars", "# later files win\nenv = b, max_nodes = 30\n");
    let opts = Options {
        var_files: vec![f1.clone(), f2.clone()],
        ..Options::default()
    };
    assert_eq!(
        aks(&opts, dir.path()),
        ("k8s-b-vnet".into(), Value::list_of_str(["10.41.0.0/16"]), 30)
    );
    let opts = Options {
        var_files: vec![f1, f2],
        vars: vars(&[("max_nodes", "40"), ("env", "cli"), ("max_nodes", "50")]),
        ..Options::default()
    };
    assert_eq!(
        aks(&opts, dir.path()),
        ("k8s-cli-vnet".into(), Value::list_of_str(["10.41.0.0/16"]), 50)
    );
}

#[test]
fn vars_are_parsed_by_type() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = Options {
        vars: vars(&[("cluster_cidr", "10.44.0.0/16"), ("servers", "[10.1.0.4, 10.1.0.5]")]),
        ..Options::default()
    };
    let (_, space, _) = aks(&opts, dir.path());
    assert_eq!(space, Value::list_of_str(["10.44.0.0/16"]));

    let opts = Options {
        vars: vars(&[("cluster_cidr", "10.44.0.1"), ("max_nodes", "many"), ("envv", "x")]),
        ..Options::default()
    };
    let path = write(dir.path(), "main.hk", PROGRAM);
    let e = dsl::load(&path, &opts).unwrap_err();
    let text = e.render_plain();
    assert_eq!(e.problems.len(), 3, "{text}");
    assert!(text.contains("expected cidr, found an IP address"), "{text}");
    assert!(text.contains("--var cluster_cidr"), "{text}");
    assert!(text.contains("expected number"), "{text}");
    assert!(
        text.contains("unknown variable `envv`") && text.contains("did you mean `env`?"),
        "{text}"
    );
}

#[test]
fn var_file_errors_point_into_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(
        dir.path(),
        "bad.hkvars",
        "env = \"x\"\nmax_nodez = 3\ncluster_cidr = \"nope\"\n",
    );
    let path = write(dir.path(), "main.hk", PROGRAM);
    let opts = Options {
        var_files: vec![f, dir.path().join("missing.hkvars")],
        ..Options::default()
    };
    let text = dsl::load(&path, &opts).unwrap_err().render_plain();
    assert!(text.contains("bad.hkvars:2:1"), "{text}");
    assert!(text.contains("did you mean `max_nodes`?"), "{text}");
    assert!(text.contains("bad.hkvars:3:16"), "{text}");
    assert!(text.contains("cannot read var file"), "{text}");
}

#[test]
fn required_param_from_var() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(
        dir.path(),
        "req.hk",
        "param env: string\nonprem corp {\n  name = env\n  address_space = [10.0.0.0/8]\n}\n",
    );
    assert!(dsl::load(&path, &Options::default()).is_err());
    let opts = Options {
        vars: vars(&[("env", "prod")]),
        ..Options::default()
    };
    let p = dsl::load(&path, &opts).expect("loads");
    assert_eq!(
        p.graph
            .get(&Address::new(Kind::Onprem, "corp"))
            .and_then(|r| r.str("name")),
        Some("prod")
    );
}

#[test]
fn a_module_twice_gives_distinct_addresses() {
    let p = dsl::load(
        Path::new("tests/fixtures/dsl/good/modules_twice.hk"),
        &Options::default(),
    )
    .expect("loads");
    let addrs: Vec<String> = p.graph.sorted().iter().map(|r| r.address.to_string()).collect();
    assert_eq!(
        addrs,
        ["module.dev.cluster_network.aks", "module.prod.cluster_network.aks"]
    );
    let get = |m: &str| {
        let a = Address::new(Kind::ClusterNetwork, "aks").in_module(&[m.to_string()]);
        p.graph.get(&a).expect("instance").clone()
    };
    assert_eq!(get("dev").str("name"), Some("k8s-dev-vnet"));
    assert_eq!(get("prod").str("name"), Some("k8s-prod-vnet"));
    assert_eq!(get("prod").int("max_nodes"), Some(100));
    assert_eq!(get("dev").int("max_nodes"), Some(20));
}

#[test]
fn module_arguments_may_read_parent_resources() {
    let p = dsl::load(Path::new("examples/environments.hk"), &Options::default()).expect("loads");
    let a: Address = "module.staging.cluster_network.aks".parse().expect("address");
    let r = p.graph.get(&a).expect("staging cluster");
    assert_eq!(r.get("avoid"), &Value::list_of_str(["10.0.0.0/12", "192.168.0.0/16"]));
    assert!(r.depends_on.contains(&Address::new(Kind::Onprem, "corp")));
}
