//! A Kubernetes API emulator for sync tests: started on its own runtime
//! (kept alive with it), with a kubeconfig file whose context names it.
//! Include after the emulator: `#[path = "kube/mod.rs"] mod kube_emu;`
//! then `#[path = "common/kube_cluster.rs"] mod kube_cluster;`.

#![allow(dead_code)]

use crate::kube_emu::{Auth, KubeEmulator, Options};
use std::path::PathBuf;

/// The context the written kubeconfig names (and makes current).
pub const CONTEXT: &str = "aks-dev";

pub struct Cluster {
    pub emu: KubeEmulator,
    pub kubeconfig: PathBuf,
    _dir: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
}

impl Cluster {
    pub fn start() -> Cluster {
        Cluster::start_with(Options::default(), Auth::Token)
    }

    pub fn start_with(opts: Options, auth: Auth) -> Cluster {
        // On a thread of its own: callers may be inside a runtime already.
        let (rt, emu) = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            let emu = rt.block_on(KubeEmulator::start(opts));
            (rt, emu)
        })
        .join()
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        emu.write_kubeconfig(&kubeconfig, CONTEXT, auth);
        Cluster {
            emu,
            kubeconfig,
            _dir: dir,
            _rt: rt,
        }
    }

    /// `KUBECONFIG` for a child process (and nothing else of the user's).
    pub fn env(&self) -> Vec<(String, String)> {
        vec![("KUBECONFIG".into(), self.kubeconfig.display().to_string())]
    }

    /// `kubectl ARGS` against the emulator; returns stdout, panics on failure.
    pub fn kubectl(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .output()
            .expect("kubectl is not installed: run the README's test command (it installs it)");
        assert!(
            out.status.success(),
            "kubectl {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    /// `namespace/name` of every object of a kind that hybridk8s marks as its own.
    pub fn managed(&self, api_version: &str, kind: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .emu
            .list(api_version, kind)
            .into_iter()
            .filter(|o| o["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "hybridk8s")
            .map(|o| {
                format!(
                    "{}/{}",
                    o["metadata"]["namespace"].as_str().unwrap_or(""),
                    o["metadata"]["name"].as_str().unwrap_or("")
                )
            })
            .collect();
        v.sort();
        v
    }
}

/// One cluster for the whole test process, started at first use (the
/// Kubernetes side of tests that are about ARM).
pub fn shared() -> &'static Cluster {
    static CLUSTER: std::sync::OnceLock<Cluster> = std::sync::OnceLock::new();
    CLUSTER.get_or_init(Cluster::start)
}
