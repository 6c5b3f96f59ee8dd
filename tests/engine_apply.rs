//! The apply loop: dependency order, bounded parallelism, progress, failures
//! that skip their dependents only, state written resource by resource, and
//! stale plans.

use async_trait::async_trait;
use hybridk8s::backend::local::LocalFabric;
use hybridk8s::backend::{Backend, BackendError, Observed, OpCtx};
use hybridk8s::engine::{self, sample, Action, ApplyOptions, EngineError, Outcome, Progress};
use hybridk8s::graph::{Address, Attrs, Kind, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Wraps a backend: counts calls in flight and records when each create
/// started and finished (as sequence numbers).
struct Recording {
    inner: LocalFabric,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    clock: AtomicUsize,
    spans: Mutex<HashMap<String, (usize, usize)>>,
}

impl Recording {
    fn new(inner: LocalFabric) -> Arc<Self> {
        Arc::new(Recording {
            inner,
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            clock: AtomicUsize::new(0),
            spans: Mutex::new(HashMap::new()),
        })
    }

    async fn timed<T>(&self, id: &str, f: impl std::future::Future<Output = T>) -> T {
        let n = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(n, Ordering::SeqCst);
        let start = self.clock.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(15)).await;
        let out = f.await;
        let end = self.clock.fetch_add(1, Ordering::SeqCst);
        self.spans.lock().unwrap().insert(id.to_lowercase(), (start, end));
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        out
    }
}

fn id(a: &Attrs) -> String {
    a.get("id").and_then(Value::as_str).unwrap_or_default().to_string()
}

#[async_trait]
impl Backend for Recording {
    async fn read(
        &self,
        cx: &OpCtx,
        kind: Kind,
        id: &str,
        prior: Option<&Attrs>,
    ) -> Result<Option<Observed>, BackendError> {
        self.inner.read(cx, kind, id, prior).await
    }
    async fn create(&self, cx: &OpCtx, kind: Kind, attrs: &Attrs) -> Result<Observed, BackendError> {
        self.timed(&id(attrs), self.inner.create(cx, kind, attrs)).await
    }
    async fn update(&self, cx: &OpCtx, kind: Kind, prior: &Attrs, attrs: &Attrs) -> Result<Observed, BackendError> {
        self.timed(&id(attrs), self.inner.update(cx, kind, prior, attrs)).await
    }
    async fn delete(&self, cx: &OpCtx, kind: Kind, prior: &Attrs) -> Result<(), BackendError> {
        self.timed(&id(prior), self.inner.delete(cx, kind, prior)).await
    }
    async fn claim(&self, cx: &OpCtx, kind: Kind, id: &str) -> Result<(), BackendError> {
        self.inner.claim(cx, kind, id).await
    }
    async fn release(&self, cx: &OpCtx, kind: Kind, id: &str) -> Result<(), BackendError> {
        self.inner.release(cx, kind, id).await
    }
}

fn fabric() -> (tempfile::TempDir, LocalFabric) {
    let dir = tempfile::tempdir().unwrap();
    let f = LocalFabric::open(dir.path().join("fabric.db")).unwrap();
    (dir, f)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dependencies_first_and_parallelism_bounded() {
    let (_d, f) = fabric();
    let rec = Recording::new(f.clone());
    let backend: Arc<dyn Backend> = rec.clone();
    let g = sample::generated(8, 2);
    let lock = f.lock_stack("gen", Duration::from_secs(5)).await.unwrap();
    let plan = engine::plan(&g, &lock.state().await.unwrap(), backend.clone())
        .await
        .unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let ev = events.clone();
    let opts = ApplyOptions {
        parallelism: 3,
        progress: Some(Arc::new(move |p: &Progress| ev.lock().unwrap().push(p.clone()))),

        ..Default::default()
    };
    let report = engine::apply(&plan, backend.clone(), &lock, &opts).await.unwrap();
    assert!(report.is_success());
    let max = rec.max_in_flight.load(Ordering::SeqCst);
    assert!((2..=3).contains(&max), "max in flight {max}");
    // Every resource started after its dependencies finished.
    let spans = rec.spans.lock().unwrap().clone();
    for r in g.iter().filter(|r| r.kind() != Kind::Onprem) {
        let (start, _) = spans[&r.id().unwrap().to_lowercase()];
        for d in r.depends_on.iter().filter(|d| d.kind != Kind::Onprem) {
            let (_, end) = spans[&g.get(d).unwrap().id().unwrap().to_lowercase()];
            assert!(end < start, "{} started before {d} finished", r.address);
        }
    }
    // Progress: a start and a finish per step (onprem too: it is recorded).
    let events = events.lock().unwrap().clone();
    let started = events.iter().filter(|e| matches!(e, Progress::Started { .. })).count();
    let finished = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Progress::Finished {
                    outcome: Outcome::Succeeded,
                    ..
                }
            )
        })
        .count();
    assert_eq!(started, g.len());
    assert_eq!(finished, g.len());
    // Deletes run in reverse: dependents before what they depend on.
    rec.spans.lock().unwrap().clear();
    let destroy = engine::destroy_plan(&lock.state().await.unwrap(), backend.clone())
        .await
        .unwrap();
    let report = engine::apply(&destroy, backend.clone(), &lock, &ApplyOptions::default())
        .await
        .unwrap();
    assert!(report.is_success(), "{:#?}", report.failures().collect::<Vec<_>>());
    let spans = rec.spans.lock().unwrap().clone();
    for r in g.iter().filter(|r| r.kind() != Kind::Onprem) {
        let (_, end) = spans[&r.id().unwrap().to_lowercase()];
        for d in r.depends_on.iter().filter(|d| d.kind != Kind::Onprem) {
            let (start, _) = spans[&g.get(d).unwrap().id().unwrap().to_lowercase()];
            assert!(end < start, "{d} deleted before its dependent {}", r.address);
        }
    }
    assert!(hybridk8s::backend::local::dump_is_empty(&f.dump().await.unwrap()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_skips_its_dependents_and_the_rest_finishes() {
    let (_d, f) = fabric();
    let backend: Arc<dyn Backend> = Arc::new(f.clone());
    let mut g = sample::topology("dev", "10.40.0.0/16");
    // A second cluster whose subnet lies outside its VNET: Azure refuses it.
    let bad = sample::cluster("bad-vnet", "bad-rg", "10.50.0.0/16");
    let mut bad_attrs = bad.attrs.clone();
    bad_attrs.insert("node_subnet_cidr".into(), Value::str("10.51.0.0/23"));
    let bad = hybridk8s::graph::Resource::new(Address::new(Kind::ClusterNetwork, "bad"), bad_attrs);
    let bad_svc = sample::lb_service("bad_lb", &bad, "web", false);
    g.add(bad).unwrap();
    g.add(bad_svc).unwrap();
    sample::link(&mut g);
    let lock = f.lock_stack("dev", Duration::from_secs(5)).await.unwrap();
    let plan = engine::plan(&g, &lock.state().await.unwrap(), backend.clone())
        .await
        .unwrap();
    let report = engine::apply(&plan, backend.clone(), &lock, &ApplyOptions::default())
        .await
        .unwrap();
    assert!(!report.is_success());
    let bad = report.get(&"cluster_network.bad".parse().unwrap()).unwrap();
    let Outcome::Failed(msg) = &bad.outcome else {
        panic!("{bad:?}")
    };
    assert!(
        msg.starts_with("creating Virtual Network \"/subscriptions/") && msg.contains("NetcfgInvalidSubnet"),
        "{msg}"
    );
    let svc = report.get(&"lb_service.bad_lb".parse().unwrap()).unwrap();
    assert_eq!(
        svc.outcome,
        Outcome::Skipped("not attempted: cluster_network.bad failed".into())
    );
    assert_eq!(report.failures().count(), 2);
    // The state holds exactly what exists.
    let state = lock.state().await.unwrap();
    assert_eq!(state.resources.len(), 7);
    assert!(state.resources.values().all(|e| e.pending.is_none()));
    // Fix the configuration: the next apply converges.
    let mut g2 = sample::topology("dev", "10.40.0.0/16");
    g2.add(sample::cluster("bad-vnet", "bad-rg", "10.50.0.0/16")).unwrap();
    let plan = engine::plan(&g2, &lock.state().await.unwrap(), backend.clone())
        .await
        .unwrap();
    assert_eq!(plan.summary().create, 1);
    assert!(engine::apply(&plan, backend.clone(), &lock, &ApplyOptions::default())
        .await
        .unwrap()
        .is_success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_plan_is_refused() {
    let (_d, f) = fabric();
    let backend: Arc<dyn Backend> = Arc::new(f.clone());
    let g = sample::topology("dev", "10.40.0.0/16");
    let lock = f.lock_stack("dev", Duration::from_secs(5)).await.unwrap();
    let plan = engine::plan(&g, &lock.state().await.unwrap(), backend.clone())
        .await
        .unwrap();
    engine::apply(&plan, backend.clone(), &lock, &ApplyOptions::default())
        .await
        .unwrap();
    let e = engine::apply(&plan, backend.clone(), &lock, &ApplyOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(e, EngineError::StalePlan { .. }), "{e}");
    assert!(
        e.to_string().contains("serial 0") && e.to_string().contains("plan again"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_json_is_stable() {
    let (_d, f) = fabric();
    let backend: Arc<dyn Backend> = Arc::new(f.clone());
    let g = sample::topology("dev", "10.40.0.0/16");
    let state = f.stack_state("dev").await.unwrap();
    let a = engine::plan(&g, &state, backend.clone()).await.unwrap().to_json();
    let b = engine::plan(&g, &state, backend.clone()).await.unwrap().to_json();
    assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
    assert_eq!(a["format_version"], 1);
    let addresses: Vec<&str> = a["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["address"].as_str().unwrap())
        .collect();
    let mut sorted = addresses.clone();
    sorted.sort_by_key(|s| s.parse::<Address>().unwrap());
    assert_eq!(addresses, sorted);
    let peering = a["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "peering")
        .unwrap();
    assert_eq!(peering["action"], Action::Create.as_str());
    assert!(peering["changes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["attribute"] == "use_remote_gateways" && c["new"] == true));
}
