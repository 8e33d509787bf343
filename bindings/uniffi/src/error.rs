//! `SeedanceError`: every failure, as a Kotlin sealed `SeedanceException` hierarchy and a
//! Swift `enum SeedanceError: Error`, derived from the SDK's one error table
//! (`seedance_http::ErrorClass`): every class goes to one variant (the API's classes to
//! `Api`, with the code). The API key never appears in a message.

use std::time::Duration;

use seedance_http as http;

use seedance_core as core;

/// Everything a call can fail with.
///
/// ```
/// use seedance_uniffi::SeedanceError;
/// let e = SeedanceError::from_http(seedance_http::Error::NoApiKey, None);
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
        /// The finer kind, a short stable name: for a connection error `connect`, `dns`,
        /// `tls`, `timeout`, `body`, `body_too_large`, `redirect_refused`,
        /// `too_many_redirects`, `invalid_redirect`, `poller_stopped` or `request`; for a
        /// failed download `no_output`, `url`, `file_name`, `status`, `range`,
        /// `content_type`, `too_large`, `incomplete`, `interrupted` or `deadline` (a later
        /// version may add names); none for an answer that is not the API's.
        kind: Option<String>,
    },
    /// Cancelled through a `CancelToken`, `Client.cancelAll()`, or the caller's task.
    #[error("cancelled")]
    Cancelled,
    /// The job store (journal) is unusable or a job cannot be resumed.
    #[error("job store: {detail}")]
    JobStore {
        /// What is wrong.
        detail: String,
        /// The finer kind, a short stable name: `database`, `unreadable`, `encode` or
        /// `cannot_resume` (a later version may add names).
        kind: Option<String>,
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
    /// An argument this binding cannot take (JSON that is not a request body, an unknown
    /// field…): misuse of the binding, not an error of the SDK's table.
    #[error("invalid argument: {detail}")]
    InvalidArgument {
        /// What is wrong.
        detail: String,
    },
}

/// The variant families of [`SeedanceError`], one per group of [`http::ErrorClass`]es.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    Api,
    Validation,
    TaskFailed,
    WaitTimeout,
    Network,
    Cancelled,
    JobStore,
    Io,
    Configuration,
}

/// Where each class of the SDK's one error table goes, listed class by class (a test
/// walks [`http::ErrorClass::ALL`]: a class added there and not here fails it).
fn family(class: http::ErrorClass) -> Option<Family> {
    use http::ErrorClass as C;
    Some(match class {
        C::Unauthorized
        | C::InvalidRequest
        | C::InsufficientCredits
        | C::RateLimited
        | C::IdempotencyConflict
        | C::ServiceBusy
        | C::NotFound
        | C::InternalError
        | C::ApiError => Family::Api,
        // a preflight refusal is a violation of its field (rule `preflight`), as in Python
        C::Validation | C::Preflight => Family::Validation,
        C::TaskFailed => Family::TaskFailed,
        C::WaitTimeout => Family::WaitTimeout,
        C::Network | C::ResponseInvalid | C::Download => Family::Network,
        C::Cancelled => Family::Cancelled,
        C::JobStore => Family::JobStore,
        C::Io => Family::Io,
        C::Config | C::NoApiKey => Family::Configuration,
        _ => return None,
    })
}

impl SeedanceError {
    /// The glue's view of a client error, by its [`http::ErrorClass`]; `key` (when known)
    /// is scrubbed from every text.
    pub fn from_http(e: http::Error, key: Option<&http::ApiKey>) -> SeedanceError {
        let scrub = |s: String| match key {
            Some(k) => k.redact(&s),
            None => s,
        };
        // a class newer than this crate: its message, as a network error (the test
        // `every_error_class_has_a_variant` keeps this from happening)
        let fam = family(e.class()).unwrap_or(Family::Network);
        match (fam, e) {
            (Family::Validation, http::Error::Validation(v)) => SeedanceError::Validation {
                detail: scrub(v.to_string()),
                violations: v.violations().iter().map(Violation::from).collect(),
            },
            (Family::Validation, http::Error::Preflight(p)) => SeedanceError::Validation {
                detail: scrub(p.to_string()),
                violations: vec![Violation {
                    field: p.field().to_owned(),
                    rule: "preflight".to_owned(),
                    message: scrub(p.problem().to_owned()),
                }],
            },
            (
                Family::Api,
                http::Error::Api {
                    status,
                    error,
                    retry_after,
                },
            ) => SeedanceError::Api {
                code: error.code.as_str().to_owned(),
                status,
                detail: scrub(error.message),
                retry_after,
            },
            (
                Family::TaskFailed,
                http::Error::TaskFailed {
                    task_id,
                    code,
                    message,
                    credits_refunded,
                },
            ) => SeedanceError::TaskFailed {
                task_id: task_id.as_str().to_owned(),
                code: code.as_str().to_owned(),
                detail: scrub(message),
                credits_refunded,
            },
            (Family::WaitTimeout, http::Error::WaitTimeout { task_id, waited }) => {
                SeedanceError::WaitTimeout {
                    task_id: task_id.as_str().to_owned(),
                    waited,
                }
            }
            (Family::Cancelled, _) => SeedanceError::Cancelled,
            (Family::JobStore, e) => SeedanceError::JobStore {
                kind: e.detail_kind().map(str::to_owned),
                detail: scrub(inner_text(&e)),
            },
            (Family::Io, e) => SeedanceError::Io {
                detail: scrub(inner_text(&e)),
            },
            (Family::Configuration, e) => SeedanceError::Configuration {
                detail: scrub(inner_text(&e)),
            },
            (_, e) => SeedanceError::Network {
                status: e.status(),
                kind: e.detail_kind().map(str::to_owned),
                detail: scrub(e.to_string()),
            },
        }
    }
}

/// The message without the prefix the variant already says (`journal: `, `I/O: `,
/// `configuration: `); a missing key in this binding's words.
fn inner_text(e: &http::Error) -> String {
    match e {
        http::Error::Journal(s) => s.to_string(),
        http::Error::Config(c) => c.to_string(),
        http::Error::Io(io) => io.to_string(),
        // in Kotlin's and Swift's words
        http::Error::NoApiKey => {
            "no API key: set ClientSettings.apiKey (or SEEDANCE_API_KEY for Client.fromEnv())"
                .to_owned()
        }
        other => other.to_string(),
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

/// One broken rule: the field, the rule's stable name, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Violation {
    /// The request field (`prompt`, `media_urls[2]`, …).
    pub field: String,
    /// The rule's stable name (`length`, `needs_pro_tier`, …).
    pub rule: String,
    /// What is wrong, naming the value.
    pub message: String,
}

impl From<&core::Violation> for Violation {
    fn from(v: &core::Violation) -> Self {
        Violation {
            field: v.field.clone(),
            rule: v.rule.as_str().to_owned(),
            message: v.message.clone(),
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
            http::Error::Transport(http::TransportError::new(
                http::TransportErrorKind::Request,
                "proxy said sk_live_topsecret",
            )),
            Some(&key),
        );
        assert!(!e.to_string().contains("topsecret"), "{e}");
        assert!(
            matches!(&e, SeedanceError::Network { kind, .. } if kind.as_deref() == Some("request")),
            "{e:?}"
        );
    }

    /// One error of every class of the table, and the variant it must become.
    fn sample(class: http::ErrorClass) -> http::Error {
        use http::ErrorClass as C;
        use seedance_core::{ApiError, ErrorCode, TaskId};
        let api = |code: ErrorCode, status: u16| http::Error::Api {
            status,
            error: ApiError::new(code, "no"),
            retry_after: None,
        };
        match class {
            C::Unauthorized => api(ErrorCode::Unauthorized, 401),
            C::InvalidRequest => api(ErrorCode::InvalidRequest, 400),
            C::InsufficientCredits => api(ErrorCode::InsufficientCredits, 402),
            C::RateLimited => api(ErrorCode::RateLimited, 429),
            C::IdempotencyConflict => api(ErrorCode::IdempotencyConflict, 409),
            C::ServiceBusy => api(ErrorCode::ServiceBusy, 503),
            C::NotFound => api(ErrorCode::NotFound, 404),
            C::InternalError => api(ErrorCode::InternalError, 500),
            C::ApiError => api(ErrorCode::from("brand_new_code"), 418),
            C::Validation => http::Error::Validation(
                seedance_core::VideoRequest::builder("hi")
                    .build_unchecked()
                    .validate()
                    .unwrap_err(),
            ),
            C::TaskFailed => http::Error::TaskFailed {
                task_id: TaskId::from("sd2_f"),
                code: ErrorCode::InternalError,
                message: "boom".into(),
                credits_refunded: 3,
            },
            C::WaitTimeout => http::Error::WaitTimeout {
                task_id: TaskId::from("sd2_w"),
                waited: Duration::from_secs(2),
            },
            C::Network => http::Error::Transport(http::TransportError::new(
                http::TransportErrorKind::Connect,
                "reset",
            )),
            C::ResponseInvalid => http::Error::Decode {
                status: 502,
                snippet: "<html>".into(),
            },
            C::Io => http::Error::Io(http::IoError::new(
                "cannot write",
                Some("/out/x.mp4".as_ref()),
                std::io::Error::other("disk full"),
            )),
            C::JobStore => http::Error::Journal(http::StoreError::new(
                http::StoreErrorKind::Database,
                "locked",
            )),
            C::Cancelled => http::Error::Cancelled,
            C::Config => http::Error::Config(http::ConfigError::InsecureBaseUrl {
                url: "http://api.example.com".into(),
            }),
            C::Download => http::Error::Download(http::DownloadError::new(
                http::DownloadErrorKind::TooLarge,
                "size",
            )),
            C::NoApiKey => http::Error::NoApiKey,
            C::Preflight => http::Error::Preflight(http::PreflightError::new(
                http::PreflightErrorKind::Status,
                "image_url",
                "answered HTTP 404",
            )),
            other => panic!("no sample error for {other:?}: add one, and its variant"),
        }
    }

    fn family_of(e: &SeedanceError) -> Family {
        match e {
            SeedanceError::Api { .. } => Family::Api,
            SeedanceError::Validation { .. } => Family::Validation,
            SeedanceError::TaskFailed { .. } => Family::TaskFailed,
            SeedanceError::WaitTimeout { .. } => Family::WaitTimeout,
            SeedanceError::Network { .. } => Family::Network,
            SeedanceError::Cancelled => Family::Cancelled,
            SeedanceError::JobStore { .. } => Family::JobStore,
            SeedanceError::Io { .. } => Family::Io,
            SeedanceError::Configuration { .. } => Family::Configuration,
            SeedanceError::Prompt { .. } | SeedanceError::InvalidArgument { .. } => {
                panic!("a client error became {e:?}")
            }
        }
    }

    #[test]
    fn every_error_class_has_a_variant() {
        for class in http::ErrorClass::ALL {
            let fam = family(*class).unwrap_or_else(|| panic!("{class:?} has no variant"));
            let e = sample(*class);
            assert_eq!(e.class(), *class, "the sample of {class:?}");
            let status = e.status();
            let detail_kind = e.detail_kind();
            let mine = SeedanceError::from_http(e, None);
            assert_eq!(family_of(&mine), fam, "{class:?} became {mine:?}");
            assert_eq!(fam == Family::Api, class.is_api(), "{class:?}");
            match &mine {
                SeedanceError::Api {
                    code, status: s, ..
                } => {
                    assert_eq!(
                        code,
                        if *class == http::ErrorClass::ApiError {
                            "brand_new_code"
                        } else {
                            class.name()
                        }
                    );
                    assert_eq!(Some(*s), status);
                }
                SeedanceError::Validation { violations, .. } => {
                    assert!(!violations.is_empty(), "{class:?}");
                    let preflight = violations.iter().any(|v| v.rule == "preflight");
                    assert_eq!(preflight, *class == http::ErrorClass::Preflight);
                }
                SeedanceError::Network {
                    status: s, kind, ..
                } => {
                    assert_eq!(*s, status);
                    assert_eq!(kind.as_deref(), detail_kind, "{class:?}");
                    // the samples: a refused connection, a file too large, an HTML page
                    let want = match class {
                        http::ErrorClass::Network => Some("connect"),
                        http::ErrorClass::Download => Some("too_large"),
                        _ => None,
                    };
                    assert_eq!(kind.as_deref(), want, "{class:?}");
                }
                SeedanceError::JobStore { kind, .. } => {
                    assert_eq!(kind.as_deref(), detail_kind);
                    assert_eq!(kind.as_deref(), Some("database"));
                }
                _ => {}
            }
        }
    }

    #[test]
    fn kinds_map_to_variants() {
        let e = SeedanceError::from_http(http::Error::NoApiKey, None);
        assert!(matches!(e, SeedanceError::Configuration { .. }), "{e}");
        let e = SeedanceError::from_http(
            http::Error::Journal(http::StoreError::new(
                http::StoreErrorKind::Database,
                "locked",
            )),
            None,
        );
        assert!(
            matches!(&e, SeedanceError::JobStore { kind, detail } if kind.as_deref() == Some("database") && detail == "locked"),
            "{e:?}"
        );
        // the Display strings stay as they were: the kind is a field, not text
        assert_eq!(e.to_string(), "job store: locked");
        let e = SeedanceError::from_http(
            http::Error::Transport(http::TransportError::new(
                http::TransportErrorKind::Timeout,
                "no answer",
            )),
            None,
        );
        assert!(
            matches!(&e, SeedanceError::Network { kind, status: None, .. } if kind.as_deref() == Some("timeout")),
            "{e:?}"
        );
        let e = SeedanceError::from_http(
            http::Error::Decode {
                status: 502,
                snippet: "<html>".into(),
            },
            None,
        );
        assert!(
            matches!(
                &e,
                SeedanceError::Network {
                    kind: None,
                    status: Some(502),
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(
            SeedanceError::from_http(http::Error::Cancelled, None),
            SeedanceError::Cancelled
        );
    }
}
