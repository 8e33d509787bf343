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

use crate::app::App;
use crate::config::{
    Account, DEFAULT_ACCOUNT, DEFAULT_TEST_KEY, DEFAULT_TEST_KEY_2, NO_CREDITS_ACCOUNT,
    NO_CREDITS_TEST_KEY, REVOKED_TEST_KEY,
};
use crate::errors::{error_response, json_response};
use crate::faults::{Fault, FaultWire};

type AppState = State<Arc<App>>;

/// The `/_emulator/...` routes.
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
        "api_key": DEFAULT_TEST_KEY,
        "keys": {
            "default": DEFAULT_TEST_KEY,
            "default_second": DEFAULT_TEST_KEY_2,
            "revoked": REVOKED_TEST_KEY,
            "no_credits": NO_CREDITS_TEST_KEY,
        },
        "accounts": {
            "default": DEFAULT_ACCOUNT,
            "no_credits": NO_CREDITS_ACCOUNT,
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
