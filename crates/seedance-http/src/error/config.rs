//! [`ConfigError`]: settings or arguments refused before anything was sent.

use std::time::Duration;

use super::source::{as_source, Source};

/// Bad client settings or arguments; nothing was sent. Never holds the API key.
///
/// ```
/// use seedance_http::{Client, ConfigError, Error};
/// let e = Client::builder().no_env().api_key("sk_test_x").base_url("http://api.example.com").build().unwrap_err();
/// assert!(matches!(&e, Error::Config(ConfigError::InsecureBaseUrl { .. })), "{e}");
/// assert!(e.to_string().contains("plain http"));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// A base URL with plain http to a host that is not loopback: the key would travel in
    /// clear text.
    InsecureBaseUrl {
        /// The URL as given (a URL with user-info is refused without being shown).
        url: String,
    },
    /// A base URL that is not usable for another reason.
    InvalidBaseUrl {
        /// The URL as given (`[redacted]` for one with user-info).
        url: String,
        /// What is wrong with it (`does not parse (…)`, `has no host`…).
        problem: String,
    },
    /// An environment variable with a value that does not parse.
    InvalidVariable {
        /// The variable (`SEEDANCE_TIMEOUT`).
        name: String,
        /// Its value (user-info of a URL redacted).
        value: String,
        /// What is wrong with it (`"soon" is not a duration…`).
        problem: String,
    },
    /// A duration setting longer than the largest allowed.
    DurationTooLong {
        /// The setting (`timeout`, `wait timeout`…).
        setting: String,
        /// The value given.
        value: Duration,
        /// The largest allowed.
        max: Duration,
    },
    /// The API key has spaces or control characters.
    InvalidApiKey,
    /// A header value that HTTP refuses (the value is not shown: it may be the key).
    InvalidHeader {
        /// Which setting (`user agent`, `API key`).
        what: &'static str,
    },
    /// An `Idempotency-Key` the spec refuses (Reading R26).
    InvalidIdempotencyKey(seedance_core::rules::InvalidIdempotencyKey),
    /// The idempotency key is already used by another request in the job store.
    IdempotencyKeyInUse {
        /// The key.
        key: String,
        /// The job store's row of the other job.
        job: i64,
        /// That job's state (`completed`, `unreadable`…).
        state: String,
    },
    /// A task id that is not one (Reading R19), refused before anything is sent.
    InvalidTaskId(seedance_core::rules::InvalidTaskId),
    /// The request budget (its machine database or Redis) is unusable.
    Budget {
        /// What failed.
        message: String,
        /// The underlying error.
        source: Option<Source>,
    },
    /// The HTTP client could not be built.
    HttpClient(Source),
    /// The request could not be encoded as JSON.
    Encode(Source),
    /// An operation needs a job store and the client has none.
    NoJobStore(&'static str),
    /// The blocking client's runtime is shut down.
    RuntimeShutDown,
    /// The blocking client was called from inside an async runtime.
    BlockingInAsync,
}

impl ConfigError {
    /// A [`ConfigError::Budget`] from a backend failure.
    pub(crate) fn budget(message: impl Into<String>, source: Option<Source>) -> Self {
        ConfigError::Budget {
            message: message.into(),
            source,
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::InsecureBaseUrl { url } => write!(
                f,
                "base URL {url:?} uses plain http to a non-loopback host: the API key would \
                 travel in clear text (use https, or http only to localhost/127.0.0.1/::1)"
            ),
            ConfigError::InvalidBaseUrl { url, problem } => write!(f, "base URL {url:?} {problem}"),
            ConfigError::InvalidVariable { name, problem, .. } => write!(f, "{name}: {problem}"),
            ConfigError::DurationTooLong {
                setting,
                value,
                max,
            } => write!(
                f,
                "{setting}: {} is longer than the largest allowed, {}",
                humantime::format_duration(*value),
                humantime::format_duration(*max)
            ),
            ConfigError::InvalidApiKey => {
                f.write_str("the API key contains spaces or control characters")
            }
            ConfigError::InvalidHeader { what } => {
                write!(f, "the {what} is not a valid header value")
            }
            ConfigError::InvalidIdempotencyKey(e) => e.fmt(f),
            ConfigError::IdempotencyKeyInUse { key, job, state } => write!(
                f,
                "the idempotency key {key} is already used by job #{job} ({state}) with another \
                 request: nothing was sent (choose another key, or `seedance jobs show {key}`)"
            ),
            ConfigError::InvalidTaskId(e) => e.fmt(f),
            ConfigError::Budget { message, .. } => write!(f, "the request budget: {message}"),
            ConfigError::HttpClient(e) => write!(f, "cannot build the HTTP client: {e}"),
            ConfigError::Encode(e) => write!(f, "cannot encode the request: {e}"),
            ConfigError::NoJobStore(what) => write!(f, "{what} needs a job store"),
            ConfigError::RuntimeShutDown => f.write_str("the runtime is shut down"),
            ConfigError::BlockingInAsync => f.write_str(
                "the blocking client was called from inside an async runtime, where it would \
                 block the runtime's thread: use the async client (`async_client()`) there",
            ),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::InvalidIdempotencyKey(e) => Some(e),
            ConfigError::InvalidTaskId(e) => Some(e),
            ConfigError::Budget { source, .. } => as_source(source.as_ref()),
            ConfigError::HttpClient(e) | ConfigError::Encode(e) => as_source(Some(e)),
            _ => None,
        }
    }
}

impl From<seedance_core::rules::InvalidIdempotencyKey> for ConfigError {
    fn from(e: seedance_core::rules::InvalidIdempotencyKey) -> Self {
        ConfigError::InvalidIdempotencyKey(e)
    }
}

impl From<seedance_core::rules::InvalidTaskId> for ConfigError {
    fn from(e: seedance_core::rules::InvalidTaskId) -> Self {
        ConfigError::InvalidTaskId(e)
    }
}
