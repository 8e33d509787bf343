//! # seedance-emulator
//!
//! A faithful local server of the Seedance 2 Video API (`shared/spec/seedance-api.md`),
//! for offline work, demos and tests: keys and accounts, credits with an illustrative
//! price table, the account-wide and reference-media rate limits, idempotency keys,
//! validation through `seedance-core`, simulated render times, outputs (a real MP4 and a
//! PNG) on a second "CDN" origin with Range support, 307 redirects, fault injection and
//! introspection (Rust methods, and HTTP under `/_emulator/`, see the README).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use seedance_emulator::{Emulator, Endpoint, Fault, FaultKind, TimeScale};
//!
//! let emu = Emulator::builder()
//!     .time_scale(TimeScale::new(1000.0)?)
//!     .rate_limit(30, Duration::from_secs(1))
//!     .start()
//!     .await?;
//! emu.inject(Fault::new(Endpoint::Submit, FaultKind::ServiceBusy503).nth(1));
//! assert_eq!(emu.stats().tasks_created, 0);
//! emu.shutdown().await;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

// Layers, bottom up (a module uses only those of its layer or below; the
// seedance-arch test `emulator_layers` keeps it so):
// errors, timefmt, media, render, faults, config → state → app → handlers → server → args.
mod app;
mod args;
mod config;
mod errors;
mod faults;
mod handlers;
mod media;
mod render;
mod server;
mod state;
mod timefmt;

pub use args::{parse_spread, EmulatorArgs, LimitArg};
pub use config::{
    credits_per_second, price, Account, RateLimit, Redirect, RuntimeConfig, DEFAULT_ACCOUNT,
    DEFAULT_CREDITS, DEFAULT_FAILURE_MARKER, DEFAULT_IDEMPOTENCY_RETENTION, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_REAL_PERSON_MARKER, DEFAULT_REFUSAL_MARKER, DEFAULT_TEST_KEY, DEFAULT_TEST_KEY_2,
    NO_CREDITS_ACCOUNT, NO_CREDITS_TEST_KEY, REVOKED_TEST_KEY,
};
pub use errors::{ControlError, Error};
pub use faults::{
    Endpoint, Fault, FaultKind, ABSURD_RETRY_AFTER_DEFAULT, CONTROL_CHARS_TEXT,
    FOREIGN_TASK_ID_DEFAULT, HUGE_BODY_DEFAULT_BYTES,
};
pub use render::{describe as describe_spread, RenderSpread, TaskTiming, MAX_RENDER_FACTOR};
/// The core's validated time scale, which [`EmulatorBuilder::time_scale`] takes.
pub use seedance_core::rules::TimeScale;
pub use server::{serve, Emulator, EmulatorBuilder};
pub use state::Stats;
