"""Ctrl-C names the job that goes on (``seedance.Interrupted``), and the job store lets
an interrupted job be finished without paying again."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List

import pytest

import seedance
from seedance.testing import Emulator

from conftest import PROMPT, interrupt_child, seedance_cli

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
        elif call == "resume":
            client.resume()
        else:
            client.generate(prompt="A lighthouse in a storm at night")
    except seedance.Interrupted as e:
        print(json.dumps({
            "task_id": e.task_id, "idempotency_key": e.idempotency_key,
            "jobs": e.jobs,
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


def _interrupt(emu: Emulator, call: str, tasks: int = 1, **extra: Any) -> Dict[str, Any]:
    """Starts ``call`` in a child, sends SIGINT once ``tasks`` tasks exist, returns what
    the child's ``Interrupted`` carried."""
    code, out, err, _ = interrupt_child(
        CHILD,
        [emu.base_url, emu.api_key, call, json.dumps(extra)],
        ready=lambda: emu.stats()["tasks_created"] >= tasks,
    )
    assert code == 7, (out, err)
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
    assert got["jobs"] == [[got["task_id"], got["idempotency_key"]]]
    assert "resume()" in got["message"]
    # Another client (a re-run cell, a new kernel) on the same store finishes it.
    with render_emu.client(journal=store) as client:
        assert client.journal_path == store
        [before] = client.jobs()
        assert isinstance(before, seedance.Job)
        assert before.idempotency_key == got["idempotency_key"]
        assert before.task_id == got["task_id"]
        assert before.state == "interrupted", before
        assert before.charge == "charged"
        assert before.unfinished
        assert before.origin == render_emu.base_url.rstrip("/")
        done = client.resume()
        assert [t.id for t in done] == [got["task_id"]]
        assert done[0].is_completed
        [after] = client.jobs()
        assert after.state == "completed", after
        assert not after.unfinished
        assert after.completed_at is not None and after.updated_at >= after.created_at
        assert client.resume() == []  # nothing left to do
    assert render_emu.stats()["tasks_created"] == 1


def test_ctrl_c_during_resume_names_the_job_it_was_finishing(
    render_emu: Emulator, tmp_path: Any
) -> None:
    store = str(tmp_path / "jobs.sqlite3")
    first = _interrupt(render_emu, "generate", journal=store)
    again = _interrupt(render_emu, "resume", journal=store)
    assert again["keyboard_interrupt"]
    assert (again["task_id"], again["idempotency_key"]) == (
        first["task_id"],
        first["idempotency_key"],
    )
    assert first["task_id"] in again["message"]
    with render_emu.client(journal=store) as client:
        [job] = client.jobs()
        assert job.state == "interrupted"
        assert [t.id for t in client.resume()] == [first["task_id"]]
    assert render_emu.stats()["tasks_created"] == 1


def test_seedance_resume_in_a_terminal_finishes_a_job_python_left_interrupted(
    render_emu: Emulator, tmp_path: Any
) -> None:
    cli = seedance_cli()
    if cli is None:
        pytest.skip("no seedance binary (scripts/test-python builds it)")
    store = str(tmp_path / "jobs.sqlite3")
    got = _interrupt(render_emu, "generate", journal=store)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "SEEDANCE_BASE_URL": render_emu.base_url,
        "SEEDANCE_API_KEY": render_emu.api_key,
        "SEEDANCE_JOURNAL": store,
        "SEEDANCE_TIME_SCALE": "50",
        "SEEDANCE_RATE_LIMIT": "30/1s",
    }
    out_dir = tmp_path / "out"
    done = subprocess.run(
        [cli, "resume", "-o", str(out_dir), "--json"],
        env=env,
        cwd=str(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, (done.stdout, done.stderr)
    result = json.loads(done.stdout)
    [job] = result["jobs"]
    assert job["task"]["id"] == got["task_id"]
    assert job["idempotency_key"] == got["idempotency_key"]
    assert (out_dir / f"{got['task_id']}.mp4").is_file()
    assert render_emu.stats()["tasks_created"] == 1, "no second task"
    with render_emu.client(journal=store) as client:
        [stored] = client.jobs()
        assert stored.state == "completed" and not stored.unfinished, stored


async def test_async_client_resumes_and_lists_jobs(emu: Emulator, tmp_path: Any) -> None:
    store = str(tmp_path / "jobs.sqlite3")
    async with emu.async_client(journal=store) as client:
        task = await client.submit(prompt="A red kite over a windy beach")
        jobs = await client.jobs(state="submitted")
        assert [j.task_id for j in jobs] == [task.id]
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


def test_jobs_are_typed_and_filtered_like_seedance_jobs(emu: Emulator, tmp_path: Any) -> None:
    store = str(tmp_path / "jobs.sqlite3")
    with emu.client(journal=store) as client, emu.client(
        emu.second_key, journal=store
    ) as other:
        done = client.generate(prompt=PROMPT)
        waiting = client.submit(prompt="A red kite over a windy beach")
        theirs = other.submit(prompt="A paper boat in the rain")
        with pytest.raises(seedance.TaskFailedError):
            client.generate(prompt=f"A cat on a wall {emu.failure_marker}")

        mine = client.jobs()
        assert [j.task_id for j in mine][:2] == [done.id, waiting.id]
        first = mine[0]
        assert first.state == "completed" and first.charge == "charged"
        assert first.origin == emu.base_url.rstrip("/") and len(first.account) >= 16
        assert emu.api_key not in first.account
        assert first.request["prompt"] == PROMPT and first.prompt == PROMPT
        assert first.task is not None and first.task["id"] == done.id
        assert isinstance(first.created_at, datetime) and first.created_at.tzinfo is not None
        assert first.submitted_at is not None and first.completed_at is not None
        assert first.last_error is None and first.output is None
        failed = mine[2]
        assert failed.state == "failed" and failed.task_id is not None
        assert failed.last_error and failed.task_id in failed.last_error, failed.last_error
        with pytest.raises(AttributeError):
            first.state = "failed"  # type: ignore[misc]

        # state: one or several
        assert [j.task_id for j in client.jobs(state="submitted")] == [waiting.id]
        assert len(client.jobs(state=["completed", "failed"])) == 2
        assert client.jobs(unfinished=True) == [mine[1]]
        # every origin and account, or one origin
        assert {j.task_id for j in client.jobs(all_origins=True)} >= {theirs.id}
        assert len(client.jobs(all_origins=True)) == 4
        assert len(client.jobs(origin=emu.base_url)) == 4
        assert client.jobs(origin="https://api.example.com") == []
        assert [j.task_id for j in other.jobs()] == [theirs.id]
        # age: seconds, a timedelta, a moment
        assert len(client.jobs(since=3600)) == 3
        assert len(client.jobs(since=timedelta(hours=1))) == 3
        assert client.jobs(before=timedelta(hours=1)) == []
        assert len(client.jobs(since=datetime.now(timezone.utc) - timedelta(minutes=5))) == 3
        assert client.jobs(since=datetime.now(timezone.utc) + timedelta(minutes=5)) == []
        with pytest.raises(seedance.ConfigurationError, match="state"):
            client.jobs(state="archived")
        with pytest.raises(seedance.ConfigurationError, match="since"):
            client.jobs(since=-1)
        assert repr(first).startswith("seedance.Job(#")


async def test_cancelling_an_async_generate_marks_the_job_interrupted_and_names_it(
    render_emu: Emulator, tmp_path: Any
) -> None:
    store = str(tmp_path / "jobs.sqlite3")
    async with render_emu.async_client(journal=store) as client:
        call = asyncio.ensure_future(client.generate(prompt="A lighthouse in a storm at night"))
        for _ in range(500):
            if render_emu.stats()["tasks_created"] == 1:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # inside the wait
        call.cancel()
        # asyncio's own exception goes on (timeouts and task groups rely on it) ...
        with pytest.raises(asyncio.CancelledError) as raised:
            await call
        task_id = render_emu.tasks()[0].id
        # ... carrying what seedance.Interrupted would
        assert getattr(raised.value, "task_id") == task_id
        [job] = await client.jobs()
        assert getattr(raised.value, "idempotency_key") == job.idempotency_key
        assert getattr(raised.value, "jobs") == [(task_id, job.idempotency_key)]
        if sys.version_info >= (3, 11):
            assert any(task_id in n for n in raised.value.__notes__)
        assert job.state == "interrupted" and job.task_id == task_id
        done = await client.resume()
        assert [t.id for t in done] == [task_id]
    assert render_emu.stats()["tasks_created"] == 1


async def test_cancelling_an_async_wait_under_a_timeout_marks_its_job(
    render_emu: Emulator, tmp_path: Any
) -> None:
    store = str(tmp_path / "jobs.sqlite3")
    async with render_emu.async_client(journal=store) as client:
        task = await client.submit(prompt="A lighthouse in a storm at night")
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.wait(task), timeout=0.3)  # cancels the wait
        [job] = await client.jobs()
        assert job.state == "interrupted" and job.task_id == task.id


def test_the_store_is_on_by_default_in_the_data_dir_shared_with_the_cli(
    emu: Emulator, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SEEDANCE_JOURNAL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with seedance.Client(emu.api_key, emu.base_url, rate_limit=(30, 1.0), time_scale=1000.0) as c:
        assert c.journal_path == str(tmp_path / "data" / "seedance" / "jobs.sqlite3")
        task = c.submit(prompt=PROMPT)
        assert [j.task_id for j in c.jobs()] == [task.id]
    assert os.stat(tmp_path / "data" / "seedance" / "jobs.sqlite3").st_mode & 0o777 == 0o600
