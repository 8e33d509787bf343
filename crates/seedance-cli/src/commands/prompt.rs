//! `seedance prompt lint` and `seedance prompt build`.

use seedance_core::{lint_prompt, rules, VideoRequest};
use serde_json::json;

use crate::cli::{PromptBuildArgs, PromptLintArgs};
use crate::error::{CliError, Exit};
use crate::ui::Ui;

/// Line and column (1-based, in characters) of a byte offset.
fn line_col(text: &str, byte: usize) -> (usize, usize) {
    let before = &text[..byte.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// `prompt lint`: exit 0 when clean, 2 when something would be refused.
pub fn lint(args: &PromptLintArgs, ui: &Ui) -> Result<(), CliError> {
    let text = match (&args.text, &args.prompt_file) {
        (Some(t), _) if t == "-" => {
            crate::prompt_file::read_prompt_file(std::path::Path::new("-"))?
        }
        (Some(t), _) => t.clone(),
        (None, Some(p)) => crate::prompt_file::read_prompt_file(p)?,
        (None, None) => {
            return Err(CliError::usage(
                "give the prompt as an argument, or --prompt-file FILE (`-` for stdin)",
            ))
        }
    };
    let chars = text.chars().count();
    let mut problems = Vec::new();
    // The length rule comes from the one validation function.
    if let Err(e) = VideoRequest::builder(text.clone())
        .build_unchecked()
        .validate()
    {
        for v in e.violations() {
            if v.field == "prompt" && v.rule == seedance_core::Rule::Length {
                problems.push(json!({
                    "kind": "length", "message": v.message, "text": null,
                    "start": null, "end": null, "line": null, "column": null,
                }));
                if !ui.is_json() {
                    ui.out(format!("prompt: {}", v.message));
                }
            }
        }
    }
    for f in lint_prompt(&text) {
        let (line, col) = line_col(&text, f.span.start);
        if !ui.is_json() {
            ui.out(format!("prompt:{line}:{col}: {}: {f}", f.kind.as_str()));
        }
        problems.push(json!({
            "kind": f.kind.as_str(), "message": f.to_string(), "text": f.text,
            "start": f.span.start, "end": f.span.end, "line": line, "column": col,
        }));
    }
    let ok = problems.is_empty();
    ui.json(&json!({
        "ok": ok, "chars": chars, "max_chars": rules::PROMPT_MAX_CHARS, "findings": problems,
    }));
    if ok {
        ui.note(format!("ok: {chars} characters, nothing the guide forbids"));
        Ok(())
    } else {
        // The findings are the result; the exit code says the prompt would be refused.
        Err(CliError::new(
            Exit::Usage,
            "lint",
            format!(
                "{} problem(s): this prompt would be refused",
                problems.len()
            ),
        )
        .silent())
    }
}

/// `prompt build`: renders a director prompt; `--json` gives the request fields it fills.
pub fn build(args: &PromptBuildArgs, ui: &Ui) -> Result<(), CliError> {
    let d = &args.director;
    if !d.is_used() {
        return Err(CliError::usage(
            "give director flags: --subject, --action, --scene, --camera, --style, --shot, \
             --constraint, or reference roles such as --opening-frame or --character-ref",
        ));
    }
    let builder = crate::director::build(d, args.duration)?;
    let req = builder.build_unchecked();
    if let Err(e) = req.validate() {
        return Err(e.into());
    }
    if ui.is_json() {
        let mut v = serde_json::to_value(&req)
            .map_err(|e| CliError::local(format!("cannot encode the request: {e}")))?;
        if let Some(o) = v.as_object_mut() {
            o.insert("prompt_chars".into(), json!(req.prompt.chars().count()));
        }
        ui.json(&v);
    } else {
        ui.out(&req.prompt);
        ui.note(format!(
            "\n({} characters; mode {}{})",
            req.prompt.chars().count(),
            req.effective_mode(),
            req.reference_urls()
                .iter()
                .map(|(f, u)| format!("; {f} = {u}"))
                .collect::<String>()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::line_col;

    #[test]
    fn positions_count_characters() {
        assert_eq!(line_col("abc", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("日本\nx", "日本\n".len()), (2, 1));
    }
}
