//! `seedance.Task`: a typed, read-only view of `seedance_core::Task`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use seedance_core::Task;

use crate::convert::{json_to_py, py_to_json, repr_str};

/// Local copies of a task's output, once downloaded.
#[derive(Clone, Debug, Default)]
pub(crate) struct LocalFiles {
    pub(crate) video: Option<PathBuf>,
    pub(crate) last_frame: Option<PathBuf>,
}

/// A video task as the API reports it.
///
/// Returned by ``Client.submit``, ``get_task``, ``wait`` and ``generate``. Attributes are
/// typed; ``raw`` is the response exactly as received (unknown fields included) and
/// ``to_dict()`` a plain ``dict``. In a notebook the task shows its status, and the video
/// inline once completed and downloaded.
#[pyclass(module = "seedance", name = "Task", frozen)]
pub struct PyTask {
    pub(crate) inner: Task,
    pub(crate) local: Mutex<LocalFiles>,
}

impl PyTask {
    pub(crate) fn new(inner: Task) -> Self {
        PyTask {
            inner,
            local: Mutex::new(LocalFiles::default()),
        }
    }

    pub(crate) fn set_local(&self, video: PathBuf, last_frame: Option<PathBuf>) {
        if let Ok(mut l) = self.local.lock() {
            l.video = Some(video);
            l.last_frame = last_frame;
        }
    }

    fn local(&self) -> LocalFiles {
        self.local.lock().map(|l| l.clone()).unwrap_or_default()
    }

    fn to_json(&self) -> serde_json::Value {
        match &self.inner.raw {
            Some(raw) => raw.clone(),
            None => serde_json::to_value(&self.inner).unwrap_or(serde_json::Value::Null),
        }
    }
}

fn path_obj<'py>(py: Python<'py>, p: &Path) -> PyResult<Bound<'py, PyAny>> {
    py.import("pathlib")?.getattr("Path")?.call1((p,))
}

#[pymethods]
impl PyTask {
    /// Parses a task from the API's JSON (``str``, ``bytes`` or a ``dict``).
    #[staticmethod]
    fn from_json(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let bytes: Vec<u8> = if let Ok(s) = data.cast::<PyString>() {
            s.to_cow()?.as_bytes().to_vec()
        } else if let Ok(b) = data.cast::<PyBytes>() {
            b.as_bytes().to_vec()
        } else {
            serde_json::to_vec(&py_to_json(data)?)
                .map_err(|e| PyValueError::new_err(e.to_string()))?
        };
        Task::from_json(&bytes)
            .map(PyTask::new)
            .map_err(|e| PyValueError::new_err(format!("not a task: {e}")))
    }

    /// The task id (``sd2_…``; other prefixes exist, so do not assume one).
    #[getter]
    fn id(&self) -> &str {
        self.inner.id.as_str()
    }

    /// ``processing``, ``completed``, ``failed``, or a status this version does not know.
    #[getter]
    fn status(&self) -> &str {
        self.inner.status.as_str()
    }

    /// The model (``seedance2``).
    #[getter]
    fn model(&self) -> Option<&str> {
        self.inner.model.as_deref()
    }

    /// The quality tier it renders at.
    #[getter]
    fn quality_tier(&self) -> Option<&str> {
        self.inner.quality_tier.as_ref().map(|t| t.as_str())
    }

    /// The channel it renders on.
    #[getter]
    fn channel(&self) -> Option<&str> {
        self.inner.channel.as_ref().map(|c| c.as_str())
    }

    /// Credits charged at submit.
    #[getter]
    fn credits_used(&self) -> Option<u64> {
        self.inner.credits_used
    }

    /// Credits given back (after a failure).
    #[getter]
    fn credits_refunded(&self) -> Option<u64> {
        self.inner.credits_refunded
    }

    /// The MP4's URL on the CDN, once completed. It expires: download promptly.
    #[getter]
    fn video_url(&self) -> Option<&str> {
        self.inner.video_url()
    }

    /// The last frame's URL on the CDN, once completed.
    #[getter]
    fn last_frame_url(&self) -> Option<&str> {
        self.inner.last_frame_url()
    }

    /// The seed that was used, once completed.
    #[getter]
    fn seed(&self) -> Option<i64> {
        self.inner.output.as_ref().and_then(|o| o.seed)
    }

    /// Image URLs, for image-model tasks (``gpt2_…``, ``nbp_…``).
    #[getter]
    fn image_urls(&self) -> Vec<String> {
        self.inner
            .output
            .as_ref()
            .map(|o| o.images.iter().map(|i| i.url.clone()).collect())
            .unwrap_or_default()
    }

    /// The failure's code (``failed`` tasks).
    #[getter]
    fn error_code(&self) -> Option<&str> {
        self.inner.error.as_ref().map(|e| e.code.as_str())
    }

    /// The failure's message (``failed`` tasks).
    #[getter]
    fn error_message(&self) -> Option<&str> {
        self.inner.error.as_ref().map(|e| e.message.as_str())
    }

    /// Creation time as sent (``2026-06-03T10:00:00.000Z``).
    #[getter]
    fn created_at(&self) -> Option<&str> {
        self.inner.created_at.as_deref()
    }

    /// Last update time as sent.
    #[getter]
    fn updated_at(&self) -> Option<&str> {
        self.inner.updated_at.as_deref()
    }

    /// Whether the task has ended (completed or failed).
    #[getter]
    fn is_terminal(&self) -> bool {
        self.inner.status.is_terminal()
    }

    /// Whether the task completed with a result.
    #[getter]
    fn is_completed(&self) -> bool {
        self.inner.status == seedance_core::TaskStatus::Completed
    }

    /// Whether the task ended without a result.
    #[getter]
    fn is_failed(&self) -> bool {
        self.inner.status.is_failure()
    }

    /// The local video file, once ``download()`` saved it.
    #[getter]
    fn video_path<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.local()
            .video
            .as_deref()
            .map(|p| path_obj(py, p))
            .transpose()
    }

    /// The local last-frame image, once ``download()`` saved it.
    #[getter]
    fn last_frame_path<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.local()
            .last_frame
            .as_deref()
            .map(|p| path_obj(py, p))
            .transpose()
    }

    /// The response exactly as received, unknown fields included (``None`` for a task
    /// that did not come from the API).
    #[getter]
    fn raw<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.inner
            .raw
            .as_ref()
            .map(|r| json_to_py(py, r))
            .transpose()
    }

    /// The task as a plain ``dict`` (the API's JSON: every field received).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        Ok(json_to_py(py, &self.to_json())?.cast_into::<PyDict>()?)
    }

    fn __repr__(&self) -> String {
        let mut s = format!(
            "Task(id={}, status={}",
            repr_str(self.inner.id.as_str()),
            repr_str(self.inner.status.as_str())
        );
        if let Some(url) = self.inner.video_url() {
            s.push_str(&format!(", video_url={}", repr_str(url)));
        }
        if let Some(e) = &self.inner.error {
            s.push_str(&format!(", error={}", repr_str(&e.to_string())));
        }
        s.push(')');
        s
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<PyTask>() {
            Ok(o) => o.get().inner == self.inner,
            Err(_) => false,
        }
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.id.hash(&mut h);
        self.inner.status.as_str().hash(&mut h);
        h.finish()
    }

    /// The notebook display: status, and the video inline once downloaded.
    fn _repr_html_(&self) -> String {
        let t = &self.inner;
        let colour = if t.status == seedance_core::TaskStatus::Completed {
            "#1a7f37"
        } else if t.status.is_failure() {
            "#cf222e"
        } else {
            "#9a6700"
        };
        let mut html = String::from(
            "<div class=\"seedance-task\" style=\"font-family:system-ui,sans-serif;line-height:1.5\">",
        );
        html.push_str(&format!(
            "<div><b>Seedance task</b> <code>{}</code> <span style=\"color:{colour};font-weight:600\">{}</span>",
            escape(t.id.as_str()),
            escape(t.status.as_str())
        ));
        let mut facts = Vec::new();
        if let Some(q) = &t.quality_tier {
            facts.push(format!("tier {}", escape(q.as_str())));
        }
        if let Some(c) = &t.channel {
            facts.push(format!("channel {}", escape(c.as_str())));
        }
        if let Some(c) = t.credits_used {
            facts.push(format!("{c} credits"));
        }
        if let Some(r) = t.credits_refunded.filter(|r| *r > 0) {
            facts.push(format!("{r} refunded"));
        }
        if !facts.is_empty() {
            html.push_str(&format!(" · {}", facts.join(" · ")));
        }
        html.push_str("</div>");
        if let Some(e) = &t.error {
            html.push_str(&format!(
                "<div style=\"color:#cf222e\">{}: {}</div>",
                escape(e.code.as_str()),
                escape(&e.message)
            ));
        }
        let local = self.local();
        match (&local.video, t.video_url()) {
            (Some(path), _) => {
                html.push_str(&video_tag(path, local.last_frame.as_deref()));
                html.push_str(&format!(
                    "<div style=\"color:#57606a;font-size:90%\">{}</div>",
                    escape(&path.display().to_string())
                ));
            }
            (None, Some(url)) => html.push_str(&format!(
                "<div>Video ready: <a href=\"{0}\" target=\"_blank\">{1}</a> (call <code>client.download(task, path)</code> to keep it; the URL expires)</div>",
                escape(url),
                escape(url)
            )),
            (None, None) => {}
        }
        html.push_str("</div>");
        html
    }
}

/// A local file as notebooks reference it, like `IPython.display.Video(path)`: relative to
/// the current directory (the notebook's) when it is under it, else `None`.
fn relative_src(path: &Path) -> Option<String> {
    let cwd = std::env::current_dir().ok()?;
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    let rel = abs.strip_prefix(&cwd).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(parts.join("/"))
}

/// The downloaded video by reference (never embedded: a 1080p render is tens of MB per
/// display), with the last frame as a small image; a link when the file is outside the
/// notebook's directory (a browser cannot load it from there).
fn video_tag(path: &Path, last_frame: Option<&Path>) -> String {
    let frame_src = last_frame.filter(|p| p.exists()).and_then(relative_src);
    match relative_src(path) {
        Some(src) => {
            let poster = frame_src
                .as_ref()
                .map(|f| format!(" poster=\"{}\"", escape(f)))
                .unwrap_or_default();
            let mut html = format!(
                "<video src=\"{}\"{poster} controls style=\"max-width:100%;max-height:480px\"></video>",
                escape(&src)
            );
            if let Some(f) = &frame_src {
                html.push_str(&format!(
                    "<div><img src=\"{}\" alt=\"last frame\" style=\"max-width:160px;max-height:90px\"> <span style=\"color:#57606a;font-size:90%\">last frame</span></div>",
                    escape(f)
                ));
            }
            html
        }
        None => {
            let shown = path.display().to_string();
            format!(
                "<div>Video: <a href=\"{}\" target=\"_blank\">{}</a> (outside the notebook's directory: not shown inline)</div>",
                escape(&file_url(path)),
                escape(&shown)
            )
        }
    }
}

/// `file:///…` for an absolute path (percent-encoding what a URL cannot hold).
fn file_url(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut url = String::from("file://");
    let text = abs.to_string_lossy().replace('\\', "/");
    if !text.starts_with('/') {
        url.push('/');
    }
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' | b':' => {
                url.push(b as char)
            }
            _ => url.push_str(&format!("%{b:02X}")),
        }
    }
    url
}

/// Escapes text for HTML content and attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
