//! The plugin process: go-plugin handshake, AutoMTLS, serving the provider,
//! the controller and the health check on a Unix socket, and exiting
//! promptly when Terraform says Shutdown.
//!
//! Order matters for correctness and start-up time: check the magic cookie,
//! ignore SIGINT, bind the socket in a fresh temp dir, make the certificate,
//! start the runtime and register SIGTERM, then print the one handshake line
//! and flush. Nothing but that line ever goes to stdout; logs are JSON lines
//! on stderr.

use super::config::BackendFactory;
use super::proto::{health, plugin as gp, tfplugin5 as pb};
use super::server::ProviderService;
use super::tls;
use crate::log::{self, Module};
use std::io::Write;
use std::path::Path;
use std::time::Duration;
use tokio::sync::watch;
use tonic::{Request, Response, Status};

pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// The provider address users reattach to in debug mode.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/hybridk8s/hybridk8s";
/// The largest request taken (16 MiB: a resource is at most a few lists of
/// `cty::MAX_ITEMS` short items) and answer sent (a plan echoes its inputs
/// with the manifest beside them).
const MAX_REQUEST: usize = 16 << 20;
const MAX_ANSWER: usize = 64 << 20;

/// Runs the plugin; returns the process exit code.
pub fn run(args: &[String], factory: BackendFactory) -> i32 {
    if args.iter().any(|a| a == "--version" || a == "-version") {
        println!("terraform-provider-hybridk8s {}", crate::VERSION);
        return 0;
    }
    log::init_provider();
    let debug = args.iter().any(|a| a == "--debug" || a == "-debug");
    if !debug && std::env::var(MAGIC_COOKIE_KEY).as_deref() != Ok(MAGIC_COOKIE_VALUE) {
        eprintln!(
            "This binary is a plugin for Terraform (the hybridk8s provider). It is not meant to be run directly:\n\
             declare `hybridk8s/hybridk8s` in required_providers and run terraform, or start it with --debug\n\
             to attach Terraform to it (TF_REATTACH_PROVIDERS). `--version` prints its version."
        );
        return 1;
    }
    if !debug {
        // Terraform forwards Ctrl-C as the Stop RPC; the signal itself must not kill us.
        // SAFETY: setting a signal disposition to SIG_IGN has no preconditions.
        unsafe { libc::signal(libc::SIGINT, libc::SIG_IGN) };
    }
    match start(debug, factory) {
        Ok(()) => 0,
        Err(e) => {
            log::error(Module::Plugin, &format!("plugin failed: {e}"));
            1
        }
    }
}

fn start(debug: bool, factory: BackendFactory) -> Result<(), String> {
    let versions = std::env::var("PLUGIN_PROTOCOL_VERSIONS").unwrap_or_default();
    if !debug && !versions.is_empty() && !versions.split(',').any(|v| v.trim() == "5") {
        log::warn(
            Module::Plugin,
            &format!("Terraform offers plugin protocols {versions}; this provider speaks 5"),
        );
    }
    // Before anything is made: a client certificate that cannot be pinned
    // stops the provider (never TLS without client authentication).
    let tls = match std::env::var("PLUGIN_CLIENT_CERT") {
        Ok(pem) if !debug && !pem.is_empty() => Some(tls::setup(&pem)?),
        _ => None,
    };
    let dir = tempfile::Builder::new()
        .prefix("plugin")
        .tempdir()
        .map_err(|e| format!("creating a socket directory: {e}"))?
        .keep();
    // Private to the user whatever the umask (the socket inherits nothing else).
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("making {} private: {e}", dir.display()))?;
    }
    let sock = dir.join("plugin.sock");
    let listener =
        std::os::unix::net::UnixListener::bind(&sock).map_err(|e| format!("binding {}: {e}", sock.display()))?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let line = if debug {
        reattach_line(&sock)
    } else {
        let cert = tls.as_ref().map_or("", |t| t.cert_base64.as_str());
        format!("1|5|unix|{}|grpc|{cert}\n", sock.display())
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let result = rt.block_on(serve(listener, line, tls, debug, factory));
    let _ = std::fs::remove_dir_all(&dir);
    // Do not wait for connections Terraform keeps open: exit now.
    rt.shutdown_background();
    result
}

fn reattach_line(sock: &Path) -> String {
    let cfg = serde_json::json!({ PROVIDER_ADDRESS: {
        "Protocol": "grpc", "ProtocolVersion": 5, "Pid": std::process::id(), "Test": true,
        "Addr": { "Network": "unix", "String": sock.display().to_string() },
    }});
    format!("Provider started. To attach Terraform, set in its environment:\n\n\tTF_REATTACH_PROVIDERS='{cfg}'\n\n")
}

/// Registers the signals that stop the plugin, prints the handshake (or
/// reattach) line, then serves until Shutdown.
async fn serve(
    listener: std::os::unix::net::UnixListener,
    line: String,
    tls: Option<tls::Tls>,
    debug: bool,
    factory: BackendFactory,
) -> Result<(), String> {
    use tokio::signal::unix::{signal, SignalKind};
    let listener = tokio::net::UnixListener::from_std(listener).map_err(|e| e.to_string())?;
    let (stop_tx, mut stop_rx) = watch::channel(false);
    // SIGTERM (a harness, Terraform killing a stuck plugin) stops cleanly; so
    // does Ctrl-C in debug mode (otherwise SIGINT is ignored).
    let mut kinds = vec![SignalKind::terminate()];
    if debug {
        kinds.push(SignalKind::interrupt());
    }
    for kind in kinds {
        let mut sig = signal(kind).map_err(|e| e.to_string())?;
        let tx = stop_tx.clone();
        tokio::spawn(async move {
            sig.recv().await;
            let _ = tx.send(true);
        });
    }
    {
        let mut out = std::io::stdout().lock();
        out.write_all(line.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| e.to_string())?;
    }
    let router = router(ProviderService::new(factory), stop_tx);
    let mut rx = stop_rx.clone();
    let signal = async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let server = async move {
        match tls {
            Some(t) => {
                router
                    .serve_with_incoming_shutdown(tls_incoming(listener, t.config), signal)
                    .await
            }
            None => {
                let incoming = tokio_stream::wrappers::UnixListenerStream::new(listener);
                router.serve_with_incoming_shutdown(incoming, signal).await
            }
        }
    };
    // After Shutdown, leave the answer a moment to leave, then stop.
    let deadline = async move {
        let _ = stop_rx.wait_for(|s| *s).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    tokio::select! {
        r = server => r.map_err(|e| e.to_string()),
        () = deadline => Ok(()),
    }
}

/// The services of the plugin: provider, controller, health.
pub fn router(provider: ProviderService, stop: watch::Sender<bool>) -> tonic::transport::server::Router {
    tonic::transport::Server::builder()
        .add_service(
            pb::provider_server::ProviderServer::new(super::rpc_log::Logged(provider))
                .max_decoding_message_size(MAX_REQUEST)
                .max_encoding_message_size(MAX_ANSWER),
        )
        .add_service(gp::grpc_controller_server::GrpcControllerServer::new(Controller {
            stop,
        }))
        .add_service(health::health_server::HealthServer::new(Health))
}

/// TLS-accepted connections; a failed handshake drops that connection only.
fn tls_incoming(
    listener: tokio::net::UnixListener,
    config: std::sync::Arc<rustls::ServerConfig>,
) -> tokio_stream::wrappers::ReceiverStream<
    Result<tokio_rustls::server::TlsStream<tokio::net::UnixStream>, std::io::Error>,
> {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((s, _)) => s,
                Err(e) => {
                    log::error(Module::Plugin, &format!("accept: {e}"));
                    continue;
                }
            };
            let (acceptor, tx) = (acceptor.clone(), tx.clone());
            tokio::spawn(async move {
                match acceptor.accept(stream).await {
                    Ok(s) => {
                        let _ = tx.send(Ok(s)).await;
                    }
                    Err(e) => log::debug(Module::Plugin, &format!("TLS handshake failed: {e}")),
                }
            });
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

/// go-plugin's controller: Shutdown answers, then the process stops.
struct Controller {
    stop: watch::Sender<bool>,
}

#[tonic::async_trait]
impl gp::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _: Request<gp::Empty>) -> Result<Response<gp::Empty>, Status> {
        let _ = self.stop.send(true);
        Ok(Response::new(gp::Empty {}))
    }
}

/// The health check go-plugin makes (service `plugin`).
struct Health;

#[tonic::async_trait]
impl health::health_server::Health for Health {
    async fn check(
        &self,
        req: Request<health::HealthCheckRequest>,
    ) -> Result<Response<health::HealthCheckResponse>, Status> {
        match req.get_ref().service.as_str() {
            "" | "plugin" => Ok(Response::new(health::HealthCheckResponse {
                status: health::health_check_response::ServingStatus::Serving as i32,
            })),
            other => Err(Status::not_found(format!("unknown service `{other}`"))),
        }
    }
}
