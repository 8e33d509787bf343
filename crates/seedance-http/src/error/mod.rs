//! `Error` and `ErrorKind`: everything a call can fail with; the typed causes of the
//! transport, configuration, file-system, job-store, download and preflight variants.

use std::time::Duration;

use seedance_core::{ApiError, ErrorCode, TaskId, ValidationError};

mod config;
mod local;
mod preflight;
mod source;
mod transport;

pub use config::ConfigError;
pub use local::{DownloadError, DownloadErrorKind, IoError, StoreError, StoreErrorKind};
pub use preflight::{PreflightError, PreflightErrorKind};
pub use transport::{TransportError, TransportErrorKind};

pub(crate) use source::Source;

/// Everything a client call can fail with. Never contains the API key. The variants for
/// the transport, the settings, files, the job store, downloads and the preflight carry
/// typed causes, and [`std::error::Error::source`] leads to the underlying error
/// (reqwest's, the `io::Error`, rusqlite's), as reqwest's own errors do. `Clone`: the
/// causes are shared.
///
/// ```
/// use seedance_http::{ConfigError, Error, ErrorKind};
/// let e = Error::Config(ConfigError::InvalidApiKey);
/// assert_eq!(e.kind(), ErrorKind::Config);
/// assert_eq!(e.to_string(), "configuration: the API key contains spaces or control characters");
/// ```
#[derive(Clone, Debug, thiserror::Error)]
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
    Transport(#[source] TransportError),
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
    Config(#[source] ConfigError),
    /// No API key: none given and `SEEDANCE_API_KEY` unset, or a blank one. Each front
    /// end says how to give one in its own words (`--api-key`, `api_key=...`).
    #[error("no API key: call .api_key(..) or set SEEDANCE_API_KEY")]
    NoApiKey,
    /// A file-system error (journal, download), with its path.
    #[error("I/O: {0}")]
    Io(#[source] IoError),
    /// A download failed (status, content type, size).
    #[error("download: {0}")]
    Download(#[source] DownloadError),
    /// A reference URL failed the preflight check (its field, its kind, an unreachable
    /// host's transport error as the source).
    #[error("preflight: {0}")]
    Preflight(#[source] PreflightError),
    /// The job store (journal) is unusable, or a stored job cannot be used.
    #[error("journal: {0}")]
    Journal(#[source] StoreError),
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
            Error::Preflight(_) => ErrorKind::Preflight,
            Error::Journal(_) => ErrorKind::Journal,
            Error::Cancelled => ErrorKind::Cancelled,
        }
    }

    /// The finer kind within [`Error::kind`], as a short stable name: a transport
    /// error's [`TransportErrorKind`] (`timeout`, `dns`, `tls`, `redirect_refused`…), a
    /// download's [`DownloadErrorKind`] (`too_large`, `incomplete`…), a job store's
    /// [`StoreErrorKind`] (`database`, `cannot_resume`…), a preflight's
    /// [`PreflightErrorKind`] (`unreachable`, `content_type`…); `None` for the other
    /// errors. The bindings hand it on as it is (Python's `kind` attribute, C's
    /// `seedance_last_error_kind`, the `kind` of Kotlin's and Swift's errors), so a
    /// program can tell a timeout from a DNS failure without reading the message. (A
    /// preflight refusal reaches Python, Kotlin and Swift as a violation of its field,
    /// rule `preflight`, without the kind; C's `seedance_last_error_kind` and the CLI's
    /// `preflight_kind` carry it.)
    ///
    /// ```
    /// use seedance_http::{Error, StoreError, StoreErrorKind};
    /// let e = Error::Journal(StoreError::new(StoreErrorKind::Database, "database is locked"));
    /// assert_eq!(e.detail_kind(), Some("database"));
    /// use seedance_http::{PreflightError, PreflightErrorKind};
    /// let p = PreflightError::new(PreflightErrorKind::ContentType, "image_url", "no Content-Type");
    /// assert_eq!(Error::Preflight(p).detail_kind(), Some("content_type"));
    /// assert_eq!(Error::NoApiKey.detail_kind(), None);
    /// ```
    pub fn detail_kind(&self) -> Option<&'static str> {
        match self {
            Error::Transport(t) => Some(t.kind().as_str()),
            Error::Download(d) => Some(d.kind().as_str()),
            Error::Journal(j) => Some(j.kind().as_str()),
            Error::Preflight(p) => Some(p.kind().as_str()),
            _ => None,
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

    /// The transport error, for [`Error::Transport`].
    pub fn transport(&self) -> Option<&TransportError> {
        match self {
            Error::Transport(t) => Some(t),
            _ => None,
        }
    }

    /// Whether a request timed out ([`TransportErrorKind::Timeout`]).
    pub fn is_timeout(&self) -> bool {
        self.transport().is_some_and(TransportError::is_timeout)
    }

    /// Whether no connection could be made ([`TransportError::is_connect`]).
    pub fn is_connect(&self) -> bool {
        self.transport().is_some_and(TransportError::is_connect)
    }

    /// A copy for delivering one outcome to several waiters.
    pub(crate) fn duplicate(&self) -> Error {
        self.clone()
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(e)
    }
}

impl From<TransportError> for Error {
    fn from(e: TransportError) -> Self {
        Error::Transport(e)
    }
}

impl From<IoError> for Error {
    fn from(e: IoError) -> Self {
        Error::Io(e)
    }
}

impl From<DownloadError> for Error {
    fn from(e: DownloadError) -> Self {
        Error::Download(e)
    }
}

impl From<PreflightError> for Error {
    fn from(e: PreflightError) -> Self {
        Error::Preflight(e)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Journal(e)
    }
}

/// Shorthand.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Adds what was done and on which path to an `io::Result` ([`IoError`]).
pub(crate) trait IoContext<T> {
    /// `action` (`cannot create`) on `path` failed.
    fn at(self, action: &str, path: &std::path::Path) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, action: &str, path: &std::path::Path) -> Result<T> {
        self.map_err(|e| Error::Io(IoError::new(action, Some(path), e)))
    }
}
