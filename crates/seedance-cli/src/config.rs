//! Config profiles: `$XDG_CONFIG_HOME/seedance/config.toml` (`~/.config/seedance/config.toml`).
//!
//! ```toml
//! default_profile = "work"          # used without --profile / SEEDANCE_PROFILE
//!
//! [profile.work]
//! base_url = "https://seedance2ai.io"
//! budget = "redis://10.0.0.5:6379/0"
//! quality_tier = "pro"
//! resolution = "1080p"
//! output_dir = "~/Videos/seedance"
//! ```
//!
//! A profile sets global options (named as the flags, `_` or `-`) and request defaults of
//! `generate` and of the lines of `batch` (`quality_tier`, `resolution`, `channel`,
//! `aspect_ratio`, `duration`, `mode`; their flags) and the output directory of both
//! (`output_dir`, their `-o`). Precedence: (a batch line's own field >) flag >
//! `SEEDANCE_*` variable > profile > default. The API key never goes in the file: it stays
//! in `SEEDANCE_API_KEY`.
//!
//! A profile is applied by parsing again with its values given as flags, so every value is
//! read by the same parser as the flag (and refused with the same message).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{ArgMatches, Command};
use serde_json::{json, Value};

use crate::error::CliError;
use crate::provenance::{Provenance, Setting, Source};

/// Globals a profile may not set: the key (it stays in the environment), the profile
/// itself, and the per-invocation verbosity.
const NOT_IN_PROFILE: &[&str] = &["api_key", "profile", "verbose"];

/// `generate`'s request flags a profile may give defaults for.
const REQUEST_DEFAULTS: &[&str] = &[
    "mode",
    "quality_tier",
    "channel",
    "aspect_ratio",
    "duration",
    "resolution",
];

/// The config file's path: `$XDG_CONFIG_HOME/seedance/config.toml`, else the platform's
/// config directory (`~/.config` on Linux).
pub fn config_path() -> PathBuf {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(dirs::config_dir)
        .unwrap_or_else(|| PathBuf::from(".config"));
    base.join("seedance").join("config.toml")
}

/// A parsed config file.
#[derive(Debug, Default)]
struct File {
    default_profile: Option<String>,
    profiles: toml::Table,
}

fn bad(file: &Path, msg: impl std::fmt::Display) -> CliError {
    CliError::new(
        crate::error::Exit::Usage,
        "config",
        format!("{}: {msg}", file.display()),
    )
}

fn read_file(path: &Path) -> Result<Option<File>, CliError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(bad(path, format!("cannot read it: {e}"))),
    };
    let table: toml::Table = toml::from_str(&text).map_err(|e| bad(path, e))?;
    let mut file = File::default();
    for (k, v) in table {
        match (k.as_str(), v) {
            ("default_profile", toml::Value::String(s)) => file.default_profile = Some(s),
            ("profile", toml::Value::Table(t)) => file.profiles = t,
            ("default_profile" | "profile", _) => {
                return Err(bad(
                    path,
                    format!("`{k}` must be a string (default_profile) or tables ([profile.NAME])"),
                ))
            }
            _ => {
                return Err(bad(
                    path,
                    format!(
                    "unknown key `{k}` (the file has `default_profile` and [profile.NAME] tables)"
                ),
                ))
            }
        }
    }
    Ok(Some(file))
}

/// What applying the profile adds to the command line.
pub struct Plan {
    /// Global flags to put right after the program name.
    front: Vec<OsString>,
    /// The command's own flags to put at the end.
    back: Vec<OsString>,
    /// The profile's values by id, for the provenance.
    from_profile: Vec<(String, String)>,
    provenance: Provenance,
}

fn is_set(m: &ArgMatches, id: &str) -> bool {
    matches!(
        m.try_contains_id(id).ok().and(m.value_source(id)),
        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
    )
}

fn scalar(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn expand_home(s: &str) -> String {
    match (s.strip_prefix("~/"), dirs::home_dir()) {
        (Some(rest), Some(home)) => home.join(rest).display().to_string(),
        _ => s.to_owned(),
    }
}

/// Reads the config file and the selected profile, and says what it adds to the command
/// line (nothing when no profile is in use).
pub fn plan(cmd: &Command, m: &ArgMatches) -> Result<Plan, CliError> {
    let path = config_path();
    let (cmd_path, levels) = crate::parse::command_levels(m);
    let sub = levels.last().copied().unwrap_or(m);
    // Offline commands (`prompt lint`, `completions`, …) take no profile: a broken config
    // file never stops them.
    if !crate::help::applies(&cmd_path, "profile") {
        return Ok(Plan {
            front: Vec::new(),
            back: Vec::new(),
            from_profile: Vec::new(),
            provenance: Provenance {
                file: path,
                ..Provenance::default()
            },
        });
    }
    let file = read_file(&path)?;
    let selected: Option<(String, String)> = match m.get_one::<String>("profile") {
        Some(p) => {
            let by = match m.value_source("profile") {
                Some(ValueSource::EnvVariable) => "SEEDANCE_PROFILE",
                _ => "--profile",
            };
            Some((p.clone(), by.to_owned()))
        }
        None => file.as_ref().and_then(|f| {
            f.default_profile
                .clone()
                .map(|p| (p, "default_profile in the file".to_owned()))
                .or_else(|| {
                    f.profiles
                        .contains_key("default")
                        .then(|| ("default".to_owned(), "its name".to_owned()))
                })
        }),
    };
    let profiles: Vec<String> = file
        .as_ref()
        .map(|f| f.profiles.keys().cloned().collect())
        .unwrap_or_default();
    let mut plan = Plan {
        front: Vec::new(),
        back: Vec::new(),
        from_profile: Vec::new(),
        provenance: Provenance {
            file: path.clone(),
            file_exists: file.is_some(),
            profile: selected.clone(),
            profiles: profiles.clone(),
            settings: Vec::new(),
        },
    };
    let Some((name, _)) = selected else {
        return Ok(plan);
    };
    let table = match file.as_ref().map(|f| f.profiles.get(&name)) {
        Some(Some(toml::Value::Table(t))) => t.clone(),
        Some(Some(_)) => return Err(bad(&path, format!("[profile.{name}] must be a table"))),
        Some(None) => {
            let known = if profiles.is_empty() {
                "it defines none".to_owned()
            } else {
                format!("it defines {}", profiles.join(", "))
            };
            return Err(bad(&path, format!("no profile {name:?} ({known})")));
        }
        None => {
            return Err(bad(
                &path,
                format!("profile {name:?} selected, but there is no config file"),
            ))
        }
    };
    let globals: Vec<&clap::Arg> = cmd.get_arguments().filter(|a| a.is_global_set()).collect();
    for (raw_key, value) in &table {
        let key = raw_key.replace('-', "_");
        let Some(text) = scalar(value) else {
            return Err(bad(
                &path,
                format!("[profile.{name}] {raw_key}: must be a string, number or boolean"),
            ));
        };
        if key == "api_key" {
            return Err(bad(
                &path,
                format!("[profile.{name}] api_key: the key does not go in the config file; keep it in SEEDANCE_API_KEY"),
            ));
        }
        if let Some(arg) = globals
            .iter()
            .find(|a| a.get_id() == key.as_str() && !NOT_IN_PROFILE.contains(&key.as_str()))
        {
            plan.from_profile.push((key.clone(), text.clone()));
            if is_set(m, &key) || !crate::help::applies(&cmd_path, &key) {
                continue;
            }
            let flag = format!("--{}", arg.get_long().unwrap_or(&key));
            if arg.get_action().takes_values() {
                plan.front.push(flag.into());
                plan.front.push(text.into());
            } else {
                match value {
                    toml::Value::Boolean(true) => plan.front.push(flag.into()),
                    toml::Value::Boolean(false) => {}
                    _ => {
                        return Err(bad(
                            &path,
                            format!("[profile.{name}] {raw_key}: must be true or false"),
                        ))
                    }
                }
            }
        } else if REQUEST_DEFAULTS.contains(&key.as_str()) {
            plan.from_profile.push((key.clone(), text.clone()));
            // `batch` takes them as defaults of its lines (a line's own field wins).
            // `generate` takes the mode as a default too, weaker than the mode its
            // references infer (Reading R25), as a batch line does.
            if matches!(cmd_path.as_str(), "generate" | "batch") && !is_set(sub, &key) {
                let flag = match (cmd_path.as_str(), key.as_str()) {
                    ("generate", "mode") => "default-mode".to_owned(),
                    _ => key.replace('_', "-"),
                };
                plan.back.push(format!("--{flag}").into());
                plan.back.push(text.into());
            }
        } else if key == "output_dir" {
            let dir = expand_home(&text);
            plan.from_profile.push((key.clone(), dir.clone()));
            let takes = match cmd_path.as_str() {
                "generate" => !sub.get_flag("no_wait"),
                "batch" => true,
                _ => false,
            };
            if takes && !is_set(sub, "output") {
                plan.back.push("--output".into());
                plan.back.push(dir.into());
            }
        } else {
            let mut known: Vec<String> = globals
                .iter()
                .map(|a| a.get_id().to_string())
                .filter(|id| !NOT_IN_PROFILE.contains(&id.as_str()))
                .collect();
            known.extend(REQUEST_DEFAULTS.iter().map(|s| (*s).to_owned()));
            known.push("output_dir".to_owned());
            return Err(bad(
                &path,
                format!(
                    "[profile.{name}] unknown setting `{raw_key}` (known: {})",
                    known.join(", ")
                ),
            ));
        }
    }
    Ok(plan)
}

impl Plan {
    /// Whether the profile adds anything to this command line.
    pub fn adds_args(&self) -> bool {
        !self.front.is_empty() || !self.back.is_empty()
    }

    /// The command line with the profile's values.
    pub fn args(&self, original: &[OsString]) -> Vec<OsString> {
        let mut out = Vec::with_capacity(original.len() + self.front.len() + self.back.len());
        out.extend(original.first().cloned());
        out.extend(self.front.iter().cloned());
        out.extend(original.iter().skip(1).cloned());
        out.extend(self.back.iter().cloned());
        out
    }

    /// The profile name, for error messages.
    pub fn profile_name(&self) -> Option<&str> {
        self.provenance.profile.as_ref().map(|(n, _)| n.as_str())
    }

    /// Where every setting came from, read from the final matches.
    pub fn provenance(self, cmd: &Command, m: &ArgMatches) -> Provenance {
        let mut p = self.provenance;
        let profile = p
            .profile
            .as_ref()
            .map(|(n, _)| n.clone())
            .unwrap_or_default();
        let from_profile = |id: &str| {
            self.from_profile
                .iter()
                .find(|(k, _)| k == id)
                .map(|(_, v)| v.clone())
        };
        for arg in cmd.get_arguments().filter(|a| a.is_global_set()) {
            let id = arg.get_id().as_str();
            if id == "verbose" || id == "profile" {
                continue;
            }
            let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
            let raw = m
                .get_raw(id)
                .map(|vs| {
                    vs.map(|v| v.to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .filter(|s| !s.is_empty());
            let profiled = from_profile(id);
            let source = match m.value_source(id) {
                Some(ValueSource::EnvVariable) => Source::Env(env.clone().unwrap_or_default()),
                Some(ValueSource::CommandLine)
                    if self.front.iter().any(|f| {
                        arg.get_long()
                            .is_some_and(|l| f.to_str() == Some(&format!("--{l}")))
                    }) =>
                {
                    Source::Profile(profile.clone())
                }
                Some(ValueSource::CommandLine) => Source::Flag,
                _ => Source::Default,
            };
            let value = match (&source, id) {
                (Source::Default, _) => None,
                (_, "api_key") => Some("set (never printed)".to_owned()),
                (Source::Profile(_), _) => profiled.or(raw).map(|v| redact(&v)),
                _ => Some(raw.map_or_else(|| "true".to_owned(), |v| redact(&v))),
            };
            p.settings.push(Setting {
                key: id.to_owned(),
                flag: format!("--{}", arg.get_long().unwrap_or(id)),
                env,
                value,
                source,
            });
        }
        for key in REQUEST_DEFAULTS.iter().copied().chain(["output_dir"]) {
            let value = from_profile(key);
            p.settings.push(Setting {
                key: key.to_owned(),
                flag: if key == "output_dir" {
                    "-o (generate, batch)".to_owned()
                } else {
                    format!("--{} (generate, batch)", key.replace('_', "-"))
                },
                env: None,
                source: if value.is_some() {
                    Source::Profile(profile.clone())
                } else {
                    Source::Default
                },
                value,
            });
        }
        p
    }
}

/// Hides a password in a URL (`redis://:PASSWORD@host` → `redis://***@host`).
fn redact(v: &str) -> String {
    match (v.find("://"), v.rfind('@')) {
        (Some(s), Some(at)) if at > s + 3 => format!("{}***{}", &v[..s + 3], &v[at..]),
        _ => v.to_owned(),
    }
}

/// `seedance config show`: the profile in use and every setting with where it came from
/// (never the key).
pub fn show(p: &Provenance, ui: &crate::ui::Ui) -> Result<(), CliError> {
    if ui.is_json() {
        let settings: Vec<Value> = p
            .settings
            .iter()
            .map(|s| {
                json!({
                    "key": s.key, "flag": s.flag, "env": s.env, "value": s.value,
                    "source": s.source.as_str(), "from": s.source.describe(),
                })
            })
            .collect();
        ui.json(&json!({
            "file": p.file.display().to_string(),
            "file_exists": p.file_exists,
            "profiles": p.profiles,
            "profile": p.profile.as_ref().map(|(n, by)| json!({"name": n, "selected_by": by})),
            "settings": settings,
        }));
        return Ok(());
    }
    let exists = if p.file_exists { "" } else { " (not there)" };
    ui.out(format!("config file: {}{exists}", p.file.display()));
    match &p.profile {
        Some((n, by)) => ui.out(format!("profile:     {n} (selected by {by})")),
        None if p.profiles.is_empty() => ui.out("profile:     none"),
        None => ui.out(format!(
            "profile:     none (the file defines {}; pick one with --profile or SEEDANCE_PROFILE)",
            p.profiles.join(", ")
        )),
    }
    ui.out("");
    let width = p.settings.iter().map(|s| s.key.len()).max().unwrap_or(8);
    let vwidth = p
        .settings
        .iter()
        .map(|s| s.value.as_deref().map_or(1, |v| v.chars().count()))
        .max()
        .unwrap_or(8)
        .min(40);
    ui.out(format!("{:width$}  {:vwidth$}  FROM", "SETTING", "VALUE"));
    for s in &p.settings {
        ui.out(format!(
            "{:width$}  {:vwidth$}  {}",
            s.key,
            s.value.as_deref().unwrap_or("-"),
            s.source.describe()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_hidden() {
        assert_eq!(
            redact("redis://:hunter2@10.0.0.5:6379/0"),
            "redis://***@10.0.0.5:6379/0"
        );
        assert_eq!(redact("https://seedance2ai.io"), "https://seedance2ai.io");
        assert_eq!(redact("machine"), "machine");
    }
}
