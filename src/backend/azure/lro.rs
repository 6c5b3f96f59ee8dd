//! The one long-running-operation poller. ARM answers a PUT with 201/200
//! and `Azure-AsyncOperation`, a DELETE with 202 and `Location` (often
//! both). The poller follows `Azure-AsyncOperation` first (a status
//! document: `InProgress`, `Succeeded`, `Failed`/`Canceled` with Azure's
//! error), else `Location` (202 while running, 200/204 when done); it
//! sleeps what `Retry-After` says and never longer (a short pause growing
//! to a cap when ARM names none), and ends at the context's deadline.
//! Unlike the SDK's poller it keeps the failed operation's code and message.

use super::client::{retry_after, Answer, Arm};
use super::error::ArmError;
use super::retry::{pause, retry};
use crate::backend::OpCtx;
use azure_core::{Method, Url};
use std::time::Duration;

/// The pause between polls when ARM gives no `Retry-After`: doubled after
/// each poll up to [`MAX_POLL`].
const FIRST_POLL: Duration = Duration::from_millis(250);
const MAX_POLL: Duration = Duration::from_secs(8);

/// How an operation is followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Monitor {
    /// Nothing to follow: the answer was final.
    Done,
    /// `Azure-AsyncOperation`: a status document.
    AsyncOperation(Url),
    /// `Location`: 202 until done.
    Location(Url),
}

/// What to follow after `first` (the answer to a PUT or DELETE).
pub fn monitor(first: &Answer) -> Result<Monitor, ArmError> {
    let parse = |u: &str| Url::parse(u).map_err(|e| ArmError::Decode(format!("operation URL {u:?}: {e}")));
    if let Some(u) = first.header("azure-asyncoperation") {
        return Ok(Monitor::AsyncOperation(parse(u)?));
    }
    if first.status == 202 {
        if let Some(u) = first.header("location") {
            return Ok(Monitor::Location(parse(u)?));
        }
    }
    Ok(Monitor::Done)
}

/// The state of an operation's status document.
fn status_of(doc: &serde_json::Value) -> Result<Option<ArmError>, ()> {
    let s = doc.get("status").and_then(|v| v.as_str()).unwrap_or("InProgress");
    if s.eq_ignore_ascii_case("Succeeded") {
        return Ok(None);
    }
    if s.eq_ignore_ascii_case("Failed") || s.eq_ignore_ascii_case("Canceled") {
        let err = doc.get("error");
        let f = |k: &str| err.and_then(|e| e.get(k)).and_then(|v| v.as_str()).map(str::to_string);
        return Ok(Some(ArmError::Operation {
            code: f("code").unwrap_or_else(|| format!("Operation{s}")),
            message: f("message").unwrap_or_else(|| format!("the operation ended {s}")),
        }));
    }
    Err(())
}

/// The next pause: ARM's `Retry-After` when given (never longer), else
/// `fallback`.
fn next_pause(answer: &Answer, fallback: Duration) -> Duration {
    retry_after(&answer.headers).unwrap_or(fallback)
}

/// Follows the operation `first` started until it ends.
pub async fn wait(arm: &Arm, cx: &OpCtx, first: &Answer) -> Result<(), ArmError> {
    let m = monitor(first)?;
    let url = match &m {
        Monitor::Done => return Ok(()),
        Monitor::AsyncOperation(u) | Monitor::Location(u) => u.clone(),
    };
    let mut fallback = FIRST_POLL;
    let mut d = next_pause(first, fallback);
    loop {
        pause(cx, d).await?;
        let answer = retry(cx, || arm.raw(cx, Method::Get, url.clone(), None)).await?;
        let done = match &m {
            Monitor::AsyncOperation(_) => {
                let doc: serde_json::Value = answer.json()?;
                match status_of(&doc) {
                    Ok(None) => true,
                    Ok(Some(failed)) => return Err(failed),
                    Err(()) => false,
                }
            }
            _ => answer.status != 202,
        };
        if done {
            return Ok(());
        }
        fallback = (fallback * 2).min(MAX_POLL);
        d = next_pause(&answer, fallback);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use azure_core::headers::{HeaderName, HeaderValue, Headers};
    use std::collections::HashMap;

    fn answer(status: u16, headers: &[(&'static str, &str)]) -> Answer {
        let map: HashMap<HeaderName, HeaderValue> = headers
            .iter()
            .map(|(k, v)| (HeaderName::from_static(k), HeaderValue::from(v.to_string())))
            .collect();
        Answer {
            status,
            headers: Headers::from(map),
            body: Vec::new(),
        }
    }

    #[test]
    fn async_operation_first_then_location_of_a_202() {
        let a = answer(
            202,
            &[
                ("azure-asyncoperation", "http://h/op/1?api-version=x"),
                ("location", "http://h/res/1"),
            ],
        );
        assert!(matches!(monitor(&a).unwrap(), Monitor::AsyncOperation(u) if u.path() == "/op/1"));
        let a = answer(202, &[("location", "http://h/res/1")]);
        assert!(matches!(monitor(&a).unwrap(), Monitor::Location(u) if u.path() == "/res/1"));
        assert_eq!(monitor(&answer(200, &[])).unwrap(), Monitor::Done);
        assert_eq!(monitor(&answer(204, &[])).unwrap(), Monitor::Done);
    }

    #[test]
    fn retry_after_is_never_exceeded_and_a_default_applies_without_it() {
        assert_eq!(
            next_pause(&answer(200, &[("retry-after", "0")]), MAX_POLL),
            Duration::ZERO
        );
        assert_eq!(
            next_pause(&answer(200, &[("retry-after", "3")]), MAX_POLL),
            Duration::from_secs(3)
        );
        assert_eq!(next_pause(&answer(200, &[]), FIRST_POLL), FIRST_POLL);
    }

    #[test]
    fn a_failed_operation_keeps_azures_code_and_message() {
        let doc = serde_json::json!({"status": "Failed", "error": {"code": "InternalServerError", "message": "boom"}});
        assert_eq!(
            status_of(&doc),
            Ok(Some(ArmError::Operation {
                code: "InternalServerError".into(),
                message: "boom".into()
            }))
        );
        assert_eq!(status_of(&serde_json::json!({"status": "Succeeded"})), Ok(None));
        assert_eq!(status_of(&serde_json::json!({"status": "InProgress"})), Err(()));
        let canceled = status_of(&serde_json::json!({"status": "Canceled"})).unwrap().unwrap();
        assert_eq!(canceled.code(), Some("OperationCanceled"));
    }
}
