"""Issue 16, Python manners: ids for download, timeout names, hints in messages, the
notebook display by reference, one violation per line, a progress bar that moves."""

from __future__ import annotations

import re
import sys
import warnings
from pathlib import Path
from typing import List

import pytest

import seedance
import seedance._progress as progress_mod
from seedance.testing import Emulator

from conftest import PROMPT


def test_download_accepts_a_task_id(client: seedance.Client, tmp_path: Path) -> None:
    task = client.generate(prompt=PROMPT)
    path = client.download(task.id, tmp_path)
    assert path.is_file() and path.name == f"{task.id}.mp4"


async def test_async_download_accepts_a_task_id(emu: Emulator, tmp_path: Path) -> None:
    async with emu.async_client() as client:
        task = await client.generate(prompt=PROMPT)
        path = await client.download(task.id, tmp_path / "a.mp4")
    assert path.is_file()


def test_download_refuses_other_types(client: seedance.Client, tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="Task or a task id"):
        client.download(42, tmp_path)  # type: ignore[arg-type]


def test_client_timeout_is_request_timeout_and_the_old_name_warns(emu: Emulator) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        seedance.Client(emu.api_key, emu.base_url, request_timeout=5.0).close()
    with pytest.warns(DeprecationWarning, match="request_timeout") as caught:
        client = seedance.Client(emu.api_key, emu.base_url, timeout=5.0, time_scale=1000.0)
    # The warning points at the caller, not at the package.
    assert caught[0].filename == __file__
    with client:  # still works
        assert client.generate(prompt=PROMPT).is_completed


def test_wait_timeout_says_to_wait_on_the_id_later(slow_emu: Emulator) -> None:
    with slow_emu.client() as client:
        with pytest.raises(seedance.WaitTimeoutError) as info:
            client.generate(prompt=PROMPT, timeout=0.2)
    e = info.value
    assert f"wait({e.task_id!r})" in str(e), str(e)
    assert "pay twice" in str(e)


def test_no_timeout_lifts_the_clients_wait_ceiling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Renders take about a second here; the client's ceiling (SEEDANCE_WAIT_TIMEOUT) is
    # 50 ms: the default wait gives up, timeout=seedance.NO_TIMEOUT waits to the end.
    monkeypatch.setenv("SEEDANCE_WAIT_TIMEOUT", "50ms")
    with Emulator(time_scale=60.0, rate_limit=(30, 1.0)) as emu, emu.client() as client:
        task = client.submit(prompt=PROMPT)
        with pytest.raises(seedance.WaitTimeoutError):
            client.wait(task)
        assert client.wait(task, timeout=seedance.NO_TIMEOUT).is_completed
        done = client.generate(prompt=PROMPT, timeout=seedance.NO_TIMEOUT)
        assert done.is_completed and done.id != task.id


def test_no_timeout_is_one_named_value() -> None:
    import pickle

    assert repr(seedance.NO_TIMEOUT) == "seedance.NO_TIMEOUT"
    assert isinstance(seedance.NO_TIMEOUT, seedance.NoTimeout)
    assert pickle.loads(pickle.dumps(seedance.NO_TIMEOUT)) is seedance.NO_TIMEOUT
    assert not seedance.NO_TIMEOUT
    with pytest.raises(TypeError):
        seedance.NoTimeout()  # type: ignore[call-arg]


def test_authentication_error_says_where_the_key_comes_from(emu: Emulator) -> None:
    with emu.client(api_key=emu.revoked_key) as client:
        with pytest.raises(seedance.AuthenticationError) as info:
            client.submit(prompt=PROMPT)
    assert "SEEDANCE_API_KEY" in str(info.value)
    assert info.value.code == "unauthorized" and "SEEDANCE_API_KEY" not in info.value.message


def test_validation_error_prints_one_violation_per_line() -> None:
    with pytest.raises(seedance.ValidationError) as info:
        seedance.validate(prompt="x", quality_tier="mini", resolution="4k", seed=5)
    e = info.value
    lines = str(e).splitlines()
    assert len(e.violations) >= 2
    assert lines[0] == "invalid request (nothing was sent):"
    assert lines[1:] == [f"  {v}" for v in e.violations]


def test_notebook_display_references_the_file_never_embeds_it(
    client: seedance.Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook_dir = tmp_path / "notebook"
    (notebook_dir / "out").mkdir(parents=True)
    monkeypatch.chdir(notebook_dir)
    task = client.generate(prompt=PROMPT)
    client.download(task, "out")
    html = task._repr_html_()
    assert "base64" not in html
    assert f'<video src="out/{task.id}.mp4"' in html, html
    frame = task.last_frame_path
    assert frame is not None
    assert f'<img src="out/{frame.name}"' in html, html

    # Downloaded outside the notebook's directory: a link, no player.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    other = client.generate(prompt=PROMPT + " elsewhere")
    client.download(other, elsewhere)
    html = other._repr_html_()
    assert "<video" not in html and "base64" not in html
    assert 'href="file://' in html and f"{other.id}.mp4" in html


def test_expected_render_time_honours_the_clients_time_scale(emu: Emulator) -> None:
    def expected(time_scale: float) -> float:
        seen: List[float] = []
        with emu.client(time_scale=time_scale) as client:
            client.generate(
                prompt=PROMPT, quality_tier="mini", duration=4,
                on_progress=lambda e: seen.append(e.expected_secs or 0.0),
            )
        return seen[0]

    slow, fast = expected(100.0), expected(1000.0)
    assert slow > 0 and fast == pytest.approx(slow / 10.0, rel=1e-3)
    # wait() on an id alone: the default expected time, scaled too.
    waited: List[float] = []
    with emu.client(time_scale=1000.0) as client:
        task = client.submit(prompt=PROMPT)
        client.wait(task.id, on_progress=lambda e: waited.append(e.expected_secs or 0.0))
    assert 0 < waited[0] < 1.0


def test_progress_bar_moves_with_the_clock(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("tqdm")
    monkeypatch.setattr(progress_mod, "TICK_SECS", 0.02)
    # Renders of about half a second; the client expects the same (time scales agree).
    with Emulator(time_scale=60.0, rate_limit=(30, 1.0)) as emu:
        with emu.client() as client:
            task = client.generate(
                prompt=PROMPT, quality_tier="mini", duration=4,
                progress=True,
            )
    err = capsys.readouterr().err
    counts = {int(n) for n in re.findall(r"\| (\d+)/~\d+ s", err)}
    totals = set(re.findall(r"\| \d+/~(\d+) s", err))
    frames = err.count("\r")
    assert frames >= 5, err  # ticked by the timer, not only by the two events
    assert task.id in err and "completed" in err
    assert counts and totals, err


def test_missing_tqdm_is_said_once(
    client: seedance.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm -> ImportError
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    monkeypatch.setattr(progress_mod, "_warned_missing_tqdm", False)
    with pytest.warns(RuntimeWarning, match="pip install tqdm") as caught:
        assert client.generate(prompt=PROMPT, progress=True).is_completed
    assert caught[0].filename == __file__  # points at the call
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert client.generate(prompt=PROMPT, progress=True).is_completed


def test_download_bar_is_labelled_with_the_file_not_the_task(
    client: seedance.Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tqdm")
    task = client.generate(prompt=PROMPT)
    capsys.readouterr()
    client.download(task, tmp_path / "clip.mp4", progress=True)
    err = capsys.readouterr().err
    assert "clip.mp4" in err and task.id not in err, err


async def test_async_progress_bar_moves_and_closes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("tqdm")
    monkeypatch.setattr(progress_mod, "TICK_SECS", 0.02)
    with Emulator(time_scale=60.0, rate_limit=(30, 1.0)) as emu:
        async with emu.async_client() as client:
            task = await client.generate(
                prompt=PROMPT, quality_tier="mini", duration=4, progress=True
            )
    err = capsys.readouterr().err
    assert task.id in err and "completed" in err and err.count("\r") >= 5, err
    # The timer thread is gone once the call returned.
    import threading

    assert not [t for t in threading.enumerate() if t.name == "seedance-progress"]


def test_the_bar_is_tqdm_auto_a_widget_in_notebooks(
    client: seedance.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    tqdm_auto = pytest.importorskip("tqdm.auto")
    made: List[object] = []

    class Recording(tqdm_auto.tqdm):  # type: ignore[misc,name-defined,unused-ignore]
        def __init__(self, *args: object, **kwargs: object) -> None:
            made.append(kwargs.get("desc"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(tqdm_auto, "tqdm", Recording)
    assert client.generate(prompt=PROMPT, progress=True).is_completed
    assert made, "progress=True draws its bar with tqdm.auto.tqdm"
