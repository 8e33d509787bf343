//! The prompt linter: what the provider's guide says never to send in a prompt.

use std::fmt;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

/// What a [`LintFinding`] found.
///
/// ```
/// use seedance_core::{lint_prompt, LintKind};
/// assert_eq!(lint_prompt("the hero from asset://a1")[0].kind, LintKind::AssetUrl);
/// assert_eq!(LintKind::AssetUrl.as_str(), "asset_url");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LintKind {
    /// An `asset://` URL: the API cannot resolve it; pass the asset as a URL field.
    AssetUrl,
    /// A raw asset id (`asset_9f8e7d6c`, a bare UUID): meaningless to the model.
    RawAssetId,
    /// An in-app label such as `@图片1` or `@image1`: only the provider's web app knows it.
    InAppLabel,
    /// A shot heading (`Shot 2:`) with nothing after it.
    EmptyShot,
}

impl LintKind {
    /// A short stable name, for machine-readable output.
    pub fn as_str(self) -> &'static str {
        match self {
            LintKind::AssetUrl => "asset_url",
            LintKind::RawAssetId => "raw_asset_id",
            LintKind::InAppLabel => "in_app_label",
            LintKind::EmptyShot => "empty_shot",
        }
    }
}

/// One problem in a prompt, with where it is (a byte range) and what to do instead.
///
/// ```
/// use seedance_core::lint_prompt;
/// let prompt = "参考@图片1中的人物";
/// let f = &lint_prompt(prompt)[0];
/// assert_eq!(&prompt[f.span.clone()], "@图片1");
/// assert!(f.to_string().contains("describe the reference in words"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LintFinding {
    /// What was found.
    pub kind: LintKind,
    /// Byte range of the offending text in the prompt.
    pub span: Range<usize>,
    /// The offending text.
    pub text: String,
}

impl fmt::Display for LintFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.text;
        match self.kind {
            LintKind::AssetUrl => write!(
                f,
                "contains the asset URL {t:?}; pass the asset as image_url, end_image_url or media_urls and describe its role in words"
            ),
            LintKind::RawAssetId => write!(
                f,
                "contains the raw asset id {t:?}; describe the asset's role in words instead"
            ),
            LintKind::InAppLabel => write!(
                f,
                "contains the in-app label {t:?}, which only the provider's web app understands; describe the reference in words (\"the supplied character reference\")"
            ),
            LintKind::EmptyShot => write!(f, "the shot {t:?} has no description"),
        }
    }
}

// These patterns are the rules of Reading R15; they live here because they are regexes,
// and `rules.rs` points at them.
#[allow(clippy::expect_used)] // a constant pattern: a test compiles every one
static ASSET_URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)asset://[^\s,;)\]]*").expect("valid regex"));
#[allow(clippy::expect_used)] // a constant pattern: a test compiles every one
static RAW_ASSET_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:asset(?:[-_:]?id[-_:]?|[-_:])([a-z0-9]{4,})|asset([a-z0-9]{6,})|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b",
    )
    .expect("valid regex")
});
#[allow(clippy::expect_used)] // a constant pattern: a test compiles every one
static IN_APP_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)@\s?(?:图片|图像|图|视频|音频|素材|image|img|picture|pic|video|audio|asset)\s?[0-9]+",
    )
    .expect("valid regex")
});
/// Finds what the provider's prompt guide says never to send: `asset://` URLs, raw asset
/// ids, in-app labels such as `@图片1` / `@image1`, and empty shots. The findings are
/// validation errors of the `prompt` field (Reading R15), in the order they appear.
///
/// ```
/// use seedance_core::{lint_prompt, LintKind};
/// let f = lint_prompt("Shot 1: the hero from @图片1 waves. Shot 2:");
/// let kinds: Vec<_> = f.iter().map(|f| f.kind).collect();
/// assert_eq!(kinds, [LintKind::InAppLabel, LintKind::EmptyShot]);
/// assert!(lint_prompt("A glass train crosses a snowy bridge").is_empty());
/// ```
pub fn lint_prompt(prompt: &str) -> Vec<LintFinding> {
    let mut out = Vec::new();
    let mut push = |kind, m: regex::Match<'_>| {
        out.push(LintFinding {
            kind,
            span: m.range(),
            text: m.as_str().trim().to_owned(),
        })
    };
    let asset_urls: Vec<_> = ASSET_URL.find_iter(prompt).collect();
    for m in &asset_urls {
        push(LintKind::AssetUrl, *m);
    }
    for c in RAW_ASSET_ID.captures_iter(prompt) {
        let Some(m) = c.get(0) else { continue };
        // `asset` + a word is an id only if the word has a digit (`asset_9f8e7d6c`, not
        // `asset_manager`), and an id inside an asset:// URL is reported with the URL.
        let digitless = c
            .get(1)
            .or_else(|| c.get(2))
            .is_some_and(|w| !w.as_str().bytes().any(|b| b.is_ascii_digit()));
        if !digitless
            && !asset_urls
                .iter()
                .any(|u| u.start() <= m.start() && m.end() <= u.end())
        {
            push(LintKind::RawAssetId, m);
        }
    }
    for m in IN_APP_LABEL.find_iter(prompt) {
        // A label ends at its number: `@pic2go` is a handle, but `@图片1中` is a label
        // followed by Chinese text.
        let handle = prompt[m.end()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if !handle && !looks_like_email(prompt, m.range()) {
            push(LintKind::InAppLabel, m);
        }
    }
    // Shots are read inline too ("Shot 1: … Shot 2: …"), so headings are found anywhere a
    // line or sentence may start a shot.
    let headings: Vec<_> = SHOT_HEADINGS_INLINE.find_iter(prompt).collect();
    for (i, h) in headings.iter().enumerate() {
        let body_end = headings.get(i + 1).map_or(prompt.len(), |n| n.start());
        // A body of only whitespace and punctuation ("Shot 2: .") is empty too.
        let body = prompt[h.end()..body_end].trim_matches(|c: char| {
            c.is_whitespace() || c.is_ascii_punctuation() || "。，、；：！？…·—–".contains(c)
        });
        if body.is_empty() {
            push(LintKind::EmptyShot, *h);
        }
    }
    out.sort_by_key(|f| f.span.start);
    out
}

/// Whether the `@…` match at `span` is the domain part of an e-mail address
/// (`bob@video1.com`) rather than an in-app label: an ASCII local part right before the `@`
/// and a dot followed by a letter right after the match.
fn looks_like_email(prompt: &str, span: Range<usize>) -> bool {
    let before = prompt[..span.start].chars().next_back();
    let mut after = prompt[span.end..].chars();
    let local_part = before
        .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-'));
    let domain_goes_on =
        after.next() == Some('.') && after.next().is_some_and(|c| c.is_ascii_alphabetic());
    local_part && domain_goes_on
}

#[allow(clippy::expect_used)] // a constant pattern: a test compiles every one
static SHOT_HEADINGS_INLINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:\bshot|镜头|分镜)[ \t]*[0-9]+[ \t]*(?:\([^)\n]*\))?[ \t]*[:：]")
        .expect("valid regex")
});
