use super::*;
use crate::graph::value::Value;

fn cfg(kind: Kind, pairs: &[(&str, Value)]) -> Value {
    let schema = kinds::schema(kind);
    let mut m = Attrs::new();
    for a in &schema.attrs {
        m.insert(a.name.to_string(), Value::Null);
    }
    for b in &schema.blocks {
        m.insert(b.name.to_string(), Value::List(vec![]));
    }
    for (k, v) in pairs {
        m.insert(k.to_string(), v.clone());
    }
    Value::Map(m)
}

fn cluster(space: &str) -> Value {
    cfg(
        Kind::ClusterNetwork,
        &[
            ("name", Value::str("aks")),
            ("resource_group_name", Value::str("rg")),
            ("location", Value::str("westeurope")),
            ("address_space", Value::list_of_str([space])),
            // The sizing below is Azure CNI's (pods on the node subnet).
            ("plugin", Value::str("azure_cni")),
            ("max_nodes", Value::Number(50)),
        ],
    )
}

fn get<'a>(v: &'a Value, k: &str) -> &'a Value {
    &v.as_map().unwrap()[k]
}

#[test]
fn create_derives_computed_values() {
    let p = plan(
        Kind::ClusterNetwork,
        &Value::Null,
        &cluster("10.40.0.0/16"),
        &Ctx::default(),
    );
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    assert_eq!(get(&p.planned, "node_subnet_cidr"), &Value::str("10.40.0.0/21"));
    assert_eq!(get(&p.planned, "max_pods"), &Value::Number(30));
    assert!(p.requires_replace.is_empty());
}

#[test]
fn unchanged_resource_plans_its_prior_state() {
    let ctx = Ctx::default();
    let c = cluster("10.40.0.0/16");
    let first = plan(Kind::ClusterNetwork, &Value::Null, &c, &ctx).planned;
    let again = plan(Kind::ClusterNetwork, &first, &c, &ctx);
    assert_eq!(again.planned, first);
    assert!(again.requires_replace.is_empty());
}

fn with(v: &Value, edits: &[(&str, Value)]) -> Value {
    let mut m = v.as_map().unwrap().clone();
    for (k, x) in edits {
        m.insert(k.to_string(), x.clone());
    }
    Value::Map(m)
}

/// As the fabric reports it after a create.
fn applied(planned: &Value) -> Value {
    with(
        planned,
        &[("resource_guid", Value::str("0c6a3c3e-5c2d-4a3e-9f0e-2d1b7a0e6b11"))],
    )
}

#[test]
fn address_space_change_is_in_place_and_keeps_the_node_subnet() {
    let ctx = Ctx::default();
    let prior = applied(&plan(Kind::ClusterNetwork, &Value::Null, &cluster("10.40.0.0/16"), &ctx).planned);
    let grown = with(
        &cluster("10.40.0.0/16"),
        &[("address_space", Value::list_of_str(["10.39.0.0/16", "10.40.0.0/16"]))],
    );
    let p = plan(Kind::ClusterNetwork, &prior, &grown, &ctx);
    assert!(p.requires_replace.is_empty(), "{:?}", p.requires_replace);
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    assert_eq!(get(&p.planned, "node_subnet_cidr"), &Value::str("10.40.0.0/21"));
    assert_eq!(get(&p.planned, "id"), get(&prior, "id"));
    // Removing the range that holds the node subnet is refused at plan.
    let moved = plan(Kind::ClusterNetwork, &prior, &cluster("10.41.0.0/16"), &ctx);
    assert!(moved.requires_replace.is_empty());
    let codes: Vec<&str> = moved.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["subnet-outside-vnet"], "{:?}", moved.diagnostics);
}

#[test]
fn max_nodes_30_40_20_is_a_plan_error_then_in_place() {
    let ctx = Ctx::default();
    let at = |n: i64| with(&cluster("10.40.0.0/16"), &[("max_nodes", Value::Number(n))]);
    let prior = applied(&plan(Kind::ClusterNetwork, &Value::Null, &at(30), &ctx).planned);
    assert_eq!(get(&prior, "node_subnet_cidr"), &Value::str("10.40.0.0/22"));

    let p = plan(Kind::ClusterNetwork, &prior, &at(40), &ctx);
    assert!(
        p.requires_replace.is_empty(),
        "never a replace: {:?}",
        p.requires_replace
    );
    assert_eq!(p.diagnostics.len(), 1, "{:?}", p.diagnostics);
    let d = &p.diagnostics[0];
    assert_eq!(d.code, "subnet-too-small");
    assert!(d.summary.contains("needs 1,276 addresses (/21)"), "{}", d.summary);
    assert!(
        d.summary.contains("10.40.0.0/22") && d.summary.contains("holds 1,019"),
        "{}",
        d.summary
    );
    assert_eq!(d.path.to_string(), "max_nodes");
    let hint = d.hint.as_deref().unwrap_or_default();
    assert!(hint.contains("node_subnet_cidr") && hint.contains("subnets") && hint.contains("blue/green"));

    let p = plan(Kind::ClusterNetwork, &prior, &at(20), &ctx);
    assert!(p.requires_replace.is_empty() && p.diagnostics.is_empty(), "{p:?}");
    assert_eq!(get(&p.planned, "node_subnet_cidr"), &Value::str("10.40.0.0/22"));
    assert_eq!(get(&p.planned, "required_ip_count"), &Value::Number(656));
    assert_eq!(get(&p.planned, "max_nodes_supported"), &Value::Number(31));
    assert_eq!(get(&p.planned, "resource_guid"), get(&prior, "resource_guid"));
}

#[test]
fn an_explicit_node_subnet_change_is_a_plan_error() {
    let ctx = Ctx::default();
    let prior = applied(&plan(Kind::ClusterNetwork, &Value::Null, &cluster("10.40.0.0/16"), &ctx).planned);
    let c = with(
        &cluster("10.40.0.0/16"),
        &[("node_subnet_cidr", Value::str("10.40.0.0/20"))],
    );
    let p = plan(Kind::ClusterNetwork, &prior, &c, &ctx);
    let codes: Vec<&str> = p.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["node-subnet-fixed"], "{:?}", p.diagnostics);
    assert!(p.diagnostics[0].summary.contains("10.40.0.0/21"));
}

#[test]
fn fixed_ranges_change_in_place_with_a_warning() {
    let ctx = Ctx::default();
    let prior = applied(&plan(Kind::ClusterNetwork, &Value::Null, &cluster("10.40.0.0/16"), &ctx).planned);
    let c = with(
        &cluster("10.40.0.0/16"),
        &[("service_cidr", Value::str("172.16.0.0/16"))],
    );
    let p = plan(Kind::ClusterNetwork, &prior, &c, &ctx);
    assert!(p.requires_replace.is_empty());
    let codes: Vec<&str> = p.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["fixed-at-creation", "fixed-at-creation"], "{:?}", p.diagnostics);
    assert!(p.diagnostics.iter().all(|d| !d.is_error()));
}

#[test]
fn a_replacement_plans_its_id_and_guid_unknown() {
    let ctx = Ctx::default();
    let prior = applied(&plan(Kind::ClusterNetwork, &Value::Null, &cluster("10.40.0.0/16"), &ctx).planned);
    let c = with(&cluster("10.40.0.0/16"), &[("location", Value::str("northeurope"))]);
    let p = plan(Kind::ClusterNetwork, &prior, &c, &ctx);
    let paths: Vec<String> = p.requires_replace.iter().map(ToString::to_string).collect();
    assert_eq!(paths, ["location"]);
    assert_eq!(get(&p.planned, "id"), &Value::Unknown);
    assert_eq!(get(&p.planned, "resource_guid"), &Value::Unknown);
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
}

#[test]
fn a_hub_gateway_switch_is_in_place_and_keeps_its_subnet() {
    let ctx = Ctx::default();
    let hub = |gw: &str, space: &[&str]| {
        cfg(
            Kind::Hub,
            &[
                ("name", Value::str("hub")),
                ("resource_group_name", Value::str("net-rg")),
                ("location", Value::str("westeurope")),
                ("address_space", Value::list_of_str(space.iter().copied())),
                ("gateway", Value::str(gw)),
            ],
        )
    };
    let none = applied(&plan(Kind::Hub, &Value::Null, &hub("none", &["10.20.0.0/22"]), &ctx).planned);
    let vpn = plan(Kind::Hub, &none, &hub("vpn", &["10.20.0.0/22"]), &ctx);
    assert!(vpn.requires_replace.is_empty() && vpn.diagnostics.is_empty(), "{vpn:?}");
    assert_eq!(get(&vpn.planned, "gateway_subnet_cidr"), &Value::str("10.20.3.224/27"));
    let gw = get(&vpn.planned, "gateway_id").as_str().unwrap().to_string();
    assert!(gw.ends_with("/virtualNetworkGateways/hub-vpn-gateway"), "{gw}");
    let vpn = applied(&vpn.planned);
    // A new first range does not move the GatewaySubnet of a running gateway.
    let er = plan(
        Kind::Hub,
        &vpn,
        &hub("expressroute", &["10.19.0.0/22", "10.20.0.0/22"]),
        &ctx,
    );
    assert!(er.requires_replace.is_empty() && er.diagnostics.is_empty(), "{er:?}");
    assert_eq!(get(&er.planned, "gateway_subnet_cidr"), &Value::str("10.20.3.224/27"));
    assert_ne!(get(&er.planned, "gateway_id").as_str(), Some(gw.as_str()));
}

#[test]
fn a_peering_out_of_sync_plans_the_sync() {
    let ctx = Ctx::default();
    let c = cfg(
        Kind::Peering,
        &[
            ("cluster_network_id", Value::str("/x/vnets/aks")),
            ("hub_id", Value::str("/x/vnets/hub")),
        ],
    );
    let created = plan(Kind::Peering, &Value::Null, &c, &ctx).planned;
    let prior = with(
        &created,
        &[
            ("peering_state", Value::str("Connected")),
            ("peering_sync_level", Value::str("LocalNotInSync")),
        ],
    );
    let p = plan(Kind::Peering, &prior, &c, &ctx);
    assert_eq!(get(&p.planned, "peering_sync_level"), &Value::str("FullyInSync"));
    assert!(p.requires_replace.is_empty());
}

#[test]
fn fabric_values_keep_their_prior_value() {
    let ctx = Ctx::default();
    let c = cfg(
        Kind::Peering,
        &[
            ("cluster_network_id", Value::str("/x/vnets/aks")),
            ("hub_id", Value::str("/x/vnets/hub")),
        ],
    );
    let created = plan(Kind::Peering, &Value::Null, &c, &ctx).planned;
    assert_eq!(get(&created, "peering_state"), &Value::Unknown);
    let mut prior = created.as_map().unwrap().clone();
    prior.insert("peering_state".into(), Value::str("Connected"));
    prior.insert("peering_sync_level".into(), Value::str("FullyInSync"));
    let prior = Value::Map(prior);
    let p = plan(Kind::Peering, &prior, &c, &ctx);
    assert_eq!(p.planned, prior);
    // An unknown input makes derived values unknown again.
    let c2 = cfg(
        Kind::Peering,
        &[
            ("cluster_network_id", Value::Unknown),
            ("hub_id", Value::str("/x/vnets/hub")),
        ],
    );
    let p = plan(Kind::Peering, &prior, &c2, &ctx);
    assert_eq!(get(&p.planned, "id"), &Value::Unknown);
    assert_eq!(get(&p.planned, "peering_state"), &Value::Unknown);
}

#[test]
fn destroy_plans_null() {
    let p = plan(Kind::Hub, &Value::Null, &Value::Null, &Ctx::default());
    assert_eq!(p.planned, Value::Null);
}

#[test]
fn upgrade_fills_new_attributes_and_drops_old_ones() {
    let v = upgrade(Kind::Hub, 0, br#"{"name":"hub","retired":1}"#).unwrap();
    assert_eq!(get(&v, "name"), &Value::str("hub"));
    assert_eq!(get(&v, "gateway"), &Value::Null);
    assert_eq!(get(&v, "subnets"), &Value::List(vec![]));
    assert!(upgrade(Kind::Hub, 7, b"{}").is_err());
}
