"""Progress: on_progress callbacks and the tqdm bar."""

from __future__ import annotations

from typing import List

import pytest

import seedance
from seedance.testing import Emulator

from conftest import PROMPT


def test_wait_reports_waiting_then_completed(emu: Emulator) -> None:
    # Slow enough renders that the first poll finds the task still processing.
    emu.configure(time_scale=50.0)
    seen: List[seedance.ProgressEvent] = []
    with emu.client(time_scale=1000.0) as client:
        task = client.submit(prompt=PROMPT, quality_tier="mini", duration=4)
        done = client.wait(task, on_progress=seen.append)
    kinds = [e.kind for e in seen]
    assert "waiting" in kinds, kinds
    assert kinds[-1] == "completed"
    waiting = next(e for e in seen if e.kind == "waiting")
    assert waiting.task_id == task.id and waiting.status == "processing"
    assert waiting.polls is not None and waiting.polls >= 1
    assert waiting.next_in_secs is not None
    last = seen[-1]
    assert last.task is not None and last.task.id == done.id
    assert all(e.elapsed_secs is not None for e in seen)
    assert "ProgressEvent(kind=" in repr(last)


def test_generate_reports_submitted_with_expected_time(client: seedance.Client) -> None:
    seen: List[seedance.ProgressEvent] = []
    task = client.generate(prompt=PROMPT, on_progress=seen.append)
    assert seen[0].kind == "submitted"
    assert seen[0].credits_used == task.credits_used
    assert seen[0].expected_secs == pytest.approx(105.0)  # the core's model, 5 s 720p
    assert seen[-1].kind == "completed"
    assert {e.task_id for e in seen} == {task.id}


def test_events_of_other_jobs_are_not_reported(client: seedance.Client) -> None:
    other = client.submit(prompt=PROMPT + " other")
    mine = client.submit(prompt=PROMPT)
    seen: List[seedance.ProgressEvent] = []
    client.wait(other)
    client.wait(mine, on_progress=seen.append)
    assert seen and {e.task_id for e in seen} == {mine.id}


def test_a_failing_callback_stops_the_wait(client: seedance.Client) -> None:
    def boom(_: seedance.ProgressEvent) -> None:
        raise RuntimeError("callback failed")

    with pytest.raises(RuntimeError, match="callback failed"):
        client.generate(prompt=PROMPT, on_progress=boom)


def test_progress_true_draws_a_tqdm_bar(
    client: seedance.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tqdm")
    task = client.generate(prompt=PROMPT, progress=True)
    err = capsys.readouterr().err
    assert task.id in err
    assert "100%" in err and "completed" in err


def test_progress_without_tqdm_is_silent(
    client: seedance.Client, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm -> ImportError
    task = client.generate(prompt=PROMPT, progress=True)
    assert task.is_completed
    assert capsys.readouterr().err == ""


def test_retries_are_reported(emu: Emulator) -> None:
    emu.inject("get_task", "service_busy", nth=1)
    seen: List[seedance.ProgressEvent] = []
    with emu.client(max_retries=3) as client:
        task = client.submit(prompt=PROMPT)
        client.wait(task, on_progress=seen.append)
    retries = [e for e in seen if e.kind == "retry_scheduled"]
    assert retries, [e.kind for e in seen]
    assert retries[0].attempt is not None and retries[0].message
    assert retries[0].task_id == task.id
