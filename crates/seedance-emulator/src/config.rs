//! Accounts, keys, the illustrative price table and the runtime configuration.

use std::time::Duration;

use seedance_core::rules::TimeScale;
use seedance_core::{QualityTier, Resolution};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::errors::ControlError;
use crate::render::RenderSpread;

/// The documented default test key (account [`DEFAULT_ACCOUNT`], 100 000 credits).
pub const DEFAULT_TEST_KEY: &str = "sk_test_seedance";
/// A second key of the default account (several keys may share one account).
pub const DEFAULT_TEST_KEY_2: &str = "sk_test_seedance_2";
/// A revoked key of the default account: always 401 `unauthorized`.
pub const REVOKED_TEST_KEY: &str = "sk_test_revoked";
/// The key of an account with no credits: every submit gets 402 `insufficient_credits`.
pub const NO_CREDITS_TEST_KEY: &str = "sk_test_no_credits";
/// The default account's id.
pub const DEFAULT_ACCOUNT: &str = "acct_test";
/// The zero-credit account's id.
pub const NO_CREDITS_ACCOUNT: &str = "acct_no_credits";
/// The default account's starting balance.
pub const DEFAULT_CREDITS: u64 = 100_000;
/// Default prompt marker that makes a task fail after rendering (credits refunded).
pub const DEFAULT_FAILURE_MARKER: &str = "[fail]";
/// Default prompt marker that makes a submit be refused by the content policy (400, no charge).
pub const DEFAULT_REFUSAL_MARKER: &str = "[refuse]";
/// Default marker in a reference URL that is refused as "showing a real person" (400, no charge).
pub const DEFAULT_REAL_PERSON_MARKER: &str = "real-person";
/// Default largest accepted request body.
pub const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;
/// Default idempotency-key retention (24 hours, real time).
pub const DEFAULT_IDEMPOTENCY_RETENTION: Duration = Duration::from_secs(24 * 3600);

/// An account: an id, its keys, its revoked keys and a starting balance.
///
/// ```
/// use seedance_emulator::Account;
/// let a = Account::new("acct_a").key("sk_test_a").key("sk_test_a2").revoked_key("sk_old").credits(1000);
/// assert_eq!(a.id(), "acct_a");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub(crate) id: String,
    pub(crate) keys: Vec<String>,
    pub(crate) revoked_keys: Vec<String>,
    pub(crate) credits: u64,
}

impl Account {
    /// A new account with no keys and no credits.
    pub fn new(id: impl Into<String>) -> Self {
        Account {
            id: id.into(),
            keys: Vec::new(),
            revoked_keys: Vec::new(),
            credits: 0,
        }
    }
    /// Adds a key that authenticates as this account.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.keys.push(key.into());
        self
    }
    /// Adds a revoked key (always answered with 401).
    #[must_use]
    pub fn revoked_key(mut self, key: impl Into<String>) -> Self {
        self.revoked_keys.push(key.into());
        self
    }
    /// Sets the starting balance.
    #[must_use]
    pub fn credits(mut self, credits: u64) -> Self {
        self.credits = credits;
        self
    }
    /// The account id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The built-in accounts: [`DEFAULT_ACCOUNT`] (keys [`DEFAULT_TEST_KEY`] and
/// [`DEFAULT_TEST_KEY_2`], revoked key [`REVOKED_TEST_KEY`], `credits` credits) and
/// [`NO_CREDITS_ACCOUNT`] (key [`NO_CREDITS_TEST_KEY`], 0 credits).
pub(crate) fn builtin_accounts(credits: u64) -> Vec<Account> {
    vec![
        Account::new(DEFAULT_ACCOUNT)
            .key(DEFAULT_TEST_KEY)
            .key(DEFAULT_TEST_KEY_2)
            .revoked_key(REVOKED_TEST_KEY)
            .credits(credits),
        Account::new(NO_CREDITS_ACCOUNT)
            .key(NO_CREDITS_TEST_KEY)
            .credits(0),
    ]
}

/// Credits per second of clip, by tier and resolution (the emulator's illustrative price
/// table; the provider publishes none). `None` for combinations the API refuses.
///
/// | tier \ resolution | 720p | 1080p | 1080p-plus | 4k |
/// |---|---|---|---|---|
/// | mini     | 3  | 5  | — | — |
/// | standard | 6  | 9  | — | — |
/// | pro      | 10 | 15 | 20 | 30 |
///
/// ```
/// use seedance_core::{QualityTier, Resolution};
/// assert_eq!(seedance_emulator::credits_per_second(&QualityTier::Pro, &Resolution::K4), Some(30));
/// ```
pub fn credits_per_second(tier: &QualityTier, resolution: &Resolution) -> Option<u64> {
    use QualityTier as T;
    use Resolution as R;
    Some(match (tier, resolution) {
        (T::Mini, R::P720) => 3,
        (T::Mini, R::P1080) => 5,
        (T::Standard, R::P720) => 6,
        (T::Standard, R::P1080) => 9,
        (T::Pro, R::P720) => 10,
        (T::Pro, R::P1080) => 15,
        (T::Pro, R::P1080Plus) => 20,
        (T::Pro, R::K4) => 30,
        _ => return None,
    })
}

/// The price of a clip in credits: [`credits_per_second`] × duration (standard, 5 s,
/// 720p costs 30, as in the spec's example).
///
/// ```
/// use seedance_core::{QualityTier, Resolution};
/// assert_eq!(seedance_emulator::price(&QualityTier::Standard, &Resolution::P720, 5), Some(30));
/// assert_eq!(seedance_emulator::price(&QualityTier::Mini, &Resolution::K4, 5), None);
/// ```
pub fn price(tier: &QualityTier, resolution: &Resolution, duration_secs: u32) -> Option<u64> {
    credits_per_second(tier, resolution).map(|c| c * u64::from(duration_secs))
}

/// A rate limit: at most `requests` in any sliding window of `window` (real time). The
/// core's one type, re-exported (the spec's limits are `RateLimit::ACCOUNT` and
/// `RateLimit::MEDIA`).
///
/// ```
/// use std::time::Duration;
/// let l = seedance_emulator::RateLimit::new(30, Duration::from_secs(60));
/// assert_eq!(l, seedance_emulator::RateLimit::ACCOUNT);
/// ```
pub use seedance_core::rules::RateLimit;

/// Where a redirect sends API requests (answered with 307, `Location` on another host
/// name of the same site, path and query kept).
///
/// ```
/// use seedance_emulator::Redirect;
/// assert_eq!(Redirect::ApexToWww.target_host("seedance.localhost"), Some("www.seedance.localhost".to_owned()));
/// assert_eq!(Redirect::ApexToWww.target_host("www.seedance.localhost"), None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Redirect {
    /// Any host not starting with `www.` is sent to `www.` + host (as the production apex).
    ApexToWww,
    /// Any host other than this one is sent to it.
    ToHost(String),
}

impl Redirect {
    /// The host to redirect a request for `host` (with port, as in the `Host` header) to,
    /// or `None` when the request is already on the target.
    pub fn target_host(&self, host: &str) -> Option<String> {
        match self {
            Redirect::ApexToWww => {
                if host.starts_with("www.") {
                    None
                } else {
                    Some(format!("www.{host}"))
                }
            }
            Redirect::ToHost(target) => {
                if host.eq_ignore_ascii_case(target) {
                    None
                } else {
                    Some(target.clone())
                }
            }
        }
    }
}

/// Settings that can be changed while the emulator runs ([`crate::Emulator::configure`],
/// `POST /_emulator/config`).
///
/// ```
/// use seedance_emulator::RuntimeConfig;
/// let c = RuntimeConfig::default();
/// assert_eq!(c.rate_limit.map(|l| l.requests), Some(seedance_core::rules::RATE_LIMIT_REQUESTS));
/// assert_eq!(serde_json::to_value(&c)?["max_body_bytes"], 256 * 1024);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RuntimeConfig {
    /// Simulated render time is divided by this (real time = realistic, about 1–5
    /// minutes). A validated [`TimeScale`]: in JSON the bare number, refused unless it
    /// is in the core's range.
    pub time_scale: TimeScale,
    /// The account-wide limit over every endpoint (`None` = off).
    pub rate_limit: Option<RateLimit>,
    /// The limit for submits carrying reference media (`None` = off).
    pub media_rate_limit: Option<RateLimit>,
    /// How long an idempotency key is remembered.
    #[serde(with = "millis", rename = "idempotency_retention_ms")]
    pub idempotency_retention: Duration,
    /// A prompt containing this makes the task fail (refund); `None` = off.
    pub failure_marker: Option<String>,
    /// Probability in 0..=1 that any task fails (refund).
    pub failure_probability: f64,
    /// A prompt containing this is refused by the content policy (400, no charge).
    pub refusal_marker: Option<String>,
    /// A reference URL containing this is refused as showing a real person (400, no charge).
    pub real_person_marker: Option<String>,
    /// Bodies larger than this are refused (400).
    pub max_body_bytes: usize,
    /// Answer API requests with a 307 to another host of the same site.
    pub redirect: Option<Redirect>,
    /// How render times spread around the core's model (default [`RenderSpread::None`]:
    /// exact; the front doors use [`RenderSpread::Realistic`]).
    #[serde(default)]
    pub render_spread: RenderSpread,
    /// Seed of the render-time draws (`None`: a random seed). The same seed and the same
    /// sequence of submits give the same render times.
    #[serde(default)]
    pub render_seed: Option<u64>,
    /// Queueing under load: each account renders at most this many tasks at once, later
    /// ones wait for a free slot (first come, first served). `None`: no queue.
    #[serde(default)]
    pub render_queue: Option<u32>,
}

impl RuntimeConfig {
    /// This configuration with the fields of `patch` (a partial JSON object of the
    /// README's `Config`, as `POST /_emulator/config` takes) changed. Unknown fields, values
    /// of the wrong type, a `time_scale` outside the core's [`TimeScale`] range and a
    /// `failure_probability` outside 0..=1 are errors.
    ///
    /// ```
    /// use seedance_emulator::RuntimeConfig;
    /// let c = RuntimeConfig::default().patched(&serde_json::json!({"failure_probability": 0.5}))?;
    /// assert_eq!(c.failure_probability, 0.5);
    /// assert!(c.patched(&serde_json::json!({"time_scale": 0})).is_err());
    /// # Ok::<(), seedance_emulator::ControlError>(())
    /// ```
    pub fn patched(&self, patch: &Value) -> Result<RuntimeConfig, ControlError> {
        let Some(patch) = patch.as_object() else {
            return Err(ControlError::new(
                "the body must be a JSON object of config fields",
            ));
        };
        let mut v = serde_json::to_value(self).map_err(|e| ControlError::new(e.to_string()))?;
        let Some(obj) = v.as_object_mut() else {
            return Err(ControlError::new("config is not an object"));
        };
        for (k, val) in patch {
            if !obj.contains_key(k) {
                return Err(ControlError::new(format!(
                    "unknown config field {k:?}; known: {}",
                    obj.keys().cloned().collect::<Vec<_>>().join(", ")
                )));
            }
            obj.insert(k.clone(), val.clone());
        }
        // The path names the field (a bad `time_scale` is refused by the core's TimeScale).
        let c: RuntimeConfig = serde_path_to_error::deserialize(v).map_err(|e| {
            let path = e.path().to_string();
            ControlError::new(format!("invalid config: {path}: {}", e.into_inner()))
        })?;
        if !(0.0..=1.0).contains(&c.failure_probability) {
            return Err(ControlError::new(
                "failure_probability must be between 0 and 1",
            ));
        }
        c.render_spread.check()?;
        Ok(c)
    }
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            time_scale: TimeScale::REAL_TIME,
            rate_limit: Some(RateLimit::ACCOUNT),
            media_rate_limit: Some(RateLimit::MEDIA),
            idempotency_retention: DEFAULT_IDEMPOTENCY_RETENTION,
            failure_marker: Some(DEFAULT_FAILURE_MARKER.to_owned()),
            failure_probability: 0.0,
            refusal_marker: Some(DEFAULT_REFUSAL_MARKER.to_owned()),
            real_person_marker: Some(DEFAULT_REAL_PERSON_MARKER.to_owned()),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            redirect: None,
            render_spread: RenderSpread::None,
            render_seed: None,
            render_queue: None,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_costs_30() {
        assert_eq!(
            price(&QualityTier::Standard, &Resolution::P720, 5),
            Some(30)
        );
    }

    /// The price table is the emulator's own, but which combinations exist is the core's:
    /// every tier × resolution the rules accept has a price, every other has none. (A new
    /// tier or resolution in `seedance_core::rules` fails here until it is priced.)
    #[test]
    fn every_combination_the_rules_accept_has_a_price() {
        for tier in QualityTier::ALL {
            for res in Resolution::ALL {
                let req = seedance_core::VideoRequest::builder("A glass train on a bridge")
                    .quality_tier(tier.clone())
                    .resolution(res.clone())
                    .build_unchecked();
                assert_eq!(
                    credits_per_second(tier, res).is_some(),
                    seedance_core::validate(&req).is_ok(),
                    "{tier} × {res}"
                );
            }
        }
    }

    #[test]
    fn price_grows_with_tier_resolution_duration() {
        let p = |t: &QualityTier, r: &Resolution, d| price(t, r, d).unwrap_or(0);
        assert!(
            p(&QualityTier::Mini, &Resolution::P720, 5)
                < p(&QualityTier::Standard, &Resolution::P720, 5)
        );
        assert!(
            p(&QualityTier::Standard, &Resolution::P720, 5)
                < p(&QualityTier::Pro, &Resolution::P720, 5)
        );
        assert!(
            p(&QualityTier::Pro, &Resolution::P720, 5) < p(&QualityTier::Pro, &Resolution::K4, 5)
        );
        assert!(
            p(&QualityTier::Pro, &Resolution::K4, 5) < p(&QualityTier::Pro, &Resolution::K4, 15)
        );
    }

    #[test]
    fn patched_changes_only_what_it_names_and_refuses_bad_values() {
        let c = RuntimeConfig::default();
        let p = c
            .patched(&serde_json::json!({"failure_marker": null, "time_scale": 10.0}))
            .unwrap();
        assert_eq!(p.failure_marker, None);
        assert_eq!(p.time_scale.get(), 10.0);
        assert_eq!(p.rate_limit, c.rate_limit);
        for (bad, needle) in [
            (serde_json::json!({"colour": 1}), "unknown config field"),
            (serde_json::json!({"time_scale": -1.0}), "time_scale"),
            (serde_json::json!({"time_scale": "fast"}), "invalid config"),
            (
                serde_json::json!({"failure_probability": 2.0}),
                "failure_probability",
            ),
            (serde_json::json!([1]), "JSON object"),
        ] {
            let e = c.patched(&bad).unwrap_err();
            assert!(e.message().contains(needle), "{bad}: {e}");
        }
    }

    #[test]
    fn runtime_config_json_round_trip() {
        let c = RuntimeConfig::default();
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["rate_limit"]["window_ms"], 60_000);
        let back: RuntimeConfig = serde_json::from_value(v).unwrap();
        assert_eq!(back, c);
    }
}
