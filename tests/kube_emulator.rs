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
