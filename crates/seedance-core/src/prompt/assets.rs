//! Reference assets: their roles, the fields that carry them, and the clip's intent.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::rules::Mode;

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
    pub(super) fn describe(self) -> &'static str {
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

/// The roles' names, comma-separated ("opening_frame, character"), for error messages.
pub(super) fn join_roles(roles: &[AssetRole]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
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
