//! Issue 10: nothing the server sends can hurt the machine. Each test stands up a small
//! hostile server (axum, random loopback port) and checks that the client refuses, caps
//! or escapes what it sends: ids choosing file names, absurd `Retry-After`, huge and
//! endless bodies, echoed keys, answers about other tasks, sloppy fields, redirects,
//! invalid UTF-8, deep nesting, `Content-Length` lies, truncated and slow bodies.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::response::Response;
use axum::Router;
use seedance_core::{Task, TaskId, TaskStatus, VideoRequest};
use seedance_http::{Client, ClientBuilder, DownloadOptions, Error, WaitOptions};

const KEY: &str = "sk_live_hostile0123456789abcdefghijklmnopqrstuvwxyz";

/// Serves `app` on a random loopback port; the base URL.
async fn serve(app: Router) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    format!("http://{addr}")
}

/// A server answering every request with `f(request)`.
async fn server<F>(f: F) -> String
where
    F: Fn(&Request) -> Response + Clone + Send + Sync + 'static,
{
    serve(Router::new().fallback(move |req: Request| {
        let f = f.clone();
        async move { f(&req) }
    }))
    .await
}

fn json(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut r = Response::new(body.into());
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        "application/json".parse().expect("hv"),
    );
    r
}

fn builder(base: &str) -> ClientBuilder {
    Client::builder()
        .no_env()
        .api_key(KEY)
        .base_url(base)
        .no_rate_limit()
        .no_media_rate_limit()
        .max_retries(0)
        .timeout(Duration::from_secs(5))
        .poll_schedule(
            seedance_http::PollSchedule::default()
                .time_scale(seedance_core::rules::TimeScale::new(1000.0).unwrap()),
        )
}

fn client(base: &str) -> Client {
    builder(base).build().expect("client")
}

fn id(s: &str) -> TaskId {
    TaskId::from(s)
}

fn request() -> VideoRequest {
    VideoRequest::builder("A glass train crossing a snowy mountain bridge")
        .build()
        .expect("valid")
}

/// Bounds a test that would hang on the old code (endless bodies, slow bodies).
async fn bounded<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .expect("the client did not give up on its own")
}

fn assert_no_key(e: &Error) {
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains("hostile0123"), "{shown}");
    assert!(!shown.contains(&KEY[..30]), "{shown}");
}

// ------------------------------------------------------------------ 1. ids and file names

#[tokio::test]
async fn a_hostile_task_id_is_a_response_error() {
    for bad in ["../escaped", "/tmp/abs", "sd2_ok/../../up", "x.pth"] {
        let body = serde_json::json!({"id": bad, "status": "completed",
            "output": {"video_url": "http://127.0.0.1:9/v.mp4"}})
        .to_string();
        let base = server(move |_| json(StatusCode::OK, body.clone())).await;
        let e = client(&base).get_task(&id("sd2_ok")).await.unwrap_err();
        assert!(e.to_string().contains("not a task id"), "{bad}: {e}");
        // and a submit answer with such an id is refused too
        let e = client(&base)
            .submit(&request(), Default::default())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("not a task id"), "{bad}: {e}");
    }
}

#[tokio::test]
async fn file_names_come_from_the_checked_id_and_a_fixed_extension() {
    // The CDN serves an MP4 at a URL ending in .pth: the file is still `<id>.mp4`.
    let cdn = server(|req| {
        let ct = if req.uri().path().starts_with("/f") {
            "image/png"
        } else {
            "video/mp4"
        };
        let mut r = Response::new(Body::from(vec![7u8; 1000]));
        r.headers_mut()
            .insert(header::CONTENT_TYPE, ct.parse().expect("hv"));
        r
    })
    .await;
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    let task = Task::from_json(
        serde_json::json!({"id": "sd2_ok", "status": "completed", "output": {
            "video_url": format!("{cdn}/evil.pth"), "last_frame_url": format!("{cdn}/f.sh")}})
        .to_string()
        .as_bytes(),
    )
    .expect("task");
    let c = client(&cdn);
    let got = c
        .download(&task, &out.join(""), DownloadOptions::default())
        .await
        .expect("download");
    assert_eq!(got.video, out.join("sd2_ok.mp4"));
    assert_eq!(got.last_frame, Some(out.join("sd2_ok_last_frame.png")));
    // a task whose id never went through parsing (made in code) is still checked
    for bad in ["../escaped", "sd2_ok/../../up", "/abs"] {
        let mut t = task.clone();
        t.id = id(bad);
        let e = c
            .download(&t, &out.join(""), DownloadOptions::default())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("not a task id"), "{bad}: {e}");
    }
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["out"], "nothing was written beside the directory");
}

// ------------------------------------------------------------------ 2. Retry-After

#[tokio::test]
async fn an_absurd_retry_after_is_capped_never_a_panic() {
    for v in [
        "1e300",
        "99999999999999999999",
        "18446744073709551615",
        "1e19",
        "10000000000000",
    ] {
        for status in [
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::SERVICE_UNAVAILABLE,
            StatusCode::BAD_REQUEST,
        ] {
            let base = server(move |_| {
                let mut r = json(
                    status,
                    r#"{"error":{"code":"rate_limited","message":"slow down"}}"#,
                );
                r.headers_mut()
                    .insert(header::RETRY_AFTER, v.parse().expect("hv"));
                r
            })
            .await;
            let e = client(&base).get_task(&id("sd2_1")).await.unwrap_err();
            match e {
                Error::Api { retry_after, .. } => {
                    assert_eq!(
                        retry_after,
                        Some(seedance_core::rules::RETRY_AFTER_MAX),
                        "{v}"
                    )
                }
                other => panic!("{v}: {other}"),
            }
        }
    }
}

// ------------------------------------------------------------------ 3. sizes

#[tokio::test]
async fn a_huge_json_body_is_refused_at_the_limit() {
    let big = format!(
        r#"{{"id":"sd2_1","status":"processing","pad":"{}"}}"#,
        "x".repeat(2 << 20)
    );
    let base = server(move |_| json(StatusCode::OK, big.clone())).await;
    let e = client(&base).get_task(&id("sd2_1")).await.unwrap_err();
    assert!(e.to_string().contains("1048576-byte limit"), "{e}");
    // configurable
    let t = builder(&base)
        .max_body_bytes(4 << 20)
        .build()
        .expect("client")
        .get_task(&id("sd2_1"))
        .await
        .expect("within the raised limit");
    assert_eq!(t.status, TaskStatus::Processing);
}

fn endless(filler: u8) -> Body {
    let chunk = bytes::Bytes::from(vec![filler; 64 * 1024]);
    Body::from_stream(futures_util::stream::repeat_with(move || {
        Ok::<_, std::io::Error>(chunk.clone())
    }))
}

#[tokio::test]
async fn an_endless_json_body_stops_at_the_limit() {
    let base = server(|_| json(StatusCode::OK, endless(b' '))).await;
    let e = bounded(client(&base).get_task(&id("sd2_1")))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("byte limit"), "{e}");
}

fn completed_task(cdn: &str) -> Task {
    Task::from_json(
        serde_json::json!({"id": "sd2_ok", "status": "completed",
            "output": {"video_url": format!("{cdn}/v.mp4")}})
        .to_string()
        .as_bytes(),
    )
    .expect("task")
}

#[tokio::test]
async fn an_endless_download_stops_at_the_size_cap() {
    let cdn = server(|_| {
        let mut r = Response::new(endless(0));
        r.headers_mut()
            .insert(header::CONTENT_TYPE, "video/mp4".parse().expect("hv"));
        r
    })
    .await;
    let dir = tempfile::tempdir().expect("tmp");
    let c = builder(&cdn)
        .max_download_bytes(3 << 20)
        .build()
        .expect("client");
    let e = bounded(c.download(
        &completed_task(&cdn),
        dir.path(),
        DownloadOptions::default(),
    ))
    .await
    .unwrap_err();
    assert!(e.to_string().contains("3145728-byte limit"), "{e}");
    let left: u64 = std::fs::read_dir(dir.path())
        .expect("ls")
        .map(|e| e.expect("entry").metadata().expect("meta").len())
        .sum();
    assert!(left <= 3 << 20, "{left} bytes left on disk");
}

#[tokio::test]
async fn an_announced_oversize_download_is_refused_before_writing() {
    let cdn = server(|_| {
        let mut r = Response::new(Body::from(vec![0u8; 1000]));
        r.headers_mut()
            .insert(header::CONTENT_TYPE, "video/mp4".parse().expect("hv"));
        r
    })
    .await;
    let dir = tempfile::tempdir().expect("tmp");
    let c = builder(&cdn)
        .max_download_bytes(999)
        .build()
        .expect("client");
    let e = c
        .download(
            &completed_task(&cdn),
            dir.path(),
            DownloadOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("999-byte limit"), "{e}");
}

#[tokio::test]
async fn a_slow_download_meets_the_overall_deadline() {
    // one byte every 20 ms, for ever: never idle long enough for the idle timeout
    let cdn = server(|_| {
        let s = futures_util::stream::unfold((), |()| async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Some((Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"x")), ()))
        });
        let mut r = Response::new(Body::from_stream(s));
        r.headers_mut()
            .insert(header::CONTENT_TYPE, "video/mp4".parse().expect("hv"));
        r
    })
    .await;
    let dir = tempfile::tempdir().expect("tmp");
    let c = builder(&cdn)
        .download_deadline(Duration::from_millis(400))
        .build()
        .expect("client");
    let e = bounded(c.download(
        &completed_task(&cdn),
        dir.path(),
        DownloadOptions::default(),
    ))
    .await
    .unwrap_err();
    assert!(e.to_string().contains("deadline"), "{e}");
}

// ------------------------------------------------------------------ 4. secrets

#[tokio::test]
async fn an_echoed_key_never_reaches_an_error() {
    // in the code, in the message, and across the 200-character cut of a non-JSON body
    let cases: Vec<(StatusCode, String)> = vec![
        (
            StatusCode::BAD_REQUEST,
            format!(r#"{{"error":{{"code":"{KEY}","message":"bad"}}}}"#),
        ),
        (
            StatusCode::UNAUTHORIZED,
            format!(
                r#"{{"error":{{"code":"unauthorized","message":"key {KEY} revoked; Bearer {KEY}"}}}}"#
            ),
        ),
        (
            StatusCode::BAD_GATEWAY,
            format!("<html>{}{KEY}</html>", "x".repeat(185)),
        ),
        (StatusCode::OK, format!("not json {}{KEY}", "x".repeat(180))),
    ];
    for (status, body) in cases {
        let base = server(move |_| json(status, body.clone())).await;
        let e = client(&base).get_task(&id("sd2_1")).await.unwrap_err();
        assert_no_key(&e);
    }
    // in a failed task's error message
    let body = format!(
        r#"{{"id":"sd2_1","status":"failed","error":{{"code":"{KEY}","message":"echo {KEY}"}}}}"#
    );
    let base = server(move |_| json(StatusCode::OK, body.clone())).await;
    let c = client(&base);
    let t = c.get_task(&id("sd2_1")).await.expect("task");
    let shown = format!("{:?}", t.error);
    assert!(!shown.contains("hostile0123"), "{shown}");
    let e = c
        .wait(&id("sd2_1"), WaitOptions::default())
        .await
        .unwrap_err();
    assert_no_key(&e);
}

// ------------------------------------------------------------------ 8. tolerant, strict where it matters

#[tokio::test]
async fn an_answer_about_another_task_is_an_error() {
    let base = server(|_| {
        json(
            StatusCode::OK,
            r#"{"id":"sd2_someone_else","status":"completed","output":{"video_url":"https://cdn.example.com/v.mp4"}}"#,
        )
    })
    .await;
    let c = client(&base);
    let e = c.get_task(&id("sd2_mine")).await.unwrap_err();
    assert!(e.to_string().contains("sd2_someone_else"), "{e}");
    let e = bounded(c.wait(&id("sd2_mine"), WaitOptions::default()))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not the"), "{e}");
}

#[tokio::test]
async fn sloppy_fields_and_capital_statuses_do_not_lose_the_job() {
    let base = server(|_| {
        json(
            StatusCode::OK,
            r#"{"id":"sd2_1","status":"COMPLETED","credits_used":30.0,"credits_refunded":-5,
               "seed":"x","new_field":{"a":[1]},"output":{"video_url":"https://cdn.example.com/v.mp4","seed":1.5}}"#,
        )
    })
    .await;
    let t = bounded(client(&base).wait(&id("sd2_1"), WaitOptions::default()))
        .await
        .expect("the task reads and is finished");
    assert_eq!(t.credits_used, Some(30));
    assert_eq!(t.credits_refunded, None);
    assert_eq!(t.raw.expect("raw")["credits_refunded"], -5);
}

// ------------------------------------------------------------------ malformed bodies

#[tokio::test]
async fn invalid_utf8_deep_nesting_and_truncation_are_errors_not_panics() {
    let bodies: Vec<Vec<u8>> = vec![
        b"{\"id\":\"sd2_1\",\"status\":\"\xff\xfe\xfd\"}".to_vec(),
        format!("{}{}", "[".repeat(200_000), "]".repeat(200_000)).into_bytes(),
        "{\"a\":".repeat(50_000).into_bytes(),
        br#"{"id":"sd2_1","status":"proc"#.to_vec(),
        vec![0xff; 300],
    ];
    for body in bodies {
        let b = body.clone();
        let base = server(move |_| json(StatusCode::OK, b.clone())).await;
        let e = client(&base).get_task(&id("sd2_1")).await.unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{e}");
        assert!(e.to_string().chars().count() < 400, "{e}");
    }
}

#[tokio::test]
async fn a_content_length_lie_is_an_error() {
    // announces 1000 bytes, sends 20 and closes: a transport error, never a half task
    let base = server(|_| {
        let mut r = json(StatusCode::OK, r#"{"id":"sd2_1","st"#);
        r.headers_mut()
            .insert(header::CONTENT_LENGTH, "1000".parse().expect("hv"));
        r
    })
    .await;
    let e = bounded(client(&base).get_task(&id("sd2_1")))
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Transport(_) | Error::Decode { .. }),
        "{e}"
    );
    // a download that is shorter than announced is not renamed into place
    let cdn = server(|_| {
        let mut r = Response::new(Body::from(vec![1u8; 100]));
        r.headers_mut()
            .insert(header::CONTENT_TYPE, "video/mp4".parse().expect("hv"));
        r.headers_mut()
            .insert(header::CONTENT_LENGTH, "5000".parse().expect("hv"));
        r
    })
    .await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = bounded(client(&cdn).download(
        &completed_task(&cdn),
        dir.path(),
        DownloadOptions::default(),
    ))
    .await
    .unwrap_err();
    assert!(!dir.path().join("sd2_ok.mp4").exists(), "{e}");
}

// ------------------------------------------------------------------ redirects

/// A server that records the Authorization headers it sees.
async fn recorder() -> (String, Arc<Mutex<Vec<Option<String>>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let base = server(move |req| {
        let auth = req
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        s.lock().expect("lock").push(auth);
        json(StatusCode::OK, r#"{"id":"sd2_1","status":"processing"}"#)
    })
    .await;
    (base, seen)
}

fn redirect_to(status: StatusCode, to: String) -> impl Fn(&Request) -> Response + Clone {
    move |req: &Request| {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = status;
        let loc = format!("{to}{}", req.uri().path());
        r.headers_mut()
            .insert(header::LOCATION, loc.parse().expect("hv"));
        r
    }
}

#[tokio::test]
async fn the_key_never_follows_a_redirect_to_another_port_host_or_scheme() {
    let (other, seen) = recorder().await;
    let other_host = other.replace("127.0.0.1", "localhost");
    let https_other = other.replace("http://", "https://");
    for status in [
        StatusCode::TEMPORARY_REDIRECT,
        StatusCode::PERMANENT_REDIRECT,
    ] {
        for to in [
            other.clone(),
            other_host.clone(),
            https_other.clone(),
            "https://evil.example.com".to_owned(),
        ] {
            let base = server(redirect_to(status, to.clone())).await;
            let e = client(&base).get_task(&id("sd2_1")).await.unwrap_err();
            assert!(e.to_string().contains("refused"), "{status} {to}: {e}");
            let e = client(&base)
                .submit(&request(), Default::default())
                .await
                .unwrap_err();
            assert!(e.to_string().contains("refused"), "{status} {to}: {e}");
        }
    }
    assert!(
        seen.lock().expect("lock").iter().all(Option::is_none),
        "the key reached another origin: {:?}",
        seen.lock().expect("lock")
    );
}

#[tokio::test]
async fn a_301_or_302_of_a_submit_is_refused() {
    for status in [
        StatusCode::MOVED_PERMANENTLY,
        StatusCode::FOUND,
        StatusCode::SEE_OTHER,
    ] {
        let seen = Arc::new(Mutex::new(0u32));
        let s = seen.clone();
        let base_holder: Arc<Mutex<String>> = Arc::new(Mutex::new(String::new()));
        let b = base_holder.clone();
        let base = serve(Router::new().fallback(move |req: Request| {
            let s = s.clone();
            let b = b.clone();
            async move {
                if req.uri().path() == "/moved" {
                    *s.lock().expect("lock") += 1;
                    return json(
                        StatusCode::ACCEPTED,
                        r#"{"id":"sd2_1","status":"processing"}"#,
                    );
                }
                let mut r = Response::new(Body::empty());
                *r.status_mut() = status;
                let loc = format!("{}/moved", b.lock().expect("lock"));
                r.headers_mut()
                    .insert(header::LOCATION, loc.parse().expect("hv"));
                r
            }
        }))
        .await;
        *base_holder.lock().expect("lock") = base.clone();
        let e = client(&base)
            .submit(&request(), Default::default())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("refused"), "{status}: {e}");
        assert_eq!(*seen.lock().expect("lock"), 0, "{status}: followed");
    }
}
