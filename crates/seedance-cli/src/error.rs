//! What can go wrong, and the exit code each maps to (documented in `--help` and the README).

use std::fmt;

use seedance_core::{ValidationError, Violation};
use serde_json::{json, Value};

/// The process exit codes. Stable: scripts and agents branch on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: success (the process exits with `ExitCode::SUCCESS`; listed for the table).
    #[allow(dead_code)]
    Ok = 0,
    /// 1: a local problem (file system, journal, emulator could not start).
    Local = 1,
    /// 2: usage or validation error; nothing was sent.
    Usage = 2,
    /// 3: the API refused the request or could not be reached.
    Api = 3,
    /// 4: the task failed.
    TaskFailed = 4,
    /// 5: timed out waiting, or the task has not finished yet.
    TimedOut = 5,
    /// 130: interrupted (Ctrl-C); the job stays in the journal.
    Interrupted = 130,
}

impl Exit {
    /// The numeric code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The exit code of a client error, read from the one table of error classes
    /// ([`seedance_http::ErrorClass::exit_code`]).
    pub fn for_class(class: seedance_http::ErrorClass) -> Exit {
        match class.exit_code() {
            0 => Exit::Ok,
            2 => Exit::Usage,
            3 => Exit::Api,
            4 => Exit::TaskFailed,
            5 => Exit::TimedOut,
            130 => Exit::Interrupted,
            _ => Exit::Local,
        }
    }
}

/// An error of a command: the exit code, a stable kind, a message, and details for `--json`.
#[derive(Debug, thiserror::Error)]
pub struct CliError {
    /// Exit code.
    pub exit: Exit,
    /// Stable machine-readable kind (`validation`, `api`, `task_failed`, `timeout`, …).
    pub kind: &'static str,
    /// Human message (never contains the API key).
    pub message: String,
    /// Extra JSON fields for `--json` (`violations`, `task_id`, `code`, …).
    pub details: serde_json::Map<String, Value>,
    /// The result was already printed as JSON: print nothing more with `--json`.
    pub silent: bool,
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl CliError {
    /// A new error.
    pub fn new(exit: Exit, kind: &'static str, message: impl Into<String>) -> Self {
        CliError {
            exit,
            kind,
            message: message.into(),
            details: serde_json::Map::new(),
            silent: false,
        }
    }

    /// Marks the error as already reported in the JSON result.
    pub fn silent(mut self) -> Self {
        self.silent = true;
        self
    }

    /// Usage error (exit 2; nothing sent).
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, "usage", message)
    }

    /// Local error (exit 1).
    pub fn local(message: impl Into<String>) -> Self {
        Self::new(Exit::Local, "local", message)
    }

    /// Adds a JSON detail.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_owned(), value.into());
        self
    }

    /// The error as the JSON printed by `--json`.
    pub fn to_json(&self) -> Value {
        let mut err = serde_json::Map::new();
        err.insert("kind".into(), json!(self.kind));
        err.insert("message".into(), json!(self.message));
        err.insert("exit_code".into(), json!(self.exit.code()));
        for (k, v) in &self.details {
            err.insert(k.clone(), v.clone());
        }
        json!({ "error": err })
    }
}

/// JSON of one violation.
pub fn violation_json(v: &Violation) -> Value {
    json!({ "field": v.field, "rule": v.rule.as_str(), "message": v.message })
}

impl From<ValidationError> for CliError {
    fn from(e: ValidationError) -> Self {
        let violations: Vec<Value> = e.violations().iter().map(violation_json).collect();
        let mut msg = String::from("invalid request (nothing was sent):");
        for v in e.violations() {
            msg.push_str("\n  ");
            msg.push_str(&v.to_string());
        }
        CliError::new(Exit::Usage, "validation", msg).with("violations", violations)
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::local(e.to_string())
    }
}

/// Maps a client error to its exit code: validation, configuration and preflight → 2
/// (nothing was sent); API, transport, decode and download → 3; task failed → 4; wait
/// timeout → 5; file system and journal → 1.
pub fn from_http(e: seedance_http::Error) -> CliError {
    use seedance_http::Error as E;
    let kind = e.kind().as_str();
    let exit = Exit::for_class(e.class());
    match e {
        E::Validation(v) => v.into(),
        E::Api {
            status,
            error,
            retry_after,
        } => {
            let mut err = CliError::new(
                exit,
                "api",
                format!("the API answered HTTP {status}: {}: {}{}", error.code, error.message, hint(&error.code)),
            )
            .with("status", status)
            .with("code", error.code.to_string())
            .with("api_message", error.message.clone());
            if let Some(r) = retry_after {
                err = err.with("retry_after_secs", r.as_secs_f64());
            }
            err
        }
        E::TaskFailed {
            task_id,
            code,
            message,
            credits_refunded,
        } => CliError::new(
            exit,
            "task_failed",
            // The refund once: the API's message often says it already.
            if message.to_ascii_lowercase().contains("refund") {
                format!("task {task_id} failed: {code}: {message}")
            } else {
                format!("task {task_id} failed: {code}: {message} ({credits_refunded} credits refunded)")
            },
        )
        .with("task_id", task_id.to_string())
        .with("code", code.to_string())
        .with("api_message", message)
        .with("credits_refunded", credits_refunded),
        E::WaitTimeout { task_id, waited } => CliError::new(
            exit,
            "wait_timeout",
            format!(
                "task {task_id} did not finish within {}; it may still complete: `seedance wait {task_id}` or `seedance resume` (no second charge)",
                crate::ui::human_duration(waited)
            ),
        )
        .with("task_id", task_id.to_string())
        .with("waited_secs", waited.as_secs_f64()),
        E::Preflight(p) => CliError::new(exit, "preflight", format!("{p} (nothing was sent)"))
            .with("field", p.field())
            .with("preflight_kind", p.kind().as_str()),
        E::Config(c) => CliError::new(exit, "config", c.to_string()),
        E::NoApiKey => CliError::new(
            exit,
            "config",
            "no API key: set SEEDANCE_API_KEY (or pass --api-key). To try the CLI without a \
             key or network: `seedance demo`",
        ),
        E::Cancelled => CliError::new(exit, "interrupted", "cancelled"),
        E::Transport(t) => CliError::new(exit, kind, short_transport(&t))
            .with("transport_kind", t.kind().as_str())
            .with("detail", chain(&t)),
        other => CliError::new(exit, kind, other.to_string()),
    }
}

/// What to do about an API error, appended to its message.
fn hint(code: &seedance_core::ErrorCode) -> String {
    use seedance_core::ErrorCode as C;
    match code {
        C::Unauthorized => " (check SEEDANCE_API_KEY)".to_owned(),
        C::InsufficientCredits => " (top up on the provider's pricing page, then retry)".to_owned(),
        C::RateLimited => format!(
            " (the account's budget of {} is spent, maybe by another process)",
            crate::ui::api_rate()
        ),
        _ => String::new(),
    }
}

/// What to do about a network failure, appended to its message.
pub const NETWORK_HINT: &str = "check SEEDANCE_BASE_URL / your network";

/// A transport error for people: where, and the root cause, plus what to check (the full
/// chain, reqwest's and hyper's words, stays in `--json`'s `detail` and `-v` logs). Read
/// from the error's kind and origin, never from its text.
pub fn short_transport(t: &seedance_http::TransportError) -> String {
    use seedance_http::TransportErrorKind as K;
    let cause = {
        let d = t.detail().trim();
        // "Connection refused (os error 111)" → "connection refused"
        let d = d.find(" (os error").map_or(d, |i| &d[..i]);
        let mut chars = d.chars();
        chars.next().map_or_else(String::new, |f| {
            f.to_lowercase().collect::<String>() + chars.as_str()
        })
    };
    let short = match (t.kind(), t.origin()) {
        (K::Timeout, Some(o)) => format!("{o} did not answer in time (--timeout)"),
        (K::Connect | K::Dns | K::Tls, Some(o)) if cause.is_empty() => {
            format!("cannot connect to {o}")
        }
        (K::Connect | K::Dns | K::Tls, Some(o)) => format!("cannot connect to {o}: {cause}"),
        _ => t.without_note(),
    };
    // What the client adds (the submit may be charged, the job is kept, how to finish
    // it) is said whole, after the short form.
    match t.note() {
        Some(n) => format!("{short} ({NETWORK_HINT}) — {n}"),
        None => format!("{short} ({NETWORK_HINT})"),
    }
}

/// An error and its sources, joined by `: ` (what `-v` and `--json` show).
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        let t = c.to_string();
        if !s.ends_with(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_errors_read_short_with_a_hint() {
        use seedance_http::{TransportError, TransportErrorKind as K};
        let refused = TransportError::new(K::Connect, "Connection refused (os error 111)")
            .with_url_str("http://127.0.0.1:9/api/v1/tasks/sd2_x");
        assert_eq!(
            short_transport(&refused),
            "cannot connect to http://127.0.0.1:9: connection refused (check SEEDANCE_BASE_URL / your network)"
        );
        let slow = TransportError::new(K::Timeout, "").with_url_str("https://x.io/a");
        let s = short_transport(&slow);
        assert!(s.starts_with("https://x.io did not answer in time"), "{s}");
        let charged = TransportError::new(K::Timeout, "")
            .with_url_str("https://x.io/a")
            .with_note(" — the submit may be charged: `seedance resume` finishes it");
        assert_eq!(
            short_transport(&charged),
            format!(
                "https://x.io did not answer in time (--timeout) ({NETWORK_HINT}) — the submit \
                 may be charged: `seedance resume` finishes it"
            )
        );
        let stopped = TransportError::new(K::PollerStopped, "");
        let s = short_transport(&stopped);
        assert!(
            s.contains("the poller stopped") && s.contains(NETWORK_HINT),
            "{s}"
        );
    }

    #[test]
    fn a_preflight_refusal_names_its_field_and_kind() {
        use seedance_http::{PreflightError, PreflightErrorKind as K};
        let e = from_http(seedance_http::Error::Preflight(PreflightError::new(
            K::ContentType,
            "media_urls[1]",
            "content type \"text/html\" is neither an image nor a video",
        )));
        assert_eq!(e.exit, Exit::Usage);
        assert_eq!(e.kind, "preflight");
        assert_eq!(
            e.message,
            "media_urls[1]: content type \"text/html\" is neither an image nor a video (nothing was sent)"
        );
        assert_eq!(e.details.get("field"), Some(&json!("media_urls[1]")));
        assert_eq!(
            e.details.get("preflight_kind"),
            Some(&json!("content_type"))
        );
    }
}
