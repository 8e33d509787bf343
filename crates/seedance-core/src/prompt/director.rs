//! [`DirectorPrompt`], the builder: what the caller sets, the mode its references call
//! for, and the request it fills in. Its text comes from `render`.

use serde::{Deserialize, Serialize};

use super::assets::{join_roles, AssetRole, Intent, ReferenceAsset};
use super::constraints::{Constraint, Constraints};
use super::errors::PromptError;
use super::shots::Shot;
use crate::request::{VideoRequest, VideoRequestBuilder};
use crate::rules::Mode;

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
