//! Promise 2: never rate-limited by ourselves.

use std::time::{Duration, Instant};

use seedance_core::{Mode, VideoRequest};
use seedance_emulator::{Endpoint, Fault, FaultKind};
use seedance_http::{GenerateOptions, SubmitOptions};

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clones_share_one_budget_and_cause_no_429() {
    let emu = emulator().await;
    let client = client(&emu);
    let t0 = Instant::now();
    let jobs = (0..24).map(|i| {
        let c = client.clone(); // clones share the budget
        async move {
            c.generate(
                &request_with(&format!("Job {i}: a train on a bridge")),
                GenerateOptions::default(),
            )
            .await
        }
    });
    for r in futures_util::future::join_all(jobs).await {
        r.unwrap();
    }
    let s = emu.stats();
    assert_eq!(s.rate_limited, 0, "{s:?}");
    assert_eq!(s.tasks_created, 24);
    assert!(s.requests >= 48, "{s:?}");
    // 48+ requests at 30 per second cannot take less than one window
    assert!(t0.elapsed() >= WINDOW, "{:?}", t0.elapsed());
    assert_eq!(client.requests_sent(), Some(s.requests));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_budget_the_same_burst_is_rate_limited() {
    // the control experiment: the test above can fail
    let emu = emulator().await;
    let client = builder(&emu)
        .no_rate_limit()
        .max_retries(0)
        .build()
        .unwrap();
    let missing: seedance_core::TaskId = "sd2_missing".into();
    let calls = (0..40).map(|_| client.get_task(&missing));
    let results = futures_util::future::join_all(calls).await;
    assert!(results
        .iter()
        .any(|r| matches!(r, Err(e) if e.status() == Some(429))));
    assert!(emu.stats().rate_limited > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_from_elsewhere_pauses_every_request() {
    let emu = emulator().await;
    let rec = Recorder::default();
    let client = builder(&emu).on_event(rec.hook()).build().unwrap();
    let task = client
        .submit(&request(), SubmitOptions::default())
        .await
        .unwrap();
    emu.inject(
        Fault::new(
            Endpoint::Any,
            FaultKind::RateLimited {
                retry_after_secs: 1,
            },
        )
        .times(1),
    );
    let t0 = Instant::now();
    let first = tokio::spawn({
        let c = client.clone();
        let id = task.id.clone();
        async move { c.get_task(&id).await }
    });
    // once the first call has met the 429 (not after a guessed sleep)…
    while rec.retries().is_empty() {
        assert!(t0.elapsed() < Duration::from_secs(5), "no 429 met");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // …calls started during the pause wait for it: they never reach the server early
    let calls = (0..5).map(|_| client.get_task(&task.id));
    for r in futures_util::future::join_all(calls).await {
        r.unwrap();
        assert!(t0.elapsed() >= Duration::from_secs(1), "{:?}", t0.elapsed());
    }
    first.await.unwrap().unwrap();
    assert!(t0.elapsed() >= Duration::from_secs(1));
    assert_eq!(emu.stats().rate_limited, 1, "only the injected 429");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_media_submits_have_their_own_budget() {
    let emu = emulator().await;
    let client = client(&emu);
    let t0 = Instant::now();
    let submits = (0..5).map(|i| {
        let c = client.clone();
        async move {
            let req = VideoRequest::builder(format!("Shot {i}: the train from the photo moves"))
                .mode(Mode::ImageToVideo)
                .image_url(format!("https://images.example.com/frame{i}.png"))
                .build()
                .unwrap();
            c.submit(&req, SubmitOptions::default()).await
        }
    });
    for r in futures_util::future::join_all(submits).await {
        r.unwrap();
    }
    let s = emu.stats();
    assert_eq!(s.media_rate_limited, 0, "{s:?}");
    assert_eq!(s.rate_limited, 0, "{s:?}");
    assert!(
        t0.elapsed() >= WINDOW,
        "5 media submits at 3 per window: {:?}",
        t0.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_caused_by_another_client_of_the_account_pauses_the_budget() {
    // No injected fault: another process on the same account (its own budget) spends
    // the whole server window; our client meets one real 429 with the server's real
    // Retry-After, and every request it makes meanwhile waits for it.
    let emu = emulator().await;
    let ours = client(&emu);
    let task = ours
        .submit(&request(), SubmitOptions::default())
        .await
        .unwrap();
    let other = builder(&emu)
        .no_rate_limit()
        .max_retries(0)
        .build()
        .unwrap();
    let burn = (0..40).map(|_| other.get_task(&task.id));
    let burned = futures_util::future::join_all(burn).await;
    assert!(burned.iter().any(|r| r.is_err()), "the window is spent");
    let limited_by_other = emu.stats().rate_limited;
    assert!(limited_by_other > 0);

    let rec = Recorder::default();
    let ours = builder(&emu).on_event(rec.hook()).build().unwrap();
    let t0 = Instant::now();
    let first = tokio::spawn({
        let c = ours.clone();
        let id = task.id.clone();
        async move { c.get_task(&id).await }
    });
    // once it has met the 429, start 10 more calls: they must wait out the pause
    while rec.retries().is_empty() {
        assert!(t0.elapsed() < Duration::from_secs(5), "no 429 met");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let calls = (0..10).map(|_| ours.get_task(&task.id));
    for r in futures_util::future::join_all(calls).await {
        assert_eq!(r.unwrap().id, task.id);
    }
    assert_eq!(first.await.unwrap().unwrap().id, task.id);
    let retries = rec.retries();
    assert_eq!(
        retries.len(),
        1,
        "only the first call met a 429: {retries:?}"
    );
    assert!(retries[0].0.contains("429") || retries[0].0.contains("rate_limited"));
    assert!(retries[0].1 >= Duration::from_secs(1), "{retries:?}");
    assert!(t0.elapsed() >= retries[0].1, "{:?}", t0.elapsed());
    assert_eq!(
        emu.stats().rate_limited,
        limited_by_other + 1,
        "ours caused exactly the one 429 it met"
    );
}
