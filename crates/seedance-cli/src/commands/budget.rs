//! `seedance budget`: the account's use of its request budget, from the backend in use.

use seedance_http::PoolUsage;
use serde_json::{json, Value};

use crate::ctx::Ctx;
use crate::error::{from_http, CliError};
use crate::ui::human_duration;

fn usage_json(u: &PoolUsage) -> Value {
    json!({
        "limit": u.limit.requests,
        "window_secs": u.limit.window.as_secs_f64(),
        "in_flight": u.in_flight,
        "in_window": u.in_window,
        "free": u.limit.requests.saturating_sub(u.in_flight + u.in_window),
        "next_free_in_secs": u.next_free_in.map(|d| d.as_secs_f64()),
        "paused_for_secs": u.paused_for.map(|d| d.as_secs_f64()),
        "waiting_processes": u.waiting,
    })
}

fn usage_line(name: &str, u: &PoolUsage) -> String {
    let used = u.in_flight + u.in_window;
    let mut line = format!(
        "{name}: {used}/{} per {} in use ({} in flight, {} in their window)",
        u.limit.requests,
        human_duration(u.limit.window),
        u.in_flight,
        u.in_window
    );
    match u.next_free_in {
        Some(d) => line.push_str(&format!("; next free slot in {}", human_duration(d))),
        None if used < u.limit.requests => line.push_str("; a slot is free now"),
        None => line.push_str("; next free slot when a request in flight is answered"),
    }
    if let Some(p) = u.paused_for {
        line.push_str(&format!("; paused after a 429 for {}", human_duration(p)));
    }
    if u.waiting > 0 {
        line.push_str(&format!("; {} process(es) waiting", u.waiting));
    }
    line
}

/// Prints the status (no request is sent to the API).
pub async fn show(ctx: &Ctx) -> Result<(), CliError> {
    let client = ctx.client_with(None)?;
    let s = client.budget_status().await.map_err(from_http)?;
    if ctx.ui.is_json() {
        ctx.ui.json(&json!({
            "backend": s.backend,
            "degraded": s.degraded,
            "requests": s.requests.as_ref().map(usage_json),
            "media": s.media.as_ref().map(usage_json),
        }));
        return Ok(());
    }
    ctx.ui.out(format!("budget: {}", s.backend));
    if let Some(d) = &s.degraded {
        ctx.ui.out(format!("degraded: {d}"));
    }
    match &s.requests {
        Some(u) => ctx.ui.out(usage_line("requests", u)),
        None => ctx.ui.out("requests: no budget (off)"),
    }
    match &s.media {
        Some(u) => ctx.ui.out(usage_line("reference media", u)),
        None => ctx.ui.out("reference media: no budget (off)"),
    }
    Ok(())
}
