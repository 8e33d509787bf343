//! The command tree (clap derive). Every flag of the API is here; the commands live in
//! `commands/`.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::PossibleValuesParser;
use clap::{Args, Parser, Subcommand, ValueHint};
use seedance_core::rules::{RateLimit, TimeScale};
use seedance_core::{rules, AspectRatio, Channel, Mode, QualityTier, Resolution};

/// Shown at the end of `seedance --help` (and in the man page).
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  a local problem (file system, journal, emulator could not start)
  2  usage or validation error: nothing was sent
  3  API or network error (the API refused the request, or could not be reached)
  4  the task failed (credits are refunded as the API reports)
  5  timed out waiting, or not finished yet (it may still complete: `seedance wait ID`,
     `seedance resume`)
  130 interrupted (Ctrl-C); the job stays in the journal for `seedance resume`

Environment: every global flag is also a SEEDANCE_* variable (shown in [env: ...]); a
profile of $XDG_CONFIG_HOME/seedance/config.toml can set them too (flag > variable >
profile > default; `seedance config show`).
Put the key in SEEDANCE_API_KEY rather than on the command line; it is never printed.
`-h` shows a command's own options; `--help` also the global options that apply to it;
`seedance help globals` lists every global option.
Try it without a key or network: `seedance demo`.";

/// Generate videos with the Seedance 2 Video API: from a terminal, in batches, with a
/// journal that survives crashes, and an offline demo.
#[derive(Debug, Parser)]
#[command(
    name = "seedance",
    version,
    about = "Generate videos with the Seedance 2 Video API",
    long_about = "Generate videos with the Seedance 2 Video API.\n\n\
        `seedance generate` submits a request, waits for the render and downloads the MP4 and \
        its last frame. Every submit carries an idempotency key and is written to a journal \
        first, so a crash or Ctrl-C never loses a paid render: `seedance resume` picks it up.\n\n\
        Start here (no key, no network): `seedance demo`.",
    after_help = EXIT_CODES_HELP,
    propagate_version = true,
    disable_help_subcommand = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// The API key: never shown by Debug.
#[derive(Clone)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

/// A request budget: `30/60s` (30 requests per 60 seconds) or `off`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RateArg {
    /// This budget (the core's one type, as the client and the emulator hold it).
    Limit(RateLimit),
    /// No limit.
    Off,
}

impl RateArg {
    /// The client's setting this flag asks for.
    pub fn setting(self) -> seedance_http::RateLimitSetting {
        match self {
            RateArg::Limit(r) => seedance_http::RateLimitSetting::Custom(r),
            RateArg::Off => seedance_http::RateLimitSetting::Off,
        }
    }
}

/// A wait bound: a duration (`30m`) or `none`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WaitBound {
    /// Give up after this long.
    After(Duration),
    /// Wait for ever.
    Never,
}

/// Parses a time scale, `0.001` to `1000000`: the core's [`TimeScale`] (Reading R21;
/// clap names the flag in the error).
pub fn parse_time_scale(s: &str) -> Result<TimeScale, String> {
    seedance_http::env::parse_time_scale(s)
}

/// Parses `90`, `90s`, `1m30s`, `500ms`, `2h` (the client's parser: flags and
/// `SEEDANCE_*` variables read the same everywhere; range-checked, Reading R21).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    seedance_http::env::parse_duration(s)
}

/// Parses a video length: `5` or `5s` (whole seconds; the range is checked by the core's rules).
pub fn parse_seconds(s: &str) -> Result<u32, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("seconds")
        .or_else(|| t.strip_suffix("secs"))
        .or_else(|| t.strip_suffix("sec"))
        .or_else(|| t.strip_suffix('s'))
        .unwrap_or(t)
        .trim();
    t.parse().map_err(|_| {
        format!(
            "expected whole seconds, {}–{} (e.g. 5 or 5s)",
            rules::DURATION_MIN_SECS,
            rules::DURATION_MAX_SECS
        )
    })
}

/// Parses a boolean flag's variable the way shells and CI systems write it:
/// `1/0`, `yes/no`, `on/off`, `true/false` (any case, empty is false); errors name the
/// variable.
pub fn bool_var(
    var: &'static str,
) -> impl Fn(&str) -> Result<bool, String> + Clone + Send + Sync + 'static {
    move |s: &str| match s.trim().to_ascii_lowercase().as_str() {
        "1" | "yes" | "y" | "on" | "true" => Ok(true),
        "" | "0" | "no" | "n" | "off" | "false" => Ok(false),
        _ => Err(format!(
            "{var} (or the flag) takes 1/0, yes/no, on/off or true/false"
        )),
    }
}

/// A boolean variable that only some commands read (`SEEDANCE_NO_JOURNAL`), parsed
/// leniently: clap reads every global's variable for every command, so a value that is no
/// boolean is kept here and refused, naming the variable, only by a command it applies to
/// ([`Toggle::get`]); `seedance prompt lint` never trips over it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Toggle {
    /// Not set, or false.
    #[default]
    Off,
    /// The flag, or a true value of the variable.
    On,
    /// A value of the variable that is no boolean: the message saying so.
    Invalid(String),
}

impl Toggle {
    /// The setting, or the message naming the variable (a usage error).
    pub fn get(&self) -> Result<bool, String> {
        match self {
            Toggle::Off => Ok(false),
            Toggle::On => Ok(true),
            Toggle::Invalid(msg) => Err(msg.clone()),
        }
    }
}

/// [`bool_var`] that never fails at parse time: see [`Toggle`].
pub fn toggle_var(
    var: &'static str,
) -> impl Fn(&str) -> Result<Toggle, String> + Clone + Send + Sync + 'static {
    let strict = bool_var(var);
    move |s: &str| {
        Ok(match strict(s) {
            Ok(true) => Toggle::On,
            Ok(false) => Toggle::Off,
            Err(e) => Toggle::Invalid(format!("invalid value {s:?}: {e}")),
        })
    }
}

/// Parses `30m` / `none`.
pub fn parse_wait_bound(s: &str) -> Result<WaitBound, String> {
    seedance_http::env::parse_wait_timeout(s).map(|b| b.map_or(WaitBound::Never, WaitBound::After))
}

/// Parses `30/60s`, `30/1m`, `3/60` or `off` (the client's parser).
pub fn parse_rate(s: &str) -> Result<RateArg, String> {
    seedance_http::env::parse_rate_limit(s).map(|r| match r {
        Some(r) => RateArg::Limit(r),
        None => RateArg::Off,
    })
}

/// Checks an Idempotency-Key by the core's rule (Reading R26), before anything is sent.
pub fn parse_idempotency_key(s: &str) -> Result<String, String> {
    rules::check_idempotency_key(s)
        .map(|()| s.to_owned())
        .map_err(|e| e.to_string())
}

/// Parses `machine`, `process`, `machine:DIR`, `redis://…` (the client's parser).
pub fn parse_budget_scope(s: &str) -> Result<seedance_http::BudgetScope, String> {
    seedance_http::BudgetScope::parse(s)
}

/// Parses a `--shot` value: `action|camera|0-3` (camera and timing optional).
pub fn parse_shot(s: &str) -> Result<ShotArg, String> {
    let mut parts = s.splitn(3, '|');
    let action = parts.next().unwrap_or_default().trim().to_owned();
    if action.is_empty() {
        return Err(format!(
            "{s:?}: a shot needs an action, as \"action|camera|0-3\" (camera and timing optional)"
        ));
    }
    let camera = parts
        .next()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    let timing = match parts.next().map(str::trim).filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => {
            let t = t.trim_end_matches('s');
            let (a, b) = t
                .split_once('-')
                .ok_or_else(|| format!("{s:?}: the timing must look like 0-3 (seconds)"))?;
            let a: f64 = a
                .trim()
                .trim_end_matches('s')
                .parse()
                .map_err(|_| format!("{s:?}: {a:?} is not a number of seconds"))?;
            let b: f64 = b
                .trim()
                .parse()
                .map_err(|_| format!("{s:?}: {b:?} is not a number of seconds"))?;
            if !(a >= 0.0 && b > a && b.is_finite()) {
                return Err(format!(
                    "{s:?}: the timing must run forward from 0 or later, e.g. 0-3"
                ));
            }
            Some((a, b))
        }
    };
    Ok(ShotArg {
        action,
        camera,
        timing,
    })
}

/// One `--shot`.
#[derive(Clone, Debug, PartialEq)]
pub struct ShotArg {
    /// What happens in the shot.
    pub action: String,
    /// The camera for the shot.
    pub camera: Option<String>,
    /// Start and end, in seconds.
    pub timing: Option<(f64, f64)>,
}

/// `--max-retries`'s long help: what is retried, in the core's words (Reading R27).
fn retry_help() -> String {
    format!(
        "Retries of a failed request: {}. Submits are retried with the same idempotency key, \
         so they are never charged twice",
        rules::RETRY_SUMMARY
    )
}

/// `1080p-plus and 4k`: the resolutions that need the pro tier.
fn pro_only_resolutions() -> String {
    let names: Vec<&str> = Resolution::ALL
        .iter()
        .filter(|r| r.needs_pro())
        .map(Resolution::as_str)
        .collect();
    match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => "none".to_owned(),
    }
}

fn wire_values<T: 'static>(
    all: &'static [T],
    f: fn(&'static T) -> &'static str,
) -> PossibleValuesParser {
    PossibleValuesParser::new(all.iter().map(f))
}

fn modes() -> PossibleValuesParser {
    wire_values(Mode::ALL, Mode::as_str)
}
fn tiers() -> PossibleValuesParser {
    wire_values(QualityTier::ALL, QualityTier::as_str)
}
fn channels() -> PossibleValuesParser {
    wire_values(Channel::ALL, Channel::as_str)
}
fn aspect_ratios() -> PossibleValuesParser {
    wire_values(AspectRatio::ALL, AspectRatio::as_str)
}
fn resolutions() -> PossibleValuesParser {
    wire_values(Resolution::ALL, Resolution::as_str)
}

/// Flags every command takes (each also a `SEEDANCE_*` variable).
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// The profile of the config file to use ($XDG_CONFIG_HOME/seedance/config.toml;
    /// `seedance config show` shows what it sets) [default: its `default_profile`, or a
    /// profile named `default`].
    #[arg(
        long,
        global = true,
        hide_short_help = true,
        env = "SEEDANCE_PROFILE",
        value_name = "NAME"
    )]
    pub profile: Option<String>,

    /// Where every setting came from (filled in after parsing).
    #[arg(skip)]
    pub provenance: crate::provenance::Provenance,

    /// API key (prefer the SEEDANCE_API_KEY variable: flags are visible to other users in
    /// `ps`). Never printed.
    #[arg(
        long,
        global = true,
        hide_short_help = true,
        env = "SEEDANCE_API_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub api_key: Option<Secret>,

    /// Whether `--api-key` was given on the command line (filled in after parsing): the
    /// client warns then, where the key is used.
    #[arg(skip)]
    pub api_key_on_command_line: bool,

    /// API origin [default: https://seedance2ai.io].
    #[arg(long, global = true, hide_short_help = true, env = "SEEDANCE_BASE_URL", hide_env_values = true, value_name = "URL", value_hint = ValueHint::Url)]
    pub base_url: Option<String>,

    /// Timeout of one HTTP request (e.g. 30s).
    #[arg(long, global = true, hide_short_help = true, env = "SEEDANCE_TIMEOUT", hide_env_values = true, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,

    /// Timeout for opening a connection (e.g. 10s).
    #[arg(long, global = true, hide_short_help = true, env = "SEEDANCE_CONNECT_TIMEOUT", hide_env_values = true, value_name = "DURATION", value_parser = parse_duration)]
    pub connect_timeout: Option<Duration>,

    /// Retries of a failed request; submits are retried with the same idempotency key, so
    /// they are never charged twice.
    #[arg(
        long,
        global = true,
        hide_short_help = true,
        env = "SEEDANCE_MAX_RETRIES",
        hide_env_values = true,
        value_name = "N",
        long_help = retry_help()
    )]
    pub max_retries: Option<u32>,

    /// Request budget of the account shared by every request this process makes
    /// [default: the API's limit]. `off` to disable.
    #[arg(long, global = true, hide_short_help = true, env = "SEEDANCE_RATE_LIMIT", hide_env_values = true, value_name = "N/WINDOW", value_parser = parse_rate,
          help = format!("Request budget of the account shared by every request this process makes [default: {}, the API's limit]. `off` to disable", crate::ui::api_rate()))]
    pub rate_limit: Option<RateArg>,

    /// Budget of submits carrying reference media [default: the API's limit]. `off` to
    /// disable.
    #[arg(long, global = true, hide_short_help = true, env = "SEEDANCE_MEDIA_RATE_LIMIT", hide_env_values = true, value_name = "N/WINDOW", value_parser = parse_rate,
          help = format!("Budget of submits carrying reference media [default: {}]. `off` to disable", crate::ui::api_media_rate()))]
    pub media_rate_limit: Option<RateArg>,

    /// Who shares the request budget of the account: `machine` (every process of this
    /// machine, kept in the data dir), `process` (this process only), `machine:DIR`, or
    /// `redis://[:PASSWORD@]HOST:PORT/DB` (`rediss://` for TLS) for several machines
    /// [default: machine].
    #[arg(long, global = true, env = "SEEDANCE_BUDGET", hide_env_values = true, value_name = "SCOPE", value_parser = parse_budget_scope)]
    pub budget: Option<seedance_http::BudgetScope>,

    /// The render time to expect: the first poll comes just after it [default: from the
    /// request's tier, resolution and duration; the client's default for a task known only
    /// by id].
    #[arg(long, global = true, hide_short_help = true, env = "SEEDANCE_EXPECTED_RENDER", hide_env_values = true, value_name = "DURATION", value_parser = parse_duration,
          help = format!("The render time to expect: the first poll comes just after it [default: from the request's tier, resolution and duration; {} for a task known only by id]",
                         humantime::format_duration(seedance_http::PollSchedule::default().default_expected)))]
    pub expected_render: Option<Duration>,

    /// Shortest pause between polls of one task after the first.
    #[arg(long, global = true, hide_short_help = true, env = "SEEDANCE_POLL_INTERVAL", hide_env_values = true, value_name = "DURATION", value_parser = parse_duration)]
    pub poll_interval: Option<Duration>,

    /// Longest pause between polls of one task (the backoff cap).
    #[arg(long, global = true, hide_short_help = true, env = "SEEDANCE_POLL_MAX_INTERVAL", hide_env_values = true, value_name = "DURATION", value_parser = parse_duration)]
    pub poll_max_interval: Option<Duration>,

    /// Divide the expected render times by this factor (for an emulator started with
    /// `--time-scale`).
    #[arg(
        long,
        global = true, hide_short_help = true,
        env = "SEEDANCE_TIME_SCALE",
        hide_env_values = true,
        value_name = "FACTOR",
        value_parser = parse_time_scale
    )]
    pub render_time_scale: Option<TimeScale>,

    /// Give up waiting for a task after this long (`none` waits for ever) [default: the
    /// client's wait bound].
    #[arg(long, global = true, hide_short_help = true, env = "SEEDANCE_WAIT_TIMEOUT", hide_env_values = true, value_name = "DURATION|none", value_parser = parse_wait_bound,
          help = format!("Give up waiting for a task after this long (`none` waits for ever) [default: {}]",
                         humantime::format_duration(seedance_http::DEFAULT_WAIT_TIMEOUT)))]
    pub wait_timeout: Option<WaitBound>,

    /// The job store, a SQLite database shared by every seedance process (on by default;
    /// a .jsonl path, an old journal, is imported into the .sqlite3 file beside it)
    /// [default: $XDG_DATA_HOME/seedance/jobs.sqlite3, i.e. ~/.local/share/seedance/jobs.sqlite3].
    #[arg(long, global = true, hide_short_help = true, env = "SEEDANCE_JOURNAL", hide_env_values = true, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub journal: Option<PathBuf>,

    /// Do not keep a journal (a crash then loses track of a paid render); wins over
    /// --journal.
    #[arg(
        long,
        global = true, hide_short_help = true,
        env = "SEEDANCE_NO_JOURNAL",
        hide_env_values = true,
        action = clap::ArgAction::SetTrue,
        required = false,
        value_parser = toggle_var("SEEDANCE_NO_JOURNAL")
    )]
    pub no_journal: Toggle,

    /// Print only the result, as JSON, on stdout (no progress, no messages).
    #[arg(long, global = true, env = "SEEDANCE_JSON", hide_env_values = true, value_parser = bool_var("SEEDANCE_JSON"))]
    pub json: bool,

    /// Print only the result (no progress).
    #[arg(
        short,
        long,
        global = true,
        env = "SEEDANCE_QUIET",
        hide_env_values = true,
        value_parser = bool_var("SEEDANCE_QUIET")
    )]
    pub quiet: bool,

    /// More logging on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render a video: submit, wait, download (the MP4 and its last frame).
    #[command(
        long_about = "Render a video: submit a request, wait for it and download the MP4 and its \
            last frame.\n\n\
            The prompt is --prompt / --prompt-file, or is built from the director flags \
            (--subject, --action, --scene, --camera, --style, --shot, --constraint, and the \
            reference roles --opening-frame, --closing-frame, --character-ref, --motion-ref, \
            --style-ref, --source-video, --extend-from) following the provider's prompt guide. \
            See the result without sending anything with --dry-run.",
        after_help = "Examples:\n  \
            seedance generate --prompt \"A glass train crosses a snowy mountain bridge at dawn\" -o out/\n  \
            seedance generate --subject \"a red fox\" --action \"trots through fresh snow\" \\\n    \
              --scene \"a birch forest at dawn\" --camera \"slow dolly-in\" --style \"35mm film, soft light\" \\\n    \
              --quality-tier pro --resolution 1080p --duration 8 -o fox.mp4\n  \
            seedance generate --opening-frame https://example.com/start.png \\\n    \
              --action \"the kite lifts off\" --no-wait --json"
    )]
    Generate(Box<GenerateArgs>),

    /// Show a task's status.
    Status(StatusArgs),

    /// Wait for a task to finish (and download it with -o).
    Wait(WaitArgs),

    /// Download a finished task's video and last frame.
    Download(DownloadArgs),

    /// Finish the unfinished jobs of the job store (after a crash, Ctrl-C or --no-wait).
    Resume(ResumeArgs),

    /// The history of the job store: list (--state, --origin, --since), `jobs show ID|KEY`,
    /// `jobs forget ID|KEY`.
    #[command(
        after_help = "Examples:\n  seedance jobs\n  seedance jobs --state sent --state submitted --json\n  seedance jobs show sd2_abc123\n  seedance jobs forget 3f0c…-key"
    )]
    Jobs(JobsArgs),

    /// Render many jobs from a JSON Lines file, inside the rate budget; safe to re-run.
    #[command(long_about = BATCH_HELP)]
    Batch(BatchArgs),

    /// Write and check prompts (lint free-form prompts, build director prompts).
    #[command(subcommand)]
    Prompt(PromptCommand),

    /// Serve the local Seedance emulator (API + CDN) for offline work and tests.
    Emulator(EmulatorArgs),

    /// Render a director prompt end to end against an embedded emulator: no key, no network.
    Demo(DemoArgs),

    /// Show the account's use of its request budget (slots in flight and in their window,
    /// the next free slot, any pause after a 429), from the backend in use.
    #[command(
        after_help = "Examples:\n  seedance budget\n  seedance budget --budget redis://10.0.0.5:6379/0 --json"
    )]
    Budget,

    /// Print a shell completion script.
    #[command(
        after_help = "Example: seedance completions bash > ~/.local/share/bash-completion/completions/seedance"
    )]
    Completions(CompletionsArgs),

    /// Print the man page (or write one page per command into a directory).
    Man(ManArgs),

    /// Show the config file's profile in use and where every setting comes from (flag,
    /// variable, profile or default); never the key.
    #[command(subcommand)]
    Config(ConfigCommand),

    /// Print the help of a command (`seedance help prompt lint`), or of every global
    /// option (`seedance help globals`).
    Help(HelpArgs),
}

/// `config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Every setting with its value and where it came from (never the key).
    Show,
    /// Print the config file's path.
    Path,
}

/// Arguments of `help`.
#[derive(Debug, Args)]
pub struct HelpArgs {
    /// `globals`, or a command (`generate`, `prompt lint`, …) [default: the overview].
    #[arg(value_name = "TOPIC")]
    pub topic: Vec<String>,
}

const BATCH_HELP: &str = "\
Render many jobs from a JSON Lines file: one JSON object per line, with the API's request \
fields (prompt, mode, quality_tier, channel, aspect_ratio, duration, resolution, image_url, \
end_image_url, media_urls, generate_audio, fixed_lens, seed; duration may be a number) and \
optionally:
  \"director\"        a director prompt instead of \"prompt\" (subject, action, scene, camera,
                    style, shots, constraints, references, intent)
  \"name\"            a label for the job (also the file name of its outputs)
  \"idempotency_key\" the job's key (default: derived from the line's request and position)
Blank lines and lines starting with # are skipped.

Every line is validated before anything is sent (exit 2 names the line and the field). Jobs \
are submitted and waited for together inside the account's rate budget. On a terminal each \
job shows its progress under its name, with an overall `3/10 done` bar, and a line per job as \
it finishes; with --json or when stdout is not a terminal, the results are JSON lines, one \
per job, as they finish (then a summary with --json). Re-running the same file \
pays nothing twice: each job's idempotency key is stable, finished jobs are found in the \
journal, and the API replays a repeated submit instead of charging again.";

/// Arguments of `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub prompt: PromptSource,

    #[command(flatten)]
    pub request: RequestArgs,

    #[command(flatten)]
    pub director: DirectorArgs,

    /// Return after the submit (the job stays in the job store: `seedance resume` saves
    /// it later where -o, or the current directory, says; or `seedance wait ID -o PATH`).
    #[arg(long, help_heading = "Output")]
    pub no_wait: bool,

    /// Where to save the video [default: the current directory]: a file (x.mp4), or a
    /// directory for <task id>.mp4 (a path ending in /, an existing directory, or a name
    /// without an extension); the last frame goes beside it (<name>_last_frame.png).
    /// Checked before anything is paid.
    #[arg(short, long, value_name = "PATH", help_heading = "Output", value_hint = ValueHint::AnyPath, conflicts_with = "no_download")]
    pub output: Option<PathBuf>,

    /// Do not download: print the video's URL (it expires) instead.
    #[arg(long, help_heading = "Output")]
    pub no_download: bool,

    /// The submit's Idempotency-Key [default: a new random key, kept in the journal].
    /// Re-running with the same key and request returns the same task and charges nothing.
    /// 1–255 visible ASCII characters.
    #[arg(long, value_name = "KEY", help_heading = "Output", value_parser = parse_idempotency_key)]
    pub idempotency_key: Option<String>,

    /// Print the request that would be sent (as JSON) and send nothing.
    #[arg(long, help_heading = "Output")]
    pub dry_run: bool,
}

/// `--prompt` / `--prompt-file`.
#[derive(Debug, Args)]
#[group(multiple = false)]
pub struct PromptSource {
    /// The prompt (its length limits come from seedance-core's rules).
    #[arg(short, long, value_name = "TEXT", help_heading = "Prompt",
          help = format!("The prompt ({}–{} characters)", rules::PROMPT_MIN_CHARS, rules::PROMPT_MAX_CHARS))]
    pub prompt: Option<String>,

    /// Read the prompt from a file (`-` for stdin).
    #[arg(long, value_name = "FILE", help_heading = "Prompt", value_hint = ValueHint::FilePath)]
    pub prompt_file: Option<PathBuf>,
}

/// The API's request fields.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Request")]
pub struct RequestArgs {
    /// `mode` [default: text-to-video; image-to-video when --image-url/--opening-frame is
    /// given; media-to-video when --media-url or a reference role is given].
    #[arg(long, value_parser = modes())]
    pub mode: Option<String>,

    /// The config profile's `mode`: a default, used only when neither `--mode`, the
    /// director prompt nor the references give one (Reading R25). Set by the profile, not
    /// by hand, hence hidden.
    #[arg(long, value_parser = modes(), hide = true)]
    pub default_mode: Option<String>,

    /// `quality_tier` [default: standard].
    #[arg(long, value_parser = tiers())]
    pub quality_tier: Option<String>,

    /// `channel` [default: standard].
    #[arg(long, value_parser = channels())]
    pub channel: Option<String>,

    /// `aspect_ratio` [default: 16:9].
    #[arg(long, value_parser = aspect_ratios())]
    pub aspect_ratio: Option<String>,

    /// `duration` in seconds (range and default from seedance-core's rules).
    #[arg(long, value_parser = parse_seconds, value_name = "SECONDS",
          help = format!("`duration` in seconds, {}–{} [default: {}]", rules::DURATION_MIN_SECS, rules::DURATION_MAX_SECS, rules::DURATION_DEFAULT_SECS))]
    pub duration: Option<u32>,

    /// `resolution` [default: 720p]; some need --quality-tier pro (from seedance-core).
    #[arg(long, value_parser = resolutions(),
          help = format!("`resolution` [default: 720p]; {} need --quality-tier pro", pro_only_resolutions()))]
    pub resolution: Option<String>,

    /// `image_url`: the opening frame (public https URL; image-to-video).
    #[arg(long, value_name = "URL", value_hint = ValueHint::Url)]
    pub image_url: Option<String>,

    /// `end_image_url`: the closing frame (public https URL; image-to-video).
    #[arg(long, value_name = "URL", value_hint = ValueHint::Url)]
    pub end_image_url: Option<String>,

    /// One of `media_urls` (repeatable, up to seedance-core's maximum; media-to-video).
    #[arg(long = "media-url", value_name = "URL", value_hint = ValueHint::Url,
          help = format!("One of `media_urls` (repeatable, at most {}; media-to-video)", rules::MEDIA_URLS_MAX))]
    pub media_urls: Vec<String>,

    /// `generate_audio: false` (no soundtrack).
    #[arg(long)]
    pub no_audio: bool,

    /// `fixed_lens: true` (lock the camera lens).
    #[arg(long)]
    pub fixed_lens: bool,

    /// `seed` (range and where it is refused from seedance-core's rules).
    #[arg(long, allow_negative_numbers = true,
          help = format!("`seed`: {} (random) to {}; not on --channel real nor --quality-tier mini", rules::SEED_MIN, rules::SEED_MAX))]
    pub seed: Option<i64>,
}

/// The director-prompt flags (the provider's prompt guide as flags).
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "Director prompt")]
pub struct DirectorArgs {
    /// Load a director prompt from JSON (seedance_core::DirectorPrompt: subject, action,
    /// scene, camera, style, shots, constraints, references, intent); flags add to it.
    #[arg(long, value_name = "FILE.json", value_hint = ValueHint::FilePath)]
    pub director_file: Option<PathBuf>,

    /// Who or what the clip is about.
    #[arg(long, value_name = "TEXT")]
    pub subject: Option<String>,

    /// What the subject does.
    #[arg(long, value_name = "TEXT")]
    pub action: Option<String>,

    /// Where it happens (place, time, weather, light).
    #[arg(long, value_name = "TEXT")]
    pub scene: Option<String>,

    /// Camera motion (e.g. "slow dolly-in", "handheld tracking shot").
    #[arg(long, value_name = "TEXT")]
    pub camera: Option<String>,

    /// Visual style (e.g. "35mm film, soft golden light").
    #[arg(long, value_name = "TEXT")]
    pub style: Option<String>,

    /// An ordered shot, repeatable: "action|camera|0-3" (camera and timing in seconds
    /// optional).
    #[arg(long = "shot", value_name = "ACTION|CAMERA|START-END", value_parser = parse_shot)]
    pub shots: Vec<ShotArg>,

    /// An extra constraint, repeatable (e.g. "keep the logo on the mug readable").
    #[arg(long = "constraint", value_name = "TEXT")]
    pub constraints: Vec<String>,

    /// Leave out the guide's default constraints (stable faces, natural motion, no
    /// deformation, no watermark, no logo, no subtitles).
    #[arg(long)]
    pub no_default_constraints: bool,

    /// Subtitles are intended (drops "no subtitles" from the default constraints).
    #[arg(long)]
    pub subtitles: bool,

    /// The opening frame (public https URL → `image_url`).
    #[arg(long, value_name = "URL", value_hint = ValueHint::Url)]
    pub opening_frame: Option<String>,

    /// The closing frame (public https URL → `end_image_url`).
    #[arg(long, value_name = "URL", value_hint = ValueHint::Url)]
    pub closing_frame: Option<String>,

    /// A character reference (→ `media_urls`), repeatable.
    #[arg(long = "character-ref", value_name = "URL", value_hint = ValueHint::Url)]
    pub character_refs: Vec<String>,

    /// A motion reference (→ `media_urls`), repeatable.
    #[arg(long = "motion-ref", value_name = "URL", value_hint = ValueHint::Url)]
    pub motion_refs: Vec<String>,

    /// A style reference (→ `media_urls`), repeatable.
    #[arg(long = "style-ref", value_name = "URL", value_hint = ValueHint::Url)]
    pub style_refs: Vec<String>,

    /// A source video to edit (→ `media_urls`; the prompt says "strictly edit the supplied
    /// source video").
    #[arg(long, value_name = "URL", value_hint = ValueHint::Url)]
    pub source_video: Option<String>,

    /// A previous clip to extend (→ `media_urls`; the prompt says "continue from the
    /// supplied previous clip").
    #[arg(long, value_name = "URL", value_hint = ValueHint::Url)]
    pub extend_from: Option<String>,
}

impl DirectorArgs {
    /// Whether any director flag that writes prompt text is set.
    pub fn has_text(&self) -> bool {
        self.director_file.is_some()
            || self.subject.is_some()
            || self.action.is_some()
            || self.scene.is_some()
            || self.camera.is_some()
            || self.style.is_some()
            || !self.shots.is_empty()
            || !self.constraints.is_empty()
    }

    /// Whether any reference role is set.
    pub fn has_references(&self) -> bool {
        self.opening_frame.is_some()
            || self.closing_frame.is_some()
            || !self.character_refs.is_empty()
            || !self.motion_refs.is_empty()
            || !self.style_refs.is_empty()
            || self.source_video.is_some()
            || self.extend_from.is_some()
    }

    /// Whether any director flag is set.
    pub fn is_used(&self) -> bool {
        self.has_text() || self.has_references() || self.no_default_constraints || self.subtitles
    }
}

/// Arguments of `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The task id (sd2_…).
    pub id: String,
}

/// Arguments of `wait`.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// The task id (sd2_…).
    pub id: String,

    /// Download the video (file or directory) and its last frame when it completes.
    #[arg(short, long, value_name = "PATH", value_hint = ValueHint::AnyPath)]
    pub output: Option<PathBuf>,
}

/// Arguments of `download`.
#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// The task id (sd2_…).
    pub id: String,

    /// Where to save the video (a .mp4 file or a directory) [default: the current
    /// directory]; the last frame goes beside it.
    #[arg(short, long, value_name = "PATH", value_hint = ValueHint::AnyPath)]
    pub output: Option<PathBuf>,
}

/// Arguments of `resume`.
#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// Where to save the videos of jobs that had no output path (jobs given one are saved
    /// there). Without -o, those jobs are finished but not downloaded: their URLs are
    /// printed.
    #[arg(short, long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub output: Option<PathBuf>,

    /// Only list the unfinished jobs; send nothing.
    #[arg(long)]
    pub list: bool,

    /// Also re-send jobs whose submit went out longer ago than the server is assumed to
    /// remember idempotency keys (24 h) and whose answer was lost: the server may have
    /// forgotten the key, so this may create and charge a second task.
    #[arg(long)]
    pub resubmit_stale: bool,
}

/// Arguments of `jobs`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct JobsArgs {
    /// `show` or `forget` a job (without one: the list).
    #[command(subcommand)]
    pub action: Option<JobsAction>,

    /// Only jobs in this state (pending, sent, submitted, completed, downloaded, failed,
    /// interrupted, forgotten); may be repeated.
    #[arg(long, value_name = "STATE", value_parser = parse_state)]
    pub state: Vec<seedance_http::JobState>,

    /// Only jobs sent to this API origin (e.g. https://api.example.com).
    #[arg(long, value_name = "URL")]
    pub origin: Option<String>,

    /// Only jobs written at most this long ago (e.g. 2h, 3d).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub since: Option<Duration>,

    /// Only jobs written at least this long ago.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub before: Option<Duration>,

    /// Only jobs `seedance resume` still has work for.
    #[arg(long)]
    pub unfinished: bool,
}

/// `jobs show` and `jobs forget`.
#[derive(Debug, Subcommand)]
pub enum JobsAction {
    /// Everything the store knows of a job (by task id, idempotency key or #row).
    Show {
        /// A task id, an idempotency key, or a row number (#12).
        id: String,
    },
    /// Put a job aside: kept as history, never resumed (for stuck or unwanted jobs).
    Forget {
        /// A task id, an idempotency key, or a row number (#12).
        id: String,
    },
}

pub fn parse_state(s: &str) -> Result<seedance_http::JobState, String> {
    seedance_http::JobState::parse(&s.to_ascii_lowercase()).ok_or_else(|| {
        format!(
            "unknown state {s:?} (pending, sent, submitted, completed, downloaded, failed, \
             interrupted, forgotten)"
        )
    })
}

/// Arguments of `batch`.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// The jobs, one JSON object per line (`-` for stdin).
    #[arg(value_name = "FILE.jsonl", value_hint = ValueHint::FilePath)]
    pub file: PathBuf,

    /// Directory for the outputs (<name or task id>.mp4 and <name or task id>_last_frame.png)
    /// [default: the current directory].
    #[arg(short, long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub output: Option<PathBuf>,

    /// Submit and wait without downloading.
    #[arg(long)]
    pub no_download: bool,

    /// Validate every line, print the requests, send nothing.
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub defaults: LineDefaults,
}

/// Request fields for the lines of a batch file that do not give them. Precedence: the
/// line's field > these flags > the config profile's value > the server's default.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Defaults for lines without the field")]
pub struct LineDefaults {
    /// `mode` of the lines without one.
    #[arg(long, value_parser = modes())]
    pub mode: Option<String>,

    /// `quality_tier` of the lines without one.
    #[arg(long, value_parser = tiers())]
    pub quality_tier: Option<String>,

    /// `channel` of the lines without one.
    #[arg(long, value_parser = channels())]
    pub channel: Option<String>,

    /// `aspect_ratio` of the lines without one.
    #[arg(long, value_parser = aspect_ratios())]
    pub aspect_ratio: Option<String>,

    /// `duration` in seconds of the lines without one (range from seedance-core's rules).
    #[arg(long, value_parser = parse_seconds, value_name = "SECONDS",
          help = format!("`duration` in seconds ({}–{}) of the lines without one", rules::DURATION_MIN_SECS, rules::DURATION_MAX_SECS))]
    pub duration: Option<u32>,

    /// `resolution` of the lines without one.
    #[arg(long, value_parser = resolutions())]
    pub resolution: Option<String>,
}

/// `prompt …`.
#[derive(Debug, Subcommand)]
pub enum PromptCommand {
    /// Check a free-form prompt against the provider's guide (asset:// URLs, raw asset ids,
    /// in-app labels such as @image1, empty shots, length). Exit 2 when it finds something.
    Lint(PromptLintArgs),

    /// Build a director prompt from flags and print it (with --json: the request fields it
    /// fills, prompt, mode and reference URLs).
    Build(Box<PromptBuildArgs>),
}

/// Arguments of `prompt lint`.
#[derive(Debug, Args)]
pub struct PromptLintArgs {
    /// The prompt (or use --prompt-file; `-` reads stdin).
    #[arg(value_name = "PROMPT", conflicts_with = "prompt_file")]
    pub text: Option<String>,

    /// Read the prompt from a file (`-` for stdin).
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub prompt_file: Option<PathBuf>,
}

/// Arguments of `prompt build`.
#[derive(Debug, Args)]
pub struct PromptBuildArgs {
    #[command(flatten)]
    pub director: DirectorArgs,

    /// The video's length in seconds: shot timings must fit in it, as `generate` checks
    /// (range and default from seedance-core's rules).
    #[arg(long, value_parser = parse_seconds, value_name = "SECONDS",
          help = format!("The video's length, {}–{} [default: {}]: shot timings must fit in it, as `generate --duration` checks", rules::DURATION_MIN_SECS, rules::DURATION_MAX_SECS, rules::DURATION_DEFAULT_SECS))]
    pub duration: Option<u32>,
}

/// Arguments of `emulator`: the emulator's own flag set, the same struct the
/// `seedance-emulator` binary parses (one front door, issue 9).
pub use seedance_emulator::EmulatorArgs;

/// `seedance demo`'s default `--time-scale`: 60 turns the model's 1m 45s into under 2 s.
pub const DEMO_TIME_SCALE: TimeScale = match TimeScale::new_const(60.0) {
    Some(s) => s,
    None => panic!("60 is a time scale"),
};

/// Arguments of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to save the MP4 and its last frame.
    #[arg(short, long, value_name = "DIR", default_value = "seedance-demo", value_hint = ValueHint::DirPath)]
    pub output: PathBuf,

    /// Divide the simulated render time by this (the real API takes minutes; 60 turns
    /// 1m 45s into under 2 s).
    #[arg(long, default_value_t = DEMO_TIME_SCALE, value_name = "FACTOR", value_parser = parse_time_scale)]
    pub time_scale: TimeScale,
}

/// Arguments of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write seedance.1 and one page per command (seedance-generate.1, …) into this
    /// directory instead of printing seedance.1.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub out_dir: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_tree_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn shots_parse() {
        let s = parse_shot("the fox jumps|low angle tracking|0-3").unwrap();
        assert_eq!(s.action, "the fox jumps");
        assert_eq!(s.camera.as_deref(), Some("low angle tracking"));
        assert_eq!(s.timing, Some((0.0, 3.0)));
        let s = parse_shot("the fox lands").unwrap();
        assert_eq!(s.camera, None);
        assert_eq!(s.timing, None);
        let s = parse_shot("lands||3s-5.5s").unwrap();
        assert_eq!(s.camera, None);
        assert_eq!(s.timing, Some((3.0, 5.5)));
        assert!(parse_shot("|camera|0-3").is_err());
        assert!(parse_shot("a|b|3-1").is_err());
        assert!(parse_shot("a|b|x").is_err());
    }

    #[test]
    fn rates_and_durations_parse() {
        assert_eq!(
            parse_rate("30/60s").unwrap(),
            RateArg::Limit(RateLimit::ACCOUNT)
        );
        assert_eq!(
            parse_rate("3/1m").unwrap(),
            RateArg::Limit(RateLimit::MEDIA)
        );
        assert_eq!(
            parse_rate("5/250ms").unwrap(),
            RateArg::Limit(RateLimit::new(5, Duration::from_millis(250)))
        );
        assert_eq!(parse_rate("off").unwrap(), RateArg::Off);
        assert_eq!(
            RateArg::Limit(RateLimit::MEDIA).setting(),
            seedance_http::RateLimitSetting::Custom(RateLimit::MEDIA)
        );
        assert_eq!(RateArg::Off.setting(), seedance_http::RateLimitSetting::Off);
        assert!(parse_rate("thirty/60s").is_err());
        assert!(parse_rate("0/60s").is_err());
        assert!(parse_rate("30/0s").is_err());
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("0.5").unwrap(), Duration::from_millis(500));
        assert!(parse_duration("soon").is_err());
        assert_eq!(parse_wait_bound("none").unwrap(), WaitBound::Never);
    }
}
