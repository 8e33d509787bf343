//! Reading a task (`get_task`) and waiting for it (`wait`, through the shared poller),
//! with the job store's update when a wait ends.

use reqwest::Method;
use seedance_core::{Task, TaskId};
use tokio::time::Instant;

use crate::client::{cancelled, Client};
use crate::error::{Error, Result};
use crate::events::Event;
use crate::options::WaitOptions;
use crate::poller::Registration;
use crate::store::{Change, JobState};
use crate::transport::{self, Attempt, Retry};

impl Client {
    /// Reads a task once (retrying transient failures). `Task::raw` holds the JSON. An id
    /// that is not a task id (Reading R19) is refused before anything is sent; an answer
    /// about another task is an error.
    pub async fn get_task(&self, id: &TaskId) -> Result<Task> {
        id.check().map_err(|e| Error::Config(e.to_string()))?;
        let inner = &self.inner;
        let path = format!("{}/{}", seedance_core::rules::TASKS_PATH, id.as_str());
        let token = self.cancel_token();
        let mut retries = 0u32;
        loop {
            let result = tokio::select! {
                r = transport::send(inner, Method::GET, &path, None, None, Vec::new(), false) => r,
                _ = token.cancelled() => return Err(Error::Cancelled),
            };
            let (error, delay) =
                match transport::expect_task(id, transport::classify(inner, result)) {
                    Attempt::Task(t) => return Ok(t),
                    Attempt::Failed { error, retry } => match retry {
                        Retry::No | Retry::Conflict => return Err(error),
                        Retry::After(d) => (error, d),
                        Retry::Backoff => (error, inner.retry.backoff(retries)),
                    },
                };
            if retries >= inner.retry.max_retries {
                return Err(error);
            }
            retries += 1;
            inner.events.emit(Event::RetryScheduled {
                operation: "poll",
                task_id: Some(id.clone()),
                reason: error.to_string(),
                delay,
                attempt: retries,
            });
            self.sleep_or_cancel(delay, &token, None).await?;
        }
    }

    /// Waits until the task ends (Promise 3): `completed` returns the task; `failed` and
    /// the terminal statuses of Reading R12 become [`Error::TaskFailed`]; other statuses
    /// keep waiting. Bounded by [`WaitOptions::timeout`] (30 minutes by default). All
    /// concurrent waits share one poller; dropping this future stops its polling.
    pub async fn wait(&self, id: &TaskId, options: WaitOptions) -> Result<Task> {
        id.check().map_err(|e| Error::Config(e.to_string()))?;
        let schedule = &self.inner.schedule;
        let expected = options
            .expected_render
            .or(self.inner.expected_render)
            .unwrap_or(schedule.default_expected);
        let bound = options.bound(self.inner.wait_timeout);
        let reg = Registration {
            expected: schedule.scaled(expected),
            elapsed: options.elapsed,
            learn: options.class.is_some(),
            class: options.class.clone(),
        };
        let started = Instant::now();
        // The token first: a cancel seen by anyone who saw this wait registered reaches it.
        let token = self.cancel_token();
        let (guard, rx) = self.inner.poller.register(self, id, reg);
        let timeout = async {
            match bound {
                Some(t) => tokio::time::sleep(t).await,
                None => std::future::pending::<()>().await,
            }
        };
        let result = tokio::select! {
            r = rx => r.unwrap_or_else(|_| Err(Error::Transport("the poller stopped".into()))),
            _ = timeout => Err(Error::WaitTimeout { task_id: id.clone(), waited: started.elapsed() }),
            _ = cancelled(&token, options.cancel.as_ref()) => Err(Error::Cancelled),
        };
        drop(guard);
        // Only a job of this client's origin and account is touched: a 404 from another
        // server says nothing about a task of this one.
        if let Some(j) = &self.inner.journal {
            if let Some(job) = j.job_for_task(&self.inner.scope, id)? {
                const OPEN: &[JobState] = &[
                    JobState::Pending,
                    JobState::Sent,
                    JobState::Submitted,
                    JobState::Interrupted,
                    JobState::Completed,
                ];
                let m = result.as_ref().err().map(ToString::to_string);
                let change = match &result {
                    Ok(task) => Some(Change {
                        state: Some(JobState::Completed),
                        task: Some(task),
                        only_from: OPEN,
                        ..Change::default()
                    }),
                    Err(Error::TaskFailed { .. } | Error::Api { status: 404, .. }) => {
                        Some(Change {
                            state: Some(JobState::Failed),
                            last_error: m.as_deref(),
                            only_from: OPEN,
                            ..Change::default()
                        })
                    }
                    Err(Error::Cancelled) => Some(Change {
                        state: Some(JobState::Interrupted),
                        only_from: &[JobState::Submitted],
                        ..Change::default()
                    }),
                    Err(_) => Some(Change {
                        last_error: m.as_deref(),
                        ..Change::default()
                    }),
                };
                if let Some(c) = change {
                    j.update_row(job.id, &c)?;
                }
            }
        }
        result
    }
}
