//! Jobs: `generate` (submit, wait, download), `finish`, and `resume` of the store's
//! unfinished jobs (Promise 4).

use std::path::PathBuf;
use std::time::Duration;

use seedance_core::{Task, TaskId, TaskStatus, VideoRequest};
use tokio::time::Instant;

use crate::client::{new_idempotency_key, Client};
use crate::error::{ConfigError, Error, Result, StoreError, StoreErrorKind};
use crate::options::{DownloadOptions, Downloaded, GenerateOptions, ResumeOptions, WaitOptions};
use crate::poller::task_failed;
use crate::store::{Change, Charge, JobRecord, JobState};

/// The outcome of one job of [`Client::resume`] or [`Client::generate_job`].
#[derive(Debug)]
#[non_exhaustive]
pub struct JobOutcome {
    /// The idempotency key (the job's identity in the journal).
    pub key: String,
    /// The task id, when one was heard.
    pub task_id: Option<TaskId>,
    /// The finished task, or why the job did not finish.
    pub result: Result<Task>,
    /// Files written, when a download was asked for.
    pub downloaded: Option<Downloaded>,
}

impl Client {
    /// Submit + wait (+ download into [`GenerateOptions::download_dir`] as soon as the
    /// task completes). The first poll comes near the request's expected render time.
    pub async fn generate(&self, request: &VideoRequest, options: GenerateOptions) -> Result<Task> {
        let outcome = self.generate_job(request, options).await?;
        outcome.result
    }

    /// Like [`Client::generate`], also reporting the key and the files written. `Err`
    /// only when nothing was submitted (validation, preflight, journal).
    pub async fn generate_job(
        &self,
        request: &VideoRequest,
        options: GenerateOptions,
    ) -> Result<JobOutcome> {
        request.validate()?;
        // The key is chosen here, so that an outcome without a task still names it.
        let key = options
            .submit
            .idempotency_key
            .clone()
            .unwrap_or_else(new_idempotency_key);
        // Dropped before it ends (a cancelled Kotlin coroutine or Swift task drops the
        // future): the job is marked interrupted, as a Ctrl-C would, for `resume`.
        let guard = InterruptOnDrop::new(self, &key);
        let outcome = self.generate_job_inner(request, options, key).await;
        guard.disarm();
        outcome
    }

    async fn generate_job_inner(
        &self,
        request: &VideoRequest,
        options: GenerateOptions,
        key: String,
    ) -> Result<JobOutcome> {
        let submit = options.submit.clone().idempotency_key(key.clone());
        let (task, key) = match self
            .submit_job(request, submit, options.download_dir.as_deref())
            .await
        {
            Ok(x) => x,
            Err(
                e @ (Error::Validation(_)
                | Error::Preflight(_)
                | Error::Journal(_)
                | Error::Io(_)
                | Error::Config(_)),
            ) => return Err(e),
            Err(e) => {
                return Ok(JobOutcome {
                    key,
                    task_id: None,
                    result: Err(e),
                    downloaded: None,
                })
            }
        };
        // The render starts when the server accepts the submit, not when we queued it
        // (a submit may wait minutes for the budget).
        let submitted_at = Instant::now();
        let wait = WaitOptions {
            expected_render: options
                .wait
                .expected_render
                .or(self.expected_render())
                .or_else(|| Some(request.expected_render_time())),
            class: Some(crate::profile::class_of(request)),
            ..options.wait.clone()
        };
        Ok(self
            .finish(
                key,
                task,
                wait,
                submitted_at,
                options.download_dir,
                options.download,
            )
            .await)
    }

    /// Waits for (unless already ended) and downloads (when asked) a submitted job.
    async fn finish(
        &self,
        key: String,
        task: Task,
        wait: WaitOptions,
        since: Instant,
        download_dir: Option<PathBuf>,
        download: DownloadOptions,
    ) -> JobOutcome {
        let task_id = Some(task.id.clone());
        let result = if task.status == TaskStatus::Completed {
            Ok(task)
        } else if task.status.is_failure() {
            Err(task_failed(&task))
        } else {
            let wait = WaitOptions {
                elapsed: wait.elapsed.max(since.elapsed()),
                ..wait
            };
            self.wait(&task.id, wait).await
        };
        let mut outcome = JobOutcome {
            key,
            task_id,
            result,
            downloaded: None,
        };
        if let (Ok(task), Some(dir)) = (&outcome.result, download_dir) {
            match self.download(task, &dir, download).await {
                Ok(d) => {
                    let r = self.store_update(
                        &outcome.key,
                        Change {
                            state: Some(JobState::Downloaded),
                            downloaded: Some(&d),
                            ..Change::default()
                        },
                    );
                    if let Err(e) = r {
                        outcome.result = Err(e);
                    }
                    outcome.downloaded = Some(d);
                }
                Err(e) => {
                    let m = e.to_string();
                    // stays completed: `resume` downloads again
                    let _ = self.store_update(
                        &outcome.key,
                        Change {
                            last_error: Some(&m),
                            ..Change::default()
                        },
                    );
                    outcome.result = Err(e);
                }
            }
        }
        outcome
    }

    /// Re-attaches to every unfinished job of this client's origin and account in the
    /// store (Promise 4), concurrently: a job whose task id was never heard is re-POSTed
    /// with its key and its stored body (the server replays: no second charge); a
    /// submitted one is waited for; a completed one whose download was asked for is
    /// downloaded. Jobs of other origins or accounts are left alone; a job whose submit
    /// never reached a server or was refused is not sent. See [`Client::resume_with`].
    pub async fn resume(&self) -> Result<Vec<JobOutcome>> {
        self.resume_with(ResumeOptions::default()).await
    }

    /// [`Client::resume`] with options: a job whose answer was lost longer ago than the
    /// idempotency retention ([`ClientBuilder::idempotency_retention`](crate::ClientBuilder::idempotency_retention), Reading R28) is
    /// re-POSTed only with [`ResumeOptions::resubmit_stale`] (else its outcome says why).
    pub async fn resume_with(&self, options: ResumeOptions) -> Result<Vec<JobOutcome>> {
        let Some(store) = self.job_store() else {
            return Err(Error::Config(ConfigError::NoJobStore("resume")));
        };
        // Jobs imported from an old journal recorded no origin: the first resume adopts them.
        store.adopt_unscoped(self.job_scope())?;
        let jobs: Vec<JobRecord> = store
            .unfinished()?
            .into_iter()
            .filter(|j| j.scope == *self.job_scope())
            .collect();
        let futures = jobs
            .into_iter()
            .map(|job| self.resume_job(job, options.resubmit_stale));
        Ok(futures_util::future::join_all(futures).await)
    }

    async fn resume_job(&self, job: JobRecord, resubmit_stale: bool) -> JobOutcome {
        let guard = InterruptOnDrop::new(self, &job.key);
        let outcome = self.resume_job_inner(job, resubmit_stale).await;
        guard.disarm();
        outcome
    }

    async fn resume_job_inner(&self, job: JobRecord, resubmit_stale: bool) -> JobOutcome {
        let now_ms = crate::store::now_ms();
        let elapsed = Duration::from_millis(now_ms.saturating_sub(job.times.created_ms));
        let expected = self
            .expected_render()
            .or_else(|| job.expected_render())
            .unwrap_or(self.schedule().default_expected);
        let wait = WaitOptions::default()
            .expected_render(expected)
            // real time since the submit, as the poller counts it (not divided by the
            // time scale: that made a resumed job's first poll late at any scale but 1)
            .elapsed(elapsed);
        let now = Instant::now();
        let failed = |key: String, task_id: Option<TaskId>, e: Error| JobOutcome {
            key,
            task_id,
            result: Err(e),
            downloaded: None,
        };
        let task = match (job.state, job.task_id.clone(), job.task.clone()) {
            (JobState::Completed, _, Some(task)) => *task,
            (JobState::Submitted | JobState::Interrupted | JobState::Completed, Some(id), _) => {
                Task::new(id, TaskStatus::Processing)
            }
            (JobState::Pending | JobState::Sent | JobState::Interrupted, None, _) => {
                let sent_before = job.charge != Charge::NeverSent;
                let since = job.times.sent_ms.unwrap_or(job.times.created_ms);
                let age = Duration::from_millis(now_ms.saturating_sub(since));
                if sent_before && age > self.idempotency_retention() && !resubmit_stale {
                    return failed(
                        job.key.clone(),
                        None,
                        Error::Journal(StoreError::new(StoreErrorKind::CannotResume, format!(
                            "job {key}: its submit went out {age} ago and no answer was heard; that is \
                             longer than the server is assumed to remember its idempotency key ({ret}), \
                             so sending it again may create and charge a second task: not sent \
                             (resume with --resubmit-stale to send it anyway, or `seedance jobs forget {key}`)",
                            key = job.key,
                            age = humantime::format_duration(Duration::from_secs(age.as_secs())),
                            ret = humantime::format_duration(self.idempotency_retention()),
                        ))),
                    );
                }
                let media = job
                    .request
                    .as_ref()
                    .is_none_or(VideoRequest::has_reference_media);
                match self
                    .post_submit(
                        job.request_json.as_bytes(),
                        media,
                        &job.key,
                        sent_before,
                        None,
                    )
                    .await
                {
                    Ok(task) => {
                        let now = Instant::now();
                        return self
                            .finish(
                                job.key,
                                task,
                                wait.elapsed(Duration::ZERO),
                                now,
                                job.output,
                                DownloadOptions::default(),
                            )
                            .await;
                    }
                    Err(e) => return failed(job.key, None, e),
                }
            }
            (state, task_id, _) => {
                return failed(
                    job.key.clone(),
                    task_id,
                    Error::Journal(StoreError::new(
                        StoreErrorKind::CannotResume,
                        format!("job {} is {state} without what resuming it needs", job.key),
                    )),
                )
            }
        };
        self.finish(
            job.key,
            task,
            wait,
            now,
            job.output,
            DownloadOptions::default(),
        )
        .await
    }
}

/// The next request of a long take: `image-to-video` from a finished clip's last frame,
/// keeping its tier and channel ([`Task::continue_from`], the core's rule).
///
/// ```
/// use seedance_core::{Mode, Task};
/// let task = Task::from_json(br#"{"id":"sd2_1","status":"completed",
///   "output":{"last_frame_url":"https://cdn.example.com/f.png"}}"#).unwrap();
/// let next = seedance_http::continue_from(&task, "The train enters a tunnel").build().unwrap();
/// assert_eq!(next.mode, Some(Mode::ImageToVideo));
/// ```
pub fn continue_from(task: &Task, prompt: impl Into<String>) -> seedance_core::VideoRequestBuilder {
    task.continue_from(prompt)
}

/// Marks a job interrupted in the store when the call running it is dropped before it
/// ends: a cancelled Kotlin coroutine or Swift task (uniffi drops the Rust future), or an
/// aborted tokio task. A call that returns, with any result, disarms it first; the store
/// only moves a job that is still open (pending, sent, submitted) to `interrupted`.
struct InterruptOnDrop<'a> {
    client: &'a Client,
    key: String,
    armed: bool,
}

impl<'a> InterruptOnDrop<'a> {
    fn new(client: &'a Client, key: &str) -> Self {
        InterruptOnDrop {
            client,
            key: key.to_owned(),
            armed: true,
        }
    }

    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for InterruptOnDrop<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        if let Some(store) = self.client.job_store() {
            if let Err(e) = store.mark_interrupted(self.client.job_scope(), &self.key) {
                tracing::warn!(key = %self.key, "could not mark the dropped job interrupted: {e}");
            }
        }
    }
}
