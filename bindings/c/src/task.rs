//! `seedance_task`: an immutable task snapshot and its accessors.

use std::ffi::{c_char, CString};
use std::path::Path;

use seedance_core::Task;

use crate::panic::{boundary, cstring, read, take};

/// A task as the API last reported it (immutable; safe to read from any thread). Its
/// `const char *` accessors return strings owned by the task, valid until
/// `seedance_task_free`; NULL when the field is absent.
pub struct seedance_task {
    pub(crate) task: Task,
    id: CString,
    status: CString,
    video_url: Option<CString>,
    last_frame_url: Option<CString>,
    error_code: Option<CString>,
    error_message: Option<CString>,
    json: CString,
    video_path: Option<CString>,
    last_frame_path: Option<CString>,
}

impl seedance_task {
    /// Wraps a task; `downloaded` names the local files when the call downloaded them.
    pub(crate) fn new(task: Task, video: Option<&Path>, last_frame: Option<&Path>) -> Self {
        let json = match &task.raw {
            Some(raw) => raw.to_string(),
            None => serde_json::to_string(&task).unwrap_or_default(),
        };
        let path = |p: Option<&Path>| p.map(|p| cstring(&p.to_string_lossy()));
        seedance_task {
            id: cstring(task.id.as_str()),
            status: cstring(task.status.as_str()),
            video_url: task.video_url().map(cstring),
            last_frame_url: task.last_frame_url().map(cstring),
            error_code: task.error.as_ref().map(|e| cstring(e.code.as_str())),
            error_message: task.error.as_ref().map(|e| cstring(&e.message)),
            json: cstring(&json),
            video_path: path(video),
            last_frame_path: path(last_frame),
            task,
        }
    }
}

crate::panic::handles!(seedance_task);

fn opt(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
}

/// The task id (`sd2_…`); NULL only when `task` is NULL.
#[no_mangle]
pub extern "C" fn seedance_task_id(task: *const seedance_task) -> *const c_char {
    read(task, |t| t.id.as_ptr())
}

/// The status (`pending`, `processing`, `completed`, `failed`, or another the API sent).
#[no_mangle]
pub extern "C" fn seedance_task_status(task: *const seedance_task) -> *const c_char {
    read(task, |t| t.status.as_ptr())
}

/// Whether the status is terminal (the task will not change any more).
#[no_mangle]
pub extern "C" fn seedance_task_is_terminal(task: *const seedance_task) -> bool {
    read(task, |t| t.task.status.is_terminal())
}

/// The video URL (completed tasks); NULL otherwise.
#[no_mangle]
pub extern "C" fn seedance_task_video_url(task: *const seedance_task) -> *const c_char {
    read(task, |t| opt(&t.video_url))
}

/// The last-frame URL (completed tasks that have one); NULL otherwise.
#[no_mangle]
pub extern "C" fn seedance_task_last_frame_url(task: *const seedance_task) -> *const c_char {
    read(task, |t| opt(&t.last_frame_url))
}

/// The error code of a failed task (`internal_error`…); NULL otherwise.
#[no_mangle]
pub extern "C" fn seedance_task_error_code(task: *const seedance_task) -> *const c_char {
    read(task, |t| opt(&t.error_code))
}

/// The error message of a failed task; NULL otherwise.
#[no_mangle]
pub extern "C" fn seedance_task_error_message(task: *const seedance_task) -> *const c_char {
    read(task, |t| opt(&t.error_message))
}

/// The task object as the API sent it (JSON, unknown fields included).
#[no_mangle]
pub extern "C" fn seedance_task_json(task: *const seedance_task) -> *const c_char {
    read(task, |t| t.json.as_ptr())
}

/// The local video file, when the call that returned this task downloaded it
/// (`seedance_generate` with a download directory); NULL otherwise.
#[no_mangle]
pub extern "C" fn seedance_task_video_path(task: *const seedance_task) -> *const c_char {
    read(task, |t| opt(&t.video_path))
}

/// The local last-frame file, when downloaded with the video; NULL otherwise.
#[no_mangle]
pub extern "C" fn seedance_task_last_frame_path(task: *const seedance_task) -> *const c_char {
    read(task, |t| opt(&t.last_frame_path))
}

fn credits(
    task: *const seedance_task,
    out: *mut u64,
    f: impl FnOnce(&Task) -> Option<u64>,
) -> bool {
    read(task, |t| match f(&t.task) {
        Some(n) => {
            if !out.is_null() {
                // SAFETY: non-NULL out-pointer from the caller.
                unsafe { *out = n };
            }
            true
        }
        None => false,
    })
}

/// Credits charged at submit: stores them in `*out` (when not NULL) and returns true,
/// or returns false when the API did not say.
#[no_mangle]
pub extern "C" fn seedance_task_credits_used(task: *const seedance_task, out: *mut u64) -> bool {
    credits(task, out, |t| t.credits_used)
}

/// Credits given back (failed tasks): as `seedance_task_credits_used`.
#[no_mangle]
pub extern "C" fn seedance_task_credits_refunded(
    task: *const seedance_task,
    out: *mut u64,
) -> bool {
    credits(task, out, |t| t.credits_refunded)
}

/// Frees a task. NULL is a no-op.
#[no_mangle]
pub extern "C" fn seedance_task_free(task: *mut seedance_task) {
    boundary(|| take(task))
}
