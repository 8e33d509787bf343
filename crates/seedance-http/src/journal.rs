//! The old JSON Lines journal (before the SQLite job store): read once, to import its
//! jobs ([`crate::JobStore::import_jsonl`]). Never written any more.
//!
//! Each line was one fact: a job (key, request, download dir), its task id, its result,
//! its downloaded files. A torn or unreadable line is skipped, as the journal did.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{IoContext, Result};

#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Line {
    Job {
        key: String,
        // kept as JSON: fields of any version survive the import
        request: serde_json::Value,
        #[serde(default)]
        download_dir: Option<PathBuf>,
        #[serde(default)]
        created_ms: u64,
    },
    Task {
        key: String,
        task_id: String,
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
        files: serde_json::Value,
    },
}

/// One job of an old journal, as its lines left it.
#[derive(Debug, Default)]
pub(crate) struct OldJob {
    pub(crate) key: String,
    pub(crate) request: serde_json::Value,
    pub(crate) download_dir: Option<PathBuf>,
    pub(crate) created_ms: u64,
    pub(crate) task_id: Option<String>,
    pub(crate) task: Option<serde_json::Value>,
    pub(crate) failed: Option<String>,
    pub(crate) downloaded: Option<serde_json::Value>,
}

/// Every job of an old journal file, oldest first (a missing file has none).
pub(crate) fn read_jsonl(path: &Path) -> Result<Vec<OldJob>> {
    let mut order: Vec<String> = Vec::new();
    let mut jobs: HashMap<String, OldJob> = HashMap::new();
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).at("cannot open", path),
    };
    let mut skipped = 0usize;
    for raw in BufReader::new(f).split(b'\n') {
        let raw = raw.at("cannot read", path)?;
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let Ok(line) = serde_json::from_slice::<Line>(&raw) else {
            skipped += 1;
            continue;
        };
        match line {
            Line::Job {
                key,
                request,
                download_dir,
                created_ms,
            } => {
                if !jobs.contains_key(&key) {
                    order.push(key.clone());
                    jobs.insert(
                        key.clone(),
                        OldJob {
                            key,
                            request,
                            download_dir,
                            created_ms,
                            ..OldJob::default()
                        },
                    );
                }
            }
            Line::Task { key, task_id } => {
                if let Some(j) = jobs.get_mut(&key) {
                    j.task_id = Some(task_id);
                }
            }
            Line::Completed { key, task } => {
                if let Some(j) = jobs.get_mut(&key) {
                    if let Some(id) = task.get("id").and_then(|v| v.as_str()) {
                        j.task_id = Some(id.to_owned());
                    }
                    j.task = Some(task);
                }
            }
            Line::Failed { key, message } => {
                if let Some(j) = jobs.get_mut(&key) {
                    j.failed = Some(message);
                }
            }
            Line::Downloaded { key, files } => {
                if let Some(j) = jobs.get_mut(&key) {
                    j.downloaded = Some(files);
                }
            }
        }
    }
    if skipped > 0 {
        tracing::warn!(skipped, path = %path.display(), "old journal: skipped unreadable lines");
    }
    Ok(order.into_iter().filter_map(|k| jobs.remove(&k)).collect())
}
