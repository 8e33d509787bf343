//! `seedance_client`: the blocking client of seedance-http, and its calls.

use std::ffi::{c_char, c_void, CString};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use seedance_core::{Task, TaskId};
use seedance_http::blocking::Client;
use seedance_http::{
    ApiKey, BudgetScope, CancellationToken, ClientBuilder, DownloadOptions, Event, GenerateOptions,
    JobFilter, JobRecord, JobState, PollSchedule, SubmitOptions, WaitOptions,
};

use crate::cancel::seedance_cancel;
use crate::error::{fail, fail_with, seedance_result, LastError};
use crate::panic::{
    arg_ref, arg_str, boundary, call, cstring, give_string, opt_str, out_ptr, read, returning, take,
};
use crate::progress::{convert, event_task_id, seedance_progress_callback};
use crate::request::seedance_request;
use crate::task::seedance_task;

/// Settings of a new client. All-zero (`seedance_client_options o = {0};`) means every
/// default; `seedance_client_options_init` sets exactly that. NULL strings and zero
/// numbers are "not given": the `SEEDANCE_*` variable when `read_env` is true, else the
/// default.
#[repr(C)]
#[derive(Debug)]
pub struct seedance_client_options {
    /// The API key (else `SEEDANCE_API_KEY` when `read_env`). Required one way or the other.
    pub api_key: *const c_char,
    /// The API origin (else `SEEDANCE_BASE_URL`, else production). Plain `http` only to
    /// loopback hosts.
    pub base_url: *const c_char,
    /// Per-request timeout in milliseconds (0: `SEEDANCE_TIMEOUT`, else 60 s).
    pub timeout_ms: u64,
    /// Connect timeout in milliseconds (0: `SEEDANCE_CONNECT_TIMEOUT`, else 10 s).
    pub connect_timeout_ms: u64,
    /// Whether `max_retries` is given (else `SEEDANCE_MAX_RETRIES`, else 5).
    pub max_retries_set: bool,
    /// Retries after the first attempt, when `max_retries_set`.
    pub max_retries: u32,
    /// The client-side request budget: this many requests per `rate_limit_window_ms`
    /// (0: `SEEDANCE_RATE_LIMIT`, else 30 per 60 s).
    pub rate_limit_requests: u32,
    /// The budget's window in milliseconds (used with `rate_limit_requests`).
    pub rate_limit_window_ms: u64,
    /// Turns the client-side budget off (tests against an emulator; not recommended).
    pub no_rate_limit: bool,
    /// Divides every poll delay (for an emulator with scaled time; 0: 1, or
    /// `SEEDANCE_TIME_SCALE`).
    pub time_scale: f64,
    /// The job store, a SQLite file shared safely by every process using it (else
    /// `SEEDANCE_JOURNAL` when `read_env`, else none): every job is written there before
    /// its submit is sent, so `seedance_resume` finishes it after a crash.
    /// `seedance_default_job_store_path` names the one the CLI and Python use. (A `.jsonl`
    /// path, an old journal, opens the `.sqlite3` file next to it and imports it once.)
    pub job_store_path: *const c_char,
    /// The `User-Agent` (else `SEEDANCE_USER_AGENT`, else the library's).
    pub user_agent: *const c_char,
    /// Read the `SEEDANCE_*` variables for every setting not given here.
    pub read_env: bool,
    /// Who shares the request budget of the account (else `SEEDANCE_BUDGET` when
    /// `read_env`, else `"machine"`): `"process"` (this client only), `"machine"` (every
    /// process of this machine, through a small SQLite file in the data directory),
    /// `"machine:DIR"` (the same, the file in `DIR`), or `"redis://[:PASSWORD@]HOST:PORT/DB"`
    /// (`rediss://` for TLS: every machine; when Redis cannot be reached the machine's
    /// budget is used). Another value gives `SEEDANCE_RESULT_CONFIG`.
    pub budget: *const c_char,
    /// No job store, even when `SEEDANCE_JOURNAL` names one (with `read_env`). Giving
    /// `job_store_path` too is `SEEDANCE_RESULT_INVALID_ARGUMENT`.
    pub no_job_store: bool,
}

/// A client (thread-safe: share one between threads). Every call blocks the calling
/// thread; many threads may call at once.
pub struct seedance_client {
    client: Client,
    key: Option<ApiKey>,
    base_url: CString,
}

crate::panic::handles!(seedance_client);

impl seedance_client {
    fn redact(&self, text: &str) -> String {
        match &self.key {
            Some(k) => k.redact(text),
            None => text.to_owned(),
        }
    }

    fn fail(&self, e: &seedance_http::Error) -> seedance_result {
        fail(LastError::from_http(e, &|t| self.redact(t)))
    }
}

/// Options of one call. All-zero (or a NULL pointer) means every default;
/// `seedance_call_options_init` sets exactly that.
#[repr(C)]
#[derive(Debug)]
pub struct seedance_call_options {
    /// Submit/generate: the `Idempotency-Key` (else a random one). Reused on every retry.
    pub idempotency_key: *const c_char,
    /// Submit/generate: check the reference URLs before submitting.
    pub preflight: bool,
    /// Wait/generate: give up after this many milliseconds with
    /// `SEEDANCE_RESULT_WAIT_TIMEOUT` (0: the client's bound, by default 30 minutes).
    pub timeout_ms: u64,
    /// Wait/generate: wait without any bound (overrides `timeout_ms`).
    pub no_timeout: bool,
    /// Generate: download the outputs into this directory (or file) on completion.
    pub download_dir: *const c_char,
    /// Generate/download: do not fetch the last frame.
    pub skip_last_frame: bool,
    /// Stops the call with `SEEDANCE_RESULT_CANCELLED` when triggered (may be NULL).
    pub cancel: *const seedance_cancel,
    /// Progress callback (may be NULL), called on the calling thread.
    pub progress: seedance_progress_callback,
    /// Passed to `progress` as is.
    pub user_data: *mut c_void,
}

impl Default for seedance_call_options {
    fn default() -> Self {
        seedance_call_options {
            idempotency_key: std::ptr::null(),
            preflight: false,
            timeout_ms: 0,
            no_timeout: false,
            download_dir: std::ptr::null(),
            skip_last_frame: false,
            cancel: std::ptr::null(),
            progress: None,
            user_data: std::ptr::null_mut(),
        }
    }
}

/// Sets `*options` to every default (the same as all-zero). NULL is a no-op.
#[no_mangle]
pub extern "C" fn seedance_call_options_init(options: *mut seedance_call_options) {
    boundary(|| {
        if !options.is_null() {
            // SAFETY: non-NULL, caller-owned struct.
            unsafe { options.write(seedance_call_options::default()) };
        }
    })
}

/// Sets `*options` to every default (the same as all-zero). NULL is a no-op.
#[no_mangle]
pub extern "C" fn seedance_client_options_init(options: *mut seedance_client_options) {
    boundary(|| {
        if !options.is_null() {
            // SAFETY: non-NULL, caller-owned struct.
            unsafe {
                options.write(seedance_client_options {
                    api_key: std::ptr::null(),
                    base_url: std::ptr::null(),
                    timeout_ms: 0,
                    connect_timeout_ms: 0,
                    max_retries_set: false,
                    max_retries: 0,
                    rate_limit_requests: 0,
                    rate_limit_window_ms: 0,
                    no_rate_limit: false,
                    time_scale: 0.0,
                    job_store_path: std::ptr::null(),
                    user_agent: std::ptr::null(),
                    read_env: false,
                    budget: std::ptr::null(),
                    no_job_store: false,
                })
            };
        }
    })
}

fn env_key() -> Option<ApiKey> {
    std::env::var("SEEDANCE_API_KEY")
        .ok()
        .filter(|k| !k.trim().is_empty())
        .map(ApiKey::new)
}

/// Who shares the budget: `given`, else `SEEDANCE_BUDGET` (left to the builder) when the
/// environment is read and sets it, else the machine's processes (as the CLI and Python).
fn budget(
    b: ClientBuilder,
    given: Option<&str>,
    read_env: bool,
) -> Result<ClientBuilder, seedance_result> {
    match given {
        Some(v) => BudgetScope::parse(v)
            .map(|scope| b.budget(scope))
            .map_err(|m| fail_with(seedance_result::Config, format!("budget: {m}"))),
        None if read_env
            && std::env::var("SEEDANCE_BUDGET").is_ok_and(|v| !v.trim().is_empty()) =>
        {
            Ok(b)
        }
        None => Ok(b.budget(BudgetScope::Machine(None))),
    }
}

fn build(builder: ClientBuilder, key: Option<ApiKey>) -> Result<seedance_client, seedance_result> {
    let redact = |t: &str| key.as_ref().map_or_else(|| t.to_owned(), |k| k.redact(t));
    let client = Client::new(builder).map_err(|e| fail(LastError::from_http(&e, &redact)))?;
    let base_url = cstring(client.async_client().base_url());
    Ok(seedance_client {
        client,
        key,
        base_url,
    })
}

/// Makes a client from `options` (NULL: every default, which needs `read_env` for a
/// key, so NULL fails with `SEEDANCE_RESULT_NO_API_KEY`) into `*out`; free it with
/// `seedance_client_free`. No key gives `SEEDANCE_RESULT_NO_API_KEY`; bad settings give
/// `SEEDANCE_RESULT_CONFIG`, `SEEDANCE_RESULT_INVALID_ARGUMENT` or
/// `SEEDANCE_RESULT_JOB_STORE`.
#[no_mangle]
pub extern "C" fn seedance_client_new(
    options: *const seedance_client_options,
    out: *mut *mut seedance_client,
) -> seedance_result {
    returning(out, || {
        // SAFETY: NULL or a caller-owned struct.
        let Some(o) = (unsafe { options.as_ref() }) else {
            return build(
                budget(ClientBuilder::default().no_env(), None, false)?,
                None,
            );
        };
        let mut b = seedance_http::Client::builder();
        if !o.read_env {
            b = b.no_env();
        }
        let mut key = if o.read_env { env_key() } else { None };
        if let Some(k) = opt_str(o.api_key, "api_key")? {
            key = Some(ApiKey::new(k));
            b = b.api_key(k);
        }
        if let Some(u) = opt_str(o.base_url, "base_url")? {
            b = b.base_url(u);
        }
        if o.timeout_ms > 0 {
            b = b.timeout(Duration::from_millis(o.timeout_ms));
        }
        if o.connect_timeout_ms > 0 {
            b = b.connect_timeout(Duration::from_millis(o.connect_timeout_ms));
        }
        if o.max_retries_set {
            b = b.max_retries(o.max_retries);
        }
        if o.no_rate_limit {
            b = b.no_rate_limit();
        } else if o.rate_limit_requests > 0 {
            if o.rate_limit_window_ms == 0 {
                return Err(fail_with(
                    seedance_result::InvalidArgument,
                    "rate_limit_window_ms must be > 0 when rate_limit_requests is given",
                ));
            }
            b = b.rate_limit(
                o.rate_limit_requests,
                Duration::from_millis(o.rate_limit_window_ms),
            );
        }
        if o.time_scale != 0.0 {
            let scale = seedance_core::rules::TimeScale::checked("time_scale", o.time_scale)
                .map_err(|e| fail_with(seedance_result::InvalidArgument, e.to_string()))?;
            b = b.poll_schedule(PollSchedule::default().time_scale(scale));
        }
        match (opt_str(o.job_store_path, "job_store_path")?, o.no_job_store) {
            (Some(_), true) => {
                return Err(fail_with(
                    seedance_result::InvalidArgument,
                    "job_store_path and no_job_store were both given",
                ))
            }
            (Some(p), false) => b = b.journal_path(p),
            (None, true) => b = b.no_journal(),
            (None, false) => {}
        }
        if let Some(ua) = opt_str(o.user_agent, "user_agent")? {
            b = b.user_agent(ua);
        }
        b = budget(b, opt_str(o.budget, "budget")?, o.read_env)?;
        build(b, key)
    })
}

/// The path of the job store the CLI and Python use by default
/// (`$XDG_DATA_HOME/seedance/jobs.sqlite3` on Linux) into `*out` (free it with
/// `seedance_string_free`), for `seedance_client_options.job_store_path` when a C program
/// should share their jobs (`seedance jobs`, `seedance resume`). Nothing is created.
#[no_mangle]
pub extern "C" fn seedance_default_job_store_path(out: *mut *mut c_char) -> seedance_result {
    returning(out, || {
        Ok(seedance_http::default_data_dir_path()
            .join(seedance_http::STORE_FILE_NAME)
            .to_string_lossy()
            .into_owned())
    })
}

/// Makes a client from the `SEEDANCE_*` variables alone (`SEEDANCE_API_KEY`,
/// `SEEDANCE_BASE_URL`, `SEEDANCE_BUDGET`…) into `*out`; `SEEDANCE_RESULT_NO_API_KEY`
/// without a key.
#[no_mangle]
pub extern "C" fn seedance_client_from_env(out: *mut *mut seedance_client) -> seedance_result {
    returning(out, || {
        build(budget(ClientBuilder::default(), None, true)?, env_key())
    })
}

/// The API origin the client talks to (owned by the client); NULL for NULL.
#[no_mangle]
pub extern "C" fn seedance_client_base_url(client: *const seedance_client) -> *const c_char {
    read(client, |c| c.base_url.as_ptr())
}

/// Frees a client. Calls still running on other threads must have returned. NULL is a
/// no-op.
#[no_mangle]
pub extern "C" fn seedance_client_free(client: *mut seedance_client) {
    boundary(|| take(client))
}

/// The per-call options read from C.
struct Call {
    key: Option<String>,
    preflight: bool,
    wait: WaitOptions,
    download_dir: Option<PathBuf>,
    last_frame: bool,
    cancel: Option<CancellationToken>,
    progress: seedance_progress_callback,
    user_data: *mut c_void,
}

fn call_options(options: *const seedance_call_options) -> Result<Call, seedance_result> {
    let default = seedance_call_options::default();
    // SAFETY: NULL or a caller-owned struct.
    let o = unsafe { options.as_ref() }.unwrap_or(&default);
    let mut wait = WaitOptions::default();
    if o.no_timeout {
        wait = wait.no_timeout();
    } else if o.timeout_ms > 0 {
        wait = wait.timeout(Duration::from_millis(o.timeout_ms));
    }
    // SAFETY: NULL or a token of this library, alive during the call.
    let cancel = unsafe { o.cancel.as_ref() }.map(|c| c.token.clone());
    if let Some(c) = &cancel {
        wait = wait.cancel(c.clone());
    }
    Ok(Call {
        key: opt_str(o.idempotency_key, "idempotency_key")?.map(str::to_owned),
        preflight: o.preflight,
        wait,
        download_dir: opt_str(o.download_dir, "download_dir")?.map(PathBuf::from),
        last_frame: !o.skip_last_frame,
        cancel,
        progress: o.progress,
        user_data: o.user_data,
    })
}

impl Call {
    fn submit(&self) -> SubmitOptions {
        let mut s = SubmitOptions::default().preflight(self.preflight);
        if let Some(k) = &self.key {
            s = s.idempotency_key(k.clone());
        }
        if let Some(c) = &self.cancel {
            s = s.cancel(c.clone());
        }
        s
    }

    fn download(&self) -> DownloadOptions {
        let mut d = DownloadOptions::default().last_frame(self.last_frame);
        if let Some(c) = &self.cancel {
            d = d.cancel(c.clone());
        }
        d
    }
}

/// Which events belong to one call: those of its task, found by id or (for a submit)
/// by the idempotency key it sent.
struct Filter {
    task_id: Option<String>,
    key: Option<String>,
}

impl Filter {
    /// The events of a submit: it gets an idempotency key now (unless given) so that
    /// its `Submitted` event can be told from other calls'.
    fn submit(o: &mut Call) -> Filter {
        let key = o
            .key
            .get_or_insert_with(seedance_http::new_idempotency_key)
            .clone();
        Filter {
            task_id: None,
            key: Some(key),
        }
    }

    /// The events of one task.
    fn task(id: &str) -> Filter {
        Filter {
            task_id: Some(id.to_owned()),
            key: None,
        }
    }

    fn accept(&mut self, e: &Event) -> bool {
        if let (
            Event::Submitted {
                task_id,
                idempotency_key,
                ..
            },
            Some(key),
        ) = (e, &self.key)
        {
            if idempotency_key == key {
                self.task_id = Some(task_id.to_string());
                return true;
            }
            return false;
        }
        matches!((event_task_id(e), &self.task_id), (Some(id), Some(mine)) if id == mine)
    }
}

/// Runs `f` (a blocking client call). With a progress callback the call runs on a
/// scoped worker thread while this thread delivers the call's events to the callback,
/// so the callback always runs on the caller's thread.
fn run<T: Send>(
    c: &seedance_client,
    progress: seedance_progress_callback,
    user_data: *mut c_void,
    mut filter: Filter,
    f: impl FnOnce(&Client) -> seedance_http::Result<T> + Send,
) -> Result<T, seedance_result> {
    let client = &c.client;
    let Some(cb) = progress else {
        return f(client).map_err(|e| c.fail(&e));
    };
    let mut rx = client.events();
    let start = Instant::now();
    let mut deliver = |rx: &mut tokio::sync::broadcast::Receiver<Event>| loop {
        match rx.try_recv() {
            Ok(e) => {
                if filter.accept(&e) {
                    if let Some((_owned, ev)) = convert(&e, start.elapsed()) {
                        cb(user_data, &ev);
                    }
                }
            }
            Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => continue,
            Err(_) => return,
        }
    };
    let out = std::thread::scope(|s| {
        let (tx, done) = mpsc::channel();
        let worker = s.spawn(move || {
            let r = f(client);
            let _ = tx.send(());
            r
        });
        while let Err(mpsc::RecvTimeoutError::Timeout) =
            done.recv_timeout(Duration::from_millis(10))
        {
            deliver(&mut rx);
        }
        match worker.join() {
            Ok(r) => r,
            Err(p) => std::panic::resume_unwind(p),
        }
    });
    deliver(&mut rx);
    out.map_err(|e| c.fail(&e))
}

fn task(task: Task) -> seedance_task {
    seedance_task::new(task, None, None)
}

/// Submits a request (validated first: an invalid one gives
/// `SEEDANCE_RESULT_VALIDATION` and sends nothing). Charged once: retries reuse one
/// idempotency key. The accepted task goes into `*out`.
#[no_mangle]
pub extern "C" fn seedance_submit(
    client: *const seedance_client,
    request: *const seedance_request,
    options: *const seedance_call_options,
    out: *mut *mut seedance_task,
) -> seedance_result {
    returning(out, || {
        let c = arg_ref(client, "client")?;
        let r = arg_ref(request, "request")?;
        let mut o = call_options(options)?;
        let filter = Filter::submit(&mut o);
        let submit = o.submit();
        run(c, o.progress, o.user_data, filter, |cl| {
            cl.submit(&r.resolved(), submit)
        })
        .map(task)
    })
}

/// Reads a task by id (`SEEDANCE_RESULT_NOT_FOUND` when this key's owner has none) into
/// `*out`.
#[no_mangle]
pub extern "C" fn seedance_get_task(
    client: *const seedance_client,
    task_id: *const c_char,
    out: *mut *mut seedance_task,
) -> seedance_result {
    returning(out, || {
        let c = arg_ref(client, "client")?;
        let id = TaskId::from(arg_str(task_id, "task_id")?);
        c.client.get_task(&id).map(task).map_err(|e| c.fail(&e))
    })
}

/// Waits until the task ends and puts it into `*out`: `SEEDANCE_RESULT_TASK_FAILED` when
/// it failed (its id in the last error), `SEEDANCE_RESULT_WAIT_TIMEOUT` past the bound,
/// `SEEDANCE_RESULT_CANCELLED` when the token was triggered.
#[no_mangle]
pub extern "C" fn seedance_wait(
    client: *const seedance_client,
    task_id: *const c_char,
    options: *const seedance_call_options,
    out: *mut *mut seedance_task,
) -> seedance_result {
    returning(out, || {
        let c = arg_ref(client, "client")?;
        let id = TaskId::from(arg_str(task_id, "task_id")?);
        let o = call_options(options)?;
        let wait = o.wait.clone();
        run(
            c,
            o.progress,
            o.user_data,
            Filter::task(id.as_str()),
            |cl| cl.wait(&id, wait),
        )
        .map(task)
    })
}

/// Submit + wait (+ download into `options->download_dir`; recorded in the job store, when
/// the client has one, so that
/// `seedance_resume` finishes it after a crash): the finished task into `*out`, with
/// `seedance_task_video_path` set when downloaded. Errors as `seedance_submit` and
/// `seedance_wait`.
#[no_mangle]
pub extern "C" fn seedance_generate(
    client: *const seedance_client,
    request: *const seedance_request,
    options: *const seedance_call_options,
    out: *mut *mut seedance_task,
) -> seedance_result {
    returning(out, || {
        let c = arg_ref(client, "client")?;
        let r = arg_ref(request, "request")?;
        let mut o = call_options(options)?;
        let filter = Filter::submit(&mut o);
        let mut g = GenerateOptions::default()
            .submit(o.submit())
            .wait(o.wait.clone());
        g.download = o.download();
        if let Some(d) = &o.download_dir {
            g = g.download_to(d.clone());
        }
        let outcome = run(c, o.progress, o.user_data, filter, |cl| {
            cl.generate_job(&r.resolved(), g)
                .map(|j| (j.result, j.downloaded))
        })?;
        let (task, downloaded) = outcome;
        let task = task.map_err(|e| c.fail(&e))?;
        let (video, frame) = match &downloaded {
            Some(d) => (Some(d.video.as_path()), d.last_frame.as_deref()),
            None => (None, None),
        };
        Ok(seedance_task::new(task, video, frame))
    })
}

/// Downloads a completed task's video (and its last frame unless
/// `options->skip_last_frame`) to `dest` (a file, or a directory for the task's own
/// names). The API key is never sent to the CDN. `*video_path` (may be NULL; free it
/// with `seedance_string_free`) gets the video file's path.
#[no_mangle]
pub extern "C" fn seedance_download(
    client: *const seedance_client,
    task: *const seedance_task,
    dest: *const c_char,
    options: *const seedance_call_options,
    video_path: *mut *mut c_char,
) -> seedance_result {
    call(|| {
        if !video_path.is_null() {
            out_ptr(video_path, "video_path")?;
        }
        let c = arg_ref(client, "client")?;
        let t = arg_ref(task, "task")?;
        let dest = PathBuf::from(arg_str(dest, "dest")?);
        let o = call_options(options)?;
        let filter = Filter::task(t.task.id.as_str());
        let d = o.download();
        let done = run(c, o.progress, o.user_data, filter, |cl| {
            cl.download(&t.task, &dest, d)
        })?;
        if !video_path.is_null() {
            give_string(video_path, done.video.to_string_lossy().into_owned());
        }
        Ok(())
    })
}

/// Which jobs `seedance_list_jobs_filtered` lists. Every field narrows; all zero (`{0}`)
/// lists every job, as `seedance_list_jobs` does. The same filters as `seedance jobs`.
#[repr(C)]
pub struct seedance_job_filter {
    /// Only jobs in these states: names separated by commas (`"submitted,interrupted"`;
    /// `pending`, `sent`, `submitted`, `completed`, `downloaded`, `failed`,
    /// `interrupted`, `forgotten`); NULL or `""`: any. An unknown name is
    /// `SEEDANCE_RESULT_INVALID_ARGUMENT`.
    pub states: *const c_char,
    /// Only jobs sent to this API origin (any URL of it); NULL: any.
    pub origin: *const c_char,
    /// Only jobs written at most this many seconds ago; 0: no bound.
    pub since_secs: u64,
    /// Only jobs written at least this many seconds ago; 0: no bound.
    pub before_secs: u64,
    /// Only jobs `seedance_resume` still has work for.
    pub unfinished: bool,
    /// Only jobs of this client's API origin and account (the ones `seedance_resume`
    /// touches).
    pub this_client_only: bool,
}

/// The store's filter for a `seedance_job_filter`.
fn job_filter(c: &seedance_client, f: &seedance_job_filter) -> Result<JobFilter, seedance_result> {
    let mut out = JobFilter::default();
    for name in opt_str(f.states, "states")?
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        let state = JobState::parse(&name.to_ascii_lowercase()).ok_or_else(|| {
            fail_with(
                seedance_result::InvalidArgument,
                format!(
                    "states: unknown job state {name:?} (pending, sent, submitted, completed, \
                     downloaded, failed, interrupted, forgotten)"
                ),
            )
        })?;
        out = out.state(state);
    }
    if let Some(o) = opt_str(f.origin, "origin")? {
        out = out.origin(o);
    }
    if f.since_secs > 0 {
        out = out.newer_than(Duration::from_secs(f.since_secs));
    }
    if f.before_secs > 0 {
        out = out.older_than(Duration::from_secs(f.before_secs));
    }
    if f.unfinished {
        out = out.unfinished();
    }
    if f.this_client_only {
        let scope = c.client.async_client().job_scope();
        out.origin = Some(scope.origin.clone());
        out.account = Some(scope.account.clone());
    }
    Ok(out)
}

/// The jobs `filter` lets through as the JSON array `seedance_list_jobs` returns.
fn list_jobs(c: &seedance_client, filter: &JobFilter) -> Result<String, seedance_result> {
    let jobs: Vec<serde_json::Value> = match c.client.async_client().journal() {
        Some(j) => j
            .list(filter)
            .map_err(|e| c.fail(&e))?
            .jobs
            .iter()
            .map(JobRecord::to_json)
            .collect(),
        None => Vec::new(),
    };
    Ok(c.redact(&serde_json::Value::Array(jobs).to_string()))
}

/// The jobs of the client's job store as a JSON array into `*out` (free it with
/// `seedance_string_free`), oldest first, as `seedance jobs --json` shows them:
/// `{"id","idempotency_key","origin","account","request","output","task_id","state",
/// "charge","unfinished","task","downloaded","last_error","created_ms","sent_ms",
/// "submitted_ms","completed_ms","downloaded_ms","ended_ms","updated_ms"}` each
/// (`state`: `pending`, `sent`, `submitted`, `interrupted`, `completed`, `downloaded`,
/// `failed` or `forgotten`; `charge`: `never_sent`, `refused_not_charged`,
/// `may_be_charged` or `charged`; `account`: a hash of the key, never the key); `[]`
/// when the client has no job store. Every origin and account: see
/// `seedance_list_jobs_filtered` to narrow it.
#[no_mangle]
pub extern "C" fn seedance_list_jobs(
    client: *const seedance_client,
    out: *mut *mut c_char,
) -> seedance_result {
    returning(out, || {
        let c = arg_ref(client, "client")?;
        list_jobs(c, &JobFilter::default())
    })
}

/// `seedance_list_jobs` narrowed by `filter` (NULL: every job): by states, origin, age,
/// unfinished, or this client's origin and account only.
#[no_mangle]
pub extern "C" fn seedance_list_jobs_filtered(
    client: *const seedance_client,
    filter: *const seedance_job_filter,
    out: *mut *mut c_char,
) -> seedance_result {
    returning(out, || {
        let c = arg_ref(client, "client")?;
        let f = if filter.is_null() {
            JobFilter::default()
        } else {
            job_filter(c, arg_ref(filter, "filter")?)?
        };
        list_jobs(c, &f)
    })
}

/// Re-attaches to every unfinished job of the job store (re-submitting with the same
/// key, waiting, downloading) and puts a JSON array of outcomes into `*out` (free it with
/// `seedance_string_free`): `{"key","task_id","result","message","task","downloaded"}`
/// each, `result` being a `seedance_result` name. `[]` without a job store.
#[no_mangle]
pub extern "C" fn seedance_resume(
    client: *const seedance_client,
    out: *mut *mut c_char,
) -> seedance_result {
    returning(out, || {
        let c = arg_ref(client, "client")?;
        let outcomes = c.client.resume().map_err(|e| c.fail(&e))?;
        let list: Vec<serde_json::Value> = outcomes
            .iter()
            .map(|o| {
                let (result, message, task) = match &o.result {
                    Ok(t) => (seedance_result::Ok, None, serde_json::to_value(t).ok()),
                    Err(e) => (
                        seedance_result::for_error(e),
                        Some(c.redact(&e.to_string())),
                        None,
                    ),
                };
                serde_json::json!({
                    "key": o.key,
                    "task_id": o.task_id.as_ref().map(|t| t.to_string()),
                    "result": result.name().to_string_lossy(),
                    "message": message,
                    "task": task,
                    "downloaded": o.downloaded,
                })
            })
            .collect();
        Ok(serde_json::Value::Array(list).to_string())
    })
}
