//! Where every setting came from (`seedance config show`): filled in by `config` after
//! parsing and carried in the parsed arguments (`cli`), so neither needs the other.

use std::path::PathBuf;

/// Where a value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The command line.
    Flag,
    /// A `SEEDANCE_*` variable.
    Env(String),
    /// The named profile.
    Profile(String),
    /// Nothing set it.
    Default,
}

impl Source {
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            Source::Flag => "flag",
            Source::Env(_) => "env",
            Source::Profile(_) => "profile",
            Source::Default => "default",
        }
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            Source::Flag => "command line".to_owned(),
            Source::Env(v) => v.clone(),
            Source::Profile(p) => format!("profile {p}"),
            Source::Default => "default".to_owned(),
        }
    }
}

/// One setting as `config show` prints it.
#[derive(Clone, Debug)]
pub struct Setting {
    /// Its name in the profile (`base_url`).
    pub key: String,
    /// Its flag (`--base-url`).
    pub flag: String,
    /// Its variable, if any.
    pub env: Option<String>,
    /// Its value for people (`None` when unset; secrets and passwords never shown).
    pub value: Option<String>,
    /// Where it came from.
    pub source: Source,
}

/// The profile in use and where every setting came from (for `seedance config show`).
#[derive(Clone, Debug, Default)]
pub struct Provenance {
    /// The config file (it may not exist).
    pub file: PathBuf,
    /// Whether it exists.
    pub file_exists: bool,
    /// The profile in use and what selected it.
    pub profile: Option<(String, String)>,
    /// The profiles the file defines.
    pub profiles: Vec<String>,
    /// Every setting.
    pub settings: Vec<Setting>,
}
