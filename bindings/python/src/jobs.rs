//! The job store from Python: the history with filters (`client.jobs(...)`), and what an
//! interruption (Ctrl-C, a cancelled coroutine) leaves behind: each open job is marked
//! interrupted in the store and named (task id, idempotency key).

use pyo3::prelude::*;
use pyo3::types::PyDict;
use seedance_core::TaskId;
use seedance_http::{Client, Event, JobFilter, JobState};
use tokio::sync::broadcast;

use crate::errors;

/// The arguments of `client.jobs(...)`.
pub(crate) struct Query {
    /// State names.
    pub(crate) states: Option<Vec<String>>,
    /// An API origin.
    pub(crate) origin: Option<String>,
    /// At most this old (seconds).
    pub(crate) since: Option<f64>,
    /// At least this old (seconds).
    pub(crate) before: Option<f64>,
    /// Only jobs `resume` has work for.
    pub(crate) unfinished: bool,
    /// Every origin and account, not only this client's.
    pub(crate) all_origins: bool,
}

/// The filter of `client.jobs(...)`: states by name, an origin, ages in seconds, only
/// unfinished ones; without `all_origins` (and no `origin`), only this client's origin
/// and account.
pub(crate) fn filter(py: Python<'_>, client: &Client, q: Query) -> PyResult<JobFilter> {
    let mut f = JobFilter::default();
    for s in q.states.unwrap_or_default() {
        let state = JobState::parse(&s.to_ascii_lowercase()).ok_or_else(|| {
            errors::make(
                py,
                "ConfigurationError",
                (format!(
                    "state: unknown job state {s:?} (pending, sent, submitted, completed, \
                     downloaded, failed, interrupted, forgotten)"
                ),),
                None,
            )
        })?;
        f = f.state(state);
    }
    match q.origin {
        Some(o) => f = f.origin(&o),
        None if !q.all_origins => f = f.scope(client.job_scope()),
        None => {}
    }
    if let Some(s) = q.since {
        f = f.newer_than(crate::params::secs(py, "since", s)?);
    }
    if let Some(s) = q.before {
        f = f.older_than(crate::params::secs(py, "before", s)?);
    }
    if q.unfinished {
        f = f.unfinished();
    }
    Ok(f)
}

/// The jobs `f` lets through as a JSON list of the store's job objects (as `seedance
/// jobs --json` prints them), oldest first.
pub(crate) fn list_json(py: Python<'_>, client: &Client, f: &JobFilter) -> PyResult<String> {
    let Some(store) = client.journal() else {
        return Ok("[]".to_owned());
    };
    let list = store.list(f).map_err(|e| errors::http_error(py, e))?;
    let jobs: Vec<serde_json::Value> = list.jobs.iter().map(|j| j.to_json()).collect();
    Ok(serde_json::Value::Array(jobs).to_string())
}

/// A fresh idempotency key (a UUID v4, Reading R26): `AsyncClient` picks one before the
/// call, so that a cancelled coroutine can name its job.
#[pyfunction]
#[pyo3(name = "_new_idempotency_key")]
pub(crate) fn new_idempotency_key() -> String {
    seedance_http::new_idempotency_key()
}

/// One job an interruption left open: (task id, idempotency key), each when known.
pub(crate) type OpenJob = (Option<String>, Option<String>);

/// The jobs one call is about (its keys, or the task it waits for), so that an
/// interruption can mark them interrupted and name them.
pub(crate) struct JobRef {
    client: Client,
    keys: Vec<String>,
    task_id: Option<String>,
    rx: broadcast::Receiver<Event>,
}

impl JobRef {
    /// A call about the job under `key` and/or the task `task_id`.
    pub(crate) fn new(client: &Client, key: Option<String>, task_id: Option<String>) -> JobRef {
        JobRef {
            client: client.clone(),
            keys: key.into_iter().collect(),
            task_id,
            rx: client.events(),
        }
    }

    /// Adds the jobs under `keys`.
    pub(crate) fn add_keys(&mut self, keys: Vec<String>) {
        self.keys.extend(keys);
    }

    /// A `resume()`: every unfinished job of this client's origin and account.
    pub(crate) fn resuming(client: &Client) -> JobRef {
        let keys = client
            .journal()
            .and_then(|s| {
                s.list(&JobFilter::default().scope(client.job_scope()).unfinished())
                    .ok()
            })
            .map(|l| l.jobs.into_iter().map(|j| j.key).collect())
            .unwrap_or_default();
        JobRef {
            client: client.clone(),
            keys,
            task_id: None,
            rx: client.events(),
        }
    }

    /// The task id of a single job, heard in its `Submitted` event when not known yet.
    fn heard_task_id(&mut self) -> Option<String> {
        while self.task_id.is_none() {
            match self.rx.try_recv() {
                Ok(Event::Submitted {
                    task_id,
                    idempotency_key,
                    ..
                }) if self.keys.first() == Some(&idempotency_key) => {
                    self.task_id = Some(task_id.to_string());
                }
                Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) => {}
                Err(_) => break,
            }
        }
        self.task_id.clone()
    }

    /// Marks each of its jobs still open interrupted in the store and returns them.
    /// Without a store, what the call itself knows.
    pub(crate) fn mark(&mut self) -> Vec<OpenJob> {
        let heard = if self.keys.len() <= 1 {
            self.heard_task_id()
        } else {
            None
        };
        let Some(store) = self.client.journal().cloned() else {
            let key = self.keys.first().cloned();
            return if heard.is_some() || key.is_some() {
                vec![(heard, key)]
            } else {
                Vec::new()
            };
        };
        let scope = self.client.job_scope().clone();
        let mut keys = self.keys.clone();
        if keys.is_empty() {
            if let Some(t) = &self.task_id {
                if let Ok(Some(j)) = store.job_for_task(&scope, &TaskId::from(t.as_str())) {
                    keys.push(j.key);
                }
            }
        }
        let mut open = Vec::new();
        for key in keys {
            // A failure to write leaves the job as it was (sent or submitted), which
            // `resume` finishes too.
            let _ = store.mark_interrupted(&scope, &key);
            if let Ok(Some(j)) = store.job(&scope, &key) {
                if j.is_unfinished() {
                    let task_id = j.task_id.map(|t| t.to_string()).or_else(|| heard.clone());
                    open.push((task_id, Some(key)));
                }
            }
        }
        if open.is_empty() && self.task_id.is_some() {
            // A wait on a task the store has no job for.
            open.push((self.task_id.clone(), None));
        }
        open
    }

    /// Marks its jobs ([`JobRef::mark`]) and says what goes on and how to finish it.
    pub(crate) fn describe(&mut self) -> (String, Vec<OpenJob>) {
        let open = self.mark();
        let stored = self.client.journal().is_some();
        (message(&open, stored), open)
    }

    /// `seedance.Interrupted` for its jobs (the KeyboardInterrupt it replaces as cause).
    pub(crate) fn interrupted(mut self, py: Python<'_>, cause: PyErr) -> PyErr {
        let (message, open) = self.describe();
        let build = || -> PyResult<PyErr> {
            let kwargs = PyDict::new(py);
            let first = open.first().cloned().unwrap_or((None, None));
            kwargs.set_item("task_id", first.0)?;
            kwargs.set_item("idempotency_key", first.1)?;
            kwargs.set_item("jobs", open.clone())?;
            let exc = errors::class(py, "Interrupted")?.call((message,), Some(&kwargs))?;
            exc.setattr("__cause__", cause.value(py))?;
            Ok(PyErr::from_value(exc))
        };
        build().unwrap_or_else(|e| e)
    }

    /// A guard for an awaitable: dropped before [`InterruptGuard::disarm`] (the
    /// coroutine was cancelled), it marks the jobs interrupted.
    pub(crate) fn guard(self) -> InterruptGuard {
        InterruptGuard { job: Some(self) }
    }
}

/// Marks a cancelled awaitable's jobs interrupted when dropped armed ([`JobRef::guard`]).
pub(crate) struct InterruptGuard {
    job: Option<JobRef>,
}

impl InterruptGuard {
    /// The call ended by itself: nothing to mark.
    pub(crate) fn disarm(&mut self) {
        self.job = None;
    }
}

impl Drop for InterruptGuard {
    fn drop(&mut self) {
        if let Some(mut j) = self.job.take() {
            j.mark();
        }
    }
}

/// What an interruption left, in words: each job and the way to finish it.
fn message(open: &[OpenJob], stored: bool) -> String {
    let what = |(task_id, key): &OpenJob| -> String {
        match (task_id, key) {
            (Some(id), Some(k)) => {
                format!("task {id} goes on rendering (it is paid), idempotency key {k}")
            }
            (Some(id), None) => format!("task {id} goes on rendering"),
            (None, Some(k)) => {
                format!("idempotency key {k}: the submit may have reached the server")
            }
            (None, None) => "nothing was submitted".to_owned(),
        }
    };
    let how = |open: &[OpenJob]| -> String {
        if stored && open.iter().any(|(_, k)| k.is_some()) {
            "the job store keeps it as interrupted: client.resume() (or `seedance resume` in a \
             terminal) finishes it without paying again"
                .to_owned()
        } else {
            match open.first() {
                Some((Some(id), _)) => format!("client.wait({id:?}) finishes it"),
                _ => "no job store and no task id yet: submitting again with the same \
                      idempotency_key does not pay twice"
                    .to_owned(),
            }
        }
    };
    match open {
        [] => "interrupted (no job was left open)".to_owned(),
        [one] => format!("interrupted: {}; {}", what(one), how(open)),
        many => format!(
            "interrupted: {} jobs left open ({}); {}",
            many.len(),
            many.iter().map(what).collect::<Vec<_>>().join("; "),
            how(open)
        ),
    }
}
