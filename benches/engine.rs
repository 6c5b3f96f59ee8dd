//! Engine benchmark on the local fabric: apply a generated 1,000-resource
//! graph on a fresh fabric (target < 5 s), then re-plan with no changes
//! (target < 1 s). Prints the numbers; `cargo bench --bench engine`.
//! `HK_BENCH_RUNS` sets the number of runs (default 3).

use hybridk8s::backend::local::LocalFabric;
use hybridk8s::backend::Backend;
use hybridk8s::engine::{self, sample, ApplyOptions};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    // `cargo test --benches` runs this with `--bench`-less args; keep it quick there.
    let runs: usize = std::env::var("HK_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    // 2 + 111 × 9 = 1,001 resources.
    let graph = sample::generated(111, 6);
    println!("graph: {} resources", graph.len());
    let mut applies = Vec::new();
    let mut plans = Vec::new();
    for _ in 0..runs {
        let dir = tempfile::tempdir().unwrap();
        let fabric = LocalFabric::open(dir.path().join("fabric.db")).unwrap();
        let backend: Arc<dyn Backend> = Arc::new(fabric.clone());
        rt.block_on(async {
            let lock = fabric.lock_stack("bench", Duration::from_secs(5)).await.unwrap();
            let t = Instant::now();
            let plan = engine::plan(&graph, &lock.state().await.unwrap(), backend.clone())
                .await
                .unwrap();
            let report = engine::apply(&plan, backend.clone(), &lock, &ApplyOptions::default())
                .await
                .unwrap();
            let apply = t.elapsed();
            assert!(report.is_success());
            let t = Instant::now();
            let again = engine::plan(&graph, &lock.state().await.unwrap(), backend.clone())
                .await
                .unwrap();
            let replan = t.elapsed();
            assert!(!again.has_changes());
            lock.release().await.unwrap();
            println!("plan+apply (fresh fabric): {apply:>10.3?}   re-plan (no changes): {replan:>10.3?}");
            applies.push(apply);
            plans.push(replan);
        });
    }
    let best = |v: &[Duration]| v.iter().min().copied().unwrap_or_default();
    println!(
        "best of {runs}: apply {:.3?} (target < 5 s), re-plan {:.3?} (target < 1 s)",
        best(&applies),
        best(&plans)
    );
}
