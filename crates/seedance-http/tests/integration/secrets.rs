//! Promise 5: bad input never leaves; the key stays secret.

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use seedance_core::{Mode, QualityTier, Resolution, VideoRequest};
use seedance_emulator::{Endpoint, Fault, FaultKind, Redirect};
use seedance_http::{
    Client, DownloadOptions, Error, ErrorKind, GenerateOptions, PreflightErrorKind, SubmitOptions,
    TransportErrorKind,
};

use crate::common::*;

#[tokio::test]
async fn invalid_requests_never_leave() {
    let emu = emulator().await;
    let client = client(&emu);
    let bad = VideoRequest::builder("A glass train")
        .quality_tier(QualityTier::Standard)
        .resolution(Resolution::K4)
        .build_unchecked();
    let e = client
        .submit(&bad, SubmitOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    let e = client
        .generate(&bad, GenerateOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert_eq!(emu.total_stats().requests, 0);
}

fn redirecting_client(emu: &seedance_emulator::Emulator, hosts: &[&str]) -> Client {
    let mut http = seedance_http::reqwest_client_builder();
    for h in hosts {
        http = http.resolve(h, emu.api_addr());
    }
    builder(emu)
        .base_url(format!(
            "http://seedance.localhost:{}",
            emu.api_addr().port()
        ))
        .http_client(http.build().unwrap())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_redirect_to_www_of_the_same_site_keeps_the_key() {
    let emu = emulator().await;
    emu.set_redirect(Some(Redirect::ApexToWww));
    let client = redirecting_client(&emu, &["seedance.localhost", "www.seedance.localhost"]);
    let task = client
        .generate(&request(), GenerateOptions::default())
        .await
        .unwrap();
    assert!(task.video_url().is_some());
    let t = emu.total_stats();
    assert!(t.redirects >= 2, "{t:?}");
    assert_eq!(t.unauthorized, 0);
    assert_eq!(emu.stats().tasks_created, 1);
    assert_eq!(
        t.rate_limited, 0,
        "redirect hops count against the budget too"
    );
}

#[tokio::test]
async fn a_redirect_elsewhere_is_refused() {
    let emu = emulator().await;
    let port = emu.api_addr().port();
    emu.set_redirect(Some(Redirect::ToHost(format!("collector.example:{port}"))));
    let client = redirecting_client(&emu, &["seedance.localhost", "collector.example"]);
    let e = client
        .submit(&request(), SubmitOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Transport(t) if t.kind() == TransportErrorKind::RedirectRefused
            && t.to_string().contains("refused")),
        "{e}"
    );
    let t = emu.total_stats();
    assert_eq!(t.redirects, 1, "one 307, not followed: {t:?}");
    assert_eq!(t.tasks_created, 0);
}

#[tokio::test]
async fn malformed_responses_give_clear_errors() {
    let emu = emulator().await;
    let client = builder(&emu).max_retries(0).build().unwrap();
    let task = client
        .submit(&request(), SubmitOptions::default())
        .await
        .unwrap();
    emu.inject(Fault::new(Endpoint::GetTask, FaultKind::HtmlBadGateway).times(1));
    match client.get_task(&task.id).await.unwrap_err() {
        Error::Decode { status, snippet } => {
            assert_eq!(status, 502);
            assert!(
                snippet.to_lowercase().contains("<html") || snippet.contains("Bad Gateway"),
                "{snippet}"
            );
        }
        e => panic!("{e:?}"),
    }
    emu.inject(Fault::new(Endpoint::GetTask, FaultKind::MalformedJson).times(1));
    match client.get_task(&task.id).await.unwrap_err() {
        Error::Decode { status, .. } => assert_eq!(status, 200),
        e => panic!("{e:?}"),
    }
    emu.inject(Fault::new(Endpoint::GetTask, FaultKind::ExtraFields).times(1));
    let t = client.get_task(&task.id).await.unwrap();
    assert_eq!(t.id, task.id);
    // with retries, the same faults are ridden out
    let patient = client_for(&emu);
    emu.inject(Fault::new(Endpoint::GetTask, FaultKind::HtmlBadGateway).times(2));
    assert_eq!(patient.get_task(&task.id).await.unwrap().id, task.id);
}

fn client_for(emu: &seedance_emulator::Emulator) -> Client {
    client(emu)
}

/// A reference-media host: HEAD refused (405), ranged GETs answered.
async fn media_host(seen_auth: Arc<Mutex<u32>>) -> String {
    use axum::routing::get;
    let count = move |h: &HeaderMap| {
        if h.contains_key("authorization") {
            *seen_auth.lock().unwrap() += 1;
        }
    };
    let c1 = count.clone();
    let c2 = count.clone();
    let c3 = count.clone();
    let c4 = count;
    let app = axum::Router::new()
        .route(
            "/frame.png",
            get(move |h: HeaderMap| async move {
                c1(&h);
                ([("content-type", "image/png")], vec![0u8; 1000])
            }),
        )
        .route(
            "/big.png",
            get(move |h: HeaderMap| async move {
                c2(&h);
                (
                    StatusCode::PARTIAL_CONTENT,
                    [
                        ("content-type", "image/png"),
                        ("content-range", "bytes 0-0/40000000"),
                    ],
                    vec![0u8; 1],
                )
                    .into_response()
            })
            .head(|| async { StatusCode::METHOD_NOT_ALLOWED }),
        )
        .route(
            "/page.png",
            get(move |h: HeaderMap| async move {
                c3(&h);
                ([("content-type", "text/html")], "<html>not an image</html>")
            }),
        )
        .route(
            "/clip.mp4",
            get(move |h: HeaderMap| async move {
                c4(&h);
                ([("content-type", "video/mp4")], vec![0u8; 100])
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn preflight_checks_reference_urls_without_the_key() {
    let emu = emulator().await;
    let client = client(&emu);
    let seen = Arc::new(Mutex::new(0));
    let host = media_host(seen.clone()).await;
    let frame = |u: &str| {
        VideoRequest::builder("The train from the photo")
            .mode(Mode::ImageToVideo)
            .image_url(format!("{host}{u}"))
            .build_unchecked()
    };
    client.preflight(&frame("/frame.png")).await.unwrap();
    // each refusal: its kind (also as `detail_kind`), its status, its text
    let problem = |e: Error| match &e {
        Error::Preflight(p) => {
            assert_eq!(e.detail_kind(), Some(p.kind().as_str()));
            assert_eq!(e.to_string(), format!("preflight: {p}"));
            assert!(std::error::Error::source(p).is_none(), "{p:?}");
            (p.kind(), p.status(), p.to_string())
        }
        e => panic!("{e:?}"),
    };
    let (k, s, p) = problem(client.preflight(&frame("/big.png")).await.unwrap_err());
    assert!(p.starts_with("image_url") && p.contains("40000000"), "{p}");
    assert_eq!((k, s), (PreflightErrorKind::TooLarge, None));
    let (k, s, p) = problem(client.preflight(&frame("/page.png")).await.unwrap_err());
    assert!(p.contains("text/html"), "{p}");
    assert_eq!((k, s), (PreflightErrorKind::ContentType, None));
    let (k, s, p) = problem(client.preflight(&frame("/missing.png")).await.unwrap_err());
    assert!(p.contains("404"), "{p}");
    assert_eq!((k, s), (PreflightErrorKind::Status, Some(404)));
    let e = client.preflight(&frame("/missing.png")).await.unwrap_err();
    assert_eq!(e.detail_kind(), Some("status"));
    // a plain-http reference off loopback is not fetched at all
    let insecure = VideoRequest::builder("The train from the photo")
        .mode(Mode::ImageToVideo)
        .image_url("http://media.example.com/frame.png")
        .build_unchecked();
    let (k, s, p) = problem(client.preflight(&insecure).await.unwrap_err());
    assert!(p.starts_with("image_url: http:// URLs"), "{p}");
    assert_eq!((k, s), (PreflightErrorKind::Url, None));
    // a video that ignores Range
    let media = VideoRequest::builder("Continue the supplied clip")
        .mode(Mode::MediaToVideo)
        .media_urls([format!("{host}/frame.png"), format!("{host}/clip.mp4")])
        .build_unchecked();
    let (k, s, p) = problem(client.preflight(&media).await.unwrap_err());
    assert!(p.starts_with("media_urls[1]") && p.contains("Range"), "{p}");
    assert_eq!((k, s), (PreflightErrorKind::RangeUnsupported, Some(200)));
    // the emulator's CDN video answers Range: accepted
    let done = client
        .generate(&request(), GenerateOptions::default())
        .await
        .unwrap();
    let ok = VideoRequest::builder("Continue the supplied clip")
        .mode(Mode::MediaToVideo)
        .media_urls([
            done.video_url().unwrap().to_owned(),
            done.last_frame_url().unwrap().to_owned(),
        ])
        .build_unchecked();
    client.preflight(&ok).await.unwrap();
    assert_eq!(*seen.lock().unwrap(), 0, "no key to reference hosts");
    assert_eq!(emu.stats().cdn_auth_headers_seen, 0);
    let _ = DownloadOptions::default();
}

#[tokio::test]
async fn a_submit_with_preflight_sends_nothing_when_a_reference_fails() {
    // A public-looking https reference host, resolved to a local listener that is not
    // a web server: the preflight reaches it (and fails); the submit never leaves.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(Mutex::new(0u32));
    let counter = connections.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            *counter.lock().unwrap() += 1;
            drop(sock);
        }
    });
    let emu = emulator().await;
    let http = seedance_http::reqwest_client_builder()
        .resolve(
            "media.example.com",
            std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        )
        .build()
        .unwrap();
    let client = builder(&emu).http_client(http).build().unwrap();
    let req = VideoRequest::builder("The train from the photo crosses the bridge")
        .mode(Mode::ImageToVideo)
        .image_url(format!("https://media.example.com:{port}/frame.png"))
        .build()
        .unwrap();
    let e = client
        .submit(&req, SubmitOptions::default().preflight(true))
        .await
        .unwrap_err();
    match &e {
        Error::Preflight(p) => {
            assert_eq!(p.field(), "image_url");
            assert_eq!(p.kind(), PreflightErrorKind::Unreachable);
            assert!(p.problem().contains("not reachable"), "{p}");
        }
        other => panic!("{other:?}"),
    }
    let e = client
        .generate(
            &req,
            GenerateOptions::default().submit(SubmitOptions::default().preflight(true)),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Preflight(_)), "{e:?}");
    assert!(*connections.lock().unwrap() >= 2, "the preflight ran");
    assert_eq!(emu.total_stats().requests, 0, "nothing reached the API");
    // without the preflight the same request is sent (the check above can fail)
    client.submit(&req, SubmitOptions::default()).await.unwrap();
    assert_eq!(emu.stats().tasks_created, 1);
}

#[tokio::test]
async fn a_failed_download_never_quotes_a_signed_url() {
    let emu = emulator().await;
    let client = builder(&emu).max_retries(1).build().unwrap();
    // a CDN that refuses connections; its URL carries a signature in the query
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut task = seedance_core::Task::new("sd2_sig", seedance_core::TaskStatus::Completed);
    task.output = serde_json::from_value(serde_json::json!({
        "video_url": format!("http://127.0.0.1:{port}/v/1.mp4?X-Signature=TOPSECRET")
    }))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let e = client
        .download(&task, dir.path(), DownloadOptions::default())
        .await
        .unwrap_err();
    let shown = format!("{e} {e:?}");
    assert!(shown.contains("/v/1.mp4"), "{shown}");
    assert!(!shown.contains("TOPSECRET"), "{shown}");
}
