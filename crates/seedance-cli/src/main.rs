//! `seedance`: the command line of the Seedance 2 Video API SDK.
//!
//! Exit codes: 0 success · 1 local problem · 2 usage/validation (nothing sent) · 3 API or
//! network error · 4 task failed · 5 timed out. See `seedance --help`.
#![forbid(unsafe_code)]

mod cli;
mod commands;
mod config;
mod ctx;
mod director;
mod error;
mod help;
mod parse;
mod prompt_file;
mod provenance;
mod request;
mod ui;

use std::process::ExitCode;

use clap::FromArgMatches;

use crate::cli::Cli;
use crate::error::CliError;
use crate::ui::Ui;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cmd = help::command();
    let matches = match parse::parse(&cmd, &args) {
        Ok(m) => m,
        Err(e) => usage_error(e),
    };
    let first = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => usage_error(e),
    };
    // The config file's profile fills what no flag or variable set: parse again with its
    // values as flags (the same parsers, the same messages).
    let (matches, cli) = match config::plan(&cmd, &matches) {
        Err(e) => {
            return report(&Ui::new(first.global.json, first.global.quiet), e);
        }
        Ok(plan) if plan.adds_args() => {
            let reparsed = parse::parse(&cmd, &plan.args(&args))
                .and_then(|m| Cli::from_arg_matches(&m).map(|c| (m, c)));
            match reparsed {
                Ok((m, mut c)) => {
                    c.global.provenance = plan.provenance(&cmd, &m);
                    (m, c)
                }
                Err(e) => {
                    let ui = Ui::new(first.global.json, first.global.quiet);
                    let message = clap_message(&e);
                    let name = plan.profile_name().unwrap_or_default().to_owned();
                    return report(
                        &ui,
                        CliError::new(
                            error::Exit::Usage,
                            "config",
                            format!(
                                "{message} (set by profile {name} of {})",
                                config::config_path().display()
                            ),
                        ),
                    );
                }
            }
        }
        Ok(plan) => {
            let mut c = first;
            c.global.provenance = plan.provenance(&cmd, &matches);
            (matches, c)
        }
    };
    let mut cli = cli;
    cli.global.api_key_on_command_line =
        matches.value_source("api_key") == Some(clap::parser::ValueSource::CommandLine);
    init_tracing(cli.global.verbose);
    let ui = Ui::new(cli.global.json, cli.global.quiet);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return report(
                &ui,
                CliError::local(format!("cannot start the runtime: {e}")),
            )
        }
    };
    let result = runtime.block_on(commands::run(cli, ui.clone()));
    ui.clear();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report(&ui, e),
    }
}

fn report(ui: &Ui, e: CliError) -> ExitCode {
    if ui.is_json() {
        if !e.silent {
            ui.json(&e.to_json());
        }
    } else {
        eprintln!("error: {}", ui::for_terminal(&e));
    }
    ExitCode::from(e.exit.code())
}

/// A usage error: clap's text on stderr, or with `--json` / `SEEDANCE_JSON` the README's
/// `{"error":…}` on stdout (exit 2). Help and version output stay as they are.
fn usage_error(e: clap::Error) -> ! {
    use clap::error::ErrorKind;
    let wants_json = std::env::args_os().skip(1).any(|a| a == "--json")
        || std::env::var("SEEDANCE_JSON")
            .ok()
            .and_then(|v| (cli::bool_var("SEEDANCE_JSON"))(&v).ok())
            .unwrap_or(false);
    let is_output = matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if !wants_json || is_output {
        e.exit()
    }
    let err = CliError::new(error::Exit::Usage, "usage", clap_message(&e));
    println!("{}", err.to_json());
    std::process::exit(i32::from(err.exit.code()))
}

/// clap's message without its `error: ` prefix and usage lines.
fn clap_message(e: &clap::Error) -> String {
    let message = e.render().to_string();
    message
        .trim()
        .trim_start_matches("error: ")
        .lines()
        .take_while(|l| !l.starts_with("Usage:"))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

/// Colour on stderr: `CLICOLOR_FORCE` (not `0`) forces it, `NO_COLOR` (not empty) turns it
/// off, otherwise only when stderr is a terminal.
fn stderr_colour() -> bool {
    use std::io::IsTerminal;
    if std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
        return true;
    }
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return false;
    }
    std::io::stderr().is_terminal()
}

/// Logs go to stderr: `-v` info, `-vv` debug, `-vvv` trace; `RUST_LOG` overrides.
fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    // Below -vv the client's own retry warning stays quiet: the retry event prints it
    // once, as `submit: …; retry 1 in 2.0s`.
    let default = if verbose < 2 {
        format!("{default},seedance_http::client=error")
    } else {
        default.to_owned()
    };
    let filter = if verbose == 0 {
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&default))
    } else {
        EnvFilter::new(&default)
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(stderr_colour())
        .with_target(verbose >= 2)
        .try_init();
}
