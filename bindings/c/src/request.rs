//! `seedance_request` (from JSON or field by field), validation, the director prompt
//! and the prompt linter: all rules are seedance-core's.

use std::ffi::c_char;

use seedance_core::{
    AspectRatio, Channel, DirectorPrompt, Mode, PromptError, QualityTier, Resolution, VideoRequest,
};

use crate::error::{fail, fail_with, seedance_result, Detail, LastError};
use crate::panic::{arg_json, arg_mut, arg_ref, arg_str, boundary, call, returning, take};

/// A video request being built. Not validated until used (`seedance_request_validate`,
/// or the submit, which refuses an invalid request before sending anything). Not for
/// sharing between threads while it is being changed.
pub struct seedance_request {
    pub(crate) req: VideoRequest,
}

crate::panic::handles!(seedance_request);

impl seedance_request {
    /// The request as it is validated and sent: without a `mode`, the mode its
    /// references imply (Reading R25, the core's rule; the CLI and Python do the same).
    pub(crate) fn resolved(&self) -> VideoRequest {
        let mut req = self.req.clone();
        req.infer_mode();
        req
    }
}

fn invalid(message: impl Into<String>) -> seedance_result {
    fail_with(seedance_result::InvalidArgument, message)
}

/// The error of the prompt builder as a last error (violations as details).
fn prompt_error(e: PromptError) -> seedance_result {
    match e {
        PromptError::Invalid(v) => fail(LastError::validation(&v)),
        PromptError::Lint(findings) => {
            let mut err = LastError::new(
                seedance_result::Validation,
                format!(
                    "invalid request: {}",
                    findings
                        .iter()
                        .map(|f| format!("prompt: {f}"))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            );
            err.details = findings
                .iter()
                .map(|f| Detail {
                    field: "prompt".into(),
                    message: f.to_string(),
                })
                .collect();
            fail(err)
        }
        other => {
            let mut err = LastError::new(seedance_result::Validation, other.to_string());
            err.details.push(Detail {
                field: "prompt".into(),
                message: other.to_string(),
            });
            fail(err)
        }
    }
}

/// Makes a request with its one required field, `prompt`, into `*out` (free it with
/// `seedance_request_free`).
#[no_mangle]
pub extern "C" fn seedance_request_new(
    prompt: *const c_char,
    out: *mut *mut seedance_request,
) -> seedance_result {
    returning(out, || {
        Ok(seedance_request {
            req: VideoRequest::builder(arg_str(prompt, "prompt")?).build_unchecked(),
        })
    })
}

/// Makes a request from its JSON body as the API takes it
/// (`{"prompt":"…","duration":"5"}`); unknown fields are refused with
/// `SEEDANCE_RESULT_INVALID_ARGUMENT`. Not validated yet.
#[no_mangle]
pub extern "C" fn seedance_request_from_json(
    json: *const c_char,
    out: *mut *mut seedance_request,
) -> seedance_result {
    returning(out, || {
        Ok(seedance_request {
            req: arg_json(json, "json", "a request body")?,
        })
    })
}

/// The request's JSON body as it is sent into `*out` (free it with
/// `seedance_string_free`): without a `mode`, the mode its references imply
/// (`image_url`/`end_image_url`: `image-to-video`, `media_urls`: `media-to-video`;
/// Reading R25, as the CLI and Python infer it).
#[no_mangle]
pub extern "C" fn seedance_request_to_json(
    request: *const seedance_request,
    out: *mut *mut c_char,
) -> seedance_result {
    returning(out, || {
        let r = arg_ref(request, "request")?;
        serde_json::to_string(&r.resolved()).map_err(|e| invalid(e.to_string()))
    })
}

/// Sets a text field by its API name: `prompt`, `mode`, `quality_tier`, `channel`,
/// `aspect_ratio`, `resolution`, `image_url`, `end_image_url`, or `duration` (digits);
/// NULL `value` removes the field (except `prompt`). Values are checked by
/// `seedance_request_validate`, not here.
#[no_mangle]
pub extern "C" fn seedance_request_set_string(
    request: *mut seedance_request,
    field: *const c_char,
    value: *const c_char,
) -> seedance_result {
    call(|| {
        let r = arg_mut(request, "request")?;
        let field = arg_str(field, "field")?;
        let value = crate::panic::opt_str(value, "value")?.map(str::to_owned);
        let req = &mut r.req;
        match field {
            "prompt" => req.prompt = value.ok_or_else(|| crate::panic::null("value"))?,
            "mode" => req.mode = value.map(Mode::from),
            "quality_tier" => req.quality_tier = value.map(QualityTier::from),
            "channel" => req.channel = value.map(Channel::from),
            "aspect_ratio" => req.aspect_ratio = value.map(AspectRatio::from),
            "resolution" => req.resolution = value.map(Resolution::from),
            "image_url" => req.image_url = value,
            "end_image_url" => req.end_image_url = value,
            "duration" => {
                req.duration = match value {
                    None => None,
                    Some(v) => match v.parse::<u32>() {
                        Ok(n) if v.bytes().all(|c| c.is_ascii_digit()) => Some(n.into()),
                        _ => {
                            return Err(invalid(format!(
                                "duration must be whole seconds such as \"5\" (got {v:?})"
                            )))
                        }
                    },
                }
            }
            _ => return Err(unknown_field(field, "a text")),
        }
        Ok(())
    })
}

fn unknown_field(field: &str, kind: &str) -> seedance_result {
    if seedance_core::rules::REQUEST_FIELDS.contains(&field) {
        invalid(format!("{field} is not {kind} field"))
    } else {
        invalid(format!(
            "unknown field {field:?} (the API takes: {})",
            seedance_core::rules::REQUEST_FIELDS.join(", ")
        ))
    }
}

/// Sets a whole-number field: `duration` (seconds) or `seed`.
#[no_mangle]
pub extern "C" fn seedance_request_set_int(
    request: *mut seedance_request,
    field: *const c_char,
    value: i64,
) -> seedance_result {
    call(|| {
        let r = arg_mut(request, "request")?;
        match arg_str(field, "field")? {
            // out-of-range values are kept so that the core's rule names them
            "duration" => {
                r.req.duration = Some(u32::try_from(value.max(0)).unwrap_or(u32::MAX).into())
            }
            "seed" => r.req.seed = Some(value),
            f => return Err(unknown_field(f, "a whole-number")),
        }
        Ok(())
    })
}

/// Sets a yes/no field: `generate_audio` or `fixed_lens`.
#[no_mangle]
pub extern "C" fn seedance_request_set_bool(
    request: *mut seedance_request,
    field: *const c_char,
    value: bool,
) -> seedance_result {
    call(|| {
        let r = arg_mut(request, "request")?;
        match arg_str(field, "field")? {
            "generate_audio" => r.req.generate_audio = Some(value),
            "fixed_lens" => r.req.fixed_lens = Some(value),
            f => return Err(unknown_field(f, "a yes/no")),
        }
        Ok(())
    })
}

/// Appends a URL to `media_urls` (reference images or videos, `media-to-video`).
#[no_mangle]
pub extern "C" fn seedance_request_add_media_url(
    request: *mut seedance_request,
    url: *const c_char,
) -> seedance_result {
    call(|| {
        let r = arg_mut(request, "request")?;
        let url = arg_str(url, "url")?;
        r.req
            .media_urls
            .get_or_insert_with(Vec::new)
            .push(url.to_owned());
        Ok(())
    })
}

/// Checks every rule of the spec, on the request as it is sent (a missing `mode` inferred
/// from the references, Reading R25). `SEEDANCE_RESULT_VALIDATION` lists every violation in
/// the last error's details (`seedance_last_error_detail_field` / `_message`).
#[no_mangle]
pub extern "C" fn seedance_request_validate(request: *const seedance_request) -> seedance_result {
    call(|| {
        let r = arg_ref(request, "request")?;
        r.resolved()
            .validate()
            .map_err(|v| fail(LastError::validation(&v)))
    })
}

/// Frees a request. NULL is a no-op.
#[no_mangle]
pub extern "C" fn seedance_request_free(request: *mut seedance_request) {
    boundary(|| take(request))
}

fn director(json: *const c_char) -> Result<DirectorPrompt, seedance_result> {
    let json = arg_str(json, "json")?;
    DirectorPrompt::from_json(json)
        .map_err(|e| invalid(format!("json is not a director prompt: {e}")))
}

/// Renders a director prompt (its JSON form: subject, action, scene, camera, style,
/// shots, references, constraints, duration) into a request: the prompt text, the mode
/// and the reference URLs in their fields, the duration. Validated: a prompt the guide
/// or the spec refuses gives `SEEDANCE_RESULT_VALIDATION` with details.
#[no_mangle]
pub extern "C" fn seedance_request_from_director_prompt(
    json: *const c_char,
    out: *mut *mut seedance_request,
) -> seedance_result {
    returning(out, || {
        let req = director(json)?.build().map_err(prompt_error)?;
        Ok(seedance_request { req })
    })
}

/// The prompt text of a director prompt (JSON form) into `*out` (free it with
/// `seedance_string_free`); errors as `seedance_request_from_director_prompt`.
#[no_mangle]
pub extern "C" fn seedance_director_prompt_render(
    json: *const c_char,
    out: *mut *mut c_char,
) -> seedance_result {
    returning(out, || director(json)?.render().map_err(prompt_error))
}

/// Lints a prompt against the provider's guide (asset URLs, raw asset ids, in-app
/// labels, empty shots). `*count` (may be NULL) gets the number of findings; `*json`
/// (may be NULL; free it with `seedance_string_free`) a JSON array of
/// `{"kind","start","end","text","message"}` (byte offsets). A clean prompt gives 0 and
/// `[]`; findings are not an error.
#[no_mangle]
pub extern "C" fn seedance_lint_prompt(
    prompt: *const c_char,
    count: *mut usize,
    json: *mut *mut c_char,
) -> seedance_result {
    call(|| {
        if !json.is_null() {
            crate::panic::out_ptr(json, "json")?;
        }
        let prompt = arg_str(prompt, "prompt")?;
        let findings = seedance_core::lint_prompt(prompt);
        if !count.is_null() {
            // SAFETY: non-NULL out-pointer from the caller.
            unsafe { *count = findings.len() };
        }
        if !json.is_null() {
            let list: Vec<serde_json::Value> = findings
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "kind": f.kind.as_str(),
                        "start": f.span.start,
                        "end": f.span.end,
                        "text": f.text,
                        "message": f.to_string(),
                    })
                })
                .collect();
            crate::panic::give_string(json, serde_json::Value::Array(list).to_string());
        }
        Ok(())
    })
}
