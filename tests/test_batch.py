"""``imagineo batch``: resumable and exactly once, against the in-process sandbox.

The sandbox counts the runs it creates, so "exactly once" is checked where it matters: a batch killed with SIGKILL
while requests are in flight, then re-run, ends with one result line per id *and* one run per distinct input.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from imagineo._cli.batch import idempotency_key
from imagineo.cli import main
from imagineo.testing import Sandbox, sandbox_server

from tests.test_cli import IMAGINEO, cli_env


def write_jsonl(path: Path, lines: list[Any]) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


def results(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def batch(sandbox: Sandbox, *args: str, **popen: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [IMAGINEO, "batch", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(sandbox),
        **popen,
    )


def finish(proc: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with sandbox_server() as server:
        yield server


def test_idempotency_keys_derive_from_id_and_content_only_and_are_pinned() -> None:
    key = idempotency_key("cat-1", {"prompt": "A cat", "width": 512})
    # Pinned: a change here would make every interrupted batch pay again for its in-flight lines when resumed.
    assert key == "batch-7cba7b46-17fa-5ccc-b6b5-8cceef6dc5ad"
    assert idempotency_key("cat-1", {"width": 512, "prompt": "A cat"}) == key  # key order does not matter
    assert idempotency_key("cat-2", {"prompt": "A cat", "width": 512}) != key
    assert idempotency_key("cat-1", {"prompt": "A cat", "width": 513}) != key
    assert idempotency_key(1, {}) != idempotency_key("1", {})
    assert len(key) <= 255


def test_invalid_lines_are_reported_with_their_number_and_do_not_stop_the_batch(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    source = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": "a", "prompt": "A cat", "width": 64, "height": 64},
            "{not json",
            {"id": "b", "prompt": "A dog", "model_type": "nanobanana"},
            {"prompt": "no id"},
            {"id": "a", "prompt": "the same id again"},
            {"id": "c", "prompt": "too small", "width": 10},
            "[1, 2]",
            "",
            {"id": 4, "prompt": "A cow", "model_type": "google-imagen4", "aspect_ratio": "1:1"},
        ],
    )
    out = tmp_path / "out.jsonl"
    first = finish(batch(sandbox, str(source), "--out", str(out)))
    assert first.returncode == 3, first.stderr  # every valid line done, some invalid: not a usage error (2)
    for expected in ("line 2: not JSON", "line 4: has no id", "line 5: duplicate id 'a' (first on line 1)"):
        assert expected in first.stderr
    assert "line 6 (id 'c'): Invalid input for model_type 'flux-dev'" in first.stderr
    assert "width: must be >= 64; got 10" in first.stderr
    assert "line 7: must be a JSON object" in first.stderr
    lines = results(out)
    by_id = {line["id"]: line for line in lines}
    assert len(lines) == len(by_id) == 4
    assert {i: by_id[i]["status"] for i in by_id} == {"a": "ok", "b": "ok", "c": "invalid", 4: "ok"}
    assert by_id["c"]["line"] == 6
    assert by_id["c"]["errors"] == [{"field": "width", "message": "must be >= 64; got 10 (int)"}]
    for done in ("a", "b", 4):
        assert by_id[done]["image_url"].startswith(sandbox.url + "/images/")
        assert {"run_id", "model_type"} <= set(by_id[done])  # the whole result is kept, not only the URL
    assert sandbox.runs_created == 3

    again = finish(batch(sandbox, str(source), "--out", str(out)))
    assert again.returncode == 3
    assert "8 lines: 0 done now, 3 already done, 5 invalid (1 recorded by an earlier run), 0 failed" in again.stderr
    assert results(out) == lines  # nothing appended
    assert sandbox.runs_created == 3  # nothing sent


def test_a_batch_killed_mid_flight_and_rerun_does_every_id_exactly_once(sandbox: Sandbox, tmp_path: Path) -> None:
    ids = [f"img-{i:02d}" for i in range(12)]
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": i, "prompt": f"Picture {i}", "width": 64} for i in ids])
    out = tmp_path / "out.jsonl"
    sandbox.set_faults(latency=0.4)  # each run is created at once, its answer comes 0.4 s later
    proc = batch(sandbox, str(source), "--out", str(out), "--concurrency", "3")
    deadline = time.monotonic() + 30
    written = 0
    while time.monotonic() < deadline:
        written = len(out.read_text().splitlines()) if out.exists() else 0
        if written >= 3 and sandbox.runs_created >= written + 2:  # some results written, runs in flight
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    done_at_kill = results(out)
    assert 3 <= len(done_at_kill) < len(ids)
    assert sandbox.runs_created > len(done_at_kill)  # runs whose answers were lost with the process

    sandbox.set_faults(latency=0)
    rerun = finish(batch(sandbox, str(source), "--out", str(out), "--concurrency", "3"))
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(done_at_kill)} already done" in rerun.stderr
    lines = results(out)
    assert Counter(line["id"] for line in lines) == Counter(ids)  # every id exactly once
    assert all(line["status"] == "ok" for line in lines)
    # one run per distinct input: the requests cut off by the kill were answered from their Idempotency-Key
    assert sandbox.runs_created == len(ids)
    assert sandbox.stats()["idempotent_replays"] >= 1
    keys = Counter(run["idempotency_key"] for run in sandbox.runs())
    assert set(keys.values()) == {1}
    assert set(keys) == {idempotency_key(i, {"prompt": f"Picture {i}", "width": 64}) for i in ids}


def test_retries_through_injected_429_and_503_create_one_run_each(tmp_path: Path) -> None:
    lines = [{"id": i, "prompt": f"Picture {i}", "width": 64, "height": 64} for i in range(6)]
    source = write_jsonl(tmp_path / "in.jsonl", lines)
    with sandbox_server(fail_each=1, fail_status=429) as limited, sandbox_server(fail_each=1, fail_status=503) as down:
        procs = [batch(s, str(source), "--out", str(tmp_path / f"{s.port}.jsonl")) for s in (limited, down)]
        for server, proc in zip((limited, down), procs, strict=True):
            done = finish(proc)
            assert done.returncode == 0, done.stderr
            assert done.stderr.count("\n") == 1  # only the summary: the retries are silent
            assert [line["status"] for line in results(tmp_path / f"{server.port}.jsonl")] == ["ok"] * 6
            assert server.runs_created == 6
            assert server.stats()["generate_requests"] == 12
            assert server.stats()["faults_injected"] == 6


def test_failures_that_may_pass_later_are_not_recorded_so_a_rerun_retries_them(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": i, "prompt": f"Picture {i}"} for i in "xyz"])
    out = tmp_path / "out.jsonl"
    sandbox.set_faults(fail_each=5, fail_status=503)
    failed = finish(batch(sandbox, str(source), "--out", str(out), "--max-retries", "1"))
    assert failed.returncode == 1
    assert failed.stderr.count("the API answered 503") == 3
    assert "not recorded: re-run to retry it" in failed.stderr
    assert out.read_text() == ""
    sandbox.set_faults(fail_each=0)
    rerun = finish(batch(sandbox, str(source), "--out", str(out)))
    assert rerun.returncode == 0, rerun.stderr
    assert sorted(line["id"] for line in results(out)) == ["x", "y", "z"]
    assert sandbox.runs_created == 3


def test_resume_cuts_a_half_written_line_skips_done_ids_and_reruns_fixed_ones(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = {
        "a": {"prompt": "A cat"},
        "b": {"prompt": "A dog"},
        "c": {"prompt": "A cow"},
        "d": {"prompt": "changed since it was done"},
        "e": {"prompt": "fixed since it was invalid", "width": 64},
    }
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": i, **fields} for i, fields in inputs.items()])
    out = tmp_path / "out.jsonl"
    previous = [
        {
            "id": "a",
            "status": "ok",
            "image_url": "http://x/a.png",
            "idempotency_key": idempotency_key("a", inputs["a"]),
        },
        {"id": "d", "status": "ok", "image_url": "http://x/d", "idempotency_key": "batch-old"},
        {"id": "e", "status": "invalid", "error": "width: must be >= 64", "idempotency_key": "batch-old-e"},
    ]
    out.write_text("".join(json.dumps(p) + "\n" for p in previous) + '{"id": "b", "sta')  # killed mid-write
    status = main(["batch", str(source), "--out", str(out), "--api-url", sandbox.url, "--api-key", sandbox.api_key])
    err = capsys.readouterr().err
    assert status == 0, err
    assert "removed a half-written last line" in err
    assert "id 'd' is already done but its input has changed since; skipped" in err
    lines = results(out)  # valid JSONL again
    assert lines[:3] == previous
    assert sorted(line["id"] for line in lines[3:]) == ["b", "c", "e"]
    assert all(line["status"] == "ok" for line in lines[3:])
    assert sandbox.runs_created == 3


def test_batch_needs_an_input_file_and_a_writable_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    connection = ["--api-url", "http://127.0.0.1:9", "--api-key", "k"]
    assert main(["batch", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o.jsonl"), *connection]) == 2
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": 1, "prompt": "p"}])
    assert main(["batch", str(source), "--out", str(tmp_path / "no" / "o.jsonl"), *connection]) == 2
    assert main(["batch", str(source), "--out", str(source), *connection]) == 2
    err = capsys.readouterr().err
    assert "no such file" in err
    assert "does not exist" in err
    assert "must not be the input file" in err


def test_a_line_that_is_not_utf8_is_reported_and_skipped(sandbox: Sandbox, tmp_path: Path) -> None:
    """Breaks if one badly encoded line (a Latin-1 export, say) crashes the batch instead of being skipped."""
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"id": "a", "prompt": "A cat"}\n{"id": "b", "prompt": "caf\xe9"}\n')
    out = tmp_path / "out.jsonl"
    run = finish(batch(sandbox, str(source), "--out", str(out)))
    assert run.returncode == 3, run.stderr
    assert "line 2: not UTF-8" in run.stderr
    assert "Traceback" not in run.stderr
    assert [line["id"] for line in results(out)] == ["a"]


def test_input_with_a_bom_from_stdin_a_fifo_or_a_process_substitution_is_read(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Catches (issue 18, item 9) a UTF-8 BOM making line 1 "not JSON" (Windows editors and Excel write one), and
    ``-``, a FIFO or ``<(...)`` being refused as "no such file" although each can be read once from start to end."""
    connection = ["--api-url", sandbox.url, "--api-key", sandbox.api_key]
    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(b"\xef\xbb\xbf" + json.dumps({"id": "bom", "prompt": "A cat"}).encode() + b"\n")
    assert main(["batch", str(bom), "--out", str(tmp_path / "bom.out"), *connection]) == 0, capsys.readouterr().err
    assert [r["id"] for r in results(tmp_path / "bom.out")] == ["bom"]

    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_text, args=(json.dumps({"id": "fifo", "prompt": "A dog"}) + "\n",))
    writer.start()
    assert main(["batch", str(fifo), "--out", str(tmp_path / "fifo.out"), *connection]) == 0, capsys.readouterr().err
    writer.join(10)
    assert [r["id"] for r in results(tmp_path / "fifo.out")] == ["fifo"]

    line = json.dumps({"id": "stdin", "prompt": "A cow"}) + "\n"
    piped = subprocess.run(
        [IMAGINEO, "batch", "-", "--out", str(tmp_path / "stdin.out")],
        input=line,
        capture_output=True,
        text=True,
        env=cli_env(sandbox),
        timeout=60,
    )
    assert piped.returncode == 0, piped.stderr
    assert [r["id"] for r in results(tmp_path / "stdin.out")] == ["stdin"]

    substituted = subprocess.run(
        [
            "bash",
            "-c",
            f"{shlex.quote(IMAGINEO)} batch <(printf '%s\\n' \"$LINE\") --out {shlex.quote(str(tmp_path / 'ps.out'))}",
        ],
        capture_output=True,
        text=True,
        env=cli_env(sandbox, LINE=json.dumps({"id": "ps", "prompt": "A pig"})),
        timeout=60,
    )
    assert substituted.returncode == 0, substituted.stderr
    assert [r["id"] for r in results(tmp_path / "ps.out")] == ["ps"]
    assert sandbox.runs_created == 4
