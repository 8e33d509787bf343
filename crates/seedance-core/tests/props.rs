//! Property tests: parsing, validation, linting and rendering never panic on arbitrary
//! input, and every request that validates serialises to JSON the spec allows.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic

use proptest::prelude::*;
use proptest::sample::select;
use seedance_core::{
    check_public_https_url, lint_prompt, validate, AssetRole, Constraints, DirectorPrompt,
    ErrorBody, Intent, PromptError, ReferenceAsset, Shot, Task, VideoRequest,
};
use serde_json::{json, Map, Value};

// ------------------------------------------------------------------ the spec, as an oracle

const FIELDS: &[&str] = &[
    "mode",
    "quality_tier",
    "channel",
    "prompt",
    "aspect_ratio",
    "duration",
    "resolution",
    "image_url",
    "end_image_url",
    "media_urls",
    "generate_audio",
    "fixed_lens",
    "seed",
];
const MODES: &[&str] = &["text-to-video", "image-to-video", "media-to-video"];
const TIERS: &[&str] = &["mini", "standard", "pro"];
const CHANNELS: &[&str] = &["standard", "real", "wild"];
const RATIOS: &[&str] = &["1:1", "21:9", "4:3", "3:4", "16:9", "9:16", "adaptive"];
const RESOLUTIONS: &[&str] = &["720p", "1080p", "1080p-plus", "4k"];

/// URLs with the spec's verdict on each, written independently of the implementation.
const URLS: &[(&str, bool)] = &[
    ("https://cdn.example.com/a.png", true),
    ("https://media.example.org/clip.mp4", true),
    ("https://8.8.8.8/a.png", true),
    ("https://[2606:4700::1111]/a.png", true),
    ("https://cdn.example.com:8443/b.webp?sig=1", true),
    ("http://cdn.example.com/a.png", false),
    ("https://user:pw@cdn.example.com/a.png", false),
    ("https://localhost/a.png", false),
    ("https://cdn.localhost/a.png", false),
    ("https://intranet/a.png", false),
    ("https://127.0.0.1/a.png", false),
    ("https://10.1.2.3/a.png", false),
    ("https://172.16.5.4/a.png", false),
    ("https://192.168.0.10/a.png", false),
    ("https://169.254.169.254/a", false),
    ("https://0.0.0.0/a.png", false),
    ("https://100.64.1.1/a.png", false),
    ("https://[::1]/a.png", false),
    ("https://[fe80::1]/a.png", false),
    ("https://[fc00::1]/a.png", false),
    ("https://[::ffff:10.0.0.1]/a.png", false),
    ("asset://abc", false),
    ("not a url", false),
    ("", false),
    // Reading R3/R17: an empty user-info is still user-info; Teredo and the rest of
    // 2001::/23 (IETF protocol assignments), SRv6 SIDs and 3fff::/20 are not public.
    ("https://:@cdn.example.com/a.png", false),
    ("https://@cdn.example.com/a.png", false),
    ("https://[2001::1]/a.png", false),
    (
        "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/a.png",
        false,
    ),
    ("https://[2001:2::1]/a.png", false),
    ("https://[5f00::1]/a.png", false),
    ("https://[3fff::1]/a.png", false),
    ("https://[2001:4860:4860::8888]/a.png", true),
];

fn url_is_public(url: &str) -> bool {
    URLS.iter()
        .find(|(u, _)| *u == url)
        .map(|(_, ok)| *ok)
        .unwrap_or_else(|| panic!("a URL outside the oracle table: {url}"))
}

fn str_field<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key).map(|v| {
        v.as_str()
            .unwrap_or_else(|| panic!("{key} must be a string, got {v}"))
    })
}

/// Checks a serialised request against the spec's table and readings, field by field.
fn assert_spec_allows(v: &Value) {
    let obj = v.as_object().expect("a JSON object");
    for key in obj.keys() {
        assert!(FIELDS.contains(&key.as_str()), "unknown field {key}");
    }
    for (key, allowed) in [
        ("mode", MODES),
        ("quality_tier", TIERS),
        ("channel", CHANNELS),
        ("aspect_ratio", RATIOS),
        ("resolution", RESOLUTIONS),
    ] {
        if let Some(s) = str_field(obj, key) {
            assert!(allowed.contains(&s), "{key} {s:?} not in {allowed:?}");
        }
    }
    let prompt = str_field(obj, "prompt").expect("prompt is required");
    let n = prompt.chars().count();
    assert!((3..=10_000).contains(&n), "prompt has {n} code points");
    assert!(lint_prompt(prompt).is_empty(), "prompt breaks the guide");

    if let Some(d) = obj.get("duration") {
        let s = d.as_str().expect("duration is a JSON string");
        assert!(
            !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()),
            "{s:?}"
        );
        let secs: u32 = s.parse().expect("digits");
        assert!((4..=15).contains(&secs), "duration {secs}");
    }
    let tier = str_field(obj, "quality_tier").unwrap_or("standard");
    let channel = str_field(obj, "channel").unwrap_or("standard");
    let mode = str_field(obj, "mode").unwrap_or("text-to-video");
    if let Some(r) = str_field(obj, "resolution") {
        if r == "1080p-plus" || r == "4k" {
            assert_eq!(tier, "pro", "{r} needs pro");
        }
    }
    let image = str_field(obj, "image_url");
    let end = str_field(obj, "end_image_url");
    for u in image.iter().chain(end.iter()) {
        assert!(url_is_public(u), "{u} is not public");
    }
    match mode {
        "image-to-video" => assert!(image.is_some(), "image_url required"),
        _ => assert!(
            image.is_none() && end.is_none(),
            "frames only with image-to-video"
        ),
    }
    match (mode, obj.get("media_urls")) {
        ("media-to-video", Some(m)) => {
            let list = m.as_array().expect("media_urls is an array");
            assert!((1..=12).contains(&list.len()), "{} media urls", list.len());
            for u in list {
                let u = u.as_str().expect("media url is a string");
                assert!(url_is_public(u), "{u} is not public");
            }
        }
        ("media-to-video", None) => panic!("media_urls required"),
        (_, Some(_)) => panic!("media_urls only with media-to-video"),
        (_, None) => {}
    }
    for key in ["generate_audio", "fixed_lens"] {
        if let Some(b) = obj.get(key) {
            assert!(b.is_boolean(), "{key} is a boolean");
        }
    }
    if let Some(seed) = obj.get("seed") {
        let s = seed.as_i64().expect("seed is an integer");
        assert!((-1..=4_294_967_295).contains(&s), "seed {s}");
        assert_ne!(channel, "real", "no seed on real");
        assert_ne!(tier, "mini", "no seed on mini");
    }
}

// ------------------------------------------------------------------ strategies

fn enum_value(allowed: &'static [&'static str]) -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        3 => Just(None),
        6 => select(allowed).prop_map(|s| Some(s.to_owned())),
        1 => "[a-zA-Z0-9:-]{0,12}".prop_map(Some),
    ]
}

fn prompt() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => select(&[
            "A cinematic shot of a glass train crossing a snowy mountain bridge",
            "Shot 1: a kite climbs. Shot 2: it dives.",
            "镜头1：雪山上的玻璃列车缓缓驶过。",
            "abc",
            "🎬🎬🎬",
        ][..])
        .prop_map(str::to_owned),
        2 => "\\PC{0,40}",
        1 => select(&["@图片1 walks", "asset://x", "Shot 2:", "hi", ""][..]).prop_map(str::to_owned),
        1 => (9_995usize..10_005).prop_map(|n| "a".repeat(n)),
    ]
}

/// Mostly public URLs (so that many requests validate), sometimes any of the table.
fn url() -> impl Strategy<Value = String> {
    let public: Vec<&str> = URLS.iter().filter(|(_, ok)| *ok).map(|(u, _)| *u).collect();
    prop_oneof![
        7 => select(public).prop_map(str::to_owned),
        3 => select(URLS).prop_map(|(u, _)| u.to_owned()),
    ]
}

prop_compose! {
    fn request()(
        prompt in prompt(),
        mode in enum_value(MODES),
        tier in enum_value(TIERS),
        channel in enum_value(CHANNELS),
        ratio in enum_value(RATIOS),
        resolution in enum_value(RESOLUTIONS),
        duration in proptest::option::of(prop_oneof![8 => 4u32..=15, 1 => 0u32..20, 1 => any::<u32>()]),
        image in proptest::option::of(url()),
        end in proptest::option::weighted(0.3, url()),
        media in proptest::option::of(prop_oneof![
            8 => proptest::collection::vec(url(), 1..4),
            2 => proptest::collection::vec(url(), 0..14),
        ]),
        audio in proptest::option::of(any::<bool>()),
        lens in proptest::option::of(any::<bool>()),
        seed in proptest::option::weighted(0.3, prop_oneof![
            6 => -1i64..=4_294_967_295,
            1 => -3i64..5,
            1 => 4_294_967_290i64..4_294_967_300,
            1 => any::<i64>(),
        ]),
        consistent in proptest::bool::weighted(0.8),
    ) -> VideoRequest {
        let mut b = VideoRequest::builder(prompt);
        let mode_str = mode.clone().unwrap_or_else(|| "text-to-video".to_owned());
        if let Some(v) = mode { b = b.mode(v.as_str()); }
        if let Some(v) = tier { b = b.quality_tier(v.as_str()); }
        if let Some(v) = channel { b = b.channel(v.as_str()); }
        if let Some(v) = ratio { b = b.aspect_ratio(v.as_str()); }
        if let Some(v) = resolution { b = b.resolution(v.as_str()); }
        if let Some(v) = duration { b = b.duration(v); }
        if let Some(v) = audio { b = b.generate_audio(v); }
        if let Some(v) = lens { b = b.fixed_lens(v); }
        if let Some(v) = seed { b = b.seed(v); }
        // Half the time, only the reference fields the mode takes (so many requests validate).
        let (frames, medias) = if consistent {
            (mode_str == "image-to-video", mode_str == "media-to-video")
        } else {
            (true, true)
        };
        if frames {
            if let Some(v) = image { b = b.image_url(v); }
            if let Some(v) = end { b = b.end_image_url(v); }
        }
        if medias {
            if let Some(v) = media { b = b.media_urls(v); }
        }
        b.build_unchecked()
    }
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "\\PC{0,16}".prop_map(Value::String),
        select(
            &[
                "processing",
                "completed",
                "failed",
                "queued",
                "sd2_1",
                "nbp_2",
                "5",
                "16",
                "pro",
                "4k",
                "invalid_request",
                "https://cdn.example.com/a.png",
            ][..]
        )
        .prop_map(|s| Value::String(s.to_owned())),
    ]
}

fn json_key() -> impl Strategy<Value = String> {
    prop_oneof![
        select(
            &[
                "id",
                "status",
                "model",
                "quality_tier",
                "channel",
                "credits_used",
                "credits_refunded",
                "output",
                "error",
                "created_at",
                "updated_at",
                "video_url",
                "last_frame_url",
                "seed",
                "images",
                "url",
                "code",
                "message",
                "prompt",
                "mode",
                "duration",
                "media_urls",
                "image_url",
            ][..]
        )
        .prop_map(str::to_owned),
        "[a-z_]{1,8}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(json_key(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Objects shaped like tasks: always an id and a status, other fields arbitrary.
fn task_like() -> impl Strategy<Value = Value> {
    (
        json_leaf(),
        json_leaf(),
        proptest::collection::btree_map(json_key(), json_value(), 0..8),
    )
        .prop_map(|(id, status, rest)| {
            let mut m: Map<String, Value> = rest.into_iter().collect();
            m.insert("id".into(), id);
            m.insert("status".into(), status);
            Value::Object(m)
        })
}

/// Text made of the pieces the linter looks for, glued arbitrarily.
fn linty_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            select(
                &[
                    "@", "图片", "image", " ", "1", "12", "Shot", "shot ", "镜头", ":", "：", "(",
                    ")", "asset", "://", "_", "-", "9f8e7d6c", ".", "\n", "é", "🎬", "com",
                ][..]
            )
            .prop_map(str::to_owned),
            "\\PC{0,4}",
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

fn director() -> impl Strategy<Value = DirectorPrompt> {
    let text = || {
        prop_oneof![
            4 => select(&["a red kite", "it climbs over the dunes", "slow dolly in", "film noir", ""][..])
                .prop_map(str::to_owned),
            1 => linty_text(),
            1 => "\\PC{0,30}",
        ]
    };
    let shot = (
        text(),
        proptest::option::of(text()),
        proptest::option::of(prop_oneof![
            (-2.0f64..16.0, -2.0f64..16.0),
            (0u8..4).prop_map(|i| (f64::from(i), f64::from(i) + 1.0)),
        ]),
    )
        .prop_map(|(a, c, t)| {
            let mut s = Shot::new(a);
            if let Some(c) = c {
                s = s.camera(c);
            }
            if let Some((x, y)) = t {
                s = s.timing(x, y);
            }
            s
        });
    let role = prop_oneof![
        select(&[AssetRole::Character, AssetRole::Motion, AssetRole::Style][..]),
        select(AssetRole::ALL),
    ];
    let asset = (role, url(), proptest::option::of(text()))
        .prop_map(|(role, url, note)| {
            let a = ReferenceAsset::new(role, url);
            match note {
                Some(n) => a.note(n),
                None => a,
            }
        })
        .boxed();
    (
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::collection::vec(shot, 0..4),
        prop_oneof![
            proptest::collection::vec(asset.clone(), 0..2),
            proptest::collection::vec(asset, 0..4),
        ],
        proptest::option::weighted(0.2, select(&[Intent::Edit, Intent::Extend][..])),
        proptest::option::of(prop_oneof![4 => 4u32..=15, 1 => 0u32..20]),
        any::<bool>(),
        proptest::collection::vec(text(), 0..3),
    )
        .prop_map(
            |(subject, action, style, shots, assets, intent, duration, none, custom)| {
                let mut p = DirectorPrompt::new();
                if let Some(v) = subject {
                    p = p.subject(v);
                }
                if let Some(v) = action {
                    p = p.action(v);
                }
                if let Some(v) = style {
                    p = p.style(v);
                }
                for s in shots {
                    p = p.shot(s);
                }
                for a in assets {
                    p = p.asset(a);
                }
                if let Some(i) = intent {
                    p = p.intent(i);
                }
                if let Some(d) = duration {
                    p = p.duration(d);
                }
                if none {
                    p = p.constraints(Constraints::none());
                }
                for c in custom {
                    p = p.constraint(c);
                }
                p
            },
        )
}

// ------------------------------------------------------------------ properties

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn validated_requests_serialise_to_what_the_spec_allows(req in request()) {
        if validate(&req).is_ok() {
            let v = serde_json::to_value(&req).expect("serialises");
            assert_spec_allows(&v);
            let back: VideoRequest = serde_json::from_value(v).expect("parses back");
            prop_assert_eq!(back, req);
        }
    }

    #[test]
    fn requests_the_spec_refuses_do_not_validate(req in request()) {
        // The converse: whatever the oracle refuses, validate() refuses too.
        let v = serde_json::to_value(&req).expect("serialises");
        let oracle_ok = std::panic::catch_unwind(|| assert_spec_allows(&v)).is_ok();
        prop_assert_eq!(validate(&req).is_ok(), oracle_ok, "request: {:?}", req);
    }

    #[test]
    fn validation_reports_every_field_it_names(req in request()) {
        if let Err(e) = validate(&req) {
            prop_assert!(!e.violations().is_empty());
            for v in e.violations() {
                let base = v.field.split('[').next().unwrap_or_default();
                prop_assert!(FIELDS.contains(&base), "field {}", v.field);
                prop_assert!(!v.message.is_empty());
            }
        }
    }

    #[test]
    fn task_from_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = Task::from_json(&bytes);
    }

    #[test]
    fn task_from_arbitrary_text_never_panics(s in "\\PC{0,200}") {
        let _ = Task::from_json(s.as_bytes());
        let _ = serde_json::from_str::<ErrorBody>(&s);
        let _ = serde_json::from_str::<VideoRequest>(&s);
    }

    #[test]
    fn task_from_arbitrary_json_never_panics(v in prop_oneof![json_value(), task_like()]) {
        let body = serde_json::to_vec(&v).expect("serialises");
        if let Ok(task) = Task::from_json(&body) {
            // raw is the body as parsed (floats as serde_json reads them back).
            let reparsed: Value = serde_json::from_slice(&body).expect("parses");
            prop_assert_eq!(task.raw.as_ref(), Some(&reparsed));
            let _ = task.status.is_terminal();
            let again = serde_json::to_value(&task).expect("a parsed task serialises");
            let back: Task = serde_json::from_value(again).expect("and parses back");
            prop_assert_eq!(back.id, task.id);
            prop_assert_eq!(back.status, task.status);
        }
        let _ = serde_json::from_value::<ErrorBody>(v);
    }

    #[test]
    fn request_from_arbitrary_json_never_panics(v in json_value()) {
        if let Ok(req) = serde_json::from_value::<VideoRequest>(v) {
            if validate(&req).is_ok() {
                assert_spec_allows(&serde_json::to_value(&req).expect("serialises"));
            }
        }
    }

    #[test]
    fn request_shaped_json_never_panics(
        fields in proptest::collection::btree_map(select(FIELDS).prop_map(str::to_owned), json_leaf(), 0..13),
        prompt in prompt(),
    ) {
        let mut m: Map<String, Value> = fields.into_iter().collect();
        m.insert("prompt".into(), Value::String(prompt));
        if let Ok(req) = serde_json::from_value::<VideoRequest>(Value::Object(m)) {
            if validate(&req).is_ok() {
                assert_spec_allows(&serde_json::to_value(&req).expect("serialises"));
            }
        }
    }

    #[test]
    fn lint_never_panics_and_spans_are_exact(s in prop_oneof![linty_text(), "\\PC{0,80}", any::<String>()]) {
        for f in lint_prompt(&s) {
            let slice = s.get(f.span.clone());
            prop_assert!(slice.is_some(), "span {:?} on a char boundary", f.span);
            prop_assert_eq!(slice.map(str::trim), Some(f.text.as_str()));
            prop_assert!(!f.to_string().is_empty());
        }
    }

    #[test]
    fn retry_after_never_panics_and_is_capped(s in prop_oneof![
        any::<String>(),
        "[0-9]{1,40}",
        "[0-9]{0,25}\\.[0-9]{0,25}",
        "[0-9.eE+-]{1,30}",
        "(Mon|Tue|Sun), [0-9]{1,2} (Jan|Oct|Dec) [0-9]{1,6} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT",
    ]) {
        let now = std::time::SystemTime::now();
        if let Some(r) = seedance_core::rules::parse_retry_after(&s, now) {
            prop_assert!(r.delay <= seedance_core::rules::RETRY_AFTER_MAX);
            // the delay can always be added to a clock
            prop_assert!(std::time::Instant::now().checked_add(r.delay).is_some());
        }
    }

    #[test]
    fn untrusted_text_helpers_never_panic(s in any::<String>(), key in "sk_live_[a-z0-9]{4,20}", max in 0usize..300) {
        use seedance_core::rules::{check_task_id, escape_controls, excerpt, redact_secrets};
        let text = format!("{s}{key}{s}");
        prop_assert!(!redact_secrets(&text, Some(&key)).contains(&key));
        let ex = excerpt(&text, Some(&key), max);
        prop_assert!(!ex.contains(&key));
        prop_assert!(ex.chars().count() <= max + 1);
        prop_assert!(!ex.chars().any(char::is_control));
        prop_assert!(!escape_controls(&s).chars().any(char::is_control));
        if check_task_id(&s).is_ok() {
            prop_assert!(s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'));
            prop_assert!(!s.is_empty() && s.len() <= 128);
        }
    }

    #[test]
    fn local_durations_never_panic(secs in prop_oneof![any::<f64>(), 0.0..1e12f64], scale in any::<f64>()) {
        use seedance_core::rules::{duration_from_secs_f64, TimeScale, SETTING_DURATION_MAX};
        if let Ok(d) = duration_from_secs_f64("x", secs, SETTING_DURATION_MAX) {
            prop_assert!(d <= SETTING_DURATION_MAX);
            if let Ok(s) = TimeScale::new(scale) {
                prop_assert!(std::time::Instant::now().checked_add(s.to_real(d)).is_some());
                prop_assert!(std::time::Instant::now().checked_add(s.to_model(d)).is_some());
            }
        }
        if let Ok(s) = TimeScale::new(scale) {
            let _ = (s.to_real(std::time::Duration::MAX), s.to_model(std::time::Duration::MAX));
        }
    }

    #[test]
    fn url_check_never_panics(s in prop_oneof![any::<String>(), "https://\\PC{0,30}", "https://\\[[0-9a-f:.]{0,30}\\]/x"]) {
        if check_public_https_url(&s).is_ok() {
            prop_assert!(s.to_ascii_lowercase().starts_with("https:"));
        }
    }

    #[test]
    fn director_prompt_renders_deterministically_and_cleanly(p in director()) {
        match p.render() {
            Ok(text) => {
                prop_assert!(lint_prompt(&text).is_empty(), "rendered text lints: {}", text);
                let n = text.chars().count();
                prop_assert!((3..=10_000).contains(&n));
                prop_assert_eq!(p.render().ok(), Some(text.clone()));
                // The builder is the prompt: serde round trip renders the same.
                let json = serde_json::to_string(&p).expect("serialises");
                let back = DirectorPrompt::from_json(&json).expect("parses back");
                prop_assert_eq!(back.render().ok(), Some(text.clone()));
                match p.build() {
                    Ok(req) => {
                        prop_assert_eq!(&req.prompt, &text);
                        assert_spec_allows(&serde_json::to_value(&req).expect("serialises"));
                    }
                    Err(PromptError::Invalid(_)) => {}
                    Err(other) => prop_assert!(false, "build after render: {other:?}"),
                }
            }
            Err(e) => {
                prop_assert!(!e.to_string().is_empty());
                prop_assert!(p.build().is_err());
            }
        }
    }
}
