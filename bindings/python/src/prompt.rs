//! `seedance.DirectorPrompt`: the core's prompt builder (the provider's prompt guide).

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use seedance_core::{AssetRole, Constraint, DirectorPrompt, PromptError, ReferenceAsset, Shot};

use crate::convert::{json_to_py, repr_str};
use crate::errors;

/// A prompt written the way the provider's guide advises: subject, action, scene, camera,
/// style, ordered shots, a constraint package, and every reference asset mapped to the
/// right request field with its role described in words.
///
/// Methods that add things return the prompt, so calls chain. ``params()`` gives the
/// keyword arguments for ``Client.submit`` / ``generate`` (prompt, mode, URLs, duration).
#[pyclass(module = "seedance", name = "DirectorPrompt")]
#[derive(Clone)]
pub struct PyDirectorPrompt {
    inner: DirectorPrompt,
}

fn prompt_error(py: Python<'_>, e: PromptError) -> PyErr {
    match e {
        PromptError::Invalid(v) => errors::validation_error(py, &v),
        PromptError::Lint(findings) => {
            let build = || -> PyResult<PyErr> {
                let violation = errors::class(py, "Violation")?;
                let list = PyList::empty(py);
                for f in &findings {
                    list.append(violation.call1(("prompt", "prompt_lint", f.to_string()))?)?;
                }
                Ok(PyErr::from_value(
                    errors::class(py, "ValidationError")?.call1((list,))?,
                ))
            };
            build().unwrap_or_else(|e| e)
        }
        other => errors::violation_error(py, "prompt", "prompt_builder", &other.to_string()),
    }
}

fn role(py: Python<'_>, name: &str) -> PyResult<AssetRole> {
    name.parse::<AssetRole>()
        .map_err(|e| errors::violation_error(py, "role", "allowed_values", &e.to_string()))
}

/// The built-in constraint named `name` (`stable_faces`, `no-subtitles`, "no logo"...).
fn constraint(name: &str) -> Option<Constraint> {
    let norm = name.trim().to_ascii_lowercase().replace(['_', '-'], " ");
    Constraint::ALL.iter().copied().find(|c| c.phrase() == norm)
}

#[pymethods]
impl PyDirectorPrompt {
    #[new]
    #[pyo3(signature = (subject=None, action=None, scene=None, camera=None, style=None, *, duration=None, constraints=true))]
    fn py_new(
        subject: Option<String>,
        action: Option<String>,
        scene: Option<String>,
        camera: Option<String>,
        style: Option<String>,
        duration: Option<u32>,
        constraints: bool,
    ) -> Self {
        let mut p = DirectorPrompt::new();
        p.subject = subject;
        p.action = action;
        p.scene = scene;
        p.camera = camera;
        p.style = style;
        p.duration = duration;
        if !constraints {
            p = p.constraints(seedance_core::Constraints::none());
        }
        PyDirectorPrompt { inner: p }
    }

    /// Parses the JSON form (as written by ``to_json``).
    #[staticmethod]
    fn from_json(py: Python<'_>, json: &str) -> PyResult<Self> {
        DirectorPrompt::from_json(json)
            .map(|inner| PyDirectorPrompt { inner })
            .map_err(|e| errors::violation_error(py, "prompt", "prompt_builder", &e.to_string()))
    }

    /// The JSON form (round-trips through ``from_json``).
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.inner)
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
    }

    /// Who or what the video is about.
    #[getter]
    fn get_subject(&self) -> Option<String> {
        self.inner.subject.clone()
    }
    #[setter]
    fn set_subject(&mut self, v: Option<String>) {
        self.inner.subject = v;
    }
    /// What happens.
    #[getter]
    fn get_action(&self) -> Option<String> {
        self.inner.action.clone()
    }
    #[setter]
    fn set_action(&mut self, v: Option<String>) {
        self.inner.action = v;
    }
    /// Where it happens.
    #[getter]
    fn get_scene(&self) -> Option<String> {
        self.inner.scene.clone()
    }
    #[setter]
    fn set_scene(&mut self, v: Option<String>) {
        self.inner.scene = v;
    }
    /// The camera motion.
    #[getter]
    fn get_camera(&self) -> Option<String> {
        self.inner.camera.clone()
    }
    #[setter]
    fn set_camera(&mut self, v: Option<String>) {
        self.inner.camera = v;
    }
    /// The visual style.
    #[getter]
    fn get_style(&self) -> Option<String> {
        self.inner.style.clone()
    }
    #[setter]
    fn set_style(&mut self, v: Option<String>) {
        self.inner.style = v;
    }
    /// The clip length in seconds (checks shot timings; sent as ``duration``).
    #[getter]
    fn get_duration(&self) -> Option<u32> {
        self.inner.duration
    }
    #[setter]
    fn set_duration(&mut self, v: Option<u32>) {
        self.inner.duration = v;
    }

    /// Adds a shot (shots are rendered in order); ``start``/``end`` in seconds.
    #[pyo3(signature = (action, *, camera=None, start=None, end=None))]
    fn shot<'py>(
        mut slf: PyRefMut<'py, Self>,
        action: String,
        camera: Option<String>,
        start: Option<f64>,
        end: Option<f64>,
    ) -> PyResult<PyRefMut<'py, Self>> {
        let mut shot = Shot::new(action);
        if let Some(c) = camera {
            shot = shot.camera(c);
        }
        match (start, end) {
            (Some(s), Some(e)) => shot = shot.timing(s, e),
            (None, None) => {}
            _ => {
                return Err(errors::violation_error(
                    slf.py(),
                    "shot",
                    "prompt_builder",
                    "give both start and end, or neither",
                ))
            }
        }
        slf.inner.shots.push(shot);
        Ok(slf)
    }

    /// Adds a reference asset: ``role`` is one of ``opening_frame``, ``closing_frame``,
    /// ``character``, ``motion``, ``style``, ``source_video``, ``extension``; ``note`` says
    /// what to take from it.
    #[pyo3(signature = (role, url, note=None))]
    fn reference<'py>(
        mut slf: PyRefMut<'py, Self>,
        role: &str,
        url: String,
        note: Option<String>,
    ) -> PyResult<PyRefMut<'py, Self>> {
        let r = self::role(slf.py(), role)?;
        let mut asset = ReferenceAsset::new(r, url);
        if let Some(n) = note {
            asset = asset.note(n);
        }
        slf.inner.references.push(asset);
        Ok(slf)
    }

    /// Sets the opening frame (``image_url``).
    #[pyo3(signature = (url, note=None))]
    fn opening_frame<'py>(
        slf: PyRefMut<'py, Self>,
        url: String,
        note: Option<String>,
    ) -> PyResult<PyRefMut<'py, Self>> {
        Self::reference(slf, "opening_frame", url, note)
    }

    /// Sets the closing frame (``end_image_url``).
    #[pyo3(signature = (url, note=None))]
    fn closing_frame<'py>(
        slf: PyRefMut<'py, Self>,
        url: String,
        note: Option<String>,
    ) -> PyResult<PyRefMut<'py, Self>> {
        Self::reference(slf, "closing_frame", url, note)
    }

    /// An edit: "strictly edit the supplied source video".
    fn edit<'py>(mut slf: PyRefMut<'py, Self>, source_video_url: String) -> PyRefMut<'py, Self> {
        let inner = std::mem::take(&mut slf.inner);
        slf.inner = inner.edit(source_video_url);
        slf
    }

    /// An extension: "continue from the supplied previous clip".
    fn extend<'py>(mut slf: PyRefMut<'py, Self>, previous_clip_url: String) -> PyRefMut<'py, Self> {
        let inner = std::mem::take(&mut slf.inner);
        slf.inner = inner.extend(previous_clip_url);
        slf
    }

    /// Adds a constraint in your own words ("keep the logo on the mug").
    fn constraint<'py>(mut slf: PyRefMut<'py, Self>, text: String) -> PyRefMut<'py, Self> {
        slf.inner.constraints.custom.push(text);
        slf
    }

    /// Turns built-in constraints off by name: ``stable_faces``, ``natural_motion``,
    /// ``no_deformation``, ``no_watermark``, ``no_logo``, ``no_subtitles``.
    #[pyo3(signature = (*names))]
    fn without<'py>(
        mut slf: PyRefMut<'py, Self>,
        names: Vec<String>,
    ) -> PyResult<PyRefMut<'py, Self>> {
        for n in names {
            let c = constraint(&n).ok_or_else(|| unknown_constraint(slf.py(), &n))?;
            slf.inner.constraints.set(c, false);
        }
        Ok(slf)
    }

    /// Turns built-in constraints (back) on by name.
    #[pyo3(signature = (*names))]
    fn with_constraints<'py>(
        mut slf: PyRefMut<'py, Self>,
        names: Vec<String>,
    ) -> PyResult<PyRefMut<'py, Self>> {
        for n in names {
            let c = constraint(&n).ok_or_else(|| unknown_constraint(slf.py(), &n))?;
            slf.inner.constraints.set(c, true);
        }
        Ok(slf)
    }

    /// The constraint phrases that will be rendered.
    #[getter]
    fn constraints(&self) -> Vec<String> {
        self.inner.constraints.phrases()
    }

    /// The mode the references imply (``text-to-video``, ``image-to-video`` or
    /// ``media-to-video``).
    #[getter]
    fn mode(&self, py: Python<'_>) -> PyResult<String> {
        self.inner
            .mode()
            .map(|m| m.as_str().to_owned())
            .map_err(|e| prompt_error(py, e))
    }

    /// The prompt text; raises ``ValidationError`` if the guide's rules are broken.
    fn render(&self, py: Python<'_>) -> PyResult<String> {
        self.inner.render().map_err(|e| prompt_error(py, e))
    }

    /// The keyword arguments for ``Client.submit``: ``prompt``, ``mode``, the reference
    /// URLs in their fields, and ``duration`` if set. Add tier, resolution... as you like.
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let req = self
            .inner
            .request()
            .map_err(|e| prompt_error(py, e))?
            .build_unchecked();
        let json = serde_json::to_value(&req)
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
        let dict = json_to_py(py, &json)?.cast_into::<PyDict>()?;
        // Give `duration` back as the int the Python API takes.
        if let Some(d) = req.duration {
            dict.set_item("duration", d.secs())?;
        }
        Ok(dict)
    }

    fn __str__(&self, py: Python<'_>) -> PyResult<String> {
        self.render(py)
    }

    fn __repr__(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("subject", &self.inner.subject),
            ("action", &self.inner.action),
            ("scene", &self.inner.scene),
            ("camera", &self.inner.camera),
            ("style", &self.inner.style),
        ] {
            if let Some(v) = v {
                parts.push(format!("{k}={}", repr_str(v)));
            }
        }
        if !self.inner.shots.is_empty() {
            parts.push(format!("shots={}", self.inner.shots.len()));
        }
        if !self.inner.references.is_empty() {
            parts.push(format!("references={}", self.inner.references.len()));
        }
        if let Some(i) = self.inner.intent {
            parts.push(format!("intent={}", repr_str(i.as_str())));
        }
        format!("DirectorPrompt({})", parts.join(", "))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<PyDirectorPrompt>() {
            Ok(o) => o.borrow().inner == self.inner,
            Err(_) => false,
        }
    }
}

fn unknown_constraint(py: Python<'_>, name: &str) -> PyErr {
    let known: Vec<String> = Constraint::ALL
        .iter()
        .map(|c| c.phrase().replace(' ', "_"))
        .collect();
    errors::violation_error(
        py,
        "constraints",
        "allowed_values",
        &format!("unknown constraint {name:?}; known: {}", known.join(", ")),
    )
}
