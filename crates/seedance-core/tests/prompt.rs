//! `DirectorPrompt`: rendering, role → field mapping, intents, constraints, errors, serde.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic

use seedance_core::{
    lint_prompt, rules, AssetRole, Constraint, Constraints, DirectorPrompt, Intent, Mode,
    PromptError, QualityTier, ReferenceAsset, Resolution, Rule, Shot,
};

const HERO: &str = "https://cdn.example.com/hero.png";
const MOVE: &str = "https://cdn.example.com/dance.mp4";
const LOOK: &str = "https://cdn.example.com/look.jpg";
const FIRST: &str = "https://cdn.example.com/first.png";
const LAST: &str = "https://cdn.example.com/last.png";

fn detective() -> DirectorPrompt {
    DirectorPrompt::new()
        .subject("a silver-haired detective in a long grey coat")
        .scene("a narrow Tokyo alley at night, wet asphalt reflecting pink and blue neon")
        .camera("handheld, eye level")
        .style("cinematic film noir, 35 mm film grain, high contrast")
        .shot(
            Shot::new("she walks toward the camera through the rain")
                .camera("slow dolly in")
                .timing(0.0, 3.0),
        )
        .shot(Shot::new("she stops under a flickering sign and looks up!").timing(3.0, 5.5))
        .shot(
            Shot::new("")
                .camera("crane up to the rooftops")
                .timing(5.5, 8.0),
        )
        .reference(AssetRole::Character, HERO, "keep her face and coat")
        .reference(AssetRole::Motion, MOVE, "follow its walking rhythm")
        .asset(ReferenceAsset::new(AssetRole::Style, LOOK))
        .constraint("keep the horizon level.")
        .duration(8)
}

#[test]
fn renders_the_guide_structure_exactly() {
    let text = detective().render().unwrap();
    let want = "\
Use the first supplied reference (media 1) as the character reference: keep her face and coat.
Use the second supplied reference (media 2) as the motion reference: follow its walking rhythm.
Use the third supplied reference (media 3) as the style reference.
Subject: a silver-haired detective in a long grey coat.
Scene: a narrow Tokyo alley at night, wet asphalt reflecting pink and blue neon.
Camera: handheld, eye level.
Style: cinematic film noir, 35 mm film grain, high contrast.
Shot 1 (0–3 s): she walks toward the camera through the rain. Camera: slow dolly in.
Shot 2 (3–5.5 s): she stops under a flickering sign and looks up!
Shot 3 (5.5–8 s): Camera: crane up to the rooftops.
Constraints: stable faces, natural motion, no deformation, no watermark, no logo, no subtitles, keep the horizon level.";
    assert_eq!(text, want);
    assert!(lint_prompt(&text).is_empty());
}

#[test]
fn rendering_is_deterministic() {
    let p = detective();
    let a = p.render().unwrap();
    for _ in 0..5 {
        assert_eq!(p.clone().render().unwrap(), a);
    }
    // Through JSON and back: the same text.
    let json = serde_json::to_string(&p).unwrap();
    assert_eq!(
        DirectorPrompt::from_json(&json).unwrap().render().unwrap(),
        a
    );
}

#[test]
fn whitespace_is_collapsed_and_sentences_closed() {
    let text = DirectorPrompt::new()
        .subject("  a red\n kite\t ")
        .action("it climbs.")
        .scene("dunes at dawn。")
        .constraints(Constraints::none())
        .render()
        .unwrap();
    assert_eq!(
        text,
        "Subject: a red kite.\nAction: it climbs.\nScene: dunes at dawn。"
    );
    // Blank optional fields are left out.
    let text = DirectorPrompt::new()
        .subject("a kite")
        .style("   ")
        .constraints(Constraints::none())
        .render()
        .unwrap();
    assert_eq!(text, "Subject: a kite.");
    // Chinese text is closed with a full-width full stop, not an ASCII one.
    let text = DirectorPrompt::new()
        .subject("一位穿红色外套的女人")
        .shot(Shot::new("她朝镜头走来").camera("slow dolly in"))
        .reference(
            AssetRole::Character,
            "https://cdn.example.com/a.png",
            "保持她的脸",
        )
        .constraints(Constraints::none())
        .render()
        .unwrap();
    assert_eq!(
        text,
        "Use the first supplied reference (media 1) as the character reference: 保持她的脸。\n\
         Subject: 一位穿红色外套的女人。\n\
         Shot 1: 她朝镜头走来。 Camera: slow dolly in."
    );
}

#[test]
fn media_roles_fill_media_urls_in_order_and_pick_media_to_video() {
    let req = detective()
        .request()
        .unwrap()
        .quality_tier(QualityTier::Pro)
        .resolution(Resolution::P1080Plus)
        .seed(42)
        .build()
        .unwrap();
    assert_eq!(req.mode, Some(Mode::MediaToVideo));
    assert_eq!(
        req.media_urls,
        Some(vec![HERO.to_owned(), MOVE.to_owned(), LOOK.to_owned()])
    );
    assert_eq!(req.image_url, None);
    assert_eq!(req.end_image_url, None);
    assert_eq!(req.duration.map(|d| d.secs()), Some(8));
    assert_eq!(req.prompt, detective().render().unwrap());
    assert_eq!(req.seed, Some(42));
}

#[test]
fn each_role_maps_to_its_field_and_mode() {
    for role in AssetRole::ALL {
        let mut p = DirectorPrompt::new().action("the kite climbs");
        if *role == AssetRole::ClosingFrame {
            p = p.opening_frame(FIRST);
        }
        if *role == AssetRole::SourceVideo {
            p = p.intent(Intent::Edit);
        }
        let p = p.asset(ReferenceAsset::new(*role, HERO));
        let req = p.build().unwrap_or_else(|e| panic!("{role}: {e}"));
        let text = p.render().unwrap();
        match role.field() {
            "image_url" => {
                assert_eq!(req.mode, Some(Mode::ImageToVideo));
                assert_eq!(req.image_url.as_deref(), Some(HERO));
                assert!(
                    text.contains("Start from the supplied opening frame."),
                    "{text}"
                );
            }
            "end_image_url" => {
                assert_eq!(req.mode, Some(Mode::ImageToVideo));
                assert_eq!(req.image_url.as_deref(), Some(FIRST));
                assert_eq!(req.end_image_url.as_deref(), Some(HERO));
                assert!(
                    text.contains("End on the supplied closing frame."),
                    "{text}"
                );
            }
            "media_urls" => {
                assert_eq!(req.mode, Some(Mode::MediaToVideo));
                assert_eq!(req.media_urls, Some(vec![HERO.to_owned()]));
                assert!(
                    text.contains("Use the first supplied reference (media 1) as the "),
                    "{text}"
                );
            }
            other => panic!("unexpected field {other}"),
        }
        assert_eq!(p.mode().unwrap(), role.mode());
    }
}

#[test]
fn role_descriptions_in_words() {
    let cases = [
        (AssetRole::Character, "as the character reference"),
        (AssetRole::Motion, "as the motion reference"),
        (AssetRole::Style, "as the style reference"),
        (AssetRole::SourceVideo, "as the source video"),
        (AssetRole::Extension, "as the previous clip"),
    ];
    for (role, words) in cases {
        let text = DirectorPrompt::new()
            .action("go")
            .asset(ReferenceAsset::new(role, HERO).note("keep his face and outfit"))
            .render()
            .unwrap();
        let want = format!(
            "Use the first supplied reference (media 1) {words}: keep his face and outfit."
        );
        assert!(text.starts_with(&want), "{text}");
        // No URL, asset id or in-app label leaks into the text.
        assert!(!text.contains("https://"), "{text}");
    }
}

#[test]
fn text_only_prompt_is_text_to_video() {
    let req = DirectorPrompt::new()
        .subject("a glass train")
        .build()
        .unwrap();
    assert_eq!(req.mode, Some(Mode::TextToVideo));
    assert!(req.image_url.is_none() && req.end_image_url.is_none() && req.media_urls.is_none());
    assert!(req.duration.is_none());
}

#[test]
fn frames_pick_image_to_video() {
    let p = DirectorPrompt::new()
        .action("the ferry docks")
        .opening_frame(FIRST)
        .closing_frame(LAST);
    let req = p.build().unwrap();
    assert_eq!(req.mode, Some(Mode::ImageToVideo));
    assert_eq!(req.image_url.as_deref(), Some(FIRST));
    assert_eq!(req.end_image_url.as_deref(), Some(LAST));
    assert_eq!(req.media_urls, None);
    let text = p.render().unwrap();
    assert!(text.starts_with(
        "Start from the supplied opening frame.\nEnd on the supplied closing frame.\nAction: the ferry docks."
    ));
}

#[test]
fn mixing_frames_and_media_is_an_error() {
    let err = DirectorPrompt::new()
        .action("go")
        .opening_frame(FIRST)
        .reference(AssetRole::Character, HERO, "keep his face")
        .reference(AssetRole::Style, LOOK, "its palette")
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        PromptError::MixedAssetRoles {
            frames: "opening_frame".to_owned(),
            media: "character, style".to_owned()
        }
    );
    let msg = err.to_string();
    assert!(
        msg.contains("cannot mix frame references (opening_frame"),
        "{msg}"
    );
    assert!(
        msg.contains("media references (character, style: media_urls"),
        "{msg}"
    );
    // render() refuses it too: the text would describe a request that cannot be sent.
    assert!(matches!(
        DirectorPrompt::new()
            .action("go")
            .closing_frame(LAST)
            .extend(MOVE)
            .render(),
        Err(PromptError::MixedAssetRoles { .. })
    ));
}

#[test]
fn frame_errors() {
    assert_eq!(
        DirectorPrompt::new()
            .action("go")
            .opening_frame(FIRST)
            .opening_frame(LAST)
            .render()
            .unwrap_err(),
        PromptError::DuplicateFrame {
            role: AssetRole::OpeningFrame,
            field: "image_url",
            count: 2
        }
    );
    assert!(matches!(
        DirectorPrompt::new()
            .action("go")
            .opening_frame(FIRST)
            .closing_frame(LAST)
            .closing_frame(LAST)
            .render(),
        Err(PromptError::DuplicateFrame {
            role: AssetRole::ClosingFrame,
            count: 2,
            ..
        })
    ));
    assert_eq!(
        DirectorPrompt::new()
            .action("go")
            .closing_frame(LAST)
            .render()
            .unwrap_err(),
        PromptError::ClosingFrameWithoutOpening
    );
}

#[test]
fn edit_and_extension_intents() {
    let p = DirectorPrompt::new()
        .action("replace the sky with a stormy sunset")
        .edit("https://cdn.example.com/src.mp4");
    let text = p.render().unwrap();
    assert!(
        text.starts_with("Strictly edit the supplied source video"),
        "{text}"
    );
    assert!(text.contains("(media 1) as the source video."), "{text}");
    let req = p.build().unwrap();
    assert_eq!(req.mode, Some(Mode::MediaToVideo));
    assert_eq!(
        req.media_urls,
        Some(vec!["https://cdn.example.com/src.mp4".to_owned()])
    );

    let p = DirectorPrompt::new()
        .action("the train enters the tunnel")
        .extend("https://cdn.example.com/prev.mp4");
    let text = p.render().unwrap();
    assert!(
        text.starts_with("Continue from the supplied previous clip"),
        "{text}"
    );
    assert!(text.contains("(media 1) as the previous clip."), "{text}");
    assert_eq!(p.build().unwrap().mode, Some(Mode::MediaToVideo));

    // An intent without its asset is refused.
    for (intent, role) in [
        (Intent::Edit, AssetRole::SourceVideo),
        (Intent::Extend, AssetRole::Extension),
    ] {
        let err = DirectorPrompt::new()
            .action("go")
            .intent(intent)
            .render()
            .unwrap_err();
        assert_eq!(err, PromptError::MissingIntentAsset { intent, role });
        assert!(err.to_string().contains(role.as_str()), "{err}");
    }
    // An edit with a character reference too: both in media_urls, in order.
    let req = DirectorPrompt::new()
        .action("put the hero in the scene")
        .edit(MOVE)
        .reference(AssetRole::Character, HERO, "keep his face")
        .build()
        .unwrap();
    assert_eq!(req.media_urls, Some(vec![MOVE.to_owned(), HERO.to_owned()]));
}

#[test]
fn constraint_package_defaults_and_switches() {
    let base = DirectorPrompt::new().subject("a kite");
    let text = base.render().unwrap();
    assert!(text.ends_with(
        "\nConstraints: stable faces, natural motion, no deformation, no watermark, no logo, no subtitles."
    ));
    for c in Constraint::ALL {
        let text = base.clone().without(*c).render().unwrap();
        let line = text.lines().last().unwrap();
        assert!(!line.contains(c.phrase()), "{c:?} off: {line}");
        for other in Constraint::ALL.iter().filter(|o| *o != c) {
            assert!(line.contains(other.phrase()), "{other:?} stays on: {line}");
        }
        // And back on.
        let again = base.clone().without(*c).with(*c).render().unwrap();
        assert_eq!(again, base.render().unwrap());
    }
    // All off: no constraint line at all; custom ones alone.
    let text = base
        .clone()
        .constraints(Constraints::none())
        .render()
        .unwrap();
    assert_eq!(text, "Subject: a kite.");
    let text = base
        .clone()
        .constraints(Constraints::none())
        .constraint("keep the horizon level")
        .constraint("  ")
        .constraint("no lens flare;")
        .render()
        .unwrap();
    assert_eq!(
        text,
        "Subject: a kite.\nConstraints: keep the horizon level, no lens flare."
    );
}

#[test]
fn empty_prompts_and_shots_are_refused() {
    assert_eq!(
        DirectorPrompt::new().render().unwrap_err(),
        PromptError::Empty
    );
    // References and constraints alone are not a prompt.
    assert_eq!(
        DirectorPrompt::new()
            .opening_frame(FIRST)
            .render()
            .unwrap_err(),
        PromptError::Empty
    );
    assert_eq!(
        DirectorPrompt::new().subject("  \n ").render().unwrap_err(),
        PromptError::Empty
    );
    for shot in [
        Shot::new(""),
        Shot::new("   \n"),
        Shot::new("").camera("  "),
    ] {
        let err = DirectorPrompt::new()
            .subject("a kite")
            .shot(Shot::new("it climbs"))
            .shot(shot)
            .render()
            .unwrap_err();
        assert_eq!(err, PromptError::EmptyShot { shot: 2 });
        assert_eq!(
            err.to_string(),
            "shot 2 is empty: give it an action or a camera motion"
        );
    }
    // A camera-only shot is a shot.
    assert!(DirectorPrompt::new()
        .shot(Shot::new("").camera("whip pan"))
        .render()
        .is_ok());
    // Shots alone make a prompt.
    assert_eq!(
        DirectorPrompt::new()
            .shot(Shot::new("it climbs"))
            .constraints(Constraints::none())
            .render()
            .unwrap(),
        "Shot 1: it climbs."
    );
}

#[test]
fn shot_timings() {
    let with = |shots: Vec<Shot>, duration: Option<u32>| {
        let mut p = DirectorPrompt::new().subject("a kite");
        for s in shots {
            p = p.shot(s);
        }
        if let Some(d) = duration {
            p = p.duration(d);
        }
        p.render()
    };
    let ok = |a: f64, b: f64| Shot::new("x").timing(a, b);
    assert!(with(vec![ok(0.0, 3.0), ok(3.0, 5.0)], None).is_ok());
    assert!(with(
        vec![ok(0.0, 2.0), Shot::new("untimed"), ok(2.0, 15.0)],
        Some(15)
    )
    .is_ok());
    // Without a duration the clip is the server's default 5 s (Reading R29).
    assert!(with(vec![ok(0.0, 2.0), ok(2.0, 5.0)], None).is_ok());
    assert!(with(vec![ok(1.5, 2.25)], Some(4)).is_ok());
    assert!(with(vec![ok(0.0, 8.0)], Some(8)).is_ok());

    let bad = |shots: Vec<Shot>, duration: Option<u32>, shot: usize, reason: &str| match with(
        shots, duration,
    ) {
        Err(PromptError::ShotTiming {
            shot: n, reason: r, ..
        }) => {
            assert_eq!(n, shot);
            assert!(r.contains(reason), "{r}");
        }
        other => panic!("expected a timing error, got {other:?}"),
    };
    bad(vec![ok(-1.0, 2.0)], None, 1, "before the clip");
    bad(vec![ok(3.0, 3.0)], None, 1, "end after it starts");
    bad(vec![ok(3.0, 2.0)], None, 1, "end after it starts");
    bad(vec![ok(0.0, 3.0), ok(2.0, 4.0)], None, 2, "previous shot");
    bad(vec![ok(0.0, 9.0)], Some(8), 1, "8 s");
    bad(vec![ok(0.0, 16.0)], Some(15), 1, "15 s");
    bad(
        vec![ok(0.0, 3.0), ok(3.0, 8.0)],
        None,
        2,
        "clip's 5 s (the default duration",
    );
    bad(vec![ok(0.0, 5.5)], None, 1, "5 s");
    assert!(with(vec![ok(0.0, 8.0)], Some(8)).is_ok());
    // What a request built from it sends agrees: no duration, the default length.
    let untimed = DirectorPrompt::new().subject("a kite").shot(ok(0.0, 8.0));
    assert!(matches!(
        untimed.build(),
        Err(PromptError::ShotTiming { shot: 1, .. })
    ));
    assert!(untimed.clone().duration(8).build().is_ok());
    bad(vec![ok(f64::NAN, 2.0)], None, 1, "finite");
    bad(vec![ok(0.0, f64::INFINITY)], None, 1, "finite");
    let err = with(vec![ok(3.0, 2.0)], None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "shot 1 timing 3–2 s: must end after it starts"
    );
}

#[test]
fn length_limit_counts_code_points() {
    // "Subject: " + x + "." is 10 code points more than x.
    for ch in ['a', '图', '🎬'] {
        let fits = DirectorPrompt::new()
            .subject(ch.to_string().repeat(rules::PROMPT_MAX_CHARS - 10))
            .constraints(Constraints::none());
        let text = fits.render().unwrap();
        assert_eq!(text.chars().count(), rules::PROMPT_MAX_CHARS);
        assert!(fits.build().is_ok());
        let over = DirectorPrompt::new()
            .subject(ch.to_string().repeat(rules::PROMPT_MAX_CHARS - 9))
            .constraints(Constraints::none());
        assert_eq!(
            over.render().unwrap_err(),
            PromptError::TooLong {
                chars: 10_001,
                max: 10_000
            }
        );
    }
}

#[test]
fn caller_text_that_breaks_the_guide_is_refused() {
    for (text, kind) in [
        ("the hero from @图片1", "in-app label"),
        ("the hero from asset://abc", "asset URL"),
        ("the hero asset_9f8e7d6c", "raw asset id"),
        ("the hero. Shot 9:", "has no description"),
    ] {
        let err = DirectorPrompt::new().subject(text).render().unwrap_err();
        assert!(
            matches!(err, PromptError::Lint(ref f) if f.len() == 1),
            "{err:?}"
        );
        assert!(err.to_string().contains(kind), "{err}");
    }
    // In a reference note too.
    let err = DirectorPrompt::new()
        .action("go")
        .reference(AssetRole::Character, HERO, "the face of @image2")
        .render()
        .unwrap_err();
    assert!(matches!(err, PromptError::Lint(_)));
}

#[test]
fn build_runs_validation() {
    let err = DirectorPrompt::new()
        .action("go")
        .opening_frame("http://10.0.0.1/a.png")
        .build()
        .unwrap_err();
    let PromptError::Invalid(v) = &err else {
        panic!("expected Invalid, got {err:?}")
    };
    assert_eq!(v.violations().len(), 1);
    assert_eq!(v.violations()[0].field, "image_url");
    assert_eq!(v.violations()[0].rule, Rule::PublicHttpsUrl);

    // 13 media references: validation's media_urls limit.
    let mut p = DirectorPrompt::new().action("a crowd dances");
    for i in 0..13 {
        p = p.reference(
            AssetRole::Character,
            format!("https://cdn.example.com/{i}.png"),
            "one dancer",
        );
    }
    let text = p.render().unwrap();
    assert!(
        text.contains("twelfth supplied reference (media 12)"),
        "{text}"
    );
    assert!(
        text.contains("supplied reference number 13 (media 13)"),
        "{text}"
    );
    let PromptError::Invalid(v) = p.build().unwrap_err() else {
        panic!("expected Invalid")
    };
    assert_eq!(v.violations()[0].field, "media_urls");
    assert_eq!(v.violations()[0].rule, Rule::Length);

    // Duration outside 4–15 is validation's too.
    let PromptError::Invalid(v) = DirectorPrompt::new()
        .action("go")
        .duration(3)
        .build()
        .unwrap_err()
    else {
        panic!("expected Invalid")
    };
    assert_eq!(v.violations()[0].field, "duration");
}

#[test]
fn asset_roles_parse_from_names_and_aliases() {
    for role in AssetRole::ALL {
        assert_eq!(role.as_str().parse::<AssetRole>().unwrap(), *role);
        assert_eq!(role.to_string(), role.as_str());
        let json = serde_json::to_string(role).unwrap();
        assert_eq!(json, format!("\"{}\"", role.as_str()));
        assert_eq!(serde_json::from_str::<AssetRole>(&json).unwrap(), *role);
    }
    for (alias, role) in [
        ("first_frame", AssetRole::OpeningFrame),
        ("start-frame", AssetRole::OpeningFrame),
        ("Opening Frame", AssetRole::OpeningFrame),
        ("last_frame", AssetRole::ClosingFrame),
        ("end-frame", AssetRole::ClosingFrame),
        ("source", AssetRole::SourceVideo),
        ("source-video", AssetRole::SourceVideo),
        ("previous_clip", AssetRole::Extension),
        ("CHARACTER", AssetRole::Character),
    ] {
        assert_eq!(alias.parse::<AssetRole>().unwrap(), role, "{alias}");
    }
    let err = "sidekick".parse::<AssetRole>().unwrap_err();
    assert!(err.to_string().contains("\"sidekick\""), "{err}");
    assert!(serde_json::from_str::<AssetRole>("\"sidekick\"").is_err());
}

#[test]
fn loads_from_json_and_toml() {
    let json = r#"{
        "subject": "a silver-haired detective in a long grey coat",
        "scene": "a narrow Tokyo alley at night, wet asphalt reflecting pink and blue neon",
        "camera": "handheld, eye level",
        "style": "cinematic film noir, 35 mm film grain, high contrast",
        "duration": 8,
        "shots": [
            {"action": "she walks toward the camera through the rain", "camera": "slow dolly in", "timing": {"start": 0, "end": 3}},
            {"action": "she stops under a flickering sign and looks up!", "timing": {"start": 3, "end": 5.5}},
            {"camera": "crane up to the rooftops", "timing": {"start": 5.5, "end": 8}}
        ],
        "references": [
            {"role": "character", "url": "https://cdn.example.com/hero.png", "note": "keep her face and coat"},
            {"role": "motion", "url": "https://cdn.example.com/dance.mp4", "note": "follow its walking rhythm"},
            {"role": "style", "url": "https://cdn.example.com/look.jpg"}
        ],
        "constraints": {"custom": ["keep the horizon level."]}
    }"#;
    let from_json = DirectorPrompt::from_json(json).unwrap();
    assert_eq!(from_json, detective());

    let toml_text = r#"
subject = "a silver-haired detective in a long grey coat"
scene = "a narrow Tokyo alley at night, wet asphalt reflecting pink and blue neon"
camera = "handheld, eye level"
style = "cinematic film noir, 35 mm film grain, high contrast"
duration = 8

[[shots]]
action = "she walks toward the camera through the rain"
camera = "slow dolly in"
timing = { start = 0, end = 3 }

[[shots]]
action = "she stops under a flickering sign and looks up!"
timing = { start = 3, end = 5.5 }

[[shots]]
camera = "crane up to the rooftops"
timing = { start = 5.5, end = 8 }

[[references]]
role = "character"
url = "https://cdn.example.com/hero.png"
note = "keep her face and coat"

[[references]]
role = "motion"
url = "https://cdn.example.com/dance.mp4"
note = "follow its walking rhythm"

[[references]]
role = "style"
url = "https://cdn.example.com/look.jpg"

[constraints]
custom = ["keep the horizon level."]
"#;
    let from_toml: DirectorPrompt = toml::from_str(toml_text).unwrap();
    assert_eq!(from_toml, detective());
    assert_eq!(from_toml.render().unwrap(), detective().render().unwrap());

    // Switches default to on; an explicit false turns one off; intents by name.
    let p = DirectorPrompt::from_json(
        r#"{"action":"go","intent":"edit","references":[{"role":"source_video","url":"https://cdn.example.com/s.mp4"}],"constraints":{"no_subtitles":false}}"#,
    )
    .unwrap();
    assert_eq!(p.intent, Some(Intent::Edit));
    assert!(!p.constraints.no_subtitles && p.constraints.no_logo);
    assert!(!p.render().unwrap().contains("no subtitles"));

    // Typos are refused, at every level.
    for bad in [
        r#"{"subjct":"x"}"#,
        r#"{"shots":[{"acton":"x"}]}"#,
        r#"{"references":[{"role":"character","uri":"https://x.example/a"}]}"#,
        r#"{"constraints":{"no_logos":false}}"#,
        r#"{"intent":"remix"}"#,
        r#"{"shots":[{"action":"x","timing":{"start":0,"stop":3}}]}"#,
    ] {
        assert!(DirectorPrompt::from_json(bad).is_err(), "{bad}");
    }
}

#[test]
fn serde_round_trip() {
    let p = detective().without(Constraint::NoLogo).edit(MOVE);
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["constraints"]["no_logo"], false);
    assert_eq!(json["intent"], "edit");
    assert_eq!(json["shots"][0]["timing"]["end"], 3.0);
    let back: DirectorPrompt = serde_json::from_value(json).unwrap();
    assert_eq!(back, p);
    let toml_text = toml::to_string(&p).unwrap();
    let back: DirectorPrompt = toml::from_str(&toml_text).unwrap();
    assert_eq!(back, p);
}
