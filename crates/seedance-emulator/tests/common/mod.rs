//! Helpers shared by the integration tests: an emulator with fast renders and a small
//! HTTP client that speaks the spec's wire format directly (no SDK client).
#![allow(dead_code)]

use std::time::Duration;

use reqwest::{Client, Response, StatusCode};
use seedance_emulator::{Emulator, EmulatorBuilder};
use serde_json::{json, Value};

pub const SUBMIT: &str = "/api/v1/video/seedance2";

/// Renders take ~100 ms, limits on but generous unless a test sets them.
pub fn fast() -> EmulatorBuilder {
    Emulator::builder()
        .time_scale(1000.0)
        .rate_limit(1000, Duration::from_secs(1))
        .media_rate_limit(1000, Duration::from_secs(1))
}

pub async fn start() -> Emulator {
    fast().start().await.expect("emulator starts")
}

/// Installs rustls' ring provider as the process default, once. Needed because in a
/// workspace build reqwest carries seedance-http's `rustls-no-provider` feature.
pub fn install_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub fn client() -> Client {
    install_tls();
    Client::builder()
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

pub async fn submit_raw(emu: &Emulator, key: &str, idem: Option<&str>, body: &Value) -> Answer {
    let mut rb = client()
        .post(format!("{}{SUBMIT}", emu.base_url()))
        .bearer_auth(key)
        .json(body);
    if let Some(k) = idem {
        rb = rb.header("Idempotency-Key", k);
    }
    answer(rb.send().await.expect("send")).await
}

pub async fn submit(emu: &Emulator, body: &Value) -> Answer {
    submit_raw(emu, emu.api_key(), Some(&uuidish()), body).await
}

pub async fn get_task(emu: &Emulator, key: &str, id: &str) -> Answer {
    let r = client()
        .get(format!("{}/api/v1/tasks/{id}", emu.base_url()))
        .bearer_auth(key)
        .send()
        .await
        .expect("send");
    answer(r).await
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
