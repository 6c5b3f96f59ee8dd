//! Several processes on one fabric file: different stacks apply at once,
//! the same stack waits or fails clearly, and a process killed mid-apply
//! leaves a file that opens cleanly and converges on the next apply.
//!
//! The children are this test binary itself, run with `--exact child_role`
//! and `HK_CHILD` describing what to do.

use hybridk8s::backend::local::{stack::DEFAULT_LOCK_TIMEOUT, LocalFabric, StackError, DELAY_ENV};
use hybridk8s::backend::Backend;
use hybridk8s::engine::{self, sample, ApplyOptions};
use hybridk8s::graph::Graph;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The graph a child applies: `topology:<env>:<cidr>` or `generated:<clusters>`.
fn graph_of(spec: &str) -> Graph {
    let parts: Vec<&str> = spec.split(':').collect();
    match parts[..] {
        ["topology", env, cidr] => sample::topology(env, cidr),
        ["generated", n] => sample::generated(n.parse().unwrap(), 2),
        _ => panic!("bad graph spec {spec}"),
    }
}

async fn apply_stack(
    fabric: &LocalFabric,
    stack: &str,
    g: &Graph,
    timeout: Duration,
    parallelism: usize,
) -> Result<(), String> {
    let lock = fabric.lock_stack(stack, timeout).await.map_err(|e| e.to_string())?;
    println!("LOCKED");
    let backend: Arc<dyn Backend> = Arc::new(fabric.clone());
    let plan = engine::plan(g, &lock.state().await.unwrap(), backend.clone())
        .await
        .map_err(|e| e.to_string())?;
    let opts = ApplyOptions {
        parallelism,
        progress: None,

        ..Default::default()
    };
    let report = engine::apply(&plan, backend, &lock, &opts)
        .await
        .map_err(|e| e.to_string())?;
    lock.release().await.map_err(|e| e.to_string())?;
    if report.is_success() {
        Ok(())
    } else {
        Err(format!("{:?}", report.failures().collect::<Vec<_>>()))
    }
}

/// Not a test of its own: the body of a child process.
#[test]
fn child_role() {
    let Ok(spec) = std::env::var("HK_CHILD") else { return };
    // db|stack|graph|lock timeout ms
    let f: Vec<&str> = spec.split('|').collect();
    let code = runtime().block_on(async {
        let fabric = LocalFabric::open(f[0]).unwrap();
        let timeout = Duration::from_millis(f[3].parse().unwrap());
        match apply_stack(&fabric, f[1], &graph_of(f[2]), timeout, 4).await {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("child failed: {e}");
                3
            }
        }
    });
    std::process::exit(code);
}

fn spawn(db: &Path, stack: &str, graph: &str, delay_ms: u64) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_role", "--nocapture", "--test-threads=1"])
        .env("HK_CHILD", format!("{}|{stack}|{graph}|60000", db.display()))
        .env(DELAY_ENV, delay_ms.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// Blocks until the child printed LOCKED.
fn wait_locked(child: &mut Child) {
    let out = child.stdout.take().unwrap();
    let mut lines = BufReader::new(out).lines();
    loop {
        match lines.next() {
            Some(Ok(l)) if l.trim_end().ends_with("LOCKED") => break,
            Some(Ok(_)) => continue,
            _ => panic!("child ended before taking the lock"),
        }
    }
    // Keep draining so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
}

async fn converged(fabric: &LocalFabric, stack: &str, g: &Graph) {
    let state = fabric.stack_state(stack).await.unwrap();
    let plan = engine::plan(g, &state, Arc::new(fabric.clone())).await.unwrap();
    assert!(!plan.has_changes(), "{stack}: {:#}", plan.to_json());
}

#[test]
fn two_processes_apply_different_stacks_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fabric.db");
    LocalFabric::open(&db).unwrap();
    let (ga, gb) = ("topology:a:10.40.0.0/16", "topology:b:10.41.0.0/16");
    let mut a = spawn(&db, "a", ga, 20);
    let mut b = spawn(&db, "b", gb, 20);
    wait_locked(&mut a);
    wait_locked(&mut b);
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    runtime().block_on(async {
        let fabric = LocalFabric::open(&db).unwrap();
        fabric.integrity_check().await.unwrap();
        let d = fabric.dump().await.unwrap();
        assert_eq!(d["vnets"].as_array().unwrap().len(), 4);
        assert_eq!(d["peerings"].as_array().unwrap().len(), 4);
        converged(&fabric, "a", &graph_of(ga)).await;
        converged(&fabric, "b", &graph_of(gb)).await;
        assert_eq!(
            fabric.stacks().await.unwrap(),
            vec![("a".to_string(), 1), ("b".to_string(), 1)]
        );
    });
}

#[test]
fn the_same_stack_twice_waits_or_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fabric.db");
    LocalFabric::open(&db).unwrap();
    let g = "topology:x:10.40.0.0/16";
    let mut child = spawn(&db, "x", g, 80);
    wait_locked(&mut child);
    runtime().block_on(async {
        let fabric = LocalFabric::open(&db).unwrap();
        let e = fabric.lock_stack("x", Duration::from_millis(100)).await.err().unwrap();
        let StackError::Locked { pid, .. } = &e else {
            panic!("{e}")
        };
        assert_eq!(*pid, i64::from(child.id()));
        let msg = e.to_string();
        assert!(
            msg.starts_with(&format!(
                "stack `x` is locked by pid {} on {} since 20",
                child.id(),
                hybridk8s::backend::local::host_name()
            )) && msg.contains("hybridk8s state unlock"),
            "{msg}"
        );
        // Another stack is free meanwhile.
        fabric
            .lock_stack("y", Duration::from_millis(100))
            .await
            .unwrap()
            .release()
            .await
            .unwrap();
        // Waiting long enough gets the lock once the child is done.
        let lock = fabric.lock_stack("x", DEFAULT_LOCK_TIMEOUT).await.unwrap();
        let state = lock.state().await.unwrap();
        assert_eq!(state.serial, 1);
        assert_eq!(state.resources.len(), 7);
        assert!(
            state.resources.values().all(|e| e.pending.is_none()),
            "the child finished before we got in"
        );
        lock.release().await.unwrap();
        converged(&fabric, "x", &graph_of(g)).await;
    });
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_process_killed_mid_apply_leaves_a_file_that_converges() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fabric.db");
    LocalFabric::open(&db).unwrap();
    let g = "generated:6";
    let mut child = spawn(&db, "gen", g, 60);
    wait_locked(&mut child);
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap(); // SIGKILL
    assert!(!child.wait().unwrap().success());
    runtime().block_on(async {
        let fabric = LocalFabric::open(&db).unwrap();
        fabric.integrity_check().await.unwrap();
        let before = fabric.stack_state("gen").await.unwrap();
        let done = before.resources.values().filter(|e| e.pending.is_none()).count();
        assert!(
            done < graph_of(g).len(),
            "killed mid-apply, yet all {done} resources are done"
        );
        // The dead holder's lock is taken over at once.
        let lock = fabric.lock_stack("gen", Duration::from_secs(2)).await.unwrap();
        let backend: Arc<dyn Backend> = Arc::new(fabric.clone());
        let graph = graph_of(g);
        let plan = engine::plan(&graph, &lock.state().await.unwrap(), backend.clone())
            .await
            .unwrap();
        let report = engine::apply(&plan, backend, &lock, &ApplyOptions::default())
            .await
            .unwrap();
        assert!(report.is_success(), "{:#?}", report.failures().collect::<Vec<_>>());
        lock.release().await.unwrap();
        converged(&fabric, "gen", &graph).await;
        let d = fabric.dump().await.unwrap();
        assert_eq!(d["vnets"].as_array().unwrap().len(), 7);
        let sides = d["peerings"].as_array().unwrap();
        assert_eq!(sides.len(), 12);
        assert!(sides.iter().all(|s| s["peering_state"] == "Connected"));
    });
}
