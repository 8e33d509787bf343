//! Promise 5, logs: the key never appears in tracing output (all levels), Debug, Display,
//! errors or events. A test binary of its own so that it can own the global subscriber.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic

use std::io::Write;
use std::sync::{Arc, Mutex};

use seedance_emulator::{Account, Endpoint, Fault, FaultKind};
use seedance_http::{GenerateOptions, SubmitOptions};

#[path = "integration/common.rs"]
mod common;
use common::*;

const SECRET: &str = "sk_test_TOPSECRET_4242";

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);
impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_key_never_appears_in_logs_debug_or_errors() {
    let buf = Buf::default();
    let sink = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    // The global default, in a test binary of its own: a scoped (`set_default`) subscriber
    // races with other tests' threads over tracing's per-callsite interest cache.
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let emu = emulator().await;
    emu.add_account(Account::new("acct_secret").key(SECRET).credits(1000));
    let dir = tempfile::tempdir().unwrap();
    let rec = Recorder::default();
    let builder = builder(&emu).api_key(SECRET).on_event(rec.hook());
    let builder_dbg = format!("{builder:?}");
    let client = builder.build().unwrap();
    emu.inject(Fault::new(Endpoint::Any, FaultKind::ServiceBusy503).times(1));
    emu.inject(Fault::new(Endpoint::GetTask, FaultKind::HtmlBadGateway).times(1));
    let task = client
        .generate(
            &request(),
            GenerateOptions::default().download_to(dir.path()),
        )
        .await
        .unwrap();
    let errors = vec![
        client.get_task(&"sd2_nope".into()).await.unwrap_err(),
        client
            .submit(&request_with("A [refuse] scene"), SubmitOptions::default())
            .await
            .unwrap_err(),
    ];
    let mut everything = format!("{builder_dbg}\n{client:?}\n{client:#?}\n{task:?}\n");
    for e in &errors {
        everything.push_str(&format!("{e}\n{e:?}\n"));
    }
    everything.push_str(&format!("{:?}", rec.events()));
    everything.push_str(&String::from_utf8_lossy(&buf.0.lock().unwrap()));
    assert!(
        everything.contains("seedance request"),
        "tracing was captured"
    );
    assert!(
        !everything.contains(SECRET),
        "the key leaked:\n{everything}"
    );
    assert!(!everything.contains("TOPSECRET"));
    // and the CDN never saw it
    let s = emu.account_stats("acct_secret").unwrap();
    assert!(s.cdn_requests >= 2, "{s:?}");
    assert_eq!(s.cdn_auth_headers_seen, 0);
    assert!(emu.cdn_auth_headers().is_empty());
}
