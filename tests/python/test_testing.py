"""seedance.testing.Emulator: the controls users get for their own tests."""

from __future__ import annotations

import pytest

import seedance
from seedance import _seedance
from seedance.testing import ENDPOINTS, FAULT_KINDS, Emulator

from conftest import PROMPT


def test_lifecycle_and_urls() -> None:
    with Emulator() as emu:
        assert emu.running
        assert emu.base_url.startswith("http://127.0.0.1:")
        assert emu.cdn_url.startswith("http://127.0.0.1:") and emu.cdn_url != emu.base_url
        assert emu.api_key and emu.api_key != emu.revoked_key != emu.no_credits_key
        assert "Emulator(base_url=" in repr(emu)
    assert not emu.running
    emu.close()  # idempotent
    with pytest.raises(RuntimeError):
        emu.stats()


async def test_async_context_manager() -> None:
    async with Emulator() as emu:
        async with emu.async_client() as client:
            assert (await client.generate(prompt=PROMPT)).is_completed


def test_stats_reset_and_credits(emu: Emulator, client: seedance.Client) -> None:
    before = emu.stats()["credits_balance"]
    task = client.submit(prompt=PROMPT)
    s = emu.stats()
    assert s["requests"] == 1 and s["submits"] == 1 and s["tasks_created"] == 1
    assert s["credits_charged"] == task.credits_used
    assert s["credits_balance"] == before - (task.credits_used or 0)
    assert emu.stats(total=True)["requests"] >= 1
    assert [t.id for t in emu.tasks()] == [task.id]
    emu.reset()
    assert emu.stats()["requests"] == 0 and emu.tasks() == []
    emu.set_credits("acct_test", 0)
    with pytest.raises(seedance.InsufficientCreditsError):
        client.submit(prompt=PROMPT)
    with pytest.raises(ValueError):
        emu.set_credits("acct_nobody", 1)
    with pytest.raises(ValueError):
        emu.stats("acct_nobody")


def test_extra_accounts(emu: Emulator) -> None:
    emu.add_account("acct_b", "sk_test_b", 500, revoked_key="sk_test_b_old")
    with emu.client("sk_test_b") as c:
        c.submit(prompt=PROMPT)
    assert emu.stats("acct_b")["tasks_created"] == 1
    assert emu.stats()["tasks_created"] == 0
    with emu.client("sk_test_b_old") as c:
        with pytest.raises(seedance.AuthenticationError):
            c.submit(prompt=PROMPT)
    with Emulator(accounts=[("acct_c", "sk_test_c", 40)]) as e2:
        assert e2.stats("acct_c")["credits_balance"] == 40


def test_configure(emu: Emulator, client: seedance.Client) -> None:
    emu.configure(failure_probability=1.0)
    assert emu.config()["failure_probability"] == 1.0
    with pytest.raises(seedance.TaskFailedError):
        client.generate(prompt=PROMPT)
    with pytest.raises(ValueError):
        emu.configure(colour="red")
    # the emulator's own checks (the same as POST /_emulator/config), nothing changed
    for bad in ({"time_scale": -1.0}, {"failure_probability": 2.0}, {"time_scale": "fast"}):
        with pytest.raises(ValueError):
            emu.configure(**bad)
    assert emu.config()["time_scale"] == 1000.0
    assert emu.config()["failure_probability"] == 1.0


def test_fault_injection_controls(emu: Emulator) -> None:
    assert "submit" in ENDPOINTS and "service_busy" in FAULT_KINDS
    emu.inject("any", "service_busy", times=2)
    with emu.client(max_retries=0) as c:
        for _ in range(2):
            with pytest.raises(seedance.ServiceBusyError):
                c.get_task("sd2_x")
        with pytest.raises(seedance.NotFoundError):  # the fault is spent
            c.get_task("sd2_x")
    emu.inject("get_task", "unknown_status", status="queued")
    with emu.client() as c:
        t = c.submit(prompt=PROMPT)
        assert c.get_task(t).status == "queued"
        emu.clear_faults()
        assert c.get_task(t).status in ("processing", "completed")
    with pytest.raises(ValueError):
        emu.inject("submit", "gremlins")
    with pytest.raises(ValueError):
        emu.inject("nowhere", "service_busy")
    with pytest.raises(ValueError):
        emu.inject("submit", "delay")  # needs delay=
    for bad in (
        {"retry_after": 3},  # belongs to rate_limited
        {"status": "queued"},  # belongs to unknown_status
        {"probability": 1.5},
        {"delay": -1.0},
        {"delay": float("nan")},
    ):
        with pytest.raises(ValueError):
            emu.inject("submit", "service_busy", **bad)  # type: ignore[arg-type]


def test_fault_kinds_are_the_emulators(emu: Emulator) -> None:
    assert list(FAULT_KINDS) == list(_seedance._Emulator.FAULT_KINDS)


def test_hostile_faults_take_their_parameters(emu: Emulator) -> None:
    with emu.client(max_retries=0) as c:
        task = c.submit(prompt=PROMPT)
        emu.inject("get_task", "foreign_task_id", task_id="sd2_someone_else", nth=1)
        with pytest.raises(seedance.SeedanceError):
            c.get_task(task.id)
        emu.inject("get_task", "huge_body", size_bytes=3 * 1024 * 1024, nth=1)
        with pytest.raises(seedance.SeedanceError):
            c.get_task(task.id)
        assert c.get_task(task.id).id == task.id
    with pytest.raises(ValueError):
        emu.inject("get_task", "delay", task_id="sd2_x")


def test_delay_and_rate_limited_faults(emu: Emulator) -> None:
    import time

    emu.inject("get_task", "delay", delay=0.3, nth=1)
    emu.inject("submit", "rate_limited", retry_after=7, nth=1)
    with emu.client(max_retries=0) as c:
        with pytest.raises(seedance.RateLimitedError) as info:
            c.submit(prompt=PROMPT)
        assert info.value.retry_after == pytest.approx(7.0)
        t = c.submit(prompt=PROMPT)
        started = time.monotonic()
        c.get_task(t)
        assert time.monotonic() - started >= 0.29


def test_the_rate_limit_is_shared_and_the_client_stays_under_it() -> None:
    with Emulator(rate_limit=(5, 0.5)) as emu:
        with emu.client() as c:
            t = c.submit(prompt=PROMPT)
            for _ in range(12):
                c.get_task(t)
        assert emu.stats()["rate_limited"] == 0
        # a client that ignores the budget meets the server's 429s
        with emu.client(rate_limit=False, max_retries=0) as c:
            with pytest.raises(seedance.RateLimitedError):
                for _ in range(12):
                    c.get_task(t)
