//! `seedance.lint_prompt` and `seedance.LintFinding`, from the core's prompt linter.

use pyo3::prelude::*;

use crate::convert::repr_str;

/// One thing in a prompt that the provider's guide says never to send.
///
/// ``start``/``end`` index the prompt as a Python ``str`` (code points), so
/// ``prompt[f.start:f.end]`` is the offending text.
#[pyclass(module = "seedance", name = "LintFinding", frozen, eq)]
#[derive(Clone, PartialEq, Eq)]
pub struct PyLintFinding {
    /// ``asset_url``, ``raw_asset_id``, ``in_app_label`` or ``empty_shot``.
    #[pyo3(get)]
    kind: String,
    /// Start index in the prompt (code points).
    #[pyo3(get)]
    start: usize,
    /// End index in the prompt (code points, exclusive).
    #[pyo3(get)]
    end: usize,
    /// The offending text.
    #[pyo3(get)]
    text: String,
    /// What is wrong and what to do instead.
    #[pyo3(get)]
    message: String,
}

#[pymethods]
impl PyLintFinding {
    fn __repr__(&self) -> String {
        format!(
            "LintFinding(kind={}, start={}, end={}, text={})",
            repr_str(&self.kind),
            self.start,
            self.end,
            repr_str(&self.text)
        )
    }

    fn __str__(&self) -> String {
        self.message.clone()
    }
}

/// Byte offset to code-point offset in `s`.
fn char_index(s: &str, byte: usize) -> usize {
    s.get(..byte).map_or(0, |p| p.chars().count())
}

pub(crate) fn findings(prompt: &str) -> Vec<PyLintFinding> {
    seedance_core::lint_prompt(prompt)
        .into_iter()
        .map(|f| PyLintFinding {
            kind: f.kind.as_str().to_owned(),
            start: char_index(prompt, f.span.start),
            end: char_index(prompt, f.span.end),
            message: f.to_string(),
            text: f.text,
        })
        .collect()
}

/// Finds what the provider's prompt guide says never to send: ``asset://`` URLs, raw
/// asset ids, in-app labels such as ``@图片1``, and empty shots. An empty list means the
/// prompt is clean. (``submit`` refuses a prompt with findings.)
#[pyfunction]
pub fn lint_prompt(prompt: &str) -> Vec<PyLintFinding> {
    findings(prompt)
}
