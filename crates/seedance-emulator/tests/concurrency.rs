//! Consistency under many concurrent clients, and robustness against bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use seedance_emulator::Emulator;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn credits_equal_the_sum_of_tasks_under_concurrency() {
    let emu = Emulator::builder()
        .time_scale(seedance_core::rules::TimeScale::new(1000.0).unwrap())
        .no_rate_limit()
        .no_media_rate_limit()
        .start()
        .await
        .expect("start");
    let base = emu.base_url();
    let key = emu.api_key().to_owned();
    let mut handles = Vec::new();
    for i in 0..50u32 {
        let (base, key) = (base.clone(), key.clone());
        handles.push(tokio::spawn(async move {
            let c = client();
            // 8 shared keys used by 5 clients each (bodies differ only by the failure marker,
            // so some get 409); 10 clients without keys.
            let mut b = body();
            let idem = if i < 40 {
                Some(format!("shared-{}", i % 8))
            } else {
                None
            };
            b["duration"] = json!(((i % 8) + 4).to_string());
            if i % 5 == 0 {
                b["prompt"] = json!("A glass train [fail] crossing a bridge");
            }
            let mut rb = c.post(format!("{base}{SUBMIT}")).bearer_auth(&key).json(&b);
            if let Some(k) = &idem {
                rb = rb.header("Idempotency-Key", k);
            }
            let a = answer(rb.send().await.expect("send")).await;
            (idem, a.status, a.json())
        }));
    }
    let mut ids = HashSet::new();
    let mut conflicts = 0;
    for h in handles {
        let (_idem, status, v) = h.await.expect("join");
        match status {
            StatusCode::ACCEPTED => {
                ids.insert(v["id"].as_str().expect("id").to_owned());
            }
            StatusCode::CONFLICT => conflicts += 1,
            other => panic!("unexpected {other}: {v}"),
        }
    }
    let tasks = emu.tasks();
    assert_eq!(tasks.len(), ids.len());
    let charged: u64 = tasks.iter().filter_map(|t| t.credits_used).sum();
    let s = emu.stats();
    assert_eq!(s.tasks_created as usize, tasks.len());
    assert_eq!(s.credits_charged, charged);
    assert_eq!(
        s.credits_balance,
        seedance_emulator::DEFAULT_CREDITS - charged + s.credits_refunded
    );
    assert_eq!(s.submits, 50);
    assert_eq!(s.idempotency_conflicts, conflicts);
    // At most one task per shared key; every key-less request made one.
    assert!(tasks.len() <= 8 + 10, "{}", tasks.len());
    assert!(tasks.len() >= 10);
    // Wait for every render, then the ledger still balances.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let tasks = emu.tasks();
    assert!(tasks.iter().all(|t| t.status.is_terminal()));
    let refunded: u64 = tasks.iter().filter_map(|t| t.credits_refunded).sum();
    let s = emu.stats();
    assert_eq!(s.credits_refunded, refunded);
    assert_eq!(
        s.credits_balance,
        seedance_emulator::DEFAULT_CREDITS - charged + refunded
    );
    assert_eq!(s.tasks_completed + s.tasks_failed, s.tasks_created);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_clients_racing_one_key_create_exactly_one_task() {
    let emu = Emulator::builder()
        .time_scale(seedance_core::rules::TimeScale::new(1000.0).unwrap())
        .no_rate_limit()
        .start()
        .await
        .expect("start");
    let mut handles = Vec::new();
    for _ in 0..50 {
        let base = emu.base_url();
        handles.push(tokio::spawn(async move {
            let r = send_submit(
                &base,
                seedance_emulator::DEFAULT_TEST_KEY,
                Some("one"),
                &body(),
            )
            .await;
            answer(r.expect("send")).await
        }));
    }
    let mut ids = HashSet::new();
    for h in handles {
        let a = h.await.expect("join");
        match a.status {
            StatusCode::ACCEPTED => {
                ids.insert(a.json()["id"].as_str().expect("id").to_owned());
            }
            StatusCode::CONFLICT => assert_eq!(a.error_code(), "idempotency_conflict"),
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(emu.stats().tasks_created, 1);
    assert_eq!(emu.stats().credits_charged, 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_never_crashes_the_server() {
    let emu = Emulator::builder()
        .no_rate_limit()
        .start()
        .await
        .expect("start");
    let addr = emu.api_addr();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    // Random bodies with valid framing.
    for i in 0..200 {
        let len = (next() % 300) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        let mut rb = client()
            .post(format!("{}{SUBMIT}", emu.base_url()))
            .bearer_auth(emu.api_key())
            .body(bytes);
        if i % 2 == 0 {
            rb = rb.header("content-type", "application/json");
        }
        let a = answer(rb.send().await.expect("send")).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST);
        assert_eq!(a.error_code(), "invalid_request");
    }
    // Mutated valid bodies.
    let valid = body().to_string().into_bytes();
    for _ in 0..200 {
        let mut b = valid.clone();
        for _ in 0..3 {
            let at = (next() as usize) % b.len();
            b[at] = next() as u8;
        }
        let a = answer(
            client()
                .post(format!("{}{SUBMIT}", emu.base_url()))
                .bearer_auth(emu.api_key())
                .header("content-type", "application/json")
                .body(b)
                .send()
                .await
                .expect("send"),
        )
        .await;
        assert!(
            matches!(a.status.as_u16(), 202 | 400),
            "{}: {}",
            a.status,
            a.text
        );
    }
    // Raw broken HTTP on the socket.
    for raw in [
        &b"GARBAGE\r\n\r\n"[..],
        b"POST /api/v1/video/seedance2 HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
        b"GET /api/v1/tasks/%ff%00 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\r\n\r\n",
        b"POST /api/v1/video/seedance2 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_test_seedance\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{\"pro",
    ] {
        let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let _ = s.write_all(raw).await;
        let _ = s.shutdown().await;
        let mut buf = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(2), s.read_to_end(&mut buf)).await;
    }
    // Still serving, state intact.
    assert_eq!(get_status(&emu, "sd2_x").await, StatusCode::NOT_FOUND);
    let s = emu.stats();
    assert_eq!(
        s.credits_balance,
        seedance_emulator::DEFAULT_CREDITS - s.credits_charged
    );
}
