//! `seedance completions` and `seedance man`.

use crate::cli::{CompletionsArgs, ManArgs};
use crate::error::CliError;

/// Prints a completion script for the shell (each command completes only the global
/// options that apply to it).
pub fn completions(args: &CompletionsArgs) -> Result<(), CliError> {
    let mut cmd = crate::help::completion_command();
    clap_complete::generate(args.shell, &mut cmd, "seedance", &mut std::io::stdout());
    Ok(())
}

/// Prints `seedance.1`, or writes every page into a directory.
pub fn man(args: &ManArgs) -> Result<(), CliError> {
    let cmd = crate::help::command();
    match &args.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| CliError::local(format!("cannot create {}: {e}", dir.display())))?;
            clap_mangen::generate_to(cmd, dir)
                .map_err(|e| CliError::local(format!("cannot write the man pages: {e}")))?;
            eprintln!("wrote man pages to {}", dir.display());
        }
        None => {
            let mut page = Vec::new();
            render_page(cmd, &mut page)
                .and_then(|()| std::io::Write::write_all(&mut std::io::stdout(), &page))
                .map_err(|e| CliError::local(format!("cannot write the man page: {e}")))?;
        }
    }
    Ok(())
}

/// The man page with the exit codes under "EXIT STATUS" (man-pages(7)), not clap's "EXTRA".
fn render_page(cmd: clap::Command, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(cmd);
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    man.render_options_section(w)?;
    man.render_subcommands_section(w)?;
    writeln!(w, ".SH \"EXIT STATUS\"\n.nf")?;
    for line in crate::cli::EXIT_CODES_HELP.lines() {
        // roff: a leading '.' or '\'' would be a request, a backslash an escape.
        let line = line.replace('\\', "\\e");
        let line = if line.starts_with(['.', '\'']) {
            format!("\\&{line}")
        } else {
            line
        };
        writeln!(w, "{line}")?;
    }
    writeln!(w, ".fi")?;
    man.render_version_section(w)
}
