//! The guide's constraint package.

use serde::{Deserialize, Serialize};

use super::text::clean;

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
