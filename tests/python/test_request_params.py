"""The request keywords are stated once (``seedance.RequestParams``): its ``Literal``
values are the core's, the clients' signatures and help come from it, and a type checker
refuses a value the API does not accept."""

from __future__ import annotations

import inspect
import pydoc
import subprocess
import sys
import textwrap
import typing
from pathlib import Path
from typing import Dict, Set, Tuple

import pytest

import seedance
from seedance import _seedance

from conftest import PROMPT


def _literal_values(hint: object) -> Tuple[object, ...]:
    """The values of a ``Literal`` (inside ``Optional``), or ``()`` for any other type."""
    if typing.get_origin(hint) is typing.Literal:
        return typing.get_args(hint)
    for arg in typing.get_args(hint):
        values = _literal_values(arg)
        if values:
            return values
    return ()


def test_request_params_are_the_api_fields() -> None:
    hints = typing.get_type_hints(seedance.RequestParams)
    assert list(hints) == ["prompt", *[f for f in _seedance.REQUEST_FIELDS if f != "prompt"]]
    assert seedance.RequestParams.__required_keys__ == frozenset({"prompt"})


def test_literal_values_are_what_the_core_accepts() -> None:
    hints = typing.get_type_hints(seedance.RequestParams)
    literals: Dict[str, Tuple[object, ...]] = {
        name: _literal_values(hint) for name, hint in hints.items() if _literal_values(hint)
    }
    core = dict(_seedance.REQUEST_VALUES)
    # Every enumerated field is a Literal, with exactly the core's values, in its order.
    assert literals == core
    assert set(core) == {"mode", "quality_tier", "channel", "aspect_ratio", "resolution"}
    aliases = {
        "mode": seedance.Mode,
        "quality_tier": seedance.QualityTier,
        "channel": seedance.Channel,
        "aspect_ratio": seedance.AspectRatio,
        "resolution": seedance.Resolution,
    }
    for field, alias in aliases.items():
        assert typing.get_args(alias) == core[field], field
        # ...and each value is one the native validation takes.
        for value in core[field]:
            params = {"prompt": PROMPT, field: value}
            if field == "resolution":
                params["quality_tier"] = "pro"
            if field == "mode" and value == "image-to-video":
                params["image_url"] = "https://cdn.example.com/a.png"
            if field == "mode" and value == "media-to-video":
                params["media_urls"] = ["https://cdn.example.com/a.png"]
            assert seedance.validate(**params)[field] == value  # type: ignore[arg-type]


def test_signatures_and_help_list_every_request_keyword() -> None:
    fields: Set[str] = set(_seedance.REQUEST_FIELDS)
    for cls in (seedance.Client, seedance.AsyncClient):
        for name in ("submit", "generate"):
            method = getattr(cls, name)
            sig = inspect.signature(method)
            assert fields <= set(sig.parameters), (cls, name)
            assert sig.parameters["prompt"].default is inspect.Parameter.empty
            assert all(sig.parameters[f].default is None for f in fields - {"prompt"})
            assert all(
                p.kind is inspect.Parameter.KEYWORD_ONLY
                for n, p in sig.parameters.items()
                if n != "self"
            )
            text = pydoc.render_doc(method, renderer=pydoc.plaintext)
            for field in fields:
                assert f"\n    {field}: " in text, (cls, name, field)
            assert "'1080p-plus'" in text  # the Literal's values are shown


def test_unknown_and_missing_keywords_are_type_errors(client: seedance.Client) -> None:
    with pytest.raises(TypeError, match="promt"):
        client.submit(promt=PROMPT)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="prompt"):
        client.generate(resolution="720p")  # type: ignore[call-arg]
    assert client.submit(prompt=PROMPT, resolution=None).status == "processing"


BAD_USAGE = """\
    from typing import Optional
    import seedance

    def use(client: seedance.Client, tier: seedance.QualityTier) -> None:
        client.submit(prompt="A cat", resolution="1080p-plus", quality_tier=tier)  # ok
        client.generate(prompt="A cat", aspect_ratio="9:16", duration=5, timeout=1.0)  # ok
        seedance.validate(prompt="A cat", mode="media-to-video")  # ok
        params: seedance.RequestParams = {"prompt": "A cat", "channel": "wild"}  # ok
        client.submit(**params)  # ok
        client.submit(prompt="A cat", resolution="480p")  # error
        client.generate(prompt="A cat", mode="video-to-video")  # error
        seedance.validate(prompt="A cat", aspect_ratio="2:1")  # error
        client.submit(prompt="A cat", colour="red")  # error
        client.submit(resolution="720p")  # error
        bad: seedance.RequestParams = {"prompt": "A cat", "quality_tier": "ultra"}  # error

    async def use_async(client: seedance.AsyncClient) -> None:
        await client.submit(prompt="A cat", channel="real")  # ok
        await client.generate(prompt="A cat", resolution="8k")  # error
"""


def test_mypy_strict_refuses_values_the_api_does_not_take(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    source = textwrap.dedent(BAD_USAGE)
    (tmp_path / "usage.py").write_text(source, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "usage.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    lines = source.splitlines()
    expected = {i + 1 for i, line in enumerate(lines) if line.endswith("# error")}
    assert len(expected) == 7
    flagged = set()
    for out in run.stdout.splitlines():
        if out.startswith("usage.py:") and ": error:" in out:
            flagged.add(int(out.split(":")[1]))
    # Exactly the bad lines: every "# ok" line type-checks, every "# error" line fails.
    assert flagged == expected, run.stdout
    assert run.returncode == 1
