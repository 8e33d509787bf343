//! [`ErrorClass`]: the one stable table of error kinds and their numbers, from which every
//! language's errors derive (the CLI's exit codes, Python's exception classes, C's result
//! codes, Kotlin's and Swift's errors).

use seedance_core::ErrorCode;

use crate::error::Error;

/// The stable classification of every error of the SDK: one variant per kind of failure,
/// API errors split by the spec's error code. Each class has a fixed **number** (never
/// reused: a retired class keeps its number unused forever), a stable snake_case
/// **name**, the CLI's **exit code** and the **Python exception class** it becomes.
///
/// Numbers: `1xx` an error the API answered with (by its code), `2xx` an outcome on the
/// client's side. `0` is success and `3xx` is left to each binding for misuse of its own
/// surface (a NULL pointer in C…); neither is a class of this table.
///
/// | number | name | CLI exit | Python |
/// |---|---|---|---|
/// | 101 | `unauthorized` | 3 | `AuthenticationError` |
/// | 102 | `invalid_request` | 3 | `InvalidRequestError` |
/// | 103 | `insufficient_credits` | 3 | `InsufficientCreditsError` |
/// | 104 | `rate_limited` | 3 | `RateLimitedError` |
/// | 105 | `idempotency_conflict` | 3 | `IdempotencyConflictError` |
/// | 106 | `service_busy` | 3 | `ServiceBusyError` |
/// | 107 | `not_found` | 3 | `NotFoundError` |
/// | 108 | `internal_error` | 3 | `InternalServerError` |
/// | 199 | `api_error` | 3 | `APIError` |
/// | 201 | `validation` | 2 | `ValidationError` |
/// | 202 | `task_failed` | 4 | `TaskFailedError` |
/// | 203 | `wait_timeout` | 5 | `WaitTimeoutError` |
/// | 204 | `network` | 3 | `APIConnectionError` |
/// | 205 | `response_invalid` | 3 | `APIResponseError` |
/// | 206 | `io` | 1 | `OSError` |
/// | 207 | `job_store` | 1 | `ConfigurationError` |
/// | 208 | `cancelled` | 130 | `SeedanceError` |
/// | 209 | `config` | 2 | `ConfigurationError` |
/// | 210 | `download` | 3 | `DownloadError` |
/// | 211 | `no_api_key` | 2 | `ConfigurationError` |
/// | 212 | `preflight` | 2 | `ValidationError` |
///
/// (A test keeps this table equal to [`ErrorClass::ALL`].)
///
/// ```
/// use seedance_http::{Error, ErrorClass};
/// assert_eq!(Error::NoApiKey.class(), ErrorClass::NoApiKey);
/// assert_eq!(ErrorClass::RateLimited.number(), 104);
/// assert_eq!(ErrorClass::from_number(104), Some(ErrorClass::RateLimited));
/// assert_eq!(ErrorClass::RateLimited.name(), "rate_limited");
/// assert_eq!(ErrorClass::TaskFailed.exit_code(), 4);
/// assert_eq!(ErrorClass::Unauthorized.python_exception(), "AuthenticationError");
/// ```
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ErrorClass {
    /// HTTP 401 `unauthorized`: missing, invalid or revoked API key.
    Unauthorized = 101,
    /// HTTP 400 `invalid_request`: the server refused the input.
    InvalidRequest = 102,
    /// HTTP 402 `insufficient_credits`.
    InsufficientCredits = 103,
    /// HTTP 429 `rate_limited` (after the client's own retries).
    RateLimited = 104,
    /// HTTP 409 `idempotency_conflict`.
    IdempotencyConflict = 105,
    /// HTTP 503 `service_busy` (after retries).
    ServiceBusy = 106,
    /// HTTP 404 `not_found`: no such task for this key's owner.
    NotFound = 107,
    /// HTTP 500 `internal_error` (after retries).
    InternalError = 108,
    /// An API error with a code this version does not know.
    ApiError = 199,
    /// The request breaks rules of the spec; nothing was sent.
    Validation = 201,
    /// The task ended without a result.
    TaskFailed = 202,
    /// A wait gave up before the task ended (the task may still complete).
    WaitTimeout = 203,
    /// Connection, TLS, timeout or a refused redirect (after retries).
    Network = 204,
    /// The server answered something that is not the documented JSON.
    ResponseInvalid = 205,
    /// A file-system error.
    Io = 206,
    /// The job store (journal) is unusable.
    JobStore = 207,
    /// Cancelled through a cancellation token (or Ctrl-C).
    Cancelled = 208,
    /// Bad client settings (plain http to a non-loopback host, a bad variable…).
    Config = 209,
    /// A download failed (status, content type, size).
    Download = 210,
    /// No API key was given (nor `SEEDANCE_API_KEY` set), or it is blank.
    NoApiKey = 211,
    /// A reference URL failed the preflight check; nothing was sent.
    Preflight = 212,
}

impl ErrorClass {
    /// Every class, in number order.
    pub const ALL: &'static [ErrorClass] = &[
        ErrorClass::Unauthorized,
        ErrorClass::InvalidRequest,
        ErrorClass::InsufficientCredits,
        ErrorClass::RateLimited,
        ErrorClass::IdempotencyConflict,
        ErrorClass::ServiceBusy,
        ErrorClass::NotFound,
        ErrorClass::InternalError,
        ErrorClass::ApiError,
        ErrorClass::Validation,
        ErrorClass::TaskFailed,
        ErrorClass::WaitTimeout,
        ErrorClass::Network,
        ErrorClass::ResponseInvalid,
        ErrorClass::Io,
        ErrorClass::JobStore,
        ErrorClass::Cancelled,
        ErrorClass::Config,
        ErrorClass::Download,
        ErrorClass::NoApiKey,
        ErrorClass::Preflight,
    ];

    /// The stable number.
    pub fn number(self) -> u32 {
        self as u32
    }

    /// The class with this number.
    pub fn from_number(n: u32) -> Option<ErrorClass> {
        ErrorClass::ALL.iter().copied().find(|c| c.number() == n)
    }

    /// The stable snake_case name (an API class is named as its wire code).
    pub fn name(self) -> &'static str {
        match self {
            ErrorClass::Unauthorized => "unauthorized",
            ErrorClass::InvalidRequest => "invalid_request",
            ErrorClass::InsufficientCredits => "insufficient_credits",
            ErrorClass::RateLimited => "rate_limited",
            ErrorClass::IdempotencyConflict => "idempotency_conflict",
            ErrorClass::ServiceBusy => "service_busy",
            ErrorClass::NotFound => "not_found",
            ErrorClass::InternalError => "internal_error",
            ErrorClass::ApiError => "api_error",
            ErrorClass::Validation => "validation",
            ErrorClass::TaskFailed => "task_failed",
            ErrorClass::WaitTimeout => "wait_timeout",
            ErrorClass::Network => "network",
            ErrorClass::ResponseInvalid => "response_invalid",
            ErrorClass::Io => "io",
            ErrorClass::JobStore => "job_store",
            ErrorClass::Cancelled => "cancelled",
            ErrorClass::Config => "config",
            ErrorClass::Download => "download",
            ErrorClass::NoApiKey => "no_api_key",
            ErrorClass::Preflight => "preflight",
        }
    }

    /// Whether the API answered with this error (the `1xx` classes).
    pub fn is_api(self) -> bool {
        self.number() / 100 == 1
    }

    /// Whether nothing was sent (the request or the settings were refused locally).
    pub fn nothing_sent(self) -> bool {
        matches!(
            self,
            ErrorClass::Validation
                | ErrorClass::Preflight
                | ErrorClass::Config
                | ErrorClass::NoApiKey
        )
    }

    /// The class of an API error code.
    pub fn for_api_code(code: &ErrorCode) -> ErrorClass {
        match code {
            ErrorCode::Unauthorized => ErrorClass::Unauthorized,
            ErrorCode::InvalidRequest => ErrorClass::InvalidRequest,
            ErrorCode::InsufficientCredits => ErrorClass::InsufficientCredits,
            ErrorCode::RateLimited => ErrorClass::RateLimited,
            ErrorCode::IdempotencyConflict => ErrorClass::IdempotencyConflict,
            ErrorCode::ServiceBusy => ErrorClass::ServiceBusy,
            ErrorCode::NotFound => ErrorClass::NotFound,
            ErrorCode::InternalError => ErrorClass::InternalError,
            _ => ErrorClass::ApiError,
        }
    }

    /// The `seedance` CLI's exit code: 1 a local problem (files, job store), 2 usage,
    /// validation or settings (nothing sent), 3 the API refused or could not be reached,
    /// 4 the task failed, 5 a wait timed out, 130 interrupted.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorClass::Io | ErrorClass::JobStore => 1,
            ErrorClass::Validation
            | ErrorClass::Preflight
            | ErrorClass::Config
            | ErrorClass::NoApiKey => 2,
            ErrorClass::TaskFailed => 4,
            ErrorClass::WaitTimeout => 5,
            ErrorClass::Cancelled => 130,
            _ => 3,
        }
    }

    /// The Python exception class (`seedance.<name>`; `OSError` is Python's own).
    pub fn python_exception(self) -> &'static str {
        match self {
            ErrorClass::Unauthorized => "AuthenticationError",
            ErrorClass::InvalidRequest => "InvalidRequestError",
            ErrorClass::InsufficientCredits => "InsufficientCreditsError",
            ErrorClass::RateLimited => "RateLimitedError",
            ErrorClass::IdempotencyConflict => "IdempotencyConflictError",
            ErrorClass::ServiceBusy => "ServiceBusyError",
            ErrorClass::NotFound => "NotFoundError",
            ErrorClass::InternalError => "InternalServerError",
            ErrorClass::ApiError => "APIError",
            ErrorClass::Validation | ErrorClass::Preflight => "ValidationError",
            ErrorClass::TaskFailed => "TaskFailedError",
            ErrorClass::WaitTimeout => "WaitTimeoutError",
            ErrorClass::Network => "APIConnectionError",
            ErrorClass::ResponseInvalid => "APIResponseError",
            ErrorClass::Io => "OSError",
            ErrorClass::JobStore | ErrorClass::Config | ErrorClass::NoApiKey => {
                "ConfigurationError"
            }
            ErrorClass::Download => "DownloadError",
            ErrorClass::Cancelled => "SeedanceError",
        }
    }
}

impl std::fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Error {
    /// The stable class of this error ([`ErrorClass`]).
    ///
    /// ```
    /// use seedance_core::{ApiError, ErrorCode};
    /// use seedance_http::{Error, ErrorClass};
    /// let e = Error::Api { status: 402, error: ApiError::new(ErrorCode::InsufficientCredits, "top up"), retry_after: None };
    /// assert_eq!(e.class(), ErrorClass::InsufficientCredits);
    /// ```
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Validation(_) => ErrorClass::Validation,
            Error::Api { error, .. } => ErrorClass::for_api_code(&error.code),
            Error::TaskFailed { .. } => ErrorClass::TaskFailed,
            Error::WaitTimeout { .. } => ErrorClass::WaitTimeout,
            Error::Transport(_) => ErrorClass::Network,
            Error::Decode { .. } => ErrorClass::ResponseInvalid,
            Error::Config(_) => ErrorClass::Config,
            Error::NoApiKey => ErrorClass::NoApiKey,
            Error::Io(_) => ErrorClass::Io,
            Error::Download(_) => ErrorClass::Download,
            Error::Preflight(_) => ErrorClass::Preflight,
            Error::Journal(_) => ErrorClass::JobStore,
            Error::Cancelled => ErrorClass::Cancelled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_unique_sorted_and_round_trip() {
        let mut last = 0;
        for c in ErrorClass::ALL {
            assert!(c.number() > last, "{c:?} out of order");
            last = c.number();
            assert_eq!(ErrorClass::from_number(c.number()), Some(*c));
        }
    }

    #[test]
    fn doc_table_matches_the_code() {
        let src = include_str!("error_class.rs");
        for c in ErrorClass::ALL {
            let row = format!(
                "/// | {} | `{}` | {} | `{}` |",
                c.number(),
                c.name(),
                c.exit_code(),
                c.python_exception()
            );
            assert!(src.contains(&row), "missing or wrong doc row: {row}");
        }
        let rows = src
            .lines()
            .filter(|l| {
                l.starts_with("/// | ") && l.as_bytes().get(6).is_some_and(u8::is_ascii_digit)
            })
            .count();
        assert_eq!(rows, ErrorClass::ALL.len());
    }

    #[test]
    fn api_classes_are_named_as_their_codes() {
        for code in ErrorCode::ALL {
            let c = ErrorClass::for_api_code(code);
            assert_eq!(c.name(), code.as_str());
            assert!(c.is_api());
        }
    }
}
