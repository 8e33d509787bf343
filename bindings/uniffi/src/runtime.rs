//! The one tokio runtime of the library's synchronous entry points (the emulator's
//! listeners). Async methods run on uniffi's tokio integration instead.

use std::sync::OnceLock;

/// The shared runtime, built on first use.
pub(crate) fn runtime() -> Result<&'static tokio::runtime::Runtime, String> {
    static RT: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("seedance-uniffi")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the tokio runtime: {e}"))
    })
    .as_ref()
    .map_err(Clone::clone)
}
