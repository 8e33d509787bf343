"""Ctrl-C names the job that goes on (``seedance.Interrupted``), and the job store lets
an interrupted job be finished without paying again."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from typing import Any, Dict, List

import pytest

import seedance
from seedance.testing import Emulator

from conftest import default_sigint

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

# Runs a call in a child process and reports the Interrupted it raises as one JSON line.
CHILD = textwrap.dedent(
    """
    import json, sys
    import seedance
    base_url, api_key, call = sys.argv[1:4]
    extra = json.loads(sys.argv[4])
    client = seedance.Client(api_key, base_url, time_scale=50.0, rate_limit=(30, 1.0), **extra)
    if call == "wait":
        task = client.submit(prompt="A lighthouse in a storm at night")
    print("READY", flush=True)
    try:
        if call == "wait":
            client.wait(task)
        else:
            client.generate(prompt="A lighthouse in a storm at night")
    except seedance.Interrupted as e:
        print(json.dumps({
            "task_id": e.task_id, "idempotency_key": e.idempotency_key,
            "keyboard_interrupt": isinstance(e, KeyboardInterrupt),
            "seedance_error": isinstance(e, seedance.SeedanceError),
            "message": str(e),
        }), flush=True)
        sys.exit(7)
    """
)


@pytest.fixture
def render_emu() -> Any:
    # 105 s of model time at scale 50: about 2 s, so the child is mid-wait when signalled.
    with Emulator(time_scale=50.0, rate_limit=(30, 1.0)) as e:
        yield e


def _interrupt(emu: Emulator, call: str, **extra: Any) -> Dict[str, Any]:
    """Starts ``call`` in a child, sends SIGINT once its task exists, returns what the
    child's ``Interrupted`` carried."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, emu.base_url, emu.api_key, call, json.dumps(extra)],
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
        while emu.stats()["tasks_created"] < 1:
            assert time.monotonic() < deadline, "no task was created"
            time.sleep(0.01)
        time.sleep(0.2)  # inside the wait
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 7, (out, err)
    report: Dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return report


def test_ctrl_c_during_generate_then_resume_finishes_it_without_a_second_task(
    render_emu: Emulator, tmp_path: Any
) -> None:
    store = str(tmp_path / "jobs.sqlite3")
    got = _interrupt(render_emu, "generate", journal=store)
    tasks = render_emu.tasks()
    assert len(tasks) == 1
    assert got["task_id"] == tasks[0].id
    assert got["idempotency_key"]
    assert "resume()" in got["message"]
    # Another client (a re-run cell, a new kernel) on the same store finishes it.
    with render_emu.client(journal=store) as client:
        assert client.journal_path == store
        [before] = client.jobs()
        assert before["idempotency_key"] == got["idempotency_key"]
        assert before["task_id"] == got["task_id"]
        assert before["state"] in ("submitted", "interrupted"), before
        assert before["origin"] == render_emu.base_url.rstrip("/")
        done = client.resume()
        assert [t.id for t in done] == [got["task_id"]]
        assert done[0].is_completed
        [after] = client.jobs()
        assert after["state"] == "completed", after
        assert after["updated_ms"] >= after["created_ms"]
        assert client.resume() == []  # nothing left to do
    assert render_emu.stats()["tasks_created"] == 1


async def test_async_client_resumes_and_lists_jobs(emu: Emulator, tmp_path: Any) -> None:
    store = str(tmp_path / "jobs.sqlite3")
    async with emu.async_client(journal=store) as client:
        task = await client.submit(prompt="A red kite over a windy beach")
        jobs = await client.jobs()
        assert [j["task_id"] for j in jobs] == [task.id]
        done = await client.resume()
        assert [t.id for t in done] == [task.id]
    assert emu.stats()["tasks_created"] == 1


def test_journal_false_keeps_no_store(emu: Emulator) -> None:
    with emu.client(journal=False) as client:
        assert client.journal_path is None
        client.submit(prompt="A red kite over a windy beach")
        assert client.jobs() == []
        with pytest.raises(seedance.ConfigurationError):
            client.resume()


def test_ctrl_c_during_generate_raises_interrupted_naming_the_task_and_key(
    render_emu: Emulator,
) -> None:
    got = _interrupt(render_emu, "generate")
    tasks = render_emu.tasks()
    assert len(tasks) == 1
    assert got["task_id"] == tasks[0].id
    assert isinstance(got["idempotency_key"], str) and got["idempotency_key"]
    assert got["keyboard_interrupt"] and not got["seedance_error"]
    assert tasks[0].id in got["message"]
    # The task id is enough to finish it here, without a second task.
    with render_emu.client() as client:
        done = client.wait(got["task_id"])
    assert done.is_completed
    assert render_emu.stats()["tasks_created"] == 1


def test_ctrl_c_during_wait_raises_interrupted_with_the_task_id(render_emu: Emulator) -> None:
    got = _interrupt(render_emu, "wait")
    assert got["task_id"] == render_emu.tasks()[0].id
    assert got["keyboard_interrupt"]


def test_interrupted_is_a_keyboard_interrupt_with_optional_fields() -> None:
    e = seedance.Interrupted("interrupted")
    assert isinstance(e, KeyboardInterrupt)
    assert not isinstance(e, Exception)  # `except Exception` does not swallow Ctrl-C
    assert e.task_id is None and e.idempotency_key is None
    e = seedance.Interrupted("x", task_id="sd2_1", idempotency_key="k")
    assert (e.task_id, e.idempotency_key) == ("sd2_1", "k")
    caught: List[BaseException] = []
    try:
        raise e
    except KeyboardInterrupt as k:  # what existing `except KeyboardInterrupt` code sees
        caught.append(k)
    assert caught == [e]


def test_journal_false_wins_over_seedance_journal(
    emu: Emulator, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    named = tmp_path / "named.sqlite3"
    monkeypatch.setenv("SEEDANCE_JOURNAL", str(named))
    with emu.client(journal=False) as client:
        assert client.journal_path is None
        client.submit(prompt="A red kite over a windy beach")
        assert client.jobs() == []
    assert not named.exists()
