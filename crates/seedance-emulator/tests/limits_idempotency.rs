//! Rate limits (account-wide and reference-media) and idempotency, from the spec.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use seedance_core::rules::{conflict_reason, ConflictReason};
use seedance_emulator::Emulator;
use serde_json::json;

fn media_body() -> serde_json::Value {
    json!({"prompt": "She turns toward the camera", "mode": "image-to-video",
           "image_url": "https://images.example.com/start.png"})
}

#[tokio::test]
async fn the_account_limit_counts_every_endpoint_and_429_creates_no_task() {
    let emu = start_with_rate_limit(5, Duration::from_secs(2)).await;
    let id = submit_id(&emu, &body()).await;
    for _ in 0..2 {
        assert_eq!(get_status(&emu, &id).await, StatusCode::OK);
    }
    // The second key of the same account shares the budget.
    assert_eq!(
        get_task(&emu, seedance_emulator::DEFAULT_TEST_KEY_2, &id)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(submit(&emu, &body()).await.status, StatusCode::ACCEPTED); // 5th
    let a = submit(&emu, &body()).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.text);
    assert_eq!(a.error_code(), "rate_limited");
    let ra = a.retry_after().expect("integer Retry-After");
    assert!((1..=2).contains(&ra), "Retry-After {ra}");
    let g = get_task(&emu, emu.api_key(), &id).await;
    assert_eq!(g.status, StatusCode::TOO_MANY_REQUESTS);
    let s = emu.stats();
    assert_eq!(
        (s.tasks_created, s.rate_limited, s.credits_charged),
        (2, 2, 60)
    );
    // Another account is not affected.
    assert_eq!(
        submit_raw(&emu, seedance_emulator::NO_CREDITS_TEST_KEY, None, &body())
            .await
            .status,
        StatusCode::PAYMENT_REQUIRED
    );
    // After Retry-After a slot is free again.
    tokio::time::sleep(Duration::from_secs(ra)).await;
    assert_eq!(submit(&emu, &body()).await.status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn retry_after_is_the_real_time_until_a_slot_frees() {
    let emu = Emulator::builder()
        .rate_limit(2, Duration::from_secs(10))
        .start()
        .await
        .expect("start");
    assert_eq!(get_status(&emu, "x").await, StatusCode::NOT_FOUND);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(get_status(&emu, "x").await, StatusCode::NOT_FOUND);
    let a = get_task(&emu, emu.api_key(), "x").await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    // The first request frees its slot 10 s after it was made: about 8.8 s from now → 9.
    assert!(
        a.retry_after().is_some_and(|s| (8..=9).contains(&s)),
        "{:?}",
        a.retry_after()
    );
}

#[tokio::test]
async fn the_reference_media_limit_applies_only_to_submits_with_media() {
    // The media limit is left at the spec's default, 3 per 60 s.
    let emu = start_with_rate_limit(100, Duration::from_secs(60)).await;
    for _ in 0..3 {
        assert_eq!(
            submit(&emu, &media_body()).await.status,
            StatusCode::ACCEPTED
        );
    }
    let a = submit(&emu, &media_body()).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(a.error_code(), "rate_limited");
    assert!(a.retry_after().is_some_and(|s| (59..=60).contains(&s)));
    let mut end = media_body();
    end["end_image_url"] = json!("https://images.example.com/end.png");
    assert_eq!(
        submit(&emu, &end).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let m = json!({"prompt": "Extend the clip", "mode": "media-to-video", "media_urls": ["https://v.example.com/a.mp4"]});
    assert_eq!(submit(&emu, &m).await.status, StatusCode::TOO_MANY_REQUESTS);
    // Text-to-video is not limited by it.
    assert_eq!(submit(&emu, &body()).await.status, StatusCode::ACCEPTED);
    let s = emu.stats();
    assert_eq!((s.tasks_created, s.media_rate_limited), (4, 3));
}

#[tokio::test]
async fn limits_can_be_turned_off() {
    let emu = Emulator::builder()
        .time_scale(seedance_core::rules::TimeScale::new(1000.0).unwrap())
        .no_rate_limit()
        .no_media_rate_limit()
        .start()
        .await
        .expect("start");
    for _ in 0..40 {
        assert_eq!(get_status(&emu, "x").await, StatusCode::NOT_FOUND);
    }
    for _ in 0..5 {
        assert_eq!(
            submit(&emu, &media_body()).await.status,
            StatusCode::ACCEPTED
        );
    }
    assert_eq!(emu.stats().rate_limited, 0);
    // And back on at runtime.
    emu.configure(|c| {
        c.rate_limit = Some(seedance_emulator::RateLimit::new(
            1,
            Duration::from_secs(30),
        ))
    });
    assert_eq!(get_status(&emu, "x").await, StatusCode::NOT_FOUND);
    assert_eq!(get_status(&emu, "x").await, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_default_limits_are_the_specs() {
    let emu = Emulator::builder().start().await.expect("start");
    let c = emu.config();
    let l = c.rate_limit.expect("on");
    assert_eq!((l.requests, l.window), (30, Duration::from_secs(60)));
    let m = c.media_rate_limit.expect("on");
    assert_eq!((m.requests, m.window), (3, Duration::from_secs(60)));
    for _ in 0..30 {
        assert_eq!(get_status(&emu, "x").await, StatusCode::NOT_FOUND);
    }
    let a = get_task(&emu, emu.api_key(), "x").await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(a.retry_after().is_some_and(|s| (59..=60).contains(&s)));
}

#[tokio::test]
async fn same_key_same_body_replays_the_first_response_without_a_second_charge() {
    let emu = start().await;
    let first = submit_raw(&emu, emu.api_key(), Some("demo-video-001"), &body()).await;
    assert_eq!(first.status, StatusCode::ACCEPTED);
    // Same body with another key order and spacing: the same fingerprint.
    let reordered: serde_json::Value = serde_json::from_str(
        r#"{"resolution":"720p","duration":"5","aspect_ratio":"16:9",
            "prompt":"A cinematic shot of a glass train crossing a snowy mountain bridge",
            "quality_tier":"standard","mode":"text-to-video"}"#,
    )
    .expect("json");
    let again = submit_raw(&emu, emu.api_key(), Some("demo-video-001"), &reordered).await;
    assert_eq!(again.status, first.status);
    assert_eq!(again.text, first.text);
    // Another key of the same account sees the same key space.
    let third = submit_raw(
        &emu,
        seedance_emulator::DEFAULT_TEST_KEY_2,
        Some("demo-video-001"),
        &body(),
    )
    .await;
    assert_eq!(third.text, first.text);
    let s = emu.stats();
    assert_eq!(
        (s.tasks_created, s.credits_charged, s.idempotent_replays),
        (1, 30, 2)
    );
}

#[tokio::test]
async fn same_key_different_body_is_409() {
    let emu = start().await;
    assert_eq!(
        submit_raw(&emu, emu.api_key(), Some("k"), &body())
            .await
            .status,
        StatusCode::ACCEPTED
    );
    let mut other = body();
    other["duration"] = json!("6");
    let a = submit_raw(&emu, emu.api_key(), Some("k"), &other).await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert_eq!(a.error_code(), "idempotency_conflict");
    // In the words clients read (Reading R18): another body, final.
    assert_eq!(conflict_reason(&a.message()), ConflictReason::BodyMismatch);
    assert_eq!(emu.stats().tasks_created, 1);
}

#[tokio::test]
async fn keys_are_per_account() {
    let emu = fast()
        .account(
            seedance_emulator::Account::new("acct_b")
                .key("sk_test_b")
                .credits(100),
        )
        .start()
        .await
        .expect("start");
    let a = submit_raw(&emu, emu.api_key(), Some("shared"), &body()).await;
    let b = submit_raw(&emu, "sk_test_b", Some("shared"), &body()).await;
    assert_eq!(
        (a.status, b.status),
        (StatusCode::ACCEPTED, StatusCode::ACCEPTED)
    );
    assert_ne!(a.json()["id"], b.json()["id"]);
}

#[tokio::test]
async fn same_key_while_the_first_is_in_flight_is_409() {
    let emu = start().await;
    delay_first_submit(&emu, Duration::from_millis(600));
    let e2 = emu.base_url();
    let first = tokio::spawn(async move {
        let r = send_submit(
            &e2,
            seedance_emulator::DEFAULT_TEST_KEY,
            Some("slow"),
            &body(),
        )
        .await;
        answer(r.expect("send")).await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = submit_raw(&emu, emu.api_key(), Some("slow"), &body()).await;
    assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.text);
    assert_eq!(second.error_code(), "idempotency_conflict");
    // In the words clients read (Reading R18): the first is still running.
    assert_eq!(conflict_reason(&second.message()), ConflictReason::InFlight);
    let first = first.await.expect("join");
    assert_eq!(first.status, StatusCode::ACCEPTED);
    // Once finished, the same key replays.
    let third = submit_raw(&emu, emu.api_key(), Some("slow"), &body()).await;
    assert_eq!(third.text, first.text);
    assert_eq!(emu.stats().tasks_created, 1);
}

#[tokio::test]
async fn without_a_key_every_post_is_a_new_task() {
    let emu = start().await;
    let a = submit_raw(&emu, emu.api_key(), None, &body()).await;
    let b = submit_raw(&emu, emu.api_key(), None, &body()).await;
    assert_eq!(
        (a.status, b.status),
        (StatusCode::ACCEPTED, StatusCode::ACCEPTED)
    );
    assert_ne!(a.json()["id"], b.json()["id"]);
    assert_eq!(emu.stats().credits_charged, 60);
}

#[tokio::test]
async fn a_refused_request_leaves_the_key_free_and_retention_expires_keys() {
    let emu = fast()
        .idempotency_retention(Duration::from_millis(300))
        .start()
        .await
        .expect("start");
    let mut bad = body();
    bad["resolution"] = json!("4k");
    assert_eq!(
        submit_raw(&emu, emu.api_key(), Some("k"), &bad)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let first = submit_raw(&emu, emu.api_key(), Some("k"), &body()).await;
    assert_eq!(first.status, StatusCode::ACCEPTED);
    assert_eq!(
        submit_raw(&emu, emu.api_key(), Some("k"), &body())
            .await
            .text,
        first.text
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let later = submit_raw(&emu, emu.api_key(), Some("k"), &body()).await;
    assert_eq!(later.status, StatusCode::ACCEPTED);
    assert_ne!(later.json()["id"], first.json()["id"]);
}

#[tokio::test]
async fn a_429_does_not_take_the_idempotency_key() {
    let emu = Emulator::builder()
        .time_scale(seedance_core::rules::TimeScale::new(1000.0).unwrap())
        .media_rate_limit(1, Duration::from_millis(500))
        .start()
        .await
        .expect("start");
    assert_eq!(
        submit(&emu, &media_body()).await.status,
        StatusCode::ACCEPTED
    );
    let a = submit_raw(&emu, emu.api_key(), Some("m"), &media_body()).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let b = submit_raw(&emu, emu.api_key(), Some("m"), &media_body()).await;
    assert_eq!(b.status, StatusCode::ACCEPTED, "{}", b.text);
}

/// Reading R7: a request refused with 401 has no account (its key is missing, unknown or
/// revoked), so it uses no account's budget, not even the revoked key's former account.
#[tokio::test]
async fn refused_keys_use_no_account_budget() {
    let emu = start_with_rate_limit(2, Duration::from_secs(60)).await;
    for _ in 0..3 {
        for key in ["sk_live_unknown", seedance_emulator::REVOKED_TEST_KEY] {
            assert_eq!(
                get_task(&emu, key, "x").await.status,
                StatusCode::UNAUTHORIZED
            );
        }
    }
    assert_eq!(get_status(&emu, "x").await, StatusCode::NOT_FOUND);
    assert_eq!(get_status(&emu, "x").await, StatusCode::NOT_FOUND);
    assert_eq!(get_status(&emu, "x").await, StatusCode::TOO_MANY_REQUESTS);
    let s = emu.stats();
    assert_eq!((s.requests, s.rate_limited), (3, 1));
    assert_eq!(emu.total_stats().unauthorized, 6);
}
