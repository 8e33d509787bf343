//! `seedance completions` and `seedance man`.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::error::CliError;

/// Prints a completion script for the shell.
pub fn completions(args: &CompletionsArgs) -> Result<(), CliError> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "seedance", &mut std::io::stdout());
    Ok(())
}

/// Prints `seedance.1`, or writes every page into a directory.
pub fn man(args: &ManArgs) -> Result<(), CliError> {
    let cmd = Cli::command();
    match &args.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| CliError::local(format!("cannot create {}: {e}", dir.display())))?;
            clap_mangen::generate_to(cmd, dir)
                .map_err(|e| CliError::local(format!("cannot write the man pages: {e}")))?;
            eprintln!("wrote man pages to {}", dir.display());
        }
        None => {
            clap_mangen::Man::new(cmd)
                .render(&mut std::io::stdout())
                .map_err(|e| CliError::local(format!("cannot write the man page: {e}")))?;
        }
    }
    Ok(())
}
