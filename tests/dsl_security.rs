//! Subnet-level security in the DSL, end to end on a real SQLite fabric:
//! `check` of a good and a bad program (snapshot), apply, a clean re-plan, a
//! rule changed in place (the NSG keeps its ID), import, another stack kept
//! out, delete.

#[path = "support/edit.rs"]
mod support_edit;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

struct Work {
    dir: tempfile::TempDir,
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/security")
        .join(name)
}

impl Work {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for f in ["secured.hk", "insecure.hk"] {
            std::fs::copy(fixture(f), dir.path().join(f)).unwrap();
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

    fn dump(&self) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["fabric", "dump", "--json"])).unwrap()
    }

    fn edit(&self, file: &str, from: &str, to: &str) {
        let p = self.dir.path().join(file);
        let t = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, support_edit::edit(&t, from, to)).unwrap();
    }

    fn plan_json(&self, file: &str) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["plan", file, "--json"])).unwrap()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn action_of(plan: &serde_json::Value, address: &str) -> String {
    plan["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == address)
        .unwrap_or_else(|| panic!("{address} not in {plan}"))["action"]
        .as_str()
        .unwrap()
        .to_string()
}

fn state_id(w: &Work, file: &str, address: &str) -> String {
    w.ok(&["state", "show", address, "--stack", file])
        .lines()
        .find(|l| l.trim_start().starts_with("id "))
        .and_then(|l| l.split('"').nth(1))
        .unwrap_or_else(|| panic!("no id for {address}"))
        .to_string()
}

#[test]
fn check_reports_every_security_problem_at_its_place() {
    let w = Work::new();
    assert_eq!(w.hk(&["check", "secured.hk"]).status.code(), Some(0));
    let out = w.hk(&["check", "insecure.hk"]);
    assert_eq!(out.status.code(), Some(1));
    let shown = text(&out.stderr) + &text(&out.stdout);
    let shown = shown.replace(&w.dir.path().display().to_string(), "<dir>");
    insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("security_insecure_check", shown);
    });
    let json: serde_json::Value = serde_json::from_slice(&w.hk(&["check", "insecure.hk", "--json"]).stdout).unwrap();
    let mut codes: Vec<(String, String)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["attribute"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    codes.sort();
    for want in [
        ("nsg-duplicate-priority", "rule[2].priority"),
        ("nsg-priority-out-of-range", "rule[3].priority"),
        ("nsg-duplicate-rule-name", "rule[3].name"),
        ("nsg-invalid-port-range", "rule[2].destination_port_ranges[0]"),
        ("nsg-invalid-address-prefix", "rule[3].source_address_prefixes[0]"),
        ("invalid-value", "rule[3].access"),
        ("nsg-blocks-lb-probes", "rule[0]"),
        ("nsg-blocks-node-traffic", "rule[0]"),
        ("nsg-blocks-api-server", "rule[1]"),
        ("route-duplicate-name", "route[1].name"),
        ("route-duplicate-prefix", "route[1].address_prefix"),
        ("route-next-hop-ip", "route[1].next_hop_type"),
        ("route-next-hop-ip", "route[2].next_hop_ip"),
        ("invalid-value", "route[3].next_hop_type"),
        ("kubenet-route-limit", "route"),
        ("attached-subnet-unknown", "subnet_name"),
        ("kubenet-subnet-without-route-table", "subnets[0].name"),
    ] {
        assert!(
            codes.iter().any(|(c, a)| c == want.0 && a == want.1),
            "{want:?} missing from {codes:?}"
        );
    }
}

#[test]
fn apply_replan_update_in_place_import_and_delete_on_the_local_fabric() {
    let w = Work::new();
    let out = w.ok(&["apply", "secured.hk", "--auto-approve"]);
    assert!(out.contains("Resources: 6 added"), "{out}");
    let dump = w.dump();
    let nsgs = dump["network_security_groups"].as_array().unwrap();
    assert_eq!(nsgs.len(), 1, "{dump}");
    let nsg = &nsgs[0];
    assert_eq!(nsg["subnet_name"], "nodes", "attached to the node subnet: {nsg}");
    assert_eq!(nsg["rule"].as_array().unwrap().len(), 2);
    assert_eq!(nsg["rule"][0]["destination_port_ranges"], serde_json::json!(["443"]));
    let rts = dump["route_tables"].as_array().unwrap();
    assert_eq!(rts[0]["route"][1]["next_hop_ip"], "10.20.0.4");
    assert_eq!(rts[0]["subnet_name"], "nodes");
    let id = state_id(&w, "secured.hk", "network_security_group.nodes");
    assert!(
        id.ends_with("/providers/Microsoft.Network/networkSecurityGroups/k8s-dev-nodes-nsg"),
        "{id}"
    );

    let out = w.hk(&["plan", "secured.hk", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));

    // A rule changes in place: same NSG, new rule.
    w.edit(
        "secured.hk",
        "destination_port_ranges = [\"443\"]",
        "destination_port_ranges = [\"443\", \"8443\"]",
    );
    let plan = w.plan_json("secured.hk");
    assert_eq!(action_of(&plan, "network_security_group.nodes"), "update");
    assert_eq!(action_of(&plan, "cluster_network.aks"), "no-op");
    let out = w.ok(&["apply", "secured.hk", "--auto-approve"]);
    assert!(out.contains("0 added, 1 changed, 0 destroyed"), "{out}");
    assert_eq!(state_id(&w, "secured.hk", "network_security_group.nodes"), id);
    assert_eq!(
        w.dump()["network_security_groups"][0]["rule"][0]["destination_port_ranges"],
        serde_json::json!(["443", "8443"])
    );
    assert_eq!(
        w.hk(&["plan", "secured.hk", "--detailed-exitcode"]).status.code(),
        Some(0)
    );

    // Another stack cannot import it; handed over, it can.
    let out = w.hk(&["import", "network_security_group.nodes", &id, "--stack", "other"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("owned by stack"), "{}", text(&out.stderr));
    w.ok(&["state", "rm", "network_security_group.nodes", "--stack", "secured.hk"]);
    let before = w.dump();
    let out = w.ok(&["import", "network_security_group.nodes", &id, "--stack", "secured.hk"]);
    assert!(out.contains("imported"), "{out}");
    assert_eq!(w.dump(), before, "import changes only the owner mark");
    let out = w.hk(&["plan", "secured.hk", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));

    // Removed from the program: deleted, and the subnet is free again.
    let p = w.dir.path().join("secured.hk");
    let src = std::fs::read_to_string(&p).unwrap();
    let start = src.find("network_security_group nodes").unwrap();
    let end = start + src[start..].find("\n}\n").unwrap() + 3;
    std::fs::write(&p, format!("{}{}", &src[..start], &src[end..])).unwrap();
    let plan = w.plan_json("secured.hk");
    assert_eq!(action_of(&plan, "network_security_group.nodes"), "delete");
    w.ok(&["apply", "secured.hk", "--auto-approve"]);
    assert!(w.dump().get("network_security_groups").is_none(), "{}", w.dump());

    let out = w.ok(&["destroy", "secured.hk", "--auto-approve"]);
    assert!(out.contains("Destroy complete! Resources: 5 destroyed."), "{out}");
    assert!(hybridk8s::backend::local::dump_is_empty(&w.dump()), "{}", w.dump());
}

#[test]
fn the_fabric_refuses_a_second_nsg_on_a_subnet_and_another_stacks_nsg() {
    let w = Work::new();
    w.ok(&["apply", "secured.hk", "--auto-approve"]);
    // A second program (another stack) with an NSG of the same name.
    let src = std::fs::read_to_string(w.dir.path().join("secured.hk")).unwrap();
    let start = src.find("network_security_group nodes").unwrap();
    let end = start + src[start..].find("\n}\n").unwrap() + 3;
    let id = state_id(&w, "secured.hk", "cluster_network.aks");
    let other = src[start..end].replace("cluster             = aks", &format!("cluster_network_id  = \"{id}\""));
    std::fs::write(w.dir.path().join("other.hk"), &other).unwrap();
    let out = w.hk(&["apply", "other.hk", "--auto-approve"]);
    assert_ne!(out.status.code(), Some(0));
    let err = text(&out.stderr) + &text(&out.stdout);
    assert!(
        err.contains("already exists") && err.contains("owned by stack"),
        "{err}"
    );
    // Another name, same subnet: Azure's subnet holds one NSG.
    std::fs::write(
        w.dir.path().join("other.hk"),
        other.replace("k8s-dev-nodes-nsg", "k8s-dev-second-nsg"),
    )
    .unwrap();
    let out = w.hk(&["apply", "other.hk", "--auto-approve"]);
    assert_ne!(out.status.code(), Some(0));
    let err = text(&out.stderr) + &text(&out.stdout);
    assert!(err.contains("already associated"), "{err}");
    // The first stack is untouched.
    assert_eq!(
        w.hk(&["plan", "secured.hk", "--detailed-exitcode"]).status.code(),
        Some(0)
    );
}
