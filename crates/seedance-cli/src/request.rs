//! Turning flags into a `VideoRequest` (validated by seedance-core, never here).

use seedance_core::{VideoRequest, VideoRequestBuilder};

use crate::cli::{DirectorArgs, PromptSource, RequestArgs};
use crate::error::CliError;
use crate::prompt_file::read_prompt_file;

/// The free-form prompt of `--prompt` / `--prompt-file`, if any.
pub fn free_prompt(src: &PromptSource) -> Result<Option<String>, CliError> {
    match (&src.prompt, &src.prompt_file) {
        (Some(p), _) => Ok(Some(p.clone())),
        (None, Some(path)) => read_prompt_file(path).map(Some),
        (None, None) => Ok(None),
    }
}

/// Builds the request from every flag of `generate`, without validating it: the caller
/// validates with seedance-core so that every violation is reported at once.
pub fn build_request(
    src: &PromptSource,
    args: &RequestArgs,
    director: &DirectorArgs,
) -> Result<VideoRequest, CliError> {
    let free = free_prompt(src)?;
    let b =
        match free {
            Some(_) if director.is_used() => return Err(CliError::usage(
                "give either --prompt/--prompt-file or the director flags (--subject, --action, \
                 --scene, --camera, --style, --shot, --constraint, reference roles such as \
                 --opening-frame or --character-ref), not both; with a free-form prompt pass \
                 references as --image-url, --end-image-url or --media-url",
            )
            .with("field", "prompt")),
            Some(p) => VideoRequest::builder(p),
            None if director.is_used() => crate::director::build(director, args.duration)?,
            None => return Err(CliError::usage(
                "a prompt is needed: --prompt TEXT, --prompt-file FILE, or director flags such \
                 as --subject and --action",
            )
            .with("field", "prompt")),
        };
    Ok(apply_request_args(b, args).build_unchecked())
}

/// Applies the API's request flags on top of a builder (they win over what a director
/// prompt filled in).
///
/// Without `--mode` (and without a mode from the director prompt) the mode is inferred
/// from the reference flags by the core's one rule (Reading R25), as Python does; the
/// profile's mode (`--default-mode`) applies only when that infers none.
pub fn apply_request_args(mut b: VideoRequestBuilder, a: &RequestArgs) -> VideoRequestBuilder {
    if let Some(m) = &a.mode {
        b = b.mode(m.as_str());
    }
    if let Some(v) = &a.quality_tier {
        b = b.quality_tier(v.as_str());
    }
    if let Some(v) = &a.channel {
        b = b.channel(v.as_str());
    }
    if let Some(v) = &a.aspect_ratio {
        b = b.aspect_ratio(v.as_str());
    }
    if let Some(v) = a.duration {
        b = b.duration(v);
    }
    if let Some(v) = &a.resolution {
        b = b.resolution(v.as_str());
    }
    if let Some(v) = &a.image_url {
        b = b.image_url(v.clone());
    }
    if let Some(v) = &a.end_image_url {
        b = b.end_image_url(v.clone());
    }
    for u in &a.media_urls {
        b = b.media_url(u.clone());
    }
    if a.no_audio {
        b = b.generate_audio(false);
    }
    if a.fixed_lens {
        b = b.fixed_lens(true);
    }
    if let Some(s) = a.seed {
        b = b.seed(s);
    }
    match &a.default_mode {
        Some(m) => b.default_mode(m.as_str()),
        None => b.infer_mode(),
    }
}
