"""What the SDK costs its user, side by side with raw httpx and openai-python, as ratios measured in one run.

    make bench                                  # installs the `bench` dependency group, then runs this
    .venv/bin/python benchmarks/bench.py        # the same, without the install step
    .venv/bin/python benchmarks/bench.py --quick --only 1,4

Prints one table and writes it as JSON (default benchmarks/results/latest.json, gitignored). Each row is a ratio
of contenders measured in the same process (or the same run of subprocesses), alternating the contenders in blocks
(the order rotates every round) so drift on the machine hits all of them alike; a ratio is the median of the
per-round ratios. Absolute figures drift between machines and runs; only the ratios are meant to be compared.

1. Per-call client CPU (process time) on httpx.MockTransport: ``client.images.generate(**example)`` cycling
   through the spec's named example for each model type (aliases, defaults and validation included) vs raw
   ``httpx.Client.post(url, json=example, headers=auth).json()`` vs openai-python's ``images.generate``, each with
   its own ``httpx.Client(transport=httpx.MockTransport(handler))`` and the same handler.
2. Round trip to one uvicorn server on 127.0.0.1 (a subprocess, benchmarks/_server.py): sync SDK vs raw httpx.
3. Async fan-out: 2,000 calls at concurrency 64, AsyncImagineoAIClient vs raw httpx.AsyncClient, same server.
4. Cold import in a fresh interpreter (``python -I``), median of >= 10 runs each: time of the import statement
   and the process's peak resident memory (VmHWM: its ru_maxrss, without what a child inherits from its parent),
   for ``import imagineo`` / ``import httpx`` / ``import openai``.
5. Regeneration: ``generator/generate.py --out <temp dir>`` wall time, median of 3.
6. Validation alone: ``imagineo._models.prepare`` (aliases, defaults, validation, generated request model) per call
   for valid and for invalid input, and its share of (1).
7. First call in a fresh process, median of >= 10 runs each: from spawning ``python -I`` to its first parsed result
   on httpx.MockTransport (imports, client, one call with the spec's example for the default model type), imagineo
   vs raw httpx vs openai-python; also with httpx's optional command line hidden, as in row 4.

8. The sandbox under load (``imagineo sandbox``, uvicorn): throughput and p99 latency at concurrency 64, side by
   side with Prism's mock server on the same spec, in alternating rounds (target >= 2x Prism, 0 errors).
9. The sandbox's peak RSS after 30 s of 64 connections sending 512 KiB bodies with distinct keys.

Rows 4 and 7 live in benchmarks/_cold.py, 8 and 9 in benchmarks/_sandbox_rows.py (the load: benchmarks/_load.py),
the helpers the rows share in benchmarks/_common.py.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
from _cold import bench_first_call, bench_import
from _common import API_KEY, MOCK_BASE, PATH, ROOT, Row, check, examples, paired_ratio, rotations
from _sandbox_rows import bench_sandbox
from _server import IMAGINEO_BODY, OPENAI_BODY

DEFAULT_OUT = ROOT / "benchmarks" / "results" / "latest.json"
JSON_HEADERS = {"content-type": "application/json"}

# Invalid inputs for row 6: one broken rule of each kind the overlay reports (range, empty, missing, pattern,
# wrong type, unknown field with a "did you mean", field of another model type).
INVALID: list[dict[str, Any]] = [
    {"prompt": "p", "model_type": "flux-dev", "width": 10},
    {"prompt": "", "model_type": "flux-dev"},
    {"prompt": "p", "model_type": "wan-image-2.2", "model_id": "3f1c2a9e-6b7d-4e2f-9a1b-5c8d7e6f4a3b"},
    {"prompt": "p", "model_type": "openai", "reference_image_url": "not a url"},
    {"prompt": "p", "model_type": "flux-dev", "width": "512"},
    {"prompt": "p", "model_type": "flux-dev", "widht": 512},
    {"prompt": "p", "model_type": "flux-dev", "image_urls": ["https://example.com/a.png"]},
]


def handler(request: httpx.Request) -> httpx.Response:
    """The one mock answer, for every contender: a pre-encoded JSON body."""
    body = OPENAI_BODY if request.url.path.startswith("/v1/images/") else IMAGINEO_BODY
    return httpx.Response(200, content=body, headers=JSON_HEADERS)


def mock_http() -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def blocks(
    contenders: dict[str, Callable[[int], object]], rounds: int, calls: int, clock: Callable[[], float]
) -> dict[str, list[float]]:
    """Seconds per call for each contender in each round; every contender runs `calls` calls per block."""
    for run in contenders.values():  # warm up: caches, lazy imports, connection pools
        run(max(calls // 4, 20))
    per: dict[str, list[float]] = {name: [] for name in contenders}
    for order in rotations(list(contenders), rounds):
        for name in order:
            gc.collect()
            started = clock()
            contenders[name](calls)
            per[name].append((clock() - started) / calls)
    return per


# ----------------------------------------------------------------------------------------------------------------
# 1 and 6: per-call CPU on a MockTransport; validation alone.


def check_request_building() -> None:
    """The overlay builds its request without httpx's build_request (imagineo._base_client._new_request): make sure the
    shortcut still yields what build_request would, for the kinds of client the benchmarks use, before timing it."""
    from imagineo._base_client import _new_request

    url = httpx.URL(MOCK_BASE + PATH)
    headers = {"Authorization": "Bearer k", "Accept": "application/json", "Idempotency-Key": "k", "x-a": "1"}
    for http in (mock_http(), httpx.Client(headers={"X-A": "0", "x-b": "2"}), httpx.AsyncClient()):
        ours = _new_request(http, "POST", url, {"prompt": "p"}, headers, 5.0)
        theirs = http.build_request("POST", url, json={"prompt": "p"}, headers=headers, timeout=5.0)
        same = (ours.headers.raw, ours.url, ours.extensions, ours.read()) == (
            theirs.headers.raw,
            theirs.url,
            theirs.extensions,
            theirs.read(),
        )
        assert same, f"_new_request differs from build_request: {ours.headers.raw} != {theirs.headers.raw}"


def bench_per_call(rounds: int, calls: int) -> tuple[list[Row], float]:
    import openai
    from imagineo import ImagineoAIClient

    check_request_building()
    exs = examples()
    n = len(exs)
    url = MOCK_BASE + PATH
    auth = {"Authorization": f"Bearer {API_KEY}"}
    raw = mock_http()
    sdk = ImagineoAIClient(MOCK_BASE, api_key=API_KEY, http_client=mock_http())
    oai = openai.OpenAI(api_key=API_KEY, base_url=MOCK_BASE + "/v1", http_client=mock_http())
    prompts = [ex["prompt"] for ex in exs]

    def run_raw(k: int) -> None:
        post = raw.post
        for i in range(k):
            post(url, json=exs[i % n], headers=auth).json()

    def run_sdk(k: int) -> None:
        generate = sdk.images.generate
        for i in range(k):
            generate(**exs[i % n])

    def run_oai(k: int) -> None:
        generate = oai.images.generate
        for i in range(k):
            generate(prompt=prompts[i % n], model="gpt-image-1", size="1024x1024")

    assert sdk.images.generate(**exs[0]) is not None
    assert oai.images.generate(prompt="p").data
    per = blocks({"imagineo": run_sdk, "httpx": run_raw, "openai": run_oai}, rounds, calls, time.process_time)
    us = {name: statistics.median(v) * 1e6 for name, v in per.items()}
    rows = []
    for base, bound in (("httpx", 1.3), ("openai", 0.3)):
        ratio = paired_ratio(per["imagineo"], per[base])
        rows.append(
            Row(
                "1",
                f"per-call CPU, MockTransport, vs {'raw httpx' if base == 'httpx' else 'openai-python'}",
                round(us["imagineo"], 1),
                "raw httpx" if base == "httpx" else "openai images.generate",
                round(us[base], 1),
                "us/call",
                round(ratio, 3),
                f"<= {bound:.2f}x",
                check(ratio, "<=", bound),
                {"rounds": rounds, "calls_per_block": calls, "model_types": n},
            )
        )
    sdk.close()
    return rows, us["imagineo"]


def bench_validation(rounds: int, calls: int, per_call_us: float | None) -> list[Row]:
    from imagineo import ImagineoValidationError, _models

    exs = examples()
    n, m = len(exs), len(INVALID)
    prepare = _models.prepare

    def valid(k: int) -> None:
        for i in range(k):
            prepare(exs[i % n])

    def invalid(k: int) -> None:
        for i in range(k):
            try:
                prepare(INVALID[i % m])
            except ImagineoValidationError:
                pass
            else:
                raise AssertionError(f"accepted {INVALID[i % m]}")

    per = blocks({"valid": valid, "invalid": invalid}, rounds, calls, time.process_time)
    us = {name: statistics.median(v) * 1e6 for name, v in per.items()}
    share = us["valid"] / per_call_us if per_call_us else None
    return [
        Row(
            "6",
            "validation alone (_models.prepare), valid input",
            round(us["valid"], 2),
            "share of (1) per call",
            None,
            "us/call",
            round(share, 3) if share is not None else None,
            "-",
            None,
            {"share_of_per_call": share, "per_call_us": per_call_us},
        ),
        Row(
            "6",
            "validation alone (_models.prepare), invalid input",
            round(us["invalid"], 2),
            "-",
            None,
            "us/call",
            None,
            "-",
            None,
            {"inputs": len(INVALID)},
        ),
    ]


# ----------------------------------------------------------------------------------------------------------------
# 2 and 3: a real server on loopback.


class Server:
    """benchmarks/_server.py in a subprocess (its own CPU, not this process's GIL)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("_server.py"))], stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        port = int(self.proc.stdout.readline())
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(self.url + "/ready", timeout=1).raise_for_status()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    self.close()
                    raise
                time.sleep(0.05)

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def bench_round_trip(server: Server, rounds: int, calls: int) -> list[Row]:
    from imagineo import ImagineoAIClient

    exs = examples()
    n = len(exs)
    url = server.url + PATH
    auth = {"Authorization": f"Bearer {API_KEY}"}
    raw = httpx.Client()
    sdk = ImagineoAIClient(server.url, api_key=API_KEY)

    def run_raw(k: int) -> None:
        for i in range(k):
            raw.post(url, json=exs[i % n], headers=auth).json()

    def run_sdk(k: int) -> None:
        for i in range(k):
            sdk.images.generate(**exs[i % n])

    per = blocks({"imagineo": run_sdk, "httpx": run_raw}, rounds, calls, time.perf_counter)
    raw.close()
    sdk.close()
    ratio = paired_ratio(per["imagineo"], per["httpx"])
    return [
        Row(
            "2",
            "round trip, uvicorn on 127.0.0.1, sync, vs raw httpx",
            round(statistics.median(per["imagineo"]) * 1e6, 1),
            "raw httpx.Client",
            round(statistics.median(per["httpx"]) * 1e6, 1),
            "us/call",
            round(ratio, 3),
            "<= 1.15x",
            check(ratio, "<=", 1.15),
            {"rounds": rounds, "calls_per_block": calls},
        )
    ]


async def _fan_out(call: Callable[[int], Awaitable[object]], total: int, concurrency: int) -> float:
    """Seconds for `total` calls made by `concurrency` workers pulling from one counter."""
    todo = iter(range(total))

    async def worker() -> None:
        for i in todo:
            await call(i)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


async def _async_trials(server: Server, rounds: int, total: int, concurrency: int) -> dict[str, list[float]]:
    from imagineo import AsyncImagineoAIClient

    exs = examples()
    n = len(exs)
    url = server.url + PATH
    auth = {"Authorization": f"Bearer {API_KEY}"}
    async with httpx.AsyncClient() as raw, AsyncImagineoAIClient(server.url, api_key=API_KEY) as sdk:

        async def call_raw(i: int) -> None:
            (await raw.post(url, json=exs[i % n], headers=auth)).json()

        async def call_sdk(i: int) -> None:
            await sdk.images.generate(**exs[i % n])

        calls = {"imagineo": call_sdk, "httpx": call_raw}
        for call in calls.values():  # warm up
            await _fan_out(call, concurrency * 4, concurrency)
        per: dict[str, list[float]] = {name: [] for name in calls}
        for order in rotations(list(calls), rounds):
            for name in order:
                gc.collect()
                per[name].append(total / await _fan_out(calls[name], total, concurrency))
    return per


def bench_fan_out(server: Server, rounds: int, total: int = 2000, concurrency: int = 64) -> list[Row]:
    per = asyncio.run(_async_trials(server, rounds, total, concurrency))
    ratio = paired_ratio(per["imagineo"], per["httpx"])
    return [
        Row(
            "3",
            f"async fan-out, {total} calls at concurrency {concurrency}, throughput vs raw httpx",
            round(statistics.median(per["imagineo"]), 1),
            "raw httpx.AsyncClient",
            round(statistics.median(per["httpx"]), 1),
            "calls/s",
            round(ratio, 3),
            ">= 0.85x",
            check(ratio, ">=", 0.85),
            {
                "rounds": rounds,
                "calls": total,
                "concurrency": concurrency,
                "per_round_calls_per_s": {k: [round(x, 1) for x in v] for k, v in per.items()},
            },
        )
    ]


# ----------------------------------------------------------------------------------------------------------------
# 4 and 5: subprocesses.


def bench_generate(runs: int) -> list[Row]:
    times = []
    for _ in range(runs):
        out = Path(tempfile.mkdtemp(prefix="imagineo-bench-gen-"))
        try:
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, str(ROOT / "generator" / "generate.py"), "--out", str(out)],
                check=True,
                capture_output=True,
                cwd=ROOT,
            )
            times.append(time.perf_counter() - started)
        finally:
            shutil.rmtree(out, ignore_errors=True)
    median = statistics.median(times)
    return [
        Row(
            "5",
            "regeneration: generator/generate.py --out <tmp>, wall time",
            round(median, 2),
            "-",
            None,
            "s",
            None,
            "<= 10 s",
            median <= 10,
            {"runs": [round(t, 2) for t in times]},
        )
    ]


# ----------------------------------------------------------------------------------------------------------------
# Report.


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(dist: str) -> str | None:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "versions": {d: version(d) for d in ("imagineo", "httpx", "pydantic", "attrs", "openai", "uvicorn")},
    }


def table(rows: list[Row]) -> str:
    header = ("#", "metric", "imagineo", "vs", "ratio", "target", "ok")
    lines = []
    for r in rows:
        base = "" if r.baseline_value is None else f"{r.baseline}: {r.baseline_value:g} {r.unit}"
        if r.baseline_value is None and r.baseline != "-":
            base = r.baseline
        ok = "-" if r.met is None else ("yes" if r.met else "NO")
        ratio = "" if r.ratio is None else f"{r.ratio:.2f}x"
        if r.id == "6" and r.ratio is not None:
            ratio = f"{r.ratio:.0%}"
        lines.append((r.id, r.metric, f"{r.imagineo:g} {r.unit}", base, ratio, r.target, ok))
    widths = [max(len(str(x[i])) for x in [header, *lines]) for i in range(len(header))]
    fmt = "  ".join(f"{{:{'>' if i in (2, 4) else '<'}{w}}}" for i, w in enumerate(widths))
    out = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*line) for line in lines]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON table")
    parser.add_argument("--quick", action="store_true", help="fewer rounds: a smoke run, not for the record")
    parser.add_argument("--only", default="1,2,3,4,5,6,7,8,9", help="comma-separated rows to run (default: all)")
    args = parser.parse_args(argv)
    only = {s.strip() for s in args.only.split(",")}
    q = args.quick
    info = machine()
    rows: list[Row] = []
    per_call_us: float | None = None
    started = time.perf_counter()

    def say(what: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {what}", file=sys.stderr, flush=True)

    if "1" in only or "6" in only:
        say("1: per-call CPU on MockTransport (imagineo / raw httpx / openai)")
        got, per_call_us = bench_per_call(rounds=5 if q else 21, calls=100 if q else 300)
        rows += got if "1" in only else []
    if "2" in only or "3" in only:
        server = Server()
        try:
            if "2" in only:
                say("2: sync round trip on loopback")
                rows += bench_round_trip(server, rounds=5 if q else 15, calls=100 if q else 300)
            if "3" in only:
                say("3: async fan-out on loopback")
                rows += bench_fan_out(server, rounds=2 if q else 9)
        finally:
            server.close()
    if "4" in only:
        say("4: cold imports")
        rows += bench_import(runs=10 if q else 15)
    if "7" in only:
        say("7: first call in a fresh process")
        rows += bench_first_call(runs=10 if q else 15)
    if "5" in only:
        say("5: regeneration")
        rows += bench_generate(runs=1 if q else 3)
    if "6" in only:
        say("6: validation alone")
        rows += bench_validation(rounds=5 if q else 15, calls=500 if q else 2000, per_call_us=per_call_us)
    if "8" in only or "9" in only:
        say("8, 9: the sandbox under load, beside Prism's mock server")
        got = bench_sandbox(rounds=1 if q else 3, seconds=3.0 if q else 8.0, memory_seconds=5.0 if q else 30.0)
        rows += [r for r in got if r.id in only]
    say("done")
    info["loadavg_at_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None

    text = table(rows)
    if os.environ.get("MAKELEVEL"):
        command = f"make bench BENCH_ARGS='{' '.join(sys.argv[1:])}'" if sys.argv[1:] else "make bench"
    else:
        command = " ".join([".venv/bin/python", *sys.argv])
    print(text)
    print(
        f"\n{info['nproc']} CPUs ({info['cpu_model']}), Python {info['python']}; "
        f"load average {info['loadavg_at_start']} at start"
    )
    report = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": command,
        "quick": q,
        "machine": info,
        "rows": [asdict(r) for r in rows],
        "table": text,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {args.out}")
    missed = [r for r in rows if r.met is False]
    if missed:
        print(f"{len(missed)} target(s) missed: " + "; ".join(f"{r.id} {r.metric}" for r in missed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
