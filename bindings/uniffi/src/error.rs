//! `SeedanceError`: every failure, as a Kotlin sealed `SeedanceException` hierarchy and a
//! Swift `enum SeedanceError: Error`. One variant per kind of `seedance_http::ErrorKind`
//! family; the API key never appears in a message.

use std::time::Duration;

use seedance_http as http;

use crate::types::Violation;

/// Everything a call can fail with.
///
/// ```
/// use seedance_uniffi::SeedanceError;
/// let e = SeedanceError::from_http(seedance_http::Error::Config("no API key".into()), None);
/// assert!(matches!(e, SeedanceError::Configuration { .. }));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error, uniffi::Error)]
#[non_exhaustive]
pub enum SeedanceError {
    /// The API answered with an error (after any retries).
    #[error("API error {code} (HTTP {status}): {detail}")]
    Api {
        /// The error code (`unauthorized`, `insufficient_credits`, … or a new one).
        code: String,
        /// The HTTP status.
        status: u16,
        /// The server's message.
        detail: String,
        /// `Retry-After`, when the server sent one.
        retry_after: Option<Duration>,
    },
    /// The request breaks rules of the spec; nothing was sent.
    #[error("{detail}")]
    Validation {
        /// Every broken rule.
        violations: Vec<Violation>,
        /// All of them in one text.
        detail: String,
    },
    /// The task ended without a result.
    #[error("task {task_id} failed: {code}: {detail} ({credits_refunded} credits refunded)")]
    TaskFailed {
        /// The task.
        task_id: String,
        /// The task's error code.
        code: String,
        /// The task's error message.
        detail: String,
        /// Credits given back.
        credits_refunded: u64,
    },
    /// The wait gave up before the task ended (it may still complete: wait again).
    #[error("task {task_id} did not finish within {waited:?}")]
    WaitTimeout {
        /// The task.
        task_id: String,
        /// How long the wait lasted.
        waited: Duration,
    },
    /// Connection, TLS, timeout, an undecodable answer or a failed download.
    #[error("network: {detail}")]
    Network {
        /// What happened.
        detail: String,
        /// The HTTP status, when there was an answer.
        status: Option<u16>,
    },
    /// Cancelled through a `CancelToken`, `Client.cancelAll()`, or the caller's task.
    #[error("cancelled")]
    Cancelled,
    /// The job store (journal) is unusable or a job cannot be resumed.
    #[error("job store: {detail}")]
    JobStore {
        /// What is wrong.
        detail: String,
    },
    /// A local file-system error (download target, job store file).
    #[error("I/O: {detail}")]
    Io {
        /// What happened.
        detail: String,
    },
    /// Bad client settings (no key, plain http to a non-loopback host, …).
    #[error("configuration: {detail}")]
    Configuration {
        /// What is wrong.
        detail: String,
    },
    /// The director prompt cannot be rendered (empty, mixed references, bad timing).
    #[error("prompt: {detail}")]
    Prompt {
        /// What is wrong.
        detail: String,
    },
}

impl SeedanceError {
    /// The glue's view of a client error; `key` (when known) is scrubbed from every text.
    pub fn from_http(e: http::Error, key: Option<&http::ApiKey>) -> SeedanceError {
        let scrub = |s: String| match key {
            Some(k) => k.redact(&s),
            None => s,
        };
        match e {
            http::Error::Validation(v) => SeedanceError::Validation {
                detail: scrub(v.to_string()),
                violations: v.violations().iter().map(Violation::from).collect(),
            },
            http::Error::Api {
                status,
                error,
                retry_after,
            } => SeedanceError::Api {
                code: error.code.as_str().to_owned(),
                status,
                detail: scrub(error.message),
                retry_after,
            },
            http::Error::TaskFailed {
                task_id,
                code,
                message,
                credits_refunded,
            } => SeedanceError::TaskFailed {
                task_id: task_id.as_str().to_owned(),
                code: code.as_str().to_owned(),
                detail: scrub(message),
                credits_refunded,
            },
            http::Error::WaitTimeout { task_id, waited } => SeedanceError::WaitTimeout {
                task_id: task_id.as_str().to_owned(),
                waited,
            },
            http::Error::Preflight { field, problem } => SeedanceError::Validation {
                detail: scrub(format!("{field}: {problem}")),
                violations: vec![Violation {
                    field,
                    rule: "preflight".to_owned(),
                    message: scrub(problem),
                }],
            },
            http::Error::Cancelled => SeedanceError::Cancelled,
            http::Error::Journal(s) => SeedanceError::JobStore { detail: scrub(s) },
            http::Error::Config(s) => SeedanceError::Configuration { detail: scrub(s) },
            e @ http::Error::NoApiKey => SeedanceError::Configuration {
                detail: e.to_string(),
            },
            http::Error::Io(e) => SeedanceError::Io {
                detail: scrub(e.to_string()),
            },
            e @ http::Error::Decode { .. } => SeedanceError::Network {
                status: e.status(),
                detail: scrub(e.to_string()),
            },
            other => SeedanceError::Network {
                status: other.status(),
                detail: scrub(other.to_string()),
            },
        }
    }
}

impl From<seedance_core::PromptError> for SeedanceError {
    fn from(e: seedance_core::PromptError) -> Self {
        match e {
            seedance_core::PromptError::Invalid(v) => {
                SeedanceError::from_http(http::Error::Validation(v), None)
            }
            other => SeedanceError::Prompt {
                detail: other.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_scrubbed_from_messages() {
        let key = http::ApiKey::new("sk_live_topsecret");
        let e = SeedanceError::from_http(
            http::Error::Transport("proxy said sk_live_topsecret".into()),
            Some(&key),
        );
        assert!(!e.to_string().contains("topsecret"), "{e}");
        assert!(matches!(e, SeedanceError::Network { .. }));
    }

    #[test]
    fn kinds_map_to_variants() {
        let e = SeedanceError::from_http(http::Error::NoApiKey, None);
        assert!(matches!(e, SeedanceError::Configuration { .. }), "{e}");
        let e = SeedanceError::from_http(http::Error::Journal("locked".into()), None);
        assert!(matches!(e, SeedanceError::JobStore { .. }));
        assert_eq!(
            SeedanceError::from_http(http::Error::Cancelled, None),
            SeedanceError::Cancelled
        );
    }
}
