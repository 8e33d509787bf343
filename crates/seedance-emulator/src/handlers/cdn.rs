//! The second origin, standing in for the CDN: task outputs and a large-blob route, with
//! Range support. It records every `Authorization` header it sees (none may come).

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use futures_util::stream;

use super::common::{deliver, pre_fault};
use crate::app::{App, ConnKill};
use crate::faults::{Endpoint, FaultKind};
use crate::state::Phase;

/// How many CDN `Authorization` headers are kept for [`crate::Emulator::cdn_auth_headers`]
/// (a memory bound, not one of the spec's limits).
const CDN_AUTH_HEADERS_KEPT: usize = 10_000; // spec-limit: coincidence
/// Largest size served by `/_emulator/blob/{bytes}` (1 TiB).
const BLOB_MAX: u64 = 1 << 40;
/// Period of the blob's byte pattern: byte `i` is `i % 251`.
const BLOB_PERIOD: usize = 251;
const BLOB_CHUNK: usize = BLOB_PERIOD * 256;

fn blob_pattern() -> &'static Bytes {
    static PATTERN: OnceLock<Bytes> = OnceLock::new();
    PATTERN.get_or_init(|| {
        Bytes::from(
            (0..BLOB_CHUNK + BLOB_PERIOD)
                .map(|i| (i % BLOB_PERIOD) as u8)
                .collect::<Vec<u8>>(),
        )
    })
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut r = Response::new(Body::from(text));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    r
}

/// A byte range asked for with `Range`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RangeAsk {
    Full,
    Part(u64, u64),
    Unsatisfiable,
}

/// Parses a single `bytes=` range against a resource of `len` bytes. Several ranges or
/// a malformed header are ignored (the whole resource is served), as RFC 9110 allows.
pub(crate) fn parse_range(headers: &HeaderMap, len: u64) -> RangeAsk {
    let Some(v) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return RangeAsk::Full;
    };
    let Some(spec) = v.trim().strip_prefix("bytes=") else {
        return RangeAsk::Full;
    };
    if spec.contains(',') {
        return RangeAsk::Full;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeAsk::Full;
    };
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        // Suffix: the last n bytes.
        let Ok(n) = b.parse::<u64>() else {
            return RangeAsk::Full;
        };
        if n == 0 || len == 0 {
            return RangeAsk::Unsatisfiable;
        }
        return RangeAsk::Part(len - n.min(len), len - 1);
    }
    let Ok(start) = a.parse::<u64>() else {
        return RangeAsk::Full;
    };
    let end = if b.is_empty() {
        u64::MAX
    } else {
        match b.parse::<u64>() {
            Ok(e) if e >= start => e,
            _ => return RangeAsk::Full,
        }
    };
    if start >= len {
        return RangeAsk::Unsatisfiable;
    }
    RangeAsk::Part(start, end.min(len - 1))
}

/// Answers a GET/HEAD for a resource of `len` bytes whose bytes `body(start, end)` gives.
fn ranged(
    method: &Method,
    headers: &HeaderMap,
    len: u64,
    content_type: &'static str,
    body: impl FnOnce(u64, u64) -> Body,
) -> Response {
    let ask = parse_range(headers, len);
    let (status, start, end) = match ask {
        RangeAsk::Unsatisfiable => {
            let mut r = plain(StatusCode::RANGE_NOT_SATISFIABLE, "range not satisfiable\n");
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            r.headers_mut()
                .insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
            return r;
        }
        RangeAsk::Full => (StatusCode::OK, 0, len),
        RangeAsk::Part(s, e) => (StatusCode::PARTIAL_CONTENT, s, e + 1),
    };
    let count = end - start;
    let mut r = if method == Method::HEAD || count == 0 {
        Response::new(Body::empty())
    } else {
        Response::new(body(start, end))
    };
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    if status == StatusCode::PARTIAL_CONTENT {
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{len}", end - 1)) {
            h.insert(header::CONTENT_RANGE, v);
        }
    }
    r
}

fn bytes_body(data: Bytes, start: u64, end: u64) -> Body {
    let (s, e) = (start as usize, end as usize);
    Body::from(data.slice(s.min(data.len())..e.min(data.len())))
}

/// A stream of the blob's bytes `start..end`, generated on the fly (never held whole).
fn blob_body(start: u64, end: u64) -> Body {
    let pattern = blob_pattern().clone();
    let s = stream::unfold(start, move |pos| {
        let pattern = pattern.clone();
        async move {
            if pos >= end {
                return None;
            }
            let n = (end - pos).min(BLOB_CHUNK as u64) as usize;
            let off = (pos % BLOB_PERIOD as u64) as usize;
            let chunk = pattern.slice(off..off + n);
            Some((Ok::<Bytes, std::io::Error>(chunk), pos + n as u64))
        }
    });
    Body::from_stream(s)
}

/// Every CDN request.
pub(crate) async fn handle(State(app): State<Arc<App>>, req: Request) -> Response {
    let kill = req.extensions().get::<ConnKill>().cloned();
    let path = req.uri().path().to_owned();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let task_id = match segments.as_slice() {
        ["v", id, _] => Some((*id).to_owned()),
        _ => None,
    };

    // Record the request, its owner and any Authorization header.
    let plan = {
        let mut inner = app.shared.inner.lock();
        let owner = task_id
            .as_ref()
            .and_then(|id| inner.tasks.get(id))
            .map(|t| t.account.clone());
        let auth = req
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let has_auth = auth.is_some();
        inner.bump(owner.as_deref(), |s| {
            s.cdn_requests += 1;
            if has_auth {
                s.cdn_auth_headers_seen += 1;
            }
        });
        if let Some(a) = auth {
            if inner.cdn_auth_headers.len() < CDN_AUTH_HEADERS_KEPT {
                inner.cdn_auth_headers.push(a);
            }
        }
        let plan = inner.decide_faults(Endpoint::Cdn);
        if plan.action.is_some() || !plan.delay.is_zero() {
            inner.bump(owner.as_deref(), |s| s.faults_injected += 1);
        }
        plan
    };
    if !plan.delay.is_zero() {
        tokio::time::sleep(plan.delay).await;
    }
    if let Some(r) = pre_fault(&app, &plan, None) {
        return deliver(r, kill.as_ref()).await;
    }

    let method = req.method().clone();
    if method != Method::GET && method != Method::HEAD {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let headers = req.headers();
    let response = match segments.as_slice() {
        ["_emulator", "blob", n] => match n.parse::<u64>() {
            Ok(len) if len <= BLOB_MAX => {
                ranged(&method, headers, len, "application/octet-stream", blob_body)
            }
            _ => plain(
                StatusCode::NOT_FOUND,
                "blob size must be a number of bytes up to 1 TiB\n",
            ),
        },
        ["v", id, file @ ("video.mp4" | "last_frame.png")] => {
            let ratio = {
                let mut inner = app.shared.inner.lock();
                let now = std::time::Instant::now();
                inner.settle(id, now);
                inner
                    .tasks
                    .get(*id)
                    .filter(|t| t.phase(now) == Phase::Completed)
                    .map(|t| t.aspect_ratio.clone())
            };
            match ratio {
                None => plain(StatusCode::NOT_FOUND, "no such output\n"),
                Some(ratio) => match app.media.get(&ratio) {
                    Err(_) => plain(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "could not render the output\n",
                    ),
                    Ok(media) => {
                        let (data, ct) = if *file == "video.mp4" {
                            (media.mp4.clone(), "video/mp4")
                        } else {
                            (media.png.clone(), "image/png")
                        };
                        let len = data.len() as u64;
                        match plan
                            .action
                            .as_ref()
                            .and_then(|k| super::hostile::cdn(k, ct, &data))
                        {
                            Some(r) => r,
                            None => {
                                ranged(&method, headers, len, ct, |s, e| bytes_body(data, s, e))
                            }
                        }
                    }
                },
            }
        }
        _ => plain(StatusCode::NOT_FOUND, "not found\n"),
    };
    if matches!(plan.action, Some(FaultKind::DropAfterHandling)) {
        if let Some(k) = kill {
            k.0.notify_one();
            return std::future::pending::<Response>().await;
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(header::RANGE, HeaderValue::from_str(v).unwrap());
        m
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range(&HeaderMap::new(), 10), RangeAsk::Full);
        assert_eq!(parse_range(&h("bytes=0-3"), 10), RangeAsk::Part(0, 3));
        assert_eq!(parse_range(&h("bytes=5-"), 10), RangeAsk::Part(5, 9));
        assert_eq!(parse_range(&h("bytes=5-100"), 10), RangeAsk::Part(5, 9));
        assert_eq!(parse_range(&h("bytes=-3"), 10), RangeAsk::Part(7, 9));
        assert_eq!(parse_range(&h("bytes=-30"), 10), RangeAsk::Part(0, 9));
        assert_eq!(parse_range(&h("bytes=10-"), 10), RangeAsk::Unsatisfiable);
        assert_eq!(parse_range(&h("bytes=-0"), 10), RangeAsk::Unsatisfiable);
        assert_eq!(parse_range(&h("bytes=3-1"), 10), RangeAsk::Full);
        assert_eq!(parse_range(&h("bytes=0-1,4-5"), 10), RangeAsk::Full);
        assert_eq!(parse_range(&h("items=0-1"), 10), RangeAsk::Full);
        assert_eq!(parse_range(&h("bytes=x-1"), 10), RangeAsk::Full);
    }
}
