"""``Client`` and ``AsyncClient``: keyword signatures over the native client.

All behaviour (validation, retries, the rate budget, polling, downloads) is in the Rust
crates; this module only gives it a Pythonic shape: keyword arguments named as in the API,
context managers, progress callbacks and tqdm bars.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable, Dict, Literal, Optional, Sequence, Tuple, Union

from . import _seedance
from ._progress import ProgressCallback, progress_callback
from ._seedance import ProgressEvent, Task

if TYPE_CHECKING:  # kept out of the import path: `import seedance` stays fast
    from pathlib import Path

__all__ = ["Client", "AsyncClient"]

TaskRef = Union[Task, str]
PathLike = Union[str, "os.PathLike[str]"]
#: A rate budget: ``(requests, seconds)``, ``False`` for none, ``None`` for the default.
RateLimit = Union[Tuple[int, float], Literal[False], None]


def _task_id(task: TaskRef) -> str:
    if isinstance(task, Task):
        return task.id
    if isinstance(task, str):
        return task
    raise TypeError(f"expected a Task or a task id string, got {type(task).__name__}")


def _params(
    prompt: str,
    mode: Optional[str],
    quality_tier: Optional[str],
    channel: Optional[str],
    aspect_ratio: Optional[str],
    duration: Optional[Union[int, str]],
    resolution: Optional[str],
    image_url: Optional[str],
    end_image_url: Optional[str],
    media_urls: Optional[Sequence[str]],
    generate_audio: Optional[bool],
    fixed_lens: Optional[bool],
    seed: Optional[int],
) -> Dict[str, Any]:
    params: Dict[str, Any] = {"prompt": prompt}
    for key, value in (
        ("mode", mode),
        ("quality_tier", quality_tier),
        ("channel", channel),
        ("aspect_ratio", aspect_ratio),
        ("duration", duration),
        ("resolution", resolution),
        ("image_url", image_url),
        ("end_image_url", end_image_url),
        ("media_urls", None if media_urls is None else list(media_urls)),
        ("generate_audio", generate_audio),
        ("fixed_lens", fixed_lens),
        ("seed", seed),
    ):
        if value is not None:
            params[key] = value
    return params


def _native(
    api_key: Optional[str],
    base_url: Optional[str],
    timeout: Optional[float],
    connect_timeout: Optional[float],
    max_retries: Optional[int],
    rate_limit: RateLimit,
    media_rate_limit: RateLimit,
    user_agent: Optional[str],
    time_scale: Optional[float],
) -> _seedance._Client:
    # Unset settings fall back to SEEDANCE_* variables, then the defaults, in Rust.
    return _seedance._Client(
        api_key=api_key,
        base_url=base_url,
        timeout=timeout,
        connect_timeout=connect_timeout,
        max_retries=max_retries,
        rate_limit=rate_limit,
        media_rate_limit=media_rate_limit,
        user_agent=user_agent,
        time_scale=time_scale,
    )


class Client:
    """A blocking client for the Seedance 2 Video API.

    ``api_key`` and ``base_url`` default to the ``SEEDANCE_API_KEY`` and
    ``SEEDANCE_BASE_URL`` environment variables (then the production API); so do the
    other settings (``SEEDANCE_TIMEOUT``, ``SEEDANCE_MAX_RETRIES``,
    ``SEEDANCE_RATE_LIMIT``...). ``timeout`` is seconds per HTTP request (default 60),
    ``max_retries`` how often a retryable failure is retried (429, 503, 500, dropped
    connections; a submit always reuses its idempotency key), ``rate_limit`` the
    account's budget as ``(requests, seconds)`` (default 30 per 60 s; ``False`` for none),
    ``time_scale`` divides the poll schedule (for emulators that render faster). Every call
    validates first (raising :class:`seedance.ValidationError` with all violations before
    anything is sent), stays within the account's rate budget (30 requests per 60 s,
    shared by all clients of this process), retries what is safe to retry, and releases
    the GIL while it waits. Ctrl-C interrupts a wait promptly.

    Use it as a context manager, or call :meth:`close`::

        with seedance.Client() as client:
            task = client.generate(prompt="A glass train crossing a snowy bridge")
            client.download(task, "train.mp4")
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        *,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        rate_limit: RateLimit = None,
        media_rate_limit: RateLimit = None,
        user_agent: Optional[str] = None,
        time_scale: Optional[float] = None,
    ) -> None:
        self._native = _native(
            api_key,
            base_url,
            timeout,
            connect_timeout,
            max_retries,
            rate_limit,
            media_rate_limit,
            user_agent,
            time_scale,
        )

    @property
    def base_url(self) -> str:
        """The API origin requests go to."""
        return self._native.base_url

    def __repr__(self) -> str:
        return f"seedance.Client(base_url={self.base_url!r})"

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Releases the connection pool. Later calls raise ``ConfigurationError``."""
        self._native.close()

    def submit(
        self,
        *,
        prompt: str,
        mode: Optional[str] = None,
        quality_tier: Optional[str] = None,
        channel: Optional[str] = None,
        aspect_ratio: Optional[str] = None,
        duration: Optional[Union[int, str]] = None,
        resolution: Optional[str] = None,
        image_url: Optional[str] = None,
        end_image_url: Optional[str] = None,
        media_urls: Optional[Sequence[str]] = None,
        generate_audio: Optional[bool] = None,
        fixed_lens: Optional[bool] = None,
        seed: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> Task:
        """Submits a video job and returns the new task (status ``processing``).

        Parameters are named as in the API; unset ones take the server's defaults.
        ``idempotency_key`` (generated when not given) makes retries safe: the same key
        with the same body never creates or charges a second task.
        """
        params = _params(
            prompt, mode, quality_tier, channel, aspect_ratio, duration, resolution,
            image_url, end_image_url, media_urls, generate_audio, fixed_lens, seed,
        )  # fmt: skip
        return self._native.submit(params, idempotency_key)

    def get_task(self, task_id: TaskRef) -> Task:
        """Fetches a task's current state (one request)."""
        return self._native.get_task(_task_id(task_id))

    def wait(
        self,
        task: TaskRef,
        *,
        timeout: Optional[float] = None,
        on_progress: Optional[Callable[[ProgressEvent], Any]] = None,
        progress: bool = False,
    ) -> Task:
        """Polls until the task ends and returns it completed.

        Raises :class:`seedance.TaskFailedError` if it fails and
        :class:`seedance.WaitTimeoutError` after ``timeout`` seconds (``None``: the
        client's ceiling of 30 minutes; the task goes on either way).
        ``on_progress`` is called with each :class:`seedance.ProgressEvent`; with
        ``progress=True`` a tqdm bar is shown when tqdm is installed.
        """
        with progress_callback(on_progress, progress, _task_id(task)) as callback:
            return self._native.wait(_task_id(task), timeout, callback)

    def generate(
        self,
        *,
        prompt: str,
        mode: Optional[str] = None,
        quality_tier: Optional[str] = None,
        channel: Optional[str] = None,
        aspect_ratio: Optional[str] = None,
        duration: Optional[Union[int, str]] = None,
        resolution: Optional[str] = None,
        image_url: Optional[str] = None,
        end_image_url: Optional[str] = None,
        media_urls: Optional[Sequence[str]] = None,
        generate_audio: Optional[bool] = None,
        fixed_lens: Optional[bool] = None,
        seed: Optional[int] = None,
        idempotency_key: Optional[str] = None,
        timeout: Optional[float] = None,
        on_progress: Optional[Callable[[ProgressEvent], Any]] = None,
        progress: bool = False,
    ) -> Task:
        """Submits and waits: :meth:`submit` then :meth:`wait`. Returns the completed task."""
        params = _params(
            prompt, mode, quality_tier, channel, aspect_ratio, duration, resolution,
            image_url, end_image_url, media_urls, generate_audio, fixed_lens, seed,
        )  # fmt: skip
        with progress_callback(on_progress, progress, None) as callback:
            return self._native.generate(params, idempotency_key, timeout, callback)

    def download(self, task: Task, path: PathLike) -> Path:
        """Saves the task's video to ``path`` (a file, or a directory to put
        ``<task id>.mp4`` in) and returns the file's path. The last frame, when there is
        one, is saved beside it. The API key is never sent to the CDN."""
        return self._native.download(task, os.fspath(path))


class AsyncClient:
    """The asyncio client: the same methods as :class:`Client`, as coroutines.

    Runs on one shared tokio runtime, so it works inside any running event loop
    (Jupyter's included)::

        async with seedance.AsyncClient() as client:
            tasks = await asyncio.gather(*(client.generate(prompt=p) for p in prompts))
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        *,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        rate_limit: RateLimit = None,
        media_rate_limit: RateLimit = None,
        user_agent: Optional[str] = None,
        time_scale: Optional[float] = None,
    ) -> None:
        self._native = _native(
            api_key,
            base_url,
            timeout,
            connect_timeout,
            max_retries,
            rate_limit,
            media_rate_limit,
            user_agent,
            time_scale,
        )

    @property
    def base_url(self) -> str:
        """The API origin requests go to."""
        return self._native.base_url

    def __repr__(self) -> str:
        return f"seedance.AsyncClient(base_url={self.base_url!r})"

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Releases the connection pool."""
        self._native.close()

    async def submit(
        self,
        *,
        prompt: str,
        mode: Optional[str] = None,
        quality_tier: Optional[str] = None,
        channel: Optional[str] = None,
        aspect_ratio: Optional[str] = None,
        duration: Optional[Union[int, str]] = None,
        resolution: Optional[str] = None,
        image_url: Optional[str] = None,
        end_image_url: Optional[str] = None,
        media_urls: Optional[Sequence[str]] = None,
        generate_audio: Optional[bool] = None,
        fixed_lens: Optional[bool] = None,
        seed: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> Task:
        """Submits a video job; see :meth:`Client.submit`."""
        params = _params(
            prompt, mode, quality_tier, channel, aspect_ratio, duration, resolution,
            image_url, end_image_url, media_urls, generate_audio, fixed_lens, seed,
        )  # fmt: skip
        task: Task = await self._native.submit_async(params, idempotency_key)
        return task

    async def get_task(self, task_id: TaskRef) -> Task:
        """Fetches a task's current state; see :meth:`Client.get_task`."""
        task: Task = await self._native.get_task_async(_task_id(task_id))
        return task

    async def wait(
        self,
        task: TaskRef,
        *,
        timeout: Optional[float] = None,
        on_progress: Optional[Callable[[ProgressEvent], Any]] = None,
        progress: bool = False,
    ) -> Task:
        """Polls until the task ends; see :meth:`Client.wait`. Cancelling the coroutine
        stops the polling. ``on_progress`` runs on the event loop's thread."""
        with progress_callback(on_progress, progress, _task_id(task)) as callback:
            result: Task = await self._native.wait_async(
                _task_id(task), timeout, _on_loop(callback)
            )
            return result

    async def generate(
        self,
        *,
        prompt: str,
        mode: Optional[str] = None,
        quality_tier: Optional[str] = None,
        channel: Optional[str] = None,
        aspect_ratio: Optional[str] = None,
        duration: Optional[Union[int, str]] = None,
        resolution: Optional[str] = None,
        image_url: Optional[str] = None,
        end_image_url: Optional[str] = None,
        media_urls: Optional[Sequence[str]] = None,
        generate_audio: Optional[bool] = None,
        fixed_lens: Optional[bool] = None,
        seed: Optional[int] = None,
        idempotency_key: Optional[str] = None,
        timeout: Optional[float] = None,
        on_progress: Optional[Callable[[ProgressEvent], Any]] = None,
        progress: bool = False,
    ) -> Task:
        """Submits and waits; see :meth:`Client.generate`."""
        params = _params(
            prompt, mode, quality_tier, channel, aspect_ratio, duration, resolution,
            image_url, end_image_url, media_urls, generate_audio, fixed_lens, seed,
        )  # fmt: skip
        with progress_callback(on_progress, progress, None) as callback:
            result: Task = await self._native.generate_async(
                params, idempotency_key, timeout, _on_loop(callback)
            )
            return result

    async def download(self, task: Task, path: PathLike) -> Path:
        """Saves the task's video; see :meth:`Client.download`."""
        result: Path = await self._native.download_async(task, os.fspath(path))
        return result


def _on_loop(callback: Optional[ProgressCallback]) -> Optional[ProgressCallback]:
    """Runs `callback` on the current event loop's thread (events arrive on tokio's)."""
    if callback is None:
        return None
    import asyncio

    loop = asyncio.get_running_loop()

    def deliver(event: ProgressEvent) -> None:
        try:
            loop.call_soon_threadsafe(callback, event)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            pass

    return deliver
