//! In-process gRPC tests of the provider: the real service on a loopback
//! socket, driven by generated clients with cty-encoded values. Schema,
//! validation, planning and state upgrade.

#[path = "provider_grpc/harness.rs"]
mod harness;

use harness::*;
use hybridk8s::graph::{Kind, Value};
use hybridk8s::provider::cty::CtyType;

#[tokio::test]
async fn schema_lists_every_resource_and_data_source() {
    let mut h = start().await;
    let s = h
        .client
        .get_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    let mut types: Vec<&str> = s.resource_schemas.keys().map(String::as_str).collect();
    types.sort();
    assert_eq!(
        types,
        [
            "hybridk8s_cluster_network",
            "hybridk8s_dns_upstream",
            "hybridk8s_external_service",
            "hybridk8s_hub_network",
            "hybridk8s_lb_service",
            "hybridk8s_network_security_group",
            "hybridk8s_peering",
            "hybridk8s_route_table"
        ]
    );
    let mut ds: Vec<&str> = s.data_source_schemas.keys().map(String::as_str).collect();
    ds.sort();
    assert_eq!(
        ds,
        [
            "hybridk8s_address_plan",
            "hybridk8s_flow_check",
            "hybridk8s_hub_network",
            "hybridk8s_onprem_network"
        ]
    );
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    };
    let provider = "provider".to_string();
    let all = s
        .resource_schemas
        .iter()
        .chain(s.data_source_schemas.iter())
        .chain([(&provider, s.provider.as_ref().unwrap())]);
    for (name, schema) in all {
        assert!(name_ok(name), "{name}");
        let block = schema.block.as_ref().unwrap_or_else(|| panic!("{name} has no block"));
        assert!(!block.description.is_empty(), "{name}");
        for a in &block.attributes {
            assert!(name_ok(&a.name), "{name}.{}", a.name);
            assert!(!a.description.is_empty(), "{name}.{} has no description", a.name);
            assert!(a.required || a.optional || a.computed, "{name}.{}", a.name);
            assert!(!(a.required && (a.optional || a.computed)), "{name}.{}", a.name);
            assert_eq!(a.description_kind, pb::StringKind::Markdown as i32);
            let t: serde_json::Value = serde_json::from_slice(&a.r#type).unwrap();
            assert!(CtyType::from_json(&t).is_some(), "{name}.{}: {t}", a.name);
        }
        for b in &block.block_types {
            assert!(name_ok(&b.type_name));
            assert!(b.block.is_some(), "{name}.{} has no block", b.type_name);
            assert_eq!(b.nesting, pb::schema::nested_block::NestingMode::List as i32);
        }
    }
    let cn = s.resource_schemas["hybridk8s_cluster_network"].block.clone().unwrap();
    let attr = |n: &str| cn.attributes.iter().find(|a| a.name == n).unwrap().clone();
    assert_eq!(attr("address_space").r#type, br#"["list","string"]"#);
    assert!(attr("max_pods").optional && attr("max_pods").computed);
    assert!(attr("id").computed && !attr("id").optional);
    let hub_ds = s.data_source_schemas["hybridk8s_hub_network"].block.clone().unwrap();
    for a in &hub_ds.attributes {
        // `resource_group_name` or its former name `resource_group`: one is needed.
        let either = a.name == "resource_group_name" || a.name == "resource_group";
        assert_eq!(a.required, a.name == "name", "{}", a.name);
        assert_eq!(a.optional, either, "{}", a.name);
        assert_eq!(a.computed, a.name != "name", "{}", a.name);
        assert_eq!(a.deprecated, a.name == "resource_group", "{}", a.name);
    }
    let peering = s.resource_schemas["hybridk8s_peering"].block.clone().unwrap();
    let old = peering.attributes.iter().find(|a| a.name == "cluster_id").unwrap();
    assert!(old.deprecated && old.optional && old.computed && old.description.contains("`cluster_network_id`"));
    let lb = s.resource_schemas["hybridk8s_lb_service"].block.clone().unwrap();
    assert_eq!(lb.block_types[0].min_items, 1);
}

#[tokio::test]
async fn plan_with_unknown_cluster_id_leaves_id_unknown() {
    let mut h = start().await;
    let kind = Kind::ExternalService;
    let config = obj(&[
        ("cluster_network_id", Value::Unknown),
        ("name", Value::str("external-random-api")),
        ("endpoints", Value::list_of_str(["10.1.8.4"])),
        (
            "ports",
            Value::List(vec![obj(&[
                ("port", Value::Number(80)),
                ("target_port", Value::Number(8080)),
            ])]),
        ),
    ]);
    let r = plan(&mut h, kind, &Value::Null, &config).await;
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let planned = undv(kind, &r.planned_state);
    let m = planned.as_map().unwrap();
    assert_eq!(m["id"], Value::Unknown);
    assert_eq!(m["namespace"], Value::str("default"));
    assert!(m["manifest"].as_str().unwrap().contains("external-random-api"));
    // The peering: every derived name and ID is unknown, nothing fails.
    let p = obj(&[
        ("cluster_network_id", Value::Unknown),
        ("hub_id", Value::Unknown),
        ("use_remote_gateways", Value::Bool(true)),
    ]);
    let r = plan(&mut h, Kind::Peering, &Value::Null, &p).await;
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let planned = undv(Kind::Peering, &r.planned_state);
    assert_eq!(planned.as_map().unwrap()["id"], Value::Unknown);
    assert_eq!(planned.as_map().unwrap()["allow_gateway_transit"], Value::Bool(true));
}

#[tokio::test]
async fn location_change_requires_replace_and_address_space_does_not() {
    let mut h = start().await;
    let kind = Kind::ClusterNetwork;
    let first = plan(&mut h, kind, &Value::Null, &cluster("10.40.0.0/16", &[])).await;
    let mut prior = undv(kind, &first.planned_state).as_map().unwrap().clone();
    assert_eq!(prior["resource_guid"], Value::Unknown, "the fabric tells it");
    prior.insert(
        "resource_guid".into(),
        Value::str("7f0e3a52-1c4b-4d5e-8a9b-0c1d2e3f4a5b"),
    );
    let prior = Value::Map(prior);
    assert!(prior.is_wholly_known());
    let same = plan(&mut h, kind, &prior, &cluster("10.40.0.0/16", &[])).await;
    assert_eq!(undv(kind, &same.planned_state), prior);
    assert!(same.requires_replace.is_empty());
    let moved = plan(
        &mut h,
        kind,
        &prior,
        &cluster("10.40.0.0/16", &[("location", Value::str("northeurope"))]),
    )
    .await;
    let paths: Vec<Vec<String>> = moved.requires_replace.iter().map(attr_names).collect();
    assert_eq!(paths, vec![vec!["location".to_string()]]);
    let planned = undv(kind, &moved.planned_state);
    assert_eq!(
        planned.as_map().unwrap()["id"],
        Value::Unknown,
        "dependents are replaced with it"
    );
    let added = plan(
        &mut h,
        kind,
        &prior,
        &cluster(
            "10.40.0.0/16",
            &[("address_space", Value::list_of_str(["10.40.0.0/16", "10.41.0.0/16"]))],
        ),
    )
    .await;
    assert!(
        added.requires_replace.is_empty() && added.diagnostics.is_empty(),
        "{added:?}"
    );
    // An in-place change does not replace.
    let grown = plan(
        &mut h,
        kind,
        &prior,
        &cluster("10.40.0.0/16", &[("surge_nodes", Value::Number(2))]),
    )
    .await;
    assert!(grown.requires_replace.is_empty());
}

#[tokio::test]
async fn plan_rule_failure_points_at_the_attribute() {
    let mut h = start().await;
    let config = cluster("10.40.0.0/16", &[("node_subnet_cidr", Value::str("10.40.0.0/24"))]);
    let r = plan(&mut h, Kind::ClusterNetwork, &Value::Null, &config).await;
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.summary.contains("needs 1,586 addresses"))
        .unwrap_or_else(|| panic!("{:?}", r.diagnostics));
    assert_eq!(d.severity, pb::diagnostic::Severity::Error as i32);
    assert_eq!(attr_names(d.attribute.as_ref().unwrap()), ["node_subnet_cidr"]);
    assert!(d.detail.contains("azure_cni"), "{}", d.detail);
    // Validation reports it too, with a nested path for block items.
    let bad = obj(&[
        ("cluster_network_id", Value::str("/x")),
        ("name", Value::str("svc")),
        ("endpoints", Value::list_of_str(["10.1.8.4"])),
        ("ports", Value::List(vec![obj(&[("port", Value::Number(70000))])])),
    ]);
    let v = h
        .client
        .validate_resource_type_config(pb::validate_resource_type_config::Request {
            type_name: "hybridk8s_external_service".into(),
            config: dv(Kind::ExternalService, &bad),
        })
        .await
        .unwrap()
        .into_inner();
    let paths: Vec<Vec<String>> = v
        .diagnostics
        .iter()
        .filter_map(|d| d.attribute.as_ref())
        .map(attr_names)
        .collect();
    assert!(
        paths.contains(&vec!["ports".into(), "[0]".into(), "port".into()]),
        "{:?}",
        v.diagnostics
    );
}

#[tokio::test]
async fn upgrade_state_works_before_configure() {
    let mut h = start().await;
    let r = h
        .client
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: "hybridk8s_hub_network".into(),
            version: 0,
            raw_state: Some(pb::RawState {
                json: br#"{"name":"hub","resource_group_name":"rg","address_space":["10.20.0.0/22"],"old":1}"#.to_vec(),
                flatmap: Default::default(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let v = undv(Kind::Hub, &r.upgraded_state);
    let m = v.as_map().unwrap();
    assert_eq!(m["name"], Value::str("hub"));
    assert_eq!(m["gateway"], Value::Null);
    assert_eq!(m["subnets"], Value::List(vec![]));
    assert!(!m.contains_key("old"));
}
