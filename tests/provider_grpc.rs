//! In-process gRPC tests of the provider: the real service on a loopback
//! socket, driven by generated clients with cty-encoded values.

use hybridk8s::graph::{Kind, Value};
use hybridk8s::provider::cty::{decode_msgpack, encode_msgpack, CtyType};
use hybridk8s::provider::schema::resource_type;
use hybridk8s::provider::testing::{health, plugin, tfplugin5 as pb};
use hybridk8s::provider::{MemoryRealizer, ProviderService, Realizer, RealizerFactory};
use pb::provider_client::ProviderClient;
use std::collections::BTreeMap;
use std::sync::Arc;
use tonic::transport::Channel;

struct Harness {
    client: ProviderClient<Channel>,
    channel: Channel,
    stop: tokio::sync::watch::Receiver<bool>,
}

async fn start() -> Harness {
    let realizer: Arc<dyn Realizer> = Arc::new(MemoryRealizer::new());
    let factory: RealizerFactory = Arc::new(move |_| Ok(realizer.clone()));
    let (tx, rx) = tokio::sync::watch::channel(false);
    let router = hybridk8s::provider::testing::router(ProviderService::new(factory), tx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(router.serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)));
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    Harness {
        client: ProviderClient::new(channel.clone()),
        channel,
        stop: rx,
    }
}

fn dv(kind: Kind, v: &Value) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: encode_msgpack(v, resource_type(kind)).unwrap(),
        json: vec![],
    })
}

fn undv(kind: Kind, d: &Option<pb::DynamicValue>) -> Value {
    decode_msgpack(&d.as_ref().unwrap().msgpack, resource_type(kind)).unwrap()
}

fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn cluster(space: &str, extra: &[(&str, Value)]) -> Value {
    let mut pairs = vec![
        ("name", Value::str("aks")),
        ("resource_group", Value::str("k8s-rg")),
        ("location", Value::str("westeurope")),
        ("address_space", Value::list_of_str([space])),
        ("max_nodes", Value::Number(50)),
    ];
    pairs.extend_from_slice(extra);
    obj(&pairs)
}

async fn plan(h: &mut Harness, kind: Kind, prior: &Value, config: &Value) -> pb::plan_resource_change::Response {
    h.client
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: kind.terraform_type().into(),
            prior_state: dv(kind, prior),
            proposed_new_state: dv(kind, config),
            config: dv(kind, config),
            prior_private: vec![],
            provider_meta: None,
        })
        .await
        .unwrap()
        .into_inner()
}

async fn configure(h: &mut Harness) {
    let ty = CtyType::Object(vec![
        ("backend".into(), CtyType::String),
        ("state_path".into(), CtyType::String),
        ("subscription_id".into(), CtyType::String),
    ]);
    let config = pb::DynamicValue {
        msgpack: encode_msgpack(&obj(&[]), &ty).unwrap(),
        json: vec![],
    };
    let r = h
        .client
        .configure(pb::configure::Request {
            terraform_version: "1.11.4".into(),
            config: Some(config),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
}

fn attr_names(p: &pb::AttributePath) -> Vec<String> {
    use pb::attribute_path::step::Selector;
    p.steps
        .iter()
        .map(|s| match s.selector.as_ref().unwrap() {
            Selector::AttributeName(a) => a.clone(),
            Selector::ElementKeyString(k) => format!("[{k:?}]"),
            Selector::ElementKeyInt(i) => format!("[{i}]"),
        })
        .collect()
}

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
            "hybridk8s_peering"
        ]
    );
    let mut ds: Vec<&str> = s.data_source_schemas.keys().map(String::as_str).collect();
    ds.sort();
    assert_eq!(ds, ["hybridk8s_hub_network", "hybridk8s_onprem_network"]);
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
        assert_eq!(a.required, a.name == "name" || a.name == "resource_group", "{}", a.name);
        assert_eq!(a.computed, !a.required, "{}", a.name);
    }
    let lb = s.resource_schemas["hybridk8s_lb_service"].block.clone().unwrap();
    assert_eq!(lb.block_types[0].min_items, 1);
}

#[tokio::test]
async fn plan_with_unknown_cluster_id_leaves_id_unknown() {
    let mut h = start().await;
    let kind = Kind::ExternalService;
    let config = obj(&[
        ("cluster_id", Value::Unknown),
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
        ("cluster_id", Value::Unknown),
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
async fn address_space_change_requires_replace() {
    let mut h = start().await;
    let kind = Kind::ClusterNetwork;
    let first = plan(&mut h, kind, &Value::Null, &cluster("10.40.0.0/16", &[])).await;
    let prior = undv(kind, &first.planned_state);
    assert!(prior.is_wholly_known());
    let same = plan(&mut h, kind, &prior, &cluster("10.40.0.0/16", &[])).await;
    assert_eq!(undv(kind, &same.planned_state), prior);
    assert!(same.requires_replace.is_empty());
    let moved = plan(&mut h, kind, &prior, &cluster("10.41.0.0/16", &[])).await;
    let paths: Vec<Vec<String>> = moved.requires_replace.iter().map(attr_names).collect();
    assert!(paths.contains(&vec!["address_space".to_string()]), "{paths:?}");
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
        .find(|d| d.summary.contains("needs 1586 addresses"))
        .unwrap_or_else(|| panic!("{:?}", r.diagnostics));
    assert_eq!(d.severity, pb::diagnostic::Severity::Error as i32);
    assert_eq!(attr_names(d.attribute.as_ref().unwrap()), ["node_subnet_cidr"]);
    assert!(d.detail.contains("azure_cni"), "{}", d.detail);
    // Validation reports it too, with a nested path for block items.
    let bad = obj(&[
        ("cluster_id", Value::str("/x")),
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
                json: br#"{"name":"hub","resource_group":"rg","address_space":["10.20.0.0/22"],"old":1}"#.to_vec(),
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

#[tokio::test]
async fn apply_read_import_and_delete_round_trip() {
    let mut h = start().await;
    configure(&mut h).await;
    let kind = Kind::Hub;
    let config = obj(&[
        ("name", Value::str("hub")),
        ("resource_group", Value::str("net-rg")),
        ("location", Value::str("westeurope")),
        ("address_space", Value::list_of_str(["10.20.0.0/22"])),
        ("gateway", Value::str("vpn")),
    ]);
    let planned = plan(&mut h, kind, &Value::Null, &config).await;
    assert!(planned.diagnostics.is_empty(), "{:?}", planned.diagnostics);
    let applied = h
        .client
        .apply_resource_change(pb::apply_resource_change::Request {
            type_name: kind.terraform_type().into(),
            prior_state: dv(kind, &Value::Null),
            planned_state: planned.planned_state.clone(),
            config: dv(kind, &config),
            planned_private: b"p".to_vec(),
            provider_meta: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    assert_eq!(applied.private, b"p");
    let state = undv(kind, &applied.new_state);
    assert_eq!(state, undv(kind, &planned.planned_state));
    assert_eq!(
        state.as_map().unwrap()["gateway_subnet_cidr"],
        Value::str("10.20.3.224/27")
    );
    let id = state.as_map().unwrap()["id"].as_str().unwrap().to_string();

    let read = |h: &mut Harness, state: Value| {
        let mut c = h.client.clone();
        async move {
            c.read_resource(pb::read_resource::Request {
                type_name: "hybridk8s_hub_network".into(),
                current_state: dv(Kind::Hub, &state),
                private: b"keep".to_vec(),
                provider_meta: None,
            })
            .await
            .unwrap()
            .into_inner()
        }
    };
    let r = read(&mut h, state.clone()).await;
    assert_eq!(undv(kind, &r.new_state), state);
    assert_eq!(r.private, b"keep");

    let imported = h
        .client
        .import_resource_state(pb::import_resource_state::Request {
            type_name: kind.terraform_type().into(),
            id: id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(imported.imported_resources.len(), 1);
    assert_eq!(imported.imported_resources[0].type_name, "hybridk8s_hub_network");
    assert_eq!(undv(kind, &imported.imported_resources[0].state), state);

    let ds = h
        .client
        .read_data_source(pb::read_data_source::Request {
            type_name: "hybridk8s_hub_network".into(),
            config: Some(pb::DynamicValue {
                msgpack: vec![],
                json: br#"{"name":"hub","resource_group":"net-rg"}"#.to_vec(),
            }),
            provider_meta: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(ds.diagnostics.is_empty(), "{:?}", ds.diagnostics);

    let deleted = h
        .client
        .apply_resource_change(pb::apply_resource_change::Request {
            type_name: kind.terraform_type().into(),
            prior_state: dv(kind, &state),
            planned_state: dv(kind, &Value::Null),
            config: dv(kind, &Value::Null),
            planned_private: vec![],
            provider_meta: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(deleted.diagnostics.is_empty());
    assert_eq!(deleted.new_state.unwrap().msgpack, [0xc0]);
    // Read after delete: gone, not an error.
    let r = read(&mut h, state).await;
    assert!(r.diagnostics.is_empty());
    assert_eq!(r.new_state.unwrap().msgpack, [0xc0]);
}

#[tokio::test]
async fn bad_bytes_are_diagnostics_not_errors() {
    let mut h = start().await;
    let r = h
        .client
        .validate_resource_type_config(pb::validate_resource_type_config::Request {
            type_name: "hybridk8s_peering".into(),
            config: Some(pb::DynamicValue {
                msgpack: vec![0x81, 0xa2, b'i'],
                json: vec![],
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.diagnostics.len(), 1);
    assert!(r.diagnostics[0].summary.contains("truncated"), "{:?}", r.diagnostics);
}

#[tokio::test]
async fn health_stop_and_shutdown() {
    let mut h = start().await;
    let mut health = health::health_client::HealthClient::new(h.channel.clone());
    let s = health
        .check(health::HealthCheckRequest {
            service: "plugin".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(s.status, health::health_check_response::ServingStatus::Serving as i32);
    let stop = h.client.stop(pb::stop::Request {}).await.unwrap().into_inner();
    assert!(stop.error.is_empty());
    let mut ctl = plugin::grpc_controller_client::GrpcControllerClient::new(h.channel.clone());
    ctl.shutdown(plugin::Empty {}).await.unwrap();
    assert!(*h.stop.borrow_and_update());
}
