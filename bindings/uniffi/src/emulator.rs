//! `Emulator`: the embedded `seedance_emulator` for offline tests in Kotlin and Swift.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use seedance_emulator as emu;

use crate::client::RateLimitSetting;
use crate::error::SeedanceError;
use crate::runtime::runtime;

/// How to start an emulator.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct EmulatorOptions {
    /// Render time divided by this (1000: a 105 s render takes about 0.1 s).
    #[uniffi(default = 1000.0)]
    pub time_scale: f64,
    /// The account-wide limit (default 30 per 60 s).
    #[uniffi(default)]
    pub rate_limit: Option<RateLimitSetting>,
    /// The reference-media limit (default 3 per 60 s).
    #[uniffi(default)]
    pub media_rate_limit: Option<RateLimitSetting>,
    /// The default account's credits.
    #[uniffi(default)]
    pub credits: Option<u64>,
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        EmulatorOptions {
            time_scale: 1000.0,
            rate_limit: None,
            media_rate_limit: None,
            credits: None,
        }
    }
}

/// Counters of the default account.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct EmulatorStats {
    /// API requests.
    pub requests: u64,
    /// Of those, submits.
    pub submits: u64,
    /// Tasks created (charged).
    pub tasks_created: u64,
    /// Credits charged.
    pub credits_charged: u64,
    /// Credits refunded.
    pub credits_refunded: u64,
    /// 429 answers sent.
    pub rate_limited: u64,
    /// Submits answered by replaying an earlier response.
    pub idempotent_replays: u64,
}

/// A running emulator of the whole API (API and CDN listeners on 127.0.0.1, random
/// ports). Start it, point a client at `baseUrl()` with `apiKey()`, `stop()` it.
#[derive(Debug, uniffi::Object)]
pub struct Emulator {
    inner: Mutex<Option<emu::Emulator>>,
    base_url: String,
}

fn control(detail: impl ToString) -> SeedanceError {
    SeedanceError::Configuration {
        detail: detail.to_string(),
    }
}

impl Emulator {
    fn with<T>(&self, f: impl FnOnce(&emu::Emulator) -> T) -> Result<T, SeedanceError> {
        let g = self
            .inner
            .lock()
            .map_err(|_| control("emulator lock poisoned"))?;
        g.as_ref()
            .map(f)
            .ok_or_else(|| control("the emulator is stopped"))
    }
}

#[uniffi::export]
impl Emulator {
    /// Starts one.
    #[uniffi::constructor(default(options = None))]
    pub fn start(options: Option<EmulatorOptions>) -> Result<Arc<Emulator>, SeedanceError> {
        let o = options.unwrap_or_default();
        let scale = seedance_core::rules::TimeScale::checked("time_scale", o.time_scale)
            .map_err(|e| control(e.to_string()))?;
        let mut b = emu::Emulator::builder().time_scale(scale);
        match o.rate_limit {
            Some(RateLimitSetting::Off) => b = b.no_rate_limit(),
            Some(RateLimitSetting::Limit { requests, window }) => {
                b = b.rate_limit(requests, window)
            }
            None => {}
        }
        match o.media_rate_limit {
            Some(RateLimitSetting::Off) => b = b.no_media_rate_limit(),
            Some(RateLimitSetting::Limit { requests, window }) => {
                b = b.media_rate_limit(requests, window)
            }
            None => {}
        }
        if let Some(c) = o.credits {
            b = b.default_credits(c);
        }
        let rt = runtime().map_err(control)?;
        let e = rt
            .block_on(b.start())
            .map_err(|e| control(format!("the emulator did not start: {e}")))?;
        Ok(Arc::new(Emulator {
            base_url: e.base_url(),
            inner: Mutex::new(Some(e)),
        }))
    }

    /// The API origin (`http://127.0.0.1:PORT`).
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The default test key.
    pub fn api_key(&self) -> String {
        emu::DEFAULT_TEST_KEY.to_owned()
    }

    /// A revoked key (401 `unauthorized`).
    pub fn revoked_key(&self) -> String {
        emu::REVOKED_TEST_KEY.to_owned()
    }

    /// The key of an account without credits (402 `insufficient_credits`).
    pub fn no_credits_key(&self) -> String {
        emu::NO_CREDITS_TEST_KEY.to_owned()
    }

    /// Put this in a prompt and the task fails (credits refunded).
    pub fn failure_marker(&self) -> String {
        emu::DEFAULT_FAILURE_MARKER.to_owned()
    }

    /// The default account's counters.
    pub fn stats(&self) -> Result<EmulatorStats, SeedanceError> {
        let s = self.with(|e| e.stats())?;
        Ok(EmulatorStats {
            requests: s.requests,
            submits: s.submits,
            tasks_created: s.tasks_created,
            credits_charged: s.credits_charged,
            credits_refunded: s.credits_refunded,
            rate_limited: s.rate_limited,
            idempotent_replays: s.idempotent_replays,
        })
    }

    /// Adds faults in the emulator's JSON form (one object or an array, as
    /// `POST /_emulator/faults` takes: `{"endpoint":"submit","kind":"drop_after","nth":1}`);
    /// returns how many were added.
    pub fn inject_faults(&self, json: String) -> Result<u32, SeedanceError> {
        let v: serde_json::Value = serde_json::from_str(&json).map_err(control)?;
        let n = self.with(|e| e.inject_json(&v))?.map_err(control)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// Removes every fault.
    pub fn clear_faults(&self) -> Result<(), SeedanceError> {
        self.with(|e| e.clear_faults())
    }

    /// Every `Authorization` header the CDN received (stays empty: the key never goes there).
    pub fn cdn_auth_headers(&self) -> Result<Vec<String>, SeedanceError> {
        self.with(|e| e.cdn_auth_headers())
    }

    /// Stops both listeners (idempotent).
    pub fn stop(&self) {
        let taken = self.inner.lock().ok().and_then(|mut g| g.take());
        if let (Some(e), Ok(rt)) = (taken, runtime()) {
            rt.block_on(async move {
                let _ = tokio::time::timeout(Duration::from_secs(5), e.shutdown()).await;
            });
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Ok(mut g) = self.inner.lock() {
            if let (Some(e), Ok(rt)) = (g.take(), runtime()) {
                rt.spawn(async move { e.shutdown().await });
            }
        }
    }
}
