//! The durable journal (Promise 4): a JSON-lines append log, each line fsynced before the
//! step it records goes on; compaction rewrites it through a temporary file, fsync and an
//! atomic rename. A torn last line (a crash mid-write) is skipped on open.
//!
//! Writers: inside one process, every `Journal::open` of the same file shares one
//! instance (one mutex serialises the appends, one in-memory view). Across processes,
//! an advisory lock on `<file>.lock` (held while the instance lives) refuses a second
//! process with [`Error::Journal`] instead of letting two writers interleave.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::{SystemTime, UNIX_EPOCH};

use seedance_core::{Task, TaskId, VideoRequest};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::options::Downloaded;

/// Where a journaled job stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum JobState {
    /// Written before the submit was sent; no task id heard yet (the submit may or may
    /// not have reached the server: `resume` re-POSTs with the same key).
    Pending,
    /// The server gave a task id; the task has not been seen to end.
    Submitted,
    /// The task completed (its last response is kept).
    Completed {
        /// The finished task.
        task: Box<Task>,
    },
    /// The job ended without a result (the task failed, or the submit was refused).
    Failed {
        /// Why.
        message: String,
    },
}

/// One job of the journal.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct JobRecord {
    /// The idempotency key (the job's identity).
    pub key: String,
    /// The request, as it was (and will be re-)sent.
    pub request: VideoRequest,
    /// Where outputs go on completion, when asked.
    pub download_dir: Option<PathBuf>,
    /// The task id, once heard.
    pub task_id: Option<TaskId>,
    /// Where it stands.
    pub state: JobState,
    /// Files written, once downloaded.
    pub downloaded: Option<Downloaded>,
    /// When the job was written (milliseconds since the Unix epoch).
    pub created_ms: u64,
}

impl JobRecord {
    /// Whether `resume` still has something to do: no end seen, or completed with a
    /// download asked for but not done.
    pub fn is_unfinished(&self) -> bool {
        match &self.state {
            JobState::Pending | JobState::Submitted => true,
            JobState::Completed { .. } => self.download_dir.is_some() && self.downloaded.is_none(),
            JobState::Failed { .. } => false,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)] // one short-lived line at a time
enum Line {
    Job {
        key: String,
        request: VideoRequest,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        download_dir: Option<PathBuf>,
        created_ms: u64,
    },
    Task {
        key: String,
        task_id: TaskId,
    },
    Completed {
        key: String,
        task: serde_json::Value,
    },
    Failed {
        key: String,
        message: String,
    },
    Downloaded {
        key: String,
        files: Downloaded,
    },
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    file: File,
    order: Vec<String>,
    jobs: HashMap<String, JobRecord>,
    lines: usize,
    /// A write failed part-way: the file may end in a partial line, which the next
    /// append must not run on into.
    torn: bool,
    /// The open `<file>.lock`, locked: released when the last clone is dropped.
    _lock: Option<File>,
}

/// The journals open in this process, by canonical path.
type Registry = Mutex<HashMap<PathBuf, Weak<Mutex<Inner>>>>;

fn registry() -> &'static Registry {
    static OPEN: OnceLock<Registry> = OnceLock::new();
    OPEN.get_or_init(Registry::default)
}

/// The journal's path with its directory made canonical (the file may not exist yet).
fn canonical(path: &Path) -> Result<PathBuf> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| Error::Journal(format!("{} names no file", path.display())))?;
    Ok(fs::canonicalize(dir)?.join(name))
}

fn sidecar(path: &Path, ext: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(ext);
    PathBuf::from(s)
}

/// Takes the advisory lock of another process's journal, or says who holds it.
fn lock(path: &Path) -> Result<Option<File>> {
    let lock_path = sidecar(path, ".lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)?;
    match fs4::FileExt::try_lock(&file) {
        Ok(()) => Ok(Some(file)),
        Err(fs4::TryLockError::WouldBlock) => Err(Error::Journal(format!(
            "{} is in use by another process (its lock {} is held): one process at a time \
             writes a journal; wait for it or use another file",
            path.display(),
            lock_path.display()
        ))),
        // A file system without locks (some network mounts): go on without one.
        Err(fs4::TryLockError::Error(e)) => {
            tracing::warn!(path = %lock_path.display(), error = %e, "journal: cannot lock; another process could write it at the same time");
            Ok(None)
        }
    }
}

/// A durable record of jobs: key and request before the submit is sent, then the task id,
/// the result and the downloaded paths. Clones share one file; opening the same file
/// again in the same process returns the same journal. One process at a time writes a
/// journal: while it is open, [`Journal::open`] in another process fails with
/// [`Error::Journal`] (an advisory lock on `<file>.lock`); [`Journal::load`] reads it
/// anyway.
///
/// ```
/// # fn main() -> Result<(), seedance_http::Error> {
/// let dir = std::env::temp_dir().join(format!("seedance-doc-{}", std::process::id()));
/// let journal = seedance_http::Journal::open(dir.join("journal.jsonl"))?;
/// assert!(journal.unfinished().is_empty());
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Journal {
    inner: Arc<Mutex<Inner>>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn sync_dir(path: &Path) {
    // Make a create/rename durable; not possible on every platform, so best effort.
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

fn apply(order: &mut Vec<String>, jobs: &mut HashMap<String, JobRecord>, line: Line) {
    match line {
        Line::Job {
            key,
            request,
            download_dir,
            created_ms,
        } => {
            if jobs.contains_key(&key) {
                return; // a job's first line wins: a resumed job keeps its record
            }
            order.push(key.clone());
            jobs.insert(
                key.clone(),
                JobRecord {
                    key,
                    request,
                    download_dir,
                    task_id: None,
                    state: JobState::Pending,
                    downloaded: None,
                    created_ms,
                },
            );
        }
        Line::Task { key, task_id } => {
            if let Some(j) = jobs.get_mut(&key) {
                j.task_id = Some(task_id);
                if j.state == JobState::Pending {
                    j.state = JobState::Submitted;
                }
            }
        }
        Line::Completed { key, task } => {
            if let Some(j) = jobs.get_mut(&key) {
                let bytes = serde_json::to_vec(&task).unwrap_or_default();
                if let Ok(t) = Task::from_json(&bytes) {
                    j.task_id = Some(t.id.clone());
                    j.state = JobState::Completed { task: Box::new(t) };
                }
            }
        }
        Line::Failed { key, message } => {
            if let Some(j) = jobs.get_mut(&key) {
                j.state = JobState::Failed { message };
            }
        }
        Line::Downloaded { key, files } => {
            if let Some(j) = jobs.get_mut(&key) {
                j.downloaded = Some(files);
            }
        }
    }
}

fn lines_of(job: &JobRecord) -> Vec<Line> {
    let mut out = vec![Line::Job {
        key: job.key.clone(),
        request: job.request.clone(),
        download_dir: job.download_dir.clone(),
        created_ms: job.created_ms,
    }];
    if let Some(id) = &job.task_id {
        out.push(Line::Task {
            key: job.key.clone(),
            task_id: id.clone(),
        });
    }
    match &job.state {
        JobState::Completed { task } => out.push(Line::Completed {
            key: job.key.clone(),
            task: task_json(task),
        }),
        JobState::Failed { message } => out.push(Line::Failed {
            key: job.key.clone(),
            message: message.clone(),
        }),
        _ => {}
    }
    if let Some(files) = &job.downloaded {
        out.push(Line::Downloaded {
            key: job.key.clone(),
            files: files.clone(),
        });
    }
    out
}

fn task_json(task: &Task) -> serde_json::Value {
    task.raw
        .clone()
        .unwrap_or_else(|| serde_json::to_value(task).unwrap_or(serde_json::Value::Null))
}

fn encode(line: &Line) -> Result<Vec<u8>> {
    let mut bytes =
        serde_json::to_vec(line).map_err(|e| Error::Journal(format!("cannot encode: {e}")))?;
    bytes.push(b'\n');
    Ok(bytes)
}

impl Journal {
    /// Opens (or creates) a journal file, creating its directory. Lines cut short by a
    /// crash are skipped; a journal with many superseded lines is compacted.
    ///
    /// In the same process, opening a file that is open already returns that journal
    /// (sharing its state). A journal held by another process is refused with
    /// [`Error::Journal`].
    pub fn open(path: impl AsRef<Path>) -> Result<Journal> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                fs::create_dir_all(dir)?;
            }
        }
        let canonical = canonical(&path)?;
        let mut open = registry().lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|_, j| j.strong_count() > 0);
        if let Some(inner) = open.get(&canonical).and_then(Weak::upgrade) {
            return Ok(Journal { inner });
        }
        let lock = lock(&path)?;
        let (order, jobs, lines, skipped) = read_lines(&path)?;
        if skipped > 0 {
            tracing::warn!(skipped, path = %path.display(), "journal: skipped unreadable lines (a crash mid-write)");
        }
        let existed = path.exists();
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        if !existed {
            file.sync_all()?;
            sync_dir(&path);
        }
        let journal = Journal {
            inner: Arc::new(Mutex::new(Inner {
                path,
                file,
                order,
                jobs,
                lines,
                torn: false,
                _lock: lock,
            })),
        };
        let needs_compaction = {
            let g = journal.lock();
            skipped > 0 || g.lines > 3 * g.jobs.len() + 64
        };
        if needs_compaction {
            journal.compact()?;
        }
        open.insert(canonical, Arc::downgrade(&journal.inner));
        Ok(journal)
    }

    /// Reads the jobs of a journal file without opening it for writing (no lock: it
    /// may be in use by another process). Oldest first; a missing file has none.
    ///
    /// ```
    /// # fn main() -> Result<(), seedance_http::Error> {
    /// let dir = std::env::temp_dir().join(format!("seedance-doc-load-{}", std::process::id()));
    /// assert!(seedance_http::Journal::load(dir.join("none.jsonl"))?.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Vec<JobRecord>> {
        let (order, mut jobs, _, _) = read_lines(path.as_ref())?;
        Ok(order.iter().filter_map(|k| jobs.remove(k)).collect())
    }
}

type Parsed = (Vec<String>, HashMap<String, JobRecord>, usize, usize);

/// Every readable line of the file: (order, jobs, lines read, lines skipped).
fn read_lines(path: &Path) -> Result<Parsed> {
    let mut order = Vec::new();
    let mut jobs = HashMap::new();
    let mut lines = 0usize;
    let mut skipped = 0usize;
    match File::open(path) {
        Ok(f) => {
            for raw in BufReader::new(f).split(b'\n') {
                let raw = raw?;
                if raw.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                match serde_json::from_slice::<Line>(&raw) {
                    Ok(line) => {
                        lines += 1;
                        apply(&mut order, &mut jobs, line);
                    }
                    Err(_) => skipped += 1,
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    Ok((order, jobs, lines, skipped))
}

impl Journal {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The file.
    pub fn path(&self) -> PathBuf {
        self.lock().path.clone()
    }

    /// Every job, oldest first.
    pub fn jobs(&self) -> Vec<JobRecord> {
        let g = self.lock();
        g.order
            .iter()
            .filter_map(|k| g.jobs.get(k).cloned())
            .collect()
    }

    /// The jobs `resume` has work for.
    pub fn unfinished(&self) -> Vec<JobRecord> {
        self.jobs()
            .into_iter()
            .filter(JobRecord::is_unfinished)
            .collect()
    }

    /// One job by key.
    pub fn job(&self, key: &str) -> Option<JobRecord> {
        self.lock().jobs.get(key).cloned()
    }

    /// Rewrites the file with one line per fact (temporary file, fsync, atomic rename).
    pub fn compact(&self) -> Result<()> {
        let mut g = self.lock();
        let tmp = sidecar(&g.path, ".tmp");
        match fs::remove_file(&tmp) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        // The new file is written through the handle later appends use: after the
        // rename there is no moment when appends could go to the replaced file.
        let mut f = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&tmp)?;
        let mut count = 0;
        for key in &g.order {
            if let Some(job) = g.jobs.get(key) {
                for line in lines_of(job) {
                    f.write_all(&encode(&line)?)?;
                    count += 1;
                }
            }
        }
        f.sync_all()?;
        fs::rename(&tmp, &g.path)?;
        sync_dir(&g.path);
        g.file = f;
        g.lines = count;
        g.torn = false;
        Ok(())
    }

    fn append(&self, line: Line) -> Result<()> {
        let mut g = self.lock();
        Self::append_locked(&mut g, line)
    }

    /// Appends under the caller's lock (so that a check and its write are one step).
    fn append_locked(g: &mut Inner, line: Line) -> Result<()> {
        let mut bytes = encode(&line)?;
        if g.torn {
            // End the partial line first: it is skipped on open, this one is kept.
            bytes.insert(0, b'\n');
        }
        let written = g.file.write_all(&bytes).and_then(|()| g.file.sync_data());
        if let Err(e) = written {
            g.torn = true;
            return Err(e.into());
        }
        g.torn = false;
        g.lines += 1;
        apply(&mut g.order, &mut g.jobs, line);
        Ok(())
    }

    pub(crate) fn record_job(
        &self,
        key: &str,
        request: &VideoRequest,
        download_dir: Option<&Path>,
    ) -> Result<()> {
        let mut g = self.lock();
        if g.jobs.contains_key(key) {
            return Ok(()); // a resumed job keeps its record
        }
        Self::append_locked(
            &mut g,
            Line::Job {
                key: key.to_owned(),
                request: request.clone(),
                download_dir: download_dir.map(Path::to_path_buf),
                created_ms: now_ms(),
            },
        )
    }

    pub(crate) fn record_task(&self, key: &str, task_id: &TaskId) -> Result<()> {
        let mut g = self.lock();
        if g.jobs
            .get(key)
            .is_some_and(|j| j.task_id.as_ref() == Some(task_id))
        {
            return Ok(());
        }
        Self::append_locked(
            &mut g,
            Line::Task {
                key: key.to_owned(),
                task_id: task_id.clone(),
            },
        )
    }

    pub(crate) fn record_completed(&self, key: &str, task: &Task) -> Result<()> {
        self.append(Line::Completed {
            key: key.to_owned(),
            task: task_json(task),
        })
    }

    pub(crate) fn record_failed(&self, key: &str, message: &str) -> Result<()> {
        self.append(Line::Failed {
            key: key.to_owned(),
            message: message.to_owned(),
        })
    }

    pub(crate) fn record_downloaded(&self, key: &str, files: &Downloaded) -> Result<()> {
        self.append(Line::Downloaded {
            key: key.to_owned(),
            files: files.clone(),
        })
    }

    /// The key of the job whose task is `task_id`, if any.
    pub(crate) fn key_for_task(&self, task_id: &TaskId) -> Option<String> {
        let g = self.lock();
        g.order
            .iter()
            .rev()
            .find(|k| {
                g.jobs
                    .get(*k)
                    .is_some_and(|j| j.task_id.as_ref() == Some(task_id))
            })
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seedance_core::TaskStatus;

    fn req() -> VideoRequest {
        VideoRequest::builder("A glass train crossing a bridge")
            .build()
            .unwrap()
    }

    #[test]
    fn survives_reopen_and_tracks_state() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/journal.jsonl");
        let j = Journal::open(&p).unwrap();
        j.record_job("k1", &req(), Some(Path::new("/out"))).unwrap();
        j.record_job("k2", &req(), None).unwrap();
        j.record_task("k1", &TaskId::from("sd2_1")).unwrap();
        drop(j);
        let j = Journal::open(&p).unwrap();
        let jobs = j.jobs();
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs[0].key, "k1");
        assert_eq!(jobs[0].state, JobState::Submitted);
        assert_eq!(jobs[0].download_dir.as_deref(), Some(Path::new("/out")));
        assert_eq!(jobs[1].state, JobState::Pending);
        assert_eq!(j.unfinished().len(), 2);

        let mut t = Task::new("sd2_1", TaskStatus::Completed);
        t.credits_used = Some(30);
        j.record_completed("k1", &t).unwrap();
        // completed, but the download asked for is not done yet
        assert_eq!(j.unfinished().len(), 2);
        j.record_downloaded(
            "k1",
            &Downloaded {
                video: "/out/sd2_1.mp4".into(),
                last_frame: None,
                bytes: 10,
            },
        )
        .unwrap();
        j.record_failed("k2", "invalid_request").unwrap();
        assert!(j.unfinished().is_empty());
        assert_eq!(
            j.key_for_task(&TaskId::from("sd2_1")).as_deref(),
            Some("k1")
        );
        drop(j);
        let j = Journal::open(&p).unwrap();
        assert!(j.unfinished().is_empty());
        match &j.job("k1").unwrap().state {
            JobState::Completed { task } => assert_eq!(task.credits_used, Some(30)),
            s => panic!("{s:?}"),
        }
    }

    #[test]
    fn torn_last_line_is_skipped_and_compacted_away() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.jsonl");
        let j = Journal::open(&p).unwrap();
        j.record_job("k1", &req(), None).unwrap();
        drop(j);
        // a crash in the middle of the next write
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(br#"{"op":"task","key":"k1","task_id":"sd2_"#)
            .unwrap();
        drop(f);
        let j = Journal::open(&p).unwrap();
        assert_eq!(j.jobs()[0].state, JobState::Pending);
        let text = fs::read_to_string(&p).unwrap();
        assert!(text.ends_with('\n'));
        assert_eq!(text.lines().count(), 1, "{text}");
        // appends after compaction land in the new file
        j.record_task("k1", &TaskId::from("sd2_9")).unwrap();
        drop(j);
        let j = Journal::open(&p).unwrap();
        assert_eq!(j.jobs()[0].task_id, Some(TaskId::from("sd2_9")));
        assert!(!sidecar(&p, ".tmp").exists());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_failed_write_does_not_swallow_the_next_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.jsonl");
        let j = Journal::open(&p).unwrap();
        j.record_job("k1", &req(), None).unwrap();
        // a write that fails part-way (disk full) after a partial line reached the file
        let real = {
            let mut g = j.lock();
            g.file.write_all(br#"{"op":"task","key":"k1","ta"#).unwrap();
            std::mem::replace(
                &mut g.file,
                File::options().write(true).open("/dev/full").unwrap(),
            )
        };
        assert!(j.record_task("k1", &TaskId::from("sd2_lost")).is_err());
        j.lock().file = real;
        // the disk has room again
        j.record_task("k1", &TaskId::from("sd2_7")).unwrap();
        drop(j);
        let j = Journal::open(&p).unwrap();
        assert_eq!(j.jobs()[0].task_id, Some(TaskId::from("sd2_7")));
        assert_eq!(j.jobs()[0].state, JobState::Submitted);
    }

    #[test]
    fn compaction_keeps_every_fact() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.jsonl");
        let j = Journal::open(&p).unwrap();
        for i in 0..50 {
            let k = format!("k{i}");
            j.record_job(&k, &req(), None).unwrap();
            j.record_task(&k, &TaskId::from(format!("sd2_{i}")))
                .unwrap();
            // duplicate facts are not written twice
            j.record_task(&k, &TaskId::from(format!("sd2_{i}")))
                .unwrap();
            j.record_job(&k, &req(), None).unwrap();
        }
        let before = j.jobs();
        j.compact().unwrap();
        drop(j);
        let j = Journal::open(&p).unwrap();
        assert_eq!(j.jobs(), before);
        assert_eq!(fs::read_to_string(&p).unwrap().lines().count(), 100);
    }

    #[test]
    fn a_journal_held_by_another_process_is_refused_but_readable() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.jsonl");
        let j = Journal::open(&p).unwrap();
        j.record_job("k1", &req(), None).unwrap();
        // another open file description of the lock file stands for another process
        // (flock/LockFileEx locks belong to it, not to the process)
        let other = File::options()
            .write(true)
            .open(sidecar(&p, ".lock"))
            .unwrap();
        assert!(
            matches!(
                fs4::FileExt::try_lock(&other),
                Err(fs4::TryLockError::WouldBlock)
            ),
            "the open journal holds its lock"
        );
        drop(j);
        fs4::FileExt::try_lock(&other).unwrap();
        let e = Journal::open(&p).unwrap_err();
        assert!(matches!(e, Error::Journal(_)), "{e}");
        assert!(e.to_string().contains("another process"), "{e}");
        // reading without the lock still works
        let jobs = Journal::load(&p).unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].key, "k1");
        drop(other);
        assert_eq!(Journal::open(&p).unwrap().jobs().len(), 1);
    }

    #[test]
    fn one_process_shares_one_journal_and_concurrent_writers_never_interleave() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.jsonl");
        let a = Journal::open(&p).unwrap();
        // the same file under another spelling is the same journal
        let b = Journal::open(dir.path().join(".").join("j.jsonl")).unwrap();
        a.record_job("shared", &req(), None).unwrap();
        assert!(b.job("shared").is_some(), "one in-memory view");
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let j = if t % 2 == 0 { a.clone() } else { b.clone() };
                std::thread::spawn(move || {
                    for i in 0..40 {
                        let k = format!("t{t}-{i}");
                        j.record_job(&k, &req(), None).unwrap();
                        // every thread also races on one key: one record, one line
                        j.record_job("race", &req(), None).unwrap();
                        j.record_task(&k, &TaskId::from(format!("sd2_{t}_{i}")))
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        drop((a, b));
        let text = fs::read_to_string(&p).unwrap();
        // every line whole (no two writes ran into each other), none lost or doubled
        assert_eq!(text.lines().count(), 2 + 8 * 40 * 2, "{text}");
        for line in text.lines() {
            serde_json::from_str::<Line>(line).unwrap();
        }
        let j = Journal::open(&p).unwrap();
        let jobs = j.jobs();
        assert_eq!(jobs.len(), 2 + 8 * 40);
        assert!(jobs
            .iter()
            .filter(|r| r.key.starts_with('t'))
            .all(|r| r.state == JobState::Submitted && r.task_id.is_some()));
    }

    #[test]
    fn a_repeated_job_line_does_not_reset_the_job() {
        let mut order = Vec::new();
        let mut jobs = HashMap::new();
        let job = || Line::Job {
            key: "k".into(),
            request: req(),
            download_dir: None,
            created_ms: 1,
        };
        apply(&mut order, &mut jobs, job());
        apply(
            &mut order,
            &mut jobs,
            Line::Task {
                key: "k".into(),
                task_id: TaskId::from("sd2_1"),
            },
        );
        apply(&mut order, &mut jobs, job());
        assert_eq!(order, ["k"]);
        assert_eq!(jobs["k"].state, JobState::Submitted);
        assert_eq!(jobs["k"].task_id, Some(TaskId::from("sd2_1")));
    }
}
