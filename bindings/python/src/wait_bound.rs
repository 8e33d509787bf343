//! The bound of a wait as Python states it: seconds, `None` (the client's ceiling) or
//! `seedance.NO_TIMEOUT` (no bound at all: [`WaitOptions::no_timeout`]).
//!
//! The sentinel is a value of its own, not `float("inf")`: an infinite or absurd number of
//! seconds stays a `ConfigurationError` naming the parameter (it is far more often a bug
//! than a wish), and lifting the bound is a thing one writes on purpose.

use pyo3::prelude::*;
use seedance_http::WaitOptions;

use crate::params::secs;

/// The type of `seedance.NO_TIMEOUT`: its one value lifts the bound of a wait.
#[pyclass(frozen, module = "seedance", name = "NoTimeout")]
pub(crate) struct PyNoTimeout;

#[pymethods]
impl PyNoTimeout {
    fn __repr__(&self) -> &'static str {
        "seedance.NO_TIMEOUT"
    }

    /// Pickles as the module attribute, so the one value stays the one value.
    fn __reduce__(&self) -> &'static str {
        "NO_TIMEOUT"
    }

    fn __bool__(&self) -> bool {
        false
    }
}

/// A wait's `timeout=` argument.
#[derive(FromPyObject)]
pub(crate) enum WaitBound<'py> {
    /// `seedance.NO_TIMEOUT` (its one value: nothing to read in it).
    Never(#[allow(dead_code)] Bound<'py, PyNoTimeout>),
    /// Seconds (range-checked by [`secs`]).
    Secs(f64),
}

/// The wait options for a `timeout=` argument (`None`: the client's default ceiling).
pub(crate) fn wait_options(
    py: Python<'_>,
    timeout: Option<WaitBound<'_>>,
) -> PyResult<WaitOptions> {
    Ok(match timeout {
        None => WaitOptions::default(),
        Some(WaitBound::Never(_)) => WaitOptions::default().no_timeout(),
        Some(WaitBound::Secs(t)) => WaitOptions::default().timeout(secs(py, "timeout", t)?),
    })
}
