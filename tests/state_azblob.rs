//! Stack state in Azure Blob Storage (`--state azblob://…`) against
//! Azurite on loopback: two working directories stand in for two machines
//! and one shared fabric file for the cloud. A shared stack, lock
//! contention naming the holder, `state unlock ID` behind a holder's back
//! (it fails without overwriting), a crashed holder whose lease expires,
//! SAS and key authentication, and a wrong key's 403.
//!
//! Azurite (npm `azurite`) is installed by tests/run.sh, which exports
//! HYBRIDK8S_AZURITE; without it these tests fail.

use hybridk8s::backend::azblob::auth::hmac_sha256;
use hybridk8s::backend::azblob::BlobStore;
use hybridk8s::backend::local::StackError;
use hybridk8s::backend::stacks::StackStore;
use hybridk8s::engine::StackState;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// Azurite's well-known development account and key.
const ACCOUNT: &str = "devstoreaccount1";
const KEY: &str = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const STATE: &str = "azblob://devstoreaccount1/tfstate/dev.hkstate";

/// An Azurite Blob service of its own, on a free loopback port.
struct Azurite {
    child: Child,
    endpoint: String,
    _data: tempfile::TempDir,
}

impl Azurite {
    fn start() -> Azurite {
        let bin = std::env::var("HYBRIDK8S_AZURITE").unwrap_or_default();
        assert!(
            !bin.is_empty() && Path::new(&bin).is_file(),
            "HYBRIDK8S_AZURITE must name Azurite's `azurite-blob` (got {bin:?}); run the tests through tests/run.sh, which installs the npm package `azurite` into target/tools/azurite"
        );
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(&bin)
            .args([
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                "0",
                "--silent",
                "--skipApiVersionCheck",
            ])
            .arg("--location")
            .arg(data.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {bin}: {e}"));
        let out = child.stdout.take().unwrap();
        let mut port = None;
        for line in BufReader::new(out).lines() {
            let line = line.unwrap();
            if let Some(rest) = line.split("listens on http://127.0.0.1:").nth(1) {
                port = rest.trim().parse::<u16>().ok();
                break;
            }
        }
        let port = port.expect("Azurite did not say which port it listens on");
        Azurite {
            child,
            endpoint: format!("http://127.0.0.1:{port}/{ACCOUNT}"),
            _data: data,
        }
    }
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Two machines' working directories, one cloud (the shared fabric file)
/// and one Azurite.
struct Team {
    azurite: Azurite,
    cloud: tempfile::TempDir,
    a: tempfile::TempDir,
    b: tempfile::TempDir,
}

impl Team {
    fn new() -> Team {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        for dir in [&a, &b] {
            for f in ["hybrid.hk", "env.hk"] {
                std::fs::copy(
                    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(f),
                    dir.path().join(f),
                )
                .unwrap();
            }
        }
        Team {
            azurite: Azurite::start(),
            cloud: tempfile::tempdir().unwrap(),
            a,
            b,
        }
    }

    fn fabric(&self) -> PathBuf {
        self.cloud.path().join("fabric.db")
    }

    /// `hybridk8s ARGS` in `dir` with the blob state and the account key.
    fn cmd(&self, dir: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_hybridk8s"));
        c.args(args)
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .env("HYBRIDK8S_STATE", STATE)
            .env("HYBRIDK8S_FABRIC", self.fabric())
            .env("HYBRIDK8S_BLOB_ENDPOINT", &self.azurite.endpoint)
            .env("ARM_ACCESS_KEY", KEY)
            .env_remove("ARM_SAS_TOKEN")
            .env_remove("ARM_USE_AZUREAD")
            .env_remove("HYBRIDK8S_BLOB_LEASE_SECONDS")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, dir: &Path, args: &[&str]) -> Output {
        self.cmd(dir, args).output().unwrap()
    }

    fn ok(&self, dir: &Path, args: &[&str]) -> String {
        let out = self.run(dir, args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}:\n{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    /// A slow apply from `dir`, running.
    fn slow_apply(&self, dir: &Path, delay_ms: u32, lease_seconds: Option<u32>) -> Child {
        let mut c = self.cmd(dir, &["apply", "hybrid.hk", "--auto-approve", "--parallelism", "1"]);
        c.env("HYBRIDK8S_FABRIC_DELAY_MS", delay_ms.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(s) = lease_seconds {
            c.env("HYBRIDK8S_BLOB_LEASE_SECONDS", s.to_string());
        }
        c.spawn().unwrap()
    }

    /// The store as the library sees it.
    fn store(&self) -> BlobStore {
        let endpoint = self.azurite.endpoint.clone();
        BlobStore::open(STATE, &move |k| match k {
            "HYBRIDK8S_BLOB_ENDPOINT" => Some(endpoint.clone()),
            "ARM_ACCESS_KEY" => Some(KEY.to_string()),
            _ => None,
        })
        .unwrap()
    }

    fn state(&self) -> StackState {
        rt().block_on(self.store().stack_state("dev.hkstate")).unwrap()
    }

    /// Waits until `child` holds the lock (and has recorded at least
    /// `recorded` resources); returns the holder as a contender sees it.
    fn wait_held(&self, child: &mut Child, recorded: usize) -> StackError {
        let store = self.store();
        for _ in 0..600 {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("the apply ended ({status}) before it was seen holding the lock");
            }
            let held = rt().block_on(store.holder()).unwrap();
            if let Some(StackError::Locked { pid, .. }) = &held {
                if *pid == i64::from(child.id()) && self.state().resources.len() >= recorded {
                    return held.unwrap();
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the apply was never seen holding the lock");
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn plan_serial(team: &Team, dir: &Path) -> i64 {
    let j: serde_json::Value = serde_json::from_str(&team.ok(dir, &["plan", "hybrid.hk", "--json"])).unwrap();
    j["serial"].as_i64().unwrap()
}

#[test]
fn a_stack_applied_on_one_machine_plans_no_changes_on_another() {
    let t = Team::new();
    // The container does not exist yet: the first lock creates it.
    let out = t.ok(t.a.path(), &["apply", "hybrid.hk", "--auto-approve"]);
    assert!(out.contains("Apply complete!"), "{out}");
    let st = t.state();
    assert_eq!(st.serial, 1);
    assert!(!st.resources.is_empty());
    // No stack in either working directory: only the blob holds it.
    assert!(!t.a.path().join(".hybridk8s").exists());
    // Machine B: same stack, same serial, nothing to do.
    let plan = t.run(t.b.path(), &["plan", "hybrid.hk", "--detailed-exitcode"]);
    assert_eq!(
        plan.status.code(),
        Some(0),
        "{}{}",
        text(&plan.stdout),
        text(&plan.stderr)
    );
    assert_eq!(plan_serial(&t, t.b.path()), 1);
    let listed = t.ok(t.b.path(), &["state", "list"]);
    assert_eq!(listed.lines().count(), st.resources.len(), "{listed}");
    assert!(t
        .ok(t.b.path(), &["apply", "hybrid.hk", "--auto-approve"])
        .starts_with("No changes."));
    // `--stack` must name the blob's stack.
    let other = t.run(t.b.path(), &["plan", "hybrid.hk", "--stack", "prod"]);
    assert_eq!(other.status.code(), Some(1));
    assert!(
        text(&other.stderr).contains("holds one stack, `dev.hkstate`"),
        "{}",
        text(&other.stderr)
    );
    // B destroys what A applied; A then sees an empty stack.
    let out = t.ok(t.b.path(), &["destroy", "hybrid.hk", "--auto-approve"]);
    assert!(out.contains("Destroy complete!"), "{out}");
    let st = t.state();
    assert_eq!((st.serial, st.resources.len()), (2, 0));
    assert_eq!(plan_serial(&t, t.a.path()), 2);
}

#[test]
fn a_second_machine_is_told_who_holds_the_lock_or_waits_for_it() {
    let t = Team::new();
    let mut slow = t.slow_apply(t.a.path(), 300, None);
    let held = t.wait_held(&mut slow, 0);
    let StackError::Locked { id, host, .. } = &held else {
        unreachable!()
    };
    let out = t.run(
        t.b.path(),
        &["apply", "hybrid.hk", "--auto-approve", "--lock-timeout", "0"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "stack `dev.hkstate` is locked by pid {} on {host} since ",
            slow.id()
        )) && err.contains(&format!("(lock ID {id})")),
        "{err}"
    );
    // Waiting instead: it gets the lock once A is done, and finds nothing to do.
    let waiting = t
        .cmd(
            t.b.path(),
            &["apply", "hybrid.hk", "--auto-approve", "--lock-timeout", "120"],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let a = slow.wait_with_output().unwrap();
    assert!(a.status.success(), "{}{}", text(&a.stdout), text(&a.stderr));
    let b = waiting.wait_with_output().unwrap();
    assert!(b.status.success());
    assert!(text(&b.stdout).starts_with("No changes."), "{}", text(&b.stdout));
    assert_eq!(t.state().serial, 1);
    assert!(rt().block_on(t.store().holder()).unwrap().is_none());
}

#[test]
fn a_holder_whose_lease_is_broken_fails_without_overwriting() {
    let t = Team::new();
    let mut slow = t.slow_apply(t.a.path(), 400, None);
    let StackError::Locked { id, .. } = t.wait_held(&mut slow, 1) else {
        unreachable!()
    };
    // A wrong ID clears nothing.
    let wrong = t.run(t.b.path(), &["state", "unlock", "00000000-0000-4000-8000-000000000000"]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        text(&wrong.stderr).contains("holds no lock with ID"),
        "{}",
        text(&wrong.stderr)
    );
    // The right one breaks A's lease behind its back.
    let out = t.ok(t.b.path(), &["state", "unlock", &id]);
    assert!(
        out.contains(&format!("Lock {id} of stack `dev.hkstate` cleared.")),
        "{out}"
    );
    let after_break = t.state();
    let a = slow.wait_with_output().unwrap();
    assert_eq!(a.status.code(), Some(1), "{}", text(&a.stdout));
    let err = text(&a.stderr);
    assert!(
        err.contains("the lease on azblob://devstoreaccount1/tfstate/dev.hkstate was lost"),
        "{err}"
    );
    // Nothing A did after the break reached the blob.
    assert_eq!(t.state(), after_break);
    // B takes over and converges (A's unconfirmed step is pending in the state).
    let out = t.ok(t.b.path(), &["apply", "hybrid.hk", "--auto-approve"]);
    assert!(out.contains("Apply complete!"), "{out}");
    let plan = t.run(t.b.path(), &["plan", "hybrid.hk", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan.stdout));
}

#[test]
fn a_crashed_holders_lease_expires_and_the_next_apply_takes_it() {
    let t = Team::new();
    let mut slow = t.slow_apply(t.a.path(), 300, Some(15));
    t.wait_held(&mut slow, 2);
    unsafe { libc::kill(slow.id() as i32, libc::SIGKILL) };
    assert!(!slow.wait().unwrap().success());
    // The lease is still held by the dead process...
    assert!(rt().block_on(t.store().holder()).unwrap().is_some());
    // ...until it expires (15 s); B waits for it, then applies.
    let out = t.ok(
        t.b.path(),
        &["apply", "hybrid.hk", "--auto-approve", "--lock-timeout", "60"],
    );
    assert!(out.contains("Apply complete!"), "{out}");
    let plan = t.run(t.a.path(), &["plan", "hybrid.hk", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan.stdout));
}

/// An account SAS for the blob service, signed with the account key
/// (signed version 2019-12-12).
fn account_sas(key: &str) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let (sp, ss, srt, se, spr, sv) = (
        "rwdlacup",
        "b",
        "sco",
        "2099-01-01T00:00:00Z",
        "https,http",
        "2019-12-12",
    );
    let to_sign = format!("{ACCOUNT}\n{sp}\n{ss}\n{srt}\n\n{se}\n\n{spr}\n{sv}\n");
    let sig = b64.encode(hmac_sha256(&b64.decode(key).unwrap(), to_sign.as_bytes()));
    let sig: String = sig
        .bytes()
        .map(|c| match c {
            b'+' => "%2B".to_string(),
            b'/' => "%2F".to_string(),
            b'=' => "%3D".to_string(),
            c => (c as char).to_string(),
        })
        .collect();
    format!(
        "sv={sv}&ss={ss}&srt={srt}&sp={sp}&se={se}&spr={}&sig={sig}",
        "https,http".replace(',', "%2C")
    )
}

#[test]
fn a_sas_token_works_and_wrong_credentials_are_refused_without_showing_them() {
    let t = Team::new();
    let sas = account_sas(KEY);
    let out = t
        .cmd(t.a.path(), &["apply", "hybrid.hk", "--auto-approve"])
        .env_remove("ARM_ACCESS_KEY")
        .env("ARM_SAS_TOKEN", format!("?{sas}"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(t.state().serial, 1);
    // A wrong key: 403, the method named, the key not shown.
    let wrong_key = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmcta2V5LXdyb25nLWtleQ==";
    let out = t
        .cmd(t.b.path(), &["plan", "hybrid.hk"])
        .env("ARM_ACCESS_KEY", wrong_key)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("403") && err.contains("the storage account refused the storage account key (ARM_ACCESS_KEY)"),
        "{err}"
    );
    assert!(!err.contains(wrong_key) && !err.contains(KEY), "{err}");
    // A SAS with a wrong signature: 403, its signature not shown.
    let forged = account_sas(wrong_key);
    let out = t
        .cmd(t.b.path(), &["plan", "hybrid.hk"])
        .env_remove("ARM_ACCESS_KEY")
        .env("ARM_SAS_TOKEN", &forged)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    let sig = forged.split("sig=").nth(1).unwrap();
    assert!(
        err.contains("403") && err.contains("the SAS token (ARM_SAS_TOKEN)"),
        "{err}"
    );
    assert!(!err.contains(sig), "{err}");
    // No credential at all says what to set.
    let out = t
        .cmd(t.b.path(), &["plan", "hybrid.hk"])
        .env_remove("ARM_ACCESS_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("set ARM_ACCESS_KEY"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_programs_state_block_names_the_blob_on_every_machine() {
    let t = Team::new();
    let seed = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hybrid.hk")).unwrap();
    let program = format!("state {{\n  url = \"{STATE}\"\n}}\n\n{seed}");
    for dir in [t.a.path(), t.b.path()] {
        std::fs::write(dir.join("team.hk"), &program).unwrap();
    }
    // Neither --state nor HYBRIDK8S_STATE: the program says where its stack lives.
    let bare = |dir: &Path, args: &[&str]| {
        let mut c = t.cmd(dir, args);
        c.env_remove("HYBRIDK8S_STATE");
        c.output().unwrap()
    };
    let out = bare(t.a.path(), &["apply", "team.hk", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let st = t.state();
    assert_eq!(st.serial, 1);
    assert!(!st.resources.is_empty());
    // The other machine plans no changes from the same block.
    let plan = bare(t.b.path(), &["plan", "team.hk", "--detailed-exitcode"]);
    assert_eq!(
        plan.status.code(),
        Some(0),
        "{}{}",
        text(&plan.stdout),
        text(&plan.stderr)
    );
    // --state wins over the block: another blob holds no stack yet.
    let other = "azblob://devstoreaccount1/tfstate/other.hkstate";
    let plan = bare(
        t.b.path(),
        &["plan", "team.hk", "--detailed-exitcode", "--state", other],
    );
    assert_eq!(
        plan.status.code(),
        Some(1),
        "{}{}",
        text(&plan.stdout),
        text(&plan.stderr)
    );
    assert!(
        text(&plan.stdout).contains("already exists") || text(&plan.stderr).contains("already exists"),
        "{}{}",
        text(&plan.stdout),
        text(&plan.stderr)
    );
    // Destroy from the other machine, still from the block.
    let out = bare(t.b.path(), &["destroy", "team.hk", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(t.state().serial, 2);
    assert!(t.state().resources.is_empty());
}
