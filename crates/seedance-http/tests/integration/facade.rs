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
    std::thread::sleep(std::time::Duration::from_millis(50));
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
