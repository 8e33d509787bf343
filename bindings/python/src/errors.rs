//! Rust errors to the Python exception hierarchy of `seedance._errors`.
//!
//! The classes are plain Python (so they pickle, subclass and type-check like any other);
//! this module only builds instances of them.

use pyo3::prelude::*;
use pyo3::types::PyList;
use seedance_core::ValidationError;

const ERRORS_MODULE: &str = "seedance._errors";

/// The class `name` of `seedance._errors`.
pub(crate) fn class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import(ERRORS_MODULE)?.getattr(name)
}

/// `seedance.ValidationError` listing every violation.
pub(crate) fn validation_error(py: Python<'_>, err: &ValidationError) -> PyErr {
    match build_validation_error(py, err) {
        Ok(e) => e,
        Err(e) => e,
    }
}

fn build_validation_error(py: Python<'_>, err: &ValidationError) -> PyResult<PyErr> {
    let violation = class(py, "Violation")?;
    let list = PyList::empty(py);
    for v in err.violations() {
        list.append(violation.call1((v.field.as_str(), v.rule.as_str(), v.message.as_str()))?)?;
    }
    let exc = class(py, "ValidationError")?.call1((list,))?;
    Ok(PyErr::from_value(exc))
}

/// `seedance.ValidationError` for one problem found while reading the arguments
/// (a value of the wrong shape, before the core's rules can see it).
pub(crate) fn argument_error(py: Python<'_>, field: &str, message: &str) -> PyErr {
    violation_error(py, field, "type", message)
}

/// `seedance.ValidationError` with one violation.
pub(crate) fn violation_error(py: Python<'_>, field: &str, rule: &str, message: &str) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let v = class(py, "Violation")?.call1((field, rule, message))?;
        let exc = class(py, "ValidationError")?.call1((PyList::new(py, [v])?,))?;
        Ok(PyErr::from_value(exc))
    };
    match build() {
        Ok(e) => e,
        Err(e) => e,
    }
}

/// An instance of `seedance.<name>(*args, **kwargs)` as a `PyErr`.
pub(crate) fn make<'py, A: pyo3::call::PyCallArgs<'py>>(
    py: Python<'py>,
    name: &str,
    args: A,
    kwargs: Option<&Bound<'py, pyo3::types::PyDict>>,
) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let exc = class(py, name)?.call(args, kwargs)?;
        Ok(PyErr::from_value(exc))
    };
    match build() {
        Ok(e) => e,
        Err(e) => e,
    }
}

/// The Python exception for an error of the HTTP client.
pub(crate) fn http_error(py: Python<'_>, err: seedance_http::Error) -> PyErr {
    use pyo3::types::PyDict;
    use seedance_http::Error;

    let message = err.to_string();
    // The class comes from the SDK's one table (`ErrorClass::python_exception`); the arms
    // below only add each variant's attributes.
    let name = err.class().python_exception();
    match err {
        Error::Validation(v) => validation_error(py, &v),
        Error::Api {
            status,
            error,
            retry_after,
        } => {
            let build = || -> PyResult<PyErr> {
                let cls = class(py, name)?;
                let kwargs = PyDict::new(py);
                kwargs.set_item("status", status)?;
                kwargs.set_item("code", error.code.as_str())?;
                kwargs.set_item("retry_after", retry_after.map(|d| d.as_secs_f64()))?;
                Ok(PyErr::from_value(
                    cls.call((error.message.as_str(),), Some(&kwargs))?,
                ))
            };
            build().unwrap_or_else(|e| e)
        }
        Error::TaskFailed {
            task_id,
            code,
            message,
            credits_refunded,
        } => make(
            py,
            name,
            (
                task_id.as_str(),
                code.as_str(),
                message.as_str(),
                credits_refunded,
            ),
            None,
        ),
        Error::WaitTimeout { task_id, waited } => {
            make(py, name, (task_id.as_str(), waited.as_secs_f64()), None)
        }
        Error::Decode { status, snippet } => {
            let build = || -> PyResult<PyErr> {
                let kwargs = PyDict::new(py);
                kwargs.set_item("status", status)?;
                kwargs.set_item("body", snippet.as_str())?;
                Ok(PyErr::from_value(
                    class(py, name)?.call((message.as_str(),), Some(&kwargs))?,
                ))
            };
            build().unwrap_or_else(|e| e)
        }
        // The bare message: the class already says "configuration".
        Error::Config(c) => make(py, name, (c.to_string(),), None),
        Error::Io(e) => os_error(py, &e),
        Error::Preflight(p) => violation_error(py, p.field(), "preflight", p.problem()),
        // Everything else: the class named by the one table (`ErrorClass`); a connection
        // or download error with its finer kind (`Error::detail_kind`).
        other => {
            let with_kind = matches!(
                other.class(),
                seedance_http::ErrorClass::Network | seedance_http::ErrorClass::Download
            );
            match other.detail_kind() {
                Some(kind) if with_kind => {
                    let build = || -> PyResult<PyErr> {
                        let kwargs = PyDict::new(py);
                        kwargs.set_item("kind", kind)?;
                        Ok(PyErr::from_value(
                            class(py, name)?.call((message.as_str(),), Some(&kwargs))?,
                        ))
                    };
                    build().unwrap_or_else(|e| e)
                }
                _ => make(py, name, (message,), None),
            }
        }
    }
}

/// What a panic payload says, fit to show (secrets and control characters removed).
fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    let raw = if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "no message".to_owned()
    };
    seedance_core::rules::excerpt(&raw, None, 500)
}

/// The `seedance.SeedanceError` for a panic of the extension.
pub(crate) fn panic_error(py: Python<'_>, payload: &(dyn std::any::Any + Send)) -> PyErr {
    make(
        py,
        "SeedanceError",
        (format!(
            "internal error in the seedance extension (a bug: please report it): {}",
            payload_text(payload)
        ),),
        None,
    )
}

/// Python's `OSError` for a file-system error: `OSError(errno, strerror, filename)` when
/// the system gave an errno (Python picks the subclass: `FileNotFoundError`…), with the
/// path as `filename`; else `OSError(message)`.
fn os_error(py: Python<'_>, e: &seedance_http::IoError) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let cls = py.import("builtins")?.getattr("OSError")?;
        let exc = match e.raw_os_error() {
            Some(errno) => {
                // the system's words without Rust's " (os error N)"
                let text = e.io_error().to_string();
                let text = text
                    .strip_suffix(&format!(" (os error {errno})"))
                    .unwrap_or(&text);
                let strerror = format!("{}: {text}", e.action());
                let filename = e.path().map(|p| p.to_string_lossy().into_owned());
                cls.call1((errno, strerror, filename))?
            }
            None => cls.call1((e.to_string(),))?,
        };
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|err| err)
}
