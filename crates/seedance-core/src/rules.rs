//! The one place where the API's rules live: allowed values, limits, defaults and the
//! project's **Readings** of the spec's gaps (`shared/spec/seedance-api.md`).
//!
//! An API revision (a new tier, a longer duration, another resolution) is a change to
//! this file only: the enums below, the limits, and the tables of what combines with what.
//! Validation (`validate.rs`), the emulator, the client and every binding read from here.
//! Outside this crate the spec's limits appear only in docs and tests:
//! `crates/seedance-arch/tests/spec_limits_in_core.rs` scans every other crate, binding
//! and the Python package for the distinctive ones (10000, 4294967295, `"1080p-plus"`,
//! `"4k"`); a number that merely coincides is a named constant marked as such.
//!
//! ## Readings (how this project interprets what the spec leaves open)
//! - R1 `duration` travels as a JSON string (`"5"`); SDKs take an integer and send the string.
//! - R2 prompt length counts Unicode scalar values (code points), without trimming.
//! - R3 "public https URL": scheme `https`, a host name or a public IP; not `localhost`,
//!   loopback, private, link-local, unspecified or other non-global addresses; no user-info.
//! - R4 `end_image_url` belongs to `image-to-video` only.
//! - R5 `image_url`/`end_image_url` with `media-to-video`, or `media_urls` with another mode,
//!   is a contradiction reported rather than sent; an empty `media_urls` array counts as present.
//! - R6 unknown request fields are refused by the server (`invalid_request`).
//! - R7 the 30-per-60-s budget is shared by every request of an account (submits and polls).
//!   A request refused with 401 (missing, unknown or revoked key) has no account and uses
//!   no account's budget.
//! - R8 the same idempotency key with the same body replays the first response.
//! - R9 `output` is null or absent until `completed`; a failed task carries `error`.
//! - R10 task ids are opaque (`sd2_…`, `gpt2_…`, `nbp_…`); `output.images[].url` may appear.
//! - R11 submits carrying `image_url`, `end_image_url` or `media_urls` also count against a
//!   second limit of 3 per 60 s (reference-media validation).
//! - R12 statuses that end a task at other providers of this model (`cancelled`, `canceled`,
//!   `expired`, `aborted`) are terminal failures; any other unknown status is still running.
//! - R13 a redirect is followed with the key only to the same site over https
//!   ([`redirect_keeps_key`]).
//! - R14 unknown values in responses never break parsing: enums keep the unknown string.
//! - R15 prompt lint errors (`asset://` URLs, raw asset ids, in-app labels such as `@图片1`,
//!   empty shots) are validation errors: the provider's guide says never to send them
//!   ([`crate::lint_prompt`]; its patterns live in `lint.rs` because they are regexes).
//! - R16 `-1` is a valid seed ("random"), and still counts as a seed for the channel/tier rule.
//! - R17 single-label host names (`https://intranet/x`) and the special-use suffixes
//!   `.localhost`, `.local`, `.internal`, `.home.arpa` are not public hosts. A URL is
//!   checked as sent: one the URL parser would rewrite (backslashes, `https:/x`,
//!   `https:///x`, whitespace) or a host with an empty label is refused
//!   ([`crate::check_public_https_url`] implements R3 and R17).
//! - R18 a 409 `idempotency_conflict` is retried with the same key only when its message
//!   does not say the body differs ("different", "mismatch"…) and either this same submit
//!   was (maybe) sent before — an earlier attempt of this call, or an unfinished journal
//!   entry under the key — or the message says the first request is still running ("in
//!   flight", "still", "in progress"…); the retries are bounded in time. Any other 409 is
//!   final. The message words are [`CONFLICT_BODY_MISMATCH_WORDS`] and
//!   [`CONFLICT_IN_FLIGHT_WORDS`], read by [`conflict_reason`]. A 409 to a submit that
//!   may have reached the server before is never taken as "nothing was created" (the
//!   spec's own wording names both causes at once, and the client re-sends the stored
//!   bytes): the job stays "may be charged" and `resume` retries the key later
//!   ([`conflict_leaves_job_open`]).
//! - R28 the server's idempotency retention is not documented: the client assumes
//!   [`IDEMPOTENCY_RETENTION`] (24 h). Past it, re-POSTing a job whose answer was lost
//!   may create and charge a second task, so `resume` does it only when asked to.
//!
//! Readings about what arrives from the network (untrusted: the API, a proxy, the CDN)
//! and about local values; their code is in `untrusted.rs`, re-exported here:
//! - R19 a task id is 1 to [`TASK_ID_MAX_LEN`] characters of `A-Z a-z 0-9 _ -`; it is
//!   checked where it is parsed ([`check_task_id`]; [`crate::TaskId`] deserialises only
//!   valid ids), and anything else is a response error. A response about another task
//!   than the one asked for is an error too. File names are never built from anything
//!   else the server sends (no extension from a URL).
//! - R20 `Retry-After` is delta-seconds or an HTTP date, capped at [`RETRY_AFTER_MAX`]
//!   (1 h; larger values are treated as the cap and reported) ([`parse_retry_after`]).
//! - R21 every duration, rate and scale from a user (flags, variables, arguments) is
//!   range-checked where it is parsed: durations at most [`SETTING_DURATION_MAX`]
//!   ([`duration_from_secs_f64`], [`check_duration`]), scales in [`TIME_SCALE_RANGE`]
//!   (the [`TimeScale`] type: every time scale of the workspace is one, so no crate
//!   checks "> 0" by hand nor falls back to 1 silently); deadlines derived from them
//!   never overflow.
//! - R22 secrets are removed from every server string (code, message, body excerpt)
//!   before it is truncated, shown or stored: the key, `Bearer` tokens, `sk_live_…`
//!   shapes ([`redact_secrets`], [`excerpt`]); a task's raw JSON, handed on as is, is
//!   redacted string by string ([`redact_json`]).
//! - R23 (also) a status this version does not know is shown on one line, its control
//!   characters escaped (`TaskStatus`'s `Display`); the emulator's `control_chars` fault
//!   includes a newline.
//! - R23 server strings printed for humans have their control characters and bidi
//!   overrides escaped ([`escape_controls`]); JSON output is left to the JSON encoder.
//! - R24 sizes: API bodies are read up to [`API_BODY_MAX_BYTES`], downloads up to
//!   [`DOWNLOAD_MAX_BYTES`] within [`DOWNLOAD_DEADLINE`] (all configurable in the
//!   client); optional numeric task fields that are malformed read as absent (the raw
//!   JSON keeps them), statuses match case-insensitively, unknown fields are ignored.
//!
//! Readings about what the client decides for the user:
//! - R25 a request given without `mode` takes it from its references ([`infer_mode`]):
//!   `image_url` or `end_image_url` → `image-to-video`, else `media_urls` →
//!   `media-to-video`, else none (the server's default, `text-to-video`). An explicit mode
//!   always wins and is then checked as given. The CLI, Python, C and Kotlin/Swift call
//!   this one function ([`crate::VideoRequestBuilder::infer_mode`],
//!   [`crate::VideoRequest::infer_mode`] for a request that arrives whole), and each runs
//!   the shared table `tests/shared/mode-inference.json` in its tests. A *default* mode
//!   (a CLI profile's `mode`, a batch's `--mode`) is weaker than inference: it applies
//!   only to a request whose references infer none
//!   ([`crate::VideoRequestBuilder::default_mode`]), so `generate` and `batch` lines
//!   agree, and a profile saying `text-to-video` never turns `--image-url` into an error.
//! - R26 an `Idempotency-Key` is 1 to [`IDEMPOTENCY_KEY_MAX_LEN`] visible ASCII
//!   characters (`!` to `~`: no space, no control character); the client refuses any
//!   other key before sending, the emulator answers it with `invalid_request`
//!   ([`check_idempotency_key`]).
//! - R27 after which answers a request is sent again with the same key: connection
//!   errors, timeouts and HTTP [`RETRYABLE_STATUSES`] (429, 500, 502, 503, 504; after
//!   `Retry-After` when sent, else with backoff); a 409 as R18 says; nothing else
//!   ([`retry_class`], [`RETRY_SUMMARY`]).
//! - R29 a director prompt's shot timings must fit the clip it is rendered for: its
//!   `duration`, else the server's default ([`DURATION_DEFAULT_SECS`], the length a
//!   request without `duration` renders), never the longest allowed clip
//!   ([`clip_length_secs`]).

use std::fmt;
use std::str::FromStr;

pub use crate::untrusted::{
    check_duration, check_task_id, duration_from_secs_f64, escape_controls, excerpt,
    parse_duration, parse_retry_after, redact_json, redact_secrets, InvalidTaskId, RetryAfter,
    API_BODY_MAX_BYTES, DOWNLOAD_DEADLINE, DOWNLOAD_MAX_BYTES, MESSAGE_MAX_CHARS, REDACTED,
    RETRY_AFTER_MAX, SETTING_DURATION_MAX, TASK_ID_MAX_LEN, TIME_SCALE_RANGE,
};

pub use crate::rate_limit::{
    RateLimit, MEDIA_RATE_LIMIT_REQUESTS, MEDIA_RATE_LIMIT_WINDOW_SECS, RATE_LIMIT_REQUESTS,
    RATE_LIMIT_WINDOW_SECS,
};
pub use crate::retry::{
    conflict_is_retried, conflict_reason, retry_class, ConflictReason, RetryClass,
    CONFLICT_BODY_MISMATCH_WORDS, CONFLICT_IN_FLIGHT_WORDS, RETRYABLE_STATUSES, RETRY_SUMMARY,
};
pub use crate::time_scale::{InvalidTimeScale, TimeScale};

/// Production base URL of the API.
pub const PRODUCTION_BASE_URL: &str = "https://seedance2ai.io";
/// Path of the submit endpoint.
pub const SUBMIT_PATH: &str = "/api/v1/video/seedance2";
/// Path prefix of the task endpoint (`{TASKS_PATH}/{id}`).
pub const TASKS_PATH: &str = "/api/v1/tasks";

/// Every field of a submit body, in the spec's order. Nothing else may be sent (R6);
/// [`crate::VideoRequest`] has exactly these fields (a test keeps the two in step).
pub const REQUEST_FIELDS: &[&str] = &[
    "mode",
    "quality_tier",
    "channel",
    "prompt",
    "aspect_ratio",
    "duration",
    "resolution",
    "image_url",
    "end_image_url",
    "media_urls",
    "generate_audio",
    "fixed_lens",
    "seed",
];

/// Prompt length in code points (R2), inclusive.
pub const PROMPT_MIN_CHARS: usize = 3;
/// Prompt length in code points (R2), inclusive.
pub const PROMPT_MAX_CHARS: usize = 10_000;
/// Clip duration in seconds, inclusive.
pub const DURATION_MIN_SECS: u32 = 4;
/// Clip duration in seconds, inclusive.
pub const DURATION_MAX_SECS: u32 = 15;
/// Default clip duration in seconds.
pub const DURATION_DEFAULT_SECS: u32 = 5;
/// Most `media_urls` entries.
pub const MEDIA_URLS_MAX: usize = 12;
/// Fewest `media_urls` entries for `media-to-video`.
pub const MEDIA_URLS_MIN: usize = 1;
/// Smallest seed.
pub const SEED_MIN: i64 = -1;
/// Largest seed.
pub const SEED_MAX: i64 = 4_294_967_295;
/// Largest start/end frame image, in bytes (30 MB).
pub const FRAME_IMAGE_MAX_BYTES: u64 = 30 * 1024 * 1024;

/// Default `generate_audio`.
pub const GENERATE_AUDIO_DEFAULT: bool = true;
/// Default `fixed_lens`.
pub const FIXED_LENS_DEFAULT: bool = false;

/// Statuses that end a task as a failure although the spec does not name them (R12).
pub const TERMINAL_FAILURE_STATUSES: &[&str] = &["cancelled", "canceled", "expired", "aborted"];

/// Defines a wire enum: known variants with their exact wire strings, plus `Other(String)`
/// that keeps any value the API adds later (R14). `Other` parses and serialises as the
/// string it holds; validation refuses it in requests.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident, field = $field:literal, default = $default:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version does not know (kept verbatim; refused in requests).
            Other(String),
        }

        impl $name {
            /// Every value the API currently accepts, in the spec's order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant ),+ ];
            /// The request field this enum fills.
            pub const FIELD: &'static str = $field;

            /// The exact wire string (an `Other` value gives back what it holds).
            ///
            #[doc = concat!("```\nuse seedance_core::", stringify!($name), ";\nfor v in ", stringify!($name), "::ALL {\n    assert_eq!(&", stringify!($name), "::from(v.as_str()), v);\n}\nassert_eq!(", stringify!($name), "::from(\"new-value\").as_str(), \"new-value\");\n```")]
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Other(s) => s.as_str(),
                }
            }

            /// Whether this is a value the API is known to accept.
            ///
            #[doc = concat!("```\nuse seedance_core::", stringify!($name), ";\nassert!(", stringify!($name), "::default().is_known());\nassert!(!", stringify!($name), "::from(\"new-value\").is_known());\n```")]
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Other(_))
            }

            /// The allowed wire strings, joined for messages: `"a", "b", "c"`.
            ///
            #[doc = concat!("```\nuse seedance_core::", stringify!($name), ";\nlet list = ", stringify!($name), "::allowed_list();\nassert!(list.starts_with('\"') && list.contains(", stringify!($name), "::default().as_str()));\n```")]
            pub fn allowed_list() -> String {
                Self::ALL
                    .iter()
                    .map(|v| format!("\"{}\"", v.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        }

        #[allow(clippy::derivable_impls)] // a derive cannot mark a variant inside a macro repeat
        impl Default for $name {
            /// The server's default.
            fn default() -> Self {
                $name::$default
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $( $wire => $name::$variant, )+
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name::from(s.as_str())
            }
        }

        impl FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok($name::from(s))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Ok($name::from(s))
            }
        }
    };
}

wire_enum! {
    /// What the clip is generated from (`mode`).
    ///
    /// ```
    /// use seedance_core::Mode;
    /// assert_eq!(Mode::from("image-to-video"), Mode::ImageToVideo);
    /// assert_eq!(Mode::default().as_str(), "text-to-video");
    /// ```
    Mode, field = "mode", default = TextToVideo {
        /// `text-to-video` (default).
        TextToVideo => "text-to-video",
        /// `image-to-video`: needs `image_url`.
        ImageToVideo => "image-to-video",
        /// `media-to-video`: needs `media_urls`.
        MediaToVideo => "media-to-video",
    }
}

wire_enum! {
    /// Price and quality tier (`quality_tier`).
    ///
    /// ```
    /// use seedance_core::QualityTier;
    /// assert_eq!(QualityTier::from("pro"), QualityTier::Pro);
    /// ```
    QualityTier, field = "quality_tier", default = Standard {
        /// `mini`: the cheapest; no seed.
        Mini => "mini",
        /// `standard` (default).
        Standard => "standard",
        /// `pro`: the only tier with `1080p-plus` and `4k`.
        Pro => "pro",
    }
}

wire_enum! {
    /// Model channel (`channel`).
    ///
    /// ```
    /// use seedance_core::Channel;
    /// assert_eq!(Channel::from("wild"), Channel::Wild);
    /// ```
    Channel, field = "channel", default = Standard {
        /// `standard` (default).
        Standard => "standard",
        /// `real`: no seed.
        Real => "real",
        /// `wild`.
        Wild => "wild",
    }
}

wire_enum! {
    /// Frame shape (`aspect_ratio`).
    ///
    /// ```
    /// use seedance_core::AspectRatio;
    /// assert_eq!(AspectRatio::from("9:16"), AspectRatio::Portrait9x16);
    /// ```
    AspectRatio, field = "aspect_ratio", default = Wide16x9 {
        /// `1:1`.
        Square1x1 => "1:1",
        /// `21:9`.
        Ultrawide21x9 => "21:9",
        /// `4:3`.
        Classic4x3 => "4:3",
        /// `3:4`.
        Portrait3x4 => "3:4",
        /// `16:9` (default).
        Wide16x9 => "16:9",
        /// `9:16`.
        Portrait9x16 => "9:16",
        /// `adaptive`: follows the input image.
        Adaptive => "adaptive",
    }
}

wire_enum! {
    /// Output resolution (`resolution`).
    ///
    /// ```
    /// use seedance_core::Resolution;
    /// assert!(Resolution::from("4k").needs_pro());
    /// ```
    Resolution, field = "resolution", default = P720 {
        /// `720p` (default).
        P720 => "720p",
        /// `1080p`.
        P1080 => "1080p",
        /// `1080p-plus`: pro only.
        P1080Plus => "1080p-plus",
        /// `4k`: pro only.
        K4 => "4k",
    }
}

/// How long a clip is, in seconds: its `duration`, else the server's default (Reading
/// R29: what director-prompt shot timings must fit in).
///
/// ```
/// use seedance_core::rules::{clip_length_secs, DURATION_DEFAULT_SECS};
/// assert_eq!(clip_length_secs(Some(8)), 8);
/// assert_eq!(clip_length_secs(None), DURATION_DEFAULT_SECS);
/// ```
pub fn clip_length_secs(duration: Option<u32>) -> u32 {
    duration.unwrap_or(DURATION_DEFAULT_SECS)
}

/// The request fields whose values are enumerated, each with every value the API accepts
/// (both in the spec's order): one table for what a binding states about them (Python's
/// `Literal` types are checked against it).
///
/// ```
/// use seedance_core::rules::enumerated_request_values;
/// let table = enumerated_request_values();
/// let resolution = table.iter().find(|(field, _)| *field == "resolution").unwrap();
/// assert_eq!(resolution.1, ["720p", "1080p", "1080p-plus", "4k"]);
/// assert!(table.iter().all(|(field, _)| seedance_core::rules::REQUEST_FIELDS.contains(field)));
/// ```
pub fn enumerated_request_values() -> Vec<(&'static str, Vec<&'static str>)> {
    fn values<T>(all: &'static [T], as_str: fn(&'static T) -> &'static str) -> Vec<&'static str> {
        all.iter().map(as_str).collect()
    }
    vec![
        (Mode::FIELD, values(Mode::ALL, Mode::as_str)),
        (
            QualityTier::FIELD,
            values(QualityTier::ALL, QualityTier::as_str),
        ),
        (Channel::FIELD, values(Channel::ALL, Channel::as_str)),
        (
            AspectRatio::FIELD,
            values(AspectRatio::ALL, AspectRatio::as_str),
        ),
        (
            Resolution::FIELD,
            values(Resolution::ALL, Resolution::as_str),
        ),
    ]
}

// The per-value tables. Every match below names every known value (no `_` arm), so a
// value added to an enum above does not compile until each table has decided about it:
// an API revision stays a change to this file. `Other` (a value this version does not
// know) is refused by validation; its entries only keep the helpers total.

impl Resolution {
    /// Whether this resolution is allowed only with [`QualityTier::Pro`].
    ///
    /// ```
    /// use seedance_core::Resolution;
    /// assert!(Resolution::K4.needs_pro() && Resolution::P1080Plus.needs_pro());
    /// assert!(!Resolution::P1080.needs_pro());
    /// ```
    pub fn needs_pro(&self) -> bool {
        match self {
            Resolution::P720 | Resolution::P1080 | Resolution::Other(_) => false,
            Resolution::P1080Plus | Resolution::K4 => true,
        }
    }

    /// The nominal short side in pixels (used by the emulator and the render-time model).
    ///
    /// ```
    /// use seedance_core::Resolution;
    /// assert_eq!(Resolution::P1080.short_side(), 1080);
    /// ```
    pub fn short_side(&self) -> u32 {
        match self {
            Resolution::P720 | Resolution::Other(_) => 720,
            Resolution::P1080 | Resolution::P1080Plus => 1080,
            Resolution::K4 => 2160,
        }
    }

    /// How much longer than 720p a clip at this resolution takes to render (the
    /// render-time model of [`expected_render_secs`]).
    ///
    /// ```
    /// use seedance_core::Resolution;
    /// assert!(Resolution::K4.render_factor() > Resolution::P720.render_factor());
    /// ```
    pub fn render_factor(&self) -> f64 {
        match self {
            Resolution::P720 | Resolution::Other(_) => 1.0,
            Resolution::P1080 => 1.5,
            Resolution::P1080Plus => 1.8,
            Resolution::K4 => 2.0,
        }
    }
}

impl AspectRatio {
    /// Width and height of the ratio (`adaptive` is reported as 16:9).
    ///
    /// ```
    /// use seedance_core::AspectRatio;
    /// assert_eq!(AspectRatio::Portrait9x16.ratio(), (9, 16));
    /// assert_eq!(AspectRatio::Adaptive.ratio(), (16, 9));
    /// ```
    pub fn ratio(&self) -> (u32, u32) {
        match self {
            AspectRatio::Square1x1 => (1, 1),
            AspectRatio::Ultrawide21x9 => (21, 9),
            AspectRatio::Classic4x3 => (4, 3),
            AspectRatio::Portrait3x4 => (3, 4),
            AspectRatio::Portrait9x16 => (9, 16),
            AspectRatio::Wide16x9 | AspectRatio::Adaptive | AspectRatio::Other(_) => (16, 9),
        }
    }
}

impl QualityTier {
    /// Whether a `seed` may be sent with this tier.
    ///
    /// ```
    /// use seedance_core::QualityTier;
    /// assert!(!QualityTier::Mini.allows_seed());
    /// assert!(QualityTier::Pro.allows_seed());
    /// ```
    pub fn allows_seed(&self) -> bool {
        match self {
            QualityTier::Mini => false,
            QualityTier::Standard | QualityTier::Pro | QualityTier::Other(_) => true,
        }
    }

    /// Whether this tier may render the resolutions that [`Resolution::needs_pro`].
    ///
    /// ```
    /// use seedance_core::QualityTier;
    /// assert!(QualityTier::Pro.allows_pro_resolutions());
    /// assert!(!QualityTier::Standard.allows_pro_resolutions());
    /// ```
    pub fn allows_pro_resolutions(&self) -> bool {
        match self {
            QualityTier::Pro => true,
            QualityTier::Mini | QualityTier::Standard | QualityTier::Other(_) => false,
        }
    }

    /// How much longer than `standard` a clip at this tier takes to render (the
    /// render-time model of [`expected_render_secs`]).
    ///
    /// ```
    /// use seedance_core::QualityTier;
    /// assert_eq!(QualityTier::Standard.render_factor(), 1.0);
    /// ```
    pub fn render_factor(&self) -> f64 {
        match self {
            QualityTier::Mini => 0.7,
            QualityTier::Standard | QualityTier::Other(_) => 1.0,
            QualityTier::Pro => 1.3,
        }
    }
}

impl Channel {
    /// Whether a `seed` may be sent on this channel.
    ///
    /// ```
    /// use seedance_core::Channel;
    /// assert!(!Channel::Real.allows_seed());
    /// assert!(Channel::Wild.allows_seed());
    /// ```
    pub fn allows_seed(&self) -> bool {
        match self {
            Channel::Real => false,
            Channel::Standard | Channel::Wild | Channel::Other(_) => true,
        }
    }
}

impl Mode {
    /// Whether `image_url` is required (and `end_image_url` allowed) in this mode (R4).
    ///
    /// ```
    /// use seedance_core::Mode;
    /// assert!(Mode::ImageToVideo.uses_frames());
    /// assert!(!Mode::MediaToVideo.uses_frames());
    /// ```
    pub fn uses_frames(&self) -> bool {
        match self {
            Mode::ImageToVideo => true,
            Mode::TextToVideo | Mode::MediaToVideo | Mode::Other(_) => false,
        }
    }

    /// Whether `media_urls` is required (and allowed) in this mode (R5).
    ///
    /// ```
    /// use seedance_core::Mode;
    /// assert!(Mode::MediaToVideo.uses_media());
    /// assert!(!Mode::TextToVideo.uses_media());
    /// ```
    pub fn uses_media(&self) -> bool {
        match self {
            Mode::MediaToVideo => true,
            Mode::TextToVideo | Mode::ImageToVideo | Mode::Other(_) => false,
        }
    }
}

/// Whether a task status string ends the task as a failure though it is not `failed` (R12).
///
/// ```
/// use seedance_core::rules::is_terminal_failure_status;
/// assert!(is_terminal_failure_status("Cancelled"));
/// assert!(!is_terminal_failure_status("queued"));
/// ```
pub fn is_terminal_failure_status(status: &str) -> bool {
    TERMINAL_FAILURE_STATUSES
        .iter()
        .any(|s| s.eq_ignore_ascii_case(status))
}

/// The documented render-time model: how long a request is expected to take to render,
/// in seconds, before time scaling. Calibrated on the spec's observation (a 5 s standard
/// 720p clip: median about 105 s, range 83–253 s): `30 + duration × 15 × tier × resolution`,
/// with tier factors mini 0.7, standard 1.0, pro 1.3 and resolution factors 720p 1.0,
/// 1080p 1.5, 1080p-plus 1.8, 4k 2.0.
///
/// The client takes its first poll near this time; the emulator renders in this time.
///
/// ```
/// use seedance_core::{expected_render_secs, QualityTier, Resolution};
/// assert_eq!(expected_render_secs(&QualityTier::Standard, &Resolution::P720, 5), 105.0);
/// ```
pub fn expected_render_secs(
    tier: &QualityTier,
    resolution: &Resolution,
    duration_secs: u32,
) -> f64 {
    30.0 + f64::from(duration_secs) * 15.0 * tier.render_factor() * resolution.render_factor()
}

/// Reading R25: the mode of a request given without one, from which reference fields it
/// carries (`None`: no references, the server's default `text-to-video` applies).
///
/// ```
/// use seedance_core::rules::infer_mode;
/// use seedance_core::Mode;
/// assert_eq!(infer_mode(true, false, false), Some(Mode::ImageToVideo));
/// assert_eq!(infer_mode(false, true, false), Some(Mode::ImageToVideo)); // end_image_url
/// assert_eq!(infer_mode(false, false, true), Some(Mode::MediaToVideo));
/// assert_eq!(infer_mode(false, false, false), None);
/// ```
pub fn infer_mode(image_url: bool, end_image_url: bool, media_urls: bool) -> Option<Mode> {
    if image_url || end_image_url {
        Some(Mode::ImageToVideo)
    } else if media_urls {
        Some(Mode::MediaToVideo)
    } else {
        None
    }
}

/// Longest `Idempotency-Key`, in characters (Reading R26).
pub const IDEMPOTENCY_KEY_MAX_LEN: usize = 255;

/// An `Idempotency-Key` that Reading R26 refuses; the message names the field and says
/// what is allowed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("idempotency_key {shown} is not a valid Idempotency-Key: {problem} (it must be 1–{max} visible ASCII characters, no spaces)", max = IDEMPOTENCY_KEY_MAX_LEN)]
pub struct InvalidIdempotencyKey {
    shown: String,
    problem: String,
}

/// Reading R26: checks an `Idempotency-Key` (1 to 255 characters `!`..=`~`).
///
/// ```
/// use seedance_core::rules::check_idempotency_key;
/// assert!(check_idempotency_key("order-42").is_ok());
/// let e = check_idempotency_key("order 42").unwrap_err();
/// assert!(e.to_string().starts_with(r#"idempotency_key "order 42" is not a valid Idempotency-Key: a space at position 6"#), "{e}");
/// assert!(check_idempotency_key("").is_err());
/// assert!(check_idempotency_key(&"k".repeat(256)).is_err());
/// assert!(check_idempotency_key("clé").is_err());
/// ```
pub fn check_idempotency_key(key: &str) -> Result<(), InvalidIdempotencyKey> {
    let err = |problem: String| {
        let mut head: String = key.chars().take(60).collect();
        if head.len() < key.len() {
            head.push('…');
        }
        InvalidIdempotencyKey {
            shown: format!("{head:?}"),
            problem,
        }
    };
    if key.is_empty() {
        return Err(err("it is empty".to_owned()));
    }
    let n = key.chars().count();
    if n > IDEMPOTENCY_KEY_MAX_LEN {
        return Err(err(format!("it is {n} characters long")));
    }
    if let Some((i, c)) = key.chars().enumerate().find(|(_, c)| !c.is_ascii_graphic()) {
        let what = match c {
            ' ' => "a space".to_owned(),
            c if c.is_control() => format!("a control character ({:?})", c),
            c => format!("the non-ASCII character {c:?}"),
        };
        return Err(err(format!("{what} at position {}", i + 1)));
    }
    Ok(())
}

/// Host-name suffixes that never name a public host (Reading R17: besides the spec's
/// `localhost`, single-label names and these special-use suffixes are not public).
pub const NON_PUBLIC_HOST_SUFFIXES: &[&str] = &[".localhost", ".local", ".internal", ".home.arpa"];

/// How long the server is assumed to keep an idempotency key (Reading R28): a re-POST
/// of a job sent longer ago than this may be charged again.
pub const IDEMPOTENCY_RETENTION: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Whether a final 409 leaves the job open ("may be charged", resumable) rather than
/// ended (Reading R18): when this same submit may have reached the server before.
///
/// ```
/// use seedance_core::rules::conflict_leaves_job_open;
/// assert!(conflict_leaves_job_open(true));
/// assert!(!conflict_leaves_job_open(false));
/// ```
pub fn conflict_leaves_job_open(sent_before: bool) -> bool {
    sent_before
}

/// Whether a URL's host is loopback: `localhost`, `*.localhost`, 127.0.0.0/8 or `::1`.
/// Plain http is tolerated only there (local emulators): it never leaves the machine.
///
/// ```
/// use seedance_core::rules::is_loopback_host;
/// let u = |s: &str| url::Url::parse(s).unwrap();
/// assert!(is_loopback_host(&u("http://127.0.0.1:8787")));
/// assert!(is_loopback_host(&u("http://emu.localhost:1")));
/// assert!(!is_loopback_host(&u("http://localhost.evil.com")));
/// ```
pub fn is_loopback_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The host with a leading `www.` set aside: apex and `www.` are one site (R13).
fn site_host(url: &url::Url) -> Option<String> {
    let h = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    Some(h.strip_prefix("www.").map(str::to_owned).unwrap_or(h))
}

/// Reading R13: whether a request carrying the API key may follow a redirect from `from`
/// to `to` with the key. Yes to the same origin, or to the same site (the host equal once
/// a leading `www.` is set aside: apex → `www.` and back) over https on the same port;
/// plain http only from loopback to loopback (local emulators). Never to another site,
/// never from https down to http. The error says why not.
///
/// ```
/// use seedance_core::rules::redirect_keeps_key;
/// assert!(redirect_keeps_key("https://seedance2ai.io/api/v1/tasks/x", "https://www.seedance2ai.io/api/v1/tasks/x").is_ok());
/// assert!(redirect_keeps_key("https://seedance2ai.io/a", "https://evil.example.com/a").is_err());
/// assert!(redirect_keeps_key("https://seedance2ai.io/a", "http://www.seedance2ai.io/a").is_err());
/// assert!(redirect_keeps_key("http://seedance.localhost:8787/a", "http://www.seedance.localhost:8787/a").is_ok());
/// ```
pub fn redirect_keeps_key(from: &str, to: &str) -> Result<(), String> {
    let parse = |s: &str| {
        url::Url::parse(s).map_err(|e| format!("redirect URL {s:?} does not parse ({e})"))
    };
    let (from, to) = (parse(from)?, parse(to)?);
    let same_origin = from.scheme() == to.scheme()
        && from.host_str().map(str::to_ascii_lowercase)
            == to.host_str().map(str::to_ascii_lowercase)
        && from.port_or_known_default() == to.port_or_known_default();
    if same_origin {
        return Ok(());
    }
    let loopback_http = from.scheme() == "http" && is_loopback_host(&from) && is_loopback_host(&to);
    if to.scheme() != "https" && !loopback_http {
        return Err(format!(
            "redirect to {} refused: the API key goes only over https",
            to.origin().ascii_serialization()
        ));
    }
    let same_site = site_host(&from).is_some() && site_host(&from) == site_host(&to);
    if same_site && from.port_or_known_default() == to.port_or_known_default() {
        return Ok(());
    }
    Err(format!(
        "redirect from {} to {} refused: the API key goes only to the API's own site",
        from.origin().ascii_serialization(),
        to.origin().ascii_serialization()
    ))
}
