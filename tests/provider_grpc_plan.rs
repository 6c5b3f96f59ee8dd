//! In-process gRPC tests of plan-time rules over the objects of one plan:
//! every PlanResourceChange and data source read of one provider process is
//! one Terraform plan, checked against what it planned before, then the
//! fabric. Each rule fails at plan on the attribute that causes it, whichever
//! of the conflicting resources is planned second; the same plan fixing a
//! problem plans clean.

#[path = "provider_grpc/harness.rs"]
mod harness;

use harness::*;
use hybridk8s::provider::cty::{encode_msgpack, CtyType};
use hybridk8s::provider::schema::data_source_schema;

/// The one error of a plan, its summary and path.
fn one_error(d: &[pb::Diagnostic]) -> (String, Vec<String>) {
    let errs = errors(d);
    assert_eq!(errs.len(), 1, "{errs:?}");
    errs.into_iter().next().unwrap()
}

fn clean(d: &[pb::Diagnostic]) {
    assert!(errors(d).is_empty(), "{:?}", errors(d));
}

/// Plans a create; returns the planned object and the diagnostics.
async fn plan_new(h: &mut Harness, kind: Kind, config: &Value) -> (Value, Vec<pb::Diagnostic>) {
    let r = plan(h, kind, &Value::Null, config).await;
    let planned = r
        .planned_state
        .as_ref()
        .map_or(Value::Null, |_| undv(kind, &r.planned_state));
    (planned, r.diagnostics)
}

async fn read_onprem(h: &mut Harness, space: &[&str]) -> Vec<pb::Diagnostic> {
    let name = "hybridk8s_onprem_network";
    let ty = CtyType::of_schema(data_source_schema(name).unwrap());
    let config = obj(&[
        ("name", Value::str("corp")),
        ("address_space", Value::list_of_str(space.iter().copied())),
    ]);
    let r = h
        .client
        .read_data_source(pb::read_data_source::Request {
            type_name: name.into(),
            config: Some(pb::DynamicValue {
                msgpack: encode_msgpack(&config, &ty).unwrap(),
                json: vec![],
            }),
            provider_meta: None,
        })
        .await
        .unwrap()
        .into_inner();
    r.diagnostics
}

/// A cluster network whose service range meets no network of these tests.
fn net(space: &str, extra: &[(&str, Value)]) -> Value {
    let mut all = vec![("service_cidr", Value::str("172.16.0.0/16"))];
    all.extend_from_slice(extra);
    cluster(space, &all)
}

fn lb(cluster_id: &str, internal: bool) -> Value {
    obj(&[
        ("cluster_network_id", Value::str(cluster_id)),
        ("name", Value::str("nginx")),
        (
            "selector",
            Value::Map([("app".to_string(), Value::str("nginx"))].into()),
        ),
        ("internal", Value::Bool(internal)),
        ("ports", Value::List(vec![obj(&[("port", Value::Number(80))])])),
    ])
}

#[tokio::test]
async fn avoid_overlap_of_a_cluster_network_alone_fails_at_plan() {
    let mut h = start().await;
    configure(&mut h).await;
    let avoid = [("avoid", Value::list_of_str(["10.0.0.0/12"]))];
    let (_, d) = plan_new(&mut h, Kind::ClusterNetwork, &net("10.5.0.0/16", &avoid)).await;
    let (summary, path) = one_error(&d);
    assert!(summary.contains("overlaps avoided range 10.0.0.0/12"), "{summary}");
    assert_eq!(path, ["address_space", "[0]"]);
    let (_, d) = plan_new(&mut h, Kind::ClusterNetwork, &net("10.40.0.0/16", &avoid)).await;
    clean(&d);
}

#[tokio::test]
async fn onprem_overlap_fails_on_whichever_is_planned_second() {
    // The declaration first: the cluster network fails.
    let mut h = start().await;
    configure(&mut h).await;
    clean(&read_onprem(&mut h, &["10.0.0.0/12"]).await);
    let (_, d) = plan_new(&mut h, Kind::ClusterNetwork, &net("10.5.0.0/16", &[])).await;
    let (summary, path) = one_error(&d);
    assert!(summary.contains("overlaps on-premises range 10.0.0.0/12"), "{summary}");
    assert_eq!(path, ["address_space", "[0]"]);

    // The cluster network first: the declaration read after it fails, on its range.
    let mut h = start().await;
    configure(&mut h).await;
    clean(&plan_new(&mut h, Kind::ClusterNetwork, &net("10.5.0.0/16", &[])).await.1);
    let (summary, path) = one_error(&read_onprem(&mut h, &["192.168.0.0/16", "10.0.0.0/12"]).await);
    assert!(summary.contains("overlaps on-premises range 10.0.0.0/12"), "{summary}");
    assert_eq!(path, ["address_space", "[1]"]);

    // Fixed: the next plan (a new walk, a new process) moves the range.
    let mut h = next_process(&h).await;
    configure(&mut h).await;
    clean(
        &plan_new(&mut h, Kind::ClusterNetwork, &net("10.40.0.0/16", &[]))
            .await
            .1,
    );
    clean(&read_onprem(&mut h, &["192.168.0.0/16", "10.0.0.0/12"]).await);
}

#[tokio::test]
async fn two_spokes_of_one_hub_overlapping_fail_on_the_second_peering() {
    let mut h = start().await;
    configure(&mut h).await;
    let (hub, _) = plan_new(&mut h, Kind::Hub, &hub("10.20.0.0/22", "vpn")).await;
    let (a, _) = plan_new(&mut h, Kind::ClusterNetwork, &net("10.40.0.0/16", &[])).await;
    let b_name = [("name", Value::str("aks-green"))];
    let (b, _) = plan_new(&mut h, Kind::ClusterNetwork, &net("10.40.0.0/16", &b_name)).await;
    clean(
        &plan_new(&mut h, Kind::Peering, &peering(&id_of(&a), &id_of(&hub), false))
            .await
            .1,
    );
    let (_, d) = plan_new(&mut h, Kind::Peering, &peering(&id_of(&b), &id_of(&hub), false)).await;
    let (summary, path) = one_error(&d);
    assert!(
        summary.contains("overlaps") && summary.contains("both are peered to"),
        "{summary}"
    );
    assert_eq!(path, ["cluster_network_id"]);

    // The green cluster moved to a fresh range: the next plan is clean.
    let mut h = next_process(&h).await;
    configure(&mut h).await;
    let (hub, _) = plan_new(&mut h, Kind::Hub, &harness::hub("10.20.0.0/22", "vpn")).await;
    let (a, _) = plan_new(&mut h, Kind::ClusterNetwork, &net("10.40.0.0/16", &[])).await;
    let (b, _) = plan_new(&mut h, Kind::ClusterNetwork, &net("10.41.0.0/16", &b_name)).await;
    for c in [&a, &b] {
        clean(
            &plan_new(&mut h, Kind::Peering, &peering(&id_of(c), &id_of(&hub), false))
                .await
                .1,
        );
    }
}

#[tokio::test]
async fn a_spoke_that_exists_only_in_the_fabric_counts() {
    let mut h = start().await;
    configure(&mut h).await;
    let hub = create(&mut h, Kind::Hub, &hub("10.20.0.0/22", "vpn")).await;
    let a = create(&mut h, Kind::ClusterNetwork, &net("10.40.0.0/16", &[])).await;
    create(&mut h, Kind::Peering, &peering(&id_of(&a), &id_of(&hub), false)).await;

    // Another configuration (a new process) plans a second spoke on that hub.
    let mut other = next_process(&h).await;
    configure(&mut other).await;
    let b_name = [
        ("name", Value::str("aks-green")),
        ("resource_group_name", Value::str("green-rg")),
    ];
    let (b, _) = plan_new(&mut other, Kind::ClusterNetwork, &net("10.40.128.0/17", &b_name)).await;
    let (_, d) = plan_new(&mut other, Kind::Peering, &peering(&id_of(&b), &id_of(&hub), false)).await;
    let (summary, path) = one_error(&d);
    assert!(
        summary.contains("10.40.0.0/16") && summary.contains("both are peered to"),
        "{summary}"
    );
    assert_eq!(path, ["cluster_network_id"]);
    // Nothing was created by that plan.
    assert_eq!(h.fabric.dump().await.unwrap()["vnets"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn concurrent_plans_of_two_overlapping_spokes_fail_exactly_one() {
    let mut h = start().await;
    configure(&mut h).await;
    let (hub, _) = plan_new(&mut h, Kind::Hub, &hub("10.20.0.0/22", "vpn")).await;
    let (a, _) = plan_new(&mut h, Kind::ClusterNetwork, &net("10.40.0.0/16", &[])).await;
    let b_name = [("name", Value::str("aks-green"))];
    let (b, _) = plan_new(&mut h, Kind::ClusterNetwork, &net("10.40.0.0/16", &b_name)).await;
    let (pa, pb) = (
        peering(&id_of(&a), &id_of(&hub), false),
        peering(&id_of(&b), &id_of(&hub), false),
    );
    let request = |config: &Value| pb::plan_resource_change::Request {
        type_name: Kind::Peering.terraform_type().into(),
        prior_state: dv(Kind::Peering, &Value::Null),
        proposed_new_state: dv(Kind::Peering, config),
        config: dv(Kind::Peering, config),
        prior_private: vec![],
        provider_meta: None,
    };
    let (mut c1, mut c2) = (h.client.clone(), h.client.clone());
    let (ra, rb) = tokio::join!(
        c1.plan_resource_change(request(&pa)),
        c2.plan_resource_change(request(&pb))
    );
    let (ra, rb) = (ra.unwrap().into_inner(), rb.unwrap().into_inner());
    let failed = [errors(&ra.diagnostics), errors(&rb.diagnostics)]
        .iter()
        .filter(|e| !e.is_empty())
        .count();
    assert_eq!(failed, 1, "{:?} / {:?}", ra.diagnostics, rb.diagnostics);
}

#[tokio::test]
async fn a_hub_planned_without_gateway_fails_remote_gateways_until_the_plan_adds_one() {
    let mut h = start().await;
    configure(&mut h).await;
    let (hub_none, _) = plan_new(&mut h, Kind::Hub, &hub("10.20.0.0/22", "none")).await;
    let (c, _) = plan_new(&mut h, Kind::ClusterNetwork, &net("10.40.0.0/16", &[])).await;
    let (_, d) = plan_new(&mut h, Kind::Peering, &peering(&id_of(&c), &id_of(&hub_none), true)).await;
    let (summary, path) = one_error(&d);
    assert!(summary.contains("has no gateway"), "{summary}");
    assert_eq!(path, ["use_remote_gateways"]);

    let mut h = next_process(&h).await;
    configure(&mut h).await;
    let (hub_vpn, _) = plan_new(&mut h, Kind::Hub, &hub("10.20.0.0/22", "vpn")).await;
    plan_new(&mut h, Kind::ClusterNetwork, &net("10.40.0.0/16", &[])).await;
    clean(
        &plan_new(&mut h, Kind::Peering, &peering(&id_of(&c), &id_of(&hub_vpn), true))
            .await
            .1,
    );
    assert!(h.fabric.dump().await.unwrap()["vnets"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn an_lb_made_internal_with_internal_lb_ips_raised_in_one_change_plans_clean() {
    let mut h = start().await;
    configure(&mut h).await;
    let c_config = net("10.40.0.0/16", &[]);
    let c = create(&mut h, Kind::ClusterNetwork, &c_config).await;
    let cid = id_of(&c);
    let l = create(&mut h, Kind::LbService, &lb(&cid, false)).await;

    // The fix in one change: the cluster is planned first (the LB depends on it).
    let mut p = next_process(&h).await;
    configure(&mut p).await;
    let raised = net("10.40.0.0/16", &[("internal_lb_ips", Value::Number(1))]);
    clean(&plan(&mut p, Kind::ClusterNetwork, &c, &raised).await.diagnostics);
    clean(&plan(&mut p, Kind::LbService, &l, &lb(&cid, true)).await.diagnostics);

    // Without raising it: the planned cluster refuses.
    let mut p = next_process(&h).await;
    configure(&mut p).await;
    clean(&plan(&mut p, Kind::ClusterNetwork, &c, &c_config).await.diagnostics);
    let (summary, path) = one_error(&plan(&mut p, Kind::LbService, &l, &lb(&cid, true)).await.diagnostics);
    assert!(summary.contains("internal_lb_ips = 0"), "{summary}");
    assert_eq!(path, ["internal"]);

    // A cluster outside the plan is what the fabric observes: its sizing
    // inputs live in another configuration's state, so the rule does not
    // guess (the fabric's own refusals remain at apply).
    let mut p = next_process(&h).await;
    configure(&mut p).await;
    clean(&plan(&mut p, Kind::LbService, &l, &lb(&cid, true)).await.diagnostics);
}

/// Plans on-prem, hub, cluster and the service and the peering in `order`;
/// returns the diagnostics of the service and the peering.
async fn reachability(
    endpoint: &str,
    use_remote_gateways: bool,
    service_first: bool,
) -> (Vec<pb::Diagnostic>, Vec<pb::Diagnostic>) {
    let mut h = start().await;
    configure(&mut h).await;
    clean(&read_onprem(&mut h, &["10.0.0.0/12"]).await);
    let (hub, _) = plan_new(&mut h, Kind::Hub, &hub("10.20.0.0/22", "vpn")).await;
    let (c, _) = plan_new(&mut h, Kind::ClusterNetwork, &net("10.40.0.0/16", &[])).await;
    let (s, p) = (
        external_service(&id_of(&c), "random-api", endpoint),
        peering(&id_of(&c), &id_of(&hub), use_remote_gateways),
    );
    if service_first {
        let ds = plan_new(&mut h, Kind::ExternalService, &s).await.1;
        (ds, plan_new(&mut h, Kind::Peering, &p).await.1)
    } else {
        let dp = plan_new(&mut h, Kind::Peering, &p).await.1;
        (plan_new(&mut h, Kind::ExternalService, &s).await.1, dp)
    }
}

#[tokio::test]
async fn an_on_prem_endpoint_without_gateway_peering_fails_on_the_later_of_service_and_peering() {
    // The peering first: the service fails on its endpoint.
    let (ds, dp) = reachability("10.1.8.4", false, false).await;
    clean(&dp);
    let (summary, path) = one_error(&ds);
    assert!(summary.contains("endpoint 10.1.8.4 is on premises"), "{summary}");
    assert_eq!(path, ["endpoints", "[0]"]);

    // The service first: not judged before the cluster's peering is known,
    // then the peering fails, naming the service.
    let (ds, dp) = reachability("10.1.8.4", false, true).await;
    clean(&ds);
    let (summary, path) = one_error(&dp);
    assert!(
        summary.starts_with("HK532: hybridk8s_external_service \"random-api\": endpoint 10.1.8.4 is on premises (hybridk8s_onprem_network \"corp\")"),
        "{summary}"
    );
    assert_eq!(path, ["use_remote_gateways"]);

    // The fix, either order: remote gateways through the hub.
    for service_first in [true, false] {
        let (ds, dp) = reachability("10.1.8.4", true, service_first).await;
        clean(&ds);
        clean(&dp);
    }
}

#[tokio::test]
async fn an_endpoint_in_no_declared_network_fails_at_plan() {
    let (ds, dp) = reachability("10.99.0.5", true, false).await;
    clean(&dp);
    let (summary, path) = one_error(&ds);
    assert!(summary.contains("endpoint 10.99.0.5 is in no network"), "{summary}");
    assert_eq!(path, ["endpoints", "[0]"]);
    // In the hub: reachable through the peering.
    let (ds, dp) = reachability("10.20.1.9", false, true).await;
    clean(&ds);
    clean(&dp);
}

#[tokio::test]
async fn two_resources_with_one_id_fail_duplicate_id_on_the_second() {
    let mut h = start().await;
    configure(&mut h).await;
    clean(
        &plan_new(&mut h, Kind::ClusterNetwork, &net("10.40.0.0/16", &[]))
            .await
            .1,
    );
    // Same name and resource group, other ranges: the same Azure VNET.
    let (summary, path) = one_error(
        &plan_new(&mut h, Kind::ClusterNetwork, &net("10.41.0.0/16", &[]))
            .await
            .1,
    );
    assert!(
        summary.contains("same object") && summary.contains("/virtualNetworks/aks"),
        "{summary}"
    );
    assert_eq!(path, ["name"]);
    // Two Services of one name in one cluster are one Kubernetes object.
    let (c, _) = plan_new(
        &mut h,
        Kind::ClusterNetwork,
        &net("10.50.0.0/16", &[("name", Value::str("other"))]),
    )
    .await;
    clean(
        &plan_new(
            &mut h,
            Kind::ExternalService,
            &external_service(&id_of(&c), "random-api", "10.50.1.4"),
        )
        .await
        .1,
    );
    let (summary, _) = one_error(
        &plan_new(
            &mut h,
            Kind::ExternalService,
            &external_service(&id_of(&c), "random-api", "10.50.1.5"),
        )
        .await
        .1,
    );
    assert!(summary.contains("/services/random-api"), "{summary}");
}
