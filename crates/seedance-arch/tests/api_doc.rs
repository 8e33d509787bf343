//! docs/api.md names only what exists: every identifier of its Rust column (`Type::item`,
//! `.method(…)`, `Variant`) occurs in the Rust sources of the workspace, so a rename that
//! leaves the table behind fails here. (The Python column is checked name by name by
//! tests/python/test_api_doc.py.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::collections::HashSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                rust_sources(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

/// Every identifier of the workspace's Rust sources (crates and bindings).
fn identifiers() -> HashSet<String> {
    let mut files = Vec::new();
    rust_sources(&root().join("crates"), &mut files);
    rust_sources(&root().join("bindings"), &mut files);
    let mut out = HashSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for word in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            if !word.is_empty() {
                out.insert(word.to_owned());
            }
        }
    }
    out
}

/// The Rust cells of every table of docs/api.md: (concept, cell).
fn rust_cells() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root().join("docs/api.md")).unwrap();
    let mut out = Vec::new();
    let mut column: Option<usize> = None;
    for line in text.lines() {
        if !line.starts_with('|') {
            column = None;
            continue;
        }
        let cells: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        match column {
            None => column = cells.iter().position(|c| *c == "Rust"),
            Some(i) if !cells[0].chars().all(|c| c == '-') => {
                out.push((cells[0].to_owned(), cells[i].to_owned()));
            }
            Some(_) => {}
        }
    }
    out
}

/// The identifiers a code span names: paths (`A::b`), methods (`.c(`) and types.
fn named(span: &str) -> Vec<String> {
    let mut out = Vec::new();
    let words: Vec<&str> = span
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c == '.'))
        .filter(|w| !w.is_empty())
        .collect();
    for w in words {
        for part in w.split([':', '.']) {
            let is_ident = part
                .chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_');
            if is_ident && part.len() > 1 {
                out.push(part.to_owned());
            }
        }
    }
    out
}

#[test]
fn every_rust_name_in_the_table_exists() {
    let known = identifiers();
    // Words of the language and the standard library, not of this API.
    let ordinary: HashSet<&str> = [
        "let",
        "mut",
        "Some",
        "None",
        "Ok",
        "Err",
        "await",
        "default",
        "drop",
        "it",
        "serde_json",
        "from_str",
        "Vec",
        "dir",
        "dest",
        "req",
        "id",
        "url",
        "urls",
        "key",
        "ua",
        "n",
        "window",
        "store",
        "scale",
        "prompt",
        "task",
        "emu",
        "client",
        "json",
        "true",
        "false",
        "f",
        "d",
        "k",
        "p",
    ]
    .into_iter()
    .collect();
    let mut checked = 0;
    let mut missing = Vec::new();
    for (concept, cell) in rust_cells() {
        for (i, span) in cell.split('`').enumerate() {
            if i % 2 == 0 {
                continue; // outside backticks
            }
            for name in named(span) {
                if ordinary.contains(name.as_str()) || name.chars().all(|c| c.is_ascii_digit()) {
                    continue;
                }
                checked += 1;
                if !known.contains(&name) {
                    missing.push(format!("{concept}: {name} (in `{span}`)"));
                }
            }
        }
    }
    assert!(checked > 150, "only {checked} names checked");
    assert!(
        missing.is_empty(),
        "docs/api.md names what the Rust sources do not have:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_checker_sees_paths_and_methods() {
    assert_eq!(
        named("ClientBuilder::rate_limit(n, window)"),
        ["ClientBuilder", "rate_limit", "window"]
    );
    assert_eq!(named("task.video_url()"), ["task", "video_url"]);
}
