//! Issue 10, item 4, for the CLI: a hostile server that echoes the API key back (in the
//! error code, the message, a failed task's message, a header) gets no key into the
//! output, with `--json` or without.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::thread;

use common::{json, run, seedance, SECRET_KEY};

/// Answers every request with `status` and the JSON `body`, plus a header echoing the
/// key; returns the base URL. The thread ends with the test process.
fn hostile_server(status: u16, body: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let body = body.clone();
            thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let l = line.trim_end().to_ascii_lowercase();
                    if let Some(v) = l.strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    if l.is_empty() {
                        break;
                    }
                }
                let mut sink = vec![0u8; length];
                let _ = reader.read_exact(&mut sink);
                let answer = format!(
                    "HTTP/1.1 {status} Hostile\r\nContent-Type: application/json\r\n\
                     X-Echo: {SECRET_KEY}\r\nWWW-Authenticate: Bearer {SECRET_KEY}\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes());
            });
        }
    });
    format!("http://{addr}")
}

fn echoing_error_body() -> String {
    serde_json::json!({
        "error": {
            "code": format!("bad_key_{SECRET_KEY}"),
            "message": format!(
                "your key {SECRET_KEY} is wrong (Authorization: Bearer {SECRET_KEY})\u{1b}[2J"
            ),
        }
    })
    .to_string()
}

fn assert_no_key(out: &str, err: &str) {
    for (name, text) in [("stdout", out), ("stderr", err)] {
        assert!(
            !text.contains(SECRET_KEY) && !text.contains("S3CR3T"),
            "{name} has the key: {text}"
        );
    }
}

#[test]
fn an_error_echoing_the_key_leaks_nothing_with_json() {
    let base = hostile_server(400, echoing_error_body());
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = seedance(dir.path());
    c.env("SEEDANCE_API_KEY", SECRET_KEY)
        .env("SEEDANCE_BASE_URL", &base)
        .env("SEEDANCE_BUDGET", "process")
        .args([
            "--no-journal",
            "-vvv",
            "generate",
            "--prompt",
            "A red kite over a windy beach",
            "--no-wait",
            "--json",
        ]);
    let (code, out, err) = run(c);
    assert_ne!(code, 0, "{out}{err}");
    assert_no_key(&out, &err);
    // still one valid JSON document naming the error, with the key redacted
    let v = json(&out);
    let shown = v.to_string();
    assert!(shown.contains("[redacted]"), "{shown}");
    assert!(!shown.contains('\u{1b}'), "{shown}");
}

#[test]
fn an_error_echoing_the_key_leaks_nothing_for_humans() {
    let base = hostile_server(400, echoing_error_body());
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = seedance(dir.path());
    c.env("SEEDANCE_API_KEY", SECRET_KEY)
        .env("SEEDANCE_BASE_URL", &base)
        .env("SEEDANCE_BUDGET", "process")
        .args(["--no-journal", "-vvv", "status", "sd2_hostile"]);
    let (code, out, err) = run(c);
    assert_ne!(code, 0, "{out}{err}");
    assert_no_key(&out, &err);
}

#[test]
fn a_failed_task_echoing_the_key_leaks_nothing_with_json() {
    let body = serde_json::json!({
        "id": "sd2_hostile",
        "status": "failed",
        "credits_used": 0,
        "error": {
            "code": "content_policy",
            "message": format!("refused for key {SECRET_KEY}; Bearer {SECRET_KEY}"),
        }
    })
    .to_string();
    let base = hostile_server(200, body);
    let dir = tempfile::tempdir().expect("tempdir");
    for extra in [&["--json"][..], &[][..]] {
        let mut c = seedance(dir.path());
        c.env("SEEDANCE_API_KEY", SECRET_KEY)
            .env("SEEDANCE_BASE_URL", &base)
            .env("SEEDANCE_BUDGET", "process")
            .args(["--no-journal", "-vvv", "status", "sd2_hostile"])
            .args(extra);
        let (_, out, err) = run(c);
        assert_no_key(&out, &err);
        assert!(
            out.contains("content_policy") || err.contains("content_policy"),
            "{out}{err}"
        );
    }
}
