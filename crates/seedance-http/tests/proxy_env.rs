//! Issue 10, item 7: a loopback API never goes through `HTTP_PROXY` (the key would
//! travel in clear to the proxy); other hosts still do, unless `NO_PROXY` names them.
//! Its own test binary: it sets process-wide proxy variables.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Request;
use axum::Router;
use seedance_core::{Task, TaskId};
use seedance_http::{Client, DownloadOptions};

async fn recorder(answer: &'static str) -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let app = Router::new().fallback(move |req: Request| {
        let s = s.clone();
        async move {
            s.lock()
                .expect("lock")
                .push(format!("{} {}", req.method(), req.uri()));
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                answer,
            )
        }
    });
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    (format!("http://{addr}"), seen)
}

#[tokio::test]
async fn loopback_never_goes_through_a_proxy_and_no_proxy_is_honoured() {
    let (api, api_seen) = recorder(r#"{"id":"sd2_1","status":"processing"}"#).await;
    let (proxy, proxy_seen) = recorder("{}").await;
    for v in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
    ] {
        std::env::set_var(v, &proxy);
    }
    std::env::set_var("NO_PROXY", "bypassed.invalid");
    let client = Client::builder()
        .no_env()
        .api_key("sk_live_proxytest_123456")
        .base_url(&api)
        .max_retries(0)
        .timeout(Duration::from_secs(3))
        .build()
        .expect("client");
    client
        .get_task(&TaskId::from("sd2_1"))
        .await
        .expect("the loopback API answers directly");
    assert_eq!(api_seen.lock().expect("lock").len(), 1);
    assert!(
        proxy_seen.lock().expect("lock").is_empty(),
        "the proxy saw {:?}",
        proxy_seen.lock().expect("lock")
    );

    // another host still goes through the proxy…
    let task = |url: &str| {
        Task::from_json(
            serde_json::json!({"id":"sd2_1","status":"completed","output":{"video_url": url}})
                .to_string()
                .as_bytes(),
        )
        .expect("task")
    };
    let dir = tempfile::tempdir().expect("tmp");
    let opts = || DownloadOptions::default().last_frame(false);
    let _ = client
        .download(
            &task("https://cdn.example.invalid/v.mp4"),
            dir.path(),
            opts(),
        )
        .await;
    let seen = proxy_seen.lock().expect("lock").clone();
    assert!(
        seen.iter().any(|r| r.contains("cdn.example.invalid")),
        "{seen:?}"
    );
    // …unless NO_PROXY names it
    let _ = client
        .download(&task("https://bypassed.invalid/v.mp4"), dir.path(), opts())
        .await;
    let seen = proxy_seen.lock().expect("lock").clone();
    assert!(
        !seen.iter().any(|r| r.contains("bypassed.invalid")),
        "{seen:?}"
    );
}
