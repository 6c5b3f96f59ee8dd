//! The crate's logs: one threshold (an atomic, so a disabled line costs one
//! load and formats nothing) and one sink chosen at start-up. The provider
//! writes hclog JSON lines on stderr, which Terraform forwards into its own
//! log keeping the level; the CLI writes text lines on stderr.
//!
//! What is logged is chosen where it is logged, never a whole request: no
//! credential, token, kubeconfig, request body or header reaches a line.

mod level;

pub use level::{from_rust_log, from_tf_log, Level};

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The most verbose level written (`Level as u8`); 0 writes nothing.
/// Before [`init`]: warnings and errors.
static MAX: AtomicU8 = AtomicU8::new(Level::Warn as u8);
/// The [`Sink`] (`Sink as u8`).
static SINK: AtomicU8 = AtomicU8::new(Sink::Json as u8);

/// How lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Sink {
    /// hclog JSON (`@level`, `@message`, `@module`, `@timestamp`, fields).
    Json,
    /// `TIMESTAMP LEVEL module: message key=value …`.
    Text,
}

/// Where a line comes from: the `@module` of the provider's lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Module {
    /// The plugin process itself (handshake, socket, TLS).
    Plugin,
    /// One line per provider RPC.
    Rpc,
    /// One line per call on the [`Backend`](crate::backend::Backend) trait.
    Backend,
    /// One line per ARM HTTP request.
    Arm,
    /// One line per Kubernetes API request.
    Kube,
    /// The command line.
    Cli,
}

impl Module {
    pub fn as_str(self) -> &'static str {
        match self {
            Module::Plugin => "hybridk8s",
            Module::Rpc => "hybridk8s.rpc",
            Module::Backend => "hybridk8s.backend",
            Module::Arm => "hybridk8s.arm",
            Module::Kube => "hybridk8s.kube",
            Module::Cli => "hybridk8s.cli",
        }
    }
}

/// A field's value.
#[derive(Debug, Clone, Copy)]
pub enum Field<'a> {
    Str(&'a str),
    Num(u64),
    /// Written in milliseconds with microseconds (`duration_ms`).
    Ms(Duration),
}

/// The provider RPC a line is written under (its backend calls carry it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// The RPC's name (`tf_rpc`).
    pub rpc: &'static str,
    /// The process's count of RPCs so far (`tf_req_id`).
    pub id: u64,
}

tokio::task_local! {
    static REQUEST: Request;
}

/// Runs `fut` as the handling of `request`.
pub async fn scope<F: std::future::Future>(request: Request, fut: F) -> F::Output {
    REQUEST.scope(request, fut).await
}

/// The request the current task handles, if any.
pub fn request() -> Option<Request> {
    REQUEST.try_with(|r| *r).ok()
}

/// Sets the threshold (`None`: nothing is written) and the sink.
pub fn init(max: Option<Level>, sink: Sink) {
    SINK.store(sink as u8, Ordering::Relaxed);
    MAX.store(max.map_or(0, |l| l as u8), Ordering::Relaxed);
}

/// The provider's logs: hclog JSON, the threshold from `TF_LOG_PROVIDER`
/// or `TF_LOG` ([`from_tf_log`]).
pub fn init_provider() {
    let var = |k: &str| std::env::var(k).ok();
    init(
        from_tf_log(var("TF_LOG_PROVIDER").as_deref(), var("TF_LOG").as_deref()),
        Sink::Json,
    );
}

/// The CLI's logs: text lines; `--log-level` wins over `RUST_LOG`
/// ([`from_rust_log`]); neither: warnings and errors.
pub fn init_cli(flag: Option<Level>) {
    let spec = std::env::var("RUST_LOG").ok();
    let (max, problem) = match (flag, spec.as_deref().map(from_rust_log)) {
        (Some(l), _) => (Some(l), None),
        (None, Some(Ok(Some(max)))) => (max, None),
        (None, Some(Err(e))) => (Some(Level::Warn), Some(e)),
        (None, _) => (Some(Level::Warn), None),
    };
    init(max, Sink::Text);
    if let Some(e) = problem {
        warn(Module::Cli, &e);
    }
}

/// Whether lines at `level` are written: check before building one.
#[inline]
pub fn enabled(level: Level) -> bool {
    level as u8 <= MAX.load(Ordering::Relaxed)
}

fn sink() -> Sink {
    match SINK.load(Ordering::Relaxed) {
        0 => Sink::Json,
        _ => Sink::Text,
    }
}

/// Writes one line when `level` is enabled.
pub fn emit(level: Level, module: Module, message: &str, fields: &[(&str, Field<'_>)]) {
    if !enabled(level) {
        return;
    }
    let now = SystemTime::now();
    let mut line = match sink() {
        Sink::Json => json_line(level, module, message, fields, now),
        Sink::Text => text_line(level, module, message, fields, now),
    };
    line.push('\n');
    // One write per line: lines of concurrent calls never interleave.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// One trace line for an HTTP request a backend made: method, path (no
/// query), status (0: no answer), time, the RPC it served, and `extra`.
/// Never headers or bodies.
pub fn http(
    module: Module,
    method: &str,
    path: &str,
    status: Option<u16>,
    outcome: &str,
    took: Duration,
    extra: &[(&str, Field<'_>)],
) {
    let mut fields = vec![
        ("http_method", Field::Str(method)),
        ("http_path", Field::Str(path)),
        ("http_status", Field::Num(u64::from(status.unwrap_or(0)))),
    ];
    fields.extend(extra.iter().map(|(k, v)| (*k, v.clone())));
    fields.push(("duration_ms", Field::Ms(took)));
    if let Some(r) = request() {
        fields.push(("tf_req_id", Field::Num(r.id)));
    }
    emit(Level::Trace, module, &format!("{method} {path}: {outcome}"), &fields);
}

pub fn error(module: Module, message: &str) {
    emit(Level::Error, module, message, &[]);
}

pub fn warn(module: Module, message: &str) {
    emit(Level::Warn, module, message, &[]);
}

pub fn debug(module: Module, message: &str) {
    emit(Level::Debug, module, message, &[]);
}

/// One hclog JSON object (keys sorted as hclog sorts them: `@` first).
pub fn json_line(level: Level, module: Module, message: &str, fields: &[(&str, Field<'_>)], t: SystemTime) -> String {
    let mut out = format!(
        "{{\"@level\":\"{}\",\"@message\":{},\"@module\":\"{}\",\"@timestamp\":\"{}\"",
        level.as_str(),
        json_str(message),
        module.as_str(),
        timestamp(t)
    );
    for (k, v) in fields {
        out.push(',');
        out.push_str(&json_str(k));
        out.push(':');
        match v {
            Field::Str(s) => out.push_str(&json_str(s)),
            Field::Num(n) => out.push_str(&n.to_string()),
            Field::Ms(d) => out.push_str(&ms(*d)),
        }
    }
    out.push('}');
    out
}

/// `2026-01-02T03:04:05.000006Z DEBUG hybridk8s.rpc: message key=value`.
pub fn text_line(level: Level, module: Module, message: &str, fields: &[(&str, Field<'_>)], t: SystemTime) -> String {
    let mut out = format!(
        "{} {:<5} {}: {message}",
        timestamp(t),
        level.as_str().to_ascii_uppercase(),
        module.as_str()
    );
    for (k, v) in fields {
        out.push(' ');
        out.push_str(k);
        out.push('=');
        match v {
            Field::Str(s) if s.is_empty() || s.contains(|c: char| c.is_whitespace() || c == '"' || c == '=') => {
                out.push_str(&format!("{s:?}"))
            }
            Field::Str(s) => out.push_str(s),
            Field::Num(n) => out.push_str(&n.to_string()),
            Field::Ms(d) => out.push_str(&ms(*d)),
        }
    }
    out
}

fn json_str(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// Milliseconds with three decimals (`0.412`).
fn ms(d: Duration) -> String {
    format!("{}.{:03}", d.as_millis(), d.as_micros() % 1000)
}

/// RFC 3339 in UTC with microseconds, as hclog writes it (and as go-plugin
/// parses it: exactly six fractional digits).
pub fn timestamp(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let (year, month, day, hour, minute, second) = crate::clock::civil(d.as_secs() as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{:06}Z",
        d.subsec_micros()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_628_164_800) + Duration::from_micros(42)
    }

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(timestamp(at()), "2021-08-05T12:00:00.000042Z");
        assert_eq!(
            timestamp(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000000Z"
        );
    }

    #[test]
    fn json_lines_are_hclog_objects() {
        let fields = [
            ("tf_rpc", Field::Str("ReadResource")),
            ("note", Field::Str("a \"quoted\"\nline")),
            ("diagnostic_error_count", Field::Num(2)),
            ("duration_ms", Field::Ms(Duration::from_micros(1_204_007))),
        ];
        let line = json_line(Level::Debug, Module::Rpc, "ReadResource: ok", &fields, at());
        insta::assert_snapshot!(line, @r#"{"@level":"debug","@message":"ReadResource: ok","@module":"hybridk8s.rpc","@timestamp":"2021-08-05T12:00:00.000042Z","tf_rpc":"ReadResource","note":"a \"quoted\"\nline","diagnostic_error_count":2,"duration_ms":1204.007}"#);
        let j: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(j["note"], "a \"quoted\"\nline");
        assert_eq!(j["duration_ms"].as_f64(), Some(1204.007));
    }

    #[test]
    fn text_lines_quote_what_has_spaces() {
        let fields = [
            ("id", Field::Str("/subscriptions/x/vnet")),
            ("error", Field::Str("not found")),
            ("duration_ms", Field::Ms(Duration::from_micros(412))),
        ];
        insta::assert_snapshot!(
            text_line(Level::Trace, Module::Backend, "read Virtual Network", &fields, at()),
            @r#"2021-08-05T12:00:00.000042Z TRACE hybridk8s.backend: read Virtual Network id=/subscriptions/x/vnet error="not found" duration_ms=0.412"#
        );
    }
}
