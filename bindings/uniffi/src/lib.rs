//! # seedance-uniffi
//!
//! The Seedance client for Kotlin and Swift, generated with Mozilla's uniffi (proc-macro
//! mode, no UDL). Glue only: every rule lives in `seedance-core`, every request in
//! `seedance-http`; this crate converts types, errors and progress events, and owns
//! nothing else. `cargo run -p uniffi-bindgen -- generate --library …` writes the
//! sources committed under `bindings/kotlin` and `bindings/swift`
//! (`scripts/uniffi-generate`).
//!
//! The surface, as Kotlin sees it:
//!
//! ```kotlin
//! val client = Client.fromSettings(ClientSettings(apiKey = key, baseUrl = url))
//! val task = client.generate(VideoRequest(prompt = "A glass train crossing a bridge"))
//! val files = client.download(task, "out/")
//! ```
//!
//! The same calls from Rust (the glue is an ordinary library too):
//!
//! ```
//! use seedance_uniffi::{validate_request, VideoRequest};
//! let request = VideoRequest::new("hi");
//! let violations = validate_request(request);
//! assert_eq!(violations[0].field, "prompt");
//! ```
#![deny(missing_docs)]

uniffi::setup_scaffolding!();

mod client;
mod emulator;
mod error;
mod progress;
mod prompt;
mod runtime;
mod types;

pub use client::{
    default_job_store_path, BudgetSetting, Client, ClientSettings, DownloadOptions,
    GenerateOptions, RateLimitSetting, WaitOptions,
};
pub use emulator::{Emulator, EmulatorOptions, EmulatorStats};
pub use error::{SeedanceError, Violation};
pub use progress::{CancelToken, ProgressEvent, ProgressListener};
pub use prompt::{lint_prompt, AssetRole, Constraint, DirectorPrompt, LintFinding, Shot};
pub use types::{
    request_from_json, request_to_json, validate_request, AspectRatio, Channel, Charge, Downloaded,
    JobFilter, JobOutcome, JobRecord, JobState, Mode, QualityTier, Resolution, StoredState, Task,
    TaskOutput, TaskStatus, VideoRequest,
};
