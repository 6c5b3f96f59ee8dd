//! The Kubernetes API emulator against the real `kubectl` and at the HTTP level.

#[path = "kube/mod.rs"]
mod kube_emu;

use kube_emu::{Auth, KubeEmulator, Options};
use std::path::{Path, PathBuf};
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

fn _unused(_: &Path) {}

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
