//! In-process gRPC tests of the resource lifecycle over the memory
//! realizer (apply, read, import, delete, data sources) and of the plugin
//! services (health, Stop, Shutdown).

#[path = "provider_grpc/harness.rs"]
mod harness;

use harness::*;
use hybridk8s::graph::{Kind, Value};

#[tokio::test]
async fn apply_read_import_and_delete_round_trip() {
    let mut h = start().await;
    configure(&mut h).await;
    let kind = Kind::Hub;
    let config = obj(&[
        ("name", Value::str("hub")),
        ("resource_group_name", Value::str("net-rg")),
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
    // Every planned value comes back; the fabric fills in what it alone knows.
    let mut expected = undv(kind, &planned.planned_state).as_map().unwrap().clone();
    assert_eq!(expected["resource_guid"], Value::Unknown);
    let guid = state.as_map().unwrap()["resource_guid"].clone();
    assert!(guid.as_str().is_some_and(|g| g.len() == 36), "{guid:?}");
    expected.insert("resource_guid".into(), guid);
    assert_eq!(state, Value::Map(expected));
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
                json: br#"{"name":"hub","resource_group_name":"net-rg"}"#.to_vec(),
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
