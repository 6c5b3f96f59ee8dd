//! Stacks from the command line: named by the program's path under the
//! fabric directory (two `main.hk` never share one), read-only commands that
//! create no file, `destroy` of a stack that does not exist, old-style
//! (file stem) stacks, and module instances whose changes stay their own.

#[path = "support/edit.rs"]
mod support_edit;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

struct Work {
    dir: tempfile::TempDir,
}

impl Work {
    fn new() -> Self {
        Work {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.root().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn copy(&self, from: &Path, rel: &str) {
        let text = std::fs::read_to_string(from).unwrap();
        self.write(rel, &text);
    }

    /// Runs in `rel` under the root.
    fn hk_in(&self, rel: &str, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_hybridk8s"))
            .args(args)
            .current_dir(self.root().join(rel))
            .env("NO_COLOR", "1")
            .env_remove("HYBRIDK8S_STATE")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn hk(&self, args: &[&str]) -> Output {
        self.hk_in("", args)
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

    fn plan_json(&self, file: &str) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["plan", file, "--json"])).unwrap()
    }

    /// Every path under the root, sorted.
    fn listing(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                out.push(p.clone());
                if p.is_dir() {
                    walk(&p, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(self.root(), &mut out);
        out.sort();
        out
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name)
}

/// `envs/ENV/main.hk`, one instance of `examples/env.hk`.
fn env_program(env: &str, cidr: &str) -> String {
    format!("module \"../../env.hk\" as {env} {{\n  env          = \"{env}\"\n  cluster_cidr = {cidr}\n}}\n")
}

fn actions(plan: &serde_json::Value) -> Vec<(String, String)> {
    plan["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["address"].as_str().unwrap().into(),
                r["action"].as_str().unwrap().into(),
            )
        })
        .collect()
}

#[test]
fn two_main_hk_are_two_stacks() {
    let w = Work::new();
    w.copy(&example("env.hk"), "env.hk");
    w.write("envs/dev/main.hk", &env_program("dev", "10.42.0.0/16"));
    w.write("envs/prod/main.hk", &env_program("prod", "10.44.0.0/16"));
    let out = w.ok(&["apply", "envs/dev/main.hk", "--auto-approve"]);
    assert!(out.contains("on stack `envs/dev/main.hk`"), "{out}");

    // Planning prod proposes to create prod, and to destroy nothing of dev.
    let plan = w.plan_json("envs/prod/main.hk");
    assert_eq!(plan["stack"], "envs/prod/main.hk");
    let acts = actions(&plan);
    assert_eq!(acts.len(), 2, "{acts:?}");
    assert!(
        acts.iter()
            .all(|(a, act)| a.starts_with("module.prod.") && act == "create"),
        "{acts:?}"
    );
    w.ok(&["apply", "envs/prod/main.hk", "--auto-approve"]);
    let dev = w.ok(&["state", "list", "--stack", "envs/dev/main.hk"]);
    assert_eq!(dev.lines().count(), 2, "{dev}");
    assert!(dev.lines().all(|l| l.starts_with("module.dev.")), "{dev}");

    // The name is relative to the fabric's directory, not to where the command runs.
    let state = w.root().join(".hybridk8s/fabric.db");
    let out = w.hk_in("envs/dev", &["plan", "main.hk", "--state", state.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "No changes. The fabric matches the configuration of stack `envs/dev/main.hk`.\n"
    );

    // Destroying prod leaves dev.
    let out = w.ok(&["destroy", "envs/prod/main.hk", "--auto-approve"]);
    assert!(out.contains("Destroy complete! Resources: 2 destroyed."), "{out}");
    let dump: serde_json::Value = serde_json::from_str(&w.ok(&["fabric", "dump", "--json"])).unwrap();
    let vnets: Vec<&str> = dump["vnets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(vnets, ["k8s-dev-vnet"]);
}

#[test]
fn a_program_outside_the_fabric_directory_is_named_by_its_canonical_path() {
    let w = Work::new();
    w.copy(&example("env.hk"), "env.hk");
    w.write("envs/dev/main.hk", &env_program("dev", "10.42.0.0/16"));
    let fabric = tempfile::tempdir().unwrap();
    let state = fabric.path().join(".hybridk8s/fabric.db");
    let plan: serde_json::Value =
        serde_json::from_str(&w.ok(&["plan", "envs/dev/main.hk", "--json", "--state", state.to_str().unwrap()]))
            .unwrap();
    let canonical = std::fs::canonicalize(w.root().join("envs/dev/main.hk")).unwrap();
    assert_eq!(plan["stack"], canonical.display().to_string());
    assert!(!state.exists(), "plan created the fabric");
}

#[test]
fn read_only_commands_create_no_files() {
    let w = Work::new();
    w.copy(&example("hybrid.hk"), "hybrid.hk");
    let before = w.listing();

    assert_eq!(w.hk(&["check", "hybrid.hk"]).status.code(), Some(0));
    // A missing fabric plans as an empty one.
    let out = w.ok(&["plan", "hybrid.hk"]);
    assert!(
        out.starts_with("hybridk8s will perform the following actions on stack `hybrid.hk`:"),
        "{out}"
    );
    assert!(out.contains("Plan: 9 to add, 0 to change, 0 to destroy."), "{out}");
    let plan = w.plan_json("hybrid.hk");
    assert_eq!(plan["summary"]["create"], 9, "{plan:#}");
    assert_eq!(
        w.hk(&["plan", "hybrid.hk", "--detailed-exitcode"]).status.code(),
        Some(2)
    );
    assert_eq!(w.ok(&["state", "list", "--stack", "hybrid.hk"]), "");
    let out = w.hk(&["state", "list"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("has no stacks yet"), "{}", text(&out.stderr));
    let out = w.hk(&["state", "show", "hub.hub", "--stack", "hybrid.hk"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("has no resource hub.hub"),
        "{}",
        text(&out.stderr)
    );
    let dump: serde_json::Value = serde_json::from_str(&w.ok(&["fabric", "dump", "--json"])).unwrap();
    assert!(hybridk8s::backend::local::dump_is_empty(&dump), "{dump}");
    let out = w.hk(&["destroy", "hybrid.hk", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("stack `hybrid.hk` does not exist"),
        "{}",
        text(&out.stderr)
    );
    let out = w.hk(&[
        "import",
        "hub.hub",
        "/subscriptions/x/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/v",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("there is no fabric at"),
        "{}",
        text(&out.stderr)
    );

    assert_eq!(w.listing(), before);
}

#[test]
fn destroy_of_a_stack_that_does_not_exist_says_so() {
    let w = Work::new();
    w.copy(&example("hybrid.hk"), "hybrid.hk");
    w.copy(&example("env.hk"), "env.hk");
    w.write("other.hk", &env_program("qa", "10.60.0.0/16").replace("../../", "./"));
    w.ok(&["apply", "hybrid.hk", "--auto-approve"]);
    let before = w.ok(&["fabric", "dump", "--json"]);
    let out = w.hk(&["destroy", "other.hk", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("error: stack `other.hk` does not exist in the fabric "),
        "{err}"
    );
    assert!(
        err.contains(": nothing to destroy\n  hint: its stacks are hybrid.hk; pass --stack NAME"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    assert_eq!(w.ok(&["fabric", "dump", "--json"]), before);
    assert_eq!(w.ok(&["state", "list"]).lines().count(), 9);
}

#[test]
fn an_old_style_stack_is_pointed_out_not_silently_replaced() {
    let w = Work::new();
    w.copy(&example("hybrid.hk"), "hybrid.hk");
    // What earlier versions did: the stack named after the file stem.
    w.ok(&["apply", "hybrid.hk", "--auto-approve", "--stack", "hybrid"]);
    let before = w.ok(&["fabric", "dump", "--json"]);

    // The plan points at the old stack, and refuses to create what it owns.
    let out = w.hk(&["plan", "hybrid.hk"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let warning = &stderr[stderr.find("warning: stack").expect("a warning about the stack")..];
    let (warning, refusal) = warning.split_at(warning.find("error: ").expect("the plan is refused"));
    assert!(refusal.contains("owned by stack \"hybrid\""), "{refusal}");
    insta::assert_snapshot!("old_style_stack_warning", warning);
    let out = w.hk(&["apply", "hybrid.hk", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.ends_with(&warning.replacen("warning:", "error:", 1)), "{err}");
    let out = w.hk(&["destroy", "hybrid.hk", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("stack `hybrid.hk` does not exist yet, but stack `hybrid` does"),
        "{err}"
    );
    assert!(
        err.contains("hint: pass `--stack hybrid` to destroy that stack"),
        "{err}"
    );
    assert_eq!(w.ok(&["fabric", "dump", "--json"]), before);

    // Following the hint works.
    let out = w.ok(&["plan", "hybrid.hk", "--stack", "hybrid"]);
    assert!(out.starts_with("No changes."), "{out}");
}

#[test]
fn a_hub_change_plans_changes_for_the_hub_and_its_peerings_only() {
    let w = Work::new();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cli/hub_envs");
    w.copy(&fixtures.join("main.hk"), "main.hk");
    w.copy(&fixtures.join("env.hk"), "env.hk");
    w.ok(&["apply", "main.hk", "--auto-approve"]);
    let p = w.root().join("main.hk");
    let s = std::fs::read_to_string(&p).unwrap();
    // A new hub range: the hub is updated in place and the peerings are
    // synced (Azure needs that); no cluster network changes.
    std::fs::write(
        &p,
        support_edit::edit(
            &s,
            "address_space = [10.20.0.0/22]",
            "address_space = [10.20.0.0/22, 10.21.0.0/24]",
        ),
    )
    .unwrap();

    let plan = w.plan_json("main.hk");
    let acts = actions(&plan);
    assert_eq!(acts.len(), 14, "{acts:?}");
    let changed: Vec<&str> = acts
        .iter()
        .filter(|(_, a)| a != "no-op")
        .map(|(r, _)| r.as_str())
        .collect();
    assert!(changed.contains(&"hub.hub"), "{acts:?}");
    for r in &changed {
        assert!(
            *r == "hub.hub" || r.ends_with(".peering.aks_hub"),
            "{r} changes: {plan:#}"
        );
    }
    for env in ["dev", "qa", "prod"] {
        let vnet = format!("module.{env}.cluster_network.aks");
        assert!(acts.contains(&(vnet, "no-op".into())), "{acts:?}");
    }
    w.ok(&["apply", "main.hk", "--auto-approve"]);
    assert!(w.ok(&["plan", "main.hk"]).starts_with("No changes."));
}
