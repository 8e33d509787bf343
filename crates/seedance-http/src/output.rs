//! Where a job's outputs go: an output path (`-o`, `download_to`) resolved to an absolute
//! path and checked **before** the submit, so that a path that cannot be written fails
//! before anything is paid.
//!
//! The rule (one place, used by [`crate::Client::download`] too): a path ending in `/`,
//! an existing directory, or a path without an extension is a **directory** (the video
//! is saved as `<task id>.mp4` inside it); anything else is the video **file** (the last
//! frame goes beside it as `<stem>_last_frame.png`).

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, IoError, Result};

/// The extension of the videos the API renders.
pub const VIDEO_EXTENSION: &str = "mp4";

/// Whether `path` names a directory for the outputs (see the module's rule).
///
/// ```
/// use std::path::Path;
/// use seedance_http::is_output_dir;
/// assert!(is_output_dir(Path::new("clips/")));
/// assert!(is_output_dir(Path::new("clips")));
/// assert!(is_output_dir(Path::new(".")));
/// assert!(!is_output_dir(Path::new("clips/fox.mp4")));
/// ```
pub fn is_output_dir(path: &Path) -> bool {
    let s = path.as_os_str().to_string_lossy();
    s.ends_with('/')
        || s.ends_with(std::path::MAIN_SEPARATOR)
        || path.is_dir()
        || path.extension().is_none()
}

/// An output path, absolute, with what it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputTarget {
    path: PathBuf,
    dir: bool,
}

fn refuse(path: &Path, why: impl std::fmt::Display) -> Error {
    Error::Io(IoError::new(
        "cannot save the outputs to",
        Some(path),
        io::Error::other(why.to_string()),
    ))
}

impl OutputTarget {
    /// Resolves `path` against the current directory and classifies it (nothing is
    /// checked: see [`OutputTarget::check`]). A directory keeps a trailing separator,
    /// so that it stays a directory wherever the path is read again (`resume`).
    pub fn resolve(path: &Path) -> Result<OutputTarget> {
        if path.as_os_str().is_empty() {
            return Err(Error::Io(IoError::new(
                "cannot save the outputs",
                None,
                io::Error::new(io::ErrorKind::InvalidInput, "the output path is empty"),
            )));
        }
        let dir = is_output_dir(path);
        let abs = std::path::absolute(path)
            .map_err(|e| refuse(path, format!("cannot resolve it: {e}")))?;
        // `absolute` keeps `.` and `..`: resolve them lexically for a readable path.
        let mut clean = PathBuf::new();
        for c in abs.components() {
            match c {
                std::path::Component::CurDir => {}
                std::path::Component::ParentDir => {
                    clean.pop();
                }
                other => clean.push(other),
            }
        }
        if dir {
            let mut s: OsString = clean.into_os_string();
            if !s.to_string_lossy().ends_with(std::path::MAIN_SEPARATOR) {
                s.push(std::path::MAIN_SEPARATOR_STR);
            }
            clean = PathBuf::from(s);
        }
        Ok(OutputTarget { path: clean, dir })
    }

    /// [`OutputTarget::resolve`] then [`OutputTarget::check`].
    pub fn prepare(path: &Path) -> Result<OutputTarget> {
        let t = OutputTarget::resolve(path)?;
        t.check()?;
        Ok(t)
    }

    /// The absolute path (a directory ends with a separator).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the outputs go into a directory (else `path` is the video file).
    pub fn is_dir(&self) -> bool {
        self.dir
    }

    /// The directory the files land in.
    pub fn directory(&self) -> &Path {
        if self.dir {
            &self.path
        } else {
            self.path.parent().unwrap_or(&self.path)
        }
    }

    /// A warning when a file's extension is not the video's (`.mp4`): the file is
    /// written anyway, under the name given.
    pub fn extension_warning(&self) -> Option<String> {
        if self.dir {
            return None;
        }
        let ext = self
            .path
            .extension()?
            .to_string_lossy()
            .to_ascii_lowercase();
        (ext != VIDEO_EXTENSION).then(|| {
            format!(
                "{}: the video is MP4, but the name ends in .{ext}; it is saved under this name anyway",
                self.path.display()
            )
        })
    }

    /// Checks, without creating anything, that the outputs can be written: the nearest
    /// existing ancestor of the directory is a directory (a regular file on the way is
    /// refused, named) and writable, and no file to be written is a directory.
    pub fn check(&self) -> Result<()> {
        let dir = self.directory();
        let mut existing = dir;
        loop {
            match std::fs::metadata(existing) {
                Ok(m) if m.is_dir() => break,
                Ok(_) => {
                    return Err(refuse(
                        &self.path,
                        format!("{} is a file, not a directory", existing.display()),
                    ))
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => match existing.parent() {
                    Some(p) => existing = p,
                    None => return Err(refuse(&self.path, "no part of it exists")),
                },
                Err(e) => return Err(refuse(&self.path, format!("{}: {e}", existing.display()))),
            }
        }
        writable(existing).map_err(|e| {
            refuse(
                &self.path,
                format!("{} is not writable: {e}", existing.display()),
            )
        })?;
        if !self.dir {
            for f in self.files() {
                if f.is_dir() {
                    return Err(refuse(
                        &self.path,
                        format!("{} is a directory", f.display()),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The files a download to a file target writes (video, its `.part`, the last frame).
    fn files(&self) -> Vec<PathBuf> {
        let mut part = self.path.as_os_str().to_owned();
        part.push(".part");
        let mut v = vec![self.path.clone(), PathBuf::from(part)];
        if let Some(stem) = self.path.file_stem() {
            let mut name = stem.to_owned();
            name.push("_last_frame.png");
            v.push(self.path.with_file_name(name));
        }
        v
    }
}

/// Whether a file can be created in `dir` (tried: permissions alone do not tell, e.g. on
/// a read-only mount or under ACLs). The probe file is removed at once.
fn writable(dir: &Path) -> io::Result<()> {
    let name = format!(".seedance-probe-{:016x}", fastrand::u64(..));
    let probe = dir.join(name);
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)?;
    std::fs::remove_file(&probe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_and_files_are_told_apart() {
        let tmp = tempfile::tempdir().unwrap();
        let existing = tmp.path().join("clips.v2");
        std::fs::create_dir(&existing).unwrap();
        for (p, dir) in [
            (tmp.path().join("out/"), true),
            (tmp.path().join("out"), true),
            (existing.clone(), true),
            (tmp.path().join("out/fox.mp4"), false),
            (tmp.path().join("fox.webm"), false),
        ] {
            let t = OutputTarget::resolve(&p).unwrap();
            assert_eq!(t.is_dir(), dir, "{}", p.display());
            assert!(t.path().is_absolute());
            let sep = t
                .path()
                .to_string_lossy()
                .ends_with(std::path::MAIN_SEPARATOR);
            assert_eq!(sep, dir, "{}", t.path().display());
            t.check().unwrap();
        }
        // Nothing was created by the checks.
        assert!(!tmp.path().join("out").exists());
    }

    #[test]
    fn a_relative_path_becomes_absolute_without_dots() {
        let t = OutputTarget::resolve(Path::new("./a/../b/x.mp4")).unwrap();
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(t.path(), cwd.join("b/x.mp4"));
    }

    #[test]
    fn a_regular_file_on_the_way_is_refused_by_name() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("out");
        std::fs::write(&file, b"x").unwrap();
        let e = OutputTarget::prepare(&file.join("x.mp4")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains(&file.display().to_string()), "{msg}");
        assert!(msg.contains("is a file, not a directory"), "{msg}");
        // Deeper: the first existing ancestor is the file.
        assert!(OutputTarget::prepare(&file.join("a/b/")).is_err());
    }

    #[test]
    fn a_last_frame_name_taken_by_a_directory_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("fox_last_frame.png")).unwrap();
        let e = OutputTarget::prepare(&tmp.path().join("fox.mp4")).unwrap_err();
        assert!(
            e.to_string().contains("fox_last_frame.png is a directory"),
            "{e}"
        );
    }

    #[test]
    fn a_wrong_extension_is_a_warning_not_an_error() {
        let t = OutputTarget::resolve(Path::new("fox.webm")).unwrap();
        assert!(t.extension_warning().unwrap().contains(".webm"));
        let mp4 = OutputTarget::resolve(Path::new("fox.MP4")).unwrap();
        assert!(mp4.extension_warning().is_none());
        let dir = OutputTarget::resolve(Path::new("out/")).unwrap();
        assert!(dir.extension_warning().is_none());
    }

    #[cfg(unix)]
    #[test]
    fn a_read_only_directory_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let ro = tmp.path().join("ro");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        let r = OutputTarget::prepare(&ro.join("x.mp4"));
        // The check agrees with what the file system allows (root may write anyway).
        let can_write = std::fs::write(ro.join("probe"), b"").is_ok();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(r.is_ok(), can_write, "{r:?}");
        if let Err(e) = r {
            assert!(e.to_string().contains("is not writable"), "{e}");
        }
    }
}
