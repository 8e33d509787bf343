//! Downloads: temp file then rename, Range resume, size and content-type checks,
//! progress, retries; never the key.

use seedance_core::{Task, TaskStatus};
use seedance_emulator::{Endpoint, Fault, FaultKind};
use seedance_http::{DownloadOptions, Error, Event, GenerateOptions};

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
    assert!(rec
        .events()
        .iter()
        .any(|e| matches!(e, Event::DownloadProgress { total: Some(t), bytes, .. } if t == bytes)));
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
    let target = dir.path().join("resumed.mp4");
    std::fs::write(dir.path().join("resumed.mp4.part"), vec![0xEEu8; n]).unwrap();
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
    // with resume off, it starts over
    std::fs::write(dir.path().join("fresh.mp4.part"), vec![0xEEu8; n]).unwrap();
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
        matches!(&e, Error::Download(m) if m.contains("content type")),
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
    assert!(matches!(&e, Error::Download(m) if m.contains("404")), "{e}");

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
