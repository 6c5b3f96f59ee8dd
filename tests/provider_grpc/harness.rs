//! Shared by the gRPC test files: the provider on a loopback socket over a
//! local fabric in a temp dir (the backend the binary uses), generated
//! clients, cty helpers.
#![allow(dead_code, unused_imports)]

use hybridk8s::backend::local::LocalFabric;
use hybridk8s::backend::Backend;
pub use hybridk8s::graph::{Kind, Value};
use hybridk8s::provider::cty::{decode_msgpack, encode_msgpack, CtyType};
use hybridk8s::provider::schema::resource_type;
pub use hybridk8s::provider::testing::{health, plugin, tfplugin5 as pb};
use hybridk8s::provider::{BackendFactory, ProviderService};
use pb::provider_client::ProviderClient;
use std::collections::BTreeMap;
use std::sync::Arc;
use tonic::transport::Channel;

pub struct Harness {
    pub client: ProviderClient<Channel>,
    pub channel: Channel,
    pub stop: tokio::sync::watch::Receiver<bool>,
    /// The fabric the provider realizes resources in (tests also change it
    /// out of band).
    pub fabric: LocalFabric,
    _dir: Option<tempfile::TempDir>,
}

pub async fn start() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let fabric = LocalFabric::open(dir.path().join("fabric.db")).unwrap();
    serve(fabric, Some(dir)).await
}

/// A second provider process over the same fabric: a new Terraform graph
/// walk (a new plan), with nothing planned yet.
pub async fn next_process(h: &Harness) -> Harness {
    serve(h.fabric.clone(), None).await
}

async fn serve(fabric: LocalFabric, dir: Option<tempfile::TempDir>) -> Harness {
    let backend: Arc<dyn Backend> = Arc::new(fabric.clone());
    let factory: BackendFactory = Arc::new(move |_| Ok(backend.clone()));
    let (tx, rx) = tokio::sync::watch::channel(false);
    let router = hybridk8s::provider::testing::router(ProviderService::new(factory), tx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Without TCP_NODELAY every answer waits for a delayed ACK (40 ms).
    let incoming = tokio_stream::StreamExt::map(tokio_stream::wrappers::TcpListenerStream::new(listener), |s| {
        s.inspect(|s| {
            let _ = s.set_nodelay(true);
        })
    });
    tokio::spawn(router.serve_with_incoming(incoming));
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    Harness {
        client: ProviderClient::new(channel.clone()),
        channel,
        stop: rx,
        fabric,
        _dir: dir,
    }
}

pub fn dv(kind: Kind, v: &Value) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: encode_msgpack(v, resource_type(kind)).unwrap(),
        json: vec![],
    })
}

pub fn undv(kind: Kind, d: &Option<pb::DynamicValue>) -> Value {
    decode_msgpack(&d.as_ref().unwrap().msgpack, resource_type(kind)).unwrap()
}

pub fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
    )
}

pub fn cluster(space: &str, extra: &[(&str, Value)]) -> Value {
    let mut pairs = vec![
        ("name", Value::str("aks")),
        ("resource_group_name", Value::str("k8s-rg")),
        ("location", Value::str("westeurope")),
        ("address_space", Value::list_of_str([space])),
        // Azure CNI: the sizes these tests check put pods on the node subnet.
        ("plugin", Value::str("azure_cni")),
        ("max_nodes", Value::Number(50)),
    ];
    pairs.extend_from_slice(extra);
    obj(&pairs)
}

pub async fn plan(h: &mut Harness, kind: Kind, prior: &Value, config: &Value) -> pb::plan_resource_change::Response {
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

pub async fn configure(h: &mut Harness) {
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

pub fn attr_names(p: &pb::AttributePath) -> Vec<String> {
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

pub async fn apply(
    h: &mut Harness,
    kind: Kind,
    prior: &Value,
    planned: &Option<pb::DynamicValue>,
    config: &Value,
) -> pb::apply_resource_change::Response {
    h.client
        .apply_resource_change(pb::apply_resource_change::Request {
            type_name: kind.terraform_type().into(),
            prior_state: dv(kind, prior),
            planned_state: planned.clone(),
            config: dv(kind, config),
            planned_private: vec![],
            provider_meta: None,
        })
        .await
        .unwrap()
        .into_inner()
}

/// Plans and applies a create the way Terraform does, checking what
/// Terraform checks: no diagnostics, and every known planned value back
/// unchanged in a wholly known result. Returns the new state.
pub async fn create(h: &mut Harness, kind: Kind, config: &Value) -> Value {
    let p = plan(h, kind, &Value::Null, config).await;
    assert!(p.diagnostics.is_empty(), "plan of {kind}: {:?}", p.diagnostics);
    let a = apply(h, kind, &Value::Null, &p.planned_state, config).await;
    assert!(a.diagnostics.is_empty(), "apply of {kind}: {:?}", a.diagnostics);
    let (planned, state) = (undv(kind, &p.planned_state), undv(kind, &a.new_state));
    assert!(state.is_wholly_known(), "{state}");
    for (k, v) in planned.as_map().unwrap() {
        if v.is_wholly_known() {
            assert_eq!(&state.as_map().unwrap()[k], v, "{kind}.{k} changed at apply");
        }
    }
    state
}

pub fn hub(space: &str, gateway: &str) -> Value {
    obj(&[
        ("name", Value::str("hub")),
        ("resource_group_name", Value::str("net-rg")),
        ("location", Value::str("westeurope")),
        ("address_space", Value::list_of_str([space])),
        ("gateway", Value::str(gateway)),
    ])
}

pub fn id_of(state: &Value) -> String {
    state.as_map().unwrap()["id"].as_str().unwrap().to_string()
}

pub async fn import(h: &mut Harness, kind: Kind, id: &str) -> pb::import_resource_state::Response {
    h.client
        .import_resource_state(pb::import_resource_state::Request {
            type_name: kind.terraform_type().into(),
            id: id.into(),
        })
        .await
        .unwrap()
        .into_inner()
}

/// A peering of a cluster network to a hub.
pub fn peering(cluster_id: &str, hub_id: &str, use_remote_gateways: bool) -> Value {
    obj(&[
        ("cluster_network_id", Value::str(cluster_id)),
        ("hub_id", Value::str(hub_id)),
        ("use_remote_gateways", Value::Bool(use_remote_gateways)),
    ])
}

/// A selectorless Service `name` in front of one endpoint, port 80 → 8080.
pub fn external_service(cluster_id: &str, name: &str, endpoint: &str) -> Value {
    obj(&[
        ("cluster_network_id", Value::str(cluster_id)),
        ("name", Value::str(name)),
        ("endpoints", Value::list_of_str([endpoint])),
        (
            "ports",
            Value::List(vec![obj(&[
                ("port", Value::Number(80)),
                ("target_port", Value::Number(8080)),
            ])]),
        ),
    ])
}

/// The errors of a response: summary and attribute path.
pub fn errors(d: &[pb::Diagnostic]) -> Vec<(String, Vec<String>)> {
    d.iter()
        .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .map(|d| {
            (
                d.summary.clone(),
                d.attribute.as_ref().map(attr_names).unwrap_or_default(),
            )
        })
        .collect()
}
