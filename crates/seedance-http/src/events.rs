//! Progress events (Promise 3): a callback and a broadcast stream.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use seedance_core::{ErrorCode, Task, TaskId, TaskStatus};
use tokio::sync::broadcast;

/// Something that happened to a job. Delivered to the [`crate::ClientBuilder::on_event`]
/// callback and to every [`crate::Client::events`] receiver.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Event {
    /// A submit was accepted.
    Submitted {
        /// The new task.
        task_id: TaskId,
        /// The key it was sent with.
        idempotency_key: String,
        /// Credits charged.
        credits_used: Option<u64>,
    },
    /// A poll found the task still running.
    Waiting {
        /// The task.
        task_id: TaskId,
        /// Its status (`processing`, or an unknown non-terminal one).
        status: TaskStatus,
        /// Polls so far for this task.
        polls: u32,
        /// When the next poll is due.
        next_poll_in: Duration,
    },
    /// A request failed and will be retried.
    RetryScheduled {
        /// What was being done: `submit`, `poll` or `download`.
        operation: &'static str,
        /// The task, when known.
        task_id: Option<TaskId>,
        /// Why, as text (`HTTP 503 service_busy`, `connection error`…): the error's
        /// `Display`.
        reason: String,
        /// The error that is retried (branch on it, never on `reason`).
        error: Box<crate::Error>,
        /// The delay before the retry.
        delay: Duration,
        /// The retry number (1-based).
        attempt: u32,
    },
    /// The task completed.
    Completed {
        /// The finished task.
        task: Box<Task>,
    },
    /// The task failed (or ended with a terminal status of Reading R12).
    Failed {
        /// The task.
        task_id: TaskId,
        /// Its error code.
        code: ErrorCode,
        /// Its message.
        message: String,
    },
    /// A request waits for the account's request budget (announced once per request,
    /// when the wait is expected to last half a second or more).
    BudgetWait {
        /// Which budget: `requests` or `media`.
        budget: &'static str,
        /// Why (`all 30 slots of the account are in use`, a 429 pause…).
        reason: String,
        /// How long it waits at most before looking again.
        wait: Duration,
        /// The backend keeping the budget: `in-process`, `machine-wide (PATH)`,
        /// `redis (URL)` (a fallback says so).
        backend: String,
    },
    /// The shared budget changed backend (Redis unreachable: the machine-wide one at a
    /// conservative share; back again; the data dir not writable: in-process).
    BudgetNotice {
        /// What happened, for people.
        message: String,
    },
    /// Download progress (throttled to about one event per MiB, plus the last one).
    DownloadProgress {
        /// The task whose output this is.
        task_id: TaskId,
        /// Where the file lands once complete (it is written beside it as `*.part`).
        path: PathBuf,
        /// Bytes on disk so far.
        bytes: u64,
        /// The full size, when known.
        total: Option<u64>,
    },
}

/// A progress callback.
pub(crate) type Callback = Arc<dyn Fn(&Event) + Send + Sync>;

/// Callback plus broadcast channel (clones share both).
#[derive(Clone)]
pub(crate) struct EventBus {
    callbacks: Vec<Callback>,
    tx: broadcast::Sender<Event>,
}

impl std::fmt::Debug for EventBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventBus")
            .field("callbacks", &self.callbacks.len())
            .field("subscribers", &self.tx.receiver_count())
            .finish()
    }
}

impl EventBus {
    pub(crate) fn new(callbacks: Vec<Callback>) -> Self {
        let (tx, _) = broadcast::channel(1024);
        EventBus { callbacks, tx }
    }

    pub(crate) fn emit(&self, event: Event) {
        for cb in &self.callbacks {
            cb(&event);
        }
        if self.tx.receiver_count() > 0 {
            let _ = self.tx.send(event);
        }
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }
}
