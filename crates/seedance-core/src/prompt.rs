//! `DirectorPrompt`: the provider's prompt guide as an API.
//!
//! The guide: describe the subject, action, scene, camera motion, visual style and
//! constraints; use ordered shots plus a style and constraint package for complex scenes;
//! map every reference asset to the right field (`image_url` for the opening frame,
//! `end_image_url` for the closing frame, `media_urls` for character, motion, style,
//! source-video and extension references) and describe each role in words; say "strictly
//! edit the supplied source video" for edits and "continue from the supplied previous
//! clip" for extensions.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::lint::{lint_prompt, LintFinding};
use crate::request::{VideoRequest, VideoRequestBuilder};
use crate::rules::{self, Mode};
use crate::validate::ValidationError;

/// The role of a reference asset: which request field carries it and how the prompt
/// describes it.
///
/// Frame roles go to `image_url` / `end_image_url` (mode `image-to-video`); the others go,
/// in order, to `media_urls` (mode `media-to-video`). Parses from the snake_case names
/// used in JSON/TOML and on the command line (`character`, `opening_frame`, …).
///
/// ```
/// use seedance_core::AssetRole;
/// let role: AssetRole = "opening_frame".parse().unwrap();
/// assert_eq!(role, AssetRole::OpeningFrame);
/// assert_eq!(role.field(), "image_url");
/// assert_eq!(AssetRole::Character.field(), "media_urls");
/// assert!("sidekick".parse::<AssetRole>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AssetRole {
    /// The opening frame (`image_url`).
    #[serde(alias = "first_frame", alias = "start_frame")]
    OpeningFrame,
    /// The closing frame (`end_image_url`); needs an opening frame.
    #[serde(alias = "last_frame", alias = "end_frame")]
    ClosingFrame,
    /// A character reference (`media_urls`): who appears.
    Character,
    /// A motion reference (`media_urls`): how things move.
    Motion,
    /// A style reference (`media_urls`): how it looks.
    Style,
    /// The source video of an edit (`media_urls`).
    #[serde(alias = "source")]
    SourceVideo,
    /// The previous clip of an extension (`media_urls`).
    #[serde(alias = "previous_clip")]
    Extension,
}

impl AssetRole {
    /// Every role, in a fixed order.
    pub const ALL: &'static [AssetRole] = &[
        AssetRole::OpeningFrame,
        AssetRole::ClosingFrame,
        AssetRole::Character,
        AssetRole::Motion,
        AssetRole::Style,
        AssetRole::SourceVideo,
        AssetRole::Extension,
    ];

    /// The snake_case name (`opening_frame`), as in JSON/TOML.
    pub fn as_str(self) -> &'static str {
        match self {
            AssetRole::OpeningFrame => "opening_frame",
            AssetRole::ClosingFrame => "closing_frame",
            AssetRole::Character => "character",
            AssetRole::Motion => "motion",
            AssetRole::Style => "style",
            AssetRole::SourceVideo => "source_video",
            AssetRole::Extension => "extension",
        }
    }

    /// The request field that carries an asset of this role.
    pub fn field(self) -> &'static str {
        match self {
            AssetRole::OpeningFrame => "image_url",
            AssetRole::ClosingFrame => "end_image_url",
            _ => "media_urls",
        }
    }

    /// Whether this is a frame role (`image_url` / `end_image_url`, `image-to-video`).
    pub fn is_frame(self) -> bool {
        matches!(self, AssetRole::OpeningFrame | AssetRole::ClosingFrame)
    }

    /// The mode a request with this role needs.
    ///
    /// ```
    /// use seedance_core::{AssetRole, Mode};
    /// assert_eq!(AssetRole::ClosingFrame.mode(), Mode::ImageToVideo);
    /// assert_eq!(AssetRole::Motion.mode(), Mode::MediaToVideo);
    /// ```
    pub fn mode(self) -> Mode {
        if self.is_frame() {
            Mode::ImageToVideo
        } else {
            Mode::MediaToVideo
        }
    }

    /// How the role reads in prose ("the character", "the opening frame").
    fn describe(self) -> &'static str {
        match self {
            AssetRole::OpeningFrame => "opening frame",
            AssetRole::ClosingFrame => "closing frame",
            AssetRole::Character => "character reference",
            AssetRole::Motion => "motion reference",
            AssetRole::Style => "style reference",
            AssetRole::SourceVideo => "source video",
            AssetRole::Extension => "previous clip",
        }
    }
}

impl fmt::Display for AssetRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An asset role name that is not one of [`AssetRole::ALL`].
///
/// ```
/// use seedance_core::{AssetRole, UnknownAssetRole};
/// let err = "sidekick".parse::<AssetRole>().unwrap_err();
/// assert_eq!(err, UnknownAssetRole("sidekick".to_owned()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown asset role {0:?}; expected one of opening_frame, closing_frame, character, motion, style, source_video, extension")]
pub struct UnknownAssetRole(pub String);

impl FromStr for AssetRole {
    type Err = UnknownAssetRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Ok(match norm.as_str() {
            "opening_frame" | "first_frame" | "start_frame" => AssetRole::OpeningFrame,
            "closing_frame" | "last_frame" | "end_frame" => AssetRole::ClosingFrame,
            "character" => AssetRole::Character,
            "motion" => AssetRole::Motion,
            "style" => AssetRole::Style,
            "source_video" | "source" => AssetRole::SourceVideo,
            "extension" | "previous_clip" => AssetRole::Extension,
            _ => return Err(UnknownAssetRole(s.to_owned())),
        })
    }
}

/// A reference asset: a public https URL, its role, and an optional note on what to take
/// from it ("keep his face and outfit").
///
/// ```
/// use seedance_core::{AssetRole, ReferenceAsset};
/// let a = ReferenceAsset::new(AssetRole::Character, "https://cdn.example.com/hero.png")
///     .note("keep his face and outfit");
/// assert_eq!(a.role, AssetRole::Character);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ReferenceAsset {
    /// What the asset is for.
    pub role: AssetRole,
    /// Where it is (a public https URL; checked when the request is built).
    pub url: String,
    /// What to take from it, in words; added after the role description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl ReferenceAsset {
    /// An asset with a role and a URL.
    pub fn new(role: AssetRole, url: impl Into<String>) -> Self {
        ReferenceAsset {
            role,
            url: url.into(),
            note: None,
        }
    }

    /// Sets what to take from the asset.
    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

/// When a shot happens within the clip, in seconds from the start.
///
/// ```
/// use seedance_core::ShotTiming;
/// let t = ShotTiming::new(0.0, 3.0);
/// assert_eq!(t.to_string(), "0–3 s");
/// assert_eq!(ShotTiming::new(2.5, 5.0).to_string(), "2.5–5 s");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ShotTiming {
    /// Start, in seconds (≥ 0).
    pub start: f64,
    /// End, in seconds (> start).
    pub end: f64,
}

impl ShotTiming {
    /// A span from `start` to `end` seconds.
    pub fn new(start: f64, end: f64) -> Self {
        ShotTiming { start, end }
    }
}

impl fmt::Display for ShotTiming {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}–{} s", secs(self.start), secs(self.end))
    }
}

/// Seconds without a trailing `.0` (`3`, `2.5`); deterministic.
fn secs(v: f64) -> String {
    let r = (v * 1000.0).round() / 1000.0;
    format!("{r}")
}

/// One shot of an ordered shot list: what happens, how the camera moves, and when.
///
/// ```
/// use seedance_core::Shot;
/// let shot = Shot::new("the train bursts out of the tunnel")
///     .camera("low angle, slow tilt up")
///     .timing(0.0, 3.0);
/// assert_eq!(shot.camera.as_deref(), Some("low angle, slow tilt up"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Shot {
    /// What happens in the shot.
    pub action: String,
    /// The camera motion of this shot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub camera: Option<String>,
    /// When the shot happens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timing: Option<ShotTiming>,
}

impl Shot {
    /// A shot with its action.
    pub fn new(action: impl Into<String>) -> Self {
        Shot {
            action: action.into(),
            camera: None,
            timing: None,
        }
    }

    /// Sets the camera motion of this shot.
    #[must_use]
    pub fn camera(mut self, camera: impl Into<String>) -> Self {
        self.camera = Some(camera.into());
        self
    }

    /// Sets when the shot happens, in seconds from the start of the clip.
    #[must_use]
    pub fn timing(mut self, start_secs: f64, end_secs: f64) -> Self {
        self.timing = Some(ShotTiming::new(start_secs, end_secs));
        self
    }
}

/// One switch of the guide's constraint package.
///
/// ```
/// use seedance_core::Constraint;
/// assert_eq!(Constraint::NoSubtitles.phrase(), "no subtitles");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Constraint {
    /// "stable faces".
    StableFaces,
    /// "natural motion".
    NaturalMotion,
    /// "no deformation".
    NoDeformation,
    /// "no watermark".
    NoWatermark,
    /// "no logo".
    NoLogo,
    /// "no subtitles" (switch it off when subtitles are intended).
    NoSubtitles,
}

impl Constraint {
    /// The package's switches, in the order they are rendered.
    pub const ALL: &'static [Constraint] = &[
        Constraint::StableFaces,
        Constraint::NaturalMotion,
        Constraint::NoDeformation,
        Constraint::NoWatermark,
        Constraint::NoLogo,
        Constraint::NoSubtitles,
    ];

    /// The words the prompt uses for it.
    pub fn phrase(self) -> &'static str {
        match self {
            Constraint::StableFaces => "stable faces",
            Constraint::NaturalMotion => "natural motion",
            Constraint::NoDeformation => "no deformation",
            Constraint::NoWatermark => "no watermark",
            Constraint::NoLogo => "no logo",
            Constraint::NoSubtitles => "no subtitles",
        }
    }
}

/// The guide's constraint package: every switch on by default, plus custom constraints.
///
/// In JSON/TOML, missing switches keep their default (on):
/// `{"no_subtitles": false, "custom": ["keep the horizon level"]}`.
///
/// ```
/// use seedance_core::{Constraint, Constraints};
/// let mut c = Constraints::default();
/// assert!(c.is_on(Constraint::NoLogo));
/// c.set(Constraint::NoLogo, false);
/// assert!(!c.is_on(Constraint::NoLogo));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Constraints {
    /// "stable faces".
    pub stable_faces: bool,
    /// "natural motion".
    pub natural_motion: bool,
    /// "no deformation".
    pub no_deformation: bool,
    /// "no watermark".
    pub no_watermark: bool,
    /// "no logo".
    pub no_logo: bool,
    /// "no subtitles" (off when subtitles are intended).
    pub no_subtitles: bool,
    /// More constraints, in words, rendered after the package in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub custom: Vec<String>,
}

impl Default for Constraints {
    fn default() -> Self {
        Constraints {
            stable_faces: true,
            natural_motion: true,
            no_deformation: true,
            no_watermark: true,
            no_logo: true,
            no_subtitles: true,
            custom: Vec::new(),
        }
    }
}

impl Constraints {
    /// Every switch off and no custom constraints.
    pub fn none() -> Self {
        Constraints {
            stable_faces: false,
            natural_motion: false,
            no_deformation: false,
            no_watermark: false,
            no_logo: false,
            no_subtitles: false,
            custom: Vec::new(),
        }
    }

    fn slot(&mut self, c: Constraint) -> &mut bool {
        match c {
            Constraint::StableFaces => &mut self.stable_faces,
            Constraint::NaturalMotion => &mut self.natural_motion,
            Constraint::NoDeformation => &mut self.no_deformation,
            Constraint::NoWatermark => &mut self.no_watermark,
            Constraint::NoLogo => &mut self.no_logo,
            Constraint::NoSubtitles => &mut self.no_subtitles,
        }
    }

    /// Whether a switch is on.
    pub fn is_on(&self, c: Constraint) -> bool {
        match c {
            Constraint::StableFaces => self.stable_faces,
            Constraint::NaturalMotion => self.natural_motion,
            Constraint::NoDeformation => self.no_deformation,
            Constraint::NoWatermark => self.no_watermark,
            Constraint::NoLogo => self.no_logo,
            Constraint::NoSubtitles => self.no_subtitles,
        }
    }

    /// Turns a switch on or off.
    pub fn set(&mut self, c: Constraint, on: bool) {
        *self.slot(c) = on;
    }

    /// The phrases to render, in order: the switches that are on, then the custom ones.
    ///
    /// ```
    /// use seedance_core::Constraints;
    /// let mut c = Constraints::none();
    /// c.no_logo = true;
    /// c.custom.push("keep the horizon level.".into());
    /// assert_eq!(c.phrases(), ["no logo", "keep the horizon level"]);
    /// ```
    pub fn phrases(&self) -> Vec<String> {
        let mut out: Vec<String> = Constraint::ALL
            .iter()
            .filter(|c| self.is_on(**c))
            .map(|c| c.phrase().to_owned())
            .collect();
        out.extend(
            self.custom
                .iter()
                .map(|c| clean(c))
                .map(|c| c.trim_end_matches(['.', ';', ',']).to_owned())
                .filter(|c| !c.is_empty()),
        );
        out
    }
}

/// What the clip does with its source material.
///
/// ```
/// use seedance_core::Intent;
/// assert_eq!(Intent::Edit.required_role().as_str(), "source_video");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Intent {
    /// Edit a supplied source video: "strictly edit the supplied source video".
    Edit,
    /// Extend a supplied clip: "continue from the supplied previous clip".
    #[serde(alias = "extension")]
    Extend,
}

impl Intent {
    /// The asset role this intent needs among the references.
    pub fn required_role(self) -> AssetRole {
        match self {
            Intent::Edit => AssetRole::SourceVideo,
            Intent::Extend => AssetRole::Extension,
        }
    }

    /// The guide's sentence for this intent.
    ///
    /// ```
    /// use seedance_core::Intent;
    /// assert!(Intent::Extend.sentence().starts_with("Continue from the supplied previous clip"));
    /// ```
    pub fn sentence(self) -> &'static str {
        match self {
            Intent::Edit => {
                "Strictly edit the supplied source video: change only what these instructions describe."
            }
            Intent::Extend => {
                "Continue from the supplied previous clip: keep its characters, setting, lighting and motion seamless."
            }
        }
    }

    /// The snake_case name (`edit`, `extend`).
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Edit => "edit",
            Intent::Extend => "extend",
        }
    }
}

impl fmt::Display for Intent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a [`DirectorPrompt`] cannot be rendered or turned into a request.
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
        /// [`rules::PROMPT_MAX_CHARS`].
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

/// The provider's prompt guide as a builder: concrete director instructions (subject,
/// action, scene, camera motion, visual style, constraints), ordered shots, a constraint
/// package, and reference assets mapped to the right request fields and described in
/// words.
///
/// [`render`](DirectorPrompt::render) gives the text (deterministic: the same builder
/// always renders the same text); [`request`](DirectorPrompt::request) gives a
/// [`VideoRequestBuilder`] with the prompt, the mode and the URL fields filled in;
/// [`build`](DirectorPrompt::build) also validates. Loads from JSON/TOML with serde
/// (unknown keys refused).
///
/// ```
/// use seedance_core::{AssetRole, Constraint, DirectorPrompt, Mode, Shot};
///
/// let prompt = DirectorPrompt::new()
///     .subject("a silver-haired detective in a long grey coat")
///     .scene("a narrow Tokyo alley at night, wet asphalt reflecting neon")
///     .style("cinematic film noir, 35 mm film grain")
///     .shot(Shot::new("she walks toward the camera through the rain").camera("slow dolly in").timing(0.0, 3.0))
///     .shot(Shot::new("she stops under a flickering sign and looks up").camera("tilt up").timing(3.0, 5.0))
///     .reference(AssetRole::Character, "https://cdn.example.com/detective.png", "keep her face and coat")
///     .without(Constraint::NoLogo);
///
/// let text = prompt.render()?;
/// assert!(text.contains("Use the first supplied reference (media 1) as the character reference: keep her face and coat."));
/// assert!(text.contains("Shot 1 (0–3 s): she walks toward the camera through the rain. Camera: slow dolly in."));
/// assert!(text.ends_with("Constraints: stable faces, natural motion, no deformation, no watermark, no subtitles."));
///
/// let request = prompt.build()?; // validated
/// assert_eq!(request.mode, Some(Mode::MediaToVideo));
/// assert_eq!(request.media_urls.as_deref(), Some(&["https://cdn.example.com/detective.png".to_owned()][..]));
/// # Ok::<(), seedance_core::PromptError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct DirectorPrompt {
    /// Who or what the clip is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// What happens (for a single-shot clip; use shots for several).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Where and when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scene: Option<String>,
    /// Camera motion for the whole clip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub camera: Option<String>,
    /// Visual style.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    /// Ordered shots.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shots: Vec<Shot>,
    /// The constraint package (all switches on by default).
    pub constraints: Constraints,
    /// Reference assets, in order (media roles fill `media_urls` in this order).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<ReferenceAsset>,
    /// Edit or extension.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intent: Option<Intent>,
    /// Clip length in seconds: set on the request, and shot timings must fit in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<u32>,
}

impl DirectorPrompt {
    /// An empty prompt with the default constraint package.
    pub fn new() -> Self {
        DirectorPrompt::default()
    }

    /// Parses a prompt from JSON (unknown keys are refused).
    ///
    /// ```
    /// use seedance_core::DirectorPrompt;
    /// let p = DirectorPrompt::from_json(r#"{"subject":"a red kite","shots":[{"action":"it climbs","timing":{"start":0,"end":3}}]}"#).unwrap();
    /// assert_eq!(p.shots.len(), 1);
    /// assert!(DirectorPrompt::from_json(r#"{"subjct":"typo"}"#).is_err());
    /// ```
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// Sets the subject.
    #[must_use]
    pub fn subject(mut self, v: impl Into<String>) -> Self {
        self.subject = Some(v.into());
        self
    }
    /// Sets the action (for a single-shot clip).
    #[must_use]
    pub fn action(mut self, v: impl Into<String>) -> Self {
        self.action = Some(v.into());
        self
    }
    /// Sets the scene.
    #[must_use]
    pub fn scene(mut self, v: impl Into<String>) -> Self {
        self.scene = Some(v.into());
        self
    }
    /// Sets the camera motion for the whole clip.
    #[must_use]
    pub fn camera(mut self, v: impl Into<String>) -> Self {
        self.camera = Some(v.into());
        self
    }
    /// Sets the visual style.
    #[must_use]
    pub fn style(mut self, v: impl Into<String>) -> Self {
        self.style = Some(v.into());
        self
    }
    /// Appends a shot.
    #[must_use]
    pub fn shot(mut self, shot: Shot) -> Self {
        self.shots.push(shot);
        self
    }
    /// Turns one switch of the constraint package on.
    #[must_use]
    pub fn with(mut self, c: Constraint) -> Self {
        self.constraints.set(c, true);
        self
    }
    /// Turns one switch of the constraint package off (e.g. `NoSubtitles` when subtitles
    /// are intended).
    #[must_use]
    pub fn without(mut self, c: Constraint) -> Self {
        self.constraints.set(c, false);
        self
    }
    /// Replaces the whole constraint package (e.g. with [`Constraints::none`]).
    #[must_use]
    pub fn constraints(mut self, c: Constraints) -> Self {
        self.constraints = c;
        self
    }
    /// Adds a custom constraint, rendered after the package.
    #[must_use]
    pub fn constraint(mut self, v: impl Into<String>) -> Self {
        self.constraints.custom.push(v.into());
        self
    }
    /// Adds a reference asset with a note on what to take from it.
    #[must_use]
    pub fn reference(
        mut self,
        role: AssetRole,
        url: impl Into<String>,
        note: impl Into<String>,
    ) -> Self {
        self.references
            .push(ReferenceAsset::new(role, url).note(note));
        self
    }
    /// Adds a reference asset.
    #[must_use]
    pub fn asset(mut self, asset: ReferenceAsset) -> Self {
        self.references.push(asset);
        self
    }
    /// Sets the opening frame (`image_url`).
    #[must_use]
    pub fn opening_frame(self, url: impl Into<String>) -> Self {
        self.asset(ReferenceAsset::new(AssetRole::OpeningFrame, url))
    }
    /// Sets the closing frame (`end_image_url`).
    #[must_use]
    pub fn closing_frame(self, url: impl Into<String>) -> Self {
        self.asset(ReferenceAsset::new(AssetRole::ClosingFrame, url))
    }
    /// An edit: adds the source video (`media_urls`) and the guide's edit sentence.
    #[must_use]
    pub fn edit(mut self, source_video_url: impl Into<String>) -> Self {
        self.intent = Some(Intent::Edit);
        self.asset(ReferenceAsset::new(
            AssetRole::SourceVideo,
            source_video_url,
        ))
    }
    /// An extension: adds the previous clip (`media_urls`) and the guide's extension
    /// sentence.
    #[must_use]
    pub fn extend(mut self, previous_clip_url: impl Into<String>) -> Self {
        self.intent = Some(Intent::Extend);
        self.asset(ReferenceAsset::new(AssetRole::Extension, previous_clip_url))
    }
    /// Sets the intent alone (the matching reference is added separately).
    #[must_use]
    pub fn intent(mut self, intent: Intent) -> Self {
        self.intent = Some(intent);
        self
    }
    /// Sets the clip length in seconds (sent as `duration`; shot timings must fit).
    #[must_use]
    pub fn duration(mut self, secs: u32) -> Self {
        self.duration = Some(secs);
        self
    }

    /// The mode the references call for: `image-to-video` for frames, `media-to-video`
    /// for media references, `text-to-video` for none; an error if they mix.
    ///
    /// ```
    /// use seedance_core::{DirectorPrompt, Mode};
    /// let p = DirectorPrompt::new().subject("a kite").opening_frame("https://cdn.example.com/a.png");
    /// assert_eq!(p.mode()?, Mode::ImageToVideo);
    /// # Ok::<(), seedance_core::PromptError>(())
    /// ```
    pub fn mode(&self) -> Result<Mode, PromptError> {
        let frames: Vec<AssetRole> = self.roles(true);
        let media: Vec<AssetRole> = self.roles(false);
        if !frames.is_empty() && !media.is_empty() {
            return Err(PromptError::MixedAssetRoles {
                frames: join_roles(&frames),
                media: join_roles(&media),
            });
        }
        for role in [AssetRole::OpeningFrame, AssetRole::ClosingFrame] {
            let count = self.references.iter().filter(|a| a.role == role).count();
            if count > 1 {
                return Err(PromptError::DuplicateFrame {
                    role,
                    field: role.field(),
                    count,
                });
            }
        }
        if frames.contains(&AssetRole::ClosingFrame) && !frames.contains(&AssetRole::OpeningFrame) {
            return Err(PromptError::ClosingFrameWithoutOpening);
        }
        if let Some(intent) = self.intent {
            let role = intent.required_role();
            if !self.references.iter().any(|a| a.role == role) {
                return Err(PromptError::MissingIntentAsset { intent, role });
            }
        }
        Ok(if !frames.is_empty() {
            Mode::ImageToVideo
        } else if !media.is_empty() {
            Mode::MediaToVideo
        } else {
            Mode::TextToVideo
        })
    }

    /// Distinct roles present, frames or media, in first-appearance order.
    fn roles(&self, frames: bool) -> Vec<AssetRole> {
        let mut out = Vec::new();
        for a in &self.references {
            if a.role.is_frame() == frames && !out.contains(&a.role) {
                out.push(a.role);
            }
        }
        out
    }

    /// Renders the prompt text: the intent sentence, one sentence per reference, then
    /// subject, action, scene, camera, style, the shots and the constraint package, one
    /// per line. Errors if it is empty, has an empty or mistimed shot, mixes frame and
    /// media references, would pass [`rules::PROMPT_MAX_CHARS`] code points, or contains
    /// something [`crate::lint_prompt`] flags.
    ///
    /// ```
    /// use seedance_core::{DirectorPrompt, Constraints};
    /// let text = DirectorPrompt::new()
    ///     .subject("a glass train")
    ///     .action("it crosses a snowy mountain bridge")
    ///     .constraints(Constraints::none())
    ///     .render()?;
    /// assert_eq!(text, "Subject: a glass train.\nAction: it crosses a snowy mountain bridge.");
    /// # Ok::<(), seedance_core::PromptError>(())
    /// ```
    pub fn render(&self) -> Result<String, PromptError> {
        self.mode()?;
        self.check_shots()?;

        let mut out = Rendered::default();
        if let Some(intent) = self.intent {
            out.line();
            out.fixed(intent.sentence());
        }
        self.render_references(&mut out);

        let mut has_content = false;
        for (label, value) in [
            ("Subject", &self.subject),
            ("Action", &self.action),
            ("Scene", &self.scene),
            ("Camera", &self.camera),
            ("Style", &self.style),
        ] {
            if let Some(text) = value.as_deref().map(clean).filter(|t| !t.is_empty()) {
                out.line();
                out.fixed(label);
                out.fixed(": ");
                out.user(&sentence(&text));
                has_content = true;
            }
        }
        for (i, shot) in self.shots.iter().enumerate() {
            out.line();
            out.fixed(&format!("Shot {}", i + 1));
            if let Some(t) = shot.timing {
                out.fixed(&format!(" ({t})"));
            }
            out.fixed(":");
            let action = clean(&shot.action);
            if !action.is_empty() {
                out.fixed(" ");
                out.user(&sentence(&action));
            }
            if let Some(camera) = shot.camera.as_deref().map(clean).filter(|c| !c.is_empty()) {
                out.fixed(" Camera: ");
                out.user(&sentence(&camera));
            }
            has_content = true;
        }
        if !has_content {
            return Err(PromptError::Empty);
        }
        let constraints = self.constraints.phrases();
        if !constraints.is_empty() {
            out.line();
            out.fixed("Constraints: ");
            out.user(&format!("{}.", constraints.join(", ")));
        }

        let chars = out.text.chars().count();
        if chars > rules::PROMPT_MAX_CHARS {
            return Err(PromptError::TooLong {
                chars,
                max: rules::PROMPT_MAX_CHARS,
            });
        }
        let findings = out.lint();
        if !findings.is_empty() {
            return Err(PromptError::Lint(findings));
        }
        Ok(out.text)
    }

    fn check_shots(&self) -> Result<(), PromptError> {
        let limit = self.duration.unwrap_or(rules::DURATION_MAX_SECS);
        let mut previous_end = 0.0_f64;
        for (i, shot) in self.shots.iter().enumerate() {
            let n = i + 1;
            let camera_empty = shot.camera.as_deref().is_none_or(|c| clean(c).is_empty());
            if clean(&shot.action).is_empty() && camera_empty {
                return Err(PromptError::EmptyShot { shot: n });
            }
            let Some(t) = shot.timing else { continue };
            let bad = |reason: String| PromptError::ShotTiming {
                shot: n,
                timing: t.to_string(),
                reason,
            };
            if !t.start.is_finite() || !t.end.is_finite() {
                return Err(bad("times must be finite numbers".to_owned()));
            }
            if t.start < 0.0 {
                return Err(bad("starts before the clip".to_owned()));
            }
            if t.end <= t.start {
                return Err(bad("must end after it starts".to_owned()));
            }
            if t.start < previous_end {
                return Err(bad(format!(
                    "starts before the previous shot ends ({} s); shots are ordered",
                    secs(previous_end)
                )));
            }
            if t.end > f64::from(limit) {
                return Err(bad(format!("ends after the clip's {limit} s")));
            }
            previous_end = t.end;
        }
        Ok(())
    }

    fn render_references(&self, out: &mut Rendered) {
        let mut media_index = 0usize;
        for asset in &self.references {
            let note = asset.note.as_deref().map(clean).filter(|n| !n.is_empty());
            out.line();
            match asset.role {
                AssetRole::OpeningFrame => out.fixed("Start from the supplied opening frame"),
                AssetRole::ClosingFrame => out.fixed("End on the supplied closing frame"),
                role => {
                    media_index += 1;
                    out.fixed(&format!(
                        "Use the {} (media {media_index}) as the {}",
                        nth_reference(media_index),
                        role.describe()
                    ));
                }
            }
            match note {
                Some(n) => {
                    out.fixed(": ");
                    out.user(&sentence(&n));
                }
                None => out.fixed("."),
            }
        }
    }

    /// A [`VideoRequestBuilder`] with the rendered prompt, the mode the references call for,
    /// their URLs in `image_url` / `end_image_url` / `media_urls`, and `duration` if set.
    /// Chain tier, resolution and the rest, then `build()` (which validates).
    ///
    /// ```
    /// use seedance_core::{DirectorPrompt, QualityTier, Resolution};
    /// let req = DirectorPrompt::new()
    ///     .subject("a red kite over dunes")
    ///     .opening_frame("https://cdn.example.com/first.png")
    ///     .closing_frame("https://cdn.example.com/last.png")
    ///     .request()?
    ///     .quality_tier(QualityTier::Pro)
    ///     .resolution(Resolution::P1080)
    ///     .build()?;
    /// assert_eq!(req.image_url.as_deref(), Some("https://cdn.example.com/first.png"));
    /// assert_eq!(req.end_image_url.as_deref(), Some("https://cdn.example.com/last.png"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn request(&self) -> Result<VideoRequestBuilder, PromptError> {
        let mode = self.mode()?;
        let text = self.render()?;
        let mut b = VideoRequest::builder(text).mode(mode);
        let mut media: Vec<String> = Vec::new();
        for asset in &self.references {
            b = match asset.role {
                AssetRole::OpeningFrame => b.image_url(asset.url.clone()),
                AssetRole::ClosingFrame => b.end_image_url(asset.url.clone()),
                _ => {
                    media.push(asset.url.clone());
                    b
                }
            };
        }
        if !media.is_empty() {
            b = b.media_urls(media);
        }
        if let Some(d) = self.duration {
            b = b.duration(d);
        }
        Ok(b)
    }

    /// [`request`](DirectorPrompt::request) with the server's defaults for everything
    /// else, validated ([`crate::validate`]).
    ///
    /// ```
    /// use seedance_core::{DirectorPrompt, PromptError};
    /// let req = DirectorPrompt::new().subject("a red kite").extend("https://cdn.example.com/prev.mp4").build()?;
    /// assert!(req.prompt.starts_with("Continue from the supplied previous clip"));
    /// let err = DirectorPrompt::new().subject("a kite").edit("http://cdn.example.com/src.mp4").build().unwrap_err();
    /// assert!(matches!(err, PromptError::Invalid(_)));   // not https
    /// # Ok::<(), PromptError>(())
    /// ```
    pub fn build(&self) -> Result<VideoRequest, PromptError> {
        Ok(self.request()?.build()?)
    }
}

/// The text being rendered, with where the caller's own words sit in it (so that each
/// piece is also linted alone: "Shot 9:" at the end of a subject is an empty shot even
/// though more lines follow it).
#[derive(Default)]
struct Rendered {
    text: String,
    pieces: Vec<Range<usize>>,
}

impl Rendered {
    /// Starts a new line (none before the first).
    fn line(&mut self) {
        if !self.text.is_empty() {
            self.text.push('\n');
        }
    }
    fn fixed(&mut self, s: &str) {
        self.text.push_str(s);
    }
    fn user(&mut self, s: &str) {
        let start = self.text.len();
        self.text.push_str(s);
        self.pieces.push(start..self.text.len());
    }
    /// Lint findings of the whole text, plus those of each piece alone (spans in the
    /// whole text), without duplicates, in order.
    fn lint(&self) -> Vec<LintFinding> {
        let mut findings = lint_prompt(&self.text);
        for piece in &self.pieces {
            for mut f in lint_prompt(&self.text[piece.clone()]) {
                f.span = f.span.start + piece.start..f.span.end + piece.start;
                if !findings
                    .iter()
                    .any(|g| g.span == f.span && g.kind == f.kind)
                {
                    findings.push(f);
                }
            }
        }
        findings.sort_by_key(|f| (f.span.start, f.span.end));
        findings
    }
}

fn join_roles(roles: &[AssetRole]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Collapses every run of whitespace (newlines included) into one space and trims.
fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` ending with sentence punctuation: adds `.`, or `。` after Chinese or Japanese
/// text, if it has none.
fn sentence(text: &str) -> String {
    match text.chars().next_back() {
        Some('.' | '!' | '?' | '。' | '！' | '？' | '…') => text.to_owned(),
        Some(c) if is_cjk(c) => format!("{text}。"),
        _ => format!("{text}."),
    }
}

/// Whether `c` is a CJK ideograph, kana or full-width form (text that ends with `。`).
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30ff}'      // hiragana, katakana
        | '\u{3400}'..='\u{4dbf}'    // CJK extension A
        | '\u{4e00}'..='\u{9fff}'    // CJK unified ideographs
        | '\u{f900}'..='\u{faff}'    // CJK compatibility ideographs
        | '\u{ff00}'..='\u{ffef}'    // half-width and full-width forms
        | '\u{20000}'..='\u{2ffff}') // CJK extensions B–F
}

/// "first supplied reference", …, "twelfth supplied reference", then "supplied reference
/// number 13" (more than 12 fails validation anyway).
fn nth_reference(n: usize) -> String {
    const WORDS: [&str; 12] = [
        "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
        "tenth", "eleventh", "twelfth",
    ];
    match WORDS.get(n.wrapping_sub(1)) {
        Some(w) => format!("{w} supplied reference"),
        None => format!("supplied reference number {n}"),
    }
}
