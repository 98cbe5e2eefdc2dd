"""The sandbox's server engine (issue 19, item 1, 2 and 7): uvicorn holds 64 simultaneous connections with no reset,
closes idle and half-sent connections, stops gracefully on SIGTERM/SIGINT, and its memory stays bounded.

The load here is short and loopback only (bounded count and time); throughput and p99 latency are `make bench`'s
(benchmarks/bench.py, the sandbox row, beside Prism), never asserted here.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from imagineo.sandbox import SandboxServer
from imagineo.sandbox._limits import MAX_KEPT_BODY, RSS_BOUND_MB

from tests import spec_cases as sc

sys.path.insert(0, str(sc.ROOT / "benchmarks"))
import _load

IMAGINEO = sc.ROOT / ".venv" / "bin" / "imagineo"
EXAMPLE = next(iter(sc.REQUEST_EXAMPLES.values()))


def generate(c: int, i: int, body: bytes | None = None) -> _load.Request:
    headers = {"Authorization": "Bearer k", "Content-Type": "application/json", "Idempotency-Key": f"k-{c}-{i}"}
    return ("POST", sc.ENDPOINT, headers, body if body is not None else json.dumps(EXAMPLE).encode())


class Served:
    """`imagineo sandbox` in a subprocess (its own memory, measured from /proc)."""

    def __init__(self, tmp: Path, *args: str) -> None:
        url_file = tmp / "url"
        cmd = [str(IMAGINEO), "sandbox", "--port", "0", "--quiet", "--url-file", str(url_file), *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for _ in range(400):
            if url_file.exists() and url_file.read_text().strip():
                self.url = url_file.read_text().strip()
                return
            if self.proc.poll() is not None:
                pytest.fail(f"imagineo sandbox exited: {self.proc.stderr.read() if self.proc.stderr else ''}")
            time.sleep(0.05)
        self.proc.kill()
        pytest.fail("imagineo sandbox did not write its URL")

    def peak_rss_mb(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(tmp_path)
    try:
        yield server
    finally:
        server.stop()


def test_64_simultaneous_connections_are_all_answered_with_no_reset(served: Served) -> None:
    """Breaks if the server resets connections under a burst (http.server's listen backlog of 5 reset 100-180 of
    320 such requests) or answers any of them with an error: 64 connections opened at once, 5 requests each, each
    request on a new connection (``Connection: close``), so every round is a burst of 64 connects."""

    padding = "b" * (128 << 10)  # a prompt of 128 KiB: the server is busy while the next burst connects

    def once(c: int, i: int) -> _load.Request:
        method, path, headers, body = generate(c, i, json.dumps({**EXAMPLE, "prompt": f"{c}-{i} {padding}"}).encode())
        return method, path, {**headers, "Connection": "close"}, body

    result = _load.run(served.url, once, connections=64, per_connection=5, timeout=60)
    assert result.errors == {}, result.summary()
    assert result.statuses == {200: 320}, result.summary()
    stats = httpx.get(served.url + "/_sandbox/stats").json()
    assert stats["runs_created"] == 320


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the server's peak RSS from /proc")
def test_memory_stays_bounded_under_large_bodies_with_distinct_keys_and_big_pictures(served: Served) -> None:
    """Breaks if the sandbox keeps request bodies (it kept each three times: RSS grew 3.2x the bytes sent, 1.3 GB in
    12 s of this load) or renders many big pictures at once (8 at once peaked at 809 MB): 64 connections send
    512 KiB bodies with distinct keys for a bounded time, then 8 different 4096x4096 pictures are fetched at once;
    the server's peak RSS stays under the documented bound."""
    padding = "a" * (512 << 10)

    def big(c: int, i: int) -> _load.Request:
        return generate(c, i, json.dumps({**EXAMPLE, "prompt": f"{c}-{i} {padding}"}).encode())

    result = _load.run(served.url, big, connections=64, seconds=6, per_connection=6, timeout=120)
    assert result.errors == {}, result.summary()
    assert set(result.statuses) == {200}, result.summary()
    runs = httpx.get(served.url + "/_sandbox/runs", timeout=30).json()
    assert runs
    assert all(run["body"] is None and run["body_bytes"] > MAX_KEPT_BODY for run in runs)  # fingerprints only
    assert all(len(run["body_sha256"]) == 64 for run in runs)

    def fetch(c: int, i: int) -> _load.Request:  # 8 different pictures: the URL alone decides one
        return ("GET", f"/images/{c + 1:020x}-4096x4096.png", {}, b"")

    fetched = _load.run(served.url, fetch, connections=8, per_connection=1, timeout=120)
    assert fetched.statuses == {200: 8}, fetched.summary()
    peak = served.peak_rss_mb()
    assert peak < RSS_BOUND_MB, f"peak RSS {peak:.0f} MiB >= {RSS_BOUND_MB} MiB ({result.summary()})"


def test_idle_and_half_sent_connections_are_closed_and_never_starve_a_new_client() -> None:
    """Breaks if a connection that sends nothing, or a request head a byte at a time, is kept open for ever (60 idle
    keep-alive clients exhausted http.server: no new client was served for 20 s), or if they delay a new client."""
    with SandboxServer(header_timeout=0.5).start() as server:
        idle = [socket.create_connection((server.host, server.port), timeout=10) for _ in range(60)]
        partial = [socket.create_connection((server.host, server.port), timeout=10) for _ in range(4)]
        for sock in partial:
            sock.sendall(f"POST {sc.ENDPOINT} HTTP/1.1\r\nHost: x\r\n".encode())  # never finished
        with httpx.Client() as fresh:
            answer = fresh.post(server.url + sc.ENDPOINT, json=EXAMPLE, headers={"Authorization": "Bearer k"})
        assert answer.status_code == 200
        for sock in idle + partial:
            assert sock.recv(1024) == b""  # the server closed it (a recv timeout raises instead)
            sock.close()
        assert server.runs_created == 1


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_command_gracefully_after_the_answer_in_flight(tmp_path: Path, sig: signal.Signals) -> None:
    """Breaks if SIGTERM or SIGINT kills the sandbox with an answer in flight (the client would see a dropped
    connection and retry) or leaves it running: a request held 1 s (``slow=1``) is answered, then the process ends,
    by the signal (SIGTERM, as uvicorn does) or with status 0 (Ctrl-C)."""
    server = Served(tmp_path)
    try:
        with httpx.Client(timeout=30) as http:
            answers: list[httpx.Response] = []
            headers = {"Authorization": "Bearer k", "X-Sandbox-Fault": "slow=1"}
            sender = threading.Thread(
                target=lambda: answers.append(http.post(server.url + sc.ENDPOINT, json=EXAMPLE, headers=headers))
            )
            sender.start()
            time.sleep(0.4)  # the request has arrived and is held
            os.kill(server.proc.pid, sig)
            sender.join(30)
            code = server.proc.wait(timeout=30)
        assert [a.status_code for a in answers] == [200]
        assert code == (-signal.SIGTERM if sig == signal.SIGTERM else 0)
        with pytest.raises(httpx.ConnectError):
            httpx.get(server.url + "/_sandbox/stats", timeout=5)
    finally:
        server.stop()
