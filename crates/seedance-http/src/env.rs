//! The `SEEDANCE_*` settings: their names and the one parser of their values, shared by
//! [`crate::ClientBuilder`], the CLI (its flags take the same formats) and the bindings.
//!
//! ```
//! use std::time::Duration;
//! use seedance_http::{env, RateLimit};
//! assert_eq!(env::parse_duration("90"), Ok(Duration::from_secs(90)));
//! assert_eq!(env::parse_duration("1m30s"), Ok(Duration::from_secs(90)));
//! assert_eq!(env::parse_rate_limit("30/1m"), Ok(Some(RateLimit::new(30, Duration::from_secs(60)))));
//! assert_eq!(env::parse_rate_limit("off"), Ok(None));
//! assert_eq!(env::parse_wait_timeout("none"), Ok(None));
//! assert!(env::VARIABLES.iter().any(|(name, _)| *name == "SEEDANCE_RATE_LIMIT"));
//! ```

use std::time::Duration;

use crate::budget::RateLimit;

/// Every variable [`crate::ClientBuilder::build`] reads, with what it sets. A setting
/// given in code wins over its variable.
pub const VARIABLES: &[(&str, &str)] = &[
    ("SEEDANCE_API_KEY", "the API key"),
    (
        "SEEDANCE_BASE_URL",
        "the API origin (plain http only to loopback)",
    ),
    ("SEEDANCE_TIMEOUT", "per-request timeout (duration)"),
    ("SEEDANCE_CONNECT_TIMEOUT", "connect timeout (duration)"),
    (
        "SEEDANCE_MAX_RETRIES",
        "retries after the first attempt (whole number)",
    ),
    (
        "SEEDANCE_RATE_LIMIT",
        "the request budget: N/WINDOW (30/60s, 30/1m) or off",
    ),
    (
        "SEEDANCE_MEDIA_RATE_LIMIT",
        "the reference-media submit budget: N/WINDOW or off",
    ),
    (
        "SEEDANCE_BUDGET",
        "who shares the budget: process, machine (the data dir), machine:DIR, redis://HOST:PORT/DB or rediss://",
    ),
    ("SEEDANCE_USER_AGENT", "the User-Agent"),
    (
        "SEEDANCE_TIME_SCALE",
        "divide every poll delay by this (emulators with scaled time)",
    ),
    (
        "SEEDANCE_POLL_INTERVAL",
        "shortest interval between two polls of a task (duration)",
    ),
    (
        "SEEDANCE_POLL_MAX_INTERVAL",
        "longest interval between two polls of a task (duration)",
    ),
    (
        "SEEDANCE_EXPECTED_RENDER",
        "expected render time of every task, instead of the model's (duration)",
    ),
    (
        "SEEDANCE_WAIT_TIMEOUT",
        "default bound of a wait (duration, or none)",
    ),
    ("SEEDANCE_JOURNAL", "the journal file"),
];

/// A duration: a number of seconds (`90`, `2.5`) or a human form (`90s`, `5m`,
/// `1h30m`, `250ms`), at most [`seedance_core::rules::SETTING_DURATION_MAX`] (30 days,
/// Reading R21): `1e300` is an error, never a panic.
///
/// ```
/// assert!(seedance_http::env::parse_duration("1e300").is_err());
/// assert!(seedance_http::env::parse_duration("100000000h").is_err());
/// ```
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    seedance_core::rules::parse_duration(value)
}

/// A time scale (emulated time runs this many times faster): a number from `0.001` to
/// `1000000` (Reading R21), the core's [`TimeScale`](seedance_core::rules::TimeScale).
///
/// ```
/// assert_eq!(seedance_http::env::parse_time_scale("1000").map(|s| s.get()), Ok(1000.0));
/// assert!(seedance_http::env::parse_time_scale("1e-300").is_err());
/// ```
pub fn parse_time_scale(value: &str) -> Result<seedance_core::rules::TimeScale, String> {
    value
        .parse::<seedance_core::rules::TimeScale>()
        .map_err(|e| e.to_string())
}

/// A request budget: `N/WINDOW` (`30/60`, `30/60s`, `30/1m`), `N` (per 60 s), or
/// `off`/`none`/`0` (no budget: `None`); the core's parser ([`RateLimit::parse`]).
pub fn parse_rate_limit(value: &str) -> Result<Option<RateLimit>, String> {
    RateLimit::parse(value)
}

/// A wait bound: a duration, or `none`/`never`/`off`/`0` for no bound (`None`).
pub fn parse_wait_timeout(value: &str) -> Result<Option<Duration>, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "none" | "never" | "off" | "0" => Ok(None),
        _ => parse_duration(value).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration(" 2.5 "), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("-1").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("NaN").is_err());
        // Reading R21: absurd values are errors, never panics
        for absurd in ["1e300", "1e20", "2592001", "100000000h", "inf"] {
            assert!(parse_duration(absurd).is_err(), "{absurd}");
        }
        assert!(parse_rate_limit("1/1e300").is_err());
        assert!(parse_wait_timeout("1e20").is_err());
        assert!(parse_time_scale("1e-300").is_err());
        assert!(parse_time_scale("0").is_err());
    }

    #[test]
    fn rate_limits() {
        let r = |v| parse_rate_limit(v).unwrap();
        let per_min = Some(RateLimit::new(30, Duration::from_secs(60)));
        for v in ["30/60", "30/60s", "30/1m", "30", " 30 / 60 "] {
            assert_eq!(r(v), per_min, "{v}");
        }
        assert_eq!(
            r("5/0.5"),
            Some(RateLimit::new(5, Duration::from_millis(500)))
        );
        assert_eq!(r("OFF"), None);
        assert_eq!(r("none"), None);
        for bad in ["1/0", "a/b", "0/60", "30/", "lots"] {
            assert!(parse_rate_limit(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn wait_timeouts() {
        assert_eq!(parse_wait_timeout("never"), Ok(None));
        assert_eq!(parse_wait_timeout("0"), Ok(None));
        assert_eq!(
            parse_wait_timeout("45m"),
            Ok(Some(Duration::from_secs(2700)))
        );
        assert!(parse_wait_timeout("later").is_err());
    }
}
