//! The public API, tested from the spec: keys, credits, validation, policy, lifecycle.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic

mod common;

use common::*;
use reqwest::StatusCode;
use seedance_emulator::{Account, DEFAULT_TEST_KEY_2, NO_CREDITS_TEST_KEY, REVOKED_TEST_KEY};
use serde_json::{json, Value};

#[tokio::test]
async fn submit_answers_202_with_the_spec_fields_and_charges_30() {
    let emu = start().await;
    let before = emu.stats().credits_balance;
    let a = submit(&emu, &body()).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text);
    let v = a.json();
    // Exactly the fields of the spec's 202 example, no more.
    let mut keys: Vec<&str> = v
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "channel",
            "credits_used",
            "id",
            "model",
            "quality_tier",
            "status"
        ]
    );
    assert_eq!(a.header("content-type"), Some("application/json"));
    assert!(v["id"].as_str().is_some_and(|id| id.starts_with("sd2_")));
    assert_eq!(v["status"], "processing");
    assert_eq!(v["model"], "seedance2");
    assert_eq!(v["quality_tier"], "standard");
    assert_eq!(v["channel"], "standard");
    assert_eq!(v["credits_used"], 30);
    let s = emu.stats();
    assert_eq!(s.tasks_created, 1);
    assert_eq!(s.credits_charged, 30);
    assert_eq!(s.credits_balance, before - 30);
}

#[tokio::test]
async fn defaults_apply_to_a_minimal_body() {
    let emu = start().await;
    let a = submit(&emu, &json!({"prompt": "A cat on a windowsill at dusk"})).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text);
    assert_eq!(a.json()["credits_used"], 30); // standard, 5 s, 720p
}

#[tokio::test]
async fn price_grows_with_tier_resolution_and_duration() {
    let emu = start().await;
    let cost = |tier: &str, res: &str, dur: &str| {
        let mut b = body();
        b["quality_tier"] = json!(tier);
        b["resolution"] = json!(res);
        b["duration"] = json!(dur);
        b
    };
    let mut prices = Vec::new();
    for b in [
        cost("mini", "720p", "5"),
        cost("standard", "720p", "5"),
        cost("pro", "720p", "5"),
        cost("pro", "4k", "5"),
        cost("pro", "4k", "15"),
    ] {
        let a = submit(&emu, &b).await;
        assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text);
        prices.push(a.json()["credits_used"].as_u64().expect("credits"));
    }
    assert!(prices.windows(2).all(|w| w[0] < w[1]), "{prices:?}");
    assert_eq!(prices[1], 30);
    assert_eq!(emu.stats().credits_charged, prices.iter().sum::<u64>());
}

#[tokio::test]
async fn keys_missing_invalid_and_revoked_get_401() {
    let emu = start().await;
    let c = client();
    let url = format!("{}{SUBMIT}", emu.base_url());
    let none = answer(c.post(&url).json(&body()).send().await.expect("send")).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.error_code(), "unauthorized");
    let basic = answer(
        c.post(&url)
            .basic_auth("x", Some("y"))
            .json(&body())
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(basic.status, StatusCode::UNAUTHORIZED);
    for key in ["sk_live_nope", REVOKED_TEST_KEY] {
        let a = submit_raw(&emu, key, None, &body()).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{key}");
        assert_eq!(a.error_code(), "unauthorized");
        let g = get_task(&emu, key, "sd2_x").await;
        assert_eq!(g.status, StatusCode::UNAUTHORIZED);
    }
    assert!(submit_raw(&emu, REVOKED_TEST_KEY, None, &body())
        .await
        .json()["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("revoked")));
    assert_eq!(emu.stats().tasks_created, 0);
    assert_eq!(emu.total_stats().unauthorized, 7);
}

#[tokio::test]
async fn keys_of_one_account_share_tasks_and_balance() {
    let emu = start().await;
    let a = submit_raw(&emu, emu.api_key(), None, &body()).await;
    let id = a.json()["id"].as_str().expect("id").to_owned();
    let b = get_task(&emu, DEFAULT_TEST_KEY_2, &id).await;
    assert_eq!(b.status, StatusCode::OK);
    assert_eq!(b.json()["id"], json!(id));
    // A submit with the second key is charged to the same balance.
    assert_eq!(
        submit_raw(&emu, DEFAULT_TEST_KEY_2, None, &body())
            .await
            .status,
        StatusCode::ACCEPTED
    );
    let s = emu.stats();
    assert_eq!(s.requests, 3);
    assert_eq!(
        (s.tasks_created, s.credits_balance),
        (2, seedance_emulator::DEFAULT_CREDITS - 60)
    );
}

#[tokio::test]
async fn another_accounts_task_and_unknown_ids_are_404() {
    let emu = fast()
        .account(Account::new("acct_other").key("sk_test_other").credits(100))
        .start()
        .await
        .expect("start");
    let id = submit_id(&emu, &body()).await;
    let other = get_task(&emu, "sk_test_other", &id).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert_eq!(other.error_code(), "not_found");
    let unknown = get_task(&emu, emu.api_key(), "sd2_doesnotexist").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.error_code(), "not_found");
    // Another account's balance is its own.
    assert_eq!(
        emu.account_stats("acct_other").map(|s| s.credits_balance),
        Some(100)
    );
}

#[tokio::test]
async fn insufficient_credits_is_402_and_creates_nothing() {
    let emu = fast()
        .account(Account::new("acct_poor").key("sk_test_poor").credits(29))
        .start()
        .await
        .expect("start");
    let a = submit_raw(&emu, NO_CREDITS_TEST_KEY, Some("k1"), &body()).await;
    assert_eq!(a.status, StatusCode::PAYMENT_REQUIRED, "{}", a.text);
    assert_eq!(a.error_code(), "insufficient_credits");
    let b = submit_raw(&emu, "sk_test_poor", Some("k1"), &body()).await;
    assert_eq!(b.status, StatusCode::PAYMENT_REQUIRED);
    let poor = emu.account_stats("acct_poor").expect("acct");
    assert_eq!(
        (
            poor.tasks_created,
            poor.credits_balance,
            poor.insufficient_credits
        ),
        (0, 29, 1)
    );
    // After a top-up the same key is free to use (a 402 is not remembered).
    assert!(emu.set_credits("acct_poor", 30));
    let c = submit_raw(&emu, "sk_test_poor", Some("k1"), &body()).await;
    assert_eq!(c.status, StatusCode::ACCEPTED, "{}", c.text);
    assert_eq!(
        emu.account_stats("acct_poor").map(|s| s.credits_balance),
        Some(0)
    );
}

async fn expect_400(emu: &seedance_emulator::Emulator, req: reqwest::RequestBuilder, needle: &str) {
    let a = answer(req.send().await.expect("send")).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text);
    assert_eq!(a.error_code(), "invalid_request");
    let msg = a.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        msg.contains(needle),
        "message {msg:?} should contain {needle:?}"
    );
    assert_eq!(emu.stats().tasks_created, 0);
}

#[tokio::test]
async fn transport_level_bad_input_is_400_invalid_request() {
    let emu = start().await;
    let c = client();
    let url = format!("{}{SUBMIT}", emu.base_url());
    let post = || c.post(&url).bearer_auth(emu.api_key());
    // Unknown field.
    let mut b = body();
    b["teamSlug"] = json!("x");
    expect_400(&emu, post().json(&b), "teamSlug").await;
    // Wrong JSON types.
    let mut b = body();
    b["duration"] = json!(5);
    expect_400(&emu, post().json(&b), "duration").await;
    let mut b = body();
    b["generate_audio"] = json!("yes");
    expect_400(&emu, post().json(&b), "invalid type").await;
    let mut b = body();
    b["media_urls"] = json!("https://example.com/a.png");
    expect_400(&emu, post().json(&b), "invalid type").await;
    // Missing prompt.
    expect_400(
        &emu,
        post().json(&json!({"mode": "text-to-video"})),
        "prompt",
    )
    .await;
    // Malformed JSON and non-object JSON.
    expect_400(
        &emu,
        post()
            .header("content-type", "application/json")
            .body("{\"prompt\": "),
        "malformed JSON",
    )
    .await;
    expect_400(
        &emu,
        post()
            .header("content-type", "application/json")
            .body("[1,2]"),
        "JSON object",
    )
    .await;
    expect_400(
        &emu,
        post().header("content-type", "application/json").body(""),
        "malformed JSON",
    )
    .await;
    // Wrong or missing content type.
    expect_400(
        &emu,
        post()
            .header("content-type", "text/plain")
            .body(body().to_string()),
        "Content-Type",
    )
    .await;
    expect_400(&emu, post().body(body().to_string()), "Content-Type").await;
    // Oversized body.
    let mut b = body();
    b["prompt"] = json!("x".repeat(400 * 1024));
    expect_400(&emu, post().json(&b), "too large").await;
    // Bad idempotency key.
    expect_400(
        &emu,
        post()
            .header("Idempotency-Key", "k".repeat(300))
            .json(&body()),
        "Idempotency-Key",
    )
    .await;
    expect_400(
        &emu,
        post().header("Idempotency-Key", "a b").json(&body()),
        "Idempotency-Key",
    )
    .await;
    // Charset parameter is fine.
    let ok = answer(
        post()
            .header("content-type", "application/json; charset=utf-8")
            .body(body().to_string())
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(ok.status, StatusCode::ACCEPTED, "{}", ok.text);
    assert_eq!(emu.stats().invalid_requests, 13);
}

#[tokio::test]
async fn every_seedance_core_rule_is_enforced() {
    let emu = start().await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({"prompt": "hi"}), "prompt"),
        (json!({"prompt": "x".repeat(10_001)}), "prompt"),
        (
            json!({"prompt": "A glass train", "resolution": "4k"}),
            "resolution",
        ),
        (
            json!({"prompt": "A glass train", "quality_tier": "ultra"}),
            "quality_tier",
        ),
        (
            json!({"prompt": "A glass train", "aspect_ratio": "2:1"}),
            "aspect_ratio",
        ),
        (
            json!({"prompt": "A glass train", "duration": "3"}),
            "duration",
        ),
        (
            json!({"prompt": "A glass train", "duration": "16"}),
            "duration",
        ),
        (
            json!({"prompt": "A glass train", "mode": "image-to-video"}),
            "image_url",
        ),
        (
            json!({"prompt": "A glass train", "mode": "media-to-video"}),
            "media_urls",
        ),
        (
            json!({"prompt": "A glass train", "mode": "image-to-video", "image_url": "http://example.com/a.png"}),
            "image_url",
        ),
        (
            json!({"prompt": "A glass train", "mode": "image-to-video", "image_url": "https://127.0.0.1/a.png"}),
            "image_url",
        ),
        (
            json!({"prompt": "A glass train", "seed": 1, "channel": "real"}),
            "seed",
        ),
        (
            json!({"prompt": "A glass train", "seed": 1, "quality_tier": "mini"}),
            "seed",
        ),
        (
            json!({"prompt": "A glass train", "seed": 4_294_967_296_i64}),
            "seed",
        ),
        (
            json!({"prompt": "A glass train", "media_urls": ["https://example.com/a.png"]}),
            "media_urls",
        ),
    ];
    for (b, field) in cases {
        let a = submit(&emu, &b).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{b} -> {}", a.text);
        assert_eq!(a.error_code(), "invalid_request");
        assert!(
            a.json()["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains(field),
            "{b}: {}",
            a.text
        );
    }
    assert_eq!(emu.stats().tasks_created, 0);
    assert_eq!(emu.stats().credits_charged, 0);
}

#[tokio::test]
async fn content_policy_refusals_are_400_without_charge() {
    let emu = start().await;
    let mut b = body();
    b["prompt"] = json!("A portrait [refuse] of a celebrity");
    let a = submit(&emu, &b).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("content policy"));
    let b = json!({"prompt": "She turns and smiles", "mode": "image-to-video",
                   "image_url": "https://images.example.com/real-person/face.jpg"});
    let a = submit(&emu, &b).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text);
    assert_eq!(a.error_code(), "invalid_request");
    assert!(a.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("real person"));
    let s = emu.stats();
    assert_eq!((s.tasks_created, s.credits_charged), (0, 0));
    // Configurable: off.
    emu.configure(|c| c.real_person_marker = None);
    assert_eq!(submit(&emu, &b).await.status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn a_task_completes_after_its_render_time_with_outputs_on_the_cdn() {
    // 1.05 s renders: the first read comes well before the end even on a loaded machine
    // (a test client can take a while to build).
    let emu = fast()
        .time_scale(seedance_core::rules::TimeScale::new(100.0).unwrap())
        .start()
        .await
        .expect("start");
    let v = submit(&emu, &body()).await.json();
    let id = v["id"].as_str().expect("id").to_owned();
    let first = get_task(&emu, emu.api_key(), &id).await.json();
    assert_eq!(first["status"], "processing");
    assert!(first.get("output").is_none_or(Value::is_null));
    let done = wait_done(&emu, emu.api_key(), &id).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["credits_used"], 30);
    assert_eq!(done["credits_refunded"], 0);
    assert!(done["error"].is_null());
    let video = done["output"]["video_url"].as_str().expect("video_url");
    let frame = done["output"]["last_frame_url"]
        .as_str()
        .expect("last_frame_url");
    assert!(video.starts_with(&emu.cdn_url()) && !video.starts_with(&emu.base_url()));
    assert!(frame.starts_with(&emu.cdn_url()));
    assert!(done["output"]["seed"].is_i64());
    // The spec's format, in UTC, now; `updated_at` is the end of the render (105 s at
    // standard/5 s/720p, here 100× faster); while processing it is `created_at`.
    let created = epoch_ms(&done["created_at"]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    assert!(
        (now - 60_000..=now).contains(&created),
        "{}",
        done["created_at"]
    );
    let rendered = epoch_ms(&done["updated_at"]) - created;
    assert!(
        (1049..=1051).contains(&rendered),
        "render took {rendered} ms"
    );
    assert_eq!(first["created_at"], done["created_at"]);
    assert_eq!(first["updated_at"], first["created_at"]);
    let s = emu.stats();
    assert_eq!((s.tasks_completed, s.tasks_failed), (1, 0));
}

#[tokio::test]
async fn render_time_follows_the_core_model_and_time_scale() {
    // 105 s / 2000 = 52.5 ms for standard 5 s 720p; pro 4k 15 s: the core's model / 2000.
    let emu = fast()
        .time_scale(seedance_core::rules::TimeScale::new(2000.0).unwrap())
        .start()
        .await
        .expect("start");
    let quick = submit_id(&emu, &body()).await;
    let mut b = body();
    b["quality_tier"] = json!("pro");
    b["resolution"] = json!("4k");
    b["duration"] = json!("15");
    let slow = submit_id(&emu, &b).await;
    let t = emu.task_timings();
    assert_eq!(
        (t[0].id.as_str(), t[1].id.as_str()),
        (quick.as_str(), slow.as_str())
    );
    use seedance_core::{expected_render_secs, QualityTier as Q, Resolution as R};
    let model = |q, r, d| expected_render_secs(&q, &r, d) * 1000.0 / 2000.0;
    assert!((t[0].render_ms - 52.5).abs() < 1e-6, "{t:?}");
    assert!(
        (t[1].render_ms - model(Q::Pro, R::K4, 15)).abs() < 1e-6,
        "{t:?}"
    );
    assert!(t[1].render_ms > 4.0 * t[0].render_ms, "{t:?}");
    for id in [&quick, &slow] {
        let done = wait_done(&emu, emu.api_key(), id).await;
        assert_eq!(done["status"], "completed");
    }
    // each was first seen done no earlier than its render time
    for t in emu.task_timings() {
        assert!(
            t.first_seen_done_ms.is_some_and(|s| s >= t.render_ms),
            "{t:?}"
        );
    }
}

#[tokio::test]
async fn seed_is_echoed() {
    let emu = start().await;
    let mut b = body();
    b["seed"] = json!(123);
    let id = submit_id(&emu, &b).await;
    assert_eq!(
        wait_done(&emu, emu.api_key(), &id).await["output"]["seed"],
        123
    );
}

#[tokio::test]
async fn failure_marker_fails_the_task_and_refunds() {
    let emu = start().await;
    let mut b = body();
    b["prompt"] = json!("A glass train [fail] crossing a bridge");
    let id = submit_id(&emu, &b).await;
    assert_eq!(
        emu.stats().credits_balance,
        seedance_emulator::DEFAULT_CREDITS - 30
    );
    let done = wait_done(&emu, emu.api_key(), &id).await;
    assert_eq!(done["status"], "failed");
    assert_eq!(done["credits_refunded"], 30);
    assert!(done["output"].is_null());
    assert!(done["error"]["code"]
        .as_str()
        .is_some_and(|c| !c.is_empty()));
    assert!(done["error"]["message"]
        .as_str()
        .is_some_and(|c| !c.is_empty()));
    let s = emu.stats();
    assert_eq!(
        (s.tasks_failed, s.credits_refunded, s.credits_balance),
        (1, 30, seedance_emulator::DEFAULT_CREDITS)
    );
}

#[tokio::test]
async fn refunds_happen_without_polling_and_failure_probability_applies() {
    let emu = fast()
        .failure_probability(1.0)
        .start()
        .await
        .expect("start");
    submit(&emu, &body()).await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let s = emu.stats();
    assert_eq!((s.tasks_failed, s.credits_refunded), (1, 30));
}

#[tokio::test]
async fn wrong_methods_and_unknown_paths() {
    let emu = start().await;
    let c = client();
    let a = answer(
        c.get(format!("{}{SUBMIT}", emu.base_url()))
            .bearer_auth(emu.api_key())
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        a.headers.get("allow").and_then(|v| v.to_str().ok()),
        Some("POST")
    );
    let a = answer(
        c.delete(format!("{}/api/v1/tasks/sd2_x", emu.base_url()))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    let a = answer(
        c.get(format!("{}/api/v2/nothing", emu.base_url()))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.error_code(), "not_found");
}

/// Milliseconds since the epoch of a `2026-06-03T10:00:00.000Z` timestamp (asserting that
/// exact shape: UTC, milliseconds, `Z`).
fn epoch_ms(v: &Value) -> i64 {
    let s = v.as_str().expect("a timestamp string");
    let b = s.as_bytes();
    let shape = b"dddd-dd-ddTdd:dd:dd.dddZ";
    assert!(
        b.len() == shape.len()
            && b.iter().zip(shape).all(|(c, want)| match want {
                b'd' => c.is_ascii_digit(),
                _ => c == want,
            }),
        "{s} is not in the spec's format"
    );
    let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().expect("digits");
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    // Days from the civil date (H. Hinnant), written independently of the emulator's.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 24 + n(11..13)) * 60 + n(14..16)) * 60_000 + n(17..19) * 1000 + n(20..23)
}
