//! Ownership and interruption through real Terraform: two working
//! directories on one fabric never take each other's objects (the newest
//! Terraform and 1.0.3), and an apply interrupted with Ctrl-C during slow
//! operations stops, leaving a state that matches the fabric (the newest:
//! Terraform 1.0.3 as packaged here does not act on SIGINT during apply, it
//! runs to the end).

#[path = "terraform/harness.rs"]
mod harness;

use harness::{Terraform, Workspace};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

fn ids(ws: &Workspace) -> BTreeSet<String> {
    let (out, _) = ws.expect(&["show", "-json"], 0);
    let j: serde_json::Value = serde_json::from_str(&out).expect("show -json");
    j["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|r| r["mode"] == "managed")
        .map(|r| r["values"]["id"].as_str().unwrap().to_lowercase())
        .collect()
}

/// The IDs of every object in the fabric, as the resources name them.
fn fabric_ids(dump: &serde_json::Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for v in dump["vnets"].as_array().unwrap() {
        out.insert(v["id"].as_str().unwrap().to_lowercase());
    }
    for p in dump["peerings"].as_array().unwrap() {
        if p["vnet_id"].as_str().unwrap().to_lowercase().contains("k8s-dev-vnet") {
            out.insert(p["id"].as_str().unwrap().to_lowercase());
        }
    }
    for o in dump["kubernetes_objects"].as_array().unwrap() {
        out.insert(o["owner_id"].as_str().unwrap().to_lowercase());
    }
    out
}

fn two_working_directories(terraform: Terraform) {
    let a = Workspace::new(terraform.clone());
    let b = Workspace::new(terraform);
    let shared = a.fabric_path();
    let var = format!("-var=state_path={}", shared.display());
    a.expect(&["apply", "-auto-approve", "-input=false", &var], 0);
    let before = a.fabric_dump();

    // b declares the same networks: refused at plan, naming a's stack.
    let (_, err) = b.expect(&["plan", "-input=false", &var], 1);
    assert!(err.contains("owned by stack \"terraform:"), "{err}");
    assert!(
        err.contains(&a.dir.canonicalize().unwrap().display().to_string()),
        "{err}"
    );
    let (_, err) = b.expect(&["apply", "-auto-approve", "-input=false", &var], 1);
    assert!(err.contains("never adopts"), "{err}");
    assert!(ids(&b).is_empty(), "b's state stays empty");
    // Terraform 1.0 plans the configuration before a destroy and so meets
    // the same refusal; either way nothing of a's is touched.
    let out = b.run(&["destroy", "-auto-approve", "-input=false", "-no-color", &var]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() || (b.terraform.version < (1, 1, 0) && err.contains("owned by stack")),
        "{err}"
    );
    assert!(ids(&b).is_empty());
    assert_eq!(a.fabric_dump(), before, "b's destroy leaves a's objects");

    // Nor can b import them.
    let hub = ids(&a)
        .into_iter()
        .find(|i| i.ends_with("/virtualnetworks/hub"))
        .unwrap();
    let (_, err) = b.expect(&["import", "-input=false", &var, "hybridk8s_hub_network.hub", &hub], 1);
    assert!(err.contains("owned by stack \"terraform:"), "{err}");
    assert!(ids(&b).is_empty());
    a.expect(&["plan", "-detailed-exitcode", "-input=false", &var], 0);

    // Two blocks of one configuration that are one VNET: refused at plan.
    let c = Workspace::new(b.terraform.clone());
    let twin = "\nresource \"hybridk8s_hub_network\" \"twin\" {\n  name           = \"HUB\"\n  resource_group_name = \"net-rg\"\n  location       = \"westeurope\"\n  address_space  = [\"10.30.0.0/22\"]\n}\n";
    c.write_main(&format!("{}{twin}", harness::example_main_tf()));
    let (_, err) = c.expect(&["plan", "-input=false"], 1);
    assert!(
        err.contains("same object") && err.to_lowercase().contains("/virtualnetworks/hub"),
        "{err}"
    );
    assert!(
        !c.fabric_path().exists()
            || harness::block_on(async {
                hybridk8s::backend::local::dump_is_empty(
                    &hybridk8s::backend::local::LocalFabric::open(c.fabric_path())
                        .unwrap()
                        .dump()
                        .await
                        .unwrap(),
                )
            })
    );
}

fn interrupted_apply(terraform: Terraform) {
    let ws = Workspace::new(terraform);
    let child = ws
        .command(&["apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=2"])
        .env("HYBRIDK8S_FABRIC_DELAY_MS", "400")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first object, then press Ctrl-C.
    let give_up = Instant::now() + Duration::from_secs(120);
    while !ws.fabric_path().exists() || ws.fabric_dump()["vnets"].as_array().unwrap().is_empty() {
        assert!(Instant::now() < give_up, "nothing was created");
        std::thread::sleep(Duration::from_millis(50));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        harness::tail(&stdout),
        harness::tail(&stderr)
    );
    assert!(
        stdout.contains("Interrupt received") || stdout.contains("interrupt"),
        "{stdout}"
    );
    // What Terraform recorded is what exists.
    let recorded = ids(&ws);
    let dump = ws.fabric_dump();
    assert!(!recorded.is_empty());
    assert_eq!(recorded, fabric_ids(&dump), "{dump:#}");
    assert!(recorded.len() < 8, "the apply stopped before the end: {recorded:?}");
    // And the next apply finishes the job.
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);
}

#[test]
fn terraform_newest_two_working_directories() {
    two_working_directories(harness::newest());
}

#[test]
fn terraform_1_0_3_two_working_directories() {
    two_working_directories(harness::v1_0_3());
}

#[test]
fn terraform_newest_interrupted_apply() {
    interrupted_apply(harness::newest());
}
