//! Retry policy: capped exponential backoff with full jitter, and `Retry-After` parsing.

use std::time::{Duration, SystemTime};

/// How failed requests are retried (Promise 1).
///
/// Retried: connection errors, timeouts, 500, 502, 503, 504 and 429 (after exactly its
/// `Retry-After`), and a submit's 409 "still in flight" (Reading R18). Never retried:
/// 400, 401, 402, 404 and a 409 for a different body.
///
/// ```
/// use std::time::Duration;
/// use seedance_http::RetryPolicy;
/// let p = RetryPolicy::default();
/// assert_eq!(p.max_retries, 5);
/// // full jitter: every delay lies in [0, min(cap, base × 2^attempt)]
/// assert!(p.backoff(3) <= Duration::from_millis(500 * 8));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt (so `max_retries + 1` attempts at most).
    pub max_retries: u32,
    /// First backoff ceiling.
    pub base: Duration,
    /// Largest backoff ceiling.
    pub cap: Duration,
    /// How long a submit keeps retrying a 409 "still in flight" with the same key.
    pub in_flight_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
            in_flight_timeout: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The backoff before retry number `attempt` (0-based): uniform in
    /// `[0, min(cap, base × 2^attempt)]` (full jitter).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.ceiling(attempt);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }

    /// `min(cap, base × 2^attempt)`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.min(31));
        self.base.saturating_mul(factor).min(self.cap)
    }
}

/// Parses a `Retry-After` header by Reading R20 (the core's one parser): delta-seconds
/// (integer, or decimal as some servers send) or an HTTP date, capped at
/// [`seedance_core::rules::RETRY_AFTER_MAX`] (a capped value is logged), never overflowing.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let r = seedance_core::rules::parse_retry_after(value, SystemTime::now())?;
    if r.capped {
        tracing::warn!(
            retry_after = %seedance_core::rules::excerpt(value, None, 64),
            cap_secs = r.delay.as_secs(),
            "the server asked to wait longer than the cap; waiting the cap"
        );
    }
    Some(r.delay)
}

/// `Instant::now() + d`, saturating far in the future instead of panicking on overflow.
pub(crate) fn instant_after(d: Duration) -> tokio::time::Instant {
    checked_after(tokio::time::Instant::now(), d)
}

/// `at + d`, saturating far in the future (30 days on) instead of panicking on overflow.
pub(crate) fn checked_after(at: tokio::time::Instant, d: Duration) -> tokio::time::Instant {
    at.checked_add(d)
        .or_else(|| at.checked_add(seedance_core::rules::SETTING_DURATION_MAX))
        .unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_jitter_is_bounded_and_capped() {
        let p = RetryPolicy {
            max_retries: 10,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(2),
            in_flight_timeout: Duration::from_secs(1),
        };
        assert_eq!(p.ceiling(0), Duration::from_millis(100));
        assert_eq!(p.ceiling(3), Duration::from_millis(800));
        assert_eq!(p.ceiling(10), Duration::from_secs(2));
        assert_eq!(p.ceiling(200), Duration::from_secs(2));
        let mut below_half = 0;
        for _ in 0..2000 {
            let d = p.backoff(4);
            assert!(d <= Duration::from_millis(1600));
            if d < Duration::from_millis(800) {
                below_half += 1;
            }
        }
        // jitter really spreads the delays (full jitter: about half fall below the midpoint)
        assert!((700..1300).contains(&below_half), "{below_half}");
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("36"), Some(Duration::from_secs(36)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-3"), None);
        // Reading R20: absurd values are capped, never a panic or a months-long wait
        let cap = seedance_core::rules::RETRY_AFTER_MAX;
        for v in ["1e300", "99999999999999999999", "1e19", "10000000000000"] {
            assert_eq!(parse_retry_after(v), Some(cap), "{v}");
        }
        let past = "Wed, 21 Oct 2015 07:28:00 GMT";
        assert_eq!(parse_retry_after(past), Some(Duration::ZERO));
        let future = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(100));
        let d = parse_retry_after(&future).unwrap();
        assert!(d > Duration::from_secs(95) && d <= Duration::from_secs(100));
    }
}
