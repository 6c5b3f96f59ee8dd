//! The address plan through real Terraform (1.0.3 and the newest): one
//! `hybridk8s_address_plan`, one module (`examples/terraform/modules/
//! environment`) instantiated with `for_each` over its ranges gives dev,
//! qa and prod's blue and green slots, applied into the local fabric with
//! the planned, non-overlapping ranges; the re-plan is empty, and
//! appending an environment adds it without moving the others.

#[path = "terraform/harness.rs"]
mod harness;

use harness::{Terraform, Workspace};
use ipnet::Ipv4Net;
use std::collections::BTreeMap;
use std::path::Path;

fn read(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The workspace holds the root as `work/` beside `modules/environment/`,
/// the layout of `examples/terraform/`.
fn workspace(terraform: Terraform) -> (Workspace, String) {
    let ws = Workspace::new(terraform);
    let main = read("examples/terraform/environments/main.tf");
    ws.write_main(&main);
    let module = ws.dir.parent().unwrap().join("modules/environment");
    std::fs::create_dir_all(&module).unwrap();
    std::fs::write(
        module.join("main.tf"),
        read("examples/terraform/modules/environment/main.tf"),
    )
    .unwrap();
    (ws, main)
}

/// Cluster VNET name → address space, from the fabric.
fn cluster_vnets(ws: &Workspace) -> BTreeMap<String, Vec<String>> {
    let dump = ws.fabric_dump();
    dump["vnets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["name"].as_str().unwrap().starts_with("k8s-"))
        .map(|v| {
            let space = v["address_space"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect();
            (v["name"].as_str().unwrap().to_string(), space)
        })
        .collect()
}

fn ranges_output(ws: &Workspace) -> BTreeMap<String, String> {
    let (out, _) = ws.expect(&["output", "-json", "ranges"], 0);
    serde_json::from_str(&out).unwrap()
}

fn environments(terraform: Terraform) {
    let (ws, main) = workspace(terraform);
    // dev_overrides skip `init`, but modules must still be installed.
    ws.expect(&["get"], 0);
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);

    let planned = ranges_output(&ws);
    let want: BTreeMap<String, String> = [
        ("dev", "10.21.0.0/16"),
        ("qa", "10.22.0.0/16"),
        ("prod", "10.16.0.0/14"),
        ("prod.blue", "10.16.0.0/16"),
        ("prod.green", "10.18.0.0/16"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(planned, want);

    let vnets = cluster_vnets(&ws);
    let got: Vec<(&str, &str)> = vnets.iter().map(|(k, v)| (k.as_str(), v[0].as_str())).collect();
    assert_eq!(
        got,
        [
            ("k8s-dev-vnet", "10.21.0.0/16"),
            ("k8s-prod-blue-vnet", "10.16.0.0/16"),
            ("k8s-prod-green-vnet", "10.18.0.0/16"),
            ("k8s-qa-vnet", "10.22.0.0/16"),
        ]
    );
    // No cluster range overlaps another, on-premises or the hub.
    let mut nets: Vec<Ipv4Net> = vnets.values().map(|v| v[0].parse().unwrap()).collect();
    nets.extend(["10.0.0.0/12", "192.168.0.0/16", "10.20.0.0/22"].map(|s| s.parse::<Ipv4Net>().unwrap()));
    nets.sort();
    for w in nets.windows(2) {
        assert!(!w[0].contains(&w[1].network()), "{} overlaps {}", w[0], w[1]);
    }
    let dump = ws.fabric_dump();
    let peerings = dump["peerings"].as_array().unwrap();
    assert_eq!(peerings.len(), 8, "{dump:#}");
    assert!(peerings.iter().all(|s| s["peering_state"] == "Connected"), "{dump:#}");

    // Appending an environment adds it; nothing already allocated moves.
    let more = main.replace(
        "    headroom = 1\n  }\n}",
        "    headroom = 1\n  }\n\n  environment {\n    name = \"stage\"\n    size = 17\n  }\n}",
    );
    assert_ne!(more, main);
    ws.write_main(&more);
    let (out, _) = ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 2);
    assert!(out.contains("to add, 0 to change, 0 to destroy"), "{out}");
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    let after = ranges_output(&ws);
    for (k, v) in &want {
        assert_eq!(after.get(k), Some(v), "{k} moved: {after:?}");
    }
    assert_eq!(cluster_vnets(&ws).len(), 5);

    // An exhausted plan is an error at the environment that does not fit.
    let tight = more.replace("size = 17", "size = 8");
    ws.write_main(&tight);
    let (_, err) = ws.expect(&["plan", "-input=false"], 1);
    assert!(err.contains("no room for environment `stage`"), "{err}");
    assert!(
        err.contains("the largest free block of 10.0.0.0/8 is 10.128.0.0/9"),
        "{err}"
    );

    ws.write_main(&more);
    ws.expect(&["destroy", "-auto-approve", "-input=false"], 0);
    assert!(cluster_vnets(&ws).is_empty());
}

#[test]
fn environments_terraform_newest() {
    environments(harness::newest());
}

#[test]
fn environments_terraform_1_0_3() {
    environments(harness::v1_0_3());
}
