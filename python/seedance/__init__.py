"""Python SDK for the Seedance 2 Video API.

::

    import seedance

    with seedance.Client() as client:                    # SEEDANCE_API_KEY from the env
        task = client.generate(prompt="A glass train crossing a snowy mountain bridge",
                               duration=5, resolution="720p", progress=True)
        client.download(task, "train.mp4")

The rules of the API, the HTTP client and the emulator are Rust (``seedance._seedance``);
this package gives them Python's shape. ``seedance.testing.Emulator`` runs a local API
for your own tests.
"""

from __future__ import annotations

from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseError,
    AuthenticationError,
    ConfigurationError,
    DownloadError,
    IdempotencyConflictError,
    InsufficientCreditsError,
    InternalServerError,
    Interrupted,
    InvalidRequestError,
    NotFoundError,
    RateLimitedError,
    SeedanceError,
    ServiceBusyError,
    TaskFailedError,
    ValidationError,
    Violation,
    WaitTimeoutError,
)
from ._seedance import (
    NO_TIMEOUT,
    DirectorPrompt,
    LintFinding,
    NoTimeout,
    ProgressEvent,
    Task,
    __version__,
    lint_prompt,
    validate,
)
from ._client import AsyncClient, Client
from ._jobs import Charge, Job, JobState
from ._request import AspectRatio, Channel, Mode, QualityTier, RequestParams, Resolution

__all__ = [
    "__version__",
    "Client",
    "AsyncClient",
    "RequestParams",
    "Mode",
    "QualityTier",
    "Channel",
    "AspectRatio",
    "Resolution",
    "Task",
    "Job",
    "JobState",
    "Charge",
    "ProgressEvent",
    "DirectorPrompt",
    "LintFinding",
    "lint_prompt",
    "validate",
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
    "NO_TIMEOUT",
    "NoTimeout",
    "APIConnectionError",
    "APIResponseError",
    "DownloadError",
    "ConfigurationError",
    "Interrupted",
]
