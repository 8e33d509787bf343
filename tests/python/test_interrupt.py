"""Ctrl-C interrupts a blocking wait promptly, and blocking calls release the GIL."""

from __future__ import annotations

import sys
import textwrap
import threading
import time

import pytest

import seedance
from seedance.testing import Emulator

from conftest import PROMPT, interrupt_child

SCRIPT = textwrap.dedent(
    """
    import sys, time
    from seedance.testing import Emulator
    with Emulator(time_scale=1.0, rate_limit=(30, 1.0)) as emu:   # renders take minutes
        with emu.client() as client:
            task = client.submit(prompt="A glass train crossing a snowy mountain bridge")
            print("READY", flush=True)
            try:
                client.wait(task)
            except KeyboardInterrupt:
                print("INTERRUPTED", flush=True)
                raise
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigint_interrupts_a_wait_promptly() -> None:
    code, out, err, took = interrupt_child(SCRIPT, settle=0.3)  # well inside the wait
    assert "INTERRUPTED" in out
    assert "KeyboardInterrupt" in err
    assert code != 0
    assert took < 2.0, f"took {took:.2f} s to stop"


def test_a_blocking_wait_releases_the_gil(slow_emu: Emulator) -> None:
    with slow_emu.client() as client:
        task = client.submit(prompt=PROMPT)
        ticks = 0
        stop = threading.Event()

        def count() -> None:
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                time.sleep(0.001)

        t = threading.Thread(target=count)
        t.start()
        try:
            with pytest.raises(seedance.WaitTimeoutError):
                client.wait(task, timeout=0.5)
        finally:
            stop.set()
            t.join()
    # The other thread ran throughout the wait (it would barely run with the GIL held).
    assert ticks > 100, ticks


def test_waits_in_threads_run_in_parallel(emu: Emulator) -> None:
    emu.configure(time_scale=200.0)  # ~0.5 s per render
    with emu.client() as client:
        tasks = [client.submit(prompt=f"{PROMPT} {i}") for i in range(4)]
        results = {}

        def wait(i: int) -> None:
            results[i] = client.wait(tasks[i])

        started = time.monotonic()
        threads = [threading.Thread(target=wait, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.monotonic() - started
    assert all(r.is_completed for r in results.values())
    assert took < 4 * 0.5, took  # not one after another
