//! Promise 3: smart waiting.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use seedance_core::{ErrorCode, TaskStatus};
use seedance_emulator::{Endpoint, Fault, FaultKind};
use seedance_http::{Error, Event, GenerateOptions, SubmitOptions, WaitOptions};

use crate::common::*;

#[tokio::test]
async fn the_first_poll_comes_when_the_render_is_done() {
    let emu = emulator().await;
    let client = client(&emu);
    let req = request();
    let render = Duration::from_secs_f64(req.expected_render_secs() / SCALE);
    let t0 = Instant::now();
    let task = client
        .generate(&req, GenerateOptions::default())
        .await
        .unwrap();
    let took = t0.elapsed();
    assert_eq!(task.status, TaskStatus::Completed);
    let s = emu.stats();
    assert_eq!(s.requests, 2, "one submit, one poll: {s:?}");
    assert!(took >= render, "{took:?} < {render:?}");
    assert!(task.raw.is_some(), "raw JSON kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_waits_share_one_poller() {
    let emu = emulator().await;
    let client = client(&emu);
    let mut ids = Vec::new();
    for i in 0..12 {
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
    assert_eq!(watched, 12, "every wait registered with the one poller");
    let s = emu.stats();
    assert!(s.task_reads <= 14, "about one poll per task: {s:?}");
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
    emu.inject(
        Fault::new(
            Endpoint::GetTask,
            FaultKind::UnknownStatus("expired".into()),
        )
        .times(1),
    );
    let e = client
        .wait(&t.id, WaitOptions::default())
        .await
        .unwrap_err();
    match e {
        Error::TaskFailed { code, .. } => assert_eq!(code, ErrorCode::Other("expired".into())),
        other => panic!("{other:?}"),
    }
    emu.inject(
        Fault::new(
            Endpoint::GetTask,
            FaultKind::UnknownStatus("rendering".into()),
        )
        .times(3),
    );
    let done = client.wait(&t.id, WaitOptions::default()).await.unwrap();
    assert_eq!(done.status, TaskStatus::Completed);
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
            WaitOptions::default().timeout(Some(Duration::from_millis(20))),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::WaitTimeout { .. }), "{e}");
    // explicit cancel
    let c = client.clone();
    let id = t.id.clone();
    let waiting = tokio::spawn(async move { c.wait(&id, WaitOptions::default()).await });
    tokio::time::sleep(Duration::from_millis(10)).await;
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
}
