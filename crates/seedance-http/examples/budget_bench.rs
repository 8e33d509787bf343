//! The shared budget, measured: N processes × M jobs on one account against the
//! in-process emulator at its real limit (30 per window; the 60 s window scaled to 2 s),
//! with each process keeping its own budget (`process`, how every client works today),
//! one machine-wide budget (`machine`), or Redis (`redis`, one data dir per process as if
//! each were a machine; needs `redis-server` on PATH). Then the acquire overhead of each
//! backend: sequential requests with the budget against the same requests without one.
//!
//! Run: `cargo run -p seedance-http --release --example budget_bench`

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use seedance_core::VideoRequest;
use seedance_emulator::Emulator;
use seedance_http::{BudgetScope, Client, GenerateOptions, PollSchedule, RateLimit};

/// Model time runs this much faster (renders and the rate window alike).
const SCALE: f64 = 30.0;
const JOBS_PER_PROCESS: usize = 16;

/// The spec's account and media limits (seedance-core); both windows are 60 s.
const ACCOUNT: RateLimit = RateLimit::ACCOUNT;
const MEDIA: RateLimit = RateLimit::MEDIA;

/// The limits' window at the scaled time.
fn window() -> Duration {
    Duration::from_secs_f64(ACCOUNT.window.as_secs_f64() / SCALE)
}

fn client(base: &str, key: &str, scope: BudgetScope, limited: bool) -> Client {
    let mut b = Client::builder()
        .no_env()
        .api_key(key)
        .base_url(base)
        .budget(scope)
        .poll_schedule(
            PollSchedule::default()
                .time_scale(seedance_core::rules::TimeScale::new(SCALE).unwrap()),
        );
    b = if limited {
        b.rate_limit(ACCOUNT.requests, window())
            .media_rate_limit(MEDIA.requests, window())
    } else {
        b.no_rate_limit().no_media_rate_limit()
    };
    b.build().expect("client")
}

/// One process of a run: M jobs at once, then one line of results.
fn worker(args: &[String]) {
    let (base, key, budget, jobs) = (&args[2], &args[3], &args[4], &args[5]);
    let jobs: usize = jobs.parse().expect("jobs");
    let scope = BudgetScope::parse(budget).expect("budget");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let c = client(base, key, scope, true);
        let tag = std::process::id();
        let runs = (0..jobs).map(|i| {
            let c = c.clone();
            async move {
                let req = VideoRequest::builder(format!(
                    "A lantern {i} of procession {tag} floats over a night river"
                ))
                .duration(5)
                .build()
                .expect("request");
                c.generate(&req, GenerateOptions::default()).await
            }
        });
        let done = futures_util::future::join_all(runs).await;
        let ok = done.iter().filter(|r| r.is_ok()).count();
        println!("ok={ok} failed={}", done.len() - ok);
    });
}

struct Redis(Child, u16);

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_redis(dir: &Path) -> Option<Redis> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let r = Redis(child, port);
    for _ in 0..250 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(r);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

struct Run {
    jobs: usize,
    completed: usize,
    requests: u64,
    rate_limited: u64,
    charged_once: bool,
    jobs_per_model_minute: f64,
}

async fn run(backend: &str, n: usize, redis: Option<&Redis>, root: &Path) -> Run {
    let emu = Emulator::builder()
        .time_scale(seedance_core::rules::TimeScale::new(SCALE).unwrap())
        .rate_limit(ACCOUNT.requests, window())
        .media_rate_limit(MEDIA.requests, window())
        .default_credits(1_000_000)
        .start()
        .await
        .expect("emulator");
    let exe = std::env::current_exe().expect("exe");
    let budget = match (backend, redis) {
        ("redis", Some(r)) => format!("redis://127.0.0.1:{}/0", r.1),
        (b, _) => b.to_owned(),
    };
    let t0 = Instant::now();
    let children: Vec<Child> = (0..n)
        .map(|i| {
            // machine: one data dir for all (one machine); otherwise one each
            let data = if backend == "machine" {
                root.join(format!("{backend}-{n}"))
            } else {
                root.join(format!("{backend}-{n}-{i}"))
            };
            Command::new(&exe)
                .args(["worker", &emu.base_url(), emu.api_key(), &budget])
                .arg(JOBS_PER_PROCESS.to_string())
                .env("XDG_DATA_HOME", data)
                .stdout(Stdio::piped())
                .spawn()
                .expect("worker")
        })
        .collect();
    let mut completed = 0;
    for mut c in children {
        let out = c.stdout.take().expect("stdout");
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if let Some(ok) = line.strip_prefix("ok=") {
                completed += ok
                    .split_whitespace()
                    .next()
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap_or(0);
            }
        }
        c.wait().expect("worker ends");
    }
    let wall = t0.elapsed();
    let s = emu.total_stats();
    emu.shutdown().await;
    let jobs = n * JOBS_PER_PROCESS;
    Run {
        jobs,
        completed,
        requests: s.requests,
        rate_limited: s.rate_limited,
        charged_once: s.tasks_created == jobs as u64,
        jobs_per_model_minute: completed as f64 / (wall.as_secs_f64() * SCALE / 60.0),
    }
}

/// Mean extra time per request that the budget adds (acquire + release), against the same
/// sequential requests with no budget at all.
async fn overhead(scope: BudgetScope) -> Duration {
    let emu = Emulator::builder()
        .no_rate_limit()
        .start()
        .await
        .expect("emulator");
    let req = VideoRequest::builder("A kite over a windy beach")
        .build()
        .expect("request");
    let bare = client(&emu.base_url(), emu.api_key(), BudgetScope::Process, false);
    let with = client(&emu.base_url(), emu.api_key(), scope, true);
    // 30 per 2 s would throttle: the same backend with a limit never reached
    let task = bare.submit(&req, Default::default()).await.expect("submit");
    let n = 25; // under the limit of one window: no waiting, only the backend's cost
    let mut best = Duration::MAX;
    for _ in 0..4 {
        let t0 = Instant::now();
        for _ in 0..n {
            bare.get_task(&task.id).await.expect("get");
        }
        let b = t0.elapsed();
        let t0 = Instant::now();
        for _ in 0..n {
            with.get_task(&task.id).await.expect("get");
        }
        let w = t0.elapsed();
        best = best.min(w.saturating_sub(b) / n);
        tokio::time::sleep(window() + Duration::from_millis(100)).await; // slots free again
    }
    emu.shutdown().await;
    best
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("worker") {
        worker(&args);
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let root = tempfile::tempdir().expect("tempdir");
    let redis = start_redis(root.path());
    if redis.is_none() {
        println!("(redis-server not found: the Redis rows are skipped)");
    }
    println!(
        "## N processes × {JOBS_PER_PROCESS} jobs, one account, 30 requests per 60 s (scaled ×{SCALE})"
    );
    println!("| budget | N | jobs completed | 429s | requests per job | charged once | jobs/min (limit 15) |");
    println!("|---|---|---|---|---|---|---|");
    rt.block_on(async {
        for backend in ["process", "machine", "redis"] {
            if backend == "redis" && redis.is_none() {
                continue;
            }
            for n in [1, 2, 4] {
                let r = run(backend, n, redis.as_ref(), root.path()).await;
                println!(
                    "| {backend} | {n} | {}/{} | {} | {:.2} | {} | {:.1} |",
                    r.completed,
                    r.jobs,
                    r.rate_limited,
                    r.requests as f64 / r.jobs as f64,
                    if r.charged_once { "yes" } else { "NO" },
                    r.jobs_per_model_minute,
                );
            }
        }
        println!();
        println!("## acquire + release overhead per request (best of 4 × 25 sequential requests)");
        let mut scopes = vec![
            ("process", BudgetScope::Process),
            (
                "machine",
                BudgetScope::Machine(Some(root.path().join("overhead"))),
            ),
        ];
        if let Some(r) = &redis {
            scopes.push((
                "redis",
                BudgetScope::Redis(format!("redis://127.0.0.1:{}/0", r.1)),
            ));
        }
        for (name, scope) in scopes {
            let d = overhead(scope).await;
            println!("{name}: {:.3} ms", d.as_secs_f64() * 1000.0);
        }
    });
}
