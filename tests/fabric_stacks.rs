//! Stacks in the fabric file: state round-trips, locks wait, time out with
//! a clear message, are released on drop, and are taken over from a dead
//! process.

use hybridk8s::backend::local::{LocalFabric, StackError};
use hybridk8s::engine::{Pending, StateEntry, StateSink};
use hybridk8s::graph::{Address, Kind, Value};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

fn fabric() -> (tempfile::TempDir, LocalFabric) {
    let dir = tempfile::tempdir().unwrap();
    let f = LocalFabric::open(dir.path().join("fabric.db")).unwrap();
    (dir, f)
}

#[tokio::test]
async fn state_round_trips_with_pending_operations() {
    let (_d, f) = fabric();
    let lock = f.lock_stack("dev", Duration::from_secs(1)).await.unwrap();
    assert_eq!(lock.state().await.unwrap().serial, 0);
    lock.begin_apply(0).await.unwrap();
    let a: Address = "module.prod.hub.hub".parse().unwrap();
    let entry = StateEntry {
        kind: Kind::Hub,
        id: Some("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/hub".into()),
        attrs: [
            ("address_space".to_string(), Value::list_of_str(["10.20.0.0/22"])),
            ("peering_state".to_string(), Value::Unknown),
            ("subnets".to_string(), Value::List(vec![])),
            ("max_nodes".to_string(), Value::Number(50)),
        ]
        .into(),
        depends_on: BTreeSet::from(["onprem.corp".parse().unwrap()]),
        pending: Some(Pending::Create),
    };
    lock.put(&a, &entry).await.unwrap();
    let st = f.stack_state("dev").await.unwrap();
    assert_eq!(st.serial, 1);
    assert_eq!(st.resources[&a], entry);
    lock.remove(&a).await.unwrap();
    assert!(f.stack_state("dev").await.unwrap().resources.is_empty());
    // A plan made at serial 0 is stale now.
    assert!(lock.begin_apply(0).await.is_err());
}

#[tokio::test]
async fn a_held_lock_times_out_clearly_and_is_released_on_drop() {
    let (_d, f) = fabric();
    let first = f.lock_stack("dev", Duration::from_secs(1)).await.unwrap();
    let t = Instant::now();
    let e = f.lock_stack("dev", Duration::from_millis(150)).await.err().unwrap();
    assert!(t.elapsed() >= Duration::from_millis(150));
    let StackError::Locked { pid, since, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!(*pid, i64::from(std::process::id()));
    assert!(since.ends_with('Z'), "{since}");
    assert!(e.to_string().starts_with(&format!(
        "stack `dev` is locked by pid {} on {} since ",
        std::process::id(),
        hybridk8s::backend::local::host_name()
    )));
    // Other stacks are independent.
    let other = f.lock_stack("prod", Duration::from_millis(10)).await.unwrap();
    drop(first);
    let again = f.lock_stack("dev", Duration::from_millis(10)).await.unwrap();
    drop(other);
    again.release().await.unwrap();
}

#[tokio::test]
async fn a_waiting_apply_gets_the_lock_when_it_is_released() {
    let (_d, f) = fabric();
    let first = f.lock_stack("dev", Duration::from_secs(1)).await.unwrap();
    let f2 = f.clone();
    let waiter = tokio::spawn(async move {
        f2.lock_stack("dev", Duration::from_secs(10))
            .await
            .map(|_| Instant::now())
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let released = Instant::now();
    first.release().await.unwrap();
    let got = waiter.await.unwrap().unwrap();
    assert!(got >= released);
}

#[cfg(unix)]
#[tokio::test]
async fn a_lock_of_a_dead_process_is_taken_over() {
    let (_d, f) = fabric();
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    f.lock_stack("dev", Duration::from_secs(1))
        .await
        .unwrap()
        .release()
        .await
        .unwrap();
    let conn = rusqlite::Connection::open(f.path()).unwrap();
    conn.execute(
        "UPDATE stacks SET lock_pid = ?1, lock_token = 'dead', lock_since = 0 WHERE name = 'dev'",
        [dead],
    )
    .unwrap();
    let lock = f.lock_stack("dev", Duration::from_millis(10)).await.unwrap();
    lock.begin_apply(0).await.unwrap();
}

#[tokio::test]
async fn force_unlock_clears_a_live_lock_and_its_holder_can_no_longer_write() {
    let (_d, f) = fabric();
    let held = f.lock_stack("dev", Duration::from_secs(1)).await.unwrap();
    assert_eq!(
        f.force_unlock_stack("dev").await.unwrap(),
        Some(i64::from(std::process::id()))
    );
    let mine = f.lock_stack("dev", Duration::from_millis(10)).await.unwrap();
    let e = held.begin_apply(0).await.unwrap_err();
    assert!(e.to_string().contains("taken over"), "{e}");
    mine.begin_apply(0).await.unwrap();
}

/// Writes a lock row as another holder would have left it.
fn plant_lock(path: &std::path::Path, pid: i64, host: &str, start: Option<&str>, expires_in: i64) {
    let c = rusqlite::Connection::open(path).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    c.execute("INSERT OR IGNORE INTO stacks (name, serial) VALUES ('dev', 0)", [])
        .unwrap();
    c.execute(
        "UPDATE stacks SET lock_pid = ?1, lock_token = 'planted-lock-1', lock_since = ?2, lock_host = ?3,
         lock_start = ?4, lock_expires = ?5 WHERE name = 'dev'",
        rusqlite::params![pid, now - 5, host, start, now + expires_in],
    )
    .unwrap();
}

#[tokio::test]
async fn a_restarted_pid_1_does_not_keep_its_predecessors_lock() {
    // pid 1 is alive (a container's entrypoint), but it is not the process
    // that locked: its start time differs.
    let (d, f) = fabric();
    let here = hybridk8s::backend::local::host_name();
    plant_lock(
        &d.path().join("fabric.db"),
        1,
        &here,
        Some("an-earlier-boot/12345"),
        3600,
    );
    let lock = f.lock_stack("dev", Duration::from_millis(200)).await.unwrap();
    lock.release().await.unwrap();
}

#[tokio::test]
async fn another_hosts_lock_holds_for_its_lease_then_is_taken_over() {
    let (d, f) = fabric();
    let path = d.path().join("fabric.db");
    plant_lock(&path, 4242, "build-agent-7", None, 3600);
    let e = f.lock_stack("dev", Duration::from_millis(150)).await.err().unwrap();
    let text = e.to_string();
    assert!(
        text.contains("build-agent-7") && text.contains("planted-lock-1"),
        "{text}"
    );
    assert!(
        text.contains("hybridk8s state unlock planted-lock-1 --stack dev"),
        "{text}"
    );
    // The lease ran out: the holder is gone.
    plant_lock(&path, 4242, "build-agent-7", None, -1);
    let lock = f.lock_stack("dev", Duration::from_millis(150)).await.unwrap();
    lock.release().await.unwrap();
}

#[test]
fn state_unlock_clears_a_lock_by_its_id() {
    let (d, _f) = fabric();
    let path = d.path().join("fabric.db");
    plant_lock(&path, 4242, "build-agent-7", None, 3600);
    let cli = env!("CARGO_BIN_EXE_hybridk8s");
    let run = |id: &str| {
        std::process::Command::new(cli)
            .args(["state", "unlock", id, "--stack", "dev", "--state"])
            .arg(&path)
            .output()
            .unwrap()
    };
    let wrong = run("not-the-id");
    assert_eq!(wrong.status.code(), Some(1), "{wrong:?}");
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("no lock with ID not-the-id"));
    let ok = run("planted-lock-1");
    assert!(ok.status.success(), "{ok:?}");
    assert!(String::from_utf8_lossy(&ok.stdout).contains("cleared"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let f = LocalFabric::open(&path).unwrap();
    rt.block_on(async {
        f.lock_stack("dev", Duration::from_millis(100))
            .await
            .unwrap()
            .release()
            .await
            .unwrap();
    });
}
