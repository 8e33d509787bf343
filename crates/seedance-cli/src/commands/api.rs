//! `generate`, `status`, `wait`, `download`: the API commands.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use seedance_core::{Task, TaskId, TaskStatus, VideoRequest};
use seedance_http::{
    Client, DownloadOptions, Downloaded, GenerateOptions, JobScope, JobStore, OutputTarget,
    SubmitOptions,
};
use serde_json::{json, Value};

use crate::cli::{DownloadArgs, GenerateArgs, StatusArgs, WaitArgs};
use crate::ctx::{interrupted, interrupted_jobs, until_ctrl_c, Ctx};
use crate::error::{from_http, CliError, Exit};
use crate::ui::{human_duration, Ui};

/// The task as JSON: the API's raw response when there is one (unknown fields included).
pub fn task_json(task: &Task) -> Value {
    match &task.raw {
        Some(v) => v.clone(),
        None => serde_json::to_value(task).unwrap_or(Value::Null),
    }
}

/// The result object printed by `--json`.
pub fn result_json(task: &Task, files: Option<&Downloaded>, key: Option<&str>) -> Value {
    let mut v = json!({
        "task": task_json(task),
        "video": files.map(|d| d.video.display().to_string()),
        "last_frame": files.and_then(|d| d.last_frame.as_ref()).map(|p| p.display().to_string()),
    });
    if let (Some(k), Some(o)) = (key, v.as_object_mut()) {
        o.insert("idempotency_key".into(), json!(k));
    }
    v
}

/// Prints a finished (or submitted) task: JSON with `--json`, else a few lines.
pub fn print_task(
    ui: &Ui,
    task: &Task,
    files: Option<&Downloaded>,
    key: Option<&str>,
    took: Option<Duration>,
) {
    if ui.is_json() {
        ui.json(&result_json(task, files, key));
        return;
    }
    let mut head = format!("{}  {}", task.id, task.status);
    let mut extra = Vec::new();
    if let Some(c) = task.credits_used {
        extra.push(format!("{c} credits"));
    }
    if let Some(r) = task.credits_refunded.filter(|r| *r > 0) {
        extra.push(format!("{r} refunded"));
    }
    if let Some(t) = took {
        extra.push(human_duration(t));
    }
    if !extra.is_empty() {
        head.push_str(&format!("  ({})", extra.join(", ")));
    }
    ui.out(head);
    if let Some(e) = &task.error {
        ui.out(format!("error:      {}: {}", e.code, e.message));
    }
    match files {
        Some(d) => {
            ui.out(format!("video:      {}", d.video.display()));
            if let Some(p) = &d.last_frame {
                ui.out(format!("last frame: {}", p.display()));
            }
        }
        None => {
            // Server text: one line, control characters escaped (Reading R23).
            let one_line = seedance_core::rules::escape_controls;
            if let Some(u) = task.video_url() {
                ui.out(format!("video URL:      {}", one_line(u)));
            }
            if let Some(u) = task.last_frame_url() {
                ui.out(format!("last frame URL: {}", one_line(u)));
            }
        }
    }
}

/// Downloads a completed task's outputs (video + last frame) to a file or directory.
pub async fn download_task(
    client: &Client,
    task: &Task,
    to: &Path,
) -> Result<Downloaded, CliError> {
    client
        .download(task, to, DownloadOptions::default())
        .await
        .map_err(from_http)
}

/// Resolves an output path to an absolute one and checks it can be written, before
/// anything is paid (exit 1, naming the path, when it cannot); warns when a file's
/// extension is not the video's.
pub fn prepare_output(ui: &Ui, path: &Path) -> Result<OutputTarget, CliError> {
    let target = OutputTarget::prepare(path).map_err(|e| {
        CliError::local(format!("{e} (nothing was sent)")).with("path", path.display().to_string())
    })?;
    if let Some(w) = target.extension_warning() {
        ui.warn(w);
    }
    Ok(target)
}

/// `path` as a directory (a trailing separator), for options that only take one.
pub fn dir_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    let t = s.to_string_lossy();
    if !(t.ends_with('/') || t.ends_with(std::path::MAIN_SEPARATOR)) {
        s.push(std::path::MAIN_SEPARATOR_STR);
    }
    PathBuf::from(s)
}

/// A failure after the task was created and charged: says so, names the task and says
/// how to finish it. Failures of the task itself, and timeouts, already do.
pub fn after_charge(
    e: seedance_http::Error,
    task_id: &TaskId,
    credits: Option<u64>,
    target: Option<&Path>,
) -> CliError {
    use seedance_http::Error as E;
    if !matches!(e, E::Io(_) | E::Download(_) | E::Journal(_)) {
        return from_http(e);
    }
    let paid = credits.map_or_else(
        || "it was charged".to_owned(),
        |c| format!("{c} credits were charged"),
    );
    let mut err = from_http(e);
    let there = target.map_or_else(String::new, |p| format!(" into {}", p.display()));
    err.message = format!(
        "task {task_id} rendered ({paid}), but saving it{there} failed: {}. Nothing is lost: \
         `seedance download {task_id} -o PATH` saves it (no second charge), or fix the path \
         and run `seedance resume`",
        err.message
    );
    let mut err = err.with("task_id", task_id.to_string());
    if let Some(c) = credits {
        err = err.with("credits_used", c);
    }
    err
}

/// The credits the journal saw charged for a job, when it knows.
fn journaled_credits(journal: Option<&JobStore>, scope: &JobScope, key: &str) -> Option<u64> {
    journal?.job(scope, key).ok()??.task?.credits_used
}

/// A call about no job (`status`, `download`): Ctrl-C stops it (exit 130).
async fn or_ctrl_c<T>(
    fut: impl std::future::Future<Output = Result<T, seedance_http::Error>>,
) -> Result<T, CliError> {
    tokio::select! {
        r = fut => r.map_err(from_http),
        _ = tokio::signal::ctrl_c() => Err(interrupted(false)),
    }
}

/// A call about the job under `key` (and task `task_id`, when known): Ctrl-C cancels it,
/// marks the job interrupted and names it ([`interrupted_jobs`]).
async fn job_or_ctrl_c<T>(
    client: &Client,
    journal: Option<&JobStore>,
    key: Option<&str>,
    task_id: Option<&TaskId>,
    fut: impl std::future::Future<Output = T>,
) -> Result<T, CliError> {
    until_ctrl_c(client, fut).await.map_err(|_| {
        let keys: Vec<String> = key.map(str::to_owned).into_iter().collect();
        interrupted_jobs(journal, client.job_scope(), &keys, task_id)
    })
}

/// The downloaded files the journal recorded for a job, when they are still on disk.
pub fn journaled_files(
    journal: Option<&JobStore>,
    scope: &JobScope,
    key: &str,
) -> Option<Downloaded> {
    let d = journal?.job(scope, key).ok()??.downloaded?;
    d.video.exists().then_some(d)
}

/// `seedance generate`.
pub async fn generate(ctx: &Ctx, args: &GenerateArgs) -> Result<(), CliError> {
    let req = crate::request::build_request(&args.prompt, &args.request, &args.director)?;
    req.validate()?;
    let ui = &ctx.ui;
    if args.dry_run {
        let body = serde_json::to_value(&req)
            .map_err(|e| CliError::local(format!("cannot encode the request: {e}")))?;
        if ui.is_json() {
            ui.json(&json!({"request": body, "expected_render_secs": req.expected_render_secs()}));
        } else {
            let pretty = serde_json::to_string_pretty(&body).unwrap_or_default();
            ui.out(pretty);
            ui.note(format!(
                "dry run: nothing was sent (valid request; expected render time about {})",
                human_duration(ctx.scaled(req.expected_render_time()))
            ));
        }
        return Ok(());
    }
    // Where the video goes, checked before paying; without -o, the current directory.
    let target = if args.no_download {
        None
    } else {
        let o = args.output.as_deref().unwrap_or(Path::new("."));
        Some(prepare_output(ui, o)?)
    };
    let key = args
        .idempotency_key
        .clone()
        .unwrap_or_else(seedance_http::new_idempotency_key);
    let (client, journal) = ctx.client()?;
    let started = Instant::now();

    if args.no_wait {
        let mut submit = SubmitOptions::default().idempotency_key(key.clone());
        if let Some(t) = &target {
            // Recorded with the job (absolute): `resume`, from anywhere, saves it there.
            submit = submit.output(t.path());
        }
        let task = job_or_ctrl_c(
            &client,
            journal.as_ref(),
            Some(&key),
            None,
            client.submit(&req, submit),
        )
        .await?
        .map_err(from_http)?;
        print_task(ui, &task, None, Some(&key), None);
        if !ui.is_json() {
            ui.note(format!(
                "not waiting: `seedance resume` finishes it{}, or `seedance wait {} -o PATH`",
                target.as_ref().map_or_else(String::new, |t| format!(
                    " (saving into {})",
                    t.path().display()
                )),
                task.id
            ));
        }
        return Ok(());
    }

    ui.note(format!(
        "submitting ({}, {} s, {}, {}); expected render time about {}",
        req.effective_quality_tier(),
        req.effective_duration().secs(),
        req.effective_resolution(),
        req.effective_aspect_ratio(),
        human_duration(ctx.scaled(req.expected_render_time()))
    ));
    ui.plan(
        &key,
        None,
        Some(ctx.expected_here(Some(req.expected_render_time()))),
    );
    let mut opts = GenerateOptions::default()
        .idempotency_key(key.clone())
        .wait(ctx.wait_options(Some(req.expected_render_time()), Duration::ZERO));
    if let Some(t) = &target {
        // Recorded in the journal (absolute), so that `resume` saves it there too.
        opts = opts.download_to(t.path());
    }
    let outcome = job_or_ctrl_c(
        &client,
        journal.as_ref(),
        Some(&key),
        None,
        client.generate_job(&req, opts),
    )
    .await?
    .map_err(from_http)?;
    let task = match (outcome.result, &outcome.task_id) {
        (Ok(t), _) => t,
        (Err(e), Some(id)) => {
            let credits = journaled_credits(journal.as_ref(), client.job_scope(), &key);
            return Err(
                after_charge(e, id, credits, target.as_ref().map(|t| t.path()))
                    .with("idempotency_key", key.clone()),
            );
        }
        (Err(e), None) => return Err(from_http(e).with("idempotency_key", key.clone())),
    };
    print_task(
        ui,
        &task,
        outcome.downloaded.as_ref(),
        Some(&key),
        Some(started.elapsed()),
    );
    Ok(())
}

/// `seedance status ID`.
pub async fn status(ctx: &Ctx, args: &StatusArgs) -> Result<(), CliError> {
    let client = ctx.client_with(None)?;
    let task = or_ctrl_c(client.get_task(&TaskId::from(args.id.as_str()))).await?;
    print_task(&ctx.ui, &task, None, None, None);
    Ok(())
}

/// What the journal knows about a task id: its expected render time and how long it has
/// been running.
fn journal_hint(
    journal: Option<&JobStore>,
    scope: &JobScope,
    id: &str,
) -> (Option<Duration>, Duration, Option<String>) {
    let Some(job) = journal.and_then(|j| j.job_for_task(scope, &TaskId::from(id)).ok().flatten())
    else {
        return (None, Duration::ZERO, None);
    };
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    let elapsed = Duration::from_millis(now_ms.saturating_sub(job.created_ms()));
    (
        job.request.as_ref().map(VideoRequest::expected_render_time),
        elapsed,
        Some(job.key),
    )
}

/// `seedance wait ID [-o PATH]`.
pub async fn wait(ctx: &Ctx, args: &WaitArgs) -> Result<(), CliError> {
    let (client, journal) = ctx.client()?;
    let (expected, elapsed, key) = journal_hint(journal.as_ref(), client.job_scope(), &args.id);
    let id = TaskId::from(args.id.as_str());
    let started = Instant::now();
    // Elapsed as the journal knows it (real time), against the expected time here.
    ctx.ui
        .plan_running(&args.id, None, Some(ctx.expected_here(expected)), elapsed);
    ctx.ui.render_status(&args.id, "waiting");
    let task = job_or_ctrl_c(
        &client,
        journal.as_ref(),
        key.as_deref(),
        Some(&id),
        client.wait(&id, ctx.wait_options(expected, elapsed)),
    )
    .await?
    .map_err(from_http)?;
    let files = match &args.output {
        Some(o) => {
            let d = download_task(&client, &task, o).await?;
            // Saved: the job is done (`resume` does not download it a second time).
            if let Some(j) = &journal {
                j.mark_downloaded(client.job_scope(), &id, &d)
                    .map_err(from_http)?;
            }
            Some(d)
        }
        None => None,
    };
    print_task(
        &ctx.ui,
        &task,
        files.as_ref(),
        key.as_deref(),
        Some(started.elapsed()),
    );
    Ok(())
}

/// `seedance download ID [-o PATH]`.
pub async fn download(ctx: &Ctx, args: &DownloadArgs) -> Result<(), CliError> {
    let (client, journal) = ctx.client()?;
    let id = TaskId::from(args.id.as_str());
    let task = or_ctrl_c(client.get_task(&id)).await?;
    match &task.status {
        TaskStatus::Completed => {}
        s if s.is_failure() => {
            let (code, message) = task
                .error
                .as_ref()
                .map(|e| (e.code.to_string(), e.message.clone()))
                .unwrap_or_else(|| (s.to_string(), "the task ended without a result".into()));
            return Err(CliError::new(
                Exit::TaskFailed,
                "task_failed",
                format!(
                    "task {} failed: {code}: {message}; there is nothing to download",
                    task.id
                ),
            )
            .with("task_id", task.id.to_string())
            .with("code", code));
        }
        s => {
            return Err(CliError::new(
                Exit::TimedOut,
                "not_finished",
                format!(
                "task {} is still {s}: `seedance wait {} -o PATH` downloads it when it completes",
                task.id, task.id
            ),
            )
            .with("task_id", task.id.to_string()))
        }
    }
    let to = args.output.clone().unwrap_or_else(|| PathBuf::from("."));
    let files = download_task(&client, &task, &to).await?;
    // Saved: a job of the store with this task is done (`resume` does not download it again).
    if let Some(j) = &journal {
        j.mark_downloaded(client.job_scope(), &id, &files)
            .map_err(from_http)?;
    }
    print_task(&ctx.ui, &task, Some(&files), None, None);
    Ok(())
}
