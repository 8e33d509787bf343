//! One module per command; `run` dispatches.

mod meta;
mod prompt;

use crate::cli::{Cli, Command, PromptCommand};
use crate::error::CliError;
use crate::ui::Ui;

/// Runs the command.
pub async fn run(cli: Cli, ui: Ui) -> Result<(), CliError> {
    match &cli.command {
        Command::Prompt(PromptCommand::Lint(a)) => prompt::lint(a, &ui),
        Command::Prompt(PromptCommand::Build(a)) => prompt::build(a, &ui),
        Command::Completions(a) => meta::completions(a),
        Command::Man(a) => meta::man(a),
        _ => Err(CliError::local("not wired yet")),
    }
}
