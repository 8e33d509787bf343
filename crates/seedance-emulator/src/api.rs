//! The public API: `POST /api/v1/video/seedance2` and `GET /api/v1/tasks/{id}`.
// Handlers return `Result<_, Response>`: the early answer is the error path by design.
#![allow(clippy::result_large_err)]

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use seedance_core::{ErrorCode, VideoRequest};
use serde_json::{json, Value};

use crate::faults::{Endpoint, FaultKind, Plan};
use crate::server::{App, ConnKill};
use crate::state::{admit, canonical_json, Auth, IdemEntry, TaskRecord};

/// An error answer in the spec's shape.
pub(crate) fn error_response(code: ErrorCode, message: impl Into<String>) -> Response {
    let status = code
        .http_status()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = json!({"error": {"code": code.as_str(), "message": message.into()}});
    json_response(status, Bytes::from(body.to_string()))
}

pub(crate) fn json_response(status: StatusCode, body: Bytes) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn rate_limited(retry_after: u64, message: &str) -> Response {
    let mut r = error_response(ErrorCode::RateLimited, message);
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    r
}

fn method_not_allowed(allow: &'static str) -> Response {
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
async fn run_detached<F>(handling: F, kill: Option<ConnKill>) -> Response
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
        other => return crate::hostile::pre(other),
    };
    Some(resp)
}

/// Applies an after-handling fault to a finished JSON answer.
fn finish(status: StatusCode, body: Bytes, plan: &Plan) -> Response {
    if let Some(r) = plan
        .action
        .as_ref()
        .and_then(|k| crate::hostile::after(k, status, &body))
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
fn authenticate(app: &App, headers: &HeaderMap, endpoint: Endpoint) -> Result<String, Response> {
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
fn admit_request(app: &App, account: &str, endpoint: Endpoint) -> Result<Plan, Response> {
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

fn invalid(app: &App, account: &str, message: impl Into<String>) -> Response {
    app.shared
        .inner
        .lock()
        .bump(Some(account), |s| s.invalid_requests += 1);
    error_response(ErrorCode::InvalidRequest, message)
}

/// Frees an in-flight idempotency key when the request ends without a stored answer.
struct IdemGuard<'a> {
    app: &'a App,
    key: Option<(String, String)>,
    token: u64,
}

impl Drop for IdemGuard<'_> {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            let mut inner = self.app.shared.inner.lock();
            if inner
                .idem
                .get(&k)
                .is_some_and(|e| e.token == self.token && e.response.is_none())
            {
                inner.idem.remove(&k);
            }
        }
    }
}

enum IdemStage {
    Answer(Response),
    Replay(StatusCode, Bytes),
    Proceed((String, String), u64),
}

/// Looks the key up: a conflict, a replay, or a fresh in-flight entry.
fn idempotency_stage(app: &App, account: &str, key: String, fingerprint: String) -> IdemStage {
    let map_key = (account.to_owned(), key);
    let now = Instant::now();
    let mut inner = app.shared.inner.lock();
    let retention = inner.config.idempotency_retention;
    if inner
        .idem
        .get(&map_key)
        .is_some_and(|e| e.response.is_some() && now.duration_since(e.at) >= retention)
    {
        inner.idem.remove(&map_key);
    }
    let existing = inner
        .idem
        .get(&map_key)
        .map(|e| (e.fingerprint == fingerprint, e.response.clone()));
    match existing {
        Some((false, _)) => {
            inner.bump(Some(account), |s| s.idempotency_conflicts += 1);
            IdemStage::Answer(error_response(
                ErrorCode::IdempotencyConflict,
                "This Idempotency-Key was already used with a different request body",
            ))
        }
        Some((true, None)) => {
            inner.bump(Some(account), |s| s.idempotency_conflicts += 1);
            IdemStage::Answer(error_response(
                ErrorCode::IdempotencyConflict,
                "The first request with this Idempotency-Key is still in flight; retry later",
            ))
        }
        Some((true, Some((status, body)))) => {
            inner.bump(Some(account), |s| s.idempotent_replays += 1);
            IdemStage::Replay(
                StatusCode::from_u16(status).unwrap_or(StatusCode::ACCEPTED),
                body,
            )
        }
        None => {
            let token = inner.next_token;
            inner.next_token += 1;
            inner.idem.insert(
                map_key.clone(),
                IdemEntry {
                    fingerprint,
                    at: now,
                    token,
                    response: None,
                },
            );
            inner.sweep_idempotency(now);
            IdemStage::Proceed(map_key, token)
        }
    }
}

fn is_json_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// `POST /api/v1/video/seedance2` (any other method: 405).
pub(crate) async fn submit_route(State(app): State<Arc<App>>, req: Request) -> Response {
    if req.method() != Method::POST {
        return method_not_allowed("POST");
    }
    let kill = req.extensions().get::<ConnKill>().cloned();
    run_detached(async move { submit(&app, req).await }, kill).await
}

async fn submit(app: &Arc<App>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let pq = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    if let Some(r) = redirect(app, &parts.headers, pq) {
        return r;
    }
    let account = match authenticate(app, &parts.headers, Endpoint::Submit) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let plan = match admit_request(app, &account, Endpoint::Submit) {
        Ok(p) => p,
        Err(r) => return r,
    };

    // Transport-level checks: content type, size, JSON.
    if !is_json_content_type(&parts.headers) {
        return invalid(app, &account, "Content-Type must be application/json");
    }
    let max = app.shared.inner.lock().config.max_body_bytes;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return invalid(
            app,
            &account,
            format!("Request body too large: at most {max} bytes"),
        );
    }
    let bytes = match axum::body::to_bytes(body, max).await {
        Ok(b) => b,
        Err(_) => {
            return invalid(
                app,
                &account,
                format!("Request body too large or unreadable: at most {max} bytes"),
            )
        }
    };
    let value: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            return invalid(
                app,
                &account,
                format!("Invalid request body: malformed JSON ({e})"),
            )
        }
    };
    if !value.is_object() {
        return invalid(
            app,
            &account,
            "Invalid request body: the body must be a JSON object",
        );
    }

    // Idempotency.
    let idem_key = match parts.headers.get("idempotency-key") {
        None => None,
        // Reading R26, the core's rule (the client refuses the same keys before sending).
        Some(v) => match v.to_str() {
            Ok(s) if seedance_core::rules::check_idempotency_key(s).is_ok() => Some(s.to_owned()),
            _ => {
                return invalid(
                    app,
                    &account,
                    format!(
                        "Idempotency-Key must be 1-{} visible ASCII characters",
                        seedance_core::rules::IDEMPOTENCY_KEY_MAX_LEN
                    ),
                )
            }
        },
    };
    let mut guard = IdemGuard {
        app,
        key: None,
        token: 0,
    };
    if let Some(key) = idem_key {
        match idempotency_stage(app, &account, key, canonical_json(&value)) {
            IdemStage::Answer(r) => return r,
            IdemStage::Replay(status, body) => {
                let mut r = finish(status, body, &plan);
                r.headers_mut()
                    .insert("idempotent-replayed", HeaderValue::from_static("true"));
                return r;
            }
            IdemStage::Proceed(map_key, token) => {
                guard.key = Some(map_key);
                guard.token = token;
            }
        }
    }

    if !plan.delay.is_zero() {
        tokio::time::sleep(plan.delay).await;
    }

    // The request itself: the spec's field set and types, then every rule (seedance-core).
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    let request: VideoRequest = match serde_path_to_error::deserialize(&mut de) {
        Ok(r) => r,
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            let msg = if inner.contains("unknown field") {
                format!("Bad input or unsupported field: {inner}")
            } else if path.is_empty() || path == "." {
                format!("Invalid request body: {inner}")
            } else {
                format!("Invalid request body: {path}: {inner}")
            };
            return invalid(app, &account, msg);
        }
    };
    if let Err(e) = seedance_core::validate(&request) {
        return invalid(app, &account, e.to_string());
    }

    // Second limit: reference-media validation (R11).
    if request.has_reference_media() {
        let mut inner = app.shared.inner.lock();
        if let Some(limit) = inner.config.media_rate_limit {
            let now = Instant::now();
            let verdict = match inner.accounts.get_mut(&account) {
                Some(a) => admit(&mut a.media_window, &limit, now),
                None => Ok(()),
            };
            if let Err(secs) = verdict {
                inner.bump(Some(&account), |s| {
                    s.rate_limited += 1;
                    s.media_rate_limited += 1;
                });
                return rate_limited(
                    secs,
                    &format!(
                        "Too many reference-media validation requests: the limit is {} per {} seconds per account; retry after {secs} s",
                        limit.requests,
                        limit.window.as_secs_f64()
                    ),
                );
            }
        }
    }

    // Content policy (no charge).
    let (refusal, real_person, failure_marker, failure_probability, time_scale) = {
        let inner = app.shared.inner.lock();
        let c = &inner.config;
        (
            c.refusal_marker.clone(),
            c.real_person_marker.clone(),
            c.failure_marker.clone(),
            c.failure_probability,
            c.time_scale,
        )
    };
    if let Some(m) = refusal.filter(|m| !m.is_empty() && request.prompt.contains(m.as_str())) {
        return invalid(
            app,
            &account,
            format!("The prompt was refused by the content policy (emulated by the marker {m:?}); no credits were charged"),
        );
    }
    if let Some(m) = real_person.filter(|m| !m.is_empty()) {
        if let Some((field, _)) = request
            .reference_urls()
            .into_iter()
            .find(|(_, u)| u.contains(m.as_str()))
        {
            return invalid(
                app,
                &account,
                format!("{field}: the input image appears to show a real person, which the content policy refuses; no credits were charged"),
            );
        }
    }

    // Charge and create.
    let tier = request.effective_quality_tier();
    let resolution = request.effective_resolution();
    let duration = request.effective_duration().secs();
    let Some(cost) = crate::config::price(&tier, &resolution, duration) else {
        return invalid(app, &account, "This tier and resolution have no price");
    };
    let will_fail = failure_marker
        .is_some_and(|m| !m.is_empty() && request.prompt.contains(m.as_str()))
        || (failure_probability > 0.0 && fastrand::f64() < failure_probability);
    // The core's model, in real time; at most 30 days, whatever the scale.
    let model = time_scale
        .to_real(request.expected_render_time())
        .min(seedance_core::rules::SETTING_DURATION_MAX);
    let seed = match request.seed {
        Some(s) if s >= 0 => s,
        _ => i64::from(fastrand::u32(..)),
    };
    let id = format!(
        "sd2_{}",
        (0..24)
            .map(|_| fastrand::alphanumeric())
            .collect::<String>()
    );
    let body = Bytes::from(
        json!({
            "id": id,
            "status": "processing",
            "model": "seedance2",
            "quality_tier": tier.as_str(),
            "channel": request.effective_channel().as_str(),
            "credits_used": cost,
        })
        .to_string(),
    );
    let render;
    {
        let mut inner = app.shared.inner.lock();
        let balance = inner.accounts.get(&account).map_or(0, |a| a.balance);
        if balance < cost {
            inner.bump(Some(&account), |s| s.insufficient_credits += 1);
            return error_response(
                ErrorCode::InsufficientCredits,
                format!("Not enough credits: this video costs {cost}, the balance is {balance}"),
            );
        }
        if let Some(a) = inner.accounts.get_mut(&account) {
            a.balance -= cost;
        }
        let created = Instant::now();
        let timing = inner.plan_render(&account, model, created);
        render = timing.done_after();
        inner.tasks.insert(
            id.clone(),
            TaskRecord {
                id: id.clone(),
                account: account.clone(),
                tier,
                channel: request.effective_channel(),
                aspect_ratio: request.effective_aspect_ratio(),
                credits_used: cost,
                credits_refunded: 0,
                created_at: SystemTime::now(),
                created,
                render,
                timing,
                will_fail,
                seed,
                settled: false,
            },
        );
        inner.bump(Some(&account), |s| {
            s.tasks_created += 1;
            s.credits_charged += cost;
        });
        if let Some(k) = guard.key.take() {
            if let Some(e) = inner.idem.get_mut(&k) {
                if e.token == guard.token {
                    e.response = Some((StatusCode::ACCEPTED.as_u16(), body.clone()));
                    e.at = Instant::now();
                }
            }
        }
    }
    let settle_app = Arc::clone(app);
    let settle_id = id.clone();
    tokio::spawn(async move {
        tokio::time::sleep(render).await;
        settle_app
            .shared
            .inner
            .lock()
            .settle(&settle_id, Instant::now());
    });
    finish(StatusCode::ACCEPTED, body, &plan)
}

/// `GET /api/v1/tasks/{id}` (any other method: 405).
pub(crate) async fn task_route(State(app): State<Arc<App>>, req: Request) -> Response {
    if req.method() != Method::GET {
        return method_not_allowed("GET");
    }
    let kill = req.extensions().get::<ConnKill>().cloned();
    run_detached(async move { get_task(&app, req).await }, kill).await
}

async fn get_task(app: &Arc<App>, req: Request) -> Response {
    let pq = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    if let Some(r) = redirect(app, req.headers(), &pq) {
        return r;
    }
    let id = req
        .uri()
        .path()
        .strip_prefix(seedance_core::rules::TASKS_PATH)
        .and_then(|p| p.strip_prefix('/'))
        .unwrap_or("")
        .to_owned();
    let account = match authenticate(app, req.headers(), Endpoint::GetTask) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let plan = match admit_request(app, &account, Endpoint::GetTask) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if !plan.delay.is_zero() {
        tokio::time::sleep(plan.delay).await;
    }
    let body = {
        let mut inner = app.shared.inner.lock();
        let now = Instant::now();
        inner.settle(&id, now);
        match inner.tasks.get(&id) {
            Some(t) if t.account == account => {
                let body = Bytes::from(t.to_json(now, &app.cdn_url).to_string());
                inner.note_poll(&id, now);
                Some(body)
            }
            _ => None,
        }
    };
    match body {
        Some(b) => finish(StatusCode::OK, b, &plan),
        None => {
            let message =
                format!("Task {id:?} does not exist or does not belong to this key's owner");
            if matches!(plan.action, Some(FaultKind::ControlChars)) {
                let body = json!({"error": {"code": "not_found", "message": message}});
                return finish(StatusCode::NOT_FOUND, Bytes::from(body.to_string()), &plan);
            }
            error_response(ErrorCode::NotFound, message).into_response()
        }
    }
}
