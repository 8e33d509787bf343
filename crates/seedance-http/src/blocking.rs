//! A blocking facade for callers that cannot use async (C, uniffi, scripts): the same
//! methods on an owned tokio runtime.
//!
//! ```no_run
//! use seedance_core::VideoRequest;
//! let client = seedance_http::blocking::Client::from_env()?;
//! let request = VideoRequest::builder("A glass train crossing a snowy mountain bridge").build()?;
//! let task = client.generate(&request, Default::default())?;
//! # Ok::<(), seedance_http::Error>(())
//! ```

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use seedance_core::{Task, TaskId, VideoRequest};
use tokio::runtime::Runtime;
use tokio_util::sync::CancellationToken;

use crate::error::{ConfigError, Error, IoError, Result};
use crate::jobs::JobOutcome;
use crate::options::{DownloadOptions, Downloaded, GenerateOptions, SubmitOptions, WaitOptions};
use crate::{ClientBuilder, Event};

/// The owned runtime. Dropped with `shutdown_background`, so that the last clone of a
/// blocking client may be dropped anywhere (even inside an async context, where dropping
/// a runtime the ordinary way panics).
#[derive(Debug)]
struct OwnedRuntime(Option<Runtime>);

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// The blocking client. One runtime is created by [`Client::new`] and shared by every
/// clone and every call (never one per call). Calling it from inside an async runtime
/// would block that runtime's thread: such a call returns [`Error::Config`] instead of
/// panicking (use [`Client::async_client`] there).
///
/// ```
/// let client = seedance_http::blocking::Client::new(
///     seedance_http::Client::builder().no_env().api_key("sk_test_x").base_url("http://127.0.0.1:9"),
/// )?;
/// // inside an async runtime, a blocking call is refused with a clear error
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// let e = rt.block_on(async { client.get_task(&"sd2_1".into()) }).unwrap_err();
/// assert_eq!(e.kind(), seedance_http::ErrorKind::Config);
/// # Ok::<(), seedance_http::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    rt: Arc<OwnedRuntime>,
    inner: crate::Client,
}

impl Client {
    /// Builds from a [`ClientBuilder`] on a new two-thread runtime (the only one this
    /// client and its clones will use).
    pub fn new(builder: ClientBuilder) -> Result<Client> {
        let rt = OwnedRuntime(Some(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("seedance-http")
                .enable_all()
                .build()
                .map_err(|e| Error::Io(IoError::new("cannot start the runtime", None, e)))?,
        ));
        // (on an error, `rt` is dropped in the background: safe in an async context)
        let inner = match &rt.0 {
            Some(r) => {
                let _g = r.enter();
                builder.build()?
            }
            None => return Err(Error::Config(ConfigError::RuntimeShutDown)),
        };
        Ok(Client {
            rt: Arc::new(rt),
            inner,
        })
    }

    /// Runs `fut` to completion on the owned runtime; refused inside an async context.
    fn block_on<T>(&self, fut: impl Future<Output = Result<T>>) -> Result<T> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::Config(ConfigError::BlockingInAsync));
        }
        match &self.rt.0 {
            Some(rt) => rt.block_on(fut),
            None => Err(Error::Config(ConfigError::RuntimeShutDown)),
        }
    }

    /// From the `SEEDANCE_*` variables.
    pub fn from_env() -> Result<Client> {
        Client::new(ClientBuilder::default())
    }

    /// The async client underneath.
    pub fn async_client(&self) -> &crate::Client {
        &self.inner
    }

    /// See [`crate::Client::submit`].
    pub fn submit(&self, request: &VideoRequest, options: SubmitOptions) -> Result<Task> {
        self.block_on(self.inner.submit(request, options))
    }
    /// See [`crate::Client::get_task`].
    pub fn get_task(&self, id: &TaskId) -> Result<Task> {
        self.block_on(self.inner.get_task(id))
    }
    /// See [`crate::Client::wait`].
    pub fn wait(&self, id: &TaskId, options: WaitOptions) -> Result<Task> {
        self.block_on(self.inner.wait(id, options))
    }
    /// See [`crate::Client::generate`].
    pub fn generate(&self, request: &VideoRequest, options: GenerateOptions) -> Result<Task> {
        self.block_on(self.inner.generate(request, options))
    }
    /// See [`crate::Client::generate_job`].
    pub fn generate_job(
        &self,
        request: &VideoRequest,
        options: GenerateOptions,
    ) -> Result<JobOutcome> {
        self.block_on(self.inner.generate_job(request, options))
    }
    /// See [`crate::Client::download`].
    pub fn download(
        &self,
        task: &Task,
        dest: &Path,
        options: DownloadOptions,
    ) -> Result<Downloaded> {
        self.block_on(self.inner.download(task, dest, options))
    }
    /// See [`crate::Client::preflight`].
    pub fn preflight(&self, request: &VideoRequest) -> Result<()> {
        self.block_on(self.inner.preflight(request))
    }
    /// See [`crate::Client::resume`].
    pub fn resume(&self) -> Result<Vec<JobOutcome>> {
        self.block_on(self.inner.resume())
    }
    /// See [`crate::Client::resume_with`].
    pub fn resume_with(&self, options: crate::ResumeOptions) -> Result<Vec<JobOutcome>> {
        self.block_on(self.inner.resume_with(options))
    }
    /// See [`crate::Client::cancel_token`]; cancel it from another thread to stop a
    /// blocking call.
    pub fn cancel_token(&self) -> CancellationToken {
        self.inner.cancel_token()
    }
    /// See [`crate::Client::cancel_all`].
    pub fn cancel_all(&self) {
        self.inner.cancel_all()
    }
    /// A blocking receiver of events (`blocking_recv`).
    pub fn events(&self) -> tokio::sync::broadcast::Receiver<Event> {
        self.inner.events()
    }
}
