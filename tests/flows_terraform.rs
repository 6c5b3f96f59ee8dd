//! The `hybridk8s_flow_check` data source with real Terraform binaries (the
//! newest and 1.0.3): over the seed topology, a flow is answered at plan
//! time with its verdict, path and blocker; a verdict other than `expect`
//! fails the plan at `expect`; a bad flow is an error at its attribute.

#[path = "terraform/harness.rs"]
mod harness;

use harness::{Terraform, Workspace};

const FLOWS: &str = r#"
data "hybridk8s_flow_check" "pods_to_corp" {
  from_cluster_network_id = hybridk8s_cluster_network.aks.id
  to_address              = "10.1.2.3"
  port                    = 5432

  depends_on = [hybridk8s_peering.aks_hub, data.hybridk8s_onprem_network.corp]
}

data "hybridk8s_flow_check" "corp_to_nginx" {
  from_address  = "10.1.0.0/24"
  to_service_id = hybridk8s_lb_service.nginx.id
  port          = 80

  depends_on = [hybridk8s_peering.aks_hub, data.hybridk8s_onprem_network.corp]
}

data "hybridk8s_flow_check" "pods_to_nowhere" {
  from_cluster_network_id = hybridk8s_cluster_network.aks.id
  to_address              = "172.31.0.10"
  port                    = 53
  protocol                = "udp"
  expect                  = "blocked"

  depends_on = [hybridk8s_peering.aks_hub, data.hybridk8s_onprem_network.corp]
}

output "pods_to_corp_verdict" {
  value = data.hybridk8s_flow_check.pods_to_corp.verdict
}

output "pods_to_corp_path" {
  value = data.hybridk8s_flow_check.pods_to_corp.path
}

output "corp_to_nginx_verdict" {
  value = data.hybridk8s_flow_check.corp_to_nginx.verdict
}

output "pods_to_nowhere_blocker" {
  value = data.hybridk8s_flow_check.pods_to_nowhere.blocker
}
"#;

fn outputs(ws: &Workspace) -> serde_json::Value {
    let (out, _) = ws.expect(&["output", "-json"], 0);
    serde_json::from_str(&out).expect("output -json")
}

fn flow_checks(terraform: Terraform) {
    let ws = Workspace::new(terraform);
    let main = harness::example_main_tf();
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);

    // The network exists: the flows are answered while planning.
    ws.write_main(&format!("{main}{FLOWS}"));
    let (out, err) = ws.expect(&["plan", "-input=false"], 0);
    assert!(!out.contains("will be read during apply"), "{out}\n{err}");
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    let o = outputs(&ws);
    assert_eq!(o["pods_to_corp_verdict"]["value"], "reachable", "{o:#}");
    let path: Vec<&str> = o["pods_to_corp_path"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert!(
        path.first()
            .unwrap()
            .starts_with("pods of cluster_network.k8s-dev-vnet"),
        "{path:?}"
    );
    assert!(path.iter().any(|h| h.starts_with("peering ")), "{path:?}");
    assert!(path.contains(&"gateway of hub.hub (expressroute)"), "{path:?}");
    assert!(path.last().unwrap().contains("on-premises"), "{path:?}");
    assert_eq!(o["corp_to_nginx_verdict"]["value"], "reachable", "{o:#}");
    assert_eq!(o["pods_to_nowhere_blocker"]["value"], "missing-route", "{o:#}");

    // A flow that must be blocked but passes fails the plan at `expect`.
    let wrong = FLOWS.replacen(
        "  port                    = 5432\n",
        "  port                    = 5432\n  expect                  = \"blocked\"\n",
        1,
    );
    assert_ne!(wrong, FLOWS);
    ws.write_main(&format!("{main}{wrong}"));
    let (_, err) = ws.expect(&["plan", "-input=false"], 1);
    assert!(err.contains("is reachable but expect = \"blocked\""), "{err}");
    assert!(err.contains("path: pods of hybridk8s_cluster_network"), "{err}");
    assert!(err.contains("data.hybridk8s_flow_check.pods_to_corp"), "{err}");
    assert!(err.contains("expect"), "{err}");

    // Without gateway transit the flow to on-premises is blocked, and the
    // blocker is named.
    let no_transit = main.replacen("use_remote_gateways = true", "use_remote_gateways = false", 1);
    assert_ne!(no_transit, main, "the example's peering changed: update this test");
    // The example's on-premises endpoint and nameservers would be refused
    // without transit (endpoint-unreachable, nameserver-unreachable): the
    // network is first changed without them, then the flows are planned.
    let no_transit = without(
        &no_transit,
        &[
            "resource \"hybridk8s_external_service\" \"random_api\"",
            "resource \"hybridk8s_dns_upstream\" \"aks_dns\"",
        ],
    );
    ws.write_main(&no_transit);
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    ws.write_main(&format!("{no_transit}{FLOWS}"));
    let (_, err) = ws.expect(&["plan", "-input=false"], 1);
    assert!(err.contains("[no-gateway-transit]"), "{err}");
    assert!(err.contains("use_remote_gateways = false"), "{err}");

    // A flow that names two sources is an error at its attribute.
    let bad = FLOWS.replacen(
        "  to_address              = \"10.1.2.3\"\n",
        "  from_address            = \"10.1.0.0/24\"\n  to_address              = \"10.1.2.3\"\n",
        1,
    );
    ws.write_main(&format!("{main}{bad}"));
    let (_, err) = ws.expect(&["plan", "-input=false"], 1);
    assert!(err.contains("give exactly one of from_cluster_network_id"), "{err}");
    assert!(err.contains("from_cluster_network_id"), "{err}");

    ws.write_main(&main);
    ws.expect(&["destroy", "-auto-approve", "-input=false"], 0);
}

/// `tf` without the top-level blocks that start with each of `heads`.
fn without(tf: &str, heads: &[&str]) -> String {
    let mut out = tf.to_string();
    for head in heads {
        let start = out.find(head).unwrap_or_else(|| panic!("the example has no {head}"));
        let end = start + out[start..].find("\n}\n").expect("the block's end") + 3;
        out.replace_range(start..end, "");
    }
    out
}

#[test]
fn flow_checks_newest() {
    flow_checks(harness::newest());
}

#[test]
fn flow_checks_1_0_3() {
    flow_checks(harness::v1_0_3());
}
