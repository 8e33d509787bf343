//! No module cycle inside any crate of the workspace (issue 9): every crate root under
//! `crates/` and `bindings/`, read by [`seedance_arch::crate_graph`].
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

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
    let mut found = String::new();
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
            let cycle = g.cycles().into_iter().find(|c| tangle.contains(&c[0]));
            found.push_str(&format!(
                "{name}: {{{}}}, e.g. {}\n{}",
                members.join(", "),
                cycle.map(|c| c.join(" → ")).unwrap_or_default(),
                g.describe_tangle(&tangle)
            ));
        }
    }
    assert!(
        found.is_empty(),
        "module cycles (each set of modules below reaches itself; move what one of them \
         needs below it, see seedance-arch's docs):\n{found}"
    );
}
