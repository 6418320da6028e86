"""A Python HTTP/1.1 keep-alive load generator: the fallback when wrk is missing.

    python -m bench.load --url http://127.0.0.1:8000 --plan PLAN [--ids IDS]
        [--connections 16] [--duration 10 | --requests N]

Raw asyncio streams (uvloop when installed), one coroutine per connection,
requests built from the same plan files as ``bench/wrk/plan.lua``. It prints
one ``BENCHJSON {...}`` line in the same shape as the wrk script. The harness
runs it in its own process, pinned away from the server, and reports its CPU
time next to the server's so that a saturated load generator shows.

The same client seeds the database through the API (``run_requests``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

try:
    import uvloop
except ImportError:  # pragma: no cover - uvicorn[standard] brings it
    uvloop = None

from bench.plan import RequestFactory, read_ids, read_plan

TIMEOUT_SECONDS = 10.0

OnResponse = Callable[[int, bytes], None]


@dataclass(slots=True)
class Tally:
    """What the connections observed, merged at the end."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    bytes: int = 0
    started: int = 0


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, int]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if not chunked:
        body = await reader.readexactly(length) if length else b""
        return status, body, len(head) + length
    parts = []
    size = len(head)
    while True:
        size_line = await reader.readuntil(b"\r\n")
        chunk = int(size_line.split(b";")[0], 16)
        data = await reader.readexactly(chunk + 2)
        size += len(size_line) + len(data)
        if chunk == 0:
            return status, b"".join(parts), size
        parts.append(data[:-2])


async def _connection(
    host: str,
    port: int,
    factory: RequestFactory,
    tally: Tally,
    *,
    deadline: float,
    budget: list[int],
    on_response: OnResponse | None,
) -> None:
    # Like wrk: a connection that fails is counted and opened again.
    while time.monotonic() < deadline and budget[0] != 0:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port), TIMEOUT_SECONDS
            )
        except (OSError, TimeoutError):
            tally.errors["connect"] += 1
            await asyncio.sleep(0.1)
            continue
        try:
            await _requests(
                reader,
                writer,
                factory,
                tally,
                deadline=deadline,
                budget=budget,
                on_response=on_response,
            )
        finally:
            writer.close()
            with contextlib.suppress(OSError, asyncio.CancelledError):
                await writer.wait_closed()


async def _requests(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    factory: RequestFactory,
    tally: Tally,
    *,
    deadline: float,
    budget: list[int],
    on_response: OnResponse | None,
) -> None:
    """Requests one after another on one keep-alive connection until it fails or time is up."""
    while time.monotonic() < deadline and budget[0] != 0:
        budget[0] -= 1
        tally.started += 1
        request = factory.next()
        begun = time.perf_counter()
        try:
            writer.write(request)
            status, body, size = await asyncio.wait_for(_read_response(reader), TIMEOUT_SECONDS)
        except TimeoutError:
            tally.errors["timeout"] += 1
            return
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            tally.errors["read"] += 1
            return
        tally.latencies.append(time.perf_counter() - begun)
        tally.statuses[status] += 1
        tally.bytes += size
        if status > 399:
            tally.errors["status"] += 1
        if on_response is not None:
            on_response(status, body)


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def summarize(tally: Tally, elapsed: float) -> dict[str, object]:
    """The same shape as the wrk script's ``BENCHJSON`` line (microseconds)."""
    ordered = sorted(tally.latencies)
    us = 1_000_000
    return {
        "requests": len(ordered),
        "duration_us": int(elapsed * us),
        "bytes": tally.bytes,
        "errors": {
            name: tally.errors.get(name, 0)
            for name in ("connect", "read", "write", "status", "timeout")
        },
        "latency_us": {
            "p50": int(_percentile(ordered, 0.50) * us),
            "p90": int(_percentile(ordered, 0.90) * us),
            "p99": int(_percentile(ordered, 0.99) * us),
            "p999": int(_percentile(ordered, 0.999) * us),
            "mean": (sum(ordered) / len(ordered) * us) if ordered else 0.0,
            "max": int(ordered[-1] * us) if ordered else 0,
        },
        "statuses": {str(code): count for code, count in sorted(tally.statuses.items())},
    }


async def run_requests(
    url: str,
    plan: Path,
    *,
    ids: Path | None = None,
    connections: int = 16,
    duration: float | None = None,
    requests: int | None = None,
    on_response: OnResponse | None = None,
    seed: int | None = None,
) -> dict[str, object]:
    """Load ``url`` with ``plan`` for ``duration`` seconds or ``requests`` requests."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 80
    kinds = read_plan(plan)
    if seed is None:  # a fresh sequence per run: repeated PATCH titles would be no-ops
        seed = secrets.randbits(32)
    id_list = read_ids(ids)
    tally = Tally()
    deadline = time.monotonic() + (duration if duration is not None else 10**9)
    budget = [requests if requests is not None else -1]
    started = time.perf_counter()
    await asyncio.gather(
        *(
            _connection(
                host,
                port,
                RequestFactory(kinds, id_list, f"{host}:{port}", seed * 1000 + number),
                tally,
                deadline=deadline,
                budget=budget,
                on_response=on_response,
            )
            for number in range(connections)
        )
    )
    return summarize(tally, time.perf_counter() - started)


def event_loop_runner() -> Callable[..., object]:
    """``uvloop.run`` when uvloop is installed (it is, with uvicorn[standard]), else asyncio's."""
    if uvloop is None:
        return asyncio.run
    return uvloop.run  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--plan", type=Path, required=True)
    parser.add_argument("--ids", type=Path)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float)
    parser.add_argument("--requests", type=int)
    parser.add_argument("--seed", type=int)
    args = parser.parse_args(argv)
    if args.duration is None and args.requests is None:
        parser.error("give --duration or --requests")
    result = event_loop_runner()(
        run_requests(
            args.url,
            args.plan,
            ids=args.ids,
            connections=args.connections,
            duration=args.duration,
            requests=args.requests,
            seed=args.seed,
        )
    )
    sys.stdout.write("BENCHJSON " + json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
