//! The Kubernetes plane against the API emulator: Services with their
//! EndpointSlices created (never adopted), read back as their manifest,
//! changed in place with server-side apply (another field manager's field
//! is a conflict naming it, taken only when forced), deleted with their
//! dependents; DNS ConfigMaps of the cluster get only hybridk8s's keys and
//! give them back; faults are retried, bad credentials are one clear error.

#![cfg(feature = "kubernetes")]

mod common;
#[path = "kube/mod.rs"]
mod kube_emu;

use hybridk8s::backend::kube::{KubeDefaults, KubePlane, RESTARTED_AT_ANNOTATION};
use hybridk8s::backend::{BackendError, ErrorCode, KubernetesObjectId, OpCtx, Owner, VirtualNetworkId};
use hybridk8s::graph::{manifests, Attrs, Kind, Value};
use kube_emu::{Auth, KubeEmulator, Options};
use serde_json::{json, Value as J};
use std::path::PathBuf;
use std::time::Duration;

struct Env {
    emu: KubeEmulator,
    kubeconfig: PathBuf,
    _dir: tempfile::TempDir,
}

async fn start(opts: Options, auth: Auth) -> Env {
    let emu = KubeEmulator::start(opts).await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    emu.write_kubeconfig(&kubeconfig, "aks-dev", auth);
    Env {
        emu,
        kubeconfig,
        _dir: dir,
    }
}

fn plane(env: &Env) -> KubePlane {
    KubePlane::new(KubeDefaults {
        kubeconfig_path: Some(env.kubeconfig.clone()),
        kubeconfig_context: None,
    })
}

fn cluster() -> VirtualNetworkId {
    VirtualNetworkId::new("00000000-0000-0000-0000-000000000000", "k8s-dev-rg", "k8s-dev-vnet")
}

/// The attributes of a resource as the graph plans them: inputs, `id`, `manifest`.
fn resource(kind: Kind, inputs: J) -> Attrs {
    let mut a: Attrs = inputs
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), Value::from_json(v)))
        .collect();
    let objs = manifests::objects_of(kind, &a).unwrap();
    let id = if kind == Kind::DnsUpstream {
        let o = &objs[0]["metadata"];
        KubernetesObjectId::new(
            cluster(),
            o["namespace"].as_str().unwrap(),
            "configmaps",
            o["name"].as_str().unwrap(),
        )
    } else {
        KubernetesObjectId::new(
            cluster(),
            a.get("namespace").and_then(Value::as_str).unwrap(),
            "services",
            a.get("name").and_then(Value::as_str).unwrap(),
        )
    };
    a.insert("id".into(), Value::str(id.to_string()));
    a.insert("cluster_network_id".into(), Value::str(cluster().to_string()));
    a.insert("manifest".into(), Value::str(manifests::to_yaml(&objs)));
    a
}

fn api_service(target_port: i64) -> Attrs {
    resource(
        Kind::ExternalService,
        json!({"name": "external-random-api", "namespace": "default", "endpoints": ["10.1.8.4", "10.1.8.5"],
               "ports": [{"port": 80, "target_port": target_port}]}),
    )
}

fn svc(env: &Env, ns: &str, name: &str) -> Option<J> {
    env.emu.get("v1", "Service", ns, name)
}

fn slice(env: &Env, ns: &str, name: &str) -> Option<J> {
    env.emu.get("discovery.k8s.io/v1", "EndpointSlice", ns, name)
}

fn id(a: &Attrs) -> &str {
    a.get("id").and_then(Value::as_str).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_are_created_read_changed_in_place_and_deleted() {
    let env = start(Options::default(), Auth::Token).await;
    let p = plane(&env);
    let cx = OpCtx::new("dev");
    let a = api_service(8080);

    let made = p.create(&cx, Kind::ExternalService, &a).await.unwrap();
    assert!(made.owner.is("dev"));
    assert_eq!(
        made.attrs.get("manifest"),
        a.get("manifest"),
        "the create reads back as its manifest"
    );
    let s = svc(&env, "default", "external-random-api").unwrap();
    assert_eq!(s["metadata"]["annotations"]["hybridk8s.io/stack"], "dev");
    assert_eq!(s["metadata"]["labels"]["app.kubernetes.io/managed-by"], "hybridk8s");
    let sl = slice(&env, "default", "external-random-api").unwrap();
    assert_eq!(sl["metadata"]["ownerReferences"][0]["uid"], s["metadata"]["uid"]);
    assert_eq!(sl["endpoints"][1]["addresses"], json!(["10.1.8.5"]));
    assert!(env
        .emu
        .get("v1", "Endpoints", "default", "external-random-api")
        .is_none());

    // Untouched, it reads back as exactly its manifest.
    let read = p
        .read(&cx, Kind::ExternalService, id(&a), Some(&a))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.attrs.get("manifest"), a.get("manifest"));
    assert!(read.owner.is("dev"));
    // Under another kind: refused.
    let e = p.read(&cx, Kind::LbService, id(&a), None).await.unwrap_err();
    assert!(matches!(e, BackendError::WrongKind { .. }), "{e}");

    // Never adopted: another stack's create is refused, naming the owner.
    let other = OpCtx::new("prod");
    let e = p.create(&other, Kind::ExternalService, &a).await.unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::AlreadyExists), "{e}");
    assert!(e.to_string().contains("owned by stack \"dev\""), "{e}");
    let e = p.update(&other, Kind::ExternalService, &a, &a).await.unwrap_err();
    assert!(matches!(e, BackendError::NotOwned { .. }), "{e}");
    let e = p.delete(&other, Kind::ExternalService, &a).await.unwrap_err();
    assert!(matches!(e, BackendError::NotOwned { .. }), "{e}");

    // In place: same uid, new target port on the Service and the slice.
    let b = api_service(8081);
    let changed = p.update(&cx, Kind::ExternalService, &a, &b).await.unwrap();
    assert_eq!(changed.attrs.get("manifest"), b.get("manifest"));
    let s2 = svc(&env, "default", "external-random-api").unwrap();
    assert_eq!(s2["metadata"]["uid"], s["metadata"]["uid"]);
    assert_eq!(s2["spec"]["ports"][0]["targetPort"], 8081);
    assert_eq!(
        slice(&env, "default", "external-random-api").unwrap()["ports"][0]["port"],
        8081
    );

    // A port that goes is gone (the create's fields were handed to the apply).
    let c = resource(
        Kind::ExternalService,
        json!({"name": "external-random-api", "namespace": "default", "endpoints": ["10.1.8.4"],
               "ports": [{"port": 443, "target_port": 8443}]}),
    );
    p.update(&cx, Kind::ExternalService, &b, &c).await.unwrap();
    let s3 = svc(&env, "default", "external-random-api").unwrap();
    assert_eq!(s3["spec"]["ports"].as_array().unwrap().len(), 1, "{s3:#}");
    assert_eq!(s3["spec"]["ports"][0]["port"], 443);
    let sl3 = slice(&env, "default", "external-random-api").unwrap();
    assert_eq!(sl3["endpoints"].as_array().unwrap().len(), 1, "{sl3:#}");
    let read = p
        .read(&cx, Kind::ExternalService, id(&c), Some(&c))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.attrs.get("manifest"), c.get("manifest"));

    // Another field manager takes a field: drift, then a conflict naming it.
    let mut taken = svc(&env, "default", "external-random-api").unwrap();
    taken["spec"]["ports"][0]["targetPort"] = json!(9090);
    env.emu.put_as("kubectl-edit", taken);
    let read = p
        .read(&cx, Kind::ExternalService, id(&c), Some(&c))
        .await
        .unwrap()
        .unwrap();
    assert_ne!(
        read.attrs.get("manifest"),
        c.get("manifest"),
        "the other manager's value shows"
    );
    let e = p.update(&cx, Kind::ExternalService, &c, &c).await.unwrap_err();
    match &e {
        BackendError::FieldConflict { managers, fields, .. } => {
            assert_eq!(managers, &["kubectl-edit"]);
            assert!(fields.iter().any(|f| f.contains("targetPort")), "{fields:?}");
        }
        other => panic!("not a conflict: {other}"),
    }
    assert!(e.to_string().contains("force_conflicts = true"), "{e}");
    assert_eq!(
        svc(&env, "default", "external-random-api").unwrap()["spec"]["ports"][0]["targetPort"],
        9090
    );
    let mut forced = c.clone();
    forced.insert("force_conflicts".into(), Value::Bool(true));
    p.update(&cx, Kind::ExternalService, &c, &forced).await.unwrap();
    assert_eq!(
        svc(&env, "default", "external-random-api").unwrap()["spec"]["ports"][0]["targetPort"],
        8443
    );

    // Deleted out of band: gone. Deleted: the slice goes with it.
    p.delete(&cx, Kind::ExternalService, &c).await.unwrap();
    assert!(svc(&env, "default", "external-random-api").is_none());
    assert!(slice(&env, "default", "external-random-api").is_none());
    assert!(p
        .read(&cx, Kind::ExternalService, id(&c), Some(&c))
        .await
        .unwrap()
        .is_none());
    p.delete(&cx, Kind::ExternalService, &c).await.unwrap();
    // The cluster's own Service is still there.
    assert!(svc(&env, "default", "kubernetes").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespaces_v1_endpoints_lbs_and_import() {
    let env = start(Options::default(), Auth::ClientCert).await;
    let p = plane(&env);
    let cx = OpCtx::new("dev");
    let legacy = resource(
        Kind::ExternalService,
        json!({"name": "mainframe", "namespace": "legacy", "endpoints": ["10.1.9.9"], "endpoints_api": "v1",
               "ports": [{"port": 3270}]}),
    );
    p.create(&cx, Kind::ExternalService, &legacy).await.unwrap();
    let ns = env
        .emu
        .get("v1", "Namespace", "", "legacy")
        .expect("the namespace is made");
    assert_eq!(ns["metadata"]["labels"]["app.kubernetes.io/managed-by"], "hybridk8s");
    let ep = env.emu.get("v1", "Endpoints", "legacy", "mainframe").unwrap();
    assert_eq!(ep["subsets"][0]["addresses"][0]["ip"], "10.1.9.9");
    assert!(slice(&env, "legacy", "mainframe").is_none());
    // Deleting leaves the namespace (other objects may live there).
    p.delete(&cx, Kind::ExternalService, &legacy).await.unwrap();
    assert!(env.emu.get("v1", "Endpoints", "legacy", "mainframe").is_none());
    assert!(env.emu.get("v1", "Namespace", "", "legacy").is_some());

    let lb = resource(
        Kind::LbService,
        json!({"name": "nginx-internal", "namespace": "default", "selector": {"app": "nginx"}, "internal": true,
               "internal_subnet": "ilb", "load_balancer_ip": "10.40.0.200", "ports": [{"port": 80}]}),
    );
    p.create(&cx, Kind::LbService, &lb).await.unwrap();
    let s = svc(&env, "default", "nginx-internal").unwrap();
    let ann = &s["metadata"]["annotations"];
    assert_eq!(
        ann["service.beta.kubernetes.io/azure-load-balancer-ipv4"],
        "10.40.0.200"
    );
    assert_eq!(
        ann["service.beta.kubernetes.io/azure-load-balancer-internal-subnet"],
        "ilb"
    );
    assert!(s["spec"].get("loadBalancerIP").is_none());

    // Import of a Service someone made by hand: marked, then this stack's.
    env.emu.put_as(
        "kubectl-client-side-apply",
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "hand-made", "namespace": "default"},
               "spec": {"type": "ClusterIP", "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}]}}),
    );
    let hid = KubernetesObjectId::new(cluster(), "default", "services", "hand-made").to_string();
    let found = p.read(&cx, Kind::ExternalService, &hid, None).await.unwrap().unwrap();
    assert_eq!(found.owner, Owner::Unmanaged);
    assert!(found.attrs["manifest"].as_str().unwrap().contains("hand-made"));
    p.claim(&cx, Kind::ExternalService, &hid, None, true).await.unwrap();
    assert!(p
        .read(&cx, Kind::ExternalService, &hid, None)
        .await
        .unwrap()
        .unwrap()
        .owner
        .is("dev"));
    p.claim(&cx, Kind::ExternalService, &hid, None, false).await.unwrap();
    assert_eq!(
        p.read(&cx, Kind::ExternalService, &hid, None)
            .await
            .unwrap()
            .unwrap()
            .owner,
        Owner::Unmanaged
    );
    // Every request used the client certificate.
    assert!(env.emu.requests().iter().all(|r| r.user == kube_emu::CERT_USER));
}

fn restarted_at(env: &Env) -> Option<String> {
    env.emu.get("apps/v1", "Deployment", "kube-system", "coredns")?["spec"]["template"]["metadata"]["annotations"]
        [RESTARTED_AT_ANNOTATION]
        .as_str()
        .map(str::to_string)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_configmaps_get_only_hybridk8s_keys_and_give_them_back() {
    let env = start(Options::default(), Auth::Token).await;
    let p = plane(&env);
    let cx = OpCtx::new("dev");
    let aks = resource(
        Kind::DnsUpstream,
        json!({"flavor": "coredns_aks", "nameservers": ["10.1.0.4", "10.1.0.5"],
               "stub_domains": {"my-company.local": ["10.1.0.4", "10.1.0.5"]}}),
    );
    let own_custom = env.emu.get("v1", "ConfigMap", "kube-system", "coredns-custom").unwrap();
    let made = p.create(&cx, Kind::DnsUpstream, &aks).await.unwrap();
    assert!(made.owner.is("dev"));
    let custom = env.emu.get("v1", "ConfigMap", "kube-system", "coredns-custom").unwrap();
    let block = custom["data"]["my-company.local.server"].as_str().unwrap();
    assert!(
        block.contains("forward . 10.1.0.4 10.1.0.5") && block.contains("policy sequential"),
        "{block}"
    );
    assert_eq!(
        custom["metadata"]["uid"], own_custom["metadata"]["uid"],
        "the cluster's ConfigMap, not a new one"
    );
    assert_eq!(
        custom["metadata"]["labels"]["addonmanager.kubernetes.io/mode"],
        "EnsureExists"
    );
    let first_restart = restarted_at(&env).expect("CoreDNS restarted");
    let read = p
        .read(&cx, Kind::DnsUpstream, id(&aks), Some(&aks))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.attrs.get("manifest"), aks.get("manifest"));

    // Another stack's dns_upstream on the same ConfigMap is refused.
    let e = p
        .create(&OpCtx::new("prod"), Kind::DnsUpstream, &aks)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::AlreadyExists), "{e}");

    // Unchanged: no restart.
    let requests = env.emu.requests().len();
    p.update(&cx, Kind::DnsUpstream, &aks, &aks).await.unwrap();
    assert_eq!(restarted_at(&env).as_deref(), Some(first_restart.as_str()));
    assert!(env.emu.requests()[requests..]
        .iter()
        .all(|r| !r.path.contains("deployments") || r.method == "GET"));

    p.delete(&cx, Kind::DnsUpstream, &aks).await.unwrap();
    let back = env
        .emu
        .get("v1", "ConfigMap", "kube-system", "coredns-custom")
        .expect("the cluster's ConfigMap stays");
    assert_eq!(back["data"], own_custom["data"], "{back:#}");
    assert!(
        back["metadata"]["labels"].get("app.kubernetes.io/managed-by").is_none(),
        "{back:#}"
    );
    assert!(p
        .read(&cx, Kind::DnsUpstream, id(&aks), Some(&aks))
        .await
        .unwrap()
        .is_none());

    // kube_dns on a cluster without a kube-dns ConfigMap: made, then deleted.
    let kd = resource(
        Kind::DnsUpstream,
        json!({"flavor": "kube_dns", "nameservers": ["10.1.0.4"], "stub_domains": {"corp.local": ["10.1.0.4"]}}),
    );
    p.create(&cx, Kind::DnsUpstream, &kd).await.unwrap();
    let cm = env.emu.get("v1", "ConfigMap", "kube-system", "kube-dns").unwrap();
    assert_eq!(cm["data"]["upstreamNameservers"], "[\"10.1.0.4\"]");
    p.delete(&cx, Kind::DnsUpstream, &kd).await.unwrap();
    assert!(env.emu.get("v1", "ConfigMap", "kube-system", "kube-dns").is_none());

    // A plain Corefile: the addon manager owns the cluster's, so only a
    // forced apply replaces it; the delete puts the cluster's back.
    let corefile = env.emu.get("v1", "ConfigMap", "kube-system", "coredns").unwrap()["data"]["Corefile"].clone();
    let mut cf = resource(
        Kind::DnsUpstream,
        json!({"flavor": "corefile", "nameservers": ["10.1.0.4"], "stub_domains": {"corp.local": ["10.1.0.4"]}}),
    );
    let e = p.create(&cx, Kind::DnsUpstream, &cf).await.unwrap_err();
    match &e {
        BackendError::FieldConflict { managers, .. } => assert_eq!(managers, &["kube-addon-manager"]),
        other => panic!("{other}"),
    }
    cf.insert("force_conflicts".into(), Value::Bool(true));
    p.create(&cx, Kind::DnsUpstream, &cf).await.unwrap();
    let now = env.emu.get("v1", "ConfigMap", "kube-system", "coredns").unwrap();
    assert!(
        now["data"]["Corefile"].as_str().unwrap().contains("forward . 10.1.0.4"),
        "{now:#}"
    );
    p.delete(&cx, Kind::DnsUpstream, &cf).await.unwrap();
    let after = env.emu.get("v1", "ConfigMap", "kube-system", "coredns").unwrap();
    assert_eq!(after["data"]["Corefile"], corefile);
    assert!(
        after["metadata"]["annotations"]
            .get("hybridk8s.io/saved-corefile")
            .is_none(),
        "{after:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_are_retried_and_bad_credentials_are_one_clear_error() {
    let env = start(Options::default(), Auth::Token).await;
    let p = plane(&env);
    let cx = OpCtx::new("dev").with_timeout(Duration::from_secs(60));
    let a = api_service(8080);
    env.emu.faults().fail_next(500, 2);
    env.emu.faults().fail_next(429, 1);
    p.create(&cx, Kind::ExternalService, &a).await.unwrap();
    assert!(svc(&env, "default", "external-random-api").is_some());
    // The answer of a create is lost: the retry meets its own object.
    let b = resource(
        Kind::ExternalService,
        json!({"name": "second", "namespace": "default", "endpoints": ["10.1.8.9"], "ports": [{"port": 80}]}),
    );
    env.emu.faults().drop_after_next(1);
    let made = p.create(&cx, Kind::ExternalService, &b).await.unwrap();
    assert_eq!(made.attrs.get("manifest"), b.get("manifest"));
    assert!(slice(&env, "default", "second").is_some());
    let statuses: Vec<u16> = env.emu.requests().iter().map(|r| r.status).collect();
    assert!(
        statuses.contains(&0) && statuses.contains(&429) && statuses.contains(&500),
        "{statuses:?}"
    );
    // One pool for the whole plane.
    assert!(env.emu.connections() <= 3, "{} connections", env.emu.connections());

    // An expired token: one error that says so; nothing written.
    env.emu.expire_tokens();
    let c = resource(
        Kind::ExternalService,
        json!({"name": "third", "namespace": "default", "endpoints": ["10.1.8.7"], "ports": [{"port": 80}]}),
    );
    let e = p.create(&cx, Kind::ExternalService, &c).await.unwrap_err().to_string();
    assert!(e.contains("Unauthorized (401)") && e.contains("expired token"), "{e}");
    assert!(!e.contains(&env.emu.token()), "{e}");
    assert!(svc(&env, "default", "third").is_none());

    // Unreachable: the server named, no hang.
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead");
    std::fs::write(
        &dead,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:9\n    insecure-skip-tls-verify: true\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\nusers:\n- name: u\n  user:\n    token: t\ncurrent-context: c\n",
    )
    .unwrap();
    let p2 = KubePlane::new(KubeDefaults {
        kubeconfig_path: Some(dead),
        kubeconfig_context: None,
    });
    let e = p2.create(&cx, Kind::ExternalService, &c).await.unwrap_err().to_string();
    assert!(e.contains("did not answer") && e.contains("127.0.0.1:9"), "{e}");

    // A kubeconfig without the context asked for.
    let mut named = c.clone();
    named.insert("kubeconfig_context".into(), Value::str("aks-prod"));
    let e = p
        .create(&cx, Kind::ExternalService, &named)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("no context \"aks-prod\"") && e.contains("aks-dev"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_object_hybridk8s_sends_passes_kubernetes_validate_strict() {
    let env = start(Options::default(), Auth::Token).await;
    let p = plane(&env);
    let cx = OpCtx::new("dev");
    let resources = [
        (Kind::ExternalService, api_service(8080)),
        (
            Kind::ExternalService,
            resource(
                Kind::ExternalService,
                json!({"name": "mainframe", "namespace": "legacy", "endpoints": ["10.1.9.9"], "endpoints_api": "v1",
                       "ports": [{"name": "tn3270", "port": 3270}, {"port": 3271, "protocol": "UDP"}]}),
            ),
        ),
        (
            Kind::ExternalService,
            resource(
                Kind::ExternalService,
                json!({"name": "database", "namespace": "default", "external_name": "db.my-company.local"}),
            ),
        ),
        (
            Kind::LbService,
            resource(
                Kind::LbService,
                json!({"name": "nginx-internal", "namespace": "default", "selector": {"app": "nginx"}, "internal": true,
                       "internal_subnet": "ilb", "load_balancer_ip": "10.40.0.200", "ports": [{"port": 80}]}),
            ),
        ),
        (
            Kind::DnsUpstream,
            resource(
                Kind::DnsUpstream,
                json!({"flavor": "coredns_aks", "nameservers": ["10.1.0.4"], "stub_domains": {"corp.local": ["10.1.0.4"]}}),
            ),
        ),
        (
            Kind::DnsUpstream,
            resource(
                Kind::DnsUpstream,
                json!({"flavor": "kube_dns", "nameservers": ["10.1.0.4"]}),
            ),
        ),
    ];
    for (kind, a) in &resources {
        p.create(&cx, *kind, a).await.unwrap();
        p.update(&cx, *kind, a, a).await.unwrap();
    }
    let mut cf = resource(
        Kind::DnsUpstream,
        json!({"flavor": "corefile", "nameservers": ["10.1.0.4"]}),
    );
    cf.insert("force_conflicts".into(), Value::Bool(true));
    p.create(&cx, Kind::DnsUpstream, &cf).await.unwrap();
    p.delete(&cx, Kind::DnsUpstream, &cf).await.unwrap();

    // Every whole object sent: a create (POST) or a server-side apply.
    let sent: Vec<J> = env
        .emu
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" || r.content_type.starts_with("application/apply-patch"))
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    let kinds: std::collections::BTreeSet<&str> = sent.iter().filter_map(|o| o["kind"].as_str()).collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["ConfigMap", "EndpointSlice", "Endpoints", "Namespace", "Service"]
    );
    // (A DNS upstream's release applies the ConfigMap's identity alone.)
    let yaml = manifests::to_yaml(&sent);
    let (ok, text) = common::kubernetes_validate(&yaml);
    assert!(ok, "kubernetes-validate rejected what was sent:\n{text}\n{yaml}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_come_from_the_attributes_never_from_a_sent_manifest() {
    let env = start(Options::default(), Auth::Token).await;
    let p = plane(&env);
    let cx = OpCtx::new("dev");
    // A forged plan: the manifest asks for a Secret in kube-system.
    let mut forged = api_service(8080);
    forged.insert(
        "manifest".into(),
        Value::str("apiVersion: v1\nkind: Secret\nmetadata:\n  name: stolen\n  namespace: kube-system\nstringData:\n  token: x\n"),
    );
    p.create(&cx, Kind::ExternalService, &forged).await.unwrap();
    assert!(env.emu.requests().iter().all(|r| !r.path.contains("secrets")));
    assert!(
        svc(&env, "default", "external-random-api").is_some(),
        "what the attributes describe"
    );
    // An ID that names another object than the attributes: refused, nothing sent.
    let mut other = api_service(8080);
    other.insert(
        "id".into(),
        Value::str(KubernetesObjectId::new(cluster(), "kube-system", "services", "kube-dns").to_string()),
    );
    let before = env.emu.requests().len();
    let e = p.update(&cx, Kind::ExternalService, &other, &other).await.unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::InvalidRequest), "{e}");
    assert!(
        e.to_string().contains("the ID names kube-system/services kube-dns"),
        "{e}"
    );
    assert_eq!(env.emu.requests().len(), before);
}
