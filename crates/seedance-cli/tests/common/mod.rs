//! Shared test harness: an in-process emulator on 127.0.0.1:0 (time-scaled) and a
//! `seedance` command with a clean, hermetic environment.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
pub use seedance_emulator::Stats;
use seedance_emulator::{Account, Emulator, EmulatorBuilder};

/// A test key nobody could guess, so "the key never appears" can be checked by search.
pub const SECRET_KEY: &str = "sk_test_S3CR3T_d0_n0t_pr1nt_7f3a9c";
/// A revoked key with the same property.
pub const REVOKED_SECRET: &str = "sk_test_R3V0K3D_s3cr3t_55e1b2";
/// The account of [`SECRET_KEY`].
pub const ACCOUNT: &str = "acct_cli";

/// An emulator served by its own runtime (so blocking test code can run commands).
pub struct Emu {
    pub emu: Option<Emulator>,
    rt: tokio::runtime::Runtime,
    pub time_scale: f64,
}

impl Emu {
    /// Time scale 1000 (a 5 s 720p render takes about 0.1 s), limits scaled to 30 per 1 s.
    pub fn start() -> Emu {
        Emu::start_with(1000.0, |b| b)
    }

    pub fn start_with(time_scale: f64, f: impl FnOnce(EmulatorBuilder) -> EmulatorBuilder) -> Emu {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let builder = Emulator::builder()
            .time_scale(seedance_core::rules::TimeScale::new(time_scale).unwrap())
            .rate_limit(30, Duration::from_secs(1))
            .media_rate_limit(3, Duration::from_secs(1))
            .account(
                Account::new(ACCOUNT)
                    .key(SECRET_KEY)
                    .revoked_key(REVOKED_SECRET)
                    .credits(10_000),
            );
        let emu = rt.block_on(f(builder).start()).expect("emulator starts");
        Emu {
            emu: Some(emu),
            rt,
            time_scale,
        }
    }

    pub fn emu(&self) -> &Emulator {
        self.emu.as_ref().expect("running")
    }

    pub fn base_url(&self) -> String {
        self.emu().base_url()
    }

    /// Stats of the test account.
    pub fn stats(&self) -> Stats {
        self.emu().account_stats(ACCOUNT).expect("account exists")
    }

    /// Stats over every account, unauthenticated requests included.
    pub fn total(&self) -> Stats {
        self.emu().total_stats()
    }

    /// `seedance` pointed at this emulator, with the test key, a journal in `dir`, scaled
    /// polling and budget, as a process to spawn (kill, signal, read as it runs).
    pub fn process(&self, dir: &Path) -> std::process::Command {
        let mut c = process(dir);
        c.env("SEEDANCE_BASE_URL", self.base_url())
            .env("SEEDANCE_API_KEY", SECRET_KEY)
            .env("SEEDANCE_TIME_SCALE", self.time_scale.to_string())
            .env("SEEDANCE_RATE_LIMIT", "30/1s")
            .env("SEEDANCE_MEDIA_RATE_LIMIT", "3/1s")
            .env("SEEDANCE_JOURNAL", dir.join("jobs.sqlite3"));
        c
    }

    /// [`Emu::process`] as an `assert_cmd` command (with a time limit).
    pub fn cmd(&self, dir: &Path) -> Command {
        with_timeout(self.process(dir))
    }

    /// Runs `seedance ARGS` against this emulator: (exit code, stdout, stderr).
    pub fn run(&self, dir: &Path, args: &[&str]) -> (i32, String, String) {
        let mut c = self.cmd(dir);
        c.args(args);
        run(c)
    }

    /// `seedance generate --prompt PROMPT --no-wait --json` in `dir`: the task id.
    pub fn submit_no_wait(&self, dir: &Path, prompt: &str) -> String {
        self.submit_no_wait_with(self.cmd(dir), prompt, &[])
    }

    /// [`Emu::submit_no_wait`] from the command `c` (another directory, another
    /// variable), with `extra` arguments (`--idempotency-key K`, `-o DIR`).
    pub fn submit_no_wait_with(&self, mut c: Command, prompt: &str, extra: &[&str]) -> String {
        c.args(["generate", "--prompt", prompt, "--no-wait", "--json"])
            .args(extra);
        let (code, out, err) = run(c);
        assert_eq!(code, 0, "generate --no-wait: {out}\n{err}");
        let v = json(&out);
        assert_eq!(v["task"]["status"], "processing", "{v}");
        v["task"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("a task id: {v}"))
            .to_owned()
    }

    /// Polls until `cond` holds on the account's stats (or panics after `secs`).
    pub fn wait_for(&self, secs: f64, what: &str, cond: impl Fn(&Stats) -> bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs_f64(secs);
        while std::time::Instant::now() < deadline {
            if cond(&self.stats()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("timed out waiting for {what}: {:?}", self.stats());
    }
}

impl Drop for Emu {
    fn drop(&mut self) {
        if let Some(emu) = self.emu.take() {
            self.rt.block_on(emu.shutdown());
        }
    }
}

/// `seedance` with an empty environment (no SEEDANCE_* from the developer's shell) and a
/// home/data dir inside `dir`, run from `dir`, as a process to spawn.
pub fn process(dir: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("seedance"));
    c.env_clear()
        .env("HOME", dir.join("home"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(dir);
    c
}

/// [`process`] as an `assert_cmd` command (with a time limit).
pub fn seedance(dir: &Path) -> Command {
    with_timeout(process(dir))
}

fn with_timeout(c: std::process::Command) -> Command {
    let mut c = Command::from_std(c);
    c.timeout(Duration::from_secs(60));
    c
}

/// The files of `dir` with extension `ext` (none when `dir` does not exist).
pub fn files_in(dir: &Path, ext: &str) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == ext))
                .collect()
        })
        .unwrap_or_default()
}

/// Parses stdout as JSON lines (`batch`).
pub fn json_lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l:?}")))
        .collect()
}

/// Runs and returns (exit code, stdout, stderr).
pub fn run(mut c: Command) -> (i32, String, String) {
    let out = c.output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Parses stdout as exactly one JSON value.
pub fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("stdout is not one JSON value ({e}): {stdout:?}"))
}

/// Whether the file looks like an MP4 (an `ftyp` box first).
pub fn is_mp4(p: &Path) -> bool {
    std::fs::read(p)
        .map(|b| b.len() > 12 && &b[4..8] == b"ftyp")
        .unwrap_or(false)
}

/// Whether the file is a PNG.
pub fn is_png(p: &Path) -> bool {
    std::fs::read(p)
        .map(|b| b.starts_with(b"\x89PNG\r\n\x1a\n"))
        .unwrap_or(false)
}

/// `dir` joined with the path a JSON result names.
pub fn path(v: &serde_json::Value, dir: &Path) -> PathBuf {
    dir.join(v.as_str().unwrap_or_else(|| panic!("not a path: {v}")))
}
