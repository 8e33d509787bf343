#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use seedance_core::{Task, VideoRequest};
use seedance_emulator::{Emulator, Endpoint, Fault, FaultKind};
use seedance_http::{Client, ClientBuilder, Event, PollSchedule, RetryPolicy, SubmitOptions};

/// Simulated time runs this much faster than real time.
pub const SCALE: f64 = 1000.0;
/// Rate windows in tests: 30 per second (instead of per minute).
pub const WINDOW: Duration = Duration::from_secs(1);

pub async fn emulator() -> Emulator {
    Emulator::builder()
        .time_scale(seedance_core::rules::TimeScale::new(SCALE).unwrap())
        .rate_limit(30, WINDOW)
        .media_rate_limit(3, WINDOW)
        .start()
        .await
        .expect("emulator starts")
}

pub fn fast_retry() -> RetryPolicy {
    let mut p = RetryPolicy::default();
    p.base = Duration::from_millis(10);
    p.cap = Duration::from_millis(200);
    p.in_flight_timeout = Duration::from_secs(5);
    p
}

pub fn schedule() -> PollSchedule {
    PollSchedule::default().time_scale(seedance_core::rules::TimeScale::new(SCALE).unwrap())
}

pub fn builder(emu: &Emulator) -> ClientBuilder {
    Client::builder()
        .no_env()
        .api_key(emu.api_key())
        .base_url(emu.base_url())
        .rate_limit(30, WINDOW)
        .media_rate_limit(3, WINDOW)
        .poll_schedule(schedule())
        .retry_policy(fast_retry())
        .timeout(Duration::from_secs(5))
}

pub fn client(emu: &Emulator) -> Client {
    builder(emu).build().expect("client builds")
}

pub fn request() -> VideoRequest {
    VideoRequest::builder("A glass train crossing a snowy mountain bridge at dawn")
        .build()
        .expect("valid")
}

pub fn request_with(prompt: &str) -> VideoRequest {
    VideoRequest::builder(prompt).build().expect("valid")
}

/// Collects every event.
#[derive(Clone, Default)]
pub struct Recorder(pub Arc<Mutex<Vec<Event>>>);

impl Recorder {
    pub fn hook(&self) -> impl Fn(&Event) + Send + Sync + 'static {
        let me = self.clone();
        move |e| me.0.lock().unwrap().push(e.clone())
    }
    pub fn events(&self) -> Vec<Event> {
        self.0.lock().unwrap().clone()
    }
    pub fn retries(&self) -> Vec<(String, Duration)> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::RetryScheduled { reason, delay, .. } => Some((reason, delay)),
                _ => None,
            })
            .collect()
    }
}

/// Starts `client.submit(request(), key)` with the server holding it for `hold` (its
/// key "in flight" meanwhile); returns once the server has it (not after a guessed
/// sleep).
pub async fn held_submit(
    emu: &Emulator,
    client: &Client,
    key: &str,
    hold: Duration,
) -> tokio::task::JoinHandle<seedance_http::Result<Task>> {
    emu.inject(Fault::new(Endpoint::Submit, FaultKind::Delay(hold)).times(1));
    let before = emu.stats().submits;
    let handle = tokio::spawn({
        let c = client.clone();
        let key = key.to_owned();
        async move {
            c.submit(&request(), SubmitOptions::default().idempotency_key(key))
                .await
        }
    });
    let t0 = std::time::Instant::now();
    while emu.stats().submits == before {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "the submit never arrived"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    // counted on arrival; its key is registered right after its (small) body is read
    tokio::time::sleep(Duration::from_millis(20)).await;
    handle
}
