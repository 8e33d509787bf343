//! `seedance batch FILE.jsonl`: many jobs inside the rate budget; safe to re-run.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use seedance_core::{DirectorPrompt, Task, VideoRequest};
use seedance_http::{Client, Downloaded, GenerateOptions, JobState, OutputTarget};
use serde_json::{json, Map, Value};

use super::api::{after_charge, dir_path, journaled_files, prepare_output, result_json};
use crate::cli::{BatchArgs, LineDefaults};
use crate::ctx::{interrupted_jobs, Ctx};
use crate::error::{from_http, CliError, Exit};
use crate::ui::human_duration;

/// One job of the file.
#[derive(Debug, Clone)]
pub struct Job {
    /// 1-based line number.
    pub line: usize,
    /// Its label / output file name.
    pub name: Option<String>,
    /// Its idempotency key (given, or derived from the request and its position).
    pub key: String,
    /// The request.
    pub request: VideoRequest,
}

/// The request fields of `batch`'s default flags (the profile's values arrive as those
/// flags too), as a line would write them.
pub fn line_defaults(d: &LineDefaults) -> Map<String, Value> {
    let mut m = Map::new();
    for (field, value) in [
        ("mode", &d.mode),
        ("quality_tier", &d.quality_tier),
        ("channel", &d.channel),
        ("aspect_ratio", &d.aspect_ratio),
        ("resolution", &d.resolution),
    ] {
        if let Some(v) = value {
            m.insert(field.to_owned(), Value::String(v.clone()));
        }
    }
    if let Some(secs) = d.duration {
        m.insert("duration".to_owned(), Value::String(secs.to_string()));
    }
    m
}

/// A line's `duration` in whole seconds (a number or the wire string), when it is one.
fn line_duration(v: Option<&Value>) -> Option<u32> {
    match v? {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Reads and validates every line; any problem is a usage error naming the line and field.
/// `defaults` (request fields) fill what a line does not give.
pub fn parse_jobs(text: &str, defaults: &Map<String, Value>) -> Result<Vec<Job>, CliError> {
    let mut jobs = Vec::new();
    let mut problems: Vec<Value> = Vec::new();
    let mut msgs: Vec<String> = Vec::new();
    let mut seen_bodies: HashMap<String, usize> = HashMap::new();
    let mut keys: HashSet<String> = HashSet::new();
    let mut names: HashSet<String> = HashSet::new();
    // `field` is "line" when the problem is the whole line (not JSON, or a value serde
    // refused without naming its field).
    let mut problem = |line: usize, field: &str, rule: &str, message: String| {
        msgs.push(if field == "line" {
            format!("line {line}: {message}")
        } else {
            format!("line {line}: {field}: {message}")
        });
        problems.push(json!({"line": line, "field": field, "rule": rule, "message": message}));
    };
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let mut obj: Map<String, Value> = match serde_json::from_str(t) {
            Ok(Value::Object(m)) => m,
            Ok(_) => {
                problem(line, "line", "json", "is not a JSON object".into());
                continue;
            }
            Err(e) => {
                problem(line, "line", "json", format!("is not valid JSON: {e}"));
                continue;
            }
        };
        let name = match obj.remove("name") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if valid_name(&s) => Some(s),
            Some(v) => {
                problem(
                    line,
                    "name",
                    "file_name",
                    format!("{v} must be a plain file name (letters, digits, . _ -; no slashes)"),
                );
                continue;
            }
        };
        let given_key = match obj.remove("idempotency_key") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => match seedance_core::rules::check_idempotency_key(&s) {
                Ok(()) => Some(s),
                Err(e) => {
                    problem(line, "idempotency_key", "format", e.to_string());
                    continue;
                }
            },
            Some(v) => {
                problem(
                    line,
                    "idempotency_key",
                    "type",
                    format!("{v} must be a string"),
                );
                continue;
            }
        };
        if let Some(d) = obj.remove("director") {
            let mut p: DirectorPrompt = match serde_json::from_value(d) {
                Ok(p) => p,
                Err(e) => {
                    problem(line, "director", "director_prompt", e.to_string());
                    continue;
                }
            };
            // The shots must fit the clip the line asks for (its duration, else the
            // default's), not only the server's default length.
            if p.duration.is_none() {
                if let Some(secs) = line_duration(obj.get("duration"))
                    .or_else(|| line_duration(defaults.get("duration")))
                {
                    p = p.duration(secs);
                }
            }
            if obj.contains_key("prompt") {
                problem(
                    line,
                    "prompt",
                    "director_prompt",
                    "give either \"prompt\" or \"director\", not both".into(),
                );
                continue;
            }
            let base = match p.request() {
                Ok(b) => b.build_unchecked(),
                Err(e) => {
                    problem(line, "director", "director_prompt", e.to_string());
                    continue;
                }
            };
            if let Ok(Value::Object(base)) = serde_json::to_value(&base) {
                for (k, v) in base {
                    obj.entry(k).or_insert(v);
                }
            }
        }
        // Reading R25: a line without `mode` takes it from its references, as `generate`
        // and Python do; an inferred mode is the line's own, ahead of the defaults.
        if obj.get("mode").is_none_or(Value::is_null) {
            let has = |k: &str| obj.get(k).is_some_and(|v| !v.is_null());
            if let Some(m) = seedance_core::rules::infer_mode(
                has("image_url"),
                has("end_image_url"),
                has("media_urls"),
            ) {
                obj.insert("mode".into(), Value::String(m.as_str().to_owned()));
            }
        }
        // Then the defaults, for the fields the line (or its director prompt) left out.
        for (k, v) in defaults {
            obj.entry(k.clone()).or_insert_with(|| v.clone());
        }
        // Integers are accepted for duration (it travels as a string).
        if let Some(Value::Number(n)) = obj.get("duration") {
            let s = n.to_string();
            obj.insert("duration".into(), Value::String(s));
        }
        let req: VideoRequest = match serde_json::from_value(Value::Object(obj)) {
            Ok(r) => r,
            Err(e) => {
                let msg = e.to_string();
                let field = msg
                    .split('`')
                    .nth(1)
                    .filter(|_| {
                        msg.starts_with("unknown field") || msg.starts_with("missing field")
                    })
                    .unwrap_or("line")
                    .to_owned();
                problem(line, &field, "json", msg);
                continue;
            }
        };
        if let Err(e) = req.validate() {
            for v in e.violations() {
                problem(line, &v.field, v.rule.as_str(), v.message.clone());
            }
            continue;
        }
        let body = serde_json::to_string(&req).unwrap_or_default();
        let n = seen_bodies.entry(body.clone()).or_insert(0);
        *n += 1;
        let key = given_key.unwrap_or_else(|| derived_key(&body, *n));
        if !keys.insert(key.clone()) {
            problem(
                line,
                "idempotency_key",
                "unique",
                format!("{key:?} is used by an earlier line"),
            );
            continue;
        }
        if let Some(n) = &name {
            if !names.insert(n.clone()) {
                problem(
                    line,
                    "name",
                    "unique",
                    format!("{n:?} is used by an earlier line"),
                );
                continue;
            }
        }
        jobs.push(Job {
            line,
            name,
            key,
            request: req,
        });
    }
    if !problems.is_empty() {
        let mut message = String::from("invalid batch file (nothing was sent):");
        for m in &msgs {
            message.push_str("\n  ");
            message.push_str(m);
        }
        return Err(CliError::new(Exit::Usage, "validation", message).with("violations", problems));
    }
    if jobs.is_empty() {
        return Err(CliError::usage("the batch file has no jobs"));
    }
    Ok(jobs)
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && !s.starts_with('.')
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | ' '))
}

/// A stable key: the request's body and its occurrence among identical lines.
fn derived_key(body: &str, occurrence: usize) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(body.as_bytes());
    h.update(b"\n#");
    h.update(occurrence.to_string().as_bytes());
    let hex: String = h
        .finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("batch-{hex}")
}

/// What happened to one job.
struct Outcome {
    job: Job,
    task: Option<Task>,
    files: Option<Downloaded>,
    error: Option<CliError>,
    reused: bool,
}

impl Outcome {
    fn to_json(&self) -> Value {
        let mut v = match &self.task {
            Some(t) => result_json(t, self.files.as_ref(), Some(&self.job.key)),
            None => {
                json!({"task": null, "video": null, "last_frame": null, "idempotency_key": self.job.key})
            }
        };
        if let Some(o) = v.as_object_mut() {
            o.insert("line".into(), json!(self.job.line));
            o.insert("name".into(), json!(self.job.name));
            o.insert("status".into(), json!(self.status()));
            o.insert(
                "task_id".into(),
                json!(self.task.as_ref().map(|t| t.id.to_string())),
            );
            o.insert("reused".into(), json!(self.reused));
            o.insert(
                "error".into(),
                self.error
                    .as_ref()
                    .map_or(Value::Null, |e| e.to_json()["error"].clone()),
            );
        }
        v
    }

    /// One line for people: `[3/10] fox: completed sd2_… (30 credits) → out/fox.mp4`.
    fn summary_line(&self, n: usize, total: usize) -> String {
        let name = self
            .job
            .name
            .clone()
            .unwrap_or_else(|| format!("line {}", self.job.line));
        let mut line = format!("[{n}/{total}] {name}: {}", self.status());
        if let Some(t) = &self.task {
            line.push_str(&format!(" {}", t.id));
            if let Some(c) = t.credits_used {
                line.push_str(&format!(" ({c} credits)"));
            }
        }
        if self.reused {
            line.push_str(", done before");
        }
        if let Some(f) = &self.files {
            line.push_str(&format!(" → {}", f.video.display()));
        }
        if let Some(e) = &self.error {
            line.push_str(&format!(": {e}"));
        }
        line
    }

    fn status(&self) -> &'static str {
        match (&self.error, &self.task) {
            (None, Some(_)) => "completed",
            (Some(e), _) if e.exit == Exit::TaskFailed => "failed",
            (Some(e), _) if e.exit == Exit::TimedOut => "timed_out",
            _ => "error",
        }
    }
}

fn output_for(dir: &Path, job: &Job) -> PathBuf {
    match &job.name {
        Some(n) if n.to_ascii_lowercase().ends_with(".mp4") => dir.join(n),
        Some(n) => dir.join(format!("{n}.mp4")),
        None => dir.to_path_buf(),
    }
}

async fn run_job(
    client: Client,
    ctx_wait: seedance_http::WaitOptions,
    job: Job,
    out: Option<PathBuf>,
    journal: Option<seedance_http::JobStore>,
) -> Outcome {
    // Finished in an earlier run against this origin and account: report it, send
    // nothing (download only if missing). A run against another server is a new run.
    let scope = client.job_scope().clone();
    if let Some(rec) = journal
        .as_ref()
        .and_then(|j| j.job(&scope, &job.key).ok().flatten())
    {
        if let (JobState::Completed | JobState::Downloaded, Some(task)) = (rec.state, rec.task) {
            let kept = journaled_files(journal.as_ref(), &scope, &job.key);
            return completed(&client, job, *task, kept, out.as_deref(), true).await;
        }
    }
    let mut opts = GenerateOptions::default()
        .idempotency_key(job.key.clone())
        .wait(ctx_wait);
    if let Some(o) = &out {
        opts = opts.download_to(o.clone());
    }
    let outcome = match client.generate_job(&job.request, opts).await {
        Ok(o) => o,
        Err(e) => {
            return Outcome {
                job,
                task: None,
                files: None,
                error: Some(from_http(e)),
                reused: false,
            }
        }
    };
    finish_outcome(&client, job, outcome, out.as_deref(), false).await
}

/// A completed job: its files are `downloaded` already, or fetched into `out` now (a
/// failed download is the job's error), or not wanted (`out` is `None`).
async fn completed(
    client: &Client,
    job: Job,
    task: Task,
    downloaded: Option<Downloaded>,
    out: Option<&Path>,
    reused: bool,
) -> Outcome {
    let (files, error) = match (out, downloaded) {
        (None, _) => (None, None),
        (Some(_), Some(d)) => (Some(d), None),
        (Some(o), None) => match client
            .download(&task, o, seedance_http::DownloadOptions::default())
            .await
        {
            Ok(d) => (Some(d), None),
            Err(e) => (
                None,
                Some(after_charge(e, &task.id, task.credits_used, Some(o))),
            ),
        },
    };
    Outcome {
        job,
        task: Some(task),
        files,
        error,
        reused,
    }
}

/// Turns a client's job outcome into ours, downloading when asked and not done yet.
async fn finish_outcome(
    client: &Client,
    job: Job,
    outcome: seedance_http::JobOutcome,
    out: Option<&Path>,
    reused: bool,
) -> Outcome {
    match outcome.result {
        Ok(task) => completed(client, job, task, outcome.downloaded, out, reused).await,
        Err(e) => {
            let task = outcome.task_id.map(|id| {
                let mut t = Task::new(id, seedance_core::TaskStatus::Failed);
                if let seedance_http::Error::TaskFailed {
                    credits_refunded, ..
                } = &e
                {
                    t.credits_refunded = Some(*credits_refunded);
                } else {
                    t.status = seedance_core::TaskStatus::Processing;
                }
                t
            });
            let error = match &task {
                Some(t) => after_charge(e, &t.id, None, out),
                None => from_http(e),
            };
            Outcome {
                job,
                task,
                files: None,
                error: Some(error),
                reused,
            }
        }
    }
}

/// `seedance batch FILE.jsonl`.
pub async fn batch(ctx: &Ctx, args: &BatchArgs) -> Result<(), CliError> {
    let text = if args.file.as_os_str() == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| CliError::usage(format!("cannot read stdin: {e}")))?;
        s
    } else {
        std::fs::read_to_string(&args.file)
            .map_err(|e| CliError::usage(format!("{}: {e}", args.file.display())))?
    };
    let jobs = parse_jobs(&text, &line_defaults(&args.defaults))?;
    let ui = &ctx.ui;
    if args.dry_run {
        for j in &jobs {
            ui.json_line(&json!({
                "line": j.line, "name": j.name, "idempotency_key": j.key,
                "request": serde_json::to_value(&j.request).unwrap_or(Value::Null),
            }));
        }
        ui.note(format!(
            "dry run: {} valid job(s); nothing was sent",
            jobs.len()
        ));
        return Ok(());
    }
    // The directory (absolute, so that `resume` finds it from anywhere) and every job's
    // file in it are checked before anything is sent.
    let dir = if args.no_download {
        None
    } else {
        let d = args.output.clone().unwrap_or_else(|| PathBuf::from("."));
        let target = prepare_output(ui, &dir_path(&d))?;
        for job in &jobs {
            let file = output_for(target.path(), job);
            if file != target.path() {
                OutputTarget::resolve(&file)
                    .and_then(|t| t.check())
                    .map_err(|e| {
                        CliError::local(format!("line {}: {e} (nothing was sent)", job.line))
                    })?;
            }
        }
        Some(target.path().to_path_buf())
    };
    let (client, journal) = ctx.client()?;
    let started = Instant::now();
    ui.note(format!(
        "{} job(s); submitting inside the account's rate budget",
        jobs.len()
    ));
    let mut set = tokio::task::JoinSet::new();
    let total = jobs.len();
    let keys: Vec<String> = jobs.iter().map(|j| j.key.clone()).collect();
    for job in jobs {
        // The progress of each job is shown under its name from the file.
        ui.plan(
            &job.key,
            Some(
                job.name
                    .clone()
                    .unwrap_or_else(|| format!("line {}", job.line)),
            ),
            Some(ctx.expected_here(Some(job.request.expected_render_time()))),
        );
        let out = dir.as_ref().map(|d| output_for(d, &job));
        let wait = ctx.wait_options(Some(job.request.expected_render_time()), Duration::ZERO);
        set.spawn(run_job(client.clone(), wait, job, out, journal.clone()));
    }
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(total);
    // JSON lines for programs (--json, or stdout not a terminal); a line per job for people.
    let json_lines = ui.is_json() || !std::io::IsTerminal::is_terminal(&std::io::stdout());
    ui.overall(0, total);
    loop {
        let next = tokio::select! {
            n = set.join_next() => n,
            _ = tokio::signal::ctrl_c() => {
                // Every job's calls stop; each records its interruption, then what is
                // still open is marked and named.
                client.cancel_all();
                let _ = tokio::time::timeout(Duration::from_secs(1), async {
                    while set.join_next().await.is_some() {}
                })
                .await;
                set.abort_all();
                return Err(interrupted_jobs(journal.as_ref(), client.job_scope(), &keys, None));
            }
        };
        let Some(joined) = next else { break };
        match joined {
            Ok(o) => {
                if json_lines {
                    ui.json_line(&o.to_json());
                } else {
                    ui.out(o.summary_line(outcomes.len() + 1, total));
                }
                outcomes.push(o);
                ui.overall(outcomes.len(), total);
            }
            Err(e) => ui.warn(format!("a job stopped unexpectedly: {e}")),
        }
    }
    outcomes.sort_by_key(|o| o.job.line);
    let completed = outcomes.iter().filter(|o| o.error.is_none()).count();
    let failed = outcomes.iter().filter(|o| o.status() == "failed").count();
    let reused = outcomes.iter().filter(|o| o.reused).count();
    let charged: u64 = outcomes
        .iter()
        .filter(|o| !o.reused)
        .filter_map(|o| o.task.as_ref().and_then(|t| t.credits_used))
        .sum();
    let refunded: u64 = outcomes
        .iter()
        .filter(|o| !o.reused)
        .filter_map(|o| o.task.as_ref().and_then(|t| t.credits_refunded))
        .sum();
    let took = started.elapsed();
    let summary = json!({"summary": {
        "jobs": total, "completed": completed, "failed": failed,
        "errors": total - completed - failed, "reused": reused,
        "credits_used": charged, "credits_refunded": refunded,
        "seconds": took.as_secs_f64(),
    }});
    if ui.is_json() {
        ui.json(&summary);
    } else {
        ui.note(format!(
            "batch: {completed}/{total} completed, {failed} failed, {} error(s); {reused} already done before (not sent again); {charged} credits reported this run; {}",
            total - completed - failed,
            human_duration(took)
        ));
    }
    match outcomes.iter().find_map(|o| o.error.as_ref()) {
        None => Ok(()),
        Some(e) => Err(CliError::new(
            e.exit,
            "batch",
            format!(
                "{} of {total} job(s) did not complete (first: {e})",
                total - completed
            ),
        )
        .silent()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_and_distinct_for_repeated_lines() {
        let text = "{\"prompt\":\"a red kite over the sea\"}\n\n# comment\n{\"prompt\":\"a red kite over the sea\"}\n";
        let a = parse_jobs(text, &Map::new()).unwrap();
        let b = parse_jobs(text, &Map::new()).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].line, 1);
        assert_eq!(a[1].line, 4);
        assert_ne!(a[0].key, a[1].key);
        assert_eq!(a[0].key, b[0].key);
        assert_eq!(a[1].key, b[1].key);
    }

    #[test]
    fn every_problem_names_its_line_and_field() {
        let text = "{\"prompt\":\"a kite\",\"duration\":20}\n{\"prompt\":\"ok prompt\",\"colour\":\"red\"}\nnot json\n{\"prompt\":\"x\",\"name\":\"../evil\"}";
        let e = parse_jobs(text, &Map::new()).unwrap_err();
        assert_eq!(e.exit, Exit::Usage);
        assert!(e.message.contains("line 1: duration"), "{}", e.message);
        assert!(e.message.contains("line 2: colour"), "{}", e.message);
        assert!(
            e.message.contains("line 3: is not valid JSON"),
            "{}",
            e.message
        );
        assert!(e.message.contains("line 4: name"), "{}", e.message);
    }

    #[test]
    fn director_lines_render_a_prompt() {
        let text = r#"{"director":{"subject":"a red kite","action":"it climbs into the wind"},"duration":6,"name":"kite"}"#;
        let jobs = parse_jobs(text, &Map::new()).unwrap();
        assert!(jobs[0].request.prompt.contains("Subject: a red kite."));
        assert_eq!(jobs[0].request.duration.map(|d| d.secs()), Some(6));
        assert_eq!(jobs[0].name.as_deref(), Some("kite"));
    }
}
