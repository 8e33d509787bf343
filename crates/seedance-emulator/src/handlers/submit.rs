//! `POST /api/v1/video/seedance2`, as named steps in the order a real server takes
//! them: [`authenticated`] (and the redirect, the faults and the account's limit),
//! [`read_body`], [`idempotency`], [`parse_and_validate`], [`media_limit`],
//! [`content_policy`], [`priced`] and [`create`]. Each step answers early (the `Err`
//! side) or hands what it learned to the next.
// Handlers return `Result<_, Response>`: the early answer is the error path by design.
#![allow(clippy::result_large_err)]

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use seedance_core::{Channel, ErrorCode, QualityTier, VideoRequest};
use serde_json::{json, Value};

use super::common::{
    admit_request, authenticate, finish, invalid, method_not_allowed, rate_limited, redirect,
    run_detached,
};
use crate::app::{App, ConnKill};
use crate::errors::error_response;
use crate::faults::{Endpoint, Plan};
use crate::state::{admit, canonical_json, IdemEntry, TaskRecord};

/// `POST /api/v1/video/seedance2` (any other method: 405).
pub(crate) async fn submit_route(State(app): State<Arc<App>>, req: Request) -> Response {
    if req.method() != Method::POST {
        return method_not_allowed("POST");
    }
    let kill = req.extensions().get::<ConnKill>().cloned();
    run_detached(async move { submit(&app, req).await }, kill).await
}

/// The submit, step by step.
async fn submit(app: &Arc<App>, req: Request) -> Response {
    match submit_steps(app, req).await {
        Ok(r) | Err(r) => r,
    }
}

async fn submit_steps(app: &Arc<App>, req: Request) -> Result<Response, Response> {
    let (parts, body) = req.into_parts();
    let caller = authenticated(app, &parts)?;
    let body = read_body(&caller, &parts.headers, body).await?;
    let guard = idempotency(&caller, &parts.headers, &body.value)?;
    if !caller.plan.delay.is_zero() {
        tokio::time::sleep(caller.plan.delay).await;
    }
    let request = parse_and_validate(&caller, &body.bytes)?;
    media_limit(&caller, &request)?;
    content_policy(&caller, &request)?;
    let price = priced(&caller, &request)?;
    let accepted = create(&caller, &request, price, guard)?;
    Ok(finish(StatusCode::ACCEPTED, accepted, &caller.plan))
}

/// Who is submitting: the account, and the faults planned for this request.
struct Caller<'a> {
    app: &'a Arc<App>,
    account: String,
    plan: Plan,
}

impl Caller<'_> {
    /// A 400 `invalid_request`, counted for the account.
    fn invalid(&self, message: impl Into<String>) -> Response {
        invalid(self.app, &self.account, message)
    }
}

/// Step 1, auth: the redirect when configured, the key, the faults that act before
/// handling, and the account-wide limit (Reading R7).
fn authenticated<'a>(app: &'a Arc<App>, parts: &Parts) -> Result<Caller<'a>, Response> {
    let pq = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    if let Some(r) = redirect(app, &parts.headers, pq) {
        return Err(r);
    }
    let account = authenticate(app, &parts.headers, Endpoint::Submit)?;
    let plan = admit_request(app, &account, Endpoint::Submit)?;
    Ok(Caller { app, account, plan })
}

/// The body as read: its bytes (validated again, field by field) and its JSON.
struct SubmitBody {
    bytes: Bytes,
    value: Value,
}

/// Step 2, body: a JSON content type, at most `max_body_bytes`, a JSON object.
async fn read_body(
    caller: &Caller<'_>,
    headers: &HeaderMap,
    body: axum::body::Body,
) -> Result<SubmitBody, Response> {
    if !is_json_content_type(headers) {
        return Err(caller.invalid("Content-Type must be application/json"));
    }
    let max = caller.app.shared.inner.lock().config.max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(caller.invalid(format!("Request body too large: at most {max} bytes")));
    }
    let bytes = axum::body::to_bytes(body, max).await.map_err(|_| {
        caller.invalid(format!(
            "Request body too large or unreadable: at most {max} bytes"
        ))
    })?;
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| caller.invalid(format!("Invalid request body: malformed JSON ({e})")))?;
    if !value.is_object() {
        return Err(caller.invalid("Invalid request body: the body must be a JSON object"));
    }
    Ok(SubmitBody { bytes, value })
}

/// Step 3, idempotency: a malformed key is refused (Reading R26, the core's rule: the
/// client refuses the same keys before sending); a key seen with another body, or whose
/// first request is still running, is a 409; a key seen with this body replays the first
/// answer (the `Err` side: nothing more happens). Otherwise the key is held in flight
/// until [`create`] stores the answer, or freed when the guard drops.
fn idempotency<'a>(
    caller: &Caller<'a>,
    headers: &HeaderMap,
    body: &Value,
) -> Result<IdemGuard<'a>, Response> {
    let mut guard = IdemGuard {
        app: caller.app,
        key: None,
        token: 0,
    };
    let key = match headers.get("idempotency-key") {
        None => return Ok(guard),
        Some(v) => match v.to_str() {
            Ok(s) if seedance_core::rules::check_idempotency_key(s).is_ok() => s.to_owned(),
            _ => {
                return Err(caller.invalid(format!(
                    "Idempotency-Key must be 1-{} visible ASCII characters",
                    seedance_core::rules::IDEMPOTENCY_KEY_MAX_LEN
                )))
            }
        },
    };
    match idempotency_stage(caller.app, &caller.account, key, canonical_json(body)) {
        IdemStage::Answer(r) => Err(r),
        IdemStage::Replay(status, body) => {
            let mut r = finish(status, body, &caller.plan);
            r.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            Err(r)
        }
        IdemStage::Proceed(map_key, token) => {
            guard.key = Some(map_key);
            guard.token = token;
            Ok(guard)
        }
    }
}

/// Step 4, validation: the spec's field set and types (unknown fields refused, Reading
/// R6), then every rule of `seedance-core`.
fn parse_and_validate(caller: &Caller<'_>, bytes: &[u8]) -> Result<VideoRequest, Response> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let request: VideoRequest = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let msg = if inner.contains("unknown field") {
            format!("Bad input or unsupported field: {inner}")
        } else if path.is_empty() || path == "." {
            format!("Invalid request body: {inner}")
        } else {
            format!("Invalid request body: {path}: {inner}")
        };
        caller.invalid(msg)
    })?;
    seedance_core::validate(&request).map_err(|e| caller.invalid(e.to_string()))?;
    Ok(request)
}

/// Step 5, media limit: a submit with reference media also counts against the second
/// limit (Reading R11).
fn media_limit(caller: &Caller<'_>, request: &VideoRequest) -> Result<(), Response> {
    if !request.has_reference_media() {
        return Ok(());
    }
    let mut inner = caller.app.shared.inner.lock();
    let Some(limit) = inner.config.media_rate_limit else {
        return Ok(());
    };
    let verdict = match inner.accounts.get_mut(&caller.account) {
        Some(a) => admit(&mut a.media_window, &limit, Instant::now()),
        None => Ok(()),
    };
    let Err(secs) = verdict else {
        return Ok(());
    };
    inner.bump(Some(&caller.account), |s| {
        s.rate_limited += 1;
        s.media_rate_limited += 1;
    });
    Err(rate_limited(
        secs,
        &format!(
            "Too many reference-media validation requests: the limit is {} per {} seconds per account; retry after {secs} s",
            limit.requests,
            limit.window.as_secs_f64()
        ),
    ))
}

/// Step 6, content policy: the refusal marker in the prompt, the real-person marker in
/// a reference URL; both are a 400 with no charge.
fn content_policy(caller: &Caller<'_>, request: &VideoRequest) -> Result<(), Response> {
    let (refusal, real_person) = {
        let inner = caller.app.shared.inner.lock();
        (
            inner.config.refusal_marker.clone(),
            inner.config.real_person_marker.clone(),
        )
    };
    if let Some(m) = refusal.filter(|m| !m.is_empty() && request.prompt.contains(m.as_str())) {
        return Err(caller.invalid(format!("The prompt was refused by the content policy (emulated by the marker {m:?}); no credits were charged")));
    }
    if let Some(m) = real_person.filter(|m| !m.is_empty()) {
        if let Some((field, _)) = request
            .reference_urls()
            .into_iter()
            .find(|(_, u)| u.contains(m.as_str()))
        {
            return Err(caller.invalid(format!("{field}: the input image appears to show a real person, which the content policy refuses; no credits were charged")));
        }
    }
    Ok(())
}

/// What a task will cost and how it will render.
struct Price {
    tier: QualityTier,
    channel: Channel,
    cost: u64,
    /// The render time of the core's model, in real (scaled) time.
    model: Duration,
    will_fail: bool,
}

/// Step 7, price: the illustrative price table, the render time (the core's model, time
/// scaled, at most 30 days) and whether the task will fail (the failure marker, or the
/// failure probability).
fn priced(caller: &Caller<'_>, request: &VideoRequest) -> Result<Price, Response> {
    let tier = request.effective_quality_tier();
    let resolution = request.effective_resolution();
    let duration = request.effective_duration().secs();
    let Some(cost) = crate::config::price(&tier, &resolution, duration) else {
        return Err(caller.invalid("This tier and resolution have no price"));
    };
    let (failure_marker, failure_probability, time_scale) = {
        let inner = caller.app.shared.inner.lock();
        let c = &inner.config;
        (
            c.failure_marker.clone(),
            c.failure_probability,
            c.time_scale,
        )
    };
    let will_fail = failure_marker
        .is_some_and(|m| !m.is_empty() && request.prompt.contains(m.as_str()))
        || (failure_probability > 0.0 && fastrand::f64() < failure_probability);
    let model = time_scale
        .to_real(request.expected_render_time())
        .min(seedance_core::rules::SETTING_DURATION_MAX);
    Ok(Price {
        tier,
        channel: request.effective_channel(),
        cost,
        model,
        will_fail,
    })
}

/// Step 8, create: charge the balance (402 when it is short), store the task and the
/// idempotency answer, and settle the task when its render ends. The 202 body.
fn create(
    caller: &Caller<'_>,
    request: &VideoRequest,
    price: Price,
    mut guard: IdemGuard<'_>,
) -> Result<Bytes, Response> {
    let Price {
        tier,
        channel,
        cost,
        model,
        will_fail,
    } = price;
    let account = &caller.account;
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
            "channel": channel.as_str(),
            "credits_used": cost,
        })
        .to_string(),
    );
    let render = {
        let mut inner = caller.app.shared.inner.lock();
        let balance = inner.accounts.get(account).map_or(0, |a| a.balance);
        if balance < cost {
            inner.bump(Some(account), |s| s.insufficient_credits += 1);
            return Err(error_response(
                ErrorCode::InsufficientCredits,
                format!("Not enough credits: this video costs {cost}, the balance is {balance}"),
            ));
        }
        if let Some(a) = inner.accounts.get_mut(account) {
            a.balance -= cost;
        }
        let created = Instant::now();
        let timing = inner.plan_render(account, model, created);
        let render = timing.done_after();
        inner.tasks.insert(
            id.clone(),
            TaskRecord {
                id: id.clone(),
                account: account.clone(),
                tier,
                channel,
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
        inner.bump(Some(account), |s| {
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
        render
    };
    let settle_app = Arc::clone(caller.app);
    tokio::spawn(async move {
        tokio::time::sleep(render).await;
        settle_app.shared.inner.lock().settle(&id, Instant::now());
    });
    Ok(body)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{RuntimeConfig, DEFAULT_ACCOUNT, DEFAULT_CREDITS};
    use crate::media::MediaCache;
    use crate::state::{initial_accounts, Initial, Shared};

    fn app() -> Arc<App> {
        Arc::new(App {
            shared: Shared::new(Initial {
                accounts: initial_accounts(DEFAULT_CREDITS, Vec::new()),
                config: RuntimeConfig::default(),
            }),
            base_url: "http://127.0.0.1:1".into(),
            cdn_url: "http://127.0.0.1:2".into(),
            media: MediaCache::default(),
        })
    }

    fn caller(app: &Arc<App>) -> Caller<'_> {
        Caller {
            app,
            account: DEFAULT_ACCOUNT.into(),
            plan: Plan::default(),
        }
    }

    fn refused<T>(r: Result<T, Response>) -> Response {
        match r {
            Err(r) => r,
            Ok(_) => panic!("the step let the request through"),
        }
    }

    async fn message(r: Response) -> (StatusCode, String) {
        let status = r.status();
        let body = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn each_step_answers_for_itself() {
        let app = app();
        let c = caller(&app);
        // validation names the field
        let (s, m) = message(parse_and_validate(&c, br#"{"prompt":"hi"}"#).unwrap_err()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(m.contains("prompt"), "{m}");
        // content policy: the refusal marker, no charge
        let req = VideoRequest::builder("A cat [refuse]").build_unchecked();
        let (s, m) = message(content_policy(&c, &req).unwrap_err()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(m.contains("content policy"), "{m}");
        assert!(content_policy(&c, &VideoRequest::builder("A cat").build_unchecked()).is_ok());
        // price: the core's render model, scaled; the table's cost
        app.shared.inner.lock().config.time_scale =
            seedance_core::rules::TimeScale::new(1000.0).unwrap();
        let p = priced(&c, &VideoRequest::builder("A cat").build_unchecked()).unwrap();
        assert_eq!(p.model, Duration::from_millis(105));
        assert_eq!(
            Some(p.cost),
            crate::config::price(&p.tier, &Default::default(), 5)
        );
        // media limit: the 4th reference submit within the window is a 429
        let media = VideoRequest::builder("A cat")
            .media_url("https://cdn.example.com/a.png")
            .build_unchecked();
        for _ in 0..seedance_core::rules::MEDIA_RATE_LIMIT_REQUESTS {
            assert!(media_limit(&c, &media).is_ok());
        }
        let r = media_limit(&c, &media).unwrap_err();
        assert!(r.headers().contains_key(header::RETRY_AFTER));
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(media_limit(&c, &VideoRequest::builder("A cat").build_unchecked()).is_ok());
    }

    #[tokio::test]
    async fn idempotency_refuses_a_bad_key_and_replays_a_stored_answer() {
        let app = app();
        let c = caller(&app);
        let body = json!({"prompt": "A cat"});
        let mut h = HeaderMap::new();
        h.insert("idempotency-key", HeaderValue::from_static("a key"));
        let (s, m) = message(refused(idempotency(&c, &h, &body))).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(m.contains("Idempotency-Key"), "{m}");
        h.insert("idempotency-key", HeaderValue::from_static("k-1"));
        let guard = idempotency(&c, &h, &body).unwrap();
        // the first request is still in flight: a second one is a 409
        let (s, _) = message(refused(idempotency(&c, &h, &body))).await;
        assert_eq!(s, StatusCode::CONFLICT);
        let req = VideoRequest::builder("A cat").build_unchecked();
        let price = priced(&c, &req).unwrap();
        let first = create(&c, &req, price, guard).unwrap();
        // the same key and body now replays the first answer
        let r = refused(idempotency(&c, &h, &body));
        assert!(r.headers().contains_key("idempotent-replayed"));
        assert_eq!(
            message(r).await,
            (
                StatusCode::ACCEPTED,
                String::from_utf8_lossy(&first).into_owned()
            )
        );
        // another body under the key: 409
        let (s, m) = message(refused(idempotency(&c, &h, &json!({"prompt": "A dog"})))).await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert!(m.contains("different"), "{m}");
    }
}
