//! The job store shared by every `seedance` process (issue #11): commands run at once,
//! jobs belong to their server, `seedance jobs`, crashes during submit and wait.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::*;

const PROMPT: &str = "A glass train crossing a snowy mountain bridge";

/// A child killed when the test ends, passed or not (no orphan left behind).
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_second_command_runs_while_a_generate_renders() {
    // about 1.5 s renders
    let emu = Emu::start_with(70.0, |b| b);
    let dir = tempfile::tempdir().unwrap();
    let mut first = Reaped(
        emu.process(dir.path())
            .args(["generate", "--prompt", PROMPT, "-o", "out/", "--json"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    emu.wait_for(10.0, "the first submit", |s| s.tasks_created == 1);
    // while it renders: list, submit another, list the history
    let (code, out, err) = emu.run(dir.path(), &["resume", "--list", "--json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(json(&out)["jobs"].as_array().unwrap().len(), 1, "{out}");
    let id = emu.submit_no_wait(dir.path(), PROMPT);
    let (code, out, err) = emu.run(dir.path(), &["wait", &id, "--json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let (code, out, err) = emu.run(dir.path(), &["jobs", "--json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(json(&out)["jobs"].as_array().unwrap().len(), 2, "{out}");
    let status = first.0.wait().unwrap();
    assert!(status.success(), "the first generate finished too");
    assert_eq!(files_in(&dir.path().join("out"), "mp4").len(), 1);
}

#[test]
fn a_batch_rerun_against_another_server_is_a_new_run() {
    let a = Emu::start();
    let b = Emu::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("jobs.jsonl"),
        "{\"name\":\"one\",\"prompt\":\"A red kite over a windy beach\"}\n\
         {\"name\":\"two\",\"prompt\":\"A glass train crosses a snowy bridge\"}\n",
    )
    .unwrap();
    let (code, out, err) = a.run(dir.path(), &["batch", "jobs.jsonl", "-o", "a", "--json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(a.stats().tasks_created, 2);
    // the same file and store against server B: rendered there, not "already done"
    let (code, out, err) = b.run(dir.path(), &["batch", "jobs.jsonl", "-o", "b", "--json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let lines = json_lines(&out);
    assert!(lines[..2].iter().all(|l| l["reused"] == false), "{out}");
    assert_eq!(b.stats().tasks_created, 2);
    assert_eq!(files_in(&dir.path().join("b"), "mp4").len(), 2);
    // and a re-run against A is still "already done" there
    let before = a.stats().requests;
    let (code, out, _) = a.run(dir.path(), &["batch", "jobs.jsonl", "-o", "a", "--json"]);
    assert_eq!(code, 0);
    assert!(
        json_lines(&out)[..2].iter().all(|l| l["reused"] == true),
        "{out}"
    );
    assert_eq!(a.stats().requests, before);
}

#[test]
fn resume_against_another_server_leaves_the_jobs_alone_and_says_so() {
    let a = Emu::start();
    let b = Emu::start();
    let dir = tempfile::tempdir().unwrap();
    a.submit_no_wait(dir.path(), PROMPT);
    let (code, out, err) = b.run(dir.path(), &["resume", "--json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(json(&out)["jobs"].as_array().unwrap().len(), 0, "{out}");
    assert_eq!(b.stats().requests, 0, "nothing sent to B");
    let (code, out, _) = b.run(dir.path(), &["resume", "--list", "--json"]);
    assert_eq!(code, 0);
    let v = json(&out);
    assert_eq!(v["jobs"][0]["resumable_here"], false, "{v}");
    assert_eq!(v["jobs"][0]["origin"], a.base_url().trim_end_matches('/'));
    // A finishes it
    let (code, out, err) = a.run(dir.path(), &["resume", "-o", "out/", "--json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(json(&out)["jobs"].as_array().unwrap().len(), 1, "{out}");
}

#[test]
fn jobs_lists_shows_and_forgets() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().unwrap();
    emu.submit_no_wait_with(emu.cmd(dir.path()), PROMPT, &["--idempotency-key", "key-1"]);
    let (code, out, _) = emu.run(dir.path(), &["jobs", "--json", "--state", "submitted"]);
    assert_eq!(code, 0);
    let v = json(&out);
    let job = &v["jobs"][0];
    assert_eq!(job["idempotency_key"], "key-1", "{v}");
    assert_eq!(job["charge"], "charged");
    assert!(job["account"].as_str().unwrap().len() >= 16);
    assert!(!out.contains(SECRET_KEY), "never the key");
    let id = job["task_id"].as_str().unwrap().to_owned();
    let (code, out, _) = emu.run(dir.path(), &["jobs", "show", &id, "--json"]);
    assert_eq!(code, 0);
    assert_eq!(json(&out)["jobs"][0]["idempotency_key"], "key-1");
    let (code, out, _) = emu.run(dir.path(), &["jobs", "--json", "--state", "failed"]);
    assert_eq!(code, 0);
    assert_eq!(json(&out)["jobs"].as_array().unwrap().len(), 0);
    let (code, out, err) = emu.run(dir.path(), &["jobs", "forget", "key-1"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let (code, out, _) = emu.run(dir.path(), &["resume", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(
        json(&out)["jobs"].as_array().unwrap().len(),
        0,
        "forgotten: {out}"
    );
    let (code, _, _) = emu.run(dir.path(), &["jobs", "show", "nope"]);
    assert_ne!(code, 0);
}

#[test]
fn eight_processes_submit_and_list_at_once_without_losing_a_row() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().unwrap();
    let spawn = |args: &[&str]| {
        emu.process(dir.path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut children = Vec::new();
    for i in 0..8 {
        let prompt = format!("{PROMPT}, take {i}");
        children.push(spawn(&[
            "generate",
            "--prompt",
            &prompt,
            "--no-wait",
            "--json",
        ]));
        children.push(spawn(&["jobs", "--json"]));
    }
    for c in children {
        let out = c.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        assert!(!err.contains("locked") && !err.contains("busy"), "{err}");
    }
    let (code, out, _) = emu.run(dir.path(), &["jobs", "--json"]);
    assert_eq!(code, 0);
    let v = json(&out);
    let jobs = v["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 8, "{v}");
    assert!(jobs.iter().all(|j| j["state"] == "submitted"), "{v}");
    assert_eq!(emu.stats().tasks_created, 8);
}

#[cfg(unix)]
#[test]
fn kill_9_during_submit_and_wait_loses_nothing() {
    // about 0.5 s renders
    let emu = Emu::start_with(200.0, |b| b);
    let dir = tempfile::tempdir().unwrap();
    for i in 0..6u64 {
        let prompt = format!("{PROMPT}, cut {i}");
        let before = emu.stats().submits;
        let mut c = Reaped(
            emu.process(dir.path())
                .args(["generate", "--prompt", &prompt, "-o", "out/", "--json"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        if i % 2 == 1 {
            // during the wait (or the answer of the submit): once the submit arrived
            emu.wait_for(20.0, "the submit", |s| s.submits > before);
            std::thread::sleep(Duration::from_millis(i * 15));
        } else {
            // anywhere from start-up to the submit
            std::thread::sleep(Duration::from_millis(20 + i * 40));
        }
        let _ = c.0.kill(); // SIGKILL
        let _ = c.0.wait();
    }
    let (code, out, err) = emu.run(dir.path(), &["resume", "--json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let (code, out, _) = emu.run(dir.path(), &["jobs", "--json"]);
    assert_eq!(code, 0);
    let v = json(&out);
    let jobs = v["jobs"].as_array().unwrap();
    assert!(!jobs.is_empty(), "{v}");
    assert!(
        jobs.iter().all(|j| j["state"] == "downloaded"),
        "every job delivered: {v}"
    );
    assert_eq!(
        emu.stats().tasks_created as usize,
        jobs.len(),
        "one task per job: {v}"
    );
    assert_eq!(files_in(&dir.path().join("out"), "mp4").len(), jobs.len());
}

#[test]
fn a_corrupt_row_is_kept_and_reported_by_jobs_and_resume_list() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().unwrap();
    for key in ["good", "bad"] {
        emu.submit_no_wait_with(emu.cmd(dir.path()), PROMPT, &["--idempotency-key", key]);
    }
    // bit rot, a hand edit, or a state a newer version wrote
    let store = seedance_http::JobStore::open(dir.path().join("jobs.sqlite3")).unwrap();
    store
        .execute_raw("UPDATE jobs SET state = 'archived' WHERE key = 'bad'")
        .unwrap();
    drop(store);
    for args in [&["jobs", "--json"][..], &["resume", "--list", "--json"][..]] {
        let (code, out, err) = emu.run(dir.path(), args);
        assert_eq!(code, 0, "{out}\n{err}");
        let v = json(&out);
        assert_eq!(v["unreadable"][0]["idempotency_key"], "bad", "{v}");
        assert!(v["unreadable"][0]["problem"]
            .as_str()
            .unwrap()
            .contains("archived"));
    }
    // resume finishes the good one and leaves the row where it is
    let (code, out, err) = emu.run(dir.path(), &["resume", "-o", "out/", "--json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let (_, out, _) = emu.run(dir.path(), &["jobs", "--json"]);
    assert_eq!(
        json(&out)["unreadable"].as_array().unwrap().len(),
        1,
        "{out}"
    );
}

#[test]
fn jobs_filters_by_origin_age_and_unfinished_and_the_store_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let a = Emu::start();
    let b = Emu::start();
    let dir = tempfile::tempdir().unwrap();
    // The default store of the data dir (no SEEDANCE_JOURNAL), created private by the
    // first command; then an old journal beside it, imported once by the next.
    let data = dir.path().join("data/seedance");
    let default_store = |emu: &Emu| {
        let mut c = emu.cmd(dir.path());
        c.env_remove("SEEDANCE_JOURNAL");
        c
    };
    let on_a = a.submit_no_wait_with(default_store(&a), PROMPT, &[]);
    // 0600 in a 0700 directory: it holds signed CDN URLs.
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data.join("jobs.sqlite3")), 0o600);
    assert_eq!(mode(&data), 0o700);
    std::fs::write(
        data.join("journal.jsonl"),
        format!(
            "{{\"op\":\"job\",\"key\":\"old-1\",\"request\":{{\"prompt\":\"{PROMPT}\"}},\"created_ms\":5}}\n"
        ),
    )
    .unwrap();
    let on_b = b.submit_no_wait_with(default_store(&b), PROMPT, &["--no-download"]);
    let (code, out, err) = run({
        let mut c = default_store(&b);
        c.args(["wait", &on_b]);
        c
    });
    assert_eq!(code, 0, "{out}\n{err}");
    let list = |args: &[&str]| {
        let mut c = default_store(&a);
        c.args(["jobs", "--json"]).args(args);
        let (code, out, err) = run(c);
        assert_eq!(code, 0, "{out}\n{err}");
        json(&out)["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["task_id"].as_str().unwrap_or("-").to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        list(&[]),
        [on_a.as_str(), "-", on_b.as_str()],
        "imported once"
    );
    assert_eq!(list(&["--origin", &a.base_url()]), [on_a.as_str()]);
    assert_eq!(list(&["--origin", &b.base_url()]), [on_b.as_str()]);
    assert_eq!(list(&["--since", "1h"]), [on_a.as_str(), on_b.as_str()]);
    assert_eq!(list(&["--before", "1h"]), ["-"], "written in 1970");
    assert_eq!(list(&["--unfinished"]), [on_a.as_str(), "-"]);
    assert_eq!(list(&["--state", "completed"]), [on_b.as_str()]);
    let mut c = default_store(&a);
    c.args(["jobs", "--state", "archived"]);
    let (code, _, err) = run(c);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_lost_answer_past_the_retention_is_resent_only_with_resubmit_stale() {
    use seedance_emulator::{Endpoint, Fault, FaultKind};
    let emu = Emu::start();
    let dir = tempfile::tempdir().unwrap();
    // The server creates the task; its answer never arrives.
    emu.emu()
        .inject(Fault::new(Endpoint::Submit, FaultKind::DropAfterHandling).times(1));
    let (code, out, err) = emu.run(
        dir.path(),
        &[
            "generate",
            "--prompt",
            PROMPT,
            "--max-retries",
            "0",
            "--idempotency-key",
            "lost-1",
        ],
    );
    assert_eq!(code, 3, "{out}\n{err}");
    assert!(
        err.contains("may be charged") && err.contains("seedance resume"),
        "{err}"
    );
    assert_eq!(emu.stats().tasks_created, 1);
    // Two days later, as far as the store knows.
    let store = seedance_http::JobStore::open(dir.path().join("jobs.sqlite3")).unwrap();
    store
        .execute_raw(
            "UPDATE jobs SET sent_ms = sent_ms - 172800000, created_ms = created_ms - 172800000",
        )
        .unwrap();
    drop(store);
    let sent = emu.total().requests;
    let (code, out, err) = emu.run(dir.path(), &["resume"]);
    assert_ne!(code, 0, "not sent: {out}\n{err}");
    let said = format!("{out}{err}");
    assert!(
        said.contains("--resubmit-stale") && said.contains("lost-1"),
        "{said}"
    );
    assert_eq!(emu.total().requests, sent, "nothing re-sent");
    let (code, out, err) = emu.run(dir.path(), &["resume", "--resubmit-stale", "--json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(
        json(&out)["jobs"].as_array().map(Vec::len),
        Some(1),
        "{out}"
    );
    assert_eq!(emu.stats().tasks_created, 1, "the server replayed its task");
    assert_eq!(
        files_in(dir.path(), "mp4").len(),
        1,
        "saved where generate ran"
    );
}

#[test]
fn a_local_failure_after_the_charge_says_what_was_paid_and_how_to_finish() {
    use seedance_emulator::{Endpoint, Fault, FaultKind};
    let emu = Emu::start();
    let dir = tempfile::tempdir().unwrap();
    emu.emu().inject(Fault::new(
        Endpoint::Cdn,
        FaultKind::ContentLengthLie { announced: None },
    ));
    let (code, out, err) = emu.run(
        dir.path(),
        &[
            "generate",
            "--prompt",
            PROMPT,
            "-o",
            "out/",
            "--max-retries",
            "0",
        ],
    );
    assert_ne!(code, 0, "{out}\n{err}");
    let task = emu.emu().tasks().remove(0);
    assert!(err.contains(&format!("task {}", task.id)), "{err}");
    assert!(
        err.contains("credits were charged") || err.contains("it was charged"),
        "{err}"
    );
    assert!(
        err.contains(&format!("seedance download {}", task.id)),
        "{err}"
    );
    assert!(err.contains("seedance resume"), "{err}");
    // and resume finishes it without a second task
    emu.emu().clear_faults();
    let (code, out, err) = emu.run(dir.path(), &["resume", "--json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(files_in(&dir.path().join("out"), "mp4").len(), 1);
    assert_eq!(emu.stats().tasks_created, 1);
}
