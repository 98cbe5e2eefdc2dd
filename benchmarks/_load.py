"""A loopback HTTP/1.1 load generator: N keep-alive connections, opened at once, each sending requests in turn.

Used by ``make bench`` (the sandbox row: throughput and p99 at concurrency 64, beside Prism's mock server) and by the
suite's short load test (tests/test_sandbox_load.py). Plain asyncio streams and hand-written HTTP/1.1, so the client
costs little and is the same for every server it is pointed at. Loopback only: `run` refuses any other host.
"""

from __future__ import annotations

import asyncio
import ipaddress
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["LoadResult", "Request", "run"]

#: (method, path, headers, body) for request number `i` of connection `c`: `make(c, i)`.
Request = tuple[str, str, dict[str, str], bytes]


@dataclass
class LoadResult:
    seconds: float
    latencies: list[float] = field(default_factory=list)  # seconds, one per answered request
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)  # exception type name -> count (resets, timeouts...)

    @property
    def answered(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    def summary(self) -> dict[str, object]:
        return {
            "answered": self.answered,
            "seconds": round(self.seconds, 3),
            "requests_per_s": round(self.throughput, 1),
            "p50_ms": round(self.percentile(0.5) * 1000, 2) if self.latencies else None,
            "p99_ms": round(self.percentile(0.99) * 1000, 2) if self.latencies else None,
            "mean_ms": round(statistics.fmean(self.latencies) * 1000, 2) if self.latencies else None,
            "statuses": dict(self.statuses),
            "errors": dict(self.errors),
        }


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """(status, whether the server closes the connection after it)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    length = int(headers.get("content-length", "0"))
    if length:
        await reader.readexactly(length)
    return status, headers.get("connection", "").lower() == "close"


async def _connection(
    host: str,
    port: int,
    c: int,
    streams: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    make: Callable[[int, int], Request],
    seconds: float | None,
    count: int | None,
    result: LoadResult,
    timeout: float,
) -> None:
    reader, writer = streams
    stop_at = time.perf_counter() + seconds if seconds is not None else float("inf")
    i = 0
    try:
        while (count is None or i < count) and time.perf_counter() < stop_at:
            method, path, headers, body = make(c, i)
            lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
            lines += [f"{k}: {v}" for k, v in headers.items()]
            sent = time.perf_counter()
            try:
                writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
                await writer.drain()
                status, closing = await asyncio.wait_for(_read_answer(reader), timeout)
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
                result.errors[type(exc).__name__] += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                i += 1
                continue
            result.latencies.append(time.perf_counter() - sent)
            result.statuses[status] += 1
            if closing:
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
            i += 1
    finally:
        writer.close()


async def _run(
    host: str,
    port: int,
    connections: int,
    make: Callable[[int, int], Request],
    seconds: float | None,
    per_connection: int | None,
    timeout: float,
) -> LoadResult:
    result = LoadResult(0.0)
    # Every connection is opened (at once) before the first request goes.
    opened = await asyncio.gather(
        *(asyncio.open_connection(host, port) for _ in range(connections)), return_exceptions=True
    )
    began = time.perf_counter()
    tasks = []
    for c, streams in enumerate(opened):
        if isinstance(streams, BaseException):
            result.errors[type(streams).__name__] += 1
            continue
        tasks.append(_connection(host, port, c, streams, make, seconds, per_connection, result, timeout))
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    result.seconds = time.perf_counter() - began
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            result.errors[type(outcome).__name__] += 1
    return result


def run(
    url: str,
    make: Callable[[int, int], Request],
    *,
    connections: int = 64,
    seconds: float | None = None,
    per_connection: int | None = None,
    timeout: float = 30.0,
) -> LoadResult:
    """Open `connections` connections to `url` (a loopback http:// URL) at once, then each sends requests in turn
    (`make(connection, i)`) for `seconds` or `per_connection` requests, whichever ends first."""
    host, _, port = url.removeprefix("http://").rstrip("/").rpartition(":")
    if not ipaddress.ip_address(host.strip("[]")).is_loopback:
        raise ValueError(f"load is for loopback only; got {url}")
    if seconds is None and per_connection is None:
        raise ValueError("give seconds or per_connection")
    return asyncio.run(_run(host.strip("[]"), int(port), connections, make, seconds, per_connection, timeout))
