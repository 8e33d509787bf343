//! `spec/openapi.yaml` stays in step with the rule tables of seedance-core. (The
//! document is checked against the running emulator by tests/openapi/run_schemathesis.sh.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic

use seedance_core::{rules, AspectRatio, Channel, ErrorCode, Mode, QualityTier, Resolution};

fn doc() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../spec/openapi.yaml");
    std::fs::read_to_string(path).expect("spec/openapi.yaml exists")
}

/// The `enum: [...]` line that follows `field:` in the VideoRequest schema.
fn enum_of(doc: &str, field: &str) -> Vec<String> {
    let start = doc.find("VideoRequest:").expect("VideoRequest schema");
    let rest = &doc[start..];
    let at = rest
        .find(&format!("\n        {field}:"))
        .unwrap_or_else(|| panic!("field {field}"));
    let line = rest[at..]
        .lines()
        .find(|l| l.trim_start().starts_with("enum:"))
        .expect("enum line");
    line.trim_start()
        .trim_start_matches("enum:")
        .trim()
        .trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_owned())
        .collect()
}

fn names<T: ToString>(all: &[T]) -> Vec<String> {
    all.iter().map(ToString::to_string).collect()
}

#[test]
fn enums_match_the_core_rules() {
    let d = doc();
    assert_eq!(enum_of(&d, "mode"), names(Mode::ALL));
    assert_eq!(enum_of(&d, "quality_tier"), names(QualityTier::ALL));
    assert_eq!(enum_of(&d, "channel"), names(Channel::ALL));
    assert_eq!(enum_of(&d, "aspect_ratio"), names(AspectRatio::ALL));
    assert_eq!(enum_of(&d, "resolution"), names(Resolution::ALL));
}

#[test]
fn limits_and_codes_match() {
    let d = doc();
    assert!(d.contains(&format!(
        "minLength: {}\n          maxLength: {}",
        rules::PROMPT_MIN_CHARS,
        rules::PROMPT_MAX_CHARS
    )));
    assert!(d.contains(&format!("maxItems: {}", rules::MEDIA_URLS_MAX)));
    assert!(d.contains(&format!(
        "minimum: {}\n          maximum: {}",
        rules::SEED_MIN,
        rules::SEED_MAX
    )));
    assert!(d.contains(rules::SUBMIT_PATH));
    assert!(d.contains(&format!("{}/{{id}}", rules::TASKS_PATH)));
    for code in ErrorCode::ALL {
        assert!(d.contains(code.as_str()), "{code:?}");
    }
    // The duration pattern accepts exactly the core's range (as the JSON string it travels as).
    let start = d.find("\n        duration:").expect("duration field");
    let pattern = d[start..]
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("pattern: "))
        .expect("duration pattern")
        .trim_matches('"');
    let re = regex::Regex::new(pattern).expect("a valid pattern");
    for secs in 0..=100u32 {
        assert_eq!(
            re.is_match(&secs.to_string()),
            (rules::DURATION_MIN_SECS..=rules::DURATION_MAX_SECS).contains(&secs),
            "pattern {pattern} on \"{secs}\""
        );
    }
}
