//! `VideoRequest`: the body of `POST /api/v1/video/seedance2`, and its builder.

use serde::{Deserialize, Serialize};

use crate::rules::{AspectRatio, Channel, Mode, QualityTier, Resolution};
use crate::Duration;

/// The body of a submit. Build it with [`VideoRequest::builder`]; only the spec's fields
/// exist, so an unknown field cannot be built (and is refused when parsed, Reading R6).
/// Unset optional fields are not sent: the server applies its defaults, which the
/// `effective_*` accessors report.
///
/// ```
/// use seedance_core::{VideoRequest, QualityTier, Resolution};
/// let req = VideoRequest::builder("A glass train crossing a snowy mountain bridge")
///     .quality_tier(QualityTier::Pro)
///     .resolution(Resolution::K4)
///     .duration(8)
///     .build()
///     .expect("valid");
/// let json = serde_json::to_value(&req).unwrap();
/// assert_eq!(json["duration"], "8");
/// assert_eq!(json["resolution"], "4k");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct VideoRequest {
    /// `mode` (default `text-to-video`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// `quality_tier` (default `standard`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality_tier: Option<QualityTier>,
    /// `channel` (default `standard`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// `prompt`: 3–10000 code points. Required.
    pub prompt: String,
    /// `aspect_ratio` (default `16:9`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspect_ratio: Option<AspectRatio>,
    /// `duration` in seconds, 4–15 (default 5), sent as a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Duration>,
    /// `resolution` (default `720p`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
    /// `image_url`: the opening frame; required for `image-to-video`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// `end_image_url`: the closing frame (`image-to-video` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_image_url: Option<String>,
    /// `media_urls`: 1–12 reference images/videos; required for (and only in) `media-to-video`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_urls: Option<Vec<String>>,
    /// `generate_audio` (default `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate_audio: Option<bool>,
    /// `fixed_lens` (default `false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_lens: Option<bool>,
    /// `seed`: -1..=4294967295; not on channel `real` nor tier `mini`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
}

impl VideoRequest {
    /// Starts a builder with the one required field.
    ///
    /// ```
    /// use seedance_core::VideoRequest;
    /// let req = VideoRequest::builder("A paper boat drifting down a rainy gutter").build()?;
    /// assert_eq!(serde_json::to_string(&req)?, r#"{"prompt":"A paper boat drifting down a rainy gutter"}"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(prompt: impl Into<String>) -> VideoRequestBuilder {
        VideoRequestBuilder {
            req: VideoRequest {
                mode: None,
                quality_tier: None,
                channel: None,
                prompt: prompt.into(),
                aspect_ratio: None,
                duration: None,
                resolution: None,
                image_url: None,
                end_image_url: None,
                media_urls: None,
                generate_audio: None,
                fixed_lens: None,
                seed: None,
            },
        }
    }

    /// `mode`, or the server's default. (Each `effective_*` accessor reads the same way.)
    ///
    /// ```
    /// use seedance_core::{Mode, Resolution, VideoRequest};
    /// let req = VideoRequest::builder("A cat").resolution(Resolution::P1080).build_unchecked();
    /// assert_eq!(req.effective_mode(), Mode::TextToVideo);          // not set: the default
    /// assert_eq!(req.effective_resolution(), Resolution::P1080);   // set
    /// assert_eq!(req.effective_duration().secs(), 5);
    /// assert!(req.effective_generate_audio() && !req.effective_fixed_lens());
    /// ```
    pub fn effective_mode(&self) -> Mode {
        self.mode.clone().unwrap_or_default()
    }
    /// `quality_tier`, or the server's default.
    pub fn effective_quality_tier(&self) -> QualityTier {
        self.quality_tier.clone().unwrap_or_default()
    }
    /// `channel`, or the server's default.
    pub fn effective_channel(&self) -> Channel {
        self.channel.clone().unwrap_or_default()
    }
    /// `aspect_ratio`, or the server's default.
    pub fn effective_aspect_ratio(&self) -> AspectRatio {
        self.aspect_ratio.clone().unwrap_or_default()
    }
    /// `resolution`, or the server's default.
    pub fn effective_resolution(&self) -> Resolution {
        self.resolution.clone().unwrap_or_default()
    }
    /// `duration`, or the server's default.
    pub fn effective_duration(&self) -> Duration {
        self.duration.unwrap_or_default()
    }
    /// `generate_audio`, or the server's default.
    pub fn effective_generate_audio(&self) -> bool {
        self.generate_audio
            .unwrap_or(crate::rules::GENERATE_AUDIO_DEFAULT)
    }
    /// `fixed_lens`, or the server's default.
    pub fn effective_fixed_lens(&self) -> bool {
        self.fixed_lens.unwrap_or(crate::rules::FIXED_LENS_DEFAULT)
    }

    /// Sets `mode` from the reference fields when it is not set (Reading R25, as
    /// [`VideoRequestBuilder::infer_mode`]): for requests that arrive whole (a JSON body
    /// given to the C API, a Kotlin or Swift record).
    ///
    /// ```
    /// use seedance_core::{Mode, VideoRequest};
    /// let mut req: VideoRequest = serde_json::from_str(
    ///     r#"{"prompt":"The character dances","media_urls":["https://cdn.example.com/a.png"]}"#)?;
    /// req.infer_mode();
    /// assert_eq!(req.mode, Some(Mode::MediaToVideo));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn infer_mode(&mut self) {
        if self.mode.is_none() {
            self.mode = crate::rules::infer_mode(
                self.image_url.is_some(),
                self.end_image_url.is_some(),
                self.media_urls.is_some(),
            );
        }
    }

    /// Whether the submit carries reference media (`image_url`, `end_image_url` or
    /// `media_urls`) and so also counts against the 3-per-60-s limit (Reading R11).
    ///
    /// ```
    /// use seedance_core::{Mode, VideoRequest};
    /// let req = VideoRequest::builder("She turns").mode(Mode::ImageToVideo)
    ///     .image_url("https://cdn.example.com/a.png").build_unchecked();
    /// assert!(req.has_reference_media());
    /// assert!(!VideoRequest::builder("A cat").build_unchecked().has_reference_media());
    /// ```
    pub fn has_reference_media(&self) -> bool {
        self.image_url.is_some() || self.end_image_url.is_some() || self.media_urls.is_some()
    }

    /// The expected render time in seconds under the documented model
    /// ([`crate::expected_render_secs`]).
    ///
    /// ```
    /// use seedance_core::VideoRequest;
    /// assert_eq!(VideoRequest::builder("A cat").build_unchecked().expected_render_secs(), 105.0);
    /// ```
    pub fn expected_render_secs(&self) -> f64 {
        crate::rules::expected_render_secs(
            &self.effective_quality_tier(),
            &self.effective_resolution(),
            self.effective_duration().secs(),
        )
    }

    /// [`expected_render_secs`](Self::expected_render_secs) as a `Duration` (what
    /// progress bars and the first poll use; scale it with
    /// [`TimeScale::to_real`](crate::rules::TimeScale::to_real) for an emulator).
    ///
    /// ```
    /// use std::time::Duration;
    /// use seedance_core::VideoRequest;
    /// let req = VideoRequest::builder("A cat").build_unchecked();
    /// assert_eq!(req.expected_render_time(), Duration::from_secs(105));
    /// ```
    pub fn expected_render_time(&self) -> std::time::Duration {
        // The model is finite and below an hour for every known value.
        std::time::Duration::try_from_secs_f64(self.expected_render_secs()).unwrap_or_default()
    }

    /// Every reference URL of the request, each with the field that carries it
    /// (`image_url`, `end_image_url`, `media_urls[3]`).
    ///
    /// ```
    /// use seedance_core::VideoRequest;
    /// let req = VideoRequest::builder("A cat")
    ///     .media_urls(["https://cdn.example.com/a.png", "https://cdn.example.com/b.mp4"])
    ///     .build_unchecked();
    /// let fields: Vec<String> = req.reference_urls().into_iter().map(|(f, _)| f).collect();
    /// assert_eq!(fields, ["media_urls[0]", "media_urls[1]"]);
    /// ```
    pub fn reference_urls(&self) -> Vec<(String, &str)> {
        let mut out = Vec::new();
        if let Some(u) = &self.image_url {
            out.push(("image_url".to_owned(), u.as_str()));
        }
        if let Some(u) = &self.end_image_url {
            out.push(("end_image_url".to_owned(), u.as_str()));
        }
        if let Some(urls) = &self.media_urls {
            for (i, u) in urls.iter().enumerate() {
                out.push((format!("media_urls[{i}]"), u.as_str()));
            }
        }
        out
    }
}

/// Builder for [`VideoRequest`]; [`build`](VideoRequestBuilder::build) validates.
///
/// ```
/// use seedance_core::{Mode, VideoRequest};
/// let err = VideoRequest::builder("A cat")
///     .mode(Mode::ImageToVideo)
///     .duration(20)
///     .build()
///     .unwrap_err();
/// assert_eq!(err.violations().len(), 2); // image_url missing, duration out of range
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct VideoRequestBuilder {
    req: VideoRequest,
}

impl VideoRequestBuilder {
    /// Sets `mode`.
    pub fn mode(mut self, v: impl Into<Mode>) -> Self {
        self.req.mode = Some(v.into());
        self
    }
    /// Sets `quality_tier`.
    pub fn quality_tier(mut self, v: impl Into<QualityTier>) -> Self {
        self.req.quality_tier = Some(v.into());
        self
    }
    /// Sets `channel`.
    pub fn channel(mut self, v: impl Into<Channel>) -> Self {
        self.req.channel = Some(v.into());
        self
    }
    /// Replaces `prompt`.
    pub fn prompt(mut self, v: impl Into<String>) -> Self {
        self.req.prompt = v.into();
        self
    }
    /// Sets `aspect_ratio`.
    pub fn aspect_ratio(mut self, v: impl Into<AspectRatio>) -> Self {
        self.req.aspect_ratio = Some(v.into());
        self
    }
    /// Sets `duration` in seconds.
    pub fn duration(mut self, secs: impl Into<Duration>) -> Self {
        self.req.duration = Some(secs.into());
        self
    }
    /// Sets `resolution`.
    pub fn resolution(mut self, v: impl Into<Resolution>) -> Self {
        self.req.resolution = Some(v.into());
        self
    }
    /// Sets `image_url` (the opening frame).
    pub fn image_url(mut self, v: impl Into<String>) -> Self {
        self.req.image_url = Some(v.into());
        self
    }
    /// Sets `end_image_url` (the closing frame).
    pub fn end_image_url(mut self, v: impl Into<String>) -> Self {
        self.req.end_image_url = Some(v.into());
        self
    }
    /// Appends one entry to `media_urls`.
    pub fn media_url(mut self, v: impl Into<String>) -> Self {
        self.req
            .media_urls
            .get_or_insert_with(Vec::new)
            .push(v.into());
        self
    }
    /// Replaces `media_urls`.
    pub fn media_urls<I, S>(mut self, urls: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.req.media_urls = Some(urls.into_iter().map(Into::into).collect());
        self
    }
    /// Sets `generate_audio`.
    pub fn generate_audio(mut self, v: bool) -> Self {
        self.req.generate_audio = Some(v);
        self
    }
    /// Sets `fixed_lens`.
    pub fn fixed_lens(mut self, v: bool) -> Self {
        self.req.fixed_lens = Some(v);
        self
    }
    /// Sets `seed`.
    pub fn seed(mut self, v: i64) -> Self {
        self.req.seed = Some(v);
        self
    }

    /// Sets `mode` from the reference fields when it is not set (Reading R25,
    /// [`crate::rules::infer_mode`]): `image_url`/`end_image_url` → `image-to-video`,
    /// `media_urls` → `media-to-video`. An explicit mode is kept as given. Front ends that
    /// take loose fields (the CLI's flags, Python's keywords, the C, Kotlin and Swift
    /// bindings) call this before [`build`](Self::build).
    ///
    /// ```
    /// use seedance_core::{Mode, VideoRequest};
    /// let req = VideoRequest::builder("She turns to the camera")
    ///     .image_url("https://cdn.example.com/a.png")
    ///     .infer_mode()
    ///     .build()?;
    /// assert_eq!(req.mode, Some(Mode::ImageToVideo));
    /// let kept = VideoRequest::builder("A cat").mode(Mode::TextToVideo)
    ///     .media_url("https://cdn.example.com/a.png").infer_mode().build_unchecked();
    /// assert_eq!(kept.mode, Some(Mode::TextToVideo)); // explicit: kept, then refused
    /// # Ok::<(), seedance_core::ValidationError>(())
    /// ```
    pub fn infer_mode(mut self) -> Self {
        self.req.infer_mode();
        self
    }

    /// Sets `mode` to a default (a profile's, a batch's) unless the request already has
    /// one, given or inferred from its references (Reading R25: a default is weaker than
    /// inference). Infers first, so call it after every reference is set.
    ///
    /// ```
    /// use seedance_core::{Mode, VideoRequest};
    /// let inferred = VideoRequest::builder("She turns to the camera")
    ///     .image_url("https://cdn.example.com/a.png")
    ///     .default_mode(Mode::TextToVideo)
    ///     .build_unchecked();
    /// assert_eq!(inferred.mode, Some(Mode::ImageToVideo));
    /// let plain = VideoRequest::builder("A cat").default_mode(Mode::TextToVideo).build_unchecked();
    /// assert_eq!(plain.mode, Some(Mode::TextToVideo));
    /// let given = VideoRequest::builder("A cat").mode(Mode::MediaToVideo)
    ///     .default_mode(Mode::TextToVideo).build_unchecked();
    /// assert_eq!(given.mode, Some(Mode::MediaToVideo));
    /// ```
    pub fn default_mode(mut self, v: impl Into<Mode>) -> Self {
        self.req.infer_mode();
        if self.req.mode.is_none() {
            self.req.mode = Some(v.into());
        }
        self
    }

    /// Returns the request without validating it (for tests of servers that must refuse
    /// it, such as the emulator's). Clients validate again before sending.
    ///
    /// ```
    /// use seedance_core::VideoRequest;
    /// let req = VideoRequest::builder("hi").build_unchecked();
    /// assert!(req.validate().is_err());
    /// ```
    pub fn build_unchecked(self) -> VideoRequest {
        self.req
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_fields_table_names_exactly_the_struct_fields_in_order() {
        let full = VideoRequest::builder("A glass train")
            .mode(Mode::ImageToVideo)
            .quality_tier(QualityTier::Pro)
            .channel(Channel::Wild)
            .aspect_ratio(AspectRatio::Wide16x9)
            .duration(5)
            .resolution(Resolution::P720)
            .image_url("https://example.com/a.png")
            .end_image_url("https://example.com/b.png")
            .media_url("https://example.com/c.png")
            .generate_audio(true)
            .fixed_lens(false)
            .seed(1)
            .build_unchecked();
        let json = serde_json::to_value(&full).expect("serialises");
        let keys: Vec<&str> = json
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        let mut sorted = crate::rules::REQUEST_FIELDS.to_vec();
        sorted.sort_unstable();
        assert_eq!(keys, sorted); // serde_json's map is sorted
    }
}
