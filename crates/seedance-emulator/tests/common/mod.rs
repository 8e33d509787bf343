//! Helpers shared by the integration tests: an emulator with fast renders and a small
//! HTTP client that speaks the spec's wire format directly (no SDK client).
#![allow(dead_code)]

use std::time::Duration;

use reqwest::{Client, Response, StatusCode};
use seedance_emulator::{Emulator, EmulatorBuilder, Endpoint, Fault, FaultKind};
use serde_json::{json, Value};

pub const SUBMIT: &str = "/api/v1/video/seedance2";

/// Renders take ~100 ms, limits on but generous unless a test sets them.
pub fn fast() -> EmulatorBuilder {
    Emulator::builder()
        .time_scale(seedance_core::rules::TimeScale::new(1000.0).unwrap())
        .rate_limit(1000, Duration::from_secs(1))
        .media_rate_limit(1000, Duration::from_secs(1))
}

pub async fn start() -> Emulator {
    fast().start().await.expect("emulator starts")
}

/// Renders 1000× faster, with this account-wide limit and the spec's 3-per-60-s media
/// limit left at its default.
pub async fn start_with_rate_limit(requests: u32, window: Duration) -> Emulator {
    Emulator::builder()
        .time_scale(seedance_core::rules::TimeScale::new(1000.0).unwrap())
        .rate_limit(requests, window)
        .start()
        .await
        .expect("emulator starts")
}

/// Installs rustls' ring provider as the process default, once. Needed because in a
/// workspace build reqwest carries seedance-http's `rustls-no-provider` feature.
fn install_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A reqwest client builder that is safe to build in any test (see [`install_tls`]);
/// tests build every client through it.
pub fn client_builder() -> reqwest::ClientBuilder {
    install_tls();
    Client::builder()
}

pub fn client() -> Client {
    client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

pub fn body() -> Value {
    json!({
        "mode": "text-to-video",
        "quality_tier": "standard",
        "prompt": "A cinematic shot of a glass train crossing a snowy mountain bridge",
        "aspect_ratio": "16:9",
        "duration": "5",
        "resolution": "720p"
    })
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    /// The spec's error code, asserting the error shape.
    pub fn error_code(&self) -> String {
        let v = self.json();
        let err = v["error"]
            .as_object()
            .unwrap_or_else(|| panic!("no error object: {}", self.text));
        assert!(
            err["message"].as_str().is_some_and(|m| !m.is_empty()),
            "error message: {}",
            self.text
        );
        err["code"].as_str().expect("code").to_owned()
    }
    /// The error message (asserting the error shape).
    pub fn message(&self) -> String {
        self.error_code();
        self.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
    /// A response header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }
    pub fn retry_after(&self) -> Option<u64> {
        self.headers.get("retry-after")?.to_str().ok()?.parse().ok()
    }
}

pub async fn answer(r: Response) -> Answer {
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.expect("body");
    Answer {
        status,
        headers,
        text,
    }
}

/// Holds the next submit for `delay` while its idempotency key is in flight.
pub fn delay_first_submit(emu: &Emulator, delay: Duration) {
    emu.inject(Fault::new(Endpoint::Submit, FaultKind::Delay(delay)).nth(1));
}

/// A submit as sent, for tests that look at the connection itself (faults that drop it).
pub async fn send_submit(
    base_url: &str,
    key: &str,
    idem: Option<&str>,
    body: &Value,
) -> reqwest::Result<Response> {
    let mut rb = client()
        .post(format!("{base_url}{SUBMIT}"))
        .bearer_auth(key)
        .json(body);
    if let Some(k) = idem {
        rb = rb.header("Idempotency-Key", k);
    }
    rb.send().await
}

pub async fn submit_raw(emu: &Emulator, key: &str, idem: Option<&str>, body: &Value) -> Answer {
    answer(
        send_submit(&emu.base_url(), key, idem, body)
            .await
            .expect("send"),
    )
    .await
}

pub async fn submit(emu: &Emulator, body: &Value) -> Answer {
    submit_raw(emu, emu.api_key(), Some(&uuidish()), body).await
}

/// Submits `body` with a fresh idempotency key; the new task's id (asserts the 202).
pub async fn submit_id(emu: &Emulator, body: &Value) -> String {
    let a = submit(emu, body).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text);
    a.json()["id"].as_str().expect("id").to_owned()
}

/// A task read as sent, for tests that look at the connection itself.
pub async fn send_get_task(emu: &Emulator, key: &str, id: &str) -> reqwest::Result<Response> {
    client()
        .get(format!("{}/api/v1/tasks/{id}", emu.base_url()))
        .bearer_auth(key)
        .send()
        .await
}

pub async fn get_task(emu: &Emulator, key: &str, id: &str) -> Answer {
    answer(send_get_task(emu, key, id).await.expect("send")).await
}

/// The status of a task read with the default key.
pub async fn get_status(emu: &Emulator, id: &str) -> StatusCode {
    get_task(emu, emu.api_key(), id).await.status
}

/// Polls until the task is terminal (bounded).
pub async fn wait_done(emu: &Emulator, key: &str, id: &str) -> Value {
    for _ in 0..400 {
        let a = get_task(emu, key, id).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        let v = a.json();
        if v["status"] != "processing" {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("task {id} did not finish");
}

pub fn uuidish() -> String {
    format!("k-{:016x}{:016x}", fastrand_u64(), fastrand_u64())
}

fn fastrand_u64() -> u64 {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let mut h = RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    h.finish()
}
