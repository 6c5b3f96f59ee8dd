//! Injectable faults: latency on every answer, the next `n` calls failing
//! with a status (500, 429 with `Retry-After: 1`, …), a share of calls
//! failing (seeded, so runs repeat), and the next `n` connections dropped
//! without an answer.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// What happens to one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer this status (a Status body) without serving the call.
    Fail(u16),
    /// Close the connection without an answer; the call is not served.
    Drop,
    /// Serve the call, then close the connection without the answer.
    DropAfter,
}

#[derive(Debug)]
struct Inner {
    latency: Duration,
    next: Vec<(u16, usize)>,
    drops: usize,
    drops_after: usize,
    rate: Option<(u16, f64)>,
    slow: Vec<(Duration, usize)>,
    seed: u64,
    injected: usize,
}

/// A handle on the emulator's faults; clones share them.
#[derive(Debug, Clone)]
pub struct Faults(Arc<Mutex<Inner>>);

impl Faults {
    pub(crate) fn new(latency: Duration) -> Faults {
        Faults(Arc::new(Mutex::new(Inner {
            latency,
            next: Vec::new(),
            drops: 0,
            drops_after: 0,
            rate: None,
            slow: Vec::new(),
            seed: 0x9e37_79b9_7f4a_7c15,
            injected: 0,
        })))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The wait before every answer from now on.
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    pub fn latency(&self) -> Duration {
        self.lock().latency
    }

    /// The next `n` calls answer `status` (a 429 carries `Retry-After: 1`).
    pub fn fail_next(&self, status: u16, n: usize) {
        self.lock().next.push((status, n));
    }

    /// The next `n` calls are served, then their connection closes without
    /// the answer (the client cannot tell whether the write happened).
    pub fn drop_after_next(&self, n: usize) {
        self.lock().drops_after += n;
    }

    /// From now on a `rate` share of calls answers `status`.
    pub fn fail_rate(&self, status: u16, rate: f64) {
        self.lock().rate = Some((status, rate));
    }

    /// The next `n` calls close their connection without an answer.
    pub fn drop_next(&self, n: usize) {
        self.lock().drops += n;
    }

    /// The next `n` calls wait `extra` longer than the latency.
    pub fn slow_next(&self, extra: Duration, n: usize) {
        self.lock().slow.push((extra, n));
    }

    /// The wait of the call now arriving: the latency plus a `slow_next`.
    pub(crate) fn wait(&self) -> Duration {
        let mut g = self.lock();
        let mut d = g.latency;
        if let Some(slot) = g.slow.iter_mut().find(|(_, n)| *n > 0) {
            slot.1 -= 1;
            d += slot.0;
        }
        g.slow.retain(|(_, n)| *n > 0);
        d
    }

    /// No faults and no latency from now on.
    pub fn clear(&self) {
        let mut g = self.lock();
        g.latency = Duration::ZERO;
        g.next.clear();
        g.drops = 0;
        g.drops_after = 0;
        g.rate = None;
        g.slow.clear();
    }

    /// Faults injected so far.
    pub fn injected(&self) -> usize {
        self.lock().injected
    }

    pub(crate) fn pick(&self) -> Option<Fault> {
        let mut g = self.lock();
        let fault = if g.drops > 0 {
            g.drops -= 1;
            Some(Fault::Drop)
        } else if g.drops_after > 0 {
            g.drops_after -= 1;
            Some(Fault::DropAfter)
        } else if let Some(slot) = g.next.iter_mut().find(|(_, n)| *n > 0) {
            slot.1 -= 1;
            let status = slot.0;
            g.next.retain(|(_, n)| *n > 0);
            Some(Fault::Fail(status))
        } else if let Some((status, rate)) = g.rate {
            // xorshift64*: deterministic from the fixed seed.
            let mut x = g.seed;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            g.seed = x;
            let draw = (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64;
            (draw < rate).then_some(Fault::Fail(status))
        } else {
            None
        };
        if fault.is_some() {
            g.injected += 1;
        }
        fault
    }
}
