"""Progress reporting: the user's ``on_progress`` callback and an optional tqdm bar."""

from __future__ import annotations

from typing import Any, Callable, Optional

from ._seedance import ProgressEvent

ProgressCallback = Callable[[ProgressEvent], Any]


class _RenderBar:
    """A tqdm bar over the expected render time (seconds) when it is known, else a
    counter of elapsed time; postfixed with the status."""

    def __init__(self, label: Optional[str]) -> None:
        self._desc = label or "seedance"
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


class _BytesBar:
    """A tqdm byte bar per downloaded file (the video, then the last frame)."""

    def __init__(self, label: Optional[str]) -> None:
        self._label = label or "download"
        self._bar: Any = None
        self._path: Optional[str] = None

    def __call__(self, event: ProgressEvent) -> None:
        if event.kind != "download_progress" or event.bytes is None:
            return
        if self._bar is None or event.path != self._path:
            from tqdm.auto import tqdm  # type: ignore[import-untyped,unused-ignore]

            self.close()
            self._path = event.path
            name = (event.path or "").replace("\\", "/").rsplit("/", 1)[-1]
            self._bar = tqdm(
                total=event.total_bytes,
                desc=f"{self._label} {name}".strip(),
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
    try:
        import tqdm  # type: ignore[import-untyped,unused-ignore]  # noqa: F401
    except ImportError:
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
