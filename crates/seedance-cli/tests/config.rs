//! Config profiles (issue 16): `$XDG_CONFIG_HOME/seedance/config.toml`, selected by
//! `--profile` / `SEEDANCE_PROFILE`; flag > variable > profile > default, shown by
//! `seedance config show` (never the key).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;

use std::path::Path;

use common::{json, run, seedance, SECRET_KEY};

fn write_config(dir: &Path, text: &str) {
    let d = dir.join("cfg/seedance");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("config.toml"), text).unwrap();
}

fn run_in(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let mut c = seedance(dir);
    c.env("XDG_CONFIG_HOME", dir.join("cfg"));
    for (k, v) in env {
        c.env(k, v);
    }
    c.args(args);
    run(c)
}

const CONFIG: &str = r#"
default_profile = "work"

[profile.work]
base_url = "http://127.0.0.1:9/work"
quality_tier = "pro"
resolution = "1080p"
wait_timeout = "1h"
budget = "redis://:hunter2@10.0.0.5:6379/0"

[profile.fast]
quality_tier = "mini"
duration = 4
"#;

fn setting<'a>(v: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    v["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == key)
        .unwrap_or_else(|| panic!("no setting {key}: {v}"))
}

#[test]
fn a_profile_fills_what_no_flag_or_variable_set() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), CONFIG);
    let dry = [
        "generate",
        "--prompt",
        "A red fox trots through fresh snow",
        "--dry-run",
        "--json",
    ];

    // default_profile applies: pro / 1080p from the profile.
    let (code, out, err) = run_in(dir.path(), &[], &dry);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert_eq!(v["request"]["quality_tier"], "pro", "{v}");
    assert_eq!(v["request"]["resolution"], "1080p", "{v}");

    // A flag wins over the profile.
    let (code, out, _) = run_in(
        dir.path(),
        &[],
        &[&dry[..], &["--resolution", "720p"]].concat(),
    );
    assert_eq!(code, 0);
    assert_eq!(json(&out)["request"]["resolution"], "720p");

    // Another profile, by variable and by flag (the flag wins over the variable).
    let (_, out, _) = run_in(dir.path(), &[("SEEDANCE_PROFILE", "fast")], &dry);
    let v = json(&out);
    assert_eq!(v["request"]["quality_tier"], "mini", "{v}");
    assert_eq!(v["request"]["duration"], "4", "{v}");
    let (_, out, _) = run_in(
        dir.path(),
        &[("SEEDANCE_PROFILE", "fast")],
        &[&dry[..], &["--profile", "work"]].concat(),
    );
    assert_eq!(json(&out)["request"]["quality_tier"], "pro");
}

#[test]
fn config_show_says_where_each_value_came_from_and_never_the_key() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), CONFIG);
    let env = [
        ("SEEDANCE_API_KEY", SECRET_KEY),
        ("SEEDANCE_WAIT_TIMEOUT", "10m"),
    ];
    let (code, out, err) = run_in(
        dir.path(),
        &env,
        &["config", "show", "--json", "--timeout", "5s"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(SECRET_KEY) && !err.contains(SECRET_KEY));
    assert!(
        !out.contains("hunter2"),
        "a Redis password is hidden: {out}"
    );
    let v = json(&out);
    assert_eq!(v["profile"]["name"], "work");
    assert_eq!(v["file_exists"], true);
    let s = setting(&v, "api_key");
    assert_eq!(
        (s["source"].as_str(), s["from"].as_str()),
        (Some("env"), Some("SEEDANCE_API_KEY"))
    );
    let s = setting(&v, "timeout");
    assert_eq!(
        (s["source"].as_str(), s["value"].as_str()),
        (Some("flag"), Some("5s"))
    );
    // The variable wins over the profile's 1h.
    let s = setting(&v, "wait_timeout");
    assert_eq!(
        (s["source"].as_str(), s["value"].as_str()),
        (Some("env"), Some("10m"))
    );
    let s = setting(&v, "base_url");
    assert_eq!(s["source"], "profile");
    assert_eq!(s["from"], "profile work");
    assert_eq!(s["value"], "http://127.0.0.1:9/work");
    assert_eq!(setting(&v, "quality_tier")["value"], "pro");
    assert_eq!(setting(&v, "max_retries")["source"], "default");

    // The text form says the same, in a table.
    let (code, out, _) = run_in(dir.path(), &env, &["config", "show"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("profile:     work (selected by default_profile in the file)"),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("base_url") && l.ends_with("profile work")),
        "{out}"
    );
    assert!(!out.contains(SECRET_KEY));
}

#[test]
fn profile_mistakes_are_usage_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), CONFIG);
    let (code, _, err) = run_in(dir.path(), &[], &["--profile", "nope", "config", "show"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no profile \"nope\"") && err.contains("fast, work"),
        "{err}"
    );

    write_config(dir.path(), "[profile.default]\napi_key = \"sk_live_x\"\n");
    let (code, _, err) = run_in(dir.path(), &[], &["config", "show"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("SEEDANCE_API_KEY") && !err.contains("sk_live_x"),
        "{err}"
    );

    write_config(dir.path(), "[profile.default]\nwait_timeout = \"soon\"\n");
    let (code, _, err) = run_in(dir.path(), &[], &["config", "show"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--wait-timeout") && err.contains("profile default"),
        "{err}"
    );

    write_config(dir.path(), "[profile.default]\ncolour = \"blue\"\n");
    let (code, _, err) = run_in(dir.path(), &[], &["config", "show"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown setting `colour`") && err.contains("base_url"),
        "{err}"
    );

    // A broken file stops the commands that read it, never the offline ones.
    write_config(dir.path(), "this is = not toml [");
    let (code, _, err) = run_in(dir.path(), &[], &["config", "show"]);
    assert_eq!(code, 2);
    assert!(err.contains("config.toml"), "{err}");
    let (code, _, err) = run_in(
        dir.path(),
        &[],
        &["prompt", "lint", "A red kite over the sea"],
    );
    assert_eq!(code, 0, "{err}");

    // No file and no profile asked for: nothing to apply, and config show says so.
    std::fs::remove_dir_all(dir.path().join("cfg")).unwrap();
    let (code, out, _) = run_in(dir.path(), &[], &["config", "show", "--json"]);
    assert_eq!(code, 0);
    let v = json(&out);
    assert_eq!(v["file_exists"], false);
    assert!(v["profile"].is_null());
    let (code, out, _) = run_in(dir.path(), &[], &["config", "path"]);
    assert_eq!(code, 0);
    assert!(out.trim().ends_with("cfg/seedance/config.toml"), "{out}");
}

/// Issue 16: the profile's request defaults reach `batch` lines too. Precedence: the
/// line's field > the batch flag > the profile > the server's default (no variable sets
/// a request field).
#[test]
fn profile_and_flags_fill_batch_lines_and_the_line_wins() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), CONFIG);
    std::fs::write(
        dir.path().join("jobs.jsonl"),
        concat!(
            "{\"prompt\":\"A red fox trots through fresh snow\"}\n",
            "{\"prompt\":\"A paper boat in the rain\",\"resolution\":\"720p\",\"duration\":6}\n",
        ),
    )
    .unwrap();
    let requests = |env: &[(&str, &str)], extra: &[&str]| {
        let (code, out, err) = run_in(
            dir.path(),
            env,
            &[&["batch", "jobs.jsonl", "--dry-run"][..], extra].concat(),
        );
        assert_eq!(code, 0, "{err}");
        common::json_lines(&out)
            .into_iter()
            .map(|l| l["request"].clone())
            .collect::<Vec<_>>()
    };
    let field = |r: &serde_json::Value, k: &str| r[k].as_str().map(str::to_owned);

    // The profile (default_profile "work": pro, 1080p) fills what a line leaves out.
    let r = requests(&[], &[]);
    assert_eq!(
        field(&r[0], "quality_tier").as_deref(),
        Some("pro"),
        "{r:?}"
    );
    assert_eq!(field(&r[0], "resolution").as_deref(), Some("1080p"));
    assert_eq!(field(&r[1], "quality_tier").as_deref(), Some("pro"));
    assert_eq!(
        field(&r[1], "resolution").as_deref(),
        Some("720p"),
        "the line wins"
    );
    assert_eq!(field(&r[1], "duration").as_deref(), Some("6"));

    // A flag wins over the profile, the line over the flag.
    let r = requests(
        &[],
        &[
            "--resolution",
            "1080p",
            "--quality-tier",
            "standard",
            "--duration",
            "4s",
        ],
    );
    assert_eq!(field(&r[0], "quality_tier").as_deref(), Some("standard"));
    assert_eq!(field(&r[0], "duration").as_deref(), Some("4"));
    assert_eq!(field(&r[1], "resolution").as_deref(), Some("720p"));
    assert_eq!(field(&r[1], "duration").as_deref(), Some("6"));

    // The profile chosen by the variable (fast: mini, 4 s).
    let r = requests(&[("SEEDANCE_PROFILE", "fast")], &[]);
    assert_eq!(field(&r[0], "quality_tier").as_deref(), Some("mini"));
    assert_eq!(field(&r[0], "duration").as_deref(), Some("4"));
    assert_eq!(field(&r[1], "duration").as_deref(), Some("6"));

    // No profile: nothing is added, the server's defaults apply.
    std::fs::remove_dir_all(dir.path().join("cfg")).unwrap();
    let r = requests(&[], &[]);
    assert!(
        r[0].get("quality_tier").is_none() && r[0].get("resolution").is_none(),
        "{r:?}"
    );

    // A default the core refuses is refused as the line's own value would be.
    let (code, _, err) = run_in(
        dir.path(),
        &[],
        &["batch", "jobs.jsonl", "--dry-run", "--resolution", "4k"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("line 1: resolution"), "{err}");
}

/// Reading R25: a profile's `mode` is a default, weaker than the mode the references
/// infer, in `generate` as in `batch` lines: `--image-url` with a `text-to-video`
/// profile is image-to-video in both (it used to be refused by `generate` alone), a
/// request without references takes the profile's mode, and `--mode` wins over both.
#[test]
fn a_profiles_mode_yields_to_inference_in_generate_and_batch_alike() {
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        "default_profile = \"t2v\"\n[profile.t2v]\nmode = \"text-to-video\"\n",
    );
    let image = "https://cdn.example.com/first.png";
    let generate = |extra: &[&str]| {
        let (code, out, err) = run_in(
            dir.path(),
            &[],
            &[
                &[
                    "generate",
                    "--prompt",
                    "She turns to the camera",
                    "--dry-run",
                    "--json",
                ][..],
                extra,
            ]
            .concat(),
        );
        (code, out, err)
    };
    let (code, out, err) = generate(&["--image-url", image]);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert_eq!(v["request"]["mode"], "image-to-video", "{v}");
    assert_eq!(v["request"]["image_url"], image, "{v}");

    let (code, out, err) = generate(&[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&out)["request"]["mode"], "text-to-video");

    // an explicit --mode is checked as given: text-to-video with an image is refused
    let (code, out, err) = generate(&["--image-url", image, "--mode", "text-to-video"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        out.contains("image_url") || err.contains("image_url"),
        "{out}{err}"
    );

    // batch: the same two requests, the same modes
    std::fs::write(
        dir.path().join("jobs.jsonl"),
        format!(
            "{{\"prompt\":\"She turns to the camera\",\"image_url\":\"{image}\"}}\n\
             {{\"prompt\":\"She turns to the camera\"}}\n"
        ),
    )
    .unwrap();
    let (code, out, err) = run_in(dir.path(), &[], &["batch", "jobs.jsonl", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    let modes: Vec<_> = common::json_lines(&out)
        .into_iter()
        .map(|l| l["request"]["mode"].clone())
        .collect();
    assert_eq!(modes, ["image-to-video", "text-to-video"], "{out}");
}
