//! The `seedance-emulator` binary: starts, prints its URLs and test key, serves.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

struct Kill(std::process::Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_prints_its_urls_and_key_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_seedance-emulator"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--cdn-listen",
            "127.0.0.1:0",
            "--no-rate-limit",
            "--time-scale",
            "1000",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let _guard = Kill(child);
    let mut lines = BufReader::new(stdout).lines();
    let (mut api, mut key_seen) = (None, false);
    for line in lines.by_ref().take(20) {
        let line = line.expect("line");
        if let Some(rest) = line.trim().strip_prefix("API:") {
            api = Some(rest.trim().to_owned());
        }
        key_seen |= line.contains(seedance_emulator::DEFAULT_TEST_KEY);
        if line.contains("Ctrl-C") {
            break;
        }
    }
    let api = api.expect("the API URL is printed");
    assert!(key_seen, "the test key is printed");
    // reqwest may carry `rustls-no-provider` in a workspace build: install one first.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let info: serde_json::Value = reqwest::get(format!("{api}/_emulator/info"))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(info["base_url"], api);
    assert_eq!(info["api_key"], seedance_emulator::DEFAULT_TEST_KEY);
    let cfg: serde_json::Value = reqwest::get(format!("{api}/_emulator/config"))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(cfg["rate_limit"], serde_json::Value::Null);
    assert_eq!(cfg["time_scale"], 1000.0);
}

#[test]
fn the_default_address_is_8787() {
    let args =
        <seedance_emulator::EmulatorArgs as clap::Parser>::try_parse_from(["seedance-emulator"])
            .expect("parse");
    assert_eq!(args.listen.to_string(), "127.0.0.1:8787");
    assert_eq!(args.time_scale, 1.0);
    assert!(!args.no_rate_limit);
    // a person's emulator renders with the realistic spread; tests choose `none`
    assert_eq!(
        args.render_spread,
        seedance_emulator::RenderSpread::Realistic
    );
    let b = <seedance_emulator::EmulatorArgs as clap::Parser>::try_parse_from([
        "seedance-emulator",
        "--render-spread",
        "none",
        "--render-seed",
        "5",
    ])
    .expect("parse");
    assert_eq!(b.render_spread, seedance_emulator::RenderSpread::None);
    assert_eq!(b.render_seed, Some(5));
}
