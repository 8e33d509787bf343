"""``Client`` and ``AsyncClient``: keyword signatures over the native client.

All behaviour (validation, retries, the rate budget, polling, downloads) is in the Rust
crates; this module only gives it a Pythonic shape: keyword arguments named as in the API,
context managers, progress callbacks and tqdm bars.
"""

from __future__ import annotations

import os
import warnings
from typing import TYPE_CHECKING, Any, Dict, List, Literal, Optional, Sequence, Tuple, Union

from . import _seedance
from ._jobs import Job, Since, _list
from ._progress import ProgressCallback, Watch
from ._request import RequestParams, takes_request
from ._seedance import NoTimeout, ProgressEvent, Task

if TYPE_CHECKING:  # kept out of the import path: `import seedance` stays fast
    from pathlib import Path

    from typing_extensions import Unpack  # typing.Unpack from 3.11; type checkers only

__all__ = ["Client", "AsyncClient"]

TaskRef = Union[Task, str]
PathLike = Union[str, "os.PathLike[str]"]
#: A rate budget: ``(requests, seconds)``, ``False`` for none, ``None`` for the default.
RateLimit = Union[Tuple[int, float], Literal[False], None]
#: A wait's bound: seconds, ``None`` for the client's ceiling (``SEEDANCE_WAIT_TIMEOUT``,
#: else 30 minutes), or :data:`seedance.NO_TIMEOUT` for none.
WaitTimeout = Union[float, NoTimeout, None]


def _task_id(task: TaskRef) -> str:
    if isinstance(task, Task):
        return task.id
    if isinstance(task, str):
        return task
    raise TypeError(f"expected a Task or a task id string, got {type(task).__name__}")


# ---- the calls, shared by Client and AsyncClient ----------------------------------------
#
# A public method turns its arguments (``locals()``) into a _Call: the native method to
# run, its arguments, and how to report progress. Client runs it blocking, AsyncClient as
# a coroutine (the native ``<method>_async``); nothing else differs.


class _Call:
    __slots__ = ("method", "args", "watch", "job")

    def __init__(
        self,
        method: str,
        args: Tuple[Any, ...],
        watch: Optional[Watch] = None,
        job: Optional[Tuple[Optional[str], Optional[str]]] = None,
    ):
        self.method = method
        self.args = args
        #: Progress reporting, for the methods that take a callback (its last argument).
        self.watch = watch
        #: The job it is about, ``(idempotency_key, task_id)``: what a cancelled
        #: coroutine marks interrupted in the job store and names.
        self.job = job


def _key(args: Dict[str, Any]) -> str:
    """The call's idempotency key: the given one, or a fresh one chosen now (so that an
    interruption can name the job)."""
    key = args["idempotency_key"]
    return key if key is not None else _seedance._new_idempotency_key()


def _request(args: Dict[str, Any]) -> RequestParams:
    """The request keywords a method was given (``**params``). The native side leaves
    ``None`` ones out, refuses unknown ones and a missing ``prompt`` (``TypeError``) and
    validates the rest."""
    params: RequestParams = args["params"]
    return params


def _watch(args: Dict[str, Any], label: Optional[str], unit: str = "s") -> Watch:
    return Watch(args["on_progress"], args["progress"], label, unit)


def _submit(args: Dict[str, Any]) -> _Call:
    key = _key(args)
    return _Call("submit", (_request(args), key), job=(key, None))


def _get_task(args: Dict[str, Any]) -> _Call:
    return _Call("get_task", (_task_id(args["task_id"]),))


def _wait(args: Dict[str, Any]) -> _Call:
    task_id = _task_id(args["task"])
    return _Call("wait", (task_id, args["timeout"]), _watch(args, task_id), job=(None, task_id))


def _generate(args: Dict[str, Any]) -> _Call:
    key = _key(args)
    call_args = (_request(args), key, args["timeout"])
    return _Call("generate", call_args, _watch(args, None), job=(key, None))


def _download(args: Dict[str, Any]) -> _Call:
    task = args["task"]
    if not isinstance(task, Task):
        raise TypeError(f"download needs a Task or a task id string, got {type(task).__name__}")
    call_args = (task, os.fspath(args["path"]))
    return _Call("download", call_args, _watch(args, None, "B"))


def _request_timeout(request_timeout: Optional[float], timeout: Optional[float]) -> Optional[float]:
    """``Client(timeout=)`` is the old name of ``request_timeout=`` (``timeout=`` of
    ``wait``/``generate`` bounds the wait, a different thing)."""
    if timeout is None:
        return request_timeout
    warnings.warn(
        "Client(timeout=...) is deprecated: it is the timeout of one HTTP request, now "
        "request_timeout=...; timeout= of wait() and generate() bounds the whole wait",
        DeprecationWarning,
        stacklevel=3,
    )
    return timeout if request_timeout is None else request_timeout


class _BaseClient:
    """What both clients share: settings, the native client, ``base_url``."""

    _native: _seedance._Client

    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        *,
        request_timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        rate_limit: RateLimit = None,
        media_rate_limit: RateLimit = None,
        user_agent: Optional[str] = None,
        time_scale: Optional[float] = None,
        budget: Optional[str] = None,
        timeout: Optional[float] = None,
        journal: Union[PathLike, bool, None] = True,
    ) -> None:
        if journal is True:
            use_journal, journal_path = True, None
        elif journal is False or journal is None:
            use_journal, journal_path = False, None
        else:
            use_journal, journal_path = True, os.fspath(journal)
        # Unset settings fall back to SEEDANCE_* variables, then the defaults, in Rust.
        self._native = _seedance._Client(
            api_key=api_key,
            base_url=base_url,
            timeout=_request_timeout(request_timeout, timeout),
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            rate_limit=rate_limit,
            media_rate_limit=media_rate_limit,
            user_agent=user_agent,
            time_scale=time_scale,
            budget=budget,
            journal=use_journal,
            journal_path=journal_path,
        )

    @property
    def base_url(self) -> str:
        """The API origin requests go to."""
        return self._native.base_url

    @property
    def journal_path(self) -> Optional[str]:
        """The job store's file (``None`` when the client keeps none)."""
        p = self._native.journal_path
        return None if p is None else str(p)

    def __repr__(self) -> str:
        return f"seedance.{type(self).__name__}(base_url={self.base_url!r})"


class Client(_BaseClient):
    """A blocking client for the Seedance 2 Video API.

    ``api_key`` and ``base_url`` default to the ``SEEDANCE_API_KEY`` and
    ``SEEDANCE_BASE_URL`` environment variables (then the production API); so do the
    other settings (``SEEDANCE_TIMEOUT``, ``SEEDANCE_MAX_RETRIES``,
    ``SEEDANCE_RATE_LIMIT``...). ``request_timeout`` is seconds per HTTP request (default
    60; ``timeout=`` is its deprecated old name: ``timeout=`` of :meth:`wait` and
    :meth:`generate` bounds the whole wait),
    ``max_retries`` how often a retryable failure is retried (dropped connections,
    timeouts, HTTP 429, 500, 502, 503 and 504; a 409 only while the first request is still
    running; never 400, 401, 402, 404; a submit always reuses its idempotency key), ``rate_limit`` the
    account's budget as ``(requests, seconds)`` (default 30 per 60 s; ``False`` for none),
    ``time_scale`` divides the poll schedule (for emulators that render faster), ``budget``
    who shares that budget: ``"machine"`` (the default: every process of this machine,
    kept in the data dir), ``"process"`` (this client alone), or
    ``"redis://HOST:PORT/DB"`` (``rediss://`` for TLS) for several machines (else
    ``SEEDANCE_BUDGET``), ``journal`` the job store (``True``: the data dir's, shared
    with the CLI; a path: that file; ``False``/``None``: none), so that :meth:`resume`
    (or ``seedance resume``) finishes an interrupted job without paying again. Every call
    validates first (raising :class:`seedance.ValidationError` with all violations before
    anything is sent), stays within the account's rate budget (30 requests per 60 s,
    shared by all processes of the machine by default), retries what is safe to retry, and releases
    the GIL while it waits. Ctrl-C interrupts a wait promptly.

    Use it as a context manager, or call :meth:`close`::

        with seedance.Client() as client:
            task = client.generate(prompt="A glass train crossing a snowy bridge")
            client.download(task, "train.mp4")
    """

    def _run(self, call: _Call) -> Any:
        run = getattr(self._native, call.method)
        if call.watch is None:
            return run(*call.args)
        with call.watch as callback:
            return run(*call.args, callback)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Releases the connection pool. Later calls raise ``ConfigurationError``."""
        self._native.close()

    def jobs(
        self,
        *,
        state: Union[str, Sequence[str], None] = None,
        origin: Optional[str] = None,
        since: Optional[Since] = None,
        before: Optional[Since] = None,
        unfinished: bool = False,
        all_origins: bool = False,
    ) -> List[Job]:
        """The job store's history, oldest first, as :class:`seedance.Job` objects (the
        same store and filters as ``seedance jobs``): by default the jobs of this
        client's API origin and account (``all_origins=True``: every one; ``origin=``:
        that origin's); ``state`` one state or several (``"submitted"``,
        ``["failed", "interrupted"]``...: :data:`seedance.JobState`); ``since`` only jobs
        written at most that long ago, ``before`` at least that long ago (seconds, a
        ``timedelta``, or a ``datetime``: written after / before it); ``unfinished``
        only those :meth:`resume` has work for. An unknown state is a
        :class:`seedance.ConfigurationError`."""
        return _list(self._native, state, origin, since, before, unfinished, all_origins)

    def resume(self) -> List[Task]:
        """Finishes the job store's unfinished jobs of this client's API origin and
        account (a notebook's interrupted ``generate``, a crashed script, a
        ``seedance generate --no-wait``): waits for submitted tasks, re-sends a submit
        whose answer was lost with its own key (the API replays it: no second charge),
        downloads where a download was asked for. Returns the finished tasks; a job that
        cannot finish is reported with a warning and stays listed by :meth:`jobs`.
        Ctrl-C raises :class:`seedance.Interrupted` naming the jobs it was finishing
        (``task_id`` and ``idempotency_key`` of the first, ``jobs`` of all), each kept
        as ``interrupted``."""
        return _resumed(self._native.resume())

    @takes_request
    def submit(
        self,
        *,
        idempotency_key: Optional[str] = None,
        **params: Unpack[RequestParams],
    ) -> Task:
        """Submits a video job and returns the new task (status ``processing``).

        The request parameters (:class:`seedance.RequestParams`, listed below) are named
        as in the API; unset ones take the server's defaults. ``idempotency_key`` (generated when not given) makes retries safe: the same key
        with the same body never creates or charges a second task. Raises
        :class:`seedance.ValidationError` listing every broken rule before anything is sent
        (check without sending with :func:`seedance.validate`), or an
        :class:`seedance.APIError` subclass for the server's answer.
        """
        task: Task = self._run(_submit(locals()))
        return task

    def get_task(self, task_id: TaskRef) -> Task:
        """Fetches a task's current state (one request)."""
        task: Task = self._run(_get_task(locals()))
        return task

    def wait(
        self,
        task: TaskRef,
        *,
        timeout: WaitTimeout = None,
        on_progress: Optional[ProgressCallback] = None,
        progress: bool = False,
    ) -> Task:
        """Polls until the task ends and returns it completed.

        Raises :class:`seedance.TaskFailedError` if it fails and
        :class:`seedance.WaitTimeoutError` after ``timeout`` seconds (``None``: the
        client's ceiling, ``SEEDANCE_WAIT_TIMEOUT`` or 30 minutes; the task goes on
        either way). ``timeout=seedance.NO_TIMEOUT`` waits however long the task takes
        (an infinite or absurd number of seconds is a :class:`seedance.ConfigurationError`).
        ``on_progress`` is called with each :class:`seedance.ProgressEvent`; with
        ``progress=True`` a tqdm bar is shown when tqdm is installed.
        """
        done: Task = self._run(_wait(locals()))
        return done

    @takes_request
    def generate(
        self,
        *,
        idempotency_key: Optional[str] = None,
        timeout: WaitTimeout = None,
        on_progress: Optional[ProgressCallback] = None,
        progress: bool = False,
        **params: Unpack[RequestParams],
    ) -> Task:
        """Submits and waits: :meth:`submit` then :meth:`wait`. Returns the completed task.

        Takes :meth:`submit`'s parameters and :meth:`wait`'s ``timeout``, ``on_progress``
        and ``progress``. Raises :class:`seedance.ValidationError` before sending,
        :class:`seedance.TaskFailedError` when the render fails, and
        :class:`seedance.WaitTimeoutError` (its ``task_id`` goes on rendering: ``wait`` on
        it later; never submit again to retry).
        """
        done: Task = self._run(_generate(locals()))
        return done

    def download(
        self,
        task: TaskRef,
        path: PathLike,
        *,
        on_progress: Optional[ProgressCallback] = None,
        progress: bool = False,
    ) -> Path:
        """Saves the task's video to ``path`` (a file, or a directory to put
        ``<task id>.mp4`` in) and returns the file's path. ``task`` is a :class:`Task` or
        a task id (``"sd2_..."``: fetched first). The last frame, when there is
        one, is saved beside it. The API key is never sent to the CDN.

        ``on_progress`` gets ``download_progress`` events (``bytes``, ``total_bytes``,
        ``path``); ``progress=True`` shows a tqdm bar when tqdm is installed.
        """
        if isinstance(task, str):
            task = self.get_task(task)
        saved: Path = self._run(_download(locals()))
        return saved


class AsyncClient(_BaseClient):
    """The asyncio client: the same methods as :class:`Client`, as coroutines.

    Runs on one shared tokio runtime, so it works inside any running event loop
    (Jupyter's included)::

        async with seedance.AsyncClient() as client:
            tasks = await asyncio.gather(*(client.generate(prompt=p) for p in prompts))

    Cancellation (``task.cancel()``, ``asyncio.timeout``, a ``TaskGroup`` failing, Ctrl-C
    under ``asyncio.run``) stops the call's work and raises ``asyncio.CancelledError``
    as asyncio requires (as httpx and anyio do: turning it into another exception
    would break timeouts and task groups), never :class:`seedance.Interrupted`. What the
    sync client's ``Interrupted`` carries is on that ``CancelledError``: ``task_id``,
    ``idempotency_key`` and ``jobs`` (``[(task_id, idempotency_key)]``) attributes
    (``getattr(e, "task_id", None)``) and, on Python 3.11+, a note in its traceback;
    the job is marked ``interrupted`` in the job store, so :meth:`resume` (or
    ``seedance resume``) finishes it without paying again.
    """

    async def _run(self, call: _Call) -> Any:
        import asyncio

        run = getattr(self._native, call.method + "_async")
        try:
            if call.watch is None:
                return await run(*call.args)
            with call.watch as callback:
                return await run(*call.args, _on_loop(callback))
        except asyncio.CancelledError as cancelled:
            if call.job is not None:
                key, task_id = call.job
                _name_job(cancelled, self._native, [] if key is None else [key], task_id, False)
            raise

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Releases the connection pool."""
        self._native.close()

    async def resume(self) -> List[Task]:
        """Finishes the job store's unfinished jobs; see :meth:`Client.resume`.
        Cancelled, it marks the jobs it was finishing interrupted (see the class)."""
        import asyncio

        try:
            return _resumed(await self._native.resume_async())
        except asyncio.CancelledError as cancelled:
            _name_job(cancelled, self._native, [], None, True)
            raise

    async def jobs(
        self,
        *,
        state: Union[str, Sequence[str], None] = None,
        origin: Optional[str] = None,
        since: Optional[Since] = None,
        before: Optional[Since] = None,
        unfinished: bool = False,
        all_origins: bool = False,
    ) -> List[Job]:
        """The job store's history, with the same filters; see :meth:`Client.jobs`."""
        return _list(self._native, state, origin, since, before, unfinished, all_origins)

    @takes_request
    async def submit(
        self,
        *,
        idempotency_key: Optional[str] = None,
        **params: Unpack[RequestParams],
    ) -> Task:
        """Submits a video job; see :meth:`Client.submit`."""
        task: Task = await self._run(_submit(locals()))
        return task

    async def get_task(self, task_id: TaskRef) -> Task:
        """Fetches a task's current state; see :meth:`Client.get_task`."""
        task: Task = await self._run(_get_task(locals()))
        return task

    async def wait(
        self,
        task: TaskRef,
        *,
        timeout: WaitTimeout = None,
        on_progress: Optional[ProgressCallback] = None,
        progress: bool = False,
    ) -> Task:
        """Polls until the task ends; see :meth:`Client.wait`. Cancelling the coroutine
        stops the polling. ``on_progress`` runs on the event loop's thread."""
        done: Task = await self._run(_wait(locals()))
        return done

    @takes_request
    async def generate(
        self,
        *,
        idempotency_key: Optional[str] = None,
        timeout: WaitTimeout = None,
        on_progress: Optional[ProgressCallback] = None,
        progress: bool = False,
        **params: Unpack[RequestParams],
    ) -> Task:
        """Submits and waits; see :meth:`Client.generate`."""
        done: Task = await self._run(_generate(locals()))
        return done

    async def download(
        self,
        task: TaskRef,
        path: PathLike,
        *,
        on_progress: Optional[ProgressCallback] = None,
        progress: bool = False,
    ) -> Path:
        """Saves the task's video (a :class:`Task` or a task id); see
        :meth:`Client.download`. ``on_progress`` runs on the event loop's thread."""
        if isinstance(task, str):
            task = await self.get_task(task)
        saved: Path = await self._run(_download(locals()))
        return saved


def _resumed(rows: List[Tuple[str, Optional[str], Optional[Task], Optional[BaseException]]]) -> List[Task]:
    done: List[Task] = []
    for key, task_id, task, error in rows:
        if task is not None:
            done.append(task)
        else:
            warnings.warn(
                f"job {task_id or key} did not finish: {error}", RuntimeWarning, stacklevel=3
            )
    return done


def _name_job(
    cancelled: BaseException,
    native: _seedance._Client,
    keys: List[str],
    task_id: Optional[str],
    resuming: bool,
) -> None:
    """A cancelled coroutine's jobs: marked interrupted in the job store, and named on
    the ``CancelledError`` that goes on (``task_id``, ``idempotency_key``, ``jobs``, and a
    note on Python 3.11+) — asyncio needs the cancellation itself to propagate."""
    try:
        message, open_jobs = native.interrupted_jobs(keys, task_id, resuming)
    except Exception:  # a closed client, an unreadable store: the cancellation wins
        return
    first = open_jobs[0] if open_jobs else (None, None)
    setattr(cancelled, "task_id", first[0])
    setattr(cancelled, "idempotency_key", first[1])
    setattr(cancelled, "jobs", open_jobs)
    add_note = getattr(cancelled, "add_note", None)
    if add_note is not None:
        add_note(f"seedance: {message}")


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
