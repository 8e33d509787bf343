//! Where seedance keeps its state on this machine: the job store, the machine-wide rate
//! budget. One function so the CLI, the Python package and the other bindings agree.

use std::io;
use std::path::{Path, PathBuf};

/// The default data directory, without creating it: `$XDG_DATA_HOME/seedance` (`~/.local/share/seedance` on Linux; the platform's data
/// directory elsewhere), else `./.seedance` when there is no home.
///
/// ```
/// let dir = seedance_http::default_data_dir_path();
/// assert!(dir.ends_with("seedance") || dir.ends_with(".seedance"));
/// ```
pub fn default_data_dir_path() -> PathBuf {
    match dirs::data_dir() {
        Some(d) => d.join("seedance"),
        None => PathBuf::from(".seedance"),
    }
}

/// The default data directory ([`default_data_dir_path`]), created (with its parents) when
/// missing; the directory itself is private to the user (mode 0700 on Unix).
///
/// ```no_run
/// let dir = seedance_http::data_dir()?;
/// let store = dir.join("jobs.sqlite3");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn data_dir() -> io::Result<PathBuf> {
    let dir = default_data_dir_path();
    ensure_private_dir(&dir)?;
    Ok(dir)
}

/// Creates `dir` (and its parents) when missing; a directory it creates is 0700 on Unix.
/// An existing directory is left as it is.
///
/// ```no_run
/// seedance_http::ensure_private_dir(std::path::Path::new("/tmp/seedance-state"))?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut b = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    match b.create(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_dir_is_private() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("a").join("seedance");
        ensure_private_dir(&d).unwrap();
        assert!(d.is_dir());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&d).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700);
        }
        ensure_private_dir(&d).unwrap();
    }
}
