//! The job store: jobs tied to their origin and account, charge knowledge, 409s on retry,
//! the idempotency retention (issue #11).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use seedance_core::TaskStatus;
use seedance_emulator::Emulator;
use seedance_http::{
    Charge, GenerateOptions, JobScope, JobState, JobStore, ResumeOptions, SubmitOptions,
    WaitOptions,
};

use crate::common::*;

/// A loopback URL where nothing listens (connections are refused).
fn dead_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

/// The job of `client`'s scope under `key` in its store (which must hold it).
fn stored(client: &seedance_http::Client, key: &str) -> seedance_http::JobRecord {
    client
        .journal()
        .expect("a job store")
        .job(client.job_scope(), key)
        .expect("the store reads")
        .unwrap_or_else(|| panic!("no job {key}"))
}

#[tokio::test]
async fn a_submit_that_never_reached_a_server_is_failed_and_never_sent_elsewhere() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jobs.sqlite3");
    let dead = dead_url();
    for _ in 0..3 {
        let client = builder(&emu)
            .base_url(&dead)
            .journal_path(&path)
            .build()
            .unwrap();
        let e = client
            .generate(&request(), GenerateOptions::default())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), seedance_http::ErrorKind::Transport, "{e}");
    }
    let jobs = JobStore::open(&path).unwrap().jobs().unwrap();
    assert_eq!(jobs.len(), 3);
    for j in &jobs {
        assert_eq!(
            (j.state, j.charge),
            (JobState::Failed, Charge::NeverSent),
            "{j:?}"
        );
        assert!(j.last_error.is_some());
    }
    // resume against another server sends nothing (another origin), nor does one
    // against the same unreachable server (they provably never reached it)
    let client = builder(&emu).journal_path(&path).build().unwrap();
    assert!(client.resume().await.unwrap().is_empty());
    let client = builder(&emu)
        .base_url(&dead)
        .journal_path(&path)
        .build()
        .unwrap();
    assert!(client.resume().await.unwrap().is_empty());
    let s = emu.stats();
    assert_eq!((s.submits, s.tasks_created), (0, 0), "{s:?}");
}

#[tokio::test]
async fn a_404_from_another_origin_never_fails_a_job() {
    let a = emulator().await;
    let b = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jobs.sqlite3");
    let on_a = builder(&a).journal_path(&path).build().unwrap();
    let task = on_a
        .submit(&request(), SubmitOptions::default().idempotency_key("on-a"))
        .await
        .unwrap();
    // another process talks to server B with the same store
    let on_b = builder(&b).journal_path(&path).build().unwrap();
    assert!(
        on_b.resume().await.unwrap().is_empty(),
        "A's job is not B's"
    );
    let e = on_b
        .wait(&task.id, WaitOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(404), "{e}");
    let store = JobStore::open(&path).unwrap();
    let scope_a = JobScope::new(&a.base_url(), a.api_key());
    let job = store.job(&scope_a, "on-a").unwrap().unwrap();
    assert_eq!(
        job.state,
        JobState::Submitted,
        "B's 404 left it alone: {job:?}"
    );
    // A finishes it
    let outcomes = on_a.resume().await.unwrap();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(
        outcomes[0].result.as_ref().unwrap().status,
        TaskStatus::Completed
    );
    assert_eq!(b.stats().tasks_created, 0);
}

/// A server whose first submit is answered too late for the client (the task is
/// created), the retry gets the spec's own 409 wording, and later submits replay.
async fn conflicting_server() -> (String, Arc<AtomicUsize>) {
    use axum::routing::post;
    let posts = Arc::new(AtomicUsize::new(0));
    let n = posts.clone();
    let app = axum::Router::new().route(
        seedance_core::rules::SUBMIT_PATH,
        post(move || {
            let n = n.clone();
            async move {
                let i = n.fetch_add(1, Ordering::SeqCst);
                let task = r#"{"id":"sd2_conflict","status":"completed","credits_used":30,"output":{"video_url":"https://cdn.example.com/v.mp4"}}"#;
                match i {
                    0 => {
                        tokio::time::sleep(Duration::from_secs(2)).await;
                        (axum::http::StatusCode::ACCEPTED, task.to_owned())
                    }
                    1 => (
                        axum::http::StatusCode::CONFLICT,
                        r#"{"error":{"code":"idempotency_conflict","message":"The same Idempotency-Key reused with a different body, or the first request with it is still running."}}"#.to_owned(),
                    ),
                    _ => (axum::http::StatusCode::ACCEPTED, task.to_owned()),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, posts)
}

#[tokio::test]
async fn a_409_on_a_retried_submit_keeps_the_job_may_be_charged_for_resume() {
    let (url, posts) = conflicting_server().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jobs.sqlite3");
    let client = seedance_http::Client::builder()
        .no_env()
        .api_key("sk_test_conflict")
        .base_url(&url)
        .no_rate_limit()
        .retry_policy(fast_retry())
        .timeout(Duration::from_millis(300))
        .journal_path(&path)
        .build()
        .unwrap();
    let e = client
        .submit(
            &request(),
            SubmitOptions::default().idempotency_key("k-409"),
        )
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(409), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("k-409") && msg.contains("seedance resume"),
        "{msg}"
    );
    assert!(msg.contains("may be charged"), "{msg}");
    let job = stored(&client, "k-409");
    assert_eq!(
        (job.state, job.charge),
        (JobState::Sent, Charge::MayBeCharged),
        "{job:?}"
    );
    assert!(job.is_unfinished());
    // resume retries the same key later: the server replays the task
    let outcomes = client.resume().await.unwrap();
    assert_eq!(outcomes.len(), 1);
    let task = outcomes[0].result.as_ref().unwrap();
    assert_eq!(task.id.as_str(), "sd2_conflict");
    assert_eq!(posts.load(Ordering::SeqCst), 3);
    let job = stored(&client, "k-409");
    assert_eq!(
        (job.state, job.charge),
        (JobState::Completed, Charge::Charged)
    );
}

#[tokio::test]
async fn past_the_retention_a_lost_answer_is_resent_only_when_asked() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jobs.sqlite3");
    {
        let client = builder(&emu)
            .journal_path(&path)
            .max_retries(0)
            .build()
            .unwrap();
        emu.inject(seedance_emulator::Fault::new(
            seedance_emulator::Endpoint::Submit,
            seedance_emulator::FaultKind::DropAfterHandling,
        ));
        let e = client
            .submit(&request(), SubmitOptions::default().idempotency_key("old"))
            .await
            .unwrap_err();
        emu.clear_faults();
        assert!(e.to_string().contains("may be charged"), "{e}");
    }
    // a retention shorter than the job's age: not re-sent, and the outcome says why
    let client = builder(&emu)
        .journal_path(&path)
        .idempotency_retention(Duration::ZERO)
        .build()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let before = emu.stats().submits;
    let outcomes = client.resume().await.unwrap();
    assert_eq!(outcomes.len(), 1);
    let e = outcomes[0].result.as_ref().unwrap_err().to_string();
    assert!(
        e.contains("resubmit-stale") && e.contains("second task"),
        "{e}"
    );
    assert_eq!(emu.stats().submits, before, "nothing sent");
    // asked for: sent with its key
    let outcomes = client
        .resume_with(ResumeOptions::default().resubmit_stale(true))
        .await
        .unwrap();
    assert_eq!(
        outcomes[0].result.as_ref().unwrap().status,
        TaskStatus::Completed
    );
    assert_eq!(
        emu.stats().tasks_created,
        1,
        "replayed within the emulator's retention"
    );
}

#[tokio::test]
async fn an_unreadable_request_from_a_newer_version_is_resent_as_it_was() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jobs.sqlite3");
    let client = builder(&emu).journal_path(&path).build().unwrap();
    let store = client.journal().unwrap().clone();
    // a job a newer version wrote, crashed after sending: a field this one cannot read
    let scope = client.job_scope().clone();
    let body = r#"{"prompt":"A glass train crossing a snowy mountain bridge at dawn"}"#;
    store
        .execute_raw(&format!(
            "ALTER TABLE jobs ADD COLUMN future_column TEXT; \
             INSERT INTO jobs (key, origin, account, request, state, charge, created_ms, sent_ms, updated_ms, future_column) \
             VALUES ('newer', '{}', '{}', '{}', 'sent', 'may_be_charged', {now}, {now}, {now}, 'kept')",
            scope.origin,
            scope.account,
            body.replace("}", r#","future_field":{"x":1}}"#),
            now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis()
        ))
        .unwrap();
    let job = store.job(&scope, "newer").unwrap().unwrap();
    assert!(job.request.is_none());
    let outcomes = client.resume().await.unwrap();
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    // sent as it was (never rewritten through this version's request type)
    assert_eq!(emu.stats().submits, 1);
    let job = store.job(&scope, "newer").unwrap().unwrap();
    assert!(job.request_json.contains("future_field"), "{job:?}");
    assert_ne!(job.state, JobState::Sent, "an answer was heard: {job:?}");
}

#[tokio::test]
async fn a_generate_dropped_mid_wait_is_interrupted_and_resume_finishes_it() {
    // Renders take about a second here: long enough to drop the call mid-wait.
    let emu = Emulator::builder()
        .time_scale(seedance_core::rules::TimeScale::new(100.0).unwrap())
        .rate_limit(30, WINDOW)
        .media_rate_limit(3, WINDOW)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jobs.sqlite3");
    let client = builder(&emu).journal_path(&path).build().unwrap();
    let key = "dropped-mid-wait";
    let running = {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .generate(
                    &request(),
                    GenerateOptions::default()
                        .submit(SubmitOptions::default().idempotency_key(key)),
                )
                .await
        })
    };
    // What a cancelled Kotlin coroutine or Swift task does: the future is dropped once
    // the task exists.
    let store = JobStore::open(&path).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while store
        .job(client.job_scope(), key)
        .unwrap()
        .is_none_or(|j| j.state != JobState::Submitted)
    {
        assert!(std::time::Instant::now() < deadline, "never submitted");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    running.abort();
    assert!(running.await.unwrap_err().is_cancelled());
    let job = stored(&client, key);
    assert_eq!(job.state, JobState::Interrupted, "{job:?}");
    assert!(job.task_id.is_some());

    let outcomes = client.resume().await.unwrap();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(
        outcomes[0].result.as_ref().unwrap().status,
        TaskStatus::Completed
    );
    assert_eq!(emu.stats().tasks_created, 1, "finished, not paid twice");
    assert_eq!(stored(&client, key).state, JobState::Completed);
}
