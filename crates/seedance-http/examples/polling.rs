//! Polling against render times that vary as real ones do (issue 15): the emulator draws
//! each render from its realistic spread (p5 0.75×, median 1×, p95 2.4× the model, a long
//! tail) with a seed the clients never see; seedance-http (cold: the prior only; warm: a
//! render profile learned in an earlier run against another seed), the best peer (fixed 5 s poll,
//! 10 retries honouring `Retry-After`, no shared budget) and the naive peer (fixed 5 s poll,
//! 2 retries, 1 s pause on a 429) run side by side, and an ORACLE is computed from the
//! emulator's recorded render times (submits at the budget's pace, one poll exactly at each
//! completion: the physical limit). Every contender sees the same sequence of render times
//! (same seed, same requests in the same order).
//!
//! Run: `cargo run -p seedance-http --release --example polling` (about three minutes on 2 cores).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic

use std::time::{Duration, Instant};

use seedance_core::{Task, TaskStatus, VideoRequest};
use seedance_emulator::{Emulator, RenderSpread};
use seedance_http::{Client, GenerateOptions, PollSchedule, RateLimit};

/// Model time runs this much faster.
const SCALE: f64 = 100.0;
/// The account's limit (model time): the spec's, from seedance-core.
const LIMIT: u32 = RateLimit::ACCOUNT.requests;
const WINDOW_SECS: f64 = RateLimit::ACCOUNT.window.as_secs_f64();
/// The emulator's seed: the clients never read it.
const SEED: u64 = 0x005e_ed15;
/// The seed of the earlier run the warm client learned from.
const TRAINING_SEED: u64 = 0x0bad_5eed;

fn scaled(secs: f64) -> Duration {
    Duration::from_secs_f64(secs / SCALE)
}

async fn emulator(seed: u64) -> Emulator {
    Emulator::builder()
        .time_scale(seedance_core::rules::TimeScale::new(SCALE).unwrap())
        .rate_limit(LIMIT, scaled(WINDOW_SECS))
        .render_spread(RenderSpread::Realistic)
        .render_seed(Some(seed))
        .start()
        .await
        .expect("emulator")
}

fn req(i: usize) -> VideoRequest {
    VideoRequest::builder(format!(
        "Job {i}: a glass train crossing a snowy mountain bridge"
    ))
    .build()
    .expect("valid")
}

#[derive(Clone, Copy, PartialEq)]
enum Who {
    /// seedance-http with a fresh profile, or with the one in this file.
    Ours(Option<&'static str>),
    Best,
    Naive,
}

/// A peer: fixed 5 s poll; `retries` retries of a 429/5xx, honouring `Retry-After` or
/// pausing 1 s.
#[derive(Clone)]
struct Peer {
    http: reqwest::Client,
    base: String,
    key: String,
    retries: u32,
    honour_retry_after: bool,
}

impl Peer {
    async fn send(&self, rb: impl Fn() -> reqwest::RequestBuilder) -> Option<(u16, bytes::Bytes)> {
        for _ in 0..=self.retries {
            if let Ok(r) = rb().send().await {
                let s = r.status().as_u16();
                let after = r
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok()?.parse::<f64>().ok());
                let b = r.bytes().await.ok()?;
                if s == 429 || s >= 500 {
                    let wait = match after {
                        Some(a) if self.honour_retry_after => a,
                        _ => 1.0,
                    };
                    // Retry-After is in the emulator's real whole seconds (at least 1 s, which
                    // is 100 s of model time here): honoured, but capped at the scaled window
                    // (what the real API's would be at most); the 1 s pause is model time.
                    let d = if self.honour_retry_after && after.is_some() {
                        Duration::from_secs_f64(wait).min(scaled(WINDOW_SECS))
                    } else {
                        scaled(wait)
                    };
                    tokio::time::sleep(d).await;
                    continue;
                }
                return Some((s, b));
            }
        }
        None
    }

    async fn generate(&self, i: usize) -> bool {
        let Ok(body) = serde_json::to_vec(&req(i)) else {
            return false;
        };
        let key = seedance_http::new_idempotency_key();
        let Some((s, b)) = self
            .send(|| {
                self.http
                    .post(format!("{}/api/v1/video/seedance2", self.base))
                    .bearer_auth(&self.key)
                    .header("Idempotency-Key", &key)
                    .header("content-type", "application/json")
                    .body(body.clone())
            })
            .await
        else {
            return false;
        };
        if s != 202 && s != 200 {
            return false;
        }
        let Ok(task) = Task::from_json(&b) else {
            return false;
        };
        loop {
            tokio::time::sleep(scaled(5.0)).await;
            let Some((s, b)) = self
                .send(|| {
                    self.http
                        .get(format!("{}/api/v1/tasks/{}", self.base, task.id))
                        .bearer_auth(&self.key)
                })
                .await
            else {
                return false;
            };
            if s != 200 {
                return false;
            }
            match Task::from_json(&b).map(|t| t.status) {
                Ok(TaskStatus::Completed) => return true,
                Ok(TaskStatus::Failed) | Err(_) => return false,
                _ => {}
            }
        }
    }
}

fn peer(emu: &Emulator, who: Who) -> Peer {
    seedance_http::install_crypto_provider();
    Peer {
        http: reqwest::Client::new(),
        base: emu.base_url(),
        key: emu.api_key().to_owned(),
        retries: if who == Who::Best { 10 } else { 2 },
        honour_retry_after: who == Who::Best,
    }
}

fn ours(emu: &Emulator, profile: Option<std::path::PathBuf>) -> Client {
    Client::builder()
        .no_env()
        .render_profile(profile)
        .api_key(emu.api_key())
        .base_url(emu.base_url())
        .poll_schedule(
            PollSchedule::default()
                .time_scale(seedance_core::rules::TimeScale::new(SCALE).unwrap()),
        )
        .rate_limit(LIMIT, scaled(WINDOW_SECS))
        .build()
        .expect("client")
}

fn pct(mut v: Vec<f64>, p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

struct Row {
    done: usize,
    requests_per_job: f64,
    delay_p50: f64,
    delay_p95: f64,
    rate_limited: u64,
    wall: f64,
    renders: Vec<f64>,
}

/// Where the example keeps its profile files (set once by `main`).
static SCRATCH: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

fn scratch() -> std::path::PathBuf {
    SCRATCH.get().cloned().expect("set by main")
}

/// Runs `n` jobs (`batch`: all at once, else one after another) with `who`.
async fn run(who: Who, n: usize, batch: bool, seed: u64) -> Row {
    let emu = emulator(seed).await;
    let t0 = Instant::now();
    let profile = match who {
        Who::Ours(Some(p)) => {
            // a copy of the trained profile: every run starts from the same knowledge
            let copy = scratch().join(format!("profile-{n}.json"));
            std::fs::copy(p, &copy).expect("trained profile");
            Some(copy)
        }
        _ => None,
    };
    let client = ours(&emu, profile.clone());
    let p = peer(&emu, who);
    let one = |i: usize| {
        let client = client.clone();
        let p = p.clone();
        async move {
            match who {
                Who::Ours(_) => client
                    .generate(&req(i), GenerateOptions::default().no_timeout())
                    .await
                    .is_ok(),
                _ => p.generate(i).await,
            }
        }
    };
    let done = if batch {
        futures_util::future::join_all((0..n).map(one))
            .await
            .into_iter()
            .filter(|ok| *ok)
            .count()
    } else {
        let mut k = 0;
        for i in 0..n {
            k += usize::from(one(i).await);
        }
        k
    };
    let wall = t0.elapsed().as_secs_f64() * SCALE;
    if let Some(p) = profile {
        let _ = std::fs::remove_file(p);
    }
    let s = emu.stats();
    let timings = emu.task_timings();
    let delays: Vec<f64> = timings
        .iter()
        .filter_map(|t| Some((t.first_seen_done_ms? - t.done_ms).max(0.0) / t.render_ms))
        .collect();
    Row {
        done,
        requests_per_job: s.requests as f64 / done.max(1) as f64,
        delay_p50: pct(delays.clone(), 0.5),
        delay_p95: pct(delays, 0.95),
        rate_limited: s.rate_limited,
        wall,
        renders: timings
            .iter()
            .map(|t| t.render_ms * SCALE / 1000.0)
            .collect(),
    }
}

/// The oracle's wall time (model seconds) for these render times: the physical limit.
/// Single jobs: each submit when the previous job is done, its one poll exactly at its
/// completion (the budget never binds): the sum of the renders. A batch: the submits at
/// the budget's pace (`LIMIT` per window), so job `i` cannot complete before
/// `⌊i / LIMIT⌋ × window + render_i`; and its `2n` requests (one submit, one poll each)
/// cannot all be sent before `(⌈2n / LIMIT⌉ − 1) × window`: the later of the two.
fn oracle(renders: &[f64], batch: bool) -> f64 {
    if !batch {
        return renders.iter().sum();
    }
    let limit = LIMIT as usize;
    let last_done = renders
        .iter()
        .enumerate()
        .map(|(i, d)| (i / limit) as f64 * WINDOW_SECS + d)
        .fold(0.0, f64::max);
    let all_sent = ((2 * renders.len()).div_ceil(limit) - 1) as f64 * WINDOW_SECS;
    last_done.max(all_sent)
}

/// The earlier run the warm client learned from: 24 jobs, 4 at a time, another seed.
async fn train(path: &std::path::Path) -> usize {
    let emu = emulator(TRAINING_SEED).await;
    let client = ours(&emu, Some(path.to_owned()));
    for round in 0..6 {
        let jobs = (0..4).map(|i| {
            let c = client.clone();
            async move {
                c.generate(
                    &req(1000 + round * 4 + i),
                    GenerateOptions::default().no_timeout(),
                )
                .await
                .is_ok()
            }
        });
        futures_util::future::join_all(jobs).await;
    }
    client.save_render_profile();
    client.renders_learned()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let started = Instant::now();
    // Every profile file lives in one temporary directory, removed at the end (a client's
    // last save may land after a run has removed its copy).
    let dir = tempfile::tempdir().expect("a temporary directory");
    SCRATCH.set(dir.path().to_path_buf()).expect("set once");
    let trained = scratch().join("trained.json");
    let learned = train(&trained).await;
    let trained_path: &'static str =
        Box::leak(trained.to_string_lossy().into_owned().into_boxed_str());
    println!(
        "# polling against spread render times (realistic spread, hidden seed, time ×{SCALE}, {LIMIT} requests / {WINDOW_SECS} s)\n"
    );
    println!("warm = a render profile learned from an earlier run of 24 jobs (another seed): {learned} renders\n");
    for (name, n, batch) in [
        ("8 single jobs, one at a time", 8usize, false),
        ("batch of 60", 60, true),
        ("batch of 300", 300, true),
    ] {
        println!("## {name}\n");
        println!("| client | completed | requests / job | detection delay p50 / p95 (share of render) | 429s | wall time / oracle |");
        println!("|---|---|---|---|---|---|");
        let mut oracle_wall = f64::NAN;
        for (label, who) in [
            ("seedance-http, cold (prior only)", Who::Ours(None)),
            (
                "seedance-http, warm (learned profile)",
                Who::Ours(Some(trained_path)),
            ),
            ("best peer (5 s poll, 10 retries, Retry-After)", Who::Best),
            ("naive peer (5 s poll, 2 retries)", Who::Naive),
        ] {
            let r = run(who, n, batch, SEED).await;
            if who == Who::Ours(None) {
                oracle_wall = oracle(&r.renders, batch);
                println!(
                    "| oracle | {n}/{n} | 2.00 | 0 % / 0 % | 0 | 1.00 ({:.1} model min) |",
                    oracle_wall / 60.0
                );
            }
            let wall = if r.done == n {
                format!("{:.2}", r.wall / oracle_wall)
            } else {
                format!("{:.2} ({} gave up)", r.wall / oracle_wall, n - r.done)
            };
            let delay = if r.done == 0 {
                "—".to_owned()
            } else {
                format!(
                    "{:.1} % / {:.1} %",
                    100.0 * r.delay_p50,
                    100.0 * r.delay_p95
                )
            };
            println!(
                "| {label} | {}/{n} | {:.2} | {delay} | {} | {wall} |",
                r.done, r.requests_per_job, r.rate_limited,
            );
        }
        println!();
    }
    let _ = std::fs::remove_file(&trained);
    drop(dir);
    println!("(ran in {:.0} s)", started.elapsed().as_secs_f64());
}
