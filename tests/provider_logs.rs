//! The provider's logs as Terraform takes them: with `TF_LOG` (or
//! `TF_LOG_PROVIDER`) every stderr line is an hclog JSON object, one debug
//! line per RPC (type, outcome, time), one trace line per backend call and
//! per ARM or Kubernetes request; nothing below info without it; the lines
//! in Terraform's own log (`TF_LOG_PATH`); and never a secret. The real
//! binary, started by the test or by a real Terraform (through a wrapper
//! that keeps its stderr), against the ARM and Kubernetes emulators.

#![cfg(feature = "azure")]

#[path = "arm/mod.rs"]
mod arm;
#[path = "provider_grpc/harness.rs"]
mod grpc;
#[path = "terraform/harness.rs"]
mod harness;
#[path = "common/kube_cluster.rs"]
mod kube_cluster;
#[path = "kube/mod.rs"]
mod kube_emu;

use grpc::{dv, hub, obj, pb, Kind, Value};
use harness::{Terraform, Workspace};
use hybridk8s::provider::cty::{encode_msgpack, CtyType};
use hybridk8s::provider::plugin::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use serde_json::Value as J;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-hybridk8s");

/// Recognisable fake credentials: none may reach a log line.
const CONFIG_SECRET: &str = "cfg-secret-Zq7.LOGTEST~provider-block";
const ENV_SECRET: &str = "env-secret-Wx3.LOGTEST~arm-client-secret";
const TENANT: &str = "7e57a1b2-0000-4c0d-9e9e-10c7e57aaaaa";
const CLIENT: &str = "c1e27b0b-1111-4c0d-9e9e-10c7e57bbbbb";
const KUBE_TOKEN: &str = "kube-token-LOGTEST-5d1c0ffee";

/// Every line parsed as an hclog JSON object (a line that is not fails
/// the test), its keys checked.
fn hclog_lines(text: &str) -> Vec<J> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let j: J = serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}"));
            let level = j["@level"].as_str().unwrap_or_else(|| panic!("no @level: {l}"));
            assert!(["trace", "debug", "info", "warn", "error"].contains(&level), "{l}");
            assert!(j["@message"].is_string(), "{l}");
            assert!(j["@module"].as_str().is_some_and(|m| m.starts_with("hybridk8s")), "{l}");
            let ts = j["@timestamp"].as_str().unwrap_or_else(|| panic!("no @timestamp: {l}"));
            // RFC 3339 with exactly six fractional digits (what go-plugin parses).
            assert!(
                ts.len() == 27
                    && ts.ends_with('Z')
                    && ts.as_bytes()[10] == b'T'
                    && ts.as_bytes()[19] == b'.'
                    && ts[20..26].bytes().all(|b| b.is_ascii_digit()),
                "{ts}"
            );
            j
        })
        .collect()
}

fn module<'a>(lines: &'a [J], m: &str) -> Vec<&'a J> {
    lines.iter().filter(|j| j["@module"] == m).collect()
}

fn assert_no_secret(text: &str, secrets: &[String]) {
    for s in secrets {
        assert!(!s.is_empty());
        if let Some(line) = text.lines().find(|l| l.contains(s.as_str())) {
            panic!("a log line holds the secret {s:?}: {line}");
        }
    }
    assert!(!text.contains("Bearer "), "a log line holds a bearer header");
}

// --- The binary started by the test ---------------------------------------------------

/// The provider binary with `env`, its socket, and its stderr collected.
struct Plugin {
    child: std::process::Child,
    sock: String,
    _dir: tempfile::TempDir,
}

fn start_plugin(env: &[(&str, &str)]) -> Plugin {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Command::new(BIN);
    c.current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5")
        .env("HYBRIDK8S_STATE", dir.path().join("fabric.db"))
        .env_remove("PLUGIN_CLIENT_CERT")
        .env_remove("TF_LOG")
        .env_remove("TF_LOG_PROVIDER")
        .env_remove("HYBRIDK8S_BACKEND");
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let sock = line
        .split('|')
        .nth(3)
        .unwrap_or_else(|| panic!("handshake: {line}"))
        .to_string();
    Plugin { child, sock, _dir: dir }
}

impl Plugin {
    async fn channel(&self) -> tonic::transport::Channel {
        let sock = self.sock.clone();
        tonic::transport::Endpoint::try_from("http://localhost")
            .unwrap()
            .connect_with_connector(tower::service_fn(move |_| {
                let sock = sock.clone();
                async move {
                    tokio::net::UnixStream::connect(sock)
                        .await
                        .map(hyper_util::rt::TokioIo::new)
                }
            }))
            .await
            .unwrap()
    }

    /// Shutdown, then everything it wrote on stderr.
    async fn finish(self, channel: tonic::transport::Channel) -> String {
        let mut ctl = grpc::plugin::grpc_controller_client::GrpcControllerClient::new(channel);
        ctl.shutdown(grpc::plugin::Empty {}).await.unwrap();
        let out = tokio::task::spawn_blocking(move || self.child.wait_with_output().unwrap())
            .await
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stderr).unwrap()
    }
}

/// Configure with `provider` (the provider block's attributes as strings).
fn provider_config(attrs: &[(&str, &str)]) -> pb::DynamicValue {
    let ty = CtyType::Object(attrs.iter().map(|(k, _)| (k.to_string(), CtyType::String)).collect());
    let v = obj(&attrs.iter().map(|(k, v)| (*k, Value::str(*v))).collect::<Vec<_>>());
    pb::DynamicValue {
        msgpack: encode_msgpack(&v, &ty).unwrap(),
        json: vec![],
    }
}

#[tokio::test]
async fn one_debug_line_per_rpc_with_its_type_outcome_and_time() {
    let plugin = start_plugin(&[("TF_LOG", "DEBUG")]);
    let channel = plugin.channel().await;
    let mut p = pb::provider_client::ProviderClient::new(channel.clone());
    p.get_schema(pb::get_provider_schema::Request {}).await.unwrap();
    let hub_type = Kind::Hub.terraform_type().to_string();
    p.validate_resource_type_config(pb::validate_resource_type_config::Request {
        type_name: hub_type.clone(),
        config: dv(Kind::Hub, &hub("10.20.0.0/22", "none")),
    })
    .await
    .unwrap();
    let c = p
        .configure(pb::configure::Request {
            terraform_version: "1.11.4".into(),
            config: Some(provider_config(&[("backend", "local")])),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
    let config = hub("10.20.0.0/22", "none");
    let plan = p
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: hub_type.clone(),
            prior_state: dv(Kind::Hub, &Value::Null),
            proposed_new_state: dv(Kind::Hub, &config),
            config: dv(Kind::Hub, &config),
            prior_private: vec![],
            provider_meta: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    let applied = p
        .apply_resource_change(pb::apply_resource_change::Request {
            type_name: hub_type.clone(),
            prior_state: dv(Kind::Hub, &Value::Null),
            planned_state: plan.planned_state.clone(),
            config: dv(Kind::Hub, &config),
            planned_private: plan.planned_private,
            provider_meta: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    // A plan the rules refuse: its line counts the error diagnostics.
    let bad = hub("10.20.0.0/30", "expressroute");
    let refused = p
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: hub_type.clone(),
            prior_state: dv(Kind::Hub, &Value::Null),
            proposed_new_state: dv(Kind::Hub, &bad),
            config: dv(Kind::Hub, &bad),
            prior_private: vec![],
            provider_meta: None,
        })
        .await
        .unwrap()
        .into_inner();
    let errors = refused
        .diagnostics
        .iter()
        .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .count() as u64;
    assert!(errors > 0, "the /30 hub with a gateway is refused");
    let stderr = plugin.finish(channel).await;

    let lines = hclog_lines(&stderr);
    assert!(
        lines.iter().all(|j| j["@level"] != "trace"),
        "TF_LOG=DEBUG writes no trace line:\n{stderr}"
    );
    let rpcs = module(&lines, "hybridk8s.rpc");
    let got: Vec<(String, String)> = rpcs
        .iter()
        .map(|j| {
            assert_eq!(j["@level"], "debug", "{j}");
            assert!(j["duration_ms"].as_f64().is_some_and(|d| d >= 0.0), "{j}");
            assert!(j["tf_req_id"].is_u64(), "{j}");
            let ty = j["tf_resource_type"].as_str().unwrap_or("").to_string();
            (j["tf_rpc"].as_str().unwrap().to_string(), ty)
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("GetProviderSchema", ""),
        ("ValidateResourceTypeConfig", hub_type.as_str()),
        ("ConfigureProvider", ""),
        ("PlanResourceChange", hub_type.as_str()),
        ("ApplyResourceChange", hub_type.as_str()),
        ("PlanResourceChange", hub_type.as_str()),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(got, want, "one line per RPC, in order:\n{stderr}");
    assert_eq!(
        rpcs[4]["@message"], "ApplyResourceChange hybridk8s_hub_network: ok",
        "{}",
        rpcs[4]
    );
    assert_eq!(rpcs[4]["diagnostic_error_count"], 0);
    assert_eq!(rpcs[5]["diagnostic_error_count"], errors, "{}", rpcs[5]);
    let outcome = if errors == 1 {
        "1 error diagnostic".to_string()
    } else {
        format!("{errors} error diagnostics")
    };
    assert_eq!(
        rpcs[5]["@message"],
        format!("PlanResourceChange hybridk8s_hub_network: {outcome}")
    );
    let opened = module(&lines, "hybridk8s.backend");
    assert_eq!(opened.len(), 1, "at debug, only the opening of the backend: {opened:?}");
    assert_eq!(opened[0]["backend"], "local");
}

#[tokio::test]
async fn without_tf_log_nothing_below_info_is_written() {
    for env in [
        vec![],
        vec![("TF_LOG", "off")],
        vec![("TF_LOG", "trace"), ("TF_LOG_PROVIDER", "OFF")],
        vec![("TF_LOG", "info")],
    ] {
        let plugin = start_plugin(&env);
        let channel = plugin.channel().await;
        let mut p = pb::provider_client::ProviderClient::new(channel.clone());
        p.get_schema(pb::get_provider_schema::Request {}).await.unwrap();
        let c = p
            .configure(pb::configure::Request {
                terraform_version: "1.11.4".into(),
                config: Some(provider_config(&[("backend", "local")])),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
        let config = hub("10.20.0.0/22", "none");
        let plan = p
            .plan_resource_change(pb::plan_resource_change::Request {
                type_name: Kind::Hub.terraform_type().into(),
                prior_state: dv(Kind::Hub, &Value::Null),
                proposed_new_state: dv(Kind::Hub, &config),
                config: dv(Kind::Hub, &config),
                prior_private: vec![],
                provider_meta: None,
            })
            .await
            .unwrap()
            .into_inner();
        assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
        let stderr = plugin.finish(channel).await;
        let lines = hclog_lines(&stderr);
        assert!(
            lines.iter().all(|j| j["@level"] != "debug" && j["@level"] != "trace"),
            "{env:?}:\n{stderr}"
        );
        assert!(lines.is_empty(), "a quiet run writes nothing ({env:?}):\n{stderr}");
    }
}

// --- Real Terraform -----------------------------------------------------------------

fn emulator() -> arm::ArmEmulator {
    let emu = arm::ArmEmulator::start(arm::Options {
        tenant_id: TENANT.into(),
        client_id: CLIENT.into(),
        client_secret: CONFIG_SECRET.into(),
        ..arm::Options::default()
    });
    emu.create_resource_group("net-rg", "westeurope");
    emu.create_resource_group("k8s-dev-rg", "westeurope");
    emu
}

fn cluster() -> kube_cluster::Cluster {
    let opts = kube_emu::Options {
        token: KUBE_TOKEN.into(),
        ..kube_emu::Options::default()
    };
    kube_cluster::Cluster::start_with(opts, kube_emu::Auth::Token)
}

/// The example with `backend = "azure"` and the client secret in the
/// provider block (which wins over `ARM_CLIENT_SECRET`, set to another
/// fake value).
fn azure_workspace(terraform: Terraform, emu: &arm::ArmEmulator, cluster: &kube_cluster::Cluster) -> Workspace {
    let mut ws = Workspace::new(terraform);
    let main = harness::example_main_tf();
    let block = "  backend         = var.backend\n";
    assert!(main.contains(block));
    ws.write_main(&main.replacen(block, &format!("{block}  client_secret   = \"{CONFIG_SECRET}\"\n"), 1));
    ws.env = emu.env();
    ws.env.retain(|(k, _)| k != "ARM_CLIENT_SECRET");
    ws.env.push(("ARM_CLIENT_SECRET".into(), ENV_SECRET.into()));
    ws.env.extend(cluster.env());
    ws.env.push(("TF_VAR_backend".into(), "azure".into()));
    ws
}

/// Every secret of a run: the credentials, the bearer tokens ARM issued,
/// the kubeconfig's token.
fn secrets(emu: &arm::ArmEmulator) -> Vec<String> {
    let mut s: Vec<String> = [CONFIG_SECRET, ENV_SECRET, TENANT, CLIENT, KUBE_TOKEN]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let tokens = emu.issued_tokens();
    assert!(!tokens.is_empty(), "the provider asked for a token");
    s.extend(tokens);
    s
}

/// Points the workspace's `dev_overrides` at a wrapper of the provider
/// that appends its stderr to the returned file (Terraform sees none).
fn keep_provider_stderr(ws: &Workspace) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = ws.dir.parent().unwrap().join("wrapper");
    std::fs::create_dir_all(&dir).unwrap();
    let log = ws.dir.parent().unwrap().join("provider-stderr.log");
    let script = dir.join("terraform-provider-hybridk8s");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nexec '{BIN}' \"$@\" 2>>'{}'\n", log.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(&ws.cli_config, harness::dev_overrides(&dir)).unwrap();
    log
}

fn run(ws: &Workspace, args: &[&str], env: &[(&str, &str)]) {
    let mut c = ws.command(args);
    c.arg("-no-color");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "terraform {args:?}\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        harness::tail(&String::from_utf8_lossy(&out.stderr))
    );
}

#[test]
fn a_traced_terraform_apply_on_azure_is_all_hclog_json_and_holds_no_secret() {
    let (emu, cluster) = (emulator(), cluster());
    let ws = azure_workspace(harness::newest(), &emu, &cluster);
    let log = keep_provider_stderr(&ws);
    run(&ws, &["apply", "-auto-approve"], &[("TF_LOG", "trace")]);
    run(&ws, &["plan", "-detailed-exitcode"], &[("TF_LOG", "json")]);
    let text = std::fs::read_to_string(&log).unwrap();
    assert_no_secret(&text, &secrets(&emu));
    let lines = hclog_lines(&text);

    let rpcs = module(&lines, "hybridk8s.rpc");
    for j in &rpcs {
        assert_eq!(j["@level"], "debug", "{j}");
        assert!(j["duration_ms"].is_f64() && j["tf_req_id"].is_u64(), "{j}");
    }
    let applies: Vec<&str> = rpcs
        .iter()
        .filter(|j| j["tf_rpc"] == "ApplyResourceChange")
        .map(|j| {
            assert_eq!(j["diagnostic_error_count"], 0, "{j}");
            j["tf_resource_type"].as_str().unwrap()
        })
        .collect();
    let mut types = applies.clone();
    types.sort();
    assert_eq!(
        types,
        [
            "hybridk8s_cluster_network",
            "hybridk8s_dns_upstream",
            "hybridk8s_external_service",
            "hybridk8s_external_service",
            "hybridk8s_hub_network",
            "hybridk8s_lb_service",
            "hybridk8s_lb_service",
            "hybridk8s_peering",
        ],
        "one ApplyResourceChange line per resource"
    );
    let has = |rpc: &str, key: &str, ty: &str| rpcs.iter().any(|j| j["tf_rpc"] == rpc && j[key] == ty);
    assert!(has("ReadDataSource", "tf_data_source_type", "hybridk8s_onprem_network"));
    assert!(
        has("ReadResource", "tf_resource_type", "hybridk8s_peering"),
        "the plan refreshes"
    );
    assert!(rpcs.iter().any(|j| j["tf_rpc"] == "ConfigureProvider"));

    let hub_id = emu.vnet_id("net-rg", "hub");
    let backend = module(&lines, "hybridk8s.backend");
    let create = backend
        .iter()
        .find(|j| j["backend_call"] == "create" && j["object_id"] == hub_id.as_str())
        .unwrap_or_else(|| panic!("no create line of the hub in {backend:#?}"));
    assert_eq!(create["@level"], "trace");
    assert_eq!(create["@message"], "create Virtual Network: ok");
    assert_eq!(create["tf_rpc"], "ApplyResourceChange");
    assert!(create["duration_ms"].is_f64());
    assert!(backend
        .iter()
        .any(|j| j["backend_call"] == "read" && j["@message"] == "read Kubernetes Service: found"));

    let arm = module(&lines, "hybridk8s.arm");
    assert!(
        arm.iter()
            .any(|j| j["http_method"] == "PUT" && j["http_path"] == hub_id.as_str() && j["http_status"].is_u64()),
        "{arm:#?}"
    );
    let kube = module(&lines, "hybridk8s.kube");
    assert!(
        kube.iter().any(|j| j["http_method"] == "POST"
            && j["http_path"] == "/api/v1/namespaces/default/services"
            && j["http_status"] == 201),
        "{kube:#?}"
    );
}

/// Terraform's own log (`TF_LOG_PATH`) holds the provider's lines at
/// their level, rendered as Terraform renders a plugin's.
fn terraform_log_holds_the_provider_lines(terraform: Terraform) {
    let (emu, cluster) = (emulator(), cluster());
    let ws = azure_workspace(terraform, &emu, &cluster);
    let path = ws.dir.parent().unwrap().join("terraform.log");
    let path_s = path.display().to_string();
    run(
        &ws,
        &["apply", "-auto-approve"],
        &[("TF_LOG", "trace"), ("TF_LOG_PATH", path_s.as_str())],
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert_no_secret(&text, &secrets(&emu));
    let find = |needle: &str, and: &str| {
        text.lines()
            .find(|l| l.contains(needle) && l.contains(and))
            .unwrap_or_else(|| panic!("no line with {needle:?} and {and:?} in {}", harness::tail(&text)))
            .to_string()
    };
    let apply = find(
        "[DEBUG] provider.terraform-provider-hybridk8s: ApplyResourceChange hybridk8s_hub_network: ok",
        "tf_rpc=ApplyResourceChange",
    );
    assert!(
        apply.contains("duration_ms=") && apply.contains("@module=hybridk8s.rpc"),
        "{apply}"
    );
    let hub_id = emu.vnet_id("net-rg", "hub");
    find(
        "[TRACE] provider.terraform-provider-hybridk8s: create Virtual Network: ok",
        &format!("object_id={hub_id}"),
    );
    find(
        "[TRACE] provider.terraform-provider-hybridk8s: PUT /subscriptions/",
        "@module=hybridk8s.arm",
    );
}

#[test]
fn terraform_1_11_log_holds_the_provider_lines() {
    terraform_log_holds_the_provider_lines(harness::newest());
}

#[test]
fn terraform_1_0_3_log_holds_the_provider_lines() {
    terraform_log_holds_the_provider_lines(harness::v1_0_3());
}
