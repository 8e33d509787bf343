//! Name resolution over a [`ModuleTree`]: the module that defines what a path names,
//! following `use` imports and re-exports (`pub use`, globs) down to the definition.

use crate::tree::{ModuleTree, ROOT_INDEX};

/// What a path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// A module itself (`use crate::a;`, `a::{self}`).
    Module(usize),
    /// An item defined in this module, or something below one (a variant, a method).
    Item(usize),
}

impl Target {
    /// The module named, or the one defining the item named.
    pub(crate) fn module(self) -> usize {
        match self {
            Target::Module(m) | Target::Item(m) => m,
        }
    }
}

/// What a name is in a module's scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Found {
    /// Something of this crate.
    In(Target),
    /// A name imported from outside the crate (`use serde::Serialize;`).
    Outside,
}

/// How deep one resolution may follow imports (guards `use` loops).
const MAX_HOPS: usize = 64;

impl ModuleTree {
    /// What `path` names in the code of module `m` (its imports inside blocks seen
    /// too); `None` when the path starts outside the crate (another crate, the prelude,
    /// a generic `T::x`, `Self::x`). A name a known module does not define (made by a
    /// macro, say) is taken as that module's item.
    pub(crate) fn resolve(&self, m: usize, path: &[String]) -> Option<Target> {
        self.resolve_in(m, path, true, MAX_HOPS)
    }

    fn resolve_in(&self, m: usize, path: &[String], local: bool, hops: usize) -> Option<Target> {
        let hops = hops.checked_sub(1)?;
        let (first, rest) = path.split_first()?;
        let mut cur = match first.as_str() {
            "crate" => ROOT_INDEX,
            "self" => m,
            "super" => self.modules[m].parent?,
            _ => match self.lookup(m, first, local, hops)? {
                Found::In(Target::Module(x)) => x,
                Found::In(item) => return Some(item),
                Found::Outside => return None,
            },
        };
        for seg in rest {
            match seg.as_str() {
                "self" => {}
                "super" => cur = self.modules[cur].parent?,
                _ => match self.lookup(cur, seg, false, hops) {
                    Some(Found::In(Target::Module(x))) => cur = x,
                    Some(Found::In(item)) => return Some(item),
                    Some(Found::Outside) => return None,
                    None => return Some(Target::Item(cur)),
                },
            }
        }
        Some(Target::Module(cur))
    }

    /// What `name` is in the scope of module `m`: a child module, an item it defines,
    /// a name it imports (resolved on), or a name one of its globs brings; `None` when
    /// it is none of these.
    fn lookup(&self, m: usize, name: &str, local: bool, hops: usize) -> Option<Found> {
        let hops = hops.checked_sub(1)?;
        let module = &self.modules[m];
        if let Some(&child) = module.children.get(name) {
            return Some(Found::In(Target::Module(child)));
        }
        if module.items.contains(name) {
            return Some(Found::In(Target::Item(m)));
        }
        let locals = if local {
            &module.local_imports[..]
        } else {
            &[]
        };
        let imports = || module.imports.iter().chain(locals);
        if let Some(import) = imports().find(|i| i.name == name) {
            return Some(
                self.resolve_in(m, &import.path, local, hops)
                    .map_or(Found::Outside, Found::In),
            );
        }
        for glob in imports().filter(|i| i.name == "*") {
            let base = &glob.path[..glob.path.len().saturating_sub(1)];
            if let Some(Target::Module(g)) = self.resolve_in(m, base, local, hops) {
                if g != m {
                    if let Some(found) = self.lookup(g, name, false, hops) {
                        return Some(found);
                    }
                }
            }
        }
        None
    }
}
