//! What every API command needs: the client (from the global flags, which clap already read
//! from the `SEEDANCE_*` variables), the journal, wait options, and progress display.

use std::path::PathBuf;
use std::time::Duration;

use seedance_core::TaskId;
use seedance_http::{
    Charge, Client, Event, JobRecord, JobScope, JobState, JobStore, PollSchedule, WaitOptions,
};

use crate::cli::{GlobalArgs, WaitBound};
use crate::error::{CliError, Exit};
use crate::ui::{human_duration, Ui, UiMode};

/// The context of one command.
pub struct Ctx {
    /// Global flags.
    pub g: GlobalArgs,
    /// Output.
    pub ui: Ui,
}

/// The default job store: `$XDG_DATA_HOME/seedance/jobs.sqlite3` (the platform's data
/// directory elsewhere), or `./.seedance/jobs.sqlite3` when there is no home. An old
/// `journal.jsonl` beside it is imported once.
pub fn default_journal_path() -> PathBuf {
    seedance_http::default_data_dir_path().join(seedance_http::STORE_FILE_NAME)
}

impl Ctx {
    /// The journal's path, unless `--no-journal` (or `SEEDANCE_NO_JOURNAL`, read here: a
    /// value that is no boolean is an error of the commands that keep a journal only).
    pub fn journal_path(&self) -> Result<Option<PathBuf>, CliError> {
        if self.g.no_journal.get().map_err(CliError::usage)? {
            Ok(None)
        } else {
            Ok(Some(
                self.g.journal.clone().unwrap_or_else(default_journal_path),
            ))
        }
    }

    /// Opens the job store (unless `--no-journal`).
    pub fn open_journal(&self) -> Result<Option<JobStore>, CliError> {
        match self.journal_path()? {
            None => Ok(None),
            Some(p) => JobStore::open(&p).map(Some).map_err(|e| {
                CliError::local(format!(
                    "cannot open the job store {}: {e} (choose another with --journal, or --no-journal)",
                    p.display()
                ))
            }),
        }
    }

    /// The poll schedule from the flags.
    pub fn poll_schedule(&self) -> PollSchedule {
        let mut s = PollSchedule::default();
        if let Some(d) = self.g.poll_interval {
            s.min_interval = d;
        }
        if let Some(d) = self.g.poll_max_interval {
            s.max_interval = d;
        }
        if let Some(f) = self.g.render_time_scale {
            s = s.time_scale(f);
        }
        s
    }

    /// A client from the flags, with the journal when given, reporting progress to the UI.
    pub fn client_with(&self, journal: Option<JobStore>) -> Result<Client, CliError> {
        // clap has read every SEEDANCE_* variable already: the client must not read them
        // again (with other formats).
        let mut b = Client::builder()
            .no_env()
            .user_agent(concat!("seedance-cli/", env!("CARGO_PKG_VERSION")))
            .poll_schedule(self.poll_schedule())
            // render times learned across runs (the data dir, as the journal's default)
            .render_profile(Some(
                seedance_http::default_data_dir_path().join(seedance_http::tuning::PROFILE_FILE),
            ));
        if let Some(k) = &self.g.api_key {
            if self.g.api_key_on_command_line {
                // Said where the key is used: offline commands take the flag silently.
                self.ui.warn("--api-key on the command line is visible to other users (ps, shell history); prefer the SEEDANCE_API_KEY variable");
            }
            b = b.api_key(k.0.clone());
        }
        if let Some(u) = &self.g.base_url {
            b = b.base_url(u.clone());
        }
        if let Some(t) = self.g.timeout {
            b = b.timeout(t);
        }
        // The wait settings belong to the client too, so that every wait honours them,
        // those of `resume` included (it has no request of its own to read them from).
        if let Some(d) = self.g.expected_render {
            b = b.expected_render(d);
        }
        b = match self.wait_bound() {
            Some(d) => b.wait_timeout(d),
            None => b.no_wait_timeout(),
        };
        if let Some(t) = self.g.connect_timeout {
            b = b.connect_timeout(t);
        }
        if let Some(n) = self.g.max_retries {
            b = b.max_retries(n);
        }
        if let Some(r) = self.g.rate_limit {
            b = b.rate_limit_setting(r.setting());
        }
        if let Some(r) = self.g.media_rate_limit {
            b = b.media_rate_limit_setting(r.setting());
        }
        b = b.budget(
            self.g
                .budget
                .clone()
                .unwrap_or(seedance_http::BudgetScope::Machine(None)),
        );
        if let Some(j) = journal {
            b = b.journal(j);
        }
        let ui = self.ui.clone();
        b = b.on_event(move |e| show_event(&ui, e));
        b.build().map_err(crate::error::from_http)
    }

    /// A client with the journal (unless `--no-journal`).
    pub fn client(&self) -> Result<(Client, Option<JobStore>), CliError> {
        let journal = self.open_journal()?;
        Ok((self.client_with(journal.clone())?, journal))
    }

    /// How long a render of `model` (real-API time) is expected to take here, with
    /// `--render-time-scale` applied.
    pub fn scaled(&self, model: Duration) -> Duration {
        self.g.render_time_scale.unwrap_or_default().to_real(model)
    }

    /// How long a render should take here, as progress shows it: `--expected-render`, else
    /// the request's model time, else the client's default, divided by the time scale.
    pub fn expected_here(&self, model: Option<Duration>) -> Duration {
        let model = self
            .g
            .expected_render
            .or(model)
            .unwrap_or(PollSchedule::default().default_expected);
        self.scaled(model)
    }

    /// The bound of a wait from `--wait-timeout` (`None`: unbounded).
    pub fn wait_bound(&self) -> Option<Duration> {
        match self.g.wait_timeout {
            Some(WaitBound::Never) => None,
            Some(WaitBound::After(d)) => Some(d),
            None => Some(seedance_http::DEFAULT_WAIT_TIMEOUT),
        }
    }

    /// Wait options from the flags, with the expected render time of the request (model
    /// time) when known and how long the task has been running already.
    pub fn wait_options(&self, expected: Option<Duration>, elapsed: Duration) -> WaitOptions {
        let mut o = match self.wait_bound() {
            Some(d) => WaitOptions::default().timeout(d),
            None => WaitOptions::default().no_timeout(),
        }
        .elapsed(elapsed);
        if let Some(d) = self.g.expected_render.or(expected) {
            o = o.expected_render(d);
        }
        o
    }
}

/// The client's progress events on the terminal (a bar per render: elapsed against
/// expected, and what it waits for) or as plain lines.
pub fn show_event(ui: &Ui, e: &Event) {
    match e {
        Event::Submitted {
            task_id,
            credits_used,
            idempotency_key,
        } => {
            ui.finish("budget", None);
            ui.start_render(task_id.as_str(), Some(idempotency_key));
            let credits = credits_used.map_or(String::new(), |c| format!(" ({c} credits)"));
            let label = ui.label(task_id.as_str());
            // On a terminal the bar says it (and the result the credits).
            if ui.mode() != UiMode::Tty {
                if label == task_id.as_str() {
                    ui.note(format!("submitted {task_id}{credits}"));
                } else {
                    ui.note(format!("submitted {label}: {task_id}{credits}"));
                }
            }
        }
        Event::Waiting {
            task_id,
            status,
            polls,
            next_poll_in,
        } => {
            ui.finish("budget", None);
            ui.render_status(
                task_id.as_str(),
                format!(
                    "{status} (checked {polls}×, next check in {})",
                    human_duration(*next_poll_in)
                ),
            );
        }
        Event::RetryScheduled {
            operation,
            reason,
            error,
            delay,
            attempt,
            task_id,
            ..
        } => {
            let reason = match &**error {
                seedance_http::Error::Transport(t) => crate::error::short_transport(t),
                _ => reason.clone(),
            };
            let msg = format!(
                "{operation}: {reason}; retry {attempt} in {}",
                human_duration(*delay)
            );
            match task_id {
                // On a terminal the render's line says what it waits for.
                Some(id) if ui.mode() == UiMode::Tty && ui.has_bar(id.as_str()) => {
                    ui.render_status(id.as_str(), msg)
                }
                _ => ui.note(msg),
            }
        }
        Event::Completed { task } => {
            ui.finish("budget", None);
            // On a terminal the result (or the batch's line for the job) says it.
            let line = (ui.mode() != UiMode::Tty)
                .then(|| format!("{}: completed", ui.label(task.id.as_str())));
            ui.finish(task.id.as_str(), line)
        }
        // The error that ends the command says it (with the refund), once.
        Event::Failed { task_id, .. } => {
            ui.finish("budget", None);
            ui.finish(task_id.as_str(), None)
        }
        Event::BudgetWait {
            budget,
            reason,
            wait,
            ..
        } => {
            let which = if *budget == "media" {
                "the reference-media budget"
            } else {
                "the request budget"
            };
            let msg = format!(
                "waiting for {which}: {reason}; next look in {}",
                human_duration(*wait)
            );
            if ui.mode() == UiMode::Tty {
                ui.spinner("budget", msg);
            } else {
                ui.note(msg);
            }
        }
        Event::BudgetNotice { message } => ui.warn(message),
        Event::DownloadProgress {
            path, bytes, total, ..
        } => {
            let key = format!("dl:{}", path.display());
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            ui.bytes(&key, &name, *bytes, *total);
            if total.is_some_and(|t| *bytes >= t) {
                ui.finish(&key, None);
            }
        }
        _ => {}
    }
}

/// The interruption error (Ctrl-C) when no job is known (`demo`).
pub fn interrupted(journal: bool) -> CliError {
    let msg = if journal {
        "interrupted; the job is in the job store: `seedance resume` finishes it without paying again"
    } else {
        "interrupted (no job store: finish a submitted task with `seedance wait ID`)"
    };
    CliError::new(Exit::Interrupted, "interrupted", msg)
}

/// How long a cancelled call may take to record its interruption in the job store.
const CANCEL_GRACE: Duration = Duration::from_secs(1);

/// Runs `fut` to its end, or until Ctrl-C. On Ctrl-C every call of `client` is cancelled
/// (the client marks its jobs interrupted in the store, with what it knows of the charge)
/// and `fut` gets a moment to see it; `Err` holds what it returned then, if it did.
pub async fn until_ctrl_c<F: std::future::Future>(
    client: &Client,
    fut: F,
) -> Result<F::Output, Option<F::Output>> {
    tokio::pin!(fut);
    tokio::select! {
        r = &mut fut => Ok(r),
        _ = tokio::signal::ctrl_c() => {
            client.cancel_all();
            Err(tokio::time::timeout(CANCEL_GRACE, fut).await.ok())
        }
    }
}

/// The error of a Ctrl-C that stopped the jobs under `keys`: each one still open is
/// marked interrupted in the store (unless the client did already), and the error
/// names them (task id, idempotency key) with `seedance resume` as the next step (exit
/// 130). Without a store, it says how to pick a submitted task up again.
pub fn interrupted_jobs(
    store: Option<&JobStore>,
    scope: &JobScope,
    keys: &[String],
    task_id: Option<&TaskId>,
) -> CliError {
    let Some(store) = store else {
        let msg = match task_id {
            Some(id) => format!(
                "interrupted (no job store): task {id} goes on rendering; `seedance wait {id} -o PATH` picks it up again"
            ),
            None => "interrupted (no job store: finish a submitted task with `seedance wait ID`)"
                .to_owned(),
        };
        let e = CliError::new(Exit::Interrupted, "interrupted", msg);
        return match task_id {
            Some(id) => e.with("task_id", id.to_string()),
            None => e,
        };
    };
    let mut open = Vec::new();
    for key in keys {
        // A failure to write leaves the job as it was (sent or submitted), which
        // `resume` finishes too.
        if let Err(e) = store.mark_interrupted(scope, key) {
            tracing::warn!(error = %e, "could not mark the job interrupted");
        }
        if let Ok(Some(job)) = store.job(scope, key) {
            if job.is_unfinished() {
                open.push(job);
            }
        }
    }
    let what = |j: &JobRecord| -> String {
        match (&j.task_id, j.state, j.charge) {
            (Some(id), JobState::Completed, _) => {
                format!(
                    "task {id} completed but is not saved yet (idempotency key {})",
                    j.key
                )
            }
            (Some(id), ..) => format!(
                "task {id} goes on rendering (it is paid), idempotency key {}",
                j.key
            ),
            (None, _, Charge::NeverSent) => {
                format!("idempotency key {}, nothing was sent yet", j.key)
            }
            (None, ..) => format!(
                "idempotency key {}, its submit may have reached the server",
                j.key
            ),
        }
    };
    let (message, mut e) = match open.as_slice() {
        [] => match task_id {
            // A task this store has no job for (`wait ID` of a task submitted elsewhere).
            Some(id) => (
                format!("interrupted: task {id} goes on rendering; `seedance wait {id}` picks it up again"),
                CliError::new(Exit::Interrupted, "interrupted", "")
                    .with("task_id", id.to_string()),
            ),
            None => (
                "interrupted".to_owned(),
                CliError::new(Exit::Interrupted, "interrupted", ""),
            ),
        },
        [j] => {
            let mut e = CliError::new(Exit::Interrupted, "interrupted", "")
                .with("idempotency_key", j.key.clone())
                .with("state", j.state.as_str())
                .with("charge", j.charge.as_str())
                .with("next", "seedance resume");
            if let Some(id) = &j.task_id {
                e = e.with("task_id", id.to_string());
            }
            (
                format!(
                    "interrupted ({}): the job is kept in the job store as interrupted; `seedance resume` finishes it without paying again",
                    what(j)
                ),
                e,
            )
        }
        many => {
            let jobs: Vec<serde_json::Value> = many
                .iter()
                .map(|j| {
                    serde_json::json!({
                        "idempotency_key": j.key,
                        "task_id": j.task_id.as_ref().map(ToString::to_string),
                        "state": j.state.as_str(),
                        "charge": j.charge.as_str(),
                    })
                })
                .collect();
            let lines: Vec<String> = many.iter().map(|j| format!("\n  {}", what(j))).collect();
            (
                format!(
                    "interrupted: {} job(s) are kept in the job store as interrupted; `seedance resume` finishes them without paying again:{}",
                    many.len(),
                    lines.concat()
                ),
                CliError::new(Exit::Interrupted, "interrupted", "")
                    .with("jobs", jobs)
                    .with("next", "seedance resume"),
            )
        }
    };
    e.message = message;
    e
}
