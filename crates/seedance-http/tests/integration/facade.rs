//! The blocking facade and continue_from.

use seedance_core::{Mode, TaskStatus};
use seedance_http::{blocking, GenerateOptions, SubmitOptions, WaitOptions};

use crate::common::*;

#[test]
fn the_blocking_client_does_everything_on_its_own_runtime() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let emu = rt.block_on(emulator());
    let client = blocking::Client::new(builder(&emu)).unwrap();
    let task = client.submit(&request(), SubmitOptions::default()).unwrap();
    let done = client.wait(&task.id, WaitOptions::default()).unwrap();
    assert_eq!(done.status, TaskStatus::Completed);
    assert_eq!(client.get_task(&task.id).unwrap().id, task.id);
    let dir = tempfile::tempdir().unwrap();
    let files = client
        .download(&done, dir.path(), Default::default())
        .unwrap();
    assert!(files.video.exists());

    // a long take: the next clip starts from this one's last frame
    // (the emulator CDN is http on loopback, so validation would refuse it: unchecked)
    let next = seedance_http::continue_from(&done, "The train enters a tunnel").build_unchecked();
    assert_eq!(next.mode, Some(Mode::ImageToVideo));
    assert_eq!(next.image_url.as_deref(), done.last_frame_url());

    // cancel from another thread
    let c = client.clone();
    let id = task.id.clone();
    let token = client.cancel_token();
    let h = std::thread::spawn(move || {
        c.wait(
            &id,
            WaitOptions::default().expected_render(std::time::Duration::from_secs(100_000)),
        )
    });
    // cancel once the wait is in progress (a token cancelled before a call starts is
    // replaced for that call)
    let t0 = std::time::Instant::now();
    while client.async_client().waits_in_progress() == 0 {
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(10),
            "the wait never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    token.cancel();
    assert!(matches!(
        h.join().unwrap(),
        Err(seedance_http::Error::Cancelled)
    ));
    let again = client.generate(
        &request_with("After the cancel, one more"),
        GenerateOptions::default(),
    );
    assert!(again.is_ok(), "{again:?}");
    drop(client);
    drop(emu);
}

#[tokio::test]
async fn inside_an_async_runtime_the_blocking_client_refuses_instead_of_panicking() {
    let emu = emulator().await;
    // building one here is fine (and a failed build drops its runtime without a panic)
    let no_key = blocking::Client::new(seedance_http::Client::builder().no_env());
    assert_eq!(no_key.unwrap_err().kind(), seedance_http::ErrorKind::Config);
    let client = blocking::Client::new(builder(&emu)).unwrap();
    let e = client
        .submit(&request(), SubmitOptions::default())
        .unwrap_err();
    assert_eq!(e.kind(), seedance_http::ErrorKind::Config, "{e}");
    assert!(e.to_string().contains("async"), "{e}");
    assert_eq!(emu.stats().requests, 0, "nothing was sent");
    // the async client underneath works here
    let task = client
        .async_client()
        .submit(&request(), SubmitOptions::default())
        .await
        .unwrap();
    assert_eq!(emu.tasks()[0].id, task.id);
    // and dropping the last clone (with its runtime) in an async context does not panic
    drop(client);
}
