//! A multi-step operation cut off between its steps — the RPC future
//! dropped (a client deadline, Terraform killed), so no in-process rollback
//! runs — is finished by the next create of the same stack, never adopted by
//! another stack's.

use hybridk8s::backend::local::LocalFabric;
use hybridk8s::backend::{Backend, ErrorCode, OpCtx};
use hybridk8s::engine::sample;
use hybridk8s::graph::{Resource, Value};
use std::time::Duration;

fn cx(stack: &str) -> OpCtx {
    OpCtx::new(stack)
}

/// The peering sides the fabric holds: (id, state).
async fn sides(f: &LocalFabric) -> Vec<(String, String)> {
    let dump = f.dump().await.unwrap();
    dump["peerings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_string(),
                p["peering_state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Starts the create of `p` on a fabric handle that waits before each
/// write, and drops its future once the first side is written: what a
/// killed Terraform leaves.
async fn cut_off_after_the_hub_side(f: &LocalFabric, stack: &str, p: &Resource) {
    let slow = f.clone().with_delay(Duration::from_millis(400));
    let (cx, attrs, kind) = (cx(stack), p.attrs.clone(), p.kind());
    let task = tokio::spawn(async move { slow.create(&cx, kind, &attrs).await });
    // The cluster side is written one delay after the hub side: poll well
    // inside that window, then drop the future.
    loop {
        if !sides(f).await.is_empty() {
            break;
        }
        assert!(!task.is_finished(), "the create finished before it was cut off");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
}

/// A fabric with a hub and a cluster network of stack `dev`.
async fn hub_and_cluster() -> (tempfile::TempDir, LocalFabric, Resource, Resource) {
    let dir = tempfile::tempdir().unwrap();
    let f = LocalFabric::open(dir.path().join("fabric.db")).unwrap();
    let h = sample::hub("hub", "net-rg", "10.20.0.0/22", "vpn");
    let c = sample::cluster("aks", "k8s-rg", "10.40.0.0/16");
    for r in [&h, &c] {
        f.create(&cx("dev"), r.kind(), &r.attrs).await.unwrap();
    }
    (dir, f, h, c)
}

#[tokio::test]
async fn a_peering_create_cut_off_between_its_sides_is_resumed() {
    let (_dir, f, h, c) = hub_and_cluster().await;
    let p = sample::peering("p", &c, &h, true);
    cut_off_after_the_hub_side(&f, "dev", &p).await;
    let half = sides(&f).await;
    assert_eq!(half.len(), 1, "{half:?}");
    assert_eq!(half[0].1, "Initiated");
    assert!(half[0].0.contains("/virtualNetworks/hub/"), "{half:?}");

    // Another stack meets the half-made peering: it is not its own.
    let e = f.create(&cx("qa"), p.kind(), &p.attrs).await.unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::AlreadyExists), "{e}");
    assert!(e.to_string().contains("dev"), "{e}");
    assert_eq!(sides(&f).await, half, "a refused create changes nothing");

    // The same stack's next create finishes it.
    let done = f.create(&cx("dev"), p.kind(), &p.attrs).await.unwrap();
    assert_eq!(done.attrs["peering_state"], Value::str("Connected"));
    let all = sides(&f).await;
    assert_eq!(all.len(), 2, "{all:?}");
    assert!(all.iter().all(|(_, s)| s == "Connected"), "{all:?}");
    // And a create whose answer was lost (both sides there) is finished too.
    let again = f.create(&cx("dev"), p.kind(), &p.attrs).await.unwrap();
    assert_eq!(again.attrs, done.attrs);
}

#[tokio::test]
async fn a_half_made_peering_whose_other_side_went_is_made_anew() {
    let (_dir, f, h, c) = hub_and_cluster().await;
    let p = sample::peering("p", &c, &h, false);
    f.create(&cx("dev"), p.kind(), &p.attrs).await.unwrap();
    // The hub side deleted out of band: the cluster side is Disconnected.
    let hub_side = sides(&f)
        .await
        .into_iter()
        .find(|(id, _)| id.contains("/hub/"))
        .unwrap()
        .0;
    f.delete_peering_side(&hub_side.parse().unwrap()).await.unwrap();
    assert_eq!(sides(&f).await[0].1, "Disconnected");
    let done = f.create(&cx("dev"), p.kind(), &p.attrs).await.unwrap();
    assert_eq!(done.attrs["peering_state"], Value::str("Connected"));
    assert!(sides(&f).await.iter().all(|(_, s)| s == "Connected"));
}

/// A step past its `timeouts` gives up with `DeadlineExceeded`, and what it
/// reports as state is what the fabric holds (read back without the timeout).
#[tokio::test]
async fn a_create_past_its_timeout_gives_up_and_reports_what_exists() {
    let dir = tempfile::tempdir().unwrap();
    let f = LocalFabric::open(dir.path().join("fabric.db")).unwrap();
    let slow = f.clone().with_delay(Duration::from_millis(400));
    let mut c = sample::cluster("aks", "k8s-rg", "10.40.0.0/16");
    let timeouts = |create: &str| {
        Value::List(vec![Value::Map(
            [("create".to_string(), Value::str(create))].into_iter().collect(),
        )])
    };
    c.attrs.insert("timeouts".into(), timeouts("50ms"));
    let id = c.id().unwrap().to_string();
    let out = hybridk8s::realize::create(&slow, &cx("dev"), c.kind(), &c.attrs).await;
    let e = out.error.expect("the create outlived its timeout");
    assert!(
        matches!(e, hybridk8s::backend::BackendError::DeadlineExceeded { .. }),
        "{e}"
    );
    let live = f.read(&cx("dev"), c.kind(), &id, None).await.unwrap();
    assert!(live.is_none(), "nothing was written");
    assert!(out.state.is_none(), "the state says nothing exists: {:?}", out.state);

    // A timeout long enough (here the default) lets the same create finish.
    c.attrs.insert("timeouts".into(), timeouts("1m"));
    let out = hybridk8s::realize::create(&slow, &cx("dev"), c.kind(), &c.attrs).await;
    assert!(out.error.is_none(), "{:?}", out.error);
    assert!(f.read(&cx("dev"), c.kind(), &id, None).await.unwrap().is_some());
}
