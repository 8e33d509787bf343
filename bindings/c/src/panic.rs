//! The panic boundary every export runs inside, and the argument helpers that report
//! NULL pointers and invalid UTF-8 instead of dereferencing them.

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{fail_with, seedance_result, LastError};

/// What an export returns when it panicked or could not run (a NULL handle for an
/// accessor): `SEEDANCE_RESULT_PANIC` for results, a neutral value (NULL, 0, false)
/// otherwise.
pub(crate) trait PanicValue {
    /// The value.
    fn panic_value() -> Self;
}

impl PanicValue for seedance_result {
    fn panic_value() -> Self {
        seedance_result::Panic
    }
}
impl<T> PanicValue for *const T {
    fn panic_value() -> Self {
        std::ptr::null()
    }
}
impl<T> PanicValue for *mut T {
    fn panic_value() -> Self {
        std::ptr::null_mut()
    }
}
macro_rules! zero_on_panic {
    ($($t:ty),*) => { $(impl PanicValue for $t { fn panic_value() -> Self { Default::default() } })* };
}
zero_on_panic!((), bool, u16, u32, u64, usize);

/// Runs `f`, turning a panic into [`PanicValue::panic_value`] (and a last error naming
/// the panic). No unwind ever crosses into C.
pub(crate) fn boundary<T: PanicValue>(f: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            // Dropping the payload may itself panic: keep it from unwinding.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            let _ = catch_unwind(|| {
                crate::error::fail(LastError::new(
                    seedance_result::Panic,
                    format!("the seedance library panicked (a bug; please report it): {what}"),
                ))
            });
            T::panic_value()
        }
    }
}

/// Like [`boundary`] for calls returning a result: clears the last error first and
/// turns `Err(r)` into `r`.
pub(crate) fn call(f: impl FnOnce() -> Result<(), seedance_result>) -> seedance_result {
    boundary(|| {
        crate::error::clear();
        match f() {
            Ok(()) => seedance_result::Ok,
            Err(r) => r,
        }
    })
}

/// A value an export hands to the caller through a `T **out` out-pointer: a handle of
/// this library (boxed; freed by its `*_free`) or a string (`seedance_string_free`).
pub(crate) trait Give {
    /// What `*out` points at.
    type Ptr;
    /// Writes `self` through the checked out-pointer.
    fn give_to(self, out: *mut *mut Self::Ptr);
}

impl Give for String {
    type Ptr = c_char;
    fn give_to(self, out: *mut *mut c_char) {
        give_string(out, self);
    }
}

/// Handles given out boxed, freed by `take`.
macro_rules! handles {
    ($($t:ty),+) => {$(
        impl crate::panic::Give for $t {
            type Ptr = $t;
            fn give_to(self, out: *mut *mut $t) {
                crate::panic::give(out, self);
            }
        }
    )+};
}
pub(crate) use handles;

/// The shape of every export that makes one value: inside [`call`] (panic boundary,
/// last error cleared), `out` checked and set to NULL first (so it is NULL on every
/// failure), then `f`, whose value goes into `*out` on success.
pub(crate) fn returning<T: Give>(
    out: *mut *mut T::Ptr,
    f: impl FnOnce() -> Result<T, seedance_result>,
) -> seedance_result {
    call(|| {
        out_ptr(out, "out")?;
        f()?.give_to(out);
        Ok(())
    })
}

/// The shape of every accessor: inside [`boundary`], `f` of the handle, or the neutral
/// value ([`PanicValue`]: NULL, 0, false) when `handle` is NULL.
pub(crate) fn read<H, T: PanicValue>(handle: *const H, f: impl FnOnce(&H) -> T) -> T {
    boundary(|| {
        // SAFETY: NULL or a handle of this library, valid until its `*_free`.
        match unsafe { handle.as_ref() } {
            Some(h) => f(h),
            None => T::panic_value(),
        }
    })
}

/// A required JSON argument, parsed (`SEEDANCE_RESULT_INVALID_ARGUMENT` when it is not
/// JSON of that shape; `what` names the shape in the message).
pub(crate) fn arg_json<T: serde::de::DeserializeOwned>(
    ptr: *const c_char,
    name: &str,
    what: &str,
) -> Result<T, seedance_result> {
    serde_json::from_str(arg_str(ptr, name)?).map_err(|e| {
        fail_with(
            seedance_result::InvalidArgument,
            format!("{name} is not {what}: {e}"),
        )
    })
}

/// Reports a NULL parameter.
pub(crate) fn null(name: &str) -> seedance_result {
    fail_with(
        seedance_result::NullParameter,
        format!("{name} must not be NULL"),
    )
}

/// A required NUL-terminated UTF-8 string argument.
pub(crate) fn arg_str<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, seedance_result> {
    opt_str(ptr, name)?.ok_or_else(|| null(name))
}

/// An optional string argument (NULL is `None`).
pub(crate) fn opt_str<'a>(
    ptr: *const c_char,
    name: &str,
) -> Result<Option<&'a str>, seedance_result> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller passes a NUL-terminated string that outlives the call.
    let s = unsafe { CStr::from_ptr(ptr) };
    s.to_str().map(Some).map_err(|e| {
        fail_with(
            seedance_result::InvalidUtf8,
            format!(
                "{name} is not valid UTF-8 (bad byte at offset {})",
                e.valid_up_to()
            ),
        )
    })
}

/// A required reference argument.
pub(crate) fn arg_ref<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, seedance_result> {
    // SAFETY: non-NULL pointers come from this library's constructors and are valid
    // until the matching `*_free`.
    unsafe { ptr.as_ref() }.ok_or_else(|| null(name))
}

/// A required mutable reference argument.
pub(crate) fn arg_mut<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T, seedance_result> {
    // SAFETY: as `arg_ref`; the caller does not share a handle it mutates.
    unsafe { ptr.as_mut() }.ok_or_else(|| null(name))
}

/// Checks an out-pointer and sets it to NULL (so that it is NULL on every failure).
pub(crate) fn out_ptr<T>(out: *mut *mut T, name: &str) -> Result<(), seedance_result> {
    if out.is_null() {
        return Err(null(name));
    }
    // SAFETY: non-NULL out-pointer from the caller.
    unsafe { *out = std::ptr::null_mut() };
    Ok(())
}

/// Writes a new handle through a checked out-pointer.
pub(crate) fn give<T>(out: *mut *mut T, value: T) {
    // SAFETY: `out` was checked by `out_ptr`.
    unsafe { *out = Box::into_raw(Box::new(value)) };
}

/// Frees a handle made by [`give`]; NULL is a no-op.
pub(crate) fn take<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: made by `Box::into_raw` in `give`, freed once by the caller.
        drop(unsafe { Box::from_raw(ptr) });
    }
}

/// A library-owned string for the caller (`seedance_string_free`). Text with a NUL
/// (never produced by this library) is cut there.
pub(crate) fn give_string(out: *mut *mut c_char, text: String) {
    let s = match std::ffi::CString::new(text) {
        Ok(s) => s,
        Err(e) => {
            let n = e.nul_position();
            let mut v = e.into_vec();
            v.truncate(n);
            std::ffi::CString::new(v).unwrap_or_default()
        }
    };
    // SAFETY: `out` was checked by `out_ptr`.
    unsafe { *out = s.into_raw() };
}

/// A `CString` from text that cannot contain NUL (cut at one if it does).
pub(crate) fn cstring(text: &str) -> std::ffi::CString {
    let bytes = text.split('\0').next().unwrap_or_default();
    std::ffi::CString::new(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An export that panics, built only into the tests: the same boundary every real
    /// export uses.
    #[no_mangle]
    extern "C" fn seedance_test_only_panic(out: *mut u32) -> seedance_result {
        call(|| {
            let v: Vec<u32> = Vec::new();
            let i = if out.is_null() { 3 } else { 7 };
            // an out-of-bounds index: a real panic, not a `panic!` written for the test
            #[allow(clippy::indexing_slicing)]
            let x = v[i];
            let _ = x;
            Ok(())
        })
    }

    #[test]
    fn a_panic_inside_an_export_becomes_seedance_result_panic() {
        let mut out = 0u32;
        assert_eq!(seedance_test_only_panic(&mut out), seedance_result::Panic);
        assert_eq!(
            crate::last_error::seedance_last_error_result(),
            seedance_result::Panic
        );
        let mut buf = [0 as c_char; 256];
        let mut n = 0usize;
        crate::last_error::seedance_last_error_message(buf.as_mut_ptr(), buf.len(), &mut n);
        // SAFETY: NUL-terminated by the call.
        let msg = unsafe { CStr::from_ptr(buf.as_ptr()) }
            .to_string_lossy()
            .into_owned();
        assert!(msg.contains("panicked"), "{msg}");
        assert!(msg.contains("index out of bounds"), "{msg}");
        // the library keeps working after a panic
        let mut s: *mut crate::seedance_request = std::ptr::null_mut();
        assert_eq!(
            crate::request::seedance_request_new(c"A paper boat drifting".as_ptr(), &mut s),
            seedance_result::Ok
        );
        crate::request::seedance_request_free(s);
    }

    #[test]
    fn null_and_bad_utf8_are_reported_not_dereferenced() {
        assert_eq!(
            arg_str(std::ptr::null(), "prompt"),
            Err(seedance_result::NullParameter)
        );
        let bad = [b'a', 0xff, 0];
        assert_eq!(
            arg_str(bad.as_ptr().cast(), "prompt"),
            Err(seedance_result::InvalidUtf8)
        );
    }

    #[test]
    fn panic_unwinds_in_every_profile() {
        // `cfg(panic = "abort")` is refused at compile time (lib.rs); this checks the
        // workspace does not ask for it either.
        let manifest = include_str!("../../../Cargo.toml");
        assert!(
            !manifest.contains("\"abort\""),
            "a profile sets panic = \"abort\""
        );
    }
}
