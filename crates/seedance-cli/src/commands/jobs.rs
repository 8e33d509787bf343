//! `seedance jobs`: the history of this data dir's job store; `jobs show ID|KEY`,
//! `jobs forget ID|KEY`. Reads and writes while other seedance processes run.

use std::time::Duration;

use seedance_http::{JobFilter, JobRecord, JobStore, UnreadableJob};
use serde_json::{json, Value};

use crate::cli::{JobsAction, JobsArgs};
use crate::ctx::Ctx;
use crate::error::{from_http, CliError};
use crate::ui::human_duration;

fn open(ctx: &Ctx) -> Result<JobStore, CliError> {
    ctx.open_journal()?
        .ok_or_else(|| CliError::usage("jobs needs the job store (drop --no-journal)"))
}

fn unreadable_json(u: &UnreadableJob) -> Value {
    json!({"id": u.id, "idempotency_key": u.key, "problem": u.problem})
}

fn age(j: &JobRecord) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    let secs = now.saturating_sub(j.created_ms()) / 1000;
    format!("{} ago", human_duration(Duration::from_secs(secs)))
}

/// One line of the list for people.
fn line(j: &JobRecord) -> String {
    format!(
        "#{:<4} {:<12} {:<20} {:<24} {:<10} {}  {}  {}",
        j.id,
        j.state.as_str(),
        j.charge.describe(),
        j.task_id.as_ref().map_or("(no task id)", |t| t.as_str()),
        age(j),
        if j.scope.origin.is_empty() {
            "(origin unknown)"
        } else {
            &j.scope.origin
        },
        j.output
            .as_ref()
            .map_or_else(|| "-".to_owned(), |p| p.display().to_string()),
        j.prompt_excerpt(60)
    )
}

/// `seedance jobs [--json] [--state S] [--origin URL] [--since D] [--before D]`,
/// `seedance jobs show ID|KEY`, `seedance jobs forget ID|KEY`.
pub async fn jobs(ctx: &Ctx, args: &JobsArgs) -> Result<(), CliError> {
    let ui = &ctx.ui;
    let store = open(ctx)?;
    match &args.action {
        Some(JobsAction::Show { id }) => {
            let found = store.find(id).map_err(from_http)?;
            if found.is_empty() {
                return Err(CliError::usage(format!(
                    "no job {id:?} in {} (`seedance jobs` lists them)",
                    store.path().display()
                )));
            }
            if ui.is_json() {
                let v: Vec<Value> = found.iter().map(JobRecord::to_json).collect();
                ui.json(&json!({"jobs": v}));
            } else {
                for j in &found {
                    let v = j.to_json();
                    let pretty = serde_json::to_string_pretty(&v).unwrap_or_default();
                    ui.out(pretty);
                }
            }
            Ok(())
        }
        Some(JobsAction::Forget { id }) => {
            let n = store.forget(id).map_err(from_http)?;
            if n == 0 && store.find(id).map_err(from_http)?.is_empty() {
                return Err(CliError::usage(format!(
                    "no job {id:?} in {} (`seedance jobs` lists them)",
                    store.path().display()
                )));
            }
            if ui.is_json() {
                ui.json(&json!({"forgotten": n}));
            } else {
                ui.out(format!(
                    "forgot {n} job(s) named {id:?} (kept as history; `seedance resume` leaves them)"
                ));
            }
            Ok(())
        }
        None => {
            let mut f = JobFilter::default();
            for s in &args.state {
                f = f.state(*s);
            }
            if let Some(o) = &args.origin {
                f = f.origin(o);
            }
            if let Some(d) = args.since {
                f = f.newer_than(d);
            }
            if let Some(d) = args.before {
                f = f.older_than(d);
            }
            if args.unfinished {
                f = f.unfinished();
            }
            let list = store.list(&f).map_err(from_http)?;
            if ui.is_json() {
                ui.json(&json!({
                    "store": store.path().display().to_string(),
                    "jobs": list.jobs.iter().map(JobRecord::to_json).collect::<Vec<_>>(),
                    "unreadable": list.unreadable.iter().map(unreadable_json).collect::<Vec<_>>(),
                }));
                return Ok(());
            }
            if list.jobs.is_empty() && list.unreadable.is_empty() {
                ui.out(format!("no jobs ({})", store.path().display()));
            }
            for j in &list.jobs {
                ui.out(line(j));
            }
            for u in &list.unreadable {
                ui.out(format!(
                    "#{:<4} unreadable   {}  ({}; kept in the store, never deleted)",
                    u.id,
                    u.key.as_deref().unwrap_or("?"),
                    u.problem
                ));
            }
            Ok(())
        }
    }
}
