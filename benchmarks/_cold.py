"""Rows 4 and 7: what a fresh process pays, measured in subprocesses (``python -I``), the contenders taking turns.

4. Cold import: the time of the import statement and the process's peak resident memory.
7. First call: a whole process, from its start to the first parsed result on ``httpx.MockTransport`` (the spec's
   example for the default model type): interpreter start, imports, building the client and the first call, which
   for imagineo builds its validator and loads the generated models. Timed from outside, from spawning the
   interpreter to the child's line saying it has the result (so the interpreter's own teardown is not counted).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from _common import API_KEY, MOCK_BASE, PATH, Row, check, examples, paired_ratio, rotations
from _server import IMAGINEO_BODY, OPENAI_BODY


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}


# Peak memory is the process's own high-water mark (VmHWM, in KiB): its ru_maxrss would be at least the parent's,
# because Linux carries the forking process's peak RSS across fork/vfork + exec into the child's rusage.
IMPORT_PROBE = """
import time
started = time.perf_counter()
import {module}
elapsed = time.perf_counter() - started
with open("/proc/self/status") as status:
    peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
print(elapsed, peak)
"""


# httpx imports its optional command line (click, rich, pygments) whenever they are installed, as they are in this
# .venv (the dev group), which makes ``import httpx`` about twice as slow as in an app that has only the runtime
# dependencies. The "runtime deps only" probes hide those three, so the ratio a user of plain ``pip install imagineo``
# sees is measured too.
HIDE_HTTPX_CLI = """
import sys
class _Hide:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("click", "rich", "pygments"):
            raise ImportError(name)
sys.meta_path.insert(0, _Hide())
"""


def _import_once(probe: str) -> tuple[float, float]:
    module, _, mode = probe.partition(":")
    code = (HIDE_HTTPX_CLI if mode == "runtime" else "") + IMPORT_PROBE.format(module=module)
    out = subprocess.run(
        [sys.executable, "-I", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=_env(),
    ).stdout.split()
    return float(out[0]), int(out[1]) / 1024  # seconds, MiB


def bench_import(runs: int) -> list[Row]:
    modules = ["imagineo", "httpx", "openai", "imagineo:runtime", "httpx:runtime"]
    for module in modules:  # compile .pyc files, warm the page cache
        _import_once(module)
    secs: dict[str, list[float]] = {m: [] for m in modules}
    mib: dict[str, list[float]] = {m: [] for m in modules}
    for order in rotations(modules, runs):
        for module in order:
            s, m = _import_once(module)
            secs[module].append(s)
            mib[module].append(m)
    ms = {m: statistics.median(v) * 1000 for m, v in secs.items()}
    peak = {m: statistics.median(v) for m, v in mib.items()}
    rows = []
    for ours, base, bound, note in (
        ("imagineo", "httpx", 1.5, ""),
        ("imagineo:runtime", "httpx:runtime", 1.5, " (runtime deps only: httpx's click/rich hidden)"),
        ("imagineo", "openai", 0.4, ""),
    ):
        ratio = paired_ratio(secs[ours], secs[base])
        rows.append(
            Row(
                "4",
                f"cold import imagineo vs import {base.partition(':')[0]}{note}",
                round(ms[ours], 1),
                f"import {base.partition(':')[0]}",
                round(ms[base], 1),
                "ms",
                round(ratio, 3),
                f"<= {bound:.2f}x",
                check(ratio, "<=", bound),
                {"runs": runs, "median_ratio_of_medians": ms[ours] / ms[base]},
            )
        )
    rows.append(
        Row(
            "4",
            "cold import imagineo, peak memory (VmHWM)",
            round(peak["imagineo"], 1),
            f"httpx {peak['httpx']:.1f} MiB, openai {peak['openai']:.1f} MiB",
            None,
            "MiB",
            None,
            "<= 40 MiB",
            peak["imagineo"] <= 40,
            {
                "httpx_mib": round(peak["httpx"], 1),
                "openai_mib": round(peak["openai"], 1),
                "runtime_deps_only_mib": round(peak["imagineo:runtime"], 1),
                "runs": runs,
            },
        )
    )
    return rows


# Row 7's probes: each builds its client on a MockTransport answering the same pre-encoded body, makes one call,
# checks the parsed result and says so on stdout.
FIRST_CALL_SETUP = """
import httpx
{imports}
def handler(request):
    body = {openai_body!r} if request.url.path.startswith("/v1/images/") else {imagineo_body!r}
    return httpx.Response(200, content=body, headers={{"content-type": "application/json"}})
http = httpx.Client(transport=httpx.MockTransport(handler))
example = {example!r}
"""
FIRST_CALL = {
    "imagineo": (
        "import imagineo",
        "client = imagineo.ImagineoAIClient({base!r}, api_key={key!r}, http_client=http)\n"
        "result = client.images.generate(**example)\n"
        "assert result is not None and result.image_url\n",
    ),
    "httpx": (
        "",
        "auth = {{'Authorization': 'Bearer ' + {key!r}}}\n"
        "result = http.post({base!r} + {path!r}, json=example, headers=auth).json()\n"
        "assert result['image_url']\n",
    ),
    "openai": (
        "import openai",
        "client = openai.OpenAI(api_key={key!r}, base_url={base!r} + '/v1', http_client=http)\n"
        "result = client.images.generate(prompt=example['prompt'], model='gpt-image-1', size='1024x1024')\n"
        "assert result.data and result.data[0].url\n",
    ),
}


def first_call_code(contender: str) -> str:
    name, _, mode = contender.partition(":")
    imports, call = FIRST_CALL[name]
    setup = FIRST_CALL_SETUP.format(
        imports=imports, openai_body=OPENAI_BODY, imagineo_body=IMAGINEO_BODY, example=examples()[0]
    )
    body = call.format(base=MOCK_BASE, key=API_KEY, path=PATH)
    tail = "import sys\nsys.stdout.write('ok\\n')\nsys.stdout.flush()\n"
    return (HIDE_HTTPX_CLI if mode == "runtime" else "") + setup + body + tail


def _first_call_once(code: str) -> float:
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-I", "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - started
    _, err = proc.communicate()
    if line.strip() != "ok" or proc.returncode != 0:
        raise RuntimeError(f"first-call probe failed ({proc.returncode}): {err}")
    return elapsed


def bench_first_call(runs: int) -> list[Row]:
    contenders = ["imagineo", "httpx", "openai", "imagineo:runtime", "httpx:runtime"]
    codes = {c: first_call_code(c) for c in contenders}
    for code in codes.values():  # compile .pyc files, warm the page cache
        _first_call_once(code)
    secs: dict[str, list[float]] = {c: [] for c in contenders}
    for order in rotations(contenders, runs):
        for contender in order:
            secs[contender].append(_first_call_once(codes[contender]))
    ms = {c: statistics.median(v) * 1000 for c, v in secs.items()}
    rows = []
    for ours, base, bound, note in (
        ("imagineo", "httpx", 1.5, ""),
        ("imagineo:runtime", "httpx:runtime", 1.5, " (runtime deps only: httpx's click/rich hidden)"),
        ("imagineo", "openai", None, ""),
    ):
        ratio = paired_ratio(secs[ours], secs[base])
        label = "raw httpx" if base.startswith("httpx") else "openai-python"
        rows.append(
            Row(
                "7",
                f"first call, fresh process to first parsed result (MockTransport), vs {label}{note}",
                round(ms[ours], 1),
                label,
                round(ms[base], 1),
                "ms",
                round(ratio, 3),
                "-" if bound is None else f"<= {bound:.2f}x",
                None if bound is None else check(ratio, "<=", bound),
                {"runs": runs, "median_ratio_of_medians": ms[ours] / ms[base]},
            )
        )
    return rows
