//! Ctrl-C while waiting, and what reaches the terminal: progress bars only on a TTY,
//! nothing but the result with `--json`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic
#![cfg(unix)]

mod common;

use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::{files_in, json, run, Emu};

fn mp4s(dir: &std::path::Path) -> usize {
    files_in(dir, "mp4").len()
}

fn sigint(child: &Child) {
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits");
    // SAFETY: kill(2) on our own child's pid; no memory is touched.
    let rc = unsafe { libc::kill(pid, libc::SIGINT) };
    assert_eq!(rc, 0, "kill -INT {pid}");
}

/// Waits for the child (at most `secs`), returning its status and how long it took.
fn reap(child: &mut Child, secs: u64) -> (ExitStatus, Duration) {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return (status, started.elapsed());
        }
        if started.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            panic!("the process did not stop within {secs} s of SIGINT");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Starts `seedance ARGS` and sends SIGINT once `ready` holds on the account's stats
/// (then 300 ms later: inside the wait); returns (exit code, stdout, stderr). The
/// process must stop within 2 s.
fn interrupt(
    emu: &Emu,
    dir: &std::path::Path,
    args: &[&str],
    ready: impl Fn(&common::Stats) -> bool,
) -> (i32, String, String) {
    let mut child = emu
        .process(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    emu.wait_for(10.0, "the process to be under way", ready);
    std::thread::sleep(Duration::from_millis(300));
    sigint(&child);
    let (status, took) = reap(&mut child, 10);
    assert!(took < Duration::from_secs(2), "stopped promptly: {took:?}");
    let out = child.wait_with_output().expect("output");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Starts `seedance generate ... -o out/` on a render of about 5 s and sends SIGINT
/// once it is waiting; returns (status, stdout, stderr).
fn interrupt_a_generate(emu: &Emu, dir: &std::path::Path, json: bool) -> (i32, String, String) {
    let mut args = vec![
        "generate",
        "--prompt",
        "A lighthouse in a storm at night",
        "-o",
        "out/",
    ];
    if json {
        args.push("--json");
    }
    let r = interrupt(emu, dir, &args, |s| s.tasks_created == 1);
    assert_eq!(emu.stats().tasks_completed, 0, "still rendering");
    r
}

/// The store's view of every job (`seedance jobs --json`).
fn stored_jobs(emu: &Emu, dir: &std::path::Path) -> Vec<serde_json::Value> {
    let (code, out, err) = emu.run(dir, &["jobs", "--json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    json(&out)["jobs"]
        .as_array()
        .cloned()
        .expect("a list of jobs")
}

#[test]
fn sigint_while_waiting_exits_130_and_resume_finishes_with_one_charge() {
    let emu = Emu::start_with(20.0, |b| b);
    let dir = tempfile::tempdir().unwrap();

    let (code, out, err) = interrupt_a_generate(&emu, dir.path(), true);
    assert_eq!(code, 130, "exit 130 on Ctrl-C\n{out}\n{err}");
    assert!(err.is_empty(), "--json: nothing on stderr: {err}");
    let v = json(&out); // exactly one JSON value on stdout
    assert_eq!(v["error"]["kind"], "interrupted", "{v}");
    assert_eq!(v["error"]["exit_code"], 130);
    // It names the job that goes on rendering (paid): its task and key.
    let task = emu.emu().tasks().remove(0);
    assert_eq!(v["error"]["task_id"], task.id.as_str(), "{v}");
    assert!(v["error"]["idempotency_key"].as_str().is_some(), "{v}");
    assert_eq!(mp4s(&dir.path().join("out")), 0);

    assert_eq!(v["error"]["next"], "seedance resume", "{v}");
    // The job is in the store, marked interrupted (with its task id), not finished.
    let (code, out, _) = emu.run(dir.path(), &["resume", "--list", "--json"]);
    assert_eq!(code, 0);
    let jobs = json(&out)["jobs"].clone();
    assert_eq!(jobs.as_array().map(Vec::len), Some(1), "{out}");
    assert_eq!(jobs[0]["state"], "interrupted", "{jobs}");
    assert_eq!(jobs[0]["task_id"], task.id.as_str());
    assert_eq!(jobs[0]["idempotency_key"], v["error"]["idempotency_key"]);

    let (code, out, err) = emu.run(dir.path(), &["resume", "--json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(err.is_empty(), "--json: nothing on stderr: {err}");
    let v = json(&out);
    assert_eq!(v["jobs"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(mp4s(&dir.path().join("out")), 1, "delivered where asked");
    let s = emu.stats();
    assert_eq!(s.tasks_created, 1, "one task");
    assert_eq!(
        s.credits_charged,
        v["jobs"][0]["task"]["credits_used"]
            .as_u64()
            .expect("the task's price"),
        "one charge: {v}"
    );
}

#[test]
fn sigint_without_json_says_how_to_resume() {
    let emu = Emu::start_with(20.0, |b| b);
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = interrupt_a_generate(&emu, dir.path(), false);
    assert_eq!(code, 130, "{out}\n{err}");
    assert!(out.is_empty(), "no result on stdout: {out}");
    assert!(err.contains("seedance resume"), "{err}");
    // The task id and the key, for the user to find the job again.
    let task = emu.emu().tasks().remove(0);
    assert!(err.contains(task.id.as_str()), "{err}");
    let jobs = stored_jobs(&emu, dir.path());
    let key = jobs[0]["idempotency_key"].as_str().expect("a key");
    assert!(err.contains(key), "{err}");
    assert_eq!(jobs[0]["state"], "interrupted");
}

#[test]
fn sigint_during_wait_and_resume_keeps_the_job_interrupted_until_resume_finishes_it() {
    let emu = Emu::start_with(20.0, |b| b);
    let dir = tempfile::tempdir().unwrap();
    let id = emu.submit_no_wait(dir.path(), "A lighthouse in a storm at night");

    let (code, out, err) = interrupt(&emu, dir.path(), &["wait", &id, "--json"], |s| {
        s.tasks_created == 1
    });
    assert_eq!(code, 130, "{out}\n{err}");
    let v = json(&out);
    assert_eq!(v["error"]["kind"], "interrupted", "{v}");
    assert_eq!(v["error"]["task_id"], id.as_str(), "{v}");
    let jobs = stored_jobs(&emu, dir.path());
    assert_eq!(v["error"]["idempotency_key"], jobs[0]["idempotency_key"]);
    assert_eq!(jobs[0]["state"], "interrupted", "{jobs:?}");

    // Ctrl-C during `resume` too: the job stays interrupted, named.
    let (code, out, err) = interrupt(&emu, dir.path(), &["resume", "--json"], |_| true);
    assert_eq!(code, 130, "{out}\n{err}");
    assert_eq!(json(&out)["error"]["task_id"], id.as_str(), "{out}");
    assert_eq!(stored_jobs(&emu, dir.path())[0]["state"], "interrupted");

    let (code, out, err) = emu.run(dir.path(), &["resume", "--json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(json(&out)["jobs"][0]["task"]["id"], id.as_str(), "{out}");
    assert_eq!(mp4s(dir.path()), 1, "saved where --no-wait ran");
    assert_eq!(stored_jobs(&emu, dir.path())[0]["state"], "downloaded");
    assert_eq!(emu.stats().tasks_created, 1, "one task");
}

#[test]
fn sigint_during_batch_marks_every_open_job_interrupted_and_resume_finishes_them() {
    let emu = Emu::start_with(20.0, |b| b);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("jobs.jsonl"),
        "{\"prompt\":\"A red kite over a windy beach\"}\n\
         {\"prompt\":\"A paper boat in the rain\"}\n\
         {\"prompt\":\"A lighthouse in a storm at night\"}\n",
    )
    .unwrap();
    let (code, out, err) = interrupt(
        &emu,
        dir.path(),
        &["batch", "jobs.jsonl", "-o", "out/", "--json"],
        |s| s.tasks_created == 3,
    );
    assert_eq!(code, 130, "{out}\n{err}");
    let v = json(&out);
    assert_eq!(v["error"]["next"], "seedance resume", "{v}");
    let named = v["error"]["jobs"].as_array().expect("the jobs it left");
    assert_eq!(named.len(), 3, "{v}");
    assert!(named.iter().all(|j| j["task_id"].as_str().is_some()), "{v}");
    let jobs = stored_jobs(&emu, dir.path());
    assert!(jobs.iter().all(|j| j["state"] == "interrupted"), "{jobs:?}");

    let (code, out, err) = emu.run(dir.path(), &["resume", "--json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(json(&out)["jobs"].as_array().map(Vec::len), Some(3));
    assert_eq!(mp4s(&dir.path().join("out")), 3);
    assert_eq!(emu.stats().tasks_created, 3, "no second task");
}

/// Runs `seedance ARGS` with stdin, stdout and stderr on a pseudo-terminal (util-linux
/// `script`), returning the exit code and everything the terminal showed.
fn on_a_tty(emu: &Emu, dir: &std::path::Path, args: &[&str]) -> Option<(i32, String)> {
    let script = ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())?;
    let bin = assert_cmd::cargo::cargo_bin("seedance");
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let line = std::iter::once(bin.display().to_string())
        .chain(args.iter().map(|a| a.to_string()))
        .map(|a| quote(&a))
        .collect::<Vec<_>>()
        .join(" ");
    let mut cmd = Command::new(script);
    cmd.env_clear();
    for (k, v) in emu.process(dir).get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    let out = cmd
        .env("SHELL", "/bin/sh")
        .env("TERM", "xterm")
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("script runs");
    Some((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

/// Whether `s` has terminal control sequences (cursor movement, line clearing) or
/// carriage returns: what redrawn progress bars leave behind.
fn has_redraws(s: &str) -> bool {
    s.contains("\x1b[") || s.replace("\r\n", "\n").contains('\r')
}

#[test]
fn progress_bars_only_on_a_terminal_and_never_with_json() {
    // About 0.5 s per render: long enough for a spinner to be drawn and redrawn.
    let emu = Emu::start_with(200.0, |b| b);
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "generate",
        "--prompt",
        "A red kite over a windy beach",
        "-o",
        "out/",
    ];

    // Not a terminal: plain lines, no redraws.
    let mut c = assert_cmd::Command::from_std(emu.process(dir.path()));
    c.args(args);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    assert!(!has_redraws(&err) && !has_redraws(&out), "{err:?}");
    assert!(
        err.contains("submitted sd2_"),
        "plain progress lines: {err}"
    );

    let Some((code, shown)) = on_a_tty(&emu, dir.path(), &args) else {
        eprintln!("skipped the terminal half: util-linux `script` is not installed");
        return;
    };
    assert_eq!(code, 0, "{shown}");
    assert!(
        has_redraws(&shown),
        "a progress bar on a terminal: {shown:?}"
    );

    // --json on a terminal: still only the result.
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let (code, shown) = on_a_tty(&emu, dir.path(), &json_args).expect("script ran before");
    assert_eq!(code, 0, "{shown}");
    assert!(!has_redraws(&shown), "no bars with --json: {shown:?}");
    let v = json(&shown.replace("\r\n", "\n"));
    assert_eq!(v["task"]["status"], "completed");
    assert_eq!(emu.stats().tasks_created, 3);
}

/// Every command with `--json`: stdout is only JSON (one value; JSON lines for `batch`),
/// stderr is empty, on success and on each kind of error.
#[test]
fn json_prints_nothing_but_the_result() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("jobs.jsonl"),
        "{\"prompt\":\"A red kite over a windy beach\"}\n{\"prompt\":\"A paper boat in the rain\"}\n",
    )
    .unwrap();
    let json_run = |args: &[&str], key: Option<&str>| {
        let mut c = emu.cmd(dir.path());
        if let Some(k) = key {
            c.env("SEEDANCE_API_KEY", k);
        }
        c.args(args).arg("--json");
        let (code, out, err) = run(c);
        assert!(
            err.is_empty(),
            "{args:?}: stderr must be empty with --json: {err}"
        );
        (code, out)
    };
    let (code, out) = json_run(
        &["generate", "--prompt", "A cat on a wall", "--no-wait"],
        None,
    );
    assert_eq!(code, 0, "{out}");
    let id = json(&out)["task"]["id"].as_str().expect("an id").to_owned();

    let cases: Vec<(Vec<&str>, Option<&str>, i32)> = vec![
        (vec!["status", &id], None, 0),
        (vec!["wait", &id], None, 0),
        (vec!["download", &id, "-o", "d/"], None, 0),
        (
            vec!["generate", "--prompt", "A cat on a wall", "-o", "g/"],
            None,
            0,
        ),
        (vec!["resume", "--list"], None, 0),
        (vec!["resume"], None, 0),
        (
            vec!["prompt", "lint", "See asset://abc for the hero"],
            None,
            2,
        ),
        (
            vec![
                "prompt",
                "build",
                "--subject",
                "a red fox",
                "--action",
                "it runs",
            ],
            None,
            0,
        ),
        (vec!["generate", "--prompt", "hi"], None, 2),
        (
            vec!["generate", "--prompt", "A cat on a wall"],
            Some(common::REVOKED_SECRET),
            3,
        ),
        (vec!["status", "sd2_missing"], None, 3),
        (
            vec!["generate", "--prompt", "A cat on a wall [fail]"],
            None,
            4,
        ),
    ];
    for (args, key, want) in cases {
        let (code, out) = json_run(&args, key);
        let v = json(&out); // exactly one JSON value
        assert_eq!(code, want, "{args:?}: {out}");
        if want >= 2 && args[0] != "prompt" {
            assert_eq!(v["error"]["exit_code"], want, "{args:?}: {v}");
        }
    }
    let (code, out) = json_run(&["batch", "jobs.jsonl", "-o", "b/"], None);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.lines().count(), 3, "two jobs and a summary: {out}");
    for line in out.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("every line is JSON");
    }
}
