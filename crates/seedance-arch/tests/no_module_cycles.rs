//! No module cycle inside any crate of the workspace (issue 9), at every depth: every
//! crate root under `crates/` and `bindings/`, read by [`seedance_arch::module_graph`]
//! (a parent and its children, siblings, any two modules) and merged into top-level
//! modules ([`seedance_arch::crate_graph`]).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use seedance_arch::ModuleGraph;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Each tangle of `g` (a set of modules that reach each other): its members, one cycle
/// through it and every edge inside it with where it was seen.
fn tangles(name: &str, view: &str, g: &ModuleGraph) -> String {
    let mut found = String::new();
    let cycles = g.cycles();
    for tangle in g.tangles() {
        let members: Vec<&str> = tangle.iter().map(String::as_str).collect();
        let cycle = cycles.iter().find(|c| tangle.contains(&c[0]));
        found.push_str(&format!(
            "{name} ({view}): {{{}}}, e.g. {}\n{}",
            members.join(", "),
            cycle.map(|c| c.join(" → ")).unwrap_or_default(),
            g.describe_tangle(&tangle)
        ));
    }
    found
}

#[test]
fn no_crate_has_a_module_cycle() {
    let ws = workspace();
    let roots = seedance_arch::workspace_roots(&ws, &["crates", "bindings"]);
    assert!(roots.len() >= 8, "crate roots found: {roots:?}");
    let mut found = String::new();
    for root in &roots {
        let rel = root.strip_prefix(&ws).unwrap().to_path_buf();
        let name = rel.display().to_string();
        let g =
            seedance_arch::module_graph(&rel, &|p: &Path| std::fs::read_to_string(ws.join(p)).ok());
        assert!(
            g.missing.is_empty(),
            "{name}: module files not found: {:?}",
            g.missing
        );
        let top = g.top_level();
        if name == "crates/seedance-http/src/lib.rs" {
            // the reader really walks the tree (transport, client, poller, budget, …),
            // at every depth (error re-exports its children: a use of each)
            assert!(top.modules.len() > 20, "{name}: {:?}", top.modules);
            assert!(top.edges["client"].contains_key("transport"), "{top:?}");
            assert!(
                g.modules.contains("budget::local"),
                "{name}: {:?}",
                g.modules
            );
            assert!(g.edges["error"].contains_key("error::transport"), "{g:?}");
        }
        if name == "crates/seedance-core/src/lib.rs" {
            assert!(
                g.modules.contains("prompt::render"),
                "{name}: {:?}",
                g.modules
            );
        }
        found.push_str(&tangles(&name, "every depth", &g));
        found.push_str(&tangles(&name, "top-level modules", &top));
    }
    assert!(
        found.is_empty(),
        "module cycles (each set of modules below reaches itself; move what one of them \
         needs below it, into a leaf module, see seedance-arch's docs):\n{found}"
    );
}
