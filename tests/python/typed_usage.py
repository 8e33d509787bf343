"""Typical use of the public API, checked by mypy --strict (scripts/test-python).

Not collected by pytest (no test_ prefix) but imported by test_typed_usage.py so that it
also runs.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Dict, List, Optional

import seedance
from seedance.testing import Emulator


def on_progress(event: seedance.ProgressEvent) -> None:
    status: Optional[str] = event.status
    elapsed: Optional[float] = event.elapsed_secs
    _ = (status, elapsed, event.kind, event.task_id)


def sync_usage(emu: Emulator, out: Path) -> seedance.Task:
    with seedance.Client(emu.api_key, emu.base_url, request_timeout=30.0, max_retries=2,
                         rate_limit=(30, 1.0), time_scale=emu.time_scale) as client:
        task: seedance.Task = client.submit(
            prompt="A glass train crossing a snowy mountain bridge",
            mode="text-to-video",
            quality_tier="standard",
            channel="standard",
            aspect_ratio="16:9",
            duration=5,
            resolution="720p",
            generate_audio=True,
            fixed_lens=False,
            seed=42,
            idempotency_key="typed-usage-1",
        )
        same: seedance.Task = client.get_task(task.id)
        done = client.wait(same, timeout=60.0, on_progress=on_progress, progress=False)
        path: Path = client.download(done, out / "clip.mp4")
        assert path.exists()
        info: Dict[str, object] = done.to_dict()
        url: Optional[str] = done.video_url
        credits: Optional[int] = done.credits_used
        html: str = done._repr_html_()
        _ = (info, url, credits, html)
        return client.generate(prompt="A lighthouse in a storm", duration=4)


async def async_usage(emu: Emulator) -> List[seedance.Task]:
    async with emu.async_client() as client:
        first = await client.submit(prompt="A quiet harbour at dawn")
        await client.get_task(first)
        await client.wait(first.id, timeout=30.0)
        await client.wait(first.id, timeout=seedance.NO_TIMEOUT)
        return list(
            await asyncio.gather(*(client.generate(prompt=f"Clip number {i}") for i in range(3)))
        )


def errors_usage(client: seedance.Client) -> str:
    try:
        client.submit(prompt="hi", resolution="4k")
    except seedance.ValidationError as e:
        return "; ".join(f"{v.field}:{v.rule}" for v in e.violations)
    except seedance.RateLimitedError as e:
        retry: Optional[float] = e.retry_after
        return str(retry)
    except seedance.APIError as e:
        return f"{e.status} {e.code} {e.message}"
    except seedance.TaskFailedError as e:
        refunded: int = e.credits_refunded
        return str(refunded)
    except seedance.WaitTimeoutError as e:
        waited: float = e.waited
        return str(waited)
    return ""


def prompt_usage() -> Dict[str, object]:
    findings: List[seedance.LintFinding] = seedance.lint_prompt("hero from @图片1")
    assert findings[0].kind == "in_app_label"
    p = (
        seedance.DirectorPrompt(subject="a fox", action="runs through snow", duration=6)
        .shot("wide shot", start=0, end=3)
        .shot("close-up", camera="dolly in", start=3, end=6)
        .without("no_subtitles")
    )
    text: str = p.render()
    assert text
    return p.params()


def emulator_usage() -> int:
    with Emulator(time_scale=1000.0, rate_limit=(30, 1.0)) as emu:
        emu.inject("submit", "service_busy", nth=1)
        with emu.client() as client:
            client.submit(prompt="A robot paints a mural")
        stats: Dict[str, int] = emu.stats()
        emu.reset()
        return stats["tasks_created"]
