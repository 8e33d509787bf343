//! What the API handlers share: the answers of injected faults, delivery (or a dropped
//! connection), the 307 redirect, authentication and the account's rate limit.
// Handlers return `Result<_, Response>`: the early answer is the error path by design.
#![allow(clippy::result_large_err)]

use std::time::Instant;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use seedance_core::ErrorCode;
use serde_json::{json, Value};

use crate::app::{App, ConnKill};
use crate::errors::{error_response, json_response};
use crate::faults::{Endpoint, FaultKind, Plan};
use crate::state::{admit, Auth};

/// A 429 with its `Retry-After`.
pub(crate) fn rate_limited(retry_after: u64, message: &str) -> Response {
    let mut r = error_response(ErrorCode::RateLimited, message);
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    r
}

pub(crate) fn method_not_allowed(allow: &'static str) -> Response {
    let mut r = error_response(
        ErrorCode::Other("method_not_allowed".into()),
        format!("Method not allowed here; use {allow}"),
    );
    *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    r
}

/// 404 for every path the API does not serve.
pub(crate) async fn fallback(req: Request) -> Response {
    error_response(
        ErrorCode::NotFound,
        format!("No route for {} {}", req.method(), req.uri().path()),
    )
}

const BAD_GATEWAY_HTML: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/// Marks a response that must not be sent: the connection is closed instead.
#[derive(Clone, Copy, Debug)]
struct DropConnection;

/// A placeholder answer meaning "close the connection without answering"; [`deliver`]
/// acts on it. (Handling runs on its own task, which must finish; only the connection's
/// future may hang.)
fn drop_connection() -> Response {
    let mut r = Response::new(Body::empty());
    r.extensions_mut().insert(DropConnection);
    r
}

/// Sends `resp`, or kills the connection when it is a [`drop_connection`] placeholder
/// (the response future then never completes).
pub(crate) async fn deliver(resp: Response, kill: Option<&ConnKill>) -> Response {
    if resp.extensions().get::<DropConnection>().is_none() {
        return resp;
    }
    match kill {
        Some(k) => {
            k.0.notify_one();
            std::future::pending::<Response>().await
        }
        None => error_response(ErrorCode::InternalError, "connection could not be dropped"),
    }
}

/// Runs `handling` on its own task and answers with its result, so that the request is
/// handled to the end even if the client goes away meanwhile (as a real server does: a
/// submit whose client timed out still creates and charges its task, and a retry with
/// the same key replays it).
pub(crate) async fn run_detached<F>(handling: F, kill: Option<ConnKill>) -> Response
where
    F: std::future::Future<Output = Response> + Send + 'static,
{
    let resp = match tokio::spawn(handling).await {
        Ok(r) => r,
        Err(_) => error_response(
            ErrorCode::InternalError,
            "Unexpected server-side failure (the emulator's handler failed)",
        ),
    };
    deliver(resp, kill.as_ref()).await
}

/// The answer of an injected fault that acts before handling, if any (a
/// [`drop_connection`] placeholder for `DropBeforeHandling`: pass it to [`deliver`]).
pub(crate) fn pre_fault(app: &App, plan: &Plan, account: Option<&str>) -> Option<Response> {
    let action = plan.action.as_ref()?;
    let resp = match action {
        FaultKind::ServiceBusy503 => error_response(
            ErrorCode::ServiceBusy,
            "The service is busy (emulated); retry shortly",
        ),
        FaultKind::Internal500 => error_response(
            ErrorCode::InternalError,
            "Unexpected server-side failure (emulated)",
        ),
        FaultKind::RateLimited { retry_after_secs } => {
            app.shared
                .inner
                .lock()
                .bump(account, |s| s.rate_limited += 1);
            rate_limited(
                *retry_after_secs,
                "Too many requests (emulated); retry after the Retry-After header",
            )
        }
        FaultKind::HtmlBadGateway => {
            let mut r = Response::new(Body::from(BAD_GATEWAY_HTML));
            *r.status_mut() = StatusCode::BAD_GATEWAY;
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
            r
        }
        FaultKind::DropBeforeHandling => return Some(drop_connection()),
        other => return super::hostile::pre(other),
    };
    Some(resp)
}

/// Applies an after-handling fault to a finished JSON answer.
pub(crate) fn finish(status: StatusCode, body: Bytes, plan: &Plan) -> Response {
    if let Some(r) = plan
        .action
        .as_ref()
        .and_then(|k| super::hostile::after(k, status, &body))
    {
        return r;
    }
    match &plan.action {
        Some(FaultKind::DropAfterHandling) => drop_connection(),
        Some(FaultKind::MalformedJson) => {
            let cut = body.len() / 2;
            json_response(status, body.slice(..cut))
        }
        Some(FaultKind::ExtraFields) => {
            let mut v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if let Some(o) = v.as_object_mut() {
                o.insert("x_emulator_extra".into(), json!("an unknown field"));
                o.insert("queue_position".into(), json!(0));
                o.insert(
                    "meta".into(),
                    json!({"region": "emulated", "tags": ["a", "b"]}),
                );
                if let Some(out) = o.get_mut("output").and_then(Value::as_object_mut) {
                    out.insert(
                        "thumbnail_url".into(),
                        json!("https://cdn.invalid/thumb.jpg"),
                    );
                }
            }
            json_response(status, Bytes::from(v.to_string()))
        }
        Some(FaultKind::UnknownStatus(s)) => {
            let mut v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if let Some(o) = v.as_object_mut() {
                if o.contains_key("status") {
                    o.insert("status".into(), json!(s));
                }
            }
            json_response(status, Bytes::from(v.to_string()))
        }
        _ => json_response(status, body),
    }
}

/// 307 to another host of the same site, when configured.
pub(crate) fn redirect(app: &App, headers: &HeaderMap, path_and_query: &str) -> Option<Response> {
    let target = {
        let inner = app.shared.inner.lock();
        let r = inner.config.redirect.clone()?;
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        r.target_host(host)?
    };
    app.shared.inner.lock().bump(None, |s| s.redirects += 1);
    let location = format!("http://{target}{path_and_query}");
    let mut r = error_response(
        ErrorCode::Other("redirect".into()),
        format!("This host redirects to {target}"),
    );
    *r.status_mut() = StatusCode::TEMPORARY_REDIRECT;
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Some(r)
}

/// Authenticates and counts the request; the answer for a refused key. A refused key
/// (missing, unknown or revoked) has no account: the 401 is counted only in the totals and
/// uses no account's rate budget (Reading R7).
pub(crate) fn authenticate(
    app: &App,
    headers: &HeaderMap,
    endpoint: Endpoint,
) -> Result<String, Response> {
    let mut inner = app.shared.inner.lock();
    let auth = headers
        .get(header::AUTHORIZATION)
        .map(|h| h.to_str().unwrap_or(""));
    let msg = match inner.authenticate(auth) {
        Auth::Ok(account) => {
            inner.bump(Some(&account), |s| {
                s.requests += 1;
                match endpoint {
                    Endpoint::Submit => s.submits += 1,
                    _ => s.task_reads += 1,
                }
            });
            return Ok(account);
        }
        Auth::Missing => "Missing API key: send it as \"Authorization: Bearer <key>\"",
        Auth::Invalid => "Invalid API key",
        Auth::Revoked => "This API key has been revoked",
    };
    inner.bump(None, |s| s.unauthorized += 1);
    Err(error_response(ErrorCode::Unauthorized, msg))
}

/// The faults of this request, its pre-handling answer if one fires, and the account limit.
pub(crate) fn admit_request(
    app: &App,
    account: &str,
    endpoint: Endpoint,
) -> Result<Plan, Response> {
    let plan = {
        let mut inner = app.shared.inner.lock();
        let plan = inner.decide_faults(endpoint);
        if plan.action.is_some() || !plan.delay.is_zero() {
            inner.bump(Some(account), |s| s.faults_injected += 1);
        }
        plan
    };
    if let Some(r) = pre_fault(app, &plan, Some(account)) {
        return Err(r);
    }
    let mut inner = app.shared.inner.lock();
    if let Some(limit) = inner.config.rate_limit {
        let now = Instant::now();
        let verdict = match inner.accounts.get_mut(account) {
            Some(a) => admit(&mut a.window, &limit, now),
            None => Ok(()),
        };
        if let Err(secs) = verdict {
            inner.bump(Some(account), |s| s.rate_limited += 1);
            return Err(rate_limited(
                secs,
                &format!(
                    "Too many requests: the limit is {} requests per {} seconds per account; retry after {secs} s",
                    limit.requests,
                    limit.window.as_secs_f64()
                ),
            ));
        }
    }
    Ok(plan)
}

pub(crate) fn invalid(app: &App, account: &str, message: impl Into<String>) -> Response {
    app.shared
        .inner
        .lock()
        .bump(Some(account), |s| s.invalid_requests += 1);
    error_response(ErrorCode::InvalidRequest, message)
}
