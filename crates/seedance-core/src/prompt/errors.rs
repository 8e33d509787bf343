//! Why a director prompt cannot be rendered or turned into a request.

use super::assets::{AssetRole, Intent};
use crate::lint::LintFinding;
use crate::validate::ValidationError;

/// Why a [`DirectorPrompt`](crate::DirectorPrompt) cannot be rendered or turned into a request.
///
/// ```
/// use seedance_core::{AssetRole, DirectorPrompt, PromptError};
/// let err = DirectorPrompt::new()
///     .action("the ferry docks")
///     .opening_frame("https://cdn.example.com/first.png")
///     .reference(AssetRole::Character, "https://cdn.example.com/hero.png", "keep his face")
///     .render()
///     .unwrap_err();
/// assert!(matches!(err, PromptError::MixedAssetRoles { .. }));
/// assert_eq!(DirectorPrompt::new().render().unwrap_err(), PromptError::Empty);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PromptError {
    /// Nothing to render: no subject, action, scene, camera, style or shot.
    #[error("the prompt is empty: set at least a subject, an action or one shot")]
    Empty,
    /// A shot with neither action nor camera (shots are numbered from 1).
    #[error("shot {shot} is empty: give it an action or a camera motion")]
    EmptyShot {
        /// The shot's number, from 1.
        shot: usize,
    },
    /// A shot whose timing is impossible (negative, reversed, overlapping, too long).
    #[error("shot {shot} timing {timing}: {reason}")]
    ShotTiming {
        /// The shot's number, from 1.
        shot: usize,
        /// The timing as rendered (`3–2 s`).
        timing: String,
        /// What is wrong.
        reason: String,
    },
    /// Frame roles and media roles together: one request cannot carry both.
    #[error(
        "cannot mix frame references ({frames}: image_url/end_image_url, mode image-to-video) with media references ({media}: media_urls, mode media-to-video) in one request; use frames or media references, not both"
    )]
    MixedAssetRoles {
        /// The frame roles present, joined with ", ".
        frames: String,
        /// The media roles present, joined with ", ".
        media: String,
    },
    /// More than one asset for a role that fills a single field.
    #[error("only one {role} reference is possible ({field} holds one URL); got {count}")]
    DuplicateFrame {
        /// The role given more than once.
        role: AssetRole,
        /// Its field.
        field: &'static str,
        /// How many were given.
        count: usize,
    },
    /// A closing frame without an opening frame (`end_image_url` needs `image_url`).
    #[error("a closing_frame reference (end_image_url) needs an opening_frame reference (image_url) too")]
    ClosingFrameWithoutOpening,
    /// An intent without the asset it works on.
    #[error("intent {intent} needs a {role} reference (media_urls) to work on")]
    MissingIntentAsset {
        /// The intent.
        intent: Intent,
        /// The role it needs.
        role: AssetRole,
    },
    /// The rendered prompt is longer than the API allows.
    #[error("the rendered prompt has {chars} characters; the API allows at most {max}")]
    TooLong {
        /// Code points rendered.
        chars: usize,
        /// [`crate::rules::PROMPT_MAX_CHARS`].
        max: usize,
    },
    /// The rendered text contains something the guide says never to send (text given by
    /// the caller, such as an `@图片1` label or an `asset://` URL).
    #[error("the rendered prompt {}", join_findings(.0))]
    Lint(Vec<LintFinding>),
    /// The request built from the prompt breaks a rule of the spec.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
}

fn join_findings(findings: &[LintFinding]) -> String {
    findings
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
