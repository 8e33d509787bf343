//! `GET /api/v1/tasks/{id}`: a task as its owner sees it now.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use seedance_core::ErrorCode;
use serde_json::json;

use super::common::{
    admit_request, authenticate, finish, method_not_allowed, redirect, run_detached,
};
use crate::app::{App, ConnKill};
use crate::errors::error_response;
use crate::faults::{Endpoint, FaultKind};

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
