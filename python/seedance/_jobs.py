"""``seedance.Job``: one job of the job store, as :meth:`Client.jobs` lists it.

The store is the CLI's (``seedance jobs`` shows the same rows); the native side reads it
and gives each job as the store's JSON object, which :class:`Job` wraps with types.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
import json
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterable, List, Literal, Optional, Tuple, Union

__all__ = ["Job", "JobState", "Charge", "Since"]

#: Where a job stands: ``pending → sent → submitted → completed → downloaded``, or
#: ``failed`` / ``interrupted`` / ``forgotten``.
JobState = Literal[
    "pending", "sent", "submitted", "completed", "downloaded", "failed", "interrupted", "forgotten"
]
#: What is known about a job's charge.
Charge = Literal["never_sent", "refused_not_charged", "may_be_charged", "charged"]
#: An age for :meth:`Client.jobs`: seconds, a ``timedelta``, or a ``datetime`` (a moment).
Since = Union[float, int, timedelta, datetime]


def _time(ms: Any) -> Optional[datetime]:
    if ms is None:
        return None
    return datetime.fromtimestamp(int(ms) / 1000.0, tz=timezone.utc)


class Job:
    """One job of the store (read-only).

    ``state`` is where it stands (:data:`JobState`), ``charge`` what is known about its
    charge (:data:`Charge`: ``"never_sent"``, ``"refused_not_charged"``,
    ``"may_be_charged"``, ``"charged"``), ``task_id`` the server's task (``None`` until
    heard), ``idempotency_key`` its key, ``origin`` and ``account`` (a fingerprint of the
    key, never the key) whom it belongs to, ``output`` where its files go, ``last_error``
    the last error met, ``request`` the body as sent, ``task`` the task's last answer,
    ``downloaded`` the files written, ``unfinished`` whether :meth:`Client.resume` has
    work for it, and the times of each step as UTC ``datetime`` (``created_at``,
    ``sent_at``, ``submitted_at``, ``completed_at``, ``downloaded_at``, ``ended_at``,
    ``updated_at``; ``None`` for steps not taken).
    """

    __slots__ = (
        "id",
        "idempotency_key",
        "state",
        "charge",
        "task_id",
        "origin",
        "account",
        "output",
        "last_error",
        "request",
        "task",
        "downloaded",
        "unfinished",
        "created_at",
        "sent_at",
        "submitted_at",
        "completed_at",
        "downloaded_at",
        "ended_at",
        "updated_at",
    )

    id: int
    idempotency_key: str
    state: JobState
    charge: Charge
    task_id: Optional[str]
    origin: str
    account: str
    output: Optional[str]
    last_error: Optional[str]
    request: Dict[str, Any]
    task: Optional[Dict[str, Any]]
    downloaded: Optional[Dict[str, Any]]
    unfinished: bool
    created_at: datetime
    sent_at: Optional[datetime]
    submitted_at: Optional[datetime]
    completed_at: Optional[datetime]
    downloaded_at: Optional[datetime]
    ended_at: Optional[datetime]
    updated_at: datetime

    def __init__(self, row: Dict[str, Any]) -> None:
        """From the store's JSON object of a job (as ``seedance jobs --json`` prints it)."""
        set_ = object.__setattr__
        request = row.get("request")
        set_(self, "id", int(row["id"]))
        set_(self, "idempotency_key", str(row["idempotency_key"]))
        set_(self, "state", row["state"])
        set_(self, "charge", row["charge"])
        set_(self, "task_id", row.get("task_id"))
        set_(self, "origin", row.get("origin") or "")
        set_(self, "account", row.get("account") or "")
        set_(self, "output", row.get("output"))
        set_(self, "last_error", row.get("last_error"))
        set_(self, "request", request if isinstance(request, dict) else {})
        set_(self, "task", row.get("task"))
        set_(self, "downloaded", row.get("downloaded"))
        set_(self, "unfinished", bool(row.get("unfinished", False)))
        created = _time(row.get("created_ms"))
        set_(self, "created_at", created or datetime.fromtimestamp(0, tz=timezone.utc))
        for step in ("sent", "submitted", "completed", "downloaded", "ended"):
            set_(self, f"{step}_at", _time(row.get(f"{step}_ms")))
        set_(self, "updated_at", _time(row.get("updated_ms")) or self.created_at)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"seedance.Job is read-only (setting {name!r})")

    @property
    def prompt(self) -> Optional[str]:
        """The request's prompt."""
        p = self.request.get("prompt")
        return p if isinstance(p, str) else None

    def _key(self) -> Tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Job):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]  # holds dicts: not hashable

    def __repr__(self) -> str:
        return (
            f"seedance.Job(#{self.id} {self.state}, charge={self.charge}, "
            f"task_id={self.task_id!r}, idempotency_key={self.idempotency_key!r}, "
            f"origin={self.origin!r})"
        )


def _age_secs(name: str, value: Optional[Since]) -> Optional[float]:
    """An age argument as seconds (a ``datetime`` is the time since it)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.astimezone()
        return max(0.0, (datetime.now(timezone.utc) - moment).total_seconds())
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name}= takes seconds, a timedelta or a datetime, got {type(value).__name__}")
    return float(value)


def _states(state: Union[str, Iterable[str], None]) -> Optional[List[str]]:
    if state is None:
        return None
    if isinstance(state, str):
        return [state]
    return [str(s) for s in state]


def _list(
    native: Any,
    state: Union[str, Iterable[str], None],
    origin: Optional[str],
    since: Optional[Since],
    before: Optional[Since],
    unfinished: bool,
    all_origins: bool,
) -> List[Job]:
    text = native.jobs_json(
        state=_states(state),
        origin=origin,
        since=_age_secs("since", since),
        before=_age_secs("before", before),
        unfinished=unfinished,
        all_origins=all_origins,
    )
    return [Job(row) for row in json.loads(text)]
