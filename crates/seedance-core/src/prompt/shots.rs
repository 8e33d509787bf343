//! Ordered shots and their timing.

use std::fmt;

use serde::{Deserialize, Serialize};

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
pub(super) fn secs(v: f64) -> String {
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
