"""Test helpers: a local Seedance API (the project's emulator) for your own tests.

::

    from seedance.testing import Emulator

    def test_my_pipeline():
        with Emulator() as emu:                 # 127.0.0.1, random ports, fast renders
            with emu.client() as client:
                task = client.generate(prompt="A glass train crossing a snowy bridge")
            assert task.is_completed
            assert emu.stats()["tasks_created"] == 1

The emulator implements the whole API contract: keys (``emu.api_key``, a revoked
``emu.revoked_key``, an empty account's ``emu.no_credits_key``), credits and refunds, both
rate limits, idempotency, validation, simulated render times (divided by ``time_scale``),
real MP4/PNG outputs on a second "CDN" origin, and fault injection (``emu.inject``).
"""

from __future__ import annotations

from typing import Any, Dict, List, Literal, Optional, Tuple, Union

from . import _seedance
from ._client import AsyncClient, Client
from ._seedance import Task

__all__ = ["Emulator", "ENDPOINTS", "FAULT_KINDS"]

#: Where a fault applies.
ENDPOINTS = ("submit", "get_task", "any", "cdn")
#: What a fault does (the emulator's ``FaultKind::NAMES``, with what each does).
FAULT_KINDS = (
    "service_busy",  # 503 before handling (no task)
    "internal_error",  # 500 before handling (no task)
    "rate_limited",  # 429 with Retry-After: retry_after seconds
    "drop_before",  # connection closed, request not handled
    "drop_after",  # request handled (a submit charges), then the connection is closed
    "delay",  # answer after delay seconds
    "malformed_json",  # truncated JSON body
    "html_bad_gateway",  # 502 with an HTML page, as a proxy would
    "extra_fields",  # unknown fields added to the JSON
    "unknown_status",  # this status value (default "queued") in the task
    "huge_body",  # a JSON answer of size_bytes bytes (default 2 MiB)
    "endless_body",  # a body that never ends (API and CDN)
    "absurd_retry_after",  # 429 with this Retry-After header text (default "1e300")
    "foreign_task_id",  # the answer names another task id (task_id)
    "control_chars",  # terminal escape sequences inside server strings
    "content_length_lie",  # Content-Length of size_bytes (default: half the real length)
)

RateArg = Union[Tuple[int, float], Literal[False], None]


class Emulator:
    """A running Seedance API emulator, on 127.0.0.1 with random ports.

    ``time_scale`` divides the simulated render times (1000 turns minutes into
    milliseconds). ``rate_limit`` is the account-wide budget as ``(requests, seconds)``
    (default 30 per 60 s, as the real API; tests usually scale the window down, e.g.
    ``(30, 1.0)``) or ``False`` for none; ``media_rate_limit`` likewise for submits with
    reference media. ``accounts`` adds ``(account_id, key, credits)`` accounts.
    """

    def __init__(
        self,
        *,
        time_scale: float = 1000.0,
        rate_limit: RateArg = None,
        media_rate_limit: RateArg = None,
        accounts: Optional[List[Tuple[str, str, int]]] = None,
        credits: Optional[int] = None,
    ) -> None:
        self.time_scale = time_scale
        self.rate_limit = rate_limit
        self.media_rate_limit = media_rate_limit
        self._native = _seedance._Emulator(
            time_scale=time_scale,
            rate_limit=rate_limit,
            media_rate_limit=media_rate_limit,
            accounts=accounts,
            credits=credits,
        )

    # ---- lifecycle ----------------------------------------------------------------------

    def __enter__(self) -> "Emulator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> "Emulator":
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stops the emulator (both listeners). Idempotent."""
        self._native.shutdown()

    @property
    def running(self) -> bool:
        """Whether the emulator is still serving."""
        return self._native.running

    def __repr__(self) -> str:
        return f"seedance.testing.Emulator(base_url={self.base_url!r})"

    # ---- where and who ------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The API origin, ``http://127.0.0.1:PORT``: give it to ``Client(base_url=...)``."""
        return self._native.base_url

    @property
    def cdn_url(self) -> str:
        """The origin that serves task outputs."""
        return self._native.cdn_url

    @property
    def api_key(self) -> str:
        """The default test account's key."""
        return self._native.api_key

    @property
    def second_key(self) -> str:
        """Another key of the default account (same budget, same credits)."""
        return self._native.second_key

    @property
    def revoked_key(self) -> str:
        """A revoked key: every request gets 401 (``AuthenticationError``)."""
        return self._native.revoked_key

    @property
    def no_credits_key(self) -> str:
        """The key of an account with an empty balance: submits get 402."""
        return self._native.no_credits_key

    @property
    def failure_marker(self) -> str:
        """Put this in a prompt to make its task fail (credits refunded)."""
        return self._native.failure_marker

    @property
    def refusal_marker(self) -> str:
        """Put this in a prompt to have it refused by the content policy (400)."""
        return self._native.refusal_marker

    def _client_settings(self, kwargs: Dict[str, Any]) -> Dict[str, Any]:
        # The client's polling is scaled like the renders, and its budget is the
        # emulator's (scaled windows), so that it neither waits for nothing nor gets 429s.
        kwargs.setdefault("time_scale", self.time_scale)
        # Hermetic: no jobs of test emulators in the user's job store (pass journal=PATH
        # to test resuming).
        kwargs.setdefault("journal", False)
        if self.rate_limit is not None:
            kwargs.setdefault("rate_limit", self.rate_limit)
        if self.media_rate_limit is not None:
            kwargs.setdefault("media_rate_limit", self.media_rate_limit)
        return kwargs

    def client(self, api_key: Optional[str] = None, **kwargs: Any) -> Client:
        """A :class:`seedance.Client` for this emulator: its key, URL, time scale and
        rate budget. Keyword arguments go to ``Client``."""
        return Client(api_key or self.api_key, self.base_url, **self._client_settings(kwargs))

    def async_client(self, api_key: Optional[str] = None, **kwargs: Any) -> AsyncClient:
        """A :class:`seedance.AsyncClient` for this emulator (as :meth:`client`)."""
        return AsyncClient(
            api_key or self.api_key, self.base_url, **self._client_settings(kwargs)
        )

    # ---- controls -----------------------------------------------------------------------

    def stats(self, account: Optional[str] = None, *, total: bool = False) -> Dict[str, int]:
        """Counters (``requests``, ``submits``, ``task_reads``, ``tasks_created``,
        ``credits_charged``, ``credits_refunded``, ``credits_balance``, ``rate_limited``,
        ``idempotent_replays``, ``cdn_requests``, ``cdn_auth_headers_seen``, ...) of the
        default account, of ``account``, or (``total=True``) of everything."""
        return self._native.stats(account, total=total)

    def inject(
        self,
        endpoint: str,
        kind: str,
        *,
        nth: Optional[int] = None,
        times: Optional[int] = None,
        probability: Optional[float] = None,
        retry_after: Optional[int] = None,
        delay: Optional[float] = None,
        status: Optional[str] = None,
        size_bytes: Optional[int] = None,
        retry_after_header: Optional[str] = None,
        task_id: Optional[str] = None,
    ) -> None:
        """Injects a fault: ``endpoint`` in :data:`ENDPOINTS`, ``kind`` in
        :data:`FAULT_KINDS`. Without ``nth``/``times``/``probability`` it fires on every
        matching request; ``nth=n`` fires on the n-th only; ``times=k`` stops after k.
        ``retry_after`` (seconds) belongs to ``rate_limited``, ``delay`` (seconds, required)
        to ``delay``, ``status`` to ``unknown_status``, ``size_bytes`` to ``huge_body`` and
        ``content_length_lie``,
        ``retry_after_header`` (the header's raw text) to ``absurd_retry_after`` and
        ``task_id`` to ``foreign_task_id``. Raises ``ValueError`` for what
        the emulator cannot apply."""
        fault: Dict[str, Any] = {"endpoint": endpoint, "kind": kind}
        for name, value in (
            ("nth", nth),
            ("times", times),
            ("probability", probability),
            ("retry_after_secs", retry_after),
            ("status", status),
            ("size_bytes", size_bytes),
            ("retry_after", retry_after_header),
            ("task_id", task_id),
        ):
            if value is not None:
                fault[name] = value
        if delay is not None:
            if not (isinstance(delay, (int, float)) and 0 <= delay < 2**53 / 1000):
                raise ValueError(f"delay must be a number of seconds >= 0, got {delay!r}")
            fault["delay_ms"] = round(delay * 1000)
        self._native.inject(fault)

    def clear_faults(self) -> None:
        """Removes every injected fault."""
        self._native.clear_faults()

    def reset(self) -> None:
        """Back to the state at start: no tasks, idempotency keys, rate windows, faults
        or counters; balances as built."""
        self._native.reset()

    def config(self) -> Dict[str, Any]:
        """The runtime configuration (time_scale, rate limits, markers, ...)."""
        return self._native.config()

    def configure(self, **changes: Any) -> None:
        """Changes runtime configuration fields, e.g. ``failure_probability=0.5``."""
        self._native.configure(changes)

    def set_credits(self, account: str, credits: int) -> None:
        """Sets an account's balance."""
        self._native.set_credits(account, credits)

    def add_account(
        self, account: str, key: str, credits: int, *, revoked_key: Optional[str] = None
    ) -> None:
        """Adds (or replaces) an account with a key (and optionally a revoked key)."""
        self._native.add_account(account, key, credits, revoked_key=revoked_key)

    def tasks(self) -> List[Task]:
        """Every task the emulator holds, oldest first."""
        return self._native.tasks()

    def cdn_auth_headers(self) -> List[str]:
        """Every ``Authorization`` header the CDN received (the SDK never sends one)."""
        return self._native.cdn_auth_headers()
