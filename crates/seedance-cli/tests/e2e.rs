//! End to end: the `seedance` binary against the emulator on 127.0.0.1:0.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{
    files_in, is_mp4, is_png, json, json_lines, path, run, seedance, Emu, REVOKED_SECRET,
    SECRET_KEY,
};

/// A director-flag request with every kind of request flag and a fixed idempotency key.
const FOX: &[&str] = &[
    "generate",
    "--subject",
    "a red fox",
    "--action",
    "trots through fresh snow",
    "--style",
    "35mm film",
    "--duration",
    "6",
    "--aspect-ratio",
    "9:16",
    "--no-audio",
    "--seed",
    "42",
    "--idempotency-key",
    "fox-1",
];

#[test]
fn generate_waits_and_downloads_video_and_last_frame() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().unwrap();

    let (code, out, err) = emu.run(
        dir.path(),
        &[
            "generate",
            "--prompt",
            "A glass train crossing a snowy mountain bridge",
            "-o",
            "out/",
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("completed"), "{out}");
    assert!(
        err.contains("submitted sd2_"),
        "plain progress lines when not a terminal: {err}"
    );
    let mp4 = files_in(&dir.path().join("out"), "mp4");
    assert_eq!(mp4.len(), 1);
    assert!(is_mp4(&mp4[0]));
    assert_eq!(files_in(&dir.path().join("out"), "png").len(), 1);
    assert_eq!(emu.stats().tasks_created, 1);

    // --json: only the result, parseable, with the task and local paths; director flags.
    let (code, out, err) = emu.run(dir.path(), &[FOX, &["-o", "fox.mp4", "--json"]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(
        err.is_empty(),
        "--json prints nothing but the result: {err}"
    );
    let v = json(&out);
    assert_eq!(v["task"]["status"], "completed");
    assert_eq!(v["idempotency_key"], "fox-1");
    assert!(v["task"]["id"].as_str().unwrap().starts_with("sd2_"));
    assert!(is_mp4(&path(&v["video"], dir.path())));
    // Resolved at submit: absolute.
    let fox = dir.path().canonicalize().unwrap().join("fox.mp4");
    assert_eq!(v["video"], fox.display().to_string());
    assert!(is_png(&path(&v["last_frame"], dir.path())));
    assert_eq!(emu.stats().tasks_created, 2);

    // The same key and request again: the API replays, nothing is charged twice.
    let charged = emu.stats().credits_charged;
    let (code, out, _) = emu.run(dir.path(), &[FOX, &["--json"]].concat());
    assert_eq!(code, 0);
    assert_eq!(json(&out)["task"]["id"], v["task"]["id"]);
    assert_eq!(emu.stats().tasks_created, 2);
    assert_eq!(emu.stats().credits_charged, charged);
}

#[test]
fn validation_errors_name_the_field_exit_2_and_send_nothing() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--prompt", "A cat on a wall", "--duration", "20"],
            "duration",
        ),
        (
            &["--prompt", "A cat on a wall", "--resolution", "4k"],
            "resolution",
        ),
        (
            &[
                "--prompt",
                "A cat on a wall",
                "--image-url",
                "https://10.0.0.1/cat.png",
            ],
            "image_url",
        ),
        (
            &[
                "--prompt",
                "A cat on a wall",
                "--media-url",
                "http://cdn.example.com/a.mp4",
            ],
            "media_urls[0]",
        ),
        (
            &[
                "--prompt",
                "A cat on a wall",
                "--quality-tier",
                "mini",
                "--seed",
                "7",
            ],
            "seed",
        ),
        (
            &[
                "--prompt",
                "A cat on a wall",
                "--channel",
                "real",
                "--seed",
                "7",
            ],
            "seed",
        ),
        (
            &["--prompt", "A cat on a wall", "--mode", "media-to-video"],
            "media_urls",
        ),
        (
            &[
                "--prompt",
                "A cat on a wall",
                "--end-image-url",
                "https://cdn.example.com/e.png",
            ],
            "image_url",
        ),
        (&["--prompt", "the hero from @图片1 waves"], "prompt"),
        (&["--prompt", "hi"], "prompt"),
        (
            &[
                "--subject",
                "a fox",
                "--shot",
                "it runs|wide|0-9",
                "--duration",
                "5",
            ],
            "prompt",
        ),
        (
            &["--prompt", "A cat on a wall", "--subject", "a fox"],
            "prompt",
        ),
        (
            &[
                "--action",
                "it waves",
                "--closing-frame",
                "https://cdn.example.com/e.png",
            ],
            "prompt",
        ),
    ];
    for (args, field) in cases {
        let mut c = emu.cmd(dir.path());
        c.arg("generate").args(*args).args(["-o", "out/"]);
        let (code, out, err) = run(c);
        assert_eq!(code, 2, "{args:?}: exit 2 expected\n{out}\n{err}");
        // Named as `field: problem` (a violation) or as the flag (a usage error).
        assert!(
            err.contains(&format!("{field}:")) || err.contains(&format!("--{field}")),
            "{args:?} must name {field}: {err}"
        );

        let mut c = emu.cmd(dir.path());
        c.arg("generate").args(*args).arg("--json");
        let (code, out, _) = run(c);
        assert_eq!(code, 2);
        let v = json(&out);
        assert_eq!(v["error"]["exit_code"], 2);
        let named = v["error"]["violations"]
            .as_array()
            .map(|a| a.iter().any(|x| x["field"] == *field))
            .unwrap_or(false)
            || v["error"]["field"] == *field;
        assert!(named, "{args:?}: JSON names {field}: {v}");
    }
    // Nothing reached the server, not even unauthenticated.
    assert_eq!(emu.total().requests, 0, "{:?}", emu.total());
    assert_eq!(emu.total().unauthorized, 0);
    assert_eq!(emu.total().tasks_created, 0);
}

#[test]
fn no_wait_then_status_wait_download() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().unwrap();
    let id = emu.submit_no_wait(dir.path(), "A red kite over a windy beach");

    let (code, out, err) = emu.run(dir.path(), &["wait", &id, "-o", "w/", "--json"]);
    assert_eq!(code, 0, "{err}");
    let w = json(&out);
    assert_eq!(w["task"]["status"], "completed");
    assert!(is_mp4(&path(&w["video"], dir.path())));
    // Saved by the wait: the job is done, `resume` does not download it a second time.
    assert_done_and_resume_saves_nothing(&emu, dir.path());

    let (code, out, _) = emu.run(dir.path(), &["status", &id, "--json"]);
    assert_eq!(code, 0);
    let s = json(&out);
    assert_eq!(s["task"]["id"], id.as_str());
    assert!(s["task"]["output"]["video_url"].as_str().is_some());

    let (code, out, _) = emu.run(dir.path(), &["status", &id]);
    assert_eq!(code, 0);
    assert!(out.contains(&id) && out.contains("completed"), "{out}");

    let (code, out, err) = emu.run(dir.path(), &["download", &id, "-o", "d/clip.mp4"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("d/clip.mp4"), "{out}");
    assert!(is_mp4(&dir.path().join("d/clip.mp4")));
    assert_eq!(emu.stats().tasks_created, 1);
    assert_eq!(
        emu.stats().cdn_auth_headers_seen,
        0,
        "no key sent to the CDN"
    );
}

#[test]
fn download_after_no_wait_records_the_job_as_downloaded() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().unwrap();
    let id = emu.submit_no_wait(dir.path(), "A red kite over a windy beach");
    // Waited without saving: the job is completed, not yet downloaded.
    let (code, _, err) = emu.run(dir.path(), &["wait", &id, "--json"]);
    assert_eq!(code, 0, "{err}");
    let state = |id: &str| {
        let (code, out, _) = emu.run(dir.path(), &["jobs", "--json"]);
        assert_eq!(code, 0);
        let jobs = json(&out)["jobs"].as_array().cloned().unwrap_or_default();
        let job = jobs.iter().find(|j| j["task_id"] == id);
        job.unwrap_or_else(|| panic!("no job of {id}: {out}"))["state"].clone()
    };
    assert_ne!(state(&id), "downloaded");

    let (code, _, err) = emu.run(dir.path(), &["download", &id, "-o", "d/"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(files_in(&dir.path().join("d"), "mp4").len(), 1);
    // Saved by `download`: the job is done, `resume` saves no second copy.
    assert_done_and_resume_saves_nothing(&emu, dir.path());
    assert_eq!(emu.stats().tasks_created, 1);
    // `download` takes the store's options: with --no-journal it leaves the store alone.
    let id = emu.submit_no_wait(dir.path(), "A paper boat on a rainy street");
    let (code, _, err) = emu.run(dir.path(), &["wait", &id, "--json"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = emu.run(dir.path(), &["download", &id, "-o", "e/", "--no-journal"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(files_in(&dir.path().join("e"), "mp4").len(), 1);
    assert_ne!(
        state(&id),
        "downloaded",
        "--no-journal: the store is untouched"
    );
    assert_eq!(emu.stats().tasks_created, 2);
}

/// The only job of `dir`'s store is downloaded (not unfinished), and `resume` there finds
/// nothing to do and saves no copy where it runs.
fn assert_done_and_resume_saves_nothing(emu: &Emu, dir: &std::path::Path) {
    let (code, out, _) = emu.run(dir, &["jobs", "--json"]);
    assert_eq!(code, 0);
    let job = &json(&out)["jobs"][0];
    assert_eq!(
        (&job["state"], &job["unfinished"]),
        (&"downloaded".into(), &false.into()),
        "{job}"
    );
    let (code, out, _) = emu.run(dir, &["resume", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(
        json(&out)["jobs"].as_array().map(Vec::len),
        Some(0),
        "{out}"
    );
    assert_eq!(files_in(dir, "mp4").len(), 0, "no copy where resume ran");
}

#[test]
fn api_errors_exit_3_and_failed_tasks_exit_4() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().unwrap();

    let mut c = emu.cmd(dir.path());
    c.env("SEEDANCE_API_KEY", REVOKED_SECRET).args([
        "generate",
        "--prompt",
        "A red kite over a windy beach",
        "--json",
    ]);
    let (code, out, _) = run(c);
    assert_eq!(code, 3, "{out}");
    let v = json(&out);
    assert_eq!(v["error"]["kind"], "api");
    assert_eq!(v["error"]["code"], "unauthorized");
    assert_eq!(v["error"]["status"], 401);

    let (code, _, err) = emu.run(dir.path(), &["status", "sd2_does_not_exist"]);
    assert_eq!(code, 3);
    assert!(err.contains("not_found"), "{err}");

    let mut c = emu.cmd(dir.path());
    c.env("SEEDANCE_API_KEY", seedance_emulator::NO_CREDITS_TEST_KEY)
        .args(["generate", "--prompt", "A red kite over a windy beach"]);
    let (code, _, err) = run(c);
    assert_eq!(code, 3);
    assert!(
        err.contains("insufficient_credits") && err.contains("top up"),
        "{err}"
    );

    // A render that fails: exit 4, refund reported.
    let (code, out, _) = emu.run(
        dir.path(),
        &[
            "generate",
            "--prompt",
            "A red kite [fail] over the sea",
            "--json",
        ],
    );
    assert_eq!(code, 4, "{out}");
    let v = json(&out);
    assert_eq!(v["error"]["kind"], "task_failed");
    assert!(v["error"]["task_id"].as_str().unwrap().starts_with("sd2_"));
    assert_eq!(v["error"]["credits_refunded"], emu.stats().credits_refunded);

    // download of a failed task: exit 4.
    let id = v["error"]["task_id"].as_str().unwrap().to_owned();
    let (code, _, _) = emu.run(dir.path(), &["download", &id]);
    assert_eq!(code, 4);
}

#[test]
fn wait_timeout_exits_5_and_the_task_can_be_waited_for_later() {
    // 105 s of model time at scale 50: about 2 s.
    let emu = Emu::start_with(50.0, |b| b);
    let dir = tempfile::tempdir().unwrap();
    let mut c = emu.cmd(dir.path());
    c.args([
        "generate",
        "--prompt",
        "A red kite over a windy beach",
        "--wait-timeout",
        "300ms",
        "--json",
    ]);
    let started = Instant::now();
    let (code, out, _) = run(c);
    assert_eq!(code, 5, "{out}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "gave up at the bound"
    );
    let v = json(&out);
    assert_eq!(v["error"]["kind"], "wait_timeout");
    let id = v["error"]["task_id"].as_str().unwrap().to_owned();

    // Not finished yet: download says so with exit 5.
    let (code, _, err) = emu.run(dir.path(), &["download", &id]);
    assert_eq!(code, 5, "{err}");

    let (code, _, err) = emu.run(dir.path(), &["wait", &id, "-o", "late/"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(files_in(&dir.path().join("late"), "mp4").len(), 1);
    assert_eq!(emu.stats().tasks_created, 1);
}

#[test]
fn kill_9_while_waiting_then_resume_delivers_one_task_one_charge() {
    // Slow-ish: 105 s of model time at scale 20 is about 5 s, so the process is surely
    // mid-wait when killed.
    let emu = Emu::start_with(20.0, |b| b);
    let dir = tempfile::tempdir().unwrap();
    let mut child = emu
        .process(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .args([
            "generate",
            "--prompt",
            "A lighthouse in a storm at night",
            "-o",
            "out/",
        ])
        .spawn()
        .expect("spawn");
    emu.wait_for(10.0, "the submit", |s| s.tasks_created == 1);
    std::thread::sleep(Duration::from_millis(200));
    child.kill().expect("SIGKILL"); // kill -9
    let status = child.wait().expect("reaped");
    assert!(!status.success());
    assert_eq!(emu.stats().tasks_completed, 0, "killed mid-wait");
    assert!(files_in(&dir.path().join("out"), "mp4").is_empty());

    let (code, out, _) = emu.run(dir.path(), &["resume", "--list", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(json(&out)["jobs"].as_array().unwrap().len(), 1);

    let (code, out, err) = emu.run(dir.path(), &["resume", "--json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let resumed = json(&out);
    let mp4 = files_in(&dir.path().join("out"), "mp4");
    assert_eq!(
        mp4.len(),
        1,
        "the file is delivered where the killed run asked: {out}"
    );
    assert!(is_mp4(&mp4[0]));
    assert_eq!(files_in(&dir.path().join("out"), "png").len(), 1);
    let s = emu.stats();
    assert_eq!(s.tasks_created, 1, "one task");
    assert_eq!(
        s.credits_charged,
        resumed["jobs"][0]["task"]["credits_used"]
            .as_u64()
            .expect("the task's price"),
        "one charge: {resumed}"
    );
    assert_eq!(resumed["jobs"].as_array().map(Vec::len), Some(1));

    // Nothing left to do.
    let (code, out, _) = emu.run(dir.path(), &["resume", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(json(&out)["jobs"].as_array().unwrap().len(), 0);
    assert_eq!(emu.stats().tasks_created, 1);
}

#[test]
fn batch_runs_every_job_and_a_rerun_pays_nothing_twice() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("jobs.jsonl"),
        concat!(
            "# three jobs\n",
            "{\"name\":\"train\",\"prompt\":\"A glass train crosses a snowy bridge\",\"duration\":5}\n",
            "{\"name\":\"fox\",\"director\":{\"subject\":\"a red fox\",\"action\":\"it trots through snow\"},\"quality_tier\":\"pro\",\"resolution\":\"1080p\"}\n",
            "\n",
            "{\"prompt\":\"A red kite over a windy beach\",\"aspect_ratio\":\"9:16\"}\n",
        ),
    )
    .unwrap();
    let (code, out, err) = emu.run(
        dir.path(),
        &["batch", "jobs.jsonl", "-o", "renders", "--json"],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 4, "{out}");
    let summary = &lines[3]["summary"];
    assert_eq!(summary["completed"], 3);
    assert!(lines[..3]
        .iter()
        .all(|l| l["status"] == "completed" && l["reused"] == false));
    assert!(is_mp4(&dir.path().join("renders/train.mp4")));
    assert!(is_mp4(&dir.path().join("renders/fox.mp4")));
    assert_eq!(files_in(&dir.path().join("renders"), "mp4").len(), 3);
    let after_first = emu.stats();
    assert_eq!(after_first.tasks_created, 3);

    // Re-run with the journal: nothing sent at all.
    let (code, out, _) = emu.run(
        dir.path(),
        &["batch", "jobs.jsonl", "-o", "renders", "--json"],
    );
    assert_eq!(code, 0);
    let lines = json_lines(&out);
    assert!(lines[..3].iter().all(|l| l["reused"] == true), "{out}");
    assert_eq!(lines[3]["summary"]["credits_used"], 0);
    let s = emu.stats();
    assert_eq!(s.tasks_created, 3);
    assert_eq!(s.credits_charged, after_first.credits_charged);
    assert_eq!(
        s.requests, after_first.requests,
        "finished jobs are not even polled"
    );

    // Re-run without the journal (another machine): the stable keys make the API replay.
    let (code, out, err) = emu.run(
        dir.path(),
        &["--no-journal", "batch", "jobs.jsonl", "-o", "again"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 3, "one JSON line per job: {out}");
    assert!(err.contains("3/3 completed"), "a summary: {err}");
    let s = emu.stats();
    assert_eq!(s.tasks_created, 3, "no second task");
    assert_eq!(
        s.credits_charged, after_first.credits_charged,
        "no second charge"
    );
    assert!(s.idempotent_replays >= 3);
    assert_eq!(files_in(&dir.path().join("again"), "mp4").len(), 3);

    // A bad line: exit 2 naming line and field, nothing sent.
    std::fs::write(
        dir.path().join("bad.jsonl"),
        "{\"prompt\":\"A fine prompt here\"}\n{\"prompt\":\"A cat\",\"resolution\":\"4k\"}\n",
    )
    .unwrap();
    let requests = emu.total().requests;
    let (code, _, err) = emu.run(dir.path(), &["batch", "bad.jsonl"]);
    assert_eq!(code, 2);
    assert!(err.contains("line 2: resolution"), "{err}");
    assert_eq!(emu.total().requests, requests);
}

#[test]
fn the_key_never_appears_in_any_output() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("jobs.jsonl"),
        "{\"prompt\":\"A red kite over a windy beach\"}\n",
    )
    .unwrap();
    let runs: Vec<Vec<&str>> = vec![
        vec![
            "-vvv",
            "generate",
            "--prompt",
            "A glass train crossing a bridge",
            "-o",
            "out/",
        ],
        vec![
            "-vvv",
            "generate",
            "--prompt",
            "A glass train crossing a bridge",
            "--json",
        ],
        vec![
            "-vvv",
            "generate",
            "--prompt",
            "A red kite [fail] over the sea",
        ],
        vec![
            "-vvv",
            "generate",
            "--prompt",
            "A cat",
            "--resolution",
            "4k",
        ],
        vec!["-vvv", "status", "sd2_missing"],
        vec!["-vvv", "batch", "jobs.jsonl", "-o", "b"],
        vec!["-vvv", "resume"],
        vec!["--help"],
        vec!["generate", "--help"],
        vec![
            "-vv",
            "--api-key",
            SECRET_KEY,
            "status",
            "sd2_missing",
            "--json",
        ],
        vec![
            "-vvv",
            "--base-url",
            "http://example.invalid:1",
            "status",
            "sd2_x",
        ],
    ];
    for args in &runs {
        let mut c = emu.cmd(dir.path());
        c.args(args);
        let (_, out, err) = run(c);
        assert!(
            !out.contains(SECRET_KEY) && !err.contains(SECRET_KEY),
            "{args:?} printed the key:\n{out}\n{err}"
        );
        assert!(
            !out.contains("S3CR3T") && !err.contains("S3CR3T"),
            "{args:?} printed part of the key"
        );
    }
    let mut c = emu.cmd(dir.path());
    c.env("SEEDANCE_API_KEY", REVOKED_SECRET).args([
        "-vvv",
        "generate",
        "--prompt",
        "A red kite over the sea",
    ]);
    let (code, out, err) = run(c);
    assert_eq!(code, 3);
    assert!(
        !out.contains(REVOKED_SECRET) && !err.contains(REVOKED_SECRET),
        "{err}"
    );
    assert!(
        err.contains("DEBUG") || err.contains("TRACE") || err.contains("INFO"),
        "-vvv logs: {err}"
    );
}

#[test]
fn emulator_command_serves_on_port_0_and_prints_its_url() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("seedance"))
        .env_clear()
        .args([
            "emulator",
            "--addr",
            "127.0.0.1:0",
            "--time-scale",
            "1000",
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).expect("a JSON line with the URL");
    let base = v["base_url"].as_str().unwrap().to_owned();
    let key = v["api_key"].as_str().unwrap().to_owned();
    assert!(base.starts_with("http://127.0.0.1:"));

    let mut c = seedance(dir.path());
    c.env("SEEDANCE_BASE_URL", &base)
        .env("SEEDANCE_API_KEY", &key)
        .env("SEEDANCE_TIME_SCALE", "1000")
        .args([
            "--no-journal",
            "generate",
            "--prompt",
            "A red kite over a windy beach",
            "-o",
            "o/",
            "--json",
        ]);
    let (code, out, err) = run(c);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(code, 0, "{err}");
    assert!(is_mp4(&path(&json(&out)["video"], dir.path())));
}

#[test]
fn the_journal_is_on_by_default_under_the_data_dir() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().unwrap();
    let mut c = emu.cmd(dir.path());
    c.env_remove("SEEDANCE_JOURNAL").args([
        "generate",
        "--prompt",
        "A red kite over a windy beach",
        "--no-wait",
    ]);
    let (code, _, err) = run(c);
    assert_eq!(code, 0, "{err}");
    let journal = dir.path().join("data/seedance/jobs.sqlite3");
    assert!(
        journal.exists(),
        "default job store at $XDG_DATA_HOME/seedance/jobs.sqlite3"
    );

    // --no-journal writes none, and resume refuses without one.
    let dir2 = tempfile::tempdir().unwrap();
    let mut c = emu.cmd(dir2.path());
    c.env_remove("SEEDANCE_JOURNAL").args([
        "--no-journal",
        "generate",
        "--prompt",
        "A red kite over a windy beach",
        "--no-wait",
    ]);
    let (code, _, _) = run(c);
    assert_eq!(code, 0);
    assert!(!dir2.path().join("data/seedance/jobs.sqlite3").exists());

    // The unfinished job is resumed from the default journal.
    let mut c = emu.cmd(dir.path());
    c.env_remove("SEEDANCE_JOURNAL")
        .args(["resume", "-o", "r/", "--json"]);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert_eq!(v["jobs"].as_array().unwrap().len(), 1, "{v}");
    assert!(is_mp4(&path(&v["jobs"][0]["video"], dir.path())));
    assert_eq!(emu.stats().tasks_created, 2);
}

#[test]
fn api_key_on_the_command_line_warns_but_is_never_echoed() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().unwrap();
    let mut c = emu.cmd(dir.path());
    c.env_remove("SEEDANCE_API_KEY").args([
        "--api-key",
        SECRET_KEY,
        "generate",
        "--prompt",
        "A red kite over the sea",
        "--no-wait",
    ]);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("prefer the SEEDANCE_API_KEY"), "{err}");
    assert!(!out.contains(SECRET_KEY) && !err.contains(SECRET_KEY));
}

/// Issue 10, item 5: server strings cannot drive the terminal. Escape sequences in a
/// status and in an error message are shown escaped for humans; `--json` stays valid
/// JSON (the encoder escapes them). Before Reading R23 the ESC bytes reached stdout raw.
#[test]
fn control_characters_from_the_server_are_escaped_for_humans() {
    use seedance_emulator::{Endpoint, Fault, FaultKind, CONTROL_CHARS_TEXT};
    let emu = Emu::start();
    let dir = tempfile::tempdir().unwrap();
    let id = emu.submit_no_wait(dir.path(), "A red kite over a windy beach");
    let hostile = format!("queued{CONTROL_CHARS_TEXT}");
    emu.emu()
        .inject(Fault::new(Endpoint::GetTask, FaultKind::UnknownStatus(hostile.clone())).times(2));
    let (_, out, err) = emu.run(dir.path(), &["status", &id]);
    assert!(
        !out.contains('\u{1b}') && !err.contains('\u{1b}'),
        "{out:?} {err:?}"
    );
    assert!(!out.contains('\r'), "{out:?}");
    assert!(out.contains("\\u{1b}"), "{out:?}");
    // the newline cannot start a fake line: the server's text stays on its own line
    assert_no_fake_line(&out, &err);
    let (_, out, _) = emu.run(dir.path(), &["status", &id, "--json"]);
    assert_eq!(json(&out)["task"]["status"], hostile.as_str());
    emu.emu().clear_faults();
    emu.emu()
        .inject(Fault::new(Endpoint::GetTask, FaultKind::ControlChars).times(1));
    let (code, out, err) = emu.run(dir.path(), &["status", "sd2_missing"]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        !out.contains('\u{1b}') && !err.contains('\u{1b}'),
        "{out:?} {err:?}"
    );
    assert_no_fake_line(&out, &err);
}

/// The fake success of `CONTROL_CHARS_TEXT` never starts a line of its own: wherever
/// "all good" is shown, the hostile text before it is on the same line.
fn assert_no_fake_line(out: &str, err: &str) {
    for line in out.lines().chain(err.lines()) {
        assert!(
            !line.contains("all good") || line.contains("pwned"),
            "a server string started a line: {line:?}\n{out}\n{err}"
        );
    }
}

/// Issue 16: each retry printed once, a failed task's refund once, a refused connection
/// a short message with a hint.
#[test]
fn each_thing_is_said_once_and_network_errors_are_short() {
    use seedance_emulator::{Endpoint, Fault, FaultKind};
    let emu = Emu::start();
    let dir = tempfile::tempdir().unwrap();

    let (code, _, err) = emu.run(
        dir.path(),
        &["generate", "--prompt", "A red kite [fail] over the sea"],
    );
    assert_eq!(code, 4, "{err}");
    assert_eq!(err.matches("refund").count(), 1, "the refund once:\n{err}");

    emu.emu()
        .inject(Fault::new(Endpoint::Submit, FaultKind::ServiceBusy503).times(1));
    let (code, _, err) = emu.run(
        dir.path(),
        &[
            "generate",
            "--prompt",
            "A red kite over the bay",
            "--no-wait",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let retry_lines: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("retry") || l.contains("service_busy"))
        .collect();
    assert_eq!(retry_lines.len(), 1, "one line per retry:\n{err}");

    let (code, out, err) = run({
        let mut c = seedance(dir.path());
        c.env("SEEDANCE_API_KEY", "sk_test_x")
            .env("SEEDANCE_BASE_URL", "http://127.0.0.1:9")
            .args(["status", "sd2_nothere", "--max-retries", "1"]);
        c
    });
    assert_eq!(code, 3, "{out}{err}");
    let last = err.lines().last().unwrap();
    assert!(
        last.contains("check SEEDANCE_BASE_URL / your network") && last.len() < 130,
        "{last}"
    );
    assert!(last.contains("127.0.0.1:9"), "{last}");
    for l in err.lines() {
        assert!(l.len() < 160, "a long line: {l}");
    }
    // The whole chain stays in --json's detail.
    let (_, out, _) = run({
        let mut c = seedance(dir.path());
        c.env("SEEDANCE_API_KEY", "sk_test_x")
            .env("SEEDANCE_BASE_URL", "http://127.0.0.1:9")
            .args(["status", "sd2_nothere", "--max-retries", "0", "--json"]);
        c
    });
    let v = json(&out);
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("check SEEDANCE_BASE_URL"));
    assert!(
        v["error"]["detail"]
            .as_str()
            .unwrap()
            .contains("error sending request"),
        "{v}"
    );
}

/// `seedance ARGS` run by `script` in a pseudo terminal (stdout and stderr a terminal):
/// (exit code, everything it drew).
fn in_a_terminal(emu: &Emu, dir: &std::path::Path, args: &str) -> (i32, String) {
    let seedance = emu.process(dir);
    let mut c = std::process::Command::new("script");
    c.env_clear();
    for (k, v) in seedance.get_envs() {
        if let Some(v) = v {
            c.env(k, v);
        }
    }
    let bin = seedance.get_program().to_string_lossy().into_owned();
    c.env("TERM", "xterm")
        .env("COLUMNS", "160")
        .current_dir(dir)
        .args(["-qec", &format!("{bin} {args}"), "/dev/null"]);
    let out = assert_cmd::Command::from_std(c)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Issue 16: on a terminal a render shows elapsed against expected, and a batch shows its
/// jobs by name, `N/M` as they finish, and a line per job instead of JSON.
#[test]
fn terminal_progress_shows_expected_time_and_batch_job_names() {
    if std::process::Command::new("script")
        .arg("-V")
        .output()
        .is_err()
    {
        eprintln!("skipped: no `script` (util-linux) for a pseudo terminal");
        return;
    }
    // Renders of about half a second, so that the bars get drawn.
    let emu = Emu::start_with(150.0, |b| b);
    let dir = tempfile::tempdir().unwrap();
    let (code, shown) = in_a_terminal(
        &emu,
        dir.path(),
        "generate --prompt 'A red fox trots through fresh snow' --quality-tier mini --duration 4",
    );
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains(" / ~"), "elapsed against expected:\n{shown}");
    assert!(shown.contains("completed"), "{shown}");

    std::fs::write(
        dir.path().join("jobs.jsonl"),
        "{\"name\":\"fox\",\"prompt\":\"A red fox trots through fresh snow\",\"quality_tier\":\"mini\",\"duration\":4}\n\
         {\"name\":\"kite\",\"prompt\":\"A red kite [fail] over the windy sea\",\"quality_tier\":\"mini\",\"duration\":4}\n\
         {\"prompt\":\"A glass train crosses a bridge at dawn\",\"quality_tier\":\"mini\",\"duration\":4}\n",
    )
    .unwrap();
    let (code, shown) = in_a_terminal(&emu, dir.path(), "batch jobs.jsonl -o out");
    assert_eq!(code, 4, "{shown}");
    assert!(
        !shown.contains("{\"task\""),
        "no JSON lines on a terminal:\n{shown}"
    );
    for needle in [
        "[3/3]",
        "fox: completed",
        "kite: failed",
        "line 3: completed",
        "done",
    ] {
        assert!(shown.contains(needle), "lacks {needle:?}:\n{shown}");
    }
    // Piped, the same batch prints JSON lines (the existing contract).
    let (code, out, _) = emu.run(dir.path(), &["batch", "jobs.jsonl", "-o", "out"]);
    assert_eq!(code, 4);
    assert_eq!(json_lines(&out).len(), 3, "{out}");
}

/// Issue 16: on a terminal the progress says what it waits for: a retry (`retry 1 in …`)
/// and the account's request budget.
#[test]
fn terminal_progress_says_what_it_waits_for() {
    use seedance_emulator::{Endpoint, Fault, FaultKind};
    if std::process::Command::new("script")
        .arg("-V")
        .output()
        .is_err()
    {
        eprintln!("skipped: no `script` (util-linux) for a pseudo terminal");
        return;
    }
    let emu = Emu::start_with(150.0, |b| b);
    let dir = tempfile::tempdir().unwrap();
    emu.emu()
        .inject(Fault::new(Endpoint::GetTask, FaultKind::ServiceBusy503).times(1));
    let (code, shown) = in_a_terminal(
        &emu,
        dir.path(),
        "generate --prompt 'A red fox trots through fresh snow' --quality-tier mini --duration 4 --no-download",
    );
    assert_eq!(code, 0, "{shown}");
    assert!(
        shown.contains("retry 1 in"),
        "the retry is on the progress line:\n{shown}"
    );
    // One request per 2 s: the first poll waits for the budget, and says so.
    let (code, shown) = in_a_terminal(
        &emu,
        dir.path(),
        "generate --prompt 'A red kite over the windy sea' --quality-tier mini --duration 4 --no-download --rate-limit 1/2s --budget process",
    );
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("waiting for the request budget"), "{shown}");
}

/// Issue 16: off a terminal (CI logs) the progress lines carry elapsed against expected too.
#[test]
fn plain_progress_lines_show_elapsed_against_expected() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().unwrap();
    let id = emu.submit_no_wait(dir.path(), "A red kite over the bay");
    let (code, _, err) = emu.run(dir.path(), &["wait", &id]);
    assert_eq!(code, 0, "{err}");
    let line = err
        .lines()
        .find(|l| l.starts_with(&format!("{id}: waiting")))
        .unwrap_or_else(|| panic!("no waiting line:\n{err}"));
    assert!(line.contains(" / ~"), "{line}");
}
