//! Architecture checks of the workspace (no dependencies, run by `cargo test --workspace`).
//!
//! **No module cycle inside any crate, at any depth.** For each crate root (`src/lib.rs`,
//! `src/main.rs`) [`module_graph`] reads the module tree from its `mod` declarations: a
//! file `a/b/c.rs` or `a/b/c/mod.rs` is the module `a::b::c`, an inline `mod x { … }`
//! in it the module `a::b::c::x`. The graph has an edge `A → B` when code of `A` uses an
//! item `B` defines:
//!
//! - a `use`: `use super::X`, `use crate::a::b::Y`, `use self::b::Z`, and a re-export
//!   `pub use child::W` (the parent uses its child); a `use` of a module
//!   (`use crate::a;`) or a glob (`use a::*`) is a use of that module;
//! - a path in code: `crate::a::f()`, `super::X`, `self::b::g`, `b::item` for a child
//!   `b` or a name `A` imports, `$crate::…` in a macro, serde's `with = "m"` and the like.
//!
//! A path is followed through imports and re-exports to the module that **defines** the
//! item: `crate::Error` after `pub use error::Error` is a use of `error`, not of the
//! root; `use super::X` in a child, where the parent only re-exports `X` from a sibling,
//! is a use of that sibling. An item the root defines is a use of the root ([`ROOT`]).
//! A path that starts outside the crate (another crate, the prelude, a generic `T::x`,
//! `Self::x`) is no edge. Comments, doc comments, string literals, attributes (but
//! `#[path]` and serde's paths) and `#[cfg(test)]` items are not read (tests may reach
//! anywhere).
//!
//! **Declaring is not using.** `mod child;` makes the parent *own* the child (the
//! "owns" edge of `cargo modules dependencies`) and is no edge here: only uses form
//! cycles. A child may use its parent while the parent uses nothing of the child; but a
//! parent that re-exports its children (`pub use child::X`) uses them, so none of them
//! may use it: what the children share lives in a leaf module beside them, and the
//! parent only declares and re-exports.
//!
//! The graph must have no cycle: the module-level graph `cargo modules dependencies
//! --acyclic` looks at (every item's uses counted for the module defining it, as
//! drawn with `--no-fns --no-traits --no-types`), checked without building
//! `cargo-modules`. [`crate_graph`] is the same graph merged into top-level modules
//! ([`ModuleGraph::top_level`]), which must be acyclic too: there `a::x → b` and
//! `b::y → a` are a cycle of `a` and `b`, though no module reaches itself.

mod graph;
mod lex;
mod resolve;
mod scan;
mod tree;
mod uses;
mod workspace;

pub use graph::{top_level_of, ModuleGraph, Site, ROOT};
pub use uses::{crate_graph, module_graph};
pub use workspace::workspace_roots;
