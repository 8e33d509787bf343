//! What users install (issue 16, "Packages users can install"): the license files, the
//! true minimum Rust, the README's install command, and the release workflow that says
//! it never ran here. (The Python sdist/wheel checks are in scripts/build-python-dist.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn version_of(v: &str) -> (u64, u64, u64) {
    let mut parts = v.split('.').map(|p| p.parse::<u64>().unwrap());
    (
        parts.next().unwrap(),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

#[test]
fn the_license_files_match_what_the_crates_declare() {
    let mit = read("LICENSE-MIT");
    let apache = read("LICENSE-APACHE");
    assert!(mit.contains("MIT License") || mit.contains("Permission is hereby granted"));
    assert!(apache.contains("Apache License") && apache.contains("Version 2.0"));
    assert!(read("Cargo.toml").contains("license = \"MIT OR Apache-2.0\""));
    // The Python package ships copies (PEP 639 paths stay inside python/).
    assert_eq!(read("python/LICENSE-MIT"), mit);
    assert_eq!(read("python/LICENSE-APACHE"), apache);
    let pyproject = read("python/pyproject.toml");
    assert!(pyproject.contains("license-files = [\"LICENSE-MIT\", \"LICENSE-APACHE\"]"));
}

fn cargo(args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = std::process::Command::new(cargo)
        .current_dir(root())
        .args(args)
        .args(["--locked", "--offline"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Each crate's `rust-version` is its true minimum: no locked dependency it builds (normal
/// and build dependencies, as `cargo install --locked` builds them) needs a newer Rust.
/// (It said 1.80 while the lock needed 1.88.)
#[test]
fn rust_version_is_at_least_what_every_locked_dependency_needs() {
    let meta: serde_json::Value =
        serde_json::from_str(&cargo(&["metadata", "--format-version", "1"])).unwrap();
    let rust_version = |name: &str, version: &str| {
        meta["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name && p["version"] == version)
            .and_then(|p| p["rust_version"].as_str())
            .map(version_of)
    };
    let members: Vec<(String, String)> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            meta["workspace_members"]
                .as_array()
                .unwrap()
                .contains(&p["id"])
        })
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(members.len() >= 8, "{members:?}");
    let mut cli_msrv = None;
    for (name, version) in &members {
        let ours = rust_version(name, version)
            .unwrap_or_else(|| panic!("{name} declares no rust-version"));
        let tree = cargo(&[
            "tree",
            "-p",
            name,
            "-e",
            "normal,build",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ]);
        for line in tree.lines() {
            let mut words = line.split_whitespace();
            let (Some(dep), Some(v)) = (words.next(), words.next()) else {
                continue;
            };
            let v = v.trim_start_matches('v');
            if let Some(needs) = rust_version(dep, v) {
                assert!(
                    ours >= needs,
                    "{name}'s rust-version {ours:?} is below what {dep} {v} needs ({needs:?})"
                );
            }
        }
        if name == "seedance-cli" {
            cli_msrv = Some(ours);
        }
    }
    // The README installs the CLI with the lock file and names its minimum.
    let readme = read("README.md");
    let line = readme
        .lines()
        .find(|l| l.starts_with("cargo install --locked"))
        .expect("README installs with cargo install --locked");
    let (major, minor, _) = cli_msrv.unwrap();
    assert!(line.contains(&format!("Rust >= {major}.{minor}")), "{line}");
}

#[test]
fn the_release_workflow_says_it_never_ran_and_calls_scripts_that_exist() {
    let workflow = read(".github/workflows/release.yml");
    assert!(
        workflow.contains("NOT RUN HERE"),
        "the workflow says it cannot run here"
    );
    assert!(read("README.md").contains("It has never run"));
    let mut called = 0;
    for word in workflow.split_whitespace() {
        let script = word.trim_matches(|c: char| c == '`' || c == '(' || c == ')');
        if let Some(rest) = script.strip_prefix("scripts/") {
            let path = root().join("scripts").join(rest);
            assert!(
                path.is_file(),
                "release.yml calls {script}, which is missing"
            );
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&path).unwrap().permissions().mode();
                assert!(mode & 0o111 != 0, "{script} is not executable");
            }
            called += 1;
        }
    }
    assert!(called >= 4, "release.yml calls {called} scripts");
    // Each package of the issue has its job.
    for what in [
        "maturin",
        "package-c",
        "jar",
        "xcframework",
        "cargo publish",
    ] {
        assert!(
            workflow.to_lowercase().contains(what),
            "release.yml has no {what}"
        );
    }
}
