//! What the graph knows, the DSL derives: a cluster network's
//! `internal_lb_ips` defaults to the internal `lb_service`s declared on it;
//! a written value wins and is checked.

use hybridk8s::dsl::{self, Files, Options};
use hybridk8s::graph::{self, Address};
use std::path::Path;

fn example() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hybrid.hk");
    std::fs::read_to_string(p).unwrap()
}

fn load(src: &str) -> dsl::Program {
    let files = Files::memory([("/t/main.hk", src)]);
    dsl::load_from(Path::new("/t/main.hk"), &Options::default(), &files)
        .unwrap_or_else(|e| panic!("{}", e.render_plain()))
}

fn codes(p: &dsl::Program) -> Vec<String> {
    graph::check(&p.graph).iter().map(|d| d.code.to_string()).collect()
}

fn aks(p: &dsl::Program) -> &graph::Resource {
    p.graph.get(&"cluster_network.aks".parse::<Address>().unwrap()).unwrap()
}

#[test]
fn internal_load_balancers_size_the_subnet_without_a_count_typed_by_hand() {
    let written = example();
    let line = written
        .lines()
        .find(|l| l.trim_start().starts_with("internal_lb_ips"))
        .expect("the example writes internal_lb_ips")
        .to_string();
    let derived = written.replace(&format!("{line}\n"), "");
    assert!(!derived.contains("internal_lb_ips"));

    let (w, d) = (load(&written), load(&derived));
    assert!(
        !codes(&d).contains(&"internal-lb-not-sized".to_string()),
        "{:?}",
        codes(&d)
    );
    assert_eq!(aks(&d).int("internal_lb_ips"), Some(1));
    assert_eq!(aks(&d).int("required_ip_count"), aks(&w).int("required_ip_count"));
    assert_eq!(aks(&d).str("node_subnet_cidr"), aks(&w).str("node_subnet_cidr"));

    // A second internal load balancer is counted too.
    let two = format!(
        "{derived}\nlb_service nginx2 {{\n  cluster  = aks\n  name     = \"nginx-internal-2\"\n  selector = {{ app = \"nginx\" }}\n  ports    = [{{ port = 80 }}]\n  internal = true\n}}\n"
    );
    assert_eq!(aks(&load(&two)).int("internal_lb_ips"), Some(2));
}

#[test]
fn a_written_count_wins_and_is_checked() {
    let zero = example().replacen("internal_lb_ips     = 1", "internal_lb_ips     = 0", 1);
    assert!(
        zero.contains("internal_lb_ips     = 0"),
        "the example's alignment changed"
    );
    let p = load(&zero);
    assert_eq!(aks(&p).int("internal_lb_ips"), Some(0));
    assert!(
        codes(&p).contains(&"internal-lb-not-sized".to_string()),
        "{:?}",
        codes(&p)
    );
}
