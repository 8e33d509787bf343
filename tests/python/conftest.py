"""Shared fixtures: a fresh emulator per test (fast renders, scaled rate windows)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence, Tuple

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


def interrupt_child(
    script: str,
    args: Sequence[str] = (),
    ready: Callable[[], bool] = lambda: True,
    settle: float = 0.2,
) -> Tuple[int, str, str, float]:
    """Runs ``python -c script *args`` in a child (SIGINT at its default action), waits
    for it to print ``READY`` and for ``ready()`` to hold, then ``settle`` seconds more,
    sends SIGINT and waits (10 s at most). Returns (exit code, stdout after READY,
    stderr, seconds it took to stop)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "READY", (line, proc.stderr.read() if proc.stderr else "")
        deadline = time.monotonic() + 10
        while not ready():
            assert time.monotonic() < deadline, "the child never got ready"
            time.sleep(0.01)
        time.sleep(settle)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, out, err, took


def seedance_cli() -> Optional[str]:
    """The ``seedance`` binary: ``$SEEDANCE_CLI_BIN`` (scripts/test-python builds it and
    sets it: then it must exist), else the workspace's debug build or PATH's."""
    given = os.environ.get("SEEDANCE_CLI_BIN")
    if given:
        assert Path(given).is_file(), f"SEEDANCE_CLI_BIN={given} does not exist"
        return given
    built = Path(__file__).resolve().parents[2] / "target" / "debug" / "seedance"
    if built.is_file():
        return str(built)
    return shutil.which("seedance")
