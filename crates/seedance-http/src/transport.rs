//! One API request: budget, key only to the API origin, manual redirects (Reading R13),
//! decoding and the retry classification.

use std::time::Duration;

use reqwest::header::{
    HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION, USER_AGENT,
};
use reqwest::{Method, StatusCode};
use seedance_core::rules::RetryClass;
use seedance_core::{ApiError, ErrorBody, ErrorCode, Task, TaskId};
use url::Url;

use crate::backoff::parse_retry_after;
use crate::budget::Permit;
use crate::client::Inner;
use crate::error::Error;
use crate::origin::{redirect_decision, RedirectDecision};

/// Most redirect hops followed.
pub(crate) const MAX_REDIRECTS: usize = 5;

/// A response, read whole (API bodies are small).
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: bytes::Bytes,
}

/// The result of one attempt, classified.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one per request, moved once
pub(crate) enum Attempt {
    /// 2xx with a task.
    Task(Task),
    /// A failure; `retry` says whether sending again (same key) may succeed, and after
    /// how long at least (`Retry-After`).
    Failed { error: Error, retry: Retry },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Retry {
    /// Never (400, 401, 402, 404, refused redirect…).
    No,
    /// With backoff.
    Backoff,
    /// After exactly this long (`Retry-After`).
    After(Duration),
    /// A 409 conflict: the caller decides (Reading R18).
    Conflict,
}

impl From<RetryClass> for Retry {
    fn from(c: RetryClass) -> Self {
        match c {
            RetryClass::Backoff => Retry::Backoff,
            RetryClass::After(d) => Retry::After(d),
            RetryClass::Conflict => Retry::Conflict,
            // `RetryClass` may grow: anything new is final until the client knows it.
            _ => Retry::No,
        }
    }
}

/// Why [`send`] got no response: the error, and whether sending again may help
/// (connection errors and timeouts may; a refused redirect or a bad header never does).
#[derive(Debug)]
pub(crate) struct SendError {
    pub(crate) error: Error,
    pub(crate) retryable: bool,
    /// Provably nothing reached the API (refused or unreachable before the first byte,
    /// or stopped before sending): a submit that failed so charged nothing.
    pub(crate) unsent: bool,
}

impl SendError {
    fn retryable(error: Error) -> Self {
        SendError {
            error,
            retryable: true,
            unsent: false,
        }
    }

    fn final_(error: Error) -> Self {
        SendError {
            error,
            retryable: false,
            unsent: false,
        }
    }

    fn unsent(mut self) -> Self {
        self.unsent = true;
        self
    }
}

/// The start of a body for messages (Reading R22): secrets redacted **before** the cut
/// to 200 characters, control characters blanked.
pub(crate) fn snippet(inner: &Inner, body: &[u8]) -> String {
    // Redaction needs the text around the cut: take a little more than shown.
    let head = &body[..body.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let s = seedance_core::rules::excerpt(&text, Some(inner.key.expose()), 200);
    if s.is_empty() {
        "(empty body)".to_owned()
    } else if body.len() > head.len() && !s.ends_with('…') {
        format!("{s}…")
    } else {
        s
    }
}

/// Reading R19: an answer about another task than the one asked for is an error (a
/// confused proxy or cache, or a hostile server), never taken as this task's state.
pub(crate) fn expect_task(id: &TaskId, attempt: Attempt) -> Attempt {
    match attempt {
        Attempt::Task(task) if task.id != *id => Attempt::Failed {
            error: Error::Decode {
                status: 200,
                snippet: format!(
                    "the answer is about task {:?}, not the {:?} asked for",
                    task.id.as_str(),
                    id.as_str()
                ),
            },
            retry: Retry::No,
        },
        other => other,
    }
}

/// Reads a body up to `max` bytes (Reading R24): a larger one (announced or not) is an
/// error naming the limit, and reading stops there.
async fn read_limited(
    inner: &Inner,
    resp: reqwest::Response,
    max: u64,
) -> Result<bytes::Bytes, SendError> {
    let too_big = || {
        SendError::final_(Error::Transport(format!(
            "the response body is larger than the {max}-byte limit (ClientBuilder::max_body_bytes)"
        )))
    };
    if resp.content_length().is_some_and(|n| n > max) {
        return Err(too_big());
    }
    let mut buf = bytes::BytesMut::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
        let chunk = chunk.map_err(|e| SendError::retryable(transport_error(inner, &e)))?;
        if buf.len() as u64 + chunk.len() as u64 > max {
            return Err(too_big());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

fn transport_error(inner: &Inner, e: &reqwest::Error) -> Error {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "response body interrupted"
    } else {
        "request failed"
    };
    // reqwest errors name the URL, never headers; redact anyway.
    let mut msg = format!("{what}: {e}");
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(&format!(": {s}"));
        src = s.source();
    }
    Error::Transport(inner.key.redact(&scrub_userinfo(&msg)))
}

/// Removes the `user:password@` of every URL in `text` (a proxy URL from `HTTPS_PROXY`
/// may carry credentials, and error chains may quote it).
pub(crate) fn scrub_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let authority_end = tail
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace() || c == ')')
            .unwrap_or(tail.len());
        match tail[..authority_end].rfind('@') {
            Some(at) => {
                out.push_str("[redacted]@");
                rest = &tail[at + 1..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

/// Sends one request to the API (following allowed redirects) and reads the body.
/// `held` are budget slots already taken: the poller's general slot, or a submit's
/// reference-media slot (taken before the general one, so that a submit never holds a
/// general slot idle while it waits for the scarcer media budget). A general slot is
/// taken here unless `general_held`; every redirect hop takes its own. Slots count as
/// spent only once the request leaves.
pub(crate) async fn send(
    inner: &Inner,
    method: Method,
    path: &str,
    body: Option<&[u8]>,
    idempotency_key: Option<&str>,
    mut held: Vec<Permit>,
    general_held: bool,
) -> Result<RawResponse, SendError> {
    let mut url = inner.base_url.join(path).map_err(|e| {
        SendError::final_(Error::Config(format!("bad path {path:?}: {e}"))).unsent()
    })?;
    for hop in 0..=MAX_REDIRECTS {
        if hop > 0 || !general_held {
            if let Some(b) = &inner.budget {
                held.push(b.acquire().await);
            }
        }
        let mut req = inner
            .http
            .request(method.clone(), url.clone())
            .timeout(inner.timeout)
            .header(AUTHORIZATION, inner.auth_header.clone())
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(USER_AGENT, inner.user_agent.clone());
        if let Some(k) = idempotency_key {
            let v = HeaderValue::from_str(k).map_err(|_| {
                SendError::final_(Error::Config(
                    "the idempotency key is not a valid header value".into(),
                ))
                .unsent()
            })?;
            req = req.header("Idempotency-Key", v);
        }
        if let Some(b) = body {
            req = req
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(b.to_vec());
        }
        tracing::debug!(method = %method, url = %url, hop, "seedance request");
        for p in &mut held {
            p.sending();
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                if e.is_connect() {
                    // Refused or unreachable: nothing reached the server, this hop's
                    // slots (all of them on the first hop) are not spent.
                    let unsent = if hop == 0 { held.len() } else { 1 };
                    for p in held.iter_mut().rev().take(unsent) {
                        p.not_sent();
                    }
                    if hop == 0 {
                        return Err(SendError::retryable(transport_error(inner, &e)).unsent());
                    }
                }
                return Err(SendError::retryable(transport_error(inner, &e)));
            }
        };
        let status = resp.status();
        if status.is_redirection() {
            let Some(loc) = resp.headers().get(LOCATION).and_then(|v| v.to_str().ok()) else {
                return Err(SendError::final_(Error::Transport(format!(
                    "HTTP {status} without a Location"
                ))));
            };
            let to = url.join(loc).map_err(|e| {
                SendError::final_(Error::Transport(format!(
                    "redirect to an unparsable Location: {e}"
                )))
            })?;
            // A POST may only be redirected as itself (307/308); 301/302/303 would turn it
            // into a GET without the body.
            if method == Method::POST
                && !matches!(
                    status,
                    StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT
                )
            {
                return Err(SendError::final_(Error::Transport(format!(
                    "HTTP {status} redirect of a submit to {} refused (only 307/308 keep the body)",
                    to.origin().ascii_serialization()
                ))));
            }
            match redirect_decision(&url, &to) {
                RedirectDecision::FollowWithKey => {
                    tracing::debug!(from = %url, to = %to, "following redirect");
                    url = to;
                    continue;
                }
                RedirectDecision::Refuse(why) => {
                    return Err(SendError::final_(Error::Transport(why)))
                }
            }
        }
        let headers = resp.headers().clone();
        let body = read_limited(inner, resp, inner.max_body_bytes).await?;
        tracing::debug!(
            status = status.as_u16(),
            bytes = body.len(),
            "seedance response"
        );
        drop(held);
        return Ok(RawResponse {
            status,
            headers,
            body,
        });
    }
    Err(SendError::final_(Error::Transport(format!(
        "more than {MAX_REDIRECTS} redirects"
    ))))
}

/// Classifies a response or a transport error.
pub(crate) fn classify(inner: &Inner, result: Result<RawResponse, SendError>) -> Attempt {
    let resp = match result {
        Ok(r) => r,
        Err(SendError {
            error, retryable, ..
        }) => {
            let retry = if retryable { Retry::Backoff } else { Retry::No };
            return Attempt::Failed { error, retry };
        }
    };
    let status = resp.status.as_u16();
    let retry_after = resp
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    if resp.status.is_success() {
        return match Task::from_json(&resp.body) {
            Ok(mut task) => {
                // Reading R22: what the server says about a failure is shown: redact it.
                task.error = task.error.map(|e| e.redacted(Some(inner.key.expose())));
                // …and the raw JSON handed on as is (`--json`, `Task.raw`, the journal).
                if let Some(raw) = task.raw.as_mut() {
                    seedance_core::rules::redact_json(raw, Some(inner.key.expose()));
                }
                Attempt::Task(task)
            }
            // A 2xx we cannot read (truncated, HTML): the same request (same key) is safe
            // to send again.
            Err(e) => Attempt::Failed {
                error: Error::Decode {
                    status,
                    snippet: format!(
                        "not a task ({}): {}",
                        seedance_core::rules::excerpt(
                            &e.to_string(),
                            Some(inner.key.expose()),
                            200
                        ),
                        snippet(inner, &resp.body)
                    ),
                },
                retry: Retry::Backoff,
            },
        };
    }
    let api_error = serde_json::from_slice::<ErrorBody>(&resp.body)
        .ok()
        .map(|b| b.error);
    let error = match api_error {
        Some(e) => {
            let e = e.redacted(Some(inner.key.expose()));
            Error::Api {
                status,
                error: e,
                retry_after,
            }
        }
        None => match ErrorCode::from_http_status(status) {
            // An undecodable body with a documented status: keep the status's meaning
            // (a server failure with a body, such as a proxy's HTML page, is a decode error).
            Some(code) if status < 500 || resp.body.is_empty() => Error::Api {
                status,
                error: ApiError::new(code, snippet(inner, &resp.body)),
                retry_after,
            },
            _ => Error::Decode {
                status,
                snippet: snippet(inner, &resp.body),
            },
        },
    };
    if status == 429 {
        // Whoever caused it, the account is over its limit: pause every request.
        if let Some(b) = &inner.budget {
            let pause = retry_after.unwrap_or(inner.retry.base);
            b.pause_until(crate::backoff::instant_after(pause));
        }
    }
    // Reading R27: the core's one table (status + code → never / backoff / after
    // Retry-After / the R18 conflict rule).
    let retry = Retry::from(seedance_core::rules::retry_class(
        status,
        error.code(),
        retry_after,
    ));
    Attempt::Failed { error, retry }
}

/// Reading R18: whether a 409 is retried with the same key, by the core's one rule
/// (anything that is not an API error has no message and reads as an unknown conflict).
pub(crate) fn conflict_is_retried(error: &Error, sent_before: bool) -> bool {
    match error {
        Error::Api { error, .. } => {
            seedance_core::rules::conflict_is_retried(&error.message, sent_before)
        }
        _ => seedance_core::rules::conflict_is_retried("", sent_before),
    }
}

/// The `Authorization` header, marked sensitive (never shown by reqwest's Debug).
pub(crate) fn auth_header(key: &str) -> Result<HeaderValue, Error> {
    let mut v = HeaderValue::from_str(&format!("Bearer {key}"))
        .map_err(|_| Error::Config("the API key is not a valid header value".into()))?;
    v.set_sensitive(true);
    Ok(v)
}

/// Whether a URL may be fetched without the key (downloads, preflight): https, or http
/// on loopback (local emulators).
pub(crate) fn check_fetch_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("{raw:?} does not parse ({e})"))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if crate::origin::is_loopback(&url) => Ok(url),
        s => Err(format!("{s}:// URLs are not fetched (https only)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_scrubbed_from_messages() {
        assert_eq!(
            scrub_userinfo("error connecting to proxy http://bob:hunter2@proxy.example:3128/ (x)"),
            "error connecting to proxy http://[redacted]@proxy.example:3128/ (x)"
        );
        assert_eq!(
            scrub_userinfo("a https://h.example/p@q and socks5://u@p:1"),
            "a https://h.example/p@q and socks5://[redacted]@p:1"
        );
        assert_eq!(scrub_userinfo("no url here"), "no url here");
    }
}
