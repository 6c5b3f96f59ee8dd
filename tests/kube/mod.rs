//! A loopback emulator of the Kubernetes API server, for tests and benches:
//! HTTPS with its own CA, bearer-token and client-certificate users,
//! discovery, namespaces / services / endpoints / configmaps /
//! endpointslices / deployments with GET, LIST, POST, PUT, DELETE, merge
//! and strategic merge patches, server-side apply with managedFields and
//! conflicts, Status bodies (401/404/409/422), garbage collection through
//! ownerReferences, Tables for `kubectl get`, and injected faults.
//!
//! Use from a test: `#[path = "kube/mod.rs"] mod kube_emu;`, from a bench:
//! `#[path = "../tests/kube/mod.rs"] mod kube_emu;`. A status of 0 in
//! [`Request`] is a connection dropped by a fault.

#![allow(dead_code, unused_imports)]

mod faults;
mod fields;
mod kinds;
mod managed;
mod seed;
mod server;
mod status;
mod store;
mod table;
mod tls;
mod validate;

pub use faults::{Fault, Faults};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use server::Shared;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the emulator behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// The wait before every answer.
    pub latency: Duration,
    /// HTTPS (default) or plain HTTP.
    pub tls: bool,
    /// The bearer token it accepts.
    pub token: String,
    /// Start with the objects of a fresh AKS cluster.
    pub seed_aks: bool,
    /// What `/version` answers (major, minor).
    pub server_version: (u32, u32),
}

impl Default for Options {
    fn default() -> Self {
        Options {
            latency: Duration::ZERO,
            tls: true,
            token: "emu-token-7f3a9c2e5b1d4f6a".into(),
            seed_aks: true,
            server_version: (1, 33),
        }
    }
}

/// What a written kubeconfig authenticates with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    Token,
    ClientCert,
    None,
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
    pub content_type: String,
    pub user_agent: String,
    /// When it arrived.
    pub at: std::time::Instant,
    /// The client certificate's CN, `token` for a bearer token, empty for none.
    pub user: String,
    /// The request body (empty for GET).
    pub body: Vec<u8>,
}

/// A running emulator; dropping it stops the server.
pub struct KubeEmulator {
    shared: Arc<Shared>,
    ca: Arc<tls::Ca>,
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The client-certificate user of written kubeconfigs.
pub const CERT_USER: &str = "masterclient";

impl KubeEmulator {
    /// Starts on 127.0.0.1 (a free port), on its own thread and runtime, so
    /// blocking callers (a `kubectl` child) do not stall it.
    pub async fn start(o: Options) -> KubeEmulator {
        let mut store = store::Store::default();
        if o.seed_aks {
            seed::aks(&mut store);
        }
        let ca = Arc::new(tls::Ca::new());
        let shared = Arc::new(Shared {
            store: Mutex::new(store),
            faults: Faults::new(o.latency),
            opts: o.clone(),
            log: Mutex::new(Vec::new()),
            connections: AtomicUsize::new(0),
            tokens_expired: AtomicBool::new(false),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("address").port();
        let scheme = if o.tls { "https" } else { "http" };
        let url = format!("{scheme}://127.0.0.1:{port}");
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let s = shared.clone();
        let acceptor = o.tls.then(|| tokio_rustls::TlsAcceptor::from(ca.server_config()));
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        accepted = listener.accept() => {
                            let Ok((tcp, _)) = accepted else { continue };
                            s.connections.fetch_add(1, Ordering::SeqCst);
                            let s = s.clone();
                            let acceptor = acceptor.clone();
                            tokio::spawn(async move {
                                match acceptor {
                                    Some(a) => {
                                        let Ok(tls) = a.accept(tcp).await else { return };
                                        let user = tls
                                            .get_ref()
                                            .1
                                            .peer_certificates()
                                            .and_then(|c| c.first())
                                            .and_then(|c| tls::common_name(c));
                                        serve(s, user, TokioIo::new(tls)).await;
                                    }
                                    None => serve(s, None, TokioIo::new(tcp)).await,
                                }
                            });
                        }
                    }
                }
            });
        });
        KubeEmulator {
            shared,
            ca,
            url,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The CA certificate (PEM) clients trust.
    pub fn ca_pem(&self) -> String {
        self.ca.cert_pem.clone()
    }

    /// The token it accepts.
    pub fn token(&self) -> String {
        self.shared.opts.token.clone()
    }

    /// A client certificate and key (PEM) for `user`, signed by its CA.
    pub fn client_cert(&self, user: &str) -> (String, String) {
        let p = self.ca.client(user, "system:masters");
        (p.cert_pem, p.key_pem)
    }

    /// Adds (or replaces) cluster, user and context `context` in the
    /// kubeconfig at `path`, keeping its other entries; `current-context`
    /// is set when the file has none.
    pub fn write_kubeconfig(&self, path: &Path, context: &str, auth: Auth) {
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let mut cfg: Value = std::fs::read_to_string(path)
            .ok()
            .and_then(|t| serde_yaml::from_str(&t).ok())
            .filter(Value::is_object)
            .unwrap_or_else(|| json!({"apiVersion": "v1", "kind": "Config", "preferences": {}}));
        let mut cluster = json!({"server": self.url});
        if self.shared.opts.tls {
            cluster["certificate-authority-data"] = json!(b64(&self.ca.cert_pem));
        }
        let user = match auth {
            Auth::Token => json!({"token": self.shared.opts.token}),
            Auth::ClientCert => {
                let (c, k) = self.client_cert(CERT_USER);
                json!({"client-certificate-data": b64(&c), "client-key-data": b64(&k)})
            }
            Auth::None => json!({}),
        };
        let upsert = |cfg: &mut Value, list: &str, entry: Value| {
            if !cfg[list].is_array() {
                cfg[list] = json!([]);
            }
            let a = cfg[list].as_array_mut().expect("array");
            a.retain(|e| e["name"] != entry["name"]);
            a.push(entry);
        };
        let user_name = format!("{context}-user");
        upsert(&mut cfg, "clusters", json!({"name": context, "cluster": cluster}));
        upsert(&mut cfg, "users", json!({"name": user_name, "user": user}));
        upsert(
            &mut cfg,
            "contexts",
            json!({"name": context, "context": {"cluster": context, "user": user_name}}),
        );
        if cfg["current-context"].as_str().unwrap_or("").is_empty() {
            cfg["current-context"] = json!(context);
        }
        let text = serde_yaml::to_string(&cfg).expect("kubeconfig");
        std::fs::write(path, text).expect("write kubeconfig");
    }

    /// One object, as the API would answer it.
    pub fn get(&self, api_version: &str, kind: &str, ns: &str, name: &str) -> Option<Value> {
        let k = kinds::Kind::by_kind(api_version, kind)?;
        self.shared.store().get(&k, ns, name).cloned()
    }

    /// Every object of a kind, all namespaces.
    pub fn list(&self, api_version: &str, kind: &str) -> Vec<Value> {
        match kinds::Kind::by_kind(api_version, kind) {
            Some(k) => self.shared.store().list(&k, None),
            None => Vec::new(),
        }
    }

    fn kind_of(obj: &Value) -> (kinds::Kind, String, String) {
        let av = obj["apiVersion"].as_str().unwrap_or("");
        let kind = obj["kind"].as_str().unwrap_or("");
        let k = kinds::Kind::by_kind(av, kind).unwrap_or_else(|| panic!("unknown kind {av} {kind}"));
        let ns = obj
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_string();
        let name = obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        (k, ns, name)
    }

    /// Creates or replaces an object as another tool would (an Update by
    /// `manager`). Panics on an invalid object.
    pub fn put_as(&self, manager: &str, obj: Value) {
        let (k, ns, name) = Self::kind_of(&obj);
        let mut st = self.shared.store();
        let r = if st.get(&k, &ns, &name).is_some() {
            let mut obj = obj;
            if let Some(m) = obj["metadata"].as_object_mut() {
                m.remove("resourceVersion");
            }
            st.replace(&k, &ns, &name, obj, manager)
        } else {
            st.create(&k, &ns, obj, manager)
        };
        if let Err(status::Status(_, body)) = r {
            panic!("put_as {manager}: {body}");
        }
    }

    /// Server-side apply by `manager` (no force); the error is the Status message.
    pub fn apply_as(&self, manager: &str, obj: Value) -> Result<(), String> {
        let (k, ns, name) = Self::kind_of(&obj);
        self.shared
            .store()
            .apply(&k, &ns, &name, obj, manager, false)
            .map(|_| ())
            .map_err(|status::Status(_, b)| b["message"].as_str().unwrap_or("").to_string())
    }

    /// Deletes out of band (dependents are garbage-collected); false when absent.
    pub fn delete(&self, api_version: &str, kind: &str, ns: &str, name: &str) -> bool {
        let Some(k) = kinds::Kind::by_kind(api_version, kind) else {
            return false;
        };
        self.shared.store().delete(&k, ns, name, &json!({})).is_ok()
    }

    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Every bearer token answers 401 from now on (client certificates still work).
    pub fn expire_tokens(&self) {
        self.shared.tokens_expired.store(true, Ordering::SeqCst);
    }

    pub fn requests(&self) -> Vec<Request> {
        self.shared.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn clear_requests(&self) {
        self.shared.log.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }
}

async fn serve<I>(s: Arc<Shared>, user: Option<String>, io: TokioIo<I>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let svc = service_fn(move |req| server::handle(s.clone(), user.clone(), req));
    let _ = http1::Builder::new().keep_alive(true).serve_connection(io, svc).await;
}

impl Drop for KubeEmulator {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
