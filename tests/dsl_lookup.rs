//! `data hub …`, the DSL's hub lookup: parse and format, diagnostics for
//! wrong kinds and attributes, and on the local fabric a hub made outside
//! the program (by another tool, or by another stack) looked up, peered to,
//! planned, applied, re-planned and destroyed with the hub left as it was;
//! the rules judged against the real hub; a missing hub.

use hybridk8s::backend::local::{LocalFabric, StackLock};
use hybridk8s::backend::{Backend, OpCtx, Owner};
use hybridk8s::dsl::{self, ast::ClearSpans, ast::Item, Files, Options, Program};
use hybridk8s::engine::{self, Action, ApplyOptions, EngineError, Plan};
use hybridk8s::graph::{self, kinds, Address, Attrs, Ctx, Kind, Value};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

const HUB_ID: &str =
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/hub";

fn snapshot(name: &str, text: &str) {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    s.bind(|| insta::assert_snapshot!(name, text));
}

fn addr(s: &str) -> Address {
    s.parse().unwrap()
}

fn files(src: &str) -> Files {
    Files::memory([("main.hk", src)])
}

fn load(src: &str) -> Result<Program, dsl::LoadError> {
    dsl::load_from(Path::new("main.hk"), &Options::default(), &files(src))
}

/// A cluster in `cidr` peered to the hub `hub` of `net-rg`, looked up.
fn program(hub: &str, cidr: &str, use_remote_gateways: bool) -> String {
    format!(
        r#"data hub corp_hub {{
  name           = "{hub}"
  resource_group_name = "net-rg"
}}

cluster_network aks {{
  resource_group_name = "k8s-rg"
  location       = "westeurope"
  address_space  = [{cidr}]
  max_nodes      = 10
  avoid          = [corp_hub]
}}

peering aks_hub {{
  cluster             = aks
  hub                 = corp_hub
  use_remote_gateways = {use_remote_gateways}
}}
"#
    )
}

// --- syntax ---------------------------------------------------------------

#[test]
fn a_data_block_parses_formats_and_round_trips() {
    let src = std::fs::read_to_string("tests/fixtures/dsl/lookup/messy.hk").unwrap();
    let file = dsl::parse(&src, "messy.hk").unwrap();
    let Item::Data(b) = &file.items[0] else {
        panic!("not a data block: {:?}", file.items[0])
    };
    assert_eq!((b.kind.name.as_str(), b.label.name.as_str()), ("hub", "corp_hub"));
    assert_eq!(
        &src[b.span.start..b.span.start + 4],
        "data",
        "the span starts at `data`"
    );
    let formatted = dsl::format(&src).unwrap();
    snapshot("lookup_fmt_messy", &formatted);
    let mut again = dsl::parse(&formatted, "formatted").unwrap();
    let mut before = file;
    before.clear_spans();
    again.clear_spans();
    assert_eq!(before.items, again.items);
    assert_eq!(dsl::format(&formatted).unwrap(), formatted, "idempotent");
}

#[test]
fn the_example_round_trips_and_checks_without_a_backend() {
    let src = std::fs::read_to_string("examples/existing-hub.hk").unwrap();
    assert_eq!(
        dsl::format(&src).unwrap(),
        src,
        "examples/existing-hub.hk is not formatted"
    );
    let p = dsl::load(Path::new("examples/existing-hub.hk"), &Options::default()).unwrap();
    assert!(
        !graph::check(&p.graph).has_errors(),
        "{}",
        p.render_plain(&graph::check(&p.graph))
    );
    let hub = p.graph.get(&addr("hub.corp_hub")).unwrap();
    assert!(p.graph.is_lookup(&hub.address));
    assert_eq!(hub.id(), Some(HUB_ID));
    assert!(hub.get("address_space").is_unknown() && hub.get("gateway").is_unknown());
    assert_eq!(p.graph.lookups().count(), 1);
    let peering = p.graph.get(&addr("peering.aks_hub")).unwrap();
    assert_eq!(peering.str("hub_id"), Some(HUB_ID), "references work as to a hub");
    assert!(peering.depends_on.contains(&hub.address));
}

#[test]
fn a_keyword_named_data_does_not_take_labels_named_data() {
    // `data` is a keyword only at the start of an item.
    let p = load("onprem data { address_space = [10.0.0.0/8] }\n").unwrap();
    assert!(p.graph.get(&addr("onprem.data")).is_some());
    assert!(!p.graph.is_lookup(&addr("onprem.data")));
}

#[test]
fn wrong_kinds_and_attributes_are_diagnostics() {
    let src = r#"data cluster_network aks { name = "aks" resource_group_name = "rg" }
data hubb typo { name = "x" resource_group_name = "rg" }
data hub h1 { address_space = [10.0.0.0/8] resource_group_name = "rg" }
data hub h2 { nme = "x" resource_group_name = "rg" }
data hub h3 { name = "x" }
data hub h4 { name = "a" name = "b" resource_group_name = "rg" }
data lonely { }
"#;
    let e = load(src).unwrap_err();
    let codes: Vec<&str> = e.problems.iter().map(|p| p.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "dsl::unknown-lookup",
            "dsl::unknown-lookup",
            "dsl::lookup-attribute",
            "dsl::unknown-attribute",
            "dsl::missing-attribute",
            "dsl::duplicate-attribute",
            "dsl::unknown-block",
        ]
    );
    snapshot("lookup_bad_kinds_and_attributes", &e.render_plain());
}

#[test]
fn a_name_azure_refuses_never_reaches_an_id() {
    let p = load("data hub h { name = \"bad/name?\" resource_group_name = \"net rg\" }\n").unwrap();
    let d = graph::check(&p.graph);
    let codes: Vec<&str> = d.errors().map(|d| d.code).collect();
    assert_eq!(codes, ["invalid-name", "invalid-name"], "{}", p.render_plain(&d));
}

// --- the local fabric -------------------------------------------------------

struct World {
    _dir: tempfile::TempDir,
    fabric: LocalFabric,
    backend: Arc<dyn Backend>,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let fabric = LocalFabric::open(dir.path().join("fabric.db")).unwrap();
    let backend: Arc<dyn Backend> = Arc::new(fabric.clone());
    World {
        _dir: dir,
        fabric,
        backend,
    }
}

/// The attributes of a hub `hub` in `net-rg`.
fn hub_attrs(gateway: &str, cidr: &str) -> Attrs {
    let config: Attrs = [
        ("name", Value::str("hub")),
        ("resource_group_name", Value::str("net-rg")),
        ("location", Value::str("westeurope")),
        ("address_space", Value::list_of_str([cidr])),
        ("gateway", Value::str(gateway)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let (attrs, d) = kinds::complete(&addr("hub.hub"), config, &Ctx::default());
    assert!(d.is_empty(), "{d:?}");
    attrs
}

/// The hub's row in the fabric dump, and its owner.
async fn hub_as_is(w: &World) -> (serde_json::Value, Owner) {
    let dump = w.fabric.dump().await.unwrap();
    let row = dump["vnets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == HUB_ID)
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    let owner = w
        .backend
        .read(&OpCtx::new("test"), Kind::Hub, HUB_ID, None)
        .await
        .unwrap()
        .map_or(Owner::Unmanaged, |o| o.owner);
    (row, owner)
}

/// What the CLI does: load, check, read the lookups, load again with what
/// was read, check again. `Err` is the rendered problems.
async fn resolve(src: &str, w: &World, stack: &str) -> Result<Program, String> {
    let p = load(src).map_err(|e| e.render_plain())?;
    let d = graph::check(&p.graph);
    assert!(!d.has_errors(), "unread lookups are unknowns: {}", p.render_plain(&d));
    let cx = OpCtx::new(stack).with_read_scope();
    let read = engine::lookup::read(&p.graph, &w.backend, &cx).await.unwrap();
    if read.diagnostics.has_errors() {
        return Err(p.render_plain(&read.diagnostics));
    }
    let p = dsl::load_resolved(Path::new("main.hk"), &Options::default(), &files(src), &read.found)
        .map_err(|e| e.render_plain())?;
    let d = graph::check(&p.graph);
    if d.has_errors() {
        return Err(p.render_plain(&d));
    }
    Ok(p)
}

async fn plan(p: &Program, lock: &StackLock, w: &World) -> Plan {
    engine::plan(&p.graph, &lock.state().await.unwrap(), w.backend.clone())
        .await
        .unwrap()
}

async fn apply(plan: &Plan, lock: &StackLock, w: &World) {
    let r = engine::apply(plan, w.backend.clone(), lock, &ApplyOptions::default())
        .await
        .unwrap();
    assert!(r.is_success(), "{:#?}", r.failures().collect::<Vec<_>>());
}

fn actions(p: &Plan) -> Vec<(String, Action)> {
    p.changes().map(|r| (r.address.to_string(), r.action)).collect()
}

/// plan → apply → re-plan → destroy of `program` against the hub that exists.
async fn peer_and_destroy(w: &World) {
    let before = hub_as_is(w).await;
    let src = program("hub", "10.40.0.0/16", true);
    let p = resolve(&src, w, "spoke").await.unwrap();
    let hub = p.graph.get(&addr("hub.corp_hub")).unwrap();
    assert_eq!(hub.get("address_space"), &Value::list_of_str(["10.20.0.0/22"]));
    assert_eq!(hub.str("gateway"), Some("vpn"));
    assert!(hub
        .str("gateway_subnet_id")
        .is_some_and(|s| s.ends_with("/subnets/GatewaySubnet")));
    let aks = p.graph.get(&addr("cluster_network.aks")).unwrap();
    assert_eq!(
        aks.get("avoid"),
        &Value::list_of_str(["10.20.0.0/22"]),
        "references read the real hub"
    );

    let lock = w.fabric.lock_stack("spoke", Duration::from_secs(5)).await.unwrap();
    let first = plan(&p, &lock, w).await;
    assert_eq!(
        actions(&first),
        [
            ("cluster_network.aks".to_string(), Action::Create),
            ("peering.aks_hub".to_string(), Action::Create)
        ],
        "the lookup is no change"
    );
    assert!(first.get(&addr("hub.corp_hub")).is_none());
    apply(&first, &lock, w).await;

    let state = lock.state().await.unwrap();
    assert!(
        !state.resources.contains_key(&addr("hub.corp_hub")),
        "lookups are not in the state"
    );
    let cx = OpCtx::new("spoke");
    let peering = state.resources[&addr("peering.aks_hub")].clone();
    let side = w
        .backend
        .read(&cx, Kind::Peering, peering.id.as_deref().unwrap(), Some(&peering.attrs))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(side.attrs["peering_state"], Value::str("Connected"));
    let dump = w.fabric.dump().await.unwrap();
    let sides: Vec<(&str, &str)> = dump["peerings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["peering_state"].as_str().unwrap()))
        .collect();
    assert_eq!(sides, [("aks-to-hub", "Connected"), ("hub-to-aks", "Connected")]);

    assert!(!plan(&p, &lock, w).await.has_changes(), "re-plan is empty");

    let destroy = engine::destroy_plan(&lock.state().await.unwrap(), w.backend.clone())
        .await
        .unwrap();
    assert!(destroy.get(&addr("hub.corp_hub")).is_none());
    apply(&destroy, &lock, w).await;
    lock.release().await.unwrap();
    let dump = w.fabric.dump().await.unwrap();
    assert_eq!(dump["peerings"], serde_json::json!([]), "both sides are gone");
    assert_eq!(
        hub_as_is(w).await,
        before,
        "the hub is as it was, and still its owner's"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_made_by_another_tool_is_peered_to_and_left_alone() {
    let w = world();
    w.fabric
        .create_unmanaged_vnet(Kind::Hub, &hub_attrs("vpn", "10.20.0.0/22"))
        .await
        .unwrap();
    assert_eq!(hub_as_is(&w).await.1, Owner::Unmanaged);
    peer_and_destroy(&w).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_of_another_stack_is_peered_to_and_left_alone() {
    let w = world();
    let lock = w
        .fabric
        .lock_stack("network-team", Duration::from_secs(5))
        .await
        .unwrap();
    let mut g = graph::Graph::new();
    g.add(graph::Resource::new(addr("hub.hub"), hub_attrs("vpn", "10.20.0.0/22")))
        .unwrap();
    let p = engine::plan(&g, &lock.state().await.unwrap(), w.backend.clone())
        .await
        .unwrap();
    let r = engine::apply(&p, w.backend.clone(), &lock, &ApplyOptions::default())
        .await
        .unwrap();
    assert!(r.is_success());
    lock.release().await.unwrap();
    assert_eq!(hub_as_is(&w).await.1, Owner::Stack("network-team".into()));
    peer_and_destroy(&w).await;
    // The owning stack still sees its hub as it left it.
    let lock = w
        .fabric
        .lock_stack("network-team", Duration::from_secs(5))
        .await
        .unwrap();
    let again = engine::plan(&g, &lock.state().await.unwrap(), w.backend.clone())
        .await
        .unwrap();
    assert!(!again.has_changes(), "{:?}", actions(&again));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overlap_with_the_real_hub_is_caught_at_plan() {
    let w = world();
    w.fabric
        .create_unmanaged_vnet(Kind::Hub, &hub_attrs("vpn", "10.20.0.0/22"))
        .await
        .unwrap();
    let src = program("hub", "10.20.0.0/16", true).replace("  avoid          = [corp_hub]\n", "");
    let text = resolve(&src, &w, "spoke").await.unwrap_err();
    snapshot("lookup_overlap_at_plan", &text);
    // The engine alone judges the same, from the graph it is given.
    let p = load(&src).unwrap();
    let e = engine::plan(&p.graph, &engine::StackState::empty("spoke"), w.backend.clone())
        .await
        .unwrap_err();
    let EngineError::Rejected(d) = e else { panic!("{e}") };
    assert_eq!(d.errors().map(|d| d.code).collect::<Vec<_>>(), ["peering-overlap"]);
    assert_eq!(w.fabric.dump().await.unwrap()["peerings"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_transit_to_a_hub_without_a_gateway_is_caught_at_plan() {
    let w = world();
    w.fabric
        .create_unmanaged_vnet(Kind::Hub, &hub_attrs("none", "10.20.0.0/22"))
        .await
        .unwrap();
    let src = program("hub", "10.40.0.0/16", true);
    let text = resolve(&src, &w, "spoke").await.unwrap_err();
    snapshot("lookup_no_gateway_at_plan", &text);
    // Without gateway transit the same hub is fine.
    resolve(&program("hub", "10.40.0.0/16", false), &w, "spoke")
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_hub_is_a_clear_plan_error() {
    let w = world();
    let src = program("hub", "10.40.0.0/16", true);
    let text = resolve(&src, &w, "spoke").await.unwrap_err();
    snapshot("lookup_missing_hub", &text);
    let p = load(&src).unwrap();
    let e = engine::plan(&p.graph, &engine::StackState::empty("spoke"), w.backend.clone())
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with("error[HK930 hub-not-found]: hub network \"hub\" not found in resource group \"net-rg\"")
            && text.contains("hint: check the name and resource group"),
        "{text}"
    );
    let EngineError::Rejected(d) = e else { panic!() };
    assert_eq!(d.len(), 1, "nothing else is judged before the hub is found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lookup_at_an_address_the_stack_manages_is_refused() {
    let w = world();
    let lock = w.fabric.lock_stack("spoke", Duration::from_secs(5)).await.unwrap();
    let mut g = graph::Graph::new();
    g.add(graph::Resource::new(
        addr("hub.corp_hub"),
        hub_attrs("vpn", "10.20.0.0/22"),
    ))
    .unwrap();
    let p = engine::plan(&g, &lock.state().await.unwrap(), w.backend.clone())
        .await
        .unwrap();
    apply(&p, &lock, &w).await;
    // The program now reads the hub it created: planning would delete it.
    let src = program("hub", "10.40.0.0/16", true);
    let prog = load(&src).unwrap();
    let e = engine::plan(&prog.graph, &lock.state().await.unwrap(), w.backend.clone())
        .await
        .unwrap_err();
    let EngineError::Rejected(d) = &e else { panic!("{e}") };
    assert_eq!(
        d.errors().map(|d| d.code).collect::<Vec<_>>(),
        ["managed-lookup"],
        "{e}"
    );
    lock.release().await.unwrap();
    assert_eq!(hub_as_is(&w).await.1, Owner::Stack("spoke".into()));
}

// --- the command line ---------------------------------------------------------

fn hk(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hybridk8s"))
        .args(args)
        .current_dir(dir)
        .env_remove("ARM_SUBSCRIPTION_ID")
        .env_remove("HYBRIDK8S_BACKEND")
        .env_remove("HYBRIDK8S_STATE")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn the_cli_checks_without_reading_and_plans_by_reading() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.hk"), program("hub", "10.40.0.0/16", true)).unwrap();
    let out = hk(dir.path(), &["check", "main.hk"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = hk(dir.path(), &["compile", "main.hk"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let hub = json["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "hub.corp_hub")
        .unwrap();
    assert_eq!(hub["lookup"], true);

    // No hub yet: plan says so at the source.
    let out = hk(dir.path(), &["plan", "main.hk"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("hub network \"hub\" not found in resource group \"net-rg\"") && stderr.contains("main.hk:2"),
        "{stderr}"
    );

    // The network team's hub, from its own program and stack.
    std::fs::create_dir(dir.path().join("net")).unwrap();
    std::fs::write(
        dir.path().join("net/hub.hk"),
        "hub hub {\n  resource_group_name = \"net-rg\"\n  location       = \"westeurope\"\n  address_space  = [10.20.0.0/22]\n  gateway        = vpn\n}\n",
    )
    .unwrap();
    let out = hk(dir.path(), &["apply", "net/hub.hk", "--auto-approve"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = hk(dir.path(), &["apply", "main.hk", "--auto-approve"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains("Resources: 2 added, 0 changed, 0 destroyed"),
        "{stdout}"
    );
    assert!(!stdout.contains("corp_hub"), "the lookup is no change: {stdout}");
    let out = hk(dir.path(), &["plan", "main.hk", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let out = hk(dir.path(), &["destroy", "main.hk", "--auto-approve"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Resources: 2 destroyed"));
    let out = hk(dir.path(), &["plan", "net/hub.hk", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "the hub's own stack sees no change");
}
