//! The one tokio runtime, and running futures on it from a blocking Python call.

use std::future::Future;
use std::time::Duration;

use pyo3::prelude::*;
use tokio::runtime::Runtime;

/// How long a blocking call sleeps (without the GIL) between checks for Ctrl-C and
/// progress events. Ctrl-C is noticed within this time.
const SLICE: Duration = Duration::from_millis(50);

/// How long an interrupted call waits for its aborted future to stop.
const ABORT_GRACE: Duration = Duration::from_millis(500);

/// The process-wide runtime, shared by the sync client, the async client (through
/// pyo3-async-runtimes) and the emulator.
pub(crate) fn runtime() -> &'static Runtime {
    pyo3_async_runtimes::tokio::get_runtime()
}

/// Runs `fut` on the runtime and blocks the calling Python thread until it ends, with the
/// GIL released. Every [`SLICE`] it re-takes the GIL to check for signals (Ctrl-C raises
/// `KeyboardInterrupt` and drops the future, which stops its polling) and to call `tick`
/// (progress callbacks). `tick` is called once more after the future ends.
pub(crate) fn block_on<F, T>(
    py: Python<'_>,
    fut: F,
    mut tick: impl FnMut(Python<'_>) -> PyResult<()>,
) -> PyResult<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let rt = runtime();
    let mut handle = rt.spawn(fut);
    loop {
        let outcome =
            py.detach(|| rt.block_on(async { tokio::time::timeout(SLICE, &mut handle).await }));
        match outcome {
            Ok(Ok(value)) => {
                tick(py)?;
                return Ok(value);
            }
            // A panic in the future is a `SeedanceError` (issue 10), never a crash.
            Ok(Err(join_error)) if join_error.is_panic() => {
                return Err(crate::errors::panic_error(
                    py,
                    join_error.into_panic().as_ref(),
                ))
            }
            Ok(Err(join_error)) => {
                return Err(crate::errors::make(
                    py,
                    "SeedanceError",
                    (format!(
                        "the request task stopped unexpectedly: {join_error}"
                    ),),
                    None,
                ))
            }
            Err(_still_running) => {}
        }
        if let Err(e) = py.check_signals().and_then(|()| tick(py)) {
            handle.abort();
            // Until the aborted future is dropped (at its next await, at most a moment):
            // then nothing it does can land after what the caller records next (the
            // job store's "interrupted").
            py.detach(|| {
                rt.block_on(async { tokio::time::timeout(ABORT_GRACE, &mut handle).await })
            })
            .ok();
            return Err(e);
        }
    }
}
