//! The job store (Promise 4): one SQLite database in the data dir (`jobs.sqlite3`), shared
//! by every process of the user at once (WAL, a busy timeout, each change one short
//! transaction). A job is written before its submit is sent, then each step it takes.
//!
//! A job belongs to the API origin and the account (a hash of the key, never the key) it
//! was sent with: [`JobScope`]. The request is kept as the JSON text that was sent (fields
//! a newer version wrote are kept as they are, and a re-POST sends the same bytes). A row
//! this version cannot decode is listed as unreadable ([`JobList::unreadable`]), never
//! deleted. The schema is versioned (`PRAGMA user_version`) and migrated forward; a newer
//! database is used as it is (newer versions only add columns and tables).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use seedance_core::{Task, TaskId, VideoRequest};

use crate::error::{ConfigError, Error, IoContext, Result, StoreError, StoreErrorKind};
use crate::options::Downloaded;

/// The store's file name in the data dir.
pub const STORE_FILE_NAME: &str = "jobs.sqlite3";

/// The schema version this build writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

/// How long a process waits for another one's write to end before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The migrations, in order: `MIGRATIONS[n]` takes the schema from version `n` to `n + 1`.
const MIGRATIONS: &[&str] = &["
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    origin TEXT NOT NULL DEFAULT '',
    account TEXT NOT NULL DEFAULT '',
    request TEXT NOT NULL,
    output TEXT,
    task_id TEXT,
    state TEXT NOT NULL,
    charge TEXT NOT NULL,
    task TEXT,
    downloaded TEXT,
    last_error TEXT,
    created_ms INTEGER NOT NULL,
    sent_ms INTEGER,
    submitted_ms INTEGER,
    completed_ms INTEGER,
    downloaded_ms INTEGER,
    ended_ms INTEGER,
    updated_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_scope_key ON jobs (origin, account, key);
CREATE INDEX IF NOT EXISTS jobs_task_id ON jobs (task_id);
CREATE TABLE IF NOT EXISTS imports (
    path TEXT PRIMARY KEY, imported_ms INTEGER NOT NULL, jobs INTEGER NOT NULL
);
"];

/// Where a job stands.
///
/// `pending → sent → submitted → completed → downloaded`, or `failed`, `interrupted`,
/// `forgotten`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum JobState {
    /// Written; the submit has not been sent yet (a crash here charged nothing).
    Pending,
    /// The submit went out (maybe more than once, always with the job's key) and no task
    /// id was heard: it may have reached the server (`resume` re-POSTs with the key).
    Sent,
    /// The server gave a task id; the task has not been seen to end.
    Submitted,
    /// The task completed (its last response is [`JobRecord::task`]).
    Completed,
    /// The outputs were written ([`JobRecord::downloaded`]).
    Downloaded,
    /// The job ended without a result (the task failed, the submit was refused or never
    /// reached a server); [`JobRecord::last_error`] says why.
    Failed,
    /// Stopped by the user (Ctrl-C, a cancelled call) before it ended: `resume` goes on.
    Interrupted,
    /// Put aside by `seedance jobs forget`: kept as history, never resumed.
    Forgotten,
}

impl JobState {
    /// The stored name (`"pending"`, `"sent"`…).
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Sent => "sent",
            JobState::Submitted => "submitted",
            JobState::Completed => "completed",
            JobState::Downloaded => "downloaded",
            JobState::Failed => "failed",
            JobState::Interrupted => "interrupted",
            JobState::Forgotten => "forgotten",
        }
    }

    /// The state of a stored name.
    pub fn parse(s: &str) -> Option<JobState> {
        Some(match s {
            "pending" => JobState::Pending,
            "sent" => JobState::Sent,
            "submitted" => JobState::Submitted,
            "completed" => JobState::Completed,
            "downloaded" => JobState::Downloaded,
            "failed" => JobState::Failed,
            "interrupted" => JobState::Interrupted,
            "forgotten" => JobState::Forgotten,
            _ => return None,
        })
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is known about a job's charge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Charge {
    /// The submit never reached a server: nothing was charged.
    NeverSent,
    /// The server refused the submit (400, 401, 402…): nothing was charged.
    RefusedNotCharged,
    /// The submit may have reached the server and no answer was heard: it may be charged
    /// (re-POSTing with the same key replays it without a second charge).
    MayBeCharged,
    /// The server created the task: charged (a failed task may refund).
    Charged,
}

impl Charge {
    /// The stored name (`"never_sent"`, `"refused_not_charged"`, `"may_be_charged"`,
    /// `"charged"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Charge::NeverSent => "never_sent",
            Charge::RefusedNotCharged => "refused_not_charged",
            Charge::MayBeCharged => "may_be_charged",
            Charge::Charged => "charged",
        }
    }

    /// The charge of a stored name.
    pub fn parse(s: &str) -> Option<Charge> {
        Some(match s {
            "never_sent" => Charge::NeverSent,
            "refused_not_charged" => Charge::RefusedNotCharged,
            "may_be_charged" => Charge::MayBeCharged,
            "charged" => Charge::Charged,
            _ => return None,
        })
    }

    /// Words for people ("never sent", "refused, not charged", "may be charged",
    /// "charged").
    pub fn describe(self) -> &'static str {
        match self {
            Charge::NeverSent => "never sent",
            Charge::RefusedNotCharged => "refused, not charged",
            Charge::MayBeCharged => "may be charged",
            Charge::Charged => "charged",
        }
    }
}

impl std::fmt::Display for Charge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The API origin and account a job belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct JobScope {
    /// The API origin (`https://api.example.com`); empty for jobs imported from an old
    /// journal, which did not record it.
    pub origin: String,
    /// The account fingerprint ([`account_fingerprint`]); empty when unknown.
    pub account: String,
}

impl JobScope {
    /// The scope of `origin` (any URL: its origin is kept) and an API key.
    ///
    /// ```
    /// let s = seedance_http::JobScope::new("https://api.example.com/v1/", "sk_1");
    /// assert_eq!(s.origin, "https://api.example.com");
    /// assert_eq!(s.account.len(), 24);
    /// assert!(!s.account.contains("sk_1"));
    /// ```
    pub fn new(origin: &str, api_key: &str) -> JobScope {
        let origin = match url::Url::parse(origin) {
            Ok(u) => u.origin().ascii_serialization(),
            Err(_) => origin.trim_end_matches('/').to_owned(),
        };
        JobScope {
            origin,
            account: account_fingerprint(api_key),
        }
    }

    /// Whether nothing is known of it (a job imported from an old journal).
    pub fn is_unknown(&self) -> bool {
        self.origin.is_empty()
    }
}

/// The account fingerprint kept with each job: the first 12 bytes of a SHA-256 of the
/// API key, in hex (the key itself is never stored).
///
/// ```
/// let a = seedance_http::account_fingerprint("sk_live_a");
/// assert_eq!(a, seedance_http::account_fingerprint("sk_live_a"));
/// assert_ne!(a, seedance_http::account_fingerprint("sk_live_b"));
/// ```
pub fn account_fingerprint(api_key: &str) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(b"seedance-account\0");
    h.update(api_key.as_bytes());
    h.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// When a job took each step (milliseconds since the Unix epoch).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct JobTimes {
    /// Written.
    pub created_ms: u64,
    /// The submit first went out.
    pub sent_ms: Option<u64>,
    /// The task id was heard.
    pub submitted_ms: Option<u64>,
    /// The task was seen completed.
    pub completed_ms: Option<u64>,
    /// The outputs were written.
    pub downloaded_ms: Option<u64>,
    /// It failed, was interrupted or forgotten (the last of these).
    pub ended_ms: Option<u64>,
    /// The last change.
    pub updated_ms: u64,
}

/// One job of the store.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct JobRecord {
    /// The row's number in this store.
    pub id: i64,
    /// The idempotency key (the job's identity within its scope).
    pub key: String,
    /// The API origin and account it belongs to.
    pub scope: JobScope,
    /// The request as this version reads it; `None` when it was written by a newer
    /// version with fields this one does not know ([`JobRecord::request_json`] keeps
    /// them, and is what a re-POST sends).
    pub request: Option<VideoRequest>,
    /// The request's JSON text, exactly as it was (and will be re-)sent.
    pub request_json: String,
    /// Where outputs go on completion (an absolute path), when asked.
    pub output: Option<PathBuf>,
    /// The task id, once heard.
    pub task_id: Option<TaskId>,
    /// Where it stands.
    pub state: JobState,
    /// What is known about its charge.
    pub charge: Charge,
    /// The task's last response seen (kept once completed or failed).
    pub task: Option<Box<Task>>,
    /// Files written, once downloaded.
    pub downloaded: Option<Downloaded>,
    /// The last error met.
    pub last_error: Option<String>,
    /// When it took each step.
    pub times: JobTimes,
}

impl JobRecord {
    /// Whether `resume` still has something to do: not ended, or completed with a
    /// download asked for but not done.
    pub fn is_unfinished(&self) -> bool {
        match self.state {
            JobState::Pending | JobState::Sent | JobState::Submitted | JobState::Interrupted => {
                true
            }
            JobState::Completed => self.output.is_some() && self.downloaded.is_none(),
            JobState::Downloaded | JobState::Failed | JobState::Forgotten => false,
        }
    }

    /// When it was written (milliseconds since the Unix epoch).
    pub fn created_ms(&self) -> u64 {
        self.times.created_ms
    }

    /// The expected render time of its request (model time), when this version reads it.
    pub fn expected_render(&self) -> Option<Duration> {
        self.request.as_ref().map(|r| r.expected_render_time())
    }

    /// The first characters of its prompt, when readable.
    pub fn prompt_excerpt(&self, chars: usize) -> String {
        match &self.request {
            Some(r) => r.prompt.chars().take(chars).collect(),
            None => serde_json::from_str::<serde_json::Value>(&self.request_json)
                .ok()
                .and_then(|v| {
                    v.get("prompt")?
                        .as_str()
                        .map(|s| s.chars().take(chars).collect())
                })
                .unwrap_or_default(),
        }
    }

    /// The job as JSON (for `seedance jobs --json` and the bindings): every field, the
    /// request as it was sent, and whether `resume` has work for it (`unfinished`).
    pub fn to_json(&self) -> serde_json::Value {
        let request = serde_json::from_str::<serde_json::Value>(&self.request_json)
            .unwrap_or_else(|_| serde_json::Value::String(self.request_json.clone()));
        serde_json::json!({
            "id": self.id,
            "idempotency_key": self.key,
            "origin": self.scope.origin,
            "account": self.scope.account,
            "request": request,
            "output": self.output.as_ref().map(|p| p.display().to_string()),
            "task_id": self.task_id.as_ref().map(|t| t.as_str().to_owned()),
            "state": self.state.as_str(),
            "charge": self.charge.as_str(),
            "unfinished": self.is_unfinished(),
            "task": self.task.as_ref().map(|t| task_json(t)),
            "downloaded": self.downloaded,
            "last_error": self.last_error,
            "created_ms": self.times.created_ms,
            "sent_ms": self.times.sent_ms,
            "submitted_ms": self.times.submitted_ms,
            "completed_ms": self.times.completed_ms,
            "downloaded_ms": self.times.downloaded_ms,
            "ended_ms": self.times.ended_ms,
            "updated_ms": self.times.updated_ms,
        })
    }
}

/// A row this version cannot decode: kept in the store, listed, never deleted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnreadableJob {
    /// The row's number.
    pub id: i64,
    /// Its idempotency key, when that much could be read.
    pub key: Option<String>,
    /// What could not be decoded.
    pub problem: String,
}

/// A listing: the jobs that decode, and the rows that do not.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct JobList {
    /// Readable jobs, oldest first.
    pub jobs: Vec<JobRecord>,
    /// Rows kept but not decodable by this version.
    pub unreadable: Vec<UnreadableJob>,
}

/// Which jobs [`JobStore::list`] returns (every field narrows; the default: all).
///
/// ```
/// use seedance_http::{JobFilter, JobState};
/// let f = JobFilter::default().state(JobState::Submitted).origin("https://api.example.com");
/// assert_eq!(f.states, vec![JobState::Submitted]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct JobFilter {
    /// Only these states (empty: any).
    pub states: Vec<JobState>,
    /// Only this API origin.
    pub origin: Option<String>,
    /// Only this account fingerprint.
    pub account: Option<String>,
    /// Only jobs written at most this long ago.
    pub newer_than: Option<Duration>,
    /// Only jobs written at least this long ago.
    pub older_than: Option<Duration>,
    /// Only jobs `resume` has work for.
    pub unfinished: bool,
}

impl JobFilter {
    /// Adds a state.
    #[must_use]
    pub fn state(mut self, s: JobState) -> Self {
        self.states.push(s);
        self
    }
    /// Only this origin (any URL; its origin is kept).
    #[must_use]
    pub fn origin(mut self, origin: &str) -> Self {
        self.origin = Some(JobScope::new(origin, "").origin);
        self
    }
    /// Only this scope (origin and account).
    #[must_use]
    pub fn scope(mut self, scope: &JobScope) -> Self {
        self.origin = Some(scope.origin.clone());
        self.account = Some(scope.account.clone());
        self
    }
    /// Only jobs written at most `d` ago.
    #[must_use]
    pub fn newer_than(mut self, d: Duration) -> Self {
        self.newer_than = Some(d);
        self
    }
    /// Only jobs written at least `d` ago.
    #[must_use]
    pub fn older_than(mut self, d: Duration) -> Self {
        self.older_than = Some(d);
        self
    }
    /// Only unfinished jobs.
    #[must_use]
    pub fn unfinished(mut self) -> Self {
        self.unfinished = true;
        self
    }

    fn matches(&self, j: &JobRecord, now: u64) -> bool {
        let age = now.saturating_sub(j.times.created_ms);
        (self.states.is_empty() || self.states.contains(&j.state))
            && self.origin.as_ref().is_none_or(|o| *o == j.scope.origin)
            && self.account.as_ref().is_none_or(|a| *a == j.scope.account)
            && self
                .newer_than
                .is_none_or(|d| u128::from(age) <= d.as_millis())
            && self
                .older_than
                .is_none_or(|d| u128::from(age) >= d.as_millis())
            && (!self.unfinished || j.is_unfinished())
    }
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    conn: Mutex<Connection>,
}

/// The job store: a SQLite database any number of processes read and write at once.
/// Cheap to clone; clones share one connection.
///
/// ```
/// # fn main() -> Result<(), seedance_http::Error> {
/// let dir = std::env::temp_dir().join(format!("seedance-doc-{}", std::process::id()));
/// let store = seedance_http::JobStore::open(dir.join("jobs.sqlite3"))?;
/// assert!(store.unfinished()?.is_empty());
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct JobStore {
    inner: Arc<Inner>,
}

/// The old name of [`JobStore`].
#[deprecated(note = "the journal is now the SQLite job store: use `JobStore`")]
pub type Journal = JobStore;

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn db_err(e: rusqlite::Error) -> Error {
    Error::Journal(
        StoreError::new(StoreErrorKind::Database, format!("job store: {e}")).with_source(e),
    )
}

fn ms_i64(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

fn task_json(task: &Task) -> serde_json::Value {
    task.raw
        .clone()
        .unwrap_or_else(|| serde_json::to_value(task).unwrap_or(serde_json::Value::Null))
}

/// The database path for a given path: a `.jsonl` path (an old journal) names the
/// `.sqlite3` file next to it.
pub(crate) fn db_path_for(path: &Path) -> PathBuf {
    if path.extension().is_some_and(|e| e == "jsonl") {
        path.with_extension("sqlite3")
    } else {
        path.to_path_buf()
    }
}

/// Creates the database file 0600 (Unix) when missing, and narrows a wider one.
fn private_file(path: &Path) -> Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let f = o.open(path).at("cannot open", path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = f.metadata().at("cannot read", path)?.permissions().mode();
        if mode & 0o077 != 0 {
            f.set_permissions(std::fs::Permissions::from_mode(mode & 0o700))
                .at("cannot restrict the permissions of", path)?;
        }
    }
    drop(f);
    Ok(())
}

/// Runs `f` again while SQLite says the database is busy beyond the busy timeout (the
/// few statements the busy handler does not cover, like switching to WAL).
fn retry_busy<T>(mut f: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match f() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5 + u64::from(fastrand::u8(..20))));
            }
            r => return r,
        }
    }
}

fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    retry_busy(|| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let from = usize::try_from(version.max(0)).unwrap_or(usize::MAX);
        for step in MIGRATIONS.iter().skip(from) {
            tx.execute_batch(step)?;
        }
        if version < SCHEMA_VERSION {
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        }
        tx.commit()
    })
}

const COLUMNS: &str = "id, key, origin, account, request, output, task_id, state, charge, task, \
     downloaded, last_error, created_ms, sent_ms, submitted_ms, completed_ms, downloaded_ms, \
     ended_ms, updated_ms";

fn opt_ms(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<u64>> {
    Ok(r.get::<_, Option<i64>>(i)?
        .map(|v| u64::try_from(v).unwrap_or(0)))
}

/// Decodes a row, or says what of it is unreadable.
fn decode(r: &Row<'_>) -> rusqlite::Result<std::result::Result<JobRecord, UnreadableJob>> {
    let id: i64 = r.get(0)?;
    let key: Option<String> = r.get(1).ok();
    let bad = |problem: String| {
        Ok(Err(UnreadableJob {
            id,
            key: key.clone(),
            problem,
        }))
    };
    let Some(k) = key.clone() else {
        return bad("the key is not text".into());
    };
    let text = |i: usize| -> std::result::Result<Option<String>, String> {
        r.get::<_, Option<String>>(i)
            .map_err(|e| format!("column {i}: {e}"))
    };
    let (origin, account, request_json, output, task_id, state, charge, task, downloaded, err) =
        match (
            text(2),
            text(3),
            text(4),
            text(5),
            text(6),
            text(7),
            text(8),
            text(9),
            text(10),
            text(11),
        ) {
            (Ok(a), Ok(b), Ok(c), Ok(d), Ok(e), Ok(f), Ok(g), Ok(h), Ok(i), Ok(j)) => {
                (a, b, c, d, e, f, g, h, i, j)
            }
            _ => return bad("a column is not text".into()),
        };
    let Some(request_json) = request_json else {
        return bad("no request".into());
    };
    if serde_json::from_str::<serde_json::Value>(&request_json).is_err() {
        return bad("the request is not JSON".into());
    }
    let request = serde_json::from_str::<VideoRequest>(&request_json).ok();
    let Some(state) = state.as_deref().and_then(JobState::parse) else {
        return bad(format!("unknown state {state:?}"));
    };
    let Some(charge) = charge.as_deref().and_then(Charge::parse) else {
        return bad(format!("unknown charge {charge:?}"));
    };
    let task_id = match task_id {
        None => None,
        Some(t) => match seedance_core::rules::check_task_id(&t) {
            Ok(()) => Some(TaskId::from(t)),
            Err(e) => return bad(format!("task id: {e}")),
        },
    };
    let task = match task {
        None => None,
        Some(t) => match Task::from_json(t.as_bytes()) {
            Ok(t) => Some(Box::new(t)),
            Err(e) => return bad(format!("the task is not readable: {e}")),
        },
    };
    let downloaded = match downloaded {
        None => None,
        Some(d) => match serde_json::from_str::<Downloaded>(&d) {
            Ok(d) => Some(d),
            Err(e) => return bad(format!("the downloaded files are not readable: {e}")),
        },
    };
    let times = JobTimes {
        created_ms: opt_ms(r, 12)?.unwrap_or(0),
        sent_ms: opt_ms(r, 13)?,
        submitted_ms: opt_ms(r, 14)?,
        completed_ms: opt_ms(r, 15)?,
        downloaded_ms: opt_ms(r, 16)?,
        ended_ms: opt_ms(r, 17)?,
        updated_ms: opt_ms(r, 18)?.unwrap_or(0),
    };
    Ok(Ok(JobRecord {
        id,
        key: k,
        scope: JobScope {
            origin: origin.unwrap_or_default(),
            account: account.unwrap_or_default(),
        },
        request,
        request_json,
        output: output.map(PathBuf::from),
        task_id,
        state,
        charge,
        task,
        downloaded,
        last_error: err,
        times,
    }))
}

/// A change to one job (`None`: unchanged).
#[derive(Default)]
pub(crate) struct Change<'a> {
    pub(crate) state: Option<JobState>,
    pub(crate) charge: Option<Charge>,
    pub(crate) task_id: Option<&'a TaskId>,
    pub(crate) task: Option<&'a Task>,
    pub(crate) downloaded: Option<&'a Downloaded>,
    pub(crate) last_error: Option<&'a str>,
    /// Only when the job is in one of these states (empty: any).
    pub(crate) only_from: &'a [JobState],
}

/// What [`JobStore::record_job`] found.
#[derive(Debug)]
pub(crate) struct Recorded {
    /// The job may have been sent before (an earlier process, an earlier call).
    pub(crate) sent_before: bool,
    /// The request JSON to send (the stored one, when the job existed).
    pub(crate) body: String,
}

impl JobStore {
    /// Opens (or creates) the store at `path`, creating its directory (0700) and the file
    /// (0600). A `.jsonl` path names an old journal: the store is the `.sqlite3` file
    /// next to it and the journal is imported into it once. A `journal.jsonl` beside the
    /// database is imported once too.
    pub fn open(path: impl AsRef<Path>) -> Result<JobStore> {
        let given = path.as_ref();
        let path = db_path_for(given);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::ensure_private_dir(dir).at("cannot create", dir)?;
        }
        private_file(&path)?;
        let mut conn = Connection::open(&path).map_err(db_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(db_err)?;
        // WAL: readers never block the writer; NORMAL sync is crash-safe in WAL mode
        // (a power cut may lose the last commits, never corrupt).
        retry_busy(|| conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0)))
            .map_err(db_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(db_err)?;
        migrate(&mut conn).map_err(db_err)?;
        let store = JobStore {
            inner: Arc::new(Inner {
                path: path.clone(),
                conn: Mutex::new(conn),
            }),
        };
        let old = if given != path {
            Some(given.to_path_buf())
        } else {
            path.parent()
                .map(|d| d.join("journal.jsonl"))
                .filter(|p| p.exists())
        };
        if let Some(old) = old.filter(|p| p.exists()) {
            let n = store.import_jsonl(&old)?;
            if n > 0 {
                tracing::info!(jobs = n, from = %old.display(), to = %path.display(), "imported the old journal");
            }
        }
        Ok(store)
    }

    /// The store in the default data dir ([`crate::data_dir`]`/jobs.sqlite3`).
    pub fn open_default() -> Result<JobStore> {
        let dir = crate::data_dir().at("cannot create", &crate::default_data_dir_path())?;
        JobStore::open(dir.join(STORE_FILE_NAME))
    }

    /// The jobs of a store, oldest first, readable ones only (a missing file has none).
    pub fn load(path: impl AsRef<Path>) -> Result<Vec<JobRecord>> {
        let path = db_path_for(path.as_ref());
        if !path.exists() {
            return Ok(Vec::new());
        }
        JobStore::open(path)?.jobs()
    }

    /// The database file.
    pub fn path(&self) -> PathBuf {
        self.inner.path.clone()
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.inner.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Imports an old JSON Lines journal, once per file (later calls import nothing).
    /// Returns the jobs imported. Its jobs have no origin nor account (the journal did
    /// not record them): the first client that resumes one adopts it.
    pub fn import_jsonl(&self, path: &Path) -> Result<usize> {
        let jobs = crate::journal::read_jsonl(path)?;
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let name = canonical.display().to_string();
        let mut conn = self.conn();
        retry_busy(|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let done: Option<i64> = tx
                .query_row(
                    "SELECT jobs FROM imports WHERE path = ?1",
                    params![name],
                    |r| r.get(0),
                )
                .optional()?;
            if done.is_some() {
                return Ok(0);
            }
            let now = ms_i64(now_ms());
            let mut n = 0usize;
            for j in &jobs {
                let (state, charge) = j.state_and_charge();
                let inserted = tx.execute(
                    "INSERT OR IGNORE INTO jobs (key, origin, account, request, output, task_id, \
                     state, charge, task, downloaded, last_error, created_ms, sent_ms, \
                     submitted_ms, completed_ms, downloaded_ms, ended_ms, updated_ms) \
                     VALUES (?1, '', '', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                    params![
                        j.key,
                        j.request.to_string(),
                        j.download_dir.as_ref().map(|p| p.display().to_string()),
                        j.task_id,
                        state.as_str(),
                        charge.as_str(),
                        j.task.as_ref().map(|t| t.to_string()),
                        j.downloaded.as_ref().map(|d| d.to_string()),
                        j.failed.clone(),
                        ms_i64(j.created_ms),
                        (state != JobState::Pending).then_some(ms_i64(j.created_ms)),
                        j.task_id.as_ref().map(|_| ms_i64(j.created_ms)),
                        j.task.as_ref().map(|_| now),
                        j.downloaded.as_ref().map(|_| now),
                        j.failed.as_ref().map(|_| now),
                        now,
                    ],
                )?;
                n += inserted;
            }
            tx.execute(
                "INSERT INTO imports (path, imported_ms, jobs) VALUES (?1, ?2, ?3)",
                params![name, now, i64::try_from(n).unwrap_or(i64::MAX)],
            )?;
            tx.commit()?;
            Ok(n)
        })
        .map_err(db_err)
    }

    /// Every job and unreadable row, oldest first.
    pub fn list_all(&self) -> Result<JobList> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM jobs ORDER BY id"))
            .map_err(db_err)?;
        let rows = stmt.query_map([], decode).map_err(db_err)?;
        let mut out = JobList::default();
        for r in rows {
            match r {
                Ok(Ok(j)) => out.jobs.push(j),
                Ok(Err(u)) => out.unreadable.push(u),
                Err(e) => out.unreadable.push(UnreadableJob {
                    id: -1,
                    key: None,
                    problem: e.to_string(),
                }),
            }
        }
        Ok(out)
    }

    /// The jobs `filter` lets through, and every unreadable row.
    pub fn list(&self, filter: &JobFilter) -> Result<JobList> {
        let mut all = self.list_all()?;
        let now = now_ms();
        all.jobs.retain(|j| filter.matches(j, now));
        Ok(all)
    }

    /// Every readable job, oldest first.
    pub fn jobs(&self) -> Result<Vec<JobRecord>> {
        Ok(self.list_all()?.jobs)
    }

    /// The rows this version cannot decode (kept, never deleted).
    pub fn unreadable(&self) -> Result<Vec<UnreadableJob>> {
        Ok(self.list_all()?.unreadable)
    }

    /// Every job `resume` has work for, of any scope.
    pub fn unfinished(&self) -> Result<Vec<JobRecord>> {
        Ok(self.list(&JobFilter::default().unfinished())?.jobs)
    }

    /// The job of `scope` under `key`.
    pub fn job(&self, scope: &JobScope, key: &str) -> Result<Option<JobRecord>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM jobs WHERE origin = ?1 AND account = ?2 AND key = ?3"
            ))
            .map_err(db_err)?;
        let r = stmt
            .query_row(params![scope.origin, scope.account, key], decode)
            .optional()
            .map_err(db_err)?;
        match r {
            None => Ok(None),
            Some(Ok(j)) => Ok(Some(j)),
            Some(Err(u)) => Err(Error::Journal(StoreError::new(
                StoreErrorKind::Unreadable,
                format!("job {key} (row {}) is unreadable: {}", u.id, u.problem),
            ))),
        }
    }

    /// The jobs named by `id_or_key`: a task id, an idempotency key, or a row number
    /// (`#12` or `12`), of any scope, oldest first.
    pub fn find(&self, id_or_key: &str) -> Result<Vec<JobRecord>> {
        let row = id_or_key
            .strip_prefix('#')
            .unwrap_or(id_or_key)
            .parse::<i64>()
            .ok();
        Ok(self
            .jobs()?
            .into_iter()
            .filter(|j| {
                j.key == id_or_key
                    || j.task_id.as_ref().is_some_and(|t| t.as_str() == id_or_key)
                    || Some(j.id) == row
            })
            .collect())
    }

    /// The job of `scope` whose task is `task_id`, if any (the newest).
    pub fn job_for_task(&self, scope: &JobScope, task_id: &TaskId) -> Result<Option<JobRecord>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM jobs WHERE task_id = ?1 AND origin = ?2 AND account = ?3 \
                 ORDER BY id DESC"
            ))
            .map_err(db_err)?;
        let rows = stmt
            .query_map(
                params![task_id.as_str(), scope.origin, scope.account],
                decode,
            )
            .map_err(db_err)?;
        for r in rows {
            if let Ok(j) = r.map_err(db_err)? {
                return Ok(Some(j));
            }
        }
        Ok(None)
    }

    /// Marks the jobs named by `id_or_key` ([`JobStore::find`]) forgotten: kept as
    /// history, never resumed. Returns how many.
    pub fn forget(&self, id_or_key: &str) -> Result<usize> {
        let mut n = 0;
        for j in self.find(id_or_key)? {
            if j.state != JobState::Forgotten {
                self.update_row(
                    j.id,
                    &Change {
                        state: Some(JobState::Forgotten),
                        ..Change::default()
                    },
                )?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Marks the job of `scope` under `key` interrupted (Ctrl-C), unless it ended.
    pub fn mark_interrupted(&self, scope: &JobScope, key: &str) -> Result<()> {
        self.update(
            scope,
            key,
            &Change {
                state: Some(JobState::Interrupted),
                only_from: &[JobState::Pending, JobState::Sent, JobState::Submitted],
                ..Change::default()
            },
        )
    }

    /// Records that the outputs of the job of `scope` whose task is `task_id` were written
    /// elsewhere than by its own wait (`seedance wait ID -o PATH`): the job is done, and
    /// `resume` does not download it again. Returns whether the store had that job.
    pub fn mark_downloaded(
        &self,
        scope: &JobScope,
        task_id: &TaskId,
        files: &Downloaded,
    ) -> Result<bool> {
        let Some(job) = self.job_for_task(scope, task_id)? else {
            return Ok(false);
        };
        self.update_row(
            job.id,
            &Change {
                state: Some(JobState::Downloaded),
                downloaded: Some(files),
                only_from: &[
                    JobState::Submitted,
                    JobState::Interrupted,
                    JobState::Completed,
                    JobState::Downloaded,
                ],
                ..Change::default()
            },
        )?;
        Ok(true)
    }

    /// Sets where the outputs of the job of `scope` under `key` go (made absolute).
    pub fn set_output(&self, scope: &JobScope, key: &str, output: &Path) -> Result<()> {
        let output = std::path::absolute(output).at("cannot resolve", output)?;
        let conn = self.conn();
        retry_busy(|| {
            conn.execute(
                "UPDATE jobs SET output = ?1, updated_ms = ?2 WHERE origin = ?3 AND account = ?4 AND key = ?5",
                params![
                    output.display().to_string(),
                    ms_i64(now_ms()),
                    scope.origin,
                    scope.account,
                    key
                ],
            )
        })
        .map_err(db_err)?;
        Ok(())
    }

    /// Writes a job before its submit is sent. A job already under this key in this scope
    /// is kept (a resumed or repeated submit) unless it ended without a charge (it starts
    /// again); a different body under the same key is refused before anything is sent.
    pub(crate) fn record_job(
        &self,
        scope: &JobScope,
        key: &str,
        body: &str,
        output: Option<&Path>,
    ) -> Result<Recorded> {
        let output = match output {
            Some(p) => Some(
                std::path::absolute(p)
                    .at("cannot resolve", p)?
                    .display()
                    .to_string(),
            ),
            None => None,
        };
        let mut conn = self.conn();
        let now = ms_i64(now_ms());
        let r = retry_busy(|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let existing: Option<(i64, String, String, String)> = tx
                .query_row(
                    "SELECT id, request, state, charge FROM jobs WHERE origin = ?1 AND account = ?2 AND key = ?3",
                    params![scope.origin, scope.account, key],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let out = match existing {
                None => {
                    tx.execute(
                        "INSERT INTO jobs (key, origin, account, request, output, state, charge, created_ms, updated_ms) \
                         VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 'never_sent', ?6, ?6)",
                        params![key, scope.origin, scope.account, body, output, now],
                    )?;
                    Ok(Recorded {
                        sent_before: false,
                        body: body.to_owned(),
                    })
                }
                Some((id, stored, state, charge)) => {
                    let state = JobState::parse(&state);
                    let charge = Charge::parse(&charge);
                    let uncharged_end = matches!(state, Some(JobState::Failed | JobState::Forgotten))
                        && matches!(charge, Some(Charge::NeverSent | Charge::RefusedNotCharged));
                    if uncharged_end || state == Some(JobState::Pending) {
                        // Nothing reached a server under this key: start again with this
                        // request.
                        tx.execute(
                            "UPDATE jobs SET request = ?1, output = COALESCE(?2, output), state = 'pending', \
                             charge = 'never_sent', task_id = NULL, task = NULL, downloaded = NULL, \
                             last_error = NULL, sent_ms = NULL, submitted_ms = NULL, completed_ms = NULL, \
                             downloaded_ms = NULL, ended_ms = NULL, updated_ms = ?3 WHERE id = ?4",
                            params![body, output, now, id],
                        )?;
                        Ok(Recorded {
                            sent_before: false,
                            body: body.to_owned(),
                        })
                    } else if !same_json(&stored, body) {
                        Err(Error::Config(ConfigError::IdempotencyKeyInUse {
                            key: key.to_owned(),
                            job: id,
                            state: state.map_or("unreadable", JobState::as_str).to_owned(),
                        }))
                    } else {
                        if let Some(o) = &output {
                            tx.execute(
                                "UPDATE jobs SET output = ?1, updated_ms = ?2 WHERE id = ?3",
                                params![o, now, id],
                            )?;
                        }
                        Ok(Recorded {
                            sent_before: !matches!(charge, Some(Charge::NeverSent)),
                            body: stored,
                        })
                    }
                }
            };
            tx.commit()?;
            Ok(out)
        })
        .map_err(db_err)?;
        r
    }

    /// Applies `change` to the job of `scope` under `key`.
    pub(crate) fn update(&self, scope: &JobScope, key: &str, change: &Change<'_>) -> Result<()> {
        let id: Option<i64> = {
            let conn = self.conn();
            retry_busy(|| {
                conn.query_row(
                    "SELECT id FROM jobs WHERE origin = ?1 AND account = ?2 AND key = ?3",
                    params![scope.origin, scope.account, key],
                    |r| r.get(0),
                )
                .optional()
            })
            .map_err(db_err)?
        };
        match id {
            Some(id) => self.update_row(id, change),
            None => Ok(()),
        }
    }

    /// Applies `change` to row `id`, in one transaction; timestamps follow the state.
    pub(crate) fn update_row(&self, id: i64, change: &Change<'_>) -> Result<()> {
        let now = ms_i64(now_ms());
        let task = change.task.map(|t| task_json(t).to_string());
        let downloaded = match change.downloaded {
            Some(d) => Some(serde_json::to_string(d).map_err(|e| {
                Error::Journal(
                    StoreError::new(StoreErrorKind::Encode, format!("cannot encode: {e}"))
                        .with_source(e),
                )
            })?),
            None => None,
        };
        let state = change.state.map(JobState::as_str);
        let (stamp_col, keep_first) = match change.state {
            Some(JobState::Sent) => ("sent_ms", true),
            Some(JobState::Submitted) => ("submitted_ms", true),
            Some(JobState::Completed) => ("completed_ms", false),
            Some(JobState::Downloaded) => ("downloaded_ms", false),
            Some(JobState::Failed | JobState::Interrupted | JobState::Forgotten) => {
                ("ended_ms", false)
            }
            _ => ("updated_ms", false),
        };
        let stamp = if keep_first {
            format!("{stamp_col} = COALESCE({stamp_col}, ?1)")
        } else {
            format!("{stamp_col} = ?1")
        };
        let only: Vec<&str> = change.only_from.iter().map(|s| s.as_str()).collect();
        let guard = if only.is_empty() {
            String::new()
        } else {
            format!(
                " AND state IN ({})",
                only.iter()
                    .map(|s| format!("'{s}'"))
                    .collect::<Vec<_>>()
                    .join(",")
            )
        };
        let sql = format!(
            "UPDATE jobs SET updated_ms = ?1, {stamp}, \
             state = COALESCE(?2, state), charge = COALESCE(?3, charge), \
             task_id = COALESCE(?4, task_id), task = COALESCE(?5, task), \
             downloaded = COALESCE(?6, downloaded), last_error = COALESCE(?7, last_error) \
             WHERE id = ?8{guard}"
        );
        let conn = self.conn();
        retry_busy(|| {
            conn.execute(
                &sql,
                params![
                    now,
                    state,
                    change.charge.map(Charge::as_str),
                    change.task_id.map(|t| t.as_str().to_owned()),
                    task,
                    downloaded,
                    change.last_error,
                    id
                ],
            )
        })
        .map_err(db_err)?;
        Ok(())
    }

    /// Gives the jobs without a scope (imported from an old journal) to `scope`, unless
    /// it has a job under the same key already. Returns how many it took.
    pub(crate) fn adopt_unscoped(&self, scope: &JobScope) -> Result<usize> {
        let conn = self.conn();
        retry_busy(|| {
            conn.execute(
                "UPDATE OR IGNORE jobs SET origin = ?1, account = ?2, updated_ms = ?3 \
                 WHERE origin = '' AND account = ''",
                params![scope.origin, scope.account, ms_i64(now_ms())],
            )
        })
        .map_err(db_err)
    }

    /// Runs raw SQL on the database (tests: a corrupt row).
    #[doc(hidden)]
    pub fn execute_raw(&self, sql: &str) -> Result<()> {
        self.conn().execute_batch(sql).map_err(db_err)
    }
}

/// Whether two JSON texts hold the same value (a re-encoding of the same request).
fn same_json(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

// The store's reading of an old journal's job (the journal itself knows no states).
impl crate::journal::OldJob {
    /// The store's state and charge for it: a job without a task id may have been sent
    /// (the journal wrote it before the submit), one with a task id was charged.
    pub(crate) fn state_and_charge(&self) -> (JobState, Charge) {
        let charge = if self.task_id.is_some() || self.task.is_some() {
            Charge::Charged
        } else if self.failed.is_some() {
            // the journal recorded a failure without a task only for a refused submit
            Charge::RefusedNotCharged
        } else {
            Charge::MayBeCharged
        };
        let state = if self.downloaded.is_some() {
            JobState::Downloaded
        } else if self.task.is_some() {
            JobState::Completed
        } else if self.failed.is_some() {
            JobState::Failed
        } else if self.task_id.is_some() {
            JobState::Submitted
        } else {
            JobState::Sent
        };
        (state, charge)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seedance_core::TaskStatus;

    fn body() -> String {
        serde_json::to_string(
            &VideoRequest::builder("A glass train crossing a bridge")
                .build()
                .unwrap(),
        )
        .unwrap()
    }

    fn scope() -> JobScope {
        JobScope::new("https://api.example.com", "sk_test_1")
    }

    #[test]
    fn a_job_walks_its_states_and_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/jobs.sqlite3");
        let s = JobStore::open(&p).unwrap();
        let r = s
            .record_job(&scope(), "k1", &body(), Some(Path::new("out/x.mp4")))
            .unwrap();
        assert!(!r.sent_before);
        let j = s.job(&scope(), "k1").unwrap().unwrap();
        assert_eq!((j.state, j.charge), (JobState::Pending, Charge::NeverSent));
        assert!(j.output.as_ref().unwrap().is_absolute(), "{:?}", j.output);
        s.update(
            &scope(),
            "k1",
            &Change {
                state: Some(JobState::Sent),
                charge: Some(Charge::MayBeCharged),
                ..Change::default()
            },
        )
        .unwrap();
        let id = TaskId::from("sd2_1");
        s.update(
            &scope(),
            "k1",
            &Change {
                state: Some(JobState::Submitted),
                charge: Some(Charge::Charged),
                task_id: Some(&id),
                ..Change::default()
            },
        )
        .unwrap();
        drop(s);
        let s = JobStore::open(&p).unwrap();
        let j = s.job(&scope(), "k1").unwrap().unwrap();
        assert_eq!(j.state, JobState::Submitted);
        assert!(j.times.sent_ms.is_some() && j.times.submitted_ms.is_some());
        assert!(j.is_unfinished());
        let mut t = Task::new("sd2_1", TaskStatus::Completed);
        t.credits_used = Some(30);
        s.update(
            &scope(),
            "k1",
            &Change {
                state: Some(JobState::Completed),
                task: Some(&t),
                ..Change::default()
            },
        )
        .unwrap();
        assert!(
            s.job(&scope(), "k1").unwrap().unwrap().is_unfinished(),
            "download pending"
        );
        let d = Downloaded {
            video: "/out/x.mp4".into(),
            last_frame: None,
            bytes: 3,
        };
        s.update(
            &scope(),
            "k1",
            &Change {
                state: Some(JobState::Downloaded),
                downloaded: Some(&d),
                ..Change::default()
            },
        )
        .unwrap();
        let j = s.job(&scope(), "k1").unwrap().unwrap();
        assert!(!j.is_unfinished());
        assert_eq!(j.task.unwrap().credits_used, Some(30));
        assert_eq!(j.downloaded, Some(d));
        assert_eq!(s.job_for_task(&scope(), &id).unwrap().unwrap().key, "k1");
        let other = JobScope::new("https://other.example.com", "sk_test_1");
        assert!(s.job_for_task(&other, &id).unwrap().is_none());
        // a second recording of the same job in the same scope keeps it
        let r = s.record_job(&scope(), "k1", &body(), None).unwrap();
        assert!(r.sent_before);
        assert_eq!(s.jobs().unwrap().len(), 1);
        // another scope is another job
        s.record_job(&other, "k1", &body(), None).unwrap();
        assert_eq!(s.jobs().unwrap().len(), 2);
    }

    #[cfg(unix)]
    #[test]
    fn the_database_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("new/jobs.sqlite3");
        let s = JobStore::open(&p).unwrap();
        s.record_job(&scope(), "k", &body(), None).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&p), 0o600);
        assert_eq!(mode(p.parent().unwrap()), 0o700);
        // a world-readable one left by an earlier version is narrowed
        drop(s);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        JobStore::open(&p).unwrap();
        assert_eq!(mode(&p), 0o600);
    }

    #[test]
    fn the_schema_is_versioned_and_a_newer_one_is_used_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.sqlite3");
        let s = JobStore::open(&p).unwrap();
        let version = |s: &JobStore| -> i64 {
            s.conn()
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(
            version(&s),
            SCHEMA_VERSION,
            "migrated to this build's schema"
        );
        s.record_job(&scope(), "k", &body(), None).unwrap();
        // A later version added a column and a table and bumped the version.
        s.execute_raw(
            "ALTER TABLE jobs ADD COLUMN future TEXT; CREATE TABLE later (x INTEGER); \
             PRAGMA user_version = 7;",
        )
        .unwrap();
        drop(s);
        let s = JobStore::open(&p).unwrap();
        assert_eq!(version(&s), 7, "never downgraded");
        assert_eq!(s.jobs().unwrap().len(), 1, "its rows still read");
        s.record_job(&scope(), "k2", &body(), None).unwrap();
        assert_eq!(s.jobs().unwrap().len(), 2, "and written");
    }

    #[test]
    fn another_body_under_a_used_key_is_refused_before_sending() {
        let dir = tempfile::tempdir().unwrap();
        let s = JobStore::open(dir.path().join("j.sqlite3")).unwrap();
        s.record_job(&scope(), "k", &body(), None).unwrap();
        s.update(
            &scope(),
            "k",
            &Change {
                state: Some(JobState::Sent),
                charge: Some(Charge::MayBeCharged),
                ..Change::default()
            },
        )
        .unwrap();
        let e = s
            .record_job(&scope(), "k", r#"{"prompt":"another"}"#, None)
            .unwrap_err();
        assert!(e.to_string().contains("another request"), "{e}");
        // a refused job starts again
        s.update(
            &scope(),
            "k",
            &Change {
                state: Some(JobState::Failed),
                charge: Some(Charge::RefusedNotCharged),
                ..Change::default()
            },
        )
        .unwrap();
        let r = s
            .record_job(&scope(), "k", r#"{"prompt":"another"}"#, None)
            .unwrap();
        assert!(!r.sent_before);
        assert_eq!(
            s.job(&scope(), "k").unwrap().unwrap().state,
            JobState::Pending
        );
    }

    #[test]
    fn a_corrupt_row_is_kept_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.sqlite3");
        let s = JobStore::open(&p).unwrap();
        s.record_job(&scope(), "good", &body(), None).unwrap();
        s.record_job(&scope(), "bad", &body(), None).unwrap();
        s.record_job(&scope(), "bad2", &body(), None).unwrap();
        s.execute_raw("UPDATE jobs SET request = '{not json' WHERE key = 'bad'; UPDATE jobs SET state = 'archived' WHERE key = 'bad2';").unwrap();
        for _ in 0..2 {
            let l = s.list_all().unwrap();
            assert_eq!(l.jobs.len(), 1);
            assert_eq!(l.unreadable.len(), 2, "{:?}", l.unreadable);
            assert!(l
                .unreadable
                .iter()
                .any(|u| u.key.as_deref() == Some("bad2") && u.problem.contains("archived")));
            s.forget("good").unwrap();
        }
        drop(s);
        let s = JobStore::open(&p).unwrap();
        assert_eq!(s.unreadable().unwrap().len(), 2, "never deleted");
    }

    #[test]
    fn unknown_request_fields_are_kept_and_resent() {
        let dir = tempfile::tempdir().unwrap();
        let s = JobStore::open(dir.path().join("j.sqlite3")).unwrap();
        let newer = r#"{"prompt":"A fox","future_field":{"x":1}}"#;
        s.record_job(&scope(), "k", newer, None).unwrap();
        let id = TaskId::from("sd2_2");
        s.update(
            &scope(),
            "k",
            &Change {
                state: Some(JobState::Submitted),
                task_id: Some(&id),
                ..Change::default()
            },
        )
        .unwrap();
        let j = s.job(&scope(), "k").unwrap().unwrap();
        assert!(j.request.is_none(), "this version cannot read it");
        assert_eq!(j.request_json, newer);
        assert_eq!(j.prompt_excerpt(10), "A fox");
        let r = s.record_job(&scope(), "k", newer, None).unwrap();
        assert_eq!(r.body, newer);
    }

    #[test]
    fn an_old_journal_is_imported_once() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("journal.jsonl");
        let req = body();
        std::fs::write(
            &old,
            format!(
                "{{\"op\":\"job\",\"key\":\"a\",\"request\":{req},\"download_dir\":\"out\",\"created_ms\":5}}\n\
                 {{\"op\":\"task\",\"key\":\"a\",\"task_id\":\"sd2_a\"}}\n\
                 {{\"op\":\"job\",\"key\":\"b\",\"request\":{req},\"created_ms\":6}}\n\
                 {{\"op\":\"job\",\"key\":\"c\",\"request\":{req},\"created_ms\":7}}\n\
                 {{\"op\":\"failed\",\"key\":\"c\",\"message\":\"invalid_request\"}}\n\
                 {{\"op\":\"task\",\"key\":\"b\",\"ta"
            ),
        )
        .unwrap();
        let s = JobStore::open(&old).unwrap();
        assert_eq!(s.path(), dir.path().join("journal.sqlite3"));
        let jobs = s.jobs().unwrap();
        assert_eq!(jobs.len(), 3);
        assert_eq!(
            (jobs[0].state, jobs[0].task_id.clone()),
            (JobState::Submitted, Some(TaskId::from("sd2_a")))
        );
        assert_eq!(
            (jobs[1].state, jobs[1].charge),
            (JobState::Sent, Charge::MayBeCharged)
        );
        assert_eq!(jobs[2].state, JobState::Failed);
        assert!(jobs.iter().all(|j| j.scope.is_unknown()));
        assert_eq!(jobs[0].times.created_ms, 5);
        s.forget("a").unwrap();
        drop(s);
        let s = JobStore::open(&old).unwrap();
        assert_eq!(s.jobs().unwrap().len(), 3, "imported once");
        assert_eq!(
            s.job(
                &JobScope {
                    origin: String::new(),
                    account: String::new()
                },
                "a"
            )
            .unwrap()
            .unwrap()
            .state,
            JobState::Forgotten
        );
        // adopted by the first scope that resumes
        assert_eq!(s.adopt_unscoped(&scope()).unwrap(), 3);
        assert!(s.job(&scope(), "b").unwrap().is_some());
    }

    #[test]
    fn filters_and_find() {
        let dir = tempfile::tempdir().unwrap();
        let s = JobStore::open(dir.path().join("j.sqlite3")).unwrap();
        let other = JobScope::new("http://127.0.0.1:9", "sk_test_1");
        s.record_job(&scope(), "k1", &body(), None).unwrap();
        s.record_job(&other, "k2", &body(), None).unwrap();
        let id = TaskId::from("sd2_f");
        s.update(
            &other,
            "k2",
            &Change {
                state: Some(JobState::Submitted),
                task_id: Some(&id),
                ..Change::default()
            },
        )
        .unwrap();
        let l = |f: JobFilter| {
            s.list(&f)
                .unwrap()
                .jobs
                .into_iter()
                .map(|j| j.key)
                .collect::<Vec<_>>()
        };
        assert_eq!(l(JobFilter::default().state(JobState::Submitted)), ["k2"]);
        assert_eq!(
            l(JobFilter::default().origin("https://api.example.com/x")),
            ["k1"]
        );
        assert_eq!(
            l(JobFilter::default().older_than(Duration::from_secs(3600))),
            Vec::<String>::new()
        );
        assert_eq!(
            l(JobFilter::default().newer_than(Duration::from_secs(3600))).len(),
            2
        );
        assert_eq!(s.find("sd2_f").unwrap()[0].key, "k2");
        let row = s.find("k1").unwrap()[0].id;
        assert_eq!(s.find(&format!("#{row}")).unwrap()[0].key, "k1");
        assert_eq!(s.forget("sd2_f").unwrap(), 1);
        assert_eq!(s.forget("sd2_f").unwrap(), 0);
        assert_eq!(s.unfinished().unwrap().len(), 1);
    }

    #[test]
    fn threads_write_at_once_without_losing_a_row() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.sqlite3");
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let p = p.clone();
                std::thread::spawn(move || {
                    // each thread its own connection, as another process would have
                    let s = JobStore::open(&p).unwrap();
                    for i in 0..20 {
                        let k = format!("t{t}-{i}");
                        s.record_job(&scope(), &k, &body(), None).unwrap();
                        s.record_job(&scope(), "race", &body(), None).unwrap();
                        let id = TaskId::from(format!("sd2_{t}_{i}"));
                        s.update(
                            &scope(),
                            &k,
                            &Change {
                                state: Some(JobState::Submitted),
                                task_id: Some(&id),
                                ..Change::default()
                            },
                        )
                        .unwrap();
                        s.list_all().unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let jobs = JobStore::open(&p).unwrap().jobs().unwrap();
        assert_eq!(jobs.len(), 1 + 8 * 20);
        assert!(jobs
            .iter()
            .filter(|j| j.key != "race")
            .all(|j| j.state == JobState::Submitted));
    }
}
