//! Progress events for a foreign listener, and the explicit cancel token.
//!
//! Each call subscribes to the client's event stream before it starts and hands the
//! listener only its own events: those of its task (found by id, or for a submit by the
//! idempotency key it sent; a submit's retries before the server named the task reach
//! every submitting call still waiting for its id).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use seedance_http as http;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::types::{Task, TaskStatus};

/// One step of a job's progress (the same events as the Rust client's `Event` and
/// Python's `ProgressEvent`).
#[derive(Clone, Debug, PartialEq, uniffi::Enum)]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // crosses the FFI by value (serialised): a Box saves nothing
pub enum ProgressEvent {
    /// The submit was accepted.
    Submitted {
        /// The new task.
        task_id: String,
        /// The idempotency key it was sent with.
        idempotency_key: String,
        /// Credits charged.
        credits_used: Option<u64>,
        /// Since the call started.
        elapsed: Duration,
    },
    /// A poll found the task still running.
    Waiting {
        /// The task.
        task_id: String,
        /// Its status (`processing`, or an unknown non-terminal one).
        status: TaskStatus,
        /// Polls so far.
        polls: u32,
        /// When the next poll is due.
        next_poll_in: Duration,
        /// Since the call started.
        elapsed: Duration,
        /// The expected render time, when known.
        expected: Option<Duration>,
    },
    /// A request failed and will be retried.
    RetryScheduled {
        /// `submit`, `poll` or `download`.
        operation: String,
        /// The task, when known.
        task_id: Option<String>,
        /// Why (`HTTP 503 service_busy`, `connection error`, …).
        reason: String,
        /// The delay before the retry.
        delay: Duration,
        /// The retry number (1-based).
        attempt: u32,
    },
    /// The task completed.
    Completed {
        /// The finished task.
        task: Task,
    },
    /// The task failed.
    Failed {
        /// The task.
        task_id: String,
        /// Its error code.
        code: String,
        /// Its message.
        message: String,
    },
    /// Download progress (about one event per MiB, plus the last one).
    DownloadProgress {
        /// The task whose output this is.
        task_id: String,
        /// The file being written (its final name).
        path: String,
        /// Bytes on disk so far.
        bytes: u64,
        /// The full size, when known.
        total: Option<u64>,
    },
}

/// Receives the progress of one call. Implemented in Kotlin or Swift; called on a
/// library thread, so keep it short (hand the event to your own queue, as the Kotlin
/// `Flow` and Swift `AsyncStream` helpers do).
#[uniffi::export(foreign)]
pub trait ProgressListener: Send + Sync {
    /// One event.
    fn on_event(&self, event: ProgressEvent);
}

/// Stops the calls it is given to: they end with `SeedanceError.Cancelled`. Needed in
/// Swift, where cancelling a `Task` does not reach the Rust future (the package's async
/// wrappers call `cancel()` from `withTaskCancellationHandler`); in Kotlin cancelling the
/// coroutine is enough, and the token works too.
///
/// ```
/// let t = seedance_uniffi::CancelToken::new();
/// t.cancel();
/// assert!(t.is_cancelled());
/// ```
#[derive(Debug, Default, uniffi::Object)]
pub struct CancelToken {
    token: CancellationToken,
}

#[uniffi::export]
impl CancelToken {
    /// A token not yet cancelled.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(CancelToken::default())
    }

    /// Cancels every call given this token, now and later.
    pub fn cancel(&self) {
        self.token.cancel();
    }

    /// Whether `cancel` was called.
    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }
}

impl CancelToken {
    pub(crate) fn token(&self) -> CancellationToken {
        self.token.clone()
    }
}

/// Which events belong to a call.
#[derive(Default)]
pub(crate) struct CallFilter {
    task_id: Option<String>,
    key: Option<String>,
}

impl CallFilter {
    /// The events of this task.
    pub(crate) fn task(id: &str) -> Self {
        CallFilter {
            task_id: Some(id.to_owned()),
            key: None,
        }
    }

    /// The events of the task that a submit with this idempotency key creates.
    pub(crate) fn key(key: &str) -> Self {
        CallFilter {
            task_id: None,
            key: Some(key.to_owned()),
        }
    }

    /// Every event (`resume` runs many jobs).
    pub(crate) fn all() -> Self {
        CallFilter::default()
    }

    fn accept(&mut self, event: &http::Event) -> bool {
        if self.task_id.is_none() && self.key.is_none() {
            return true;
        }
        let id = match event {
            http::Event::Submitted {
                task_id,
                idempotency_key,
                ..
            } => {
                if self.key.as_deref() == Some(idempotency_key.as_str()) {
                    self.task_id = Some(task_id.as_str().to_owned());
                }
                Some(task_id)
            }
            http::Event::Waiting { task_id, .. }
            | http::Event::Failed { task_id, .. }
            | http::Event::DownloadProgress { task_id, .. } => Some(task_id),
            // A submit's retry before any task id: the client cannot tell whose submit it
            // is, so every submitting call that has not heard its task id yet gets it.
            http::Event::RetryScheduled { task_id: None, .. } => {
                return self.key.is_some() && self.task_id.is_none();
            }
            http::Event::RetryScheduled { task_id, .. } => task_id.as_ref(),
            http::Event::Completed { task } => Some(&task.id),
            _ => None,
        };
        matches!((id, &self.task_id), (Some(id), Some(mine)) if id.as_str() == mine)
    }
}

/// The foreign view of `event`.
fn convert(
    event: &http::Event,
    elapsed: Duration,
    expected: Option<Duration>,
) -> Option<ProgressEvent> {
    Some(match event {
        http::Event::Submitted {
            task_id,
            idempotency_key,
            credits_used,
        } => ProgressEvent::Submitted {
            task_id: task_id.as_str().to_owned(),
            idempotency_key: idempotency_key.clone(),
            credits_used: *credits_used,
            elapsed,
        },
        http::Event::Waiting {
            task_id,
            status,
            polls,
            next_poll_in,
        } => ProgressEvent::Waiting {
            task_id: task_id.as_str().to_owned(),
            status: TaskStatus::from(status),
            polls: *polls,
            next_poll_in: *next_poll_in,
            elapsed,
            expected,
        },
        http::Event::RetryScheduled {
            operation,
            task_id,
            reason,
            delay,
            attempt,
            ..
        } => ProgressEvent::RetryScheduled {
            operation: (*operation).to_owned(),
            task_id: task_id.as_ref().map(|t| t.as_str().to_owned()),
            reason: reason.clone(),
            delay: *delay,
            attempt: *attempt,
        },
        http::Event::Completed { task } => ProgressEvent::Completed {
            task: Task::from(&**task),
        },
        http::Event::Failed {
            task_id,
            code,
            message,
        } => ProgressEvent::Failed {
            task_id: task_id.as_str().to_owned(),
            code: code.as_str().to_owned(),
            message: message.clone(),
        },
        http::Event::DownloadProgress {
            task_id,
            path,
            bytes,
            total,
        } => ProgressEvent::DownloadProgress {
            task_id: task_id.as_str().to_owned(),
            path: path.to_string_lossy().into_owned(),
            bytes: *bytes,
            total: *total,
        },
        _ => return None,
    })
}

/// How one call runs: its listener (with its filter and the expected render time) and
/// its cancel token.
pub(crate) struct Call {
    pub(crate) listener: Option<Arc<dyn ProgressListener>>,
    pub(crate) filter: CallFilter,
    pub(crate) expected: Option<Duration>,
    pub(crate) cancel: Option<Arc<CancelToken>>,
}

impl Call {
    /// Runs `fut`, delivering its events as they come; a cancelled token drops it.
    pub(crate) async fn run<T>(
        mut self,
        client: &http::Client,
        fut: impl Future<Output = http::Result<T>>,
    ) -> http::Result<T> {
        let token = self.cancel.as_ref().map(|c| c.token()).unwrap_or_default();
        let mut rx = self.listener.as_ref().map(|_| client.events());
        let start = Instant::now();
        tokio::pin!(fut);
        loop {
            let next = async {
                match rx.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                _ = token.cancelled() => return Err(http::Error::Cancelled),
                out = &mut fut => {
                    if let Some(rx) = rx.as_mut() {
                        while let Ok(event) = rx.try_recv() {
                            self.deliver(&event, start);
                        }
                    }
                    return out;
                }
                ev = next => match ev {
                    Ok(event) => self.deliver(&event, start),
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => rx = None,
                },
            }
        }
    }

    fn deliver(&mut self, event: &http::Event, start: Instant) {
        let Some(listener) = &self.listener else {
            return;
        };
        if !self.filter.accept(event) {
            return;
        }
        if let Some(e) = convert(event, start.elapsed(), self.expected) {
            listener.on_event(e);
        }
    }
}
