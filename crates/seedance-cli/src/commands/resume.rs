//! `seedance resume`: finish the journal's unfinished jobs.

use std::time::Instant;

use seedance_http::JobOutcome;
use serde_json::{json, Value};

use super::api::{after_charge, dir_path, download_task, prepare_output, print_task, result_json};
use crate::cli::ResumeArgs;
use crate::ctx::{interrupted_jobs, until_ctrl_c, Ctx};
use crate::error::{from_http, CliError};
use crate::ui::human_duration;

/// `seedance resume [-o DIR] [--list]`.
pub async fn resume(ctx: &Ctx, args: &ResumeArgs) -> Result<(), CliError> {
    let ui = &ctx.ui;
    let Some(journal) = ctx.open_journal()? else {
        return Err(CliError::usage(
            "resume needs the journal (drop --no-journal)",
        ));
    };
    let unfinished = journal.unfinished().map_err(from_http)?;
    // The scope this invocation talks to (origin and account); without a key, none.
    let client = ctx.client_with(Some(journal.clone()));
    let scope = client.as_ref().ok().map(|c| c.job_scope().clone());
    let (mine, others): (Vec<_>, Vec<_>) = unfinished.iter().partition(|j| {
        scope
            .as_ref()
            .is_none_or(|s| j.scope == *s || j.scope.is_unknown())
    });
    if args.list {
        let unreadable = journal.unreadable().map_err(from_http)?;
        let row = |j: &seedance_http::JobRecord, here: bool| {
            json!({
                "idempotency_key": j.key, "task_id": j.task_id.as_ref().map(|t| t.to_string()),
                "state": j.state.as_str(), "charge": j.charge.as_str(),
                "origin": j.scope.origin,
                "output": j.output.as_ref().map(|p| p.display().to_string()),
                "created_ms": j.created_ms(),
                "prompt": j.prompt_excerpt(80),
                "resumable_here": here,
            })
        };
        let jobs: Vec<Value> = mine
            .iter()
            .map(|j| row(j, true))
            .chain(others.iter().map(|j| row(j, false)))
            .collect();
        if ui.is_json() {
            ui.json(&json!({
                "journal": journal.path().display().to_string(),
                "jobs": jobs,
                "unreadable": unreadable.iter().map(|u| json!({"id": u.id, "idempotency_key": u.key, "problem": u.problem})).collect::<Vec<_>>(),
            }));
        } else if jobs.is_empty() && unreadable.is_empty() {
            ui.out(format!("nothing to resume ({})", journal.path().display()));
        } else {
            for j in &jobs {
                let note = if j["resumable_here"].as_bool() == Some(true) {
                    String::new()
                } else {
                    format!(
                        "  (another origin or account: {}; resume it with that server and key)",
                        j["origin"].as_str().unwrap_or("")
                    )
                };
                ui.out(format!(
                    "{}  {}  {}  {}  {}{note}",
                    j["task_id"].as_str().unwrap_or("(no task id yet)"),
                    j["state"].as_str().unwrap_or(""),
                    j["charge"].as_str().unwrap_or(""),
                    j["output"].as_str().unwrap_or("-"),
                    j["prompt"].as_str().unwrap_or("")
                ));
            }
            for u in &unreadable {
                ui.out(format!(
                    "#{}  unreadable  {}  ({}; kept in the store)",
                    u.id,
                    u.key.as_deref().unwrap_or("?"),
                    u.problem
                ));
            }
        }
        return Ok(());
    }
    let client = client?;
    if !others.is_empty() {
        ui.note(format!(
            "{} unfinished job(s) of another origin or account left alone (`seedance resume --list` shows them)",
            others.len()
        ));
    }
    if mine.is_empty() {
        if ui.is_json() {
            ui.json(&json!({"jobs": []}));
        } else {
            ui.out(format!("nothing to resume ({})", journal.path().display()));
        }
        return Ok(());
    }
    ui.note(format!(
        "resuming {} unfinished job(s) from {}",
        mine.len(),
        journal.path().display()
    ));
    // The directory for jobs recorded without one, checked before anything is sent.
    let out = match &args.output {
        Some(o) => Some(prepare_output(ui, &dir_path(o))?),
        None => None,
    };
    let started = Instant::now();
    let keys: Vec<String> = mine.iter().map(|j| j.key.clone()).collect();
    let outcomes: Vec<JobOutcome> = until_ctrl_c(
        &client,
        client.resume_with(
            seedance_http::ResumeOptions::default().resubmit_stale(args.resubmit_stale),
        ),
    )
    .await
    .map_err(|_| interrupted_jobs(Some(&journal), client.job_scope(), &keys, None))?
    .map_err(from_http)?;
    let mut results = Vec::new();
    let mut first_err: Option<CliError> = None;
    for o in outcomes {
        let key = o.key.clone();
        match o.result {
            Ok(task) => {
                let mut files = o.downloaded;
                if files.is_none() {
                    if let Some(dir) = &out {
                        match download_task(&client, &task, dir.path()).await {
                            Ok(d) => files = Some(d),
                            Err(e) => {
                                results.push(json!({"idempotency_key": key, "error": e.to_json()["error"].clone()}));
                                first_err.get_or_insert(e);
                                continue;
                            }
                        }
                    }
                }
                if ui.is_json() {
                    results.push(result_json(&task, files.as_ref(), Some(&key)));
                } else {
                    print_task(ui, &task, files.as_ref(), Some(&key), None);
                }
            }
            Err(e) => {
                let e = match &o.task_id {
                    Some(id) => after_charge(e, id, None, None),
                    None => from_http(e),
                };
                if ui.is_json() {
                    results.push(json!({
                        "idempotency_key": key,
                        "task_id": o.task_id.map(|t| t.to_string()),
                        "error": e.to_json()["error"].clone(),
                    }));
                } else {
                    ui.out(format!(
                        "{}  error: {e}",
                        o.task_id.map_or_else(|| key.clone(), |t| t.to_string())
                    ));
                }
                first_err.get_or_insert(e);
            }
        }
    }
    ui.json(&json!({"jobs": results}));
    ui.note(format!(
        "resume finished in {}",
        human_duration(started.elapsed())
    ));
    match first_err {
        None => Ok(()),
        Some(e) => Err(e.silent()),
    }
}
