//! The prompt linter: each finding kind, spans, and no false positives on ordinary
//! cinematic prompts (the spec's examples and prompts rendered by `DirectorPrompt`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic

use seedance_core::{
    lint_prompt, validate, AssetRole, DirectorPrompt, Intent, LintKind, Shot, VideoRequest,
};

fn kinds_and_texts(prompt: &str) -> Vec<(LintKind, String)> {
    let findings = lint_prompt(prompt);
    for f in &findings {
        // The span points at the offending text.
        assert_eq!(prompt[f.span.clone()].trim(), f.text, "span of {f:?}");
    }
    findings.into_iter().map(|f| (f.kind, f.text)).collect()
}

fn one(prompt: &str, kind: LintKind, text: &str) {
    assert_eq!(
        kinds_and_texts(prompt),
        vec![(kind, text.to_owned())],
        "prompt: {prompt:?}"
    );
}

#[test]
fn asset_urls() {
    one(
        "Use asset://abc/def.png as the hero",
        LintKind::AssetUrl,
        "asset://abc/def.png",
    );
    one(
        "Use ASSET://XYZ, then walk",
        LintKind::AssetUrl,
        "ASSET://XYZ",
    );
    one("(asset://a1)", LintKind::AssetUrl, "asset://a1");
    // An id inside an asset URL is reported once, as the URL.
    one(
        "the face from asset://asset_9f8e7d6c here",
        LintKind::AssetUrl,
        "asset://asset_9f8e7d6c",
    );
}

#[test]
fn raw_asset_ids() {
    one(
        "Keep asset_9f8e7d6c as the face",
        LintKind::RawAssetId,
        "asset_9f8e7d6c",
    );
    one(
        "Keep asset-id-1a2b3c4d as the face",
        LintKind::RawAssetId,
        "asset-id-1a2b3c4d",
    );
    one(
        "Keep assetid:12345 as the face",
        LintKind::RawAssetId,
        "assetid:12345",
    );
    one(
        "Keep 123E4567-E89B-12D3-A456-426614174000 as the face",
        LintKind::RawAssetId,
        "123E4567-E89B-12D3-A456-426614174000",
    );
}

#[test]
fn in_app_labels() {
    for label in [
        "@图片1",
        "@图片 12",
        "@图像2",
        "@视频3",
        "@音频1",
        "@素材5",
        "@image1",
        "@Image 2",
        "@IMG12",
        "@ video 4",
        "@picture3",
        "@pic9",
        "@audio1",
        "@asset7",
    ] {
        one(
            &format!("The hero from {label} walks into the rain"),
            LintKind::InAppLabel,
            label,
        );
    }
    // Directly after CJK text, as the provider's app writes it.
    one("参考@图片1的人物", LintKind::InAppLabel, "@图片1");
    // At the end of a sentence, it is still a label.
    one("Use the face of @image1.", LintKind::InAppLabel, "@image1");
}

#[test]
fn empty_shots() {
    one(
        "Shot 1: the train leaves. Shot 2:",
        LintKind::EmptyShot,
        "Shot 2:",
    );
    one(
        "Shot 1: Shot 2: the train leaves.",
        LintKind::EmptyShot,
        "Shot 1:",
    );
    one("Shot 1: a.\nSHOT 2:   \n", LintKind::EmptyShot, "SHOT 2:");
    one(
        "Shot 1 (0–3 s): a. Shot 2 (3–5 s):",
        LintKind::EmptyShot,
        "Shot 2 (3–5 s):",
    );
    one("镜头1：列车驶过。镜头2：", LintKind::EmptyShot, "镜头2：");
    one("分镜 3:", LintKind::EmptyShot, "分镜 3:");
    // Punctuation alone is no description.
    one(
        "Shot 1: a. Shot 2: . Shot 3: b.",
        LintKind::EmptyShot,
        "Shot 2:",
    );
    one("镜头1：。", LintKind::EmptyShot, "镜头1：");
    // One character of text is.
    assert!(lint_prompt("Shot 1: a").is_empty());
}

#[test]
fn several_findings_in_order() {
    let got =
        kinds_and_texts("Shot 1: @图片1 walks past asset_77aa12bc. Shot 2: asset://x Shot 3:");
    assert_eq!(
        got,
        vec![
            (LintKind::InAppLabel, "@图片1".to_owned()),
            (LintKind::RawAssetId, "asset_77aa12bc".to_owned()),
            (LintKind::AssetUrl, "asset://x".to_owned()),
            (LintKind::EmptyShot, "Shot 3:".to_owned()),
        ]
    );
}

#[test]
fn finding_messages_and_names() {
    let f = lint_prompt("the hero @图片1");
    assert_eq!(
        f[0].to_string(),
        "contains the in-app label \"@图片1\", which only the provider's web app understands; describe the reference in words (\"the supplied character reference\")"
    );
    let f = lint_prompt("Shot 2:");
    assert_eq!(f[0].to_string(), "the shot \"Shot 2:\" has no description");
    assert!(lint_prompt("see asset://a")[0]
        .to_string()
        .contains("image_url"));
    assert!(lint_prompt("see asset_1234abcd")[0]
        .to_string()
        .contains("raw asset id"));
    let names: Vec<_> = [
        LintKind::AssetUrl,
        LintKind::RawAssetId,
        LintKind::InAppLabel,
        LintKind::EmptyShot,
    ]
    .iter()
    .map(|k| k.as_str())
    .collect();
    assert_eq!(
        names,
        ["asset_url", "raw_asset_id", "in_app_label", "empty_shot"]
    );
}

const ORDINARY: &[&str] = &[
    // The spec's example.
    "A cinematic shot of a glass train crossing a snowy mountain bridge",
    // Camera vocabulary, numbers, units, times.
    "Close-up shot, 35mm lens, f/1.8, shallow depth of field; the camera dollies in at 24fps.",
    "Shot on ARRI Alexa, 4K, HDR, anamorphic flares; the clock shows 10:30 and 23:59:59.",
    "Shot 1 (0-3 s): a drone shot over the fjord. Shot 2 (3-5 s): the camera tilts down to the ferry.",
    "Shot 1: wide establishing shot of the city.\nShot 2: medium shot, she turns.\nShot 3: close-up on her eyes.",
    "镜头1：雪山上的玻璃列车缓缓驶过。镜头2：镜头拉远，展现整个山谷。",
    "A neon sign reads 'OPEN 24/7'; a cat sits at table 12 near gate B52.",
    "Her greatest asset is speed; the asset manager checks his tablet. Assets 2024 report on screen.",
    "A billboard shows the address hello@video1.studio in bold letters.",
    "She shoots 3 arrows: the last one splits the apple. A mugshot 2: no.",
    "The @ symbol glows on the wall; fans tag @director and @image_team online.",
    "Screenshot of image 1 of 3, video 2 of 5, frame 240 of 360, 1080p at 60 fps.",
    "A timestamp 2024-05-01T10:00:00Z flickers; serial number A1B2-C3D4 on the crate.",
    "Slow dolly in, rack focus from the raindrops to her face, teal-and-orange grade, stable faces, no watermark.",
    "",
    "   ",
];

#[test]
fn no_false_positives_on_ordinary_prompts() {
    for p in ORDINARY {
        assert_eq!(lint_prompt(p), vec![], "prompt: {p:?}");
    }
}

#[test]
fn no_false_positives_on_director_prompts() {
    let rendered = [
        DirectorPrompt::new()
            .subject("a silver-haired detective in a long grey coat")
            .scene("a narrow Tokyo alley at night, wet asphalt reflecting neon")
            .camera("handheld, eye level")
            .style("film noir, 35 mm grain, high contrast")
            .shot(
                Shot::new("she walks toward the camera")
                    .camera("slow dolly in")
                    .timing(0.0, 3.0),
            )
            .shot(Shot::new("she stops under a sign").timing(3.0, 5.0))
            .shot(Shot::new("").camera("crane up to the rooftops"))
            .reference(
                AssetRole::Character,
                "https://cdn.example.com/d.png",
                "keep her face and coat",
            )
            .reference(
                AssetRole::Style,
                "https://cdn.example.com/s.png",
                "match its palette",
            )
            .render()
            .unwrap(),
        DirectorPrompt::new()
            .action("the ferry docks")
            .opening_frame("https://cdn.example.com/a.png")
            .closing_frame("https://cdn.example.com/b.png")
            .render()
            .unwrap(),
        DirectorPrompt::new()
            .action("replace the sky with a stormy sunset")
            .edit("https://cdn.example.com/src.mp4")
            .render()
            .unwrap(),
        DirectorPrompt::new()
            .action("the train enters the tunnel")
            .extend("https://cdn.example.com/prev.mp4")
            .intent(Intent::Extend)
            .render()
            .unwrap(),
    ];
    for text in &rendered {
        assert_eq!(lint_prompt(text), vec![], "rendered: {text}");
        let req = VideoRequest::builder(text.clone()).build_unchecked();
        assert!(validate(&req).is_ok(), "rendered prompt validates: {text}");
    }
}

#[test]
fn labels_ids_and_handles_at_their_edges() {
    // `@图1` is a label too; a label followed by Chinese text still is one.
    one("参考@图1的女孩跳舞", LintKind::InAppLabel, "@图1");
    one(
        "参考@图片1中的人物，让她在海边奔跑",
        LintKind::InAppLabel,
        "@图片1",
    );
    // A social handle that merely starts like a label is not one.
    assert_eq!(
        kinds_and_texts("Follow @pic2go and @image_team for more"),
        []
    );
    // `asset` + a word is an id only when the word has a digit and is long enough.
    for prose in [
        "asset4you brand colours",
        "an asset-heavy scene",
        "asset_manager_v2 approves it",
        "the assets3d style",
        "assetmanagement offices",
    ] {
        assert_eq!(kinds_and_texts(prose), [], "{prose}");
    }
    one(
        "Keep asset-000123 as the face",
        LintKind::RawAssetId,
        "asset-000123",
    );
}
