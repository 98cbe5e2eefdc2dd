"""``imagineo batch`` against what issue 12 found (items 6-9): hostile lines and answers, two processes on one
RESULTS, a resume across an SDK upgrade, and a summary that adds up.

Against the in-process sandbox (which counts the runs it creates) or tests/loopback.py (for answers no sandbox
gives). Each test's docstring names the break it catches.
"""

from __future__ import annotations

import json
import re
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from imagineo import ConflictError, _models
from imagineo._cli.batch import idempotency_key
from imagineo.cli import main
from imagineo.sandbox import MAX_BODY
from imagineo.testing import DEFAULT_TEST_API_KEY, Sandbox, sandbox_server
from imagineo_api.resources import AsyncImages

from tests import spec_cases
from tests.loopback import LoopbackServer
from tests.test_batch import batch, finish, results, write_jsonl
from tests.test_cli import IMAGINEO, cli_env, run
from tests.test_cli_output import HOSTILE_200

IMAGINEO_BATCH = [IMAGINEO, "batch"]
SUMMARY = re.compile(
    r"batch: (\d+) lines: (\d+) done now, (\d+) already done, (\d+) invalid(?: \([^)]*\))?, (\d+) failed"
)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with sandbox_server() as server:
        yield server


def in_process(sandbox: Sandbox, source: Path, out: Path, *extra: str) -> int:
    return main(
        ["batch", str(source), "--out", str(out), "--api-url", sandbox.url, "--api-key", sandbox.api_key, *extra]
    )


def summary_counts(stderr: str) -> tuple[int, int]:
    """(lines read, the sum of the summary's categories)."""
    match = SUMMARY.search(stderr)
    assert match, stderr
    total, *parts = (int(n) for n in match.groups())
    return total, sum(parts)


# ---------------------------------------------------------------------------------------------------------------
# Item 6: hostile lines and answers


def test_hostile_lines_are_reported_per_line_and_the_valid_lines_after_them_still_run(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Breaks if one input line nested 10^5 deep kills the batch with a RecursionError, if a lone surrogate in a
    line crashes it, or if a line that makes the SDK raise anything (RecursionError here, while validating or while
    sending) stops the lines after it instead of being recorded as that line's error."""
    real_prepare = _models.prepare
    real_generate = AsyncImages.generate

    def prepare(fields: Any) -> Any:
        if fields.get("prompt") == "explodes while validating":
            raise RecursionError("maximum recursion depth exceeded")
        return real_prepare(fields)

    async def generate(self: AsyncImages, input: Any = None, /, **options: Any) -> Any:
        if input.get("prompt") == "explodes while sending":
            raise RecursionError("maximum recursion depth exceeded while encoding")
        return await real_generate(self, input, **options)

    monkeypatch.setattr(_models, "prepare", prepare)
    monkeypatch.setattr(AsyncImages, "generate", generate)
    deep = "[" * 100_000 + "]" * 100_000
    source = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": "a", "prompt": "A cat"},
            deep,
            '{"id": "deep-field", "prompt": "p", "width": ' + deep + "}",
            '{"id": "surrogate", "prompt": "caf\\ud800"}',
            {"id": "v", "prompt": "explodes while validating"},
            {"id": "s", "prompt": "explodes while sending"},
            {"id": "b", "prompt": "A dog"},
        ],
    )
    out = tmp_path / "out.jsonl"
    status = in_process(sandbox, source, out)
    err = capsys.readouterr().err
    assert status == 1, err  # s failed at run time; the others were invalid or done
    assert "Traceback" not in err
    assert "line 2: nested too deeply to parse; skipped" in err
    assert "line 3: nested too deeply to parse; skipped" in err
    assert "line 4: holds a lone surrogate (\\ud800), which is not Unicode text" in err
    assert "line 5: could not be processed (RecursionError: maximum recursion depth exceeded); skipped" in err
    assert "line 6 (id 's'): the SDK could not process this line: RecursionError" in err
    by_id = {line["id"]: line for line in results(out)}
    assert {i: r["status"] for i, r in by_id.items()} == {"a": "ok", "s": "error", "b": "ok"}
    assert by_id["s"]["status_code"] is None
    assert sandbox.runs_created == 2
    total, added = summary_counts(err)
    assert total == added == 7


def test_a_200_with_a_lone_surrogate_is_recorded_and_a_rerun_skips_it(loopback: LoopbackServer, tmp_path: Path) -> None:
    """Breaks if a 200 whose JSON holds a lone surrogate crashes the batch when it writes the result: the paid run
    would never be recorded and every re-run would crash (and pay) the same way."""
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "prompt": "A cat"}, {"id": "b", "prompt": "A dog"}])
    out = tmp_path / "out.jsonl"
    env = cli_env(IMAGINEO_API_URL=loopback.url, IMAGINEO_API_KEY="sk-batch")
    loopback.enqueue(200, body=HOSTILE_200)
    loopback.enqueue(200, body=HOSTILE_200)
    first = run("batch", str(source), "--out", str(out), "--concurrency", "1", env=env)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    lines = results(out)
    assert [line["status"] for line in lines] == ["ok", "ok"]
    assert lines[0]["image_url"] == json.loads(HOSTILE_200)["image_url"]  # exactly what the server said
    out.read_bytes().decode("utf-8")  # and the file is still UTF-8 JSONL
    again = run("batch", str(source), "--out", str(out), env=env)
    assert again.returncode == 0, again.stderr
    assert "2 already done" in again.stderr
    assert len(loopback.requests) == 2  # nothing sent again


def test_a_line_with_a_multi_megabyte_prompt_finishes_as_a_413_error_without_retries(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Breaks if a legal multi-megabyte prompt is retried as a connection error and never finishes, instead of
    being recorded once as the API's final 413."""
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": "big", "prompt": "a" * (2 * MAX_BODY)}])
    out = tmp_path / "out.jsonl"
    assert in_process(sandbox, source, out) == 1
    assert "the API answered 413" in capsys.readouterr().err
    [record] = results(out)
    assert (record["status"], record["status_code"]) == ("error", 413)
    assert sandbox.runs_created == 0


# ---------------------------------------------------------------------------------------------------------------
# Item 7: one batch per RESULTS


class GatedSandbox(Sandbox):
    """A sandbox whose runs wait for `gate`: the first batch is held mid-flight for as long as the test needs."""

    gate = threading.Event()

    def _run(self, *args: Any, **kwargs: Any) -> Any:
        self.gate.wait(60)
        return super()._run(*args, **kwargs)


def test_a_second_batch_on_the_same_results_file_is_refused_while_the_first_runs(tmp_path: Path) -> None:
    """Breaks if two batch processes on one RESULTS file both run every line (120 result lines for 60 ids, each
    line sent twice), instead of the second being refused with a clear message before it reads or sends."""
    ids = [f"img-{i}" for i in range(6)]
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": i, "prompt": f"Picture {i}"} for i in ids])
    out = tmp_path / "out.jsonl"
    server = GatedSandbox(api_key=DEFAULT_TEST_API_KEY, retry_after=0).start()
    server.gate = threading.Event()
    try:
        first = batch(server, str(source), "--out", str(out), "--concurrency", "2")
        deadline = time.monotonic() + 30
        while server.stats()["generate_requests"] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)  # wait until the first batch holds the lock and has a request in flight
        assert server.stats()["generate_requests"] >= 1
        second = subprocess.run(
            [*first.args[:2], str(source), "--out", str(out)],  # type: ignore[index]
            capture_output=True,
            text=True,
            env=cli_env(server),
            timeout=30,
        )
        requests_before = server.stats()["generate_requests"]
        server.gate.set()
        done = finish(first)
    finally:
        server.gate.set()
        server.close()
    assert second.returncode == 2
    assert f"--out {out} is in use by another imagineo batch" in second.stderr
    assert "Nothing was read or sent" in second.stderr
    assert "Traceback" not in second.stderr
    assert requests_before <= 2  # only the first batch's own in-flight requests
    assert done.returncode == 0, done.stderr
    lines = results(out)
    assert sorted(line["id"] for line in lines) == sorted(ids)  # one line per id
    assert server.runs_created == len(ids)


# ---------------------------------------------------------------------------------------------------------------
# Item 8: the exact body, journaled before it is sent, resent on resume


def test_each_request_body_is_journaled_before_it_is_sent_exactly_as_sent(sandbox: Sandbox, tmp_path: Path) -> None:
    """Breaks if the journal is written after the request (a kill in between loses it), or holds anything but the
    exact body that went on the wire for that Idempotency-Key."""
    lines = [{"id": "k", "prompt": "A dragon", "model_type": "flux-kontext-max"}, {"id": 2, "prompt": "A cat"}]
    source = write_jsonl(tmp_path / "in.jsonl", lines)
    out = tmp_path / "out.jsonl"
    sandbox.set_faults(fail_each=1, fail_status=500)  # the run is created, its answer lost (a 500)
    failed = finish(batch(sandbox, str(source), "--out", str(out), "--max-retries", "0"))
    assert failed.returncode == 1
    assert out.read_text() == ""  # nothing final yet
    journal = [json.loads(line) for line in (tmp_path / "out.jsonl.requests").read_text().splitlines()]
    runs = {run["idempotency_key"]: run["body"] for run in sandbox.runs()}
    assert {entry["idempotency_key"] for entry in journal} == set(runs)
    for entry in journal:
        assert json.loads(entry["body"]) == runs[entry["idempotency_key"]]
    assert {entry["id"] for entry in journal} == {"k", 2}
    sandbox.set_faults(fail_each=0)
    rerun = finish(batch(sandbox, str(source), "--out", str(out)))
    assert rerun.returncode == 0, rerun.stderr
    assert sandbox.runs_created == 2  # the lost answers were replayed, not paid again
    assert sandbox.stats()["idempotent_replays"] == 2
    assert len((tmp_path / "out.jsonl.requests").read_text().splitlines()) == 2  # nothing journaled twice


@pytest.mark.parametrize("torn_before", ["", '{"id": "other", "idempotency_key": "batch-00'])
def test_a_resume_after_an_sdk_upgrade_resends_the_journaled_body_and_gets_the_paid_run(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], torn_before: str
) -> None:
    """Breaks if a line whose answer was lost, resumed after the SDK's defaults changed, is sent with the body the
    new SDK builds (same key, other body: a 409, recorded as a final error, the paid run never retrieved) instead of
    the exact body journaled before the first send; also when an older SDK glued that entry onto a torn line
    (`torn_before`, issue 18 item 3), which must still be read."""
    line = {"id": "dragon", "prompt": "A dragon", "model_type": "flux-kontext-max"}
    key = idempotency_key("dragon", {k: v for k, v in line.items() if k != "id"})
    # What an older SDK sent, journaled before sending: it left aspect_ratio to the server, where this SDK sends
    # its default ("1:1") explicitly. The run was created and its answer lost.
    old_body = '{"prompt":"A dragon","model_type":"flux-kontext-max"}'
    out = tmp_path / "out.jsonl"
    journal = tmp_path / "out.jsonl.requests"
    journal.write_text(torn_before + json.dumps({"id": "dragon", "idempotency_key": key, "body": old_body}) + "\n")
    headers = {"Authorization": f"Bearer {sandbox.api_key}", "Idempotency-Key": key, "Content-Type": "application/json"}
    paid = httpx.post(sandbox.url + "/api/v1/runs/generate", content=old_body, headers=headers, timeout=30)
    assert paid.status_code == 200
    source = write_jsonl(tmp_path / "in.jsonl", [line])
    status = in_process(sandbox, source, out)
    err = capsys.readouterr().err
    assert status == 0, err
    [record] = results(out)
    assert record["status"] == "ok"
    assert record["run_id"] == paid.json()["run_id"]  # the paid run, retrieved
    assert sandbox.runs_created == 1
    assert sandbox.stats()["conflicts"] == 0
    assert sandbox.stats()["idempotent_replays"] == 1
    # The control: what this SDK builds for the line is another body, which the key would have got a 409 for.
    with sandbox.client(max_retries=0) as client, pytest.raises(ConflictError):
        client.images.generate(prompt="A dragon", model_type="flux-kontext-max", idempotency_key=key)


# ---------------------------------------------------------------------------------------------------------------
# Item 9: the summary adds up


def test_the_summary_counts_each_line_once_on_the_first_run_and_on_a_rerun(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Breaks if the summary double-counts ("20 lines: 0 done now, 15 already done, 10 invalid"): a line recorded
    invalid (or failed) by an earlier run counted both as already done and as invalid."""
    source = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": "ok-1", "prompt": "A cat"},
            {"id": "ok-2", "prompt": "A dog"},
            {"id": "small", "prompt": "p", "width": 10},
            {"id": "bad", "prompt": "p", "widht": 64},
            "not json",
            {"id": "gone", "prompt": "p", "model_type": "flux-dev", "width": 64},
        ],
    )
    out = tmp_path / "out.jsonl"
    for _ in ("first run", "re-run"):
        status = in_process(sandbox, source, out)
        err = capsys.readouterr().err
        assert status == 3, err  # every valid line done, some invalid
        total, added = summary_counts(err)
        assert total == added == 6, err
    assert "6 lines: 0 done now, 3 already done, 3 invalid (2 recorded by an earlier run), 0 failed" in err


# ---------------------------------------------------------------------------------------------------------------
# Issue 18, item 3: torn journal and results lines, then a resume across an SDK upgrade

#: `imagineo` in a subprocess, with two test hooks read from the environment: OLD_SDK=1 plays an SDK that sent no
#: defaults (so today's SDK builds another body for the same key), KILL_AT="<file suffix>:<n>" writes half of the
#: n-th line appended to that file and then SIGKILLs the process (a crash between the write and its fsync).
DRIVER = """
import os, signal, sys
from imagineo import _models
from imagineo._cli import results
from imagineo.cli import main

if os.environ.get("OLD_SDK"):
    _models.MODEL_DEFAULTS = {name: {} for name in _models.MODEL_DEFAULTS}
if os.environ.get("KILL_AT"):
    suffix, nth = os.environ["KILL_AT"].split(":")
    real, seen = results._write_all, [0]

    def write_all(fd, data):
        if os.readlink(f"/proc/self/fd/{fd}").endswith(suffix):
            seen[0] += 1
            if seen[0] == int(nth):
                os.write(fd, data[: len(data) // 2])
                os.kill(os.getpid(), signal.SIGKILL)
        real(fd, data)

    results._write_all = write_all
sys.exit(main(sys.argv[1:]))
"""


def a_model_type_with_defaults() -> str:
    return next(name for name in _models.MODEL_TYPES if _models.MODEL_DEFAULTS[name])


def driver(sandbox: Sandbox, *args: str, preexec: Any = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", DRIVER, "batch", *args, "--concurrency", "1"],
        capture_output=True,
        text=True,
        env=cli_env(sandbox, **env),
        timeout=60,
        preexec_fn=preexec,
    )


def upgrade_and_resume(sandbox: Sandbox, source: Path, out: Path, ids: list[str]) -> None:
    """After a crashed run of the old SDK: another old-SDK run whose answers are all lost (the runs are created,
    the journal appended to), then today's SDK resumes. Every id must end ok with the run paid the first time."""
    sandbox.set_faults(fail_each=1, fail_status=500)
    lost = driver(sandbox, str(source), "--out", str(out), "--max-retries", "0", OLD_SDK="1")
    assert lost.returncode == 1, lost.stderr
    sandbox.set_faults(fail_each=0)
    resumed = subprocess.run(
        [*IMAGINEO_BATCH, str(source), "--out", str(out)], capture_output=True, text=True, env=cli_env(sandbox)
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "Traceback" not in lost.stderr + resumed.stderr
    assert sorted(line["id"] for line in results(out)) == ids
    assert all(line["status"] == "ok" for line in results(out))
    assert sandbox.runs_created == len(ids)  # each id paid once, never again
    assert sandbox.stats()["conflicts"] == 0  # no key resent with another body
    for line in (out.parent / (out.name + ".requests")).read_bytes().splitlines():
        json.loads(line)  # the journal is whole lines, each readable


def inputs(tmp_path: Path) -> tuple[Path, list[str]]:
    model_type = a_model_type_with_defaults()
    ids = [f"img-{i}" for i in range(5)]
    lines = [{"id": i, **spec_cases.minimal_body(model_type), "model_type": model_type} for i in ids]
    return write_jsonl(tmp_path / "in.jsonl", lines), ids


def test_a_file_size_limit_tears_no_line_and_the_resume_after_an_upgrade_gets_the_paid_runs(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """Breaks (it did) if a journal write cut short by RLIMIT_FSIZE leaves half a line that the next run appends
    its entry onto: that entry is unreadable later, so after an SDK upgrade (a changed default) the resume sends
    another body under the same key, gets a 409 and records it as final; the paid run is never retrieved."""
    source, ids = inputs(tmp_path)
    out = tmp_path / "out.jsonl"
    fields = {k: v for k, v in json.loads(source.read_text().splitlines()[0]).items() if k != "id"}
    body = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    entry = len(json.dumps({"id": ids[0], "idempotency_key": "batch-" + "0" * 36, "body": body})) + 1
    limit = entry * 5 // 2  # the third journal entry (and a results line) reaches the limit mid-write

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    capped = driver(sandbox, str(source), "--out", str(out), preexec=small_files, OLD_SDK="1")
    assert capped.returncode == 1, capped.stderr
    assert "not recorded: re-run to retry it" in capped.stderr
    journal = (tmp_path / "out.jsonl.requests").read_bytes()
    assert 2 <= len(journal.splitlines()) < len(ids)  # the limit stopped the journal mid-batch...
    for written in (journal, out.read_bytes()):
        assert written == b"" or written.endswith(b"\n")  # ...and left no half line behind
    upgrade_and_resume(sandbox, source, out, ids)


@pytest.mark.parametrize("kill_at", ["requests:3", "jsonl:2"])
def test_a_kill_mid_write_leaves_a_torn_line_that_the_next_start_cuts(
    sandbox: Sandbox, tmp_path: Path, kill_at: str
) -> None:
    """Breaks (it did, for the journal) if a line torn by a kill between the write and its fsync stays at the end of
    the journal (or RESULTS) and the next run's first line is glued onto it: after an SDK upgrade the resume must
    still send each key's journaled body and get the paid run, never a 409 recorded as final."""
    source, ids = inputs(tmp_path)
    out = tmp_path / "out.jsonl"
    killed = driver(sandbox, str(source), "--out", str(out), OLD_SDK="1", KILL_AT=kill_at)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    torn = tmp_path / ("out.jsonl.requests" if kill_at.startswith("requests") else "out.jsonl")
    assert not torn.read_bytes().endswith(b"\n")  # half a line, as the kill left it
    upgrade_and_resume(sandbox, source, out, ids)
