//! Which global options each command shows (in `-h`, `--help`, completions and man pages),
//! and `seedance help [globals | COMMAND…]`.
//!
//! The global options are clap globals, so they are accepted anywhere on the command line;
//! but an offline command (`prompt lint`, `demo`, …) has no use for `--api-key`, so its help
//! and its completions leave out every global that does not apply to it.

use clap::{Arg, Args, Command, CommandFactory};

use crate::cli::{Cli, GlobalArgs, HelpArgs};
use crate::error::CliError;

/// How results are printed: every command.
const OUTPUT: &[&str] = &["json", "quiet", "verbose"];
/// Reaching the API: the commands that send requests.
const CONNECT: &[&str] = &[
    "profile",
    "api_key",
    "base_url",
    "timeout",
    "connect_timeout",
    "max_retries",
    "rate_limit",
    "media_rate_limit",
    "budget",
];
/// Waiting for renders.
const WAIT: &[&str] = &[
    "expected_render",
    "poll_interval",
    "poll_max_interval",
    "render_time_scale",
    "wait_timeout",
];
/// The journal of submitted jobs.
const JOURNAL: &[&str] = &["journal", "no_journal"];

/// The groups of global options a command (`prompt lint`) takes: every one for
/// `generate`, `wait`, `resume`, `batch`, `config`, and commands added later.
fn groups(path: &str) -> &'static [&'static [&'static str]] {
    match path {
        "status" | "budget" => &[OUTPUT, CONNECT],
        // records what it saved in the job store
        "download" => &[OUTPUT, CONNECT, JOURNAL],
        "prompt" | "prompt lint" | "prompt build" | "demo" | "emulator" | "completions" | "man"
        | "help" => &[OUTPUT],
        _ => &[OUTPUT, CONNECT, WAIT, JOURNAL],
    }
}

/// Whether the global option `id` applies to the command at `path`.
pub fn applies(path: &str, id: &str) -> bool {
    groups(path).iter().any(|g| g.contains(&id))
}

/// Whether the command at `path` refuses, rather than ignores, a global option that does
/// not apply to it when the option is typed on the command line: `seedance emulator`
/// serves the API, so `--rate-limit` or `--api-key` there would read as the server's
/// settings, which they are not (its own are `--limit`, `--media-limit`, `--time-scale`).
/// The options' variables are still ignored: a user's shell has them set for the client.
pub fn refuses_foreign(path: &str) -> bool {
    path == "emulator"
}

/// What to use at `path` instead of the global option `id` that does not apply there, when
/// the command has an option of its own for it.
pub fn instead(path: &str, id: &str) -> Option<&'static str> {
    match (path, id) {
        ("emulator", "rate_limit") => Some("the emulator's own limit is --limit N/WINDOW (or --no-limit)"),
        ("emulator", "media_rate_limit") => {
            Some("the emulator's own reference-media limit is --media-limit N/WINDOW (or --no-media-limit)")
        }
        ("emulator", "render_time_scale") => Some("the emulator's own is --time-scale FACTOR"),
        ("emulator", "base_url") => Some("the emulator's own address is --addr ADDR (and --cdn-addr)"),
        ("emulator", "api_key") => {
            Some("the emulator's keys are fixed test keys, listed when it starts")
        }
        _ => None,
    }
}

/// The command tree used for parsing and help: clap's, where a command that a global does
/// not apply to holds a hidden, inert copy of it (clap then does not propagate the global
/// there, so its help leaves it out). Built.
pub fn command() -> Command {
    let cmd = Cli::command();
    let inert: Vec<Arg> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set())
        .map(|a| a.clone().global(false).hide(true).env(None))
        .collect();
    let mut cmd = per_subcommand(cmd, "", &inert, false);
    cmd.build();
    cmd
}

/// Adds to every subcommand (at any depth) the copies in `globals` whose applying to it
/// (`applies`) equals `applying`: the foreign ones, hidden and inert, for help; the ones
/// that apply, for completions.
fn per_subcommand(mut cmd: Command, parent: &str, globals: &[Arg], applying: bool) -> Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        let path = if parent.is_empty() {
            name.clone()
        } else {
            format!("{parent} {name}")
        };
        let chosen: Vec<Arg> = globals
            .iter()
            .filter(|a| applies(&path, a.get_id().as_str()) == applying)
            .cloned()
            .collect();
        cmd = cmd.mut_subcommand(&name, |s| {
            per_subcommand(s.args(chosen), &path, globals, applying)
        });
    }
    cmd
}

/// The command tree for completion scripts: the same commands, but each subcommand owns
/// copies of only the globals that apply to it (some shells' generators list hidden
/// options), so `seedance prompt <TAB>` offers no `--api-key`.
pub fn completion_command() -> Command {
    let cmd = Cli::command();
    let globals: Vec<Arg> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set())
        .map(|a| a.clone().global(false))
        .collect();
    let cmd = cmd.mut_args(|a| a.global(false));
    per_subcommand(cmd, "", &globals, true)
}

/// Which commands take which global options, from [`groups`] (so it cannot go stale).
fn who_takes_what() -> String {
    let root = Cli::command();
    let commands: Vec<String> = root
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    let mut out = String::from("Which commands take which:\n");
    for (what, group) in [
        ("output", OUTPUT),
        ("the API", CONNECT),
        ("waiting", WAIT),
        ("the journal", JOURNAL),
    ] {
        let flags: Vec<String> = group
            .iter()
            .filter_map(|id| {
                root.get_arguments()
                    .find(|a| a.get_id() == *id)
                    .and_then(|a| a.get_long())
                    .map(|l| format!("--{l}"))
            })
            .collect();
        let takers: Vec<&str> = commands
            .iter()
            .filter(|c| applies(c, group[0]))
            .map(String::as_str)
            .collect();
        out.push_str(&format!(
            "  {what}: {}\n    taken by {}\n",
            flags.join(", "),
            takers.join(", ")
        ));
    }
    out
}

/// `seedance help globals`: every global option, with what it applies to.
pub fn globals_help() -> String {
    let cmd = GlobalArgs::augment_args(
        Command::new("seedance")
            .about(
                "Global options: accepted before or after the command; each is also a \
                 SEEDANCE_* variable (flag > variable > profile > default).",
            )
            .help_template("{about}\n\n{all-args}\n")
            .disable_help_flag(true)
            .max_term_width(100),
    );
    let mut cmd = cmd;
    format!("{}\n{}", cmd.render_long_help(), who_takes_what())
}

/// `seedance help [TOPIC…]`: the long help of the root, of a command, or of the globals.
pub fn run(args: &HelpArgs) -> Result<(), CliError> {
    if args.topic.len() == 1 && args.topic[0] == "globals" {
        print!("{}", globals_help());
        return Ok(());
    }
    let mut cmd = command();
    let mut at = &mut cmd;
    for name in &args.topic {
        let next = at.get_subcommands_mut().find(|s| {
            s.get_name() == name.as_str() || s.get_all_aliases().any(|a| a == name.as_str())
        });
        match next {
            Some(s) => at = s,
            None => {
                return Err(CliError::usage(format!(
                    "no help topic {:?}: try `seedance help globals` or a command name \
                     (`seedance help generate`)",
                    args.topic.join(" ")
                )))
            }
        }
    }
    print!("{}", at.render_long_help());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trees_are_consistent() {
        command().debug_assert();
        completion_command().debug_assert();
    }

    #[test]
    fn offline_commands_take_no_network_globals() {
        for path in [
            "prompt lint",
            "prompt build",
            "demo",
            "emulator",
            "completions",
        ] {
            assert!(!applies(path, "api_key"), "{path}");
            assert!(applies(path, "json"), "{path}");
        }
        assert!(applies("status", "api_key") && !applies("status", "journal"));
        assert!(applies("generate", "journal") && applies("batch", "wait_timeout"));
    }

    #[test]
    fn only_the_emulator_refuses_foreign_globals_and_its_hints_name_real_flags() {
        assert!(refuses_foreign("emulator"));
        for path in ["prompt lint", "demo", "completions", "status", "generate"] {
            assert!(!refuses_foreign(path), "{path}");
        }
        let emulator = Cli::command();
        let emulator = emulator.find_subcommand("emulator").unwrap();
        for id in [
            "rate_limit",
            "media_rate_limit",
            "render_time_scale",
            "base_url",
        ] {
            let hint = instead("emulator", id).unwrap();
            for flag in hint.split_whitespace().filter(|w| w.starts_with("--")) {
                let long = flag.trim_start_matches("--").trim_end_matches(')');
                assert!(
                    emulator.get_arguments().any(|a| a.get_long() == Some(long)
                        || a.get_all_aliases().is_some_and(|v| v.contains(&long))),
                    "{id}: the emulator has no {flag}"
                );
            }
        }
        assert_eq!(instead("emulator", "max_retries"), None);
        assert_eq!(instead("status", "rate_limit"), None);
    }

    #[test]
    fn help_globals_says_who_takes_what() {
        let text = globals_help();
        let line = |what: &str| {
            let at = text.find(&format!("  {what}: ")).unwrap();
            text[at..].lines().nth(1).unwrap().to_owned()
        };
        let api = line("the API");
        assert!(api.contains("generate") && api.contains("status"), "{api}");
        assert!(!api.contains("prompt") && !api.contains("demo"), "{api}");
        assert!(line("output").contains("prompt"));
        assert!(text.contains("--api-key") && text.contains("SEEDANCE_JOURNAL"));
    }

    #[test]
    fn every_grouped_id_is_a_global() {
        let cmd = Cli::command();
        let globals: Vec<String> = cmd
            .get_arguments()
            .filter(|a| a.is_global_set())
            .map(|a| a.get_id().to_string())
            .collect();
        for id in [OUTPUT, CONNECT, WAIT, JOURNAL].concat() {
            assert!(globals.iter().any(|g| g == id), "{id} is not a global");
        }
        for g in &globals {
            assert!(
                [OUTPUT, CONNECT, WAIT, JOURNAL]
                    .concat()
                    .contains(&g.as_str()),
                "the global {g} is in no group"
            );
        }
    }
}
