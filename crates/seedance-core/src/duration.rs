//! `Duration`: clip length in whole seconds, sent as a JSON string (Reading R1).

use std::fmt;

/// Clip length in whole seconds. Travels as a JSON **string** (`"5"`, Reading R1).
///
/// Any value can be held so that validation can name it; [`crate::validate`] refuses
/// values outside 4–15.
///
/// ```
/// use seedance_core::Duration;
/// let d = Duration::from_secs(5);
/// assert_eq!(serde_json::to_string(&d).unwrap(), "\"5\"");
/// let back: Duration = serde_json::from_str("\"12\"").unwrap();
/// assert_eq!(back.secs(), 12);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Duration(u32);

impl Duration {
    /// A duration of `secs` seconds (not yet validated).
    pub const fn from_secs(secs: u32) -> Self {
        Duration(secs)
    }

    /// The number of seconds.
    pub const fn secs(self) -> u32 {
        self.0
    }
}

impl Default for Duration {
    fn default() -> Self {
        Duration(crate::rules::DURATION_DEFAULT_SECS)
    }
}

impl From<u32> for Duration {
    fn from(secs: u32) -> Self {
        Duration(secs)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl serde::Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        // Only plain ASCII digits: no sign, no spaces, no decimals (the wire form is "5").
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(serde::de::Error::custom(format!(
                "duration must be a string of whole seconds such as \"5\" (got {s:?})"
            )));
        }
        s.parse::<u32>()
            .map(Duration)
            .map_err(|_| serde::de::Error::custom(format!("duration {s:?} is out of range")))
    }
}
