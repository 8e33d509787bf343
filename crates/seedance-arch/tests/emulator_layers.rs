//! The emulator's modules form layers (issue 9 ask 5): configuration, faults and errors at
//! the bottom, then the state, the app, the handlers and the server; a module uses only
//! modules of its own layer or below (no cycle either: `no_module_cycles`). Read by
//! [`seedance_arch::crate_graph`].
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

/// Bottom up. A new module of the emulator must be placed here.
const LAYERS: &[&[&str]] = &[
    &["errors", "timefmt", "media", "render", "faults", "config"],
    &["state"],
    &["app"],
    &["handlers"],
    &["server"],
    &["args"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

#[test]
fn emulator_modules_use_only_their_layer_or_below() {
    let ws = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = Path::new("crates/seedance-emulator/src/lib.rs");
    let g = seedance_arch::crate_graph(root, &|p: &Path| std::fs::read_to_string(ws.join(p)).ok());
    assert!(g.missing.is_empty(), "{:?}", g.missing);
    let mut wrong = Vec::new();
    for m in &g.modules {
        if m == seedance_arch::ROOT {
            continue;
        }
        if layer_of(m).is_none() {
            wrong.push(format!("{m}: in no layer (add it to LAYERS)"));
        }
    }
    for (from, tos) in &g.edges {
        let Some(lf) = layer_of(from) else { continue };
        for (to, site) in tos {
            if to == seedance_arch::ROOT {
                wrong.push(format!(
                    "{from} uses the crate root ({}:{}): name the module instead",
                    site.file.display(),
                    site.line
                ));
                continue;
            }
            if let Some(lt) = layer_of(to) {
                if lt > lf {
                    wrong.push(format!(
                        "{from} (layer {lf}) uses {to} (layer {lt}) at {}:{}",
                        site.file.display(),
                        site.line
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "emulator layering:\n{}", wrong.join("\n"));
    // the reader sees the real graph: the server routes to the handlers, which use the app
    assert!(g.edges["server"].contains_key("handlers"), "{g:?}");
    assert!(g.edges["handlers"].contains_key("app"), "{g:?}");
    assert!(g.edges["state"].contains_key("config"), "{g:?}");
}
