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
            "--addr",
            "127.0.0.1:0",
            "--cdn-addr",
            "127.0.0.1:0",
            "--limit",
            "off",
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
    assert_eq!(args.addr.to_string(), "127.0.0.1:8787");
    assert_eq!(args.cdn_addr().to_string(), "127.0.0.1:8788");
    assert_eq!(args.time_scale.get(), 1.0);
    assert_eq!(
        args.rate_limit(),
        Some(seedance_core::rules::RateLimit::ACCOUNT)
    );
    assert_eq!(
        args.media_rate_limit(),
        Some(seedance_core::rules::RateLimit::MEDIA)
    );
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

/// One flag set (issue 9): `N/WINDOW` limits, the old spellings refused, bad values
/// refused where they are parsed.
#[test]
fn limits_are_n_per_window_and_bad_values_are_refused() {
    use seedance_core::rules::RateLimit;
    use std::time::Duration;
    let parse = |args: &[&str]| {
        let mut v = vec!["seedance-emulator"];
        v.extend_from_slice(args);
        <seedance_emulator::EmulatorArgs as clap::Parser>::try_parse_from(v)
    };
    let a = parse(&["--limit", "5/2s", "--media-limit", "off"]).expect("parse");
    assert_eq!(
        a.rate_limit(),
        Some(RateLimit::new(5, Duration::from_secs(2)))
    );
    assert_eq!(a.media_rate_limit(), None);
    assert_eq!(parse(&["--no-limit"]).expect("parse").rate_limit(), None);
    // the off-switches are named like the limits; the old names still parse
    let off = parse(&["--no-media-limit"]).expect("parse");
    assert_eq!(off.media_rate_limit(), None);
    assert_eq!(off.rate_limit(), Some(RateLimit::ACCOUNT));
    let old = parse(&["--no-rate-limit", "--no-media-rate-limit"]).expect("old names");
    assert_eq!((old.rate_limit(), old.media_rate_limit()), (None, None));
    assert_eq!(
        parse(&["--listen", "127.0.0.1:0"])
            .expect("alias")
            .addr
            .port(),
        0
    );
    for bad in [
        &["--rate-limit", "30"][..],
        &["--rate-window-secs", "60"],
        &["--limit", "0/60"],
        &["--time-scale", "0"],
        &["--failure-probability", "2"],
        &["--no-limit", "--limit", "3/1s"],
        &["--no-rate-limit", "--limit", "3/1s"],
        &["--no-media-limit", "--media-limit", "off"],
    ] {
        assert!(parse(bad).is_err(), "{bad:?}");
    }
}

/// No `--help` shows a Rust code fence (a doc example leaking into help).
#[test]
fn help_has_no_code_fences() {
    let out = Command::new(env!("CARGO_BIN_EXE_seedance-emulator"))
        .arg("--help")
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("--limit <N/WINDOW>"), "{text}");
    // the off-switches under their names; the old ones hidden
    for flag in ["--no-limit", "--no-media-limit"] {
        assert!(
            text.lines().any(|l| l.trim_start().starts_with(flag)),
            "{flag}: {text}"
        );
    }
    assert!(
        !text.contains("no-rate-limit") && !text.contains("no-media-rate-limit"),
        "{text}"
    );
    assert!(
        !text.contains("```") && !text.contains("use clap"),
        "{text}"
    );
}
