//! The spec's limits live in `seedance-core` (issue 9 ask 1): outside it, the distinctive
//! ones (the 10000-character prompt, the 4294967295 seed, the `"1080p-plus"` and `"4k"`
//! resolutions that need the pro tier) appear only in docs and tests. Everything else
//! reads them from `seedance_core::rules` (the bindings too: Python gets its tables from
//! the native module). Scanned: the non-test Rust source of every other crate and binding
//! (comments and `#[cfg(test)]` tails dropped) and the Python package (comments,
//! docstrings and `Literal[...]` type aliases, which only enumerate values, dropped). A
//! number that merely coincides is a named constant whose line says
//! `// spec-limit: coincidence`. The examples and benchmarks (`crates/*/examples`,
//! `python/bench`) are code too and are scanned alike.
//!
//! The rate limits (30 and 3 requests per 60 s) and the 12 media URLs are small numbers
//! that appear everywhere for other reasons (thirty seconds, three retries, twelve
//! bytes), so a bare `30`, `3`, `60` or `12` is not scanned; what is scanned is the shape
//! of a rate limit written by hand: `rate_limit(30, …)`, `RateLimit::new(3, …)`,
//! `rate_limit=(30, …)`, `(30, 60…)`, `"30/60"` (with any spacing; `(3, 60)` alone is
//! too common: three retries in sixty seconds).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

const MARK: &str = "spec-limit: coincidence";
const NUMBERS: &[&str] = &["10000", "10_000", "4294967295", "4_294_967_295"];
const PRO_RESOLUTIONS: &[&str] = &["\"1080p-plus\"", "\"4k\"", "'1080p-plus'", "'4k'"];
/// A rate limit written by hand, compared with the spaces of the code removed.
const RATE_SHAPES: &[&str] = &[
    "rate_limit(30,",
    "rate_limit(3,",
    "RateLimit::new(30,",
    "RateLimit::new(3,",
    "rate_limit=(30,",
    "rate_limit=(3,",
    "(30,60",
    "\"30/60",
    "'30/60",
    "\"3/60",
    "'3/60",
];

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            if !matches!(
                name,
                "tests" | "target" | "generated" | "Generated" | "__pycache__"
            ) {
                files(&p, ext, out);
            }
        } else if name.ends_with(ext) {
            out.push(p);
        }
    }
}

/// Whether `needle` occurs in `line` as a whole token (a number not inside a longer one).
fn has_token(line: &str, needle: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
    line.match_indices(needle).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + needle.len()..].chars().next();
        !needle.starts_with(|c: char| c.is_ascii_digit())
            || (!before.is_some_and(word) && !after.is_some_and(word))
    })
}

/// Rust source without comments and without its `#[cfg(test)]` tail.
fn rust_code(src: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_block = false;
    for (n, line) in src.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            break;
        }
        let mut code = String::new();
        let mut rest = line;
        loop {
            if in_block {
                match rest.find("*/") {
                    Some(i) => {
                        in_block = false;
                        rest = &rest[i + 2..];
                    }
                    None => break,
                }
            } else {
                let lc = rest.find("//");
                let bc = rest.find("/*");
                match (lc, bc) {
                    (Some(l), Some(b)) if b < l => {
                        code.push_str(&rest[..b]);
                        in_block = true;
                        rest = &rest[b + 2..];
                    }
                    (None, Some(b)) => {
                        code.push_str(&rest[..b]);
                        in_block = true;
                        rest = &rest[b + 2..];
                    }
                    (Some(l), _) => {
                        code.push_str(&rest[..l]);
                        break;
                    }
                    (None, None) => {
                        code.push_str(rest);
                        break;
                    }
                }
            }
        }
        out.push((n + 1, code));
    }
    out
}

/// Python source without comments, triple-quoted strings and `Literal[...]`.
fn python_code(src: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_doc: Option<&str> = None;
    for (n, line) in src.lines().enumerate() {
        let mut code = String::new();
        let mut rest = line;
        loop {
            if let Some(q) = in_doc {
                match rest.find(q) {
                    Some(i) => {
                        in_doc = None;
                        rest = &rest[i + 3..];
                    }
                    None => break,
                }
            } else {
                let q = [r#"""""#, "'''"]
                    .into_iter()
                    .filter_map(|q| rest.find(q).map(|i| (i, q)))
                    .min();
                let hash = rest.find('#');
                match q {
                    Some((i, q)) if hash.is_none_or(|h| i < h) => {
                        code.push_str(&rest[..i]);
                        in_doc = Some(q);
                        rest = &rest[i + 3..];
                    }
                    _ => {
                        code.push_str(&rest[..hash.unwrap_or(rest.len())]);
                        break;
                    }
                }
            }
        }
        while let Some(i) = code.find("Literal[") {
            let end = code[i..].find(']').map_or(code.len(), |j| i + j + 1);
            code.replace_range(i..end, "");
        }
        out.push((n + 1, code));
    }
    out
}

fn offences(path: &Path, lines: &[(usize, String)], raw: &str) -> Vec<String> {
    let raw: Vec<&str> = raw.lines().collect();
    let mut found = Vec::new();
    for (n, code) in lines {
        if raw.get(n - 1).is_some_and(|l| l.contains(MARK)) {
            continue;
        }
        let squeezed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        for shape in RATE_SHAPES {
            if squeezed.contains(shape) {
                found.push(format!(
                    "{}:{n}: a rate limit by hand ({shape}) in {:?}",
                    path.display(),
                    code.trim()
                ));
            }
        }
        for needle in NUMBERS.iter().chain(PRO_RESOLUTIONS) {
            if has_token(code, needle) {
                found.push(format!(
                    "{}:{n}: {needle} in {:?}",
                    path.display(),
                    code.trim()
                ));
            }
        }
    }
    found
}

#[test]
fn the_scanners_see_code_and_skip_docs() {
    let rust = "let a = 4294967295; // 10000\n/* \"4k\" */ let b = \"4k\";\nlet c = 10_000_000;\n#[cfg(test)]\nmod t { const X: u64 = 10000; }";
    let hits = offences(Path::new("x.rs"), &rust_code(rust), rust);
    assert_eq!(hits.len(), 2, "{hits:?}");
    let py = "\"\"\"3–10000 characters\n4294967295\"\"\"\nR = Literal[\"720p\", \"4k\"]\nMAX = 10000  # the prompt\n";
    let hits = offences(Path::new("x.py"), &python_code(py), py);
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(hits[0].contains(":4:"), "{hits:?}");
    let rate = "b.rate_limit(30, w);\nlet l = RateLimit::new( 3 , w);\nlet x = retry(3, 60);\n";
    let hits = offences(Path::new("r.rs"), &rust_code(rate), rate);
    assert_eq!(hits.len(), 2, "{hits:?}");
    let rate = "BUDGET = (30, 60.0 / SCALE)\nEmulator(rate_limit=(3, 1.0))\nRETRIES = 3\n";
    let hits = offences(Path::new("r.py"), &python_code(rate), rate);
    assert_eq!(hits.len(), 2, "{hits:?}");
    let marked = "const KEEP: usize = 10_000; // spec-limit: coincidence\n";
    assert!(offences(Path::new("y.rs"), &rust_code(marked), marked).is_empty());
}

#[test]
fn the_specs_limits_appear_outside_core_only_in_docs_and_tests() {
    let ws = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut rust = Vec::new();
    for top in ["crates", "bindings"] {
        for e in std::fs::read_dir(ws.join(top)).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name == "seedance-core" || name == "seedance-arch" {
                continue;
            }
            files(&e.path().join("src"), ".rs", &mut rust);
            files(&e.path().join("examples"), ".rs", &mut rust);
        }
    }
    assert!(rust.len() > 40, "Rust files found: {}", rust.len());
    let mut python = Vec::new();
    files(&ws.join("python/seedance"), ".py", &mut python);
    files(&ws.join("python/bench"), ".py", &mut python);
    assert!(python.len() >= 4, "{python:?}");
    let mut found = Vec::new();
    for p in &rust {
        let src = std::fs::read_to_string(p).unwrap();
        found.extend(offences(
            p.strip_prefix(&ws).unwrap_or(p),
            &rust_code(&src),
            &src,
        ));
    }
    for p in &python {
        let src = std::fs::read_to_string(p).unwrap();
        found.extend(offences(
            p.strip_prefix(&ws).unwrap_or(p),
            &python_code(&src),
            &src,
        ));
    }
    assert!(
        found.is_empty(),
        "the spec's limits outside seedance-core (read them from seedance_core::rules, or name a coincidence with `// {MARK}`):\n{}",
        found.join("\n")
    );
}
