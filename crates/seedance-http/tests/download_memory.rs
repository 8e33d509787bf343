//! Downloads: memory does not grow with the file. A test binary of its own so that no
//! other test shares the process whose peak memory it reads.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic
#![cfg(target_os = "linux")]

use seedance_core::Task;
use seedance_http::DownloadOptions;

#[path = "integration/common.rs"]
mod common;
use common::*;

/// Peak resident memory of this process so far, bytes (`VmHWM`).
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    kb * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_download_runs_in_constant_memory() {
    const SIZE: u64 = 160 << 20;
    let emu = emulator().await;
    let client = client(&emu);
    // warm up (TLS provider, pools, the emulator's blob pattern) on a small file
    let dir = tempfile::tempdir().unwrap();
    let small = Task::from_json(
        serde_json::json!({"id": "sd2_small", "status": "completed",
            "output": {"video_url": format!("{}/_emulator/blob/{}", emu.cdn_url(), 1 << 20)}})
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    client
        .download(
            &small,
            &dir.path().join("small.bin"),
            DownloadOptions::default(),
        )
        .await
        .unwrap();
    let before = peak_rss();
    let big = Task::from_json(
        serde_json::json!({"id": "sd2_big", "status": "completed",
            "output": {"video_url": format!("{}/_emulator/blob/{SIZE}", emu.cdn_url())}})
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    let path = dir.path().join("big.bin");
    let d = client
        .download(&big, &path, DownloadOptions::default())
        .await
        .unwrap();
    assert_eq!(d.bytes, SIZE);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), SIZE);
    let grew = peak_rss().saturating_sub(before);
    assert!(
        grew < 32 << 20,
        "peak memory grew by {} MB for a {} MB file",
        grew >> 20,
        SIZE >> 20
    );
}
