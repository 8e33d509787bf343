//! Records and enums crossing the boundary, and their conversions to the core's types.
//! The conversions map variant to variant; wire strings and rules stay in the core.

use std::path::PathBuf;

use seedance_core as core;
use seedance_http as http;

use crate::error::Violation;

/// Defines a uniffi enum mirroring a core wire enum (known variants plus `Other`, which
/// keeps an unknown wire string), with conversions both ways.
macro_rules! mirror_enum {
    ($(#[$meta:meta])* $name:ident => $core:path { $( $(#[$vmeta:meta])* $variant:ident ),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, uniffi::Enum)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version does not know, kept verbatim (refused in requests).
            Other {
                /// The wire string.
                value: String,
            },
        }

        impl From<$name> for $core {
            fn from(v: $name) -> Self {
                match v {
                    $( $name::$variant => <$core>::$variant, )+
                    $name::Other { value } => <$core>::from(value.as_str()),
                }
            }
        }

        impl From<&$core> for $name {
            fn from(v: &$core) -> Self {
                match v {
                    $( <$core>::$variant => $name::$variant, )+
                    other => $name::Other { value: other.as_str().to_owned() },
                }
            }
        }
    };
}

mirror_enum! {
    /// What the clip is generated from (`mode`).
    Mode => core::Mode {
        /// `text-to-video` (the default).
        TextToVideo,
        /// `image-to-video`: needs `image_url`.
        ImageToVideo,
        /// `media-to-video`: needs `media_urls`.
        MediaToVideo,
    }
}

mirror_enum! {
    /// Price and quality tier (`quality_tier`).
    QualityTier => core::QualityTier {
        /// `mini`.
        Mini,
        /// `standard` (the default).
        Standard,
        /// `pro`: needed for `1080p-plus` and `4k`.
        Pro,
    }
}

mirror_enum! {
    /// Rendering channel (`channel`).
    Channel => core::Channel {
        /// `standard` (the default).
        Standard,
        /// `real`.
        Real,
        /// `wild`.
        Wild,
    }
}

mirror_enum! {
    /// Frame shape (`aspect_ratio`).
    AspectRatio => core::AspectRatio {
        /// `1:1`.
        Square1x1,
        /// `21:9`.
        Ultrawide21x9,
        /// `4:3`.
        Classic4x3,
        /// `3:4`.
        Portrait3x4,
        /// `16:9` (the default).
        Wide16x9,
        /// `9:16`.
        Portrait9x16,
        /// `adaptive`.
        Adaptive,
    }
}

mirror_enum! {
    /// Output resolution (`resolution`).
    Resolution => core::Resolution {
        /// `720p` (the default).
        P720,
        /// `1080p`.
        P1080,
        /// `1080p-plus` (pro tier only).
        P1080Plus,
        /// `4k` (pro tier only).
        K4,
    }
}

mirror_enum! {
    /// Where a task stands; an unknown status keeps its string (Reading R14).
    TaskStatus => core::TaskStatus {
        /// `processing`.
        Processing,
        /// `completed`: the output is set.
        Completed,
        /// `failed`: the error is set; credits may be refunded.
        Failed,
    }
}

/// A submit request. Unset fields take the server's defaults. Nothing is sent before
/// every rule of the spec is checked ([`validate_request`]).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct VideoRequest {
    /// The prompt (3–10000 characters).
    pub prompt: String,
    /// `mode`.
    #[uniffi(default)]
    pub mode: Option<Mode>,
    /// `quality_tier`.
    #[uniffi(default)]
    pub quality_tier: Option<QualityTier>,
    /// `channel`.
    #[uniffi(default)]
    pub channel: Option<Channel>,
    /// `aspect_ratio`.
    #[uniffi(default)]
    pub aspect_ratio: Option<AspectRatio>,
    /// `duration` in seconds (4–15; sent as a string).
    #[uniffi(default)]
    pub duration: Option<u32>,
    /// `resolution`.
    #[uniffi(default)]
    pub resolution: Option<Resolution>,
    /// `image_url`: the opening frame (public https URL).
    #[uniffi(default)]
    pub image_url: Option<String>,
    /// `end_image_url`: the closing frame.
    #[uniffi(default)]
    pub end_image_url: Option<String>,
    /// `media_urls`: up to 12 reference images or videos.
    #[uniffi(default)]
    pub media_urls: Option<Vec<String>>,
    /// `generate_audio`.
    #[uniffi(default)]
    pub generate_audio: Option<bool>,
    /// `fixed_lens`.
    #[uniffi(default)]
    pub fixed_lens: Option<bool>,
    /// `seed` (-1 – 4294967295).
    #[uniffi(default)]
    pub seed: Option<i64>,
}

impl VideoRequest {
    /// A request with only a prompt.
    pub fn new(prompt: impl Into<String>) -> Self {
        VideoRequest {
            prompt: prompt.into(),
            mode: None,
            quality_tier: None,
            channel: None,
            aspect_ratio: None,
            duration: None,
            resolution: None,
            image_url: None,
            end_image_url: None,
            media_urls: None,
            generate_audio: None,
            fixed_lens: None,
            seed: None,
        }
    }
}

impl From<VideoRequest> for core::VideoRequest {
    fn from(r: VideoRequest) -> Self {
        let mut b = core::VideoRequest::builder(r.prompt);
        if let Some(v) = r.mode {
            b = b.mode(core::Mode::from(v));
        }
        if let Some(v) = r.quality_tier {
            b = b.quality_tier(core::QualityTier::from(v));
        }
        if let Some(v) = r.channel {
            b = b.channel(core::Channel::from(v));
        }
        if let Some(v) = r.aspect_ratio {
            b = b.aspect_ratio(core::AspectRatio::from(v));
        }
        if let Some(v) = r.duration {
            b = b.duration(v);
        }
        if let Some(v) = r.resolution {
            b = b.resolution(core::Resolution::from(v));
        }
        if let Some(v) = r.image_url {
            b = b.image_url(v);
        }
        if let Some(v) = r.end_image_url {
            b = b.end_image_url(v);
        }
        if let Some(v) = r.media_urls {
            b = b.media_urls(v);
        }
        if let Some(v) = r.generate_audio {
            b = b.generate_audio(v);
        }
        if let Some(v) = r.fixed_lens {
            b = b.fixed_lens(v);
        }
        if let Some(v) = r.seed {
            b = b.seed(v);
        }
        // Reading R25: a request without a mode takes it from its references, as the CLI
        // and Python do (validation, JSON, submit and generate all see this one request).
        b.infer_mode().build_unchecked()
    }
}

impl From<&core::VideoRequest> for VideoRequest {
    fn from(r: &core::VideoRequest) -> Self {
        VideoRequest {
            prompt: r.prompt.clone(),
            mode: r.mode.as_ref().map(Mode::from),
            quality_tier: r.quality_tier.as_ref().map(QualityTier::from),
            channel: r.channel.as_ref().map(Channel::from),
            aspect_ratio: r.aspect_ratio.as_ref().map(AspectRatio::from),
            duration: r.duration.map(|d| d.secs()),
            resolution: r.resolution.as_ref().map(Resolution::from),
            image_url: r.image_url.clone(),
            end_image_url: r.end_image_url.clone(),
            media_urls: r.media_urls.clone(),
            generate_audio: r.generate_audio,
            fixed_lens: r.fixed_lens,
            seed: r.seed,
        }
    }
}

/// Every rule of the spec the request breaks, all at once (empty: it may be sent).
///
/// ```
/// use seedance_uniffi::{validate_request, VideoRequest};
/// assert!(validate_request(VideoRequest::new("A red fox trots through snow")).is_empty());
/// ```
#[uniffi::export]
pub fn validate_request(request: VideoRequest) -> Vec<Violation> {
    match core::VideoRequest::from(request).validate() {
        Ok(()) => Vec::new(),
        Err(e) => e.violations().iter().map(Violation::from).collect(),
    }
}

/// A request from its JSON body as the API takes it
/// (`{"prompt":"…","duration":"5","resolution":"1080p"}`), checked against every rule of
/// the spec: `Validation` lists every violation, `InvalidArgument` says why the text is
/// not a request body (malformed JSON, an unknown field, a value of the wrong type).
///
/// ```
/// use seedance_uniffi::{request_from_json, SeedanceError};
/// let r = request_from_json(r#"{"prompt":"A red fox trots through snow","duration":"6"}"#.into()).unwrap();
/// assert_eq!(r.duration, Some(6));
/// let e = request_from_json(r#"{"prompt":"hi","duration":"99"}"#.into()).unwrap_err();
/// assert!(matches!(e, SeedanceError::Validation { ref violations, .. } if violations.len() == 2));
/// ```
#[uniffi::export]
pub fn request_from_json(json: String) -> Result<VideoRequest, crate::SeedanceError> {
    let mut req: core::VideoRequest =
        serde_json::from_str(&json).map_err(|e| crate::SeedanceError::InvalidArgument {
            detail: format!("not a request body: {e}"),
        })?;
    req.infer_mode(); // Reading R25
    req.validate()
        .map_err(|v| crate::SeedanceError::from_http(http::Error::Validation(v), None))?;
    Ok(VideoRequest::from(&req))
}

/// The JSON body of a request, as it is sent (not validated).
///
/// ```
/// use seedance_uniffi::{request_to_json, VideoRequest};
/// let mut r = VideoRequest::new("A red fox trots through snow");
/// r.duration = Some(6);
/// assert_eq!(request_to_json(r), r#"{"prompt":"A red fox trots through snow","duration":"6"}"#);
/// ```
#[uniffi::export]
pub fn request_to_json(request: VideoRequest) -> String {
    serde_json::to_string(&core::VideoRequest::from(request)).unwrap_or_default()
}

/// What a completed task produced.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct TaskOutput {
    /// The video (on the CDN; valid for about a day: download it).
    pub video_url: Option<String>,
    /// The last frame (PNG).
    pub last_frame_url: Option<String>,
    /// The seed used.
    pub seed: Option<i64>,
    /// Image URLs (image-model tasks).
    pub image_urls: Vec<String>,
}

/// A task as the API reported it.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Task {
    /// `sd2_…` (other prefixes are possible).
    pub id: String,
    /// Where it stands.
    pub status: TaskStatus,
    /// `seedance2`.
    pub model: Option<String>,
    /// The tier.
    pub quality_tier: Option<QualityTier>,
    /// The channel.
    pub channel: Option<Channel>,
    /// Credits charged.
    pub credits_used: Option<u64>,
    /// Credits given back (failed tasks).
    pub credits_refunded: Option<u64>,
    /// The output, once completed.
    pub output: Option<TaskOutput>,
    /// The error code of a failed task.
    pub error_code: Option<String>,
    /// The error message of a failed task.
    pub error_message: Option<String>,
    /// Creation time (RFC 3339).
    pub created_at: Option<String>,
    /// Last update (RFC 3339).
    pub updated_at: Option<String>,
    /// The JSON the server sent, verbatim (fields this version does not know included).
    pub raw_json: Option<String>,
}

impl From<&core::Task> for Task {
    fn from(t: &core::Task) -> Self {
        Task {
            id: t.id.as_str().to_owned(),
            status: TaskStatus::from(&t.status),
            model: t.model.clone(),
            quality_tier: t.quality_tier.as_ref().map(QualityTier::from),
            channel: t.channel.as_ref().map(Channel::from),
            credits_used: t.credits_used,
            credits_refunded: t.credits_refunded,
            output: t.output.as_ref().map(|o| TaskOutput {
                video_url: o.video_url.clone(),
                last_frame_url: o.last_frame_url.clone(),
                seed: o.seed,
                image_urls: o.images.iter().map(|i| i.url.clone()).collect(),
            }),
            error_code: t.error.as_ref().map(|e| e.code.as_str().to_owned()),
            error_message: t.error.as_ref().map(|e| e.message.clone()),
            created_at: t.created_at.clone(),
            updated_at: t.updated_at.clone(),
            raw_json: t.raw.as_ref().map(|v| v.to_string()),
        }
    }
}

impl From<Task> for core::Task {
    /// The core's task: parsed from `raw_json` when it is there (nothing lost), else
    /// rebuilt field by field.
    fn from(t: Task) -> Self {
        if let Some(task) = t
            .raw_json
            .as_deref()
            .and_then(|raw| core::Task::from_json(raw.as_bytes()).ok())
        {
            return task;
        }
        let mut task = core::Task::new(t.id, core::TaskStatus::from(t.status));
        task.model = t.model;
        task.quality_tier = t.quality_tier.map(core::QualityTier::from);
        task.channel = t.channel.map(core::Channel::from);
        task.credits_used = t.credits_used;
        task.credits_refunded = t.credits_refunded;
        task.created_at = t.created_at;
        task.updated_at = t.updated_at;
        if let (Some(code), message) = (t.error_code, t.error_message) {
            task.error = Some(core::ApiError::new(
                core::ErrorCode::from(code.as_str()),
                message.unwrap_or_default(),
            ));
        }
        if let Some(o) = t.output {
            let json = serde_json::json!({
                "video_url": o.video_url,
                "last_frame_url": o.last_frame_url,
                "seed": o.seed,
                "images": o.image_urls.iter().map(|u| serde_json::json!({"url": u})).collect::<Vec<_>>(),
            });
            task.output = serde_json::from_value(json).ok();
        }
        task
    }
}

/// What a download wrote.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Downloaded {
    /// The video file.
    pub video: String,
    /// The last frame, when fetched.
    pub last_frame: Option<String>,
    /// Bytes written (both files).
    pub bytes: u64,
}

fn path_string(p: &std::path::Path) -> String {
    p.to_string_lossy().into_owned()
}

impl From<&http::Downloaded> for Downloaded {
    fn from(d: &http::Downloaded) -> Self {
        Downloaded {
            video: path_string(&d.video),
            last_frame: d.last_frame.as_deref().map(path_string),
            bytes: d.bytes,
        }
    }
}

/// Where a job of the job store stands.
#[derive(Clone, Debug, PartialEq, uniffi::Enum)]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // crosses the FFI by value (serialised): a Box saves nothing
pub enum JobState {
    /// Written before the submit was sent; no task id heard yet.
    Pending,
    /// Submitted; the task has not been seen to end.
    Submitted,
    /// The task completed.
    Completed {
        /// The finished task.
        task: Task,
    },
    /// The job ended without a result.
    Failed {
        /// Why.
        reason: String,
    },
}

/// The job store's own state of a job (`seedance jobs` shows it):
/// `pending → sent → submitted → completed → downloaded`, or `failed`, `interrupted`,
/// `forgotten`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, uniffi::Enum)]
#[non_exhaustive]
pub enum StoredState {
    /// Written; the submit has not been sent yet.
    Pending,
    /// The submit went out and no task id was heard: it may have reached the server.
    Sent,
    /// The server gave a task id; the task has not been seen to end.
    Submitted,
    /// The task completed.
    Completed,
    /// The outputs were written.
    Downloaded,
    /// It ended without a result (see `lastError`).
    Failed,
    /// Stopped (Ctrl-C, a cancelled call) before it ended: `resume` goes on.
    Interrupted,
    /// Put aside (`seedance jobs forget`): kept as history, never resumed.
    Forgotten,
}

impl From<http::JobState> for StoredState {
    fn from(s: http::JobState) -> Self {
        match s {
            http::JobState::Pending => StoredState::Pending,
            http::JobState::Sent => StoredState::Sent,
            http::JobState::Submitted => StoredState::Submitted,
            http::JobState::Completed => StoredState::Completed,
            http::JobState::Downloaded => StoredState::Downloaded,
            http::JobState::Failed => StoredState::Failed,
            http::JobState::Interrupted => StoredState::Interrupted,
            // Forgotten, and any state a later version adds.
            _ => StoredState::Forgotten,
        }
    }
}

impl From<StoredState> for http::JobState {
    fn from(s: StoredState) -> Self {
        match s {
            StoredState::Pending => http::JobState::Pending,
            StoredState::Sent => http::JobState::Sent,
            StoredState::Submitted => http::JobState::Submitted,
            StoredState::Completed => http::JobState::Completed,
            StoredState::Downloaded => http::JobState::Downloaded,
            StoredState::Failed => http::JobState::Failed,
            StoredState::Interrupted => http::JobState::Interrupted,
            StoredState::Forgotten => http::JobState::Forgotten,
        }
    }
}

/// What is known about a job's charge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, uniffi::Enum)]
#[non_exhaustive]
pub enum Charge {
    /// The submit never reached a server: nothing was charged.
    NeverSent,
    /// The server refused the submit (400, 401, 402…): nothing was charged.
    RefusedNotCharged,
    /// The submit may have reached the server, no answer was heard: it may be charged.
    MayBeCharged,
    /// The server created the task: charged (a failed task may refund).
    Charged,
}

impl From<http::Charge> for Charge {
    fn from(c: http::Charge) -> Self {
        match c {
            http::Charge::NeverSent => Charge::NeverSent,
            http::Charge::RefusedNotCharged => Charge::RefusedNotCharged,
            http::Charge::Charged => Charge::Charged,
            // MayBeCharged, and any later one: the cautious reading.
            _ => Charge::MayBeCharged,
        }
    }
}

/// Which jobs `Client.jobsFiltered` lists: every field narrows; the defaults list every
/// job (the same filters as `seedance jobs`).
#[derive(Clone, Debug, Default, PartialEq, Eq, uniffi::Record)]
pub struct JobFilter {
    /// Only jobs in these states (empty: any).
    #[uniffi(default)]
    pub states: Vec<StoredState>,
    /// Only jobs sent to this API origin (any URL of it).
    #[uniffi(default)]
    pub origin: Option<String>,
    /// Only jobs written at most this many seconds ago.
    #[uniffi(default)]
    pub since_secs: Option<u64>,
    /// Only jobs written at least this many seconds ago.
    #[uniffi(default)]
    pub before_secs: Option<u64>,
    /// Only jobs `resume` still has work for.
    #[uniffi(default)]
    pub unfinished: bool,
    /// Only jobs of this client's API origin and account (the ones `resume` touches).
    #[uniffi(default)]
    pub this_client_only: bool,
}

impl JobFilter {
    /// The store's filter; `scope` is the client's, for `this_client_only`.
    pub(crate) fn to_store(&self, scope: &http::JobScope) -> http::JobFilter {
        let mut f = http::JobFilter::default();
        for s in &self.states {
            f = f.state((*s).into());
        }
        if let Some(o) = &self.origin {
            f = f.origin(o);
        }
        if let Some(s) = self.since_secs {
            f = f.newer_than(std::time::Duration::from_secs(s));
        }
        if let Some(s) = self.before_secs {
            f = f.older_than(std::time::Duration::from_secs(s));
        }
        if self.unfinished {
            f = f.unfinished();
        }
        if self.this_client_only {
            f.origin = Some(scope.origin.clone());
            f.account = Some(scope.account.clone());
        }
        f
    }
}

/// One job of the job store.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct JobRecord {
    /// The row's number in the store (`seedance jobs show #ID`).
    pub id: i64,
    /// The idempotency key (the job's identity).
    pub key: String,
    /// The API origin it was sent to.
    pub origin: String,
    /// The account it belongs to: a hash of the API key, never the key.
    pub account: String,
    /// The request, as it was (and will be re-)sent.
    pub request: VideoRequest,
    /// Where outputs go on completion, when asked.
    pub download_dir: Option<String>,
    /// The task id, once heard.
    pub task_id: Option<String>,
    /// Where it stands.
    pub state: JobState,
    /// The store's own state (`interrupted`, `sent`… which `state` folds together).
    pub stored_state: StoredState,
    /// What is known about its charge.
    pub charge: Charge,
    /// The last error met.
    pub last_error: Option<String>,
    /// Files written, once downloaded.
    pub downloaded: Option<Downloaded>,
    /// When the job was written (milliseconds since the Unix epoch).
    pub created_ms: u64,
    /// Its last change (milliseconds since the Unix epoch).
    pub updated_ms: u64,
    /// Whether `resume` still has something to do.
    pub unfinished: bool,
}

impl JobRecord {
    /// The record of a stored job; `None` when its request was written by a newer version
    /// this one cannot read.
    pub(crate) fn from_store(j: &http::JobRecord) -> Option<Self> {
        let failed = || JobState::Failed {
            reason: j.last_error.clone().unwrap_or_else(|| j.state.to_string()),
        };
        let state = match (j.state, &j.task) {
            (http::JobState::Completed | http::JobState::Downloaded, Some(task)) => {
                JobState::Completed {
                    task: Task::from(&**task),
                }
            }
            (http::JobState::Failed | http::JobState::Forgotten, _) => failed(),
            _ if j.task_id.is_some() => JobState::Submitted,
            _ => JobState::Pending,
        };
        Some(JobRecord {
            id: j.id,
            key: j.key.clone(),
            origin: j.scope.origin.clone(),
            account: j.scope.account.clone(),
            request: VideoRequest::from(j.request.as_ref()?),
            download_dir: j.output.as_deref().map(path_string),
            task_id: j.task_id.as_ref().map(|t| t.as_str().to_owned()),
            state,
            stored_state: j.state.into(),
            charge: j.charge.into(),
            last_error: j.last_error.clone(),
            downloaded: j.downloaded.as_ref().map(Downloaded::from),
            created_ms: j.created_ms(),
            updated_ms: j.times.updated_ms,
            unfinished: j.is_unfinished(),
        })
    }
}

/// The outcome of one job of `resume`.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct JobOutcome {
    /// The idempotency key.
    pub key: String,
    /// The task id, when one was heard.
    pub task_id: Option<String>,
    /// The finished task, when the job completed.
    pub task: Option<Task>,
    /// Why the job did not finish (the error's message), when it did not.
    pub error: Option<String>,
    /// Files written, when a download was asked for.
    pub downloaded: Option<Downloaded>,
}

/// A path argument.
pub(crate) fn path(p: String) -> PathBuf {
    PathBuf::from(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_and_keep_unknown_strings() {
        for m in core::Mode::ALL {
            assert_eq!(&core::Mode::from(Mode::from(m)), m);
        }
        for r in core::Resolution::ALL {
            assert_eq!(&core::Resolution::from(Resolution::from(r)), r);
        }
        for a in core::AspectRatio::ALL {
            assert_eq!(&core::AspectRatio::from(AspectRatio::from(a)), a);
        }
        let s = TaskStatus::from(&core::TaskStatus::from("queued"));
        assert_eq!(
            s,
            TaskStatus::Other {
                value: "queued".into()
            }
        );
        assert_eq!(core::TaskStatus::from(s).as_str(), "queued");
    }

    #[test]
    fn request_and_task_round_trip() {
        let mut r = VideoRequest::new("A red fox trots through fresh snow");
        r.duration = Some(6);
        r.quality_tier = Some(QualityTier::Pro);
        r.media_urls = Some(vec!["https://cdn.example.com/a.png".into()]);
        let core_req = core::VideoRequest::from(r.clone());
        assert_eq!(core_req.mode, Some(core::Mode::MediaToVideo)); // inferred (R25)
        r.mode = Some(Mode::MediaToVideo);
        assert_eq!(VideoRequest::from(&core_req), r);

        let t = core::Task::from_json(
            br#"{"id":"sd2_1","status":"completed","quality_tier":"pro","new_field":1,
               "output":{"video_url":"https://cdn.example.com/v.mp4"}}"#,
        )
        .unwrap();
        let mut mine = Task::from(&t);
        assert_eq!(
            mine.output.as_ref().unwrap().video_url.as_deref(),
            Some("https://cdn.example.com/v.mp4")
        );
        assert_eq!(core::Task::from(mine.clone()).video_url(), t.video_url());
        mine.raw_json = None; // rebuilt field by field
        assert_eq!(core::Task::from(mine).video_url(), t.video_url());
    }

    #[test]
    fn validation_reports_every_violation() {
        let mut r = VideoRequest::new("hi");
        r.duration = Some(30);
        let fields: Vec<_> = validate_request(r).into_iter().map(|v| v.field).collect();
        assert!(fields.contains(&"prompt".to_owned()) && fields.contains(&"duration".to_owned()));
    }
}
