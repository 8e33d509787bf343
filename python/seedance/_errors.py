"""The exception hierarchy of the ``seedance`` package.

Every error the SDK raises is a :class:`SeedanceError`. API errors get one class per
documented code, so callers can ``except seedance.RateLimitedError`` instead of
comparing strings::

    SeedanceError
    ├── ValidationError            request refused locally, before any request
    ├── APIError                   the server answered with an error
    │   ├── AuthenticationError        401 unauthorized
    │   ├── InvalidRequestError        400 invalid_request
    │   ├── InsufficientCreditsError   402 insufficient_credits
    │   ├── RateLimitedError           429 rate_limited
    │   ├── IdempotencyConflictError   409 idempotency_conflict
    │   ├── ServiceBusyError           503 service_busy
    │   ├── NotFoundError              404 not_found
    │   └── InternalServerError        500 internal_error
    ├── TaskFailedError            the task ended as failed
    ├── WaitTimeoutError           (also a TimeoutError) wait() gave up
    ├── APIConnectionError         no usable answer (network, DNS, TLS, dropped connection)
    ├── APIResponseError           an answer that is not the API's JSON (e.g. an HTML 502)
    ├── DownloadError              fetching the output from the CDN failed
    └── ConfigurationError         bad client settings (e.g. no API key, timeout=1e300);
                                   also a ValueError

    KeyboardInterrupt
    └── Interrupted                Ctrl-C during generate()/wait(): names the job that goes on

A panic inside the native extension (a bug) is a plain :class:`SeedanceError` too.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

__all__ = [
    "SeedanceError",
    "Violation",
    "ValidationError",
    "APIError",
    "AuthenticationError",
    "InvalidRequestError",
    "InsufficientCreditsError",
    "RateLimitedError",
    "IdempotencyConflictError",
    "ServiceBusyError",
    "NotFoundError",
    "InternalServerError",
    "TaskFailedError",
    "WaitTimeoutError",
    "APIConnectionError",
    "APIResponseError",
    "DownloadError",
    "ConfigurationError",
    "Interrupted",
]


class SeedanceError(Exception):
    """Base class of every error raised by the ``seedance`` package."""


class Violation:
    """One broken rule of a request: the field, the rule's stable name (``length``,
    ``needs_pro_tier``, ``prompt_lint``...), and a message naming the value. Immutable."""

    __slots__ = ("field", "rule", "message")

    field: str
    rule: str
    message: str

    def __init__(self, field: str, rule: str, message: str) -> None:
        object.__setattr__(self, "field", field)
        object.__setattr__(self, "rule", rule)
        object.__setattr__(self, "message", message)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Violation is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Violation):
            return NotImplemented
        return (self.field, self.rule, self.message) == (other.field, other.rule, other.message)

    def __hash__(self) -> int:
        return hash((self.field, self.rule, self.message))

    def __repr__(self) -> str:
        return f"Violation(field={self.field!r}, rule={self.rule!r}, message={self.message!r})"

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ValidationError(SeedanceError):
    """The request breaks the API's rules; raised before anything is sent.

    ``violations`` lists every broken rule at once, not just the first.
    """

    violations: List[Violation]

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = list(violations)
        super().__init__(
            "invalid request (nothing was sent):"
            + "".join(f"\n  {v}" for v in self.violations)
        )

    def fields(self) -> List[str]:
        """The fields named by the violations, in order, without repeats."""
        seen: Dict[str, None] = {}
        for v in self.violations:
            seen.setdefault(v.field, None)
        return list(seen)


class APIError(SeedanceError):
    """The API answered with an error body ``{"error": {"code", "message"}}``.

    A code this version does not know raises ``APIError`` itself.
    """

    status: int
    code: str
    message: str
    retry_after: Optional[float]
    #: What to do about it, appended to the message in parentheses (``None``: nothing).
    HINT: Optional[str] = None

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        code: str = "",
        retry_after: Optional[float] = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        text = f"{code} (HTTP {status}): {message}" if code else message
        super().__init__(text if self.HINT is None else f"{text} ({self.HINT})")


class AuthenticationError(APIError):
    """401 ``unauthorized``: the API key is missing, invalid or revoked. The message says
    where the key comes from (``api_key=`` or ``SEEDANCE_API_KEY``)."""

    HINT = "check SEEDANCE_API_KEY (or the api_key= given to the client)"


class InvalidRequestError(APIError):
    """400 ``invalid_request``: bad input or an unsupported field."""


class InsufficientCreditsError(APIError):
    """402 ``insufficient_credits``: the balance is empty; top up and retry."""


class RateLimitedError(APIError):
    """429 ``rate_limited``: over the account's budget (30 requests per 60 s).

    ``retry_after`` holds the server's ``Retry-After`` in seconds, when given.
    """


class IdempotencyConflictError(APIError):
    """409 ``idempotency_conflict``: the key was reused with another body, or the first
    request with it is still running."""


class ServiceBusyError(APIError):
    """503 ``service_busy``: a temporary upstream or credit-concurrency issue."""


class NotFoundError(APIError):
    """404 ``not_found``: no such task for this key's owner."""


class InternalServerError(APIError):
    """500 ``internal_error``: an unexpected server-side failure."""


class TaskFailedError(SeedanceError):
    """The task ended without a result (``failed``, or a terminal failure status).

    ``credits_refunded`` tells how many credits the provider gave back.
    """

    task_id: str
    code: str
    message: str
    credits_refunded: int

    def __init__(
        self,
        task_id: str,
        code: str,
        message: str,
        credits_refunded: int = 0,
    ) -> None:
        self.task_id = task_id
        self.code = code
        self.message = message
        self.credits_refunded = credits_refunded
        super().__init__(
            f"task {task_id} failed: {code}: {message} "
            f"({credits_refunded} credits refunded)"
        )


class WaitTimeoutError(SeedanceError, TimeoutError):
    """``wait()`` gave up before the task ended. The task goes on: wait again later."""

    task_id: str
    waited: float

    def __init__(self, task_id: str, waited: float) -> None:
        self.task_id = task_id
        self.waited = waited
        super().__init__(
            f"task {task_id} still not finished after {waited:.1f} s; it goes on rendering: "
            f"call wait({task_id!r}) later (submitting again would pay twice)"
        )


class APIConnectionError(SeedanceError):
    """No usable answer: connection refused or dropped, DNS, TLS, or the request timed out
    (after the retries the client allows). ``kind`` says which, as a stable name:
    ``"connect"``, ``"dns"``, ``"tls"``, ``"timeout"``, ``"body"``, ``"body_too_large"``,
    ``"redirect_refused"``, ``"too_many_redirects"``, ``"invalid_redirect"``,
    ``"poller_stopped"`` or ``"request"`` (``None`` when not known)."""

    kind: Optional[str]

    def __init__(self, message: str, *, kind: Optional[str] = None) -> None:
        self.kind = kind
        super().__init__(message)


class APIResponseError(SeedanceError):
    """The server answered with something that is not the API's JSON (e.g. an HTML 502
    page from a proxy). ``status`` is the HTTP status; ``body`` the start of the body."""

    status: int
    body: str

    def __init__(self, message: str, *, status: int = 0, body: str = "") -> None:
        self.status = status
        self.body = body
        super().__init__(message)


class DownloadError(SeedanceError):
    """Fetching a task's output from the CDN failed (or the task has no output). ``kind``
    says why, as a stable name: ``"no_output"``, ``"url"``, ``"file_name"``,
    ``"status"``, ``"range"``, ``"content_type"``, ``"too_large"``, ``"incomplete"``,
    ``"interrupted"`` or ``"deadline"`` (``None`` when not known)."""

    kind: Optional[str]

    def __init__(self, message: str, *, kind: Optional[str] = None) -> None:
        self.kind = kind
        super().__init__(message)


class ConfigurationError(SeedanceError, ValueError):
    """The client is set up wrongly, e.g. no API key given and ``SEEDANCE_API_KEY`` unset,
    or an argument out of range (``timeout=1e300``, ``rate_limit=(30, float("inf"))``): the
    message names the parameter. Also a :class:`ValueError`."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during :meth:`Client.generate`, :meth:`Client.wait`, :meth:`Client.submit`
    or :meth:`Client.resume`. A ``KeyboardInterrupt`` (so a bare ``except Exception``
    does not swallow it), naming the job that goes on rendering on the server:
    ``task_id`` (``None`` when the submit's answer was not heard yet) and
    ``idempotency_key`` (``None`` when not known, e.g. a ``wait`` on a task that is not
    in the job store); ``jobs`` lists every job left open as ``(task_id,
    idempotency_key)`` (several for ``resume``; ``task_id``/``idempotency_key`` are the
    first). The job stays in the store, marked ``interrupted``: :meth:`Client.resume`
    (or ``seedance resume`` in a terminal) finishes it without paying again."""

    task_id: Optional[str]
    idempotency_key: Optional[str]
    jobs: List[Tuple[Optional[str], Optional[str]]]

    def __init__(
        self,
        message: str = "interrupted",
        *,
        task_id: Optional[str] = None,
        idempotency_key: Optional[str] = None,
        jobs: Optional[Sequence[Tuple[Optional[str], Optional[str]]]] = None,
    ) -> None:
        self.task_id = task_id
        self.idempotency_key = idempotency_key
        if jobs is None:
            jobs = [(task_id, idempotency_key)] if task_id or idempotency_key else []
        self.jobs = list(jobs)
        super().__init__(message)
