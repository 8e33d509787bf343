"""Progress: on_progress callbacks and the tqdm bar."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
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
    assert seen[-1].kind == "completed"
    assert {e.task_id for e in seen} == {task.id}
    # The expected time is the core's model for this request (not a constant): a longer,
    # sharper pro render is expected to take longer.
    bigger: List[seedance.ProgressEvent] = []
    client.generate(
        prompt=PROMPT, quality_tier="pro", resolution="1080p", duration=10,
        on_progress=bigger.append,
    )
    small, big = seen[0].expected_secs, bigger[0].expected_secs
    assert small is not None and big is not None
    assert 0 < small < big, (small, big)


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


@pytest.mark.filterwarnings("ignore:progress=True shows a bar only with tqdm")
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


def test_download_reports_bytes_of_each_file(client: seedance.Client, tmp_path: Path) -> None:
    task = client.generate(prompt=PROMPT)
    other = client.generate(prompt=PROMPT + " other")
    seen: List[seedance.ProgressEvent] = []
    client.download(other, tmp_path)  # not reported: no callback on this call
    path = client.download(task, tmp_path / "clip.mp4", on_progress=seen.append)
    assert seen and {e.kind for e in seen} == {"download_progress"}
    assert {e.task_id for e in seen} == {task.id}
    by_file = {e.path: e for e in seen}  # the last event of each file
    assert set(by_file) == {str(path), str(task.last_frame_path)}
    video = by_file[str(path)]
    assert video.bytes == video.total_bytes == path.stat().st_size
    assert all(e.bytes is not None and e.bytes > 0 for e in seen)
    assert "bytes=" in repr(video)


def test_download_into_a_directory_reports_only_its_own_files(
    client: seedance.Client, tmp_path: Path
) -> None:
    a, b = client.generate(prompt=PROMPT), client.generate(prompt=PROMPT + " b")
    seen: List[seedance.ProgressEvent] = []
    results = {}

    def download_b() -> None:
        results["b"] = client.download(b, tmp_path)

    t = threading.Thread(target=download_b)
    t.start()
    path = client.download(a, tmp_path, on_progress=seen.append)
    t.join()
    assert results["b"].is_file()
    assert seen and all(e.path is not None and a.id in e.path for e in seen), seen
    assert any(e.path == str(path) for e in seen)


def test_download_progress_true_draws_a_byte_bar(
    client: seedance.Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tqdm")
    task = client.generate(prompt=PROMPT)
    capsys.readouterr()
    client.download(task, tmp_path / "clip.mp4", progress=True)
    err = capsys.readouterr().err
    assert "clip.mp4" in err and "100%" in err, err


async def test_async_download_reports_progress_on_the_loop_thread(
    emu: Emulator, tmp_path: Path
) -> None:
    seen: List[seedance.ProgressEvent] = []
    threads: List[int] = []

    def on_progress(event: seedance.ProgressEvent) -> None:
        seen.append(event)
        threads.append(threading.get_ident())

    async with emu.async_client() as client:
        task = await client.generate(prompt=PROMPT)
        path = await client.download(task, tmp_path / "a.mp4", on_progress=on_progress)
        await asyncio.sleep(0)  # let call_soon_threadsafe deliveries run
    assert any(e.path == str(path) and e.bytes == path.stat().st_size for e in seen), seen
    assert set(threads) == {threading.get_ident()}
