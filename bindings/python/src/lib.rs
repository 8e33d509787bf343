//! `seedance._seedance`: the native half of the `seedance` Python package.
//!
//! Glue only: every rule lives in `seedance_core`, the HTTP behaviour in `seedance_http`,
//! the emulator in `seedance_emulator`. The Python half (`python/seedance/`) adds the
//! keyword signatures, context managers, progress bars and the exception classes.

use pyo3::prelude::*;

mod client;
mod convert;
mod emulator;
mod errors;
mod events;
mod jobs;
mod lint;
mod params;
mod prompt;
mod runtime;
mod shield;
mod task;
mod wait_bound;

/// The native module.
#[pymodule]
fn _seedance(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add(
        "REQUEST_FIELDS",
        pyo3::types::PyTuple::new(m.py(), params::FIELDS)?,
    )?;
    let values = pyo3::types::PyDict::new(m.py());
    for (field, accepted) in seedance_core::rules::enumerated_request_values() {
        values.set_item(field, pyo3::types::PyTuple::new(m.py(), accepted)?)?;
    }
    m.add("REQUEST_VALUES", values)?;
    // Reading R27: the HTTP statuses retried with the same key (the docstrings state them;
    // tests/python/test_errors.py ties the two together).
    m.add(
        "RETRYABLE_STATUSES",
        pyo3::types::PyTuple::new(m.py(), seedance_core::rules::RETRYABLE_STATUSES)?,
    )?;
    // The spec's rate limits, `(requests, window seconds)` (for benchmarks and tests that
    // scale them; the client's defaults are these).
    let limits = pyo3::types::PyDict::new(m.py());
    for (name, l) in [
        ("account", seedance_http::RateLimit::ACCOUNT),
        ("media", seedance_http::RateLimit::MEDIA),
    ] {
        limits.set_item(name, (l.requests, l.window.as_secs_f64()))?;
    }
    m.add("RATE_LIMITS", limits)?;
    // The SDK's one error table: each `ErrorClass` name and the Python exception raised
    // for it (tests/python/test_errors.py ties the raised classes to it).
    let table = pyo3::types::PyDict::new(m.py());
    for c in seedance_http::ErrorClass::ALL {
        table.set_item(c.name(), c.python_exception())?;
    }
    m.add("ERROR_TABLE", table)?;
    m.add_class::<task::PyTask>()?;
    m.add_class::<events::PyProgressEvent>()?;
    m.add_class::<client::PyClient>()?;
    m.add_class::<emulator::PyEmulator>()?;
    m.add_class::<lint::PyLintFinding>()?;
    m.add_class::<prompt::PyDirectorPrompt>()?;
    m.add_class::<wait_bound::PyNoTimeout>()?;
    // `timeout=seedance.NO_TIMEOUT`: a wait without a bound (reading of issue #9, ask 4).
    m.add("NO_TIMEOUT", wait_bound::PyNoTimeout)?;
    m.add_function(wrap_pyfunction!(lint::lint_prompt, m)?)?;
    m.add_function(wrap_pyfunction!(params::validate, m)?)?;
    m.add_function(wrap_pyfunction!(jobs::new_idempotency_key, m)?)?;
    m.add_function(wrap_pyfunction!(shield::panic_for_tests, m)?)?;
    Ok(())
}
