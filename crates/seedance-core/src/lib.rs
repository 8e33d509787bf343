//! # seedance-core
//!
//! The pure core of the Seedance 2 Video API SDK: the wire types, every rule of the spec
//! in one validation function, and the provider's prompt guide as an API. No I/O, no
//! async runtime, no HTTP crate; the client (`seedance-http`), the emulator, the CLI and
//! every language binding stand on it.
//!
//! ```
//! use seedance_core::{VideoRequest, QualityTier, Resolution, AspectRatio};
//!
//! let request = VideoRequest::builder("A cinematic shot of a glass train crossing a snowy mountain bridge")
//!     .quality_tier(QualityTier::Standard)
//!     .aspect_ratio(AspectRatio::Wide16x9)
//!     .duration(5)
//!     .resolution(Resolution::P720)
//!     .build()?;
//! assert_eq!(serde_json::to_value(&request)?["duration"], "5");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The prompt guide as a builder ([`DirectorPrompt`]): references go to the right fields
//! and are described in words, and the mode follows from them.
//!
//! ```
//! use seedance_core::{AssetRole, DirectorPrompt, Mode, QualityTier, Shot};
//!
//! let request = DirectorPrompt::new()
//!     .subject("a glass train")
//!     .shot(Shot::new("it bursts out of a tunnel").camera("low angle, tilt up").timing(0.0, 3.0))
//!     .shot(Shot::new("it crosses a snowy mountain bridge").camera("drone pull-back").timing(3.0, 6.0))
//!     .reference(AssetRole::Style, "https://cdn.example.com/palette.jpg", "match its cold blue palette")
//!     .duration(6)
//!     .request()?                      // a VideoRequestBuilder: prompt, mode, media_urls, duration
//!     .quality_tier(QualityTier::Pro)
//!     .build()?;                       // validated
//! assert_eq!(request.mode, Some(Mode::MediaToVideo));
//! assert!(request.prompt.contains("as the style reference: match its cold blue palette."));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod duration;
mod error;
mod lint;
mod prompt;
mod rate_limit;
mod request;
mod retry;
pub mod rules;
mod task;
mod time_scale;
mod untrusted;
mod validate;

pub use duration::Duration;
pub use error::{ApiError, ErrorBody, ErrorCode};
pub use lint::{lint_prompt, LintFinding, LintKind};
pub use prompt::{
    AssetRole, Constraint, Constraints, DirectorPrompt, Intent, PromptError, ReferenceAsset, Shot,
    ShotTiming, UnknownAssetRole,
};
pub use request::{VideoRequest, VideoRequestBuilder};
pub use rules::{expected_render_secs, AspectRatio, Channel, Mode, QualityTier, Resolution};
pub use task::{ImageOutput, Task, TaskId, TaskOutput, TaskStatus};
pub use validate::{check_public_https_url, validate, Rule, ValidationError, Violation};
