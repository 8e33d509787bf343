//! The uses graph of one crate root, at every depth and merged into top-level modules.

use std::path::Path;

use crate::graph::{ModuleGraph, Site};
use crate::tree::ModuleTree;

/// Reads the module tree of the crate root `root` (a `lib.rs` or `main.rs`) through
/// `read` (path → source; `None` when absent) and builds its graph of modules at every
/// depth (`a`, `a::b`, …, and [`crate::ROOT`]); see the crate's docs for what an edge is.
pub fn module_graph(root: &Path, read: &dyn Fn(&Path) -> Option<String>) -> ModuleGraph {
    let tree = ModuleTree::read(root, read);
    let mut g = ModuleGraph {
        modules: tree.modules.iter().map(|m| m.name.clone()).collect(),
        missing: tree.missing.clone(),
        ..ModuleGraph::default()
    };
    for (idx, m) in tree.modules.iter().enumerate() {
        // (line, module used), then recorded in line order: the first site stays.
        let mut used: Vec<(usize, usize)> = Vec::new();
        for import in m.imports.iter().chain(&m.local_imports) {
            let path = match import.path.split_last() {
                Some((last, base)) if last == "*" => base,
                _ => &import.path[..],
            };
            if let Some(t) = tree.resolve(idx, path) {
                used.push((import.line, t.module()));
            }
        }
        for (path, line) in &m.refs {
            if let Some(t) = tree.resolve(idx, path) {
                used.push((*line, t.module()));
            }
        }
        used.sort_unstable();
        for (line, to) in used {
            let site = Site {
                file: m.file.clone(),
                line,
            };
            g.add_edge(&m.name, &tree.modules[to].name, site);
        }
    }
    g
}

/// [`module_graph`] merged into the top-level modules of the crate (and its root):
/// every file belongs to its top-level module ([`ModuleGraph::top_level`]).
pub fn crate_graph(root: &Path, read: &dyn Fn(&Path) -> Option<String>) -> ModuleGraph {
    module_graph(root, read).top_level()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use super::*;
    use crate::graph::ROOT;

    fn files(files: &[(&str, &str)]) -> BTreeMap<PathBuf, String> {
        files
            .iter()
            .map(|(p, s)| (PathBuf::from(p), (*s).to_owned()))
            .collect()
    }

    /// The top-level graph of the fixture crate `src/lib.rs`.
    fn graph(fixture: &[(&str, &str)]) -> ModuleGraph {
        let files = files(fixture);
        crate_graph(Path::new("src/lib.rs"), &|p: &Path| files.get(p).cloned())
    }

    /// The graph at every depth of the fixture crate `src/lib.rs`.
    fn deep(fixture: &[(&str, &str)]) -> ModuleGraph {
        let files = files(fixture);
        module_graph(Path::new("src/lib.rs"), &|p: &Path| files.get(p).cloned())
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

    #[test]
    fn a_parent_and_its_child_that_use_each_other_are_a_cycle() {
        let fixture = [
            ("src/lib.rs", "mod prompt;\npub use prompt::DirectorPrompt;\n"),
            (
                "src/prompt/mod.rs",
                "mod render;\npub struct DirectorPrompt;\n\
                 impl DirectorPrompt { pub fn text(&self) -> String { render::join_roles(self) } }\n",
            ),
            (
                "src/prompt/render.rs",
                "use super::DirectorPrompt;\npub fn join_roles(_: &DirectorPrompt) -> String { String::new() }\n",
            ),
        ];
        let g = deep(&fixture);
        assert!(g.modules.contains("prompt::render"), "{g:?}");
        let cycles = g.cycles();
        assert_eq!(
            cycles,
            vec![vec!["prompt", "prompt::render", "prompt"]],
            "{g:?}"
        );
        let text = g.describe(&cycles[0]);
        assert!(
            text.contains("prompt → prompt::render (src/prompt/mod.rs:3)"),
            "{text}"
        );
        assert!(
            text.contains("prompt::render → prompt (src/prompt/render.rs:1)"),
            "{text}"
        );
        // merged into top-level modules it is invisible: why the check reads every depth
        assert!(graph(&fixture).cycles().is_empty());
    }

    #[test]
    fn declaring_a_child_is_no_use_of_it() {
        // `mod child;` owns the child: the child may use its parent
        let g = deep(&[
            ("src/lib.rs", "mod parent;\n"),
            ("src/parent/mod.rs", "mod child;\npub struct Shared;\n"),
            ("src/parent/child.rs", "use super::Shared;\n"),
        ]);
        assert!(g.cycles().is_empty(), "{g:?}");
        assert!(g.edges["parent::child"].contains_key("parent"), "{g:?}");
        assert!(!g.edges.contains_key("parent"), "{g:?}");
    }

    #[test]
    fn a_reexport_is_a_use_of_the_child() {
        // … but once the parent re-exports the child, the child must not use the parent
        let g = deep(&[
            ("src/lib.rs", "mod parent;\n"),
            (
                "src/parent/mod.rs",
                "mod child;\npub use child::X;\npub struct Shared;\n",
            ),
            ("src/parent/child.rs", "use super::Shared;\npub struct X;\n"),
        ]);
        assert_eq!(
            g.cycles(),
            vec![vec!["parent", "parent::child", "parent"]],
            "{g:?}"
        );
        assert_eq!(g.edges["parent"]["parent::child"].line, 2);
    }

    #[test]
    fn what_children_share_in_a_leaf_is_no_cycle() {
        // the parent declares and re-exports; `super::DirectorPrompt` and
        // `crate::prompt::DirectorPrompt` name the leaf that defines it
        let g = deep(&[
            ("src/lib.rs", "mod cli;\nmod prompt;\n"),
            ("src/cli.rs", "use crate::prompt::DirectorPrompt;\n"),
            (
                "src/prompt/mod.rs",
                "mod director;\nmod render;\npub use director::DirectorPrompt;\npub use render::join_roles;\n",
            ),
            ("src/prompt/director.rs", "pub struct DirectorPrompt;\n"),
            (
                "src/prompt/render.rs",
                "use super::DirectorPrompt;\npub fn join_roles(_: &DirectorPrompt) {}\n",
            ),
        ]);
        assert!(g.cycles().is_empty(), "{g:?}");
        let to = |from: &str| g.edges[from].keys().cloned().collect::<Vec<_>>();
        assert_eq!(to("prompt"), vec!["prompt::director", "prompt::render"]);
        assert_eq!(to("prompt::render"), vec!["prompt::director"]);
        assert_eq!(to("cli"), vec!["prompt::director"]);
    }

    #[test]
    fn self_super_chains_inline_modules_and_local_uses_count() {
        let g = deep(&[
            (
                "src/lib.rs",
                "mod a;\nmod x { pub fn y() { super::z() } }\nfn z() { x::y() }\n",
            ),
            (
                "src/a/mod.rs",
                "mod b;\npub fn f() { self::b::g(); }\nfn k() { use crate::a::b::c; c::h() }\n",
            ),
            ("src/a/b/mod.rs", "mod c;\npub fn g() {}\n"),
            (
                "src/a/b/c.rs",
                "pub fn h() { super::super::f() }\nmacro_rules! m { () => { $crate::x::y() } }\n",
            ),
        ]);
        let to = |from: &str| g.edges[from].keys().cloned().collect::<Vec<_>>();
        assert_eq!(to("a"), vec!["a::b", "a::b::c"]);
        assert_eq!(to("a::b::c"), vec!["a", "x"]);
        assert_eq!(g.edges["a::b::c"]["a"].file, PathBuf::from("src/a/b/c.rs"));
        // the root and its inline module `x` use each other; `a`'s tree reaches `a`
        assert_eq!(
            g.tangles(),
            vec![
                ["a", "a::b::c"].map(String::from).into(),
                [ROOT, "x"].map(String::from).into()
            ],
            "{g:?}"
        );
    }

    #[test]
    fn globs_serde_paths_and_outside_names() {
        let g = deep(&[
            (
                "src/lib.rs",
                "mod a;\nmod b;\nmod limit;\npub use a::*;\npub use other_crate::Thing;\n",
            ),
            ("src/a.rs", "pub struct A;\n"),
            (
                "src/b.rs",
                "use serde::Serialize;\npub fn f(_: crate::Thing) -> crate::A { todo!() }\n",
            ),
            (
                "src/limit.rs",
                "#[derive(Serialize)]\npub struct L {\n    \
                 #[serde(with = \"millis\", skip_serializing_if = \"Option::is_none\")]\n    \
                 w: u64,\n}\nmod millis { use super::*; }\n",
            ),
        ]);
        // `crate::A` through the root's glob; `crate::Thing` and serde are another crate's
        let to = |from: &str| g.edges[from].keys().cloned().collect::<Vec<_>>();
        assert_eq!(to("b"), vec!["a"]);
        assert_eq!(to(ROOT), vec!["a"]);
        // `with = "millis"` calls the child; its glob of `super` uses the parent
        assert_eq!(g.edges["limit"]["limit::millis"].line, 3);
        assert_eq!(g.cycles(), vec![vec!["limit", "limit::millis", "limit"]]);
    }
}
