//! One account, one budget: several `seedance` processes against the emulator at its
//! real limit (30 per window, the window scaled to 1 s), sharing the budget through the
//! machine-wide file or a real `redis-server` (started here on a random loopback port,
//! killed at the end). Every run must see 0 × 429 and charge every job once.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{json_lines, Emu};

/// A `redis-server` of our own: loopback, a free port, no persistence.
struct RedisServer {
    child: Option<Child>,
    port: u16,
    _dir: tempfile::TempDir,
}

impl RedisServer {
    /// `None` (the test is skipped) only outside CI when redis-server is not installed.
    fn start() -> Option<RedisServer> {
        let installed = Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            assert!(
                std::env::var_os("CI").is_none(),
                "redis-server is not installed (.ci/run installs it)"
            );
            eprintln!("skipped: redis-server is not installed");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .current_dir(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server starts");
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Some(RedisServer {
                        child: Some(child),
                        port,
                        _dir: dir,
                    });
                }
                if child.try_wait().ok().flatten().is_some() {
                    break; // the port was taken meanwhile: another one
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("redis-server did not start");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// `n` distinct jobs for process `tag`.
fn jobs(dir: &Path, tag: &str, n: usize) -> PathBuf {
    let body: String = (0..n)
        .map(|i| {
            format!(
                "{{\"name\":\"{tag}-{i}\",\"prompt\":\"A paper boat number {i} of fleet {tag} drifts down a rainy gutter\",\"duration\":5}}\n"
            )
        })
        .collect();
    let path = dir.join(format!("{tag}.jsonl"));
    std::fs::write(&path, body).unwrap();
    path
}

/// `seedance batch` of `n` jobs as process `tag` in its own directory, with the budget
/// kept in `data` (one data dir per "machine").
fn spawn_batch(emu: &Emu, root: &Path, tag: &str, n: usize, data: &Path, budget: &str) -> Child {
    let dir = root.join(tag);
    std::fs::create_dir_all(&dir).unwrap();
    let file = jobs(&dir, tag, n);
    let mut c = emu.process(&dir);
    c.env("XDG_DATA_HOME", data)
        .env("SEEDANCE_BUDGET", budget)
        .arg("-v") // the budget's notices go to stderr as log lines too
        .arg("batch")
        .arg(file)
        .arg("--json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c.spawn().expect("seedance starts")
}

/// Waits for a batch and checks that every job of it completed.
fn finish(mut child: Child, n: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut hung = false;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            hung = true;
            let _ = child.kill();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut out = String::new();
    let mut err = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(!hung, "a batch hangs:\n{out}\n{err}");
    let status = child.wait().unwrap();
    assert!(status.success(), "{out}\n{err}");
    let lines = json_lines(&out);
    let summary = &lines.last().expect("a summary")["summary"];
    assert_eq!(summary["completed"], n, "{out}\n{err}");
    err
}

/// The account's stats are what a shared budget promises.
fn assert_one_budget(emu: &Emu, jobs: u64) {
    let s = emu.stats();
    assert_eq!(s.rate_limited, 0, "a 429 was seen: {s:?}");
    assert_eq!(s.tasks_created, jobs, "every job charged once: {s:?}");
    assert_eq!(s.tasks_completed, jobs, "{s:?}");
}

#[test]
fn two_processes_on_one_machine_share_the_budget_without_redis() {
    let emu = Emu::start();
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("machine");
    let a = spawn_batch(&emu, root.path(), "a", 12, &data, "machine");
    let b = spawn_batch(&emu, root.path(), "b", 12, &data, "machine");
    finish(a, 12);
    finish(b, 12);
    assert_one_budget(&emu, 24);
    assert!(data.join("seedance").join("budget.sqlite3").exists());
}

#[test]
fn four_machines_share_the_budget_through_redis() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let emu = Emu::start();
    let root = tempfile::tempdir().unwrap();
    let children: Vec<Child> = (0..4)
        .map(|i| {
            let tag = format!("m{i}");
            let data = root.path().join(format!("data-{tag}"));
            spawn_batch(&emu, root.path(), &tag, 8, &data, &redis.url())
        })
        .collect();
    for c in children {
        let err = finish(c, 8);
        assert!(!err.contains("failed"), "no fallback was needed: {err}");
    }
    assert_one_budget(&emu, 32);
}

#[test]
fn a_killed_process_leaks_no_slot() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let emu = Emu::start();
    let root = tempfile::tempdir().unwrap();
    let data = |t: &str| root.path().join(format!("data-{t}"));
    // the victim holds slots (its requests in flight and in their window) when it dies
    let mut victim = spawn_batch(
        &emu,
        root.path(),
        "victim",
        40,
        &data("victim"),
        &redis.url(),
    );
    emu.wait_for(30.0, "the victim's requests", |s| s.requests >= 20);
    victim.kill().unwrap();
    victim.wait().unwrap();
    let others: Vec<Child> = ["x", "y", "z"]
        .iter()
        .map(|t| spawn_batch(&emu, root.path(), t, 6, &data(t), &redis.url()))
        .collect();
    for c in others {
        finish(c, 6);
    }
    let s = emu.stats();
    assert_eq!(s.rate_limited, 0, "{s:?}");
    // Every slot of the dead process is free one window after its lease ran out.
    std::thread::sleep(Duration::from_secs(5));
    let dir = root.path().join("x");
    let (code, out, err) = emu.run(&dir, &["--budget", &redis.url(), "budget", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["requests"]["in_flight"], 0, "{v}");
    assert_eq!(v["requests"]["in_window"], 0, "{v}");
    assert!(v["backend"].as_str().unwrap().starts_with("redis"), "{v}");
}

#[test]
fn redis_stopping_mid_run_loses_no_job() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let emu = Emu::start();
    let root = tempfile::tempdir().unwrap();
    let children: Vec<Child> = (0..3)
        .map(|i| {
            let tag = format!("r{i}");
            let data = root.path().join(format!("data-{tag}"));
            spawn_batch(&emu, root.path(), &tag, 10, &data, &redis.url())
        })
        .collect();
    emu.wait_for(30.0, "some requests", |s| s.requests >= 25);
    redis.stop();
    for c in children {
        let err = finish(c, 10);
        assert!(
            err.contains("conservative share"),
            "the fallback was announced: {err}"
        );
    }
    assert_one_budget(&emu, 30);
}
