//! The backend an account gets: its fingerprint, this machine's name, and the
//! fallbacks of each scope (Redis → machine-wide → in-process).

use std::path::PathBuf;
use std::sync::Arc;

use super::backend::Backend;
use super::scope::{redact_url, BudgetScope};
use super::{failover, local, machine, redis};
use crate::events::{Event, EventBus};

/// The account's fingerprint: a hash of the API origin and key (the key itself is never
/// stored nor sent anywhere but the API).
pub(crate) fn account_fingerprint(origin: &str, key: &str) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(b"seedance-budget\0");
    h.update(origin.as_bytes());
    h.update(b"\0");
    h.update(key.as_bytes());
    h.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The account's backend for `scope`: with its fallbacks (Redis → machine-wide at a
/// conservative share → in-process; machine-wide → in-process).
pub(crate) fn open_backend(
    scope: &BudgetScope,
    fingerprint: &str,
    events: &EventBus,
) -> Arc<dyn Backend> {
    let local = || -> Arc<dyn Backend> { Arc::new(local::Local::new()) };
    let machine = |dir: Option<&PathBuf>| -> Arc<dyn Backend> {
        let dir = dir.cloned().unwrap_or_else(crate::default_data_dir_path);
        match machine::Machine::open(&dir, fingerprint) {
            Ok(m) => failover::Failover::wrap(m, local(), false, events.clone()),
            Err(e) => {
                let msg = format!(
                    "the machine-wide request budget in {} cannot be used ({e}); this process keeps a budget of its own",
                    dir.display()
                );
                tracing::warn!("{msg}");
                events.emit(Event::BudgetNotice { message: msg });
                local()
            }
        }
    };
    match scope {
        BudgetScope::Process => local(),
        BudgetScope::Machine(dir) => machine(dir.as_ref()),
        BudgetScope::Redis(url) => match redis::Redis::open(url, fingerprint, &machine_id()) {
            Ok(r) => {
                let fallback = machine(None);
                failover::Failover::wrap(r, fallback, true, events.clone())
            }
            Err(e) => {
                let msg = format!(
                    "the Redis request budget {} cannot be used ({e}); using the machine-wide one",
                    redact_url(url)
                );
                tracing::warn!("{msg}");
                events.emit(Event::BudgetNotice { message: msg });
                machine(None)
            }
        },
    }
}

/// This machine's name in a shared budget: a hash of its host name and data dir (two
/// data dirs stand in for two machines in tests).
pub(crate) fn machine_id() -> String {
    use sha2::Digest;
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_default();
    let mut h = sha2::Sha256::new();
    h.update(host.trim().as_bytes());
    h.update(b"\0");
    h.update(crate::default_data_dir_path().to_string_lossy().as_bytes());
    h.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
