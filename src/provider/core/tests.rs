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
            ("resource_group", Value::str("rg")),
            ("location", Value::str("westeurope")),
            ("address_space", Value::list_of_str([space])),
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

#[test]
fn address_space_change_requires_replace() {
    let ctx = Ctx::default();
    let prior = plan(Kind::ClusterNetwork, &Value::Null, &cluster("10.40.0.0/16"), &ctx).planned;
    let p = plan(Kind::ClusterNetwork, &prior, &cluster("10.41.0.0/16"), &ctx);
    let paths: Vec<String> = p.requires_replace.iter().map(ToString::to_string).collect();
    assert_eq!(paths, ["address_space", "node_subnet_cidr"]);
}

#[test]
fn fabric_values_keep_their_prior_value() {
    let ctx = Ctx::default();
    let c = cfg(
        Kind::Peering,
        &[
            ("cluster_id", Value::str("/x/vnets/aks")),
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
        &[("cluster_id", Value::Unknown), ("hub_id", Value::str("/x/vnets/hub"))],
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
