//! The Kubernetes API emulator against the real `kubectl` and at the HTTP level.

#[path = "kube/mod.rs"]
mod kube_emu;

use kube_emu::{Auth, KubeEmulator, Options};
use std::path::PathBuf;
use std::process::Command;

struct Kubectl {
    _dir: tempfile::TempDir,
    config: PathBuf,
}

impl Kubectl {
    fn new(emu: &KubeEmulator, auth: Auth) -> Kubectl {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("config");
        emu.write_kubeconfig(&config, "emu", auth);
        Kubectl { _dir: dir, config }
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self._dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    /// (success, stdout, stderr)
    fn run(&self, args: &[&str]) -> (bool, String, String) {
        let out = Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", &self.config)
            .env("HOME", self._dir.path())
            .output()
            .expect("kubectl on PATH");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn ok(&self, args: &[&str]) -> String {
        let (ok, out, err) = self.run(args);
        assert!(ok, "kubectl {args:?} failed:\n{out}\n{err}");
        out
    }
}

#[tokio::test]
async fn kubectl_gets_namespaces_with_a_token_and_with_a_client_certificate() {
    let emu = KubeEmulator::start(Options::default()).await;
    for auth in [Auth::Token, Auth::ClientCert] {
        let k = Kubectl::new(&emu, auth);
        let out = k.ok(&["get", "ns"]);
        eprintln!("{out}");
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            assert!(out.contains(ns), "{out}");
        }
        let out = k.ok(&["get", "svc", "-A"]);
        eprintln!("{out}");
    }
}

const ORDERS: &str = r#"apiVersion: v1
kind: Service
metadata:
  name: orders-api
  namespace: default
spec:
  ports:
  - name: http
    port: 80
    protocol: TCP
    targetPort: 8080
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: orders-api
  namespace: default
  labels:
    kubernetes.io/service-name: orders-api
addressType: IPv4
endpoints:
- addresses: ["10.20.1.4"]
ports:
- name: http
  port: 8080
  protocol: TCP
"#;

fn slice_owned_by(uid: &str) -> String {
    format!(
        r#"apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: orders-api
  namespace: default
  labels:
    kubernetes.io/service-name: orders-api
  ownerReferences:
  - apiVersion: v1
    kind: Service
    name: orders-api
    uid: {uid}
addressType: IPv4
endpoints:
- addresses: ["10.20.1.4"]
ports:
- name: http
  port: 8080
  protocol: TCP
"#
    )
}

#[tokio::test]
async fn kubectl_applies_server_side_and_reports_another_managers_conflict() {
    let emu = KubeEmulator::start(Options::default()).await;
    let k = Kubectl::new(&emu, Auth::Token);
    let f = k.file("orders.yaml", ORDERS);
    let out = k.ok(&["apply", "--server-side", "-f", f.to_str().unwrap()]);
    assert!(out.contains("service/orders-api serverside-applied"), "{out}");
    assert!(
        out.contains("endpointslice.discovery.k8s.io/orders-api serverside-applied"),
        "{out}"
    );
    let svc = emu.get("v1", "Service", "default", "orders-api").expect("service");
    let mf = &svc["metadata"]["managedFields"][0];
    assert_eq!(mf["manager"], "kubectl");
    assert_eq!(mf["operation"], "Apply");
    assert!(
        mf["fieldsV1"]["f:spec"]["f:ports"]["k:{\"port\":80,\"protocol\":\"TCP\"}"]["f:targetPort"].is_object(),
        "{mf}"
    );

    let changed = ORDERS.replace("targetPort: 8080", "targetPort: 9090");
    let f2 = k.file("changed.yaml", &changed);
    let (ok, _, err) = k.run(&[
        "apply",
        "--server-side",
        "--field-manager",
        "other",
        "-f",
        f2.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(
        err.contains(
            r#"Apply failed with 1 conflict: conflict with "kubectl": .spec.ports[port=80,protocol="TCP"].targetPort"#
        ),
        "{err}"
    );
    let svc = emu.get("v1", "Service", "default", "orders-api").expect("service");
    assert_eq!(svc["spec"]["ports"][0]["targetPort"], 8080);

    k.ok(&[
        "apply",
        "--server-side",
        "--field-manager",
        "other",
        "--force-conflicts",
        "-f",
        f2.to_str().unwrap(),
    ]);
    let svc = emu.get("v1", "Service", "default", "orders-api").expect("service");
    assert_eq!(svc["spec"]["ports"][0]["targetPort"], 9090);

    // The slice made a dependent of the Service goes with it.
    let uid = svc["metadata"]["uid"].as_str().unwrap().to_string();
    let f3 = k.file("slice.yaml", &slice_owned_by(&uid));
    k.ok(&["apply", "--server-side", "-f", f3.to_str().unwrap()]);
    let out = k.ok(&["get", "endpointslices", "-A"]);
    assert!(out.contains("ADDRESSTYPE"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains("orders-api") && l.contains("IPv4") && l.contains("8080") && l.contains("10.20.1.4")),
        "{out}"
    );
    let out = k.ok(&["get", "endpointslices", "-A", "-o", "json"]);
    let list: serde_json::Value = serde_json::from_str(&out).expect("json");
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["kubernetes", "orders-api"]);
    assert_eq!(list["items"][1]["kind"], "EndpointSlice");

    let out = k.ok(&["delete", "svc", "orders-api"]);
    assert!(out.contains("service \"orders-api\" deleted"), "{out}");
    assert!(emu.get("v1", "Service", "default", "orders-api").is_none());
    assert!(emu
        .get("discovery.k8s.io/v1", "EndpointSlice", "default", "orders-api")
        .is_none());
}

#[tokio::test]
async fn kubectl_rollout_restart_sets_the_restarted_at_annotation() {
    let emu = KubeEmulator::start(Options::default()).await;
    let k = Kubectl::new(&emu, Auth::ClientCert);
    let before = emu
        .get("apps/v1", "Deployment", "kube-system", "coredns")
        .expect("coredns");
    let out = k.ok(&["rollout", "restart", "deployment/coredns", "-n", "kube-system"]);
    assert!(out.contains("deployment.apps/coredns restarted"), "{out}");
    let after = emu
        .get("apps/v1", "Deployment", "kube-system", "coredns")
        .expect("coredns");
    let at = &after["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"];
    assert!(at.as_str().is_some_and(|s| s.len() >= 20), "{after}");
    assert_eq!(after["spec"]["template"]["spec"], before["spec"]["template"]["spec"]);
    assert_eq!(
        after["metadata"]["generation"],
        before["metadata"]["generation"].as_i64().unwrap() + 1
    );
    let managers: Vec<&str> = after["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["manager"].as_str().unwrap())
        .collect();
    assert_eq!(managers, ["kube-addon-manager", "kubectl-rollout"]);
}

fn client(emu: &KubeEmulator) -> reqwest::Client {
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(emu.ca_pem().as_bytes()).expect("CA"))
        .build()
        .expect("client")
}

async fn call(
    emu: &KubeEmulator,
    method: reqwest::Method,
    path: &str,
    content_type: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut rq = client(emu)
        .request(method, format!("{}{path}", emu.url()))
        .bearer_auth(emu.token());
    if let Some(b) = body {
        rq = rq.header("Content-Type", content_type).body(b.to_string());
    }
    let resp = rq.send().await.expect("answer");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(serde_json::Value::Null))
}

use reqwest::Method;
use serde_json::json;

fn service(name: &str, port: i64) -> serde_json::Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"},
           "spec": {"ports": [{"port": port, "protocol": "TCP"}]}})
}

#[tokio::test]
async fn unauthenticated_and_expired_callers_get_401() {
    let emu = KubeEmulator::start(Options::default()).await;
    let resp = client(&emu)
        .get(format!("{}/api/v1/namespaces", emu.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["kind"], "Status");
    assert_eq!(body["message"], "Unauthorized");
    assert_eq!(body["reason"], "Unauthorized");
    assert_eq!(call(&emu, Method::GET, "/api/v1/namespaces", "", None).await.0, 200);
    emu.expire_tokens();
    assert_eq!(call(&emu, Method::GET, "/api/v1/namespaces", "", None).await.0, 401);
    // A client certificate still works.
    let k = Kubectl::new(&emu, Auth::ClientCert);
    emu.clear_requests();
    k.ok(&["get", "ns", "default"]);
    assert!(emu
        .requests()
        .iter()
        .all(|r| r.user == kube_emu::CERT_USER && r.status == 200));
    let t = Kubectl::new(&emu, Auth::Token);
    let (ok, _, err) = t.run(&["get", "ns", "default"]);
    assert!(!ok && err.contains("You must be logged in to the server"), "{err}");
}

#[tokio::test]
async fn errors_answer_kubernetes_status_bodies() {
    let emu = KubeEmulator::start(Options::default()).await;
    let (s, b) = call(&emu, Method::GET, "/api/v1/namespaces/default/services/nope", "", None).await;
    assert_eq!(
        (s, b["reason"].as_str(), b["message"].as_str()),
        (404, Some("NotFound"), Some("services \"nope\" not found"))
    );
    let (s, b) = call(
        &emu,
        Method::GET,
        "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/nope",
        "",
        None,
    )
    .await;
    assert_eq!(
        (s, b["message"].as_str()),
        (404, Some("endpointslices.discovery.k8s.io \"nope\" not found"))
    );

    let (s, created) = call(
        &emu,
        Method::POST,
        "/api/v1/namespaces/default/services?fieldManager=hybridk8s",
        "application/json",
        Some(service("web", 80)),
    )
    .await;
    assert_eq!(s, 201, "{created}");
    assert!(created["spec"]["clusterIP"].as_str().unwrap().starts_with("10.0."));
    assert_eq!(created["spec"]["sessionAffinity"], "None");
    assert_eq!(created["metadata"]["managedFields"][0]["operation"], "Update");
    assert_eq!(created["metadata"]["managedFields"][0]["manager"], "hybridk8s");
    let (s, b) = call(
        &emu,
        Method::POST,
        "/api/v1/namespaces/default/services",
        "application/json",
        Some(service("web", 80)),
    )
    .await;
    assert_eq!(
        (s, b["reason"].as_str(), b["message"].as_str()),
        (409, Some("AlreadyExists"), Some("services \"web\" already exists"))
    );

    let mut other_ns = service("web", 80);
    other_ns["metadata"]["namespace"] = json!("shop");
    let (s, b) = call(
        &emu,
        Method::POST,
        "/api/v1/namespaces/shop/services",
        "application/json",
        Some(other_ns),
    )
    .await;
    assert_eq!((s, b["message"].as_str()), (404, Some("namespaces \"shop\" not found")));

    let (s, b) = call(
        &emu,
        Method::POST,
        "/api/v1/namespaces/default/services",
        "application/json",
        Some(service("bad", 70000)),
    )
    .await;
    assert_eq!((s, b["reason"].as_str()), (422, Some("Invalid")));
    assert_eq!(b["details"]["causes"][0]["field"], "spec.ports[0].port");
    assert_eq!(
        b["message"],
        "Service \"bad\" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"
    );
    let (s, b) = call(
        &emu,
        Method::POST,
        "/api/v1/namespaces/default/services",
        "application/json",
        Some(service("Bad_Name", 80)),
    )
    .await;
    assert_eq!(
        (s, b["details"]["causes"][0]["field"].as_str()),
        (422, Some("metadata.name"))
    );
    let ext =
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext"}, "spec": {"type": "ExternalName"}});
    let (s, b) = call(
        &emu,
        Method::POST,
        "/api/v1/namespaces/default/services",
        "application/json",
        Some(ext),
    )
    .await;
    assert_eq!(
        (s, b["details"]["causes"][0]["field"].as_str()),
        (422, Some("spec.externalName"))
    );
    let slice = json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "s"},
        "endpoints": [{"addresses": ["127.0.0.1"]}, {"addresses": ["169.254.0.9"]}]});
    let (s, b) = call(
        &emu,
        Method::POST,
        "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
        "application/json",
        Some(slice),
    )
    .await;
    assert_eq!(s, 422);
    let fields: Vec<&str> = b["details"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["addressType", "endpoints[0].addresses[0]", "endpoints[1].addresses[0]"]
    );

    // Delete: preconditions, then 200 with the object, then 404.
    let (s, b) = call(
        &emu,
        Method::DELETE,
        "/api/v1/namespaces/default/services/web",
        "application/json",
        Some(json!({"preconditions": {"uid": "other"}})),
    )
    .await;
    assert_eq!((s, b["reason"].as_str()), (409, Some("Conflict")));
    let uid = created["metadata"]["uid"].clone();
    let (s, _) = call(
        &emu,
        Method::DELETE,
        "/api/v1/namespaces/default/services/web",
        "application/json",
        Some(json!({"preconditions": {"uid": uid}})),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = call(
        &emu,
        Method::DELETE,
        "/api/v1/namespaces/default/services/web",
        "application/json",
        None,
    )
    .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn server_side_apply_records_owners_and_reports_conflicts() {
    let emu = KubeEmulator::start(Options::default()).await;
    let path = "/api/v1/namespaces/default/services/web";
    let (s, b) = call(
        &emu,
        Method::PATCH,
        path,
        "application/apply-patch+yaml",
        Some(service("web", 80)),
    )
    .await;
    assert_eq!((s, b["reason"].as_str()), (400, Some("BadRequest")));
    let (s, _) = call(
        &emu,
        Method::PATCH,
        &format!("{path}?fieldManager=hybridk8s"),
        "application/apply-patch+yaml",
        Some(service("web", 80)),
    )
    .await;
    assert_eq!(s, 201);
    emu.put_as("kubectl-edit", {
        let mut v = emu.get("v1", "Service", "default", "web").unwrap();
        v["spec"]["ports"][0]["targetPort"] = json!(8080);
        v
    });
    let mut changed = service("web", 80);
    changed["spec"]["ports"][0]["targetPort"] = json!(9090);
    let (s, b) = call(
        &emu,
        Method::PATCH,
        &format!("{path}?fieldManager=hybridk8s"),
        "application/apply-patch+yaml",
        Some(changed.clone()),
    )
    .await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["message"], "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using v1: .spec.ports[port=80,protocol=\"TCP\"].targetPort");
    assert_eq!(b["details"]["causes"][0]["reason"], "FieldManagerConflict");
    assert_eq!(
        b["details"]["causes"][0]["message"],
        "conflict with \"kubectl-edit\" using v1"
    );
    assert_eq!(
        b["details"]["causes"][0]["field"],
        ".spec.ports[port=80,protocol=\"TCP\"].targetPort"
    );
    let (s, b) = call(
        &emu,
        Method::PATCH,
        &format!("{path}?fieldManager=hybridk8s&force=true"),
        "application/apply-patch+yaml",
        Some(changed),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(b["spec"]["ports"][0]["targetPort"], 9090);
    // A field the applier stops applying goes away.
    let mut labelled = service("web", 80);
    labelled["metadata"]["labels"] = json!({"a": "1"});
    call(
        &emu,
        Method::PATCH,
        &format!("{path}?fieldManager=hybridk8s"),
        "application/apply-patch+yaml",
        Some(labelled),
    )
    .await;
    assert_eq!(
        emu.get("v1", "Service", "default", "web").unwrap()["metadata"]["labels"]["a"],
        "1"
    );
    let (s, b) = call(
        &emu,
        Method::PATCH,
        &format!("{path}?fieldManager=hybridk8s"),
        "application/apply-patch+yaml",
        Some(service("web", 80)),
    )
    .await;
    assert_eq!(s, 200);
    assert!(b["metadata"].get("labels").is_none_or(|l| l.get("a").is_none()), "{b}");
    // apply_as by another manager conflicts with hybridk8s' applied targetPort? No: it applies none.
    assert!(emu.apply_as("other", service("web", 81)).is_ok());
    assert_eq!(
        emu.get("v1", "Service", "default", "web").unwrap()["spec"]["ports"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn merge_patches_and_lists_across_namespaces() {
    let emu = KubeEmulator::start(Options::default()).await;
    let patch = json!({"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"}}}}});
    let (s, b) = call(
        &emu,
        Method::PATCH,
        "/apis/apps/v1/namespaces/kube-system/deployments/coredns",
        "application/merge-patch+json",
        Some(patch),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(b["spec"]["replicas"], 2);
    let (s, b) = call(&emu, Method::GET, "/api/v1/services", "", None).await;
    assert_eq!(s, 200);
    assert_eq!(b["kind"], "ServiceList");
    let names: Vec<&str> = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["kubernetes", "kube-dns"]);
    let (_, cm) = call(
        &emu,
        Method::GET,
        "/api/v1/namespaces/kube-system/configmaps/coredns",
        "",
        None,
    )
    .await;
    assert!(cm["data"]["Corefile"]
        .as_str()
        .unwrap()
        .contains("import custom/*.server"));
    assert_eq!(cm["metadata"]["managedFields"][0]["manager"], "kube-addon-manager");
}

#[tokio::test]
async fn discovery_answers_plain_json_for_aggregated_requests() {
    let emu = KubeEmulator::start(Options::default()).await;
    let resp = client(&emu)
        .get(format!("{}/apis", emu.url()))
        .bearer_auth(emu.token())
        .header(
            "Accept",
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json",
        )
        .send()
        .await
        .unwrap();
    let b: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(b["kind"], "APIGroupList");
    let (_, v1) = call(&emu, Method::GET, "/api/v1", "", None).await;
    let svc = v1["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "services")
        .unwrap();
    assert_eq!(svc["shortNames"], json!(["svc"]));
    assert_eq!(svc["namespaced"], true);
    let (_, v) = call(&emu, Method::GET, "/version", "", None).await;
    assert_eq!((v["major"].as_str(), v["minor"].as_str()), (Some("1"), Some("33")));
}

#[tokio::test]
async fn faults_fail_throttle_and_drop() {
    let emu = KubeEmulator::start(Options::default()).await;
    emu.faults().fail_next(500, 1);
    let (s, b) = call(&emu, Method::GET, "/api/v1/namespaces", "", None).await;
    assert_eq!((s, b["kind"].as_str()), (500, Some("Status")));
    emu.faults().fail_next(429, 1);
    let resp = client(&emu)
        .get(format!("{}/api/v1/namespaces", emu.url()))
        .bearer_auth(emu.token())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    assert_eq!(resp.headers()["retry-after"], "1");
    emu.faults().drop_next(1);
    assert!(client(&emu)
        .get(format!("{}/api/v1/namespaces", emu.url()))
        .bearer_auth(emu.token())
        .send()
        .await
        .is_err());
    assert_eq!(call(&emu, Method::GET, "/api/v1/namespaces", "", None).await.0, 200);
    emu.faults().fail_rate(503, 1.0);
    assert_eq!(call(&emu, Method::GET, "/api/v1/namespaces", "", None).await.0, 503);
    emu.faults().clear();
    emu.faults().set_latency(std::time::Duration::from_millis(5));
    assert_eq!(call(&emu, Method::GET, "/api/v1/namespaces", "", None).await.0, 200);
    emu.faults().slow_next(std::time::Duration::from_millis(5), 1);
    assert_eq!(call(&emu, Method::GET, "/api/v1/namespaces", "", None).await.0, 200);
    let statuses: Vec<u16> = emu.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 429, 0, 200, 503, 200, 200]);
    assert!(emu.requests().iter().all(|r| r.user == "token"));
    // Served, but the answer is lost.
    emu.faults().drop_after_next(1);
    let url = format!("{}/api/v1/namespaces/default/services?fieldManager=m", emu.url());
    let sent = client(&emu)
        .post(&url)
        .bearer_auth(emu.token())
        .header("Content-Type", "application/json")
        .body(service("lost", 80).to_string())
        .send()
        .await;
    assert!(sent.is_err());
    assert!(emu.get("v1", "Service", "default", "lost").is_some());
    assert_eq!(emu.requests().last().unwrap().status, 0);
    // One client, one pooled connection for several calls.
    emu.faults().clear();
    let before = emu.connections();
    let c = client(&emu);
    for _ in 0..3 {
        let r = c
            .get(format!("{}/api/v1/namespaces", emu.url()))
            .bearer_auth(emu.token())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        r.bytes().await.unwrap();
    }
    assert_eq!(emu.connections(), before + 1);
}

#[tokio::test]
async fn kubeconfigs_merge_contexts() {
    let a = KubeEmulator::start(Options::default()).await;
    let b = KubeEmulator::start(Options {
        seed_aks: false,
        ..Options::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    a.write_kubeconfig(&path, "one", Auth::Token);
    b.write_kubeconfig(&path, "two", Auth::ClientCert);
    let cfg: serde_json::Value = serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(cfg["current-context"], "one");
    assert_eq!(cfg["contexts"].as_array().unwrap().len(), 2);
    let run = |ctx: &str| {
        Command::new("kubectl")
            .args(["--context", ctx, "get", "ns", "-o", "name"])
            .env("KUBECONFIG", &path)
            .env("HOME", dir.path())
            .output()
            .unwrap()
    };
    let one = run("one");
    assert!(String::from_utf8_lossy(&one.stdout).contains("namespace/kube-system"));
    let two = run("two");
    assert!(two.status.success());
    assert_eq!(String::from_utf8_lossy(&two.stdout), "");
}

#[tokio::test]
async fn endpoints_refuse_loopback_and_namespaces_take_their_objects_along() {
    let emu = KubeEmulator::start(Options::default()).await;
    let ep = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "legacy"},
        "subsets": [{"addresses": [{"ip": "127.0.0.2"}], "ports": [{"port": 80}]}]});
    let (s, b) = call(
        &emu,
        Method::POST,
        "/api/v1/namespaces/default/endpoints",
        "application/json",
        Some(ep),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(b["details"]["causes"][0]["field"], "subsets[0].addresses[0].ip");
    assert_eq!(
        b["details"]["causes"][0]["message"],
        "Invalid value: \"127.0.0.2\": may not be in the loopback range (127.0.0.0/8, ::1/128)"
    );
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}});
    assert_eq!(
        call(&emu, Method::POST, "/api/v1/namespaces", "application/json", Some(ns))
            .await
            .0,
        201
    );
    let mut svc = service("web", 80);
    svc["metadata"]["namespace"] = json!("shop");
    assert_eq!(
        call(
            &emu,
            Method::POST,
            "/api/v1/namespaces/shop/services",
            "application/json",
            Some(svc)
        )
        .await
        .0,
        201
    );
    assert!(emu.delete("v1", "Namespace", "", "shop"));
    assert!(emu.get("v1", "Service", "shop", "web").is_none());
    assert!(!emu.delete("v1", "Namespace", "", "shop"));
    let (s, _) = call(&emu, Method::GET, "/api/v1/widgets", "", None).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn kubectl_lists_several_kinds_at_once() {
    let emu = KubeEmulator::start(Options::default()).await;
    let k = Kubectl::new(&emu, Auth::Token);
    let out = k.ok(&["get", "svc,endpointslices", "-A"]);
    assert!(out.contains("service/kubernetes"), "{out}");
    assert!(out.contains("endpointslice.discovery.k8s.io/kubernetes"), "{out}");
    let out = k.ok(&["get", "cm,deploy", "-n", "kube-system", "-o", "name"]);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "configmap/coredns",
            "configmap/coredns-custom",
            "deployment.apps/coredns"
        ]
    );
    let f = k.file(
        "ns.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\ndata:\n  a: \"1\"\n",
    );
    k.ok(&["apply", "--server-side", "-f", f.to_str().unwrap()]);
    let out = k.ok(&["get", "cm", "settings", "-n", "shop", "-o", "jsonpath={.data.a}"]);
    assert_eq!(out, "1");
}

/// kubectl never sends a bearer token over plain HTTP, so plain HTTP is
/// for HTTP-level clients.
#[tokio::test]
async fn plain_http_serves_the_same_api() {
    let emu = KubeEmulator::start(Options {
        tls: false,
        ..Options::default()
    })
    .await;
    assert!(emu.url().starts_with("http://127.0.0.1:"));
    let c = reqwest::Client::new();
    let url = format!("{}/api/v1/namespaces/default", emu.url());
    assert_eq!(c.get(&url).send().await.unwrap().status().as_u16(), 401);
    let r = c.get(&url).bearer_auth(emu.token()).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let ns: serde_json::Value = r.json().await.unwrap();
    assert_eq!(ns["metadata"]["labels"]["kubernetes.io/metadata.name"], "default");
}

#[tokio::test]
async fn selectors_dry_runs_and_orphaning_deletes() {
    let emu = KubeEmulator::start(Options::default()).await;
    let (_, b) = call(
        &emu,
        Method::GET,
        "/api/v1/services?labelSelector=k8s-app%3Dkube-dns",
        "",
        None,
    )
    .await;
    let names: Vec<&str> = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["kube-dns"]);
    let (_, b) = call(&emu, Method::GET, "/api/v1/services?labelSelector=!k8s-app", "", None).await;
    assert_eq!(b["items"][0]["metadata"]["name"], "kubernetes");
    let (_, b) = call(
        &emu,
        Method::GET,
        "/api/v1/services?fieldSelector=metadata.namespace%3Ddefault",
        "",
        None,
    )
    .await;
    assert_eq!(b["items"].as_array().unwrap().len(), 1);

    let (s, _) = call(
        &emu,
        Method::POST,
        "/api/v1/namespaces/default/services?dryRun=All",
        "application/json",
        Some(service("web", 80)),
    )
    .await;
    assert_eq!(s, 201);
    assert!(emu.get("v1", "Service", "default", "web").is_none());

    let (_, svc) = call(
        &emu,
        Method::POST,
        "/api/v1/namespaces/default/services",
        "application/json",
        Some(service("web", 80)),
    )
    .await;
    let slice = json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": "web", "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": "web", "uid": svc["metadata"]["uid"]}]},
        "addressType": "IPv4", "endpoints": [{"addresses": ["10.1.0.4"]}]});
    let (s, _) = call(
        &emu,
        Method::POST,
        "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
        "application/json",
        Some(slice),
    )
    .await;
    assert_eq!(s, 201);
    let (s, _) = call(
        &emu,
        Method::DELETE,
        "/api/v1/namespaces/default/services/web",
        "application/json",
        Some(json!({"propagationPolicy": "Orphan"})),
    )
    .await;
    assert_eq!(s, 200);
    assert!(emu
        .get("discovery.k8s.io/v1", "EndpointSlice", "default", "web")
        .is_some());
}

#[tokio::test]
async fn apply_after_create_conflicts_with_the_creators_update_entry() {
    let emu = KubeEmulator::start(Options::default()).await;
    let base = "/api/v1/namespaces/default/services";
    let mut svc = service("web", 80);
    svc["spec"]["ports"][0]["targetPort"] = json!(8080);
    call(
        &emu,
        Method::POST,
        &format!("{base}?fieldManager=hybridk8s"),
        "application/json",
        Some(svc.clone()),
    )
    .await;
    // The same manager applying is another (manager, operation) pair.
    svc["spec"]["ports"][0]["targetPort"] = json!(9090);
    svc["spec"]["sessionAffinity"] = json!("ClientIP");
    let apply = format!("{base}/web?fieldManager=hybridk8s");
    let (s, b) = call(
        &emu,
        Method::PATCH,
        &apply,
        "application/apply-patch+yaml",
        Some(svc.clone()),
    )
    .await;
    assert_eq!(s, 409);
    assert_eq!(
        b["message"],
        "Apply failed with 2 conflicts: conflicts with \"hybridk8s\" using v1:\n- .spec.ports[port=80,protocol=\"TCP\"].targetPort\n- .spec.sessionAffinity"
    );
    assert_eq!(b["details"]["causes"].as_array().unwrap().len(), 2);
    let (s, b) = call(
        &emu,
        Method::PATCH,
        &format!("{apply}&force=true"),
        "application/apply-patch+yaml",
        Some(svc.clone()),
    )
    .await;
    assert_eq!(s, 200);
    let ops: Vec<(&str, &str)> = b["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["manager"].as_str().unwrap(), e["operation"].as_str().unwrap()))
        .collect();
    assert_eq!(ops, [("hybridk8s", "Update"), ("hybridk8s", "Apply")]);
    // Applying again with the same values conflicts with nobody.
    let (s, _) = call(
        &emu,
        Method::PATCH,
        &apply,
        "application/apply-patch+yaml",
        Some(svc.clone()),
    )
    .await;
    assert_eq!(s, 200);
    // A port the applier stops applying goes; one another manager co-owns stays.
    svc["spec"]["ports"] =
        json!([{"port": 80, "protocol": "TCP", "targetPort": 9090}, {"port": 443, "protocol": "TCP"}]);
    call(
        &emu,
        Method::PATCH,
        &apply,
        "application/apply-patch+yaml",
        Some(svc.clone()),
    )
    .await;
    svc["spec"]["ports"] = json!([{"port": 80, "protocol": "TCP", "targetPort": 9090}]);
    let (_, b) = call(
        &emu,
        Method::PATCH,
        &apply,
        "application/apply-patch+yaml",
        Some(svc.clone()),
    )
    .await;
    let ports: Vec<i64> = b["spec"]["ports"]
        .as_array()
        .unwrap_or_else(|| panic!("{b}"))
        .iter()
        .map(|p| p["port"].as_i64().unwrap())
        .collect();
    assert_eq!(ports, [80]);
    let mut theirs = service("web", 80);
    theirs["metadata"]["labels"] = json!({"team": "a"});
    theirs["spec"]["ports"][0]["targetPort"] = json!(9090);
    emu.apply_as("kubectl", theirs).expect("co-owned, same values");
    let mut mine = svc.clone();
    mine["metadata"]["labels"] = json!({"team": "a"});
    call(&emu, Method::PATCH, &apply, "application/apply-patch+yaml", Some(mine)).await;
    let (_, b) = call(&emu, Method::PATCH, &apply, "application/apply-patch+yaml", Some(svc)).await;
    assert_eq!(b["metadata"]["labels"]["team"], "a", "kubectl still owns it");
}

#[tokio::test]
async fn kubectl_prints_the_columns_of_each_kind() {
    let emu = KubeEmulator::start(Options::default()).await;
    let k = Kubectl::new(&emu, Auth::Token);
    let out = k.ok(&["get", "deploy", "-n", "kube-system"]);
    let head: Vec<&str> = out.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(head, ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]);
    assert!(out.lines().nth(1).unwrap().starts_with("coredns   2/2"), "{out}");
    let out = k.ok(&["get", "cm", "-n", "kube-system"]);
    let rows: Vec<Vec<&str>> = out.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(rows[0], ["NAME", "DATA", "AGE"]);
    assert_eq!(&rows[1][..2], ["coredns", "1"]);
    assert_eq!(&rows[2][..2], ["coredns-custom", "0"]);
    let out = k.ok(&["get", "svc", "kube-dns", "-n", "kube-system"]);
    let rows: Vec<Vec<&str>> = out.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(rows[0], ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]);
    assert_eq!(
        &rows[1][..5],
        ["kube-dns", "ClusterIP", "10.0.0.10", "<none>", "53/UDP,53/TCP"]
    );
}

#[tokio::test]
async fn strategic_merge_patches_merge_keyed_lists_and_merge_patches_replace_them() {
    let emu = KubeEmulator::start(Options::default()).await;
    let path = "/api/v1/namespaces/kube-system/services/kube-dns";
    let patch = json!({"spec": {"ports": [{"port": 53, "protocol": "TCP", "targetPort": 5353}]}});
    let (s, b) = call(
        &emu,
        Method::PATCH,
        path,
        "application/strategic-merge-patch+json",
        Some(patch.clone()),
    )
    .await;
    assert_eq!(s, 200);
    let ports = b["spec"]["ports"].as_array().unwrap();
    assert_eq!(ports.len(), 2);
    assert_eq!(ports[1]["name"], "dns-tcp");
    assert_eq!(ports[1]["targetPort"], 5353);
    let (_, b) = call(&emu, Method::PATCH, path, "application/merge-patch+json", Some(patch)).await;
    assert_eq!(b["spec"]["ports"].as_array().unwrap().len(), 1);
    let (s, b) = call(
        &emu,
        Method::PATCH,
        path,
        "application/json-patch+json",
        Some(json!([])),
    )
    .await;
    assert_eq!((s, b["reason"].as_str()), (415, Some("UnsupportedMediaType")));
}

/// kube-rs (what the Kubernetes plane uses) against the emulator, with a
/// token and with a client certificate.
#[cfg(feature = "kubernetes")]
#[tokio::test]
async fn kube_rs_creates_applies_and_deletes() {
    use k8s_openapi::api::core::v1::Service;
    use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
    use kube::config::{KubeConfigOptions, Kubeconfig};
    let emu = KubeEmulator::start(Options::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    emu.write_kubeconfig(&path, "tok", Auth::Token);
    emu.write_kubeconfig(&path, "cert", Auth::ClientCert);
    for ctx in ["tok", "cert"] {
        let opts = KubeConfigOptions {
            context: Some(ctx.into()),
            ..Default::default()
        };
        let config = kube::Config::from_custom_kubeconfig(Kubeconfig::read_from(&path).unwrap(), &opts)
            .await
            .unwrap();
        let client = kube::Client::try_from(config).unwrap();
        let api: Api<Service> = Api::namespaced(client, "default");
        let svc: Service = serde_json::from_value(service(&format!("web-{ctx}"), 80)).unwrap();
        let pp = PostParams {
            field_manager: Some("hybridk8s".into()),
            ..Default::default()
        };
        let created = api.create(&pp, &svc).await.unwrap();
        assert!(created.metadata.uid.is_some());
        let mut changed = service(&format!("web-{ctx}"), 80);
        changed["spec"]["ports"][0]["targetPort"] = json!(9090);
        let err = api
            .patch(
                &format!("web-{ctx}"),
                &PatchParams::apply("hybridk8s"),
                &Patch::Apply(&changed),
            )
            .await
            .unwrap_err();
        match err {
            kube::Error::Api(s) => {
                assert_eq!(s.code, 409);
                assert!(
                    s.message.contains("conflict with \"hybridk8s\" using v1"),
                    "{}",
                    s.message
                );
            }
            other => panic!("{other}"),
        }
        let applied = api
            .patch(
                &format!("web-{ctx}"),
                &PatchParams::apply("hybridk8s").force(),
                &Patch::Apply(&changed),
            )
            .await
            .unwrap();
        let port = &applied.spec.unwrap().ports.unwrap()[0];
        assert_eq!(
            port.target_port,
            Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(9090))
        );
        api.delete(&format!("web-{ctx}"), &DeleteParams::default())
            .await
            .unwrap();
        assert!(api.get_opt(&format!("web-{ctx}")).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn applying_own_keys_into_a_shipped_config_map_leaves_the_others() {
    let emu = KubeEmulator::start(Options::default()).await;
    let path = "/api/v1/namespaces/kube-system/configmaps/coredns-custom?fieldManager=hybridk8s";
    let mine = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "coredns-custom", "namespace": "kube-system"},
        "data": {"onprem.server": "corp.example:53 {\n  forward . 10.1.0.4\n}\n"}});
    let (s, b) = call(&emu, Method::PATCH, path, "application/apply-patch+yaml", Some(mine)).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b["metadata"]["labels"]["addonmanager.kubernetes.io/mode"],
        "EnsureExists"
    );
    let managers: Vec<&str> = b["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["manager"].as_str().unwrap())
        .collect();
    assert_eq!(managers, ["kube-addon-manager", "hybridk8s"]);
    // Applying none of its keys removes them, and only them.
    let none = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "coredns-custom", "namespace": "kube-system"}});
    let (_, b) = call(&emu, Method::PATCH, path, "application/apply-patch+yaml", Some(none)).await;
    assert!(b["data"].as_object().is_none_or(|d| d.is_empty()), "{b}");
    assert_eq!(b["metadata"]["labels"]["k8s-app"], "kube-dns");
    // The Corefile belongs to the add-on manager: replacing it is a conflict.
    let corefile = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "coredns", "namespace": "kube-system"}, "data": {"Corefile": ".:53 {}\n"}});
    let (s, b) = call(
        &emu,
        Method::PATCH,
        "/api/v1/namespaces/kube-system/configmaps/coredns?fieldManager=hybridk8s",
        "application/apply-patch+yaml",
        Some(corefile),
    )
    .await;
    assert_eq!(s, 409);
    assert_eq!(
        b["message"],
        "Apply failed with 1 conflict: conflict with \"kube-addon-manager\": .data.Corefile"
    );
}

#[tokio::test]
async fn strict_field_validation_refuses_undeclared_fields() {
    let emu = KubeEmulator::start(Options::default()).await;
    let mut svc = service("web", 80);
    svc["spec"]["ports"][0]["tragetPort"] = json!(8080);
    let base = "/api/v1/namespaces/default/services";
    let (s, b) = call(
        &emu,
        Method::POST,
        &format!("{base}?fieldValidation=Strict"),
        "application/json",
        Some(svc.clone()),
    )
    .await;
    assert_eq!(
        (s, b["message"].as_str()),
        (
            400,
            Some("strict decoding error: unknown field \"spec.ports[0].tragetPort\"")
        )
    );
    let (s, b) = call(
        &emu,
        Method::PATCH,
        &format!("{base}/web?fieldManager=m&fieldValidation=Strict"),
        "application/apply-patch+yaml",
        Some(svc.clone()),
    )
    .await;
    assert_eq!(
        (s, b["message"].as_str()),
        (400, Some(".spec.ports[0].tragetPort: field not declared in schema"))
    );
    let k = Kubectl::new(&emu, Auth::Token);
    let f = k.file(
        "bad.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  prots: []\n",
    );
    let (ok, _, err) = k.run(&["apply", "--server-side", "-f", f.to_str().unwrap()]);
    assert!(
        !ok && err.contains(".spec.prots: field not declared in schema"),
        "{err}"
    );
}

#[tokio::test]
async fn kubectl_describe_finds_a_services_slices_by_label() {
    let emu = KubeEmulator::start(Options::default()).await;
    let k = Kubectl::new(&emu, Auth::Token);
    let f = k.file("orders.yaml", ORDERS);
    k.ok(&["apply", "--server-side", "-f", f.to_str().unwrap()]);
    let out = k.ok(&["describe", "svc", "orders-api"]);
    assert!(
        out.lines().any(|l| l.starts_with("IP:") && l.contains("10.0.")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("Endpoints:") && l.contains("10.20.1.4:8080")),
        "{out}"
    );
}

#[tokio::test]
async fn put_replaces_and_checks_the_resource_version() {
    let emu = KubeEmulator::start(Options::default()).await;
    let base = "/api/v1/namespaces/default/configmaps";
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}});
    let (_, created) = call(
        &emu,
        Method::POST,
        &format!("{base}?fieldManager=one"),
        "application/json",
        Some(cm),
    )
    .await;
    let mut next = created.clone();
    next["data"] = json!({"a": "2"});
    let (s, b) = call(
        &emu,
        Method::PUT,
        &format!("{base}/c?fieldManager=two"),
        "application/json",
        Some(next.clone()),
    )
    .await;
    assert_eq!(s, 200);
    assert_ne!(b["metadata"]["resourceVersion"], created["metadata"]["resourceVersion"]);
    assert_eq!(b["metadata"]["uid"], created["metadata"]["uid"]);
    let owners: Vec<(&str, bool)> = b["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["manager"].as_str().unwrap(),
                e["fieldsV1"]["f:data"].get("f:a").is_some(),
            )
        })
        .collect();
    // `one` keeps the data map itself (`.`), `two` took the changed key.
    assert_eq!(owners, [("one", false), ("two", true)]);
    // The stale resourceVersion of `next` is refused.
    let (s, b) = call(&emu, Method::PUT, &format!("{base}/c"), "application/json", Some(next)).await;
    assert_eq!((s, b["reason"].as_str()), (409, Some("Conflict")));
    assert_eq!(b["message"], "Operation cannot be fulfilled on configmaps \"c\": the object has been modified; please apply your changes to the latest version and try again");
    let (s, _) = call(
        &emu,
        Method::PUT,
        &format!("{base}/missing"),
        "application/json",
        Some(json!({"metadata": {"name": "missing"}})),
    )
    .await;
    assert_eq!(s, 404);
}
