//! The names azurerm users already write, with real Terraform binaries (the
//! newest and 1.0.3): `resource_group_name` and `cluster_network_id`, their
//! former names `resource_group` and `cluster_id` still accepted with a
//! warning (summary and detail) and kept equal in state, and a switch from
//! the old names to the new that plans no change.

#[path = "terraform/harness.rs"]
mod harness;

use harness::{Terraform, Workspace};

/// The seed topology written with the former attribute names.
fn with_old_names(main: &str) -> String {
    main.replace("resource_group_name", "resource_group")
        .replace("cluster_network_id", "cluster_id")
}

fn values_of(ws: &Workspace, address: &str) -> serde_json::Value {
    let (out, _) = ws.expect(&["show", "-json"], 0);
    let j: serde_json::Value = serde_json::from_str(&out).expect("show -json");
    j["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == address)
        .unwrap_or_else(|| panic!("no {address} in {j:#}"))["values"]
        .clone()
}

fn renamed_attributes(terraform: Terraform) {
    let ws = Workspace::new(terraform);
    let main = harness::example_main_tf();
    assert!(main.contains("resource_group_name") && main.contains("cluster_network_id"));
    let old = with_old_names(&main);
    assert!(!old.contains("resource_group_name") && !old.contains("cluster_network_id"));
    ws.write_main(&old);

    let (out, err) = ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    assert!(out.contains("Resources: 8 added, 0 changed, 0 destroyed"), "{out}");
    let text = format!("{out}\n{err}");
    assert!(
        text.contains("`resource_group` is deprecated: it is now `resource_group_name`"),
        "{text}"
    );
    assert!(
        text.contains("`cluster_id` is deprecated: it is now `cluster_network_id`"),
        "{text}"
    );
    // The detail says what to do and that nothing is replaced.
    assert!(text.contains("nothing is replaced"), "{text}");
    assert!(text.contains("hybridk8s_cluster_network.aks"), "{text}");

    // Both names hold the value in state, so references to either work.
    let cn = values_of(&ws, "hybridk8s_cluster_network.aks");
    assert_eq!(cn["resource_group"], cn["resource_group_name"], "{cn:#}");
    assert!(
        cn["resource_group_name"].as_str().is_some_and(|s| !s.is_empty()),
        "{cn:#}"
    );
    let p = values_of(&ws, "hybridk8s_peering.aks_hub");
    assert_eq!(p["cluster_id"], p["cluster_network_id"], "{p:#}");
    assert_eq!(p["cluster_network_id"], cn["id"], "{p:#}");

    // Renaming in the configuration changes nothing.
    ws.write_main(&main);
    let (out, err) = ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);
    assert!(!format!("{out}{err}").contains("deprecated"), "{out}{err}");

    // Both names with different values: an error at the former name.
    let both = main.replacen(
        "\"k8s-dev-rg\"",
        "\"k8s-dev-rg\"\n  resource_group      = \"other-rg\"",
        1,
    );
    assert_ne!(
        both, main,
        "the example's cluster resource group changed: update this test"
    );
    ws.write_main(&both);
    let (_, err) = ws.expect(&["plan", "-input=false"], 1);
    assert!(
        err.contains("`resource_group` and `resource_group_name` are the same attribute, set to different values"),
        "{err}"
    );
    ws.write_main(&main);
    ws.expect(&["destroy", "-auto-approve", "-input=false"], 0);
}

#[test]
fn renamed_attributes_newest() {
    renamed_attributes(harness::newest());
}

#[test]
fn renamed_attributes_1_0_3() {
    renamed_attributes(harness::v1_0_3());
}

fn cluster_vnet_tags(ws: &Workspace) -> serde_json::Map<String, serde_json::Value> {
    let db = rusqlite::Connection::open(ws.fabric_path()).unwrap();
    let tags: String = db
        .query_row("SELECT tags FROM vnets WHERE role = 'cluster'", [], |r| r.get(0))
        .unwrap();
    serde_json::from_str(&tags).unwrap()
}

/// `tags` as in azurerm: merged with the owner tags, changed in place, a
/// removed tag removed, another tool's tag kept, the reserved prefix refused.
fn tags(terraform: Terraform) {
    let ws = Workspace::new(terraform);
    let main = harness::example_main_tf();
    let anchor = "resource_group_name = \"k8s-dev-rg\"";
    assert!(
        main.contains(anchor),
        "the example's cluster resource group changed: update this test"
    );
    let tagged = |tags: &str| main.replacen(anchor, &format!("{anchor}\n  tags = {tags}"), 1);

    ws.write_main(&tagged(r#"{ env = "dev", team = "network" }"#));
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    let t = cluster_vnet_tags(&ws);
    assert_eq!(t["env"], "dev", "{t:?}");
    assert_eq!(t["team"], "network", "{t:?}");
    assert_eq!(t["hybridk8s-managed-by"], "hybridk8s", "{t:?}");
    assert!(t.contains_key("hybridk8s-stack"), "{t:?}");
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);

    // Another tool tags the VNET: not ours, not drift, kept.
    let db = rusqlite::Connection::open(ws.fabric_path()).unwrap();
    let n = db
        .execute(
            "UPDATE vnets SET tags = json_set(tags, '$.cost-center', '42') WHERE role = 'cluster'",
            [],
        )
        .unwrap();
    assert_eq!(n, 1);
    drop(db);
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);

    // One tag changed, one removed: in place.
    ws.write_main(&tagged(r#"{ env = "prod" }"#));
    let (out, _) = ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 2);
    assert!(out.contains("0 to add, 1 to change, 0 to destroy"), "{out}");
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    let t = cluster_vnet_tags(&ws);
    assert_eq!(t["env"], "prod", "{t:?}");
    assert!(!t.contains_key("team"), "{t:?}");
    assert_eq!(t["cost-center"], "42", "{t:?}");
    assert_eq!(t["hybridk8s-managed-by"], "hybridk8s", "{t:?}");
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);

    // The owner tags cannot be set by hand.
    ws.write_main(&tagged(r#"{ "hybridk8s-stack" = "someone-else" }"#));
    let (_, err) = ws.expect(&["plan", "-input=false"], 1);
    assert!(err.contains("uses the `hybridk8s-` prefix"), "{err}");
    assert!(
        err.contains("tags[\"hybridk8s-stack\"]") || err.contains("tags"),
        "{err}"
    );
    ws.write_main(&main);
    ws.expect(&["destroy", "-auto-approve", "-input=false"], 0);
}

#[test]
fn tags_newest() {
    tags(harness::newest());
}

#[test]
fn tags_1_0_3() {
    tags(harness::v1_0_3());
}

/// A `timeouts` block on every resource, checked at plan.
fn timeouts(terraform: Terraform) {
    let ws = Workspace::new(terraform);
    let main = harness::example_main_tf();
    let anchor = "resource \"hybridk8s_peering\" \"aks_hub\" {";
    assert!(main.contains(anchor), "the example's peering changed: update this test");
    let with = |block: &str| main.replacen(anchor, &format!("{anchor}\n  timeouts {{\n{block}\n  }}"), 1);
    ws.write_main(&with("    create = \"1h30m\"\n    delete = \"45m\""));
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);
    ws.write_main(&with("    create = \"5 minutes\""));
    let (_, err) = ws.expect(&["plan", "-input=false"], 1);
    assert!(err.contains("timeout `5 minutes` is not a duration"), "{err}");
    assert!(err.contains("hybridk8s_peering.aks_hub"), "{err}");
    ws.write_main(&main);
    ws.expect(&["destroy", "-auto-approve", "-input=false"], 0);
}

#[test]
fn timeouts_newest() {
    timeouts(harness::newest());
}

#[test]
fn timeouts_1_0_3() {
    timeouts(harness::v1_0_3());
}
