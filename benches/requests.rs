//! What hostile requests cost the provider (`cargo bench --bench requests`):
//! PlanResourceChange of a `hybridk8s_external_service` whose config is
//! oversized — a million endpoints (25 MB: refused by the transport),
//! 600,000 (15 MB: refused by the decoder at the list), 10,000 and 1,001
//! (refused by the schema), 1,000 (planned), a 1 MiB name (refused by the
//! rules) — each on the in-process gRPC service over loopback. For each:
//! the request size, wall time, and the process's peak RSS during the call
//! (reset before each through `/proc/self/clear_refs`) and RSS after it.
//! Target: peak RSS grows by at most a few times the request size (the
//! review measured 1.5 GB for 11 MB). Prints numbers, asserts nothing.

#[path = "../tests/provider_grpc/harness.rs"]
mod harness;

use harness::*;
use std::time::Instant;

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

fn config(endpoints: usize, name_len: usize) -> Value {
    let mut cfg = external_service(
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/k8s-rg/providers/Microsoft.Network/virtualNetworks/aks",
        "svc",
        "10.1.1.1",
    );
    if let Value::Map(m) = &mut cfg {
        let eps = (0..endpoints)
            .map(|i| Value::str(format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255)))
            .collect();
        m.insert("endpoints".into(), Value::List(eps));
        if name_len > 0 {
            m.insert("name".into(), Value::str("a".repeat(name_len)));
        }
    }
    cfg
}

#[tokio::main]
async fn main() {
    let mut h = start().await;
    h.client = h
        .client
        .clone()
        .max_decoding_message_size(usize::MAX)
        .max_encoding_message_size(usize::MAX);
    configure(&mut h).await;
    let kind = Kind::ExternalService;
    println!(
        "{:<22} {:>10} {:>9} {:>10} {:>10}  answer",
        "config", "request", "time", "peak +KiB", "after KiB"
    );
    for (label, n, name_len) in [
        ("1,000,000 endpoints", 1_000_000, 0),
        ("600,000 endpoints", 600_000, 0),
        ("10,000 endpoints", 10_000, 0),
        ("1,001 endpoints", 1001, 0),
        ("1,000 endpoints", 1000, 0),
        ("1 MiB name", 1, 1 << 20),
    ] {
        let cfg = config(n, name_len);
        let size = 2 * dv(kind, &cfg).unwrap().msgpack.len();
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let base = status_kb("VmRSS:");
        let t = Instant::now();
        let r = h
            .client
            .plan_resource_change(pb::plan_resource_change::Request {
                type_name: kind.terraform_type().into(),
                prior_state: dv(kind, &Value::Null),
                proposed_new_state: dv(kind, &cfg),
                config: dv(kind, &cfg),
                prior_private: vec![],
                provider_meta: None,
            })
            .await;
        let took = t.elapsed();
        let peak = status_kb("VmHWM:").saturating_sub(base);
        drop(cfg);
        let answer = match r {
            Ok(r) => {
                let r = r.into_inner();
                match r.diagnostics.first() {
                    Some(d) => d.summary.chars().take(70).collect(),
                    None => "planned".to_string(),
                }
            }
            Err(s) => format!("{:?}: {}", s.code(), s.message().chars().take(50).collect::<String>()),
        };
        println!(
            "{label:<22} {:>9}K {:>8.1?} {peak:>10} {:>10}  {answer}",
            size / 1024,
            took,
            status_kb("VmRSS:")
        );
    }
}
