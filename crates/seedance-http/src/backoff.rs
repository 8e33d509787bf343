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

/// Parses a `Retry-After` header: delta-seconds (integer, or decimal as some servers
/// send) or an HTTP date.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs));
        }
        return None;
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
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
        let past = "Wed, 21 Oct 2015 07:28:00 GMT";
        assert_eq!(parse_retry_after(past), Some(Duration::ZERO));
        let future = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(100));
        let d = parse_retry_after(&future).unwrap();
        assert!(d > Duration::from_secs(95) && d <= Duration::from_secs(100));
    }
}
