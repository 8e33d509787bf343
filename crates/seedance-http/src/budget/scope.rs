//! [`BudgetScope`]: where the account's request budget is kept, i.e. who shares it.

use std::fmt;
use std::path::PathBuf;

/// Where the request budget of the account is kept, i.e. who shares it.
///
/// ```
/// use seedance_http::BudgetScope;
/// assert_eq!(BudgetScope::parse("machine"), Ok(BudgetScope::Machine(None)));
/// assert_eq!(BudgetScope::parse("process"), Ok(BudgetScope::Process));
/// assert_eq!(
///     BudgetScope::parse("redis://10.0.0.5:6379/2"),
///     Ok(BudgetScope::Redis("redis://10.0.0.5:6379/2".into()))
/// );
/// assert!(BudgetScope::parse("memcached://x").is_err());
/// // a password in the URL is never shown
/// let s = BudgetScope::parse("rediss://:hunter2@cache:6380/0").unwrap();
/// assert!(!s.to_string().contains("hunter2"));
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BudgetScope {
    /// Only this client and its clones (for libraries that opt out of shared state).
    Process,
    /// Every process of this machine using the account: a small SQLite file in this
    /// directory (`None`: the data dir, [`crate::default_data_dir_path`]).
    Machine(Option<PathBuf>),
    /// Every machine using the account: a Redis server (`redis://[:PASSWORD@]HOST:PORT/DB`,
    /// `rediss://` for TLS).
    Redis(String),
}

impl BudgetScope {
    /// `process` (or `in-process`), `machine` (or `machine-wide`), `machine:DIR`,
    /// `redis://…` or `rediss://…`.
    pub fn parse(value: &str) -> Result<BudgetScope, String> {
        let v = value.trim();
        match v {
            "process" | "in-process" | "local" => return Ok(BudgetScope::Process),
            "machine" | "machine-wide" => return Ok(BudgetScope::Machine(None)),
            _ => {}
        }
        if let Some(dir) = v.strip_prefix("machine:") {
            if dir.is_empty() {
                return Err("machine: needs a directory (machine:/var/lib/seedance)".into());
            }
            return Ok(BudgetScope::Machine(Some(PathBuf::from(dir))));
        }
        if v.starts_with("redis://") || v.starts_with("rediss://") {
            let url = url::Url::parse(v).map_err(|e| format!("{:?}: {e}", redact_url(v)))?;
            if url.host_str().is_none_or(str::is_empty) {
                return Err(format!("{:?} names no host", redact_url(v)));
            }
            return Ok(BudgetScope::Redis(v.to_owned()));
        }
        Err(format!(
            "{:?} is not a budget scope: process, machine, machine:DIR, redis://HOST:PORT/DB or rediss://…",
            redact_url(v)
        ))
    }
}

impl fmt::Display for BudgetScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BudgetScope::Process => f.write_str("process"),
            BudgetScope::Machine(None) => f.write_str("machine"),
            BudgetScope::Machine(Some(d)) => write!(f, "machine:{}", d.display()),
            BudgetScope::Redis(u) => f.write_str(&redact_url(u)),
        }
    }
}

impl fmt::Debug for BudgetScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BudgetScope({self})")
    }
}

/// A URL without its `user:password@`.
pub(crate) fn redact_url(u: &str) -> String {
    crate::secret::scrub_userinfo(u)
}
