use super::*;
use crate::graph::{kinds, Address};
use serde_json::json;

fn nsg(rules: serde_json::Value) -> Resource {
    let address = Address::new(Kind::NetworkSecurityGroup, "web");
    let config = match Value::from_json(&json!({
        "name": "web-nsg",
        "resource_group_name": "rg",
        "location": "westeurope",
        "cluster_network_id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v",
        "rule": rules,
    })) {
        Value::Map(m) => m,
        _ => unreachable!("an object"),
    };
    let (attrs, diags) = kinds::complete(&address, config, &Ctx::default());
    assert!(!diags.has_errors(), "{diags:?}");
    Resource::new(address, attrs)
}

fn rule(name: &str, priority: i64, direction: &str, access: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut r = json!({"name": name, "priority": priority, "direction": direction, "access": access});
    if let (Some(o), Some(e)) = (r.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    r
}

fn ip(s: &str) -> Ipv4Addr {
    s.parse().expect("an IP")
}

fn tcp(src: &str, dst: &str, port: u16) -> Packet {
    Packet {
        src: ip(src),
        dst: ip(dst),
        protocol: Protocol::Tcp,
        dst_port: Some(port),
    }
}

fn codes(r: &Resource) -> Vec<&'static str> {
    let mut d = Diagnostics::default();
    rules(r, &mut d);
    d.iter().map(|d| d.code).collect()
}

const VNET: &str = "10.40.0.0/16";

#[test]
fn evaluation_follows_priority_then_the_default_rules() {
    let n = nsg(json!([
        rule(
            "deny-ssh",
            200,
            "inbound",
            "deny",
            json!({"protocol": "tcp", "destination_port_ranges": ["22"]})
        ),
        rule(
            "allow-ssh-admin",
            100,
            "inbound",
            "allow",
            json!({"protocol": "tcp", "destination_port_ranges": ["22"], "source_address_prefixes": ["10.1.0.0/24"]})
        ),
        rule(
            "allow-web",
            300,
            "inbound",
            "allow",
            json!({"protocol": "tcp", "destination_port_ranges": ["80", "8000-8080"], "source_address_prefixes": ["Internet"]})
        ),
        rule(
            "deny-udp-out",
            150,
            "outbound",
            "deny",
            json!({"protocol": "udp", "destination_address_prefixes": ["Internet"]})
        ),
        rule(
            "deny-db",
            400,
            "inbound",
            "deny",
            json!({"destination_address_prefixes": ["10.40.0.9"]})
        ),
    ]));
    let vnet = [net::parse_cidr(VNET).unwrap(), net::parse_cidr("10.1.0.0/16").unwrap()];
    let udp = |src: &str, dst: &str, port| Packet {
        protocol: Protocol::Udp,
        ..tcp(src, dst, port)
    };
    let icmp = |src: &str, dst: &str| Packet {
        protocol: Protocol::Icmp,
        dst_port: None,
        ..tcp(src, dst, 0)
    };
    use Direction::*;
    let cases: Vec<(&str, Direction, Packet, bool, &str, u32)> = vec![
        (
            "admin ssh: the lower number wins",
            Inbound,
            tcp("10.1.0.7", "10.40.0.4", 22),
            true,
            "allow-ssh-admin",
            100,
        ),
        (
            "other ssh from the vnet",
            Inbound,
            tcp("10.1.1.7", "10.40.0.4", 22),
            false,
            "deny-ssh",
            200,
        ),
        (
            "web from the internet",
            Inbound,
            tcp("20.1.2.3", "10.40.0.4", 80),
            true,
            "allow-web",
            300,
        ),
        (
            "a port inside a range",
            Inbound,
            tcp("20.1.2.3", "10.40.0.4", 8080),
            true,
            "allow-web",
            300,
        ),
        (
            "a port past the range",
            Inbound,
            tcp("20.1.2.3", "10.40.0.4", 8081),
            false,
            "DenyAllInBound",
            65500,
        ),
        (
            "web from a private address is not Internet",
            Inbound,
            tcp("192.168.1.1", "10.40.0.4", 80),
            false,
            "DenyAllInBound",
            65500,
        ),
        (
            "vnet to vnet by default",
            Inbound,
            tcp("10.40.1.1", "10.40.0.4", 443),
            true,
            "AllowVnetInBound",
            65000,
        ),
        (
            "a single-IP destination",
            Inbound,
            tcp("10.40.1.1", "10.40.0.9", 443),
            false,
            "deny-db",
            400,
        ),
        (
            "load-balancer probes by default",
            Inbound,
            tcp("168.63.129.16", "10.40.0.4", 10256),
            true,
            "AllowAzureLoadBalancerInBound",
            65001,
        ),
        (
            "icmp from the vnet",
            Inbound,
            icmp("10.40.1.1", "10.40.0.4"),
            true,
            "AllowVnetInBound",
            65000,
        ),
        (
            "icmp from the internet",
            Inbound,
            icmp("8.8.8.8", "10.40.0.4"),
            false,
            "DenyAllInBound",
            65500,
        ),
        (
            "outbound tcp to the internet",
            Outbound,
            tcp("10.40.0.4", "20.1.2.3", 443),
            true,
            "AllowInternetOutBound",
            65001,
        ),
        (
            "outbound udp to the internet",
            Outbound,
            udp("10.40.0.4", "8.8.8.8", 53),
            false,
            "deny-udp-out",
            150,
        ),
        (
            "outbound udp in the vnet",
            Outbound,
            udp("10.40.0.4", "10.1.0.4", 53),
            true,
            "AllowVnetOutBound",
            65000,
        ),
        (
            "outbound to a private range outside the vnet",
            Outbound,
            tcp("10.40.0.4", "172.16.0.1", 443),
            false,
            "DenyAllOutBound",
            65500,
        ),
        (
            "an inbound rule does not apply outbound",
            Outbound,
            tcp("10.40.0.4", "10.1.0.7", 22),
            true,
            "AllowVnetOutBound",
            65000,
        ),
    ];
    for (what, dir, p, allowed, rule, priority) in cases {
        let got = evaluate(&n, dir, &p, &vnet);
        assert_eq!(
            got,
            Decision {
                allowed,
                rule: rule.into(),
                priority
            },
            "{what}"
        );
    }
}

#[test]
fn an_empty_nsg_is_azures_defaults() {
    let n = nsg(json!([]));
    let vnet = [net::parse_cidr(VNET).unwrap()];
    let d = evaluate(&n, Direction::Inbound, &tcp("20.1.2.3", "10.40.0.4", 443), &vnet);
    assert_eq!(
        (d.allowed, d.rule.as_str(), d.priority),
        (false, "DenyAllInBound", 65500)
    );
    // Without the virtual network's ranges, the VNET tag matches nothing.
    let d = evaluate(&n, Direction::Inbound, &tcp("10.40.1.1", "10.40.0.4", 443), &[]);
    assert_eq!(d.rule, "DenyAllInBound");
}

#[test]
fn source_ports_narrow_a_rule_out_and_protocols_must_match() {
    let n = nsg(json!([
        rule(
            "by-source-port",
            100,
            "inbound",
            "deny",
            json!({"source_port_ranges": ["1024-65535"]})
        ),
        rule("udp-only", 110, "inbound", "deny", json!({"protocol": "udp"})),
        rule(
            "any-proto",
            120,
            "inbound",
            "deny",
            json!({"protocol": "any", "destination_port_ranges": ["443"]})
        ),
    ]));
    let vnet = [net::parse_cidr(VNET).unwrap()];
    assert_eq!(
        evaluate(&n, Direction::Inbound, &tcp("10.40.1.1", "10.40.0.4", 80), &vnet).rule,
        "AllowVnetInBound"
    );
    assert_eq!(
        evaluate(&n, Direction::Inbound, &tcp("10.40.1.1", "10.40.0.4", 443), &vnet).rule,
        "any-proto"
    );
}

#[test]
fn internet_is_what_is_not_private() {
    let vnet = [net::parse_cidr("20.0.0.0/16").unwrap()];
    for (a, internet) in [
        ("8.8.8.8", true),
        ("20.1.0.1", true),
        ("20.0.0.1", false), // inside the virtual network
        ("10.0.0.1", false),
        ("172.31.255.255", false),
        ("172.32.0.1", true),
        ("192.168.0.1", false),
        ("100.64.0.1", false),
        ("127.0.0.1", false),
        ("169.254.1.1", false),
        ("168.63.129.16", false),
        ("224.0.0.1", false),
    ] {
        assert_eq!(is_internet(ip(a), &vnet), internet, "{a}");
    }
}

#[test]
fn prefixes_and_ports_parse_as_azure_writes_them() {
    assert_eq!(Prefix::parse("*"), Ok(Prefix::Any));
    assert_eq!(Prefix::parse("virtualnetwork"), Ok(Prefix::VirtualNetwork));
    assert_eq!(Prefix::parse("AzureLoadBalancer"), Ok(Prefix::AzureLoadBalancer));
    assert_eq!(
        Prefix::parse("10.1.2.3"),
        Ok(Prefix::Net(net::parse_cidr("10.1.2.3/32").unwrap()))
    );
    assert!(Prefix::parse("10.1.2.3/8").is_err(), "not canonical");
    assert!(Prefix::parse("Storage").is_err());
    assert_eq!(parse_ports("*"), Ok((0, 65535)));
    assert_eq!(parse_ports("443"), Ok((443, 443)));
    assert_eq!(parse_ports("8000-8080"), Ok((8000, 8080)));
    for bad in ["65536", "90-80", "http", "", "1-"] {
        assert!(parse_ports(bad).is_err(), "{bad}");
    }
}

#[test]
fn rules_refuse_what_azure_refuses() {
    let cases: Vec<(&str, serde_json::Value, Vec<&str>)> = vec![
        (
            "clean",
            json!([
                rule("a", 100, "inbound", "allow", json!({})),
                rule("b", 100, "outbound", "allow", json!({}))
            ]),
            vec![],
        ),
        (
            "priority below 100",
            json!([rule("a", 99, "inbound", "allow", json!({}))]),
            vec!["nsg-priority-out-of-range"],
        ),
        (
            "priority above 4096",
            json!([rule("a", 4097, "inbound", "allow", json!({}))]),
            vec!["nsg-priority-out-of-range"],
        ),
        (
            "the bounds themselves",
            json!([
                rule("a", 100, "inbound", "allow", json!({})),
                rule("b", 4096, "inbound", "deny", json!({}))
            ]),
            vec![],
        ),
        (
            "same priority, same direction",
            json!([
                rule("a", 200, "inbound", "allow", json!({})),
                rule("b", 200, "inbound", "deny", json!({}))
            ]),
            vec!["nsg-duplicate-priority"],
        ),
        (
            "same name",
            json!([
                rule("a", 200, "inbound", "allow", json!({})),
                rule("a", 201, "inbound", "deny", json!({}))
            ]),
            vec!["nsg-duplicate-rule-name"],
        ),
        (
            "bad direction",
            json!([rule("a", 200, "in", "allow", json!({}))]),
            vec!["invalid-value"],
        ),
        (
            "bad access",
            json!([rule("a", 200, "inbound", "permit", json!({}))]),
            vec!["invalid-value"],
        ),
        (
            "bad protocol",
            json!([rule("a", 200, "inbound", "allow", json!({"protocol": "sctp"}))]),
            vec!["invalid-value"],
        ),
        (
            "bad port",
            json!([rule(
                "a",
                200,
                "inbound",
                "allow",
                json!({"destination_port_ranges": ["70000"]})
            )]),
            vec!["nsg-invalid-port-range"],
        ),
        (
            "empty ports",
            json!([rule("a", 200, "inbound", "allow", json!({"source_port_ranges": []}))]),
            vec!["nsg-invalid-port-range"],
        ),
        (
            "bad prefix",
            json!([rule(
                "a",
                200,
                "inbound",
                "allow",
                json!({"source_address_prefixes": ["corp"]})
            )]),
            vec!["nsg-invalid-address-prefix"],
        ),
        (
            "empty prefixes",
            json!([rule(
                "a",
                200,
                "inbound",
                "allow",
                json!({"destination_address_prefixes": []})
            )]),
            vec!["nsg-invalid-address-prefix"],
        ),
    ];
    for (what, rules, want) in cases {
        assert_eq!(codes(&nsg(rules)), want, "{what}");
    }
}

#[test]
fn diagnostics_point_at_the_rule_attribute() {
    let n = nsg(json!([
        rule("a", 200, "inbound", "allow", json!({})),
        rule(
            "b",
            200,
            "inbound",
            "deny",
            json!({"destination_port_ranges": ["443", "x"]})
        ),
    ]));
    let mut d = Diagnostics::default();
    rules(&n, &mut d);
    let paths: Vec<String> = d.iter().map(|d| d.path.to_string()).collect();
    assert_eq!(paths, ["rule[1].priority", "rule[1].destination_port_ranges[1]"]);
    assert!(d.iter().all(|d| d.hint.is_some()));
}

#[test]
fn more_than_1000_rules_are_refused_by_the_schema() {
    let address = Address::new(Kind::NetworkSecurityGroup, "big");
    let rules: Vec<_> = (0..1001)
        .map(|i| rule(&format!("r{i}"), 100 + i % 3000, "inbound", "allow", json!({})))
        .collect();
    let Value::Map(config) = Value::from_json(&json!({
        "name": "n", "resource_group_name": "rg", "location": "westeurope",
        "cluster_network_id": "x", "rule": rules,
    })) else {
        unreachable!("an object")
    };
    let (_, diags) = kinds::complete(&address, config, &Ctx::default());
    assert!(
        diags
            .iter()
            .any(|d| d.code == "too-many-items" && d.path.to_string() == "rule"),
        "{diags:?}"
    );
}

#[test]
fn the_id_has_azures_shape_and_the_subnet_waits_for_the_cluster() {
    let n = nsg(json!([]));
    assert_eq!(
        n.str("id"),
        Some("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/web-nsg")
    );
    assert!(n.get("subnet_name").is_unknown());
}
