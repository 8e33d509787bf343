//! Reading a task (`get_task`) and waiting for it (`wait`, through the shared poller),
//! with the job store's update when a wait ends.

use seedance_core::{Task, TaskId};
use tokio::time::Instant;

use crate::client::Client;
use crate::error::{ConfigError, Error, Result, TransportError, TransportErrorKind};
use crate::options::WaitOptions;
use crate::poller::Registration;
use crate::store::{Change, JobState};
use crate::transport::{cancelled, Call, Trace};

impl Client {
    /// Reads a task once (retrying transient failures). `Task::raw` holds the JSON. An id
    /// that is not a task id (Reading R19) is refused before anything is sent; an answer
    /// about another task is an error.
    pub async fn get_task(&self, id: &TaskId) -> Result<Task> {
        id.check().map_err(ConfigError::from)?;
        let token = self.cancel_token();
        self.transport()
            .call(&Call::get_task(id), &mut Trace::default(), &token, None)
            .await
    }

    /// Waits until the task ends (Promise 3): `completed` returns the task; `failed` and
    /// the terminal statuses of Reading R12 become [`Error::TaskFailed`]; other statuses
    /// keep waiting. Bounded by [`WaitOptions::timeout`] (30 minutes by default). All
    /// concurrent waits share one poller; dropping this future stops its polling.
    pub async fn wait(&self, id: &TaskId, options: WaitOptions) -> Result<Task> {
        id.check().map_err(ConfigError::from)?;
        let schedule = self.schedule();
        let expected = options
            .expected_render
            .or(self.expected_render())
            .unwrap_or(schedule.default_expected);
        let bound = options.bound(self.wait_timeout());
        let reg = Registration {
            expected: schedule.scaled(expected),
            elapsed: options.elapsed,
            learn: options.class.is_some(),
            class: options.class.clone(),
        };
        let started = Instant::now();
        // The token first: a cancel seen by anyone who saw this wait registered reaches it.
        let token = self.cancel_token();
        let (guard, rx) = self.poller().register(id, reg);
        let timeout = async {
            match bound {
                Some(t) => tokio::time::sleep(t).await,
                None => std::future::pending::<()>().await,
            }
        };
        let result = tokio::select! {
            r = rx => r.unwrap_or_else(|_| Err(Error::Transport(TransportError::new(TransportErrorKind::PollerStopped, "")))),
            _ = timeout => Err(Error::WaitTimeout { task_id: id.clone(), waited: started.elapsed() }),
            _ = cancelled(&token, options.cancel.as_ref()) => Err(Error::Cancelled),
        };
        drop(guard);
        // Only a job of this client's origin and account is touched: a 404 from another
        // server says nothing about a task of this one.
        if let Some(j) = self.job_store() {
            if let Some(job) = j.job_for_task(self.job_scope(), id)? {
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
