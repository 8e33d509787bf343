//! Where the video goes (`-o`, `--no-download`), checked before paying; and `resume`
//! honouring the settings it is given and the path recorded at submit.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{files_in, is_mp4, is_png, json, run, Emu};

const PROMPT: &str = "A glass train crossing a snowy mountain bridge";

fn generate(emu: &Emu, dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut c = emu.cmd(dir);
    c.args(["generate", "--prompt", PROMPT]).args(extra);
    run(c)
}

#[test]
fn a_regular_file_in_the_path_fails_before_any_task_naming_it() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("out");
    std::fs::write(&blocker, b"not a directory").unwrap();

    let (code, out, err) = generate(&emu, dir.path(), &["-o", "out/x.mp4"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(err.contains(&blocker.display().to_string()), "{err}");
    assert!(err.contains("is a file, not a directory"), "{err}");
    assert!(err.contains("nothing was sent"), "{err}");

    // Deeper below the file, and as JSON (with the path as given).
    let (code, out, _) = generate(&emu, dir.path(), &["-o", "out/a/b/", "--json"]);
    assert_eq!(code, 1, "{out}");
    let v = json(&out);
    assert_eq!(v["error"]["path"], "out/a/b/");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&blocker.display().to_string()));

    // A file name taken by a directory (the last frame's here).
    std::fs::create_dir(dir.path().join("fox_last_frame.png")).unwrap();
    let (code, _, err) = generate(&emu, dir.path(), &["-o", "fox.mp4"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("fox_last_frame.png is a directory"), "{err}");

    // Nothing reached the server, not even a request.
    assert_eq!(emu.total().requests, 0, "{:?}", emu.total());
    assert_eq!(emu.total().tasks_created, 0);
    // And the failed checks created nothing.
    assert!(blocker.is_file());
}

/// The task id of a `--json` result and the video path it names (absolute).
fn video(out: &str) -> (String, std::path::PathBuf) {
    let v = json(out);
    let id = v["task"]["id"].as_str().unwrap().to_owned();
    let p = std::path::PathBuf::from(v["video"].as_str().unwrap_or_else(|| panic!("{v}")));
    assert!(p.is_absolute(), "{}", p.display());
    (id, p)
}

#[test]
fn o_names_a_directory_or_a_file_by_its_shape() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().unwrap();
    // The child's working directory as getcwd reports it (symlinks resolved).
    let d = &dir.path().canonicalize().unwrap();
    std::fs::create_dir(d.join("takes.v2")).unwrap();

    // A trailing slash, an existing directory, no extension: a directory.
    for (arg, parent) in [
        ("clips/", d.join("clips")),
        ("takes.v2", d.join("takes.v2")),
        ("renders", d.join("renders")),
    ] {
        let (code, out, err) = generate(&emu, d, &["-o", arg, "--json"]);
        assert_eq!(code, 0, "{arg}: {err}");
        let (id, video) = video(&out);
        assert_eq!(video, parent.join(format!("{id}.mp4")), "{arg}");
        assert!(is_mp4(&video), "{arg}");
        assert!(
            is_png(&parent.join(format!("{id}_last_frame.png"))),
            "{arg}"
        );
    }

    // A name with an extension: the file; the last frame beside it.
    let (code, out, err) = generate(&emu, d, &["-o", "shots/fox.mp4", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(video(&out).1, d.join("shots/fox.mp4"));
    assert!(is_png(&d.join("shots/fox_last_frame.png")));

    // A wrong extension: saved under that name, with a warning.
    let (code, out, err) = generate(&emu, d, &["-o", "fox.webm"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("fox.webm") && err.contains("MP4"), "{err}");
    assert!(is_mp4(&d.join("fox.webm")), "{out}");
    let (_, _, err) = generate(&emu, d, &["-o", "fox2.mp4"]);
    assert!(!err.contains("MP4"), "no warning for .mp4: {err}");
    assert_eq!(emu.stats().tasks_created, 6);
}

#[test]
fn without_o_the_video_lands_in_the_current_directory_and_no_download_skips_it() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path().join("work");
    std::fs::create_dir(&cwd).unwrap();
    let cwd = cwd.canonicalize().unwrap();

    let mut c = emu.cmd(dir.path());
    c.current_dir(&cwd)
        .args(["generate", "--prompt", PROMPT, "--json"]);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    let (id, video) = video(&out);
    assert_eq!(video, cwd.join(format!("{id}.mp4")));
    assert!(is_mp4(&video));
    assert_eq!(files_in(&cwd, "png").len(), 1);

    let mut c = emu.cmd(dir.path());
    c.current_dir(&cwd).args([
        "generate",
        "--prompt",
        "A red kite over a windy beach",
        "--no-download",
    ]);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("video URL:"), "the URL instead: {out}");
    assert_eq!(files_in(&cwd, "mp4").len(), 1, "nothing more downloaded");
    assert_eq!(emu.stats().tasks_created, 2);

    // -o and --no-download contradict each other: refused before anything is sent.
    let (code, _, err) = generate(&emu, dir.path(), &["-o", "x.mp4", "--no-download"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(emu.stats().tasks_created, 2);
}

#[test]
fn resume_from_another_directory_saves_where_generate_was_asked_to() {
    // 105 s of model time at scale 50: about 2 s, well past the 200 ms bound.
    let emu = Emu::start_with(50.0, |b| b);
    let dir = tempfile::tempdir().unwrap();
    let (code, out, _) = generate(
        &emu,
        dir.path(),
        &["-o", "out/train.mp4", "--wait-timeout", "200ms", "--json"],
    );
    assert_eq!(code, 5, "timed out, still rendering: {out}");

    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let mut c = emu.cmd(dir.path());
    c.current_dir(&elsewhere).args(["resume", "--json"]);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(is_mp4(&dir.path().join("out/train.mp4")), "{out}");
    assert!(is_png(&dir.path().join("out/train_last_frame.png")));
    assert!(
        std::fs::read_dir(&elsewhere).unwrap().next().is_none(),
        "nothing saved relative to where resume ran"
    );
    assert_eq!(emu.stats().tasks_created, 1);
}

#[test]
fn resume_after_no_wait_saves_to_the_absolute_path_recorded_at_submit() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let first = root.join("first");
    std::fs::create_dir(&first).unwrap();
    // One with -o (relative to where generate ran), one without (its current directory).
    let from_first = || {
        let mut c = emu.cmd(&root);
        c.current_dir(&first);
        c
    };
    let with_o = emu.submit_no_wait_with(from_first(), PROMPT, &["-o", "clips/"]);
    let without_o = emu.submit_no_wait_with(from_first(), "A red kite over a windy beach", &[]);

    let elsewhere = root.join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let mut c = emu.cmd(&root);
    c.current_dir(&elsewhere).args(["resume", "--json"]);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(is_mp4(&first.join(format!("clips/{with_o}.mp4"))), "{out}");
    assert!(is_mp4(&first.join(format!("{without_o}.mp4"))), "{out}");
    assert!(std::fs::read_dir(&elsewhere).unwrap().next().is_none());
    assert_eq!(emu.stats().tasks_created, 2);
}

#[test]
fn resume_honours_expected_render_and_wait_timeout() {
    // 105 s of model time at scale 10: about 10 s of rendering.
    let emu = Emu::start_with(10.0, |b| b);
    let dir = tempfile::tempdir().unwrap();
    emu.submit_no_wait(dir.path(), PROMPT);

    // Expecting 2 s (0.2 s here) and giving up after 1 s: a poll well before the model's
    // 105 s, then exit 5 at the bound (not a wait for the whole render).
    let started = Instant::now();
    let mut c = emu.cmd(dir.path());
    c.args([
        "resume",
        "--expected-render",
        "2s",
        "--wait-timeout",
        "1s",
        "--json",
    ]);
    let (code, out, err) = run(c);
    let took = started.elapsed();
    assert_eq!(code, 5, "gave up at --wait-timeout: {out}\n{err}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    let timings = emu.emu().task_timings();
    assert_eq!(timings.len(), 1);
    assert!(
        timings[0].polls >= 1,
        "polled near the expected 2 s, not the model's time: {timings:?}"
    );
    assert!(timings[0].first_seen_done_ms.is_none(), "still rendering");
}
