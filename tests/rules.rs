//! Table-driven tests of every hybrid-network rule over graphs built
//! directly (no DSL): each failure names its numbers and both objects.

mod common;

use common::*;
use hybridk8s::graph::{self, kinds, Address, Attrs, Ctx, Diagnostics, Graph, Kind, Value};
use serde_json::json;

fn errors(d: &Diagnostics) -> Vec<String> {
    d.errors().map(|d| format!("{}: {}", d.code, d.summary)).collect()
}

/// Asserts exactly one error with `code` whose summary contains every needle.
fn expect_error(g: &Graph, code: &str, needles: &[&str]) -> graph::Diagnostic {
    let d = graph::check(g);
    let hits: Vec<_> = d.errors().filter(|x| x.code == code).collect();
    assert_eq!(hits.len(), 1, "expected one `{code}` error, got: {:#?}", errors(&d));
    for n in needles {
        assert!(hits[0].summary.contains(n), "`{}` lacks `{n}`", hits[0].summary);
    }
    hits[0].clone()
}

#[test]
fn seed_topology_is_valid() {
    let g = seed();
    let d = graph::check(&g);
    assert!(!d.has_errors(), "{:#?}", errors(&d));
    assert!(g.order().is_ok());
}

#[test]
fn worked_example_sizes_a_slash_21() {
    let g = topology(json!({}), "expressroute");
    let c = g.get(&Address::new(Kind::ClusterNetwork, "aks")).unwrap();
    assert_eq!(c.int("required_ip_count"), Some(1586));
    assert_eq!(c.str("node_subnet_cidr"), Some("10.40.0.0/21"));
    assert_eq!(c.int("max_nodes_supported"), Some(64));
    assert_eq!(c.str("dns_service_ip"), Some("172.16.0.10"));
    assert_eq!(c.int("max_pods"), Some(30));
}

#[test]
fn kubenet_defaults_and_caps() {
    let g = topology(
        json!({"plugin": "kubenet", "max_pods": null, "max_nodes": 50}),
        "expressroute",
    );
    let c = g.get(&Address::new(Kind::ClusterNetwork, "aks")).unwrap();
    assert_eq!(c.int("max_pods"), Some(110));
    assert_eq!(c.str("pod_cidr"), Some("10.244.0.0/16"));
    assert_eq!(c.int("required_ip_count"), Some(56));
    assert_eq!(c.str("node_subnet_cidr"), Some("10.40.0.0/26"));

    let g = topology(
        json!({"plugin": "kubenet", "max_pods": null, "max_nodes": 400, "pod_cidr": "10.100.0.0/14"}),
        "vpn",
    );
    expect_error(&g, "kubenet-node-cap", &["401 nodes", "400"]);
    let g = topology(json!({"plugin": "calico", "max_pods": null, "max_nodes": 300}), "vpn");
    expect_error(&g, "pod-cidr-too-small", &["10.244.0.0/16", "256", "301"]);
}

#[test]
fn given_subnet_too_small_names_the_numbers() {
    let g = topology(json!({"node_subnet_cidr": "10.40.0.0/22"}), "expressroute");
    let d = expect_error(
        &g,
        "subnet-too-small",
        &["needs 1,586 addresses (/21); 10.40.0.0/22 holds 1,019"],
    );
    assert_eq!(d.path.to_string(), "node_subnet_cidr");
    assert!(d.hint.unwrap().contains("(50 + 1 surge) x (1 + 30)"));
}

#[test]
fn address_space_too_small_for_computed_subnet() {
    let g = topology(json!({"address_space": ["10.40.0.0/22"]}), "expressroute");
    expect_error(
        &g,
        "subnet-too-small",
        &["needs 1,586 addresses (/21)", "10.40.0.0/22 holds 1,019"],
    );
}

#[test]
fn subnet_rules() {
    let g = topology(json!({"node_subnet_cidr": "10.41.0.0/21"}), "vpn");
    expect_error(&g, "subnet-outside-vnet", &["10.41.0.0/21", "10.40.0.0/16"]);
    let g = topology(json!({"subnets": [{"name": "ilb", "cidr": "10.40.4.0/24"}]}), "vpn");
    expect_error(&g, "subnet-overlap", &["ilb 10.40.4.0/24", "nodes 10.40.0.0/21"]);
    let g = topology(
        json!({"plugin": "kubenet", "max_pods": null, "max_nodes": 1, "surge_nodes": 0, "subnets": [{"name": "tiny", "cidr": "10.40.1.0/30"}]}),
        "vpn",
    );
    expect_error(&g, "subnet-too-small", &["tiny 10.40.1.0/30", "/29"]);
}

#[test]
fn max_pods_bounds() {
    let g = topology(json!({"max_pods": 251}), "vpn");
    expect_error(&g, "out-of-range", &["max_pods", "251", "10 and 250"]);
    let g = topology(json!({"max_pods": 9}), "vpn");
    expect_error(&g, "out-of-range", &["9"]);
}

#[test]
fn service_range_rules() {
    // Default 10.0.0.0/16 lies inside on-prem 10.0.0.0/12 (AKS #2727).
    let g = topology(json!({"service_cidr": "10.0.0.0/16", "dns_service_ip": null}), "vpn");
    let d = expect_error(
        &g,
        "onprem-overlap",
        &["service_cidr 10.0.0.0/16", "10.0.0.0/12", "onprem.corp"],
    );
    assert_eq!(d.related[0].address.to_string(), "onprem.corp");
    let g = topology(
        json!({"service_cidr": "172.0.0.0/12", "dns_service_ip": "172.0.0.10"}),
        "vpn",
    );
    expect_error(&g, "service-cidr-too-large", &["/12"]);
    let g = topology(
        json!({"service_cidr": "172.30.0.0/16", "dns_service_ip": "172.30.0.10"}),
        "vpn",
    );
    expect_error(&g, "reserved-range", &["172.30.0.0/16"]);
    let g = topology(
        json!({"service_cidr": "10.40.0.0/20", "dns_service_ip": "10.40.0.10"}),
        "vpn",
    );
    assert!(errors(&graph::check(&g))
        .iter()
        .any(|e| e.starts_with("range-overlap") && e.contains("cluster VNET range 10.40.0.0/16")));
    let g = topology(
        json!({"service_cidr": "10.20.0.0/24", "dns_service_ip": "10.20.0.10"}),
        "vpn",
    );
    expect_error(
        &g,
        "hub-overlap",
        &["service_cidr 10.20.0.0/24", "10.20.0.0/22", "hub.hub"],
    );
    let g = topology(json!({"avoid": ["10.0.0.0/12", "172.16.0.0/16"]}), "vpn");
    expect_error(
        &g,
        "avoid-overlap",
        &["service_cidr 172.16.0.0/16", "avoided range 172.16.0.0/16"],
    );
}

#[test]
fn dns_service_ip_rules() {
    for (ip, needle) in [
        ("172.17.0.10", "not inside service_cidr 172.16.0.0/16"),
        ("172.16.0.0", "network address"),
        ("172.16.0.1", "first address"),
        ("172.16.255.255", "broadcast"),
    ] {
        let g = topology(json!({"dns_service_ip": ip}), "vpn");
        let d = expect_error(&g, "invalid-dns-service-ip", &[needle, ip]);
        assert_eq!(
            d.hint.as_deref(),
            Some("the convention is the .10 address: 172.16.0.10")
        );
    }
}

#[test]
fn bridge_and_pod_ranges() {
    let g = topology(json!({"docker_bridge_cidr": "172.16.0.1/16"}), "vpn");
    expect_error(
        &g,
        "range-overlap",
        &["docker_bridge_cidr 172.16.0.0/16", "service_cidr 172.16.0.0/16"],
    );
    let g = topology(json!({"docker_bridge_cidr": "192.168.0.1/24"}), "vpn");
    expect_error(
        &g,
        "onprem-overlap",
        &["docker_bridge_cidr 192.168.0.0/24", "192.168.0.0/16"],
    );
    let g = topology(
        json!({"plugin": "kubenet", "max_pods": null, "pod_cidr": "10.8.0.0/16"}),
        "vpn",
    );
    expect_error(&g, "onprem-overlap", &["pod_cidr 10.8.0.0/16", "10.0.0.0/12"]);
}

#[test]
fn cluster_vnet_overlapping_onprem() {
    let g = topology(json!({"address_space": ["10.4.0.0/16"], "avoid": []}), "vpn");
    expect_error(&g, "onprem-overlap", &["address range 10.4.0.0/16", "10.0.0.0/12"]);
    let g = topology(json!({"address_space": ["169.254.0.0/16"], "avoid": []}), "vpn");
    expect_error(&g, "reserved-range", &["169.254.0.0/16"]);
}

#[test]
fn peering_rules() {
    let g = topology(json!({}), "none");
    let d = expect_error(&g, "no-remote-gateway", &["hub.hub", "gateway = none"]);
    assert_eq!(d.path.to_string(), "use_remote_gateways");

    let mut g = Graph::new();
    g.add(hub("vpn")).unwrap();
    g.add(cluster(json!({"address_space": ["10.20.0.0/16"], "avoid": []})))
        .unwrap();
    let (c, h) = (id_of(&g, Kind::ClusterNetwork, "aks"), id_of(&g, Kind::Hub, "hub"));
    g.add(res(Kind::Peering, "p", json!({"cluster_network_id": c, "hub_id": h})))
        .unwrap();
    expect_error(
        &g,
        "peering-overlap",
        &["cluster_network.aks (10.20.0.0/16)", "hub.hub (10.20.0.0/22)"],
    );

    let mut g = topology(json!({}), "vpn");
    let mut h2 = res(
        Kind::Hub,
        "hub2",
        json!({"resource_group_name": "net-rg", "location": "westeurope", "address_space": ["10.30.0.0/22"], "gateway": "vpn"}),
    );
    h2.address.name = "hub2".into();
    g.add(h2).unwrap();
    let (c, h2) = (id_of(&g, Kind::ClusterNetwork, "aks"), id_of(&g, Kind::Hub, "hub2"));
    g.add(res(
        Kind::Peering,
        "second",
        json!({"cluster_network_id": c, "hub_id": h2, "use_remote_gateways": true}),
    ))
    .unwrap();
    expect_error(&g, "second-remote-gateway", &["peering.aks_hub"]);

    let g = {
        let mut g = topology(json!({}), "vpn");
        let p = g.get_mut(&Address::new(Kind::Peering, "aks_hub")).unwrap();
        p.attrs.insert("allow_gateway_transit".into(), Value::Bool(false));
        g
    };
    expect_error(&g, "gateway-transit-disabled", &["allow_gateway_transit"]);
}

#[test]
fn spokes_of_one_hub_must_not_overlap() {
    let mut g = topology(json!({}), "vpn");
    let green = res(
        Kind::ClusterNetwork,
        "green",
        json!({"resource_group_name": "k8s-rg", "location": "westeurope",
        "address_space": ["10.40.128.0/17"], "max_nodes": 3, "service_cidr": "172.16.0.0/16", "avoid": ["10.0.0.0/12"]}),
    );
    g.add(green).unwrap();
    let (c, h) = (id_of(&g, Kind::ClusterNetwork, "green"), id_of(&g, Kind::Hub, "hub"));
    g.add(res(
        Kind::Peering,
        "green_hub",
        json!({"cluster_network_id": c, "hub_id": h}),
    ))
    .unwrap();
    expect_error(&g, "spoke-overlap", &["10.40.128.0/17", "10.40.0.0/16", "hub.hub"]);
}

#[test]
fn dns_rules() {
    let mut g = topology(json!({}), "vpn");
    add(
        &mut g,
        Kind::DnsUpstream,
        "dns",
        json!({"flavor": "kube_dns", "nameservers": ["10.1.0.4", "10.1.0.5", "10.1.0.6", "10.1.0.7"]}),
    );
    expect_error(&g, "too-many-upstreams", &["4 nameservers", "at most 3"]);

    let mut g = topology(json!({}), "vpn");
    let many: Vec<String> = (1..=16).map(|i| format!("10.1.0.{i}")).collect();
    add(
        &mut g,
        Kind::DnsUpstream,
        "dns",
        json!({"flavor": "corefile", "nameservers": many}),
    );
    expect_error(&g, "too-many-upstreams", &["16 nameservers", "at most 15"]);

    let mut g = topology(json!({}), "vpn");
    add(
        &mut g,
        Kind::DnsUpstream,
        "dns",
        json!({"flavor": "corefile", "nameservers": ["dns.corp.local", "10.1.0.4:5353"]}),
    );
    let d = expect_error(&g, "invalid-nameserver", &["dns.corp.local", "host names"]);
    assert_eq!(d.path.to_string(), "nameservers[0]");

    for (dom, code) in [
        ("cluster.local", "stub-is-cluster-domain"),
        ("svc.cluster.local", "stub-is-cluster-domain"),
        ("Corp_Local", "invalid-stub-domain"),
    ] {
        let mut g = topology(json!({}), "vpn");
        add(
            &mut g,
            Kind::DnsUpstream,
            "dns",
            json!({"stub_domains": {dom: ["10.1.0.4"]}}),
        );
        let d = expect_error(&g, code, &[dom]);
        assert_eq!(d.path.to_string(), format!("stub_domains[{dom:?}]"));
    }
    let mut g = topology(json!({}), "vpn");
    add(
        &mut g,
        Kind::DnsUpstream,
        "dns",
        json!({"stub_domains": {"my-company.local": ["10.1.0.4"]}}),
    );
    add(&mut g, Kind::DnsUpstream, "dns2", json!({"flavor": "kube_dns"}));
    expect_error(&g, "duplicate-dns-upstream", &["dns_upstream.dns"]);
}

#[test]
fn endpoint_rules() {
    let svc = |eps: serde_json::Value| json!({"name": "api", "endpoints": eps, "ports": [{"port": 80}]});
    for (ip, needle) in [
        ("127.0.0.1", "loopback"),
        ("169.254.10.1", "link-local"),
        ("224.0.0.5", "multicast"),
    ] {
        let mut g = topology(json!({}), "vpn");
        add(&mut g, Kind::ExternalService, "api", svc(json!([ip])));
        expect_error(&g, "invalid-endpoint", &[ip, needle]);
    }
    let mut g = topology(json!({}), "vpn");
    add(&mut g, Kind::ExternalService, "api", svc(json!(["8.8.8.8"])));
    let d = expect_error(
        &g,
        "endpoint-unreachable",
        &[
            "8.8.8.8",
            "10.40.0.0/16 (cluster_network.aks)",
            "10.20.0.0/22 (hub.hub)",
        ],
    );
    assert_eq!(d.path.to_string(), "endpoints[0]");
    // Reachable: on-prem through the gateway, the hub, the cluster itself.
    let mut g = topology(json!({}), "vpn");
    add(
        &mut g,
        Kind::ExternalService,
        "api",
        svc(json!(["10.1.8.4", "10.20.0.4", "10.40.9.9"])),
    );
    assert!(!graph::check(&g).has_errors());
    // On-prem without gateway transit is unreachable (peering is not transitive).
    let mut g = topology(json!({}), "vpn");
    g.get_mut(&Address::new(Kind::Peering, "aks_hub"))
        .unwrap()
        .attrs
        .insert("use_remote_gateways".into(), Value::Bool(false));
    g.get_mut(&Address::new(Kind::Peering, "aks_hub"))
        .unwrap()
        .attrs
        .insert("allow_gateway_transit".into(), Value::Bool(false));
    add(&mut g, Kind::ExternalService, "api", svc(json!(["10.1.8.4"])));
    expect_error(
        &g,
        "onprem-unreachable",
        &["10.1.8.4", "onprem.corp", "no peering that uses a hub gateway"],
    );
    let mut g = topology(json!({}), "vpn");
    add(&mut g, Kind::ExternalService, "api", svc(json!(["172.16.3.4"])));
    expect_error(&g, "endpoint-in-service-cidr", &["172.16.3.4", "172.16.0.0/16"]);
}

#[test]
fn external_name_and_service_rules() {
    let cases = [
        (
            json!({"name": "db", "external_name": "10.1.2.3"}),
            "external-name-is-ip",
            "10.1.2.3",
        ),
        (
            json!({"name": "db", "external_name": "db.corp.local:1433"}),
            "external-name-port",
            "db.corp.local:1433",
        ),
        (
            json!({"name": "db", "external_name": "db_corp!"}),
            "invalid-external-name",
            "db_corp!",
        ),
        (
            json!({"name": "db", "external_name": "db.corp.local", "endpoints": ["10.1.0.9"], "ports": [{"port": 1}]}),
            "endpoints-and-external-name",
            "not both",
        ),
        (json!({"name": "db"}), "no-backend", "neither"),
        (
            json!({"name": "Db", "external_name": "db.corp.local"}),
            "invalid-service-name",
            "Db",
        ),
        (
            json!({"name": "db", "endpoints": ["10.1.0.9"]}),
            "no-ports",
            "at least one port",
        ),
        (
            json!({"name": "db", "endpoints": ["10.1.0.9"], "ports": [{"port": 1}, {"port": 2, "name": "b"}]}),
            "unnamed-port",
            "ports[0]",
        ),
        (
            json!({"name": "db", "endpoints": ["10.1.0.9"], "ports": [{"port": 70000}]}),
            "invalid-port",
            "70000",
        ),
    ];
    for (cfg, code, needle) in cases {
        let mut g = topology(json!({}), "vpn");
        add(&mut g, Kind::ExternalService, "db", cfg);
        expect_error(&g, code, &[needle]);
    }
    let mut g = topology(json!({}), "vpn");
    add(
        &mut g,
        Kind::ExternalService,
        "a",
        json!({"name": "same", "external_name": "a.example.com"}),
    );
    add(
        &mut g,
        Kind::LbService,
        "b",
        json!({"name": "same", "selector": {"app": "x"}, "ports": [{"port": 80}]}),
    );
    expect_error(
        &g,
        "duplicate-service",
        &["default/same", "external_service.a", "lb_service.b"],
    );
}

#[test]
fn external_name_in_onprem_domain_needs_dns() {
    let mut g = topology(json!({}), "vpn");
    add(
        &mut g,
        Kind::ExternalService,
        "db",
        json!({"name": "db", "external_name": "db.my-company.local"}),
    );
    let d = graph::check(&g);
    assert!(
        d.iter()
            .any(|x| x.code == "external-name-unresolvable" && x.summary.contains("my-company.local")),
        "{d:?}"
    );
    add(
        &mut g,
        Kind::DnsUpstream,
        "dns",
        json!({"stub_domains": {"my-company.local": ["10.1.0.4"]}}),
    );
    assert!(!graph::check(&g).iter().any(|x| x.code == "external-name-unresolvable"));
}

#[test]
fn load_balancer_rules() {
    let lb = |extra: serde_json::Value| {
        let mut v = json!({"name": "web", "selector": {"app": "web"}, "ports": [{"port": 80}], "internal": true});
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    let mut g = topology(json!({}), "vpn");
    add(&mut g, Kind::LbService, "web", lb(json!({})));
    expect_error(
        &g,
        "internal-lb-not-sized",
        &["1 internal load balancer(s)", "internal_lb_ips = 0"],
    );

    let mut g = topology(
        json!({"internal_lb_ips": 1, "subnets": [{"name": "ilb", "cidr": "10.40.8.0/24"}]}),
        "vpn",
    );
    add(&mut g, Kind::LbService, "web", lb(json!({"internal_subnet": "ilbb"})));
    let d = expect_error(&g, "unknown-subnet", &["ilbb", "nodes, ilb"]);
    assert_eq!(d.hint.as_deref(), Some("did you mean `ilb`?"));

    let mut g = topology(
        json!({"internal_lb_ips": 1, "subnets": [{"name": "ilb", "cidr": "10.40.8.0/24"}]}),
        "vpn",
    );
    add(
        &mut g,
        Kind::LbService,
        "web",
        lb(json!({"internal_subnet": "ilb", "load_balancer_ip": "10.40.9.4"})),
    );
    expect_error(&g, "lb-ip-outside-subnet", &["10.40.9.4", "ilb 10.40.8.0/24"]);

    let mut g = topology(json!({}), "vpn");
    add(
        &mut g,
        Kind::LbService,
        "web",
        lb(json!({"internal": false, "internal_subnet": "nodes"})),
    );
    expect_error(&g, "internal-subnet-on-public", &["internal_subnet"]);
}

#[test]
fn hub_gateway_subnet() {
    let g = topology(json!({}), "vpn");
    let h = g.get(&Address::new(Kind::Hub, "hub")).unwrap();
    assert_eq!(h.str("gateway_subnet_cidr"), Some("10.20.3.224/27"));
    assert!(h
        .str("gateway_subnet_id")
        .unwrap()
        .ends_with("/virtualNetworks/hub/subnets/GatewaySubnet"));
    let mut g = Graph::new();
    g.add(res(Kind::Hub, "hub", json!({"resource_group_name": "r", "location": "l", "address_space": ["10.20.0.0/22"], "gateway": "vpn", "gateway_subnet_cidr": "10.21.0.0/27"}))).unwrap();
    expect_error(&g, "subnet-outside-vnet", &["GatewaySubnet 10.21.0.0/27"]);
}

#[test]
fn invalid_literals_are_diagnostics() {
    let g = topology(
        json!({"service_cidr": "172.16.0.1/16", "dns_service_ip": "172.16.0.10"}),
        "vpn",
    );
    expect_error(&g, "invalid-cidr", &["host bits", "172.16.0.0/16"]);
    let g = topology(json!({"plugin": "azure-cni"}), "vpn");
    let d = expect_error(&g, "invalid-value", &["azure-cni"]);
    assert_eq!(d.hint.as_deref(), Some("did you mean `azure_cni`?"));
}

#[test]
fn schema_rejects_unknown_and_computed_attributes() {
    let addr = Address::new(Kind::ClusterNetwork, "aks");
    let mut attrs = Attrs::new();
    attrs.insert("max_node".into(), Value::Number(3));
    attrs.insert("id".into(), Value::str("x"));
    let (_, d) = kinds::complete(&addr, attrs, &Ctx::default());
    let msgs = errors(&d);
    assert!(msgs.iter().any(|m| m.contains("no attribute `max_node`")), "{msgs:?}");
    assert!(d.iter().any(|x| x.hint.as_deref() == Some("did you mean `max_nodes`?")));
    assert!(msgs.iter().any(|m| m.starts_with("computed-attribute")));
    assert!(msgs
        .iter()
        .any(|m| m.contains("requires attribute `resource_group_name`")));
}

#[test]
fn unknown_inputs_make_computed_unknown() {
    let addr = Address::new(Kind::Peering, "p");
    let mut attrs = Attrs::new();
    attrs.insert("cluster_network_id".into(), Value::Unknown);
    attrs.insert(
        "hub_id".into(),
        Value::str("/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/hub"),
    );
    let (a, d) = kinds::complete(&addr, attrs, &Ctx::default());
    assert!(d.is_empty());
    assert_eq!(a["id"], Value::Unknown);
    assert_eq!(a["hub_peering_id"], Value::Unknown);
    assert_eq!(a["use_remote_gateways"], Value::Bool(false));
}

#[test]
fn dependency_cycles_are_named() {
    let mut g = Graph::new();
    let mut a = res(Kind::Onprem, "a", json!({"address_space": ["10.0.0.0/8"]}));
    let mut b = res(Kind::Onprem, "b", json!({"address_space": ["11.0.0.0/8"]}));
    a.depends_on.insert(b.address.clone());
    b.depends_on.insert(a.address.clone());
    g.add(a).unwrap();
    g.add(b).unwrap();
    let e = g.order().unwrap_err();
    assert_eq!(e.code, "dependency-cycle");
    assert!(e.summary.contains("onprem.a -> onprem.b -> onprem.a"), "{}", e.summary);
}

/// A hub holds at most 500 peerings (Azure's limit per virtual network):
/// 500 spokes check clean, the 501st is refused once, at its peering.
#[test]
fn a_hub_holds_at_most_500_peerings() {
    let spokes = |n: usize| {
        let mut g = Graph::new();
        g.add(hub("vpn")).unwrap();
        let h = id_of(&g, Kind::Hub, "hub");
        for i in 0..n {
            let name = format!("spoke{i:03}");
            let cidr = format!("10.{}.{}.0/24", 64 + i / 256, i % 256);
            g.add(res(
                Kind::ClusterNetwork,
                &name,
                json!({"resource_group_name": "k8s-rg", "location": "westeurope", "address_space": [cidr],
                "plugin": "azure_cni_overlay", "max_nodes": 3, "service_cidr": "172.16.0.0/16"}),
            ))
            .unwrap();
            let c = id_of(&g, Kind::ClusterNetwork, &name);
            g.add(res(Kind::Peering, &name, json!({"cluster_network_id": c, "hub_id": h})))
                .unwrap();
        }
        g
    };
    let d = graph::check(&spokes(500));
    assert!(!d.errors().any(|x| x.code == "hub-peering-limit"), "{:#?}", errors(&d));
    let hit = expect_error(
        &spokes(501),
        "hub-peering-limit",
        &["hub.hub", "501 peerings", "at most 500"],
    );
    assert_eq!(
        hit.address,
        Some(Address::new(Kind::Peering, "spoke500")),
        "reported at the first peering over the limit"
    );
}
