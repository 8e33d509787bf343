//! `seedance_emulator`: the embedded emulator (API + CDN on loopback) for offline tests.

use std::ffi::{c_char, CString};
use std::sync::Mutex;

use ::seedance_emulator as emulator_crate;
use emulator_crate::{Emulator, TimeScale};
use tokio::runtime::Runtime;

use crate::error::{fail_with, seedance_result};
use crate::panic::{arg_json, arg_ref, arg_str, boundary, call, cstring, read, returning};

/// The embedded emulator's time scale when `time_scale` is 0.
const DEFAULT_EMULATOR_TIME_SCALE: f64 = 1000.0;

/// Settings of an embedded emulator. All-zero means every default.
#[repr(C)]
#[derive(Debug, Default)]
pub struct seedance_emulator_options {
    /// Divides simulated render times (0: 1000, a 105 s render in about 0.1 s).
    pub time_scale: f64,
    /// Turns the emulated account-wide limit (30 per 60 s) off.
    pub no_rate_limit: bool,
    /// Turns the emulated reference-media limit (3 per 60 s) off.
    pub no_media_rate_limit: bool,
}

/// A running emulator: the API and its CDN on `127.0.0.1`, random ports, with test
/// accounts (`seedance_emulator_api_key`, `_revoked_key`, `_no_credits_key`). Thread-safe.
/// Its `const char *` accessors belong to it until `seedance_emulator_free`.
pub struct seedance_emulator {
    emu: Mutex<Option<Emulator>>,
    rt: Option<Runtime>,
    base_url: CString,
    cdn_url: CString,
}

impl Drop for seedance_emulator {
    fn drop(&mut self) {
        let emu = self.emu.get_mut().ok().and_then(Option::take);
        if let Some(rt) = self.rt.take() {
            if let Some(emu) = emu {
                rt.block_on(emu.shutdown());
            }
            rt.shutdown_timeout(std::time::Duration::from_secs(5));
        }
    }
}

crate::panic::handles!(seedance_emulator);

impl seedance_emulator {
    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Option<Emulator>>, seedance_result> {
        self.emu
            .lock()
            .map_err(|_| fail_with(seedance_result::Panic, "the emulator's lock is poisoned"))
    }

    /// `f` of the running emulator (`SEEDANCE_RESULT_INVALID_ARGUMENT` once stopped).
    fn with<T>(&self, f: impl FnOnce(&Emulator) -> T) -> Result<T, seedance_result> {
        match self.lock()?.as_ref() {
            Some(e) => Ok(f(e)),
            None => Err(fail_with(
                seedance_result::InvalidArgument,
                "the emulator is stopped",
            )),
        }
    }
}

/// Starts an emulator (`options` may be NULL: every default) into `*out`; stop and free
/// it with `seedance_emulator_free`.
#[no_mangle]
pub extern "C" fn seedance_emulator_start(
    options: *const seedance_emulator_options,
    out: *mut *mut seedance_emulator,
) -> seedance_result {
    returning(out, || {
        let default = seedance_emulator_options::default();
        // SAFETY: NULL or a caller-owned struct.
        let o = unsafe { options.as_ref() }.unwrap_or(&default);
        let scale = if o.time_scale == 0.0 {
            DEFAULT_EMULATOR_TIME_SCALE
        } else {
            o.time_scale
        };
        let scale = TimeScale::checked("time_scale", scale)
            .map_err(|e| fail_with(seedance_result::InvalidArgument, e.to_string()))?;
        let mut b = Emulator::builder().time_scale(scale);
        if o.no_rate_limit {
            b = b.no_rate_limit();
        }
        if o.no_media_rate_limit {
            b = b.no_media_rate_limit();
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("seedance-emulator")
            .enable_all()
            .build()
            .map_err(|e| fail_with(seedance_result::Io, format!("no runtime: {e}")))?;
        let emu = rt.block_on(b.start()).map_err(|e| {
            fail_with(
                seedance_result::Io,
                format!("the emulator did not start: {e}"),
            )
        })?;
        Ok(seedance_emulator {
            base_url: cstring(&emu.base_url()),
            cdn_url: cstring(&emu.cdn_url()),
            emu: Mutex::new(Some(emu)),
            rt: Some(rt),
        })
    })
}

/// Stops the listeners (idempotent); the handle stays valid until
/// `seedance_emulator_free`, and its other calls then give
/// `SEEDANCE_RESULT_INVALID_ARGUMENT`.
#[no_mangle]
pub extern "C" fn seedance_emulator_stop(emulator: *const seedance_emulator) -> seedance_result {
    call(|| {
        let e = arg_ref(emulator, "emulator")?;
        let emu = e.lock()?.take();
        if let (Some(emu), Some(rt)) = (emu, e.rt.as_ref()) {
            rt.block_on(emu.shutdown());
        }
        Ok(())
    })
}

/// Stops (if running) and frees an emulator. NULL is a no-op.
#[no_mangle]
pub extern "C" fn seedance_emulator_free(emulator: *mut seedance_emulator) {
    boundary(|| crate::panic::take(emulator))
}

fn text(
    emulator: *const seedance_emulator,
    f: impl FnOnce(&seedance_emulator) -> *const c_char,
) -> *const c_char {
    read(emulator, f)
}

/// The API origin (`http://127.0.0.1:PORT`), for `seedance_client_options.base_url`.
#[no_mangle]
pub extern "C" fn seedance_emulator_base_url(emulator: *const seedance_emulator) -> *const c_char {
    text(emulator, |e| e.base_url.as_ptr())
}

/// The CDN origin that serves the outputs.
#[no_mangle]
pub extern "C" fn seedance_emulator_cdn_url(emulator: *const seedance_emulator) -> *const c_char {
    text(emulator, |e| e.cdn_url.as_ptr())
}

fn constant(s: &'static str) -> &'static std::ffi::CStr {
    // the emulator's constants are static ASCII; keep one NUL-terminated copy each
    static CACHE: Mutex<Vec<(&'static str, &'static std::ffi::CStr)>> = Mutex::new(Vec::new());
    let mut g = match CACHE.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    if let Some((_, c)) = g.iter().find(|(k, _)| *k == s) {
        return c;
    }
    let c: &'static std::ffi::CStr = Box::leak(cstring(s).into_boxed_c_str());
    g.push((s, c));
    c
}

/// The test key of the default account (with credits).
#[no_mangle]
pub extern "C" fn seedance_emulator_api_key(emulator: *const seedance_emulator) -> *const c_char {
    text(emulator, |_| {
        constant(emulator_crate::DEFAULT_TEST_KEY).as_ptr()
    })
}

/// A revoked key (`SEEDANCE_RESULT_UNAUTHORIZED`).
#[no_mangle]
pub extern "C" fn seedance_emulator_revoked_key(
    emulator: *const seedance_emulator,
) -> *const c_char {
    text(emulator, |_| {
        constant(emulator_crate::REVOKED_TEST_KEY).as_ptr()
    })
}

/// The key of an account without credits (`SEEDANCE_RESULT_INSUFFICIENT_CREDITS`).
#[no_mangle]
pub extern "C" fn seedance_emulator_no_credits_key(
    emulator: *const seedance_emulator,
) -> *const c_char {
    text(emulator, |_| {
        constant(emulator_crate::NO_CREDITS_TEST_KEY).as_ptr()
    })
}

/// Text that makes a task fail when it is in the prompt (credits refunded).
#[no_mangle]
pub extern "C" fn seedance_emulator_failure_marker(
    emulator: *const seedance_emulator,
) -> *const c_char {
    text(emulator, |_| {
        constant(emulator_crate::DEFAULT_FAILURE_MARKER).as_ptr()
    })
}

/// Injects faults given in the emulator's JSON form (one object or an array, e.g.
/// `{"kind":"drop_after","endpoint":"submit"}`).
#[no_mangle]
pub extern "C" fn seedance_emulator_inject(
    emulator: *const seedance_emulator,
    json: *const c_char,
) -> seedance_result {
    call(|| {
        let e = arg_ref(emulator, "emulator")?;
        let v: serde_json::Value = arg_json(json, "json", "JSON")?;
        e.with(|emu| emu.inject_json(&v))?
            .map(|_| ())
            .map_err(|x| fail_with(seedance_result::InvalidArgument, x.to_string()))
    })
}

/// Changes runtime settings (JSON object; names as the emulator's `/_emulator/config`).
#[no_mangle]
pub extern "C" fn seedance_emulator_configure(
    emulator: *const seedance_emulator,
    json: *const c_char,
) -> seedance_result {
    call(|| {
        let e = arg_ref(emulator, "emulator")?;
        let v: serde_json::Value = arg_json(json, "json", "JSON")?;
        e.with(|emu| emu.configure_json(&v))?
            .map(|_| ())
            .map_err(|x| fail_with(seedance_result::InvalidArgument, x.to_string()))
    })
}

/// The counters of the default test account plus the CDN's, as a JSON object into
/// `*out` (free it with `seedance_string_free`): `submits`, `tasks_created`,
/// `credits_charged`, `cdn_auth_headers_seen`…
#[no_mangle]
pub extern "C" fn seedance_emulator_stats(
    emulator: *const seedance_emulator,
    out: *mut *mut c_char,
) -> seedance_result {
    returning(out, || {
        let stats = arg_ref(emulator, "emulator")?.with(|emu| emu.stats())?;
        serde_json::to_string(&stats)
            .map_err(|x| fail_with(seedance_result::Unknown, x.to_string()))
    })
}

/// One counter of `seedance_emulator_stats` by name into `*value`;
/// `SEEDANCE_RESULT_INVALID_ARGUMENT` for a name it does not have.
#[no_mangle]
pub extern "C" fn seedance_emulator_stat(
    emulator: *const seedance_emulator,
    name: *const c_char,
    value: *mut u64,
) -> seedance_result {
    call(|| {
        if value.is_null() {
            return Err(crate::panic::null("value"));
        }
        let e = arg_ref(emulator, "emulator")?;
        let name = arg_str(name, "name")?;
        let stats = serde_json::to_value(e.with(|emu| emu.stats())?)
            .map_err(|x| fail_with(seedance_result::Unknown, x.to_string()))?;
        let n = stats
            .get(name)
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| {
                fail_with(
                    seedance_result::InvalidArgument,
                    format!("no counter {name:?}"),
                )
            })?;
        // SAFETY: non-NULL out-pointer from the caller.
        unsafe { *value = n };
        Ok(())
    })
}
