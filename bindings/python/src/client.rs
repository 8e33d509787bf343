//! `seedance._seedance._Client`: `seedance_http::Client`, blocking and as coroutines.
//!
//! The Python classes `seedance.Client` and `seedance.AsyncClient` (in `_client.py`)
//! wrap this one native class: `submit` blocks (GIL released, Ctrl-C checked every few
//! milliseconds), `submit_async` returns an awaitable running on the shared runtime.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use pyo3::types::PyDict;
use seedance_core::rules::TimeScale;
use seedance_core::{Task, TaskId, VideoRequest};
use seedance_http::{
    Client, DownloadOptions, Downloaded, Event, GenerateOptions, PollSchedule, SubmitOptions,
    WaitOptions,
};
use tokio::sync::broadcast;

use crate::errors;
use crate::events::{event_task_id, PyProgressEvent};
use crate::jobs::JobRef;
use crate::params::{request_from_params, secs};
use crate::runtime::block_on;
use crate::task::PyTask;
use crate::wait_bound::{wait_options, WaitBound};

/// The native client behind `seedance.Client` and `seedance.AsyncClient`.
#[pyclass(module = "seedance._seedance", name = "_Client", frozen)]
pub struct PyClient {
    inner: Mutex<Option<Client>>,
    base_url: String,
    /// The poll schedule's time scale (`time_scale=` or `SEEDANCE_TIME_SCALE`): progress
    /// bars expect renders this much faster.
    time_scale: TimeScale,
}

/// A rate limit argument (see `convert::rate_arg`); malformed ones are
/// `ConfigurationError`s.
fn rate(
    py: Python<'_>,
    name: &str,
    v: Option<&Bound<'_, PyAny>>,
) -> PyResult<seedance_http::RateLimitSetting> {
    crate::convert::rate_arg(v, name)
        .map_err(|message| errors::make(py, "ConfigurationError", (message,), None))
}

/// Keeps the events of one call: those of its task, found by id or (for a submit) by the
/// idempotency key the call sent; for a download, the progress of its own files.
#[derive(Default)]
struct CallFilter {
    task_id: Option<String>,
    key: Option<String>,
}

impl CallFilter {
    fn task(task_id: String) -> Self {
        CallFilter {
            task_id: Some(task_id),
            ..CallFilter::default()
        }
    }

    fn submit(key: String) -> Self {
        CallFilter {
            key: Some(key),
            ..CallFilter::default()
        }
    }

    fn accept(&mut self, event: &Event) -> bool {
        // The account's budget is shared by every call of the client: a wait for it (or a
        // change of its backend) concerns each call in progress.
        if matches!(event, Event::BudgetWait { .. } | Event::BudgetNotice { .. }) {
            return true;
        }
        if let (
            Event::Submitted {
                task_id,
                idempotency_key,
                ..
            },
            Some(key),
        ) = (event, &self.key)
        {
            if idempotency_key == key {
                self.task_id = Some(task_id.to_string());
                return true;
            }
            return false;
        }
        match (event_task_id(event), &self.task_id) {
            (Some(id), Some(mine)) => id == mine,
            _ => false,
        }
    }
}

/// Delivers a call's progress events to a Python callback.
struct Progress {
    rx: broadcast::Receiver<Event>,
    filter: CallFilter,
    callback: Py<PyAny>,
    start: Instant,
    expected: Option<Duration>,
}

impl Progress {
    fn new(
        client: &Client,
        callback: Option<Py<PyAny>>,
        filter: CallFilter,
        expected: Option<Duration>,
    ) -> Option<Progress> {
        callback.map(|callback| Progress {
            rx: client.events(),
            filter,
            callback,
            start: Instant::now(),
            expected,
        })
    }

    fn deliver(&mut self, py: Python<'_>, event: &Event) -> PyResult<()> {
        if !self.filter.accept(event) {
            return Ok(());
        }
        let e = PyProgressEvent::from_event(py, event, self.start.elapsed(), self.expected)?;
        self.callback.call1(py, (e,))?;
        Ok(())
    }

    /// Calls the callback for every event received so far (blocking calls, GIL held).
    fn drain(&mut self, py: Python<'_>) -> PyResult<()> {
        loop {
            match self.rx.try_recv() {
                Ok(event) => self.deliver(py, &event)?,
                Err(broadcast::error::TryRecvError::Lagged(_)) => continue,
                Err(_) => return Ok(()),
            }
        }
    }

    /// Runs `fut`, calling the callback for each event as it comes (async calls).
    async fn run<T>(mut self, fut: impl Future<Output = T>) -> T {
        tokio::pin!(fut);
        loop {
            tokio::select! {
                biased;
                out = &mut fut => {
                    Python::attach(|py| {
                        if let Err(e) = self.drain(py) {
                            e.write_unraisable(py, None);
                        }
                    });
                    return out;
                }
                ev = self.rx.recv() => match ev {
                    Ok(event) => Python::attach(|py| {
                        if let Err(e) = self.deliver(py, &event) {
                            e.write_unraisable(py, None);
                        }
                    }),
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return fut.await,
                },
            }
        }
    }
}

fn task_obj(py: Python<'_>, task: Task) -> PyResult<Py<PyTask>> {
    Py::new(py, PyTask::new(task))
}

fn path_obj(py: Python<'_>, p: &std::path::Path) -> PyResult<Py<PyAny>> {
    Ok(py.import("pathlib")?.getattr("Path")?.call1((p,))?.unbind())
}

impl PyClient {
    /// A render time of the core's model as it passes here (divided by the time scale).
    fn scaled(&self, model: Duration) -> Duration {
        self.time_scale.to_real(model)
    }

    fn client(&self, py: Python<'_>) -> PyResult<Client> {
        match self.inner.lock().ok().and_then(|c| c.clone()) {
            Some(c) => Ok(c),
            None => Err(errors::make(
                py,
                "ConfigurationError",
                ("this client is closed",),
                None,
            )),
        }
    }

    /// The inputs of a submit (validated first: nothing is sent for a bad request).
    fn submit_call(
        &self,
        py: Python<'_>,
        params: &Bound<'_, PyDict>,
        idempotency_key: Option<String>,
    ) -> PyResult<(Client, VideoRequest, SubmitOptions)> {
        let req = request_from_params(py, params)?;
        // A key of our own when none is given, so that an interruption can name the job.
        let key = idempotency_key.unwrap_or_else(seedance_http::new_idempotency_key);
        let opts = SubmitOptions::default().idempotency_key(key);
        Ok((self.client(py)?, req, opts))
    }

    /// The inputs of a wait, and its progress listener.
    fn wait_call(
        &self,
        py: Python<'_>,
        task_id: String,
        timeout: Option<WaitBound<'_>>,
        on_progress: Option<Py<PyAny>>,
    ) -> PyResult<(Client, TaskId, WaitOptions, Option<Progress>)> {
        let client = self.client(py)?;
        let opts = wait_options(py, timeout)?;
        // A task known only by id: the schedule's default render time.
        let expected = Some(self.scaled(PollSchedule::default().default_expected));
        let progress = Progress::new(
            &client,
            on_progress,
            CallFilter::task(task_id.clone()),
            expected,
        );
        Ok((client, TaskId::from(task_id), opts, progress))
    }

    /// The inputs of a generate (submit + wait), and its progress listener.
    fn generate_call(
        &self,
        py: Python<'_>,
        params: &Bound<'_, PyDict>,
        idempotency_key: Option<String>,
        timeout: Option<WaitBound<'_>>,
        on_progress: Option<Py<PyAny>>,
    ) -> PyResult<(Client, VideoRequest, GenerateOptions, Option<Progress>)> {
        let req = request_from_params(py, params)?;
        let client = self.client(py)?;
        // A key of our own when none is given, so that this call's events can be told apart.
        let key = idempotency_key.unwrap_or_else(seedance_http::new_idempotency_key);
        let opts = GenerateOptions::default()
            .idempotency_key(key.clone())
            .wait(wait_options(py, timeout)?);
        let expected = Some(self.scaled(req.expected_render_time()));
        let progress = Progress::new(&client, on_progress, CallFilter::submit(key), expected);
        Ok((client, req, opts, progress))
    }

    /// The inputs of a download, and its progress listener.
    fn download_call(
        &self,
        py: Python<'_>,
        task: &Py<PyTask>,
        path: PathBuf,
        on_progress: Option<Py<PyAny>>,
    ) -> PyResult<(Client, Task, PathBuf, Option<Progress>)> {
        let client = self.client(py)?;
        let inner = task.get().inner.clone();
        let filter = CallFilter::task(inner.id.to_string());
        let progress = Progress::new(&client, on_progress, filter, None);
        Ok((client, inner, path, progress))
    }
}

/// Runs a call's future with the GIL released (Ctrl-C checked, progress delivered on
/// this thread) and converts its error.
fn run_blocking<T: Send + 'static>(
    py: Python<'_>,
    fut: impl Future<Output = Result<T, seedance_http::Error>> + Send + 'static,
    mut progress: Option<Progress>,
) -> PyResult<T> {
    let out = block_on(py, fut, |py| {
        progress.as_mut().map_or(Ok(()), |p| p.drain(py))
    })?;
    out.map_err(|e| errors::http_error(py, e))
}

/// [`run_blocking`] for a call about one job: a Ctrl-C raises `seedance.Interrupted`
/// carrying its task id and idempotency key.
fn run_job_blocking<T: Send + 'static>(
    py: Python<'_>,
    fut: impl Future<Output = Result<T, seedance_http::Error>> + Send + 'static,
    mut progress: Option<Progress>,
    job: JobRef,
) -> PyResult<T> {
    let out = block_on(py, fut, |py| {
        progress.as_mut().map_or(Ok(()), |p| p.drain(py))
    });
    match out {
        Ok(r) => r.map_err(|e| errors::http_error(py, e)),
        Err(e) if e.is_instance_of::<pyo3::exceptions::PyKeyboardInterrupt>(py) => {
            Err(job.interrupted(py, e))
        }
        Err(e) => Err(e),
    }
}

/// `fut`, with `guard` disarmed when it ends by itself (dropped before that: cancelled,
/// and the guard marks its jobs interrupted).
async fn guarded<T>(mut guard: crate::jobs::InterruptGuard, fut: impl Future<Output = T>) -> T {
    let out = fut.await;
    guard.disarm();
    out
}

/// One job of `resume`: its key, task id, finished task or the exception it ended with.
type ResumeRow = (
    String,
    Option<String>,
    Option<Py<PyTask>>,
    Option<Py<PyAny>>,
);

fn resume_rows(
    py: Python<'_>,
    outcomes: Vec<seedance_http::JobOutcome>,
) -> PyResult<Vec<ResumeRow>> {
    outcomes
        .into_iter()
        .map(|o| {
            let task_id = o.task_id.map(|t| t.to_string());
            Ok(match o.result {
                Ok(task) => {
                    let t = task_obj(py, task)?;
                    if let Some(d) = o.downloaded {
                        t.get().set_local(d.video, d.last_frame);
                    }
                    (o.key, task_id, Some(t), None)
                }
                Err(e) => {
                    let exc = errors::http_error(py, e)
                        .value(py)
                        .clone()
                        .into_any()
                        .unbind();
                    (o.key, task_id, None, Some(exc))
                }
            })
        })
        .collect()
}

/// A call's future as a Python awaitable on the shared runtime (progress delivered as
/// events come); `finish` turns its result into the Python value.
fn run_async<'py, T: Send + 'static>(
    py: Python<'py>,
    fut: impl Future<Output = Result<T, seedance_http::Error>> + Send + 'static,
    progress: Option<Progress>,
    finish: impl FnOnce(Python<'_>, T) -> PyResult<Py<PyAny>> + Send + 'static,
) -> PyResult<Bound<'py, PyAny>> {
    // On a task of its own: a panic in it is a `SeedanceError` (issue 10).
    let fut = crate::shield::shielded_future(async move {
        let out = match progress {
            Some(p) => p.run(fut).await,
            None => fut.await,
        };
        Python::attach(|py| finish(py, out.map_err(|e| errors::http_error(py, e))?))
    });
    pyo3_async_runtimes::tokio::future_into_py(py, fut)
}

fn task_any(py: Python<'_>, task: Task) -> PyResult<Py<PyAny>> {
    Ok(task_obj(py, task)?.into_any())
}

/// Records where a download put the files on the task, and returns the video's path.
fn downloaded(py: Python<'_>, task: &Py<PyTask>, d: Downloaded) -> PyResult<Py<PyAny>> {
    task.get().set_local(d.video.clone(), d.last_frame.clone());
    path_obj(py, &d.video)
}

#[pymethods]
impl PyClient {
    #[new]
    #[pyo3(signature = (*, api_key=None, base_url=None, timeout=None, connect_timeout=None, max_retries=None, rate_limit=None, media_rate_limit=None, user_agent=None, time_scale=None, budget=None, journal=true, journal_path=None))]
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        py: Python<'_>,
        api_key: Option<String>,
        base_url: Option<String>,
        timeout: Option<f64>,
        connect_timeout: Option<f64>,
        max_retries: Option<u32>,
        rate_limit: Option<Bound<'_, PyAny>>,
        media_rate_limit: Option<Bound<'_, PyAny>>,
        user_agent: Option<String>,
        time_scale: Option<f64>,
        budget: Option<String>,
        journal: bool,
        journal_path: Option<PathBuf>,
    ) -> PyResult<Self> {
        crate::shield::shield(py, || {
            let mut b = Client::builder();
            // The job store: the one the CLI uses (the data dir's) unless a file is given
            // (here or in SEEDANCE_JOURNAL, which the builder reads) or it is turned off.
            match (journal, journal_path) {
                // off even when SEEDANCE_JOURNAL names one
                (false, _) => b = b.no_journal(),
                (true, Some(p)) => b = b.journal_path(p),
                (true, None)
                    if std::env::var("SEEDANCE_JOURNAL").map_or(true, |v| v.trim().is_empty()) =>
                {
                    let store = seedance_http::JobStore::open_default()
                        .map_err(|e| errors::http_error(py, e))?;
                    b = b.journal(store);
                }
                (true, None) => {}
            }
            // Who shares the budget: the machine's processes unless said otherwise (here or
            // in SEEDANCE_BUDGET, which the builder reads).
            match budget {
                Some(v) => match seedance_http::BudgetScope::parse(&v) {
                    Ok(scope) => b = b.budget(scope),
                    Err(msg) => {
                        return Err(errors::make(
                            py,
                            "ConfigurationError",
                            (format!("budget: {msg}"),),
                            None,
                        ))
                    }
                },
                None if std::env::var("SEEDANCE_BUDGET").map_or(true, |v| v.trim().is_empty()) => {
                    b = b.budget(seedance_http::BudgetScope::Machine(None));
                }
                None => {}
            }
            if let Some(k) = api_key {
                b = b.api_key(k);
            }
            if let Some(u) = base_url {
                b = b.base_url(u);
            }
            if let Some(t) = timeout {
                b = b.timeout(secs(py, "request_timeout", t)?);
            }
            if let Some(t) = connect_timeout {
                b = b.connect_timeout(secs(py, "connect_timeout", t)?);
            }
            if let Some(n) = max_retries {
                b = b.max_retries(n);
            }
            b = b.rate_limit_setting(rate(py, "rate_limit", rate_limit.as_ref())?);
            b = b.media_rate_limit_setting(rate(
                py,
                "media_rate_limit",
                media_rate_limit.as_ref(),
            )?);
            if let Some(ua) = user_agent {
                b = b.user_agent(ua);
            }
            let time_scale = time_scale
                .map(|s| {
                    TimeScale::checked("time_scale", s)
                        .map_err(|e| errors::make(py, "ConfigurationError", (e.to_string(),), None))
                })
                .transpose()?;
            if let Some(s) = time_scale {
                b = b.poll_schedule(PollSchedule::default().time_scale(s));
            }
            // Building a reqwest client needs no runtime, but keep it on ours to be safe.
            let _guard = crate::runtime::runtime().enter();
            let client = b.build().map_err(|e| match e {
                // Say it in Python's words (the Rust message names the Rust builder).
                seedance_http::Error::NoApiKey => errors::make(
                    py,
                    "ConfigurationError",
                    ("no API key: pass api_key=... or set the SEEDANCE_API_KEY environment variable",),
                    None,
                ),
                e => errors::http_error(py, e),
            })?;
            let base_url = client.base_url().to_string();
            // What the client settled on: the argument, else the variable, else real time.
            let time_scale = client.time_scale();
            Ok(PyClient {
                inner: Mutex::new(Some(client)),
                base_url,
                time_scale,
            })
        })
    }

    /// The API origin.
    #[getter]
    fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The job store's file, when there is one.
    #[getter]
    fn journal_path(&self, py: Python<'_>) -> PyResult<Option<PathBuf>> {
        Ok(self.client(py)?.journal().map(|j| j.path()))
    }

    /// The store's jobs `client.jobs(...)` asks for, oldest first, as a JSON text (a list
    /// of the store's job objects): by state names, origin, age in seconds (`since`: at
    /// most that old, `before`: at least), only unfinished ones; without `origin` and
    /// `all_origins`, only this client's origin and account.
    #[pyo3(signature = (state=None, origin=None, since=None, before=None, unfinished=false, all_origins=false))]
    #[allow(clippy::too_many_arguments)]
    fn jobs_json(
        &self,
        py: Python<'_>,
        state: Option<Vec<String>>,
        origin: Option<String>,
        since: Option<f64>,
        before: Option<f64>,
        unfinished: bool,
        all_origins: bool,
    ) -> PyResult<String> {
        let client = self.client(py)?;
        let query = crate::jobs::Query {
            states: state,
            origin,
            since,
            before,
            unfinished,
            all_origins,
        };
        let f = crate::jobs::filter(py, &client, query)?;
        crate::jobs::list_json(py, &client, &f)
    }

    /// After a cancelled awaitable (or any interruption): marks the jobs under `keys` (or
    /// the job of `task_id`; with `resuming`, every unfinished job of this client's
    /// origin and account) interrupted in the store, and returns what goes on — a message
    /// and `[(task_id, idempotency_key)]` of the jobs left open.
    #[pyo3(signature = (keys, task_id=None, resuming=false))]
    fn interrupted_jobs(
        &self,
        py: Python<'_>,
        keys: Vec<String>,
        task_id: Option<String>,
        resuming: bool,
    ) -> PyResult<(String, Vec<crate::jobs::OpenJob>)> {
        let client = self.client(py)?;
        let mut job = if resuming {
            JobRef::resuming(&client)
        } else {
            let mut j = JobRef::new(&client, None, task_id);
            j.add_keys(keys);
            j
        };
        Ok(py.detach(|| job.describe()))
    }

    /// Finishes the store's unfinished jobs of this client's origin and account:
    /// `[(key, task_id, Task | None, exception | None)]`. Ctrl-C raises
    /// `seedance.Interrupted` naming the jobs it was finishing.
    fn resume(&self, py: Python<'_>) -> PyResult<Vec<ResumeRow>> {
        let client = self.client(py)?;
        let c = client.clone();
        let job = JobRef::resuming(&client);
        let outcomes = run_job_blocking(py, async move { c.resume().await }, None, job)?;
        resume_rows(py, outcomes)
    }

    fn resume_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let client = self.client(py)?;
        let guard = JobRef::resuming(&client).guard();
        run_async(
            py,
            guarded(guard, async move { client.resume().await }),
            None,
            |py, outcomes| {
                Ok(resume_rows(py, outcomes)?
                    .into_pyobject(py)?
                    .into_any()
                    .unbind())
            },
        )
    }

    /// Drops the connection pool; later calls raise `ConfigurationError`.
    fn close(&self) {
        if let Ok(mut c) = self.inner.lock() {
            *c = None;
        }
    }

    // ---- blocking (GIL released, Ctrl-C raises KeyboardInterrupt) ---------------------

    #[pyo3(signature = (params, idempotency_key=None))]
    fn submit(
        &self,
        py: Python<'_>,
        params: &Bound<'_, PyDict>,
        idempotency_key: Option<String>,
    ) -> PyResult<Py<PyTask>> {
        crate::shield::shield(py, || {
            let (client, req, opts) = self.submit_call(py, params, idempotency_key)?;
            let job = JobRef::new(&client, opts.idempotency_key.clone(), None);
            let fut = async move { client.submit(&req, opts).await };
            let task = run_job_blocking(py, fut, None, job)?;
            task_obj(py, task)
        })
    }

    fn get_task(&self, py: Python<'_>, task_id: String) -> PyResult<Py<PyTask>> {
        crate::shield::shield(py, || {
            let client = self.client(py)?;
            let id = TaskId::from(task_id);
            let task = run_blocking(py, async move { client.get_task(&id).await }, None)?;
            task_obj(py, task)
        })
    }

    #[pyo3(signature = (task_id, timeout=None, on_progress=None))]
    fn wait(
        &self,
        py: Python<'_>,
        task_id: String,
        timeout: Option<WaitBound<'_>>,
        on_progress: Option<Py<PyAny>>,
    ) -> PyResult<Py<PyTask>> {
        crate::shield::shield(py, || {
            let (client, id, opts, progress) = self.wait_call(py, task_id, timeout, on_progress)?;
            let key = client
                .journal()
                .and_then(|j| j.job_for_task(client.job_scope(), &id).ok().flatten())
                .map(|r| r.key);
            let job = JobRef::new(&client, key, Some(id.to_string()));
            let task = run_job_blocking(
                py,
                async move { client.wait(&id, opts).await },
                progress,
                job,
            )?;
            task_obj(py, task)
        })
    }

    #[pyo3(signature = (params, idempotency_key=None, timeout=None, on_progress=None))]
    fn generate(
        &self,
        py: Python<'_>,
        params: &Bound<'_, PyDict>,
        idempotency_key: Option<String>,
        timeout: Option<WaitBound<'_>>,
        on_progress: Option<Py<PyAny>>,
    ) -> PyResult<Py<PyTask>> {
        crate::shield::shield(py, || {
            let (client, req, opts, progress) =
                self.generate_call(py, params, idempotency_key, timeout, on_progress)?;
            let job = JobRef::new(&client, opts.submit.idempotency_key.clone(), None);
            let task = run_job_blocking(
                py,
                async move { client.generate(&req, opts).await },
                progress,
                job,
            )?;
            task_obj(py, task)
        })
    }

    #[pyo3(signature = (task, path, on_progress=None))]
    fn download(
        &self,
        py: Python<'_>,
        task: Py<PyTask>,
        path: PathBuf,
        on_progress: Option<Py<PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        crate::shield::shield(py, || {
            let (client, inner, path, progress) =
                self.download_call(py, &task, path, on_progress)?;
            let fut = async move {
                client
                    .download(&inner, &path, DownloadOptions::default())
                    .await
            };
            let d = run_blocking(py, fut, progress)?;
            downloaded(py, &task, d)
        })
    }

    // ---- async (awaitables on the shared runtime; cancelling one stops its work) --------

    #[pyo3(signature = (params, idempotency_key=None))]
    fn submit_async<'py>(
        &self,
        py: Python<'py>,
        params: &Bound<'py, PyDict>,
        idempotency_key: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        crate::shield::shield(py, || {
            let (client, req, opts) = self.submit_call(py, params, idempotency_key)?;
            let guard = JobRef::new(&client, opts.idempotency_key.clone(), None).guard();
            let fut = guarded(guard, async move { client.submit(&req, opts).await });
            run_async(py, fut, None, task_any)
        })
    }

    fn get_task_async<'py>(&self, py: Python<'py>, task_id: String) -> PyResult<Bound<'py, PyAny>> {
        crate::shield::shield(py, || {
            let client = self.client(py)?;
            let id = TaskId::from(task_id);
            run_async(
                py,
                async move { client.get_task(&id).await },
                None,
                task_any,
            )
        })
    }

    #[pyo3(signature = (task_id, timeout=None, on_progress=None))]
    fn wait_async<'py>(
        &self,
        py: Python<'py>,
        task_id: String,
        timeout: Option<WaitBound<'py>>,
        on_progress: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        crate::shield::shield(py, || {
            let (client, id, opts, progress) = self.wait_call(py, task_id, timeout, on_progress)?;
            let guard = JobRef::new(&client, None, Some(id.to_string())).guard();
            let fut = guarded(guard, async move { client.wait(&id, opts).await });
            run_async(py, fut, progress, task_any)
        })
    }

    #[pyo3(signature = (params, idempotency_key=None, timeout=None, on_progress=None))]
    fn generate_async<'py>(
        &self,
        py: Python<'py>,
        params: &Bound<'py, PyDict>,
        idempotency_key: Option<String>,
        timeout: Option<WaitBound<'py>>,
        on_progress: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        crate::shield::shield(py, || {
            let (client, req, opts, progress) =
                self.generate_call(py, params, idempotency_key, timeout, on_progress)?;
            let guard = JobRef::new(&client, opts.submit.idempotency_key.clone(), None).guard();
            let fut = guarded(guard, async move { client.generate(&req, opts).await });
            run_async(py, fut, progress, task_any)
        })
    }

    #[pyo3(signature = (task, path, on_progress=None))]
    fn download_async<'py>(
        &self,
        py: Python<'py>,
        task: Py<PyTask>,
        path: PathBuf,
        on_progress: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        crate::shield::shield(py, || {
            let (client, inner, path, progress) =
                self.download_call(py, &task, path, on_progress)?;
            let fut = async move {
                client
                    .download(&inner, &path, DownloadOptions::default())
                    .await
            };
            run_async(py, fut, progress, move |py, d| downloaded(py, &task, d))
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "_Client(base_url={})",
            crate::convert::repr_str(&self.base_url)
        )
    }
}
