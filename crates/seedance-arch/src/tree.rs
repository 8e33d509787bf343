//! The module tree of one crate root, read file by file from its `mod` declarations:
//! `a/b/c.rs` or `a/b/c/mod.rs` (or a `#[path]`) is module `a::b::c`, an inline
//! `mod x { … }` in it is `a::b::c::x`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::graph::ROOT;
use crate::scan::{scan, Import, ModScan};

/// The root's index in [`ModuleTree::modules`].
pub(crate) const ROOT_INDEX: usize = 0;

/// One module of the tree.
#[derive(Debug)]
pub(crate) struct Module {
    /// Its path without `crate::` (`a::b`); `crate` for the root.
    pub(crate) name: String,
    /// Its parent's index (`None` for the root).
    pub(crate) parent: Option<usize>,
    /// Its child modules by name.
    pub(crate) children: BTreeMap<String, usize>,
    /// The file holding its code.
    pub(crate) file: PathBuf,
    /// Names of the items it defines.
    pub(crate) items: BTreeSet<String>,
    /// Its module-level `use` leaves.
    pub(crate) imports: Vec<Import>,
    /// The `use` leaves inside its blocks.
    pub(crate) local_imports: Vec<Import>,
    /// The paths its code names.
    pub(crate) refs: Vec<(Vec<String>, usize)>,
}

/// The modules of one crate root, the root first.
#[derive(Debug, Default)]
pub(crate) struct ModuleTree {
    pub(crate) modules: Vec<Module>,
    /// Files of the tree that could not be found (a declared `mod x;` without `x.rs`).
    pub(crate) missing: Vec<PathBuf>,
}

impl ModuleTree {
    /// Reads the tree of the crate root `root` through `read` (path → source; `None`
    /// when absent).
    pub(crate) fn read(root: &Path, read: &dyn Fn(&Path) -> Option<String>) -> ModuleTree {
        let mut tree = ModuleTree::default();
        let Some(src) = read(root) else {
            tree.missing.push(root.to_path_buf());
            return tree;
        };
        let dir = root.parent().unwrap_or(Path::new("")).to_path_buf();
        tree.add(None, ROOT.to_owned(), root, &dir, scan(&src), read);
        tree
    }

    /// Adds the module `name` scanned from `file` (children of its out-of-line
    /// declarations in `child_dir`), then its children; returns its index.
    fn add(
        &mut self,
        parent: Option<usize>,
        name: String,
        file: &Path,
        child_dir: &Path,
        s: ModScan,
        read: &dyn Fn(&Path) -> Option<String>,
    ) -> usize {
        let me = self.modules.len();
        self.modules.push(Module {
            name,
            parent,
            children: BTreeMap::new(),
            file: file.to_path_buf(),
            items: s.items,
            imports: s.imports,
            local_imports: s.local_imports,
            refs: s.refs,
        });
        for (child, body) in s.inline {
            let full = self.child_name(me, &child);
            let idx = self.add(Some(me), full, file, &child_dir.join(&child), body, read);
            self.modules[me].children.insert(child, idx);
        }
        for decl in s.mods {
            let candidates = match &decl.path_attr {
                Some(p) => vec![file.parent().unwrap_or(Path::new("")).join(p)],
                None => vec![
                    child_dir.join(format!("{}.rs", decl.name)),
                    child_dir.join(&decl.name).join("mod.rs"),
                ],
            };
            let found = candidates
                .iter()
                .find_map(|p| read(p).map(|src| (p.clone(), src)));
            let Some((path, src)) = found else {
                self.missing.push(candidates[0].clone());
                continue;
            };
            let full = self.child_name(me, &decl.name);
            // Children of `x.rs` and `x/mod.rs` live in `x/`.
            let next_dir = child_dir.join(&decl.name);
            let idx = self.add(Some(me), full, &path, &next_dir, scan(&src), read);
            self.modules[me].children.insert(decl.name, idx);
        }
        me
    }

    fn child_name(&self, parent: usize, child: &str) -> String {
        if parent == ROOT_INDEX {
            child.to_owned()
        } else {
            format!("{}::{child}", self.modules[parent].name)
        }
    }
}
