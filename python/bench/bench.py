"""Benchmark: the `seedance` package against a hand-written httpx client, side by side.

Both talk to the same local emulator (seedance.testing.Emulator, 127.0.0.1) in one run:

1. import time      a fresh interpreter importing `seedance` vs `httpx` (median of N)
2. submit + get     latency of one submit followed by one task read, sequential, sync
                    clients with keep-alive, no rate limit (median and p95 of N)
3. 100-job batch    submit 100 jobs and wait for all, concurrently (asyncio), under the
                    API's budget of 30 requests per 60 s scaled 60x to 30 per 1 s, with
                    render times scaled by the same factor; wall time, requests sent and
                    429s received

The httpx client is what a careful user would write from the API page: a Bearer header,
an Idempotency-Key per job, a 429 handler that sleeps `Retry-After` and retries, and a
fixed 5 s poll interval (scaled like everything else).

Usage:  python python/bench/bench.py [--jobs 100] [--iterations 200] [--imports 10] [--json]
Needs:  pip install ./python httpx
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
import uuid
from typing import Any, Dict, List, Tuple

import httpx

import seedance
from seedance import _seedance
from seedance.testing import Emulator

PROMPT = "A cinematic shot of a glass train crossing a snowy mountain bridge"
SCALE = 60.0  # 60 s windows -> 1 s; render minutes -> seconds
#: The spec's limits (seedance-core's, through the native module), windows scaled.
_ACCOUNT, _MEDIA = _seedance.RATE_LIMITS["account"], _seedance.RATE_LIMITS["media"]
BUDGET = (_ACCOUNT[0], _ACCOUNT[1] / SCALE)
MEDIA_BUDGET = (_MEDIA[0], _MEDIA[1] / SCALE)
HANDWRITTEN_POLL_SECS = 5.0 / SCALE


# ---- 1. import time -------------------------------------------------------------------


def import_time(module: str, runs: int) -> float:
    code = (
        "import time; t = time.perf_counter(); import {m}; "
        "print(time.perf_counter() - t)".format(m=module)
    )
    samples = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        samples.append(float(out.stdout.strip()))
    return statistics.median(samples)


# ---- 2. submit + get latency ------------------------------------------------------------


def pct(samples: List[float], p: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(p * (len(s) - 1))))]


def latency_seedance(emu: Emulator, n: int) -> List[float]:
    out = []
    with emu.client(rate_limit=False) as client:
        client.get_task(client.submit(prompt=PROMPT))  # warm up the connection
        for _ in range(n):
            t = time.perf_counter()
            task = client.submit(prompt=PROMPT)
            client.get_task(task.id)
            out.append(time.perf_counter() - t)
    return out


def latency_httpx(emu: Emulator, n: int) -> List[float]:
    out = []
    headers = {"Authorization": f"Bearer {emu.api_key}"}
    with httpx.Client(base_url=emu.base_url, headers=headers) as http:

        def once() -> None:
            r = http.post(
                "/api/v1/video/seedance2",
                json={"prompt": PROMPT},
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
            r.raise_for_status()
            http.get(f"/api/v1/tasks/{r.json()['id']}").raise_for_status()

        once()
        for _ in range(n):
            t = time.perf_counter()
            once()
            out.append(time.perf_counter() - t)
    return out


# ---- 3. the batch -----------------------------------------------------------------------


async def batch_seedance(emu: Emulator, jobs: int) -> Tuple[float, int]:
    async with emu.async_client() as client:
        t = time.perf_counter()
        tasks = await asyncio.gather(
            *(client.generate(prompt=f"{PROMPT}, take {i}") for i in range(jobs))
        )
        took = time.perf_counter() - t
    return took, sum(1 for x in tasks if x.is_completed)


async def _send(http: httpx.AsyncClient, method: str, url: str, **kw: Any) -> httpx.Response:
    while True:
        r = await http.request(method, url, **kw)
        if r.status_code == 429:
            await asyncio.sleep(float(r.headers.get("Retry-After", "1")))
            continue
        r.raise_for_status()
        return r


async def _job_httpx(http: httpx.AsyncClient, i: int) -> bool:
    r = await _send(
        http,
        "POST",
        "/api/v1/video/seedance2",
        json={"prompt": f"{PROMPT}, take {i}"},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    task_id = r.json()["id"]
    while True:
        await asyncio.sleep(HANDWRITTEN_POLL_SECS)
        body = (await _send(http, "GET", f"/api/v1/tasks/{task_id}")).json()
        if body["status"] in ("completed", "failed"):
            return bool(body["status"] == "completed")


async def batch_httpx(emu: Emulator, jobs: int) -> Tuple[float, int]:
    headers = {"Authorization": f"Bearer {emu.api_key}"}
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(base_url=emu.base_url, headers=headers, limits=limits) as http:
        t = time.perf_counter()
        done = await asyncio.gather(*(_job_httpx(http, i) for i in range(jobs)))
        took = time.perf_counter() - t
    return took, sum(done)


def run_batch(kind: str, jobs: int) -> Dict[str, Any]:
    with Emulator(time_scale=SCALE, rate_limit=BUDGET, media_rate_limit=MEDIA_BUDGET) as emu:
        fn = batch_seedance if kind == "seedance" else batch_httpx
        took, completed = asyncio.run(fn(emu, jobs))
        s = emu.stats()
    return {
        "wall_secs": took,
        "completed": completed,
        "requests": s["requests"],
        "rate_limited": s["rate_limited"],
        "tasks_created": s["tasks_created"],
    }


# ---- main -------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--jobs", type=int, default=100)
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--imports", type=int, default=10)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()

    results: Dict[str, Dict[str, Any]] = {"seedance": {}, "httpx": {}}
    results["seedance"]["import_secs"] = import_time("seedance", args.imports)
    results["httpx"]["import_secs"] = import_time("httpx", args.imports)

    with Emulator(time_scale=1000.0, rate_limit=False, media_rate_limit=False) as emu:
        for name, fn in (("seedance", latency_seedance), ("httpx", latency_httpx)):
            samples = fn(emu, args.iterations)
            results[name]["submit_get_median_ms"] = statistics.median(samples) * 1000
            results[name]["submit_get_p95_ms"] = pct(samples, 0.95) * 1000

    for name in ("seedance", "httpx"):
        results[name]["batch"] = run_batch(name, args.jobs)

    if args.json:
        print(json.dumps(results, indent=2))
        return
    s, h = results["seedance"], results["httpx"]
    rows = [
        ("import time (ms, median)", s["import_secs"] * 1000, h["import_secs"] * 1000, "{:.1f}"),
        ("submit+get latency (ms, median)", s["submit_get_median_ms"], h["submit_get_median_ms"], "{:.2f}"),
        ("submit+get latency (ms, p95)", s["submit_get_p95_ms"], h["submit_get_p95_ms"], "{:.2f}"),
        (f"{args.jobs}-job batch wall time (s)", s["batch"]["wall_secs"], h["batch"]["wall_secs"], "{:.2f}"),
        (f"{args.jobs}-job batch requests", s["batch"]["requests"], h["batch"]["requests"], "{}"),
        (f"{args.jobs}-job batch 429s received", s["batch"]["rate_limited"], h["batch"]["rate_limited"], "{}"),
        (f"{args.jobs}-job batch completed", s["batch"]["completed"], h["batch"]["completed"], "{}"),
    ]
    print(f"seedance {seedance.__version__} vs httpx {httpx.__version__}, Python {sys.version.split()[0]}")
    print(f"budget {BUDGET[0]} requests per {BUDGET[1]:g} s ({_ACCOUNT[0]}/{_ACCOUNT[1]:g} s scaled {SCALE:g}x), renders scaled {SCALE:g}x")
    print(f"{'':36} {'seedance':>12} {'httpx':>12}")
    for label, a, b, fmt in rows:
        print(f"{label:36} {fmt.format(a):>12} {fmt.format(b):>12}")


if __name__ == "__main__":
    main()
