"""SIGTERM and SIGHUP stop ``imagineo generate --output`` and ``imagineo batch`` as Ctrl-C does (issue 18, item 7).

Real processes, real signals, against the sandbox; the sandbox holds its image answers back (`ImagesHeld`) so that
the signal arrives while a download's temporary file exists.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from imagineo.testing import DEFAULT_TEST_API_KEY, Sandbox

from tests.test_batch import results, write_jsonl
from tests.test_cli import IMAGINEO, cli_env

SIGNALS = [signal.SIGTERM, signal.SIGHUP]


class ImagesHeld(Sandbox):
    """A sandbox whose image answers wait for `gate`: a download is in flight for as long as the test needs."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.gate = threading.Event()

    def handle(self, request: Any) -> Any:
        if request.method == "GET" and request.target.startswith("/images/"):
            self.gate.wait(60)
        return super().handle(request)


@pytest.fixture
def held() -> Iterator[ImagesHeld]:
    server = ImagesHeld(api_key=DEFAULT_TEST_API_KEY, retry_after=0).start()
    try:
        yield server
    finally:
        server.gate.set()
        server.close()


def parts(folder: Path) -> list[Path]:
    return sorted(folder.glob(".imagineo-*.part"))


def signal_once_downloading(proc: subprocess.Popen[str], folder: Path, signum: int) -> subprocess.CompletedProcess[str]:
    """Wait until `proc` has a temporary download file in `folder`, send it `signum`, wait for it to end."""
    deadline = time.monotonic() + 30
    while not parts(folder) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert parts(folder), "the download never started"
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=30)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_generate_output_stopped_by_a_signal_leaves_no_temporary_file(
    held: ImagesHeld, tmp_path: Path, signum: int
) -> None:
    """Breaks (it did) if SIGTERM or SIGHUP kills ``generate --output`` where it stands, leaving its
    ``.imagineo-*.part`` file behind, instead of cleaning up as for Ctrl-C and exiting with 128 + the signal."""
    proc = subprocess.Popen(
        [IMAGINEO, "generate", "A cat", "--output", str(tmp_path / "cat.png")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(held),
    )
    done = signal_once_downloading(proc, tmp_path, signum)
    assert done.returncode == 128 + signum, done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # no temporary file, no half image


def test_batch_stopped_by_sigterm_cleans_up_keeps_whole_lines_and_a_rerun_pays_nothing_twice(
    held: ImagesHeld, tmp_path: Path
) -> None:
    """Breaks (it did) if SIGTERM kills a downloading batch where it stands (``.part`` files left, exit -15) instead
    of stopping it as Ctrl-C does: temporary files removed, RESULTS and its journal whole lines only, exit 143,
    and a re-run that finishes every id without a second paid run."""
    ids = [f"img-{i}" for i in range(3)]
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": i, "prompt": f"Picture {i}"} for i in ids])
    out, images = tmp_path / "out.jsonl", tmp_path / "images"
    images.mkdir()
    argv = [IMAGINEO, "batch", str(source), "--out", str(out), "--download-dir", str(images), "--concurrency", "2"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(held))
    done = signal_once_downloading(proc, images, signal.SIGTERM)
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    assert "imagineo: interrupted:" in done.stderr and "Traceback" not in done.stderr
    assert parts(images) == [] and list(images.iterdir()) == []
    for written in (out, tmp_path / "out.jsonl.requests"):
        data = written.read_bytes()
        assert data == b"" or data.endswith(b"\n")
        for line in data.splitlines():
            json.loads(line)
    held.gate.set()
    rerun = subprocess.run(argv, capture_output=True, text=True, env=cli_env(held), timeout=60)
    assert rerun.returncode == 0, rerun.stderr
    assert sorted(line["id"] for line in results(out)) == ids
    assert len(list(images.iterdir())) == len(ids)
    assert held.runs_created == len(ids)
