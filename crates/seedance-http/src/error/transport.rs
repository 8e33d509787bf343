//! [`TransportError`]: a request that got no usable answer, with its kind and cause.

use std::fmt;
use std::sync::Arc;

use super::source::Source;

/// Why a request got no usable response: its [`kind`](TransportError::kind), where it was
/// going ([`url`](TransportError::url) without user-info, query or fragment, and its
/// [`origin`](TransportError::origin)) and the underlying error as
/// [`std::error::Error::source`] (a `reqwest::Error` for network failures, stripped of
/// its URL).
///
/// The `Display` text names the kind, the URL and the root cause (redacted: never the
/// API key, never the user-info of a proxy URL, never a signed URL's query).
///
/// ```
/// use seedance_http::{TransportError, TransportErrorKind};
/// let e = TransportError::new(TransportErrorKind::TooManyRedirects, "more than 5 redirects");
/// assert_eq!(e.kind(), TransportErrorKind::TooManyRedirects);
/// assert!(e.is_redirect());
/// assert_eq!(e.to_string(), "too many redirects: more than 5 redirects");
/// ```
#[derive(Clone)]
pub struct TransportError {
    kind: TransportErrorKind,
    url: Option<String>,
    origin: Option<String>,
    detail: String,
    note: Option<String>,
    source: Option<Source>,
}

/// What kind of failure a [`TransportError`] is.
///
/// ```
/// use seedance_http::TransportErrorKind;
/// assert_eq!(TransportErrorKind::Timeout.as_str(), "timeout");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be made (refused, unreachable, reset before an answer).
    Connect,
    /// The host name did not resolve.
    Dns,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// No answer within the timeout.
    Timeout,
    /// The response body broke off while it was read.
    Body,
    /// The response body is larger than the limit (`ClientBuilder::max_body_bytes`).
    BodyTooLarge,
    /// A redirect was refused by the key's policy (Reading R13) or the method's rule.
    RedirectRefused,
    /// More redirects than the client follows.
    TooManyRedirects,
    /// A redirect without a usable `Location`.
    InvalidRedirect,
    /// The client's background poller stopped before it answered.
    PollerStopped,
    /// Any other failure of the request.
    Request,
}

impl TransportErrorKind {
    /// A short stable name (`connect`, `timeout`, `redirect_refused`…).
    pub fn as_str(self) -> &'static str {
        match self {
            TransportErrorKind::Connect => "connect",
            TransportErrorKind::Dns => "dns",
            TransportErrorKind::Tls => "tls",
            TransportErrorKind::Timeout => "timeout",
            TransportErrorKind::Body => "body",
            TransportErrorKind::BodyTooLarge => "body_too_large",
            TransportErrorKind::RedirectRefused => "redirect_refused",
            TransportErrorKind::TooManyRedirects => "too_many_redirects",
            TransportErrorKind::InvalidRedirect => "invalid_redirect",
            TransportErrorKind::PollerStopped => "poller_stopped",
            TransportErrorKind::Request => "request",
        }
    }

    /// The words a message starts with.
    fn describe(self) -> &'static str {
        match self {
            TransportErrorKind::Connect => "connection failed",
            TransportErrorKind::Dns => "name resolution failed",
            TransportErrorKind::Tls => "TLS failed",
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::Body => "response body interrupted",
            TransportErrorKind::BodyTooLarge => "response body too large",
            TransportErrorKind::RedirectRefused => "redirect refused",
            TransportErrorKind::TooManyRedirects => "too many redirects",
            TransportErrorKind::InvalidRedirect => "invalid redirect",
            TransportErrorKind::PollerStopped => "the poller stopped",
            TransportErrorKind::Request => "request failed",
        }
    }
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TransportError {
    /// A transport error of `kind`, explained by `detail` (shown as is: give no secret).
    pub fn new(kind: TransportErrorKind, detail: impl Into<String>) -> TransportError {
        TransportError {
            kind,
            url: None,
            origin: None,
            detail: detail.into(),
            note: None,
            source: None,
        }
    }

    /// A transport error from a reqwest error: the kind read from it, the origin of its
    /// URL, the root cause as the detail (passed through `redact`), and the error itself
    /// (without its URL, which may carry a signed query) as the source.
    pub(crate) fn from_reqwest(e: reqwest::Error, redact: impl Fn(&str) -> String) -> Self {
        let url = e.url().cloned();
        let e = e.without_url();
        let kind = if e.is_timeout() {
            TransportErrorKind::Timeout
        } else if chain_has_tls(&e) {
            TransportErrorKind::Tls
        } else if e.is_dns() {
            TransportErrorKind::Dns
        } else if e.is_connect() {
            TransportErrorKind::Connect
        } else if e.is_body() || e.is_decode() {
            TransportErrorKind::Body
        } else {
            TransportErrorKind::Request
        };
        let detail = redact(&crate::secret::scrub_userinfo(&root_cause(&e)));
        let t = TransportError {
            kind,
            url: None,
            origin: None,
            detail,
            note: None,
            source: Some(Arc::new(e)),
        };
        match url {
            Some(u) => t.with_url(&u),
            None => t,
        }
    }

    /// Sets the URL (kept without user-info, query and fragment).
    pub(crate) fn with_url(mut self, url: &url::Url) -> Self {
        let mut u = url.clone();
        u.set_query(None);
        u.set_fragment(None);
        let _ = u.set_username("");
        let _ = u.set_password(None);
        self.origin = Some(u.origin().ascii_serialization());
        self.url = Some(u.to_string());
        self
    }

    /// Sets where the request was going: `url` without its user-info, query and
    /// fragment (a signed URL's query is a credential). An unparsable URL sets nothing.
    ///
    /// ```
    /// use seedance_http::{TransportError, TransportErrorKind};
    /// let e = TransportError::new(TransportErrorKind::Timeout, "")
    ///     .with_url_str("https://user:pw@cdn.example.com/v/1.mp4?sig=secret");
    /// assert_eq!(e.origin(), Some("https://cdn.example.com"));
    /// assert_eq!(e.url(), Some("https://cdn.example.com/v/1.mp4"));
    /// assert_eq!(e.to_string(), "timed out (https://cdn.example.com/v/1.mp4)");
    /// ```
    pub fn with_url_str(self, url: &str) -> Self {
        match url::Url::parse(url) {
            Ok(u) => self.with_url(&u),
            Err(_) => self,
        }
    }

    /// Adds what the client knows about the consequences (`— the submit may be charged
    /// …`), shown after the error; a leading ` — ` is the separator.
    ///
    /// ```
    /// use seedance_http::{TransportError, TransportErrorKind};
    /// let e = TransportError::new(TransportErrorKind::Connect, "reset").with_note(" — the job is kept");
    /// assert_eq!(e.note(), Some("the job is kept"));
    /// assert_eq!(e.to_string(), "connection failed: reset — the job is kept");
    /// assert_eq!(e.without_note(), "connection failed: reset");
    /// ```
    pub fn with_note(mut self, note: &str) -> Self {
        let note = note.trim_start().trim_start_matches('—').trim();
        self.note = match self.note.take() {
            Some(n) => Some(format!("{n} — {note}")),
            None => Some(note.to_owned()),
        };
        self
    }

    /// What the client added about the consequences, when anything.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// The message without the [`note`](TransportError::note).
    pub fn without_note(&self) -> String {
        let mut s = self.kind.describe().to_owned();
        if let Some(u) = &self.url {
            s.push_str(&format!(" ({u})"));
        }
        if !self.detail.is_empty() {
            s.push_str(&format!(": {}", self.detail));
        }
        s
    }

    /// The kind of failure.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// `scheme://host:port` of the request, when known.
    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    /// The URL of the request without user-info, query and fragment, when known.
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// The explanation: the root cause of a network failure, or why a redirect was refused.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        self.kind == TransportErrorKind::Timeout
    }

    /// Whether no connection could be made (refused, unreachable, DNS, TLS).
    pub fn is_connect(&self) -> bool {
        matches!(
            self.kind,
            TransportErrorKind::Connect | TransportErrorKind::Dns | TransportErrorKind::Tls
        )
    }

    /// Whether a redirect stopped the request (refused, too many, no usable `Location`).
    pub fn is_redirect(&self) -> bool {
        matches!(
            self.kind,
            TransportErrorKind::RedirectRefused
                | TransportErrorKind::TooManyRedirects
                | TransportErrorKind::InvalidRedirect
        )
    }
}

/// The innermost error of a chain, as text.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last: &(dyn std::error::Error + 'static) = e;
    while let Some(s) = last.source() {
        last = s;
    }
    last.to_string()
}

/// Whether a rustls error is in the chain (hyper-rustls wraps it in an `io::Error`, whose
/// `source` skips the wrapped error: look inside).
fn chain_has_tls(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        if c.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        if let Some(inner) = c
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            if inner.downcast_ref::<rustls::Error>().is_some() {
                return true;
            }
        }
        cur = c.source();
    }
    false
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.without_note())?;
        if let Some(n) = &self.note {
            write!(f, " — {n}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportError")
            .field("kind", &self.kind)
            .field("url", &self.url)
            .field("detail", &self.detail)
            .field("note", &self.note)
            .field("source", &self.source.as_ref().map(|s| s.to_string()))
            .finish()
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}
