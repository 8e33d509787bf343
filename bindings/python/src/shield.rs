//! The panic boundary (issue 10): a panic anywhere in the extension reaches Python as a
//! `seedance.SeedanceError` with a message, never as pyo3's `PanicException` (a
//! `BaseException` that `except Exception` does not catch).
//!
//! Three places can panic: the body of a native method (wrapped in [`shield`]), a
//! blocking call's future (its `JoinError` in `runtime::block_on`) and an awaitable's
//! future ([`shielded_future`]).

use std::future::Future;
use std::panic::AssertUnwindSafe;

use pyo3::prelude::*;

use crate::errors::{self, panic_error};

/// Runs the body of a native method; a panic in it becomes a `SeedanceError`.
pub(crate) fn shield<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match std::panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => Err(panic_error(py, payload.as_ref())),
    }
}

/// Aborts a spawned task when the awaitable driving it is dropped (cancelled).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `fut` as a task of its own on the shared runtime, so that a panic in it is caught
/// (as the task's `JoinError`) and becomes a `SeedanceError`; dropping the returned future
/// (a cancelled awaitable) stops the task.
pub(crate) async fn shielded_future<T: Send + 'static>(
    fut: impl Future<Output = PyResult<T>> + Send + 'static,
) -> PyResult<T> {
    let mut handle = AbortOnDrop(crate::runtime::runtime().spawn(fut));
    match (&mut handle.0).await {
        Ok(r) => r,
        Err(e) if e.is_panic() => {
            let payload = e.into_panic();
            Python::attach(|py| Err(panic_error(py, payload.as_ref())))
        }
        Err(e) => Python::attach(|py| {
            Err(errors::make(
                py,
                "SeedanceError",
                (format!("the request task stopped unexpectedly: {e}"),),
                None,
            ))
        }),
    }
}

/// Test hook (`seedance._seedance._panic_for_tests`): panics on purpose, `where_` being
/// `"call"` (in the method's body), `"blocking"` (in a blocking call's future) or
/// `"async"` (in an awaitable's future; the awaitable is returned). Lets the tests check
/// the boundary; never used by the package.
#[pyfunction]
#[pyo3(name = "_panic_for_tests")]
pub(crate) fn panic_for_tests<'py>(py: Python<'py>, where_: &str) -> PyResult<Bound<'py, PyAny>> {
    shield(py, || match where_ {
        "call" => panic!("deliberate panic (call)"),
        "blocking" => {
            crate::runtime::block_on(
                py,
                async {
                    if where_is_async() {
                        panic!("deliberate panic (blocking)");
                    }
                },
                |_| Ok(()),
            )?;
            Ok(py.None().into_bound(py))
        }
        "async" => pyo3_async_runtimes::tokio::future_into_py(
            py,
            shielded_future(async {
                if where_is_async() {
                    panic!("deliberate panic (async)");
                }
                Ok(())
            }),
        ),
        other => Err(pyo3::exceptions::PyValueError::new_err(format!(
            "where_ must be call, blocking or async (got {other:?})"
        ))),
    })
}

/// Always true (keeps the test futures' types ordinary rather than `!`).
fn where_is_async() -> bool {
    true
}
