//! Parsing the command line with the variables of the global options.
//!
//! clap reads the variable of every global option (`SEEDANCE_TIMEOUT`, `SEEDANCE_BUDGET`…)
//! for every command, and names the flag when a variable's value is refused. So a bad
//! `SEEDANCE_TIMEOUT` would stop `seedance prompt lint`, which never reads it, with a
//! message about `--timeout`, a flag nobody typed. Here a value refused from a variable is
//! ignored when the command does not take that option, and otherwise the message names the
//! variable.
//!
//! A command that refuses foreign globals (`seedance emulator`, [`crate::help::refuses_foreign`])
//! stops, with a usage error naming the flag, when one that does not apply to it is typed
//! on the command line; their variables it still ignores.

use std::ffi::OsString;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::parser::ValueSource;
use clap::{ArgMatches, Command};

/// Parses `args` with `cmd` (see the module docs).
pub fn parse(cmd: &Command, args: &[OsString]) -> Result<ArgMatches, clap::Error> {
    let mut cmd = cmd.clone();
    let mut path = None;
    // Each round drops one variable: never more rounds than there are options.
    for _ in 0..=cmd.get_arguments().count() {
        let e = match cmd.clone().try_get_matches_from(args) {
            Ok(m) => return refuse_foreign_globals(&cmd, m),
            Err(e) => e,
        };
        let Some((id, var)) = refused_variable(&cmd, &e, args) else {
            return Err(e);
        };
        // The command, as the command line alone names it (no variable read).
        let path = match &path {
            Some(p) => p,
            None => match cmd
                .clone()
                .mut_args(|a| a.env(None))
                .try_get_matches_from(args)
            {
                Ok(m) => path.insert(command_path(&m)),
                Err(_) => return Err(named_variable(&e, &var)),
            },
        };
        if crate::help::applies(path, &id) {
            return Err(named_variable(&e, &var));
        }
        cmd = cmd.mut_arg(&id, |a| a.env(None));
    }
    cmd.try_get_matches_from(args)
}

/// `m`, or a usage error when its command refuses foreign globals and one was typed on the
/// command line (before or after the command's name: clap's global, or the hidden inert
/// copy the command holds, [`crate::help::command`]).
fn refuse_foreign_globals(cmd: &Command, m: ArgMatches) -> Result<ArgMatches, clap::Error> {
    let (path, levels) = command_levels(&m);
    if !crate::help::refuses_foreign(&path) {
        return Ok(m);
    }
    let typed = |id: &str| {
        levels.iter().any(|l| {
            l.ids().any(|i| i.as_str() == id)
                && l.value_source(id) == Some(ValueSource::CommandLine)
        })
    };
    let refused = cmd.get_arguments().find(|a| {
        let id = a.get_id().as_str();
        a.is_global_set() && !crate::help::applies(&path, id) && typed(id)
    });
    let Some(arg) = refused else {
        return Ok(m);
    };
    let id = arg.get_id().as_str();
    let flag = arg
        .get_long()
        .map_or_else(|| id.to_owned(), |l| format!("--{l}"));
    let hint = crate::help::instead(&path, id).map_or_else(
        || format!("`seedance {path} -h` lists its options"),
        str::to_owned,
    );
    Err(clap::Error::raw(
        ErrorKind::ArgumentConflict,
        format!("`seedance {path}` does not take {flag}, an option of the client: {hint}\n"),
    ))
}

/// The option (id, variable) whose value clap refused in `e`, when the value came from its
/// variable (the flag is not on the command line).
fn refused_variable(cmd: &Command, e: &clap::Error, args: &[OsString]) -> Option<(String, String)> {
    if !matches!(
        e.kind(),
        ErrorKind::ValueValidation | ErrorKind::InvalidValue
    ) {
        return None;
    }
    let Some(ContextValue::String(shown)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    // clap shows the option as `--timeout <DURATION>`.
    let long = shown.strip_prefix("--")?.split([' ', '=']).next()?;
    let arg = cmd.get_arguments().find(|a| a.get_long() == Some(long))?;
    let var = arg.get_env()?.to_str()?.to_owned();
    let typed = args.iter().skip(1).any(|a| {
        a.to_str()
            .is_some_and(|a| a == format!("--{long}") || a.starts_with(&format!("--{long}=")))
    });
    (!typed && std::env::var_os(&var).is_some()).then(|| (arg.get_id().to_string(), var))
}

/// The subcommand path of `m` (`prompt lint`), "" for none.
fn command_path(m: &ArgMatches) -> String {
    command_levels(m).0
}

/// The subcommand path of `m` (`"prompt lint"`, empty for the root) and the matches of
/// each level, the root's first and the command's own last.
pub(crate) fn command_levels(m: &ArgMatches) -> (String, Vec<&ArgMatches>) {
    let mut names = Vec::new();
    let mut levels = vec![m];
    let mut at = m;
    while let Some((name, sub)) = at.subcommand() {
        names.push(name);
        levels.push(sub);
        at = sub;
    }
    (names.join(" "), levels)
}

/// `e` told about the variable rather than the flag.
fn named_variable(e: &clap::Error, var: &str) -> clap::Error {
    let value = match e.get(ContextKind::InvalidValue) {
        Some(ContextValue::String(v)) => v.clone(),
        _ => String::new(),
    };
    let rendered = e.render().to_string();
    // clap's own reason, after the "for '--flag <X>': " part of its first line
    let first = rendered.lines().next().unwrap_or_default();
    let reason = first
        .split_once("': ")
        .map(|(_, r)| r.trim().to_owned())
        .unwrap_or_else(|| first.trim_start_matches("error: ").to_owned());
    clap::Error::raw(
        ErrorKind::ValueValidation,
        format!("invalid value {value:?} in the variable {var}: {reason}\n"),
    )
}
