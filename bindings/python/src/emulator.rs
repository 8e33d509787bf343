//! `seedance._seedance._Emulator`: the embedded `seedance_emulator` for Python tests.

use std::sync::Mutex;

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use seedance_emulator::{Account, ControlError, Emulator, FaultKind};
use seedance_http::RateLimitSetting;

use crate::convert::{json_to_py, py_to_json};
use crate::runtime::{block_on, runtime};
use crate::task::PyTask;

/// A running emulator (API + CDN listeners on 127.0.0.1, random ports).
#[pyclass(module = "seedance._seedance", name = "_Emulator", frozen)]
pub struct PyEmulator {
    emu: Mutex<Option<Emulator>>,
    base_url: String,
    cdn_url: String,
}

/// A limit argument as the client's three-way setting (`convert::rate_arg`); malformed
/// ones are `ValueError`s.
fn rate(v: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<RateLimitSetting> {
    crate::convert::rate_arg(v, name).map_err(PyValueError::new_err)
}

fn control_error(e: ControlError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

impl PyEmulator {
    fn with<T>(&self, f: impl FnOnce(&Emulator) -> T) -> PyResult<T> {
        let guard = self
            .emu
            .lock()
            .map_err(|_| PyRuntimeError::new_err("emulator lock poisoned"))?;
        match guard.as_ref() {
            Some(e) => Ok(f(e)),
            None => Err(PyRuntimeError::new_err("the emulator is shut down")),
        }
    }
}

#[pymethods]
impl PyEmulator {
    #[new]
    #[pyo3(signature = (*, time_scale=1000.0, rate_limit=None, media_rate_limit=None, accounts=None, credits=None))]
    fn py_new(
        py: Python<'_>,
        time_scale: f64,
        rate_limit: Option<Bound<'_, PyAny>>,
        media_rate_limit: Option<Bound<'_, PyAny>>,
        accounts: Option<Vec<(String, String, u64)>>,
        credits: Option<u64>,
    ) -> PyResult<Self> {
        let time_scale = seedance_core::rules::TimeScale::checked("time_scale", time_scale)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let mut b = Emulator::builder().time_scale(time_scale);
        // Default (and any setting added later): the emulator's own, the spec's limits.
        b = match rate(rate_limit.as_ref(), "rate_limit")? {
            RateLimitSetting::Custom(l) => b.rate_limit(l.requests, l.window),
            RateLimitSetting::Off => b.no_rate_limit(),
            _ => b,
        };
        b = match rate(media_rate_limit.as_ref(), "media_rate_limit")? {
            RateLimitSetting::Custom(l) => b.media_rate_limit(l.requests, l.window),
            RateLimitSetting::Off => b.no_media_rate_limit(),
            _ => b,
        };
        if let Some(c) = credits {
            b = b.default_credits(c);
        }
        for (id, key, credits) in accounts.unwrap_or_default() {
            b = b.account(Account::new(id).key(key).credits(credits));
        }
        let emu = block_on(py, async move { b.start().await }, |_| Ok(()))?
            .map_err(|e| PyRuntimeError::new_err(format!("emulator did not start: {e}")))?;
        Ok(PyEmulator {
            base_url: emu.base_url(),
            cdn_url: emu.cdn_url(),
            emu: Mutex::new(Some(emu)),
        })
    }

    /// The API origin (`http://127.0.0.1:PORT`).
    #[getter]
    fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The CDN origin serving outputs.
    #[getter]
    fn cdn_url(&self) -> &str {
        &self.cdn_url
    }

    /// The default test key.
    #[getter]
    fn api_key(&self) -> &'static str {
        seedance_emulator::DEFAULT_TEST_KEY
    }

    /// A second key of the default account.
    #[getter]
    fn second_key(&self) -> &'static str {
        seedance_emulator::DEFAULT_TEST_KEY_2
    }

    /// A revoked key (401 `unauthorized`).
    #[getter]
    fn revoked_key(&self) -> &'static str {
        seedance_emulator::REVOKED_TEST_KEY
    }

    /// The key of an account with no credits (402 `insufficient_credits`).
    #[getter]
    fn no_credits_key(&self) -> &'static str {
        seedance_emulator::NO_CREDITS_TEST_KEY
    }

    /// A prompt containing this makes the task fail (credits refunded).
    #[getter]
    fn failure_marker(&self) -> &'static str {
        seedance_emulator::DEFAULT_FAILURE_MARKER
    }

    /// A prompt containing this is refused by the content policy (400, no charge).
    #[getter]
    fn refusal_marker(&self) -> &'static str {
        seedance_emulator::DEFAULT_REFUSAL_MARKER
    }

    /// Counters of an account (default: the default test account); `total=True` sums
    /// every account plus requests with none.
    #[pyo3(signature = (account=None, *, total=false))]
    fn stats<'py>(
        &self,
        py: Python<'py>,
        account: Option<String>,
        total: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let stats = self.with(|e| {
            if total {
                Some(e.total_stats())
            } else {
                match &account {
                    Some(a) => e.account_stats(a),
                    None => Some(e.stats()),
                }
            }
        })?;
        let stats = stats.ok_or_else(|| {
            PyValueError::new_err(format!("no such account: {}", account.unwrap_or_default()))
        })?;
        let v = serde_json::to_value(stats).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        json_to_py(py, &v)
    }

    /// Every fault kind's name (`seedance_emulator::FaultKind::NAMES`).
    #[classattr]
    #[pyo3(name = "FAULT_KINDS")]
    fn fault_kinds() -> Vec<&'static str> {
        FaultKind::NAMES.to_vec()
    }

    /// Adds faults given in the emulator's JSON form (one dict or a list of them; see
    /// `seedance.testing.Emulator.inject`); read by `seedance_emulator::Fault::from_json`.
    fn inject(&self, faults: &Bound<'_, PyAny>) -> PyResult<usize> {
        let v = py_to_json(faults)?;
        self.with(|e| e.inject_json(&v))?.map_err(control_error)
    }

    /// Removes every fault.
    fn clear_faults(&self) -> PyResult<()> {
        self.with(|e| e.clear_faults())
    }

    /// Back to the state at start (no tasks, keys, windows, faults or counters).
    fn reset(&self) -> PyResult<()> {
        self.with(|e| e.reset())
    }

    /// The runtime configuration as a dict.
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.with(|e| e.config())?;
        let v = serde_json::to_value(c).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        json_to_py(py, &v)
    }

    /// Changes runtime configuration fields (names as in `config()`); read by
    /// `seedance_emulator::Emulator::configure_json`.
    fn configure(&self, changes: &Bound<'_, PyDict>) -> PyResult<()> {
        let patch = py_to_json(changes.as_any())?;
        self.with(|e| e.configure_json(&patch))?
            .map(|_| ())
            .map_err(control_error)
    }

    /// Sets an account's balance.
    fn set_credits(&self, account: &str, credits: u64) -> PyResult<()> {
        if self.with(|e| e.set_credits(account, credits))? {
            Ok(())
        } else {
            Err(PyValueError::new_err(format!("no such account: {account}")))
        }
    }

    /// Adds (or replaces) an account with one key.
    #[pyo3(signature = (account, key, credits, *, revoked_key=None))]
    fn add_account(
        &self,
        account: &str,
        key: &str,
        credits: u64,
        revoked_key: Option<String>,
    ) -> PyResult<()> {
        let mut a = Account::new(account).key(key).credits(credits);
        if let Some(r) = revoked_key {
            a = a.revoked_key(r);
        }
        self.with(|e| e.add_account(a))
    }

    /// Every task, oldest first.
    fn tasks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let tasks = self.with(|e| e.tasks())?;
        let list = PyList::empty(py);
        for t in tasks {
            list.append(Py::new(py, PyTask::new(t))?)?;
        }
        Ok(list)
    }

    /// Every `Authorization` header the CDN received (must stay empty).
    fn cdn_auth_headers(&self) -> PyResult<Vec<String>> {
        self.with(|e| e.cdn_auth_headers())
    }

    /// Stops both listeners. Idempotent.
    fn shutdown(&self, py: Python<'_>) -> PyResult<()> {
        let emu = self
            .emu
            .lock()
            .map_err(|_| PyRuntimeError::new_err("emulator lock poisoned"))?
            .take();
        if let Some(emu) = emu {
            block_on(py, async move { emu.shutdown().await }, |_| Ok(()))?;
        }
        Ok(())
    }

    /// Whether the emulator is running.
    #[getter]
    fn running(&self) -> bool {
        self.emu.lock().map(|e| e.is_some()).unwrap_or(false)
    }

    fn __repr__(&self) -> String {
        format!(
            "_Emulator(base_url={})",
            crate::convert::repr_str(&self.base_url)
        )
    }
}

impl Drop for PyEmulator {
    fn drop(&mut self) {
        if let Ok(mut guard) = self.emu.lock() {
            if let Some(emu) = guard.take() {
                // Stop the listeners on the runtime; nothing to wait for here.
                runtime().spawn(async move { emu.shutdown().await });
            }
        }
    }
}
