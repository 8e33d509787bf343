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
    /// What a render is called and how long it should take, by idempotency key or task id
    /// (told before the submit; the bar starts with the `submitted` event).
    plans: Mutex<HashMap<String, Plan>>,
}

/// A render announced before it starts.
#[derive(Clone, Debug, Default)]
struct Plan {
    label: Option<String>,
    expected: Option<Duration>,
    /// How long it has been running already (a task found in the journal).
    already: Duration,
    /// When its bar (or, off a terminal, its first line) started.
    started: Option<std::time::Instant>,
}

impl Plan {
    /// `7.0s / ~21s` (elapsed against expected) once started.
    fn progress(&self) -> Option<String> {
        let elapsed = self.started?.elapsed() + self.already;
        Some(match self.expected.filter(|e| !e.is_zero()) {
            Some(e) if elapsed > e => format!(
                "{} / ~{}, longer than expected",
                short_secs(elapsed),
                short_secs(e)
            ),
            Some(e) => format!("{} / ~{}", short_secs(elapsed), short_secs(e)),
            None => short_secs(elapsed),
        })
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
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
            plans: Mutex::new(HashMap::new()),
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

    /// Announces a render: its label (a batch job's name) and how long it should take
    /// here; `key` is the submit's idempotency key or the task id.
    pub fn plan(&self, key: &str, label: Option<String>, expected: Option<Duration>) {
        self.plan_running(key, label, expected, Duration::ZERO);
    }

    /// [`Ui::plan`] for a render that has been running for `already`.
    pub fn plan_running(
        &self,
        key: &str,
        label: Option<String>,
        expected: Option<Duration>,
        already: Duration,
    ) {
        lock(&self.0.plans).insert(
            key.to_owned(),
            Plan {
                label,
                expected,
                already,
                started: None,
            },
        );
    }

    /// The label of a render: its planned name, else the task id.
    pub fn label(&self, task_id: &str) -> String {
        lock(&self.0.plans)
            .get(task_id)
            .and_then(|p| p.label.clone())
            .unwrap_or_else(|| task_id.to_owned())
    }

    /// Starts the render bar of `task_id` (elapsed against expected), taking over the plan
    /// made under `key` (the idempotency key).
    pub fn start_render(&self, task_id: &str, key: Option<&str>) {
        let plan = {
            let mut plans = lock(&self.0.plans);
            let plan = key
                .and_then(|k| plans.remove(k))
                .or_else(|| plans.get(task_id).cloned())
                .unwrap_or_default();
            let plan = Plan {
                started: plan.started.or_else(|| Some(std::time::Instant::now())),
                ..plan
            };
            plans.insert(task_id.to_owned(), plan.clone());
            plan
        };
        if self.0.mode != UiMode::Tty {
            return;
        }
        let mut bars = self.bars();
        if bars.contains_key(task_id) {
            return;
        }
        let (expected, already) = (plan.expected, plan.already);
        let style =
            ProgressStyle::with_template("{spinner:.cyan} {prefix:.bold} {render} {msg:.dim}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner())
                .with_key(
                    "render",
                    move |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = w.write_str(&render_text(state.elapsed() + already, expected));
                    },
                );
        let bar = self.0.multi.add(ProgressBar::new_spinner());
        bar.set_style(style);
        bar.set_prefix(plan.label.unwrap_or_else(|| task_id.to_owned()));
        bar.enable_steady_tick(Duration::from_millis(120));
        bars.insert(task_id.to_owned(), bar);
    }

    /// Whether `key` has a bar now.
    pub fn has_bar(&self, key: &str) -> bool {
        self.bars().contains_key(key)
    }

    /// What the render of `task_id` waits for now (`checked 2×`, `retry 1 in 2s: HTTP
    /// 503`): beside its bar on a terminal (starting it if needed), a line otherwise.
    pub fn render_status(&self, task_id: &str, msg: impl Display) {
        let msg = for_terminal(msg);
        match self.0.mode {
            UiMode::Tty => {
                self.start_render(task_id, None);
                if let Some(bar) = self.bars().get(task_id) {
                    bar.set_message(msg);
                }
            }
            UiMode::Plain => {
                self.start_render(task_id, None);
                let progress = lock(&self.0.plans)
                    .get(task_id)
                    .and_then(Plan::progress)
                    .map_or(String::new(), |p| format!(" · {p}"));
                eprintln!("{}: {msg}{progress}", self.label(task_id));
            }
            _ => {}
        }
    }

    /// The overall line of a batch: `3/10 done` (a bar on top, on a terminal).
    pub fn overall(&self, done: usize, total: usize) {
        if self.0.mode != UiMode::Tty {
            return;
        }
        let mut bars = self.bars();
        let bar = bars.entry("overall".to_owned()).or_insert_with(|| {
            let bar = self.0.multi.insert(0, ProgressBar::new(total as u64));
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix:.bold} [{bar:24.green/dim}] {pos}/{len} done {elapsed:.dim}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_prefix("batch");
            bar.enable_steady_tick(Duration::from_millis(500));
            bar
        });
        bar.set_length(total as u64);
        bar.set_position(done as u64);
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

/// The render part of a progress line: `[=====>              ] 7.0s / ~21s`, and once past
/// the expected time `[====================] 25s / ~21s, longer than expected`; just the
/// elapsed time when nothing is expected.
pub fn render_text(elapsed: Duration, expected: Option<Duration>) -> String {
    const WIDTH: usize = 20;
    let Some(exp) = expected.filter(|e| !e.is_zero()) else {
        return format!("rendering {}", short_secs(elapsed));
    };
    let frac = elapsed.as_secs_f64() / exp.as_secs_f64();
    let filled = ((frac.min(1.0)) * WIDTH as f64) as usize;
    let mut bar = "=".repeat(filled);
    if filled < WIDTH {
        bar.push('>');
        bar.push_str(&" ".repeat(WIDTH - filled - 1));
    }
    let late = if frac > 1.0 {
        ", longer than expected"
    } else {
        ""
    };
    format!(
        "[{bar}] {} / ~{}{late}",
        short_secs(elapsed),
        short_secs(exp)
    )
}

/// `0.4s`, `7.0s`, `21s`, `1m 05s`.
fn short_secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 10.0 {
        format!("{s:.1}s")
    } else if s < 60.0 {
        format!("{}s", s.round() as u64)
    } else {
        let t = s.round() as u64;
        format!("{}m {:02}s", t / 60, t % 60)
    }
}

/// `1.2 MB`.
pub fn human_bytes(n: u64) -> String {
    indicatif::HumanBytes(n).to_string()
}

/// A budget as the flags write it: `30/60s`.
fn budget(requests: u32, window_secs: u64) -> String {
    format!("{requests}/{window_secs}s")
}

/// The API's account budget, from seedance-core's rules.
pub fn api_rate() -> String {
    budget(
        seedance_core::rules::RATE_LIMIT_REQUESTS,
        seedance_core::rules::RATE_LIMIT_WINDOW_SECS,
    )
}

/// The API's reference-media budget, from seedance-core's rules.
pub fn api_media_rate() -> String {
    budget(
        seedance_core::rules::MEDIA_RATE_LIMIT_REQUESTS,
        seedance_core::rules::MEDIA_RATE_LIMIT_WINDOW_SECS,
    )
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
    fn render_line_shows_elapsed_against_expected() {
        let s = |e: u64, x: Option<u64>| {
            render_text(Duration::from_millis(e), x.map(Duration::from_millis))
        };
        assert_eq!(s(7_000, Some(21_000)), "[======>             ] 7.0s / ~21s");
        assert_eq!(s(0, Some(21_000)), "[>                   ] 0.0s / ~21s");
        assert_eq!(
            s(25_000, Some(21_000)),
            "[====================] 25s / ~21s, longer than expected"
        );
        assert_eq!(s(65_000, None), "rendering 1m 05s");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(Duration::from_millis(850)), "850ms");
        assert_eq!(human_duration(Duration::from_millis(3200)), "3.2s");
        assert_eq!(human_duration(Duration::from_secs(105)), "1m 45s");
        assert_eq!(human_duration(Duration::from_secs(3725)), "1h 2m 5s");
    }
}
