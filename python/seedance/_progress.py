"""Progress reporting: the user's ``on_progress`` callback and an optional tqdm bar."""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator, Optional

from ._seedance import ProgressEvent

ProgressCallback = Callable[[ProgressEvent], Any]


class _Bar:
    """A tqdm bar over the expected render time (seconds) when it is known, else a
    spinner-like counter of elapsed time; postfixed with the status."""

    def __init__(self, task_id: Optional[str]) -> None:
        self._desc = task_id or "seedance"
        self._bar: Any = None

    def _open(self, total: Optional[float]) -> Any:
        from tqdm.auto import tqdm  # type: ignore[import-untyped,unused-ignore]

        if total is not None:
            return tqdm(
                total=max(total, 1.0),
                desc=self._desc,
                bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s [{elapsed}{postfix}]",
            )
        return tqdm(total=None, desc=self._desc, bar_format="{desc}: {elapsed}{postfix}")

    def __call__(self, event: ProgressEvent) -> None:
        if self._bar is None:
            self._bar = self._open(event.expected_secs)
        bar = self._bar
        if event.task_id and self._desc != event.task_id:
            self._desc = event.task_id
            bar.set_description_str(event.task_id, refresh=False)
        if event.elapsed_secs is not None and bar.total is not None:
            bar.n = min(event.elapsed_secs, bar.total)
        if event.kind == "completed" and bar.total is not None:
            bar.n = bar.total
        bar.set_postfix_str(event.status or event.kind, refresh=False)
        bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _tqdm_available() -> bool:
    try:
        import tqdm  # type: ignore[import-untyped,unused-ignore]  # noqa: F401
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def progress_callback(
    on_progress: Optional[ProgressCallback], progress: bool, task_id: Optional[str]
) -> Iterator[Optional[ProgressCallback]]:
    """Yields the callback to give the native wait (or None when nobody listens)."""
    bar = _Bar(task_id) if progress and _tqdm_available() else None
    if bar is None and on_progress is None:
        yield None
        return

    def callback(event: ProgressEvent) -> None:
        if bar is not None:
            bar(event)
        if on_progress is not None:
            on_progress(event)

    try:
        yield callback
    finally:
        if bar is not None:
            bar.close()
