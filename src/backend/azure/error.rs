//! What can go wrong talking to ARM, before the error is given the
//! operation and the object's ID: Azure's answer (status, code, message,
//! `Retry-After`), a failed long-running operation, or a transport failure.

use crate::backend::{BackendError, ErrorCode, Op};
use std::fmt;
use std::time::Duration;

/// One failed ARM exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArmError {
    /// ARM answered with an error status.
    Status {
        status: u16,
        code: String,
        message: String,
        retry_after: Option<Duration>,
    },
    /// A long-running operation ended `Failed` or `Canceled`.
    Operation { code: String, message: String },
    /// The connection failed or was dropped, or no answer came in time.
    Io(String),
    /// The credential yielded no token.
    Credential(String),
    /// An answer that does not parse.
    Decode(String),
    /// The operation's deadline passed.
    Deadline,
    /// The operation was cancelled before its next step.
    Cancelled,
}

/// The codes ARM answers for a conflict that passes: retried.
const RETRYABLE_CODES: [&str; 4] = [
    "AnotherOperationInProgress",
    "ReferencedResourceNotProvisioned",
    "RetryableError",
    "RetryableErrorDueToAnotherOperation",
];

/// The codes of an operation that ended `Failed` for a passing reason on
/// Azure's side: the write is sent again (a PUT or DELETE is idempotent).
const TRANSIENT_OPERATION_CODES: [&str; 3] = [
    "InternalServerError",
    "NetworkingInternalOperationError",
    "ServerTimeout",
];

impl ArmError {
    /// True when trying again (after a pause) may succeed.
    pub fn retryable(&self) -> bool {
        match self {
            ArmError::Status { status, code, .. } => {
                *status == 429 || *status >= 500 || RETRYABLE_CODES.iter().any(|c| c.eq_ignore_ascii_case(code))
            }
            ArmError::Operation { code, .. } => RETRYABLE_CODES
                .iter()
                .chain(&TRANSIENT_OPERATION_CODES)
                .any(|c| c.eq_ignore_ascii_case(code)),
            ArmError::Io(_) => true,
            ArmError::Credential(_) | ArmError::Decode(_) | ArmError::Deadline | ArmError::Cancelled => false,
        }
    }

    /// The pause ARM asked for.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ArmError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// True for ARM's "not found" (404, or a `…NotFound` code).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ArmError::Status { status: 404, .. })
    }

    /// The Azure error code, when ARM gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ArmError::Status { code, .. } | ArmError::Operation { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The error as the backend reports it: a known code is a refusal the
    /// rules recognize, any other keeps Azure's code, message and status.
    pub fn at(self, op: Op, noun: &'static str, id: &str) -> BackendError {
        let id = id.to_string();
        let (status, code, message) = match self {
            ArmError::Status {
                status, code, message, ..
            } => (status, code, message),
            ArmError::Operation { code, message } => (0, code, message),
            ArmError::Io(cause) => {
                return BackendError::Remote {
                    op,
                    noun,
                    id,
                    cause: format!("ARM did not answer: {cause}"),
                }
            }
            ArmError::Credential(cause) => {
                return BackendError::Remote {
                    op,
                    noun,
                    id,
                    cause: format!("no access token for ARM: {cause}"),
                }
            }
            ArmError::Decode(cause) => {
                return BackendError::Remote {
                    op,
                    noun,
                    id,
                    cause: format!("ARM's answer does not parse: {cause}"),
                }
            }
            ArmError::Deadline => return BackendError::DeadlineExceeded { op, noun, id },
            ArmError::Cancelled => return BackendError::Cancelled { op, noun, id },
        };
        match ErrorCode::from_azure(&code) {
            Some(code) => BackendError::Refused {
                op,
                noun,
                id,
                code,
                message,
            },
            None => BackendError::Azure {
                op,
                noun,
                id,
                status,
                code,
                message,
            },
        }
    }
}

impl fmt::Display for ArmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArmError::Status {
                status, code, message, ..
            } => write!(f, "{code}: {message} (HTTP {status})"),
            ArmError::Operation { code, message } => write!(f, "{code}: {message}"),
            ArmError::Io(c) | ArmError::Credential(c) | ArmError::Decode(c) => f.write_str(c),
            ArmError::Deadline => f.write_str("the deadline passed"),
            ArmError::Cancelled => f.write_str("cancelled"),
        }
    }
}

impl std::error::Error for ArmError {}

/// Azure's error document `{"error":{"code","message"}}` (also the
/// `error` of an operation status), read leniently.
pub fn code_and_message(body: &[u8], x_ms_error_code: Option<&str>) -> (String, String) {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or(serde_json::Value::Null);
    let err = v.get("error").unwrap_or(&v);
    let s = |k: &str| err.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let code = x_ms_error_code
        .map(str::to_string)
        .or_else(|| s("code"))
        .unwrap_or_else(|| "UnknownError".to_string());
    let message = s("message").unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(500).collect());
    (code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, code: &str) -> ArmError {
        ArmError::Status {
            status,
            code: code.into(),
            message: "m".into(),
            retry_after: None,
        }
    }

    #[test]
    fn what_is_retried() {
        assert!(status(429, "TooManyRequests").retryable());
        assert!(status(500, "InternalServerError").retryable());
        assert!(status(409, "AnotherOperationInProgress").retryable());
        assert!(status(400, "ReferencedResourceNotProvisioned").retryable());
        assert!(ArmError::Io("reset".into()).retryable());
        assert!(!status(400, "VnetAddressSpacesOverlap").retryable());
        assert!(!status(409, "Conflict").retryable());
        assert!(!ArmError::Operation {
            code: "BadRequest".into(),
            message: "x".into()
        }
        .retryable());
    }

    #[test]
    fn known_codes_are_refusals_and_others_keep_azures_words() {
        let e = status(400, "NetcfgInvalidSubnet").at(Op::Creating, "Virtual Network", "/x");
        assert_eq!(e.code(), Some(ErrorCode::NetcfgInvalidSubnet));
        let e = ArmError::Operation {
            code: "InternalError".into(),
            message: "it broke".into(),
        }
        .at(Op::Creating, "Virtual Network", "/x");
        assert_eq!(
            e.to_string(),
            r#"creating Virtual Network "/x": InternalError: it broke"#
        );
    }

    #[test]
    fn error_documents_parse_leniently() {
        let (c, m) = code_and_message(br#"{"error":{"code":"ResourceNotFound","message":"gone"}}"#, None);
        assert_eq!((c.as_str(), m.as_str()), ("ResourceNotFound", "gone"));
        let (c, m) = code_and_message(b"oops", Some("Conflict"));
        assert_eq!((c.as_str(), m.as_str()), ("Conflict", "oops"));
    }
}

impl ArmError {
    /// The context error as ours.
    pub fn from_context(e: &BackendError) -> ArmError {
        match e {
            BackendError::Cancelled { .. } => ArmError::Cancelled,
            _ => ArmError::Deadline,
        }
    }
}
