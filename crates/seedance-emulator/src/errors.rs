//! The emulator's errors and the spec's error answer: [`ControlError`] (a control request
//! that cannot be applied), [`Error`] (starting or serving), and the JSON error shape every
//! handler answers with. The bottom layer: it uses no other module of the crate.

use std::net::SocketAddr;

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use seedance_core::ErrorCode;
use serde_json::json;

/// A control request (a fault or a configuration change, as JSON) that cannot be
/// applied; the message says why. Returned by [`Fault::from_json`],
/// [`RuntimeConfig::patched`] and [`Emulator::configure_json`]; the `/_emulator` HTTP API
/// answers it as a 400.
///
/// ```
/// let e = seedance_emulator::Fault::from_json(&serde_json::json!({"kind": "delay"})).unwrap_err();
/// assert!(e.message().contains("endpoint"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ControlError(String);

impl ControlError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        ControlError(message.into())
    }
    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.0
    }
}

/// Errors of starting or serving the emulator.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let first = seedance_emulator::Emulator::builder().start().await.expect("starts");
/// let err = seedance_emulator::Emulator::builder().bind(first.api_addr()).start().await.unwrap_err();
/// assert!(matches!(err, seedance_emulator::Error::Bind { .. }));
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A listener could not be bound.
    #[error("could not bind {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// An I/O error while serving.
    #[error("emulator I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// An error answer in the spec's shape.
pub(crate) fn error_response(code: ErrorCode, message: impl Into<String>) -> Response {
    let status = code
        .http_status()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = json!({"error": {"code": code.as_str(), "message": message.into()}});
    json_response(status, Bytes::from(body.to_string()))
}

/// A JSON answer with this status.
pub(crate) fn json_response(status: StatusCode, body: Bytes) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}
