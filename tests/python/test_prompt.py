"""DirectorPrompt and lint_prompt, from the core's prompt builder and linter."""

from __future__ import annotations

import pytest

import seedance
from seedance.testing import Emulator


def test_lint_prompt_finds_what_the_guide_forbids() -> None:
    prompt = "Shot 1: the hero from @图片1 waves, see asset://abc123. Shot 2:"
    findings = seedance.lint_prompt(prompt)
    kinds = [f.kind for f in findings]
    assert kinds == ["in_app_label", "asset_url", "empty_shot"]
    for f in findings:
        # indexes are str (code point) indexes
        assert prompt[f.start : f.end] == f.text
        assert f.message and str(f) == f.message
    assert seedance.lint_prompt("A glass train crosses a snowy bridge") == []
    assert "LintFinding(kind='in_app_label'" in repr(findings[0])


def test_director_prompt_renders_the_guide() -> None:
    p = (
        seedance.DirectorPrompt(
            subject="a glass train",
            action="crosses a snowy mountain bridge",
            camera="slow aerial tracking shot",
            style="cinematic, golden hour",
            duration=8,
        )
        .shot("wide establishing shot of the bridge", start=0, end=3)
        .shot("close-up of the passengers", camera="dolly in", start=3, end=8)
        .without("no_subtitles")
        .constraint("keep the red scarf visible")
    )
    text = p.render()
    assert "Subject: a glass train." in text
    assert "Shot 1 (0–3 s):" in text and "Shot 2 (3–8 s):" in text
    assert "stable faces" in text and "no subtitles" not in text
    assert "keep the red scarf visible" in text
    assert str(p) == text
    assert p.mode == "text-to-video"
    params = p.params()
    assert params["prompt"] == text and params["duration"] == 8
    assert params["mode"] == "text-to-video"
    assert "no_subtitles" not in p.constraints and "no subtitles" not in p.constraints
    assert seedance.DirectorPrompt.from_json(p.to_json()) == p
    assert "DirectorPrompt(subject='a glass train'" in repr(p)


def test_references_map_to_fields_and_mode() -> None:
    p = seedance.DirectorPrompt(subject="the hero", action="walks").reference(
        "character", "https://cdn.example.com/hero.png", "keep his face"
    )
    params = p.params()
    assert params["mode"] == "media-to-video"
    assert params["media_urls"] == ["https://cdn.example.com/hero.png"]
    assert "character reference" in params["prompt"]
    frames = seedance.DirectorPrompt(action="the door opens").opening_frame(
        "https://cdn.example.com/a.png"
    ).closing_frame("https://cdn.example.com/b.png")
    fp = frames.params()
    assert fp["mode"] == "image-to-video"
    assert fp["image_url"].endswith("a.png") and fp["end_image_url"].endswith("b.png")
    edit = seedance.DirectorPrompt(action="make it snow").edit("https://cdn.example.com/src.mp4")
    assert "Strictly edit the supplied source video" in edit.render()


def test_broken_prompts_are_validation_errors() -> None:
    with pytest.raises(seedance.ValidationError):
        seedance.DirectorPrompt().render()  # empty
    mixed = (
        seedance.DirectorPrompt(action="x y z")
        .opening_frame("https://cdn.example.com/a.png")
        .reference("style", "https://cdn.example.com/s.png")
    )
    with pytest.raises(seedance.ValidationError) as info:
        mixed.params()
    assert "frame" in str(info.value)
    with pytest.raises(seedance.ValidationError):
        seedance.DirectorPrompt(action="hero from @图片1 waves").render()
    with pytest.raises(seedance.ValidationError):
        seedance.DirectorPrompt(action="x").reference("sidekick", "https://cdn.example.com/a.png")
    with pytest.raises(seedance.ValidationError):
        seedance.DirectorPrompt(action="x").without("no_sparkles")
    with pytest.raises(seedance.ValidationError):
        seedance.DirectorPrompt(action="x").shot("y", start=1)


def test_a_director_prompt_goes_straight_to_generate(emu: Emulator) -> None:
    p = seedance.DirectorPrompt(subject="a lighthouse", action="waves crash against it", duration=5)
    with emu.client() as client:
        task = client.generate(**p.params(), quality_tier="mini")
    assert task.is_completed and task.quality_tier == "mini"
