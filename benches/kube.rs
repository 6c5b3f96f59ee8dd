//! The Kubernetes plane against the API emulator (`cargo bench --bench kube`).
//!
//! 500 `external_service`s (a selectorless Service and its EndpointSlice:
//! two calls each) are created 10 at a time with 20 ms latency per call
//! (`HK_BENCH_LATENCY_MS`, `HK_BENCH_SERVICES`, `HK_BENCH_PARALLELISM`),
//! then deleted. Target: the creates within 1.3× of
//! (services × 2 calls × latency) / parallelism, over one connection pool
//! (the emulator counts the TCP connections it accepted: at most one per
//! concurrent call).

#[path = "../tests/kube/mod.rs"]
mod kube_emu;

use futures::stream::{self, StreamExt};
use hybridk8s::backend::kube::{KubeDefaults, KubePlane};
use hybridk8s::backend::{KubernetesObjectId, OpCtx, VirtualNetworkId};
use hybridk8s::graph::{manifests, Attrs, Kind, Value};
use std::time::{Duration, Instant};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn service(i: u64) -> Attrs {
    let name = format!("onprem-api-{i:03}");
    let mut a: Attrs = [
        ("name", Value::str(&name)),
        ("namespace", Value::str("default")),
        (
            "endpoints",
            Value::list_of_str([format!("10.1.{}.{}", 8 + i / 250, 1 + i % 250)]),
        ),
        (
            "ports",
            Value::from_json(&serde_json::json!([{"port": 443, "target_port": 8443}])),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let objs = manifests::objects_of(Kind::ExternalService, &a).expect("known inputs");
    let cluster = VirtualNetworkId::new("00000000-0000-0000-0000-000000000000", "k8s-rg", "k8s-vnet");
    let id = KubernetesObjectId::new(cluster.clone(), "default", "services", &name);
    a.insert("id".into(), Value::str(id.to_string()));
    a.insert("cluster_network_id".into(), Value::str(cluster.to_string()));
    a.insert("manifest".into(), Value::str(manifests::to_yaml(&objs)));
    a
}

fn main() {
    let latency = Duration::from_millis(env_num("HK_BENCH_LATENCY_MS", 20));
    let n = env_num("HK_BENCH_SERVICES", 500);
    let parallelism = env_num("HK_BENCH_PARALLELISM", 10) as usize;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let emu = kube_emu::KubeEmulator::start(kube_emu::Options {
            latency,
            ..Default::default()
        })
        .await;
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        emu.write_kubeconfig(&kubeconfig, "bench", kube_emu::Auth::Token);
        let plane = KubePlane::new(KubeDefaults {
            kubeconfig_path: Some(kubeconfig),
            kubeconfig_context: None,
        });
        let cx = OpCtx::new("bench");
        let all: Vec<Attrs> = (0..n).map(service).collect();

        let started = Instant::now();
        let results: Vec<_> = stream::iter(all.iter())
            .map(|a| plane.create(&cx, Kind::ExternalService, a))
            .buffer_unordered(parallelism)
            .collect()
            .await;
        let took = started.elapsed();
        let failed = results.iter().filter(|r| r.is_err()).count();
        assert_eq!(failed, 0, "{:?}", results.iter().find(|r| r.is_err()));
        let calls = emu.requests().len();
        let connections = emu.connections();
        let ideal = latency.mul_f64((n * 2) as f64 / parallelism as f64);
        let ratio = took.as_secs_f64() / ideal.as_secs_f64().max(1e-9);
        println!(
            "kube/create: {n} Services + EndpointSlices, {parallelism} at a time, {} ms per call: {:.2} s ({calls} calls, {connections} connections); ideal {:.2} s; {ratio:.2}x (target <= 1.30x) {}",
            latency.as_millis(),
            took.as_secs_f64(),
            ideal.as_secs_f64(),
            if ratio <= 1.3 { "OK" } else { "OVER" }
        );
        let made = emu
            .list("v1", "Service")
            .iter()
            .filter(|s| s["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "hybridk8s")
            .count();
        assert_eq!(made as u64, n, "every Service is there");

        emu.clear_requests();
        let started = Instant::now();
        let results: Vec<_> = stream::iter(all.iter())
            .map(|a| plane.delete(&cx, Kind::ExternalService, a))
            .buffer_unordered(parallelism)
            .collect()
            .await;
        let took = started.elapsed();
        assert!(results.iter().all(|r| r.is_ok()));
        println!(
            "kube/delete: {n} Services (their slices by ownerReference), {parallelism} at a time: {:.2} s ({} calls, {} connections in all)",
            took.as_secs_f64(),
            emu.requests().len(),
            emu.connections()
        );
        assert_eq!(emu.list("discovery.k8s.io/v1", "EndpointSlice").len(), 1, "only the cluster's own slice is left");
    });
}
