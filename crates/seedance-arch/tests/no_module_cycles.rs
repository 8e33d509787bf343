//! No module cycle inside any crate of the workspace (issue 9): every crate root under
//! `crates/` and `bindings/`, read by [`seedance_arch::crate_graph`].
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Cycles known when the check landed, still to be broken (issue 9): `(crate root,
/// modules that reach each other)`. The list may only shrink: a cycle not listed fails,
/// and so does a listed one that is gone (remove it here).
const KNOWN: &[(&str, &[&str])] = &[(
    "crates/seedance-cli/src/main.rs",
    &["cli", "config", "error", "help"],
)];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

#[test]
fn no_crate_has_a_module_cycle() {
    let ws = workspace();
    let roots = seedance_arch::workspace_roots(&ws, &["crates", "bindings"]);
    assert!(roots.len() >= 8, "crate roots found: {roots:?}");
    let mut new = String::new();
    let mut seen_known = BTreeSet::new();
    for root in &roots {
        let rel = root.strip_prefix(&ws).unwrap().to_path_buf();
        let name = rel.display().to_string();
        let g =
            seedance_arch::crate_graph(&rel, &|p: &Path| std::fs::read_to_string(ws.join(p)).ok());
        assert!(
            g.missing.is_empty(),
            "{name}: module files not found: {:?}",
            g.missing
        );
        if name == "crates/seedance-http/src/lib.rs" {
            // the reader really walks the tree (transport, client, poller, budget, …)
            assert!(g.modules.len() > 20, "{name}: {:?}", g.modules);
            assert!(g.edges["client"].contains_key("transport"), "{g:?}");
        }
        for tangle in g.tangles() {
            let members: Vec<&str> = tangle.iter().map(String::as_str).collect();
            let known = KNOWN
                .iter()
                .position(|(r, m)| *r == name && *m == members.as_slice());
            match known {
                Some(i) => {
                    seen_known.insert(i);
                }
                None => {
                    let cycle = g.cycles().into_iter().find(|c| tangle.contains(&c[0]));
                    new.push_str(&format!(
                        "{name}: {{{}}}, e.g. {}\n{}",
                        members.join(", "),
                        cycle.map(|c| c.join(" → ")).unwrap_or_default(),
                        g.describe_tangle(&tangle)
                    ));
                }
            }
        }
    }
    let gone: Vec<_> = KNOWN
        .iter()
        .enumerate()
        .filter(|(i, _)| !seen_known.contains(i))
        .map(|(_, k)| k)
        .collect();
    assert!(
        new.is_empty(),
        "module cycles (break them; see seedance-arch's docs):\n{new}"
    );
    assert!(
        gone.is_empty(),
        "these known cycles are gone: remove them from KNOWN: {gone:?}"
    );
}
