//! `RateLimit`: requests per sliding window, and the spec's two limits as constants.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Account-wide request budget: this many requests…
pub const RATE_LIMIT_REQUESTS: u32 = 30;
/// …per this many seconds (R7).
pub const RATE_LIMIT_WINDOW_SECS: u64 = 60;
/// Reference-media submits: this many…
pub const MEDIA_RATE_LIMIT_REQUESTS: u32 = 3;
/// …per this many seconds (R11).
pub const MEDIA_RATE_LIMIT_WINDOW_SECS: u64 = 60;

/// At most `requests` in any sliding window of `window`. The spec's limits are
/// [`RateLimit::ACCOUNT`] (30 per 60 s, Reading R7) and [`RateLimit::MEDIA`] (3 per 60 s
/// for submits with reference media, Reading R11); the client's budget and the
/// emulator's limits are this one type. In JSON it is `{"requests": 30, "window_ms": 60000}`.
///
/// ```
/// use std::time::Duration;
/// use seedance_core::rules::RateLimit;
/// assert_eq!(RateLimit::ACCOUNT, RateLimit::new(30, Duration::from_secs(60)));
/// assert_eq!(RateLimit::MEDIA.to_string(), "3/60s");
/// assert_eq!(serde_json::to_string(&RateLimit::MEDIA)?, r#"{"requests":3,"window_ms":60000}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub requests: u32,
    /// The window (real time).
    #[serde(with = "millis", rename = "window_ms")]
    pub window: Duration,
}

impl RateLimit {
    /// The window a limit written without one (`30`) has: 60 s, the spec's.
    pub const DEFAULT_WINDOW: Duration = Duration::from_secs(RATE_LIMIT_WINDOW_SECS);

    /// The account-wide limit (R7): 30 requests per 60 s, submits and polls together.
    pub const ACCOUNT: RateLimit = RateLimit::new(
        RATE_LIMIT_REQUESTS,
        Duration::from_secs(RATE_LIMIT_WINDOW_SECS),
    );

    /// The reference-media limit (R11): 3 submits carrying `image_url`, `end_image_url`
    /// or `media_urls` per 60 s.
    pub const MEDIA: RateLimit = RateLimit::new(
        MEDIA_RATE_LIMIT_REQUESTS,
        Duration::from_secs(MEDIA_RATE_LIMIT_WINDOW_SECS),
    );

    /// `requests` per `window`.
    pub const fn new(requests: u32, window: Duration) -> Self {
        RateLimit { requests, window }
    }

    /// How long a client keeps a request's slot after its response: the window plus a
    /// margin against the server's window boundary and timer granularity (1 % + 5 ms).
    ///
    /// ```
    /// use std::time::Duration;
    /// use seedance_core::rules::RateLimit;
    /// assert_eq!(RateLimit::ACCOUNT.hold(), Duration::from_millis(60_605));
    /// ```
    pub fn hold(&self) -> Duration {
        self.window
            .saturating_add(self.window / 100)
            .saturating_add(Duration::from_millis(5))
    }
}

impl RateLimit {
    /// Parses a limit as users write it: `N/WINDOW` (`30/60`, `30/60s`, `30/1m`), `N` (per
    /// [`RateLimit::DEFAULT_WINDOW`]), or `off`/`none`/`0` for no limit (`None`). The one
    /// parser of the client's `SEEDANCE_RATE_LIMIT`, the CLI's flags and the emulator's.
    ///
    /// ```
    /// use std::time::Duration;
    /// use seedance_core::rules::RateLimit;
    /// assert_eq!(RateLimit::parse("30/1m"), Ok(Some(RateLimit::ACCOUNT)));
    /// assert_eq!(RateLimit::parse("3"), Ok(Some(RateLimit::MEDIA)));
    /// assert_eq!(RateLimit::parse("5/250ms"), Ok(Some(RateLimit::new(5, Duration::from_millis(250)))));
    /// assert_eq!(RateLimit::parse("off"), Ok(None));
    /// for bad in ["x/60", "3/0", "1/1e300", "-1/60"] {
    ///     assert!(RateLimit::parse(bad).is_err(), "{bad}");
    /// }
    /// ```
    pub fn parse(value: &str) -> Result<Option<RateLimit>, String> {
        let v = value.trim();
        if matches!(v.to_ascii_lowercase().as_str(), "off" | "none" | "0") {
            return Ok(None);
        }
        let (n, w) = match v.split_once('/') {
            Some((n, w)) => (n, Some(w)),
            None => (v, None),
        };
        let n: u32 = n.trim().parse().map_err(|_| {
            format!("{v:?} is not a limit like 30/60s (requests/window) or off: {n:?} is not a number of requests")
        })?;
        if n == 0 {
            return Err(format!(
                "{v:?}: the number of requests must be at least 1 (or say off)"
            ));
        }
        let w = match w {
            Some(w) => crate::untrusted::parse_duration(w)?,
            None => RateLimit::DEFAULT_WINDOW,
        };
        if w.is_zero() {
            return Err(format!("{v:?}: the window must be longer than 0"));
        }
        Ok(Some(RateLimit::new(n, w)))
    }
}

/// `30/60s` (whole seconds), `5/1.5s` otherwise: the form the flags and variables take.
impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.window.subsec_nanos() == 0 {
            write!(f, "{}/{}s", self.requests, self.window.as_secs())
        } else {
            write!(f, "{}/{}s", self.requests, self.window.as_secs_f64())
        }
    }
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}
