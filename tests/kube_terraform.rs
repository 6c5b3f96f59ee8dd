//! Provider acceptance for the Kubernetes plane, with both Terraforms:
//! `examples/terraform/main.tf` with backend `azure` stands up the network
//! in the ARM emulator and the DNS upstream and Services in the Kubernetes
//! API emulator; in-place changes, out-of-band deletes, another field
//! manager's field, and a destroy that leaves the cluster's own objects.

#![cfg(feature = "azure")]

#[path = "arm/mod.rs"]
mod arm;
#[path = "terraform/harness.rs"]
mod harness;
#[path = "common/kube_cluster.rs"]
mod kube_cluster;
#[path = "kube/mod.rs"]
mod kube_emu;

use harness::{Terraform, Workspace};
use kube_cluster::Cluster;
use serde_json::{json, Value as J};

#[path = "support/edit.rs"]
mod support_edit;
use support_edit::edit;

fn setup(terraform: Terraform) -> (arm::ArmEmulator, Cluster, Workspace) {
    let emu = arm::ArmEmulator::start(arm::Options::default());
    emu.create_resource_group("net-rg", "westeurope");
    emu.create_resource_group("k8s-dev-rg", "westeurope");
    let cluster = Cluster::start();
    let mut ws = Workspace::new(terraform);
    ws.env = emu.env();
    ws.env.push(("TF_VAR_backend".into(), "azure".into()));
    // The provider block's kubeconfig_path (not KUBECONFIG): the default
    // every Kubernetes resource of the configuration uses.
    ws.env.push((
        "TF_VAR_kubeconfig_path".into(),
        cluster.kubeconfig.display().to_string(),
    ));
    ws.env.push(("KUBECONFIG".into(), "/nonexistent/kubeconfig".into()));
    (emu, cluster, ws)
}

fn service(c: &Cluster, name: &str) -> Option<J> {
    c.emu.get("v1", "Service", "default", name)
}

fn slice(c: &Cluster, name: &str) -> Option<J> {
    c.emu.get("discovery.k8s.io/v1", "EndpointSlice", "default", name)
}

fn coredns_custom(c: &Cluster) -> J {
    c.emu
        .get("v1", "ConfigMap", "kube-system", "coredns-custom")
        .expect("AKS's coredns-custom ConfigMap is always there")
}

fn restarted_at(c: &Cluster) -> Option<String> {
    let d = c.emu.get("apps/v1", "Deployment", "kube-system", "coredns")?;
    d["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
        .as_str()
        .map(str::to_string)
}

fn cluster_vnet_dns(emu: &arm::ArmEmulator) -> J {
    let all = emu.dump()["virtualNetworks"].as_array().cloned().unwrap_or_default();
    let v = all
        .iter()
        .find(|v| v["name"] == "k8s-dev-vnet")
        .unwrap_or_else(|| panic!("no cluster VNET in {all:#?}"));
    v["properties"]["dhcpOptions"]["dnsServers"].clone()
}

fn acceptance(terraform: Terraform) {
    let (emu, c, ws) = setup(terraform);
    let main = harness::example_main_tf();
    let own_corefile = c.emu.get("v1", "ConfigMap", "kube-system", "coredns").unwrap()["data"].clone();

    let (out, _) = ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    assert!(out.contains("Resources: 8 added, 0 changed, 0 destroyed"), "{out}");

    // The Services, as the plan said.
    assert_eq!(
        c.managed("v1", "Service"),
        [
            "default/database",
            "default/external-random-api",
            "default/nginx-internal",
            "default/web-public"
        ]
    );
    let api = service(&c, "external-random-api").unwrap();
    assert_eq!(api["spec"]["type"], "ClusterIP", "{api:#}");
    assert!(
        api["spec"].get("selector").is_none_or(J::is_null),
        "selectorless: {api:#}"
    );
    let s = slice(&c, "external-random-api").expect("the Service's EndpointSlice");
    assert_eq!(
        s["metadata"]["labels"]["kubernetes.io/service-name"],
        "external-random-api"
    );
    assert_eq!(s["addressType"], "IPv4");
    assert_eq!(s["endpoints"][0]["addresses"], json!(["10.1.8.4"]), "{s:#}");
    assert_eq!(s["ports"][0]["port"], 8080, "{s:#}");
    assert_eq!(
        s["metadata"]["ownerReferences"][0]["uid"], api["metadata"]["uid"],
        "the slice goes with its Service: {s:#}"
    );
    assert!(
        c.emu.get("v1", "Endpoints", "default", "external-random-api").is_none(),
        "no deprecated v1 Endpoints unless asked for"
    );
    let db = service(&c, "database").unwrap();
    assert_eq!(db["spec"]["externalName"], "db.my-company.local");
    let nginx = service(&c, "nginx-internal").unwrap();
    assert_eq!(
        nginx["metadata"]["annotations"]["service.beta.kubernetes.io/azure-load-balancer-internal"],
        "true"
    );
    assert_eq!(
        api["metadata"]["annotations"]["hybridk8s.io/stack"]
            .as_str()
            .map(|s| s.starts_with("terraform:")),
        Some(true),
        "{api:#}"
    );

    // The DNS upstream: AKS's coredns-custom gets the stub domain's server
    // block (on-premises servers in order), CoreDNS is restarted, the
    // cluster VNET's DNS servers are the on-premises ones.
    let custom = coredns_custom(&c);
    let block = custom["data"]["my-company.local.server"]
        .as_str()
        .unwrap_or_else(|| panic!("{custom:#}"));
    assert!(block.contains("forward . 10.1.0.4 10.1.0.5"), "{block}");
    assert!(block.contains("policy sequential"), "{block}");
    restarted_at(&c).expect("CoreDNS restarted after its ConfigMap changed");
    assert_eq!(cluster_vnet_dns(&emu), json!(["10.1.0.4", "10.1.0.5"]));

    // A person sees them with kubectl.
    let seen = c.kubectl(&["get", "svc,endpointslices", "-n", "default"]);
    for name in ["external-random-api", "database", "web-public", "nginx-internal"] {
        assert!(seen.contains(name), "kubectl get lists {name}:\n{seen}");
    }

    // Nothing to do.
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);

    // Ports change in place.
    let moved = edit(&main, "target_port = 8080", "target_port = 8081");
    ws.write_main(&moved);
    let (out, _) = ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    assert!(out.contains("0 added, 1 changed, 0 destroyed"), "{out}");
    let api2 = service(&c, "external-random-api").unwrap();
    assert_eq!(api2["metadata"]["uid"], api["metadata"]["uid"], "in place");
    assert_eq!(api2["spec"]["ports"][0]["targetPort"], 8081);
    assert_eq!(slice(&c, "external-random-api").unwrap()["ports"][0]["port"], 8081);
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);

    // Deleted out of band: the plan puts it back.
    assert!(c.emu.delete("v1", "Service", "default", "web-public"));
    let (out, _) = ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 2);
    assert!(out.contains("1 to add, 0 to change, 0 to destroy"), "{out}");
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    assert!(service(&c, "web-public").is_some());
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);

    // Another field manager takes a field: the drift shows, and applying
    // over it is refused with the other manager's name.
    let mut taken = service(&c, "external-random-api").unwrap();
    taken["spec"]["ports"][0]["targetPort"] = json!(9090);
    c.emu.put_as("kubectl-edit", taken);
    let (out, _) = ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 2);
    assert!(out.contains("0 to add, 1 to change, 0 to destroy"), "{out}");
    let (out, err) = ws.expect(&["apply", "-auto-approve", "-input=false"], 1);
    let text = format!("{out}{err}");
    assert!(
        text.contains("kubectl-edit"),
        "the conflict names the other manager:\n{text}"
    );
    assert!(
        text.contains("force_conflicts"),
        "and says how to take the field:\n{text}"
    );
    assert_eq!(
        service(&c, "external-random-api").unwrap()["spec"]["ports"][0]["targetPort"],
        9090
    );
    // Asked for: the field is taken.
    let forced = edit(
        &moved,
        "name       = \"external-random-api\"",
        "name       = \"external-random-api\"\n  force_conflicts = true",
    );
    ws.write_main(&forced);
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    assert_eq!(
        service(&c, "external-random-api").unwrap()["spec"]["ports"][0]["targetPort"],
        8081
    );
    ws.expect(&["plan", "-detailed-exitcode", "-input=false"], 0);

    // Without the DNS upstream the VNET's DNS servers are what they were.
    ws.expect(
        &[
            "destroy",
            "-auto-approve",
            "-input=false",
            "-target=hybridk8s_dns_upstream.aks_dns",
        ],
        0,
    );
    assert_eq!(cluster_vnet_dns(&emu), json!([]));
    let custom = coredns_custom(&c);
    assert!(custom["data"].get("my-company.local.server").is_none(), "{custom:#}");

    // Destroy: every object hybridk8s made is gone, the cluster's own stay.
    ws.expect(&["destroy", "-auto-approve", "-input=false"], 0);
    assert_eq!(c.managed("v1", "Service"), Vec::<String>::new());
    assert_eq!(c.managed("discovery.k8s.io/v1", "EndpointSlice"), Vec::<String>::new());
    assert!(c.emu.get("v1", "Service", "default", "kubernetes").is_some());
    assert!(c.emu.get("v1", "Service", "kube-system", "kube-dns").is_some());
    assert!(c.emu.get("apps/v1", "Deployment", "kube-system", "coredns").is_some());
    assert!(c.emu.get("v1", "Namespace", "", "kube-system").is_some());
    assert_eq!(
        c.emu.get("v1", "ConfigMap", "kube-system", "coredns").unwrap()["data"],
        own_corefile,
        "the cluster's Corefile is untouched"
    );
    assert!(c.emu.get("v1", "ConfigMap", "kube-system", "coredns-custom").is_some());
}

#[test]
fn acceptance_newest_terraform() {
    acceptance(harness::newest());
}

#[test]
fn acceptance_terraform_1_0_3() {
    acceptance(harness::v1_0_3());
}
