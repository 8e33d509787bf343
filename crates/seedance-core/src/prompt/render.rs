//! Rendering a director prompt to the text the API receives.

use std::ops::Range;

use super::assets::AssetRole;
use super::director::DirectorPrompt;
use super::errors::PromptError;
use super::shots::secs;
use super::text::{clean, sentence};
use crate::lint::{lint_prompt, LintFinding};
use crate::rules;

impl DirectorPrompt {
    /// Renders the prompt text: the intent sentence, one sentence per reference, then
    /// subject, action, scene, camera, style, the shots and the constraint package, one
    /// per line. Errors if it is empty, has an empty or mistimed shot, mixes frame and
    /// media references, would pass [`rules::PROMPT_MAX_CHARS`] code points, or contains
    /// something [`crate::lint_prompt`] flags.
    ///
    /// ```
    /// use seedance_core::{DirectorPrompt, Constraints};
    /// let text = DirectorPrompt::new()
    ///     .subject("a glass train")
    ///     .action("it crosses a snowy mountain bridge")
    ///     .constraints(Constraints::none())
    ///     .render()?;
    /// assert_eq!(text, "Subject: a glass train.\nAction: it crosses a snowy mountain bridge.");
    /// # Ok::<(), seedance_core::PromptError>(())
    /// ```
    pub fn render(&self) -> Result<String, PromptError> {
        self.mode()?;
        self.check_shots()?;

        let mut out = Rendered::default();
        if let Some(intent) = self.intent {
            out.line();
            out.fixed(intent.sentence());
        }
        self.render_references(&mut out);

        let mut has_content = false;
        for (label, value) in [
            ("Subject", &self.subject),
            ("Action", &self.action),
            ("Scene", &self.scene),
            ("Camera", &self.camera),
            ("Style", &self.style),
        ] {
            if let Some(text) = value.as_deref().map(clean).filter(|t| !t.is_empty()) {
                out.line();
                out.fixed(label);
                out.fixed(": ");
                out.user(&sentence(&text));
                has_content = true;
            }
        }
        for (i, shot) in self.shots.iter().enumerate() {
            out.line();
            out.fixed(&format!("Shot {}", i + 1));
            if let Some(t) = shot.timing {
                out.fixed(&format!(" ({t})"));
            }
            out.fixed(":");
            let action = clean(&shot.action);
            if !action.is_empty() {
                out.fixed(" ");
                out.user(&sentence(&action));
            }
            if let Some(camera) = shot.camera.as_deref().map(clean).filter(|c| !c.is_empty()) {
                out.fixed(" Camera: ");
                out.user(&sentence(&camera));
            }
            has_content = true;
        }
        if !has_content {
            return Err(PromptError::Empty);
        }
        let constraints = self.constraints.phrases();
        if !constraints.is_empty() {
            out.line();
            out.fixed("Constraints: ");
            out.user(&format!("{}.", constraints.join(", ")));
        }

        let chars = out.text.chars().count();
        if chars > rules::PROMPT_MAX_CHARS {
            return Err(PromptError::TooLong {
                chars,
                max: rules::PROMPT_MAX_CHARS,
            });
        }
        let findings = out.lint();
        if !findings.is_empty() {
            return Err(PromptError::Lint(findings));
        }
        Ok(out.text)
    }

    fn check_shots(&self) -> Result<(), PromptError> {
        // Reading R29: without a duration the clip has the server's default length.
        let limit = rules::clip_length_secs(self.duration);
        let what = if self.duration.is_some() {
            String::new()
        } else {
            " (the default duration: set one for a longer clip)".to_owned()
        };
        let mut previous_end = 0.0_f64;
        for (i, shot) in self.shots.iter().enumerate() {
            let n = i + 1;
            let camera_empty = shot.camera.as_deref().is_none_or(|c| clean(c).is_empty());
            if clean(&shot.action).is_empty() && camera_empty {
                return Err(PromptError::EmptyShot { shot: n });
            }
            let Some(t) = shot.timing else { continue };
            let bad = |reason: String| PromptError::ShotTiming {
                shot: n,
                timing: t.to_string(),
                reason,
            };
            if !t.start.is_finite() || !t.end.is_finite() {
                return Err(bad("times must be finite numbers".to_owned()));
            }
            if t.start < 0.0 {
                return Err(bad("starts before the clip".to_owned()));
            }
            if t.end <= t.start {
                return Err(bad("must end after it starts".to_owned()));
            }
            if t.start < previous_end {
                return Err(bad(format!(
                    "starts before the previous shot ends ({} s); shots are ordered",
                    secs(previous_end)
                )));
            }
            if t.end > f64::from(limit) {
                return Err(bad(format!("ends after the clip's {limit} s{what}")));
            }
            previous_end = t.end;
        }
        Ok(())
    }

    fn render_references(&self, out: &mut Rendered) {
        let mut media_index = 0usize;
        for asset in &self.references {
            let note = asset.note.as_deref().map(clean).filter(|n| !n.is_empty());
            out.line();
            match asset.role {
                AssetRole::OpeningFrame => out.fixed("Start from the supplied opening frame"),
                AssetRole::ClosingFrame => out.fixed("End on the supplied closing frame"),
                role => {
                    media_index += 1;
                    out.fixed(&format!(
                        "Use the {} (media {media_index}) as the {}",
                        nth_reference(media_index),
                        role.describe()
                    ));
                }
            }
            match note {
                Some(n) => {
                    out.fixed(": ");
                    out.user(&sentence(&n));
                }
                None => out.fixed("."),
            }
        }
    }
}

/// The text being rendered, with where the caller's own words sit in it (so that each
/// piece is also linted alone: "Shot 9:" at the end of a subject is an empty shot even
/// though more lines follow it).
#[derive(Default)]
struct Rendered {
    text: String,
    pieces: Vec<Range<usize>>,
}

impl Rendered {
    /// Starts a new line (none before the first).
    fn line(&mut self) {
        if !self.text.is_empty() {
            self.text.push('\n');
        }
    }
    fn fixed(&mut self, s: &str) {
        self.text.push_str(s);
    }
    fn user(&mut self, s: &str) {
        let start = self.text.len();
        self.text.push_str(s);
        self.pieces.push(start..self.text.len());
    }
    /// Lint findings of the whole text, plus those of each piece alone (spans in the
    /// whole text), without duplicates, in order.
    fn lint(&self) -> Vec<LintFinding> {
        let mut findings = lint_prompt(&self.text);
        for piece in &self.pieces {
            for mut f in lint_prompt(&self.text[piece.clone()]) {
                f.span = f.span.start + piece.start..f.span.end + piece.start;
                if !findings
                    .iter()
                    .any(|g| g.span == f.span && g.kind == f.kind)
                {
                    findings.push(f);
                }
            }
        }
        findings.sort_by_key(|f| (f.span.start, f.span.end));
        findings
    }
}

/// "first supplied reference", …, "twelfth supplied reference", then "supplied reference
/// number 13" (more than 12 fails validation anyway).
fn nth_reference(n: usize) -> String {
    const WORDS: [&str; 12] = [
        "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
        "tenth", "eleventh", "twelfth",
    ];
    match WORDS.get(n.wrapping_sub(1)) {
        Some(w) => format!("{w} supplied reference"),
        None => format!("supplied reference number {n}"),
    }
}
