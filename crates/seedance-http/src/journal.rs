//! The durable journal (Promise 4): a JSON-lines append log, each line fsynced before the
//! step it records goes on; compaction rewrites it through a temporary file, fsync and an
//! atomic rename. A torn last line (a crash mid-write) is skipped on open.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
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
}

/// A durable record of jobs: key and request before the submit is sent, then the task id,
/// the result and the downloaded paths. Clones share one file. One process at a time
/// should write a journal file.
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
            if !jobs.contains_key(&key) {
                order.push(key.clone());
            }
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
    pub fn open(path: impl AsRef<Path>) -> Result<Journal> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                fs::create_dir_all(dir)?;
            }
        }
        let mut order = Vec::new();
        let mut jobs = HashMap::new();
        let mut lines = 0usize;
        let mut skipped = 0usize;
        match File::open(&path) {
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
            })),
        };
        let needs_compaction = {
            let g = journal.lock();
            skipped > 0 || g.lines > 3 * g.jobs.len() + 64
        };
        if needs_compaction {
            journal.compact()?;
        }
        Ok(journal)
    }

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
        let tmp = g.path.with_extension("jsonl.tmp");
        let mut count = 0;
        {
            let mut f = File::create(&tmp)?;
            for key in &g.order {
                if let Some(job) = g.jobs.get(key) {
                    for line in lines_of(job) {
                        f.write_all(&encode(&line)?)?;
                        count += 1;
                    }
                }
            }
            f.sync_all()?;
        }
        fs::rename(&tmp, &g.path)?;
        sync_dir(&g.path);
        g.file = OpenOptions::new().append(true).open(&g.path)?;
        g.lines = count;
        g.torn = false;
        Ok(())
    }

    fn append(&self, line: Line) -> Result<()> {
        let mut bytes = encode(&line)?;
        let mut g = self.lock();
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
        let inner = &mut *g;
        apply(&mut inner.order, &mut inner.jobs, line);
        Ok(())
    }

    pub(crate) fn record_job(
        &self,
        key: &str,
        request: &VideoRequest,
        download_dir: Option<&Path>,
    ) -> Result<()> {
        if self.lock().jobs.contains_key(key) {
            return Ok(()); // a resumed job keeps its record
        }
        self.append(Line::Job {
            key: key.to_owned(),
            request: request.clone(),
            download_dir: download_dir.map(Path::to_path_buf),
            created_ms: now_ms(),
        })
    }

    pub(crate) fn record_task(&self, key: &str, task_id: &TaskId) -> Result<()> {
        if self
            .lock()
            .jobs
            .get(key)
            .is_some_and(|j| j.task_id.as_ref() == Some(task_id))
        {
            return Ok(());
        }
        self.append(Line::Task {
            key: key.to_owned(),
            task_id: task_id.clone(),
        })
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
        assert!(!p.with_extension("jsonl.tmp").exists());
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
}
