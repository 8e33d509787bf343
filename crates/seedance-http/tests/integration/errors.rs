//! Typed errors keep their cause: `source()` leads to reqwest's, the `io::Error` and
//! rusqlite's error; callers branch on kinds, never on messages; no text shows the key.

use seedance_core::{Mode, VideoRequest};
use seedance_http::{
    Client, ConfigError, Error, ErrorClass, JobStore, PreflightErrorKind, StoreErrorKind,
    SubmitOptions, TransportError, TransportErrorKind,
};

use crate::common::*;

/// Every error in the chain of `e`, outermost first.
fn chain<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut v = vec![e];
    let mut cur = e.source();
    while let Some(c) = cur {
        v.push(c);
        cur = c.source();
    }
    v
}

/// A loopback port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    port
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error_whose_source_is_reqwests() {
    let key = "sk_test_refused_0123456789";
    let mut retry = fast_retry();
    retry.max_retries = 0;
    let client = Client::builder()
        .no_env()
        .api_key(key)
        .base_url(format!("http://127.0.0.1:{}", closed_port()))
        .retry_policy(retry)
        .build()
        .unwrap();
    let e = client
        .submit(&request(), SubmitOptions::default())
        .await
        .unwrap_err();
    let Error::Transport(t) = &e else {
        panic!("not a transport error: {e:?}");
    };
    assert_eq!(t.kind(), TransportErrorKind::Connect, "{e}");
    assert!(e.is_connect() && !e.is_timeout());
    assert_eq!(e.class(), ErrorClass::Network);
    assert!(
        t.origin()
            .is_some_and(|o| o.starts_with("http://127.0.0.1:")),
        "{t:?}"
    );
    let links = chain(&e);
    assert!(
        links
            .iter()
            .any(|s| s.downcast_ref::<reqwest::Error>().is_some()),
        "no reqwest::Error in the chain of {e}"
    );
    // the root cause is named, the key never
    assert!(e.to_string().to_lowercase().contains("refused"), "{e}");
    for s in &links {
        assert!(!s.to_string().contains(key), "{s}");
        assert!(!format!("{s:?}").contains(key), "{s:?}");
    }
    // one outcome for many waiters: the clone keeps the cause
    let copy = e.clone();
    assert_eq!(copy.to_string(), e.to_string());
    assert!(chain(&copy)
        .iter()
        .any(|s| s.downcast_ref::<reqwest::Error>().is_some()));
}

#[tokio::test]
async fn an_unreachable_reference_is_a_preflight_error_whose_source_is_the_transport_error() {
    let emu = emulator().await;
    let client = client(&emu);
    let req = VideoRequest::builder("The train from the photo")
        .mode(Mode::ImageToVideo)
        .image_url(format!("http://127.0.0.1:{}/frame.png", closed_port()))
        .build_unchecked();
    let e = client.preflight(&req).await.unwrap_err();
    let Error::Preflight(p) = &e else {
        panic!("not a preflight error: {e:?}");
    };
    assert_eq!(p.kind(), PreflightErrorKind::Unreachable, "{e}");
    assert_eq!(p.field(), "image_url");
    assert_eq!(p.status(), None);
    assert_eq!(e.detail_kind(), Some("unreachable"));
    assert_eq!(e.class(), ErrorClass::Preflight);
    // the text is what it was: field, then the transport error
    assert!(
        e.to_string()
            .starts_with("preflight: image_url: not reachable: transport: connection failed"),
        "{e}"
    );
    // the cause is kept, down to reqwest's error
    let links = chain(&e);
    let t = links
        .iter()
        .find_map(|s| s.downcast_ref::<TransportError>())
        .unwrap_or_else(|| panic!("no TransportError in the chain of {e}"));
    assert_eq!(t.kind(), TransportErrorKind::Connect, "{t:?}");
    assert!(
        links
            .iter()
            .any(|s| s.downcast_ref::<reqwest::Error>().is_some()),
        "no reqwest::Error in the chain of {e}"
    );
    // and survives the clone that delivers one outcome to many waiters
    assert!(chain(&e.clone())
        .iter()
        .any(|s| s.downcast_ref::<TransportError>().is_some()));
    assert_eq!(emu.total_stats().requests, 0, "nothing reached the API");
}

#[test]
fn settings_errors_are_typed() {
    let e = Client::builder()
        .no_env()
        .api_key("sk_test_x")
        .base_url("http://api.example.com")
        .build()
        .unwrap_err();
    assert!(
        matches!(&e, Error::Config(ConfigError::InsecureBaseUrl { url }) if url == "http://api.example.com"),
        "{e:?}"
    );
    let e = Client::builder()
        .no_env()
        .api_key("sk_test_x")
        .base_url("https://bob:hunter2@api.example.com")
        .build()
        .unwrap_err();
    assert!(
        matches!(&e, Error::Config(ConfigError::InvalidBaseUrl { .. })),
        "{e:?}"
    );
    assert!(!format!("{e} {e:?}").contains("hunter2"), "{e:?}");

    let e = Client::builder()
        .no_env()
        .api_key("sk test x")
        .build()
        .unwrap_err();
    assert!(
        matches!(e, Error::Config(ConfigError::InvalidApiKey)),
        "{e:?}"
    );
    assert!(!e.to_string().contains("sk test x"));
}

#[test]
fn an_unusable_store_keeps_the_io_or_sqlite_error() {
    let dir = tempfile::tempdir().unwrap();
    // a directory where the database file should be
    let path = dir.path().join("jobs.sqlite3");
    std::fs::create_dir(&path).unwrap();
    let e = JobStore::open(&path).unwrap_err();
    let links = chain(&e);
    let typed = links.iter().any(|s| {
        s.downcast_ref::<std::io::Error>().is_some()
            || s.downcast_ref::<rusqlite::Error>().is_some()
    });
    assert!(typed, "no io or rusqlite error in the chain of {e:?}");
    match &e {
        Error::Io(io) => assert_eq!(io.path(), Some(path.as_path())),
        Error::Journal(s) => assert_eq!(s.kind(), StoreErrorKind::Database),
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("jobs.sqlite3"), "{e}");
}
