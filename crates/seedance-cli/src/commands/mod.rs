//! One module per command; `run` dispatches.

mod api;
mod batch;
mod budget;
mod demo;
mod emulator;
pub(crate) mod jobs;
mod meta;
mod prompt;
mod resume;

use crate::cli::{Cli, Command, ConfigCommand, PromptCommand};
use crate::ctx::Ctx;
use crate::error::CliError;
use crate::ui::Ui;

/// Runs the command.
pub async fn run(cli: Cli, ui: Ui) -> Result<(), CliError> {
    let Cli { global, command } = cli;
    let ctx = Ctx { g: global, ui };
    match &command {
        Command::Generate(a) => api::generate(&ctx, a).await,
        Command::Status(a) => api::status(&ctx, a).await,
        Command::Wait(a) => api::wait(&ctx, a).await,
        Command::Download(a) => api::download(&ctx, a).await,
        Command::Resume(a) => resume::resume(&ctx, a).await,
        Command::Jobs(a) => jobs::jobs(&ctx, a).await,
        Command::Batch(a) => batch::batch(&ctx, a).await,
        Command::Prompt(PromptCommand::Lint(a)) => prompt::lint(a, &ctx.ui),
        Command::Prompt(PromptCommand::Build(a)) => prompt::build(a, &ctx.ui),
        Command::Emulator(a) => emulator::run(a, &ctx.ui).await,
        Command::Demo(a) => demo::run(a, &ctx.ui).await,
        Command::Budget => budget::show(&ctx).await,
        Command::Completions(a) => meta::completions(a),
        Command::Man(a) => meta::man(a),
        Command::Help(a) => crate::help::run(a),
        Command::Config(ConfigCommand::Show) => crate::config::show(&ctx.g.provenance, &ctx.ui),
        Command::Config(ConfigCommand::Path) => {
            ctx.ui.out(crate::config::config_path().display());
            Ok(())
        }
    }
}
