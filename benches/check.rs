//! `hybridk8s check` on generated programs of 10,000 and 20,000 resources:
//! wall time and peak RSS of the release binary, median of several runs.
//! Targets: 10k under 1 s and 200 MiB; 20k within 2.2x of 10k.
//!
//! Run: `cargo bench --bench check`

use std::fmt::Write;
use std::process::Command;
use std::time::Instant;

/// Hubs of the generated programs: a hub holds at most 500 peerings, and
/// 20,000 resources have 1,999 clusters.
const HUBS: usize = 4;

/// A valid program of exactly `resources` resources: the on-prem network,
/// the hubs, and units of 10 (a cluster, its peering, DNS, five external
/// services, a public and an internal load balancer), topped up with
/// external services of the first cluster.
fn program(resources: usize) -> String {
    let units = (resources - 1 - HUBS) / 10;
    let mut s = String::from(
        "onprem corp {\n  address_space = [10.0.0.0/12]\n  dns_servers = [10.1.0.4, 10.1.0.5]\n  domains = [\"corp.local\"]\n}\n",
    );
    for h in 0..HUBS {
        let _ = write!(
            s,
            "hub hub{h} {{\n  resource_group_name = \"net-rg\"\n  location = \"westeurope\"\n  address_space = [10.20.{}.0/22]\n  gateway = vpn\n}}\n",
            4 * h
        );
    }
    for i in 0..units {
        let hub = i % HUBS;
        // A /22 per cluster from 100.64.0.0/10.
        let base = (100u32 << 24) | (64 << 16) | ((i as u32) << 10);
        let net = std::net::Ipv4Addr::from(base);
        let _ = write!(
            s,
            "cluster_network c{i} {{\n  resource_group_name = \"rg\"\n  location = \"westeurope\"\n  address_space = [{net}/22]\n  \
             plugin = azure_cni\n  max_nodes = 3\n  internal_lb_ips = 1\n  service_cidr = 172.16.0.0/16\n  avoid = [corp]\n}}\n\
             peering p{i} {{ cluster = c{i}  hub = hub{hub}  use_remote_gateways = true }}\n\
             dns_upstream d{i} {{ cluster = c{i}  stub_domains = {{ \"corp.local\" = corp.dns_servers }} }}\n"
        );
        for j in 0..5 {
            let _ = writeln!(
                s,
                "external_service e{i}_{j} {{ cluster = c{i}  name = \"ext-{j}\"  ports = [{{ port = 80, target_port = 8080 }}]  endpoints = [10.1.{}.{}] }}",
                i % 250,
                j + 1
            );
        }
        let _ = write!(
            s,
            "lb_service pub{i} {{ cluster = c{i}  name = \"web\"  selector = {{ app = \"web\" }}  ports = [{{ port = 80 }}] }}\n\
             lb_service int{i} {{ cluster = c{i}  name = \"api\"  selector = {{ app = \"api\" }}  ports = [{{ port = 443 }}]  internal = true }}\n"
        );
    }
    for k in 0..(resources - 1 - HUBS - units * 10) {
        let _ = writeln!(
            s,
            "external_service extra{k} {{ cluster = c0  name = \"extra-{k}\"  ports = [{{ port = 80 }}]  endpoints = [10.2.0.{}] }}",
            k + 1
        );
    }
    s
}

fn measure(bin: &str, file: &std::path::Path, runs: usize) -> (f64, f64) {
    let mut times = Vec::new();
    let mut rss = Vec::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let stats = dir.path().join("time.txt");
    for _ in 0..runs {
        let t = Instant::now();
        let out = Command::new("/usr/bin/time")
            .args(["-f", "%M", "-o"])
            .arg(&stats)
            .arg(bin)
            .arg("check")
            .arg(file)
            .output()
            .expect("run /usr/bin/time");
        times.push(t.elapsed().as_secs_f64());
        assert!(
            out.status.success(),
            "check failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let kib: f64 = std::fs::read_to_string(&stats)
            .expect("time output")
            .trim()
            .parse()
            .expect("KiB");
        rss.push(kib / 1024.0);
    }
    times.sort_by(f64::total_cmp);
    rss.sort_by(f64::total_cmp);
    (times[runs / 2], rss[runs / 2])
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test` lists benches; nothing to list
    }
    let bin = env!("CARGO_BIN_EXE_hybridk8s");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut results = Vec::new();
    for resources in [10_000usize, 20_000] {
        let path = dir.path().join(format!("gen-{resources}.hk"));
        std::fs::write(&path, program(resources)).expect("write program");
        let (secs, mib) = measure(bin, &path, 5);
        println!("check {resources:>6} resources: {secs:>7.3} s median, {mib:>6.1} MiB peak RSS");
        results.push(secs);
    }
    println!("20k / 10k time ratio: {:.2} (target <= 2.2)", results[1] / results[0]);
}
