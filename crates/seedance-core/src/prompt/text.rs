//! The caller's words as they go into the prompt text: whitespace collapsed, a sentence
//! end added.

/// Collapses every run of whitespace (newlines included) into one space and trims.
pub(super) fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` ending with sentence punctuation: adds `.`, or `。` after Chinese or Japanese
/// text, if it has none.
pub(super) fn sentence(text: &str) -> String {
    match text.chars().next_back() {
        Some('.' | '!' | '?' | '。' | '！' | '？' | '…') => text.to_owned(),
        Some(c) if is_cjk(c) => format!("{text}。"),
        _ => format!("{text}."),
    }
}

/// Whether `c` is a CJK ideograph, kana or full-width form (text that ends with `。`).
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30ff}'      // hiragana, katakana
        | '\u{3400}'..='\u{4dbf}'    // CJK extension A
        | '\u{4e00}'..='\u{9fff}'    // CJK unified ideographs
        | '\u{f900}'..='\u{faff}'    // CJK compatibility ideographs
        | '\u{ff00}'..='\u{ffef}'    // half-width and full-width forms
        | '\u{20000}'..='\u{2ffff}') // CJK extensions B–F
}
