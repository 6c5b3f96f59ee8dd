//! The plugin process as Terraform sees it: the magic cookie, one handshake
//! line on stdout, nothing else on stdout, and an exit after
//! GRPCController/Shutdown. Times are printed, never asserted (machines
//! differ; `cargo bench --bench provider` measures start-up).

use hybridk8s::provider::plugin::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use hybridk8s::provider::testing::plugin as gp;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-hybridk8s");

/// A P-521 client certificate like the one Terraform passes (public part only).
fn client_cert_pem() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tls/client-p521.pem"
    ))
    .unwrap()
}

fn spawn(args: &[&str], cookie: bool, pem: &str) -> Child {
    let mut c = Command::new(BIN);
    c.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_CLIENT_CERT", pem);
    if cookie {
        c.env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE);
    } else {
        c.env_remove(MAGIC_COOKIE_KEY);
    }
    c.spawn().unwrap()
}

fn terminate(child: &mut Child) {
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
}

#[test]
fn without_the_cookie_it_explains_and_exits_1() {
    let out = spawn(&[], false, "").wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("plugin for Terraform"));
}

#[test]
fn a_client_certificate_that_cannot_be_pinned_stops_the_provider() {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let p256 = rcgen::CertificateParams::new(vec!["localhost".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap()
        .pem();
    for bad in [p256.as_str(), "garbage"] {
        let out = spawn(&[], true, bad).wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        assert!(out.stdout.is_empty(), "no handshake line: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("PLUGIN_CLIENT_CERT") && err.contains("refusing"), "{err}");
    }
}

#[test]
fn handshake_line_is_alone_and_well_formed() {
    let pem = client_cert_pem();
    let mut times = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        let mut child = spawn(&[], true, &pem);
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        times.push(t.elapsed());
        let fields: Vec<&str> = line.trim_end().split('|').collect();
        assert_eq!(fields[..3], ["1", "5", "unix"], "{line}");
        assert!(fields[3].ends_with("/plugin.sock") && std::path::Path::new(fields[3]).exists());
        {
            use std::os::unix::fs::PermissionsExt;
            let dir = std::path::Path::new(fields[3]).parent().unwrap();
            let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "the socket's directory is private");
        }
        assert_eq!(fields[4], "grpc");
        assert!(fields[5].len() > 100 && !fields[5].ends_with('='), "{line}");
        terminate(&mut child);
        let mut rest = String::new();
        out.read_to_string(&mut rest).unwrap();
        assert!(rest.is_empty(), "more on stdout: {rest:?}");
        assert!(child.wait().unwrap().success());
        assert!(!std::path::Path::new(fields[3]).exists(), "socket left behind");
    }
    times.sort();
    let median = times[times.len() / 2];
    eprintln!(
        "handshake line after {median:?} (median of {}; min {:?})",
        times.len(),
        times[0]
    );
}

#[tokio::test]
async fn debug_mode_serves_plaintext_and_shutdown_exits() {
    let mut child = spawn(&["--debug"], false, "");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    while !text.contains("TF_REATTACH_PROVIDERS=") {
        assert!(out.read_line(&mut text).unwrap() > 0, "no reattach line: {text}");
    }
    let json = text
        .split("TF_REATTACH_PROVIDERS='")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    let j: serde_json::Value = serde_json::from_str(json).unwrap();
    let p = &j["registry.terraform.io/hybridk8s/hybridk8s"];
    assert_eq!(p["Protocol"], "grpc");
    assert_eq!(p["ProtocolVersion"], 5);
    assert_eq!(p["Addr"]["Network"], "unix");
    let sock = p["Addr"]["String"].as_str().unwrap().to_string();

    let channel = tonic::transport::Endpoint::try_from("http://localhost")
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
        .unwrap();
    let mut ctl = gp::grpc_controller_client::GrpcControllerClient::new(channel);
    let t = Instant::now();
    ctl.shutdown(gp::Empty {}).await.unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    let took = t.elapsed();
    eprintln!("exited {took:?} after Shutdown");
    assert!(status.success());
}
