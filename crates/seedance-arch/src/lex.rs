//! The tokens of Rust source the scanner reads: identifiers, `::`, string literals and
//! single punctuation, each with its line; comments, char literals, lifetimes and
//! numbers dropped.

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    /// `::`
    Sep,
    Str(String),
    Punct(char),
}

/// Tokens of Rust source with their lines; comments, char literals and lifetimes
/// dropped, string literals kept (for `#[path = "…"]`) as [`Tok::Str`].
pub(crate) fn lex(src: &str) -> Vec<(Tok, usize)> {
    let b: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    let n = b.len();
    while i < n {
        let c = b[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && i + 1 < n && b[i + 1] == '/' {
            while i < n && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && i + 1 < n && b[i + 1] == '*' {
            let mut depth = 0usize;
            while i < n {
                if b[i] == '/' && i + 1 < n && b[i + 1] == '*' {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && i + 1 < n && b[i + 1] == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if b[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if c == '"' || ((c == 'r' || c == 'b') && raw_or_byte_string_start(&b, i)) {
            let start_line = line;
            let (text, next) = string_literal(&b, i, &mut line);
            out.push((Tok::Str(text), start_line));
            i = next;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{1F600}') or a lifetime ('a).
            if i + 2 < n && b[i + 1] == '\\' {
                i += 2;
                while i < n && b[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if i + 2 < n && b[i + 2] == '\'' {
                i += 3;
            } else {
                i += 1;
                while i < n && (b[i].is_alphanumeric() || b[i] == '_') {
                    i += 1;
                }
            }
        } else if c.is_alphabetic() || c == '_' {
            let s = i;
            while i < n && (b[i].is_alphanumeric() || b[i] == '_') {
                i += 1;
            }
            let word: String = b[s..i].iter().collect();
            // raw identifiers: r#type
            if word == "r" && i + 1 < n && b[i] == '#' && b[i + 1].is_alphabetic() {
                let s = i + 1;
                i = s;
                while i < n && (b[i].is_alphanumeric() || b[i] == '_') {
                    i += 1;
                }
                out.push((Tok::Ident(b[s..i].iter().collect()), line));
            } else {
                out.push((Tok::Ident(word), line));
            }
        } else if c.is_ascii_digit() {
            while i < n && (b[i].is_alphanumeric() || b[i] == '_' || b[i] == '.') {
                // `0..n` is a range, not a float
                if b[i] == '.' && i + 1 < n && b[i + 1] == '.' {
                    break;
                }
                i += 1;
            }
        } else if c == ':' && i + 1 < n && b[i + 1] == ':' {
            out.push((Tok::Sep, line));
            i += 2;
        } else {
            out.push((Tok::Punct(c), line));
            i += 1;
        }
    }
    out
}

/// Whether `b[i..]` starts `r"`, `r#"`, `b"`, `br"`, `br#"`.
fn raw_or_byte_string_start(b: &[char], i: usize) -> bool {
    // Only at the start of a word.
    if i > 0 && (b[i - 1].is_alphanumeric() || b[i - 1] == '_') {
        return false;
    }
    let mut j = i;
    if b.get(j) == Some(&'b') {
        j += 1;
    }
    if b.get(j) == Some(&'r') {
        j += 1;
        while b.get(j) == Some(&'#') {
            j += 1;
        }
    }
    j > i && b.get(j) == Some(&'"')
}

/// Reads the string literal starting at `i` (plain, raw or byte); returns its text and
/// the index after it.
fn string_literal(b: &[char], mut i: usize, line: &mut usize) -> (String, usize) {
    let n = b.len();
    if b[i] == 'b' {
        i += 1;
    }
    let mut hashes = None;
    if b[i] == 'r' {
        i += 1;
        let mut h = 0;
        while b[i] == '#' {
            h += 1;
            i += 1;
        }
        hashes = Some(h);
    }
    i += 1; // the opening quote
    let mut text = String::new();
    while i < n {
        let c = b[i];
        if c == '\n' {
            *line += 1;
        }
        match hashes {
            None if c == '\\' => {
                if i + 1 < n && b[i + 1] == '\n' {
                    *line += 1;
                }
                i += 2;
                continue;
            }
            None if c == '"' => return (text, i + 1),
            Some(h) if c == '"' && (1..=h).all(|k| b.get(i + k) == Some(&'#')) => {
                return (text, i + 1 + h)
            }
            _ => {}
        }
        text.push(c);
        i += 1;
    }
    (text, n)
}
