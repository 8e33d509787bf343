"""Issue 10 in Python: absurd local values are usage errors, a panic of the extension is a
SeedanceError, and nothing a hostile server says leaks the key or drives the terminal."""

from __future__ import annotations

import asyncio
import json
import math
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, Iterator, Tuple

import pytest

import seedance
from seedance import _seedance
from seedance.testing import Emulator

from conftest import PROMPT

KEY = "sk_live_hostileTEST0123456789abcdef"
ABSURD = [1e300, math.inf, -math.inf, math.nan, -1.0, 1e20]


def _config_error(call: Callable[[], Any], name: str) -> None:
    with pytest.raises(seedance.ConfigurationError) as info:
        call()
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, seedance.SeedanceError)
    assert name in str(err), str(err)


@pytest.mark.parametrize("value", ABSURD)
def test_absurd_client_durations_are_value_errors_naming_the_parameter(value: float) -> None:
    base = "http://127.0.0.1:1"
    _config_error(lambda: seedance.Client(KEY, base, request_timeout=value), "request_timeout")
    _config_error(lambda: seedance.Client(KEY, base, connect_timeout=value), "connect_timeout")
    if value > 0:
        _config_error(lambda: seedance.Client(KEY, base, rate_limit=(30, value)), "rate_limit")
        _config_error(
            lambda: seedance.Client(KEY, base, media_rate_limit=(3, value)), "media_rate_limit"
        )


@pytest.mark.parametrize("value", [1e-300, 0.0, -1.0, math.inf, math.nan, 1e300])
def test_absurd_time_scales_are_value_errors(value: float) -> None:
    _config_error(lambda: seedance.Client(KEY, "http://127.0.0.1:1", time_scale=value), "time_scale")
    with pytest.raises(ValueError) as info:
        Emulator(time_scale=value)
    assert "time_scale" in str(info.value)


def test_absurd_wait_timeouts_are_value_errors_and_send_nothing(
    client: seedance.Client, emu: Emulator
) -> None:
    task = client.submit(prompt=PROMPT)
    before = emu.stats(total=True)["requests"]
    for value in ABSURD:
        _config_error(lambda: client.wait(task.id, timeout=value), "timeout")
        _config_error(lambda: client.generate(prompt=PROMPT, timeout=value), "timeout")
    assert emu.stats(total=True)["requests"] == before
    # a large but sane bound is fine
    assert client.wait(task.id, timeout=86_400.0).status == "completed"


async def test_absurd_async_timeouts_are_value_errors(emu: Emulator) -> None:
    async with seedance.AsyncClient(emu.api_key, emu.base_url) as client:
        with pytest.raises(seedance.ConfigurationError) as info:
            await client.wait("sd2_whatever", timeout=1e300)
        assert "timeout" in str(info.value)


@pytest.mark.parametrize("where", ["call", "blocking"])
def test_a_panic_is_a_seedance_error(where: str) -> None:
    with pytest.raises(seedance.SeedanceError) as info:
        _seedance._panic_for_tests(where)
    assert "internal error" in str(info.value)
    assert f"deliberate panic ({where})" in str(info.value)


async def test_a_panic_in_an_awaitable_is_a_seedance_error() -> None:
    with pytest.raises(seedance.SeedanceError) as info:
        await _seedance._panic_for_tests("async")
    assert "deliberate panic (async)" in str(info.value)


def test_a_panic_is_caught_by_except_exception() -> None:
    caught = False
    try:
        _seedance._panic_for_tests("call")
    except Exception:  # noqa: BLE001 - the point of the test
        caught = True
    assert caught


# ---- a hostile server -------------------------------------------------------------------

EVIL = "\x1b]0;pwned\x07\x1b[2J\r\n\x1b[32m✔ all good\x1b[0m"


def _answer(path: str) -> Tuple[int, Dict[str, Any]]:
    if "/tasks/" in path and not path.rstrip("/").endswith("/tasks"):
        return 200, {
            "id": path.rsplit("/", 1)[-1],
            "status": "failed",
            "error": {"code": "content_policy", "message": f"key {KEY} and Bearer {KEY}{EVIL}"},
        }
    return 400, {"error": {"code": f"bad_{KEY}{EVIL}", "message": f"you sent {KEY}{EVIL} Bearer {KEY}"}}


class _Hostile(BaseHTTPRequestHandler):
    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        status, body = _answer(self.path)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Echo", KEY)
        self.end_headers()
        self.wfile.write(data)

    do_GET = _reply
    do_POST = _reply

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hostile() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _safe(text: str) -> None:
    assert KEY not in text, text
    assert "hostileTEST" not in text, text
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in text), repr(text)


def test_an_api_error_from_a_hostile_server_leaks_no_key(hostile: str) -> None:
    with seedance.Client(KEY, hostile, max_retries=0, budget="process", time_scale=1000.0) as client:
        with pytest.raises(seedance.APIError) as info:
            client.submit(prompt=PROMPT)
    err = info.value
    for text in (str(err), repr(err), err.message, err.code, str(err.args)):
        _safe(text)
    assert err.status == 400


def test_a_failed_task_from_a_hostile_server_leaks_no_key(hostile: str) -> None:
    with seedance.Client(KEY, hostile, max_retries=0, budget="process", time_scale=1000.0) as client:
        task = client.get_task("sd2_hostile")
        with pytest.raises(seedance.TaskFailedError) as info:
            client.wait("sd2_hostile", timeout=5)
    for text in (task.error_message or "", repr(task), str(info.value), repr(info.value)):
        _safe(text)
    # the raw JSON is handed on as the server sent it, but without the key
    raw = json.dumps(task.raw) + json.dumps(task.to_dict(), default=str)
    assert KEY not in raw and "hostileTEST" not in raw, raw


async def test_the_async_client_leaks_no_key_either(hostile: str) -> None:
    async with seedance.AsyncClient(KEY, hostile, max_retries=0, budget="process") as client:
        with pytest.raises(seedance.APIError) as info:
            await client.submit(prompt=PROMPT)
    _safe(str(info.value))
    _safe(repr(info.value))
    await asyncio.sleep(0)


# ---- issue 12: a wait for the shared budget reaches Python ------------------------------


def test_a_wait_for_the_budget_is_a_progress_event(emu: Emulator) -> None:
    events: list = []
    # One request per second: the first poll after the submit waits about a second.
    with emu.client(rate_limit=(1, 1.0), budget="process") as client:
        client.generate(prompt=PROMPT, on_progress=events.append)
    waits = [e for e in events if e.kind == "budget_wait"]
    assert waits, [e.kind for e in events]
    w = waits[0]
    assert w.budget == "requests"
    assert w.backend == "in-process"
    assert w.next_in_secs is not None and 0.5 <= w.next_in_secs <= 1.5, w.next_in_secs
    assert w.message and "slots" in w.message, w.message
    assert "budget_wait" in repr(w) and "in-process" in repr(w)
