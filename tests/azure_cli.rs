//! `hybridk8s --backend azure` against the ARM emulator: the example applied
//! with only the backend and the `ARM_*` variables changed; parity with
//! Terraform on the emulator; convergence under injected faults; `kill -9`
//! at random points of an apply; Azure's error surfaced; credentials and
//! secrets.

#![cfg(feature = "azure")]

#[path = "arm/mod.rs"]
mod arm;
#[path = "terraform/harness.rs"]
mod harness;
#[path = "common/kube_cluster.rs"]
mod kube_cluster;
#[path = "kube/mod.rs"]
mod kube_emu;

use serde_json::{json, Value as J};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const CLI: &str = env!("CARGO_BIN_EXE_hybridk8s");
const SECRET: &str = "s3cr3t-Value-that-must-never-be-printed";

fn example() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/hybrid.hk")
        .display()
        .to_string()
}

fn emulator(opts: arm::Options) -> arm::ArmEmulator {
    let emu = arm::ArmEmulator::start(arm::Options {
        client_secret: SECRET.into(),
        ..opts
    });
    emu.create_resource_group("net-rg", "westeurope");
    emu.create_resource_group("k8s-dev-rg", "westeurope");
    emu
}

struct Cli<'a> {
    emu: &'a arm::ArmEmulator,
    /// The cluster the Kubernetes objects go to (its kubeconfig is KUBECONFIG).
    cluster: kube_cluster::Cluster,
    state: PathBuf,
    extra: Vec<(String, String)>,
    /// Options added to every command.
    args: Vec<String>,
}

impl<'a> Cli<'a> {
    fn new(emu: &'a arm::ArmEmulator, dir: &Path) -> Self {
        Cli {
            emu,
            cluster: kube_cluster::Cluster::start(),
            state: dir.join("fabric.db"),
            extra: Vec::new(),
            args: Vec::new(),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(CLI);
        c.args(args)
            .arg("--backend")
            .arg("azure")
            .arg("--state")
            .arg(&self.state)
            .args(&self.args)
            .env("NO_COLOR", "1")
            .env_remove("HYBRIDK8S_STATE")
            .env_remove("HYBRIDK8S_BACKEND");
        for (k, v) in self
            .emu
            .env()
            .into_iter()
            .chain(self.cluster.env())
            .chain(self.extra.clone())
        {
            c.env(k, v);
        }
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs and expects `code`; returns stdout + stderr.
    fn expect(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(code), "hybridk8s {args:?}\n{text}");
        assert!(!text.contains(SECRET), "the client secret was printed:\n{text}");
        for t in self.emu.issued_tokens() {
            assert!(!text.contains(&t), "a bearer token was printed:\n{text}");
        }
        text
    }
}

/// The emulator's objects without what differs between two runs of the
/// same program (etags, GUIDs, allocated public addresses, the owner
/// stack's name).
fn normalized(emu: &arm::ArmEmulator) -> J {
    fn strip(v: &mut J) {
        match v {
            J::Object(m) => {
                m.remove("etag");
                m.remove("resourceGuid");
                // A public IP's address is whatever Azure allocated.
                m.remove("ipAddress");
                if let Some(J::Object(tags)) = m.get_mut("tags") {
                    for (k, v) in tags.iter_mut() {
                        if k == "hybridk8s-stack" || k.starts_with("hybridk8s-peering-") {
                            *v = J::String("<stack>".into());
                        }
                    }
                }
                m.values_mut().for_each(strip);
            }
            J::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut d = emu.dump();
    strip(&mut d);
    d
}

/// The example as planned: two VNETs (with their subnets), one gateway, both
/// peering sides Connected and in sync, nothing else, no duplicates.
fn assert_example_converged(emu: &arm::ArmEmulator, foreign: Option<&J>) {
    let d = emu.dump();
    let vnets = d["virtualNetworks"].as_array().cloned().unwrap_or_default();
    let mine: Vec<&J> = vnets
        .iter()
        .filter(|v| v["tags"]["hybridk8s-managed-by"] == "hybridk8s")
        .collect();
    let mut names: Vec<&str> = mine.iter().map(|v| v["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["hub", "k8s-dev-vnet"], "{d:#}");
    for v in &mine {
        let sides = v["properties"]["virtualNetworkPeerings"].as_array().unwrap();
        assert_eq!(sides.len(), 1, "one peering side per VNET: {v:#}");
        assert_eq!(sides[0]["properties"]["peeringState"], "Connected", "{v:#}");
        assert_eq!(sides[0]["properties"]["peeringSyncLevel"], "FullyInSync", "{v:#}");
        assert_eq!(v["properties"]["provisioningState"], "Succeeded", "{v:#}");
    }
    let gateways = d["virtualNetworkGateways"].as_array().cloned().unwrap_or_default();
    assert_eq!(gateways.len(), 1, "{gateways:#?}");
    assert_eq!(gateways[0]["properties"]["gatewayType"], "ExpressRoute");
    let ips = d["publicIPAddresses"].as_array().cloned().unwrap_or_default();
    assert_eq!(ips.len(), 1, "{ips:#?}");
    if let Some(f) = foreign {
        let id = f["id"].as_str().unwrap();
        assert_eq!(emu.get(id).as_ref(), Some(f), "the other tool's VNET is untouched");
    }
}

#[test]
fn the_example_applies_to_arm_with_only_the_backend_switched() {
    let emu = emulator(arm::Options::default());
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(&emu, dir.path());
    let out = cli.expect(&["apply", &example(), "--auto-approve"], 0);
    assert!(out.contains("Apply complete"), "{out}");
    assert_example_converged(&emu, None);
    let out = cli.expect(&["plan", &example(), "--detailed-exitcode"], 0);
    assert!(out.contains("No changes"), "{out}");

    // Parity: the same topology through Terraform on a second emulator.
    let emu_tf = emulator(arm::Options::default());
    let cluster_tf = kube_cluster::Cluster::start();
    let mut ws = harness::Workspace::new(harness::newest());
    ws.env = emu_tf.env();
    ws.env.extend(cluster_tf.env());
    ws.env.push(("TF_VAR_backend".into(), "azure".into()));
    ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    let (a, b) = (normalized(&emu), normalized(&emu_tf));
    assert_eq!(a, b, "the DSL and Terraform built different ARM objects");

    let out = cli.expect(&["destroy", &example(), "--auto-approve"], 0);
    assert!(out.contains("Destroy complete"), "{out}");
    assert_eq!(emu.dump()["virtualNetworks"].as_array().map_or(0, Vec::len), 0);
}

#[test]
fn an_apply_converges_with_thirty_percent_of_calls_failing() {
    let emu = emulator(arm::Options {
        op_polls: 2,
        ..Default::default()
    });
    let foreign_id = format!(
        "/subscriptions/{}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/shared-services",
        emu.subscription_id()
    );
    emu.put(
        &foreign_id,
        json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.90.0.0/24"]}}}),
    );
    let foreign = emu.get(&foreign_id).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(&emu, dir.path());
    emu.faults().fail_rate(0.3, 7);
    emu.faults().fail_operation_next("virtualNetworks/k8s-dev-vnet");
    let out = cli.expect(&["apply", &example(), "--auto-approve"], 0);
    assert!(out.contains("Apply complete"), "{out}");
    let failed: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.status >= 400 || r.status == 0)
        .collect();
    assert!(failed.len() >= 5, "faults were injected: {failed:?}");
    emu.faults().clear();
    assert_example_converged(&emu, Some(&foreign));
    let out = cli.expect(&["plan", &example(), "--detailed-exitcode"], 0);
    assert!(out.contains("No changes"), "{out}");

    // The same objects as an apply that met no fault.
    let calm = emulator(arm::Options::default());
    calm.put(
        &foreign_id,
        json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.90.0.0/24"]}}}),
    );
    let calm_dir = tempfile::tempdir().unwrap();
    Cli::new(&calm, calm_dir.path()).expect(&["apply", &example(), "--auto-approve"], 0);
    assert_eq!(normalized(&emu), normalized(&calm), "faults changed what was built");
}

/// A small deterministic generator for the kill points.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn kill_9_at_twenty_points_of_an_apply_then_a_reapply_converges() {
    // What an apply that is never interrupted builds.
    let calm = emulator(arm::Options::default());
    let calm_dir = tempfile::tempdir().unwrap();
    Cli::new(&calm, calm_dir.path()).expect(&["apply", &example(), "--auto-approve"], 0);
    let reference = normalized(&calm);
    let mut seed = 0x5eed_1234_u64;
    let mut killed_midway = 0;
    for round in 0..20 {
        let emu = emulator(arm::Options {
            latency: Duration::from_millis(15),
            ..Default::default()
        });
        let dir = tempfile::tempdir().unwrap();
        let cli = Cli::new(&emu, dir.path());
        let mut child = cli
            .command(&["apply", &example(), "--auto-approve"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait for a random number of ARM calls, then SIGKILL.
        let after = 2 + next(&mut seed) % 40;
        let mut waited = 0;
        while emu.requests().len() < after as usize && waited < 3000 {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
            waited += 1;
        }
        if child.try_wait().unwrap().is_none() {
            killed_midway += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
        let out = cli.expect(&["apply", &example(), "--auto-approve"], 0);
        assert!(
            out.contains("Apply complete") || out.contains("No changes"),
            "round {round} (killed after {after} calls):\n{out}"
        );
        assert_example_converged(&emu, None);
        assert_eq!(
            normalized(&emu),
            reference,
            "round {round} (killed after {after} calls)"
        );
        let out = cli.expect(&["plan", &example(), "--detailed-exitcode"], 0);
        assert!(out.contains("No changes"), "round {round}:\n{out}");
    }
    assert!(
        killed_midway >= 15,
        "most kills landed mid-apply ({killed_midway} of 20)"
    );
}

#[test]
fn a_failed_operation_reports_azures_code_message_and_id() {
    let emu = emulator(arm::Options::default());
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(&emu, dir.path());
    let (code, message) = (
        "VnetProvisioningFailed",
        "The virtual network hub could not be provisioned: the address space is reserved by policy.",
    );
    emu.faults()
        .fail_operation_next_with("virtualNetworks/hub", code, message);
    let out = cli.expect(&["apply", &example(), "--auto-approve"], 1);
    let id = format!(
        "/subscriptions/{}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/hub",
        emu.subscription_id()
    );
    assert!(out.contains(&id), "{out}");
    assert!(out.contains(code), "{out}");
    assert!(out.contains(message), "{out}");
    // The failure is recorded as what exists: the next apply converges.
    let out = cli.expect(&["apply", &example(), "--auto-approve"], 0);
    assert!(out.contains("Apply complete"), "{out}");
    assert_example_converged(&emu, None);
}

#[test]
fn a_missing_credential_says_which_variables_to_set() {
    let emu = emulator(arm::Options::default());
    let dir = tempfile::tempdir().unwrap();
    let mut cli = Cli::new(&emu, dir.path());
    cli.extra = vec![
        ("ARM_CLIENT_SECRET".into(), String::new()),
        ("ARM_USE_CLI".into(), "false".into()),
    ];
    let out = cli.expect(&["apply", &example(), "--auto-approve"], 1);
    for var in ["ARM_CLIENT_SECRET", "ARM_USE_OIDC", "ARM_USE_MSI", "ARM_USE_CLI"] {
        assert!(out.contains(var), "names {var}:\n{out}");
    }
    assert_eq!(emu.dump()["virtualNetworks"].as_array().map_or(0, Vec::len), 0);

    let mut cli = Cli::new(&emu, dir.path());
    cli.extra = vec![("ARM_SUBSCRIPTION_ID".into(), "not-a-guid".into())];
    let out = cli.expect(&["plan", &example()], 1);
    assert!(out.contains("ARM_SUBSCRIPTION_ID") && out.contains("GUID"), "{out}");
}

#[test]
fn a_wrong_client_secret_is_refused_by_the_token_endpoint_and_not_printed() {
    let emu = emulator(arm::Options::default());
    let dir = tempfile::tempdir().unwrap();
    let mut cli = Cli::new(&emu, dir.path());
    let wrong = "wrong-secret-also-never-printed";
    cli.extra = vec![("ARM_CLIENT_SECRET".into(), wrong.into())];
    let out = cli.expect(&["apply", &example(), "--auto-approve"], 1);
    assert!(!out.contains(wrong), "{out}");
    assert!(out.contains("AADSTS7000215") || out.contains("invalid_client"), "{out}");
    assert_eq!(emu.dump()["virtualNetworks"].as_array().map_or(0, Vec::len), 0);
}

#[test]
fn terraform_trace_logs_hold_no_secret_and_no_token() {
    let emu = emulator(arm::Options::default());
    let mut ws = harness::Workspace::new(harness::newest());
    ws.env = emu.env();
    ws.env.extend(kube_cluster::shared().env());
    ws.env.push(("TF_VAR_backend".into(), "azure".into()));
    ws.env.push(("TF_LOG".into(), "trace".into()));
    ws.env.push(("HYBRIDK8S_LOG".into(), "trace".into()));
    let (out, err) = ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    let all = format!("{out}{err}");
    assert!(err.len() > 10_000, "trace logs were written ({} bytes)", err.len());
    assert!(!all.contains(SECRET), "the client secret is in the logs");
    let tokens = emu.issued_tokens();
    assert!(!tokens.is_empty());
    for t in tokens {
        assert!(!all.contains(&t), "a bearer token is in the logs");
    }
}

#[test]
fn fabric_dump_lists_what_hybridk8s_owns_across_pages() {
    let emu = emulator(arm::Options {
        page_size: 1,
        ..Default::default()
    });
    for i in 0..3 {
        let id = format!(
            "/subscriptions/{}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/other-{i}",
            emu.subscription_id()
        );
        emu.put(
            &id,
            json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": [format!("10.9{i}.0.0/24")]}}}),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(&emu, dir.path());
    cli.expect(&["apply", &example(), "--auto-approve"], 0);
    emu.clear_requests();
    let out = cli.expect(&["fabric", "dump", "--json"], 0);
    let d: J = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let vnets = d["virtual_networks"].as_array().unwrap();
    let names: Vec<&str> = vnets
        .iter()
        .map(|v| v["id"].as_str().unwrap().rsplit('/').next().unwrap())
        .collect();
    assert_eq!(names, ["k8s-dev-vnet", "hub"], "{d:#}");
    assert!(
        vnets
            .iter()
            .all(|v| v["stack"].as_str().unwrap().ends_with("examples/hybrid.hk")),
        "{d:#}"
    );
    assert_eq!(vnets[0]["peerings"][0]["peering_state"], "Connected");
    let pages = emu
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/virtualNetworks"))
        .count();
    assert_eq!(pages, 5, "one GET per page of one VNET: {:?}", emu.requests());
    let out = cli.expect(&["fabric", "dump", "--json", "--stack", "someone-else"], 0);
    assert!(out.contains("\"virtual_networks\": []"), "{out}");
}

/// The DSL's hub lookup on ARM: `examples/existing-hub.hk` peers a cluster
/// to the hub the network team runs (made directly in ARM with its
/// ExpressRoute gateway); the hub is read, never written.
#[test]
fn the_dsl_looks_up_the_hub_the_network_team_runs_in_arm() {
    let emu = emulator(arm::Options::default());
    let hub_id = format!(
        "/subscriptions/{}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/hub",
        emu.subscription_id()
    );
    let base = format!(
        "/subscriptions/{}/resourceGroups/net-rg/providers/Microsoft.Network",
        emu.subscription_id()
    );
    emu.put(
        &hub_id,
        json!({"location": "westeurope", "tags": {"owner": "network-team"}, "properties": {
            "addressSpace": {"addressPrefixes": ["10.20.0.0/22"]},
            "subnets": [{"name": "GatewaySubnet", "properties": {"addressPrefix": "10.20.3.224/27"}}]}}),
    );
    let pip = format!("{base}/publicIPAddresses/er-pip");
    emu.put(
        &pip,
        json!({"location": "westeurope", "sku": {"name": "Standard"}, "properties": {"publicIPAllocationMethod": "Static"}}),
    );
    let gw = format!("{base}/virtualNetworkGateways/er");
    emu.put(
        &gw,
        json!({"location": "westeurope", "properties": {
            "gatewayType": "ExpressRoute", "sku": {"name": "Standard", "tier": "Standard"},
            "ipConfigurations": [{"name": "default", "properties": {
                "subnet": {"id": format!("{hub_id}/subnets/GatewaySubnet")}, "publicIPAddress": {"id": pip}}}]}}),
    );
    let before = emu.get(&hub_id).unwrap();
    let program = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/existing-hub.hk")
        .display()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(&emu, dir.path());
    let out = cli.expect(&["apply", &program, "--auto-approve"], 0);
    assert!(out.contains("Apply complete"), "{out}");
    assert!(
        !out.contains("hub.corp_hub will be"),
        "the lookup is never planned:\n{out}"
    );
    let hub = emu.get(&hub_id).unwrap();
    assert_eq!(hub["tags"], before["tags"]);
    assert_eq!(hub["properties"]["subnets"], before["properties"]["subnets"]);
    let sides = hub["properties"]["virtualNetworkPeerings"].as_array().unwrap();
    assert_eq!(sides.len(), 1);
    assert_eq!(sides[0]["properties"]["allowGatewayTransit"], true);
    assert_eq!(sides[0]["properties"]["peeringState"], "Connected");
    let out = cli.expect(&["plan", &program, "--detailed-exitcode"], 0);
    assert!(out.contains("No changes"), "{out}");

    // The real hub's range is avoided: a cluster range inside it fails at plan.
    let clash = cli.expect(&["plan", &program, "--var", "cluster_cidr=10.20.0.0/16"], 1);
    assert!(clash.contains("10.20.0.0/22"), "{clash}");

    cli.expect(&["destroy", &program, "--auto-approve"], 0);
    let after = emu.get(&hub_id).unwrap();
    assert_eq!(after["tags"], before["tags"]);
    assert!(after["properties"]["virtualNetworkPeerings"]
        .as_array()
        .is_none_or(Vec::is_empty));
    assert_eq!(emu.dump()["virtualNetworks"].as_array().unwrap().len(), 1);
}

/// Workload identity (`ARM_USE_OIDC`): the assertion from `ARM_OIDC_TOKEN`,
/// or read again from `ARM_OIDC_TOKEN_FILE_PATH` for each token, goes to
/// Entra in place of a secret; it is never printed, and a wrong one is
/// refused.
#[test]
fn workload_identity_signs_in_with_the_federated_token() {
    let emu = emulator(arm::Options::default());
    let fed = emu.options().federated_token.clone();
    let dir = tempfile::tempdir().unwrap();
    let mut cli = Cli::new(&emu, dir.path());
    cli.extra = vec![
        ("ARM_CLIENT_SECRET".into(), String::new()),
        ("ARM_USE_OIDC".into(), "true".into()),
        ("ARM_OIDC_TOKEN".into(), fed.clone()),
    ];
    let out = cli.expect(&["apply", &example(), "--auto-approve"], 0);
    assert!(!out.contains(&fed), "the assertion was printed:\n{out}");
    assert!(emu.tokens_issued() >= 1);
    assert_example_converged(&emu, None);

    let file = dir.path().join("federated-token");
    std::fs::write(&file, "not-the-assertion").unwrap();
    cli.extra = vec![
        ("ARM_CLIENT_SECRET".into(), String::new()),
        ("ARM_USE_OIDC".into(), "true".into()),
        ("ARM_OIDC_TOKEN_FILE_PATH".into(), file.display().to_string()),
    ];
    // azure_identity's federated flow keeps only Entra's status.
    let out = cli.expect(&["destroy", &example(), "--auto-approve"], 1);
    assert!(out.contains("no access token for ARM") && out.contains("401"), "{out}");
    std::fs::write(&file, &fed).unwrap();
    let out = cli.expect(&["destroy", &example(), "--auto-approve"], 0);
    assert!(!out.contains(&fed), "{out}");
    assert_eq!(emu.dump()["virtualNetworks"].as_array().map_or(0, Vec::len), 0);
}

/// The Azure CLI credential (the default when nothing else is set): the
/// token comes from `az account get-access-token`. The `az` here is a small
/// stand-in for a CLI logged in with a service principal: it signs in at
/// the emulator's token endpoint with the principal's secret, which only it
/// knows, and prints what `az` prints.
#[test]
fn the_azure_cli_credential_is_the_default() {
    let emu = emulator(arm::Options::default());
    let o = emu.options().clone();
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let calls = dir.path().join("az-calls");
    let az = format!(
        r#"#!/usr/bin/env python3
import json, sys, time, urllib.parse, urllib.request
open({calls:?}, "a").write(" ".join(sys.argv[1:]) + "\n")
if sys.argv[1:3] != ["account", "get-access-token"]:
    sys.exit("unexpected az call")
args = sys.argv[3:]
resource = args[args.index("--resource") + 1] if "--resource" in args else args[args.index("--scope") + 1]
scope = resource.rstrip("/") + ("" if resource.endswith("/.default") else "/.default")
form = urllib.parse.urlencode({{"grant_type": "client_credentials", "client_id": {client:?},
    "client_secret": {secret:?}, "scope": scope}}).encode()
url = {authority:?} + {tenant:?} + "/oauth2/v2.0/token"
tok = json.load(urllib.request.urlopen(urllib.request.Request(url, data=form)))
exp = int(time.time()) + tok["expires_in"]
print(json.dumps({{"accessToken": tok["access_token"], "expiresOn": time.strftime("%Y-%m-%d %H:%M:%S.000000", time.localtime(exp)),
    "expires_on": exp, "subscription": {sub:?}, "tenant": {tenant:?}, "tokenType": "Bearer"}}))
"#,
        calls = calls.display().to_string(),
        client = o.client_id,
        secret = o.client_secret,
        authority = emu.authority_host(),
        tenant = o.tenant_id,
        sub = o.subscription_id,
    );
    std::fs::write(bin.join("az"), az).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(bin.join("az"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut cli = Cli::new(&emu, dir.path());
    cli.extra = vec![
        ("ARM_CLIENT_SECRET".into(), String::new()),
        ("ARM_CLIENT_ID".into(), String::new()),
        ("PATH".into(), path),
    ];
    let out = cli.expect(&["apply", &example(), "--auto-approve"], 0);
    assert!(out.contains("Apply complete"), "{out}");
    assert_example_converged(&emu, None);
    let asked = std::fs::read_to_string(&calls).unwrap();
    assert!(
        asked.lines().all(|l| l.starts_with("account get-access-token")),
        "{asked}"
    );
    assert!(!asked.is_empty());
    // The same with the CLI turned off: nothing is left to sign in with.
    cli.extra.push(("ARM_USE_CLI".into(), "false".into()));
    let out = cli.expect(&["plan", &example()], 1);
    assert!(out.contains("ARM_USE_CLI"), "{out}");
}

/// `(kind, namespace, name)` of every Service and EndpointSlice in a
/// manifest stream or a `kubectl get -o json` list.
fn services_and_slices(docs: &[J]) -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = docs
        .iter()
        .flat_map(|d| match d["items"].as_array() {
            Some(items) => items.clone(),
            None => vec![d.clone()],
        })
        .filter(|o| matches!(o["kind"].as_str(), Some("Service" | "EndpointSlice")))
        .map(|o| {
            (
                o["kind"].as_str().unwrap_or("").to_string(),
                o["metadata"]["namespace"].as_str().unwrap_or("default").to_string(),
                o["metadata"]["name"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn the_example_reaches_the_cluster_and_kubectl_lists_what_the_plan_says() {
    let emu = emulator(arm::Options::default());
    let dir = tempfile::tempdir().unwrap();
    let mut cli = Cli::new(&emu, dir.path());
    // `--kubeconfig` names the cluster; KUBECONFIG points nowhere.
    let kubeconfig = cli.cluster.kubeconfig.display().to_string();
    cli.extra = vec![("KUBECONFIG".into(), "/nonexistent/kubeconfig".into())];
    cli.args = vec![
        "--kubeconfig".into(),
        kubeconfig,
        "--kube-context".into(),
        kube_cluster::CONTEXT.into(),
    ];
    let out = cli.expect(&["apply", &example(), "--auto-approve"], 0);
    assert!(out.contains("Apply complete"), "{out}");
    let out = cli.expect(&["plan", &example(), "--detailed-exitcode"], 0);
    assert!(out.contains("No changes"), "{out}");

    // What the program compiles to, as Services and EndpointSlices...
    let compiled = Command::new(CLI)
        .args(["compile", &example(), "--to", "k8s"])
        .output()
        .unwrap();
    assert!(compiled.status.success(), "{compiled:?}");
    let docs: Vec<J> = serde_yaml::Deserializer::from_slice(&compiled.stdout)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect();
    let planned = services_and_slices(&docs);
    assert!(planned.len() >= 5, "{planned:?}");
    // ...is exactly what kubectl lists as hybridk8s's.
    let listed = cli.cluster.kubectl(&[
        "get",
        "svc,endpointslices",
        "-A",
        "-l",
        "app.kubernetes.io/managed-by=hybridk8s",
        "-o",
        "json",
    ]);
    let listed = services_and_slices(&[serde_json::from_str(&listed).unwrap()]);
    assert_eq!(listed, planned);
    // The table a person reads names them too.
    let table = cli.cluster.kubectl(&["get", "svc,endpointslices", "-A"]);
    for (_, ns, name) in &planned {
        assert!(
            table.contains(name.as_str()) && table.contains(ns.as_str()),
            "{name}:\n{table}"
        );
    }
    // The DNS upstream is in AKS's coredns-custom, and CoreDNS was restarted.
    let custom = cli
        .cluster
        .kubectl(&["get", "configmap", "coredns-custom", "-n", "kube-system", "-o", "json"]);
    assert!(custom.contains("my-company.local.server"), "{custom}");
    let d = cli
        .cluster
        .emu
        .get("apps/v1", "Deployment", "kube-system", "coredns")
        .unwrap();
    assert!(d["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"].is_string());

    let out = cli.expect(&["destroy", &example(), "--auto-approve"], 0);
    assert!(out.contains("Destroy complete"), "{out}");
    assert!(cli.cluster.managed("v1", "Service").is_empty());
    assert!(cli
        .cluster
        .emu
        .get("v1", "Service", "kube-system", "kube-dns")
        .is_some());
}

/// The addresses in the stack's state.
fn recorded(cli: &Cli) -> Vec<String> {
    let out = Command::new(CLI)
        .args(["state", "list", "--state"])
        .arg(&cli.state)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .filter(|l| !l.trim().is_empty())
        .collect()
}

#[test]
fn bad_kubeconfig_unreachable_api_and_expired_token_are_one_clear_error_each() {
    let emu = emulator(arm::Options::default());
    let dir = tempfile::tempdir().unwrap();
    let mut cli = Cli::new(&emu, dir.path());
    let k8s_kinds = ["dns_upstream.", "external_service.", "lb_service."];
    let assert_none_recorded = |cli: &Cli, what: &str| {
        let r = recorded(cli);
        assert!(
            r.iter().all(|a| !k8s_kinds.iter().any(|k| a.starts_with(k))),
            "{what}: nothing of Kubernetes is recorded: {r:?}"
        );
    };

    // A kubeconfig that does not parse.
    let bad = dir.path().join("bad-kubeconfig");
    std::fs::write(&bad, "clusters: [").unwrap();
    cli.extra = vec![("KUBECONFIG".into(), bad.display().to_string())];
    let out = cli.expect(&["apply", &example(), "--auto-approve"], 1);
    assert!(
        out.contains("does not parse") && out.contains("bad-kubeconfig"),
        "{out}"
    );
    assert_none_recorded(&cli, "bad kubeconfig");

    // An API server nobody listens on.
    let dead = dir.path().join("dead-kubeconfig");
    std::fs::write(
        &dead,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:9\n    insecure-skip-tls-verify: true\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\nusers:\n- name: u\n  user:\n    token: t\ncurrent-context: c\n",
    )
    .unwrap();
    cli.extra = vec![("KUBECONFIG".into(), dead.display().to_string())];
    let out = cli.expect(&["apply", &example(), "--auto-approve"], 1);
    assert!(out.contains("did not answer") && out.contains("127.0.0.1:9"), "{out}");
    assert_none_recorded(&cli, "unreachable");

    // The emulator's own kubeconfig, with an expired token.
    cli.extra.clear();
    cli.cluster.emu.expire_tokens();
    let out = cli.expect(&["apply", &example(), "--auto-approve"], 1);
    assert!(
        out.contains("Unauthorized (401)") && out.contains("expired token"),
        "{out}"
    );
    assert!(!out.contains(&cli.cluster.emu.token()), "{out}");
    // Nor did the DNS upstream change the cluster VNET's DNS servers.
    let vnets = emu.dump()["virtualNetworks"].as_array().cloned().unwrap_or_default();
    let aks = vnets
        .iter()
        .find(|v| v["name"] == "k8s-dev-vnet")
        .expect("the cluster VNET");
    assert_eq!(aks["properties"]["dhcpOptions"]["dnsServers"], json!([]), "{aks:#}");
    assert_none_recorded(&cli, "expired token");
    assert!(cli.cluster.managed("v1", "Service").is_empty());
    // The networks are there and recorded: the next apply with working
    // credentials does the rest.
    assert!(recorded(&cli).iter().any(|a| a.starts_with("cluster_network.")));
}

#[test]
fn trace_lines_of_an_azure_apply_hold_no_secret_and_no_token() {
    let emu = emulator(arm::Options::default());
    let dir = tempfile::tempdir().unwrap();
    let mut cli = Cli::new(&emu, dir.path());
    cli.args = vec!["--log-level".into(), "trace".into()];
    // `expect` fails on the secret or a bearer token anywhere in the output.
    let out = cli.expect(&["apply", &example(), "--auto-approve"], 0);
    for line in [
        " TRACE hybridk8s.backend: create Virtual Network: ok ",
        " TRACE hybridk8s.arm: PUT /subscriptions/",
        " TRACE hybridk8s.kube: POST /api/v1/namespaces/default/services: 201 ",
    ] {
        assert!(out.contains(line), "no {line:?} in\n{out}");
    }
    let wrong = "wrong-secret-LOGTEST-never-logged";
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    let mut refused = Cli::new(&emu, &other);
    refused.args = cli.args.clone();
    refused.extra = vec![("ARM_CLIENT_SECRET".into(), wrong.into())];
    let out = refused.expect(&["apply", &example(), "--auto-approve"], 1);
    assert!(!out.contains(wrong), "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains(" TRACE hybridk8s.backend: create Virtual Network: error ") && l.contains(" error=")),
        "{out}"
    );
}
