//! Retries inside the operation's deadline: 429 (after its `Retry-After`),
//! 5xx, ARM's passing conflicts (`AnotherOperationInProgress`,
//! `ReferencedResourceNotProvisioned`, `RetryableError`) and dropped
//! connections, with exponential back-off and jitter. Everything else is
//! returned at once, with Azure's code and message.

use super::error::ArmError;
use crate::backend::{Op, OpCtx};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The first back-off, doubled at each retry up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// `Err` when the context says stop (before a new remote step).
pub fn check(cx: &OpCtx) -> Result<(), ArmError> {
    cx.check(Op::Retrieving, "", "").map_err(|e| ArmError::from_context(&e))
}

/// Waits `d`, or less when the context ends first (`Err` then).
pub async fn pause(cx: &OpCtx, d: Duration) -> Result<(), ArmError> {
    cx.wait(d, Op::Retrieving, "", "")
        .await
        .map_err(|e| ArmError::from_context(&e))
}

/// The back-off before retry `n` (1-based) when ARM named no pause:
/// exponential, capped, with jitter in [50%, 100%].
pub fn backoff(n: u32) -> Duration {
    let exp = FIRST_BACKOFF.saturating_mul(1u32 << n.saturating_sub(1).min(16));
    let full = exp.min(MAX_BACKOFF);
    let jitter = 50 + (next_random() % 51);
    full * u32::try_from(jitter).unwrap_or(100) / 100
}

/// A cheap shared pseudo-random sequence (xorshift), for jitter only.
fn next_random() -> u64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut x = STATE.load(Ordering::Relaxed);
    if x == 0 {
        x = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9E37_79B9_7F4A_7C15, |d| d.as_nanos() as u64)
            | 1;
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    STATE.store(x, Ordering::Relaxed);
    x
}

/// Runs `attempt` until it succeeds, fails for good, or the context ends
/// (then the last ARM error is returned: it says more than "deadline").
pub async fn retry<T, F, Fut>(cx: &OpCtx, mut attempt: F) -> Result<T, ArmError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ArmError>>,
{
    let mut n = 0u32;
    loop {
        check(cx)?;
        match attempt().await {
            Ok(v) => return Ok(v),
            Err(e) if e.retryable() => {
                n += 1;
                let d = e.retry_after().unwrap_or_else(|| backoff(n));
                if pause(cx, d).await.is_err() {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    fn status(status: u16, code: &str, retry_after: Option<Duration>) -> ArmError {
        ArmError::Status {
            status,
            code: code.into(),
            message: "m".into(),
            retry_after,
        }
    }

    #[test]
    fn backoff_grows_to_a_cap_with_jitter() {
        for n in 1..30 {
            let d = backoff(n);
            let full = FIRST_BACKOFF.saturating_mul(1 << (n - 1).min(16)).min(MAX_BACKOFF);
            assert!(d <= full && d >= full / 2, "{n}: {d:?}");
        }
    }

    #[tokio::test]
    async fn passing_errors_are_retried_and_others_returned_at_once() {
        let cx = OpCtx::new("s");
        let calls = AtomicU32::new(0);
        let out = retry(&cx, || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 => Err(status(429, "TooManyRequests", Some(Duration::ZERO))),
                1 => Err(status(409, "AnotherOperationInProgress", Some(Duration::ZERO))),
                2 => Err(ArmError::Io("connection reset".into())),
                _ => Ok(7),
            }
        })
        .await;
        assert_eq!(out, Ok(7));
        assert_eq!(calls.load(Ordering::SeqCst), 4);

        let calls = AtomicU32::new(0);
        let out: Result<(), _> = retry(&cx, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(status(400, "VnetAddressSpacesOverlap", None))
        })
        .await;
        assert_eq!(out.unwrap_err().code(), Some("VnetAddressSpacesOverlap"));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn the_deadline_ends_retries_with_the_last_arm_error() {
        let cx = OpCtx::new("s").with_timeout(Duration::from_millis(50));
        let out: Result<(), _> = retry(&cx, || async { Err(status(500, "InternalServerError", None)) }).await;
        assert_eq!(out.unwrap_err().code(), Some("InternalServerError"));
        let cancelled = OpCtx::new("s");
        cancelled.cancel_token().cancel();
        let out: Result<(), _> = retry(&cancelled, || async { Ok(()) }).await;
        assert_eq!(out, Err(ArmError::Cancelled));
    }
}
