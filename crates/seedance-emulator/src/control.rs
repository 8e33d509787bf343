//! `/_emulator/...`: introspection and control over HTTP (for tests in other languages).
// Handlers return `Result<_, Response>`: the early answer is the error path by design.
#![allow(clippy::result_large_err)]
//! The JSON shapes are documented in the crate README.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use seedance_core::ErrorCode;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{error_response, json_response};
use crate::config::{Account, RuntimeConfig};
use crate::faults::{Fault, FaultWire};
use crate::server::App;
use crate::server::Emulator;

type AppState = State<Arc<App>>;

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

impl Emulator {
    /// Changes runtime configuration fields given as a partial JSON object of the README's
    /// `Config` (as `POST /_emulator/config` takes), atomically, and returns the new
    /// configuration. Unknown fields and bad values change nothing and are an error.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let emu = seedance_emulator::Emulator::builder().start().await?;
    /// let c = emu.configure_json(&serde_json::json!({"time_scale": 500.0, "rate_limit": null}))?;
    /// assert_eq!((c.time_scale.get(), c.rate_limit), (500.0, None));
    /// assert!(emu.configure_json(&serde_json::json!({"colour": "red"})).is_err());
    /// assert!(emu.configure_json(&serde_json::json!({"time_scale": 0})).is_err());
    /// assert_eq!(emu.config().time_scale.get(), 500.0);
    /// emu.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub fn configure_json(&self, patch: &Value) -> Result<RuntimeConfig, ControlError> {
        let mut result = Err(ControlError::new("not applied"));
        self.configure(|c| {
            result = c.patched(patch).inspect(|new| *c = new.clone());
        });
        result
    }

    /// Adds faults given as JSON (one `FaultJson` object or an array of them, as
    /// `POST /_emulator/faults` takes; all or nothing) and returns how many were added.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let emu = seedance_emulator::Emulator::builder().start().await?;
    /// let n = emu.inject_json(&serde_json::json!({"endpoint": "submit", "kind": "service_busy", "nth": 1}))?;
    /// assert_eq!(n, 1);
    /// emu.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub fn inject_json(&self, faults: &Value) -> Result<usize, ControlError> {
        let list = Fault::list_from_json(faults)?;
        let n = list.len();
        for f in list {
            self.inject(f);
        }
        Ok(n)
    }
}

pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/_emulator/info", get(info))
        .route("/_emulator/stats", get(stats))
        .route("/_emulator/stats/{account}", get(account_stats))
        .route("/_emulator/reset", post(reset))
        .route("/_emulator/config", get(get_config).post(set_config))
        .route(
            "/_emulator/faults",
            get(list_faults).post(add_faults).delete(clear_faults),
        )
        .route("/_emulator/tasks", get(tasks))
        .route("/_emulator/accounts", post(add_account))
        .route("/_emulator/accounts/{account}/credits", post(set_credits))
        .route("/_emulator/cdn/auth-headers", get(auth_headers))
}

fn ok(v: &Value) -> Response {
    json_response(StatusCode::OK, Bytes::from(v.to_string()))
}

fn no_content() -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::NO_CONTENT;
    r
}

fn bad(msg: impl Into<String>) -> Response {
    error_response(ErrorCode::InvalidRequest, msg)
}

async fn body_json(req: Request) -> Result<Value, Response> {
    let bytes = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .map_err(|_| bad("body too large"))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&bytes).map_err(|e| bad(format!("malformed JSON: {e}")))
}

async fn info(State(app): AppState) -> Response {
    ok(&json!({
        "base_url": app.base_url,
        "cdn_url": app.cdn_url,
        "api_key": crate::DEFAULT_TEST_KEY,
        "keys": {
            "default": crate::DEFAULT_TEST_KEY,
            "default_second": crate::DEFAULT_TEST_KEY_2,
            "revoked": crate::REVOKED_TEST_KEY,
            "no_credits": crate::NO_CREDITS_TEST_KEY,
        },
        "accounts": {
            "default": crate::DEFAULT_ACCOUNT,
            "no_credits": crate::NO_CREDITS_ACCOUNT,
        },
    }))
}

async fn stats(State(app): AppState) -> Response {
    let mut inner = app.shared.inner.lock();
    let total = inner.total_stats();
    let ids: Vec<String> = inner.accounts.keys().cloned().collect();
    let accounts: BTreeMap<String, Value> = ids
        .into_iter()
        .filter_map(|id| {
            let s = inner.stats_of(&id)?;
            Some((id, serde_json::to_value(s).unwrap_or(Value::Null)))
        })
        .collect();
    drop(inner);
    ok(&json!({"total": total, "accounts": accounts}))
}

async fn account_stats(State(app): AppState, Path(account): Path<String>) -> Response {
    let s = app.shared.inner.lock().stats_of(&account);
    match s {
        Some(s) => ok(&serde_json::to_value(s).unwrap_or(Value::Null)),
        None => error_response(ErrorCode::NotFound, format!("no account {account:?}")),
    }
}

async fn reset(State(app): AppState) -> Response {
    app.shared.reset();
    no_content()
}

async fn get_config(State(app): AppState) -> Response {
    let c = app.shared.inner.lock().config.clone();
    ok(&serde_json::to_value(c).unwrap_or(Value::Null))
}

async fn set_config(State(app): AppState, req: Request) -> Response {
    let patch = match body_json(req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut inner = app.shared.inner.lock();
    match inner.config.patched(&patch) {
        Ok(c) => {
            inner.config = c.clone();
            drop(inner);
            ok(&serde_json::to_value(c).unwrap_or(Value::Null))
        }
        Err(e) => bad(e.to_string()),
    }
}

async fn list_faults(State(app): AppState) -> Response {
    let inner = app.shared.inner.lock();
    let list: Vec<FaultWire> = inner
        .faults
        .iter()
        .map(|s| s.fault.to_wire(s.seen, s.fired))
        .collect();
    drop(inner);
    ok(&serde_json::to_value(list).unwrap_or(Value::Null))
}

async fn add_faults(State(app): AppState, req: Request) -> Response {
    let v = match body_json(req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let faults = match Fault::list_from_json(&v) {
        Ok(f) => f,
        Err(e) => return bad(e.to_string()),
    };
    let n = faults.len();
    let mut inner = app.shared.inner.lock();
    for f in faults {
        inner.inject(f);
    }
    drop(inner);
    json_response(
        StatusCode::CREATED,
        Bytes::from(json!({"added": n}).to_string()),
    )
}

async fn clear_faults(State(app): AppState) -> Response {
    app.shared.inner.lock().faults.clear();
    no_content()
}

async fn tasks(State(app): AppState) -> Response {
    let mut inner = app.shared.inner.lock();
    let now = Instant::now();
    inner.settle_due(now);
    let mut list: Vec<(std::time::SystemTime, Value)> = inner
        .tasks
        .values()
        .map(|t| {
            let mut v = t.to_json(now, &app.cdn_url);
            if let Some(o) = v.as_object_mut() {
                o.insert("account".into(), json!(t.account));
                let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
                o.insert(
                    "timing".into(),
                    json!({
                        "model_ms": ms(t.timing.model),
                        "render_ms": ms(t.timing.render),
                        "queued_ms": ms(t.timing.queued),
                        "done_ms": ms(t.timing.done_after()),
                        "first_seen_done_ms": t.timing.first_seen_done.map(ms),
                        "polls": t.timing.polls,
                    }),
                );
            }
            (t.created_at, v)
        })
        .collect();
    drop(inner);
    list.sort_by_key(|(at, _)| *at);
    ok(&Value::Array(list.into_iter().map(|(_, v)| v).collect()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountWire {
    id: String,
    #[serde(default)]
    keys: Vec<String>,
    #[serde(default)]
    revoked_keys: Vec<String>,
    #[serde(default)]
    credits: u64,
}

async fn add_account(State(app): AppState, req: Request) -> Response {
    let v = match body_json(req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let w: AccountWire = match serde_json::from_value(v) {
        Ok(w) => w,
        Err(e) => return bad(format!("invalid account: {e}")),
    };
    let mut a = Account::new(w.id).credits(w.credits);
    for k in w.keys {
        a = a.key(k);
    }
    for k in w.revoked_keys {
        a = a.revoked_key(k);
    }
    app.shared.inner.lock().add_account(&a);
    json_response(
        StatusCode::CREATED,
        Bytes::from(json!({"id": a.id}).to_string()),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreditsWire {
    credits: u64,
}

async fn set_credits(State(app): AppState, Path(account): Path<String>, req: Request) -> Response {
    let v = match body_json(req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let w: CreditsWire = match serde_json::from_value(v) {
        Ok(w) => w,
        Err(e) => return bad(format!("expected {{\"credits\": N}}: {e}")),
    };
    let mut inner = app.shared.inner.lock();
    match inner.accounts.get_mut(&account) {
        Some(a) => {
            a.balance = w.credits;
            drop(inner);
            ok(&json!({"id": account, "credits": w.credits}))
        }
        None => error_response(ErrorCode::NotFound, format!("no account {account:?}")),
    }
}

async fn auth_headers(State(app): AppState) -> Response {
    let list = app.shared.inner.lock().cdn_auth_headers.clone();
    ok(&json!(list))
}
