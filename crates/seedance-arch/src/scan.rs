//! What one file says about its module: the child modules it declares (`mod x;`, and
//! inline `mod x { … }` bodies, each scanned as a module of its own), the items it
//! defines, its `use` imports and the paths its code names. Comments, doc comments,
//! string literals (but `#[path = "…"]` and the paths of `#[serde(with = "…")]`) and
//! `#[cfg(test)]` items are not read.

use std::collections::BTreeSet;

use crate::lex::{lex, Tok};

/// One leaf of a `use` tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Import {
    /// The name it brings into scope (its alias if renamed); `*` for a glob.
    pub(crate) name: String,
    /// The full path, ending in `*` for a glob, in `self` for `a::{self}`.
    pub(crate) path: Vec<String>,
    /// 1-based line of the leaf.
    pub(crate) line: usize,
}

/// An out-of-line child module: `mod name;`, with its `#[path = "…"]` if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ModDecl {
    pub(crate) name: String,
    pub(crate) path_attr: Option<String>,
}

/// One module's body (a file, or an inline `mod x { … }`).
#[derive(Clone, Debug, Default)]
pub(crate) struct ModScan {
    /// Out-of-line child modules.
    pub(crate) mods: Vec<ModDecl>,
    /// Inline child modules, each with its body.
    pub(crate) inline: Vec<(String, ModScan)>,
    /// Names of the items it defines (`fn`, `struct`, `enum`, `trait`, `macro_rules!`…).
    pub(crate) items: BTreeSet<String>,
    /// `use` leaves at module level: they make the module's scope (and re-exports).
    pub(crate) imports: Vec<Import>,
    /// `use` leaves inside blocks (a function's body): they name things for this
    /// module's own code only.
    pub(crate) local_imports: Vec<Import>,
    /// Paths of two or more segments its code names (`a::b`, `super::X`, `crate::f`;
    /// `Vec::<u8>::new` stops at the turbofish), and the paths of serde's `with`-like
    /// attribute strings, each with its line.
    pub(crate) refs: Vec<(Vec<String>, usize)>,
}

/// Scans a file's source as one module.
pub(crate) fn scan(src: &str) -> ModScan {
    let t = lex(src);
    let mut i = 0;
    scan_body(&t, &mut i)
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

fn sep(t: Option<&(Tok, usize)>) -> bool {
    matches!(t, Some((Tok::Sep, _)))
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

/// Flattens the use tree at `t[i..]` (ending at `;`) into its leaves.
fn use_tree(t: &[(Tok, usize)], i: &mut usize, prefix: &[String], out: &mut Vec<Import>) {
    let mut path = prefix.to_vec();
    let mut line = t.get(*i).map_or(0, |x| x.1);
    while *i < t.len() {
        match &t[*i].0 {
            Tok::Ident(s) if s == "as" => {
                if let Some(alias) = ident(t.get(*i + 1)) {
                    out.push(Import {
                        name: alias.to_owned(),
                        path: path.clone(),
                        line,
                    });
                    path.clear();
                }
                *i += 2;
                continue;
            }
            Tok::Ident(s) => {
                line = t[*i].1;
                path.push(s.clone());
            }
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
                line = t[*i].1;
                path.push("*".to_owned());
            }
            _ => break,
        }
        *i += 1;
    }
    if path.len() > prefix.len() {
        let name = match path.last().map(String::as_str) {
            Some("self") if path.len() >= 2 => path[path.len() - 2].clone(),
            Some(l) => l.to_owned(),
            None => return,
        };
        out.push(Import { name, path, line });
    }
}

/// Whether `s` reads as a Rust path (`a`, `a::b_c`).
fn is_path(s: &str) -> bool {
    !s.is_empty()
        && s.split("::").all(|seg| {
            seg.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && seg.chars().all(|c| c.is_alphanumeric() || c == '_')
        })
}

const ITEM_KEYWORDS: &[&str] = &[
    "fn", "struct", "enum", "const", "static", "type", "trait", "union",
];

/// The keys of serde's attributes whose string value is a path the derive calls.
const SERDE_PATH_KEYS: &[&str] = &[
    "with",
    "serialize_with",
    "deserialize_with",
    "default",
    "skip_serializing_if",
    "getter",
];

/// Scans the body of one module from `t[*i]` up to its closing `}` (consumed) or the
/// end of the tokens.
fn scan_body(t: &[(Tok, usize)], i: &mut usize) -> ModScan {
    let mut s = ModScan::default();
    // `{` opened inside this module's body and not yet closed.
    let mut depth = 0usize;
    let mut path_attr: Option<String> = None;
    while *i < t.len() {
        // Attributes: `#[…]` and `#![…]`.
        let inner = punct(t.get(*i + 1), '!');
        if punct(t.get(*i), '#') && punct(t.get(*i + 1 + usize::from(inner)), '[') {
            let open = *i + 1 + usize::from(inner);
            let end = skip_group(t, open);
            let attr = &t[open + 1..end.saturating_sub(1)];
            let is = |w: &str| attr.iter().any(|x| x.0 == Tok::Ident(w.to_owned()));
            let head = ident(attr.first());
            // #[cfg(test)] (not `not(test)`) removes the next item.
            if !inner && head == Some("cfg") && is("test") && !is("not") {
                let mut j = end;
                while punct(t.get(j), '#') {
                    j = skip_group(t, j + 1);
                }
                *i = skip_item(t, j);
                continue;
            }
            if head == Some("path") {
                if let Some((Tok::Str(p), _)) = attr.get(2) {
                    path_attr = Some(p.clone());
                }
            }
            if head == Some("serde") {
                for w in attr.windows(3) {
                    if let (Tok::Ident(key), Tok::Punct('='), Tok::Str(p)) =
                        (&w[0].0, &w[1].0, &w[2].0)
                    {
                        if SERDE_PATH_KEYS.contains(&key.as_str()) && is_path(p) {
                            let segs = p.split("::").map(str::to_owned).collect();
                            s.refs.push((segs, w[2].1));
                        }
                    }
                }
            }
            *i = end;
            continue;
        }
        match &t[*i].0 {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                if depth == 0 {
                    *i += 1;
                    return s;
                }
                depth -= 1;
            }
            Tok::Ident(w) if w == "mod" => {
                if let Some(name) = ident(t.get(*i + 1)) {
                    if punct(t.get(*i + 2), ';') {
                        s.mods.push(ModDecl {
                            name: name.to_owned(),
                            path_attr: path_attr.take(),
                        });
                        *i += 3;
                        continue;
                    }
                    if punct(t.get(*i + 2), '{') {
                        let name = name.to_owned();
                        *i += 3;
                        let body = scan_body(t, i);
                        s.inline.push((name, body));
                        continue;
                    }
                }
            }
            Tok::Ident(w) if w == "use" => {
                *i += 1;
                let mut leaves = Vec::new();
                use_tree(t, i, &[], &mut leaves);
                if depth == 0 {
                    s.imports.extend(leaves);
                } else {
                    s.local_imports.extend(leaves);
                }
                continue;
            }
            Tok::Ident(w) if depth == 0 && ITEM_KEYWORDS.contains(&w.as_str()) => {
                if let Some(name) = ident(t.get(*i + 1)) {
                    s.items.insert(name.to_owned());
                }
            }
            Tok::Ident(w) if depth == 0 && w == "macro_rules" => {
                if let Some(name) = ident(t.get(*i + 2)) {
                    s.items.insert(name.to_owned());
                }
            }
            Tok::Ident(first)
                if sep(t.get(*i + 1))
                    && !(*i > 0 && (t[*i - 1].0 == Tok::Sep || t[*i - 1].0 == Tok::Punct('.'))) =>
            {
                let line = t[*i].1;
                let mut segs = vec![first.clone()];
                let mut j = *i + 1;
                while sep(t.get(j)) {
                    match ident(t.get(j + 1)) {
                        Some(n) => segs.push(n.to_owned()),
                        None => break,
                    }
                    j += 2;
                }
                if segs.len() >= 2 {
                    s.refs.push((segs, line));
                }
                *i = j;
                continue;
            }
            _ => {}
        }
        *i += 1;
    }
    s
}
