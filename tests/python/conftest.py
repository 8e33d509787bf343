"""Shared fixtures: a fresh emulator per test (fast renders, scaled rate windows)."""

from __future__ import annotations

from typing import Iterator

import pytest

import seedance
from seedance.testing import Emulator

PROMPT = "A cinematic shot of a glass train crossing a snowy mountain bridge"


@pytest.fixture
def emu() -> Iterator[Emulator]:
    # Renders in milliseconds; the 30-per-60 s budget scaled to 30 per 1 s.
    with Emulator(time_scale=1000.0, rate_limit=(30, 1.0), media_rate_limit=(3, 1.0)) as e:
        yield e


@pytest.fixture
def client(emu: Emulator) -> Iterator[seedance.Client]:
    with emu.client() as c:
        yield c


@pytest.fixture
def slow_emu() -> Iterator[Emulator]:
    # Realistic render times (minutes): tasks stay `processing` during a test.
    with Emulator(time_scale=1.0, rate_limit=(30, 1.0)) as e:
        yield e


def default_sigint() -> None:
    """For ``subprocess.Popen(preexec_fn=...)``: the child starts with SIGINT's default
    action, so Python installs its KeyboardInterrupt handler even when these tests run
    from a background job (a non-interactive shell starts those with SIGINT ignored, and
    Python keeps an ignored SIGINT ignored)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
