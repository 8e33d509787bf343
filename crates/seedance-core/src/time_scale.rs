//! `TimeScale`: how many times faster than real time emulated (or expected) time runs.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

use crate::untrusted::TIME_SCALE_RANGE;

/// A validated time scale: emulated time runs this many times faster than real time
/// (`SEEDANCE_TIME_SCALE`, the emulator's `--time-scale`, the client's poll schedule).
/// Always finite and in [`TIME_SCALE_RANGE`] (1e-3 to 1e6, Reading R21), so dividing by
/// it never panics nor silently falls back. Serialises as the bare number.
///
/// ```
/// use std::time::Duration;
/// use seedance_core::rules::TimeScale;
/// let s: TimeScale = "1000".parse()?;
/// assert_eq!(s.get(), 1000.0);
/// assert_eq!(s.to_real(Duration::from_secs(105)), Duration::from_millis(105));
/// assert!(TimeScale::new(0.0).is_err() && TimeScale::new(f64::NAN).is_err());
/// assert_eq!(TimeScale::default(), TimeScale::REAL_TIME);
/// assert!(serde_json::from_str::<TimeScale>("-1").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct TimeScale(f64);

/// A number that is not a [`TimeScale`]; says what is allowed, and names the setting
/// (flag, variable, argument, field) when it is known ([`InvalidTimeScale::named`]).
///
/// ```
/// use seedance_core::rules::TimeScale;
/// let e = TimeScale::checked("--time-scale", 0.0).unwrap_err();
/// assert!(e.to_string().starts_with("--time-scale: time scale 0 is outside 0.001 to 1000000"), "{e}");
/// assert_eq!(e.setting(), Some("--time-scale"));
/// ```
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{}time scale {value} is outside {lo} to {hi} (emulated time runs this many times faster than real time; 1 is real time)", setting.as_deref().map(|s| format!("{s}: ")).unwrap_or_default(), lo = TIME_SCALE_RANGE.0, hi = TIME_SCALE_RANGE.1)]
#[non_exhaustive]
pub struct InvalidTimeScale {
    /// What was given (the text, when it was not a number).
    pub value: String,
    /// The setting it was given for (`--time-scale`, `SEEDANCE_TIME_SCALE`, `time_scale`).
    pub setting: Option<String>,
}

impl InvalidTimeScale {
    /// The same error, naming the setting it was given for.
    #[must_use]
    pub fn named(mut self, setting: impl Into<String>) -> Self {
        self.setting = Some(setting.into());
        self
    }

    /// The setting named, if any.
    pub fn setting(&self) -> Option<&str> {
        self.setting.as_deref()
    }
}

impl TimeScale {
    /// Real time (1).
    pub const REAL_TIME: TimeScale = TimeScale(1.0);

    /// A scale in [`TIME_SCALE_RANGE`]; anything else (0, negative, NaN, infinite,
    /// absurd) is an error.
    pub fn new(x: f64) -> Result<TimeScale, InvalidTimeScale> {
        let (lo, hi) = TIME_SCALE_RANGE;
        if x.is_finite() && (lo..=hi).contains(&x) {
            Ok(TimeScale(x))
        } else {
            Err(InvalidTimeScale {
                value: x.to_string(),
                setting: None,
            })
        }
    }

    /// [`TimeScale::new`] for constants: `None` outside [`TIME_SCALE_RANGE`], so a bad
    /// constant fails to compile where it is unwrapped in a `const` item.
    ///
    /// ```
    /// use seedance_core::rules::TimeScale;
    /// const FAST: TimeScale = match TimeScale::new_const(1000.0) {
    ///     Some(s) => s,
    ///     None => panic!("not a time scale"),
    /// };
    /// assert_eq!(FAST.get(), 1000.0);
    /// assert!(TimeScale::new_const(0.0).is_none() && TimeScale::new_const(f64::NAN).is_none());
    /// ```
    pub const fn new_const(x: f64) -> Option<TimeScale> {
        if x.is_finite() && x >= TIME_SCALE_RANGE.0 && x <= TIME_SCALE_RANGE.1 {
            Some(TimeScale(x))
        } else {
            None
        }
    }

    /// [`TimeScale::new`], the error naming `setting` (the flag, variable, argument or
    /// field the number came from): what every front door and binding calls.
    ///
    /// ```
    /// use seedance_core::rules::TimeScale;
    /// assert_eq!(TimeScale::checked("time_scale", 60.0)?.get(), 60.0);
    /// assert!(TimeScale::checked("time_scale", f64::INFINITY).unwrap_err().to_string().starts_with("time_scale: "));
    /// # Ok::<(), seedance_core::rules::InvalidTimeScale>(())
    /// ```
    pub fn checked(setting: &str, x: f64) -> Result<TimeScale, InvalidTimeScale> {
        TimeScale::new(x).map_err(|e| e.named(setting))
    }

    /// Parses a scale as a user writes it (see [`FromStr`]), the error naming `setting`.
    ///
    /// ```
    /// use seedance_core::rules::TimeScale;
    /// assert_eq!(TimeScale::parse_setting("SEEDANCE_TIME_SCALE", " 1e3 ")?.get(), 1000.0);
    /// let e = TimeScale::parse_setting("SEEDANCE_TIME_SCALE", "fast").unwrap_err();
    /// assert!(e.to_string().starts_with(r#"SEEDANCE_TIME_SCALE: time scale "fast" is outside"#), "{e}");
    /// # Ok::<(), seedance_core::rules::InvalidTimeScale>(())
    /// ```
    pub fn parse_setting(setting: &str, s: &str) -> Result<TimeScale, InvalidTimeScale> {
        s.parse::<TimeScale>().map_err(|e| e.named(setting))
    }

    /// The factor.
    pub fn get(self) -> f64 {
        self.0
    }

    /// Whether this is real time.
    pub fn is_real_time(self) -> bool {
        self.0 == 1.0
    }

    /// How long a span of model time (a render time, a `Retry-After`) takes in real time:
    /// `d / scale`, saturating at [`Duration::MAX`].
    pub fn to_real(self, model: Duration) -> Duration {
        Duration::try_from_secs_f64(model.as_secs_f64() / self.0).unwrap_or(Duration::MAX)
    }

    /// How much model time a span of real time stands for: `d × scale`, saturating.
    ///
    /// ```
    /// use std::time::Duration;
    /// use seedance_core::rules::TimeScale;
    /// let s = TimeScale::new(60.0)?;
    /// assert_eq!(s.to_model(Duration::from_secs(2)), Duration::from_secs(120));
    /// # Ok::<(), seedance_core::rules::InvalidTimeScale>(())
    /// ```
    pub fn to_model(self, real: Duration) -> Duration {
        Duration::try_from_secs_f64(real.as_secs_f64() * self.0).unwrap_or(Duration::MAX)
    }
}

impl Default for TimeScale {
    fn default() -> Self {
        TimeScale::REAL_TIME
    }
}

impl TryFrom<f64> for TimeScale {
    type Error = InvalidTimeScale;
    fn try_from(x: f64) -> Result<Self, Self::Error> {
        TimeScale::new(x)
    }
}

impl From<TimeScale> for f64 {
    fn from(s: TimeScale) -> f64 {
        s.0
    }
}

/// A number (`60`, `1e3`), surrounding spaces ignored.
impl FromStr for TimeScale {
    type Err = InvalidTimeScale;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        match t.parse::<f64>() {
            Ok(x) => TimeScale::new(x),
            Err(_) => Err(InvalidTimeScale {
                value: format!("{t:?}"),
                setting: None,
            }),
        }
    }
}

impl fmt::Display for TimeScale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl<'de> Deserialize<'de> for TimeScale {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        TimeScale::new(f64::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}
