//! Injectable faults: latency, a random rate of failing calls (seeded, so a
//! run can be repeated), one-shot faults on a method and path, and
//! operations that end `Failed`. Faults apply to ARM calls made by clients,
//! never to the emulator's own helpers, and to the token endpoint only
//! after [`Faults::include_token_endpoint`].

use super::state::{OpError, Rng};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// One fault on one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// 429 `SubscriptionRequestsThrottled` with `Retry-After`.
    Throttle { retry_after_secs: u64 },
    /// 500 `InternalServerError`.
    ServerError,
    /// 409 `AnotherOperationInProgress`.
    Conflict,
    /// The connection closes without an answer; the request is not served.
    Drop,
    /// The request is served, then the connection closes without the answer.
    DropAfter,
    /// The answer waits this much longer.
    Latency(Duration),
}

#[derive(Debug)]
struct OneShot {
    method: Option<String>,
    path_contains: String,
    fault: Fault,
}

#[derive(Debug)]
struct Inner {
    latency: Duration,
    rate: f64,
    rng: Rng,
    next: Vec<OneShot>,
    operations: Vec<(String, OpError)>,
    token_endpoint: bool,
    injected: usize,
}

/// A handle on the emulator's faults; clones share them.
#[derive(Debug, Clone)]
pub struct Faults(Arc<Mutex<Inner>>);

impl Faults {
    pub(crate) fn new(latency: Duration) -> Faults {
        Faults(Arc::new(Mutex::new(Inner {
            latency,
            rate: 0.0,
            rng: Rng::new(1),
            next: Vec::new(),
            operations: Vec::new(),
            token_endpoint: false,
            injected: 0,
        })))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The latency of every answer from now on.
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    pub fn latency(&self) -> Duration {
        self.lock().latency
    }

    /// From now on a `rate` share of calls fails, drawn from `seed`: 429
    /// (`Retry-After` 0 or 1), 500, 409 `AnotherOperationInProgress` (writes
    /// only) and dropped connections (before or, for writes, after serving).
    pub fn fail_rate(&self, rate: f64, seed: u64) {
        let mut g = self.lock();
        g.rate = rate.clamp(0.0, 1.0);
        g.rng = Rng::new(seed);
    }

    /// The next call whose method is `method` (`"*"`: any) and whose path
    /// contains `path_contains` (case-insensitive) gets `fault`.
    pub fn fail_next(&self, method: &str, path_contains: &str, fault: Fault) {
        self.lock().next.push(OneShot {
            method: (method != "*").then(|| method.to_ascii_uppercase()),
            path_contains: path_contains.to_ascii_lowercase(),
            fault,
        });
    }

    /// The next operation started by a call whose path contains
    /// `path_contains` ends `Failed` (code `InternalServerError`).
    pub fn fail_operation_next(&self, path_contains: &str) {
        self.fail_operation_next_with(
            path_contains,
            "InternalServerError",
            "An error occurred while provisioning the resource; the operation can be retried.",
        );
    }

    /// As [`Faults::fail_operation_next`], with Azure's error code and message.
    pub fn fail_operation_next_with(&self, path_contains: &str, code: &str, message: &str) {
        self.lock().operations.push((
            path_contains.to_ascii_lowercase(),
            OpError {
                code: code.to_string(),
                message: message.to_string(),
            },
        ));
    }

    /// Faults apply to the token endpoint too.
    pub fn include_token_endpoint(&self, on: bool) {
        self.lock().token_endpoint = on;
    }

    /// No more faults (latency stays).
    pub fn clear(&self) {
        let mut g = self.lock();
        g.rate = 0.0;
        g.next.clear();
        g.operations.clear();
        g.token_endpoint = false;
    }

    /// How many faults were injected so far (one-shot and random).
    pub fn injected(&self) -> usize {
        self.lock().injected
    }

    pub(crate) fn take_operation_failure(&self, path: &str) -> Option<OpError> {
        let mut g = self.lock();
        let p = path.to_ascii_lowercase();
        let i = g
            .operations
            .iter()
            .position(|(needle, _)| p.contains(needle.as_str()))?;
        g.injected += 1;
        Some(g.operations.remove(i).1)
    }

    /// The fault for this call, if any.
    pub(crate) fn pick(&self, method: &str, path: &str, token: bool) -> Option<Fault> {
        let mut g = self.lock();
        if token && !g.token_endpoint {
            return None;
        }
        let p = path.to_ascii_lowercase();
        if let Some(i) = g
            .next
            .iter()
            .position(|o| o.method.as_deref().is_none_or(|m| m == method) && p.contains(o.path_contains.as_str()))
        {
            g.injected += 1;
            return Some(g.next.remove(i).fault);
        }
        if g.rate <= 0.0 || g.rng.unit() >= g.rate {
            return None;
        }
        let write = matches!(method, "PUT" | "DELETE" | "PATCH" | "POST");
        let fault = match g.rng.next_u64() % 6 {
            0 => Fault::Throttle { retry_after_secs: 0 },
            1 => Fault::Throttle { retry_after_secs: 1 },
            2 => Fault::ServerError,
            3 if write => Fault::Conflict,
            3 => Fault::ServerError,
            4 => Fault::Drop,
            _ if write => Fault::DropAfter,
            _ => Fault::Drop,
        };
        g.injected += 1;
        Some(fault)
    }
}
