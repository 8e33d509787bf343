//! The transport layer, under `Client`: the reqwest client, the API origin and the
//! redirect policy (Reading R13: manual redirects, the key only to the API origin), the
//! auth header and user agent, the request timeout and body limits, the budgets (account
//! and reference media), decoding, the retry classification (Reading R27) and the one
//! retry loop ([`Transport::call`]) that submits and reads share; the poller spends its
//! retries through the same rule ([`Retries`]). Keyless fetches (downloads, preflight)
//! go through [`Transport::fetch`]. Nothing here knows the client, its jobs or its
//! store: events go to the [`EventBus`] it was given.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{
    HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, IF_RANGE, LOCATION, RANGE,
    USER_AGENT,
};
use reqwest::{Method, StatusCode};
use seedance_core::rules::RetryClass;
use seedance_core::{ApiError, ErrorBody, ErrorCode, Task, TaskId};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::backoff::{parse_retry_after, RetryPolicy};
use crate::budget::{self, Budget, BudgetStatus, Permit, Pool, RateLimit};
use crate::config::Settings;
use crate::error::{ConfigError, Error, TransportError, TransportErrorKind};
use crate::events::{Event, EventBus};
use crate::origin::{redirect_decision, RedirectDecision};
use crate::secret::ApiKey;

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
pub(crate) fn snippet(inner: &Transport, body: &[u8]) -> String {
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
    inner: &Transport,
    resp: reqwest::Response,
    max: u64,
) -> Result<bytes::Bytes, SendError> {
    let too_big = || {
        SendError::final_(Error::Transport(TransportError::new(
            TransportErrorKind::BodyTooLarge,
            format!("larger than the {max}-byte limit (ClientBuilder::max_body_bytes)"),
        )))
    };
    if resp.content_length().is_some_and(|n| n > max) {
        return Err(too_big());
    }
    let mut buf = bytes::BytesMut::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
        let chunk = chunk.map_err(|e| SendError::retryable(transport_error(inner, e)))?;
        if buf.len() as u64 + chunk.len() as u64 > max {
            return Err(too_big());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// A reqwest failure as [`Error::Transport`] (reqwest errors name the URL, never
/// headers; the detail is redacted anyway).
fn transport_error(inner: &Transport, e: reqwest::Error) -> Error {
    Error::Transport(TransportError::from_reqwest(e, |t| inner.key.redact(t)))
}

/// Sends one request to the API (following allowed redirects) and reads the body.
/// `held` are budget slots already taken: the poller's general slot, or a submit's
/// reference-media slot (taken before the general one, so that a submit never holds a
/// general slot idle while it waits for the scarcer media budget). A general slot is
/// taken here unless `general_held`; every redirect hop takes its own. Slots count as
/// spent only once the request leaves.
pub(crate) async fn send(
    inner: &Transport,
    method: Method,
    path: &str,
    body: Option<&[u8]>,
    idempotency_key: Option<&str>,
    mut held: Vec<Permit>,
    general_held: bool,
) -> Result<RawResponse, SendError> {
    let mut url = inner.base_url.join(path).map_err(|e| {
        SendError::final_(Error::Transport(TransportError::new(
            TransportErrorKind::Request,
            format!("bad path {path:?}: {e}"),
        )))
        .unsent()
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
                SendError::final_(Error::Config(ConfigError::InvalidHeader {
                    what: "idempotency key",
                }))
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
                        return Err(SendError::retryable(transport_error(inner, e)).unsent());
                    }
                }
                return Err(SendError::retryable(transport_error(inner, e)));
            }
        };
        let status = resp.status();
        if status.is_redirection() {
            let Some(loc) = resp.headers().get(LOCATION).and_then(|v| v.to_str().ok()) else {
                return Err(SendError::final_(Error::Transport(
                    TransportError::new(
                        TransportErrorKind::InvalidRedirect,
                        format!("HTTP {status} without a Location"),
                    )
                    .with_url(&url),
                )));
            };
            let to = url.join(loc).map_err(|e| {
                SendError::final_(Error::Transport(
                    TransportError::new(
                        TransportErrorKind::InvalidRedirect,
                        format!("redirect to an unparsable Location: {e}"),
                    )
                    .with_url(&url),
                ))
            })?;
            // A POST may only be redirected as itself (307/308); 301/302/303 would turn it
            // into a GET without the body.
            if method == Method::POST
                && !matches!(
                    status,
                    StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT
                )
            {
                return Err(SendError::final_(Error::Transport(
                    TransportError::new(
                        TransportErrorKind::RedirectRefused,
                        format!(
                            "HTTP {status} redirect of a submit to {} refused (only 307/308 keep the body)",
                            to.origin().ascii_serialization()
                        ),
                    )
                    .with_url(&url),
                )));
            }
            match redirect_decision(&url, &to) {
                RedirectDecision::FollowWithKey => {
                    tracing::debug!(from = %url, to = %to, "following redirect");
                    url = to;
                    continue;
                }
                RedirectDecision::Refuse(why) => {
                    return Err(SendError::final_(Error::Transport(
                        TransportError::new(TransportErrorKind::RedirectRefused, why)
                            .with_url(&url),
                    )))
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
    Err(SendError::final_(Error::Transport(
        TransportError::new(
            TransportErrorKind::TooManyRedirects,
            format!("more than {MAX_REDIRECTS} redirects"),
        )
        .with_url(&url),
    )))
}

/// Classifies a response or a transport error.
pub(crate) fn classify(inner: &Transport, result: Result<RawResponse, SendError>) -> Attempt {
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
        .map_err(|_| Error::Config(ConfigError::InvalidHeader { what: "API key" }))?;
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

/// The API connection under every [`Client`](crate::Client) (clones share one): what a
/// request needs to leave and come back, and nothing about jobs.
pub(crate) struct Transport {
    http: reqwest::Client,
    base_url: Url,
    key: ApiKey,
    auth_header: HeaderValue,
    user_agent: HeaderValue,
    timeout: Duration,
    /// Reading R24: the largest API body read.
    max_body_bytes: u64,
    /// Reading R24: the largest download, and the longest one file may take.
    max_download_bytes: u64,
    download_deadline: Duration,
    retry: RetryPolicy,
    budget: Option<Arc<Budget>>,
    media_budget: Option<Arc<Budget>>,
    events: EventBus,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("base_url", &self.base_url.as_str())
            .field("api_key", &self.key)
            .field("rate_limit", &self.rate_limit())
            .finish_non_exhaustive()
    }
}

/// One API request for [`Transport::call`].
pub(crate) struct Call<'a> {
    /// What is being done (`submit`, `poll`): events and logs.
    pub(crate) operation: &'static str,
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) body: Option<&'a [u8]>,
    /// A submit's `Idempotency-Key`, reused on every retry; only a call with one may
    /// retry a 409 (Reading R18).
    pub(crate) idempotency_key: Option<&'a str>,
    /// Takes a reference-media slot (before the general one) for every attempt.
    pub(crate) media: bool,
    /// Reading R19: the task the answer must be about.
    pub(crate) expect: Option<&'a TaskId>,
}

impl<'a> Call<'a> {
    /// `POST /v1/videos` with its key.
    pub(crate) fn submit(body: &'a [u8], key: &'a str, media: bool) -> Self {
        Call {
            operation: "submit",
            method: Method::POST,
            path: seedance_core::rules::SUBMIT_PATH.to_owned(),
            body: Some(body),
            idempotency_key: Some(key),
            media,
            expect: None,
        }
    }

    /// `GET /v1/videos/{id}`.
    pub(crate) fn get_task(id: &'a TaskId) -> Self {
        Call {
            operation: "poll",
            method: Method::GET,
            path: task_path(id),
            body: None,
            idempotency_key: None,
            media: false,
            expect: Some(id),
        }
    }
}

/// The path of a task.
pub(crate) fn task_path(id: &TaskId) -> String {
    format!("{}/{}", seedance_core::rules::TASKS_PATH, id.as_str())
}

/// What the attempts of one call did (for a submit's charge, Reading R18).
#[derive(Debug, Default)]
pub(crate) struct Trace {
    /// Some attempt may have reached the server.
    pub(crate) reached: bool,
    /// Before the last answer, this request may have reached the server (an earlier
    /// attempt or process).
    pub(crate) earlier: bool,
}

/// The retries of one request so far, and the one rule for whether and when the next
/// attempt goes (Reading R27 via [`classify`]; a 409 by Reading R18): shared by
/// [`Transport::call`] (submits and reads) and the poller.
#[derive(Debug, Default)]
pub(crate) struct Retries {
    /// Retries counted against [`RetryPolicy::max_retries`].
    counted: u32,
    /// Retries of a submit's 409 "still in flight" (bounded by time instead).
    conflicts: u32,
    conflict_since: Option<Instant>,
}

impl Retries {
    /// The delay before the next attempt after `error` (classified `retry`), or `None`
    /// when it is final. `conflict`: for a submit, whether it may have reached the
    /// server before (a 409 is then retried by Reading R18); `None` makes a 409 final.
    /// `bounded`: whether [`RetryPolicy::max_retries`] caps the retries (the poller's
    /// are bounded by its wait instead).
    pub(crate) fn next(
        &mut self,
        policy: &RetryPolicy,
        error: &Error,
        retry: Retry,
        conflict: Option<bool>,
        bounded: bool,
    ) -> Option<Duration> {
        let delay = match retry {
            Retry::No => return None,
            Retry::Conflict => {
                // Reading R18: retry a 409 only when it is not about another body and this
                // same submit was (maybe) sent before, or the server says the first
                // request is still running.
                let sent_before = conflict?;
                if !conflict_is_retried(error, sent_before) {
                    return None;
                }
                let since = *self.conflict_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= policy.in_flight_timeout {
                    return None;
                }
                self.conflicts += 1;
                return Some(match error {
                    Error::Api {
                        retry_after: Some(d),
                        ..
                    } => *d,
                    _ => policy.backoff(self.conflicts.min(6)).max(policy.base / 2),
                });
            }
            Retry::After(d) => d,
            Retry::Backoff => policy.backoff(self.counted),
        };
        if bounded && self.counted >= policy.max_retries {
            return None;
        }
        self.counted += 1;
        Some(delay)
    }

    /// The number of the retry [`Retries::next`] last granted (1-based).
    pub(crate) fn attempt(&self) -> u32 {
        self.counted + self.conflicts
    }
}

/// Waits until `a` or `b` is cancelled.
pub(crate) async fn cancelled(a: &CancellationToken, b: Option<&CancellationToken>) {
    match b {
        Some(b) => {
            tokio::select! {
                _ = a.cancelled() => {}
                _ = b.cancelled() => {}
            }
        }
        None => a.cancelled().await,
    }
}

/// Sleeps `d` unless `token` or `cancel` is cancelled first ([`Error::Cancelled`]).
pub(crate) async fn sleep_or_cancel(
    d: Duration,
    token: &CancellationToken,
    cancel: Option<&CancellationToken>,
) -> Result<(), Error> {
    tokio::select! {
        _ = tokio::time::sleep(d) => Ok(()),
        _ = cancelled(token, cancel) => Err(Error::Cancelled),
    }
}

fn budget_error(e: budget::BackendError) -> Error {
    Error::Config(ConfigError::budget(e.0, e.1))
}

impl Transport {
    /// The transport of the builder's settings: its own reqwest client unless `http` is
    /// given, and the budgets on the backend the settings name.
    pub(crate) fn new(
        s: &Settings,
        http: Option<reqwest::Client>,
        events: EventBus,
    ) -> Result<Transport, Error> {
        let http = match http {
            Some(c) => c,
            None => crate::http_client::default_client(s.connect_timeout)?,
        };
        let auth_header = auth_header(s.api_key.expose())?;
        let user_agent = HeaderValue::from_str(&s.user_agent)
            .map_err(|_| Error::Config(ConfigError::InvalidHeader { what: "user agent" }))?;
        let fingerprint = budget::account_fingerprint(
            &s.base_url.origin().ascii_serialization(),
            s.api_key.expose(),
        );
        let backend = (s.rate_limit.is_some() || s.media_rate_limit.is_some())
            .then(|| budget::open_backend(&s.budget, &fingerprint, &events));
        let make = |limit: Option<RateLimit>, pool: Pool| {
            let backend = backend.clone()?;
            Some(Budget::with_backend(
                limit?,
                pool,
                backend,
                Some(events.clone()),
            ))
        };
        let budget = make(s.rate_limit, Pool::General);
        let media_budget = make(s.media_rate_limit, Pool::Media);
        Ok(Transport {
            http,
            base_url: s.base_url.clone(),
            key: s.api_key.clone(),
            auth_header,
            user_agent,
            timeout: s.timeout,
            max_body_bytes: s.max_body_bytes,
            max_download_bytes: s.max_download_bytes,
            download_deadline: s.download_deadline,
            retry: s.retry.clone(),
            budget,
            media_budget,
            events,
        })
    }

    /// The API origin in use.
    pub(crate) fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The API key (for `Debug`, which never shows it).
    pub(crate) fn api_key(&self) -> &ApiKey {
        &self.key
    }

    /// The event sink of this transport (and of the client over it).
    pub(crate) fn events(&self) -> &EventBus {
        &self.events
    }

    /// How failed requests are retried.
    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The per-request timeout (also a download's longest silence).
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Reading R24: the largest download, and the longest one file may take.
    pub(crate) fn download_limits(&self) -> (u64, Duration) {
        (self.max_download_bytes, self.download_deadline)
    }

    /// The account's request budget in force (`None`: off).
    pub(crate) fn rate_limit(&self) -> Option<RateLimit> {
        self.budget.as_ref().map(|b| b.limit())
    }

    /// Requests sent through the account's budget so far.
    pub(crate) fn requests_sent(&self) -> Option<u64> {
        self.budget.as_ref().map(|b| b.admitted())
    }

    /// A slot of the account's budget (waits for one), when a budget is on.
    pub(crate) async fn acquire(&self) -> Option<Permit> {
        match &self.budget {
            Some(b) => Some(b.acquire().await),
            None => None,
        }
    }

    /// The account's current use of its budgets (see `Client::budget_status`).
    pub(crate) async fn budget_status(&self) -> Result<BudgetStatus, Error> {
        let general = self.budget.as_ref();
        let media = self.media_budget.as_ref();
        let Some(any) = general.or(media) else {
            return Ok(BudgetStatus {
                backend: "off".to_owned(),
                degraded: None,
                requests: None,
                media: None,
            });
        };
        let requests = match general {
            Some(b) => Some(b.usage().await.map_err(budget_error)?),
            None => None,
        };
        let media = match media {
            Some(b) => Some(b.usage().await.map_err(budget_error)?),
            None => None,
        };
        Ok(BudgetStatus {
            backend: any.backend().describe(),
            degraded: any.backend().degraded(),
            requests,
            media,
        })
    }

    /// Sends `call` until it gives a task or fails for good: the one retry loop of
    /// submits and reads. Each attempt takes its budget slots (a media call its media
    /// slot first); failures are classified ([`classify`]) and retried by [`Retries`]
    /// with a [`Event::RetryScheduled`] each; a 429 to a media call pauses the media
    /// budget too. `trace` starts with whether the request may have been sent before
    /// (an earlier process) and ends with what the attempts did. Stops with
    /// [`Error::Cancelled`] as soon as `token` or `cancel` is cancelled.
    pub(crate) async fn call(
        &self,
        call: &Call<'_>,
        trace: &mut Trace,
        token: &CancellationToken,
        cancel: Option<&CancellationToken>,
    ) -> Result<Task, Error> {
        let mut sent_before = trace.earlier;
        let mut retries = Retries::default();
        loop {
            let send = async {
                // The scarce media slot first, then the general one (in `send`): never a
                // general slot held idle while the media budget is exhausted.
                let held = match (&self.media_budget, call.media) {
                    (Some(b), true) => vec![b.acquire().await],
                    _ => Vec::new(),
                };
                send(
                    self,
                    call.method.clone(),
                    &call.path,
                    call.body,
                    call.idempotency_key,
                    held,
                    false,
                )
                .await
            };
            let result = tokio::select! {
                r = send => r,
                _ = cancelled(token, cancel) => {
                    // it may have left already
                    trace.reached = true;
                    return Err(Error::Cancelled);
                }
            };
            let unsent = matches!(&result, Err(e) if e.unsent);
            trace.earlier = sent_before;
            if !unsent {
                trace.reached = true;
            }
            let attempt = classify(self, result);
            let attempt = match call.expect {
                Some(id) => expect_task(id, attempt),
                None => attempt,
            };
            let (error, retry) = match attempt {
                Attempt::Task(task) => return Ok(task),
                Attempt::Failed { error, retry } => (error, retry),
            };
            if let Retry::After(d) = retry {
                if call.media && error.status() == Some(429) {
                    if let Some(b) = &self.media_budget {
                        b.pause_until(crate::backoff::instant_after(d));
                    }
                }
            }
            let conflict = call.idempotency_key.map(|_| sent_before);
            let Some(delay) = retries.next(&self.retry, &error, retry, conflict, true) else {
                return Err(error);
            };
            if call.idempotency_key.is_some() {
                // The client's own retry warning keeps its target (`seedance_http::client`):
                // the CLI quiets it below -vv (the retry event says it once).
                tracing::warn!(target: "seedance_http::client", error = %error, delay_ms = delay.as_millis() as u64, "submit will be retried with the same key");
            }
            self.events.emit(Event::RetryScheduled {
                operation: call.operation,
                task_id: call.expect.cloned(),
                reason: error.to_string(),
                error: Box::new(error.clone()),
                delay,
                attempt: retries.attempt(),
            });
            sent_before |= !unsent;
            sleep_or_cancel(delay, token, cancel).await?;
        }
    }

    /// Sends a keyless GET/HEAD to a CDN or reference URL, following redirects (https,
    /// or loopback http) by hand. The API key is never attached; `if_range` is sent with
    /// the range.
    pub(crate) async fn fetch(
        &self,
        url: &Url,
        method: Method,
        range: Option<String>,
        if_range: Option<&str>,
    ) -> Result<reqwest::Response, Error> {
        let inner = self;
        let mut url = url.clone();
        for _ in 0..=MAX_REDIRECTS {
            let mut req = inner
                .http
                .request(method.clone(), url.clone())
                .header(USER_AGENT, inner.user_agent.clone());
            if let Some(r) = &range {
                req = req.header(RANGE, r.as_str());
                if let Some(v) = if_range {
                    req = req.header(IF_RANGE, v);
                }
            }
            let resp = tokio::time::timeout(inner.timeout, req.send())
                .await
                .map_err(|_| {
                    Error::Transport(
                        TransportError::new(TransportErrorKind::Timeout, "").with_url(&url),
                    )
                })?
                .map_err(|e| {
                    // Not the URL itself: a signed CDN URL's query is a credential (the
                    // error keeps the URL without it, its source is without the URL).
                    Error::Transport(TransportError::from_reqwest(e, str::to_owned).with_url(&url))
                })?;
            if resp.status().is_redirection() {
                let loc = resp
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| {
                        Error::Transport(
                            TransportError::new(
                                TransportErrorKind::InvalidRedirect,
                                "redirect without a Location",
                            )
                            .with_url(&url),
                        )
                    })?;
                let to = url.join(loc).map_err(|e| {
                    Error::Transport(
                        TransportError::new(
                            TransportErrorKind::InvalidRedirect,
                            format!("bad redirect Location: {e}"),
                        )
                        .with_url(&url),
                    )
                })?;
                url = check_fetch_url(to.as_str()).map_err(|why| {
                    Error::Transport(
                        TransportError::new(TransportErrorKind::RedirectRefused, why)
                            .with_url(&url),
                    )
                })?;
                continue;
            }
            return Ok(resp);
        }
        Err(Error::Transport(
            TransportError::new(
                TransportErrorKind::TooManyRedirects,
                format!("more than {MAX_REDIRECTS} redirects"),
            )
            .with_url(&url),
        ))
    }
}

/// The URL without query and fragment (and user-info), for messages and records: signed
/// CDN URLs carry credentials in the query.
pub(crate) fn without_query(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_part_records_never_keep_a_signed_query() {
        let u = Url::parse("https://u:p@cdn.example/v/1.mp4?X-Signature=SECRET#t=1").unwrap();
        let shown = without_query(&u);
        assert_eq!(shown, "https://cdn.example/v/1.mp4");
    }

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_retries: 2,
            base: Duration::from_millis(10),
            cap: Duration::from_millis(40),
            in_flight_timeout: Duration::from_secs(60),
        }
    }

    fn api(status: u16, code: ErrorCode, message: &str) -> Error {
        Error::Api {
            status,
            error: ApiError::new(code, message),
            retry_after: None,
        }
    }

    #[test]
    fn one_retry_rule_for_submits_reads_and_the_poller() {
        let p = policy();
        let busy = api(503, ErrorCode::ServiceBusy, "busy");
        // bounded (submit, get): max_retries retries, then final; counted from 1
        let mut r = Retries::default();
        assert!(r.next(&p, &busy, Retry::Backoff, None, true).is_some());
        assert_eq!(r.attempt(), 1);
        assert!(r.next(&p, &busy, Retry::Backoff, None, true).is_some());
        assert_eq!(r.next(&p, &busy, Retry::Backoff, None, true), None);
        // unbounded (the poller): the wait bounds it, not max_retries
        let mut r = Retries::default();
        for _ in 0..10 {
            assert!(r.next(&p, &busy, Retry::Backoff, None, false).is_some());
        }
        assert_eq!(r.attempt(), 10);
        // Retry-After is honoured exactly, and a final class is final
        let mut r = Retries::default();
        let d = Duration::from_millis(1234);
        assert_eq!(r.next(&p, &busy, Retry::After(d), None, true), Some(d));
        assert_eq!(r.next(&p, &busy, Retry::No, None, false), None);
    }

    #[test]
    fn a_conflict_is_retried_only_for_a_submit_by_reading_r18() {
        let p = policy();
        let conflict = |m| api(409, ErrorCode::IdempotencyConflict, m);
        let running = conflict("Conflict");
        // a read (no key): a 409 is final
        assert_eq!(
            Retries::default().next(&p, &running, Retry::Conflict, None, true),
            None
        );
        // a submit never sent before, or one with another body: final
        let other_body = conflict("Key used with a different body");
        let mut r = Retries::default();
        assert_eq!(
            r.next(&p, &running, Retry::Conflict, Some(false), true),
            None
        );
        assert_eq!(
            r.next(&p, &other_body, Retry::Conflict, Some(true), true),
            None
        );
        // a submit sent before: retried (at least base / 2), not counted against
        // max_retries
        for _ in 0..5 {
            let d = r.next(&p, &running, Retry::Conflict, Some(true), true);
            assert!(d.is_some_and(|d| d >= p.base / 2));
        }
        assert_eq!(r.attempt(), 5);
        let busy = api(503, ErrorCode::ServiceBusy, "busy");
        assert!(r
            .next(&p, &busy, Retry::Backoff, Some(true), true)
            .is_some());
    }
}
