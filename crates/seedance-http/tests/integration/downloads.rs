//! Downloads: temp file then rename, Range resume, size and content-type checks,
//! progress, retries; never the key.

use std::sync::{Arc, Mutex};

use seedance_core::{Task, TaskStatus};
use seedance_emulator::{Endpoint, Fault, FaultKind};
use seedance_http::{DownloadErrorKind, DownloadOptions, Error, Event, GenerateOptions};

use crate::common::*;

async fn finished(client: &seedance_http::Client) -> Task {
    client
        .generate(&request(), GenerateOptions::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn video_and_last_frame_land_in_place() {
    let emu = emulator().await;
    let rec = Recorder::default();
    let client = builder(&emu).on_event(rec.hook()).build().unwrap();
    let task = finished(&client).await;
    let dir = tempfile::tempdir().unwrap();
    let d = client
        .download(&task, dir.path(), DownloadOptions::default())
        .await
        .unwrap();
    assert_eq!(d.video, dir.path().join(format!("{}.mp4", task.id)));
    let frame = d.last_frame.clone().unwrap();
    assert_eq!(
        frame,
        dir.path().join(format!("{}_last_frame.png", task.id))
    );
    let v = std::fs::read(&d.video).unwrap();
    let f = std::fs::read(&frame).unwrap();
    assert_eq!(d.bytes, (v.len() + f.len()) as u64);
    assert_eq!(&f[1..4], b"PNG");
    assert!(std::fs::read_dir(dir.path()).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .ends_with(".part")));
    // the last event of each file names the task and the file's final path, complete
    for want in [&d.video, &frame] {
        assert!(
            rec.events().iter().any(|e| matches!(e,
                Event::DownloadProgress { task_id, path, total: Some(t), bytes }
                    if task_id == &task.id && path == want && t == bytes)),
            "no final progress event for {}",
            want.display()
        );
    }
    // a file path names the video; the frame goes beside it
    let file = dir.path().join("clip/take1.mp4");
    let d = client
        .download(&task, &file, DownloadOptions::default().last_frame(false))
        .await
        .unwrap();
    assert_eq!(d.video, file);
    assert_eq!(std::fs::read(&file).unwrap(), v);
    assert_eq!(emu.stats().cdn_auth_headers_seen, 0);
}

#[tokio::test]
async fn a_partial_file_is_continued_with_range() {
    let emu = emulator().await;
    let client = client(&emu);
    let task = finished(&client).await;
    let dir = tempfile::tempdir().unwrap();
    let full = client
        .download(
            &task,
            &dir.path().join("full.mp4"),
            DownloadOptions::default().last_frame(false),
        )
        .await
        .unwrap();
    let original = std::fs::read(&full.video).unwrap();
    let n = original.len() / 2;
    // a marked prefix: if the client fetched the whole file again, it would be overwritten
    // (`*.part.meta` records what the part is the start of: the task and the URL without
    // its query)
    let source = {
        let mut u = url::Url::parse(task.video_url().unwrap()).unwrap();
        u.set_query(None);
        u.to_string()
    };
    let part = |name: &str, task_id: &str| {
        std::fs::write(dir.path().join(format!("{name}.part")), vec![0xEEu8; n]).unwrap();
        let meta = serde_json::json!({"task_id": task_id, "source": source, "etag": null});
        std::fs::write(
            dir.path().join(format!("{name}.part.meta")),
            meta.to_string(),
        )
        .unwrap();
    };
    let target = dir.path().join("resumed.mp4");
    part("resumed.mp4", task.id.as_str());
    client
        .download(&task, &target, DownloadOptions::default().last_frame(false))
        .await
        .unwrap();
    let got = std::fs::read(&target).unwrap();
    assert_eq!(got.len(), original.len());
    assert!(
        got[..n].iter().all(|b| *b == 0xEE),
        "the prefix was kept (Range used)"
    );
    assert_eq!(&got[n..], &original[n..]);
    assert!(!dir.path().join("resumed.mp4.part.meta").exists());
    // a part of another task (a reused file name), or of unknown origin, is never
    // spliced onto this one: it starts over
    for (name, owner) in [("other.mp4", Some("sd2_other")), ("unknown.mp4", None)] {
        match owner {
            Some(id) => part(name, id),
            None => {
                std::fs::write(dir.path().join(format!("{name}.part")), vec![0xEEu8; n]).unwrap()
            }
        }
        let d = client
            .download(
                &task,
                &dir.path().join(name),
                DownloadOptions::default().last_frame(false),
            )
            .await
            .unwrap();
        assert_eq!(std::fs::read(&d.video).unwrap(), original, "{name}");
    }
    // with resume off, it starts over
    part("fresh.mp4", task.id.as_str());
    client
        .download(
            &task,
            &dir.path().join("fresh.mp4"),
            DownloadOptions::default().last_frame(false).resume(false),
        )
        .await
        .unwrap();
    assert_eq!(
        std::fs::read(dir.path().join("fresh.mp4")).unwrap(),
        original
    );
}

#[tokio::test]
async fn cdn_failures_are_retried_and_bad_content_refused() {
    let emu = emulator().await;
    let client = client(&emu);
    let task = finished(&client).await;
    let dir = tempfile::tempdir().unwrap();
    emu.inject(Fault::new(Endpoint::Cdn, FaultKind::DropBeforeHandling).times(1));
    emu.inject(Fault::new(Endpoint::Cdn, FaultKind::ServiceBusy503).times(1));
    client
        .download(&task, dir.path(), DownloadOptions::default())
        .await
        .unwrap();

    // an image where a video should be
    let mut wrong: Task = task.clone();
    if let Some(o) = wrong.output.as_mut() {
        o.video_url = task.last_frame_url().map(str::to_owned);
    }
    let e = client
        .download(
            &wrong,
            &dir.path().join("x.mp4"),
            DownloadOptions::default().last_frame(false),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Download(d) if d.kind() == DownloadErrorKind::ContentType
            && d.to_string().contains("content type")),
        "{e}"
    );
    assert!(!dir.path().join("x.mp4").exists());

    // an expired URL
    let mut gone = task.clone();
    if let Some(o) = gone.output.as_mut() {
        o.video_url = Some(format!("{}/v/sd2_gone/video.mp4", emu.cdn_url()));
    }
    let e = client
        .download(&gone, &dir.path().join("y.mp4"), DownloadOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Download(d) if d.kind() == DownloadErrorKind::Status
            && d.status() == Some(404)),
        "{e}"
    );

    // nothing to download yet
    let e = client
        .download(
            &Task::new("sd2_x", TaskStatus::Processing),
            dir.path(),
            DownloadOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), seedance_http::ErrorKind::Download);
}

/// A CDN stand-in for `/v.mp4` (`len` bytes): the first full GET is cut off after half
/// the body (the connection drops); ranged GETs are answered with 206. Records the Range
/// header of every request.
async fn flaky_cdn(len: usize) -> (String, Vec<u8>, Arc<Mutex<Vec<Option<String>>>>) {
    use axum::body::Body;
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    use axum::routing::get;
    use futures_util::StreamExt;
    let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
    let ranges = Arc::new(Mutex::new(Vec::new()));
    let (d, r) = (data.clone(), ranges.clone());
    let app = axum::Router::new().route(
        "/v.mp4",
        get(move |h: HeaderMap| {
            let (data, ranges) = (d.clone(), r.clone());
            async move {
                let range = h
                    .get("range")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                ranges.lock().unwrap().push(range.clone());
                match range.as_deref().and_then(|r| r.strip_prefix("bytes=")) {
                    None => {
                        let half = bytes::Bytes::from(data[..len / 2].to_vec());
                        // half the body goes out; then, a moment later, the connection drops
                        let s = futures_util::stream::iter([Ok::<_, std::io::Error>(half)]).chain(
                            futures_util::stream::once(async {
                                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                                Err(std::io::Error::other("cut"))
                            }),
                        );
                        (
                            [
                                ("content-type", "video/mp4".to_owned()),
                                ("content-length", len.to_string()),
                            ],
                            Body::from_stream(s),
                        )
                            .into_response()
                    }
                    Some(spec) => {
                        let start: usize = spec.trim_end_matches('-').parse().unwrap();
                        (
                            StatusCode::PARTIAL_CONTENT,
                            [
                                ("content-type", "video/mp4".to_owned()),
                                ("content-range", format!("bytes {start}-{}/{len}", len - 1)),
                            ],
                            data[start..].to_vec(),
                        )
                            .into_response()
                    }
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), data, ranges)
}

fn task_with_video(url: &str) -> Task {
    Task::from_json(
        serde_json::json!({"id": "sd2_cdn", "status": "completed",
            "output": {"video_url": url}})
        .to_string()
        .as_bytes(),
    )
    .unwrap()
}

#[tokio::test]
async fn an_interrupted_transfer_is_resumed_with_range_from_where_it_stopped() {
    let emu = emulator().await;
    let client = client(&emu);
    let len = 300_000;
    let (host, data, ranges) = flaky_cdn(len).await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("cut.mp4");
    let d = client
        .download(
            &task_with_video(&format!("{host}/v.mp4")),
            &target,
            DownloadOptions::default(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e:?} {:?}", ranges.lock().unwrap()));
    assert_eq!(d.bytes, len as u64);
    assert_eq!(std::fs::read(&target).unwrap(), data);
    let ranges = ranges.lock().unwrap().clone();
    assert_eq!(ranges.len(), 2, "{ranges:?}");
    assert_eq!(ranges[0], None);
    // the part already on disk is kept: the second request asks only for the rest
    let r = ranges[1].clone().unwrap();
    let from: usize = r
        .strip_prefix("bytes=")
        .and_then(|s| s.strip_suffix('-'))
        .unwrap()
        .parse()
        .unwrap();
    assert!(from > 0 && from <= len / 2, "{r}");
    assert!(!dir.path().join("cut.mp4.part").exists());
}

#[tokio::test]
async fn a_short_body_fails_the_size_check_and_never_lands_in_place() {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    use axum::routing::get;
    // a host announcing 1000 bytes and sending 100, every time
    let app = axum::Router::new().route(
        "/v.mp4",
        get(|h: axum::http::HeaderMap| async move {
            let start: u64 = h
                .get("range")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("bytes="))
                .and_then(|v| v.trim_end_matches('-').parse().ok())
                .unwrap_or(0);
            (
                StatusCode::PARTIAL_CONTENT,
                [
                    ("content-type", "video/mp4".to_owned()),
                    (
                        "content-range",
                        format!("bytes {start}-{}/1000", start + 99),
                    ),
                ],
                vec![1u8; 100],
            )
                .into_response()
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let emu = emulator().await;
    let client = builder(&emu).max_retries(1).build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("short.mp4");
    let e = client
        .download(
            &task_with_video(&format!("http://{addr}/v.mp4")),
            &target,
            DownloadOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), seedance_http::ErrorKind::Download, "{e}");
    assert!(e.to_string().contains("1000"), "{e}");
    assert!(!target.exists(), "a short file is never renamed into place");
}

/// Issue 10: a CDN whose `Content-Length` is not the file's length. Smaller: the
/// connection carries only that many bytes, which look complete by the header, so the
/// file's own structure (an MP4 ends where its last box ends) tells it is cut. Larger:
/// the body ends early. Either way a typed download error and no file in place.
#[tokio::test]
async fn a_lying_content_length_is_refused_and_never_lands_in_place() {
    let emu = emulator().await;
    let client = builder(&emu).max_retries(1).build().unwrap();
    let task = finished(&client).await;
    let dir = tempfile::tempdir().unwrap();
    // the real size, from an honest download
    let honest = client
        .download(
            &task,
            &dir.path().join("honest.mp4"),
            DownloadOptions::default().last_frame(false),
        )
        .await
        .unwrap();
    let real = std::fs::metadata(&honest.video).unwrap().len();
    for (announced, what) in [
        (None, "half"),
        (Some(real - 1), "one byte short"),
        (Some(real + 4096), "larger"),
    ] {
        emu.clear_faults();
        emu.inject(Fault::new(
            Endpoint::Cdn,
            FaultKind::ContentLengthLie { announced },
        ));
        let target = dir.path().join("lied.mp4");
        let e = client
            .download(&task, &target, DownloadOptions::default().last_frame(false))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), seedance_http::ErrorKind::Download, "{what}: {e}");
        if announced.is_none_or(|a| a < real) {
            assert!(e.to_string().contains("cut short"), "{what}: {e}");
        }
        assert!(
            !target.exists(),
            "{what}: a cut file is never renamed into place"
        );
    }
    // the last frame is judged the same way (a PNG ends with IEND): the video (the first
    // CDN request) is honest, every later answer lies
    emu.clear_faults();
    emu.inject(
        Fault::new(
            Endpoint::Cdn,
            FaultKind::ContentLengthLie { announced: None },
        )
        .nth(2)
        .times(10),
    );
    let e = client
        .download(
            &task,
            &dir.path().join("framed"),
            DownloadOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), seedance_http::ErrorKind::Download, "{e}");
    assert!(e.to_string().contains("PNG"), "{e}");
    assert!(!dir
        .path()
        .join("framed")
        .join(format!("{}_last_frame.png", task.id))
        .exists());
    emu.clear_faults();
    client
        .download(
            &task,
            &dir.path().join("again.mp4"),
            DownloadOptions::default(),
        )
        .await
        .expect("an honest CDN again: the download lands");
}
