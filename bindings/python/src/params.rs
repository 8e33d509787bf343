//! Keyword arguments to a `seedance_core::VideoRequest`, validated by the core, and
//! the seconds of settings.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyString};
use seedance_core::{Duration, VideoRequest};

use crate::errors;

/// The request's fields, from the core's one table.
pub(crate) const FIELDS: &[&str] = seedance_core::rules::REQUEST_FIELDS;

fn get<'py>(params: &Bound<'py, PyDict>, key: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    Ok(params.get_item(key)?.filter(|v| !v.is_none()))
}

fn string(py: Python<'_>, key: &str, v: &Bound<'_, PyAny>) -> PyResult<String> {
    match v.cast::<PyString>() {
        Ok(s) => Ok(s.to_cow()?.into_owned()),
        Err(_) => Err(errors::argument_error(
            py,
            key,
            &format!("must be a string (got {})", v.get_type().name()?),
        )),
    }
}

fn boolean(py: Python<'_>, key: &str, v: &Bound<'_, PyAny>) -> PyResult<bool> {
    match v.cast::<PyBool>() {
        Ok(b) => Ok(b.is_true()),
        Err(_) => Err(errors::argument_error(
            py,
            key,
            &format!("must be True or False (got {})", v.get_type().name()?),
        )),
    }
}

fn integer(py: Python<'_>, key: &str, v: &Bound<'_, PyAny>) -> PyResult<i128> {
    if v.is_instance_of::<PyInt>() && !v.is_instance_of::<PyBool>() {
        if let Ok(i) = v.extract::<i128>() {
            return Ok(i);
        }
    }
    Err(errors::argument_error(
        py,
        key,
        &format!("must be an integer (got {})", v.repr()?),
    ))
}

/// Builds the request from the API-named keyword arguments and checks every rule of the
/// spec (all violations at once, as `seedance.ValidationError`). Unknown keys are refused.
pub(crate) fn request_from_params(
    py: Python<'_>,
    params: &Bound<'_, PyDict>,
) -> PyResult<VideoRequest> {
    for key in params.keys() {
        let key: String = key.extract()?;
        if !FIELDS.contains(&key.as_str()) {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "unexpected keyword argument {key:?} (the API takes: {})",
                FIELDS.join(", ")
            )));
        }
    }
    let prompt = match get(params, "prompt")? {
        Some(v) => string(py, "prompt", &v)?,
        None => {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "missing required keyword argument 'prompt'",
            ))
        }
    };
    let mut b = VideoRequest::builder(prompt);
    if let Some(v) = get(params, "mode")? {
        b = b.mode(string(py, "mode", &v)?);
    }
    if let Some(v) = get(params, "quality_tier")? {
        b = b.quality_tier(string(py, "quality_tier", &v)?);
    }
    if let Some(v) = get(params, "channel")? {
        b = b.channel(string(py, "channel", &v)?);
    }
    if let Some(v) = get(params, "aspect_ratio")? {
        b = b.aspect_ratio(string(py, "aspect_ratio", &v)?);
    }
    if let Some(v) = get(params, "resolution")? {
        b = b.resolution(string(py, "resolution", &v)?);
    }
    if let Some(v) = get(params, "duration")? {
        // An int, or the wire form (a string of digits, "5").
        let secs: i128 = match v.cast::<PyString>() {
            Ok(s) => {
                let text = s.to_cow()?;
                match text.parse::<u32>() {
                    Ok(n) if text.bytes().all(|c| c.is_ascii_digit()) => i128::from(n),
                    _ => {
                        return Err(errors::argument_error(
                            py,
                            "duration",
                            &format!("must be whole seconds such as 5 (got {text:?})"),
                        ))
                    }
                }
            }
            Err(_) => integer(py, "duration", &v)?,
        };
        if secs < 0 {
            return Err(errors::argument_error(
                py,
                "duration",
                &format!("must be whole seconds such as 5 (got {secs})"),
            ));
        }
        // Out-of-range values are kept so that the core's rule names them.
        let secs = u32::try_from(secs.clamp(0, i128::from(u32::MAX))).unwrap_or(u32::MAX);
        b = b.duration(Duration::from_secs(secs));
    }
    if let Some(v) = get(params, "image_url")? {
        b = b.image_url(string(py, "image_url", &v)?);
    }
    if let Some(v) = get(params, "end_image_url")? {
        b = b.end_image_url(string(py, "end_image_url", &v)?);
    }
    if let Some(v) = get(params, "media_urls")? {
        if v.is_instance_of::<PyString>() {
            return Err(errors::argument_error(
                py,
                "media_urls",
                "must be a list of URLs, not one string",
            ));
        }
        let mut urls = Vec::new();
        for (i, item) in v.try_iter()?.enumerate() {
            urls.push(string(py, &format!("media_urls[{i}]"), &item?)?);
        }
        b = b.media_urls(urls);
    }
    if let Some(v) = get(params, "generate_audio")? {
        b = b.generate_audio(boolean(py, "generate_audio", &v)?);
    }
    if let Some(v) = get(params, "fixed_lens")? {
        b = b.fixed_lens(boolean(py, "fixed_lens", &v)?);
    }
    if let Some(v) = get(params, "seed")? {
        let seed = integer(py, "seed", &v)?;
        let seed = i64::try_from(seed).unwrap_or(if seed < 0 { i64::MIN } else { i64::MAX });
        b = b.seed(seed);
    }
    // Reading R25: no `mode` given → the core infers it from the references, as the CLI.
    b.infer_mode()
        .build()
        .map_err(|e| errors::validation_error(py, &e))
}

/// `seedance.validate(**params)`: checks a request without sending it and returns the
/// JSON body that would be sent (a dict; the mode inferred as Reading R25 says).
#[pyfunction]
#[pyo3(signature = (**params))]
pub fn validate<'py>(
    py: Python<'py>,
    params: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    crate::shield::shield(py, || {
        let empty = PyDict::new(py);
        let req = request_from_params(py, params.unwrap_or(&empty))?;
        let body = serde_json::to_value(&req).map_err(|e| {
            pyo3::exceptions::PyRuntimeError::new_err(format!("cannot encode the request: {e}"))
        })?;
        crate::convert::json_to_py(py, &body)
    })
}

/// A number of seconds from Python (Reading R21): finite, ≥ 0, at most
/// [`seedance_core::rules::SETTING_DURATION_MAX`]; anything else (`1e300`, `inf`, `nan`,
/// `-1`) is a `ConfigurationError` (a `ValueError`) naming the parameter, never a panic.
pub(crate) fn secs(py: Python<'_>, name: &str, v: f64) -> PyResult<std::time::Duration> {
    seedance_core::rules::duration_from_secs_f64(
        name,
        v,
        seedance_core::rules::SETTING_DURATION_MAX,
    )
    .map_err(|message| errors::make(py, "ConfigurationError", (message,), None))
}
