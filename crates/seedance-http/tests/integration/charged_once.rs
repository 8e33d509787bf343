//! Promise 1: charged once.

use std::time::{Duration, Instant};

use seedance_core::ErrorCode;
use seedance_emulator::{Endpoint, Fault, FaultKind, NO_CREDITS_TEST_KEY, REVOKED_TEST_KEY};
use seedance_http::{Error, SubmitOptions};

use crate::common::*;

#[tokio::test]
async fn transient_failures_are_retried_with_the_same_key() {
    let emu = emulator().await;
    let rec = Recorder::default();
    let client = builder(&emu).on_event(rec.hook()).build().unwrap();
    emu.inject(Fault::new(Endpoint::Submit, FaultKind::ServiceBusy503).times(1));
    emu.inject(Fault::new(Endpoint::Submit, FaultKind::Internal500).times(1));
    emu.inject(Fault::new(Endpoint::Submit, FaultKind::DropAfterHandling).times(1));
    let task = client
        .submit(
            &request(),
            SubmitOptions::default().idempotency_key("k-transient"),
        )
        .await
        .unwrap();
    let s = emu.stats();
    assert_eq!(s.submits, 4, "{s:?}");
    assert_eq!(s.tasks_created, 1, "{s:?}");
    assert_eq!(s.credits_charged, 30);
    assert_eq!(
        s.idempotent_replays, 1,
        "the 4th attempt replays the dropped 3rd"
    );
    assert_eq!(rec.retries().len(), 3);
    assert!(task.id.as_str().starts_with("sd2_"));
}

#[tokio::test]
async fn a_generated_key_is_reused_on_every_retry() {
    let emu = emulator().await;
    let client = client(&emu);
    emu.inject(Fault::new(Endpoint::Submit, FaultKind::DropAfterHandling).times(2));
    client
        .submit(&request(), SubmitOptions::default())
        .await
        .unwrap();
    let s = emu.stats();
    assert_eq!(s.submits, 3);
    assert_eq!(s.tasks_created, 1, "{s:?}");
    assert_eq!(
        s.idempotent_replays, 2,
        "the 2nd and 3rd attempts replay: {s:?}"
    );
}

#[tokio::test]
async fn retry_after_is_honoured_exactly() {
    let emu = emulator().await;
    let rec = Recorder::default();
    let client = builder(&emu).on_event(rec.hook()).build().unwrap();
    emu.inject(
        Fault::new(
            Endpoint::Submit,
            FaultKind::RateLimited {
                retry_after_secs: 1,
            },
        )
        .times(1),
    );
    let t0 = Instant::now();
    client
        .submit(&request(), SubmitOptions::default())
        .await
        .unwrap();
    let took = t0.elapsed();
    assert!(took >= Duration::from_secs(1), "{took:?}");
    assert!(took < Duration::from_millis(1500), "{took:?}");
    assert_eq!(rec.retries()[0].1, Duration::from_secs(1));
    assert_eq!(emu.stats().tasks_created, 1);
}

#[tokio::test]
async fn final_errors_are_never_retried() {
    let emu = emulator().await;
    // 400: refused by the content policy
    let client = client(&emu);
    let e = client
        .submit(
            &request_with("A [refuse] scene of a train"),
            SubmitOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(400));
    assert_eq!(e.code(), Some(&ErrorCode::InvalidRequest));
    assert_eq!(emu.stats().submits, 1);
    // 404
    let e = client.get_task(&"sd2_nope".into()).await.unwrap_err();
    assert_eq!(e.status(), Some(404));
    assert_eq!(emu.stats().task_reads, 1);
    // 401
    let revoked = builder(&emu).api_key(REVOKED_TEST_KEY).build().unwrap();
    let e = revoked
        .submit(&request(), SubmitOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(401));
    assert_eq!(emu.total_stats().unauthorized, 1);
    // 402
    let broke = builder(&emu).api_key(NO_CREDITS_TEST_KEY).build().unwrap();
    let e = broke
        .submit(&request(), SubmitOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(402));
    assert_eq!(e.code(), Some(&ErrorCode::InsufficientCredits));
    assert_eq!(emu.total_stats().insufficient_credits, 1);
    assert_eq!(emu.total_stats().tasks_created, 0);
}

#[tokio::test]
async fn a_409_for_another_body_is_not_retried() {
    let emu = emulator().await;
    let client = client(&emu);
    let opts = SubmitOptions::default().idempotency_key("shared-key");
    client.submit(&request(), opts.clone()).await.unwrap();
    let e = client
        .submit(&request_with("A completely different prompt here"), opts)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Api { status: 409, .. }), "{e}");
    assert_eq!(
        emu.stats().submits,
        2,
        "the conflicting submit was sent once"
    );
    assert_eq!(emu.stats().tasks_created, 1);
}

#[tokio::test]
async fn a_409_in_flight_is_retried_until_it_resolves() {
    let emu = emulator().await;
    let rec = Recorder::default();
    let client = builder(&emu).on_event(rec.hook()).build().unwrap();
    // the server holds the first submit 500 ms (its key in flight meanwhile)
    let first = held_submit(&emu, &client, "slow", Duration::from_millis(500)).await;
    // a second submit of the same job (another process after a crash, say) meets 409
    // "still in flight" and retries with the same key until the first resolves
    let second = client
        .submit(&request(), SubmitOptions::default().idempotency_key("slow"))
        .await
        .unwrap();
    let first = first.await.unwrap().unwrap();
    assert_eq!(second.id, first.id);
    let s = emu.stats();
    assert_eq!(s.tasks_created, 1, "{s:?}");
    assert!(s.idempotency_conflicts >= 1, "{s:?}");
    assert_eq!(s.idempotent_replays, 1, "{s:?}");
    assert_eq!(s.credits_charged, 30);
    assert!(
        rec.retries().iter().any(|(r, _)| r.contains("in flight")),
        "{:?}",
        rec.retries()
    );
}

#[tokio::test]
async fn a_timed_out_submit_is_resent_with_its_key() {
    // The server keeps handling a submit whose client gave up (as a real one does): the
    // first attempt creates and charges the task; the retry with the same key meets
    // "still in flight", then gets the replay.
    let emu = emulator().await;
    let rec = Recorder::default();
    let client = builder(&emu)
        .timeout(Duration::from_millis(200))
        .on_event(rec.hook())
        .build()
        .unwrap();
    emu.inject(
        Fault::new(
            Endpoint::Submit,
            FaultKind::Delay(Duration::from_millis(600)),
        )
        .times(1),
    );
    let task = client
        .submit(
            &request(),
            SubmitOptions::default().idempotency_key("timeout"),
        )
        .await
        .unwrap();
    let s = emu.stats();
    assert!(s.submits >= 2, "{s:?}");
    assert_eq!(s.tasks_created, 1, "{s:?}");
    assert_eq!(s.credits_charged, 30);
    assert_eq!(s.idempotent_replays, 1, "the retry got the replay: {s:?}");
    assert_eq!(emu.tasks()[0].id, task.id);
    let reasons: Vec<String> = rec.retries().into_iter().map(|(r, _)| r).collect();
    assert!(
        reasons.first().is_some_and(|r| r.contains("timed out")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("in flight")),
        "{reasons:?}"
    );
}

#[tokio::test]
async fn a_first_409_from_someone_else_is_not_retried() {
    // Reading R18: our very first attempt getting "in flight" is retried (the server says
    // so), but a key another caller holds with another body never is.
    let emu = emulator().await;
    let slow = builder(&emu).build().unwrap();
    let first = held_submit(&emu, &slow, "k", Duration::from_millis(400)).await;
    let other = client(&emu);
    let e = other
        .submit(
            &request_with("Another body with the same key"),
            SubmitOptions::default().idempotency_key("k"),
        )
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(409));
    let first = first.await.unwrap().unwrap();
    // same body, same key, while in flight: retried until the replay
    let same = other
        .submit(&request(), SubmitOptions::default().idempotency_key("k"))
        .await
        .unwrap();
    assert_eq!(same.id, first.id);
    assert_eq!(emu.stats().tasks_created, 1);
}

#[tokio::test]
async fn retries_are_bounded() {
    let emu = emulator().await;
    let client = builder(&emu).max_retries(2).build().unwrap();
    emu.inject(Fault::new(Endpoint::Submit, FaultKind::ServiceBusy503));
    let e = client
        .submit(&request(), SubmitOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(503));
    assert_eq!(emu.stats().submits, 3);
    assert_eq!(emu.stats().tasks_created, 0);
}

#[tokio::test]
async fn a_server_that_is_not_up_yet_is_retried_then_reached() {
    // Reserve a port, free it, and start the emulator on it only after the client has
    // met "connection refused" at least once: the submit must be retried, not given up.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let rec = Recorder::default();
    let mut policy = fast_retry();
    policy.max_retries = 50;
    let client = seedance_http::Client::builder()
        .no_env()
        .api_key(seedance_emulator::DEFAULT_TEST_KEY)
        .base_url(format!("http://{addr}"))
        .retry_policy(policy)
        .on_event(rec.hook())
        .build()
        .unwrap();
    let submit = tokio::spawn({
        let client = client.clone();
        async move { client.submit(&request(), SubmitOptions::default()).await }
    });
    let t0 = Instant::now();
    while rec.retries().is_empty() {
        assert!(t0.elapsed() < Duration::from_secs(5), "no retry scheduled");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        rec.retries()[0].0.contains("connection"),
        "{:?}",
        rec.retries()
    );
    let emu = seedance_emulator::Emulator::builder()
        .time_scale(seedance_core::rules::TimeScale::new(SCALE).unwrap())
        .bind(addr)
        .start()
        .await
        .expect("emulator starts on the freed port");
    let task = submit
        .await
        .unwrap()
        .expect("reached once the server is up");
    assert_eq!(emu.stats().tasks_created, 1);
    assert_eq!(emu.tasks()[0].id, task.id);
}

/// Reading R26: a key the server would refuse is refused here, before anything is sent
/// (the message names the field).
#[tokio::test]
async fn a_malformed_idempotency_key_is_refused_before_sending() {
    let emu = emulator().await;
    let client = client(&emu);
    for key in ["order 42", "", "tab\there", "clé"] {
        let e = client
            .submit(&request(), SubmitOptions::default().idempotency_key(key))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{key:?}: {e}");
        assert!(e.to_string().contains("idempotency_key"), "{e}");
    }
    let long = "k".repeat(seedance_core::rules::IDEMPOTENCY_KEY_MAX_LEN + 1);
    assert!(client
        .submit(&request(), SubmitOptions::default().idempotency_key(long))
        .await
        .is_err());
    assert_eq!(emu.stats().requests, 0, "nothing was sent");
}
