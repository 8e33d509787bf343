"""Every method of the blocking client, against the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import seedance
from seedance.testing import Emulator

from conftest import PROMPT


def test_submit_returns_a_typed_processing_task(client: seedance.Client, emu: Emulator) -> None:
    task = client.submit(prompt=PROMPT, duration=5, resolution="720p", aspect_ratio="16:9")
    assert isinstance(task, seedance.Task)
    assert task.status == "processing"
    assert task.id.startswith("sd2_")
    assert task.model == "seedance2"
    assert task.quality_tier == "standard"
    assert task.channel == "standard"
    assert task.credits_used is not None and task.credits_used > 0
    assert not task.is_terminal and not task.is_completed and not task.is_failed
    assert task.video_url is None
    assert emu.stats()["tasks_created"] == 1


def test_submit_with_the_same_idempotency_key_creates_one_task(
    client: seedance.Client, emu: Emulator
) -> None:
    a = client.submit(prompt=PROMPT, idempotency_key="py-key-1")
    b = client.submit(prompt=PROMPT, idempotency_key="py-key-1")
    assert a.id == b.id
    stats = emu.stats()
    assert stats["tasks_created"] == 1
    assert stats["idempotent_replays"] == 1


def test_duration_accepts_int_and_wire_string(client: seedance.Client) -> None:
    assert client.submit(prompt=PROMPT, duration=8).status == "processing"
    assert client.submit(prompt=PROMPT, duration="8").status == "processing"


def test_get_task_by_id_and_by_task(client: seedance.Client) -> None:
    task = client.submit(prompt=PROMPT)
    by_id = client.get_task(task.id)
    by_task = client.get_task(task)
    assert by_id.id == by_task.id == task.id
    with pytest.raises(TypeError):
        client.get_task(42)  # type: ignore[arg-type]


def test_wait_returns_the_completed_task(client: seedance.Client) -> None:
    task = client.submit(prompt=PROMPT)
    done = client.wait(task)
    assert done.status == "completed"
    assert done.is_completed and done.is_terminal
    assert done.video_url and done.video_url.startswith("http://127.0.0.1:")
    assert done.last_frame_url
    assert done.created_at and done.updated_at
    # by id too
    assert client.wait(task.id).id == task.id


def test_generate_submits_and_waits(client: seedance.Client, emu: Emulator) -> None:
    task = client.generate(prompt=PROMPT, quality_tier="pro", resolution="1080p", seed=7)
    assert task.is_completed
    assert task.quality_tier == "pro"
    assert task.seed == 7
    assert emu.stats()["tasks_completed"] == 1


def test_download_to_a_file_and_to_a_directory(
    client: seedance.Client, emu: Emulator, tmp_path: Path
) -> None:
    task = client.generate(prompt=PROMPT)
    assert task.video_path is None
    target = tmp_path / "clip.mp4"
    path = client.download(task, target)
    assert isinstance(path, Path)
    assert path == target and path.is_file()
    data = path.read_bytes()
    assert data[4:8] == b"ftyp"  # an MP4
    assert task.video_path == path
    assert task.last_frame_path is not None and task.last_frame_path.read_bytes()[:4] == b"\x89PNG"
    # a directory: <task id>.mp4 inside it
    out_dir = tmp_path / "videos"
    out_dir.mkdir()
    p2 = client.download(task, str(out_dir))
    assert p2.parent == out_dir and task.id in p2.name and p2.is_file()
    # the key never goes to the CDN
    assert emu.stats()["cdn_auth_headers_seen"] == 0
    assert emu.cdn_auth_headers() == []


def test_task_dict_raw_json_and_html(client: seedance.Client, emu: Emulator, tmp_path: Path) -> None:
    emu.inject("get_task", "extra_fields")
    task = client.generate(prompt=PROMPT)
    d = task.to_dict()
    assert d["id"] == task.id and d["status"] == "completed"
    assert d["output"]["video_url"] == task.video_url
    raw = task.raw
    assert raw is not None
    # unknown fields the API adds are kept in the raw JSON
    assert set(raw) - {"id", "status", "model", "quality_tier", "channel", "credits_used",
                       "credits_refunded", "output", "error", "created_at", "updated_at"}
    json.dumps(d)  # plain JSON types
    assert "completed" in task._repr_html_()
    assert "<video" not in task._repr_html_()
    client.download(task, tmp_path / "v.mp4")
    html = task._repr_html_()
    assert "base64" not in html  # by reference, never embedded (see test_manners)
    assert repr(task).startswith("Task(id='sd2_")


def test_task_from_json_keeps_unknown_values() -> None:
    t = seedance.Task.from_json(
        '{"id":"nbp_1","status":"queued","quality_tier":"ultra","eta_s":9,'
        '"output":{"images":[{"url":"https://cdn.example.com/a.png"}]}}'
    )
    assert t.id == "nbp_1" and t.status == "queued" and t.quality_tier == "ultra"
    assert t.image_urls == ["https://cdn.example.com/a.png"]
    assert t.raw is not None and t.raw["eta_s"] == 9
    assert not t.is_terminal
    assert seedance.Task.from_json(b'{"id":"a","status":"failed"}').is_failed
    with pytest.raises(ValueError):
        seedance.Task.from_json("{}")
    assert t == seedance.Task.from_json(t.to_dict())
    assert "queued" in t._repr_html_()


def test_failed_task_html_shows_the_error(client: seedance.Client, emu: Emulator) -> None:
    task = client.submit(prompt=f"A doomed render {emu.failure_marker}")
    with pytest.raises(seedance.TaskFailedError):
        client.wait(task)
    failed = client.get_task(task)
    assert failed.is_failed and failed.error_code and failed.error_message
    assert failed.credits_refunded == failed.credits_used
    assert failed.error_code in failed._repr_html_()


def test_environment_variables_configure_the_client(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEEDANCE_API_KEY", emu.api_key)
    monkeypatch.setenv("SEEDANCE_BASE_URL", emu.base_url)
    monkeypatch.setenv("SEEDANCE_RATE_LIMIT", "30/1")
    with seedance.Client() as c:
        assert c.base_url.rstrip("/") == emu.base_url.rstrip("/")
        assert c.submit(prompt=PROMPT).status == "processing"


def test_no_api_key_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEEDANCE_API_KEY", raising=False)
    with pytest.raises(seedance.ConfigurationError) as info:
        seedance.Client()
    # Said in Python's words: the argument to pass, not the Rust builder's method.
    message = str(info.value)
    assert "SEEDANCE_API_KEY" in message and "api_key=" in message, message
    assert ".api_key(" not in message and not message.startswith("configuration:"), message
    monkeypatch.setenv("SEEDANCE_API_KEY", "  ")
    with pytest.raises(seedance.ConfigurationError) as info:
        seedance.Client()
    assert "api_key=" in str(info.value)


def test_bad_settings_are_configuration_errors() -> None:
    with pytest.raises(seedance.ConfigurationError):
        seedance.Client("sk_x", "http://127.0.0.1:1", request_timeout=-1)
    with pytest.raises(seedance.ConfigurationError):
        seedance.Client("sk_x", "http://127.0.0.1:1", rate_limit=(0, 1.0))
    with pytest.raises(seedance.ConfigurationError):
        seedance.Client("sk_x", "http://seedance2ai.io")  # plain http to a real host


def test_rate_limit_false_is_off_and_a_tuple_is_that_limit() -> None:
    # The emulator's (2, 60.0) is its limit: with the client's budget off (False) the
    # third request goes out and is answered 429.
    with Emulator(time_scale=1000.0, rate_limit=(2, 60.0)) as emu:
        with emu.client(rate_limit=False, max_retries=0) as c:
            task = c.submit(prompt=PROMPT)
            c.get_task(task.id)
            with pytest.raises(seedance.RateLimitedError):
                c.get_task(task.id)
        assert emu.stats()["rate_limited"] == 1
    # False turns the emulator's limit off too: 40 reads at once, none refused.
    with Emulator(time_scale=1000.0, rate_limit=False) as emu:
        with emu.client(rate_limit=False, max_retries=0) as c:
            task = c.submit(prompt=PROMPT)
            for _ in range(40):
                c.get_task(task.id)
        assert emu.stats()["rate_limited"] == 0


def test_context_manager_closes_the_client(emu: Emulator) -> None:
    with emu.client() as c:
        c.submit(prompt=PROMPT)
    with pytest.raises(seedance.ConfigurationError):
        c.submit(prompt=PROMPT)


def test_the_api_key_is_not_in_reprs(emu: Emulator) -> None:
    c = emu.client()
    assert emu.api_key not in repr(c)
    assert emu.api_key not in repr(c._native)


def test_the_budget_is_shared_by_the_machine_unless_said_otherwise(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SEEDANCE_BUDGET", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "machine"))
    with emu.client() as c:
        assert c.submit(prompt=PROMPT).status == "processing"
    assert (tmp_path / "machine" / "seedance" / "budget.sqlite3").exists()
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "other"))
    with emu.client(budget="process") as c:
        assert c.submit(prompt=PROMPT).status == "processing"
    assert not (tmp_path / "other").exists()
    with pytest.raises(seedance.ConfigurationError) as info:
        emu.client(budget="memcached://cache:11211")
    assert "budget" in str(info.value)
