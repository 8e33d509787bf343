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

use std::path::Path;
use std::sync::Arc;

use seedance_core::{Task, TaskId, VideoRequest};
use tokio::runtime::Runtime;
use tokio_util::sync::CancellationToken;

use crate::client::JobOutcome;
use crate::error::{Error, Result};
use crate::options::{DownloadOptions, Downloaded, GenerateOptions, SubmitOptions, WaitOptions};
use crate::{ClientBuilder, Event};

/// The blocking client. Clones share the runtime and everything the async client shares.
/// Do not call it from inside an async runtime (it would block that runtime's thread).
#[derive(Clone, Debug)]
pub struct Client {
    rt: Arc<Runtime>,
    inner: crate::Client,
}

impl Client {
    /// Builds from a [`ClientBuilder`] on a new two-thread runtime.
    pub fn new(builder: ClientBuilder) -> Result<Client> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("seedance-http")
            .enable_all()
            .build()
            .map_err(Error::Io)?;
        let inner = {
            let _g = rt.enter();
            builder.build()?
        };
        Ok(Client {
            rt: Arc::new(rt),
            inner,
        })
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
        self.rt.block_on(self.inner.submit(request, options))
    }
    /// See [`crate::Client::get_task`].
    pub fn get_task(&self, id: &TaskId) -> Result<Task> {
        self.rt.block_on(self.inner.get_task(id))
    }
    /// See [`crate::Client::wait`].
    pub fn wait(&self, id: &TaskId, options: WaitOptions) -> Result<Task> {
        self.rt.block_on(self.inner.wait(id, options))
    }
    /// See [`crate::Client::generate`].
    pub fn generate(&self, request: &VideoRequest, options: GenerateOptions) -> Result<Task> {
        self.rt.block_on(self.inner.generate(request, options))
    }
    /// See [`crate::Client::generate_job`].
    pub fn generate_job(
        &self,
        request: &VideoRequest,
        options: GenerateOptions,
    ) -> Result<JobOutcome> {
        self.rt.block_on(self.inner.generate_job(request, options))
    }
    /// See [`crate::Client::download`].
    pub fn download(
        &self,
        task: &Task,
        dest: &Path,
        options: DownloadOptions,
    ) -> Result<Downloaded> {
        self.rt.block_on(self.inner.download(task, dest, options))
    }
    /// See [`crate::Client::preflight`].
    pub fn preflight(&self, request: &VideoRequest) -> Result<()> {
        self.rt.block_on(self.inner.preflight(request))
    }
    /// See [`crate::Client::resume`].
    pub fn resume(&self) -> Result<Vec<JobOutcome>> {
        self.rt.block_on(self.inner.resume())
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
