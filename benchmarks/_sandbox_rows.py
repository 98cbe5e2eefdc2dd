"""Rows 8 and 9: ``imagineo sandbox`` under load, side by side with Prism's mock server in the same run.

8. Throughput and p99 latency at concurrency 64 (64 keep-alive connections opened at once, each sending the spec's
   named examples in turn with a new Idempotency-Key per request), the sandbox vs ``prism mock`` on the same spec
   (node_modules/.bin/prism, the project's pinned dev tool, with ``--errors`` so it validates as the sandbox does),
   in alternating rounds. Target: >= 2x Prism's throughput, and 0 errors (resets, timeouts, non-2xx) on the sandbox.
9. The sandbox's peak resident memory (VmHWM) after 30 s of 64 connections sending 512 KiB prompts with distinct
   keys. Target: <= `imagineo.sandbox._limits.RSS_BOUND_MB` MiB.

Both servers are subprocesses on 127.0.0.1; the load is benchmarks/_load.py, the same client for both.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from _common import ROOT, SPEC, Row, check, examples, rotations
from _load import LoadResult, Request, run
from imagineo.sandbox._limits import RSS_BOUND_MB

__all__ = ["bench_sandbox"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _Process:
    def __init__(self, cmd: list[str], url: str) -> None:
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = url
        deadline = time.monotonic() + 90
        while True:
            try:
                httpx.get(url + "/", timeout=2)
                return
            except httpx.TransportError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.close()
                    raise RuntimeError(f"{cmd[0]} did not come up on {url}") from None
                time.sleep(0.2)

    def peak_rss_mib(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(next(x for x in status.splitlines() if x.startswith("VmHWM:")).split()[1]) / 1024

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _sandbox() -> _Process:
    port = _free_port()
    cmd = [str(Path(sys.executable).with_name("imagineo")), "sandbox", "--port", str(port), "--quiet"]
    return _Process(cmd, f"http://127.0.0.1:{port}")


def _prism() -> _Process:
    port = _free_port()
    cmd = [str(ROOT / "node_modules" / ".bin" / "prism"), "mock", str(SPEC), "--host", "127.0.0.1", "--port"]
    cmd += [str(port), "--errors", "--dynamic=false", "--cors=false", "-v", "warn"]
    return _Process(cmd, f"http://127.0.0.1:{port}")


def _generate(bodies: list[bytes], tag: str) -> Any:
    def make(c: int, i: int) -> Request:
        headers = {"Authorization": "Bearer sk-bench", "Content-Type": "application/json"}
        headers["Idempotency-Key"] = f"{tag}-{c}-{i}"
        return ("POST", "/api/v1/runs/generate", headers, bodies[(c + i) % len(bodies)])

    return make


def _failures(result: LoadResult) -> int:
    return sum(result.errors.values()) + sum(n for status, n in result.statuses.items() if not 200 <= status < 300)


def bench_sandbox(rounds: int, seconds: float, memory_seconds: float) -> list[Row]:
    bodies = [json.dumps(example).encode() for example in examples()]
    servers = {"imagineo sandbox": _sandbox(), "prism mock": _prism()}
    per: dict[str, list[LoadResult]] = {name: [] for name in servers}
    try:
        for name, server in servers.items():  # warm up (Prism compiles its validators on first use)
            run(server.url, _generate(bodies, f"warm-{name[:5]}"), connections=64, seconds=1.0)
        for r, order in enumerate(rotations(list(servers), rounds)):
            for name in order:
                make = _generate(bodies, f"r{r}-{name[:5]}")
                per[name].append(run(servers[name].url, make, connections=64, seconds=seconds))
    finally:
        prism_rss = servers["prism mock"].peak_rss_mib() if os.path.exists("/proc/self/status") else None
        for server in servers.values():
            server.close()
    sandbox, prism = per["imagineo sandbox"], per["prism mock"]
    ratio = statistics.median(a.throughput / b.throughput for a, b in zip(sandbox, prism, strict=True))
    errors = sum(_failures(x) for x in sandbox)
    rows = [
        Row(
            "8",
            "sandbox under load: throughput at concurrency 64 vs Prism's mock server (0 errors)",
            round(statistics.median(x.throughput for x in sandbox), 1),
            "prism mock",
            round(statistics.median(x.throughput for x in prism), 1),
            "requests/s",
            round(ratio, 3),
            ">= 2.00x, 0 errors",
            check(ratio, ">=", 2.0) and errors == 0,
            {
                "rounds": rounds,
                "seconds_per_round": seconds,
                "connections": 64,
                "p99_ms": {
                    "imagineo sandbox": round(statistics.median(x.percentile(0.99) for x in sandbox) * 1000, 1),
                    "prism mock": round(statistics.median(x.percentile(0.99) for x in prism) * 1000, 1),
                },
                "p50_ms": {
                    "imagineo sandbox": round(statistics.median(x.percentile(0.5) for x in sandbox) * 1000, 1),
                    "prism mock": round(statistics.median(x.percentile(0.5) for x in prism) * 1000, 1),
                },
                "errors": {"imagineo sandbox": errors, "prism mock": sum(_failures(x) for x in prism)},
                "per_round": {name: [x.summary() for x in results] for name, results in per.items()},
                "prism_peak_rss_mib": prism_rss,
            },
        )
    ]
    padding = "a" * (512 << 10)
    server = _sandbox()
    try:

        def big(c: int, i: int) -> Request:
            body = json.dumps({"prompt": f"{c}-{i} {padding}", "model_type": "flux-dev"}).encode()
            return _generate([body], "big")(c, i)

        load = run(server.url, big, connections=64, seconds=memory_seconds, timeout=120)
        peak = server.peak_rss_mib()
    finally:
        server.close()
    rows.append(
        Row(
            "9",
            f"sandbox peak RSS after {memory_seconds:g} s of 64 connections sending 512 KiB bodies, distinct keys",
            round(peak, 1),
            "-",
            None,
            "MiB",
            None,
            f"<= {RSS_BOUND_MB} MiB, 0 errors",
            peak <= RSS_BOUND_MB and _failures(load) == 0,
            {"load": load.summary(), "mib_sent": round(load.answered * 0.5, 1)},
        )
    )
    return rows
