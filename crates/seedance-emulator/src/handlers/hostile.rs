//! The answers of the hostile fault kinds (issue 10): huge and endless bodies, absurd
//! `Retry-After`, an answer about another task, control characters in text, a lying
//! `Content-Length`. For testing that a client survives a server that is wrong or
//! malicious.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use futures_util::stream;
use seedance_core::ErrorCode;
use serde_json::{json, Value};

use crate::faults::{FaultKind, CONTROL_CHARS_TEXT};

const CHUNK: usize = 64 * 1024;

/// A body of `prefix`, then `filler` bytes up to `total` bytes (or for ever), then `suffix`.
fn padded_body(prefix: Vec<u8>, suffix: Vec<u8>, total: Option<u64>, filler: u8) -> Body {
    let chunk = Bytes::from(vec![filler; CHUNK]);
    let fill_len = total.map(|t| t.saturating_sub((prefix.len() + suffix.len()) as u64));
    // state: (sent filler bytes, stage 0 = prefix, 1 = filler, 2 = suffix, 3 = done)
    let s = stream::unfold((0u64, 0u8), move |(sent, stage)| {
        let chunk = chunk.clone();
        let (prefix, suffix) = (prefix.clone(), suffix.clone());
        async move {
            let item: Bytes = match stage {
                0 => return Some((Ok::<Bytes, std::io::Error>(Bytes::from(prefix)), (0, 1))),
                1 => match fill_len {
                    Some(n) if sent >= n => return Some((Ok(Bytes::from(suffix)), (sent, 3))),
                    Some(n) => {
                        let take = usize::try_from(n - sent).unwrap_or(CHUNK).min(CHUNK);
                        chunk.slice(..take)
                    }
                    None => chunk,
                },
                _ => return None,
            };
            let len = item.len() as u64;
            Some((Ok(item), (sent + len, 1)))
        }
    });
    Body::from_stream(s)
}

/// `data` as a body of unknown size (a stream), announced as `announced` bytes (default:
/// half of it), so that the server sends the lie as is.
fn lying_body(data: Bytes, announced: Option<u64>) -> (Body, u64) {
    let len = announced.unwrap_or(data.len() as u64 / 2);
    let body = Body::from_stream(stream::once(
        async move { Ok::<Bytes, std::io::Error>(data) },
    ));
    (body, len)
}

/// The answer of a hostile kind that acts before the request is handled, if any.
pub(crate) fn pre(kind: &FaultKind) -> Option<Response> {
    match kind {
        FaultKind::AbsurdRetryAfter(v) => {
            let mut r = crate::errors::error_response(
                ErrorCode::RateLimited,
                "Too many requests (emulated, with an absurd Retry-After)",
            );
            if let Ok(h) = HeaderValue::from_str(v) {
                r.headers_mut().insert(header::RETRY_AFTER, h);
            }
            Some(r)
        }
        _ => None,
    }
}

/// Applies a hostile after-handling kind to a finished JSON answer, if it is one.
pub(crate) fn after(kind: &FaultKind, status: StatusCode, body: &[u8]) -> Option<Response> {
    let json_answer = |status: StatusCode, body: Body, len: Option<u64>| {
        let mut r = Response::new(body);
        *r.status_mut() = status;
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(n) = len {
            r.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(n));
        }
        r
    };
    match kind {
        FaultKind::HugeBody { bytes } => {
            // `{...the answer..., "x_padding": "xxxx…"}`: valid JSON of `bytes` bytes.
            let trimmed = body.strip_suffix(b"}").unwrap_or(body);
            let mut prefix = trimmed.to_vec();
            prefix.extend_from_slice(b",\"x_padding\":\"");
            let suffix = b"\"}".to_vec();
            let total = (*bytes).max((prefix.len() + suffix.len()) as u64);
            Some(json_answer(
                status,
                padded_body(prefix, suffix, Some(total), b'x'),
                Some(total),
            ))
        }
        FaultKind::EndlessBody => {
            let trimmed = body.strip_suffix(b"}").unwrap_or(body);
            let mut prefix = trimmed.to_vec();
            prefix.extend_from_slice(b",\"x_padding\":\"");
            Some(json_answer(
                status,
                padded_body(prefix, Vec::new(), None, b'x'),
                None,
            ))
        }
        FaultKind::ForeignTaskId(id) => {
            let mut v: Value = serde_json::from_slice(body).ok()?;
            let o = v.as_object_mut()?;
            if o.contains_key("id") {
                o.insert("id".into(), json!(id));
            }
            Some(json_answer(status, Body::from(v.to_string()), None))
        }
        FaultKind::ContentLengthLie { announced } => {
            let (body, len) = lying_body(Bytes::copy_from_slice(body), *announced);
            Some(json_answer(status, body, Some(len)))
        }
        FaultKind::ControlChars => {
            let mut v: Value = serde_json::from_slice(body).ok()?;
            let o = v.as_object_mut()?;
            if o.contains_key("status") {
                o.insert(
                    "model".into(),
                    json!(format!("seedance2{CONTROL_CHARS_TEXT}")),
                );
            }
            if let Some(e) = o.get_mut("error").and_then(Value::as_object_mut) {
                let m = e.get("message").and_then(Value::as_str).unwrap_or("");
                let m = format!("{m}{CONTROL_CHARS_TEXT}");
                e.insert("message".into(), json!(m));
                if status.is_client_error() || status.is_server_error() {
                    let c = e.get("code").and_then(Value::as_str).unwrap_or("");
                    let c = format!("{c}{CONTROL_CHARS_TEXT}");
                    e.insert("code".into(), json!(c));
                }
            }
            Some(json_answer(status, Body::from(v.to_string()), None))
        }
        _ => None,
    }
}

/// The CDN's answer for a hostile body kind: `data` is the real file, `ct` its type.
pub(crate) fn cdn(kind: &FaultKind, ct: &'static str, data: &Bytes) -> Option<Response> {
    let (body, len) = match kind {
        FaultKind::ContentLengthLie { announced } => {
            let (body, len) = lying_body(data.clone(), *announced);
            (body, Some(len))
        }
        FaultKind::HugeBody { bytes } => (
            padded_body(Vec::new(), Vec::new(), Some(*bytes), 0),
            Some(*bytes),
        ),
        FaultKind::EndlessBody => (padded_body(Vec::new(), Vec::new(), None, 0), None),
        _ => return None,
    };
    let mut r = Response::new(body);
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    if let Some(n) = len {
        r.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    }
    Some(r)
}
