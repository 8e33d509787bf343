//! Where the crate roots of the workspace are.

use std::path::{Path, PathBuf};

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
