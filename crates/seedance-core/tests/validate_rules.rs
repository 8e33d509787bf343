//! Table-driven tests for every rule of `validate()`: each allowed value accepted, each
//! boundary ±1, each contradiction, every non-public URL class. Each case asserts the
//! exact list of (field, rule) pairs, so removing any one rule fails at least one case.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic

use seedance_core::{
    check_public_https_url, validate, AspectRatio, Channel, Mode, QualityTier, Resolution, Rule,
    VideoRequest, VideoRequestBuilder,
};

const PROMPT: &str = "A cinematic shot of a glass train crossing a snowy mountain bridge";
const IMG: &str = "https://cdn.example.com/first.png";
const IMG2: &str = "https://cdn.example.com/last.png";
const VID: &str = "https://cdn.example.com/ref.mp4";

/// A named case: a request and the (field, rule) pairs it must break.
type Case = (&'static str, VideoRequestBuilder, Vec<(&'static str, Rule)>);

fn base() -> VideoRequestBuilder {
    VideoRequest::builder(PROMPT)
}

/// The (field, rule) pairs of a request's violations, in the order validate() reports them.
fn found(req: &VideoRequest) -> Vec<(String, Rule)> {
    match validate(req) {
        Ok(()) => Vec::new(),
        Err(e) => {
            assert!(!e.violations().is_empty(), "an error is never empty");
            e.violations()
                .iter()
                .map(|v| (v.field.clone(), v.rule))
                .collect()
        }
    }
}

fn expect(req: VideoRequest, want: &[(&str, Rule)], case: &str) {
    let want: Vec<(String, Rule)> = want.iter().map(|(f, r)| ((*f).to_owned(), *r)).collect();
    assert_eq!(found(&req), want, "case: {case}\nrequest: {req:?}");
    // build() and validate() agree.
    let built = base_like(&req).build();
    assert_eq!(
        built.is_ok(),
        want.is_empty(),
        "build() agrees with validate(): {case}"
    );
}

/// Rebuilds a builder from a request (to check that `build()` calls the same rules).
fn base_like(req: &VideoRequest) -> VideoRequestBuilder {
    let mut b = VideoRequest::builder(req.prompt.clone());
    if let Some(v) = &req.mode {
        b = b.mode(v.clone());
    }
    if let Some(v) = &req.quality_tier {
        b = b.quality_tier(v.clone());
    }
    if let Some(v) = &req.channel {
        b = b.channel(v.clone());
    }
    if let Some(v) = &req.aspect_ratio {
        b = b.aspect_ratio(v.clone());
    }
    if let Some(v) = req.duration {
        b = b.duration(v);
    }
    if let Some(v) = &req.resolution {
        b = b.resolution(v.clone());
    }
    if let Some(v) = &req.image_url {
        b = b.image_url(v.clone());
    }
    if let Some(v) = &req.end_image_url {
        b = b.end_image_url(v.clone());
    }
    if let Some(v) = &req.media_urls {
        b = b.media_urls(v.clone());
    }
    if let Some(v) = req.generate_audio {
        b = b.generate_audio(v);
    }
    if let Some(v) = req.fixed_lens {
        b = b.fixed_lens(v);
    }
    if let Some(v) = req.seed {
        b = b.seed(v);
    }
    b
}

// ---------------------------------------------------------------- allowed values

#[test]
fn wire_strings_are_exactly_the_spec_tables() {
    let strs = |v: Vec<String>| v;
    assert_eq!(
        strs(Mode::ALL.iter().map(|m| m.as_str().to_owned()).collect()),
        ["text-to-video", "image-to-video", "media-to-video"]
    );
    assert_eq!(
        strs(
            QualityTier::ALL
                .iter()
                .map(|m| m.as_str().to_owned())
                .collect()
        ),
        ["mini", "standard", "pro"]
    );
    assert_eq!(
        strs(Channel::ALL.iter().map(|m| m.as_str().to_owned()).collect()),
        ["standard", "real", "wild"]
    );
    assert_eq!(
        strs(
            AspectRatio::ALL
                .iter()
                .map(|m| m.as_str().to_owned())
                .collect()
        ),
        ["1:1", "21:9", "4:3", "3:4", "16:9", "9:16", "adaptive"]
    );
    assert_eq!(
        strs(
            Resolution::ALL
                .iter()
                .map(|m| m.as_str().to_owned())
                .collect()
        ),
        ["720p", "1080p", "1080p-plus", "4k"]
    );
    // Defaults are the spec's.
    assert_eq!(Mode::default(), Mode::TextToVideo);
    assert_eq!(QualityTier::default(), QualityTier::Standard);
    assert_eq!(Channel::default(), Channel::Standard);
    assert_eq!(AspectRatio::default(), AspectRatio::Wide16x9);
    assert_eq!(Resolution::default(), Resolution::P720);
    let req = base().build().expect("defaults validate");
    assert_eq!(req.effective_duration().secs(), 5);
    assert!(req.effective_generate_audio());
    assert!(!req.effective_fixed_lens());
}

#[test]
fn every_mode_is_accepted_with_its_reference_fields() {
    for mode in Mode::ALL {
        let b = base().mode(mode.clone());
        let req = match mode {
            Mode::TextToVideo => b,
            Mode::ImageToVideo => b.image_url(IMG),
            Mode::MediaToVideo => b.media_url(VID),
            other => panic!("a mode without a test: {other}"),
        }
        .build_unchecked();
        expect(req, &[], mode.as_str());
    }
}

#[test]
fn every_tier_channel_aspect_ratio_is_accepted() {
    for tier in QualityTier::ALL {
        expect(
            base().quality_tier(tier.clone()).build_unchecked(),
            &[],
            tier.as_str(),
        );
    }
    for channel in Channel::ALL {
        expect(
            base().channel(channel.clone()).build_unchecked(),
            &[],
            channel.as_str(),
        );
    }
    for ar in AspectRatio::ALL {
        expect(
            base().aspect_ratio(ar.clone()).build_unchecked(),
            &[],
            ar.as_str(),
        );
    }
}

#[test]
fn booleans_are_accepted_both_ways() {
    for v in [true, false] {
        expect(
            base().generate_audio(v).fixed_lens(v).build_unchecked(),
            &[],
            "booleans",
        );
    }
}

#[test]
fn unknown_enum_values_are_refused_by_field() {
    let cases: Vec<(VideoRequest, &str)> = vec![
        (base().mode("video-to-video").build_unchecked(), "mode"),
        (
            base().quality_tier("ultra").build_unchecked(),
            "quality_tier",
        ),
        (base().channel("anime").build_unchecked(), "channel"),
        (base().aspect_ratio("2:1").build_unchecked(), "aspect_ratio"),
        (base().resolution("8k").build_unchecked(), "resolution"),
        // Case matters: the wire strings are exact.
        (base().mode("Text-To-Video").build_unchecked(), "mode"),
        (base().resolution("4K").build_unchecked(), "resolution"),
        (base().quality_tier("").build_unchecked(), "quality_tier"),
    ];
    for (req, field) in cases {
        expect(req, &[(field, Rule::AllowedValues)], field);
    }
}

#[test]
fn unknown_value_message_names_value_and_allowed_set() {
    let err = validate(&base().resolution("8k").build_unchecked()).unwrap_err();
    assert_eq!(
        err.violations()[0].to_string(),
        r#"resolution: "8k" is not one of "720p", "1080p", "1080p-plus", "4k""#
    );
}

// ---------------------------------------------------------------- prompt length (R2)

#[test]
fn prompt_length_boundaries_in_code_points() {
    // ASCII, 2-byte, 3-byte and 4-byte characters: the count is code points, not bytes.
    for ch in ['a', 'é', '图', '🎬'] {
        for (n, ok) in [
            (0, false),
            (1, false),
            (2, false),
            (3, true),
            (4, true),
            (9_999, true),
            (10_000, true),
            (10_001, false),
            (20_000, false),
        ] {
            let prompt = ch.to_string().repeat(n);
            let want: &[(&str, Rule)] = if ok { &[] } else { &[("prompt", Rule::Length)] };
            expect(
                VideoRequest::builder(prompt).build_unchecked(),
                want,
                &format!("{n} × {ch:?}"),
            );
        }
    }
}

#[test]
fn prompt_is_not_trimmed_before_counting() {
    expect(
        VideoRequest::builder("  a").build_unchecked(),
        &[],
        "2 spaces + a",
    );
    expect(
        VideoRequest::builder("   ").build_unchecked(),
        &[],
        "3 spaces",
    );
    expect(
        VideoRequest::builder(" a").build_unchecked(),
        &[("prompt", Rule::Length)],
        "1 space + a",
    );
    // A combining sequence is two code points.
    expect(
        VideoRequest::builder("e\u{301}").build_unchecked(),
        &[("prompt", Rule::Length)],
        "e + combining acute",
    );
    expect(
        VideoRequest::builder("e\u{301}x").build_unchecked(),
        &[],
        "3 code points",
    );
}

#[test]
fn prompt_length_message_names_the_count() {
    let err = validate(&VideoRequest::builder("hi").build_unchecked()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid request: prompt: must be 3–10000 characters (got 2)"
    );
}

// ---------------------------------------------------------------- prompt lint (R15)

#[test]
fn prompt_lint_findings_are_violations() {
    for prompt in [
        "The hero from @图片1 walks into the rain",
        "The hero from @image1 walks into the rain",
        "Use asset://abc/hero.png as the hero",
        "Keep asset_9f8e7d6c as the hero's face",
        "Keep 123e4567-e89b-12d3-a456-426614174000 as the face",
        "Shot 1: the hero walks. Shot 2:",
    ] {
        expect(
            VideoRequest::builder(prompt).build_unchecked(),
            &[("prompt", Rule::PromptLint)],
            prompt,
        );
    }
    // Two findings, two violations; too short and linted at once.
    expect(
        VideoRequest::builder("@image1 and @视频2").build_unchecked(),
        &[("prompt", Rule::PromptLint), ("prompt", Rule::PromptLint)],
        "two labels",
    );
}

// ---------------------------------------------------------------- duration

#[test]
fn duration_boundaries() {
    for secs in 4..=15 {
        expect(base().duration(secs).build_unchecked(), &[], "in range");
    }
    for secs in [0, 1, 3, 16, 60, u32::MAX] {
        expect(
            base().duration(secs).build_unchecked(),
            &[("duration", Rule::Range)],
            &format!("duration {secs}"),
        );
    }
    let err = validate(&base().duration(16).build_unchecked()).unwrap_err();
    assert_eq!(
        err.violations()[0].to_string(),
        r#"duration: "16" is outside 4–15 seconds"#
    );
}

// ---------------------------------------------------------------- resolution × tier

#[test]
fn resolution_needs_pro_for_1080p_plus_and_4k() {
    let tiers: [Option<QualityTier>; 4] = [
        None,
        Some(QualityTier::Mini),
        Some(QualityTier::Standard),
        Some(QualityTier::Pro),
    ];
    for tier in &tiers {
        for res in Resolution::ALL {
            let mut b = base().resolution(res.clone());
            if let Some(t) = tier {
                b = b.quality_tier(t.clone());
            }
            let needs = matches!(res, Resolution::P1080Plus | Resolution::K4);
            let is_pro = *tier == Some(QualityTier::Pro);
            let want: &[(&str, Rule)] = if needs && !is_pro {
                &[("resolution", Rule::NeedsProTier)]
            } else {
                &[]
            };
            expect(b.build_unchecked(), want, &format!("{tier:?} × {res}"));
        }
    }
    // An unknown tier is not pro either.
    expect(
        base()
            .quality_tier("ultra")
            .resolution(Resolution::K4)
            .build_unchecked(),
        &[
            ("quality_tier", Rule::AllowedValues),
            ("resolution", Rule::NeedsProTier),
        ],
        "ultra × 4k",
    );
    let err = validate(
        &base()
            .quality_tier(QualityTier::Mini)
            .resolution(Resolution::P1080Plus)
            .build_unchecked(),
    )
    .unwrap_err();
    assert_eq!(
        err.violations()[0].to_string(),
        r#"resolution: "1080p-plus" needs quality_tier "pro" (got "mini")"#
    );
}

// ---------------------------------------------------------------- mode × reference fields

#[test]
fn mode_and_reference_field_contradictions() {
    use Rule::{Length, NotAllowedInMode as No, RequiredByMode as Req};
    let media = |n: usize| -> Vec<String> {
        (0..n)
            .map(|i| format!("https://cdn.example.com/ref{i}.mp4"))
            .collect()
    };
    let t2v = || base().mode(Mode::TextToVideo);
    let i2v = || base().mode(Mode::ImageToVideo);
    let m2v = || base().mode(Mode::MediaToVideo);
    let cases: Vec<Case> = vec![
        // text-to-video (explicit and by default) takes no reference.
        ("t2v plain", t2v(), vec![]),
        ("t2v image", t2v().image_url(IMG), vec![("image_url", No)]),
        (
            "t2v end",
            t2v().end_image_url(IMG2),
            vec![("end_image_url", No)],
        ),
        ("t2v media", t2v().media_url(VID), vec![("media_urls", No)]),
        (
            "t2v empty media",
            t2v().media_urls(media(0)),
            vec![("media_urls", No)],
        ),
        (
            "default image",
            base().image_url(IMG),
            vec![("image_url", No)],
        ),
        (
            "default end",
            base().end_image_url(IMG2),
            vec![("end_image_url", No)],
        ),
        (
            "default media",
            base().media_url(VID),
            vec![("media_urls", No)],
        ),
        (
            "t2v everything",
            t2v().image_url(IMG).end_image_url(IMG2).media_url(VID),
            vec![("image_url", No), ("end_image_url", No), ("media_urls", No)],
        ),
        // image-to-video needs image_url; end_image_url optional; no media.
        ("i2v missing image", i2v(), vec![("image_url", Req)]),
        (
            "i2v end only",
            i2v().end_image_url(IMG2),
            vec![("image_url", Req)],
        ),
        ("i2v image", i2v().image_url(IMG), vec![]),
        (
            "i2v image+end",
            i2v().image_url(IMG).end_image_url(IMG2),
            vec![],
        ),
        (
            "i2v media",
            i2v().image_url(IMG).media_url(VID),
            vec![("media_urls", No)],
        ),
        (
            "i2v media no image",
            i2v().media_urls(media(2)),
            vec![("image_url", Req), ("media_urls", No)],
        ),
        // media-to-video needs 1–12 media_urls and takes no frames.
        ("m2v missing media", m2v(), vec![("media_urls", Req)]),
        (
            "m2v 0 media",
            m2v().media_urls(media(0)),
            vec![("media_urls", Length)],
        ),
        ("m2v 1 media", m2v().media_urls(media(1)), vec![]),
        ("m2v 2 media", m2v().media_urls(media(2)), vec![]),
        ("m2v 11 media", m2v().media_urls(media(11)), vec![]),
        ("m2v 12 media", m2v().media_urls(media(12)), vec![]),
        (
            "m2v 13 media",
            m2v().media_urls(media(13)),
            vec![("media_urls", Length)],
        ),
        (
            "m2v 40 media",
            m2v().media_urls(media(40)),
            vec![("media_urls", Length)],
        ),
        (
            "m2v image",
            m2v().media_url(VID).image_url(IMG),
            vec![("image_url", No)],
        ),
        (
            "m2v end",
            m2v().media_url(VID).end_image_url(IMG2),
            vec![("end_image_url", No)],
        ),
        (
            "m2v frames, no media",
            m2v().image_url(IMG).end_image_url(IMG2),
            vec![
                ("image_url", No),
                ("end_image_url", No),
                ("media_urls", Req),
            ],
        ),
    ];
    for (case, b, want) in cases {
        expect(b.build_unchecked(), &want, case);
    }
}

#[test]
fn mode_messages_name_the_mode() {
    let err = validate(&base().image_url(IMG).build_unchecked()).unwrap_err();
    assert_eq!(
        err.violations()[0].to_string(),
        r#"image_url: is only for mode "image-to-video" (got mode "text-to-video")"#
    );
    let err = validate(
        &base()
            .mode(Mode::MediaToVideo)
            .media_urls(Vec::<String>::new())
            .build_unchecked(),
    )
    .unwrap_err();
    assert_eq!(
        err.violations()[0].to_string(),
        "media_urls: must have 1–12 entries (got 0)"
    );
    let err = validate(&base().mode(Mode::ImageToVideo).build_unchecked()).unwrap_err();
    assert_eq!(
        err.violations()[0].to_string(),
        r#"image_url: is required for mode "image-to-video""#
    );
}

// ---------------------------------------------------------------- public https URLs (R3, R17)

const NON_PUBLIC: &[(&str, &str)] = &[
    ("http", "http://cdn.example.com/a.png"),
    ("ftp", "ftp://cdn.example.com/a.png"),
    ("data", "data:image/png;base64,AAAA"),
    ("file", "file:///etc/passwd"),
    ("asset", "asset://abc123"),
    ("user-info", "https://user:pass@cdn.example.com/a.png"),
    ("user only", "https://user@cdn.example.com/a.png"),
    ("localhost", "https://localhost/a.png"),
    ("localhost port", "https://localhost:8443/a.png"),
    ("LOCALHOST", "https://LOCALHOST/a.png"),
    ("localhost dot", "https://localhost./a.png"),
    ("*.localhost", "https://cdn.localhost/a.png"),
    ("*.local", "https://printer.local/a.png"),
    ("*.internal", "https://api.corp.internal/a.png"),
    ("*.home.arpa", "https://nas.home.arpa/a.png"),
    ("single-label", "https://intranet/a.png"),
    ("127.x", "https://127.0.0.1/a.png"),
    ("127.x other", "https://127.8.9.10/a.png"),
    ("127 short form", "https://127.1/a.png"),
    ("127 hex", "https://0x7f000001/a.png"),
    ("10.x", "https://10.0.0.1/a.png"),
    ("10.x top", "https://10.255.255.255/a.png"),
    ("172.16.x", "https://172.16.0.1/a.png"),
    ("172.31.x", "https://172.31.255.254/a.png"),
    ("192.168.x", "https://192.168.1.1/a.png"),
    ("169.254.x", "https://169.254.169.254/latest/meta-data"),
    ("0.0.0.0", "https://0.0.0.0/a.png"),
    ("0.x", "https://0.1.2.3/a.png"),
    ("100.64.x", "https://100.64.0.1/a.png"),
    ("100.127.x", "https://100.127.255.254/a.png"),
    ("192.0.0.x", "https://192.0.0.8/a.png"),
    ("192.0.2.x doc", "https://192.0.2.10/a.png"),
    ("198.18.x bench", "https://198.18.0.1/a.png"),
    ("multicast", "https://224.0.0.1/a.png"),
    ("reserved", "https://240.0.0.1/a.png"),
    ("broadcast", "https://255.255.255.255/a.png"),
    ("[::1]", "https://[::1]/a.png"),
    ("[::]", "https://[::]/a.png"),
    ("[fe80::1]", "https://[fe80::1]/a.png"),
    ("[fc00::1]", "https://[fc00::1]/a.png"),
    ("[fd12::1]", "https://[fd12:3456::1]/a.png"),
    ("::ffff:10.0.0.1", "https://[::ffff:10.0.0.1]/a.png"),
    ("::ffff:127.0.0.1", "https://[::ffff:127.0.0.1]/a.png"),
    ("::10.0.0.1 compat", "https://[::10.0.0.1]/a.png"),
    ("[ff02::1]", "https://[ff02::1]/a.png"),
    ("[2001:db8::1]", "https://[2001:db8::1]/a.png"),
    ("[fec0::1] site-local", "https://[fec0::1]/a.png"),
    ("[100::1] discard", "https://[100::1]/a.png"),
    ("NAT64 of 10.x", "https://[64:ff9b::a00:1]/a.png"),
    ("local NAT64", "https://[64:ff9b:1::1]/a.png"),
    ("6to4 of 192.168.x", "https://[2002:c0a8:101::1]/a.png"),
    ("unparseable", "not a url"),
    ("leading space", " https://cdn.example.com/a.png"),
    ("trailing newline", "https://cdn.example.com/a.png\n"),
    ("inner tab", "https://cdn.exa\tmple.com/a.png"),
    ("empty", ""),
    ("no host", "https://"),
    ("bad port", "https://cdn.example.com:99999/a.png"),
    ("bad ipv6", "https://[::1/a.png"),
];

const PUBLIC: &[&str] = &[
    "https://cdn.example.com/a.png",
    "https://CDN.Example.COM/a.png",
    "https://cdn.example.com./a.png",
    "https://cdn.example.com:8443/a.png?sig=abc&x=1#frag",
    "https://bücher.example/a.png",
    "https://8.8.8.8/a.png",
    "https://172.32.0.1/a.png",
    "https://100.128.0.1/a.png",
    "https://169.255.0.1/a.png",
    "https://[2606:4700:4700::1111]/a.png",
    "https://[::ffff:8.8.8.8]/a.png",
    "https://[64:ff9b::808:808]/a.png",
    "https://[2002:808:808::1]/a.png",
    "https://localhost.example.com/a.png",
    "https://my-local.example/a.png",
];

#[test]
fn check_public_https_url_classes() {
    for (class, url) in NON_PUBLIC {
        assert!(
            check_public_https_url(url).is_err(),
            "{class}: {url} must be refused"
        );
    }
    for url in PUBLIC {
        assert_eq!(check_public_https_url(url), Ok(()), "{url} is public");
    }
}

#[test]
fn every_url_field_refuses_every_non_public_class() {
    for (class, url) in NON_PUBLIC {
        expect(
            base()
                .mode(Mode::ImageToVideo)
                .image_url(*url)
                .build_unchecked(),
            &[("image_url", Rule::PublicHttpsUrl)],
            class,
        );
        expect(
            base()
                .mode(Mode::ImageToVideo)
                .image_url(IMG)
                .end_image_url(*url)
                .build_unchecked(),
            &[("end_image_url", Rule::PublicHttpsUrl)],
            class,
        );
        expect(
            base()
                .mode(Mode::MediaToVideo)
                .media_urls([VID, VID, url])
                .build_unchecked(),
            &[("media_urls[2]", Rule::PublicHttpsUrl)],
            class,
        );
    }
    for url in PUBLIC {
        expect(
            base()
                .mode(Mode::ImageToVideo)
                .image_url(*url)
                .end_image_url(*url)
                .build_unchecked(),
            &[],
            url,
        );
        expect(
            base()
                .mode(Mode::MediaToVideo)
                .media_url(*url)
                .build_unchecked(),
            &[],
            url,
        );
    }
}

#[test]
fn url_checks_run_even_when_the_field_is_misplaced() {
    expect(
        base().media_url("http://10.0.0.1/x.mp4").build_unchecked(),
        &[
            ("media_urls", Rule::NotAllowedInMode),
            ("media_urls[0]", Rule::PublicHttpsUrl),
        ],
        "misplaced and non-public",
    );
    let err = validate(
        &base()
            .mode(Mode::ImageToVideo)
            .image_url("https://10.0.0.1/a.png")
            .build_unchecked(),
    )
    .unwrap_err();
    let msg = err.violations()[0].to_string();
    assert!(
        msg.starts_with(r#"image_url: "https://10.0.0.1/a.png" is not a public https URL"#),
        "{msg}"
    );
    assert!(msg.contains("private"), "{msg}");
    assert!(err.has_field("image_url"));
    assert!(!err.has_field("image"));
}

// ---------------------------------------------------------------- seed (R16)

#[test]
fn seed_range_boundaries() {
    for seed in [-1, 0, 1, 123, 4_294_967_294, 4_294_967_295] {
        expect(
            base().seed(seed).build_unchecked(),
            &[],
            &format!("seed {seed}"),
        );
    }
    for seed in [-2, -100, 4_294_967_296, i64::MIN, i64::MAX] {
        expect(
            base().seed(seed).build_unchecked(),
            &[("seed", Rule::Range)],
            &format!("seed {seed}"),
        );
    }
    let err = validate(&base().seed(4_294_967_296).build_unchecked()).unwrap_err();
    assert_eq!(
        err.violations()[0].to_string(),
        "seed: 4294967296 is outside -1–4294967295"
    );
}

#[test]
fn seed_refused_on_real_channel_and_mini_tier() {
    use Rule::{Range, SeedNotSupported as NoSeed};
    let cases: Vec<Case> = vec![
        (
            "standard channel",
            base().channel(Channel::Standard).seed(7),
            vec![],
        ),
        (
            "wild channel",
            base().channel(Channel::Wild).seed(7),
            vec![],
        ),
        (
            "standard tier",
            base().quality_tier(QualityTier::Standard).seed(7),
            vec![],
        ),
        (
            "pro tier",
            base().quality_tier(QualityTier::Pro).seed(7),
            vec![],
        ),
        (
            "real channel",
            base().channel(Channel::Real).seed(7),
            vec![("seed", NoSeed)],
        ),
        (
            "real channel, -1",
            base().channel(Channel::Real).seed(-1),
            vec![("seed", NoSeed)],
        ),
        (
            "mini tier",
            base().quality_tier(QualityTier::Mini).seed(7),
            vec![("seed", NoSeed)],
        ),
        (
            "mini tier, -1",
            base().quality_tier(QualityTier::Mini).seed(-1),
            vec![("seed", NoSeed)],
        ),
        (
            "real + mini",
            base()
                .channel(Channel::Real)
                .quality_tier(QualityTier::Mini)
                .seed(0),
            vec![("seed", NoSeed), ("seed", NoSeed)],
        ),
        (
            "real, out of range",
            base().channel(Channel::Real).seed(-2),
            vec![("seed", Range), ("seed", NoSeed)],
        ),
        // Without a seed, real and mini are fine.
        ("real, no seed", base().channel(Channel::Real), vec![]),
        (
            "mini, no seed",
            base().quality_tier(QualityTier::Mini),
            vec![],
        ),
    ];
    for (case, b, want) in cases {
        expect(b.build_unchecked(), &want, case);
    }
    let err = validate(
        &base()
            .channel(Channel::Real)
            .quality_tier(QualityTier::Mini)
            .seed(1)
            .build_unchecked(),
    )
    .unwrap_err();
    let msgs: Vec<String> = err.violations().iter().map(ToString::to_string).collect();
    assert_eq!(
        msgs,
        [
            r#"seed: is not supported on channel "real""#,
            r#"seed: is not supported on quality_tier "mini""#
        ]
    );
}

// ---------------------------------------------------------------- all at once

#[test]
fn all_violations_come_back_at_once() {
    let req = VideoRequest::builder("@图")
        .mode(Mode::ImageToVideo)
        .quality_tier(QualityTier::Mini)
        .channel(Channel::Real)
        .aspect_ratio("5:4")
        .duration(16)
        .resolution(Resolution::K4)
        .end_image_url("http://127.0.0.1/x.png")
        .media_urls(["https://10.0.0.1/a.mp4", "https://cdn.example.com/b.mp4"])
        .seed(-2)
        .build_unchecked();
    let want = [
        ("aspect_ratio", Rule::AllowedValues),
        ("prompt", Rule::Length),
        ("duration", Rule::Range),
        ("resolution", Rule::NeedsProTier),
        ("image_url", Rule::RequiredByMode),
        ("media_urls", Rule::NotAllowedInMode),
        ("end_image_url", Rule::PublicHttpsUrl),
        ("media_urls[0]", Rule::PublicHttpsUrl),
        ("seed", Rule::Range),
        ("seed", Rule::SeedNotSupported),
        ("seed", Rule::SeedNotSupported),
    ];
    expect(req.clone(), &want, "everything wrong");
    let err = req.validate().unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("invalid request: aspect_ratio: "),
        "{text}"
    );
    assert_eq!(text.matches("; ").count(), want.len() - 1, "{text}");
    assert_eq!(err.clone().into_violations().len(), want.len());
    for field in [
        "aspect_ratio",
        "prompt",
        "duration",
        "resolution",
        "seed",
        "media_urls",
    ] {
        assert!(err.has_field(field), "{field}");
    }
    assert!(!err.has_field("mode"));
    assert!(!err.has_field("channel"));
}

#[test]
fn rule_names_are_stable() {
    let names: Vec<&str> = [
        Rule::AllowedValues,
        Rule::Length,
        Rule::Range,
        Rule::NeedsProTier,
        Rule::RequiredByMode,
        Rule::NotAllowedInMode,
        Rule::PublicHttpsUrl,
        Rule::SeedNotSupported,
        Rule::PromptLint,
    ]
    .iter()
    .map(|r| r.as_str())
    .collect();
    assert_eq!(
        names,
        [
            "allowed_values",
            "length",
            "range",
            "needs_pro_tier",
            "required_by_mode",
            "not_allowed_in_mode",
            "public_https_url",
            "seed_not_supported",
            "prompt_lint"
        ]
    );
}

#[test]
fn non_public_reasons_name_the_class() {
    let cases = [
        ("http://cdn.example.com/a", "scheme must be https"),
        ("https://u:p@cdn.example.com/a", "user-info"),
        ("https://localhost/a", "localhost is not public"),
        ("https://cdn.localhost/a", "(.localhost) is not public"),
        ("https://intranet/a", "single-label host"),
        ("https://127.0.0.1/a", "loopback"),
        ("https://10.0.0.1/a", "private"),
        ("https://169.254.1.1/a", "link-local"),
        ("https://0.0.0.0/a", "unspecified"),
        ("https://100.64.0.1/a", "carrier-grade NAT"),
        ("https://[::1]/a", "loopback"),
        ("https://[::]/a", "unspecified"),
        ("https://[fe80::1]/a", "link-local"),
        ("https://[fc00::1]/a", "unique-local"),
        ("https://[::ffff:10.0.0.1]/a", "private"),
        ("https://[::10.0.0.1]/a", "IPv4-compatible"),
        ("https://[64:ff9b::a00:1]/a", "NAT64"),
        ("https://[2002:a00:1::1]/a", "6to4"),
        ("notaurl", "does not parse"),
        (" https://cdn.example.com/a", "whitespace"),
        // Forms the URL parser would rewrite: checked as sent, so refused.
        ("https:\\\\cdn.example.com\\a", "backslash"),
        ("https:///cdn.example.com/a", "followed by the host"),
        ("https:/cdn.example.com/a", "followed by the host"),
        ("https://cdn..example.com/a", "empty label"),
    ];
    for (url, reason) in cases {
        let why = check_public_https_url(url).unwrap_err();
        assert!(why.contains(reason), "{url}: {why:?} should say {reason:?}");
    }
    // The same URLs written canonically are fine (the refusals above are about the form).
    for ok in [
        "https://cdn.example.com/a",
        "HTTPS://CDN.EXAMPLE.COM/A",
        "https://cdn.example.com./a",
        "https://cdn.example.com:8443/a?b=c#d",
    ] {
        assert_eq!(check_public_https_url(ok), Ok(()), "{ok}");
    }
    // localhost is named as such, not merely as a single-label host.
    assert_eq!(
        check_public_https_url("https://LocalHost./a"),
        Err("localhost is not public".to_owned())
    );
}
