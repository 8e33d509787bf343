"""Progress reporting: the user's ``on_progress`` callback and an optional tqdm bar."""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator, Optional

from ._seedance import ProgressEvent

ProgressCallback = Callable[[ProgressEvent], Any]


class _Bar:
    """A tqdm bar over the expected render time (seconds), postfixed with the status."""

    def __init__(self, task_id: Optional[str]) -> None:
        from tqdm.auto import tqdm

        self._bar = tqdm(
            total=None,
            unit="s",
            desc=task_id or "seedance",
            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s {postfix}",
            leave=True,
        )

    def __call__(self, event: ProgressEvent) -> None:
        bar = self._bar
        if event.task_id and bar.desc != event.task_id:
            bar.set_description_str(event.task_id, refresh=False)
        if event.expected_secs is not None and bar.total is None:
            bar.total = max(event.expected_secs, 1.0)
        if event.elapsed_secs is not None:
            n = event.elapsed_secs
            if bar.total is not None:
                n = min(n, bar.total)
            bar.n = n
        if event.kind == "completed" and bar.total is not None:
            bar.n = bar.total
        status = event.status or event.kind
        bar.set_postfix_str(status, refresh=False)
        bar.refresh()

    def close(self) -> None:
        self._bar.close()


def _tqdm_available() -> bool:
    try:
        import tqdm  # noqa: F401
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
