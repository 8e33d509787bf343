//! Serde round trips of the spec's exact JSON examples, and tolerance of what the API may
//! add later (unknown fields ignored, unknown status/code/tier kept).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic

use seedance_core::{
    ApiError, AspectRatio, Channel, Duration, ErrorBody, ErrorCode, Mode, QualityTier, Resolution,
    Task, TaskStatus, VideoRequest,
};
use serde_json::{json, Value};

/// The spec's example request body (`curl -d '…'`), verbatim.
const SPEC_REQUEST: &str = r#"{"mode":"text-to-video","quality_tier":"standard",
       "prompt":"A cinematic shot of a glass train crossing a snowy mountain bridge",
       "aspect_ratio":"16:9","duration":"5","resolution":"720p"}"#;

/// The spec's `202` response, verbatim.
const SPEC_202: &str = r#"{"id":"sd2_xxxxx","status":"processing","model":"seedance2",
 "quality_tier":"standard","channel":"standard","credits_used":30}"#;

/// The spec's completed task, verbatim.
const SPEC_COMPLETED: &str = r#"{"id":"sd2_xxxxx","status":"completed","model":"seedance2",
 "quality_tier":"standard","channel":"standard",
 "credits_used":30,"credits_refunded":0,
 "output":{"video_url":"https://...","last_frame_url":"https://...","seed":123},
 "error":null,
 "created_at":"2026-06-03T10:00:00.000Z","updated_at":"2026-06-03T10:03:12.000Z"}"#;

/// The spec's error shape, verbatim.
const SPEC_ERROR: &str = r#"{"error":{"code":"invalid_request","message":"Invalid request body"}}"#;

fn value(s: &str) -> Value {
    serde_json::from_str(s).expect("test JSON parses")
}

/// `v` without its `null` members (we do not send or re-emit nulls).
fn drop_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, drop_nulls(v)))
                .collect(),
        ),
        other => other,
    }
}

#[test]
fn spec_request_round_trips_exactly() {
    let req: VideoRequest = serde_json::from_str(SPEC_REQUEST).expect("spec request parses");
    assert_eq!(req.mode, Some(Mode::TextToVideo));
    assert_eq!(req.quality_tier, Some(QualityTier::Standard));
    assert_eq!(
        req.prompt,
        "A cinematic shot of a glass train crossing a snowy mountain bridge"
    );
    assert_eq!(req.aspect_ratio, Some(AspectRatio::Wide16x9));
    assert_eq!(req.duration, Some(Duration::from_secs(5)));
    assert_eq!(req.resolution, Some(Resolution::P720));
    assert_eq!(req.channel, None);
    assert!(req.validate().is_ok());
    assert_eq!(serde_json::to_value(&req).unwrap(), value(SPEC_REQUEST));

    // The builder makes the very same body.
    let built =
        VideoRequest::builder("A cinematic shot of a glass train crossing a snowy mountain bridge")
            .mode(Mode::TextToVideo)
            .quality_tier(QualityTier::Standard)
            .aspect_ratio(AspectRatio::Wide16x9)
            .duration(5)
            .resolution(Resolution::P720)
            .build()
            .expect("valid");
    assert_eq!(built, req);
    assert_eq!(serde_json::to_value(&built).unwrap(), value(SPEC_REQUEST));
}

#[test]
fn request_sends_only_set_fields_and_duration_as_string() {
    let req = VideoRequest::builder("A red kite over dunes")
        .build()
        .unwrap();
    assert_eq!(
        serde_json::to_value(&req).unwrap(),
        json!({"prompt": "A red kite over dunes"})
    );
    let full = VideoRequest::builder("A red kite over dunes")
        .mode(Mode::ImageToVideo)
        .quality_tier(QualityTier::Pro)
        .channel(Channel::Wild)
        .aspect_ratio(AspectRatio::Portrait9x16)
        .duration(12)
        .resolution(Resolution::K4)
        .image_url("https://cdn.example.com/a.png")
        .end_image_url("https://cdn.example.com/b.png")
        .generate_audio(false)
        .fixed_lens(true)
        .seed(4_294_967_295)
        .build()
        .unwrap();
    let v = serde_json::to_value(&full).unwrap();
    assert_eq!(
        v,
        json!({"mode":"image-to-video","quality_tier":"pro","channel":"wild",
               "prompt":"A red kite over dunes","aspect_ratio":"9:16","duration":"12",
               "resolution":"4k","image_url":"https://cdn.example.com/a.png",
               "end_image_url":"https://cdn.example.com/b.png","generate_audio":false,
               "fixed_lens":true,"seed":4294967295u64})
    );
    let back: VideoRequest = serde_json::from_value(v).unwrap();
    assert_eq!(back, full);
}

#[test]
fn request_refuses_unknown_fields() {
    for extra in [
        r#"{"prompt":"abc","teamSlug":"x"}"#,
        r#"{"prompt":"abc","provider":"y"}"#,
        r#"{"prompt":"abc","Duration":"5"}"#,
    ] {
        let err = serde_json::from_str::<VideoRequest>(extra).unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }
    assert!(serde_json::from_str::<VideoRequest>(r#"{"mode":"text-to-video"}"#).is_err());
}

#[test]
fn duration_wire_form_is_a_string_of_digits() {
    assert_eq!(
        serde_json::to_string(&Duration::from_secs(15)).unwrap(),
        r#""15""#
    );
    for (s, secs) in [
        (r#""4""#, 4),
        (r#""15""#, 15),
        (r#""05""#, 5),
        (r#""16""#, 16),
    ] {
        assert_eq!(serde_json::from_str::<Duration>(s).unwrap().secs(), secs);
    }
    for bad in [
        r#""""#,
        r#""-5""#,
        r#""+5""#,
        r#"" 5""#,
        r#""5.0""#,
        r#""five""#,
        r#""99999999999""#,
        "5",
        "null",
    ] {
        assert!(serde_json::from_str::<Duration>(bad).is_err(), "{bad}");
    }
    // Out-of-range values parse (so validation can name them) and then fail validation.
    let req: VideoRequest = serde_json::from_str(r#"{"prompt":"abc","duration":"16"}"#).unwrap();
    assert!(req.validate().unwrap_err().has_field("duration"));
}

#[test]
fn spec_202_response_round_trips() {
    let t = Task::from_json(SPEC_202.as_bytes()).expect("202 parses");
    assert_eq!(t.id.as_str(), "sd2_xxxxx");
    assert_eq!(t.status, TaskStatus::Processing);
    assert!(!t.status.is_terminal());
    assert_eq!(t.model.as_deref(), Some("seedance2"));
    assert_eq!(t.quality_tier, Some(QualityTier::Standard));
    assert_eq!(t.channel, Some(Channel::Standard));
    assert_eq!(t.credits_used, Some(30));
    assert_eq!(t.credits_refunded, None);
    assert!(t.output.is_none() && t.error.is_none());
    assert_eq!(t.raw.as_ref(), Some(&value(SPEC_202)));
    assert_eq!(serde_json::to_value(&t).unwrap(), value(SPEC_202));
}

#[test]
fn spec_completed_task_round_trips() {
    let t = Task::from_json(SPEC_COMPLETED.as_bytes()).expect("completed parses");
    assert_eq!(t.status, TaskStatus::Completed);
    assert!(t.status.is_terminal() && !t.status.is_failure());
    assert_eq!(t.credits_used, Some(30));
    assert_eq!(t.credits_refunded, Some(0));
    assert_eq!(t.video_url(), Some("https://..."));
    assert_eq!(t.last_frame_url(), Some("https://..."));
    let out = t.output.as_ref().unwrap();
    assert_eq!(out.seed, Some(123));
    assert!(out.images.is_empty());
    assert_eq!(t.error, None);
    assert_eq!(t.created_at.as_deref(), Some("2026-06-03T10:00:00.000Z"));
    assert_eq!(t.updated_at.as_deref(), Some("2026-06-03T10:03:12.000Z"));
    // Re-serialised: the same object, less the `"error": null`.
    let again = serde_json::to_value(&t).unwrap();
    assert_eq!(again, drop_nulls(value(SPEC_COMPLETED)));
    let back: Task = serde_json::from_value(again).unwrap();
    let mut expected = t.clone();
    expected.raw = None;
    assert_eq!(expected, back);
}

#[test]
fn spec_error_shape_round_trips() {
    let body: ErrorBody = serde_json::from_str(SPEC_ERROR).unwrap();
    assert_eq!(body.error.code, ErrorCode::InvalidRequest);
    assert_eq!(body.error.message, "Invalid request body");
    assert_eq!(
        body.error.to_string(),
        "invalid_request: Invalid request body"
    );
    assert_eq!(serde_json::to_value(&body).unwrap(), value(SPEC_ERROR));
    let made = ErrorBody::new(ApiError::new(
        ErrorCode::InvalidRequest,
        "Invalid request body",
    ));
    assert_eq!(serde_json::to_string(&made).unwrap(), SPEC_ERROR);
}

#[test]
fn the_eight_error_codes_and_their_statuses() {
    let table = [
        ("unauthorized", 401, false),
        ("invalid_request", 400, false),
        ("insufficient_credits", 402, false),
        ("rate_limited", 429, true),
        ("idempotency_conflict", 409, false),
        ("service_busy", 503, true),
        ("not_found", 404, false),
        ("internal_error", 500, true),
    ];
    assert_eq!(ErrorCode::ALL.len(), table.len());
    for (wire, status, retry) in table {
        let code = ErrorCode::from(wire);
        assert!(!matches!(code, ErrorCode::Other(_)), "{wire} is known");
        assert_eq!(code.as_str(), wire);
        assert_eq!(code.http_status(), Some(status), "{wire}");
        assert_eq!(ErrorCode::from_http_status(status), Some(code.clone()));
        assert_eq!(code.is_retryable(), retry, "{wire}");
        let body: ErrorBody =
            serde_json::from_value(json!({"error":{"code":wire,"message":"m"}})).unwrap();
        assert_eq!(body.error.code, code);
        assert_eq!(serde_json::to_value(&body).unwrap()["error"]["code"], wire);
    }
    assert_eq!(ErrorCode::from_http_status(418), None);
}

#[test]
fn unknown_error_code_is_kept() {
    let body: ErrorBody = serde_json::from_str(
        r#"{"error":{"code":"real_person_detected","message":"Input image shows a real person","details":{"x":1}},"request_id":"r1"}"#,
    )
    .unwrap();
    assert_eq!(
        body.error.code,
        ErrorCode::Other("real_person_detected".to_owned())
    );
    assert_eq!(body.error.code.http_status(), None);
    assert!(!body.error.code.is_retryable());
    assert_eq!(
        serde_json::to_value(&body).unwrap()["error"]["code"],
        "real_person_detected"
    );
    // A missing or null message reads as empty rather than failing the whole response.
    for s in [
        r#"{"error":{"code":"service_busy"}}"#,
        r#"{"error":{"code":"service_busy","message":null}}"#,
    ] {
        let body: ErrorBody = serde_json::from_str(s).unwrap();
        assert_eq!(body.error.code, ErrorCode::ServiceBusy);
        assert_eq!(body.error.message, "");
    }
}

#[test]
fn unknown_response_fields_are_ignored_and_kept_raw() {
    let body = br#"{"id":"sd2_abc","status":"completed","eta_seconds":0,"team":{"slug":"t"},
        "output":{"video_url":"https://cdn.example.com/v.mp4","width":496,"height":864,"duration":"5"},
        "error":null,"credits_used":30,"billing":{"plan":"pro"}}"#;
    let t = Task::from_json(body).unwrap();
    assert_eq!(t.video_url(), Some("https://cdn.example.com/v.mp4"));
    let raw = t.raw.unwrap();
    assert_eq!(raw["output"]["width"], 496);
    assert_eq!(raw["billing"]["plan"], "pro");
}

#[test]
fn unknown_status_tier_and_channel_are_kept() {
    let t = Task::from_json(
        br#"{"id":"sd2_q","status":"queued","quality_tier":"ultra","channel":"anime","model":"seedance3"}"#,
    )
    .unwrap();
    assert_eq!(t.status, TaskStatus::Other("queued".to_owned()));
    assert!(
        !t.status.is_terminal(),
        "an unknown status is still running"
    );
    assert_eq!(t.quality_tier, Some(QualityTier::Other("ultra".to_owned())));
    assert_eq!(t.channel, Some(Channel::Other("anime".to_owned())));
    let v = serde_json::to_value(&t).unwrap();
    assert_eq!(v["status"], "queued");
    assert_eq!(v["quality_tier"], "ultra");
    assert_eq!(v["channel"], "anime");
    // R12: terminal failure statuses of other providers.
    for s in ["cancelled", "canceled", "expired", "aborted", "CANCELLED"] {
        let st = TaskStatus::from(s);
        assert!(st.is_terminal() && st.is_failure(), "{s}");
    }
    for s in ["processing", "queued", "pending", "running", ""] {
        assert!(!TaskStatus::from(s).is_terminal(), "{s}");
    }
}

#[test]
fn failed_task_carries_error_and_refund() {
    let t = Task::from_json(
        br#"{"id":"sd2_f","status":"failed","credits_used":30,"credits_refunded":30,
            "output":null,"error":{"code":"internal_error","message":"render crashed"}}"#,
    )
    .unwrap();
    assert!(t.status.is_failure() && t.status.is_terminal());
    assert_eq!(t.credits_refunded, Some(30));
    assert_eq!(t.output, None);
    let err = t.error.unwrap();
    assert_eq!(err.code, ErrorCode::InternalError);
    assert_eq!(err.message, "render crashed");
}

#[test]
fn image_task_with_output_images() {
    for (id, body) in [
        (
            "nbp_7f3",
            r#"{"id":"nbp_7f3","status":"completed","model":"nano-banana-pro","output":{"images":[{"url":"https://cdn.example.com/1.png"},{"url":"https://cdn.example.com/2.png","width":1024}]}}"#,
        ),
        (
            "gpt2_1",
            r#"{"id":"gpt2_1","status":"completed","output":{"images":[{"url":"https://cdn.example.com/1.png"}],"video_url":null}}"#,
        ),
    ] {
        let t = Task::from_json(body.as_bytes()).unwrap();
        assert_eq!(t.id.as_str(), id);
        assert_eq!(t.video_url(), None);
        let out = t.output.as_ref().unwrap();
        assert!(!out.images.is_empty());
        assert_eq!(out.images[0].url, "https://cdn.example.com/1.png");
        let v = serde_json::to_value(&t).unwrap();
        assert_eq!(
            v["output"]["images"][0]["url"],
            "https://cdn.example.com/1.png"
        );
    }
    // `images: null` on a video task reads as no images.
    let t = Task::from_json(
        br#"{"id":"sd2_n","status":"completed","output":{"video_url":"https://cdn.example.com/v.mp4","images":null}}"#,
    )
    .unwrap();
    assert!(t.output.unwrap().images.is_empty());
}

#[test]
fn task_parsing_refuses_what_is_not_a_task() {
    for body in [
        &b""[..],
        b"null",
        b"[]",
        b"<html>Bad Gateway</html>",
        br#"{"status":"processing"}"#,
        br#"{"id":"sd2_x"}"#,
        SPEC_ERROR.as_bytes(),
    ] {
        assert!(
            Task::from_json(body).is_err(),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn task_new_serialises_minimally() {
    let t = Task::new("sd2_1", TaskStatus::Processing);
    assert_eq!(
        serde_json::to_value(&t).unwrap(),
        json!({"id":"sd2_1","status":"processing"})
    );
}
