//! The engine on small graphs: every blocker kind, every path shape.

use super::security::SubnetVerdict;
use super::*;
use crate::graph::kinds;
use crate::graph::packet::{Direction, Packet};
use crate::graph::{Attrs, Ctx, Graph, Kind, Resource, Value};

fn add(g: &mut Graph, kind: Kind, name: &str, attrs: &[(&str, Value)]) {
    let address = Address::new(kind, name);
    let mut config: Attrs = attrs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    if kinds::schema(kind).attribute("name").is_some() && !config.contains_key("name") {
        config.insert("name".into(), Value::str(name));
    }
    for k in ["cluster", "hub"] {
        if let Some(Value::String(target)) = config.remove(k) {
            let (key, kk) = if k == "hub" {
                ("hub_id", Kind::Hub)
            } else {
                ("cluster_network_id", Kind::ClusterNetwork)
            };
            let id = g
                .get(&Address::new(kk, &target))
                .expect("declared first")
                .get("id")
                .clone();
            config.insert(key.into(), id);
        }
    }
    let (attrs, _) = kinds::complete(&address, config, &Ctx::default());
    g.add(Resource::new(address, attrs)).expect("unique");
}

fn s(v: &str) -> Value {
    Value::str(v)
}

fn list(v: &[&str]) -> Value {
    Value::list_of_str(v.iter().copied())
}

fn port(p: i64, t: i64) -> Value {
    Value::Map(
        [
            ("port".to_string(), Value::Number(p)),
            ("target_port".to_string(), Value::Number(t)),
        ]
        .into(),
    )
}

fn vnet(g: &mut Graph, kind: Kind, name: &str, space: &str, extra: &[(&str, Value)]) {
    let mut a = vec![
        ("resource_group_name", s("rg")),
        ("location", s("westeurope")),
        ("address_space", list(&[space])),
    ];
    if kind == Kind::ClusterNetwork {
        a.push(("max_nodes", Value::Number(10)));
    }
    a.extend(extra.iter().cloned());
    add(g, kind, name, &a);
}

/// corp on premises, a hub with an ExpressRoute gateway, `aks` (Azure CNI,
/// gateway transit), `blue` (overlay, gateway transit), `green` (kubenet,
/// peered without gateway transit), `lonely` (not peered), and Services.
fn world() -> Graph {
    let mut g = Graph::new();
    add(
        &mut g,
        Kind::Onprem,
        "corp",
        &[("address_space", list(&["10.0.0.0/12", "192.168.0.0/16"]))],
    );
    vnet(
        &mut g,
        Kind::Hub,
        "hub",
        "10.20.0.0/22",
        &[("gateway", s("expressroute"))],
    );
    vnet(&mut g, Kind::Hub, "bare", "10.21.0.0/22", &[]);
    vnet(
        &mut g,
        Kind::ClusterNetwork,
        "aks",
        "10.40.0.0/16",
        &[("plugin", s("azure_cni"))],
    );
    vnet(
        &mut g,
        Kind::ClusterNetwork,
        "blue",
        "10.50.0.0/16",
        &[
            ("plugin", s("azure_cni_overlay")),
            ("pod_cidr", s("10.244.0.0/16")),
            ("node_subnet_cidr", s("10.50.0.0/24")),
        ],
    );
    vnet(
        &mut g,
        Kind::ClusterNetwork,
        "green",
        "10.60.0.0/16",
        &[("plugin", s("kubenet"))],
    );
    vnet(
        &mut g,
        Kind::ClusterNetwork,
        "lonely",
        "10.70.0.0/16",
        &[("plugin", s("azure_cni"))],
    );
    vnet(
        &mut g,
        Kind::ClusterNetwork,
        "edge",
        "10.80.0.0/16",
        &[("plugin", s("azure_cni"))],
    );
    vnet(
        &mut g,
        Kind::ClusterNetwork,
        "clash",
        "192.168.0.0/16",
        &[("plugin", s("azure_cni"))],
    );
    let peer = |g: &mut Graph, name: &str, c: &str, h: &str, urg: bool| {
        add(
            g,
            Kind::Peering,
            name,
            &[
                ("cluster", s(c)),
                ("hub", s(h)),
                ("use_remote_gateways", Value::Bool(urg)),
            ],
        );
    };
    peer(&mut g, "aks_hub", "aks", "hub", true);
    peer(&mut g, "blue_hub", "blue", "hub", true);
    peer(&mut g, "green_hub", "green", "hub", false);
    peer(&mut g, "edge_bare", "edge", "bare", true);
    peer(&mut g, "clash_hub", "clash", "hub", true);
    add(
        &mut g,
        Kind::LbService,
        "ilb",
        &[
            ("cluster", s("aks")),
            ("selector", Value::Map([("app".to_string(), s("web"))].into())),
            ("ports", Value::List(vec![port(443, 8443)])),
            ("internal", Value::Bool(true)),
        ],
    );
    add(
        &mut g,
        Kind::LbService,
        "web",
        &[
            ("cluster", s("aks")),
            ("selector", Value::Map([("app".to_string(), s("web"))].into())),
            ("ports", Value::List(vec![port(80, 8080)])),
        ],
    );
    add(
        &mut g,
        Kind::ExternalService,
        "api",
        &[
            ("cluster", s("aks")),
            ("ports", Value::List(vec![port(80, 8080)])),
            ("endpoints", list(&["10.1.8.4"])),
        ],
    );
    g
}

fn a(kind: Kind, name: &str) -> Ref {
    Ref::Address(Address::new(kind, name))
}

fn pods(c: &str) -> Source {
    Source::Cluster {
        cluster: a(Kind::ClusterNetwork, c),
        side: Side::Pods,
    }
}

fn corp() -> Source {
    Source::Onprem {
        onprem: a(Kind::Onprem, "corp"),
        range: None,
    }
}

fn ip(s: &str) -> Destination {
    Destination::Address(s.parse::<std::net::Ipv4Addr>().map(network::host).unwrap())
}

fn flow(from: Source, to: Destination, port: Option<u16>) -> Flow {
    Flow {
        name: "f".into(),
        from,
        to,
        protocol: Protocol::Tcp,
        port,
        expect: Verdict::Reachable,
    }
}

fn answer(g: &Graph, f: Flow) -> Answer {
    Network::new(g).answer(&f).expect("answered")
}

#[test]
fn pods_reach_onprem_through_the_hub_gateway() {
    let g = world();
    let ans = answer(&g, flow(pods("aks"), ip("10.1.2.3"), Some(5432)));
    assert_eq!(ans.verdict, Verdict::Reachable, "{ans:?}");
    assert_eq!(
        ans.path,
        [
            "pods of cluster_network.aks (10.40.0.0/23, plugin azure_cni)",
            "node subnet nodes (10.40.0.0/23)",
            "peering peering.aks_hub (use_remote_gateways)",
            "gateway of hub.hub (expressroute)",
            "10.1.2.3/32 in on-premises onprem.corp",
        ]
    );
}

#[test]
fn overlay_and_kubenet_pods_reach_onprem_seen_as_node_ips() {
    let g = world();
    let ans = answer(&g, flow(pods("blue"), ip("10.1.2.3"), Some(443)));
    assert_eq!(ans.verdict, Verdict::Reachable, "{ans:?}");
    assert!(ans.path[1].contains("pods leave as node IPs (SNAT)"), "{:?}", ans.path);
    assert!(ans.path[0].contains("10.244.0.0/16"), "{:?}", ans.path);
}

#[test]
fn onprem_to_overlay_pod_ips_is_blocked_by_snat() {
    let g = world();
    for c in ["blue", "green"] {
        let to = Destination::Cluster {
            cluster: a(Kind::ClusterNetwork, c),
            side: Side::Pods,
        };
        let ans = answer(&g, flow(corp(), to, Some(80)));
        assert_eq!(ans.verdict, Verdict::Blocked);
        let b = ans.blocker.unwrap();
        assert_eq!(b.kind(), "pod-snat", "{c}");
        assert!(b.explain().contains("not routable"), "{}", b.explain());
    }
    // Azure CNI pods keep their IP: reachable.
    let to = Destination::Cluster {
        cluster: a(Kind::ClusterNetwork, "aks"),
        side: Side::Pods,
    };
    let ans = answer(&g, flow(corp(), to, Some(80)));
    assert_eq!(ans.verdict, Verdict::Reachable, "{ans:?}");
    assert_eq!(ans.path[1], "gateway of hub.hub (expressroute)");
    assert_eq!(ans.path[2], "peering peering.aks_hub (use_remote_gateways)");
}

#[test]
fn pods_reach_their_own_pod_range() {
    let g = world();
    let ans = answer(&g, flow(pods("blue"), ip("10.244.3.9"), Some(80)));
    assert_eq!(ans.verdict, Verdict::Reachable, "{ans:?}");
    assert!(
        ans.path.iter().any(|h| h.contains("inside the cluster")),
        "{:?}",
        ans.path
    );
}

#[test]
fn spoke_to_spoke_is_not_transitive() {
    let g = world();
    let ans = answer(&g, flow(pods("aks"), ip("10.50.0.10"), Some(443)));
    let b = ans.blocker.expect("blocked");
    assert_eq!(b.kind(), "peering-not-transitive");
    assert!(b.explain().contains("hub.hub"), "{}", b.explain());
    assert_eq!(ans.path.last().unwrap(), "hub.hub");
}

#[test]
fn no_gateway_transit_on_the_spoke_or_the_hub_side() {
    let mut g = world();
    let ans = answer(&g, flow(pods("green"), ip("10.1.2.3"), Some(443)));
    assert_eq!(
        ans.blocker,
        Some(Blocker::NoGatewayTransit {
            peering: Address::new(Kind::Peering, "green_hub"),
            side: TransitSide::Spoke
        })
    );
    let p = g.get_mut(&Address::new(Kind::Peering, "aks_hub")).unwrap();
    p.attrs.insert("allow_gateway_transit".into(), Value::Bool(false));
    let ans = answer(&g, flow(pods("aks"), ip("10.1.2.3"), Some(443)));
    let b = ans.blocker.unwrap();
    assert_eq!(
        b,
        Blocker::NoGatewayTransit {
            peering: Address::new(Kind::Peering, "aks_hub"),
            side: TransitSide::Hub
        }
    );
    assert!(b.explain().contains("allow_gateway_transit = false"), "{}", b.explain());
}

#[test]
fn hub_without_gateway() {
    let g = world();
    let ans = answer(&g, flow(pods("edge"), ip("10.1.2.3"), Some(443)));
    assert_eq!(
        ans.blocker,
        Some(Blocker::HubWithoutGateway {
            hub: Address::new(Kind::Hub, "bare")
        })
    );
    let from = Source::Hub(a(Kind::Hub, "bare"));
    let ans = answer(&g, flow(from, ip("10.1.2.3"), Some(443)));
    assert_eq!(ans.blocker.unwrap().kind(), "hub-without-gateway");
}

#[test]
fn overlapping_ranges_are_routed_locally() {
    let g = world();
    // 192.168.1.1 is in `clash` and in corp: `clash` keeps it.
    let ans = answer(&g, flow(pods("clash"), ip("192.168.1.1"), Some(443)));
    let b = ans.blocker.expect("blocked");
    assert_eq!(b.kind(), "overlapping-ranges");
    assert!(
        b.explain().contains("routed to cluster_network.clash"),
        "{}",
        b.explain()
    );
    assert!(b.explain().contains("on-premises onprem.corp"), "{}", b.explain());
}

#[test]
fn missing_route_and_not_peered() {
    let g = world();
    let ans = answer(&g, flow(pods("aks"), ip("172.31.0.10"), Some(53)));
    assert_eq!(
        ans.blocker,
        Some(Blocker::MissingRoute {
            dst: "172.31.0.10".parse().unwrap()
        })
    );
    // A public address is the internet: Azure's default route.
    let ans = answer(&g, flow(pods("aks"), ip("8.8.8.8"), Some(53)));
    assert_eq!(ans.verdict, Verdict::Reachable, "{ans:?}");
    assert!(ans.path.iter().any(|h| h.contains("internet")), "{:?}", ans.path);
    let ans = answer(&g, flow(pods("lonely"), ip("10.1.2.3"), Some(53)));
    assert_eq!(
        ans.blocker,
        Some(Blocker::NotPeered {
            from: Address::new(Kind::ClusterNetwork, "lonely"),
            to: None
        })
    );
    let ans = answer(&g, flow(pods("lonely"), ip("10.20.0.5"), Some(53)));
    assert_eq!(ans.blocker.unwrap().kind(), "not-peered");
}

#[test]
fn onprem_reaches_an_internal_load_balancer() {
    let g = world();
    let to = Destination::Service(a(Kind::LbService, "ilb"));
    let ans = answer(&g, flow(corp(), to.clone(), Some(443)));
    assert_eq!(ans.verdict, Verdict::Reachable, "{ans:?}");
    assert_eq!(ans.path[0], "on-premises onprem.corp (10.0.0.0/12)");
    assert!(
        ans.path[3].starts_with("internal load balancer default/ilb"),
        "{:?}",
        ans.path
    );
    assert_eq!(ans.path[4], "backend pods of cluster_network.aks (target port 8443)");
    // The Service's only port is the default; another port is not exposed.
    assert_eq!(answer(&g, flow(corp(), to.clone(), None)).verdict, Verdict::Reachable);
    let ans = answer(&g, flow(corp(), to, Some(80)));
    assert_eq!(ans.blocker.unwrap().kind(), "port-not-exposed");
}

#[test]
fn external_services_are_reached_from_their_cluster_only() {
    let g = world();
    let to = Destination::Service(a(Kind::ExternalService, "api"));
    let ans = answer(&g, flow(pods("aks"), to.clone(), Some(80)));
    assert_eq!(ans.verdict, Verdict::Reachable, "{ans:?}");
    assert_eq!(
        ans.path[2],
        "Service default/api of cluster_network.aks (port 80 → 8080)"
    );
    assert_eq!(
        ans.path.last().unwrap(),
        "endpoint 10.1.8.4:8080 in on-premises onprem.corp"
    );
    let ans = answer(&g, flow(pods("blue"), to, Some(80)));
    assert_eq!(ans.blocker.unwrap().kind(), "cluster-only-service");
}

#[test]
fn public_load_balancers_are_reached_through_the_internet() {
    let g = world();
    let to = Destination::Service(a(Kind::LbService, "web"));
    let ans = answer(&g, flow(corp(), to, Some(80)));
    assert_eq!(ans.verdict, Verdict::Reachable);
    assert_eq!(ans.path[1], "the internet");
}

#[test]
fn hub_and_onprem_sources() {
    let g = world();
    let hub = || Source::Hub(a(Kind::Hub, "hub"));
    assert_eq!(
        answer(&g, flow(hub(), ip("10.40.0.9"), Some(22))).path[1],
        "peering peering.aks_hub"
    );
    assert_eq!(
        answer(&g, flow(hub(), ip("10.1.0.9"), Some(22))).verdict,
        Verdict::Reachable
    );
    assert_eq!(
        answer(&g, flow(hub(), ip("10.21.0.9"), Some(22)))
            .blocker
            .unwrap()
            .kind(),
        "not-peered"
    );
    let ans = answer(&g, flow(corp(), ip("192.168.7.7"), Some(22)));
    assert_eq!(ans.blocker.unwrap().kind(), "overlapping-ranges");
    let ans = answer(&g, flow(corp(), ip("10.2.0.1"), Some(22)));
    assert_eq!(ans.path[1], "routed on premises");
    // An address is found in the network that holds it.
    let from = Source::Address("10.40.0.5/32".parse().unwrap());
    assert_eq!(
        answer(&g, flow(from, ip("10.1.0.9"), Some(22))).verdict,
        Verdict::Reachable
    );
}

#[test]
fn an_nsg_rule_blocks_by_name() {
    fn deny(_: &[&Resource], d: Direction, p: &Packet, vnet: &[ipnet::Ipv4Net]) -> SubnetVerdict {
        assert!(!vnet.is_empty());
        if d == Direction::Outbound && p.dst_port == Some(5432) {
            SubnetVerdict::Denied {
                nsg: Address::new(Kind::ClusterNetwork, "aks"),
                rule: "deny-db".into(),
                priority: 200,
            }
        } else {
            SubnetVerdict::Allowed(Vec::new())
        }
    }
    let g = world();
    let n = Network::new(&g);
    let ans = n
        .answer_with(&flow(pods("aks"), ip("10.1.2.3"), Some(5432)), deny)
        .unwrap();
    let b = ans.blocker.unwrap();
    assert_eq!(b.kind(), "nsg-rule");
    assert!(b.explain().contains("rule `deny-db` (priority 200)"), "{}", b.explain());
    assert!(b.explain().ends_with("outbound"), "{}", b.explain());
    let ans = n
        .answer_with(&flow(pods("aks"), ip("10.1.2.3"), Some(443)), deny)
        .unwrap();
    assert_eq!(ans.verdict, Verdict::Reachable);
}

/// The real subnet step: an NSG and a route table attached to the node
/// subnet of `aks` decide, through their kinds' own evaluation.
#[test]
fn an_attached_nsg_and_route_table_decide_with_their_own_rules() {
    let mut g = world();
    let rule = |name: &str, priority: i64, access: &str, port: &str, dst: &str| {
        Value::Map(
            [
                ("name".to_string(), s(name)),
                ("priority".to_string(), Value::Number(priority)),
                ("direction".to_string(), s("outbound")),
                ("access".to_string(), s(access)),
                ("protocol".to_string(), s("tcp")),
                ("destination_port_ranges".to_string(), list(&[port])),
                ("destination_address_prefixes".to_string(), list(&[dst])),
            ]
            .into(),
        )
    };
    let route = |name: &str, prefix: &str, hop: &str| {
        Value::Map(
            [
                ("name".to_string(), s(name)),
                ("address_prefix".to_string(), s(prefix)),
                ("next_hop_type".to_string(), s(hop)),
            ]
            .into(),
        )
    };
    let common = [
        ("resource_group_name", s("rg")),
        ("location", s("westeurope")),
        ("cluster", s("aks")),
    ];
    let mut nsg = common.to_vec();
    nsg.push((
        "rule",
        Value::List(vec![
            rule("allow-db-admin", 150, "allow", "5432", "10.1.2.7/32"),
            rule("deny-db", 200, "deny", "5432", "10.1.0.0/16"),
        ]),
    ));
    add(&mut g, Kind::NetworkSecurityGroup, "nodes", &nsg);
    let mut rt = common.to_vec();
    rt.push(("route", Value::List(vec![route("blackhole", "10.1.9.0/24", "None")])));
    add(&mut g, Kind::RouteTable, "nodes", &rt);

    let blocked = answer(&g, flow(pods("aks"), ip("10.1.2.3"), Some(5432)));
    let b = blocked.blocker.expect("denied");
    assert_eq!(b.kind(), "nsg-rule");
    assert!(b.explain().contains("rule `deny-db` (priority 200)"), "{}", b.explain());
    // A lower priority number wins: the allow rule for one host comes first.
    let admin = answer(&g, flow(pods("aks"), ip("10.1.2.7"), Some(5432)));
    assert_eq!(admin.verdict, Verdict::Reachable, "{admin:?}");
    let https = answer(&g, flow(pods("aks"), ip("10.1.2.3"), Some(443)));
    assert_eq!(https.verdict, Verdict::Reachable, "{https:?}");
    let dropped = answer(&g, flow(pods("aks"), ip("10.1.9.5"), Some(443)));
    let b = dropped.blocker.expect("dropped");
    assert_eq!(b.kind(), "route-dropped");
    assert!(b.explain().contains("blackhole"), "{}", b.explain());
    // Another cluster's subnet is not affected.
    let other = answer(&g, flow(pods("blue"), ip("10.1.2.3"), Some(5432)));
    assert_eq!(other.verdict, Verdict::Reachable, "{other:?}");
}

#[test]
fn bad_flows_are_errors_not_panics() {
    let g = world();
    let n = Network::new(&g);
    let e = n.answer(&flow(pods("nope"), ip("10.1.2.3"), Some(1))).unwrap_err();
    assert_eq!(e.part, Part::From);
    let e = n
        .answer(&flow(
            Source::Hub(a(Kind::ClusterNetwork, "aks")),
            ip("10.1.2.3"),
            Some(1),
        ))
        .unwrap_err();
    assert!(e.message.contains("not a hub"), "{}", e.message);
    let e = n.answer(&flow(pods("aks"), ip("10.1.2.3"), None)).unwrap_err();
    assert_eq!(e.part, Part::Port);
    let e = n
        .answer(&flow(
            Source::Address("8.8.8.0/24".parse().unwrap()),
            ip("10.1.2.3"),
            Some(1),
        ))
        .unwrap_err();
    assert!(e.message.contains("no declared network"), "{}", e.message);
}

#[test]
fn mismatches_name_the_blocker_and_the_path() {
    let g = world();
    let f = flow(pods("lonely"), ip("10.1.2.3"), Some(5432));
    let ans = answer(&g, f.clone());
    let (code, msg, hint) = mismatch(&f, &ans).unwrap();
    assert_eq!(code, CODE_BLOCKED);
    assert!(msg.contains("[not-peered]"), "{msg}");
    assert!(hint.starts_with("path: pods of cluster_network.lonely"), "{hint}");
    let f = Flow {
        expect: Verdict::Blocked,
        ..flow(pods("aks"), ip("10.1.2.3"), Some(5432))
    };
    let ans = answer(&g, f.clone());
    assert_eq!(mismatch(&f, &ans).unwrap().0, CODE_REACHABLE);
    let f = Flow {
        expect: Verdict::Blocked,
        ..flow(pods("lonely"), ip("10.1.2.3"), Some(5432))
    };
    assert!(mismatch(&f, &answer(&g, f.clone())).is_none());
}

#[test]
fn pods_keep_their_ip_per_network_mode() {
    for (plugin, keeps) in [
        ("azure_cni", true),
        ("azure_cni_pod_subnet", true),
        ("azure_cni_overlay", false),
        ("kubenet", false),
        ("calico", false),
    ] {
        assert_eq!(pods_keep_their_ip(plugin), keeps, "{plugin}");
    }
}
