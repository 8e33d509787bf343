//! The exports that read the calling thread's last error (`seedance_last_error_*`) and
//! name results (`seedance_result_name`), each inside the panic boundary. The error
//! types and the per-thread store are in `error`, below the boundary.

use std::ffi::c_char;

use crate::error::{copy_out, seedance_result, with_last, Detail};
use crate::panic::boundary;

/// The name of a result as in the header (`"SEEDANCE_RESULT_TASK_FAILED"`); a static
/// string the caller must not free. An unknown number gives `"SEEDANCE_RESULT_UNKNOWN"`.
#[no_mangle]
pub extern "C" fn seedance_result_name(result: u32) -> *const c_char {
    boundary(|| {
        seedance_result::ALL
            .iter()
            .find(|r| **r as u32 == result)
            .copied()
            .unwrap_or(seedance_result::Unknown)
            .name()
            .as_ptr()
    })
}

/// The result of this thread's last failed call (`SEEDANCE_RESULT_OK` when the last call
/// succeeded or none failed yet).
#[no_mangle]
pub extern "C" fn seedance_last_error_result() -> seedance_result {
    boundary(|| with_last(|e| e.map_or(seedance_result::Ok, |e| e.result)))
}

/// Copies the full message of this thread's last error (empty when there is none) into
/// `buf` (`len` bytes, NUL-terminated); `*written` (may be NULL) gets the bytes copied.
/// Returns `SEEDANCE_RESULT_BUFFER_TOO_SMALL` when truncated, with `*written` set to the
/// length needed; `buf` NULL and `len` 0 asks only for that length. The API key never
/// appears in it. Reading the last error does not clear it.
#[no_mangle]
pub extern "C" fn seedance_last_error_message(
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> seedance_result {
    boundary(|| {
        let text = with_last(|e| e.map(|e| e.message.clone()).unwrap_or_default());
        copy_out(&text, buf, len, written)
    })
}

/// How many details (field + message, e.g. one per violated rule) the last error has.
#[no_mangle]
pub extern "C" fn seedance_last_error_detail_count() -> usize {
    boundary(|| with_last(|e| e.map_or(0, |e| e.details.len())))
}

/// Copies the field of detail `index` of the last error (`prompt`, `media_urls[2]`…);
/// as `seedance_last_error_message`. `SEEDANCE_RESULT_INVALID_ARGUMENT` past the end.
#[no_mangle]
pub extern "C" fn seedance_last_error_detail_field(
    index: usize,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> seedance_result {
    boundary(|| detail(index, |d| d.field.clone(), buf, len, written))
}

/// Copies the message of detail `index` of the last error; as
/// `seedance_last_error_message`. `SEEDANCE_RESULT_INVALID_ARGUMENT` past the end.
#[no_mangle]
pub extern "C" fn seedance_last_error_detail_message(
    index: usize,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> seedance_result {
    boundary(|| detail(index, |d| d.message.clone(), buf, len, written))
}

fn detail(
    index: usize,
    pick: impl Fn(&Detail) -> String,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> seedance_result {
    match with_last(|e| e.and_then(|e| e.details.get(index)).map(&pick)) {
        Some(text) => copy_out(&text, buf, len, written),
        // not recorded as the last error: that would replace the error being read
        None => seedance_result::InvalidArgument,
    }
}

/// Copies the task id of the last error (a failed task, a wait that timed out); empty
/// when it names no task. As `seedance_last_error_message`.
#[no_mangle]
pub extern "C" fn seedance_last_error_task_id(
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> seedance_result {
    boundary(|| {
        let text = with_last(|e| e.and_then(|e| e.task_id.clone()).unwrap_or_default());
        copy_out(&text, buf, len, written)
    })
}

/// Copies the finer kind of the last error, a short stable name: for
/// `SEEDANCE_RESULT_NETWORK` `connect`, `dns`, `tls`, `timeout`, `body`,
/// `body_too_large`, `redirect_refused`, `too_many_redirects`, `invalid_redirect`,
/// `poller_stopped` or `request`; for `SEEDANCE_RESULT_DOWNLOAD` `no_output`, `url`,
/// `file_name`, `status`, `range`, `content_type`, `too_large`, `incomplete`,
/// `interrupted` or `deadline`; for `SEEDANCE_RESULT_JOB_STORE` `database`,
/// `unreadable`, `encode` or `cannot_resume`; for `SEEDANCE_RESULT_PREFLIGHT` `url`,
/// `unreachable`, `status`, `content_type`, `too_large` or `range_unsupported` (a later
/// version may add names). Empty when the error has no finer kind (the other results)
/// or there is no last error. As `seedance_last_error_message`.
#[no_mangle]
pub extern "C" fn seedance_last_error_kind(
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> seedance_result {
    boundary(|| {
        let text = with_last(|e| e.and_then(|e| e.kind).unwrap_or_default());
        copy_out(text, buf, len, written)
    })
}

/// The HTTP status of the last error when it came from a response (401, 402…), else 0.
#[no_mangle]
pub extern "C" fn seedance_last_error_http_status() -> u16 {
    boundary(|| with_last(|e| e.map_or(0, |e| e.http_status)))
}
