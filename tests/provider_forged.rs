//! ApplyResourceChange acts only on what this provider plans: a forged or
//! corrupted planned state (an ID the names do not give, a number the rules
//! refuse, a `manifest` naming another object, a replacement sent as an
//! update, a destroy of a declared object) is refused with the attribute it
//! differs at, and the fabric is left exactly as it was. Oversized requests
//! are refused as they are read, at the attribute that is too large.

#[path = "provider_grpc/harness.rs"]
mod harness;

use harness::*;
use hybridk8s::graph::{Kind, Value};

/// The planned state `p` with some attributes replaced.
fn forged(kind: Kind, p: &Option<pb::DynamicValue>, edits: &[(&str, Value)]) -> Option<pb::DynamicValue> {
    let mut m = undv(kind, p).as_map().unwrap().clone();
    for (k, v) in edits {
        m.insert(k.to_string(), v.clone());
    }
    dv(kind, &Value::Map(m))
}

/// Applies `planned` for `config`; expects one refusal at `attr`, the prior
/// state answered back, and the fabric unchanged.
async fn refused(
    h: &mut Harness,
    kind: Kind,
    prior: &Value,
    planned: &Option<pb::DynamicValue>,
    config: &Value,
    attr: &str,
) -> String {
    let before = h.fabric.dump().await.unwrap();
    let r = apply(h, kind, prior, planned, config).await;
    let errs = errors(&r.diagnostics);
    assert_eq!(errs.len(), 1, "{:?}", r.diagnostics);
    assert_eq!(errs[0].1, vec![attr.to_string()], "{:?}", r.diagnostics);
    assert_eq!(undv(kind, &r.new_state), *prior, "the prior state is answered back");
    assert_eq!(h.fabric.dump().await.unwrap(), before, "the fabric is unchanged");
    let d = &r.diagnostics[0];
    format!("{}\n{}", d.summary, d.detail)
}

#[tokio::test]
async fn a_forged_id_or_number_is_refused_before_the_fabric() {
    let mut h = start().await;
    configure(&mut h).await;
    let kind = Kind::ClusterNetwork;
    let config = cluster("10.40.0.0/16", &[]);
    let p = plan(&mut h, kind, &Value::Null, &config).await;
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);

    for id in ["../../etc/passwd", ""] {
        let why = refused(
            &mut h,
            kind,
            &Value::Null,
            &forged(kind, &p.planned_state, &[("id", Value::str(id))]),
            &config,
            "id",
        )
        .await;
        assert!(why.contains("the planned `id` is"), "{why}");
        assert!(why.contains("plan again"), "{why}");
    }
    // A number the rules refuse, in the planned state and the configuration alike.
    let why = refused(
        &mut h,
        kind,
        &Value::Null,
        &forged(kind, &p.planned_state, &[("max_nodes", Value::Number(-1))]),
        &config,
        "max_nodes",
    )
    .await;
    assert!(why.contains("-1"), "{why}");
    let bad = cluster("10.40.0.0/16", &[("max_nodes", Value::Number(-1))]);
    let r = apply(
        &mut h,
        kind,
        &Value::Null,
        &forged(kind, &p.planned_state, &[("max_nodes", Value::Number(-1))]),
        &bad,
    )
    .await;
    assert!(!errors(&r.diagnostics).is_empty(), "{:?}", r.diagnostics);
    assert!(hybridk8s::backend::local::dump_is_empty(
        &h.fabric.dump().await.unwrap()
    ));

    // The honest plan still applies.
    let a = apply(&mut h, kind, &Value::Null, &p.planned_state, &config).await;
    assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
}

#[tokio::test]
async fn a_forged_manifest_never_reaches_the_cluster() {
    let mut h = start().await;
    configure(&mut h).await;
    let cluster = create(&mut h, Kind::ClusterNetwork, &cluster("10.40.0.0/16", &[])).await;
    let kind = Kind::ExternalService;
    let config = external_service(&id_of(&cluster), "billing", "10.1.8.4");
    let p = plan(&mut h, kind, &Value::Null, &config).await;
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: stolen\n  namespace: kube-system\nstringData:\n  token: x\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: everyone-admin\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\nsubjects:\n- kind: Group\n  name: system:authenticated\n";
    let why = refused(
        &mut h,
        kind,
        &Value::Null,
        &forged(kind, &p.planned_state, &[("manifest", Value::str(secret))]),
        &config,
        "manifest",
    )
    .await;
    assert!(why.contains("the planned `manifest`"), "{why}");
    let a = apply(&mut h, kind, &Value::Null, &p.planned_state, &config).await;
    assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
    let dump = h.fabric.dump().await.unwrap().to_string();
    assert!(dump.contains("billing") && !dump.contains("stolen") && !dump.contains("everyone-admin"));
}

#[tokio::test]
async fn a_replacement_sent_as_an_update_and_a_destroy_of_a_declared_object_are_refused() {
    let mut h = start().await;
    configure(&mut h).await;
    let kind = Kind::ClusterNetwork;
    let config = cluster("10.40.0.0/16", &[]);
    let state = create(&mut h, kind, &config).await;

    // `location` forces a new VNET: applying it in place is refused.
    let moved = cluster("10.40.0.0/16", &[("location", Value::str("northeurope"))]);
    let p = plan(&mut h, kind, &state, &moved).await;
    assert!(!p.requires_replace.is_empty());
    let why = refused(&mut h, kind, &state, &p.planned_state, &moved, "location").await;
    assert!(why.contains("cannot change in place"), "{why}");

    // An update planned for another object (the prior ID forged).
    let mut other = state.as_map().unwrap().clone();
    other.insert(
        "id".into(),
        Value::str("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/k8s-rg/providers/Microsoft.Network/virtualNetworks/someone-elses"),
    );
    let other = Value::Map(other);
    let why = refused(&mut h, kind, &other, &dv(kind, &state), &config, "id").await;
    assert!(why.contains("another object"), "{why}");

    // A destroy while the configuration still declares the object.
    let why = refused(&mut h, kind, &state, &dv(kind, &Value::Null), &config, "id").await;
    assert!(why.contains("still declares"), "{why}");
    // And a create no configuration declares.
    let p = plan(
        &mut h,
        kind,
        &Value::Null,
        &cluster("10.50.0.0/16", &[("name", Value::str("x"))]),
    )
    .await;
    let why = refused(&mut h, kind, &Value::Null, &p.planned_state, &Value::Null, "id").await;
    assert!(why.contains("no configuration declares"), "{why}");
}

fn with_endpoints(n: usize, name_len: usize) -> Value {
    let mut cfg = external_service(
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/k8s-rg/providers/Microsoft.Network/virtualNetworks/aks",
        "svc",
        "10.1.1.1",
    );
    let Value::Map(m) = &mut cfg else { unreachable!() };
    let eps = (0..n)
        .map(|i| Value::str(format!("10.1.{}.{}", (i >> 8) & 255, i & 255)))
        .collect();
    m.insert("endpoints".into(), Value::List(eps));
    if name_len > 0 {
        m.insert("name".into(), Value::str("a".repeat(name_len)));
    }
    cfg
}

#[tokio::test]
async fn oversized_requests_are_refused_as_they_are_read() {
    let mut h = start().await;
    // Terraform takes answers of up to 64 MiB.
    h.client = h
        .client
        .clone()
        .max_decoding_message_size(64 << 20)
        .max_encoding_message_size(64 << 20);
    configure(&mut h).await;
    let kind = Kind::ExternalService;
    // 600,000 items: refused by the decoder at the list, before the rules.
    let r = plan(&mut h, kind, &Value::Null, &with_endpoints(600_000, 0)).await;
    let errs = errors(&r.diagnostics);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].0.contains("600000 items: this provider takes at most 10000"),
        "{errs:?}"
    );
    assert_eq!(errs[0].1, ["endpoints"]);
    // 1,001: read, then refused by the schema (one EndpointSlice holds 1,000).
    let r = plan(&mut h, kind, &Value::Null, &with_endpoints(1001, 0)).await;
    let errs = errors(&r.diagnostics);
    assert!(
        errs.iter()
            .any(|(s, p)| s.contains("at most 1000 item(s), has 1001") && p == &["endpoints"]),
        "{errs:?}"
    );
    // A 2 MiB string: refused at its attribute.
    let r = plan(&mut h, kind, &Value::Null, &with_endpoints(1, 2 << 20)).await;
    let errs = errors(&r.diagnostics);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].0.contains("a string of 2097152 bytes"), "{errs:?}");
    // A megabyte name is refused by the rules; the message quotes only the start of it.
    let r = plan(&mut h, kind, &Value::Null, &with_endpoints(1, 1 << 20)).await;
    assert!(!errors(&r.diagnostics).is_empty());
    assert!(r
        .diagnostics
        .iter()
        .all(|d| d.summary.len() < 8192 && d.detail.len() < 8192));
    // More than 16 MiB in one request: the transport refuses it.
    let e = h
        .client
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: kind.terraform_type().into(),
            prior_state: dv(kind, &Value::Null),
            proposed_new_state: dv(kind, &with_endpoints(1, 1000)),
            config: Some(pb::DynamicValue {
                msgpack: vec![0; 17 << 20],
                json: vec![],
            }),
            prior_private: vec![],
            provider_meta: None,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::OutOfRange, "{e}");
    // And the provider still answers.
    let r = plan(&mut h, kind, &Value::Null, &with_endpoints(3, 0)).await;
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
}
