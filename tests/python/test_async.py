"""AsyncClient: the same methods as coroutines, inside a running event loop."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import List

import pytest

import seedance
from seedance.testing import Emulator

from conftest import PROMPT


async def test_every_method_as_a_coroutine(emu: Emulator, tmp_path: Path) -> None:
    async with emu.async_client() as client:
        task = await client.submit(prompt=PROMPT, duration=6)
        assert task.status == "processing"
        again = await client.get_task(task.id)
        assert again.id == task.id
        done = await client.wait(task)
        assert done.is_completed and done.video_url
        generated = await client.generate(prompt=PROMPT)
        assert generated.is_completed
        path = await client.download(generated, tmp_path / "a.mp4")
        assert path.is_file() and path.read_bytes()[4:8] == b"ftyp"
        assert generated.video_path == path
    assert emu.stats()["tasks_created"] == 2


async def test_many_jobs_concurrently(emu: Emulator) -> None:
    async with emu.async_client() as client:
        tasks = await asyncio.gather(*(client.generate(prompt=f"{PROMPT} #{i}") for i in range(12)))
    assert len({t.id for t in tasks}) == 12
    assert all(t.is_completed for t in tasks)
    assert emu.stats()["rate_limited"] == 0


async def test_errors_are_raised_when_awaited(emu: Emulator) -> None:
    async with emu.async_client() as client:
        coro = client.submit(prompt="hi")
        with pytest.raises(seedance.ValidationError):
            await coro
        with pytest.raises(seedance.NotFoundError):
            await client.get_task("sd2_missing")
        with pytest.raises(seedance.TaskFailedError) as info:
            await client.generate(prompt=f"A train {emu.failure_marker}")
        assert info.value.credits_refunded > 0
    async with emu.async_client(emu.revoked_key) as bad:
        with pytest.raises(seedance.AuthenticationError):
            await bad.submit(prompt=PROMPT)


async def test_wait_timeout_and_cancellation(slow_emu: Emulator) -> None:
    async with slow_emu.async_client() as client:
        task = await client.submit(prompt=PROMPT)
        with pytest.raises(seedance.WaitTimeoutError):
            await client.wait(task, timeout=0.2)
        waiter = asyncio.ensure_future(client.wait(task))
        await asyncio.sleep(0.2)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        # polling stopped: no more task reads after the cancel settles
        await asyncio.sleep(0.3)
        reads = slow_emu.stats()["task_reads"]
        await asyncio.sleep(1.0)
        assert slow_emu.stats()["task_reads"] == reads


async def test_no_timeout_lifts_the_ceiling_of_an_async_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SEEDANCE_WAIT_TIMEOUT", "50ms")
    with Emulator(time_scale=60.0, rate_limit=(30, 1.0)) as emu:
        async with emu.async_client() as client:
            task = await client.submit(prompt=PROMPT)
            with pytest.raises(seedance.WaitTimeoutError):
                await client.wait(task)
            assert (await client.wait(task, timeout=seedance.NO_TIMEOUT)).is_completed
            done = await client.generate(prompt=PROMPT, timeout=seedance.NO_TIMEOUT)
            assert done.is_completed


async def test_progress_callbacks_run_on_the_loop_thread(emu: Emulator) -> None:
    seen: List[seedance.ProgressEvent] = []
    threads: List[int] = []

    def on_progress(event: seedance.ProgressEvent) -> None:
        seen.append(event)
        threads.append(threading.get_ident())

    async with emu.async_client() as client:
        task = await client.generate(prompt=PROMPT, on_progress=on_progress)
        await asyncio.sleep(0)  # let call_soon_threadsafe deliveries run
    kinds = [e.kind for e in seen]
    assert kinds[0] == "submitted" and kinds[-1] == "completed", kinds
    assert all(e.task_id == task.id for e in seen)
    assert set(threads) == {threading.get_ident()}


def test_the_async_client_runs_under_asyncio_run(emu: Emulator) -> None:
    async def main() -> seedance.Task:
        async with emu.async_client() as client:
            return await client.generate(prompt=PROMPT)

    assert asyncio.run(main()).is_completed
    # and again, on a new loop (the tokio runtime is shared)
    assert asyncio.run(main()).is_completed


async def test_the_sync_client_works_inside_a_running_loop(emu: Emulator) -> None:
    # As in a notebook cell: blocking calls while the kernel's event loop is running.
    asyncio.get_running_loop()
    with emu.client() as client:
        assert client.generate(prompt=PROMPT).is_completed
