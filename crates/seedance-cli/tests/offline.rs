//! Commands that need no API: help, exit-code docs, prompt lint/build, completions, man,
//! and the demo (which embeds its own emulator).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic

mod common;

use common::{is_mp4, is_png, json, path, run, seedance};

#[test]
fn help_documents_exit_codes_and_every_generate_flag() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, _) = run({
        let mut c = seedance(dir.path());
        c.arg("--help");
        c
    });
    assert_eq!(code, 0);
    for needle in [
        "Exit codes:",
        "2  usage or validation",
        "3  API",
        "4  the task failed",
        "5  timed out",
        "seedance demo",
    ] {
        assert!(out.contains(needle), "--help lacks {needle:?}:\n{out}");
    }
    let (code, out, _) = run({
        let mut c = seedance(dir.path());
        c.args(["generate", "--help"]);
        c
    });
    assert_eq!(code, 0);
    for flag in [
        "--prompt",
        "--prompt-file",
        "--mode",
        "--quality-tier",
        "--channel",
        "--aspect-ratio",
        "--duration",
        "--resolution",
        "--image-url",
        "--end-image-url",
        "--media-url",
        "--no-audio",
        "--fixed-lens",
        "--seed",
        "--idempotency-key",
        "--no-wait",
        "--output",
        "--json",
        "--subject",
        "--action",
        "--scene",
        "--camera",
        "--style",
        "--shot",
        "--constraint",
        "--no-default-constraints",
        "--opening-frame",
        "--closing-frame",
        "--character-ref",
        "--motion-ref",
        "--style-ref",
        "--source-video",
        "--extend-from",
        "--dry-run",
        "--api-key",
        "--base-url",
        "--timeout",
        "--max-retries",
        "--rate-limit",
        "--wait-timeout",
        "--journal",
        "--no-journal",
        "SEEDANCE_API_KEY",
        "SEEDANCE_BASE_URL",
    ] {
        assert!(out.contains(flag), "generate --help lacks {flag}");
    }
    // The limits it quotes are seedance-core's, not a copy.
    use seedance_core::rules;
    for quoted in [
        format!(
            "({}–{} characters)",
            rules::PROMPT_MIN_CHARS,
            rules::PROMPT_MAX_CHARS
        ),
        format!(
            "{}–{} [default: {}]",
            rules::DURATION_MIN_SECS,
            rules::DURATION_MAX_SECS,
            rules::DURATION_DEFAULT_SECS
        ),
        format!("at most {}", rules::MEDIA_URLS_MAX),
        format!("{} (random) to {}", rules::SEED_MIN, rules::SEED_MAX),
        format!(
            "[default: {}/{}s,",
            rules::RATE_LIMIT_REQUESTS,
            rules::RATE_LIMIT_WINDOW_SECS
        ),
    ] {
        assert!(out.contains(&quoted), "generate --help lacks {quoted:?}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run({
        let mut c = seedance(dir.path());
        c.args(["generate", "--prompt", "a cat", "--resolution", "8k"]);
        c
    });
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--resolution"), "{err}");
    let (code, _, err) = run({
        let mut c = seedance(dir.path());
        c.args(["generate", "--shot", "|camera only|0-3"]);
        c
    });
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--shot"), "{err}");
}

/// Issue 10, item 6: absurd local values are usage errors naming the setting (they
/// panicked with exit 101 before Reading R21), and nothing is sent.
#[test]
fn absurd_durations_rates_and_scales_exit_2_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["--timeout", "1e300"], "--timeout"),
        (&["--wait-timeout", "1e20"], "--wait-timeout"),
        (&["--expected-render", "1e300"], "--expected-render"),
        (&["--rate-limit", "1/1e300"], "--rate-limit"),
        (&["--render-time-scale", "1e-300"], "--render-time-scale"),
        (&["--connect-timeout", "100000000h"], "--connect-timeout"),
    ];
    for (flags, name) in cases {
        let (code, out, err) = run({
            let mut c = seedance(dir.path());
            c.env("SEEDANCE_API_KEY", "sk_test_x")
                .env("SEEDANCE_BASE_URL", "http://127.0.0.1:9")
                .args(["generate", "--prompt", "A glass train crossing a bridge"])
                .args(*flags);
            c
        });
        assert_eq!(code, 2, "{flags:?}: {out}{err}");
        assert!(err.contains(name), "{flags:?}: {err}");
        assert!(!err.contains("panicked"), "{flags:?}: {err}");
    }
    let (code, _, err) = run({
        let mut c = seedance(dir.path());
        c.env("SEEDANCE_TIME_SCALE", "1e-300")
            .env("SEEDANCE_API_KEY", "sk_test_x")
            .args(["wait", "sd2_x"]);
        c
    });
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("SEEDANCE_TIME_SCALE"), "{err}");
}

#[test]
fn no_key_is_a_usage_error_that_points_at_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run({
        let mut c = seedance(dir.path());
        c.args([
            "generate",
            "--prompt",
            "A glass train crossing a bridge",
            "--json",
        ]);
        c
    });
    assert_eq!(code, 2, "{out}{err}");
    let v = json(&out);
    assert_eq!(v["error"]["kind"], "config");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("SEEDANCE_API_KEY"));
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("seedance demo"));

    // An empty key reads the same.
    let (code, _, err) = run({
        let mut c = seedance(dir.path());
        c.env("SEEDANCE_API_KEY", "").args(["status", "sd2_x"]);
        c
    });
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no API key") && err.contains("seedance demo"),
        "{err}"
    );
}

#[test]
fn prompt_lint_finds_what_the_guide_forbids() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, _) = run({
        let mut c = seedance(dir.path());
        c.args([
            "prompt",
            "lint",
            "Shot 1: the hero from @图片1 waves.\nShot 2: asset://abc runs",
        ]);
        c
    });
    assert_eq!(code, 2);
    assert!(out.contains("prompt:1:23: in_app_label"), "{out}");
    assert!(out.contains("prompt:2:9: asset_url"), "{out}");

    let (code, out, _) = run({
        let mut c = seedance(dir.path());
        c.args(["prompt", "lint", "--json", "hi"]);
        c
    });
    assert_eq!(code, 2);
    let v = json(&out);
    assert_eq!(v["ok"], false);
    assert_eq!(v["findings"][0]["kind"], "length");

    let text = "A red kite climbs over a windy beach";
    std::fs::write(dir.path().join("p.txt"), format!("{text}\n")).unwrap();
    let (code, out, _) = run({
        let mut c = seedance(dir.path());
        c.args(["prompt", "lint", "--json", "--prompt-file", "p.txt"]);
        c
    });
    assert_eq!(code, 0, "{out}");
    assert_eq!(json(&out)["ok"], true);
    // The file's final line break is not part of the prompt.
    assert_eq!(json(&out)["chars"], text.chars().count());
}

#[test]
fn prompt_build_renders_a_director_prompt_and_maps_references() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run({
        let mut c = seedance(dir.path());
        c.args([
            "prompt",
            "build",
            "--subject",
            "a red fox",
            "--scene",
            "a birch forest at dawn",
            "--shot",
            "it trots through snow|slow tracking|0-3",
            "--shot",
            "it pounces|wide|3-5",
            "--character-ref",
            "https://cdn.example.com/fox.png",
            "--no-default-constraints",
            "--constraint",
            "keep the horizon level",
            "--json",
        ]);
        c
    });
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    let prompt = v["prompt"].as_str().unwrap();
    assert!(prompt.contains("Subject: a red fox."), "{prompt}");
    assert!(
        prompt.contains("Shot 1 (0–3 s): it trots through snow. Camera: slow tracking."),
        "{prompt}"
    );
    assert!(prompt.contains("keep the horizon level"), "{prompt}");
    assert!(!prompt.contains("no watermark"), "{prompt}");
    assert_eq!(v["mode"], "media-to-video");
    assert_eq!(v["media_urls"][0], "https://cdn.example.com/fox.png");

    // Frames and media references cannot be mixed: exit 2, named.
    let (code, out, _) = run({
        let mut c = seedance(dir.path());
        c.args([
            "prompt",
            "build",
            "--subject",
            "a fox",
            "--opening-frame",
            "https://cdn.example.com/a.png",
            "--motion-ref",
            "https://cdn.example.com/m.mp4",
            "--json",
        ]);
        c
    });
    assert_eq!(code, 2);
    assert_eq!(json(&out)["error"]["violations"][0]["field"], "prompt");
}

#[test]
fn completions_and_man_pages() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, out, _) = run({
            let mut c = seedance(dir.path());
            c.args(["completions", shell]);
            c
        });
        assert_eq!(code, 0);
        assert!(
            out.contains("generate") && out.contains("quality-tier"),
            "{shell}"
        );
    }
    let (code, out, _) = run({
        let mut c = seedance(dir.path());
        c.arg("man");
        c
    });
    assert_eq!(code, 0);
    assert!(out.contains(".TH seedance 1"));
    assert!(out.contains(".SH \"EXIT STATUS\"") && !out.contains("EXTRA"));
    let (code, _, _) = run({
        let mut c = seedance(dir.path());
        c.args(["man", "--out-dir", "man"]);
        c
    });
    assert_eq!(code, 0);
    assert!(dir.path().join("man/seedance.1").exists());
    assert!(dir.path().join("man/seedance-generate.1").exists());
}

#[test]
fn demo_renders_end_to_end_offline() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run({
        let mut c = seedance(dir.path());
        c.args(["demo", "--time-scale", "500", "-o", "demo-out"]);
        c
    });
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(err.contains("Time is scaled 500"), "{err}");
    assert!(out.contains("demo-out"), "says where: {out}");
    assert!(
        err.contains("Next, with a real key") && !out.contains("Next, with a real key"),
        "hints go to stderr, the result to stdout:\n{out}\n{err}"
    );
    let mp4 = dir.path().join("demo-out/seedance-demo.mp4");
    assert!(is_mp4(&mp4), "a playable MP4 at {}", mp4.display());
    let pngs: Vec<_> = std::fs::read_dir(dir.path().join("demo-out"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "png"))
        .collect();
    assert_eq!(pngs.len(), 1);
    assert!(is_png(&pngs[0]));

    // -q: the result only.
    let (code, out, err) = run({
        let mut c = seedance(dir.path());
        c.args(["demo", "--time-scale", "500", "-o", "demo-quiet", "-q"]);
        c
    });
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "-q prints no progress or hints: {err}");
    assert!(out.contains("demo-quiet/seedance-demo.mp4"), "{out}");
    assert!(!out.contains("Next, with a real key"), "{out}");

    let (code, out, err) = run({
        let mut c = seedance(dir.path());
        c.args(["demo", "--time-scale", "500", "-o", "demo-json", "--json"]);
        c
    });
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "--json prints nothing else: {err}");
    let v = json(&out);
    assert_eq!(v["task"]["status"], "completed");
    assert_eq!(v["emulated"], true);
    assert!(is_mp4(&path(&v["video"], dir.path())));
    assert!(is_png(&path(&v["last_frame"], dir.path())));
}

fn run_with(dir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let mut c = seedance(dir);
    for (k, v) in env {
        c.env(k, v);
    }
    c.args(args);
    run(c)
}

#[test]
fn short_help_shows_own_options_and_long_help_every_global() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in [
        &["status", "-h"][..],
        &["prompt", "lint", "-h"],
        &["demo", "-h"],
    ] {
        let (code, out, _) = run_with(dir.path(), &[], cmd);
        assert_eq!(code, 0);
        assert!(!out.contains("--api-key"), "{cmd:?}: {out}");
        assert!(out.contains("--json"), "{cmd:?}");
        assert!(out.lines().count() < 30, "{cmd:?}: {out}");
    }
    let (_, out, _) = run_with(dir.path(), &[], &["status", "--help"]);
    assert!(out.contains("--api-key") && out.contains("SEEDANCE_BASE_URL"));
}

#[test]
fn boolean_variables_accept_shell_spellings_and_errors_name_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "generate",
        "--prompt",
        "A red fox trots through fresh snow",
        "--dry-run",
    ];
    for v in ["1", "yes", "on", "TRUE"] {
        let (code, out, _) = run_with(dir.path(), &[("SEEDANCE_JSON", v)], &args);
        assert_eq!(code, 0, "{v}");
        assert_eq!(out.trim().lines().count(), 1, "{v}: compact JSON: {out}");
    }
    for v in ["0", "no", "off"] {
        let (code, out, _) = run_with(dir.path(), &[("SEEDANCE_JSON", v)], &args);
        assert_eq!(code, 0, "{v}");
        assert!(out.trim().lines().count() > 1, "{v}: pretty output: {out}");
    }
    let (code, _, err) = run_with(dir.path(), &[("SEEDANCE_QUIET", "maybe")], &args);
    assert_eq!(code, 2);
    assert!(err.contains("SEEDANCE_QUIET"), "{err}");
}

#[test]
fn json_usage_errors_are_json_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, _) = run_with(dir.path(), &[], &["--json", "status", "--bogus"]);
    assert_eq!(code, 2);
    let v = json(&out);
    assert_eq!(v["error"]["kind"], "usage");
    assert!(v["error"]["message"].as_str().unwrap().contains("--bogus"));
    let (code, out, _) = run_with(dir.path(), &[("SEEDANCE_JSON", "1")], &["nope"]);
    assert_eq!(code, 2);
    assert_eq!(json(&out)["error"]["exit_code"], 2);
}

#[test]
fn duration_takes_a_seconds_suffix_and_says_the_range() {
    let dir = tempfile::tempdir().unwrap();
    let base = [
        "generate",
        "--prompt",
        "A red fox trots through fresh snow",
        "--dry-run",
        "--json",
    ];
    let (code, out, _) = run_with(
        dir.path(),
        &[],
        &[&base[..], &["--duration", "6s"]].concat(),
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\"duration\":\"6\""), "{out}");
    let (code, _, err) = run_with(
        dir.path(),
        &[],
        &[&base[..4], &["--duration", "six"]].concat(),
    );
    assert_eq!(code, 2);
    assert!(err.contains("seconds, 4–15"), "{err}");
}

#[test]
fn log_colours_only_when_forced_or_on_a_terminal() {
    // stderr is a pipe here: no escape codes unless CLICOLOR_FORCE, and NO_COLOR loses to it.
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "-vv",
        "status",
        "sd2_nothere",
        "--base-url",
        "http://127.0.0.1:9",
        "--max-retries",
        "1",
    ];
    let (_, _, err) = run_with(dir.path(), &[("SEEDANCE_API_KEY", "sk_test_x")], &args);
    assert!(!err.contains('\u{1b}'), "{err}");
    let (_, _, err) = run_with(
        dir.path(),
        &[
            ("SEEDANCE_API_KEY", "sk_test_x"),
            ("CLICOLOR_FORCE", "1"),
            ("RUST_LOG", "warn"),
        ],
        &args,
    );
    assert!(err.contains('\u{1b}'), "forced colour: {err}");
}

/// Issue 16: offline commands show no network globals in `-h`, `--help` or completions;
/// `seedance help globals` lists every one.
#[test]
fn offline_commands_show_no_network_globals_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in [
        &["prompt", "lint", "--help"][..],
        &["prompt", "build", "--help"],
        &["prompt", "--help"],
        &["demo", "--help"],
        &["completions", "--help"],
        &["help", "prompt", "lint"],
    ] {
        let (code, out, err) = run_with(dir.path(), &[], cmd);
        assert_eq!(code, 0, "{cmd:?}: {err}");
        for network in [
            "--api-key",
            "--base-url",
            "--max-retries",
            "--journal",
            "SEEDANCE_API_KEY",
        ] {
            assert!(!out.contains(network), "{cmd:?} lists {network}:\n{out}");
        }
        assert!(out.contains("--json"), "{cmd:?}: {out}");
    }
    // A command that talks to the API shows the globals it uses, not the waiting ones.
    let (_, out, _) = run_with(dir.path(), &[], &["status", "--help"]);
    assert!(
        out.contains("--api-key") && out.contains("--base-url"),
        "{out}"
    );
    assert!(
        !out.contains("--journal") && !out.contains("--poll-interval"),
        "{out}"
    );
    let (_, out, _) = run_with(dir.path(), &[], &["generate", "--help"]);
    assert!(
        out.contains("--journal") && out.contains("--wait-timeout"),
        "{out}"
    );

    let (code, out, _) = run_with(dir.path(), &[], &["help", "globals"]);
    assert_eq!(code, 0);
    for flag in [
        "--api-key",
        "--journal",
        "--wait-timeout",
        "--json",
        "SEEDANCE_BASE_URL",
    ] {
        assert!(out.contains(flag), "help globals lacks {flag}:\n{out}");
    }
    let (code, _, err) = run_with(dir.path(), &[], &["help", "nosuch"]);
    assert_eq!(code, 2);
    assert!(err.contains("help globals"), "{err}");

    // bash: the options offered after `seedance prompt lint ` and `seedance generate `.
    let (_, bash, _) = run_with(dir.path(), &[], &["completions", "bash"]);
    let opts = |case: &str| -> String {
        let at = bash
            .find(&format!("{case})"))
            .unwrap_or_else(|| panic!("no case {case}"));
        let rest = &bash[at..];
        let line = rest.lines().find(|l| l.contains("opts=")).unwrap();
        line.to_owned()
    };
    for case in [
        "seedance__subcmd__prompt__subcmd__lint",
        "seedance__subcmd__prompt",
        "seedance__subcmd__demo",
    ] {
        let o = opts(case);
        assert!(
            o.contains("--json") && !o.contains("--api-key"),
            "{case}: {o}"
        );
    }
    assert!(opts("seedance__subcmd__generate").contains("--api-key"));
    // fish: no completion of --api-key under `prompt`.
    let (_, fish, _) = run_with(dir.path(), &[], &["completions", "fish"]);
    assert!(fish.lines().any(|l| l.contains("api-key")));
    for l in fish
        .lines()
        .filter(|l| l.contains("using_subcommand prompt"))
    {
        assert!(!l.contains("-l api-key"), "{l}");
    }
}

/// Issue 16: `prompt build --duration` checks shot timings as `generate` does.
#[test]
fn prompt_build_checks_shot_timings_against_the_duration_like_generate() {
    let dir = tempfile::tempdir().unwrap();
    let shots = [
        "--subject",
        "a red fox",
        "--shot",
        "it runs|wide|0-4",
        "--shot",
        "it leaps|close|4-8",
    ];
    let build = |extra: &[&str]| {
        run_with(
            dir.path(),
            &[],
            &[&["prompt", "build", "--json"][..], &shots, extra].concat(),
        )
    };
    let generate = |extra: &[&str]| {
        run_with(
            dir.path(),
            &[],
            &[&["generate", "--dry-run", "--json"][..], &shots, extra].concat(),
        )
    };
    // 8 s of shots: refused by both at 5 s, and by both without a length (the
    // server's default 5 s, Reading R29), accepted by both at 8 s.
    let (b, out, _) = build(&["--duration", "5"]);
    let (g, _, _) = generate(&["--duration", "5"]);
    assert_eq!((b, g), (2, 2), "{out}");
    let (b, bout, _) = build(&[]);
    let (g, gout, _) = generate(&[]);
    assert_eq!((b, g), (2, 2), "{bout}\n{gout}");
    for out in [&bout, &gout] {
        let message = json(out)["error"]["message"].as_str().unwrap().to_owned();
        assert!(
            message.contains("shot 2") && message.contains("default duration"),
            "{out}"
        );
    }
    // So does a director file (`generate --director-file`), and a batch line.
    let file = dir.path().join("fox.json");
    std::fs::write(
        &file,
        r#"{"subject":"a red fox","shots":[{"action":"it runs","timing":{"start":0,"end":4}},{"action":"it leaps","timing":{"start":4,"end":8}}]}"#,
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let director = |extra: &[&str]| {
        run_with(
            dir.path(),
            &[],
            &[
                &["generate", "--dry-run", "--json", "--director-file", file][..],
                extra,
            ]
            .concat(),
        )
    };
    let (code, out, _) = director(&[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("default duration"), "{out}");
    let (code, out, err) = director(&["--duration", "8"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&out)["request"]["duration"], "8", "{out}");
    let shots = std::fs::read_to_string(file).unwrap();
    let batch = dir.path().join("jobs.jsonl");
    let batch_run = |lines: &str, extra: &[&str]| {
        std::fs::write(&batch, lines).unwrap();
        run_with(
            dir.path(),
            &[],
            &[&["batch", "--dry-run", batch.to_str().unwrap()][..], extra].concat(),
        )
    };
    let (code, _, err) = batch_run(&format!("{{\"director\":{shots}}}\n"), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("line 1: director") && err.contains("default duration"),
        "{err}"
    );
    // The line's duration, or the batch's --duration for lines without one, is the clip.
    let (code, out, err) = batch_run(&format!("{{\"director\":{shots},\"duration\":8}}\n"), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&out)["request"]["duration"], "8", "{out}");
    let (code, out, err) = batch_run(&format!("{{\"director\":{shots}}}\n"), &["--duration", "9"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&out)["request"]["duration"], "9", "{out}");
    let (b, out, err) = build(&["--duration", "8s"]);
    assert_eq!(b, 0, "{err}");
    assert_eq!(json(&out)["duration"], "8", "{out}");
    let (g, _, err) = generate(&["--duration", "8"]);
    assert_eq!(g, 0, "{err}");
    let (b, _, _) = build(&["--duration", "6"]);
    assert_eq!(b, 2);
}

/// Reading R25: the CLI infers the mode as Python does, case by case from the one shared
/// table (tests/shared/mode-inference.json; tests/python/test_errors.py runs it too).
#[test]
fn mode_inference_agrees_with_python_on_the_shared_cases() {
    let dir = tempfile::tempdir().unwrap();
    let table: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/shared/mode-inference.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let cases = table["cases"].as_array().unwrap();
    assert!(cases.len() >= 5);
    for case in cases {
        let mut args = vec![
            "--json".to_owned(),
            "generate".to_owned(),
            "--dry-run".to_owned(),
        ];
        for (field, value) in case["fields"].as_object().unwrap() {
            let flag = match field.as_str() {
                "media_urls" => "--media-url".to_owned(),
                f => format!("--{}", f.replace('_', "-")),
            };
            for v in value
                .as_array()
                .cloned()
                .unwrap_or_else(|| vec![value.clone()])
            {
                args.extend([flag.clone(), v.as_str().unwrap().to_owned()]);
            }
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = run_with(dir.path(), &[], &argv);
        match case["refused"].as_str() {
            Some(field) => {
                assert_eq!(code, 2, "{case}: {out}{err}");
                assert!(
                    out.contains(field) || err.contains(field),
                    "{case}: {out}{err}"
                );
            }
            None => {
                assert_eq!(code, 0, "{case}: {out}{err}");
                let sent = json(&out)["request"]["mode"].clone();
                assert_eq!(sent, case["mode"], "{case}");
            }
        }
        // A batch line with the same fields answers the same (and its inferred mode is
        // the line's own: a --mode default does not replace it).
        let batch = dir.path().join("inference.jsonl");
        std::fs::write(&batch, format!("{}\n", case["fields"])).unwrap();
        let batch = batch.to_str().unwrap();
        for extra in [&[][..], &["--mode", "text-to-video"]] {
            if !extra.is_empty() && case["mode"].is_null() {
                continue; // nothing to infer: the default applies, rightly
            }
            let (code, out, err) = run_with(
                dir.path(),
                &[],
                &[&["batch", "--dry-run", batch][..], extra].concat(),
            );
            match case["refused"].as_str() {
                Some(field) => {
                    assert_eq!(code, 2, "batch {case}: {out}{err}");
                    assert!(err.contains(field), "batch {case}: {err}");
                }
                None => {
                    assert_eq!(code, 0, "batch {case} {extra:?}: {out}{err}");
                    let sent = json(&out)["request"]["mode"].clone();
                    assert_eq!(sent, case["mode"], "batch {case} {extra:?}");
                }
            }
        }
    }
}

/// Issue 9: `seedance emulator` takes the emulator's own flag set (the same struct as
/// `seedance-emulator`), `-h` shows those flags and not the client's globals, and no
/// `--help` of any command carries a code fence.
#[test]
fn emulator_help_is_the_emulators_and_no_help_has_code_fences() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run_with(dir.path(), &[], &["emulator", "-h"]);
    assert_eq!(code, 0, "{err}");
    for flag in [
        "--addr",
        "--limit <N/WINDOW>",
        "--media-limit <N/WINDOW>",
        "--no-limit",
        "--no-media-limit",
        "--time-scale",
    ] {
        assert!(out.contains(flag), "emulator -h lacks {flag}:\n{out}");
    }
    for client in [
        "--api-key",
        "--rate-limit",
        "--max-retries",
        "no-rate-limit",
        "no-media-rate-limit",
    ] {
        assert!(!out.contains(client), "emulator -h shows {client}:\n{out}");
    }
    let (_, top, _) = run_with(dir.path(), &[], &["--help"]);
    let commands: Vec<String> = top
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .filter(|c| c != "help")
        .collect();
    assert!(commands.iter().any(|c| c == "emulator"), "{top}");
    assert!(!top.contains("```"));
    for c in &commands {
        let (_, out, _) = run_with(dir.path(), &[], &[c.as_str(), "--help"]);
        assert!(!out.contains("```"), "{c} --help has a code fence:\n{out}");
    }
}

/// Issue 9: `seedance emulator` refuses every client global typed on its command line
/// (before or after `emulator`), as a usage error naming the flag, before it listens: the
/// port it is given is held here, so trying to serve would end in exit 1, not 2.
/// `--rate-limit` / `--media-rate-limit` point to the emulator's `--limit` / `--media-limit`.
#[test]
fn emulator_refuses_the_clients_globals_before_it_listens() {
    let dir = tempfile::tempdir().unwrap();
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = held.local_addr().unwrap().to_string();
    let refused: &[(&str, Option<&str>, &str)] = &[
        ("--profile", Some("p"), "seedance emulator -h"),
        ("--api-key", Some("sk_test_x"), "fixed test keys"),
        ("--base-url", Some("http://127.0.0.1:9"), "--addr"),
        ("--timeout", Some("5s"), "seedance emulator -h"),
        ("--connect-timeout", Some("5s"), "seedance emulator -h"),
        ("--max-retries", Some("0"), "seedance emulator -h"),
        ("--rate-limit", Some("5/1s"), "--limit N/WINDOW"),
        ("--media-rate-limit", Some("off"), "--media-limit N/WINDOW"),
        ("--budget", Some("process"), "seedance emulator -h"),
        ("--expected-render", Some("1s"), "seedance emulator -h"),
        ("--poll-interval", Some("1s"), "seedance emulator -h"),
        ("--poll-max-interval", Some("1s"), "seedance emulator -h"),
        ("--render-time-scale", Some("10"), "--time-scale"),
        ("--wait-timeout", Some("none"), "seedance emulator -h"),
        ("--journal", Some("j.sqlite3"), "seedance emulator -h"),
        ("--no-journal", None, "seedance emulator -h"),
    ];
    // Every global but the output ones (`seedance help globals`) is in the list.
    let (_, globals, _) = run_with(dir.path(), &[], &["help", "globals"]);
    let listed: Vec<&str> = globals
        .lines()
        .filter_map(|l| {
            // an option's line: `      --api-key <KEY>` or `  -q, --quiet`
            let mut words = l.split_whitespace();
            let first = words.next()?;
            let short = first.len() == 3 && first.starts_with('-') && first.ends_with(',');
            let long = if short { words.next()? } else { first };
            long.starts_with("--").then_some(long)
        })
        .map(|w| w.trim_end_matches("..."))
        .filter(|f| !["--json", "--quiet", "--verbose"].contains(f))
        .collect();
    let mut want: Vec<&str> = refused.iter().map(|(f, _, _)| *f).collect();
    want.sort_unstable();
    let mut listed = listed;
    listed.sort_unstable();
    assert_eq!(listed, want, "the globals of `seedance help globals`");
    for (flag, value, hint) in refused {
        let given: Vec<&str> = std::iter::once(*flag).chain(*value).collect();
        let emulator = ["emulator", "--addr", &addr, "--cdn-addr", "127.0.0.1:0"];
        for args in [
            [&emulator[..], &given].concat(),
            [&given[..], &emulator].concat(),
        ] {
            let (code, out, err) = run_with(dir.path(), &[], &args);
            assert_eq!(code, 2, "{args:?}: {out}{err}");
            assert!(out.is_empty(), "{args:?} printed: {out}");
            assert!(
                err.contains(&format!("`seedance emulator` does not take {flag}")),
                "{args:?}: {err}"
            );
            assert!(err.contains(hint), "{args:?}: {err}");
        }
    }
    // With --json the refusal is the README's error object.
    let (code, out, _) = run_with(
        dir.path(),
        &[],
        &[
            "emulator",
            "--addr",
            &addr,
            "--rate-limit",
            "5/1s",
            "--json",
        ],
    );
    assert_eq!(code, 2);
    let v = json(&out);
    assert_eq!(v["error"]["kind"], "usage", "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("--limit"),
        "{v}"
    );
    drop(held);
}

/// The client's variables, set in a user's shell, do not stop `seedance emulator`; its own
/// `--limit 5/1s` is the limit it serves (and reports).
#[test]
fn emulator_ignores_the_clients_variables_and_serves_its_own_limit() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut c = common::process(dir.path());
    for (k, v) in [
        ("SEEDANCE_RATE_LIMIT", "7/1s"),
        ("SEEDANCE_MEDIA_RATE_LIMIT", "off"),
        ("SEEDANCE_API_KEY", "sk_test_from_the_shell"),
        ("SEEDANCE_BASE_URL", "http://127.0.0.1:9"),
        ("SEEDANCE_MAX_RETRIES", "0"),
        ("SEEDANCE_TIME_SCALE", "10"),
        ("SEEDANCE_WAIT_TIMEOUT", "none"),
        ("SEEDANCE_NO_JOURNAL", "1"),
    ] {
        c.env(k, v);
    }
    c.args([
        "emulator",
        "--addr",
        "127.0.0.1:0",
        "--cdn-addr",
        "127.0.0.1:0",
        "--limit",
        "5/1s",
        "--json",
    ])
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let v: serde_json::Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("the emulator's JSON line ({e}): {line:?}"));
    assert_eq!(v["rate_limit"], "5/1s", "{v}");
    assert_eq!(v["media_rate_limit"], "3/60s", "{v}");
    assert_eq!(v["api_key"], "sk_test_seedance", "{v}");
    assert_eq!(v["time_scale"], 1.0, "{v}");
}

/// Issue 16: the `--api-key` warning is said where the key is used (a command that
/// builds a client), never by offline commands that merely accept the global flag.
#[test]
fn the_api_key_warning_is_given_only_where_the_key_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let warning = "visible to other users";
    for offline in [
        &["prompt", "lint", "A red kite over the sea"][..],
        &["prompt", "build", "--subject", "a red kite"],
        &["completions", "bash"],
        &["config", "show"],
        &[
            "generate",
            "--prompt",
            "A red kite over the sea",
            "--dry-run",
        ],
    ] {
        let (code, _, err) = run_with(
            dir.path(),
            &[],
            &[&["--api-key", "sk_test_cli_flag"][..], offline].concat(),
        );
        assert_eq!(code, 0, "{offline:?}: {err}");
        assert!(!err.contains(warning), "{offline:?}: {err}");
    }
    // A command that sends requests says it once (here before its connection fails).
    let (code, _, err) = run_with(
        dir.path(),
        &[],
        &[
            "status",
            "sd2_abc",
            "--api-key",
            "sk_test_cli_flag",
            "--base-url",
            "http://127.0.0.1:9",
            "--max-retries",
            "0",
        ],
    );
    assert_eq!(code, 3, "{err}");
    assert_eq!(err.matches(warning).count(), 1, "{err}");
    assert!(!err.contains("sk_test_cli_flag"), "{err}");
    // From the variable, never.
    let (_, _, err) = run_with(
        dir.path(),
        &[("SEEDANCE_API_KEY", "sk_test_cli_flag")],
        &[
            "status",
            "sd2_abc",
            "--base-url",
            "http://127.0.0.1:9",
            "--max-retries",
            "0",
        ],
    );
    assert!(!err.contains(warning), "{err}");
}

/// A bad value in a global option's variable stops only the commands that take that option,
/// and the message names the variable, not a flag nobody typed.
#[test]
fn a_bad_variable_stops_only_the_commands_that_read_it_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let bad = [
        ("SEEDANCE_TIMEOUT", "soon"),
        ("SEEDANCE_BUDGET", "everywhere"),
        ("SEEDANCE_MAX_RETRIES", "-1"),
    ];
    // Offline commands never read them.
    for offline in [
        &["prompt", "lint", "A red kite over the sea"][..],
        &["completions", "bash"],
        &["man"],
    ] {
        let (code, _, err) = run_with(dir.path(), &bad, offline);
        assert_eq!(code, 0, "{offline:?}: {err}");
    }
    // A command that reads one names the variable, never a flag nobody typed.
    let (code, out, err) = run_with(dir.path(), &bad[..1], &["status", "sd2_abc"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains("SEEDANCE_TIMEOUT") && err.contains("soon") && !err.contains("--timeout"),
        "{err}"
    );
    let (code, out, _) = run_with(dir.path(), &bad[1..2], &["status", "sd2_abc", "--json"]);
    assert_eq!(code, 2);
    let message = json(&out)["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("SEEDANCE_BUDGET"), "{message}");
    // A typed flag is still named as the flag.
    let (code, _, err) = run_with(dir.path(), &[], &["status", "sd2_abc", "--timeout", "soon"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--timeout") && !err.contains("SEEDANCE_TIMEOUT"),
        "{err}"
    );
}

/// Issue 16: `SEEDANCE_NO_JOURNAL` is read by the commands that keep a journal, and only
/// there is a value that is no boolean an error (naming the variable).
#[test]
fn a_bad_no_journal_variable_stops_only_the_commands_that_read_it() {
    let dir = tempfile::tempdir().unwrap();
    let maybe = [("SEEDANCE_NO_JOURNAL", "maybe")];
    for offline in [
        &["prompt", "lint", "A red kite over the sea"][..],
        &["completions", "bash"],
        &["config", "show"],
        &["man"],
        &[
            "generate",
            "--prompt",
            "A red kite over the sea",
            "--dry-run",
        ],
    ] {
        let (code, _, err) = run_with(dir.path(), &maybe, offline);
        assert_eq!(code, 0, "{offline:?}: {err}");
    }
    let (code, out, err) = run_with(dir.path(), &maybe, &["jobs"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains("SEEDANCE_NO_JOURNAL") && err.contains("maybe") && err.contains("yes/no"),
        "{err}"
    );
    let (code, out, _) = run_with(dir.path(), &maybe, &["jobs", "--json"]);
    assert_eq!(code, 2);
    assert!(json(&out)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("SEEDANCE_NO_JOURNAL"));
    // Every boolean spelling works where it applies: on → no journal, off → the store.
    let (code, _, err) = run_with(dir.path(), &[("SEEDANCE_NO_JOURNAL", "on")], &["jobs"]);
    assert_eq!(code, 2);
    assert!(err.contains("--no-journal"), "{err}");
    let (code, _, err) = run_with(
        dir.path(),
        &[("SEEDANCE_NO_JOURNAL", "0")],
        &["jobs", "--json"],
    );
    assert_eq!(code, 0, "{err}");
    // The flag itself is still a flag.
    let (code, _, err) = run_with(dir.path(), &[], &["jobs", "--no-journal"]);
    assert_eq!(code, 2);
    assert!(err.contains("--no-journal"), "{err}");
}

/// Reading R27: `--max-retries`'s help states the retried statuses, exactly the core's
/// `RETRYABLE_STATUSES` (it is built from `RETRY_SUMMARY`, which a core test ties to them).
#[test]
fn the_retry_help_names_every_retryable_status() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run_with(dir.path(), &[], &["generate", "--help"]);
    assert_eq!(code, 0, "{err}");
    let help = out.split_whitespace().collect::<Vec<_>>().join(" ");
    let start = help
        .find("--max-retries")
        .expect("generate --help shows --max-retries");
    let text = &help[start..];
    let text = &text[..text.find(" --").unwrap_or(text.len()).min(600)];
    for s in seedance_core::rules::RETRYABLE_STATUSES {
        assert!(text.contains(&s.to_string()), "{s} missing from: {text}");
    }
    for s in [400, 401, 402, 404] {
        assert!(
            !seedance_core::rules::RETRYABLE_STATUSES.contains(&s),
            "{s} is retryable"
        );
    }
}
