//! Readings R19–R24: what arrives from the network is read with limits (ids, Retry-After,
//! secrets, control characters, sizes, tolerant task fields) and local durations are
//! range-checked. Each case here was accepted, panicked or leaked before these readings.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic

use std::time::{Duration, SystemTime};

use seedance_core::rules::{
    check_task_id, duration_from_secs_f64, escape_controls, excerpt, parse_retry_after,
    redact_secrets, TimeScale, RETRY_AFTER_MAX, SETTING_DURATION_MAX,
};
use seedance_core::{check_public_https_url, ApiError, ErrorBody, Task, TaskId, TaskStatus};

#[test]
fn r19_task_ids_are_checked_where_they_are_parsed() {
    for good in ["sd2_xxxxx", "gpt2_1", "nbp_A-b_9", &"a".repeat(128)] {
        assert!(check_task_id(good).is_ok(), "{good}");
        let body = format!(r#"{{"id":"{good}","status":"processing"}}"#);
        assert!(Task::from_json(body.as_bytes()).is_ok(), "{good}");
    }
    for bad in [
        "",
        "../escaped",
        "/abs/path",
        "sd2_ok/../../up",
        "..",
        "a.pth",
        "C:\\x",
        "id with space",
        "sd2_\u{1b}[2J",
        "sd2_é",
        &"a".repeat(129),
    ] {
        assert!(check_task_id(bad).is_err(), "{bad:?}");
        assert!(TaskId::parse(bad).is_err(), "{bad:?}");
        let body = serde_json::json!({"id": bad, "status": "completed"}).to_string();
        let e = Task::from_json(body.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("not a task id"), "{bad:?}: {e}");
    }
    // the message shows the offending id escaped, never raw
    let e = check_task_id("x\u{1b}]0;owned\u{7}")
        .unwrap_err()
        .to_string();
    assert!(!e.contains('\u{1b}'), "{e}");
}

#[test]
fn r20_retry_after_is_capped_and_never_overflows() {
    let now = SystemTime::now();
    let r = |v: &str| parse_retry_after(v, now);
    assert_eq!(r("36").unwrap().delay, Duration::from_secs(36));
    assert!(!r("36").unwrap().capped);
    assert_eq!(r("3600").unwrap().delay, RETRY_AFTER_MAX);
    assert!(!r("3600").unwrap().capped);
    for absurd in [
        "1e300",
        "99999999999999999999",
        "18446744073709551615",
        "1e19",
        "10000000000000",
        "3601",
    ] {
        let got = r(absurd).unwrap_or_else(|| panic!("{absurd} ignored"));
        assert_eq!(got.delay, RETRY_AFTER_MAX, "{absurd}");
        assert!(got.capped, "{absurd}");
    }
    for ignored in ["-1", "NaN", "inf", "soon", "", "0x10", &"9".repeat(100)] {
        assert_eq!(r(ignored), None, "{ignored}");
    }
    let far = httpdate::fmt_http_date(now + Duration::from_secs(86_400 * 365));
    assert!(r(&far).unwrap().capped);
    let soon = httpdate::fmt_http_date(now + Duration::from_secs(100));
    let d = r(&soon).unwrap().delay;
    assert!(
        d > Duration::from_secs(95) && d <= Duration::from_secs(100),
        "{d:?}"
    );
}

#[test]
fn r21_local_durations_and_scales_are_range_checked() {
    for bad in [1e300, 1e20, -1.0, f64::NAN, f64::INFINITY, f64::MAX] {
        let e = duration_from_secs_f64("--timeout", bad, SETTING_DURATION_MAX).unwrap_err();
        assert!(e.starts_with("--timeout"), "{e}");
    }
    assert!(duration_from_secs_f64("t", 86_400.0 * 30.0, SETTING_DURATION_MAX).is_ok());
    for bad in [1e-300, 0.0, -2.0, 1e300, f64::NAN, f64::INFINITY] {
        let e = TimeScale::checked("--render-time-scale", bad).unwrap_err();
        assert!(e.to_string().starts_with("--render-time-scale: "), "{e}");
    }
    assert_eq!(
        TimeScale::checked("s", 1000.0).map(TimeScale::get),
        Ok(1000.0)
    );
}

#[test]
fn r22_secrets_go_before_truncation() {
    let key = "sk_live_abcdefghijklmnopqrstuvwxyz0123456789";
    // the key straddles the 200-character cut
    let body = format!("{}{key} trailing", "x".repeat(180));
    let shown = excerpt(&body, Some(key), 200);
    assert!(!shown.contains("abcdefghij"), "{shown}");
    assert!(shown.contains("[redacted]"), "{shown}");
    // any Bearer token and key-shaped text, even when it is not our key
    let s = redact_secrets(
        "Authorization: Bearer eyJhbGciOi.x-y_z and sk_test_other1",
        None,
    );
    assert_eq!(s, "Authorization: Bearer [redacted] and [redacted]");
    // in every field of an API error
    let e = ApiError::new(seedance_core::ErrorCode::from(key), format!("echo {key}"));
    let shown = e.redacted(Some(key)).to_string();
    assert!(!shown.contains("abcdefghij"), "{shown}");
}

#[test]
fn r23_control_characters_are_escaped_for_humans() {
    let hostile = "done\u{1b}]0;title\u{7}\u{1b}[2J\r✔ all good\u{9b}31m";
    let shown = escape_controls(hostile);
    assert!(!shown.chars().any(char::is_control), "{shown}");
    assert!(shown.contains("\\u{1b}]0;title"), "{shown}");
    assert!(shown.contains("✔ all good"));
    // JSON output needs no escaping step of ours: the encoder escapes C0 controls (ESC,
    // BEL, CR), and the text survives a round trip
    let json = serde_json::to_string(hostile).unwrap();
    assert!(!json.chars().any(|c| (c as u32) < 0x20), "{json}");
    assert_eq!(serde_json::from_str::<String>(&json).unwrap(), hostile);
}

#[test]
fn r24_tolerant_task_parsing() {
    let t = Task::from_json(
        br#"{"id":"sd2_1","status":"Completed","credits_used":30.0,"credits_refunded":-5,
            "quality_tier":3,"channel":null,"created_at":{"x":1},"future_field":[1,2],
            "output":{"video_url":"https://c.example/v.mp4","seed":"12","images":"none"},
            "error":"not an object"}"#,
    )
    .unwrap();
    assert_eq!(t.status, TaskStatus::Completed);
    assert_eq!(t.credits_used, Some(30));
    assert_eq!(t.credits_refunded, None);
    assert_eq!(t.quality_tier, None);
    assert_eq!(t.created_at, None);
    assert_eq!(t.error, None);
    assert_eq!(t.video_url(), Some("https://c.example/v.mp4"));
    assert_eq!(t.output.as_ref().unwrap().seed, None);
    // the raw JSON keeps what was ignored
    let raw = t.raw.unwrap();
    assert_eq!(raw["credits_refunded"], -5);
    assert_eq!(raw["output"]["seed"], "12");
    for (wire, want) in [
        ("PROCESSING", TaskStatus::Processing),
        ("failed", TaskStatus::Failed),
        (" completed ", TaskStatus::Completed),
    ] {
        assert_eq!(TaskStatus::from(wire), want, "{wire}");
    }
    // error bodies of odd shapes still read
    let b: ErrorBody = serde_json::from_str(r#"{"error":{"code":42,"message":{"a":1}}}"#).unwrap();
    assert_eq!(b.error.code.as_str(), "42");
    // deep nesting is an error, not a stack overflow
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(Task::from_json(deep.as_bytes()).is_err());
    assert!(serde_json::from_str::<ErrorBody>(&deep).is_err());
    // invalid UTF-8 is an error, not a panic
    assert!(Task::from_json(b"{\"id\":\"sd2_1\",\"status\":\"\xff\xfe\"}").is_err());
}

#[test]
fn r3_empty_user_info_and_teredo_are_not_public() {
    for bad in [
        "https://:@cdn.example.com/a.png",
        "https://@cdn.example.com/a.png",
        "https://[2001::1]/a.png",
        "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/a",
        "https://[2001:2::1]/a",
        "https://[5f00::1]/a",
    ] {
        assert!(check_public_https_url(bad).is_err(), "{bad}");
    }
    assert!(check_public_https_url("https://[2001:4860:4860::8888]/a").is_ok());
    assert!(check_public_https_url("https://cdn.example.com/p@th").is_ok());
}
