//! Director flags → `seedance_core::DirectorPrompt` (the provider's prompt guide as an API).

use seedance_core::{
    AssetRole, Constraint, Constraints, DirectorPrompt, PromptError, Shot, VideoRequestBuilder,
};

use crate::cli::DirectorArgs;
use crate::error::{CliError, Exit};

/// The director prompt the flags describe (on top of `--director-file`, if given).
pub fn director_prompt(
    a: &DirectorArgs,
    duration: Option<u32>,
) -> Result<DirectorPrompt, CliError> {
    let mut p = match &a.director_file {
        Some(path) => {
            let text = crate::prompt_file::read_prompt_file(path)?;
            DirectorPrompt::from_json(&text).map_err(|e| {
                CliError::usage(format!("--director-file {}: {e}", path.display()))
                    .with("field", "director")
            })?
        }
        None => DirectorPrompt::new(),
    };
    if let Some(v) = &a.subject {
        p = p.subject(v.clone());
    }
    if let Some(v) = &a.action {
        p = p.action(v.clone());
    }
    if let Some(v) = &a.scene {
        p = p.scene(v.clone());
    }
    if let Some(v) = &a.camera {
        p = p.camera(v.clone());
    }
    if let Some(v) = &a.style {
        p = p.style(v.clone());
    }
    for s in &a.shots {
        let mut shot = Shot::new(s.action.clone());
        if let Some(c) = &s.camera {
            shot = shot.camera(c.clone());
        }
        if let Some((start, end)) = s.timing {
            shot = shot.timing(start, end);
        }
        p = p.shot(shot);
    }
    if a.no_default_constraints {
        let mut none = Constraints::none();
        none.custom = std::mem::take(&mut p.constraints.custom);
        p = p.constraints(none);
    }
    if a.subtitles {
        p = p.without(Constraint::NoSubtitles);
    }
    for c in &a.constraints {
        p = p.constraint(c.clone());
    }
    if let Some(u) = &a.opening_frame {
        p = p.opening_frame(u.clone());
    }
    if let Some(u) = &a.closing_frame {
        p = p.closing_frame(u.clone());
    }
    for (role, urls) in [
        (AssetRole::Character, &a.character_refs),
        (AssetRole::Motion, &a.motion_refs),
        (AssetRole::Style, &a.style_refs),
    ] {
        for u in urls {
            p = p.asset(seedance_core::ReferenceAsset::new(role, u.clone()));
        }
    }
    if let Some(u) = &a.source_video {
        p = p.edit(u.clone());
    }
    if let Some(u) = &a.extend_from {
        p = p.extend(u.clone());
    }
    if let Some(d) = duration {
        p = p.duration(d);
    }
    Ok(p)
}

/// A request builder with the rendered prompt, the mode and the URL fields filled in.
pub fn build(a: &DirectorArgs, duration: Option<u32>) -> Result<VideoRequestBuilder, CliError> {
    let p = director_prompt(a, duration)?;
    p.request().map_err(prompt_error)
}

/// A `PromptError` as a usage error (exit 2, nothing sent).
pub fn prompt_error(e: PromptError) -> CliError {
    match e {
        PromptError::Invalid(v) => v.into(),
        PromptError::Lint(findings) => {
            let list: Vec<serde_json::Value> = findings
                .iter()
                .map(|f| serde_json::json!({"field": "prompt", "rule": "prompt_lint", "kind": f.kind.as_str(), "message": f.to_string()}))
                .collect();
            CliError::new(
                Exit::Usage,
                "validation",
                format!("invalid director prompt (nothing was sent): prompt: {}", PromptError::Lint(findings)),
            )
            .with("violations", list)
        }
        other => CliError::new(
            Exit::Usage,
            "validation",
            format!("invalid director prompt (nothing was sent): prompt: {other}"),
        )
        .with(
            "violations",
            vec![serde_json::json!({"field": "prompt", "rule": "director_prompt", "message": other.to_string()})],
        ),
    }
}
