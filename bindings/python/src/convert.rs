//! JSON values to and from Python objects.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use seedance_http::{RateLimit, RateLimitSetting};
use serde_json::Value;

/// A JSON value as plain Python objects (dict, list, str, int, float, bool, None).
pub(crate) fn json_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, item) in map {
                dict.set_item(k, json_to_py(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

/// A Python object made of dict/list/tuple/str/int/float/bool/None as JSON.
pub(crate) fn py_to_json(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        return Ok(Value::from(obj.extract::<u64>()?));
    }
    if obj.is_instance_of::<PyFloat>() {
        let f: f64 = obj.extract()?;
        return Ok(serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_cow()?.into_owned()));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = serde_json::Map::new();
        for (k, v) in d.iter() {
            let key: String = k.extract()?;
            map.insert(key, py_to_json(&v)?);
        }
        return Ok(Value::Object(map));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut out = Vec::new();
        for item in obj.try_iter()? {
            out.push(py_to_json(&item?)?);
        }
        return Ok(Value::Array(out));
    }
    Err(pyo3::exceptions::PyTypeError::new_err(format!(
        "cannot convert {} to JSON",
        obj.get_type().name()?
    )))
}

/// `s` as Python's `repr()` of a `str` would show it (single quotes).
pub(crate) fn repr_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A rate limit argument of `Client(...)` and `Emulator(...)`, as the client's one
/// three-way setting: absent or `None` = [`RateLimitSetting::Default`], `False` =
/// [`RateLimitSetting::Off`], `(requests, seconds)` with both > 0 (the window at most
/// [`seedance_core::rules::SETTING_DURATION_MAX`], Reading R21) = that
/// [`RateLimitSetting::Custom`] budget. `Err(message)` naming the parameter for anything
/// else (each caller raises its own exception class); never panics, whatever the float.
pub(crate) fn rate_arg(
    v: Option<&Bound<'_, PyAny>>,
    name: &str,
) -> Result<RateLimitSetting, String> {
    let Some(v) = v.filter(|v| !v.is_none()) else {
        return Ok(RateLimitSetting::Default);
    };
    if let Ok(false) = v.extract::<bool>() {
        return Ok(RateLimitSetting::Off);
    }
    let shape =
        || format!("{name} must be (requests, seconds) with both > 0, or False to turn it off");
    match v.extract::<(u32, f64)>() {
        Ok((n, w)) if n > 0 && w > 0.0 => seedance_core::rules::duration_from_secs_f64(
            &format!("{name} window"),
            w,
            seedance_core::rules::SETTING_DURATION_MAX,
        )
        .map(|d| RateLimitSetting::Custom(RateLimit::new(n, d)))
        .map_err(|m| format!("{m} ({})", shape())),
        _ => Err(shape()),
    }
}
