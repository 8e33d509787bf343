//! Progress events for C: `seedance_event` and the per-call callback.

use std::ffi::{c_char, c_void, CString};
use std::time::Duration;

use seedance_http::Event;

use crate::panic::cstring;

/// What a `seedance_event` reports.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum seedance_event_kind {
    /// The submit was accepted: `task_id`, `credits_used`.
    Submitted = 1,
    /// A poll found the task still running: `status`, `count` (polls so far),
    /// `delay_ms` (until the next poll).
    Waiting = 2,
    /// A request failed and will be retried: `message` (why), `count` (retry number),
    /// `delay_ms`.
    RetryScheduled = 3,
    /// The task completed.
    Completed = 4,
    /// The task failed: `status` (its error code), `message`.
    Failed = 5,
    /// Download progress: `message` (the file), `bytes`, `total` (0 when unknown).
    DownloadProgress = 6,
}

/// One progress event, valid only during the callback (copy what you keep).
#[repr(C)]
#[derive(Debug)]
pub struct seedance_event {
    /// What happened.
    pub kind: seedance_event_kind,
    /// The task, or NULL when not known yet.
    pub task_id: *const c_char,
    /// The status (`WAITING`) or the error code (`FAILED`); else NULL.
    pub status: *const c_char,
    /// The retry reason, the failure message or the downloaded file; else NULL.
    pub message: *const c_char,
    /// Polls so far (`WAITING`) or the retry number (`RETRY_SCHEDULED`); else 0.
    pub count: u32,
    /// Milliseconds until the next poll or retry; else 0.
    pub delay_ms: u64,
    /// Bytes on disk (`DOWNLOAD_PROGRESS`); else 0.
    pub bytes: u64,
    /// The full size when known (`DOWNLOAD_PROGRESS`); else 0.
    pub total: u64,
    /// Credits charged (`SUBMITTED`, when the API said); else 0.
    pub credits_used: u64,
    /// Milliseconds since the call started.
    pub elapsed_ms: u64,
}

/// A progress callback: called on the thread that made the call, with the
/// `user_data` given beside it. Keep it quick; it must not call back into the same
/// client call.
pub type seedance_progress_callback =
    Option<extern "C" fn(user_data: *mut c_void, event: *const seedance_event)>;

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The strings an event points at, kept alive during the callback.
pub(crate) struct Owned {
    task_id: Option<CString>,
    status: Option<CString>,
    message: Option<CString>,
}

/// Builds the C event for `e` (None for events this version does not report).
pub(crate) fn convert(e: &Event, elapsed: Duration) -> Option<(Owned, seedance_event)> {
    let mut owned = Owned {
        task_id: None,
        status: None,
        message: None,
    };
    let mut ev = seedance_event {
        kind: seedance_event_kind::Completed,
        task_id: std::ptr::null(),
        status: std::ptr::null(),
        message: std::ptr::null(),
        count: 0,
        delay_ms: 0,
        bytes: 0,
        total: 0,
        credits_used: 0,
        elapsed_ms: ms(elapsed),
    };
    match e {
        Event::Submitted {
            task_id,
            credits_used,
            ..
        } => {
            ev.kind = seedance_event_kind::Submitted;
            owned.task_id = Some(cstring(task_id.as_str()));
            ev.credits_used = credits_used.unwrap_or(0);
        }
        Event::Waiting {
            task_id,
            status,
            polls,
            next_poll_in,
        } => {
            ev.kind = seedance_event_kind::Waiting;
            owned.task_id = Some(cstring(task_id.as_str()));
            owned.status = Some(cstring(status.as_str()));
            ev.count = *polls;
            ev.delay_ms = ms(*next_poll_in);
        }
        Event::RetryScheduled {
            task_id,
            reason,
            delay,
            attempt,
            ..
        } => {
            ev.kind = seedance_event_kind::RetryScheduled;
            owned.task_id = task_id.as_ref().map(|t| cstring(t.as_str()));
            owned.message = Some(cstring(reason));
            ev.count = *attempt;
            ev.delay_ms = ms(*delay);
        }
        Event::Completed { task } => {
            ev.kind = seedance_event_kind::Completed;
            owned.task_id = Some(cstring(task.id.as_str()));
        }
        Event::Failed {
            task_id,
            code,
            message,
        } => {
            ev.kind = seedance_event_kind::Failed;
            owned.task_id = Some(cstring(task_id.as_str()));
            owned.status = Some(cstring(code.as_str()));
            owned.message = Some(cstring(message));
        }
        Event::DownloadProgress {
            task_id,
            path,
            bytes,
            total,
        } => {
            ev.kind = seedance_event_kind::DownloadProgress;
            owned.task_id = Some(cstring(task_id.as_str()));
            owned.message = Some(cstring(&path.to_string_lossy()));
            ev.bytes = *bytes;
            ev.total = total.unwrap_or(0);
        }
        _ => return None,
    }
    let p = |s: &Option<CString>| s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr());
    ev.task_id = p(&owned.task_id);
    ev.status = p(&owned.status);
    ev.message = p(&owned.message);
    Some((owned, ev))
}

/// The task id an event is about, if any.
pub(crate) fn event_task_id(e: &Event) -> Option<&str> {
    match e {
        Event::Submitted { task_id, .. }
        | Event::Waiting { task_id, .. }
        | Event::Failed { task_id, .. }
        | Event::DownloadProgress { task_id, .. } => Some(task_id.as_str()),
        Event::Completed { task } => Some(task.id.as_str()),
        Event::RetryScheduled { task_id, .. } => task_id.as_ref().map(|t| t.as_str()),
        _ => None,
    }
}
