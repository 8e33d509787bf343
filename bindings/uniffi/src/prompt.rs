//! The director-prompt builder and the prompt linter (`seedance_core::DirectorPrompt`,
//! `seedance_core::lint_prompt`).

use std::sync::{Arc, Mutex};

use seedance_core as core;

use crate::error::SeedanceError;
use crate::types::VideoRequest;

/// The role of a reference asset (which request field it fills, how it is described).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, uniffi::Enum)]
#[non_exhaustive]
pub enum AssetRole {
    /// The opening frame (`image_url`).
    OpeningFrame,
    /// The closing frame (`end_image_url`).
    ClosingFrame,
    /// A character reference (`media_urls`).
    Character,
    /// A motion reference (`media_urls`).
    Motion,
    /// A style reference (`media_urls`).
    Style,
    /// The source video of an edit (`media_urls`).
    SourceVideo,
    /// The previous clip of an extension (`media_urls`).
    Extension,
}

impl From<AssetRole> for core::AssetRole {
    fn from(r: AssetRole) -> Self {
        match r {
            AssetRole::OpeningFrame => core::AssetRole::OpeningFrame,
            AssetRole::ClosingFrame => core::AssetRole::ClosingFrame,
            AssetRole::Character => core::AssetRole::Character,
            AssetRole::Motion => core::AssetRole::Motion,
            AssetRole::Style => core::AssetRole::Style,
            AssetRole::SourceVideo => core::AssetRole::SourceVideo,
            AssetRole::Extension => core::AssetRole::Extension,
        }
    }
}

/// One switch of the constraint package (all on by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, uniffi::Enum)]
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
    /// "no subtitles".
    NoSubtitles,
}

impl From<Constraint> for core::Constraint {
    fn from(c: Constraint) -> Self {
        match c {
            Constraint::StableFaces => core::Constraint::StableFaces,
            Constraint::NaturalMotion => core::Constraint::NaturalMotion,
            Constraint::NoDeformation => core::Constraint::NoDeformation,
            Constraint::NoWatermark => core::Constraint::NoWatermark,
            Constraint::NoLogo => core::Constraint::NoLogo,
            Constraint::NoSubtitles => core::Constraint::NoSubtitles,
        }
    }
}

/// One ordered shot.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Shot {
    /// What happens.
    pub action: String,
    /// Camera motion.
    #[uniffi(default)]
    pub camera: Option<String>,
    /// Start, seconds (with `end_secs`).
    #[uniffi(default)]
    pub start_secs: Option<f64>,
    /// End, seconds.
    #[uniffi(default)]
    pub end_secs: Option<f64>,
}

impl From<Shot> for core::Shot {
    fn from(s: Shot) -> Self {
        let mut shot = core::Shot::new(s.action);
        if let Some(c) = s.camera {
            shot = shot.camera(c);
        }
        if let (Some(a), Some(b)) = (s.start_secs, s.end_secs) {
            shot = shot.timing(a, b);
        }
        shot
    }
}

/// The provider's prompt guide as a builder: subject, action, scene, camera, style,
/// ordered shots, the constraint package, and reference assets mapped to the right
/// fields and described in words. Each setter changes this builder and returns it.
///
/// ```
/// use seedance_uniffi::{AssetRole, DirectorPrompt};
/// let p = DirectorPrompt::new()
///     .subject("a glass train".into())
///     .reference(AssetRole::Style, "https://cdn.example.com/p.jpg".into(), "match its palette".into());
/// assert!(p.render().unwrap().contains("style reference: match its palette"));
/// ```
#[derive(Debug, Default, uniffi::Object)]
pub struct DirectorPrompt {
    inner: Mutex<core::DirectorPrompt>,
}

impl DirectorPrompt {
    fn edit(
        self: Arc<Self>,
        f: impl FnOnce(core::DirectorPrompt) -> core::DirectorPrompt,
    ) -> Arc<Self> {
        if let Ok(mut g) = self.inner.lock() {
            let p = std::mem::take(&mut *g);
            *g = f(p);
        }
        self
    }

    fn snapshot(&self) -> core::DirectorPrompt {
        self.inner
            .lock()
            .map(|g| g.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }
}

#[uniffi::export]
impl DirectorPrompt {
    /// An empty prompt with the default constraint package.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(DirectorPrompt::default())
    }

    /// Loads one from its JSON form (the CLI's `--director` file).
    #[uniffi::constructor]
    pub fn from_json(json: String) -> Result<Arc<Self>, SeedanceError> {
        let p = core::DirectorPrompt::from_json(&json).map_err(|e| SeedanceError::Prompt {
            detail: e.to_string(),
        })?;
        Ok(Arc::new(DirectorPrompt {
            inner: Mutex::new(p),
        }))
    }

    /// Who or what the clip is about.
    pub fn subject(self: Arc<Self>, text: String) -> Arc<Self> {
        self.edit(|p| p.subject(text))
    }

    /// What happens (single-shot clips).
    pub fn action(self: Arc<Self>, text: String) -> Arc<Self> {
        self.edit(|p| p.action(text))
    }

    /// Where and when.
    pub fn scene(self: Arc<Self>, text: String) -> Arc<Self> {
        self.edit(|p| p.scene(text))
    }

    /// Camera motion for the whole clip.
    pub fn camera(self: Arc<Self>, text: String) -> Arc<Self> {
        self.edit(|p| p.camera(text))
    }

    /// Visual style.
    pub fn style(self: Arc<Self>, text: String) -> Arc<Self> {
        self.edit(|p| p.style(text))
    }

    /// Adds a shot.
    pub fn shot(self: Arc<Self>, shot: Shot) -> Arc<Self> {
        self.edit(|p| p.shot(core::Shot::from(shot)))
    }

    /// Switches a constraint of the package on or off.
    pub fn set_constraint(self: Arc<Self>, constraint: Constraint, on: bool) -> Arc<Self> {
        let c = core::Constraint::from(constraint);
        self.edit(|p| if on { p.with(c) } else { p.without(c) })
    }

    /// Adds a constraint of your own words.
    pub fn constraint(self: Arc<Self>, text: String) -> Arc<Self> {
        self.edit(|p| p.constraint(text))
    }

    /// Adds a reference asset with its role and a note describing it.
    pub fn reference(self: Arc<Self>, role: AssetRole, url: String, note: String) -> Arc<Self> {
        self.edit(|p| p.reference(core::AssetRole::from(role), url, note))
    }

    /// Strictly edit this source video.
    pub fn edit_video(self: Arc<Self>, source_video_url: String) -> Arc<Self> {
        self.edit(|p| p.edit(source_video_url))
    }

    /// Continue from this previous clip.
    pub fn extend_clip(self: Arc<Self>, previous_clip_url: String) -> Arc<Self> {
        self.edit(|p| p.extend(previous_clip_url))
    }

    /// The clip length in seconds.
    pub fn duration(self: Arc<Self>, secs: u32) -> Arc<Self> {
        self.edit(|p| p.duration(secs))
    }

    /// The prompt text (deterministic).
    pub fn render(&self) -> Result<String, SeedanceError> {
        Ok(self.snapshot().render()?)
    }

    /// The request: prompt, mode, reference fields and duration filled in, validated.
    pub fn request(&self) -> Result<VideoRequest, SeedanceError> {
        let r = self.snapshot().build()?;
        Ok(VideoRequest::from(&r))
    }
}

/// One problem the linter found in a prompt.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct LintFinding {
    /// A stable name: `asset_url`, `raw_asset_id`, `in_app_label`, `empty_shot`, …
    pub kind: String,
    /// The offending text.
    pub text: String,
    /// Where it starts, in UTF-8 bytes of the prompt.
    pub start_byte: u32,
    /// Where it ends (exclusive), in UTF-8 bytes.
    pub end_byte: u32,
    /// What is wrong and what to do instead.
    pub message: String,
}

/// Finds what the model cannot use in a prompt: asset URLs, raw asset ids, in-app
/// labels, empty shots.
///
/// ```
/// let f = seedance_uniffi::lint_prompt("the hero from asset://a1".into());
/// assert_eq!(f[0].kind, "asset_url");
/// ```
#[uniffi::export]
pub fn lint_prompt(prompt: String) -> Vec<LintFinding> {
    core::lint_prompt(&prompt)
        .iter()
        .map(|f| LintFinding {
            kind: f.kind.as_str().to_owned(),
            text: f.text.clone(),
            start_byte: u32::try_from(f.span.start).unwrap_or(u32::MAX),
            end_byte: u32::try_from(f.span.end).unwrap_or(u32::MAX),
            message: f.to_string(),
        })
        .collect()
}
