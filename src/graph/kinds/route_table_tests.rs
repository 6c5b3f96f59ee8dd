use super::*;
use crate::graph::{kinds, Address};
use serde_json::json;

fn rt(routes: serde_json::Value) -> Resource {
    let address = Address::new(Kind::RouteTable, "rt");
    let Value::Map(config) = Value::from_json(&json!({
        "name": "rt",
        "resource_group_name": "rg",
        "location": "westeurope",
        "cluster_network_id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v",
        "route": routes,
    })) else {
        unreachable!("an object")
    };
    let (attrs, _) = kinds::complete(&address, config, &Ctx::default());
    Resource::new(address, attrs)
}

fn route(name: &str, prefix: &str, hop: &str) -> serde_json::Value {
    json!({"name": name, "address_prefix": prefix, "next_hop_type": hop})
}

fn codes(r: &Resource) -> Vec<&'static str> {
    let mut d = Diagnostics::default();
    rules(r, &mut d);
    d.iter().map(|d| d.code).collect()
}

#[test]
fn next_hop_is_the_longest_prefix_match() {
    let t = rt(json!([
        route("default", "0.0.0.0/0", "VirtualAppliance"),
        route("onprem", "10.0.0.0/8", "VirtualNetworkGateway"),
        route("branch", "10.1.0.0/16", "VirtualNetworkGateway"),
        route("blackhole", "10.1.2.0/24", "None"),
        route("local", "10.40.0.0/16", "VnetLocal"),
        route("web", "20.0.0.0/8", "Internet"),
    ]));
    // The appliance route names no IP: it does not parse, so it is not used.
    let t2 = {
        let mut t2 = t.clone();
        if let Some(Value::List(items)) = t2.attrs.get_mut("route") {
            if let Some(Value::Map(m)) = items.get_mut(0) {
                m.insert("next_hop_ip".into(), Value::str("10.20.0.4"));
            }
        }
        t2
    };
    let ip = |s: &str| s.parse::<Ipv4Addr>().unwrap();
    let cases: Vec<(&str, Option<(&str, NextHop)>)> = vec![
        ("10.1.2.3", Some(("blackhole", NextHop::None))),
        ("10.1.3.3", Some(("branch", NextHop::VirtualNetworkGateway))),
        ("10.9.0.1", Some(("onprem", NextHop::VirtualNetworkGateway))),
        ("10.40.0.9", Some(("local", NextHop::VnetLocal))),
        ("20.1.1.1", Some(("web", NextHop::Internet))),
        ("8.8.8.8", None),
    ];
    for (dst, want) in &cases {
        let got = next_hop(&t, ip(dst));
        assert_eq!(got, want.map(|(n, h)| (n.to_string(), h)), "{dst}");
    }
    assert_eq!(
        next_hop(&t2, ip("8.8.8.8")),
        Some(("default".to_string(), NextHop::VirtualAppliance(ip("10.20.0.4"))))
    );
    assert_eq!(next_hop(&t2, ip("10.1.2.3")).map(|(n, _)| n), Some("blackhole".into()));
    assert_eq!(next_hop(&rt(json!([])), ip("10.1.2.3")), None);
}

#[test]
fn rules_refuse_what_azure_refuses() {
    let appliance = json!({"name": "fw", "address_prefix": "0.0.0.0/0", "next_hop_type": "VirtualAppliance", "next_hop_ip": "10.20.0.4"});
    let cases: Vec<(&str, serde_json::Value, Vec<&str>)> = vec![
        (
            "clean",
            json!([appliance, route("onprem", "10.0.0.0/8", "VirtualNetworkGateway")]),
            vec![],
        ),
        (
            "duplicate name",
            json!([
                route("a", "10.0.0.0/8", "VnetLocal"),
                route("a", "10.1.0.0/16", "VnetLocal")
            ]),
            vec!["route-duplicate-name"],
        ),
        (
            "duplicate prefix",
            json!([route("a", "10.0.0.0/8", "VnetLocal"), route("b", "10.0.0.0/8", "None")]),
            vec!["route-duplicate-prefix"],
        ),
        (
            "appliance without an IP",
            json!([route("a", "0.0.0.0/0", "VirtualAppliance")]),
            vec!["route-next-hop-ip"],
        ),
        (
            "an IP on another hop",
            json!([{"name": "a", "address_prefix": "0.0.0.0/0", "next_hop_type": "Internet", "next_hop_ip": "10.0.0.4"}]),
            vec!["route-next-hop-ip"],
        ),
        (
            "unknown hop",
            json!([route("a", "0.0.0.0/0", "Firewall")]),
            vec!["invalid-value"],
        ),
    ];
    for (what, routes, want) in cases {
        assert_eq!(codes(&rt(routes)), want, "{what}");
    }
}

#[test]
fn the_id_has_azures_shape() {
    assert_eq!(
        rt(json!([])).str("id"),
        Some("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/routeTables/rt")
    );
}
