//! Render times: drawn from a seeded spread around the model, queued under load, and
//! recorded per task (render time, when first seen done, polls) in the control API.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic
mod common;

use common::{body, client, fast, get_task, submit_id, wait_done};
use seedance_emulator::RenderSpread;

/// The model's time for `body()` (standard, 720p, 5 s) at the fast scale (1000×), in ms.
fn model_ms() -> f64 {
    use seedance_core::{QualityTier, Resolution};
    seedance_core::expected_render_secs(&QualityTier::Standard, &Resolution::P720, 5) * 1000.0
        / 1000.0
}

#[tokio::test]
async fn none_renders_exactly_the_model_and_records_polls_and_first_seen_done() {
    let emu = fast().start().await.expect("start");
    let id = submit_id(&emu, &body()).await;
    let done = wait_done(&emu, emu.api_key(), &id).await;
    assert_eq!(done["status"], "completed");
    // one more read after it was seen done
    let _ = get_task(&emu, emu.api_key(), &id).await;
    let t = emu.task_timings();
    assert_eq!(t.len(), 1);
    let t = &t[0];
    assert_eq!(t.id, id);
    assert!((t.model_ms - model_ms()).abs() < 1e-6, "{t:?}");
    assert_eq!(t.render_ms, t.model_ms);
    assert_eq!((t.queued_ms, t.done_ms), (0.0, t.render_ms));
    let seen = t.first_seen_done_ms.expect("seen done");
    assert!(seen >= t.done_ms, "{t:?}");
    assert!(t.polls >= 2, "{t:?}");
    // the same record over HTTP
    let list: serde_json::Value = client()
        .get(format!("{}/_emulator/tasks", emu.base_url()))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let timing = &list[0]["timing"];
    assert_eq!(timing["polls"], t.polls);
    // JSON numbers round-trip to within an ulp or so (serde_json's fast float parsing)
    let close = |v: &serde_json::Value, want: f64| {
        let got = v.as_f64().expect("a number");
        (got - want).abs() <= 1e-9 * want.abs().max(1.0)
    };
    assert!(
        close(&timing["render_ms"], t.render_ms),
        "{timing} vs {t:?}"
    );
    assert!(
        close(&timing["first_seen_done_ms"], seen),
        "{timing} vs {t:?}"
    );
}

async fn renders(spread: RenderSpread, seed: u64, n: usize) -> Vec<f64> {
    let emu = fast()
        .time_scale(seedance_core::rules::TimeScale::new(1.0).unwrap()) // nothing needs to finish: only the drawn times are read
        .render_spread(spread)
        .render_seed(Some(seed))
        .start()
        .await
        .expect("start");
    for _ in 0..n {
        submit_id(&emu, &body()).await;
    }
    emu.task_timings()
        .iter()
        .map(|t| t.render_ms / t.model_ms)
        .collect()
}

#[tokio::test]
async fn a_seeded_realistic_spread_repeats_and_spreads_around_the_model() {
    let a = renders(RenderSpread::Realistic, 11, 40).await;
    let b = renders(RenderSpread::Realistic, 11, 40).await;
    assert_eq!(a, b, "same seed, same render times");
    let c = renders(RenderSpread::Realistic, 12, 40).await;
    assert_ne!(a, c);
    let min = a.iter().copied().fold(f64::MAX, f64::min);
    let max = a.iter().copied().fold(0.0, f64::max);
    assert!(min >= 0.69 && max > 1.5 && min < 1.0, "{min}..{max}");
}

#[tokio::test]
async fn the_spread_and_queue_are_set_through_the_control_api() {
    let emu = fast()
        .time_scale(seedance_core::rules::TimeScale::new(1.0).unwrap())
        .start()
        .await
        .expect("start");
    let r = client()
        .post(format!("{}/_emulator/config", emu.base_url()))
        .json(&serde_json::json!({
            "render_spread": {"quantiles": {"p5": 0.9, "median": 1.0, "p95": 1.5}},
            "render_seed": 3,
            "render_queue": 1,
        }))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    for _ in 0..3 {
        submit_id(&emu, &body()).await;
    }
    let t = emu.task_timings();
    assert_eq!(t[0].queued_ms, 0.0);
    // one render slot: each waits for the one before it (give or take submit spacing)
    assert!(t[1].queued_ms > t[0].done_ms - 1000.0, "{t:?}");
    assert!(t[2].queued_ms > t[1].done_ms - 1000.0, "{t:?}");
    assert!(t.iter().any(|x| x.render_ms != x.model_ms));
    let bad = client()
        .post(format!("{}/_emulator/config", emu.base_url()))
        .json(&serde_json::json!({"render_spread": {"quantiles": {"p5": 1.0, "median": 1.0, "p95": 2.0}}}))
        .send()
        .await
        .expect("post");
    assert_eq!(bad.status(), 400);
}
