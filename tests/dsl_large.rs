//! A generated program of 10,000 resources loads and checks clean. Timing is
//! measured by `cargo bench --bench check`, never asserted here.

use hybridk8s::dsl::{self, Options};
use hybridk8s::graph;
use std::fmt::Write;

/// Hubs of the program: a hub holds at most 500 peerings, so the clusters
/// are spread over them.
const HUBS: usize = 5;

fn program(clusters: usize) -> String {
    let mut s = String::from("onprem corp {\n  address_space = [10.0.0.0/12]\n  dns_servers = [10.1.0.4]\n}\n\n");
    for h in 0..HUBS {
        write!(
            s,
            "hub hub{h} {{\n  resource_group_name = \"net\"\n  name = \"hub{h}\"\n  location = \"westeurope\"\n  \
             address_space = [10.20.{}.0/22]\n  gateway = vpn\n}}\n\n",
            4 * h
        )
        .expect("write");
    }
    for i in 0..clusters {
        let hub = i % HUBS;
        let (a, b) = (64 + i / 256, i % 256);
        write!(
            s,
            "cluster_network c{i} {{\n  resource_group_name = \"rg\"\n  location = \"westeurope\"\n  address_space = [10.{a}.{b}.0/24]\n  \
             max_nodes = 2\n  max_pods = 10\n  service_cidr = 172.16.0.0/16\n  avoid = [corp]\n}}\n\n\
             peering p{i} {{ cluster = c{i}  hub = hub{hub}  use_remote_gateways = true }}\n\n\
             lb_service l{i} {{ cluster = c{i}  selector = {{ app = \"web\" }}  ports = [{{ port = 80 }}] }}\n\n\
             external_service e{i} {{ cluster = c{i}  endpoints = [10.1.8.4]  ports = [{{ port = 80 }}] }}\n\n"
        )
        .expect("write");
    }
    s
}

#[test]
fn ten_thousand_resources() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.hk");
    std::fs::write(&path, program(2500)).expect("write");
    let p = dsl::load(&path, &Options::default()).unwrap_or_else(|e| panic!("{}", e.render_plain()));
    let diags = graph::check(&p.graph);
    assert_eq!(p.graph.len(), 10_001 + HUBS);
    assert!(!diags.has_errors(), "{}", p.render_plain(&diags));
}
