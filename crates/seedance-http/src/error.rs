//! `Error` and `ErrorKind`: everything a call can fail with.

use std::time::Duration;

use seedance_core::{ApiError, ErrorCode, TaskId, ValidationError};

/// Everything a client call can fail with. Never contains the API key.
///
/// ```
/// use seedance_http::{Error, ErrorKind};
/// let e = Error::Config("no API key".into());
/// assert_eq!(e.kind(), ErrorKind::Config);
/// assert_eq!(e.to_string(), "configuration: no API key");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request breaks a rule of the spec; nothing was sent.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// The API answered with an error (after any retries).
    #[error("API error (HTTP {status}): {error}")]
    Api {
        /// HTTP status.
        status: u16,
        /// The error body.
        error: ApiError,
        /// `Retry-After`, when the server sent one.
        retry_after: Option<Duration>,
    },
    /// The task ended without a result (`failed`, or a terminal status of Reading R12).
    #[error("task {task_id} failed: {code}: {message} ({credits_refunded} credits refunded)")]
    TaskFailed {
        /// The task.
        task_id: TaskId,
        /// The error code the task carries (for R12 statuses without an error: the status).
        code: ErrorCode,
        /// The message.
        message: String,
        /// Credits given back (0 when the server did not say).
        credits_refunded: u64,
    },
    /// `wait` gave up before the task ended (the task may still complete: wait again).
    #[error("task {task_id} did not finish within {waited:?}")]
    WaitTimeout {
        /// The task.
        task_id: TaskId,
        /// How long we waited.
        waited: Duration,
    },
    /// Connection, TLS, timeout, or a refused redirect (after any retries).
    #[error("transport: {0}")]
    Transport(String),
    /// The server answered something that is not the documented JSON (an HTML error
    /// page, truncated JSON…).
    #[error("undecodable response (HTTP {status}): {snippet}")]
    Decode {
        /// HTTP status.
        status: u16,
        /// The start of the body, for diagnosis.
        snippet: String,
    },
    /// Bad client settings (plain http to a non-loopback host, bad variable…).
    #[error("configuration: {0}")]
    Config(String),
    /// No API key: none given and `SEEDANCE_API_KEY` unset, or a blank one. Each front
    /// end says how to give one in its own words (`--api-key`, `api_key=...`).
    #[error("no API key: call .api_key(..) or set SEEDANCE_API_KEY")]
    NoApiKey,
    /// A file-system error (journal, download).
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// A download failed (status, content type, size).
    #[error("download: {0}")]
    Download(String),
    /// A reference URL failed the preflight check.
    #[error("preflight: {field}: {problem}")]
    Preflight {
        /// The request field (`image_url`, `media_urls[2]`…).
        field: String,
        /// What is wrong.
        problem: String,
    },
    /// The journal file is unusable.
    #[error("journal: {0}")]
    Journal(String),
    /// Cancelled through a cancellation token.
    #[error("cancelled")]
    Cancelled,
}

/// A flat classification of [`Error`]. The finer, numbered table that bindings derive
/// their errors from is [`crate::ErrorClass`] ([`Error::class`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// [`Error::Validation`].
    Validation,
    /// [`Error::Api`]; see [`Error::code`].
    Api,
    /// [`Error::TaskFailed`].
    TaskFailed,
    /// [`Error::WaitTimeout`].
    WaitTimeout,
    /// [`Error::Transport`].
    Transport,
    /// [`Error::Decode`].
    Decode,
    /// [`Error::Config`] and [`Error::NoApiKey`].
    Config,
    /// [`Error::Io`].
    Io,
    /// [`Error::Download`].
    Download,
    /// [`Error::Preflight`].
    Preflight,
    /// [`Error::Journal`].
    Journal,
    /// [`Error::Cancelled`].
    Cancelled,
}

impl ErrorKind {
    /// A short stable name (`task_failed`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Validation => "validation",
            ErrorKind::Api => "api",
            ErrorKind::TaskFailed => "task_failed",
            ErrorKind::WaitTimeout => "wait_timeout",
            ErrorKind::Transport => "transport",
            ErrorKind::Decode => "decode",
            ErrorKind::Config => "config",
            ErrorKind::Io => "io",
            ErrorKind::Download => "download",
            ErrorKind::Preflight => "preflight",
            ErrorKind::Journal => "journal",
            ErrorKind::Cancelled => "cancelled",
        }
    }
}

impl Error {
    /// The flat kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Validation(_) => ErrorKind::Validation,
            Error::Api { .. } => ErrorKind::Api,
            Error::TaskFailed { .. } => ErrorKind::TaskFailed,
            Error::WaitTimeout { .. } => ErrorKind::WaitTimeout,
            Error::Transport(_) => ErrorKind::Transport,
            Error::Decode { .. } => ErrorKind::Decode,
            Error::Config(_) | Error::NoApiKey => ErrorKind::Config,
            Error::Io(_) => ErrorKind::Io,
            Error::Download(_) => ErrorKind::Download,
            Error::Preflight { .. } => ErrorKind::Preflight,
            Error::Journal(_) => ErrorKind::Journal,
            Error::Cancelled => ErrorKind::Cancelled,
        }
    }

    /// The API error code, for [`Error::Api`] and [`Error::TaskFailed`].
    ///
    /// ```
    /// use seedance_http::Error;
    /// use seedance_core::{ApiError, ErrorCode};
    /// let e = Error::Api { status: 402, error: ApiError::new(ErrorCode::InsufficientCredits, "top up"), retry_after: None };
    /// assert_eq!(e.code(), Some(&ErrorCode::InsufficientCredits));
    /// ```
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Error::Api { error, .. } => Some(&error.code),
            Error::TaskFailed { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The HTTP status, when the error came from a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } | Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A copy for delivering one outcome to several waiters (`io::Error` is not `Clone`:
    /// its kind and message are kept).
    pub(crate) fn duplicate(&self) -> Error {
        match self {
            Error::Validation(v) => Error::Validation(v.clone()),
            Error::Api {
                status,
                error,
                retry_after,
            } => Error::Api {
                status: *status,
                error: error.clone(),
                retry_after: *retry_after,
            },
            Error::TaskFailed {
                task_id,
                code,
                message,
                credits_refunded,
            } => Error::TaskFailed {
                task_id: task_id.clone(),
                code: code.clone(),
                message: message.clone(),
                credits_refunded: *credits_refunded,
            },
            Error::WaitTimeout { task_id, waited } => Error::WaitTimeout {
                task_id: task_id.clone(),
                waited: *waited,
            },
            Error::Transport(s) => Error::Transport(s.clone()),
            Error::Decode { status, snippet } => Error::Decode {
                status: *status,
                snippet: snippet.clone(),
            },
            Error::Config(s) => Error::Config(s.clone()),
            Error::NoApiKey => Error::NoApiKey,
            Error::Io(e) => Error::Io(std::io::Error::new(e.kind(), e.to_string())),
            Error::Download(s) => Error::Download(s.clone()),
            Error::Preflight { field, problem } => Error::Preflight {
                field: field.clone(),
                problem: problem.clone(),
            },
            Error::Journal(s) => Error::Journal(s.clone()),
            Error::Cancelled => Error::Cancelled,
        }
    }
}

/// Shorthand.
pub type Result<T, E = Error> = std::result::Result<T, E>;
