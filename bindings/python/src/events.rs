//! `seedance.ProgressEvent`: what `on_progress` callbacks receive.

use std::time::Duration;

use pyo3::prelude::*;
use seedance_http::Event;

use crate::convert::repr_str;
use crate::task::PyTask;

/// One step of a job's progress, given to ``on_progress`` callbacks.
///
/// ``kind`` is one of ``submitted``, ``waiting``, ``retry_scheduled``, ``completed``,
/// ``failed``, ``download_progress``, ``budget_wait`` (a request waits for the account's
/// shared request budget), ``budget_notice`` (the budget changed backend) — new kinds may
/// be added; the other attributes are set when they apply to that kind and ``None``
/// otherwise.
#[pyclass(module = "seedance", name = "ProgressEvent", frozen)]
pub struct PyProgressEvent {
    /// What happened.
    #[pyo3(get)]
    kind: &'static str,
    /// The task concerned.
    #[pyo3(get)]
    task_id: Option<String>,
    /// The task's status at this point.
    #[pyo3(get)]
    status: Option<String>,
    /// Polls made so far (``waiting``).
    #[pyo3(get)]
    polls: Option<u32>,
    /// Seconds until the next poll (``waiting``), retry (``retry_scheduled``) or look at
    /// the budget (``budget_wait``).
    #[pyo3(get)]
    next_in_secs: Option<f64>,
    /// Seconds since this call started.
    #[pyo3(get)]
    elapsed_secs: Option<f64>,
    /// The expected render time in seconds, when known.
    #[pyo3(get)]
    expected_secs: Option<f64>,
    /// Credits charged (``submitted``).
    #[pyo3(get)]
    credits_used: Option<u64>,
    /// Error code (``failed``).
    #[pyo3(get)]
    code: Option<String>,
    /// Why (``failed``, ``retry_scheduled``, ``budget_wait``), or what happened
    /// (``budget_notice``).
    #[pyo3(get)]
    message: Option<String>,
    /// Retry attempt number (``retry_scheduled``).
    #[pyo3(get)]
    attempt: Option<u32>,
    /// Bytes written so far (``download_progress``).
    #[pyo3(get)]
    bytes: Option<u64>,
    /// Total bytes, when the CDN said (``download_progress``).
    #[pyo3(get)]
    total_bytes: Option<u64>,
    /// On ``download_progress``: the file being written (its final name).
    #[pyo3(get)]
    path: Option<String>,
    /// On ``budget_wait``: which budget, ``requests`` or ``media`` (reference media).
    #[pyo3(get)]
    budget: Option<&'static str>,
    /// On ``budget_wait``: the backend keeping it (``in-process``, ``machine-wide (PATH)``,
    /// ``redis (URL)``; a fallback says so).
    #[pyo3(get)]
    backend: Option<String>,
    task: Option<Py<PyTask>>,
}

impl PyProgressEvent {
    fn empty(kind: &'static str) -> Self {
        PyProgressEvent {
            kind,
            task_id: None,
            status: None,
            polls: None,
            next_in_secs: None,
            elapsed_secs: None,
            expected_secs: None,
            credits_used: None,
            code: None,
            message: None,
            attempt: None,
            bytes: None,
            total_bytes: None,
            path: None,
            budget: None,
            backend: None,
            task: None,
        }
    }

    /// The Python view of `event`; `elapsed` since the call began, `expected` render time.
    pub(crate) fn from_event(
        py: Python<'_>,
        event: &Event,
        elapsed: Duration,
        expected: Option<Duration>,
    ) -> PyResult<Self> {
        let mut e = match event {
            Event::Submitted {
                task_id,
                credits_used,
                ..
            } => PyProgressEvent {
                task_id: Some(task_id.to_string()),
                status: Some("processing".to_owned()),
                credits_used: *credits_used,
                ..Self::empty("submitted")
            },
            Event::Waiting {
                task_id,
                status,
                polls,
                next_poll_in,
                ..
            } => PyProgressEvent {
                task_id: Some(task_id.to_string()),
                status: Some(status.as_str().to_owned()),
                polls: Some(*polls),
                next_in_secs: Some(next_poll_in.as_secs_f64()),
                ..Self::empty("waiting")
            },
            Event::RetryScheduled {
                task_id,
                reason,
                delay,
                attempt,
                ..
            } => PyProgressEvent {
                task_id: task_id.as_ref().map(ToString::to_string),
                message: Some(reason.clone()),
                next_in_secs: Some(delay.as_secs_f64()),
                attempt: Some(*attempt),
                ..Self::empty("retry_scheduled")
            },
            Event::Completed { task, .. } => PyProgressEvent {
                task_id: Some(task.id.to_string()),
                status: Some(task.status.as_str().to_owned()),
                task: Some(Py::new(py, PyTask::new((**task).clone()))?),
                ..Self::empty("completed")
            },
            Event::Failed {
                task_id,
                code,
                message,
                ..
            } => PyProgressEvent {
                task_id: Some(task_id.to_string()),
                status: Some("failed".to_owned()),
                code: Some(code.as_str().to_owned()),
                message: Some(message.clone()),
                ..Self::empty("failed")
            },
            Event::DownloadProgress {
                task_id,
                bytes,
                total,
                path,
                ..
            } => PyProgressEvent {
                task_id: Some(task_id.to_string()),
                bytes: Some(*bytes),
                total_bytes: *total,
                path: Some(path.to_string_lossy().into_owned()),
                ..Self::empty("download_progress")
            },
            Event::BudgetWait {
                budget,
                reason,
                wait,
                backend,
                ..
            } => PyProgressEvent {
                budget: Some(budget),
                backend: Some(backend.clone()),
                message: Some(reason.clone()),
                next_in_secs: Some(wait.as_secs_f64()),
                ..Self::empty("budget_wait")
            },
            Event::BudgetNotice { message, .. } => PyProgressEvent {
                message: Some(message.clone()),
                ..Self::empty("budget_notice")
            },
            _ => Self::empty("other"),
        };
        e.elapsed_secs = Some(elapsed.as_secs_f64());
        e.expected_secs = expected.map(|d| d.as_secs_f64());
        Ok(e)
    }
}

/// The task an event is about, if any (to keep only a call's own events).
pub(crate) fn event_task_id(event: &Event) -> Option<&str> {
    match event {
        Event::Submitted { task_id, .. }
        | Event::Waiting { task_id, .. }
        | Event::Failed { task_id, .. } => Some(task_id.as_str()),
        Event::RetryScheduled { task_id, .. } => task_id.as_ref().map(|t| t.as_str()),
        Event::Completed { task } => Some(task.id.as_str()),
        Event::DownloadProgress { task_id, .. } => Some(task_id.as_str()),
        _ => None,
    }
}

#[pymethods]
impl PyProgressEvent {
    /// The task, on ``completed``.
    #[getter]
    fn task(&self, py: Python<'_>) -> Option<Py<PyTask>> {
        self.task.as_ref().map(|t| t.clone_ref(py))
    }

    fn __repr__(&self) -> String {
        let mut parts = vec![format!("kind={}", repr_str(self.kind))];
        if let Some(t) = &self.task_id {
            parts.push(format!("task_id={}", repr_str(t)));
        }
        if let Some(s) = &self.status {
            parts.push(format!("status={}", repr_str(s)));
        }
        if let Some(p) = self.polls {
            parts.push(format!("polls={p}"));
        }
        if let Some(b) = self.bytes {
            parts.push(format!("bytes={b}"));
        }
        if let Some(b) = self.budget {
            parts.push(format!("budget={}", repr_str(b)));
        }
        if let Some(b) = &self.backend {
            parts.push(format!("backend={}", repr_str(b)));
        }
        if let Some(n) = self.next_in_secs.filter(|_| self.kind == "budget_wait") {
            parts.push(format!("next_in_secs={n:.3}"));
        }
        if let Some(e) = self.elapsed_secs {
            parts.push(format!("elapsed_secs={e:.3}"));
        }
        format!("ProgressEvent({})", parts.join(", "))
    }
}
