//! The errors of local work and of downloads: [`IoError`] (with its path),
//! [`StoreError`] (the job store, with the SQLite error) and [`DownloadError`].

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::source::{as_source, Source};

/// A file-system error: what was being done, the path, and the `io::Error` as
/// [`std::error::Error::source`].
///
/// ```
/// use seedance_http::IoError;
/// let e = IoError::new("cannot create", Some("/out/x.mp4".as_ref()), std::io::Error::other("disk full"));
/// assert_eq!(e.to_string(), "cannot create /out/x.mp4: disk full");
/// assert_eq!(e.path(), Some(std::path::Path::new("/out/x.mp4")));
/// assert_eq!(e.io_kind(), std::io::ErrorKind::Other);
/// ```
#[derive(Clone, Debug)]
pub struct IoError {
    action: String,
    path: Option<PathBuf>,
    source: Arc<std::io::Error>,
}

impl IoError {
    /// `action` (`cannot create`) on `path` failed with `source`.
    pub fn new(action: impl Into<String>, path: Option<&Path>, source: std::io::Error) -> Self {
        IoError {
            action: action.into(),
            path: path.map(Path::to_path_buf),
            source: Arc::new(source),
        }
    }

    /// The path, when one is known.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// What was being done (`cannot create`).
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The kind of the `io::Error`.
    pub fn io_kind(&self) -> std::io::ErrorKind {
        self.source.kind()
    }

    /// The OS error number, when the system gave one.
    pub fn raw_os_error(&self) -> Option<i32> {
        self.source.raw_os_error()
    }

    /// The underlying `io::Error`.
    pub fn io_error(&self) -> &std::io::Error {
        &self.source
    }
}

impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.action)?;
        if let Some(p) = &self.path {
            write!(f, " {}", p.display())?;
        }
        write!(f, ": {}", self.source)
    }
}

impl std::error::Error for IoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

/// What kind of failure a [`StoreError`] is.
///
/// ```
/// use seedance_http::StoreErrorKind;
/// assert_eq!(StoreErrorKind::Database.as_str(), "database");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The SQLite database failed (locked, corrupt, not writable…).
    Database,
    /// A stored job could not be read.
    Unreadable,
    /// A value could not be encoded for storage.
    Encode,
    /// A job cannot be resumed as it is (too old to resend, or missing what it needs).
    CannotResume,
}

impl StoreErrorKind {
    /// A short stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreErrorKind::Database => "database",
            StoreErrorKind::Unreadable => "unreadable",
            StoreErrorKind::Encode => "encode",
            StoreErrorKind::CannotResume => "cannot_resume",
        }
    }
}

/// The job store is unusable, or a stored job cannot be used: the kind, a message, and
/// the underlying error (a `rusqlite::Error`, a `serde_json::Error`) as
/// [`std::error::Error::source`].
///
/// ```
/// use seedance_http::{StoreError, StoreErrorKind};
/// let e = StoreError::new(StoreErrorKind::CannotResume, "job k is pending without a task");
/// assert_eq!(e.kind(), StoreErrorKind::CannotResume);
/// assert_eq!(e.to_string(), "job k is pending without a task");
/// ```
#[derive(Clone, Debug)]
pub struct StoreError {
    kind: StoreErrorKind,
    message: String,
    source: Option<Source>,
}

impl StoreError {
    /// An error of `kind` saying `message`.
    pub fn new(kind: StoreErrorKind, message: impl Into<String>) -> Self {
        StoreError {
            kind,
            message: message.into(),
            source: None,
        }
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
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        as_source(self.source.as_ref())
    }
}

/// What kind of failure a [`DownloadError`] is.
///
/// ```
/// use seedance_http::DownloadErrorKind;
/// assert_eq!(DownloadErrorKind::ContentType.as_str(), "content_type");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DownloadErrorKind {
    /// The task has no output to download.
    NoOutput,
    /// The output URL is not fetched (not https, not loopback http, unparsable).
    Url,
    /// A file name from the server would be unsafe.
    FileName,
    /// The CDN answered an HTTP error ([`DownloadError::status`]).
    Status,
    /// The CDN answered an unexpected `Content-Range` or refused the resume range.
    Range,
    /// The content type is not the kind of file expected.
    ContentType,
    /// The file is larger than `ClientBuilder::max_download_bytes`.
    TooLarge,
    /// The file is not the announced size, empty, or cut short.
    Incomplete,
    /// The transfer broke off or stalled.
    Interrupted,
    /// The download did not finish within `ClientBuilder::download_deadline`.
    Deadline,
}

impl DownloadErrorKind {
    /// A short stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            DownloadErrorKind::NoOutput => "no_output",
            DownloadErrorKind::Url => "url",
            DownloadErrorKind::FileName => "file_name",
            DownloadErrorKind::Status => "status",
            DownloadErrorKind::Range => "range",
            DownloadErrorKind::ContentType => "content_type",
            DownloadErrorKind::TooLarge => "too_large",
            DownloadErrorKind::Incomplete => "incomplete",
            DownloadErrorKind::Interrupted => "interrupted",
            DownloadErrorKind::Deadline => "deadline",
        }
    }
}

/// A download failed: the kind, the HTTP status when the CDN answered one, a message
/// (naming the origin, never a signed URL's query) and the underlying error as
/// [`std::error::Error::source`] when there is one.
///
/// ```
/// use seedance_http::{DownloadError, DownloadErrorKind};
/// let e = DownloadError::new(DownloadErrorKind::TooLarge, "the file is larger than the limit");
/// assert_eq!(e.kind(), DownloadErrorKind::TooLarge);
/// assert_eq!(e.status(), None);
/// ```
#[derive(Clone, Debug)]
pub struct DownloadError {
    kind: DownloadErrorKind,
    status: Option<u16>,
    message: String,
    source: Option<Source>,
}

impl DownloadError {
    /// An error of `kind` saying `message`.
    pub fn new(kind: DownloadErrorKind, message: impl Into<String>) -> Self {
        DownloadError {
            kind,
            status: None,
            message: message.into(),
            source: None,
        }
    }

    /// With the CDN's HTTP status.
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
    pub fn kind(&self) -> DownloadErrorKind {
        self.kind
    }

    /// The HTTP status the CDN answered, for [`DownloadErrorKind::Status`].
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for DownloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DownloadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        as_source(self.source.as_ref())
    }
}
