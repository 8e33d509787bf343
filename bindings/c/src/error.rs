//! `seedance_result`, its names, and the per-thread last error.

use std::cell::RefCell;
use std::ffi::{c_char, CStr};

use seedance_core::ValidationError;
use seedance_http::{Error, ErrorClass};

/// What a call returned. The numbers are fixed and never reused: a code that is retired
/// keeps its number unused forever. `SEEDANCE_RESULT_OK` is 0; the 1xx (API error codes)
/// and 2xx (client-side outcomes) are the numbers and names of the SDK's one error table
/// (`seedance_http::ErrorClass`, shared with the CLI's exit codes, Python's exceptions,
/// Kotlin's and Swift's errors); misuse of the C API is 3xx.
///
/// After any result other than `SEEDANCE_RESULT_OK` the calling thread's last error
/// (`seedance_last_error_message` and friends) describes it.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum seedance_result {
    /// Success.
    Ok = 0,
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
    /// An API error with a code this version does not know (the code is in the message).
    ApiError = 199,
    /// The request breaks rules of the spec; nothing was sent. Every violation is in the
    /// last error's details (field and message).
    Validation = 201,
    /// The task ended without a result (`failed`); its id is the last error's task id.
    TaskFailed = 202,
    /// A wait gave up before the task ended (the task may still complete: wait again).
    WaitTimeout = 203,
    /// Connection, TLS, timeout or a refused redirect (after retries).
    Network = 204,
    /// The server answered something that is not the documented JSON.
    ResponseInvalid = 205,
    /// A file-system error.
    Io = 206,
    /// The job store (journal) is unusable.
    JobStore = 207,
    /// Cancelled through a `seedance_cancel` token.
    Cancelled = 208,
    /// Bad client settings (plain http to a non-loopback host, a bad variable…).
    Config = 209,
    /// A download failed (status, content type, size).
    Download = 210,
    /// No API key was given (nor `SEEDANCE_API_KEY` set when the environment is read),
    /// or it is blank.
    NoApiKey = 211,
    /// A reference URL failed the preflight check (`seedance_call_options.preflight`);
    /// nothing was sent. The field and the problem are the last error's one detail.
    Preflight = 212,
    /// An argument has a value the call cannot take (malformed JSON, unknown field…).
    InvalidArgument = 301,
    /// A required pointer argument was NULL.
    NullParameter = 302,
    /// A string argument is not valid UTF-8.
    InvalidUtf8 = 303,
    /// The caller's buffer is too small; the text was truncated.
    BufferTooSmall = 304,
    /// A bug: the library panicked. The call had no effect on the caller's memory.
    Panic = 305,
    /// An error this version of the C API cannot classify (the message says what).
    Unknown = 399,
}

impl seedance_result {
    /// Every result, in number order.
    pub const ALL: &'static [seedance_result] = &[
        seedance_result::Ok,
        seedance_result::Unauthorized,
        seedance_result::InvalidRequest,
        seedance_result::InsufficientCredits,
        seedance_result::RateLimited,
        seedance_result::IdempotencyConflict,
        seedance_result::ServiceBusy,
        seedance_result::NotFound,
        seedance_result::InternalError,
        seedance_result::ApiError,
        seedance_result::Validation,
        seedance_result::TaskFailed,
        seedance_result::WaitTimeout,
        seedance_result::Network,
        seedance_result::ResponseInvalid,
        seedance_result::Io,
        seedance_result::JobStore,
        seedance_result::Cancelled,
        seedance_result::Config,
        seedance_result::Download,
        seedance_result::NoApiKey,
        seedance_result::Preflight,
        seedance_result::InvalidArgument,
        seedance_result::NullParameter,
        seedance_result::InvalidUtf8,
        seedance_result::BufferTooSmall,
        seedance_result::Panic,
        seedance_result::Unknown,
    ];

    /// The name as in the header (`SEEDANCE_RESULT_TASK_FAILED`), NUL-terminated.
    pub fn name(self) -> &'static CStr {
        match self {
            seedance_result::Ok => c"SEEDANCE_RESULT_OK",
            seedance_result::Unauthorized => c"SEEDANCE_RESULT_UNAUTHORIZED",
            seedance_result::InvalidRequest => c"SEEDANCE_RESULT_INVALID_REQUEST",
            seedance_result::InsufficientCredits => c"SEEDANCE_RESULT_INSUFFICIENT_CREDITS",
            seedance_result::RateLimited => c"SEEDANCE_RESULT_RATE_LIMITED",
            seedance_result::IdempotencyConflict => c"SEEDANCE_RESULT_IDEMPOTENCY_CONFLICT",
            seedance_result::ServiceBusy => c"SEEDANCE_RESULT_SERVICE_BUSY",
            seedance_result::NotFound => c"SEEDANCE_RESULT_NOT_FOUND",
            seedance_result::InternalError => c"SEEDANCE_RESULT_INTERNAL_ERROR",
            seedance_result::ApiError => c"SEEDANCE_RESULT_API_ERROR",
            seedance_result::Validation => c"SEEDANCE_RESULT_VALIDATION",
            seedance_result::TaskFailed => c"SEEDANCE_RESULT_TASK_FAILED",
            seedance_result::WaitTimeout => c"SEEDANCE_RESULT_WAIT_TIMEOUT",
            seedance_result::Network => c"SEEDANCE_RESULT_NETWORK",
            seedance_result::ResponseInvalid => c"SEEDANCE_RESULT_RESPONSE_INVALID",
            seedance_result::Io => c"SEEDANCE_RESULT_IO",
            seedance_result::JobStore => c"SEEDANCE_RESULT_JOB_STORE",
            seedance_result::Cancelled => c"SEEDANCE_RESULT_CANCELLED",
            seedance_result::Config => c"SEEDANCE_RESULT_CONFIG",
            seedance_result::Download => c"SEEDANCE_RESULT_DOWNLOAD",
            seedance_result::NoApiKey => c"SEEDANCE_RESULT_NO_API_KEY",
            seedance_result::Preflight => c"SEEDANCE_RESULT_PREFLIGHT",
            seedance_result::InvalidArgument => c"SEEDANCE_RESULT_INVALID_ARGUMENT",
            seedance_result::NullParameter => c"SEEDANCE_RESULT_NULL_PARAMETER",
            seedance_result::InvalidUtf8 => c"SEEDANCE_RESULT_INVALID_UTF8",
            seedance_result::BufferTooSmall => c"SEEDANCE_RESULT_BUFFER_TOO_SMALL",
            seedance_result::Panic => c"SEEDANCE_RESULT_PANIC",
            seedance_result::Unknown => c"SEEDANCE_RESULT_UNKNOWN",
        }
    }

    /// The result of an error class: the same number and name.
    pub fn for_class(class: ErrorClass) -> seedance_result {
        from_class(class)
    }

    /// The result for a client error: the result of its class ([`Error::class`]).
    pub fn for_error(e: &Error) -> seedance_result {
        seedance_result::for_class(e.class())
    }

    /// The error class of this result (`None` for `OK` and the 3xx codes of the C API).
    pub fn class(self) -> Option<ErrorClass> {
        ErrorClass::from_number(self as u32)
    }
}

/// Pairs every result of the 1xx/2xx ranges with its `ErrorClass` variant (same
/// identifier): `from_class` and a compile-time check that the numbers agree. The
/// numbers are written out in the enum because cbindgen reads literals only.
macro_rules! classes {
    ($($v:ident),+ $(,)?) => {
        fn from_class(class: ErrorClass) -> seedance_result {
            match class {
                $(ErrorClass::$v => seedance_result::$v,)+
                // a class newer than this table (ErrorClass is non_exhaustive); the
                // test `every_error_class_has_its_result` fails first
                _ => seedance_result::Unknown,
            }
        }
        const _: () = {
            $(assert!(
                seedance_result::$v as u32 == ErrorClass::$v as u32,
                concat!("seedance_result::", stringify!($v), " has another number than its ErrorClass")
            );)+
        };
    };
}

classes! {
    Unauthorized,
    InvalidRequest,
    InsufficientCredits,
    RateLimited,
    IdempotencyConflict,
    ServiceBusy,
    NotFound,
    InternalError,
    ApiError,
    Validation,
    TaskFailed,
    WaitTimeout,
    Network,
    ResponseInvalid,
    Io,
    JobStore,
    Cancelled,
    Config,
    Download,
    NoApiKey,
    Preflight,
}

/// One detail of the last error: a violated field and what is wrong with it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Detail {
    pub(crate) field: String,
    pub(crate) message: String,
}

/// The last error of this thread.
#[derive(Clone, Debug)]
pub(crate) struct LastError {
    pub(crate) result: seedance_result,
    pub(crate) message: String,
    pub(crate) details: Vec<Detail>,
    pub(crate) task_id: Option<String>,
    pub(crate) http_status: u16,
    /// The finer kind of a transport, download or job store error
    /// ([`Error::detail_kind`]: `connect`, `too_large`, `database`…).
    pub(crate) kind: Option<&'static str>,
}

impl LastError {
    /// An error with a message and nothing else.
    pub(crate) fn new(result: seedance_result, message: impl Into<String>) -> LastError {
        LastError {
            result,
            message: message.into(),
            details: Vec::new(),
            task_id: None,
            http_status: 0,
            kind: None,
        }
    }

    /// With the violations of a validation error as details.
    pub(crate) fn validation(v: &ValidationError) -> LastError {
        let mut e = LastError::new(seedance_result::Validation, v.to_string());
        e.details = v
            .violations()
            .iter()
            .map(|x| Detail {
                field: x.field.clone(),
                message: x.message.clone(),
            })
            .collect();
        e
    }

    /// From a client error; `redact` scrubs the key from every text.
    pub(crate) fn from_http(err: &Error, redact: &dyn Fn(&str) -> String) -> LastError {
        let result = seedance_result::for_error(err);
        let mut e = match err {
            Error::Validation(v) => LastError::validation(v),
            // said in the C API's own words
            Error::NoApiKey => LastError::new(
                result,
                "no API key: set seedance_client_options.api_key, or SEEDANCE_API_KEY \
                 (read by seedance_client_from_env, or with options.read_env)",
            ),
            _ => LastError::new(result, err.to_string()),
        };
        match err {
            Error::Preflight(p) => e.details.push(Detail {
                field: p.field().to_owned(),
                message: p.problem().to_owned(),
            }),
            Error::TaskFailed { task_id, .. } | Error::WaitTimeout { task_id, .. } => {
                e.task_id = Some(task_id.to_string());
            }
            _ => {}
        }
        e.http_status = err.status().unwrap_or(0);
        e.kind = err.detail_kind();
        e.message = redact(&e.message);
        for d in &mut e.details {
            d.message = redact(&d.message);
        }
        e
    }
}

thread_local! {
    static LAST: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

/// Records `e` as this thread's last error and returns its result.
pub(crate) fn fail(e: LastError) -> seedance_result {
    let r = e.result;
    LAST.with(|l| *l.borrow_mut() = Some(e));
    r
}

/// Records a plain error.
pub(crate) fn fail_with(result: seedance_result, message: impl Into<String>) -> seedance_result {
    fail(LastError::new(result, message))
}

/// Clears this thread's last error (at the start of every call that returns a result).
pub(crate) fn clear() {
    // (`try_with`: never panics, even while the thread is being torn down)
    let _ = LAST.try_with(|l| l.borrow_mut().take());
}

pub(crate) fn with_last<T>(f: impl FnOnce(Option<&LastError>) -> T) -> T {
    LAST.with(|l| f(l.borrow().as_ref()))
}

/// Copies `text` into the caller's buffer `buf` of `len` bytes, NUL-terminated. On
/// success `*written` is the number of bytes copied (without the NUL). When it does not
/// fit, the longest prefix that fits (cut on a character boundary) is copied and
/// `SEEDANCE_RESULT_BUFFER_TOO_SMALL` is returned with `*written` set to the length
/// needed (without the NUL): `buf` NULL with `len` 0 asks for that length.
pub(crate) fn copy_out(
    text: &str,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> seedance_result {
    let needed = text.len();
    let fits = needed < len;
    let mut n = if fits { needed } else { len.saturating_sub(1) };
    while n > 0 && !text.is_char_boundary(n) {
        n -= 1;
    }
    if len > 0 {
        if buf.is_null() {
            return fail_with(
                seedance_result::NullParameter,
                "buf is NULL but len is not 0",
            );
        }
        // SAFETY: the caller gives `len` writable bytes at `buf`; n < len.
        unsafe {
            std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), n);
            *buf.add(n) = 0;
        }
    }
    if !written.is_null() {
        // SAFETY: non-NULL out-pointer from the caller.
        unsafe { *written = if fits { n } else { needed } };
    }
    if fits {
        seedance_result::Ok
    } else {
        seedance_result::BufferTooSmall
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seedance_core::ErrorCode;

    /// The numbers are part of the ABI: this table may only grow.
    #[test]
    fn numbers_are_fixed() {
        let pinned: &[(seedance_result, u32)] = &[
            (seedance_result::Ok, 0),
            (seedance_result::Unauthorized, 101),
            (seedance_result::InvalidRequest, 102),
            (seedance_result::InsufficientCredits, 103),
            (seedance_result::RateLimited, 104),
            (seedance_result::IdempotencyConflict, 105),
            (seedance_result::ServiceBusy, 106),
            (seedance_result::NotFound, 107),
            (seedance_result::InternalError, 108),
            (seedance_result::ApiError, 199),
            (seedance_result::Validation, 201),
            (seedance_result::TaskFailed, 202),
            (seedance_result::WaitTimeout, 203),
            (seedance_result::Network, 204),
            (seedance_result::ResponseInvalid, 205),
            (seedance_result::Io, 206),
            (seedance_result::JobStore, 207),
            (seedance_result::Cancelled, 208),
            (seedance_result::Config, 209),
            (seedance_result::Download, 210),
            (seedance_result::NoApiKey, 211),
            (seedance_result::Preflight, 212),
            (seedance_result::InvalidArgument, 301),
            (seedance_result::NullParameter, 302),
            (seedance_result::InvalidUtf8, 303),
            (seedance_result::BufferTooSmall, 304),
            (seedance_result::Panic, 305),
            (seedance_result::Unknown, 399),
        ];
        assert_eq!(pinned.len(), seedance_result::ALL.len());
        for (r, n) in pinned {
            assert_eq!(*r as u32, *n, "{r:?}");
            assert!(seedance_result::ALL.contains(r));
        }
    }

    /// The 1xx/2xx results are `ErrorClass`: every class has the result of the same
    /// number and name, and every such result is a class.
    #[test]
    fn every_error_class_has_its_result() {
        for class in ErrorClass::ALL {
            let r = seedance_result::for_class(*class);
            assert_eq!(r as u32, class.number(), "{class:?}");
            assert_eq!(
                r.name().to_str().unwrap_or_default(),
                format!("SEEDANCE_RESULT_{}", class.name().to_ascii_uppercase()),
            );
            assert_eq!(r.class(), Some(*class));
        }
        for r in seedance_result::ALL {
            let n = *r as u32;
            if (100..300).contains(&n) {
                assert!(
                    ErrorClass::from_number(n).is_some(),
                    "{r:?} is no ErrorClass"
                );
            } else {
                assert_eq!(r.class(), None, "{r:?}");
            }
        }
    }

    /// `for_error` is the class of the error, for one error of every kind.
    #[test]
    fn for_error_follows_error_class() {
        use seedance_core::{ApiError, TaskId};
        let errors = [
            Error::NoApiKey,
            Error::Config(seedance_http::ConfigError::InsecureBaseUrl {
                url: "http://api.example.com".into(),
            }),
            Error::Preflight(seedance_http::PreflightError::new(
                seedance_http::PreflightErrorKind::Status,
                "image_url",
                "404",
            )),
            Error::Journal(seedance_http::StoreError::new(
                seedance_http::StoreErrorKind::Database,
                "locked",
            )),
            Error::Cancelled,
            Error::Transport(seedance_http::TransportError::new(
                seedance_http::TransportErrorKind::Connect,
                "reset",
            )),
            Error::Download(seedance_http::DownloadError::new(
                seedance_http::DownloadErrorKind::TooLarge,
                "size",
            )),
            Error::Io(seedance_http::IoError::new(
                "cannot write",
                None,
                std::io::Error::other("disk"),
            )),
            Error::WaitTimeout {
                task_id: TaskId::from("sd2_x"),
                waited: std::time::Duration::from_secs(1),
            },
            Error::Api {
                status: 402,
                error: ApiError::new(ErrorCode::InsufficientCredits, "top up"),
                retry_after: None,
            },
            Error::Api {
                status: 418,
                error: ApiError::new(ErrorCode::from("teapot"), "?"),
                retry_after: None,
            },
        ];
        for e in &errors {
            assert_eq!(
                seedance_result::for_error(e) as u32,
                e.class().number(),
                "{e:?}"
            );
        }
        assert_eq!(
            seedance_result::for_error(&Error::NoApiKey),
            seedance_result::NoApiKey
        );
        for code in ErrorCode::ALL {
            let class = ErrorClass::for_api_code(code);
            assert_ne!(seedance_result::for_class(class), seedance_result::ApiError);
        }
    }

    /// The last error keeps the finer kind of the error as `Error::detail_kind` names it,
    /// and none for the errors without one.
    #[test]
    fn from_http_keeps_the_finer_kind() {
        use seedance_core::ApiError;
        let keep = |t: &str| t.to_owned();
        let cases = [
            (
                Error::Transport(seedance_http::TransportError::new(
                    seedance_http::TransportErrorKind::Connect,
                    "refused",
                )),
                Some("connect"),
            ),
            (
                Error::Download(seedance_http::DownloadError::new(
                    seedance_http::DownloadErrorKind::TooLarge,
                    "size",
                )),
                Some("too_large"),
            ),
            (
                Error::Journal(seedance_http::StoreError::new(
                    seedance_http::StoreErrorKind::Database,
                    "locked",
                )),
                Some("database"),
            ),
            (
                Error::Preflight(seedance_http::PreflightError::new(
                    seedance_http::PreflightErrorKind::Unreachable,
                    "image_url",
                    "not reachable",
                )),
                Some("unreachable"),
            ),
            (Error::NoApiKey, None),
            (
                Error::Api {
                    status: 404,
                    error: ApiError::new(ErrorCode::NotFound, "no such task"),
                    retry_after: None,
                },
                None,
            ),
        ];
        for (e, want) in &cases {
            let last = LastError::from_http(e, &keep);
            assert_eq!(last.kind, *want, "{e:?}");
            assert_eq!(last.kind, e.detail_kind(), "{e:?}");
        }
        assert_eq!(LastError::new(seedance_result::Panic, "bug").kind, None);
    }

    #[test]
    fn names_follow_the_variants() {
        for r in seedance_result::ALL {
            let name = r.name().to_str().unwrap_or_default().to_owned();
            let variant: String = format!("{r:?}")
                .chars()
                .flat_map(|c| {
                    if c.is_ascii_uppercase() {
                        vec!['_', c]
                    } else {
                        vec![c.to_ascii_uppercase()]
                    }
                })
                .collect();
            assert_eq!(name, format!("SEEDANCE_RESULT{variant}"));
        }
    }

    #[test]
    fn copy_out_truncates_on_a_char_boundary() {
        let mut buf = [0x7f as c_char; 4];
        let mut n = 0usize;
        assert_eq!(
            copy_out("aé€", buf.as_mut_ptr(), buf.len(), &mut n),
            seedance_result::BufferTooSmall
        );
        assert_eq!(n, 6);
        // SAFETY: NUL-terminated by copy_out.
        let s = unsafe { CStr::from_ptr(buf.as_ptr()) };
        assert_eq!(s.to_str().ok(), Some("aé"));
        assert_eq!(
            copy_out("ab", buf.as_mut_ptr(), buf.len(), &mut n),
            seedance_result::Ok
        );
        assert_eq!(n, 2);
        assert_eq!(
            copy_out("abc", std::ptr::null_mut(), 0, &mut n),
            seedance_result::BufferTooSmall
        );
        assert_eq!(n, 3);
    }
}
