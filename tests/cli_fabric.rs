//! `hybridk8s plan/apply/destroy/state/import/fabric` end to end on a real
//! SQLite fabric in a temp dir: the Quick-start path, updates vs replaces,
//! drift, concurrent processes and a kill in the middle of an apply.

#[path = "support/edit.rs"]
mod support_edit;

use hybridk8s::backend::id::PeeringId;
use hybridk8s::backend::local::LocalFabric;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

struct Work {
    dir: tempfile::TempDir,
}

impl Work {
    /// A working directory holding a copy of the examples.
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for f in ["hybrid.hk", "env.hk", "environments.hk"] {
            std::fs::copy(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(f),
                dir.path().join(f),
            )
            .unwrap();
        }
        Work { dir }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_hybridk8s"));
        c.args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env_remove("HYBRIDK8S_STATE");
        c
    }

    fn hk(&self, args: &[&str]) -> Output {
        self.cmd(args).stdin(Stdio::null()).output().unwrap()
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

    /// Waits (up to 10 s) until the running apply's stack records `n`
    /// resources; fails the test when it makes no progress.
    fn wait_for_recorded(&self, n: usize) {
        for _ in 0..400 {
            std::thread::sleep(std::time::Duration::from_millis(25));
            if self.db().exists() {
                let listed = self.hk(&["state", "list", "--stack", "hybrid.hk"]);
                if text(&listed.stdout).lines().count() >= n {
                    return;
                }
            }
        }
        panic!("the apply made no progress");
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join(".hybridk8s/fabric.db")
    }

    fn edit(&self, from: &str, to: &str) {
        let p = self.dir.path().join("hybrid.hk");
        let s = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, support_edit::edit(&s, from, to)).unwrap();
    }

    fn dump(&self) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["fabric", "dump", "--json"])).unwrap()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn plan_json(w: &Work) -> serde_json::Value {
    serde_json::from_str(&w.ok(&["plan", "hybrid.hk", "--json"])).unwrap()
}

fn action_of(plan: &serde_json::Value, address: &str) -> String {
    plan["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == address)
        .unwrap()["action"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn apply_plan_update_replace_destroy() {
    let w = Work::new();
    let out = w.ok(&["apply", "hybrid.hk", "--auto-approve"]);
    assert!(
        out.contains("Apply complete! Resources: 9 added, 0 changed, 0 destroyed."),
        "{out}"
    );
    assert!(out.contains("peering.aks_hub: created ("), "{out}");
    // The database file is private.
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(w.db()).unwrap().permissions().mode() & 0o777, 0o600);

    let out = w.hk(&["plan", "hybrid.hk", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("No changes."));

    let dump = w.dump();
    let peerings = dump["peerings"].as_array().unwrap();
    assert_eq!(peerings.len(), 2, "both sides: {peerings:?}");
    assert!(peerings.iter().all(|p| p["peering_state"] == "Connected"));

    // Update in place.
    w.edit("max_nodes       = 50", "max_nodes       = 60");
    let out = w.hk(&["plan", "hybrid.hk", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains("cluster_network.aks will be updated in place"));
    assert_eq!(action_of(&plan_json(&w), "cluster_network.aks"), "update");
    w.ok(&["apply", "hybrid.hk", "--auto-approve"]);

    // A location change needs a new VNET: the cluster network is replaced
    // with what lives in it, in one apply.
    w.edit(
        "resource_group_name = \"k8s-${env}-rg\"\n  location = \"westeurope\"",
        "resource_group_name = \"k8s-${env}-rg\"\n  location = \"northeurope\"",
    );
    let plan = plan_json(&w);
    assert_eq!(action_of(&plan, "cluster_network.aks"), "replace");
    assert_eq!(action_of(&plan, "peering.aks_hub"), "replace");
    let out = w.ok(&["plan", "hybrid.hk"]);
    assert!(out.contains("cluster_network.aks must be replaced"), "{out}");
    assert!(out.contains("# forces replacement"), "{out}");
    w.ok(&["apply", "hybrid.hk", "--auto-approve"]);
    assert!(w.dump().to_string().contains("northeurope"));
    assert_eq!(
        w.hk(&["plan", "hybrid.hk", "--detailed-exitcode"]).status.code(),
        Some(0)
    );

    let out = w.ok(&["destroy", "hybrid.hk", "--auto-approve"]);
    assert!(out.contains("Destroy complete! Resources: 9 destroyed."), "{out}");
    assert!(hybridk8s::backend::local::dump_is_empty(&w.dump()), "{}", w.dump());
    assert_eq!(w.ok(&["state", "list"]).trim(), "");
}

#[test]
fn max_nodes_30_40_20_never_replaces_the_vnet() {
    let w = Work::new();
    w.edit("max_nodes       = 50", "max_nodes       = 30");
    w.ok(&["apply", "hybrid.hk", "--auto-approve"]);
    let subnet = |w: &Work| {
        let d = w.dump();
        let v = d["vnets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["role"] == "cluster")
            .cloned();
        v.unwrap()["subnets"][0]["cidr"].as_str().unwrap().to_string()
    };
    assert_eq!(subnet(&w), "10.40.0.0/22");

    // 40 nodes need a /21: a plan error with the numbers and the ways out.
    w.edit("max_nodes       = 30", "max_nodes       = 40");
    let out = w.hk(&["plan", "hybrid.hk"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}{err}", text(&out.stdout));
    assert!(err.contains("needs 1,277 addresses (/21)"), "{err}");
    assert!(
        err.contains("node subnet 10.40.0.0/22") && err.contains("holds 1,019"),
        "{err}"
    );
    assert!(err.contains("blue/green"), "{err}");
    assert!(!text(&out.stdout).contains("replace"), "{}", text(&out.stdout));

    // 20 fit the /22: in place.
    w.edit("max_nodes       = 40", "max_nodes       = 20");
    let plan = plan_json(&w);
    assert_eq!(action_of(&plan, "cluster_network.aks"), "update", "{plan:#}");
    assert_eq!(plan["summary"]["replace"], 0, "{plan:#}");
    w.ok(&["apply", "hybrid.hk", "--auto-approve"]);
    assert_eq!(subnet(&w), "10.40.0.0/22");
    assert_eq!(
        w.hk(&["plan", "hybrid.hk", "--detailed-exitcode"]).status.code(),
        Some(0)
    );
}

#[test]
fn drift_replaces_a_disconnected_peering() {
    let w = Work::new();
    w.ok(&["apply", "hybrid.hk", "--auto-approve"]);
    let show = w.ok(&["state", "show", "peering.aks_hub"]);
    let hub_side = show
        .lines()
        .find(|l| l.starts_with("hub_peering_id"))
        .unwrap()
        .split('"')
        .nth(1)
        .unwrap()
        .to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let fabric = LocalFabric::open(w.db()).unwrap();
        fabric
            .delete_peering_side(&hub_side.parse::<PeeringId>().unwrap())
            .await
            .unwrap();
    });
    let dump = w.dump();
    assert_eq!(dump["peerings"].as_array().unwrap().len(), 1);
    assert_eq!(dump["peerings"][0]["peering_state"], "Disconnected");
    let plan = plan_json(&w);
    assert_eq!(action_of(&plan, "peering.aks_hub"), "replace", "{plan:#}");
    w.ok(&["apply", "hybrid.hk", "--auto-approve"]);
    let dump = w.dump();
    assert!(dump["peerings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["peering_state"] == "Connected"));
    assert_eq!(
        w.hk(&["plan", "hybrid.hk", "--detailed-exitcode"]).status.code(),
        Some(0)
    );
}

#[test]
fn apply_refuses_without_a_terminal_or_approval() {
    let w = Work::new();
    let out = w.hk(&["apply", "hybrid.hk"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--auto-approve"), "{}", text(&out.stderr));
    assert!(w.dump()["vnets"].as_array().unwrap().is_empty());
}

#[test]
fn import_brings_an_object_under_a_stack() {
    let w = Work::new();
    w.ok(&["apply", "hybrid.hk", "--auto-approve"]);
    let id = w
        .ok(&["state", "show", "hub.hub"])
        .lines()
        .find(|l| l.starts_with("id "))
        .unwrap()
        .split('"')
        .nth(1)
        .unwrap()
        .to_string();
    // Another stack cannot take the hub: import names the owner and records nothing.
    let out = w.hk(&["import", "hub.hub", &id, "--stack", "adopted"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("owned by stack") && err.contains("hybrid"), "{err}");
    let listed = w.hk(&["state", "list", "--stack", "adopted"]);
    assert_eq!(text(&listed.stdout).trim(), "", "{}", text(&listed.stderr));
    // The owning stack has it already.
    let out = w.hk(&["import", "hub.hub", &id, "--stack", "hybrid.hk"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("already managed"), "{}", text(&out.stderr));
    // An object that does not exist cannot be imported.
    let out = w.hk(&[
        "import",
        "hub.other",
        "/subscriptions/x/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/none",
        "--stack",
        "adopted",
    ]);
    assert_eq!(out.status.code(), Some(1));
    // The hub is untouched: the owning stack still plans no change.
    let plan = w.ok(&["plan", "hybrid.hk"]);
    assert!(plan.contains("No changes"), "{plan}");
    // Handing it over: the owner gives it up, the other stack imports it.
    let out = w.ok(&["state", "rm", "hub.hub", "--stack", "hybrid.hk"]);
    assert!(out.contains("removed from stack"), "{out}");
    let before = w.ok(&["fabric", "dump", "--json"]);
    let out = w.ok(&["import", "hub.hub", &id, "--stack", "adopted"]);
    assert!(out.contains("imported"), "{out}");
    assert_eq!(
        w.ok(&["fabric", "dump", "--json"]),
        before,
        "import changes only the owner mark"
    );
    let listed = w.ok(&["state", "list", "--stack", "adopted"]);
    assert_eq!(listed.trim(), "hub.hub");
    // Now the first stack would have to create it, and is told whose it is.
    let out = w.hk(&["plan", "hybrid.hk"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("owned by stack \"adopted\""),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn two_processes_apply_different_stacks_at_once() {
    let w = Work::new();
    std::fs::write(
        w.dir.path().join("other.hk"),
        "module \"./env.hk\" as qa {\n  env          = \"qa\"\n  cluster_cidr = 10.60.0.0/16\n}\n",
    )
    .unwrap();
    let a = w
        .cmd(&["apply", "hybrid.hk", "--auto-approve"])
        .env("HYBRIDK8S_FABRIC_DELAY_MS", "20")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let b = w
        .cmd(&["apply", "other.hk", "--auto-approve"])
        .env("HYBRIDK8S_FABRIC_DELAY_MS", "20")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(
        a.status.success() && b.status.success(),
        "{}\n{}",
        text(&a.stdout),
        text(&b.stdout)
    );
    assert_eq!(w.ok(&["state", "list", "--stack", "other.hk"]).lines().count(), 2);
    assert_eq!(
        w.hk(&["plan", "hybrid.hk", "--detailed-exitcode"]).status.code(),
        Some(0)
    );
    assert_eq!(
        w.hk(&["plan", "other.hk", "--detailed-exitcode"]).status.code(),
        Some(0)
    );
}

#[test]
fn the_same_stack_twice_waits_or_fails_clearly() {
    let w = Work::new();
    let slow = w
        .cmd(&["apply", "hybrid.hk", "--auto-approve"])
        .env("HYBRIDK8S_FABRIC_DELAY_MS", "300")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the first process holds the lock (it writes the stack row).
    let mut locked = false;
    for _ in 0..200 {
        std::thread::sleep(std::time::Duration::from_millis(25));
        if w.db().exists() && w.hk(&["state", "list", "--stack", "hybrid.hk"]).status.success() {
            locked = true;
            break;
        }
    }
    assert!(locked, "the first apply never started");
    let second = w.hk(&["apply", "hybrid.hk", "--auto-approve", "--lock-timeout", "0"]);
    assert_eq!(second.status.code(), Some(1));
    assert!(
        text(&second.stderr).contains("stack `hybrid.hk` is locked by pid"),
        "{}",
        text(&second.stderr)
    );
    assert!(slow.wait_with_output().unwrap().status.success());
    // A waiting apply of the same stack then finds nothing to do.
    let out = w.ok(&["apply", "hybrid.hk", "--auto-approve", "--lock-timeout", "30"]);
    assert!(out.starts_with("No changes."), "{out}");
}

#[test]
fn a_killed_apply_leaves_a_database_that_converges() {
    let w = Work::new();
    let mut child = w
        .cmd(&["apply", "hybrid.hk", "--auto-approve", "--parallelism", "1"])
        .env("HYBRIDK8S_FABRIC_DELAY_MS", "150")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Kill it once some resources exist.
    w.wait_for_recorded(3);
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    let status = child.wait().unwrap();
    assert!(!status.success());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async { LocalFabric::open(w.db()).unwrap().integrity_check().await.unwrap() });
    // The dead process's lock is taken over; the re-apply converges.
    let out = w.ok(&["apply", "hybrid.hk", "--auto-approve", "--lock-timeout", "10"]);
    assert!(out.contains("Apply complete!"), "{out}");
    assert_eq!(
        w.hk(&["plan", "hybrid.hk", "--detailed-exitcode"]).status.code(),
        Some(0)
    );
    assert_eq!(w.dump()["peerings"].as_array().unwrap().len(), 2);
}

#[test]
fn ctrl_c_stops_an_apply_and_the_state_matches_the_fabric() {
    let w = Work::new();
    let child = w
        .cmd(&["apply", "hybrid.hk", "--auto-approve", "--parallelism", "1"])
        .env("HYBRIDK8S_FABRIC_DELAY_MS", "200")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    w.wait_for_recorded(2);
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("Interrupt received"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("cancelled before it started"),
        "{}",
        text(&out.stdout)
    );
    // The report closes with the count of what did not happen.
    let last = text(&out.stdout).lines().last().unwrap_or_default().to_string();
    assert!(last.starts_with("Error: ") && last.contains(" problem"), "{last}");
    // Every recorded resource exists and nothing else of the program does.
    let listed = w.ok(&["state", "list", "--stack", "hybrid.hk"]);
    let recorded = listed.lines().count();
    // (a step waiting when Ctrl-C came is not made, and not recorded)
    assert!((1..10).contains(&recorded), "{listed}");
    let d = w.dump();
    let objects = d["vnets"].as_array().unwrap().len()
        + d["peerings"].as_array().unwrap().len() / 2
        + d["kubernetes_objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["owner_id"].as_str().unwrap().to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
    let declared = listed.lines().filter(|l| l.starts_with("onprem.")).count();
    assert_eq!(objects + declared, recorded, "{listed}\n{d:#}");
    // The next apply finishes the job.
    w.ok(&["apply", "hybrid.hk", "--auto-approve"]);
    assert_eq!(
        w.hk(&["plan", "hybrid.hk", "--detailed-exitcode"]).status.code(),
        Some(0)
    );
}

impl Work {
    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// Runs a command that must fail with exit 1; its stderr.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.hk(args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}:\n{}{err}", text(&out.stdout));
        assert!(!err.contains("panicked"), "{err}");
        err
    }
}

#[test]
fn a_saved_plan_is_applied_as_it_was_made() {
    let w = Work::new();
    w.ok(&["apply", "hybrid.hk", "--auto-approve"]);
    w.edit("max_nodes       = 50", "max_nodes       = 60");
    let out = w.ok(&["plan", "hybrid.hk", "-out", "update.hkplan"]);
    assert!(out.contains("cluster_network.aks will be updated in place"), "{out}");
    let saved = std::fs::read_to_string(w.path("update.hkplan")).unwrap();
    let j: serde_json::Value = serde_json::from_str(&saved).unwrap();
    assert_eq!(j["hybridk8s_plan"], 1);
    assert_eq!(j["stack"], "hybrid.hk");
    assert!(!j["fingerprint"].as_array().unwrap().is_empty());
    // It names no credential.
    assert!(!saved.to_lowercase().contains("secret") && !saved.contains("ARM_"));
    // The program is not read again: a later edit does not reach the apply.
    w.edit("max_nodes       = 60", "max_nodes       = 70");
    let out = w.ok(&["apply", "update.hkplan"]);
    assert!(
        out.contains("Apply complete! Resources: 0 added, 1 changed, 0 destroyed."),
        "{out}"
    );
    assert_eq!(w.ok(&["output", "hybrid.hk", "cluster_network.aks.max_nodes"]), "60\n");
    w.edit("max_nodes       = 70", "max_nodes       = 60");
    assert!(w.ok(&["plan", "hybrid.hk"]).starts_with("No changes."));
    // A plan file is good once: the apply moved the stack on.
    let err = w.fails(&["apply", "update.hkplan"]);
    assert!(err.contains("is stale"), "{err}");
}

#[test]
fn a_saved_plan_is_refused_after_another_apply() {
    let w = Work::new();
    w.ok(&["apply", "hybrid.hk", "--auto-approve"]);
    w.edit("max_nodes       = 50", "max_nodes       = 60");
    w.ok(&["plan", "hybrid.hk", "--out", "p.hkplan"]);
    w.edit("max_nodes       = 60", "max_nodes       = 55");
    w.ok(&["apply", "hybrid.hk", "--auto-approve"]);
    let before = w.dump();
    let err = w.fails(&["apply", "p.hkplan"]);
    assert!(
        err.contains("stack `hybrid.hk` was at serial 1 when the plan was made and is at 2 now"),
        "{err}"
    );
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(w.dump(), before);
    assert_eq!(w.ok(&["output", "hybrid.hk", "cluster_network.aks.max_nodes"]), "55\n");
}

#[test]
fn a_saved_plan_is_refused_after_the_fabric_changed() {
    let w = Work::new();
    w.ok(&["apply", "hybrid.hk", "--auto-approve"]);
    w.edit("max_nodes       = 50", "max_nodes       = 60");
    w.ok(&["plan", "hybrid.hk", "-out=p.hkplan"]);
    // Out of band: one side of the peering goes.
    let hub_side = w.ok(&["output", "hybrid.hk", "peering.aks_hub.hub_peering_id"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let fabric = LocalFabric::open(w.db()).unwrap();
        fabric
            .delete_peering_side(&hub_side.trim().parse::<PeeringId>().unwrap())
            .await
            .unwrap();
    });
    let before = w.dump();
    let err = w.fails(&["apply", "p.hkplan"]);
    assert!(err.contains("the fabric changed since the plan was made"), "{err}");
    assert!(err.contains("peering.aks_hub ("), "{err}");
    assert!(err.contains(") changed in the fabric"), "{err}");
    assert_eq!(w.dump(), before);

    // An object that appears where the plan creates one: another stack
    // takes the IDs first.
    let w = Work::new();
    w.ok(&["plan", "hybrid.hk", "-out", "p.hkplan"]);
    w.ok(&["apply", "hybrid.hk", "--auto-approve", "--stack", "other"]);
    let before = w.dump();
    let err = w.fails(&["apply", "p.hkplan"]);
    assert!(
        err.contains("cluster_network.aks (") && err.contains(") appeared in the fabric"),
        "{err}"
    );
    assert_eq!(w.dump(), before);
    assert_eq!(w.ok(&["state", "list", "--stack", "hybrid.hk"]), "");
}

#[test]
fn damaged_or_foreign_plan_files_are_clear_errors() {
    let w = Work::new();
    w.ok(&["plan", "hybrid.hk", "-out", "p.hkplan"]);
    let good = std::fs::read_to_string(w.path("p.hkplan")).unwrap();
    let write = |name: &str, text: &str| {
        std::fs::write(w.path(name), text).unwrap();
        name.to_string()
    };
    let cut = write("cut.hkplan", &good[..good.len() / 2]);
    let empty = write("empty.hkplan", "");
    let garbage = write("garbage.json", "{ not json");
    let edited = write("edited.hkplan", &good.replacen("\"create\"", "\"delete\"", 1));
    let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
    v["hybridk8s_plan"] = 99.into();
    let future = write("future.hkplan", &v.to_string());
    let other = write("other.json", "{\"format_version\": 1}");
    for (file, says) in [
        (&cut, "damaged or cut short"),
        (&empty, "damaged or cut short"),
        (&garbage, "damaged or cut short"),
        (&edited, "changed after it was written"),
        (&future, "format version 99; this hybridk8s reads version 1 only"),
        (&other, "is not a saved plan of hybridk8s"),
    ] {
        let err = w.fails(&["apply", file]);
        assert!(err.starts_with("error: ") && err.contains(says), "{file}: {err}");
    }
    let err = w.fails(&["apply", "p.hkplan", "--stack", "prod"]);
    assert!(err.contains("is a plan of stack `hybrid.hk`"), "{err}");
    let err = w.fails(&["apply", "p.hkplan", "--state", "elsewhere.db"]);
    assert!(err.contains("was made against the fabric"), "{err}");
    let err = w.fails(&["apply", "p.hkplan", "--var", "env=prod"]);
    assert!(err.contains("is a saved plan"), "{err}");
    assert!(!w.db().exists() && !w.dir.path().join("elsewhere.db").exists());
}

/// `resource_guid` is made up by the fabric at each create.
fn without_guids(s: &str) -> String {
    s.lines()
        .map(|l| match l.split_once("= ") {
            Some((name, _)) if name.trim() == "resource_guid" => format!("{name}= (a GUID)"),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn output_prints_what_the_apply_recorded() {
    let w = Work::new();
    let err = w.fails(&["output", "hybrid.hk"]);
    assert!(err.contains("has never been applied"), "{err}");
    w.ok(&["apply", "hybrid.hk", "--auto-approve"]);
    insta::assert_snapshot!(without_guids(&w.ok(&["output", "hybrid.hk"])));
    let id = w.ok(&["output", "hybrid.hk", "cluster_network.aks.id"]);
    assert!(
        id.starts_with("/subscriptions/") && id.ends_with("/virtualNetworks/k8s-dev-vnet\n"),
        "{id}"
    );
    let all: serde_json::Value = serde_json::from_str(&w.ok(&["output", "hybrid.hk", "--json"])).unwrap();
    assert_eq!(all["cluster_network.aks"]["id"].as_str(), Some(id.trim()));
    let one: serde_json::Value =
        serde_json::from_str(&w.ok(&["output", "hybrid.hk", "peering.aks_hub", "--json"])).unwrap();
    assert_eq!(one, all["peering.aks_hub"]);
    let value: serde_json::Value =
        serde_json::from_str(&w.ok(&["output", "hybrid.hk", "onprem.corp.dns_servers", "--json"])).unwrap();
    assert_eq!(value, serde_json::json!(["10.1.0.4", "10.1.0.5"]));
    let err = w.fails(&["output", "hybrid.hk", "cluster_netwrk.aks"]);
    assert!(
        err.contains("has no resource `cluster_netwrk.aks`; did you mean `cluster_network.aks`?"),
        "{err}"
    );
    let err = w.fails(&["output", "hybrid.hk", "cluster_network.aks.max_node"]);
    assert!(err.contains("did you mean `cluster_network.aks.max_nodes`?"), "{err}");
}

#[test]
fn a_long_apply_shows_progress_on_stderr_one_line_per_step() {
    let w = Work::new();
    // Every change waits 250 ms, one at a time: the apply takes seconds.
    let out = w
        .cmd(&["apply", "hybrid.hk", "--auto-approve", "--parallelism", "1"])
        .env("HYBRIDK8S_FABRIC_DELAY_MS", "250")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = text(&out.stderr);
    // On a pipe: plain lines, one as each step starts and one as it ends.
    assert!(!err.contains('\r'), "{err:?}");
    // The last step starts after eight others of at least 250 ms each.
    let stdout = text(&out.stdout);
    let last = stdout
        .lines()
        .filter_map(|l| l.split_once(": created (").map(|(a, _)| a))
        .last()
        .unwrap();
    assert!(err.contains(&format!("\n{last}: creating…\n")), "{last}: {err}");
    assert!(err.contains(&format!("\n{last}: created in ")), "{last}: {err}");
    let ended: Vec<&str> = err.lines().filter(|l| l.contains(": created in ")).collect();
    for l in &ended {
        let secs = l.rsplit(" in ").next().unwrap();
        assert!(
            secs.ends_with('s') && secs.trim_end_matches('s').parse::<f64>().is_ok(),
            "{l}"
        );
    }
}

#[test]
fn a_long_apply_on_a_terminal_redraws_one_line_and_clears_it() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    }
    let w = Work::new();
    let cmd = format!(
        "{} apply hybrid.hk --auto-approve --parallelism 1",
        env!("CARGO_BIN_EXE_hybridk8s")
    );
    // `script` runs it on a pseudo-terminal (stdout and stderr alike) and
    // copies what it wrote.
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(w.dir.path())
        .env("NO_COLOR", "1")
        .env("HYBRIDK8S_FABRIC_DELAY_MS", "250")
        .env_remove("HYBRIDK8S_STATE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let all = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let redraws: Vec<&str> = all.split("\r\x1b[2K").skip(1).collect();
    assert!(
        redraws
            .iter()
            .any(|r| r.starts_with('[') && r.contains("/9] creating ")),
        "{all:?}"
    );
    // No per-step lines on a terminal: those are for pipes.
    assert!(!all.contains(": creating…"), "{all:?}");
    // The last redraw is the clearing before the report: nothing of the bar is left.
    let tail = all.rsplit("\r\x1b[2K").next().unwrap();
    assert!(!tail.contains("] creating"), "{tail:?}");
    assert!(all.contains("Apply complete!"), "{all:?}");
}

#[test]
fn a_saved_plan_is_refused_when_a_hub_it_looked_up_changed() {
    let w = Work::new();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/existing-hub.hk"),
        w.dir.path().join("existing-hub.hk"),
    )
    .unwrap();
    // hybrid.hk's stack makes the hub existing-hub.hk looks up.
    w.ok(&["apply", "hybrid.hk", "--auto-approve"]);
    let vars = ["--var", "env=test", "--var", "cluster_cidr=10.50.0.0/16"];
    fn plan<'a>(out: &'a str, vars: &[&'a str]) -> Vec<&'a str> {
        [&["plan", "existing-hub.hk", "-out", out][..], vars].concat()
    }
    w.ok(&plan("spoke.hkplan", &vars));
    let j: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(w.path("spoke.hkplan")).unwrap()).unwrap();
    let looked_up = j["fingerprint"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["address"] == "hub.corp_hub")
        .expect("the looked-up hub is fingerprinted");
    assert!(looked_up["digest"].as_str().unwrap().starts_with("sha256:"));
    // The other stack grows the hub: the saved plan read the old one.
    w.edit("address_space  = [10.20.0.0/22]", "address_space  = [10.20.0.0/21]");
    w.ok(&["apply", "hybrid.hk", "--auto-approve"]);
    let before = w.dump();
    let err = w.fails(&["apply", "spoke.hkplan"]);
    assert!(
        err.contains("hub.corp_hub (") && err.contains(") changed in the fabric"),
        "{err}"
    );
    assert_eq!(w.dump(), before);
    // Planned again, it applies; then nothing is left to do.
    w.ok(&plan("again.hkplan", &vars));
    let out = w.ok(&["apply", "again.hkplan"]);
    assert!(out.contains("Apply complete!"), "{out}");
    let out = w.ok(&[&["plan", "existing-hub.hk"][..], &vars[..]].concat());
    assert!(out.starts_with("No changes."), "{out}");
}
