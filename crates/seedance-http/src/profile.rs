//! The learned render-time profile: the renders this client saw end (as factor brackets,
//! see [`crate::render_dist`]), per API host and class (tier, resolution, duration),
//! persisted as JSON in the data dir (`render-profile.json`) so the next run starts
//! informed. A missing, unreadable or corrupt file is ignored (logged at debug level) and
//! the prior is used: the profile can only help, never fail a call.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::options::PollSchedule;
use crate::render_dist::{Bracket, Prior, RenderDist};

/// The file format's version (a file of another version is ignored).
const VERSION: u32 = 1;
/// At most this many classes per origin and origins per file are read.
const MAX_KEYS: usize = 256;

/// The key of an API origin in the profile: scheme and host, without the port (every
/// local emulator, whatever its port, shares one entry).
pub(crate) fn origin_key(url: &url::Url) -> String {
    format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default())
}

/// The render class of a request: `tier/resolution/durations` (e.g. `standard/720p/5s`).
pub(crate) fn class_of(request: &seedance_core::VideoRequest) -> String {
    format!(
        "{}/{}/{}s",
        request.effective_quality_tier().as_str(),
        request.effective_resolution().as_str(),
        request.effective_duration().secs()
    )
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    version: u32,
    /// origin → class → brackets `[lo, hi]` (factors), oldest first.
    origins: BTreeMap<String, BTreeMap<String, Vec<[f64; 2]>>>,
}

/// The profile of one client: its origin's observations, the file it persists to.
#[derive(Debug)]
pub(crate) struct Profile {
    path: Option<PathBuf>,
    origin: String,
    /// Everything read from the file (other origins are written back untouched).
    file: File,
    classes: HashMap<String, VecDeque<Bracket>>,
    pooled: VecDeque<Bracket>,
    cache: HashMap<Option<String>, Arc<RenderDist>>,
    prior: Prior,
    prior_weight: f64,
    min_class: usize,
    max_samples: usize,
    dirty: bool,
}

impl Profile {
    /// The profile of `origin`, loaded from `path` when given (a bad file is ignored).
    pub(crate) fn open(path: Option<PathBuf>, origin: &str, s: &PollSchedule) -> Profile {
        let file = path.as_deref().and_then(read).unwrap_or_default();
        let mut p = Profile {
            path,
            origin: origin.to_owned(),
            file,
            classes: HashMap::new(),
            pooled: VecDeque::new(),
            cache: HashMap::new(),
            prior: Prior {
                floor: s.prior_floor,
                scale: s.prior_scale,
                sigma: s.prior_sigma,
            },
            prior_weight: s.prior_weight,
            min_class: s.min_class_samples,
            max_samples: s.max_samples.max(1),
            dirty: false,
        };
        let mine = p.file.origins.get(origin).cloned().unwrap_or_default();
        for (class, brackets) in mine {
            for [lo, hi] in brackets {
                if let Some(b) = Bracket::new(lo, hi) {
                    p.push(&class, b);
                }
            }
        }
        p.dirty = false;
        p
    }

    fn push(&mut self, class: &str, b: Bracket) {
        let cap = self.max_samples;
        let v = self.classes.entry(class.to_owned()).or_default();
        v.push_back(b);
        while v.len() > cap {
            v.pop_front();
        }
        self.pooled.push_back(b);
        while self.pooled.len() > cap * 4 {
            self.pooled.pop_front();
        }
        self.cache.clear();
        self.dirty = true;
    }

    /// Learns one observed render of `class`.
    pub(crate) fn learn(&mut self, class: &str, b: Bracket) {
        self.push(class, b);
    }

    /// Observations of `class` (for tests and benchmarks).
    pub(crate) fn observed(&self, class: Option<&str>) -> usize {
        match class {
            Some(c) => self.classes.get(c).map_or(0, VecDeque::len),
            None => self.pooled.len(),
        }
    }

    /// The distribution for a task of `class`: its own observations once it has enough,
    /// else the pooled ones of the origin; always mixed with the prior.
    pub(crate) fn dist(&mut self, class: Option<&str>) -> Arc<RenderDist> {
        let own = class
            .and_then(|c| self.classes.get(c))
            .filter(|v| v.len() >= self.min_class.max(1));
        let key = own.and(class.map(str::to_owned));
        if let Some(d) = self.cache.get(&key) {
            return Arc::clone(d);
        }
        let samples: Vec<Bracket> = own.unwrap_or(&self.pooled).iter().copied().collect();
        let d = Arc::new(RenderDist::new(self.prior, self.prior_weight, &samples));
        self.cache.insert(key, Arc::clone(&d));
        d
    }

    /// Whether there is something new to write.
    pub(crate) fn dirty(&self) -> bool {
        self.dirty && self.path.is_some()
    }

    /// The file's new content and where it goes, when there is something to write;
    /// marks the profile clean.
    pub(crate) fn snapshot(&mut self) -> Option<(PathBuf, Vec<u8>)> {
        if !self.dirty() {
            return None;
        }
        let path = self.path.clone()?;
        let mine = self
            .classes
            .iter()
            .map(|(c, v)| (c.clone(), v.iter().map(|b| [b.lo, b.hi]).collect()))
            .collect();
        self.file.version = VERSION;
        self.file.origins.insert(self.origin.clone(), mine);
        let bytes = serde_json::to_vec(&self.file).ok()?;
        self.dirty = false;
        Some((path, bytes))
    }
}

/// Writes `bytes` to `path` atomically (a temporary file in the same directory, then a
/// rename): a reader sees the old file or the new one, never half of one.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    crate::ensure_private_dir(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| crate::tuning::PROFILE_FILE.to_owned());
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        fastrand::u32(..)
    ));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Saves a snapshot, logging (never returning) a failure.
pub(crate) fn save(snapshot: Option<(PathBuf, Vec<u8>)>) {
    if let Some((path, bytes)) = snapshot {
        if let Err(e) = write_atomic(&path, &bytes) {
            tracing::debug!(path = %path.display(), error = %e, "cannot save the render profile");
        }
    }
}

/// The file at `path`, or `None` (logged) when it is missing, too large or corrupt.
fn read(path: &Path) -> Option<File> {
    let size = std::fs::metadata(path).ok()?.len();
    if size > crate::tuning::PROFILE_MAX_BYTES {
        tracing::debug!(path = %path.display(), size, "render profile too large: ignored");
        return None;
    }
    let bytes = std::fs::read(path)
        .inspect_err(|e| {
            tracing::debug!(path = %path.display(), error = %e, "render profile unreadable: ignored")
        })
        .ok()?;
    let mut file: File = serde_json::from_slice(&bytes)
        .inspect_err(|e| {
            tracing::debug!(path = %path.display(), error = %e, "render profile corrupt: ignored")
        })
        .ok()?;
    if file.version != VERSION {
        tracing::debug!(path = %path.display(), version = file.version, "render profile of another version: ignored");
        return None;
    }
    // bounded: a hand-edited or foreign file cannot make us hold much
    while file.origins.len() > MAX_KEYS {
        file.origins.pop_last();
    }
    for classes in file.origins.values_mut() {
        while classes.len() > MAX_KEYS {
            classes.pop_last();
        }
        for v in classes.values_mut() {
            let extra = v.len().saturating_sub(crate::tuning::MAX_SAMPLES * 4);
            v.drain(..extra);
        }
    }
    Some(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sched() -> PollSchedule {
        PollSchedule::default()
    }

    #[test]
    fn a_profile_round_trips_through_its_file_per_origin() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("render-profile.json");
        let mut p = Profile::open(Some(path.clone()), "https://a.example", &sched());
        assert_eq!(p.observed(None), 0);
        for _ in 0..10 {
            p.learn("standard/720p/5s", Bracket::new(0.9, 1.0).unwrap());
        }
        p.learn("pro/1080p/10s", Bracket::new(1.4, 1.5).unwrap());
        assert!(p.dirty());
        save(p.snapshot());
        assert!(!p.dirty());
        let mut other = Profile::open(Some(path.clone()), "https://b.example", &sched());
        assert_eq!(other.observed(None), 0, "another origin learns on its own");
        other.learn("standard/720p/5s", Bracket::new(2.0, 2.1).unwrap());
        save(other.snapshot());
        let back = Profile::open(Some(path), "https://a.example", &sched());
        assert_eq!(back.observed(Some("standard/720p/5s")), 10);
        assert_eq!(back.observed(None), 11);
        assert!(!back.dirty());
    }

    #[test]
    fn a_class_uses_its_own_observations_once_it_has_enough() {
        let mut p = Profile::open(None, "o", &sched());
        for _ in 0..20 {
            p.learn("a", Bracket::new(0.5, 0.55).unwrap());
        }
        for _ in 0..3 {
            p.learn("b", Bracket::new(3.0, 3.3).unwrap());
        }
        // b has too few of its own: the pooled observations (mostly a's) speak
        assert!(p.dist(Some("b")).quantile(0.5) < 1.0);
        for _ in 0..20 {
            p.learn("b", Bracket::new(3.0, 3.3).unwrap());
        }
        assert!(p.dist(Some("b")).quantile(0.5) > 2.5);
        assert!(p.dist(Some("a")).quantile(0.5) < 0.6);
        assert!(!p.dirty(), "no file: nothing to write");
    }

    #[test]
    fn a_corrupt_or_foreign_file_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("render-profile.json");
        for junk in [
            &b"{not json"[..],
            br#"{"version": 99, "origins": {"o": {"a": [[0.9, 1.0]]}}}"#,
            br#"{"version": 1, "origins": {"o": {"a": [[1.0, 0.5], [-1, 2], [1e308, 1e309]]}}}"#,
            br#"[1, 2, 3]"#,
        ] {
            std::fs::write(&path, junk).unwrap();
            let mut p = Profile::open(Some(path.clone()), "o", &sched());
            assert_eq!(p.observed(None), 0, "{}", String::from_utf8_lossy(junk));
            // and it is overwritten by a good one at the next save
            p.learn("a", Bracket::new(0.9, 1.0).unwrap());
            save(p.snapshot());
            assert_eq!(
                Profile::open(Some(path.clone()), "o", &sched()).observed(None),
                1
            );
        }
    }
}
