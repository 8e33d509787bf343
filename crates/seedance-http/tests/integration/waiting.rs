//! Promise 3: smart waiting.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use seedance_core::{ErrorCode, TaskStatus};
use seedance_emulator::{Endpoint, Fault, FaultKind};
use seedance_http::{
    Error, Event, GenerateOptions, SubmitOptions, WaitOptions, DEFAULT_WAIT_TIMEOUT,
};

use crate::common::*;

#[tokio::test]
async fn a_generate_polls_on_the_schedule_and_sees_the_render_within_the_bound() {
    // time ×100 (not ×1000): the loopback's latency stays small against 10 % of a render
    let scale = 100.0;
    let emu = seedance_emulator::Emulator::builder()
        .time_scale(seedance_core::rules::TimeScale::new(scale).unwrap())
        .start()
        .await
        .unwrap();
    let client = builder(&emu)
        .poll_schedule(
            seedance_http::PollSchedule::default()
                .time_scale(seedance_core::rules::TimeScale::new(scale).unwrap()),
        )
        .build()
        .unwrap();
    let req = request();
    let render = Duration::from_secs_f64(req.expected_render_secs() / scale);
    let t0 = Instant::now();
    let task = client
        .generate(&req, GenerateOptions::default())
        .await
        .unwrap();
    let took = t0.elapsed();
    assert_eq!(task.status, TaskStatus::Completed);
    assert!(took >= render, "{took:?} < {render:?}");
    assert!(task.raw.is_some(), "raw JSON kept");
    // a cold client (prior only) polls from about 0.6x of the model, each poll 10 %
    // later than the last: a render of exactly the model is seen within 10 % (+ a
    // margin for the loopback's latency) after about 7 polls
    let s = emu.stats();
    let t = &emu.task_timings()[0];
    let late = (t.first_seen_done_ms.unwrap() - t.done_ms) / t.render_ms;
    assert!(
        late <= 0.10 + 0.03,
        "seen {:.1} % of the render late",
        late * 100.0
    );
    assert!(
        s.task_reads >= 2,
        "polled before the model's time too: {s:?}"
    );
    assert!(s.task_reads <= 9, "{s:?}");
    assert_eq!(s.requests, s.task_reads + 1, "one submit: {s:?}");
}

#[tokio::test(start_paused = true)]
async fn a_finished_task_is_seen_within_the_delay_bound_when_the_budget_is_free() {
    // task `sd2_<ms>` ends <ms> (simulated) after the stand-in starts; the clock is paused,
    // so what is measured is the schedule alone
    let t0 = tokio::time::Instant::now();
    let (base, polls) = stand_in_api(move |id| {
        let ms: u64 = id.trim_start_matches("sd2_").parse().unwrap_or(0);
        if t0.elapsed() >= Duration::from_millis(ms) {
            "completed"
        } else {
            "processing"
        }
    })
    .await;
    let client = slow_client(&base);
    let expected = Duration::from_secs(105);
    let mut before = 0;
    for factor in [0.65, 0.8, 1.0, 1.37, 2.5, 6.0] {
        let render = expected.mul_f64(factor);
        let ends = t0.elapsed() + render;
        let id = format!("sd2_{}", ends.as_millis());
        let started = tokio::time::Instant::now();
        client
            .wait(
                &id.into(),
                WaitOptions::default()
                    .expected_render(expected)
                    .no_timeout(),
            )
            .await
            .unwrap();
        let late = started.elapsed().as_secs_f64() / render.as_secs_f64() - 1.0;
        assert!(
            (0.0..=0.10 + 1e-3).contains(&late),
            "{factor}x: seen {late:.3} of the render late"
        );
        let n = polls.load(Ordering::SeqCst) - before;
        before += n;
        // from about 0.6x, 10 % apart: about ln(f / 0.6) / ln(1.1) + 2 (until the 30 s
        // cap makes them closer than 10 %, past 300 s)
        if factor <= 2.5 {
            let most = ((factor / 0.6f64).ln() / 1.1f64.ln()).max(1.0) + 3.0;
            assert!(n as f64 <= most, "{factor}x: {n} polls");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_waits_share_one_poller() {
    let emu = emulator().await;
    let client = client(&emu);
    let mut ids = Vec::new();
    for i in 0..8 {
        let t = client
            .submit(
                &request_with(&format!("Clip {i} of a train")),
                SubmitOptions::default(),
            )
            .await
            .unwrap();
        ids.push(t.id);
    }
    let waits = ids.iter().map(|id| {
        let c = client.clone();
        async move {
            c.wait(
                id,
                WaitOptions::default().expected_render(Duration::from_secs(105)),
            )
            .await
        }
    });
    let watcher = async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        client.waits_in_progress()
    };
    let (results, watched) = tokio::join!(futures_util::future::join_all(waits), watcher);
    for r in results {
        assert_eq!(r.unwrap().status, TaskStatus::Completed);
    }
    assert_eq!(watched, 8, "every wait registered with the one poller");
    let s = emu.stats();
    // one grid for all (about 7 polls for a cold client and a render of exactly the
    // model), not one loop per wait
    assert!(s.task_reads <= 8 * 9, "{s:?}");
    assert_eq!(s.rate_limited, 0);
    assert_eq!(client.waits_in_progress(), 0);
}

#[tokio::test]
async fn events_arrive_as_callback_and_stream() {
    let emu = emulator().await;
    let rec = Recorder::default();
    let client = builder(&emu).on_event(rec.hook()).build().unwrap();
    let mut stream = Box::pin(client.event_stream());
    emu.inject(Fault::new(Endpoint::GetTask, FaultKind::UnknownStatus("queued".into())).times(1));
    emu.inject(Fault::new(Endpoint::GetTask, FaultKind::ServiceBusy503).nth(2));
    client
        .generate(&request(), GenerateOptions::default())
        .await
        .unwrap();
    let events = rec.events();
    assert!(
        matches!(events.first(), Some(Event::Submitted { .. })),
        "{events:?}"
    );
    assert!(events.iter().any(
        |e| matches!(e, Event::Waiting { status: TaskStatus::Other(s), .. } if s == "queued")
    ));
    assert!(events.iter().any(|e| matches!(
        e,
        Event::RetryScheduled {
            operation: "poll",
            ..
        }
    )));
    assert!(
        matches!(events.last(), Some(Event::Completed { .. })),
        "{events:?}"
    );
    let mut streamed = Vec::new();
    while streamed.len() < events.len() {
        streamed.push(stream.next().await.unwrap());
    }
    assert_eq!(format!("{streamed:?}"), format!("{events:?}"));
}

#[tokio::test]
async fn failed_tasks_carry_code_message_and_refund() {
    let emu = emulator().await;
    let client = client(&emu);
    let e = client
        .generate(
            &request_with("A train [fail] on a bridge"),
            GenerateOptions::default(),
        )
        .await
        .unwrap_err();
    match e {
        Error::TaskFailed {
            credits_refunded,
            ref message,
            ..
        } => {
            assert_eq!(credits_refunded, 30);
            assert!(!message.is_empty());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(emu.stats().credits_refunded, 30);
}

#[tokio::test]
async fn r12_statuses_end_the_wait_other_unknown_ones_do_not() {
    let emu = emulator().await;
    let client = client(&emu);
    let t = client
        .submit(&request(), SubmitOptions::default())
        .await
        .unwrap();
    for status in ["cancelled", "canceled", "expired", "aborted"] {
        emu.inject(Fault::new(Endpoint::GetTask, FaultKind::UnknownStatus(status.into())).times(1));
        let e = client
            .wait(&t.id, WaitOptions::default())
            .await
            .unwrap_err();
        match e {
            Error::TaskFailed { code, task_id, .. } => {
                assert_eq!(code, ErrorCode::Other(status.into()));
                assert_eq!(task_id, t.id);
            }
            other => panic!("{status}: {other:?}"),
        }
        emu.clear_faults();
    }
    let reads = emu.stats().task_reads;
    assert_eq!(reads, 4, "each ended the wait at its first sight");
    // any other unknown status keeps waiting (within the bound)
    for status in ["rendering", "queued", "pending", "CANCELLING"] {
        emu.inject(Fault::new(Endpoint::GetTask, FaultKind::UnknownStatus(status.into())).times(2));
    }
    let done = client.wait(&t.id, WaitOptions::default()).await.unwrap();
    assert_eq!(done.status, TaskStatus::Completed);
    assert!(emu.stats().task_reads >= reads + 9, "{:?}", emu.stats());
}

/// A stand-in API answering `GET /api/v1/tasks/{id}` with `status(id)`; counts the polls.
async fn stand_in_api(
    status: impl Fn(&str) -> &'static str + Clone + Send + Sync + 'static,
) -> (String, Arc<AtomicU64>) {
    use axum::extract::Path;
    use axum::routing::get;
    let polls = Arc::new(AtomicU64::new(0));
    let counter = polls.clone();
    let app = axum::Router::new().route(
        "/api/v1/tasks/{id}",
        get(move |Path(id): Path<String>| {
            counter.fetch_add(1, Ordering::SeqCst);
            let status = status(&id);
            async move { axum::Json(serde_json::json!({"id": id, "status": status})) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), polls)
}

/// Tasks that stay `processing` until `done_after` (simulated time), for tests of long
/// bounds under a paused clock.
async fn slow_api(done_after: Duration) -> (String, Arc<AtomicU64>) {
    let t0 = tokio::time::Instant::now();
    stand_in_api(move |_| {
        if t0.elapsed() >= done_after {
            "completed"
        } else {
            "processing"
        }
    })
    .await
}

/// Task `quick_…` is always completed, every other always `processing`.
async fn stuck_api() -> String {
    let (base, _) = stand_in_api(|id| {
        if id.starts_with("quick") {
            "completed"
        } else {
            "processing"
        }
    })
    .await;
    base
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_that_never_end_cannot_starve_the_others() {
    // Ten stuck tasks, long overdue (ever higher "most likely done" scores), re-polled
    // every 2 ms against a budget of 20 per second: the poller is saturated by them.
    // A new task must still get its poll soon after it comes due.
    let base = stuck_api().await;
    let client = seedance_http::Client::builder()
        .no_env()
        .api_key("sk_test_stuck")
        .base_url(&base)
        .retry_policy(fast_retry())
        .rate_limit(2, Duration::from_millis(100))
        .poll_schedule(schedule())
        .build()
        .unwrap();
    let stuck: Vec<_> = (0..10)
        .map(|i| {
            let c = client.clone();
            tokio::spawn(async move {
                c.wait(
                    &format!("stuck_{i}").into(),
                    WaitOptions::default()
                        .expected_render(Duration::from_secs(1))
                        .elapsed(Duration::from_secs(10))
                        .no_timeout(),
                )
                .await
            })
        })
        .collect();
    while client.requests_sent().unwrap() < 10 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let quick = client
        .wait(
            &"quick_1".into(),
            WaitOptions::default()
                .expected_render(Duration::from_secs(100))
                .timeout(Duration::from_secs(5)),
        )
        .await;
    // due after ~0.06 s, polled within the starvation bound (300 s / 1000) plus one turn
    // of the overdue queue (~0.5 s): well inside the 5 s bound (without the guard it
    // is never polled and the wait times out)
    assert_eq!(quick.unwrap().status, TaskStatus::Completed);
    for h in &stuck {
        assert!(!h.is_finished());
    }
    for h in stuck {
        h.abort();
    }
}

fn slow_client(base: &str) -> seedance_http::Client {
    slow_builder(base).build().unwrap()
}

fn slow_builder(base: &str) -> seedance_http::ClientBuilder {
    seedance_http::Client::builder()
        .no_env()
        .api_key("sk_test_slow")
        .base_url(base)
        .retry_policy(fast_retry())
        .timeout(Duration::from_secs(3 * 3600))
}

#[tokio::test(start_paused = true)]
async fn a_wait_is_bounded_by_default_and_the_bound_can_be_lifted() {
    assert_eq!(DEFAULT_WAIT_TIMEOUT, Duration::from_secs(30 * 60));
    assert_eq!(
        WaitOptions::default().timeout,
        seedance_http::WaitTimeout::ClientDefault
    );
    // a task that never ends within the bound: the default wait gives up after it
    let (base, polls) = slow_api(Duration::from_secs(2 * 3600)).await;
    let client = slow_client(&base);
    let t0 = tokio::time::Instant::now();
    let e = client
        .wait(&"sd2_slow".into(), WaitOptions::default())
        .await
        .unwrap_err();
    match e {
        Error::WaitTimeout { waited, .. } => {
            assert!(waited >= DEFAULT_WAIT_TIMEOUT, "{waited:?}");
            assert!(
                waited < DEFAULT_WAIT_TIMEOUT + Duration::from_secs(5),
                "{waited:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(t0.elapsed() < DEFAULT_WAIT_TIMEOUT + Duration::from_secs(5));
    let n = polls.load(Ordering::SeqCst);
    assert!(n >= 10, "it kept polling meanwhile: {n}");
    assert!(n <= 120, "with a capped backoff, not a busy loop: {n}");
    assert_eq!(client.waits_in_progress(), 0);
    // lifted: it waits past the default bound until the task ends
    let (base, _) = slow_api(Duration::from_secs(45 * 60)).await;
    let client = slow_client(&base);
    let t0 = tokio::time::Instant::now();
    let done = client
        .wait(&"sd2_slow".into(), WaitOptions::default().no_timeout())
        .await
        .unwrap();
    assert_eq!(done.status, TaskStatus::Completed);
    assert!(t0.elapsed() >= Duration::from_secs(45 * 60));
}

#[tokio::test]
async fn waits_are_bounded_and_cancellable() {
    let emu = emulator().await;
    let client = client(&emu);
    let t = client
        .submit(&request(), SubmitOptions::default())
        .await
        .unwrap();
    // a bound shorter than the render
    let e = client
        .wait(
            &t.id,
            WaitOptions::default().timeout(Duration::from_millis(20)),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::WaitTimeout { .. }), "{e}");
    // explicit cancel
    let c = client.clone();
    let id = t.id.clone();
    let waiting = tokio::spawn(async move { c.wait(&id, WaitOptions::default()).await });
    while client.waits_in_progress() == 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    client.cancel_all();
    assert!(matches!(waiting.await.unwrap(), Err(Error::Cancelled)));
    // the client still works after cancel_all
    assert!(client.wait(&t.id, WaitOptions::default()).await.is_ok());
}

#[tokio::test]
async fn dropping_a_wait_stops_its_polling() {
    let emu = emulator().await;
    let client = client(&emu);
    let t = client
        .submit(&request(), SubmitOptions::default())
        .await
        .unwrap();
    // a dropped wait before its first poll: nothing is ever sent
    let wait = client.wait(
        &t.id,
        WaitOptions::default().expected_render(Duration::from_secs(60)),
    );
    assert!(tokio::time::timeout(Duration::from_millis(20), wait)
        .await
        .is_err());
    assert_eq!(client.waits_in_progress(), 0);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        emu.stats().task_reads,
        0,
        "no poll after the wait was dropped"
    );
    // a dropped wait in the middle of polling a task that does not end: the polls stop
    emu.inject(Fault::new(
        Endpoint::GetTask,
        FaultKind::UnknownStatus("rendering".into()),
    ));
    let wait = client.wait(
        &t.id,
        WaitOptions::default().expected_render(Duration::from_secs(1)),
    );
    let polling = async {
        while emu.stats().task_reads < 3 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::select! {
        r = wait => panic!("the wait ended: {r:?}"),
        _ = tokio::time::timeout(Duration::from_secs(5), polling) => {}
    }
    // the wait future is dropped here
    let at_drop = emu.stats().task_reads;
    assert!(at_drop >= 3);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let later = emu.stats().task_reads;
    assert!(
        later <= at_drop + 1,
        "polls went on after the drop: {at_drop} then {later}"
    );
    assert_eq!(client.waits_in_progress(), 0);
    // the same 400 ms of a live wait polls many times (the check above can fail)
    let live = client.wait(
        &t.id,
        WaitOptions::default().expected_render(Duration::from_secs(1)),
    );
    let _ = tokio::time::timeout(Duration::from_millis(400), live).await;
    assert!(
        emu.stats().task_reads >= later + 5,
        "{} then {}",
        later,
        emu.stats().task_reads
    );
}

#[tokio::test]
async fn the_client_wide_wait_bound_applies_unless_the_call_sets_one() {
    let emu = emulator().await;
    let client = builder(&emu)
        .wait_timeout(Duration::from_millis(20))
        .build()
        .unwrap();
    let t = client
        .submit(&request(), SubmitOptions::default())
        .await
        .unwrap();
    // the render takes ~0.1 s: the client's 20 ms bound ends a default wait
    let e = client
        .wait(&t.id, WaitOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::WaitTimeout { .. }), "{e}");
    // a call that sets its own bound (here: none) is not cut short
    let done = client
        .wait(&t.id, WaitOptions::default().no_timeout())
        .await
        .unwrap();
    assert_eq!(done.status, TaskStatus::Completed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submits_keep_flowing_while_polls_saturate_the_budget() {
    let emu = emulator().await;
    let client = client(&emu);
    // tasks that never end, expected to take 1 s (model): always due, every 2 ms
    emu.inject(Fault::new(
        Endpoint::GetTask,
        FaultKind::UnknownStatus("rendering".into()),
    ));
    let mut waits = Vec::new();
    for i in 0..6 {
        let t = client
            .submit(
                &request_with(&format!("Stuck clip {i}")),
                SubmitOptions::default(),
            )
            .await
            .unwrap();
        let c = client.clone();
        waits.push(tokio::spawn(async move {
            c.wait(
                &t.id,
                WaitOptions::default()
                    .expected_render(Duration::from_secs(1))
                    .no_timeout(),
            )
            .await
        }));
    }
    // the budget (30 per second) is spent on polls
    while emu.stats().task_reads < 40 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let reads = emu.stats().task_reads;
    let t0 = Instant::now();
    for i in 0..5 {
        client
            .submit(
                &request_with(&format!("Clip {i}")),
                SubmitOptions::default(),
            )
            .await
            .unwrap();
    }
    // each submit waits for at most the one poll queued before it: ~2 slots of 30/s
    // each (a poller served first would hold them back for as long as tasks are due)
    let took = t0.elapsed();
    assert!(took < Duration::from_secs(2), "5 submits took {took:?}");
    // and the polls go on
    let t1 = Instant::now();
    while emu.stats().task_reads <= reads + 5 {
        assert!(t1.elapsed() < Duration::from_secs(3), "polls stopped");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(emu.stats().rate_limited, 0);
    for w in &waits {
        assert!(!w.is_finished());
    }
    for w in waits {
        w.abort();
    }
}

/// A stand-in API whose every task renders in exactly `render` (simulated time): submits
/// answer `sd2_<end in ms>`, polls say `completed` from then on. Returns its base URL
/// and the number of polls so far.
async fn render_api(render: Duration) -> (String, Arc<AtomicU64>) {
    use axum::extract::Path;
    use axum::routing::{get, post};
    let t0 = tokio::time::Instant::now();
    let polls = Arc::new(AtomicU64::new(0));
    let counter = polls.clone();
    let app = axum::Router::new()
        .route(
            "/api/v1/video/seedance2",
            post(move || async move {
                let ends = (t0.elapsed() + render).as_millis();
                (
                    axum::http::StatusCode::ACCEPTED,
                    axum::Json(
                        serde_json::json!({"id": format!("sd2_{ends}"), "status": "processing"}),
                    ),
                )
            }),
        )
        .route(
            "/api/v1/tasks/{id}",
            get(move |Path(id): Path<String>| {
                counter.fetch_add(1, Ordering::SeqCst);
                let ends: u128 = id.trim_start_matches("sd2_").parse().unwrap_or(0);
                let status = if t0.elapsed().as_millis() >= ends {
                    "completed"
                } else {
                    "processing"
                };
                async move { axum::Json(serde_json::json!({"id": id, "status": status})) }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), polls)
}

/// Polls of one generate of the standard request (rendering in exactly its model's time)
/// by a client keeping its profile at `profile`.
async fn polls_of_one_generate(profile: &std::path::Path) -> (u64, seedance_http::Client) {
    let (base, polls) = render_api(Duration::from_secs(105)).await;
    let client = slow_builder(&base)
        .render_profile(Some(profile.to_owned()))
        .build()
        .unwrap();
    client
        .generate(&request(), GenerateOptions::default())
        .await
        .unwrap();
    (polls.load(Ordering::SeqCst), client)
}

/// The profile file as JSON, once the client's last wait has written it.
async fn written(path: &std::path::Path) -> serde_json::Value {
    for _ in 0..100 {
        if let Ok(b) = std::fs::read(path) {
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&b) {
                if v["version"] == 1 {
                    return v;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no profile written at {}", path.display());
}

#[tokio::test(start_paused = true)]
async fn learned_profiles_load_improve_the_schedule_and_corrupt_ones_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    // a cold client (nothing learned: the prior) polls through the early range, learns
    // the render it saw end and writes it down
    let cold_path = dir.path().join("cold").join("render-profile.json");
    let (cold_polls, cold) = polls_of_one_generate(&cold_path).await;
    assert!(
        cold_polls >= 5,
        "a cold client polls from ~0.6x: {cold_polls}"
    );
    assert_eq!(cold.renders_learned(), 1, "the render it saw end");
    let file = written(&cold_path).await;
    let origins = file["origins"].as_object().unwrap();
    assert_eq!(origins.len(), 1, "{file}");
    let brackets = origins.values().next().unwrap()["standard/720p/5s"].clone();
    let [lo, hi] = [
        brackets[0][0].as_f64().unwrap(),
        brackets[0][1].as_f64().unwrap(),
    ];
    assert!(
        lo < 1.0 && 1.0 <= hi && hi <= lo * 1.11,
        "the render was bracketed: {file}"
    );
    // the next run starts informed: many renders of exactly the model were seen before
    // (profiles are kept per scheme and host: every loopback port shares one)
    let warm_path = dir.path().join("render-profile.json");
    let (base, polls) = render_api(Duration::from_secs(105)).await;
    let many: Vec<[f64; 2]> = (0..200).map(|_| [0.97, 1.02]).collect();
    let profile = serde_json::json!({
        "version": 1,
        "origins": { "http://127.0.0.1": { "standard/720p/5s": many } }
    });
    std::fs::write(&warm_path, profile.to_string()).unwrap();
    let warm = slow_builder(&base)
        .render_profile(Some(warm_path.clone()))
        .build()
        .unwrap();
    assert_eq!(warm.renders_learned(), 200);
    warm.generate(&request(), GenerateOptions::default())
        .await
        .unwrap();
    let warm_polls = polls.load(Ordering::SeqCst);
    assert!(
        warm_polls <= 2 && warm_polls < cold_polls,
        "informed: {warm_polls} polls, cold: {cold_polls}"
    );
    // a corrupt profile is ignored: the prior plans, exactly as for a cold client…
    for junk in ["{\"version\": 1, \"origins\": ", "\u{0}\u{1}binary", "[]"] {
        std::fs::write(&warm_path, junk).unwrap();
        let (polls, client) = polls_of_one_generate(&warm_path).await;
        assert_eq!(polls, cold_polls, "{junk:?}");
        assert_eq!(client.renders_learned(), 1);
        // …and replaced by a good one
        let file = written(&warm_path).await;
        assert_eq!(file["origins"].as_object().unwrap().len(), 1, "{file}");
    }
}
