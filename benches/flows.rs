//! Declared flows answered over a realistic graph: on-premises, a hub with
//! a gateway, a hub without one, 40 clusters in every network mode (half with an NSG on the node subnet) (some
//! peered with gateway transit, some not), external and load-balanced
//! Services, and 1,000 / 5,000 flows of every shape. Reports the time to
//! answer them all (one index of the graph, then one walk per flow) and the
//! wall time of `hybridk8s check` on the program. Target: 1,000 flows
//! answered in under 1 s.
//!
//! Run: `cargo bench --bench flows`

use std::fmt::Write;
use std::process::Command;
use std::time::Instant;

const CLUSTERS: usize = 40;

fn program(flows: usize) -> String {
    let mut s = String::from(
        "onprem corp {\n  address_space = [10.0.0.0/12, 192.168.0.0/16]\n  dns_servers = [10.1.0.4]\n  domains = [\"corp.local\"]\n}\n\
         hub hub {\n  resource_group_name = \"net-rg\"\n  location = \"westeurope\"\n  address_space = [10.20.0.0/22]\n  gateway = expressroute\n}\n\
         hub bare {\n  resource_group_name = \"net-rg\"\n  location = \"westeurope\"\n  address_space = [10.21.0.0/22]\n}\n",
    );
    let plugins = ["azure_cni_overlay", "azure_cni", "azure_cni_pod_subnet", "kubenet"];
    for i in 0..CLUSTERS {
        // A /22 per cluster from 100.64.0.0/10.
        let base = (100u32 << 24) | (64 << 16) | ((i as u32) << 10);
        let net = std::net::Ipv4Addr::from(base);
        let plugin = plugins[i % plugins.len()];
        let _ = write!(
            s,
            "cluster_network c{i} {{\n  resource_group_name = \"rg\"\n  location = \"westeurope\"\n  address_space = [{net}/22]\n  \
             plugin = {plugin}\n  max_nodes = 3\n  service_cidr = 172.16.0.0/16\n  avoid = [corp]\n}}\n"
        );
        let (hub, urg) = match i % 4 {
            0 | 1 => ("hub", true),
            2 => ("hub", false),
            _ => ("bare", false),
        };
        let _ = writeln!(
            s,
            "peering p{i} {{ cluster = c{i}  hub = {hub}  use_remote_gateways = {urg} }}"
        );
        let _ = writeln!(
            s,
            "external_service e{i} {{ cluster = c{i}  name = \"ext\"  ports = [{{ port = 80, target_port = 8080 }}]  endpoints = [10.1.{i}.4, 10.1.{i}.5] }}"
        );
        if i % 2 == 0 {
            // Half the node subnets carry an NSG the subnet step evaluates.
            let _ = writeln!(
                s,
                "network_security_group n{i} {{ name = \"nsg{i}\"  resource_group_name = \"rg\"  location = \"westeurope\"  cluster = c{i}  rule = [\
                 {{ name = \"no-ssh\", priority = 100, direction = \"inbound\", access = \"deny\", protocol = \"tcp\", destination_port_ranges = [\"22\"] }},\
                 {{ name = \"no-db\", priority = 110, direction = \"outbound\", access = \"deny\", protocol = \"tcp\", destination_port_ranges = [\"5432\"], destination_address_prefixes = [\"10.1.0.0/24\"] }}] }}"
            );
        }
        let _ = writeln!(
            s,
            "lb_service ilb{i} {{ cluster = c{i}  name = \"api\"  selector = {{ app = \"api\" }}  ports = [{{ port = 443 }}]  internal = true }}"
        );
    }
    for k in 0..flows {
        let c = k % CLUSTERS;
        let d = (k * 7 + 3) % CLUSTERS;
        let body = match k % 8 {
            0 => format!("from = c{c}.pods  to = 10.1.{}.{}  port = 5432", k % 250, k % 200 + 1),
            1 => format!("from = corp  to = c{c}.pods  port = 8080"),
            2 => format!("from = corp  to = ilb{c}  port = 443"),
            3 => format!("from = c{c}.pods  to = e{c}  port = 80"),
            4 => format!("from = c{c}.nodes  to = c{d}.nodes  port = 22"),
            5 => format!("from = 10.2.{}.0/24  to = c{c}.nodes  port = 443", k % 250),
            6 => format!("from = hub  to = c{c}.nodes  protocol = \"icmp\""),
            _ => format!(
                "from = c{c}.pods  to = 8.8.{}.8  port = 53  protocol = \"udp\"",
                k % 250
            ),
        };
        // The bench measures answering, not mismatches: every flow may
        // pass or be blocked; `flows` reports which.
        let _ = writeln!(s, "flow \"f{k}\" {{ {body} }}");
    }
    s
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test` lists benches; nothing to list
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let bin = env!("CARGO_BIN_EXE_hybridk8s");
    for flows in [1_000usize, 5_000] {
        let path = dir.path().join(format!("flows-{flows}.hk"));
        std::fs::write(&path, program(flows)).expect("write program");
        let program = hybridk8s::dsl::load(&path, &hybridk8s::dsl::Options::default()).expect("the program loads");
        assert_eq!(program.flows.len(), flows);
        let mut times = Vec::new();
        let mut blocked = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let answered = program.answer_flows();
            times.push(t.elapsed().as_secs_f64());
            blocked = answered
                .iter()
                .filter(|a| a.answer.as_ref().is_ok_and(|a| a.blocker.is_some()))
                .count();
            assert!(answered.iter().all(|a| a.answer.is_ok()), "every flow is answered");
        }
        times.sort_by(f64::total_cmp);
        println!(
            "answer {flows:>5} flows over {} resources: {:>8.4} s median ({blocked} blocked)",
            program.graph.len(),
            times[2]
        );
        let t = Instant::now();
        let out = Command::new(bin).arg("check").arg(&path).output().expect("run check");
        // Mismatches are errors: the exit code is 1 when some flow is
        // blocked; the run must end normally either way.
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        println!(
            "check  {flows:>5} flows (whole command):        {:>8.4} s",
            t.elapsed().as_secs_f64()
        );
    }
}
