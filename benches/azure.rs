//! The Azure backend against the ARM emulator (`cargo bench --bench azure`).
//!
//! 1. Latency: with 100 ms per ARM call (`HK_BENCH_LATENCY_MS`), apply 20
//!    independent cluster stacks (hub, cluster network, peering, Service
//!    each) in one program, and compare with the critical path: the longest
//!    chain of dependent calls (measured on one stack alone: the calls of
//!    its hub or cluster VNET, whichever has more, then its peering, then
//!    its Service) × latency. Target: within 1.3×. Also checks that no
//!    operation poll came later than `Retry-After` asked.
//! 2. Refresh: a 1,000-resource program in 20 cluster VNETs (plus the hub)
//!    is applied, then planned again; the emulator counts the GETs of that
//!    plan. Target: at most one GET per VNET and gateway.

#[path = "../tests/arm/mod.rs"]
mod arm;
#[path = "../tests/kube/mod.rs"]
mod kube_emu;

use hybridk8s::backend::azure::AzureBackend;
use hybridk8s::backend::kube::KubeDefaults;
use hybridk8s::backend::local::LocalFabric;
use hybridk8s::backend::Backend;
use hybridk8s::engine::{self, sample, ApplyOptions};
use hybridk8s::graph::{Graph, LOCAL_SUBSCRIPTION};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The backend over the ARM emulator and a Kubernetes API emulator (with
/// the same latency) for the Services; the second is kept alive by the caller.
fn backend(
    rt: &tokio::runtime::Runtime,
    emu: &arm::ArmEmulator,
    dir: &std::path::Path,
) -> (Arc<dyn Backend>, LocalFabric, kube_emu::KubeEmulator) {
    let config = emu.azure_config(&emu.options().client_secret);
    let store = LocalFabric::open(dir.join("fabric.db")).unwrap();
    let cluster = rt.block_on(kube_emu::KubeEmulator::start(kube_emu::Options {
        latency: emu.options().latency,
        ..Default::default()
    }));
    let kubeconfig = dir.join("kubeconfig");
    cluster.write_kubeconfig(&kubeconfig, "bench", kube_emu::Auth::Token);
    let b = AzureBackend::new(config, store.clone())
        .unwrap()
        .with_kubernetes(KubeDefaults {
            kubeconfig_path: Some(kubeconfig),
            kubeconfig_context: None,
        });
    (Arc::new(b), store, cluster)
}

fn emulator(latency: Duration) -> arm::ArmEmulator {
    arm::ArmEmulator::start(arm::Options {
        latency,
        subscription_id: LOCAL_SUBSCRIPTION.to_string(),
        ..Default::default()
    })
}

/// `n` independent stacks: hub, cluster network, peering, one Service each.
fn stacks(n: usize) -> Graph {
    let mut rs = Vec::new();
    for i in 0..n {
        let h = sample::hub(
            &format!("hub-{i:02}"),
            &format!("net-{i:02}-rg"),
            &format!("10.{}.0.0/22", 100 + i),
            "none",
        );
        let c = sample::cluster(
            &format!("k8s-{i:02}-vnet"),
            &format!("k8s-{i:02}-rg"),
            &format!("10.{}.0.0/16", 20 + i),
        );
        rs.push(sample::peering(&format!("p{i:02}"), &c, &h, false));
        rs.push(sample::external_service(
            &format!("s{i:02}"),
            &c,
            "onprem-api",
            &["192.168.1.10"],
        ));
        rs.push(h);
        rs.push(c);
    }
    sample::graph(rs)
}

fn groups(emu: &arm::ArmEmulator, g: &Graph) {
    let mut seen = std::collections::BTreeSet::new();
    for r in g.iter() {
        if let Some(rg) = r.attrs.get("resource_group_name").and_then(|v| v.as_str()) {
            if seen.insert(rg.to_string()) {
                emu.create_resource_group(rg, "westeurope");
            }
        }
    }
}

async fn apply(g: &Graph, b: Arc<dyn Backend>, store: &LocalFabric, parallelism: usize) -> Duration {
    let lock = store.lock_stack("bench", Duration::from_secs(5)).await.unwrap();
    let t = Instant::now();
    let plan = engine::plan(g, &lock.state().await.unwrap(), b.clone()).await.unwrap();
    let opts = ApplyOptions {
        parallelism,
        ..Default::default()
    };
    let report = engine::apply(&plan, b, &lock, &opts).await.unwrap();
    let took = t.elapsed();
    assert!(report.is_success(), "{:#?}", report.failures().collect::<Vec<_>>());
    lock.release().await.unwrap();
    took
}

/// The calls on the longest chain of one stack, from the emulator's log.
fn chain_calls(reqs: &[arm::Request]) -> usize {
    let count = |needle: &str| {
        reqs.iter()
            .filter(|r| r.path.contains(needle) && !r.path.contains("/virtualNetworkPeerings/"))
            .count()
    };
    // Operation polls are attributed to the write that started them: one
    // resource's writes and polls follow each other on its chain.
    let polls_after = |needle: &str| {
        let mut n = 0;
        let mut open = false;
        for r in reqs {
            if r.path.contains(needle) && matches!(r.method.as_str(), "PUT" | "DELETE") {
                open = true;
            } else if open && r.path.contains("/operations") {
                n += 1;
            } else if r.path.contains("/virtualNetworks/") {
                open = false;
            }
        }
        n
    };
    let hub = count("virtualNetworks/hub-00") + polls_after("virtualNetworks/hub-00");
    let cluster = count("virtualNetworks/k8s-00-vnet") + polls_after("virtualNetworks/k8s-00-vnet");
    let peering = reqs
        .iter()
        .filter(|r| r.path.contains("/virtualNetworkPeerings/"))
        .count()
        + polls_after("/virtualNetworkPeerings/");
    let token = reqs.iter().filter(|r| r.path.contains("/oauth2/")).count();
    token + hub.max(cluster) + peering
}

fn main() {
    let latency = Duration::from_millis(
        std::env::var("HK_BENCH_LATENCY_MS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(100),
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();

    // 1. One stack alone: its chain.
    let one = stacks(1);
    let emu = emulator(latency);
    groups(&emu, &one);
    let dir = tempfile::tempdir().unwrap();
    let (b, store, _cluster) = backend(&rt, &emu, dir.path());
    let t1 = rt.block_on(apply(&one, b, &store, 64));
    let reqs = emu.requests();
    let chain = chain_calls(&reqs);
    let critical = latency * chain as u32;
    println!(
        "one stack: {} ARM calls, longest chain {chain} calls = {critical:.2?} at {latency:?}/call; apply {t1:.2?}",
        reqs.len()
    );

    // 20 stacks in one program.
    let twenty = stacks(20);
    let emu = emulator(latency);
    groups(&emu, &twenty);
    let dir = tempfile::tempdir().unwrap();
    let (b, store, _cluster) = backend(&rt, &emu, dir.path());
    let t20 = rt.block_on(apply(&twenty, b, &store, 128));
    let reqs = emu.requests();
    println!(
        "20 stacks ({} resources): {} ARM calls, apply {t20:.2?} = {:.2}x the critical path {critical:.2?} (target <= 1.3x)",
        twenty.len(),
        reqs.len(),
        t20.as_secs_f64() / critical.as_secs_f64()
    );
    let late = reqs
        .windows(2)
        .filter(|w| w[1].path.contains("/operations") && w[0].path == w[1].path)
        .filter(|w| w[1].at.duration_since(w[0].at) > Duration::from_secs(w[0].retry_after.unwrap_or(0)) + latency * 3)
        .count();
    println!("operation polls later than Retry-After + 3 latencies: {late}");

    // Poll spacing when ARM asks for `Retry-After: 1` on operations that
    // take three polls: the gap between two polls of one operation.
    let emu = arm::ArmEmulator::start(arm::Options {
        latency,
        subscription_id: LOCAL_SUBSCRIPTION.to_string(),
        retry_after_secs: 1,
        op_polls: 3,
        ..Default::default()
    });
    groups(&emu, &one);
    let dir = tempfile::tempdir().unwrap();
    let (b, store, _cluster) = backend(&rt, &emu, dir.path());
    let t = rt.block_on(apply(&one, b, &store, 64));
    let reqs = emu.requests();
    let mut gaps = Vec::new();
    for (i, r) in reqs.iter().enumerate() {
        if !r.path.contains("/operations/") {
            continue;
        }
        if let Some(prev) = reqs[..i].iter().rev().find(|p| {
            p.path == r.path || (p.retry_after.is_some() && !p.path.contains("/operations/") && p.method != "GET")
        }) {
            gaps.push(r.at.duration_since(prev.at));
        }
    }
    let max = gaps.iter().max().copied().unwrap_or_default();
    let min = gaps.iter().min().copied().unwrap_or_default();
    println!(
        "Retry-After 1 s, 3 polls per operation: {} polls, gap between polls {min:.2?}..{max:.2?} (Retry-After + one call's latency is {:.2?}); apply {t:.2?}",
        gaps.len(),
        Duration::from_secs(1) + latency
    );

    // 2. Refresh of ~1,000 resources in 20 VNETs: GETs per plan.
    let big = sample::generated(20, 47);
    let emu = emulator(Duration::ZERO);
    groups(&emu, &big);
    let dir = tempfile::tempdir().unwrap();
    let (b, store, _cluster) = backend(&rt, &emu, dir.path());
    let took = rt.block_on(apply(&big, b.clone(), &store, 32));
    emu.clear_requests();
    let t = Instant::now();
    let again = rt.block_on(async {
        let state = store.stack_state("bench").await.unwrap();
        engine::plan(&big, &state, b.clone()).await.unwrap()
    });
    let replan = t.elapsed();
    assert!(!again.has_changes());
    let gets = emu.requests().iter().filter(|r| r.method == "GET").count();
    let d = emu.dump();
    let vnets = d["virtualNetworks"].as_array().map_or(0, Vec::len);
    let gws = d["virtualNetworkGateways"].as_array().map_or(0, Vec::len);
    println!(
        "refresh of {} resources ({vnets} VNETs, {gws} gateways): {gets} GETs (target <= {}), plan {replan:.2?}; apply took {took:.2?}",
        big.len(),
        vnets + gws
    );
}
