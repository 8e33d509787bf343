//! Output: progress bars on a terminal, plain lines otherwise, only the result with `--json`.
//!
//! Progress and messages go to stderr; results go to stdout.

use std::collections::HashMap;
use std::fmt::Display;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;

/// How output is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UiMode {
    /// Only the result, as JSON, on stdout.
    Json,
    /// Only the result, as text.
    Quiet,
    /// Plain lines on stderr (not a terminal).
    Plain,
    /// Progress bars on stderr (a terminal).
    Tty,
}

/// The output of a command; cheap to clone and shareable with the client's event callback.
#[derive(Clone)]
pub struct Ui(Arc<Inner>);

struct Inner {
    mode: UiMode,
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Ui {
    /// Picks the mode from the flags and whether stderr is a terminal.
    pub fn new(json: bool, quiet: bool) -> Ui {
        let mode = if json {
            UiMode::Json
        } else if quiet {
            UiMode::Quiet
        } else if std::io::stderr().is_terminal() {
            UiMode::Tty
        } else {
            UiMode::Plain
        };
        Ui::with_mode(mode)
    }

    /// A UI in the given mode.
    pub fn with_mode(mode: UiMode) -> Ui {
        let multi = MultiProgress::with_draw_target(if mode == UiMode::Tty {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        Ui(Arc::new(Inner {
            mode,
            multi,
            bars: Mutex::new(HashMap::new()),
        }))
    }

    /// The mode.
    pub fn mode(&self) -> UiMode {
        self.0.mode
    }

    /// Whether results are JSON.
    pub fn is_json(&self) -> bool {
        self.0.mode == UiMode::Json
    }

    /// A progress message on stderr (not in `--json` or `--quiet`).
    pub fn note(&self, msg: impl Display) {
        let msg = for_terminal(msg);
        match self.0.mode {
            UiMode::Json | UiMode::Quiet => {}
            UiMode::Plain => eprintln!("{msg}"),
            UiMode::Tty => {
                if self.0.multi.println(&msg).is_err() {
                    eprintln!("{msg}");
                }
            }
        }
    }

    /// A warning on stderr (shown in every mode but `--json`).
    pub fn warn(&self, msg: impl Display) {
        let msg = for_terminal(msg);
        match self.0.mode {
            UiMode::Json => {}
            UiMode::Tty => {
                if self.0.multi.println(format!("warning: {msg}")).is_err() {
                    eprintln!("warning: {msg}");
                }
            }
            _ => eprintln!("warning: {msg}"),
        }
    }

    /// A line of the result on stdout (not in `--json`).
    pub fn out(&self, line: impl Display) {
        let line = for_terminal(line);
        if self.0.mode != UiMode::Json {
            self.suspend(|| println!("{line}"));
        }
    }

    /// The result as one line of JSON on stdout (only in `--json`).
    pub fn json(&self, value: &Value) {
        if self.0.mode == UiMode::Json {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{value}");
            let _ = out.flush();
        }
    }

    /// A JSON line on stdout in every mode (batch results).
    pub fn json_line(&self, value: &Value) {
        self.suspend(|| {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{value}");
            let _ = out.flush();
        });
    }

    fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        if self.0.mode == UiMode::Tty {
            self.0.multi.suspend(f)
        } else {
            f()
        }
    }

    fn bars(&self) -> std::sync::MutexGuard<'_, HashMap<String, ProgressBar>> {
        match self.0.bars.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Starts (or renames) a spinner for `key` showing `msg` and the elapsed time; in plain
    /// mode prints `msg` once.
    pub fn spinner(&self, key: &str, msg: impl Display) {
        let msg = for_terminal(msg);
        match self.0.mode {
            UiMode::Tty => {
                let mut bars = self.bars();
                if let Some(bar) = bars.get(key) {
                    bar.set_message(msg);
                    return;
                }
                let bar = self.0.multi.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("{spinner:.cyan} {msg} {elapsed:.dim}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_message(msg);
                bar.enable_steady_tick(Duration::from_millis(120));
                bars.insert(key.to_owned(), bar);
            }
            UiMode::Plain => eprintln!("{msg}"),
            _ => {}
        }
    }

    /// Shows download progress for `key` (a byte bar on a terminal).
    pub fn bytes(&self, key: &str, label: &str, done: u64, total: Option<u64>) {
        if self.0.mode != UiMode::Tty {
            return;
        }
        let mut bars = self.bars();
        let bar = bars.entry(key.to_owned()).or_insert_with(|| {
            let bar = self.0.multi.add(ProgressBar::new(total.unwrap_or(0)));
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner:.cyan} {msg} [{bar:30.cyan/blue}] {bytes}/{total_bytes} {bytes_per_sec}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_message(label.to_owned());
            bar
        });
        if let Some(t) = total {
            bar.set_length(t);
        }
        bar.set_position(done);
    }

    /// Ends the bar of `key` (removing it) and prints `msg` as a line, if any.
    pub fn finish(&self, key: &str, msg: Option<String>) {
        let bar = self.bars().remove(key);
        if let Some(bar) = bar {
            bar.finish_and_clear();
            self.0.multi.remove(&bar);
        }
        if let Some(m) = msg {
            self.note(m);
        }
    }

    /// Ends every bar.
    pub fn clear(&self) {
        let bars: Vec<_> = self.bars().drain().map(|(_, b)| b).collect();
        for bar in bars {
            bar.finish_and_clear();
        }
        let _ = self.0.multi.clear();
    }
}

/// Reading R23: text for a human on a terminal: every control character but the line
/// breaks our own messages use, and every bidi override, is shown escaped (`\u{1b}`), so
/// a server string cannot retitle the window, clear the screen or overwrite a line.
/// (`--json` output is left to the JSON encoder.)
pub fn for_terminal(text: impl Display) -> String {
    text.to_string()
        .split('\n')
        .map(seedance_core::rules::escape_controls)
        .collect::<Vec<_>>()
        .join("\n")
}

/// `1m 45s`, `3.2s`, `850ms`.
pub fn human_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 1.0 {
        format!("{}ms", d.as_millis())
    } else if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        let total = d.as_secs();
        let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60);
        if h > 0 {
            format!("{h}h {m}m {s}s")
        } else {
            format!("{m}m {s}s")
        }
    }
}

/// `1.2 MB`.
pub fn human_bytes(n: u64) -> String {
    indicatif::HumanBytes(n).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_cannot_drive_the_terminal() {
        let shown = for_terminal("sd2_1 \u{1b}]0;pwned\u{7}\u{1b}[2J\r✔ ok\nline two\u{202e}");
        assert!(
            !shown.chars().any(|c| c.is_control() && c != '\n'),
            "{shown}"
        );
        assert_eq!(shown.lines().count(), 2);
        assert!(shown.contains("\\u{1b}]0;pwned"), "{shown}");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(Duration::from_millis(850)), "850ms");
        assert_eq!(human_duration(Duration::from_millis(3200)), "3.2s");
        assert_eq!(human_duration(Duration::from_secs(105)), "1m 45s");
        assert_eq!(human_duration(Duration::from_secs(3725)), "1h 2m 5s");
    }
}
