"""Runs the mypy-checked usage file, so that it is also correct at run time."""

from __future__ import annotations

import asyncio
from pathlib import Path

import seedance
from seedance.testing import Emulator

import typed_usage


def test_typed_usage_runs(emu: Emulator, client: seedance.Client, tmp_path: Path) -> None:
    assert typed_usage.sync_usage(emu, tmp_path).is_completed
    assert len(asyncio.run(typed_usage.async_usage(emu))) == 3
    assert "resolution:needs_pro_tier" in typed_usage.errors_usage(client)
    assert typed_usage.prompt_usage()["duration"] == 6
    assert typed_usage.emulator_usage() == 1
