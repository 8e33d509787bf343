//! `Task`: what `POST /video/seedance2` and `GET /tasks/{id}` return.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::request::{VideoRequest, VideoRequestBuilder};
use crate::rules::{self, Channel, Mode, QualityTier};

/// A task id. Opaque: `sd2_…` for this video model, but `gpt2_…` and `nbp_…` exist too
/// (Reading R10), so nothing may assume a prefix. Ids that arrive from the network are
/// checked (Reading R19): deserialising accepts only 1 to 128 characters of
/// `A-Z a-z 0-9 _ -`, and [`TaskId::parse`] does the same for ids a user types. `From`
/// does not check (ids the program made itself); [`TaskId::check`] tells.
///
/// ```
/// use seedance_core::TaskId;
/// let id = TaskId::parse("nbp_42")?;
/// assert_eq!(id.as_str(), "nbp_42");
/// assert!(TaskId::parse("../escaped").is_err());
/// assert!(serde_json::from_str::<TaskId>(r#""/etc/passwd""#).is_err());
/// # Ok::<(), seedance_core::rules::InvalidTaskId>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct TaskId(String);

impl TaskId {
    /// The id as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An id checked by Reading R19 (what a user or a file gives).
    pub fn parse(s: &str) -> Result<TaskId, rules::InvalidTaskId> {
        rules::check_task_id(s)?;
        Ok(TaskId(s.to_owned()))
    }

    /// Whether this id passes Reading R19 (ids made with `From` are not checked).
    ///
    /// ```
    /// use seedance_core::TaskId;
    /// assert!(TaskId::from("sd2_1").check().is_ok());
    /// assert!(TaskId::from("a/b").check().is_err());
    /// ```
    pub fn check(&self) -> Result<(), rules::InvalidTaskId> {
        rules::check_task_id(&self.0)
    }
}

impl<'de> Deserialize<'de> for TaskId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        rules::check_task_id(&s).map_err(serde::de::Error::custom)?;
        Ok(TaskId(s))
    }
}

impl From<&str> for TaskId {
    fn from(s: &str) -> Self {
        TaskId(s.to_owned())
    }
}
impl From<String> for TaskId {
    fn from(s: String) -> Self {
        TaskId(s)
    }
}
impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl AsRef<str> for TaskId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Where a task stands. Unknown statuses are kept verbatim (Reading R14).
///
/// ```
/// use seedance_core::TaskStatus;
/// assert!(TaskStatus::from("completed").is_terminal());
/// assert!(TaskStatus::from("expired").is_failure()); // Reading R12
/// assert!(!TaskStatus::from("queued").is_terminal());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskStatus {
    /// `processing`: still rendering.
    Processing,
    /// `completed`: `output` is set.
    Completed,
    /// `failed`: `error` is set; credits may be refunded.
    Failed,
    /// A status this version does not know.
    Other(String),
}

impl TaskStatus {
    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            TaskStatus::Processing => "processing",
            TaskStatus::Completed => "completed",
            TaskStatus::Failed => "failed",
            TaskStatus::Other(s) => s,
        }
    }

    /// Whether the task has ended (completed, failed, or a terminal failure status of R12).
    pub fn is_terminal(&self) -> bool {
        matches!(self, TaskStatus::Completed) || self.is_failure()
    }

    /// Whether the task ended without a result: `failed` or one of R12's statuses.
    pub fn is_failure(&self) -> bool {
        match self {
            TaskStatus::Failed => true,
            TaskStatus::Other(s) => rules::is_terminal_failure_status(s),
            _ => false,
        }
    }
}

/// Statuses match case-insensitively (Reading R24): `COMPLETED` is `completed`.
///
/// ```
/// use seedance_core::TaskStatus;
/// assert_eq!(TaskStatus::from("COMPLETED"), TaskStatus::Completed);
/// assert_eq!(TaskStatus::from("Queued").as_str(), "Queued");
/// ```
impl From<&str> for TaskStatus {
    fn from(s: &str) -> Self {
        let known = [
            TaskStatus::Processing,
            TaskStatus::Completed,
            TaskStatus::Failed,
        ];
        known
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
            .unwrap_or_else(|| TaskStatus::Other(s.to_owned()))
    }
}

/// Shown for people (Reading R23): a status this version does not know is the server's
/// text, so its control characters (newlines included) are shown escaped and it stays
/// on one line. [`TaskStatus::as_str`] and JSON keep the raw text.
///
/// ```
/// use seedance_core::TaskStatus;
/// let s = TaskStatus::from("queued\r\n\u{1b}[32m✔ done");
/// assert_eq!(s.to_string(), "queued\\r\\n\\u{1b}[32m✔ done");
/// assert_eq!(TaskStatus::Completed.to_string(), "completed");
/// ```
impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&rules::escape_controls(self.as_str()))
    }
}

impl Serialize for TaskStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TaskStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(TaskStatus::from(s.as_str()))
    }
}

/// One image of an image-model task (`output.images[]`, Reading R10).
///
/// ```
/// use seedance_core::Task;
/// let t = Task::from_json(br#"{"id":"nbp_1","status":"completed",
///     "output":{"images":[{"url":"https://cdn.example.com/1.png"}]}}"#)?;
/// assert_eq!(t.output.unwrap().images[0].url, "https://cdn.example.com/1.png");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ImageOutput {
    /// Where the image can be fetched (a CDN: never send the key there).
    pub url: String,
}

/// The result of a completed task.
///
/// ```
/// use seedance_core::Task;
/// let t = Task::from_json(br#"{"id":"sd2_1","status":"completed","output":{
///     "video_url":"https://cdn.example.com/v.mp4","last_frame_url":"https://cdn.example.com/l.png","seed":123}}"#)?;
/// assert_eq!(t.video_url(), Some("https://cdn.example.com/v.mp4"));
/// assert_eq!(t.output.and_then(|o| o.seed), Some(123));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TaskOutput {
    /// The MP4, on a CDN host (never send the API key there). Expires (about 24 h elsewhere).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::task::lenient"
    )]
    pub video_url: Option<String>,
    /// The last frame as an image, on the CDN.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::task::lenient"
    )]
    pub last_frame_url: Option<String>,
    /// The seed that was used (a malformed value reads as absent, Reading R24).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::task::lenient_int"
    )]
    pub seed: Option<i64>,
    /// Images, for image-model tasks (`gpt2_…`, `nbp_…`). `null` reads as empty.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::task::lenient_list"
    )]
    pub images: Vec<ImageOutput>,
}

/// A task as the API reports it. Unknown fields are ignored (the raw JSON is kept by the
/// client); every field but `id` and `status` may be absent. Reading R24: an optional
/// field of the wrong shape (`credits_used: -5`, `"seed": "x"`) reads as absent instead
/// of making the task unreadable; `30.0` reads as 30. The id must pass Reading R19.
///
/// ```
/// use seedance_core::Task;
/// let t = Task::from_json(br#"{"id":"sd2_1","status":"COMPLETED","credits_used":30.0,
///     "credits_refunded":-5,"model":7,"output":{"seed":"x","video_url":"https://c.example/v"}}"#)?;
/// assert!(t.status.is_terminal());
/// assert_eq!((t.credits_used, t.credits_refunded, t.model), (Some(30), None, None));
/// assert_eq!(t.raw.unwrap()["credits_refunded"], -5);
/// assert!(Task::from_json(br#"{"id":"../x","status":"completed"}"#).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
///
/// ```
/// use seedance_core::{Task, TaskStatus};
/// let t: Task = serde_json::from_str(r#"{"id":"sd2_x","status":"processing","model":"seedance2",
///   "quality_tier":"standard","channel":"standard","credits_used":30}"#).unwrap();
/// assert_eq!(t.status, TaskStatus::Processing);
/// assert_eq!(t.credits_used, Some(30));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Task {
    /// The task id.
    pub id: TaskId,
    /// The status.
    pub status: TaskStatus,
    /// `seedance2` for this model.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::task::lenient"
    )]
    pub model: Option<String>,
    /// The tier it was rendered at.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::task::lenient"
    )]
    pub quality_tier: Option<QualityTier>,
    /// The channel it was rendered on.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::task::lenient"
    )]
    pub channel: Option<Channel>,
    /// Credits charged at submit.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::task::lenient_int"
    )]
    pub credits_used: Option<u64>,
    /// Credits given back (on failure).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::task::lenient_int"
    )]
    pub credits_refunded: Option<u64>,
    /// The result; null or absent until `completed` (Reading R9).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::task::lenient"
    )]
    pub output: Option<TaskOutput>,
    /// Why it failed, on `failed`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::task::lenient"
    )]
    pub error: Option<ApiError>,
    /// Creation time, e.g. `2026-06-03T10:00:00.000Z`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::task::lenient"
    )]
    pub created_at: Option<String>,
    /// Last update time, same format.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::task::lenient"
    )]
    pub updated_at: Option<String>,
    /// The whole response object as received, unknown fields included (the API adds
    /// fields over time). Set by [`Task::from_json`]; not serialised.
    #[serde(skip)]
    pub raw: Option<serde_json::Value>,
}

impl Task {
    /// A task with only an id and a status (other fields absent); for tests and emulators.
    ///
    /// ```
    /// use seedance_core::{Task, TaskStatus};
    /// let t = Task::new("sd2_1", TaskStatus::Processing);
    /// assert_eq!(serde_json::to_string(&t)?, r#"{"id":"sd2_1","status":"processing"}"#);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn new(id: impl Into<TaskId>, status: TaskStatus) -> Self {
        Task {
            id: id.into(),
            status,
            model: None,
            quality_tier: None,
            channel: None,
            credits_used: None,
            credits_refunded: None,
            output: None,
            error: None,
            created_at: None,
            updated_at: None,
            raw: None,
        }
    }

    /// Parses a response body, keeping the whole object in [`Task::raw`].
    ///
    /// ```
    /// use seedance_core::Task;
    /// let t = Task::from_json(br#"{"id":"sd2_1","status":"processing","eta_s":90}"#).unwrap();
    /// assert_eq!(t.raw.unwrap()["eta_s"], 90);
    /// ```
    pub fn from_json(body: &[u8]) -> Result<Task, serde_json::Error> {
        let raw: serde_json::Value = serde_json::from_slice(body)?;
        let mut task: Task = serde_json::from_value(raw.clone())?;
        task.raw = Some(raw);
        Ok(task)
    }

    /// The video URL, when completed (see [`TaskOutput`] for one that is).
    ///
    /// ```
    /// use seedance_core::{Task, TaskStatus};
    /// assert_eq!(Task::new("sd2_1", TaskStatus::Processing).video_url(), None);
    /// ```
    pub fn video_url(&self) -> Option<&str> {
        self.output.as_ref()?.video_url.as_deref()
    }

    /// The last-frame URL, when completed.
    pub fn last_frame_url(&self) -> Option<&str> {
        self.output.as_ref()?.last_frame_url.as_deref()
    }

    /// The next request of a long take: `image-to-video` from this finished clip's last
    /// frame, keeping its tier and channel. When the task has no last frame, `build()`
    /// reports the missing `image_url`.
    ///
    /// ```
    /// use seedance_core::{Mode, Task};
    /// let task = Task::from_json(br#"{"id":"sd2_1","status":"completed",
    ///   "quality_tier":"pro","output":{"video_url":"https://cdn.example.com/v.mp4",
    ///   "last_frame_url":"https://cdn.example.com/f.png"}}"#)?;
    /// let next = task.continue_from("The train enters a tunnel").duration(8).build()?;
    /// assert_eq!(next.mode, Some(Mode::ImageToVideo));
    /// assert_eq!(next.image_url.as_deref(), Some("https://cdn.example.com/f.png"));
    /// assert_eq!(next.quality_tier, task.quality_tier);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn continue_from(&self, prompt: impl Into<String>) -> VideoRequestBuilder {
        let mut b = VideoRequest::builder(prompt).mode(Mode::ImageToVideo);
        if let Some(u) = self.last_frame_url() {
            b = b.image_url(u);
        }
        if let Some(t) = &self.quality_tier {
            b = b.quality_tier(t.clone());
        }
        if let Some(c) = &self.channel {
            b = b.channel(c.clone());
        }
        b
    }
}

/// Reads an optional field leniently (Reading R24): a value of the wrong shape is `None`.
pub(crate) fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(v.and_then(|v| serde_json::from_value(v).ok()))
}

/// Reads an optional whole number leniently (Reading R24): `30` and `30.0` are 30; a
/// fraction, a value out of range (`-5` for a count), text or anything else is `None`.
pub(crate) fn lenient_int<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64>,
{
    let v = Option::<serde_json::Value>::deserialize(d)?;
    let Some(serde_json::Value::Number(n)) = v else {
        return Ok(None);
    };
    if let Some(u) = n.as_u64() {
        return Ok(T::try_from(u).ok());
    }
    if let Some(i) = n.as_i64() {
        return Ok(T::try_from(i).ok());
    }
    Ok(n.as_f64()
        .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
        // exact: |f| < 2^53
        .and_then(|f| T::try_from(f as i64).ok()))
}

/// Reads a list leniently: `null` or a value of the wrong shape is empty, and so is
/// each item that is not readable (it is skipped).
pub(crate) fn lenient_list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match v {
        Some(serde_json::Value::Array(items)) => items
            .into_iter()
            .filter_map(|i| serde_json::from_value(i).ok())
            .collect(),
        _ => Vec::new(),
    })
}
