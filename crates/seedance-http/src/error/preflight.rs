//! [`PreflightError`]: a reference URL refused by the preflight check, with its field,
//! its kind and, when the host could not be reached, the transport error as its cause.

use std::fmt;
use std::sync::Arc;

use super::source::{as_source, Source};

/// What kind of failure a [`PreflightError`] is: which of the preflight's checks the
/// reference URL failed.
///
/// ```
/// use seedance_http::PreflightErrorKind;
/// assert_eq!(PreflightErrorKind::Unreachable.as_str(), "unreachable");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PreflightErrorKind {
    /// The URL is not fetched (not https, not loopback http, unparsable).
    Url,
    /// The host gave no answer (connection, DNS, TLS, timeout, a refused redirect…); the
    /// [`TransportError`](crate::TransportError) is the
    /// [`source`](std::error::Error::source).
    Unreachable,
    /// The host answered an HTTP error ([`PreflightError::status`]).
    Status,
    /// No `Content-Type`, or one the field does not take (an image for a frame, an
    /// image or a video for `media_urls`).
    ContentType,
    /// A frame image larger than the spec's limit for frames.
    TooLarge,
    /// A video whose host does not answer Range requests, which the server's duration
    /// probing needs ([`PreflightError::status`] is what it answered instead).
    RangeUnsupported,
}

impl PreflightErrorKind {
    /// A short stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            PreflightErrorKind::Url => "url",
            PreflightErrorKind::Unreachable => "unreachable",
            PreflightErrorKind::Status => "status",
            PreflightErrorKind::ContentType => "content_type",
            PreflightErrorKind::TooLarge => "too_large",
            PreflightErrorKind::RangeUnsupported => "range_unsupported",
        }
    }
}

impl fmt::Display for PreflightErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reference URL failed the preflight check: the request field it is in, the kind of
/// failure, what is wrong (the [`problem`](PreflightError::problem), never the URL's
/// query), the HTTP status when the host answered one, and the underlying error as
/// [`std::error::Error::source`] when there is one (the transport error of an
/// unreachable host). Shown as `field: problem`.
///
/// ```
/// use seedance_http::{PreflightError, PreflightErrorKind};
/// let e = PreflightError::new(PreflightErrorKind::Status, "image_url", "answered HTTP 404 Not Found");
/// assert_eq!(e.kind(), PreflightErrorKind::Status);
/// assert_eq!(e.field(), "image_url");
/// assert_eq!(e.to_string(), "image_url: answered HTTP 404 Not Found");
/// ```
#[derive(Clone, Debug)]
pub struct PreflightError {
    kind: PreflightErrorKind,
    field: String,
    problem: String,
    status: Option<u16>,
    source: Option<Source>,
}

impl PreflightError {
    /// An error of `kind` for the request field `field` (`image_url`, `media_urls[2]`…),
    /// saying `problem`.
    pub fn new(
        kind: PreflightErrorKind,
        field: impl Into<String>,
        problem: impl Into<String>,
    ) -> Self {
        PreflightError {
            kind,
            field: field.into(),
            problem: problem.into(),
            status: None,
            source: None,
        }
    }

    /// With the HTTP status the reference host answered.
    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// With the underlying error.
    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> PreflightErrorKind {
        self.kind
    }

    /// The request field (`image_url`, `end_image_url`, `media_urls[2]`…).
    pub fn field(&self) -> &str {
        &self.field
    }

    /// What is wrong, without the field.
    pub fn problem(&self) -> &str {
        &self.problem
    }

    /// The HTTP status the host answered, for [`PreflightErrorKind::Status`] and
    /// [`PreflightErrorKind::RangeUnsupported`].
    pub fn status(&self) -> Option<u16> {
        self.status
    }
}

impl fmt::Display for PreflightError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)
    }
}

impl std::error::Error for PreflightError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        as_source(self.source.as_ref())
    }
}
