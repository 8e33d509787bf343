//! Retry classification: after which answers the same request (the same
//! `Idempotency-Key`) is sent again, and when. The client's one retry loop, the CLI's help
//! and the Python docstring all state this one table.

use std::time::Duration;

use crate::error::ErrorCode;

/// HTTP statuses after which the same request is sent again: the account's rate limit
/// (429) and transient server failures (500, 502, 503, 504). Every other status is final,
/// except a 409 `idempotency_conflict` ([`RetryClass::Conflict`], Reading R18).
pub const RETRYABLE_STATUSES: &[u16] = &[429, 500, 502, 503, 504];

/// The retry rule in words, for help texts and docstrings (a test keeps it in step with
/// [`RETRYABLE_STATUSES`]).
pub const RETRY_SUMMARY: &str = "connection errors, timeouts and HTTP 429, 500, 502, 503 and \
504 are retried with the same Idempotency-Key (after Retry-After when the server sends one, \
otherwise with exponential backoff); a 409 idempotency_conflict is retried with the same key \
only while the first request is still running; 400, 401, 402, 404 and every other answer \
are final";

/// When a request that got an answer may be sent again.
///
/// ```
/// use std::time::Duration;
/// use seedance_core::rules::{retry_class, RetryClass};
/// use seedance_core::ErrorCode;
/// assert_eq!(retry_class(400, Some(&ErrorCode::InvalidRequest), None), RetryClass::Never);
/// assert_eq!(retry_class(502, None, None), RetryClass::Backoff);
/// let d = Duration::from_secs(7);
/// assert_eq!(retry_class(429, Some(&ErrorCode::RateLimited), Some(d)), RetryClass::After(d));
/// assert_eq!(retry_class(409, Some(&ErrorCode::IdempotencyConflict), None), RetryClass::Conflict);
/// assert_eq!(retry_class(409, Some(&ErrorCode::from("locked")), None), RetryClass::Never);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryClass {
    /// Never: the same request would fail the same way (400, 401, 402, 404, other 4xx).
    Never,
    /// Again after an exponential backoff (a retryable status without `Retry-After`).
    Backoff,
    /// Again after exactly this long (the server's `Retry-After`).
    After(Duration),
    /// A 409 `idempotency_conflict`: again with the same key only as Reading R18 says
    /// ([`conflict_is_retried`]).
    Conflict,
}

impl RetryClass {
    /// Whether the request may be sent again at all (a conflict only under R18).
    pub fn may_retry(self) -> bool {
        !matches!(self, RetryClass::Never)
    }
}

/// Classifies an error answer by its HTTP status and, when the body had one, its error
/// code; `retry_after` is the parsed `Retry-After` header (Reading R20).
pub fn retry_class(
    status: u16,
    code: Option<&ErrorCode>,
    retry_after: Option<Duration>,
) -> RetryClass {
    if status == 409 {
        // Reading R18: only an idempotency conflict waits for the first request; an
        // undecodable 409 reads as the code the spec pairs with it.
        return match code {
            None | Some(ErrorCode::IdempotencyConflict) => RetryClass::Conflict,
            Some(_) => RetryClass::Never,
        };
    }
    if RETRYABLE_STATUSES.contains(&status) {
        return match retry_after {
            Some(d) => RetryClass::After(d),
            None => RetryClass::Backoff,
        };
    }
    RetryClass::Never
}

/// Reading R18: whether a 409 `idempotency_conflict` with this `message` is retried with
/// the same key. Never when the message says the body differs; otherwise when this same
/// submit was (maybe) sent before (`sent_before`: an earlier attempt of this call, or an
/// unfinished journal entry under the key), or when the message says the first request is
/// still running. The caller bounds the retries in time.
///
/// ```
/// use seedance_core::rules::conflict_is_retried;
/// assert!(conflict_is_retried("The first request is still in flight", false));
/// assert!(conflict_is_retried("Conflict", true));
/// assert!(!conflict_is_retried("Conflict", false));
/// assert!(!conflict_is_retried("Key used with a different body", true));
/// ```
pub fn conflict_is_retried(message: &str, sent_before: bool) -> bool {
    match conflict_reason(message) {
        ConflictReason::BodyMismatch => false,
        ConflictReason::InFlight => true,
        ConflictReason::Unknown => sent_before,
    }
}

/// Words of a 409 `idempotency_conflict` message that say the key was used with another
/// body (Reading R18: such a 409 is final). Matched case-insensitively.
pub const CONFLICT_BODY_MISMATCH_WORDS: &[&str] = &[
    "different",
    "mismatch",
    "another body",
    "other body",
    "does not match",
    "doesn't match",
];

/// Words of a 409 `idempotency_conflict` message that say the first request with the key
/// is still running (Reading R18: retried with the same key, bounded in time).
pub const CONFLICT_IN_FLIGHT_WORDS: &[&str] = &[
    "in flight",
    "in-flight",
    "still",
    "running",
    "in progress",
    "processing",
];

/// What a 409 `idempotency_conflict` is about, read from its message (Reading R18).
///
/// ```
/// use seedance_core::rules::{conflict_reason, ConflictReason};
/// assert_eq!(conflict_reason("Key reused with a different request body"), ConflictReason::BodyMismatch);
/// assert_eq!(conflict_reason("The first request is still in flight"), ConflictReason::InFlight);
/// assert_eq!(conflict_reason("Conflict"), ConflictReason::Unknown);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConflictReason {
    /// The key was used with another body: final, never retried.
    BodyMismatch,
    /// The first request with the key is still running: retry with the same key.
    InFlight,
    /// The message says neither: retried only if this same submit may have been sent
    /// before (an earlier attempt, or an unfinished journal entry under the key).
    Unknown,
}

/// Classifies a 409 `idempotency_conflict` by its message (Reading R18). A message that
/// speaks of another body wins over one that also says "still".
///
/// ```
/// use seedance_core::rules::{conflict_reason, ConflictReason};
/// assert_eq!(conflict_reason("Still processing a DIFFERENT body"), ConflictReason::BodyMismatch);
/// ```
pub fn conflict_reason(message: &str) -> ConflictReason {
    let m = message.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| m.contains(w));
    if has(CONFLICT_BODY_MISMATCH_WORDS) {
        ConflictReason::BodyMismatch
    } else if has(CONFLICT_IN_FLIGHT_WORDS) {
        ConflictReason::InFlight
    } else {
        ConflictReason::Unknown
    }
}

// The code's own reading of the one table, beside it.
impl ErrorCode {
    /// Whether a request that got this code (with the status the spec pairs with it) is
    /// sent again unchanged, by the one table of [`crate::rules::retry_class`]. A 409 is
    /// retried only while the first request is still in flight (Reading R18,
    /// [`crate::rules::conflict_is_retried`]), so it is not "retryable" here.
    pub fn is_retryable(&self) -> bool {
        let Some(status) = self.http_status() else {
            return false;
        };
        matches!(
            retry_class(status, Some(self), None),
            RetryClass::Backoff | RetryClass::After(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_code_agrees_with_its_status() {
        for code in ErrorCode::ALL {
            let status = code.http_status().unwrap_or_default();
            assert_eq!(
                code.is_retryable(),
                matches!(
                    retry_class(status, Some(code), None),
                    RetryClass::Backoff | RetryClass::After(_)
                ),
                "{code}"
            );
        }
        assert!(ErrorCode::InternalError.is_retryable());
        assert!(!ErrorCode::IdempotencyConflict.is_retryable());
    }

    #[test]
    fn the_summary_names_every_retryable_status() {
        for s in RETRYABLE_STATUSES {
            assert!(RETRY_SUMMARY.contains(&s.to_string()), "{s}");
        }
        for s in [400, 401, 402, 404, 409] {
            assert!(RETRY_SUMMARY.contains(&s.to_string()), "{s}");
            assert!(!RETRYABLE_STATUSES.contains(&s));
        }
        for s in [200, 301, 403, 418, 501, 505] {
            assert_eq!(retry_class(s, None, None), RetryClass::Never, "{s}");
        }
    }
}
