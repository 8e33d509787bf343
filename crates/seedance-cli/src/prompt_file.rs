//! Reading `--prompt-file` / `--director-file` (`-` = stdin), shared by the request
//! flags, the director and `seedance prompt`.

use std::io::Read;
use std::path::Path;

use crate::error::CliError;

/// Reads a prompt file (`-` = stdin). One final line break is not part of the prompt.
pub fn read_prompt_file(path: &Path) -> Result<String, CliError> {
    let mut text = String::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| CliError::usage(format!("--prompt-file -: cannot read stdin: {e}")))?;
    } else {
        text = std::fs::read_to_string(path)
            .map_err(|e| CliError::usage(format!("--prompt-file {}: {e}", path.display())))?;
    }
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(text)
}
