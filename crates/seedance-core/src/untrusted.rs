//! Readings R19–R24: how everything that arrives over the network (ids, headers, sizes,
//! messages) and every duration a user types is read, with limits. Re-exported from
//! [`crate::rules`]; the readings themselves are listed at the top of `rules.rs`.
//!
//! Nothing here panics, whatever the input (property-tested in `tests/props.rs`).

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

/// Most characters of a task id (Reading R19).
pub const TASK_ID_MAX_LEN: usize = 128;

/// Why a string is not a task id (Reading R19).
///
/// ```
/// use seedance_core::rules::check_task_id;
/// let e = check_task_id("../escaped").unwrap_err();
/// assert!(e.to_string().contains("\"../escaped\""));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{shown} is not a task id (Reading R19: 1 to {max} characters of A-Z, a-z, 0-9, _ and -)", max = TASK_ID_MAX_LEN)]
#[non_exhaustive]
pub struct InvalidTaskId {
    /// The offending value, quoted, escaped and cut to a readable length.
    pub shown: String,
}

/// Reading R19: a task id is 1 to [`TASK_ID_MAX_LEN`] characters of `A-Z a-z 0-9 _ -`
/// (the API's ids are `sd2_…`, `gpt2_…`, `nbp_…`). Anything else (a path, a dot, a
/// slash, a control character) is refused where it enters, so an id can name a file
/// and a URL path segment safely.
///
/// ```
/// use seedance_core::rules::check_task_id;
/// assert!(check_task_id("sd2_AbC-09").is_ok());
/// for bad in ["", "../up", "/etc/passwd", "sd2_ok/../../up", "a.pth", "a\u{1b}]0;x", "C:x"] {
///     assert!(check_task_id(bad).is_err(), "{bad}");
/// }
/// assert!(check_task_id(&"a".repeat(129)).is_err());
/// ```
pub fn check_task_id(id: &str) -> Result<(), InvalidTaskId> {
    let ok = !id.is_empty()
        && id.len() <= TASK_ID_MAX_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(InvalidTaskId {
            shown: format!("{:?}", excerpt(id, None, 80)),
        })
    }
}

// ------------------------------------------------------------------ R20: Retry-After

/// The longest `Retry-After` honoured (Reading R20): one hour. A larger value (or a date
/// further away) is treated as this and reported ([`RetryAfter::capped`]).
pub const RETRY_AFTER_MAX: Duration = Duration::from_secs(3600);

/// A parsed `Retry-After` header (Reading R20).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryAfter {
    /// How long to wait, at most [`RETRY_AFTER_MAX`].
    pub delay: Duration,
    /// Whether the server asked for more than [`RETRY_AFTER_MAX`] (then `delay` is the cap).
    pub capped: bool,
}

/// Reading R20: a `Retry-After` value is delta-seconds (an integer, or a decimal as some
/// servers send) or an HTTP date (relative to `now`; a past date means no wait). Values
/// above [`RETRY_AFTER_MAX`] are capped and reported; negative, non-finite or unreadable
/// values are ignored (`None`). Never overflows, whatever the digits.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use seedance_core::rules::{parse_retry_after, RETRY_AFTER_MAX};
/// let now = SystemTime::now();
/// assert_eq!(parse_retry_after("36", now).unwrap().delay, Duration::from_secs(36));
/// assert_eq!(parse_retry_after("1.5", now).unwrap().delay, Duration::from_millis(1500));
/// for absurd in ["1e300", "99999999999999999999", "18446744073709551615", "1e19", "10000000000000"] {
///     let r = parse_retry_after(absurd, now).unwrap();
///     assert!(r.capped && r.delay == RETRY_AFTER_MAX, "{absurd}");
/// }
/// assert_eq!(parse_retry_after("-3", now), None);
/// assert_eq!(parse_retry_after("NaN", now), None);
/// assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now).unwrap().delay, Duration::ZERO);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<RetryAfter> {
    let v = value.trim();
    if v.is_empty() || v.len() > 64 {
        return None;
    }
    let cap = |d: Option<Duration>| match d {
        Some(d) if d <= RETRY_AFTER_MAX => RetryAfter {
            delay: d,
            capped: false,
        },
        _ => RetryAfter {
            delay: RETRY_AFTER_MAX,
            capped: true,
        },
    };
    if v.bytes().all(|b| b.is_ascii_digit()) {
        // Any number of digits: too many for u64 is simply "more than the cap".
        return Some(cap(v.parse::<u64>().ok().map(Duration::from_secs)));
    }
    if v.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == '+') {
        if let Ok(secs) = v.parse::<f64>() {
            if !secs.is_finite() || secs < 0.0 {
                return None;
            }
            return Some(cap(Duration::try_from_secs_f64(secs).ok()));
        }
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(cap(Some(
        when.duration_since(now).unwrap_or(Duration::ZERO),
    )))
}

// ------------------------------------------------------------------ R21: local durations

/// The longest duration any setting takes (timeouts, waits, intervals, windows,
/// expected render times): 30 days (Reading R21). Longer values are usage errors, so
/// that no deadline computed from them can overflow a clock.
pub const SETTING_DURATION_MAX: Duration = Duration::from_secs(30 * 24 * 3600);

/// The range of a time scale (`SEEDANCE_TIME_SCALE`, the emulator's render-time scale):
/// `1e-3` to `1e6` (Reading R21).
pub const TIME_SCALE_RANGE: (f64, f64) = (1e-3, 1e6);

/// Reading R21: a number of seconds given by a user (flag, variable, binding argument)
/// as a duration of at most `max`; `setting` names it in the error. Never panics
/// (unlike `Duration::from_secs_f64`).
///
/// ```
/// use std::time::Duration;
/// use seedance_core::rules::{duration_from_secs_f64, SETTING_DURATION_MAX};
/// assert_eq!(duration_from_secs_f64("timeout", 2.5, SETTING_DURATION_MAX), Ok(Duration::from_millis(2500)));
/// for bad in [1e300, -1.0, f64::NAN, f64::INFINITY, 1e20] {
///     let e = duration_from_secs_f64("timeout", bad, SETTING_DURATION_MAX).unwrap_err();
///     assert!(e.starts_with("timeout"), "{e}");
/// }
/// ```
pub fn duration_from_secs_f64(setting: &str, secs: f64, max: Duration) -> Result<Duration, String> {
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!(
            "{setting}: {secs} is not a duration (seconds must be a finite number ≥ 0)"
        ));
    }
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if d <= max => Ok(d),
        _ => Err(format!(
            "{setting}: {secs} s is longer than the largest allowed, {}",
            human_duration(max)
        )),
    }
}

/// Reading R21: a duration a user writes: a number of seconds (`90`, `2.5`) or a human
/// form (`90s`, `5m`, `1h30m`, `250ms`), at most [`SETTING_DURATION_MAX`] (30 days):
/// `1e300` is an error, never a panic. The one parser of the client's variables, the
/// CLI's flags and the emulator's.
///
/// ```
/// use std::time::Duration;
/// use seedance_core::rules::parse_duration;
/// assert_eq!(parse_duration(" 2.5 "), Ok(Duration::from_millis(2500)));
/// assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
/// for bad in ["-1", "soon", "NaN", "1e300", "100000000h", "inf"] {
///     assert!(parse_duration(bad).is_err(), "{bad}");
/// }
/// ```
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    let s = value.trim();
    let max = SETTING_DURATION_MAX;
    if let Ok(secs) = s.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return duration_from_secs_f64(&format!("{s:?}"), secs, max);
        }
        return Err(format!("{s:?} is not a duration (seconds must be ≥ 0)"));
    }
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("{s:?} is not a duration like 90, 90s, 5m or 1h30m ({e})"))?;
    check_duration(&format!("{s:?}"), d, max)
}

/// Reading R21: `d` checked against `max` (`setting` names it in the error).
///
/// ```
/// use std::time::Duration;
/// use seedance_core::rules::{check_duration, SETTING_DURATION_MAX};
/// assert!(check_duration("wait timeout", Duration::from_secs(60), SETTING_DURATION_MAX).is_ok());
/// assert!(check_duration("wait timeout", Duration::MAX, SETTING_DURATION_MAX).is_err());
/// ```
pub fn check_duration(setting: &str, d: Duration, max: Duration) -> Result<Duration, String> {
    if d <= max {
        Ok(d)
    } else {
        Err(format!(
            "{setting}: {} is longer than the largest allowed, {}",
            human_duration(d),
            human_duration(max)
        ))
    }
}

/// `d` as a short human text (`90 s`, `30 days`).
fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 86_400 && s.is_multiple_of(86_400) {
        format!("{} days", s / 86_400)
    } else if s >= 3600 && s.is_multiple_of(3600) {
        format!("{} h", s / 3600)
    } else if d.subsec_nanos() == 0 {
        format!("{s} s")
    } else {
        format!("{:.3} s", d.as_secs_f64())
    }
}

// ------------------------------------------------------------------ R22: secrets

/// What replaces a secret in text.
pub const REDACTED: &str = "[redacted]";

/// Reading R22: removes secrets from a server-provided string before it is shown,
/// logged or stored: every occurrence of `key` (when given), every `Bearer <token>`
/// (any case), and anything shaped like an API key (`sk_live_…`, `sk_test_…`). Runs
/// **before** any truncation ([`excerpt`] does both in that order), so a cut can never
/// leave part of a key behind. Every binding shows server strings through this.
///
/// ```
/// use seedance_core::rules::redact_secrets;
/// let key = "sk_live_0123456789abcdef";
/// assert_eq!(redact_secrets("echo sk_live_0123456789abcdef", Some(key)), "echo [redacted]");
/// assert_eq!(redact_secrets("auth: bearer abc.def-123 ok", None), "auth: bearer [redacted] ok");
/// assert_eq!(redact_secrets("key sk_test_zzzz9", None), "key [redacted]");
/// assert_eq!(redact_secrets("nothing here", Some(key)), "nothing here");
/// ```
pub fn redact_secrets(text: &str, key: Option<&str>) -> String {
    let mut out = match key {
        Some(k) if k.len() >= 4 => text.replace(k, REDACTED),
        _ => text.to_owned(),
    };
    if out.to_ascii_lowercase().contains("bearer") {
        out = redact_after_word(&out, "bearer");
    }
    for prefix in ["sk_live_", "sk_test_"] {
        if out.contains(prefix) {
            out = redact_prefixed(&out, prefix);
        }
    }
    out
}

/// Reading R22 over a whole JSON answer (a task's raw JSON, which `--json`, Python's
/// `Task.raw`, the C and uniffi bindings and the journal hand on): [`redact_secrets`] on
/// every string, object keys included. Nothing else changes (no cut, no escaping: JSON
/// encoders escape control characters).
///
/// ```
/// use seedance_core::rules::redact_json;
/// let key = "sk_live_0123456789abcdef";
/// let mut v = serde_json::json!({"error": {"message": "bad key sk_live_0123456789abcdef"},
///     "list": ["Bearer abc.def", 3], "sk_live_0123456789abcdef": true});
/// redact_json(&mut v, Some(key));
/// assert!(!v.to_string().contains("0123456789abcdef"), "{v}");
/// assert_eq!(v["error"]["message"], "bad key [redacted]");
/// assert_eq!(v["list"][0], "Bearer [redacted]");
/// ```
pub fn redact_json(value: &mut serde_json::Value, key: Option<&str>) {
    use serde_json::Value;
    // Iterative (no recursion limit to hit, whatever the nesting).
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) => {
                let r = redact_secrets(s, key);
                if r != *s {
                    *s = r;
                }
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            Value::Object(map) => {
                let bad: Vec<String> = map
                    .keys()
                    .filter(|k| redact_secrets(k, key) != **k)
                    .cloned()
                    .collect();
                for k in bad {
                    if let Some(item) = map.remove(&k) {
                        map.insert(redact_secrets(&k, key), item);
                    }
                }
                stack.extend(map.values_mut());
            }
            _ => {}
        }
    }
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '+' | '/' | '=')
}

/// Replaces the token after every `word` (case-insensitive, then spaces) by [`REDACTED`].
fn redact_after_word(text: &str, word: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(found) = lower[i..].find(word) {
        let start = i + found;
        let after_word = start + word.len();
        out.push_str(&text[i..after_word]);
        let spaces = text[after_word..]
            .find(|c: char| c != ' ' && c != '\t')
            .unwrap_or(text.len() - after_word);
        let token_start = after_word + spaces;
        let token_len = text[token_start..]
            .find(|c: char| !is_token_char(c))
            .unwrap_or(text.len() - token_start);
        out.push_str(&text[after_word..token_start]);
        if spaces > 0 && token_len > 0 && &text[token_start..token_start + token_len] != REDACTED {
            out.push_str(REDACTED);
        } else {
            out.push_str(&text[token_start..token_start + token_len]);
        }
        i = token_start + token_len;
    }
    out.push_str(&text[i..]);
    out
}

/// Replaces every `prefix` + token by [`REDACTED`].
fn redact_prefixed(text: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(found) = text[i..].find(prefix) {
        let start = i + found;
        out.push_str(&text[i..start]);
        let rest = &text[start + prefix.len()..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        out.push_str(REDACTED);
        i = start + prefix.len() + len;
    }
    out.push_str(&text[i..]);
    out
}

/// Reading R22: a server string made fit to quote: secrets redacted ([`redact_secrets`])
/// **first**, then control characters turned into spaces, surrounding space trimmed,
/// and the result cut to at most `max_chars` characters (with `…` when cut).
///
/// ```
/// use seedance_core::rules::excerpt;
/// let key = "sk_live_0123456789abcdefghijklmnopqrstuvwxyz0123456789";
/// let body = format!("{}{key}", "x".repeat(180));
/// let shown = excerpt(&body, Some(key), 200);
/// assert!(!shown.contains("0123456789abc"), "{shown}");
/// assert_eq!(excerpt("a\nb\u{1b}[2J", None, 200), "a b [2J");
/// assert_eq!(excerpt("abcdef", None, 3), "abc…");
/// ```
pub fn excerpt(text: &str, key: Option<&str>, max_chars: usize) -> String {
    let clean = redact_secrets(text, key);
    let one_line: String = clean
        .chars()
        .map(|c| if is_unsafe_char(c) { ' ' } else { c })
        .collect();
    let trimmed = one_line.trim();
    match trimmed.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &trimmed[..cut]),
        None => trimmed.to_owned(),
    }
}

// ------------------------------------------------------------------ R23: terminal

/// Whether a character may drive a terminal or hide text: C0 and C1 controls, DEL, and
/// the bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069).
fn is_unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Reading R23: a server string made safe to print for humans: every control character
/// (escape sequences, carriage returns, backspaces, newlines) and every bidirectional
/// override is shown escaped (`\u{1b}`), so it cannot change the title, clear the
/// screen, or fake a line. JSON output needs no such step (the encoder escapes them).
///
/// ```
/// use seedance_core::rules::escape_controls;
/// assert_eq!(escape_controls("ok"), "ok");
/// assert_eq!(escape_controls("a\u{1b}]0;pwned\u{7}b"), "a\\u{1b}]0;pwned\\u{7}b");
/// assert_eq!(escape_controls("fake\r\nline"), "fake\\r\\nline");
/// assert_eq!(escape_controls("\u{202e}txt"), "\\u{202e}txt");
/// ```
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe_char(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

// ------------------------------------------------------------------ R24: sizes

/// Reading R24: the largest API response body read (JSON answers are a few hundred
/// bytes): 1 MiB by default; configurable in the client. A larger body is an error
/// naming the limit, and reading stops there.
pub const API_BODY_MAX_BYTES: u64 = 1 << 20;

/// Reading R24: the largest download by default: 4 GiB (a 15 s 4k render is well below
/// 1 GiB even at a high bit rate); configurable.
pub const DOWNLOAD_MAX_BYTES: u64 = 4 << 30;

/// Reading R24: the longest a single file download may take by default, besides the
/// per-chunk idle timeout: 1 hour; configurable.
pub const DOWNLOAD_DEADLINE: Duration = Duration::from_secs(3600);

/// The longest server message kept in an error (after [`redact_secrets`]), in characters.
pub const MESSAGE_MAX_CHARS: usize = 2000;
