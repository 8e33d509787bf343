"""Progress reporting: the user's ``on_progress`` callback and an optional tqdm bar.

The render bar moves with the clock: a timer thread ticks it (elapsed seconds against the
render time the core's model expects, already divided by the client's time scale), and
the native events say what it is doing (submitted, waiting, retrying, done).
"""

from __future__ import annotations

import threading
import time
import warnings
from typing import Any, Callable, Optional

from ._seedance import ProgressEvent

ProgressCallback = Callable[[ProgressEvent], Any]

#: How often the render bar moves (seconds).
TICK_SECS = 0.25

_warned_missing_tqdm = False


def _tqdm() -> Any:
    from tqdm.auto import tqdm  # type: ignore[import-untyped,unused-ignore]

    return tqdm


class _RenderBar:
    """A tqdm bar of elapsed seconds against the expected render time (when known, else
    a counter of elapsed time), ticked by a timer; postfixed with what it waits for."""

    def __init__(self, label: Optional[str], tick: Optional[float] = None) -> None:
        self._desc = label or "seedance"
        self._bar: Any = None
        self._tick = TICK_SECS if tick is None else tick
        self._lock = threading.Lock()
        self._start = time.monotonic()
        self._expected: Optional[float] = None
        self._status = "submitting"
        self._done = False
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def _open(self) -> None:
        tqdm = _tqdm()
        if self._expected is not None:
            self._bar = tqdm(
                total=max(self._expected, 1.0),
                desc=self._desc,
                bar_format="{l_bar}{bar}| {n:.0f}/~{total:.0f} s [{postfix}]",
            )
        else:
            self._bar = tqdm(total=None, desc=self._desc, bar_format="{desc}: {n:.0f} s [{postfix}]")
        self._thread = threading.Thread(target=self._run, name="seedance-progress", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._tick):
            with self._lock:
                self._draw()

    def _draw(self) -> None:
        bar = self._bar
        if bar is None:
            return
        elapsed = time.monotonic() - self._start
        status = self._status
        if self._expected is not None and not self._done:
            if elapsed > self._expected:
                # Past the expected time: the bar stays nearly full and says so.
                bar.total = elapsed / 0.99
                status = f"{status}, past the expected ~{self._expected:.0f} s"
            bar.n = elapsed
        elif self._expected is None:
            bar.n = elapsed
        bar.set_postfix_str(status, refresh=False)
        bar.refresh()

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            if event.elapsed_secs is not None:
                self._start = time.monotonic() - event.elapsed_secs
            if self._expected is None and event.expected_secs is not None:
                self._expected = event.expected_secs
            if event.task_id and self._desc != event.task_id:
                self._desc = event.task_id
                if self._bar is not None:
                    self._bar.set_description_str(event.task_id, refresh=False)
            kind = event.kind
            if kind == "retry_scheduled":
                self._status = (
                    f"retry {event.attempt or ''} in {event.next_in_secs:.0f} s"
                    if event.next_in_secs is not None
                    else "retrying"
                )
            elif kind in ("completed", "failed"):
                self._status = kind
                self._done = True
            elif kind in ("submitted", "waiting"):
                self._status = "rendering"
            if self._bar is None:
                self._open()
            if kind == "completed" and self._bar.total is not None:
                self._bar.n = self._bar.total
            self._draw()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None


class _BytesBar:
    """A tqdm byte bar per downloaded file (the video, then the last frame), labelled with
    the file's name."""

    def __init__(self, label: Optional[str]) -> None:
        self._bar: Any = None
        self._path: Optional[str] = None

    def __call__(self, event: ProgressEvent) -> None:
        if event.kind != "download_progress" or event.bytes is None:
            return
        if self._bar is None or event.path != self._path:
            tqdm = _tqdm()
            self.close()
            self._path = event.path
            name = (event.path or "").replace("\\", "/").rsplit("/", 1)[-1] or "download"
            self._bar = tqdm(
                total=event.total_bytes,
                desc=name,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
            )
        bar = self._bar
        if event.total_bytes is not None:
            bar.total = event.total_bytes
        bar.n = event.bytes
        bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _tqdm_available() -> bool:
    """Whether tqdm can be imported; says once (a warning) when it cannot."""
    global _warned_missing_tqdm
    try:
        import tqdm.auto  # type: ignore[import-untyped,unused-ignore]  # noqa: F401
    except ImportError:
        if not _warned_missing_tqdm:
            _warned_missing_tqdm = True
            warnings.warn(
                "progress=True shows a bar only with tqdm installed (pip install tqdm); "
                "no bar this time",
                RuntimeWarning,
                stacklevel=6,  # the caller of Client.generate/wait/download
            )
        return False
    return True


class Watch:
    """How one call reports progress: ``on_progress`` and/or a tqdm bar (``progress=True``,
    when tqdm is installed) over render seconds (``unit="s"``) or bytes (``unit="B"``).

    A context manager giving the callback for the native call (``None`` when nobody
    listens) and closing the bar after it."""

    __slots__ = ("_on_progress", "_bar")

    def __init__(
        self,
        on_progress: Optional[ProgressCallback],
        progress: bool,
        label: Optional[str],
        unit: str = "s",
    ) -> None:
        self._on_progress = on_progress
        self._bar: Any = None
        if progress and _tqdm_available():
            self._bar = _BytesBar(label) if unit == "B" else _RenderBar(label)

    def __enter__(self) -> Optional[ProgressCallback]:
        bar, on_progress = self._bar, self._on_progress
        if bar is None:
            return on_progress
        if on_progress is None:
            return bar  # type: ignore[no-any-return]

        def both(event: ProgressEvent) -> None:
            bar(event)
            on_progress(event)

        return both

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()
