//! Fault injection, redirects, and the /_emulator HTTP control API.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic

mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::StatusCode;
use seedance_emulator::{Endpoint, Fault, FaultKind, Redirect};
use serde_json::{json, Value};

#[tokio::test]
async fn error_faults_answer_before_handling_and_create_nothing() {
    let emu = start().await;
    for (kind, status, code) in [
        (
            FaultKind::ServiceBusy503,
            StatusCode::SERVICE_UNAVAILABLE,
            "service_busy",
        ),
        (
            FaultKind::Internal500,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
        ),
        (
            FaultKind::RateLimited {
                retry_after_secs: 7,
            },
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
        ),
    ] {
        emu.inject(Fault::new(Endpoint::Submit, kind).times(1));
        let a = submit(&emu, &body()).await;
        assert_eq!(a.status, status);
        assert_eq!(a.error_code(), code);
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(a.retry_after(), Some(7));
        }
        emu.clear_faults();
    }
    emu.inject(Fault::new(Endpoint::Any, FaultKind::HtmlBadGateway).times(1));
    let a = submit(&emu, &body()).await;
    assert_eq!(a.status, StatusCode::BAD_GATEWAY);
    assert!(a
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("text/html")));
    assert!(a.text.contains("<html>"));
    let s = emu.stats();
    assert_eq!(
        (
            s.tasks_created,
            s.credits_charged,
            s.faults_injected,
            s.rate_limited
        ),
        (0, 0, 4, 1)
    );
    assert_eq!(submit(&emu, &body()).await.status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn drop_before_handling_closes_without_a_task() {
    let emu = start().await;
    emu.inject(Fault::new(Endpoint::Submit, FaultKind::DropBeforeHandling).nth(1));
    let r = send_submit(&emu.base_url(), emu.api_key(), Some("d1"), &body()).await;
    assert!(r.is_err(), "the connection should close without an answer");
    assert_eq!(emu.stats().tasks_created, 0);
    let a = submit_raw(&emu, emu.api_key(), Some("d1"), &body()).await;
    assert_eq!(a.status, StatusCode::ACCEPTED);
    assert_eq!(emu.stats().tasks_created, 1);
}

#[tokio::test]
async fn drop_after_handling_creates_and_charges_then_a_retry_with_the_key_replays() {
    let emu = start().await;
    emu.inject(Fault::new(Endpoint::Submit, FaultKind::DropAfterHandling).nth(1));
    let r = send_submit(&emu.base_url(), emu.api_key(), Some("d2"), &body()).await;
    assert!(r.is_err(), "the client never hears");
    let s = emu.stats();
    assert_eq!((s.tasks_created, s.credits_charged), (1, 30));
    let tasks = emu.tasks();
    assert_eq!(tasks.len(), 1);
    let a = submit_raw(&emu, emu.api_key(), Some("d2"), &body()).await;
    assert_eq!(a.status, StatusCode::ACCEPTED);
    assert_eq!(a.json()["id"].as_str(), Some(tasks[0].id.as_str()));
    assert_eq!(emu.stats().credits_charged, 30);
}

#[tokio::test]
async fn a_submit_whose_client_timed_out_is_still_handled_and_charged_once() {
    let emu = start().await;
    delay_first_submit(&emu, Duration::from_millis(600));
    let impatient = client_builder()
        .timeout(Duration::from_millis(150))
        .build()
        .expect("client");
    let r = impatient
        .post(format!("{}{SUBMIT}", emu.base_url()))
        .bearer_auth(emu.api_key())
        .header("Idempotency-Key", "gone-1")
        .json(&body())
        .send()
        .await;
    assert!(
        r.is_err_and(|e| e.is_timeout()),
        "the client gives up first"
    );
    // While the server still handles it, the same key is in flight: 409.
    let a = submit_raw(&emu, emu.api_key(), Some("gone-1"), &body()).await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text);
    assert_eq!(a.error_code(), "idempotency_conflict");
    // The server finishes the request although nobody listens: one task, one charge.
    let deadline = Instant::now() + Duration::from_secs(10);
    while emu.stats().tasks_created == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let s = emu.stats();
    assert_eq!((s.tasks_created, s.credits_charged), (1, 30));
    let tasks = emu.tasks();
    assert_eq!(tasks.len(), 1);
    // A retry with the same key replays it.
    let a = submit_raw(&emu, emu.api_key(), Some("gone-1"), &body()).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text);
    assert_eq!(a.json()["id"].as_str(), Some(tasks[0].id.as_str()));
    assert_eq!(
        a.headers.get("idempotent-replayed").map(|v| v.as_bytes()),
        Some(&b"true"[..])
    );
    let s = emu.stats();
    assert_eq!((s.tasks_created, s.credits_charged), (1, 30));
}

#[tokio::test]
async fn drop_after_on_get_task() {
    let emu = start().await;
    let id = submit_id(&emu, &body()).await;
    emu.inject(Fault::new(Endpoint::GetTask, FaultKind::DropAfterHandling).nth(1));
    let r = send_get_task(&emu, emu.api_key(), &id).await;
    assert!(r.is_err(), "the client never hears");
    assert_eq!(get_status(&emu, &id).await, StatusCode::OK);
}

#[tokio::test]
async fn response_shape_faults() {
    let emu = start().await;
    let id = submit_id(&emu, &body()).await;
    wait_done(&emu, emu.api_key(), &id).await;

    emu.inject(Fault::new(Endpoint::GetTask, FaultKind::MalformedJson).nth(1));
    let a = get_task(&emu, emu.api_key(), &id).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        serde_json::from_str::<Value>(&a.text).is_err(),
        "{}",
        a.text
    );
    emu.clear_faults();

    emu.inject(Fault::new(Endpoint::GetTask, FaultKind::ExtraFields).nth(1));
    let v = get_task(&emu, emu.api_key(), &id).await.json();
    assert_eq!(v["status"], "completed");
    assert!(v.get("x_emulator_extra").is_some() && v["output"].get("thumbnail_url").is_some());
    emu.clear_faults();

    emu.inject(Fault::new(Endpoint::GetTask, FaultKind::UnknownStatus("queued".into())).times(2));
    assert_eq!(
        get_task(&emu, emu.api_key(), &id).await.json()["status"],
        "queued"
    );
    assert_eq!(
        get_task(&emu, emu.api_key(), &id).await.json()["status"],
        "queued"
    );
    assert_eq!(
        get_task(&emu, emu.api_key(), &id).await.json()["status"],
        "completed"
    );

    emu.inject(Fault::new(Endpoint::Submit, FaultKind::ExtraFields).nth(1));
    let a = submit(&emu, &body()).await;
    assert_eq!(a.status, StatusCode::ACCEPTED);
    assert!(a.json().get("queue_position").is_some());
}

/// The hostile kinds (issue 10), for users' own tests of their clients.
#[tokio::test]
async fn hostile_faults() {
    use futures_util::StreamExt;
    let emu = start().await;
    let id = submit_id(&emu, &body()).await;
    let video = wait_done(&emu, emu.api_key(), &id).await["output"]["video_url"]
        .as_str()
        .expect("video_url")
        .to_owned();

    // huge_body: valid JSON of exactly size_bytes, announced
    emu.inject_json(
        &json!({"endpoint": "get_task", "kind": "huge_body", "size_bytes": 3_000_000, "nth": 1}),
    )
    .expect("fault");
    let a = get_task(&emu, emu.api_key(), &id).await;
    assert_eq!(a.text.len(), 3_000_000);
    let v = a.json();
    assert_eq!(v["id"], id.as_str());
    assert_eq!(a.header("content-length"), Some("3000000"));

    // endless_body: more than any limit, without an end (read 4 MiB and stop)
    emu.inject(Fault::new(Endpoint::GetTask, FaultKind::EndlessBody).nth(1));
    let r = send_get_task(&emu, emu.api_key(), &id).await.expect("send");
    assert!(r.headers().get("content-length").is_none());
    let mut stream = r.bytes_stream();
    let mut got = 0usize;
    while let Some(Ok(chunk)) = stream.next().await {
        got += chunk.len();
        if got > 4 << 20 {
            break;
        }
    }
    assert!(got > 4 << 20, "the body ended after {got} bytes");
    drop(stream);

    // absurd_retry_after: a 429 with the raw header
    emu.inject_json(&json!({"endpoint": "any", "kind": "absurd_retry_after", "retry_after": "99999999999999999999", "nth": 1}))
        .expect("fault");
    let a = get_task(&emu, emu.api_key(), &id).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(a.header("retry-after"), Some("99999999999999999999"));
    assert_eq!(a.error_code(), "rate_limited");

    // foreign_task_id: the answer is about another task
    emu.inject(
        Fault::new(
            Endpoint::GetTask,
            FaultKind::ForeignTaskId(seedance_emulator::FOREIGN_TASK_ID_DEFAULT.into()),
        )
        .nth(1),
    );
    let v = get_task(&emu, emu.api_key(), &id).await.json();
    assert_eq!(v["id"], seedance_emulator::FOREIGN_TASK_ID_DEFAULT);
    assert_eq!(v["status"], "completed");

    // control_chars: escape sequences in text fields of tasks and of errors
    emu.inject(Fault::new(Endpoint::Any, FaultKind::ControlChars).times(2));
    let v = get_task(&emu, emu.api_key(), &id).await.json();
    assert!(v["model"].as_str().unwrap().contains('\u{1b}'), "{v}");
    let a = get_task(&emu, emu.api_key(), "sd2_missing").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(
        a.message().contains(seedance_emulator::CONTROL_CHARS_TEXT),
        "{}",
        a.text
    );

    // on the CDN: a huge file with its length, and an endless one
    emu.inject_json(
        &json!({"endpoint": "cdn", "kind": "huge_body", "size_bytes": 5_000_000, "nth": 1}),
    )
    .expect("fault");
    let r = client().get(&video).send().await.expect("send");
    assert_eq!(r.headers()["content-type"], "video/mp4");
    assert_eq!(r.bytes().await.expect("body").len(), 5_000_000);
    emu.inject(Fault::new(Endpoint::Cdn, FaultKind::EndlessBody).nth(1));
    let r = client().get(&video).send().await.expect("send");
    let mut stream = r.bytes_stream();
    let mut got = 0usize;
    while let Some(Ok(chunk)) = stream.next().await {
        got += chunk.len();
        if got > 8 << 20 {
            break;
        }
    }
    assert!(got > 8 << 20);

    // parameters belong to their kinds
    for (v, needle) in [
        (
            json!({"endpoint": "any", "kind": "service_busy", "size_bytes": 1}),
            "huge_body",
        ),
        (
            json!({"endpoint": "any", "kind": "delay", "delay_ms": 1, "task_id": "x"}),
            "foreign_task_id",
        ),
        (
            json!({"endpoint": "any", "kind": "absurd_retry_after", "retry_after": "a\nb"}),
            "header value",
        ),
    ] {
        let e = Fault::from_json(&v).unwrap_err().to_string();
        assert!(e.contains(needle), "{v}: {e}");
    }
}

#[tokio::test]
async fn delay_nth_and_probability() {
    let emu = start().await;
    emu.inject(
        Fault::new(
            Endpoint::GetTask,
            FaultKind::Delay(Duration::from_millis(1000)),
        )
        .nth(2),
    );
    // a 1 s delay against a 0.9 s bound: a loaded machine (a test client built per
    // request) does not blur the two
    let t = Instant::now();
    get_task(&emu, emu.api_key(), "x").await;
    assert!(t.elapsed() < Duration::from_millis(900));
    let t = Instant::now();
    get_task(&emu, emu.api_key(), "x").await;
    assert!(t.elapsed() >= Duration::from_millis(1000));
    let t = Instant::now();
    get_task(&emu, emu.api_key(), "x").await;
    assert!(t.elapsed() < Duration::from_millis(900));
    emu.clear_faults();

    emu.inject(Fault::new(Endpoint::GetTask, FaultKind::Internal500).probability(0.5));
    let mut errors = 0;
    for _ in 0..200 {
        if get_status(&emu, "x").await == StatusCode::INTERNAL_SERVER_ERROR {
            errors += 1;
        }
    }
    assert!((50..=150).contains(&errors), "{errors} of 200 at p=0.5");
    emu.clear_faults();
    emu.inject(Fault::new(Endpoint::GetTask, FaultKind::Internal500).probability(0.0));
    assert_eq!(get_status(&emu, "x").await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn cdn_faults() {
    let emu = start().await;
    emu.inject(Fault::new(Endpoint::Cdn, FaultKind::ServiceBusy503).nth(1));
    let url = format!("{}/_emulator/blob/10", emu.cdn_url());
    assert_eq!(
        client().get(&url).send().await.expect("send").status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        client().get(&url).send().await.expect("send").status(),
        StatusCode::OK
    );
    emu.inject(Fault::new(Endpoint::Cdn, FaultKind::DropBeforeHandling).nth(1));
    assert!(client().get(&url).send().await.is_err());
    // Faults on Any do not touch the CDN.
    emu.clear_faults();
    emu.inject(Fault::new(Endpoint::Any, FaultKind::Internal500));
    assert_eq!(
        client().get(&url).send().await.expect("send").status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn redirect_sends_apex_requests_to_www_with_307() {
    let emu = fast()
        .redirect(Some(Redirect::ApexToWww))
        .start()
        .await
        .expect("start");
    let port = emu.api_addr().port();
    let c = client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .resolve("seedance.localhost", emu.api_addr())
        .resolve("www.seedance.localhost", emu.api_addr())
        .build()
        .expect("client");
    let apex = format!("http://seedance.localhost:{port}{SUBMIT}?x=1");
    let r = c
        .post(&apex)
        .bearer_auth(emu.api_key())
        .json(&body())
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::TEMPORARY_REDIRECT);
    let loc = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("Location")
        .to_owned();
    assert_eq!(
        loc,
        format!("http://www.seedance.localhost:{port}{SUBMIT}?x=1")
    );
    assert_eq!(emu.stats().tasks_created, 0);
    let r = c
        .post(&loc)
        .bearer_auth(emu.api_key())
        .json(&body())
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let id = r.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let g = c
        .get(format!(
            "http://seedance.localhost:{port}/api/v1/tasks/{id}"
        ))
        .send()
        .await
        .expect("send");
    assert_eq!(g.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(emu.total_stats().redirects, 2);
    // Off at runtime.
    emu.set_redirect(None);
    let r = c
        .get(format!(
            "http://seedance.localhost:{port}/api/v1/tasks/{id}"
        ))
        .bearer_auth(emu.api_key())
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
}

async fn ctl(
    emu: &seedance_emulator::Emulator,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let mut rb = client().request(method, format!("{}/_emulator{path}", emu.base_url()));
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    answer(rb.send().await.expect("send")).await
}

async fn ctl_post_status(emu: &seedance_emulator::Emulator, path: &str, body: Value) -> StatusCode {
    ctl(emu, reqwest::Method::POST, path, Some(body))
        .await
        .status
}

async fn ctl_get(emu: &seedance_emulator::Emulator, path: &str) -> Value {
    ctl(emu, reqwest::Method::GET, path, None).await.json()
}

#[tokio::test]
async fn the_http_control_api() {
    use reqwest::Method;
    let emu = start().await;
    let info = ctl_get(&emu, "/info").await;
    assert_eq!(info["api_key"], emu.api_key());
    assert_eq!(info["cdn_url"], emu.cdn_url());
    assert_eq!(info["keys"]["revoked"], seedance_emulator::REVOKED_TEST_KEY);

    // Faults over HTTP.
    let a = ctl(
        &emu,
        Method::POST,
        "/faults",
        Some(json!([
            {"endpoint": "submit", "kind": "service_busy", "nth": 1},
            {"endpoint": "get_task", "kind": "rate_limited", "retry_after_secs": 3, "times": 1}
        ])),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    assert_eq!(
        submit(&emu, &body()).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let g = get_task(&emu, emu.api_key(), "x").await;
    assert_eq!(
        (g.status, g.retry_after()),
        (StatusCode::TOO_MANY_REQUESTS, Some(3))
    );
    let list = ctl_get(&emu, "/faults").await;
    assert_eq!(list[0]["fired"], 1);
    assert_eq!(list[1]["kind"], "rate_limited");
    assert_eq!(
        ctl_post_status(
            &emu,
            "/faults",
            json!({"endpoint": "submit", "kind": "nope"})
        )
        .await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        ctl_post_status(
            &emu,
            "/faults",
            json!({"endpoint": "moon", "kind": "delay"})
        )
        .await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        ctl(&emu, Method::DELETE, "/faults", None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(ctl_get(&emu, "/faults").await, json!([]));

    // A task, then stats and tasks.
    let id = submit_id(&emu, &body()).await;
    let stats = ctl_get(&emu, "/stats").await;
    assert_eq!(stats["accounts"]["acct_test"]["tasks_created"], 1);
    assert_eq!(stats["accounts"]["acct_test"]["credits_charged"], 30);
    assert_eq!(stats["total"]["tasks_created"], 1);
    assert_eq!(stats["accounts"]["acct_test"]["rate_limited"], 1);
    let one = ctl_get(&emu, "/stats/acct_test").await;
    assert_eq!(one["requests"], 3);
    assert_eq!(
        ctl(&emu, Method::GET, "/stats/acct_nope", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let tasks = ctl_get(&emu, "/tasks").await;
    assert_eq!(tasks[0]["id"], json!(id));
    assert_eq!(tasks[0]["account"], "acct_test");

    // Config: partial merge, validation.
    let c = ctl(
        &emu,
        Method::POST,
        "/config",
        Some(json!({"time_scale": 5.0, "rate_limit": {"requests": 2, "window_ms": 60000}})),
    )
    .await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.text);
    assert_eq!(c.json()["time_scale"], 5.0);
    assert_eq!(emu.config().rate_limit.map(|l| l.requests), Some(2));
    assert_eq!(
        ctl_post_status(&emu, "/config", json!({"bogus": 1})).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        ctl_post_status(&emu, "/config", json!({"time_scale": -1})).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        ctl_post_status(&emu, "/config", json!({"redirect": "apex_to_www"})).await,
        StatusCode::OK
    );
    assert_eq!(emu.config().redirect, Some(Redirect::ApexToWww));
    assert_eq!(
        ctl_post_status(
            &emu,
            "/config",
            json!({"redirect": null, "rate_limit": null})
        )
        .await,
        StatusCode::OK
    );
    assert_eq!(ctl_get(&emu, "/config").await["rate_limit"], Value::Null);

    // Accounts and credits.
    let a = ctl(
        &emu,
        Method::POST,
        "/accounts",
        Some(json!({"id": "acct_py", "keys": ["sk_test_py"], "credits": 45})),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(
        submit_raw(&emu, "sk_test_py", None, &body()).await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        submit_raw(&emu, "sk_test_py", None, &body()).await.status,
        StatusCode::PAYMENT_REQUIRED
    );
    assert_eq!(
        ctl_post_status(&emu, "/accounts/acct_py/credits", json!({"credits": 1000})).await,
        StatusCode::OK
    );
    assert_eq!(
        submit_raw(&emu, "sk_test_py", None, &body()).await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        ctl_post_status(&emu, "/accounts/acct_nope/credits", json!({"credits": 1})).await,
        StatusCode::NOT_FOUND
    );

    // CDN auth headers.
    client()
        .get(format!("{}/_emulator/blob/1", emu.cdn_url()))
        .header("Authorization", "Bearer leak")
        .send()
        .await
        .expect("send");
    assert_eq!(
        ctl_get(&emu, "/cdn/auth-headers").await,
        json!(["Bearer leak"])
    );

    // Reset: back to the start.
    assert_eq!(
        ctl(&emu, Method::POST, "/reset", None).await.status,
        StatusCode::NO_CONTENT
    );
    let stats = ctl_get(&emu, "/stats").await;
    assert_eq!(stats["total"]["tasks_created"], 0);
    assert_eq!(
        stats["accounts"]["acct_test"]["credits_balance"],
        seedance_emulator::DEFAULT_CREDITS
    );
    assert!(stats["accounts"].get("acct_py").is_none());
    assert_eq!(get_status(&emu, &id).await, StatusCode::NOT_FOUND);
    assert_eq!(emu.config().time_scale.get(), 1000.0);
    assert!(emu.cdn_auth_headers().is_empty());
    // Control paths never go through faults or redirects.
    emu.inject(Fault::new(Endpoint::Any, FaultKind::Internal500));
    emu.set_redirect(Some(Redirect::ApexToWww));
    assert_eq!(
        ctl(&emu, Method::GET, "/stats", None).await.status,
        StatusCode::OK
    );
}
