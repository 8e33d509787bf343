//! `ApiError` and `ErrorCode`: the spec's error shape and its eight codes.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One of the API's error codes; unknown codes are kept verbatim (Reading R14).
///
/// ```
/// use seedance_core::ErrorCode;
/// assert_eq!(ErrorCode::from("rate_limited").http_status(), Some(429));
/// assert!(ErrorCode::ServiceBusy.is_retryable());
/// assert!(!ErrorCode::InvalidRequest.is_retryable());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 401: missing, invalid or revoked API key.
    Unauthorized,
    /// 400: bad input or unsupported field.
    InvalidRequest,
    /// 402: not enough credits.
    InsufficientCredits,
    /// 429: over 30 requests per 60 s for the account; see `Retry-After`.
    RateLimited,
    /// 409: key reused with another body, or the first request is still running.
    IdempotencyConflict,
    /// 503: temporary upstream or credit-concurrency issue.
    ServiceBusy,
    /// 404: no such task for this key's owner.
    NotFound,
    /// 500: unexpected server-side failure.
    InternalError,
    /// A code this version does not know.
    Other(String),
}

impl ErrorCode {
    /// The eight documented codes.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::Unauthorized,
        ErrorCode::InvalidRequest,
        ErrorCode::InsufficientCredits,
        ErrorCode::RateLimited,
        ErrorCode::IdempotencyConflict,
        ErrorCode::ServiceBusy,
        ErrorCode::NotFound,
        ErrorCode::InternalError,
    ];

    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InsufficientCredits => "insufficient_credits",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::IdempotencyConflict => "idempotency_conflict",
            ErrorCode::ServiceBusy => "service_busy",
            ErrorCode::NotFound => "not_found",
            ErrorCode::InternalError => "internal_error",
            ErrorCode::Other(s) => s,
        }
    }

    /// The HTTP status the spec pairs with this code.
    pub fn http_status(&self) -> Option<u16> {
        Some(match self {
            ErrorCode::Unauthorized => 401,
            ErrorCode::InvalidRequest => 400,
            ErrorCode::InsufficientCredits => 402,
            ErrorCode::RateLimited => 429,
            ErrorCode::IdempotencyConflict => 409,
            ErrorCode::ServiceBusy => 503,
            ErrorCode::NotFound => 404,
            ErrorCode::InternalError => 500,
            ErrorCode::Other(_) => return None,
        })
    }

    /// The code the spec pairs with an HTTP status, if any.
    ///
    /// ```
    /// use seedance_core::ErrorCode;
    /// assert_eq!(ErrorCode::from_http_status(402), Some(ErrorCode::InsufficientCredits));
    /// assert_eq!(ErrorCode::from_http_status(418), None);
    /// ```
    pub fn from_http_status(status: u16) -> Option<ErrorCode> {
        ErrorCode::ALL
            .iter()
            .find(|c| c.http_status() == Some(status))
            .cloned()
    }
}

impl From<&str> for ErrorCode {
    fn from(s: &str) -> Self {
        ErrorCode::ALL
            .iter()
            .find(|c| c.as_str() == s)
            .cloned()
            .unwrap_or_else(|| ErrorCode::Other(s.to_owned()))
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(ErrorCode::from(s.as_str()))
    }
}

/// An error as the API reports it: `{"code": "...", "message": "..."}`.
///
/// ```
/// use seedance_core::{ApiError, ErrorBody, ErrorCode};
/// let body: ErrorBody = serde_json::from_str(
///     r#"{"error":{"code":"invalid_request","message":"Invalid request body"}}"#).unwrap();
/// assert_eq!(body.error.code, ErrorCode::InvalidRequest);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
#[non_exhaustive]
pub struct ApiError {
    /// The code (a code that is not text reads as its JSON text).
    #[serde(deserialize_with = "code_or_text")]
    pub code: ErrorCode,
    /// A human-readable message (`null` or absent reads as empty; other non-text values
    /// as their JSON text).
    #[serde(default, deserialize_with = "text_or_json")]
    pub message: String,
}

impl ApiError {
    /// An error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }

    /// The error as it may be shown (Reading R22): the key, `Bearer` tokens and
    /// key-shaped text removed from an unknown code and from the message, **then** the
    /// message cut to [`crate::untrusted::MESSAGE_MAX_CHARS`] characters and control
    /// characters turned into spaces. Every client path applies it to what the server sent.
    ///
    /// ```
    /// use seedance_core::{ApiError, ErrorCode};
    /// let key = "sk_live_abcdefgh1234";
    /// let e = ApiError::new(ErrorCode::from("sk_live_abcdefgh1234"), "your key sk_live_abcdefgh1234\n")
    ///     .redacted(Some(key));
    /// assert_eq!(e.to_string(), "[redacted]: your key [redacted]");
    /// ```
    pub fn redacted(&self, key: Option<&str>) -> ApiError {
        let code = match &self.code {
            ErrorCode::Other(c) => ErrorCode::Other(crate::untrusted::excerpt(c, key, 100)),
            known => known.clone(),
        };
        ApiError {
            code,
            message: crate::untrusted::excerpt(
                &self.message,
                key,
                crate::untrusted::MESSAGE_MAX_CHARS,
            ),
        }
    }
}

fn json_text(v: serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}

fn text_or_json<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(json_text(serde_json::Value::deserialize(d)?))
}

fn code_or_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<ErrorCode, D::Error> {
    Ok(ErrorCode::from(
        json_text(serde_json::Value::deserialize(d)?).as_str(),
    ))
}

/// The body of every error response: `{"error": {...}}`.
///
/// ```
/// use seedance_core::{ApiError, ErrorBody, ErrorCode};
/// let body = ErrorBody::new(ApiError::new(ErrorCode::NotFound, "no such task"));
/// assert_eq!(
///     serde_json::to_string(&body)?,
///     r#"{"error":{"code":"not_found","message":"no such task"}}"#
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErrorBody {
    /// The error.
    pub error: ApiError,
}

impl ErrorBody {
    /// Wraps an error.
    pub fn new(error: ApiError) -> Self {
        ErrorBody { error }
    }
}
