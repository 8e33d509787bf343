"""Every exception class, provoked against the emulator (keys, credits, faults)."""

from __future__ import annotations

import json
import pickle
import re
import socket
from pathlib import Path
from typing import Any, List, Tuple

import pytest

import seedance
from seedance.testing import Emulator

from conftest import PROMPT

API_ERRORS = {
    "unauthorized": seedance.AuthenticationError,
    "invalid_request": seedance.InvalidRequestError,
    "insufficient_credits": seedance.InsufficientCreditsError,
    "rate_limited": seedance.RateLimitedError,
    "idempotency_conflict": seedance.IdempotencyConflictError,
    "service_busy": seedance.ServiceBusyError,
    "not_found": seedance.NotFoundError,
    "internal_error": seedance.InternalServerError,
}


def test_the_hierarchy() -> None:
    for cls in API_ERRORS.values():
        assert issubclass(cls, seedance.APIError)
    for cls in (
        seedance.ValidationError,
        seedance.APIError,
        seedance.TaskFailedError,
        seedance.WaitTimeoutError,
        seedance.APIConnectionError,
        seedance.APIResponseError,
        seedance.DownloadError,
        seedance.ConfigurationError,
    ):
        assert issubclass(cls, seedance.SeedanceError)
    assert issubclass(seedance.WaitTimeoutError, TimeoutError)
    assert len(set(API_ERRORS.values())) == 8


def test_validation_lists_every_violation_and_sends_nothing(
    client: seedance.Client, emu: Emulator
) -> None:
    with pytest.raises(seedance.ValidationError) as info:
        client.submit(
            prompt="hi",
            resolution="4k",
            mode="image-to-video",
            duration=30,
            seed=1,
            channel="real",
            media_urls=["https://cdn.example.com/a.png"],
        )
    err = info.value
    fields = err.fields()
    for field in ("prompt", "resolution", "image_url", "duration", "seed", "media_urls"):
        assert field in fields, (field, fields)
    assert len(err.violations) >= 6
    assert all(isinstance(v, seedance.Violation) and v.rule and v.message for v in err.violations)
    assert "needs quality_tier" in str(err)
    with pytest.raises(seedance.ValidationError):
        client.generate(prompt="A train", mode="text-to-vidéo")
    with pytest.raises(seedance.ValidationError) as info2:
        client.submit(prompt="See asset://abc123 and @图片1 for the hero")
    assert {v.rule for v in info2.value.violations} == {"prompt_lint"}
    assert emu.stats(total=True)["requests"] == 0


def test_values_of_the_wrong_type_are_validation_errors(client: seedance.Client) -> None:
    with pytest.raises(seedance.ValidationError) as info:
        client.submit(prompt=PROMPT, duration="five")
    assert info.value.fields() == ["duration"]
    with pytest.raises(seedance.ValidationError):
        client.submit(prompt=PROMPT, generate_audio="yes")  # type: ignore[arg-type]
    with pytest.raises(seedance.ValidationError):
        client.submit(prompt=PROMPT, mode="media-to-video", media_urls="https://x.io/a.png")
    with pytest.raises(seedance.ValidationError):
        client.submit(prompt=PROMPT, duration=-1)


def test_validate_checks_without_a_client() -> None:
    body = seedance.validate(prompt=PROMPT, quality_tier="pro", resolution="4k")
    assert body == {"prompt": PROMPT, "quality_tier": "pro", "resolution": "4k"}
    with pytest.raises(seedance.ValidationError):
        seedance.validate(prompt=PROMPT, resolution="4k")
    with pytest.raises(TypeError):
        seedance.validate(prompt=PROMPT, colour="red")


MODE_CASES = Path(__file__).resolve().parents[1] / "shared" / "mode-inference.json"


@pytest.mark.parametrize("case", json.loads(MODE_CASES.read_text())["cases"])
def test_mode_inference_agrees_with_the_cli(case: dict) -> None:  # type: ignore[type-arg]
    """Reading R25, from the table the CLI's test runs too (tests/shared)."""
    if "refused" in case:
        with pytest.raises(seedance.ValidationError) as info:
            seedance.validate(**case["fields"])
        assert case["refused"] in [v.field for v in info.value.violations]
    else:
        assert seedance.validate(**case["fields"]).get("mode") == case["mode"]


def test_a_malformed_idempotency_key_is_refused_before_sending(emu: Emulator) -> None:
    with emu.client() as c:
        before = emu.stats(total=True)["requests"]
        for key in ("order 42", "k" * 256, "clé"):
            with pytest.raises(seedance.ConfigurationError) as info:
                c.submit(prompt=PROMPT, idempotency_key=key)
            assert "idempotency_key" in str(info.value)
        assert emu.stats(total=True)["requests"] == before


def test_revoked_and_unknown_keys_are_authentication_errors(emu: Emulator) -> None:
    for key in (emu.revoked_key, "sk_test_nobody"):
        with emu.client(key) as c:
            with pytest.raises(seedance.AuthenticationError) as info:
                c.submit(prompt=PROMPT)
        assert info.value.status == 401 and info.value.code == "unauthorized"
        assert key not in str(info.value)


def test_an_empty_balance_is_insufficient_credits(emu: Emulator) -> None:
    with emu.client(emu.no_credits_key) as c:
        with pytest.raises(seedance.InsufficientCreditsError) as info:
            c.submit(prompt=PROMPT)
    assert info.value.status == 402


def test_a_refused_prompt_is_an_invalid_request(client: seedance.Client, emu: Emulator) -> None:
    with pytest.raises(seedance.InvalidRequestError) as info:
        client.submit(prompt=f"Something {emu.refusal_marker} here")
    assert info.value.status == 400 and info.value.message


def test_unknown_task_is_not_found(client: seedance.Client) -> None:
    with pytest.raises(seedance.NotFoundError) as info:
        client.get_task("sd2_does_not_exist")
    assert info.value.status == 404


def test_reusing_a_key_with_another_body_is_a_conflict(client: seedance.Client) -> None:
    client.submit(prompt=PROMPT, idempotency_key="conflict-1")
    with pytest.raises(seedance.IdempotencyConflictError) as info:
        client.submit(prompt=PROMPT + " at night", idempotency_key="conflict-1")
    assert info.value.status == 409


@pytest.mark.parametrize(
    "kind, cls, status",
    [
        ("service_busy", seedance.ServiceBusyError, 503),
        ("internal_error", seedance.InternalServerError, 500),
        ("rate_limited", seedance.RateLimitedError, 429),
    ],
)
def test_retryable_errors_surface_when_retries_run_out(
    emu: Emulator, kind: str, cls: type, status: int
) -> None:
    emu.inject("submit", kind, retry_after=1 if kind == "rate_limited" else None)
    with emu.client(max_retries=0) as c:
        with pytest.raises(cls) as info:
            c.submit(prompt=PROMPT)
    assert info.value.status == status
    if kind == "rate_limited":
        assert info.value.retry_after == pytest.approx(1.0)
    assert emu.stats()["tasks_created"] == 0


def test_a_transient_failure_is_retried_and_charged_once(emu: Emulator) -> None:
    emu.inject("submit", "drop_after", nth=1)  # handled and charged, answer lost
    emu.inject("submit", "service_busy", nth=2)
    with emu.client(max_retries=3) as c:
        task = c.submit(prompt=PROMPT)
    assert task.status == "processing"
    assert emu.stats()["tasks_created"] == 1


def test_a_failed_task_raises_task_failed_with_the_refund(
    client: seedance.Client, emu: Emulator
) -> None:
    with pytest.raises(seedance.TaskFailedError) as info:
        client.generate(prompt=f"A train {emu.failure_marker}")
    err = info.value
    assert err.task_id.startswith("sd2_")
    assert err.code and err.message
    assert err.credits_refunded > 0
    assert emu.stats()["credits_refunded"] == err.credits_refunded


def test_wait_timeout_is_also_a_timeout_error(slow_emu: Emulator) -> None:
    with slow_emu.client() as c:
        task = c.submit(prompt=PROMPT)
        with pytest.raises(TimeoutError) as info:
            c.wait(task, timeout=0.3)
    err = info.value
    assert isinstance(err, seedance.WaitTimeoutError)
    assert err.task_id == task.id
    assert err.waited >= 0.25


def test_an_html_answer_is_an_api_response_error(emu: Emulator) -> None:
    emu.inject("get_task", "html_bad_gateway")
    with emu.client(max_retries=0) as c:
        task = c.submit(prompt=PROMPT)
        with pytest.raises(seedance.APIResponseError) as info:
            c.get_task(task)
    assert info.value.status == 502
    assert "<html" in info.value.body.lower()


def test_malformed_json_is_an_api_response_error(emu: Emulator) -> None:
    emu.inject("get_task", "malformed_json")
    with emu.client(max_retries=0) as c:
        task = c.submit(prompt=PROMPT)
        with pytest.raises(seedance.APIResponseError):
            c.get_task(task)


#: The kinds APIConnectionError's docstring lists.
CONNECTION_KINDS = set(re.findall(r'``"(\w+)"``', seedance.APIConnectionError.__doc__ or ""))


def test_nobody_listening_is_a_connection_error() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with seedance.Client("sk_test_x", f"http://127.0.0.1:{port}", max_retries=0) as c:
        with pytest.raises(seedance.APIConnectionError) as info:
            c.get_task("sd2_x")
    assert info.value.kind == "connect"
    # the kind survives a pickle round trip (errors cross process pools)
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is seedance.APIConnectionError and again.kind == "connect"
    assert str(again) == str(info.value)


def test_a_dropped_connection_is_a_connection_error(emu: Emulator) -> None:
    emu.inject("get_task", "drop_before")
    with emu.client(max_retries=0) as c:
        task = c.submit(prompt=PROMPT)
        with pytest.raises(seedance.APIConnectionError) as info:
            c.get_task(task)
    assert info.value.kind in CONNECTION_KINDS, info.value.kind


def test_a_failing_cdn_is_a_download_error(
    client: seedance.Client, emu: Emulator, tmp_path: Path
) -> None:
    task = client.generate(prompt=PROMPT)
    emu.inject("cdn", "internal_error")
    with pytest.raises(seedance.DownloadError) as info:
        client.download(task, tmp_path / "clip.mp4")
    assert "500" in str(info.value)
    assert info.value.kind == "status"
    assert not (tmp_path / "clip.mp4").exists()
    assert emu.stats()["cdn_requests"] >= 1


def test_a_task_without_output_is_a_download_error(
    client: seedance.Client, tmp_path: Path
) -> None:
    task = seedance.Task.from_json({"id": "sd2_x", "status": "processing"})
    with pytest.raises(seedance.DownloadError) as info:
        client.download(task, tmp_path / "x.mp4")
    assert info.value.kind == "no_output"


@pytest.mark.parametrize(
    "endpoint, kind, cls",
    [
        ("submit", "service_busy", seedance.ServiceBusyError),
        ("submit", "internal_error", seedance.InternalServerError),
        ("submit", "rate_limited", seedance.RateLimitedError),
        ("submit", "drop_before", seedance.APIConnectionError),
        ("submit", "html_bad_gateway", seedance.APIResponseError),
        ("cdn", "internal_error", seedance.DownloadError),
    ],
)
async def test_the_async_client_raises_the_same_classes(
    emu: Emulator, tmp_path: Path, endpoint: str, kind: str, cls: type
) -> None:
    async with emu.async_client(max_retries=0) as c:
        done = await c.generate(prompt=PROMPT) if endpoint == "cdn" else None
        emu.inject(endpoint, kind)
        with pytest.raises(cls):
            if done is not None:
                await c.download(done, tmp_path / "clip.mp4")
            else:
                await c.submit(prompt=PROMPT)


def test_the_documented_retryable_statuses_are_the_cores() -> None:
    """Reading R27: Client's docstring states the HTTP statuses that are retried; they are
    exactly the core's RETRYABLE_STATUSES (as the native module exposes them), and the
    statuses it says are never retried are none of them."""
    import re

    from seedance import _seedance

    core = _seedance.RETRYABLE_STATUSES
    for cls in (seedance.Client,):
        doc = " ".join((cls.__doc__ or "").split())
        found = re.search(r"HTTP ((?:\d{3}, )*\d{3} and \d{3})", doc)
        assert found, f"{cls.__name__}'s docstring names no retried statuses"
        assert tuple(int(s) for s in re.findall(r"\d{3}", found.group(1))) == core, found.group(0)
        never = re.search(r"never ((?:\d{3}, )*\d{3})", doc)
        assert never, f"{cls.__name__}'s docstring names no final statuses"
        assert not {int(s) for s in re.findall(r"\d{3}", never.group(1))} & set(core)


def test_the_error_table_names_a_class_of_the_package_for_every_class() -> None:
    """Issue 9, ask 3: Python's exception classes derive from the SDK's one table
    (`ErrorClass::python_exception`), exposed as `_seedance.ERROR_TABLE`."""
    import builtins

    from seedance import _seedance

    table = _seedance.ERROR_TABLE
    assert len(table) >= 21 and len(set(table)) == len(table)
    for name, exc in table.items():
        cls = getattr(seedance, exc, None) or getattr(builtins, exc)
        assert isinstance(cls, type) and issubclass(cls, BaseException), (name, exc)
    # the eight API codes each have a class of their own
    codes = ["unauthorized", "invalid_request", "insufficient_credits", "rate_limited",
             "idempotency_conflict", "service_busy", "not_found", "internal_error"]
    assert len({table[c] for c in codes}) == 8


def _raised(call: Any) -> BaseException:
    try:
        call()
    except BaseException as e:  # noqa: BLE001 - the point of the test
        return e
    raise AssertionError("nothing was raised")


def test_every_raised_error_is_the_tables_class(emu: Emulator, tmp_path: Path) -> None:
    """What is raised for each provoked error class is exactly the table's exception
    (not a subclass picked by hand in the glue)."""
    from seedance import _seedance

    table = _seedance.ERROR_TABLE
    with emu.client(max_retries=0) as c:
        done = c.generate(prompt=PROMPT)
        cases: List[Tuple[str, Any]] = [
            ("validation", lambda: c.submit(prompt="x", resolution="4k", quality_tier="mini")),
            ("not_found", lambda: c.get_task("sd2_missing")),
            ("task_failed", lambda: c.generate(prompt=f"A train {emu.failure_marker}")),
            ("wait_timeout", lambda: c.wait(c.submit(prompt=PROMPT), timeout=0.001)),
        ]
        faults = [
            ("submit", "service_busy", "service_busy"),
            ("submit", "internal_error", "internal_error"),
            ("submit", "rate_limited", "rate_limited"),
            ("submit", "drop_before", "network"),
            ("submit", "html_bad_gateway", "response_invalid"),
        ]
        seen = []
        for name, call in cases:
            seen.append((name, _raised(call)))
        for endpoint, kind, name in faults:
            emu.inject(endpoint, kind)
            seen.append((name, _raised(lambda: c.submit(prompt=PROMPT))))
            emu.clear_faults()
        emu.inject("cdn", "internal_error")
        seen.append(("download", _raised(lambda: c.download(done, tmp_path / "clip.mp4"))))
    with emu.client(emu.revoked_key) as bad:
        seen.append(("unauthorized", _raised(lambda: bad.submit(prompt=PROMPT))))
    for name, err in seen:
        assert type(err).__name__ == table[name], (name, type(err), err)
