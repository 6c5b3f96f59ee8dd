//! A loopback emulator of Azure Resource Manager (Microsoft.Network
//! 2024-03-01, Microsoft.Resources groups) and of the Entra ID token
//! endpoint, for tests and benches. It answers like ARM: status codes,
//! bodies, long-running operations (`Azure-AsyncOperation`, `Location`,
//! `Retry-After`), error bodies with `x-ms-error-code`, and Azure's
//! refusals (the rules the local fabric enforces, same codes). Faults can be
//! injected ([`Faults`]); the state persists to a file after each change so
//! a client can be killed mid-apply and another continue ([`ArmEmulator::open`]).
//!
//! Use from a test: `#[path = "arm/mod.rs"] mod arm;`, from a bench:
//! `#[path = "../tests/arm/mod.rs"] mod arm;`.
//!
//! Choices where ARM leaves room: a VNET PUT never creates, changes or
//! deletes peerings (they have their own path); a VNET with peerings, or
//! with a subnet a gateway uses, is not deleted (`InUseVnetCannotBeDeleted`,
//! `InUseSubnetCannotBeDeleted`), as in the local fabric; a peering PUT with
//! `syncRemoteAddressSpace=true` syncs both sides; an operation nobody polls
//! ends after [`Options::op_max_age`]. A status of 0 in [`Request`] is a
//! connection dropped by a fault.

#![allow(dead_code, unused_imports)]

mod dispatch;
mod faults;
mod gateway;
mod lro;
mod network;
mod render;
mod server;
mod state;
mod target;

pub use faults::{Fault, Faults};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use server::Shared;
use state::State;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the emulator behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where the state is written after every change (JSON).
    pub state_file: Option<PathBuf>,
    /// The wait before every answer.
    pub latency: Duration,
    /// Status polls answering `InProgress` before an operation ends (0: PUTs
    /// answer `Succeeded` and operations end at once).
    pub op_polls: u32,
    /// `Retry-After` on long-running-operation answers.
    pub retry_after_secs: u64,
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: String,
    /// The workload-identity assertion the token endpoint accepts in place
    /// of the secret (`client_assertion`, as a federated credential).
    pub federated_token: String,
    /// A GUID.
    pub subscription_id: String,
    /// Items per page of a list (`nextLink` names the next page).
    pub page_size: usize,
    /// An operation nobody polls ends after this long (checked at each request).
    pub op_max_age: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            state_file: None,
            latency: Duration::ZERO,
            op_polls: 1,
            retry_after_secs: 0,
            tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
            client_id: "3b5e1a9c-7d24-4f0e-9a61-c8d2f4b7e013".into(),
            client_secret: "emu~Q8x.client-secret_4f2Zk".into(),
            federated_token: "eyJhbGciOiJSUzI1NiJ9.emu-federated-assertion.c2lnbmF0dXJl".into(),
            subscription_id: "5f3c9a1e-8b7d-4c2a-9e6f-1a2b3c4d5e6f".into(),
            page_size: 50,
            op_max_age: Duration::from_secs(1),
        }
    }
}

/// One request as the emulator saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The path, without the query.
    pub path: String,
    pub query: String,
    /// The answer's status; 0 when the connection was dropped.
    pub status: u16,
    /// When it arrived.
    pub at: Instant,
    /// The answer's `Retry-After`, when it had one.
    pub retry_after: Option<u64>,
}

/// A running emulator; dropping it stops the server.
pub struct ArmEmulator {
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ArmEmulator {
    /// Starts an empty subscription on 127.0.0.1 (a free port).
    pub fn start(opts: Options) -> ArmEmulator {
        let state = State::new(&opts.subscription_id);
        ArmEmulator::launch(state, opts)
    }

    /// Restarts from a persisted state file (which it goes on writing).
    /// Operations in flight when it was written end now.
    pub fn open(state_file: &Path, mut opts: Options) -> ArmEmulator {
        let mut state = State::load(state_file).unwrap_or_else(|e| panic!("ARM emulator: {e}"));
        lro::settle_all(&mut state);
        opts.state_file = Some(state_file.to_path_buf());
        opts.subscription_id = state.subscription_id.clone();
        ArmEmulator::launch(state, opts)
    }

    fn launch(state: State, opts: Options) -> ArmEmulator {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("ARM emulator: binding 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("ARM emulator: non-blocking listener");
        let port = listener.local_addr().expect("ARM emulator: local address").port();
        let shared = Arc::new(Shared {
            faults: Faults::new(opts.latency),
            state: Mutex::new(state),
            opts,
            endpoint: format!("http://127.0.0.1:{port}/"),
            log: Mutex::new(Vec::new()),
            tokens_issued: AtomicUsize::new(0),
        });
        {
            let st = shared.state();
            shared.persist(&st);
        }
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let s2 = shared.clone();
        let thread = std::thread::Builder::new()
            .name("arm-emulator".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("ARM emulator: runtime");
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).expect("ARM emulator: listener");
                    loop {
                        tokio::select! {
                            _ = &mut stopped => break,
                            accepted = listener.accept() => {
                                let Ok((stream, _)) = accepted else { continue };
                                let shared = s2.clone();
                                tokio::spawn(async move {
                                    let svc = service_fn(move |req| server::handle(shared.clone(), req));
                                    let _ = http1::Builder::new()
                                        .keep_alive(true)
                                        .serve_connection(TokioIo::new(stream), svc)
                                        .await;
                                });
                            }
                        }
                    }
                });
                rt.shutdown_background();
            })
            .expect("ARM emulator: thread");
        ArmEmulator {
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The ARM base URL, `http://127.0.0.1:PORT/`.
    pub fn endpoint(&self) -> String {
        self.shared.endpoint.clone()
    }

    /// The authority host (the same server): tokens at `/{tenant}/oauth2/v2.0/token`.
    pub fn authority_host(&self) -> String {
        self.shared.endpoint.clone()
    }

    pub fn subscription_id(&self) -> &str {
        &self.shared.opts.subscription_id
    }

    pub fn options(&self) -> &Options {
        &self.shared.opts
    }

    /// The environment of the client-secret path: `ARM_SUBSCRIPTION_ID`,
    /// `ARM_TENANT_ID`, `ARM_CLIENT_ID`, `ARM_CLIENT_SECRET`,
    /// `ARM_RESOURCE_MANAGER_ENDPOINT`, `AZURE_AUTHORITY_HOST`.
    pub fn env(&self) -> Vec<(String, String)> {
        let o = &self.shared.opts;
        [
            ("ARM_SUBSCRIPTION_ID", o.subscription_id.clone()),
            ("ARM_TENANT_ID", o.tenant_id.clone()),
            ("ARM_CLIENT_ID", o.client_id.clone()),
            ("ARM_CLIENT_SECRET", o.client_secret.clone()),
            ("ARM_RESOURCE_MANAGER_ENDPOINT", self.endpoint()),
            ("AZURE_AUTHORITY_HOST", self.authority_host()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// `/subscriptions/{s}/resourceGroups/{name}`
    pub fn resource_group_id(&self, name: &str) -> String {
        format!("/subscriptions/{}/resourceGroups/{name}", self.subscription_id())
    }

    /// `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{name}`
    pub fn vnet_id(&self, rg: &str, name: &str) -> String {
        target::resource_id(self.subscription_id(), rg, target::NetType::VirtualNetworks, name)
    }

    pub fn create_resource_group(&self, name: &str, location: &str) {
        self.put(&self.resource_group_id(name), json!({ "location": location }));
    }

    fn out_of_band(&self, method: &str, id: &str, body: Option<&Value>) -> dispatch::Reply {
        let (path, query) = id.split_once('?').unwrap_or((id, ""));
        let Some(t) = target::Target::parse(path) else {
            return dispatch::Reply::error(400, "InvalidResourceId", format!("'{id}' is not an ARM ID"));
        };
        let q = server::parse_query(query);
        let mut st = self.shared.state();
        lro::settle(&mut st, self.shared.max_age_ms());
        let cx = dispatch::Ctx {
            endpoint: &self.shared.endpoint,
            op_polls: 0,
            retry_after_secs: 0,
            page_size: usize::MAX,
            oob: true,
            faults: None,
            path,
            query: &q,
        };
        let reply = dispatch::dispatch(&mut st, &cx, method, &t, body);
        if reply.changed {
            self.shared.persist(&st);
        }
        reply
    }

    /// Writes a resource by ARM ID as another tool would (no auth, no
    /// faults, completes at once); answers its body, or ARM's refusal.
    /// The ID may carry a query (`?syncRemoteAddressSpace=true`).
    pub fn try_put(&self, id: &str, body: Value) -> Result<Value, (u16, Value)> {
        let r = self.out_of_band("PUT", id, Some(&body));
        if r.is_success() {
            Ok(r.body.unwrap_or(Value::Null))
        } else {
            Err((r.status, r.body.unwrap_or(Value::Null)))
        }
    }

    /// As [`ArmEmulator::try_put`]; a refusal fails the test.
    pub fn put(&self, id: &str, body: Value) -> Value {
        self.try_put(id, body)
            .unwrap_or_else(|(s, b)| panic!("ARM emulator refused PUT {id}: {s} {b}"))
    }

    /// The body of any resource (group, VNET, subnet, peering, gateway, public IP) by ARM ID.
    pub fn get(&self, id: &str) -> Option<Value> {
        let mut st = self.shared.state();
        lro::settle(&mut st, self.shared.max_age_ms());
        render::any(&st, id)
    }

    /// Deletes a resource by ARM ID at once; answers ARM's refusal.
    pub fn try_delete(&self, id: &str) -> Result<(), (u16, Value)> {
        let r = self.out_of_band("DELETE", id, None);
        if r.is_success() {
            Ok(())
        } else {
            Err((r.status, r.body.unwrap_or(Value::Null)))
        }
    }

    /// As [`ArmEmulator::try_delete`]; a refusal fails the test.
    pub fn delete(&self, id: &str) {
        self.try_delete(id)
            .unwrap_or_else(|(s, b)| panic!("ARM emulator refused DELETE {id}: {s} {b}"))
    }

    /// Every resource, sorted by ID: `{"resourceGroups", "virtualNetworks"
    /// (full GET bodies), "virtualNetworkGateways", "publicIPAddresses"}`.
    pub fn dump(&self) -> Value {
        let mut st = self.shared.state();
        lro::settle(&mut st, self.shared.max_age_ms());
        let sub = st.subscription_id.clone();
        json!({
            "resourceGroups": st.groups.values().map(|g| render::group(&sub, g)).collect::<Vec<_>>(),
            "virtualNetworks": st.vnets.values().map(|v| render::vnet(&st, v)).collect::<Vec<_>>(),
            "virtualNetworkGateways": st.gateways.values().map(|g| render::gateway(&st, g)).collect::<Vec<_>>(),
            "publicIPAddresses": st.public_ips.values().map(|p| render::public_ip(&st, p)).collect::<Vec<_>>(),
        })
    }

    /// Ends every running operation now.
    pub fn finish_operations(&self) {
        let mut st = self.shared.state();
        lro::settle_all(&mut st);
        self.shared.persist(&st);
    }

    /// How many operations are running.
    pub fn running_operations(&self) -> usize {
        let st = self.shared.state();
        st.operations
            .values()
            .filter(|o| o.status == state::OpStatus::InProgress)
            .count()
    }

    pub fn faults(&self) -> Faults {
        self.shared.faults.clone()
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn clear_requests(&self) {
        self.shared.log.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// The `azure` backend's configuration for this emulator: the
    /// client-secret credential with `secret`.
    pub fn azure_config(&self, secret: &str) -> hybridk8s::backend::azure::AzureConfig {
        use hybridk8s::backend::azure::{AzureConfig, Cloud, CredentialSource, Secret};
        let o = self.options();
        AzureConfig {
            subscription_id: self.subscription_id().to_string(),
            cloud: Cloud::Public,
            resource_manager_endpoint: self.endpoint(),
            authority_host: self.authority_host(),
            credential: CredentialSource::ClientSecret {
                tenant_id: o.tenant_id.clone(),
                client_id: o.client_id.clone(),
                client_secret: Secret::new(secret),
            },
        }
    }

    /// Tokens issued by this run of the emulator.
    pub fn tokens_issued(&self) -> usize {
        self.shared.tokens_issued.load(Ordering::SeqCst)
    }

    /// The bearer tokens the emulator has issued (to check that no log
    /// holds one).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.shared.state().tokens.iter().cloned().collect()
    }
}

impl Drop for ArmEmulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
