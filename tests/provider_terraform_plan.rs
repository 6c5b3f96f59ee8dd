//! Plan-time rules through real Terraform (the newest on the machine and
//! 1.0.3): over the seed topology of `examples/terraform/main.tf`, each
//! hybrid-network rule the DSL enforces fails `terraform plan` with nothing
//! created, on a new environment where the fabric holds nothing to check
//! against; the fixed configuration plans clean, including a fix made in
//! the same change as the problem.

#[path = "terraform/harness.rs"]
mod harness;

use harness::{Terraform, Workspace};
use hybridk8s::backend::local::dump_is_empty;

#[path = "support/edit.rs"]
mod support_edit;
use support_edit::edit;

/// A second spoke of the hub with this address space.
fn green_spoke(space: &str) -> String {
    format!(
        r#"
resource "hybridk8s_cluster_network" "green" {{
  name           = "k8s-green-vnet"
  resource_group_name = "k8s-green-rg"
  location       = "westeurope"
  address_space  = ["{space}"]
  max_nodes      = 50
  service_cidr   = "172.16.0.0/16"
  dns_service_ip = "172.16.0.10"
}}

resource "hybridk8s_peering" "green_hub" {{
  cluster_network_id = hybridk8s_cluster_network.green.id
  hub_id     = hybridk8s_hub_network.hub.id
}}
"#
    )
}

/// `terraform plan` fails naming `wanted`, and creates nothing.
fn plan_fails(ws: &Workspace, main: &str, wanted: &str) {
    ws.write_main(main);
    let before = ws.fabric_dump();
    let (_, err) = ws.expect(&["plan", "-input=false"], 1);
    assert!(
        err.contains(wanted),
        "{}: no `{wanted}` in\n{err}",
        ws.terraform.label()
    );
    assert_eq!(ws.fabric_dump(), before, "a failed plan changed the fabric");
}

/// `terraform plan` succeeds with changes to make.
fn plans_clean(ws: &Workspace, main: &str) -> String {
    ws.write_main(main);
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 2).0
}

fn plan_time_rules(terraform: Terraform) {
    let ws = Workspace::new(terraform);
    let main = harness::example_main_tf();

    // A cluster range in an avoided (and on-premises) range.
    let avoided = edit(
        &edit(&main, "[\"10.40.0.0/16\"]", "[\"10.5.0.0/16\"]"),
        "avoid           = data.hybridk8s_onprem_network.corp.address_space",
        "avoid           = [\"10.0.0.0/12\"]",
    );
    plan_fails(
        &ws,
        &avoided,
        "address range 10.5.0.0/16 of hybridk8s_cluster_network \"k8s-dev-vnet\" overlaps",
    );

    // Two spokes of one hub with the same range.
    plan_fails(
        &ws,
        &(main.clone() + &green_spoke("10.40.0.0/16")),
        "both are peered to",
    );

    // Remote gateways through a hub without one.
    let no_gateway = edit(&main, "gateway        = \"expressroute\"", "gateway        = \"none\"");
    plan_fails(&ws, &no_gateway, "has no gateway");

    // An on-premises endpoint without a peering through the hub's gateway.
    let no_transit = edit(&main, "use_remote_gateways = true", "use_remote_gateways = false");
    // Whichever of the endpoint and the nameservers Terraform plans first is named.
    plan_fails(&ws, &no_transit, "no peering that uses a hub gateway");
    assert!(dump_is_empty(&ws.fabric_dump()));

    // Each fixed: clean plans of everything.
    let out = plans_clean(&ws, &(main.clone() + &green_spoke("10.41.0.0/16")));
    assert!(out.contains("10 to add, 0 to change, 0 to destroy"), "{out}");
    let out = plans_clean(&ws, &main);
    assert!(out.contains("8 to add, 0 to change, 0 to destroy"), "{out}");

    // An applied environment with a public nginx and no internal addresses.
    let public = edit(
        &edit(&main, "internal_lb_ips = 1", "internal_lb_ips = 0"),
        "  internal   = true\n",
        "",
    );
    ws.write_main(&public);
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    // Making it internal alone is refused at plan, the fabric unchanged.
    plan_fails(
        &ws,
        &edit(&main, "internal_lb_ips = 1", "internal_lb_ips = 0"),
        "internal_lb_ips = 0",
    );
    // Making it internal and reserving an address in one change plans clean.
    let out = plans_clean(&ws, &main);
    assert!(out.contains("to change"), "{out}");
    ws.write_main(&public);
    ws.expect(&["destroy", "-auto-approve", "-input=false"], 0);
    assert!(dump_is_empty(&ws.fabric_dump()));
}

#[test]
fn terraform_newest() {
    plan_time_rules(harness::newest());
}

#[test]
fn terraform_1_0_3() {
    plan_time_rules(harness::v1_0_3());
}
