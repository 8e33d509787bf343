//! Architecture checks of the workspace (no dependencies, run by `cargo test --workspace`).
//!
//! **No module cycle inside any crate.** For each crate root (`src/lib.rs`, `src/main.rs`)
//! the module tree is read from its `mod` declarations; every file belongs to its
//! top-level module (or to the root). A file depends on another top-level module when its
//! code names it by path: `crate::x…`, `use crate::{x, y::z}`, a `super::` chain that
//! climbs to the root, or (in the root file) `x::…`. A name the root re-exports or
//! imports (`crate::Error` after `pub use error::Error`) counts as a use of the module it
//! comes from; an item defined in the root itself as a use of the root. Comments, doc
//! comments, string literals and `#[cfg(test)]` items are not read (tests may reach
//! anywhere). The graph of top-level modules (and the root) must have no cycle: this is
//! what `cargo modules dependencies --acyclic` checks, at the granularity of top-level
//! modules, without building `cargo-modules`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The node of the crate root (`lib.rs` or `main.rs`) in a [`ModuleGraph`].
pub const ROOT: &str = "crate";

/// Where one dependency was seen: the file and line of its first occurrence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    /// The file, as given to [`crate_graph`] (joined onto the root's directory).
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
}

/// The dependencies between the top-level modules of one crate root.
#[derive(Clone, Debug, Default)]
pub struct ModuleGraph {
    /// Top-level modules (and [`ROOT`]).
    pub modules: BTreeSet<String>,
    /// `from → to → where it was first seen`.
    pub edges: BTreeMap<String, BTreeMap<String, Site>>,
    /// Files of the tree that could not be found (a declared `mod x;` without `x.rs`).
    pub missing: Vec<PathBuf>,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    /// `::`
    Sep,
    Str(String),
    Punct(char),
}

/// Tokens of Rust source with their lines; comments, char literals and lifetimes
/// dropped, string literals kept (for `#[path = "…"]`) as [`Tok::Str`].
fn lex(src: &str) -> Vec<(Tok, usize)> {
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

/// A path reference found in a file: its prefix, the inline-module depth where it was
/// seen, and the first segment after the prefix.
#[derive(Debug)]
enum Ref {
    /// `crate::name`
    Crate(String),
    /// `super::…::name` climbing `climbs` levels from inline depth `inline`.
    Super {
        climbs: usize,
        inline: usize,
        name: String,
    },
    /// `name::…` (first segment of a plain path; only meaningful in the root file).
    Plain { inline: usize, name: String },
}

#[derive(Debug, Default)]
struct Scan {
    /// `(name, #[path] if any)` of out-of-line `mod name;` at inline depth 0.
    mods: Vec<(String, Option<String>)>,
    refs: Vec<(Ref, usize)>,
    /// `use` trees at inline depth 0 (for the root's re-exports): `(leaf name, path)`.
    uses: Vec<(String, Vec<String>)>,
    /// Items defined at inline depth 0 (for the root).
    items: Vec<String>,
}

fn ident(t: Option<&(Tok, usize)>) -> Option<&str> {
    match t {
        Some((Tok::Ident(s), _)) => Some(s),
        _ => None,
    }
}

fn punct(t: Option<&(Tok, usize)>, c: char) -> bool {
    matches!(t, Some((Tok::Punct(p), _)) if *p == c)
}

/// The index after the balanced group that opens at `i` (`(`, `[` or `{`).
fn skip_group(t: &[(Tok, usize)], mut i: usize) -> usize {
    let mut depth = 0i32;
    while i < t.len() {
        match &t[i].0 {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']' | '}') => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    t.len()
}

/// The index after the item starting at `i`: its first `;` outside groups, or the end
/// of its first `{…}` group.
fn skip_item(t: &[(Tok, usize)], mut i: usize) -> usize {
    while i < t.len() {
        match &t[i].0 {
            Tok::Punct(';') => return i + 1,
            Tok::Punct('{') => return skip_group(t, i),
            Tok::Punct('(' | '[') => i = skip_group(t, i),
            _ => i += 1,
        }
    }
    t.len()
}

/// Flattens the use tree at `t[i..]` (ending at `;`) into `(leaf, path)` pairs.
fn use_tree(
    t: &[(Tok, usize)],
    i: &mut usize,
    prefix: &[String],
    out: &mut Vec<(String, Vec<String>)>,
) {
    let mut path = prefix.to_vec();
    while *i < t.len() {
        match &t[*i].0 {
            Tok::Ident(s) if s == "as" => {
                if let Some(alias) = ident(t.get(*i + 1)) {
                    out.push((alias.to_owned(), path.clone()));
                    path.clear();
                }
                *i += 2;
                continue;
            }
            Tok::Ident(s) => path.push(s.clone()),
            Tok::Sep => {}
            Tok::Punct('{') => {
                *i += 1;
                loop {
                    use_tree(t, i, &path, out);
                    if punct(t.get(*i), ',') {
                        *i += 1;
                        continue;
                    }
                    break;
                }
                if punct(t.get(*i), '}') {
                    *i += 1;
                }
                return;
            }
            Tok::Punct('*') => {
                path.push("*".to_owned());
            }
            _ => break,
        }
        *i += 1;
    }
    if path.len() > prefix.len() {
        let leaf = match path.last().map(String::as_str) {
            Some("self") if path.len() >= 2 => path[path.len() - 2].clone(),
            Some(l) => l.to_owned(),
            None => return,
        };
        out.push((leaf, path));
    }
}

/// The first segments of the paths at `t[i..]` after a prefix (`crate::`): one name,
/// or every element of a `{…}` group.
fn first_segments(t: &[(Tok, usize)], i: usize) -> Vec<String> {
    if let Some(name) = ident(t.get(i)) {
        return vec![name.to_owned()];
    }
    if !punct(t.get(i), '{') {
        return Vec::new();
    }
    let mut names = Vec::new();
    let mut j = i + 1;
    let mut depth = 1;
    let mut at_start = true;
    while j < t.len() && depth > 0 {
        match &t[j].0 {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => depth -= 1,
            Tok::Punct(',') if depth == 1 => {
                at_start = true;
                j += 1;
                continue;
            }
            Tok::Ident(s) if depth == 1 && at_start => names.push(s.clone()),
            _ => {}
        }
        at_start = false;
        j += 1;
    }
    names
}

const ITEM_KEYWORDS: &[&str] = &[
    "fn", "struct", "enum", "const", "static", "type", "trait", "union",
];

fn scan(src: &str) -> Scan {
    let t = lex(src);
    let mut s = Scan::default();
    // Brace stack: whether each open `{` is an inline module's body.
    let mut braces: Vec<bool> = Vec::new();
    let mut inline = 0usize;
    let mut path_attr: Option<String> = None;
    let mut i = 0;
    while i < t.len() {
        // #[cfg(test)] (not `not(test)`) removes the next item.
        if punct(t.get(i), '#') && punct(t.get(i + 1), '[') {
            let end = skip_group(&t, i + 1);
            let attr: Vec<&Tok> = t[i + 2..end.saturating_sub(1)]
                .iter()
                .map(|x| &x.0)
                .collect();
            let is = |w: &str| attr.iter().any(|x| **x == Tok::Ident(w.to_owned()));
            if attr.first() == Some(&&Tok::Ident("cfg".into())) && is("test") && !is("not") {
                let mut j = end;
                while punct(t.get(j), '#') {
                    j = skip_group(&t, j + 1);
                }
                i = skip_item(&t, j);
                continue;
            }
            if attr.first() == Some(&&Tok::Ident("path".into())) {
                if let Some(Tok::Str(p)) = attr.get(2) {
                    path_attr = Some(p.clone());
                }
            }
            i = end;
            continue;
        }
        match &t[i].0 {
            Tok::Punct('{') => braces.push(false),
            Tok::Punct('}') if braces.pop() == Some(true) => inline -= 1,
            Tok::Ident(w) if w == "mod" => {
                if let Some(name) = ident(t.get(i + 1)) {
                    if punct(t.get(i + 2), ';') {
                        if braces.is_empty() {
                            s.mods.push((name.to_owned(), path_attr.take()));
                        }
                        i += 3;
                        continue;
                    }
                    if punct(t.get(i + 2), '{') {
                        braces.push(true);
                        inline += 1;
                        i += 3;
                        continue;
                    }
                }
            }
            Tok::Ident(w) if w == "use" && braces.is_empty() => {
                let mut j = i + 1;
                let mut trees = Vec::new();
                use_tree(&t, &mut j, &[], &mut trees);
                s.uses.extend(trees);
            }
            Tok::Ident(w) if braces.is_empty() && ITEM_KEYWORDS.contains(&w.as_str()) => {
                if let Some(name) = ident(t.get(i + 1)) {
                    s.items.push(name.to_owned());
                }
            }
            Tok::Ident(w) if w == "macro_rules" && braces.is_empty() => {
                if let Some(name) = ident(t.get(i + 2)) {
                    s.items.push(name.to_owned());
                }
            }
            Tok::Ident(w) if w == "crate" && t.get(i + 1).map(|x| &x.0) == Some(&Tok::Sep) => {
                let prev_sep = i > 0 && t[i - 1].0 == Tok::Sep;
                if !prev_sep {
                    for name in first_segments(&t, i + 2) {
                        s.refs.push((Ref::Crate(name), t[i].1));
                    }
                }
                i += 2;
                continue;
            }
            Tok::Ident(w) if w == "super" && !(i > 0 && t[i - 1].0 == Tok::Sep) => {
                let line = t[i].1;
                let mut climbs = 0;
                let mut j = i;
                while ident(t.get(j)) == Some("super")
                    && t.get(j + 1).map(|x| &x.0) == Some(&Tok::Sep)
                {
                    climbs += 1;
                    j += 2;
                }
                if climbs > 0 {
                    for name in first_segments(&t, j) {
                        s.refs.push((
                            Ref::Super {
                                climbs,
                                inline,
                                name,
                            },
                            line,
                        ));
                    }
                    i = j;
                    continue;
                }
            }
            Tok::Ident(w)
                if t.get(i + 1).map(|x| &x.0) == Some(&Tok::Sep)
                    && !(i > 0 && t[i - 1].0 == Tok::Sep) =>
            {
                let name = if w == "self" {
                    match ident(t.get(i + 2)) {
                        Some(n) => n.to_owned(),
                        None => {
                            i += 1;
                            continue;
                        }
                    }
                } else {
                    w.clone()
                };
                s.refs.push((Ref::Plain { inline, name }, t[i].1));
            }
            _ => {}
        }
        i += 1;
    }
    s
}

/// One file of the tree: its path, its top-level module (`None`: the root) and its
/// module depth (the root 0, a top-level module 1, …).
struct FileUnit {
    path: PathBuf,
    top: Option<String>,
    depth: usize,
    scan: Scan,
}

/// Reads the module tree of the crate root `root` (a `lib.rs` or `main.rs`) through
/// `read` (path → source; `None` when absent) and builds its graph of top-level modules.
pub fn crate_graph(root: &Path, read: &dyn Fn(&Path) -> Option<String>) -> ModuleGraph {
    let mut g = ModuleGraph::default();
    let Some(src) = read(root) else {
        g.missing.push(root.to_path_buf());
        return g;
    };
    let dir = root.parent().unwrap_or(Path::new("")).to_path_buf();
    let mut units = vec![FileUnit {
        path: root.to_path_buf(),
        top: None,
        depth: 0,
        scan: scan(&src),
    }];
    // Walk the `mod` declarations: (parent file index, directory of its children).
    let mut todo = vec![(0usize, dir)];
    while let Some((u, child_dir)) = todo.pop() {
        let mods = units[u].scan.mods.clone();
        for (name, path_attr) in mods {
            let candidates = match &path_attr {
                Some(p) => vec![units[u].path.parent().unwrap_or(Path::new("")).join(p)],
                None => vec![
                    child_dir.join(format!("{name}.rs")),
                    child_dir.join(&name).join("mod.rs"),
                ],
            };
            let found = candidates
                .iter()
                .find_map(|p| read(p).map(|s| (p.clone(), s)));
            let Some((path, text)) = found else {
                g.missing.push(candidates[0].clone());
                continue;
            };
            let top = units[u].top.clone().unwrap_or_else(|| name.clone());
            let depth = units[u].depth + 1;
            // Children of `x.rs` and `x/mod.rs` live in `x/`.
            let next_dir = child_dir.join(&name);
            units.push(FileUnit {
                path,
                top: Some(top),
                depth,
                scan: scan(&text),
            });
            todo.push((units.len() - 1, next_dir));
        }
    }
    let tops: BTreeSet<String> = units.iter().filter_map(|u| u.top.clone()).collect();
    g.modules = tops.clone();
    g.modules.insert(ROOT.to_owned());
    // The root's imports and re-exports: name → the top-level module it comes from.
    let root_scan = &units[0].scan;
    let mut reexports: BTreeMap<String, String> = BTreeMap::new();
    for (leaf, path) in &root_scan.uses {
        let segs: Vec<&str> = path
            .iter()
            .map(String::as_str)
            .skip_while(|s| *s == "crate" || *s == "self")
            .collect();
        if let Some(first) = segs.first() {
            if tops.contains(*first) && leaf != "*" {
                reexports.insert(leaf.clone(), (*first).to_owned());
            }
        }
    }
    let root_items: BTreeSet<&String> = root_scan.items.iter().collect();
    let resolve_at_root = |name: &str| -> Option<String> {
        if tops.contains(name) {
            Some(name.to_owned())
        } else if let Some(m) = reexports.get(name) {
            Some(m.clone())
        } else if root_items.contains(&name.to_owned()) {
            Some(ROOT.to_owned())
        } else {
            None
        }
    };
    for u in &units {
        let from = u.top.clone().unwrap_or_else(|| ROOT.to_owned());
        for (r, line) in &u.scan.refs {
            let to = match r {
                Ref::Crate(name) => resolve_at_root(name),
                Ref::Super {
                    climbs,
                    inline,
                    name,
                } if u.depth + inline == *climbs => resolve_at_root(name),
                Ref::Super { .. } => None,
                Ref::Plain { inline: 0, name } if u.top.is_none() => {
                    tops.contains(name.as_str()).then(|| name.clone())
                }
                Ref::Plain { .. } => None,
            };
            if let Some(to) = to {
                if to != from {
                    g.edges
                        .entry(from.clone())
                        .or_default()
                        .entry(to)
                        .or_insert_with(|| Site {
                            file: u.path.clone(),
                            line: *line,
                        });
                }
            }
        }
    }
    g
}

impl ModuleGraph {
    /// Every cycle, one per strongly connected component of two or more modules, each
    /// as a closed walk `a → b → … → a` through that component.
    pub fn cycles(&self) -> Vec<Vec<String>> {
        self.tangles()
            .into_iter()
            .filter_map(|c| self.cycle_in(&c))
            .collect()
    }

    /// The strongly connected components of two or more modules (each a set of modules
    /// that all reach each other), in a stable order.
    pub fn tangles(&self) -> Vec<BTreeSet<String>> {
        let mut t: Vec<BTreeSet<String>> = self
            .components()
            .into_iter()
            .filter(|c| c.len() > 1)
            .collect();
        t.sort();
        t
    }

    /// Every edge inside `comp`, one line each with where it was first seen.
    pub fn describe_tangle(&self, comp: &BTreeSet<String>) -> String {
        let mut s = String::new();
        for from in comp {
            for (to, site) in self.edges.get(from).into_iter().flatten() {
                if comp.contains(to) {
                    s.push_str(&format!(
                        "  {from} → {to} ({}:{})\n",
                        site.file.display(),
                        site.line
                    ));
                }
            }
        }
        s
    }

    fn successors<'a>(&'a self, m: &str) -> impl Iterator<Item = &'a String> + 'a {
        self.edges.get(m).into_iter().flat_map(|e| e.keys())
    }

    /// Strongly connected components (Tarjan), each sorted.
    fn components(&self) -> Vec<BTreeSet<String>> {
        struct T<'g> {
            g: &'g ModuleGraph,
            index: BTreeMap<&'g str, usize>,
            low: BTreeMap<&'g str, usize>,
            stack: Vec<&'g str>,
            on: BTreeSet<&'g str>,
            next: usize,
            out: Vec<BTreeSet<String>>,
        }
        fn visit<'g>(t: &mut T<'g>, v: &'g str) {
            t.index.insert(v, t.next);
            t.low.insert(v, t.next);
            t.next += 1;
            t.stack.push(v);
            t.on.insert(v);
            let succ: Vec<&'g String> = t.g.successors(v).collect();
            for w in succ {
                let w = w.as_str();
                if !t.index.contains_key(w) {
                    visit(t, w);
                    let lw = t.low[w];
                    let lv = t.low[v];
                    t.low.insert(v, lv.min(lw));
                } else if t.on.contains(w) {
                    let iw = t.index[w];
                    let lv = t.low[v];
                    t.low.insert(v, lv.min(iw));
                }
            }
            if t.low[v] == t.index[v] {
                let mut c = BTreeSet::new();
                while let Some(w) = t.stack.pop() {
                    t.on.remove(w);
                    c.insert(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                t.out.push(c);
            }
        }
        let mut t = T {
            g: self,
            index: BTreeMap::new(),
            low: BTreeMap::new(),
            stack: Vec::new(),
            on: BTreeSet::new(),
            next: 0,
            out: Vec::new(),
        };
        for m in &self.modules {
            if !t.index.contains_key(m.as_str()) {
                visit(&mut t, m);
            }
        }
        t.out
    }

    /// A shortest cycle through the first module of `comp`, inside `comp`.
    fn cycle_in(&self, comp: &BTreeSet<String>) -> Option<Vec<String>> {
        let start = comp.iter().next()?;
        // BFS from start's successors back to start.
        let mut prev: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::new();
        queue.push_back(start.as_str());
        let mut seen = BTreeSet::new();
        while let Some(v) = queue.pop_front() {
            for w in self.successors(v) {
                if !comp.contains(w) {
                    continue;
                }
                if w == start {
                    let mut back = Vec::new();
                    let mut x = v;
                    while x != start {
                        back.push(x.to_owned());
                        x = prev.get(x).copied()?;
                    }
                    let mut walk = vec![start.clone()];
                    walk.extend(back.into_iter().rev());
                    walk.push(start.clone());
                    return Some(walk);
                }
                if seen.insert(w.as_str()) {
                    prev.insert(w.as_str(), v);
                    queue.push_back(w.as_str());
                }
            }
        }
        None
    }

    /// `a → b (file:line) → …` for messages.
    pub fn describe(&self, cycle: &[String]) -> String {
        let mut s = String::new();
        for pair in cycle.windows(2) {
            let site = self.edges.get(&pair[0]).and_then(|e| e.get(&pair[1]));
            match site {
                Some(site) => s.push_str(&format!(
                    "{} → {} ({}:{})\n",
                    pair[0],
                    pair[1],
                    site.file.display(),
                    site.line
                )),
                None => s.push_str(&format!("{} → {}\n", pair[0], pair[1])),
            }
        }
        s
    }
}

/// The crate roots of a workspace: every `src/lib.rs` and `src/main.rs` of the packages
/// in `dirs` (each a directory of package directories, such as `crates/`).
pub fn workspace_roots(workspace: &Path, dirs: &[&str]) -> Vec<PathBuf> {
    let mut roots = Vec::new();
    for d in dirs {
        let Ok(entries) = std::fs::read_dir(workspace.join(d)) else {
            continue;
        };
        let mut packages: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        packages.sort();
        for p in packages {
            if !p.join("Cargo.toml").is_file() {
                continue;
            }
            for root in ["src/lib.rs", "src/main.rs"] {
                if p.join(root).is_file() {
                    roots.push(p.join(root));
                }
            }
        }
    }
    roots
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(files: &[(&str, &str)]) -> ModuleGraph {
        let files: BTreeMap<PathBuf, String> = files
            .iter()
            .map(|(p, s)| (PathBuf::from(p), (*s).to_owned()))
            .collect();
        crate_graph(Path::new("src/lib.rs"), &|p: &Path| files.get(p).cloned())
    }

    #[test]
    fn a_cycle_is_found_and_named() {
        let g = graph(&[
            ("src/lib.rs", "mod a;\nmod b;\nmod c;\n"),
            ("src/a.rs", "use crate::b::B;\npub struct A;"),
            ("src/b.rs", "pub struct B;\nfn f() { crate::c::g() }"),
            ("src/c.rs", "use crate::{x, a::A};\npub fn g() {}"),
        ]);
        let cycles = g.cycles();
        assert_eq!(cycles, vec![vec!["a", "b", "c", "a"]], "{g:?}");
        let text = g.describe(&cycles[0]);
        assert!(text.contains("a → b (src/a.rs:1)"), "{text}");
        assert!(text.contains("b → c (src/b.rs:2)"), "{text}");
        assert!(text.contains("c → a (src/c.rs:1)"), "{text}");
    }

    #[test]
    fn a_layered_crate_has_none() {
        let g = graph(&[
            ("src/lib.rs", "mod a;\nmod b;\npub use a::A;\n"),
            ("src/a.rs", "use crate::b::B;\npub struct A;"),
            ("src/b.rs", "pub struct B;"),
        ]);
        assert!(g.cycles().is_empty(), "{g:?}");
        assert!(g.edges["a"].contains_key("b"));
    }

    #[test]
    fn reexports_super_chains_and_nested_files_count() {
        let g = graph(&[
            (
                "src/lib.rs",
                "mod a;\nmod b;\npub use b::Thing;\nfn helper() {}\n",
            ),
            // `crate::Thing` is b's, via the root's re-export
            (
                "src/a/mod.rs",
                "mod inner;\npub fn f() -> crate::Thing { todo!() }",
            ),
            // two `super`s from a/inner.rs reach the root, then `b`
            (
                "src/a/inner.rs",
                "use super::super::b::Other;\nuse super::f;",
            ),
            // b uses an item defined in the root: b → crate, and crate → b (re-export)
            (
                "src/b.rs",
                "pub struct Thing; pub struct Other;\nfn g() { crate::helper() }",
            ),
        ]);
        assert!(g.edges["a"].contains_key("b"), "{g:?}");
        assert_eq!(g.edges["a"]["b"].file, PathBuf::from("src/a/mod.rs"));
        assert!(g.edges["b"].contains_key(ROOT), "{g:?}");
        assert_eq!(g.cycles(), vec![vec!["b", ROOT, "b"]]);
        assert!(g.missing.is_empty());
    }

    #[test]
    fn comments_strings_and_test_code_are_not_read() {
        let g = graph(&[
            ("src/lib.rs", "mod a;\nmod b;\n"),
            ("src/a.rs", "//! See [`crate::b`].\nuse crate::b::B;\n"),
            (
                "src/b.rs",
                r##"/// Unlike [`crate::a::A`]
/* crate::a:: */
const S: &str = "crate::a::A";
const R: &str = r#"use crate::a;"#;
const C: char = '"';
fn f<'a>(x: &'a str) -> &'a str { x }
#[cfg(test)]
mod tests { use crate::a::A; fn t() { crate::a::f(); } }
#[cfg(test)]
use crate::a::A;
#[cfg(not(test))]
fn real() {}
pub struct B;
"##,
            ),
        ]);
        assert!(g.cycles().is_empty(), "{g:?}");
        assert!(!g.edges.contains_key("b"), "{g:?}");
    }

    #[test]
    fn a_not_test_cfg_is_read_and_inline_modules_count() {
        let g = graph(&[
            ("src/lib.rs", "mod a;\nmod b;\n"),
            ("src/a.rs", "use crate::b::B;\n"),
            (
                "src/b.rs",
                "pub struct B;\n#[cfg(not(test))]\nmod imp { use super::super::a; }\n",
            ),
        ]);
        assert_eq!(g.cycles(), vec![vec!["a", "b", "a"]], "{g:?}");
    }
}
