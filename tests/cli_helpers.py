"""Running the ``imagineo`` command in this process, for the CLI test modules (the same `main` the console script
runs, so no subprocess start-up per case)."""

from __future__ import annotations

import os
import pty
import subprocess
from collections.abc import Sequence

import pytest
from imagineo.cli import main


def call(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """`imagineo <argv>`: (status, stdout, stderr); argparse's usage errors are a status too."""
    capsys.readouterr()
    try:
        status = main(list(argv))
    except SystemExit as exc:
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def on_a_terminal(command: Sequence[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run `command` with stderr on a pseudo-terminal (stdout piped): (status, stdout, what the terminal showed)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(list(command), stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    screen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        screen += chunk
    out, _ = proc.communicate(timeout=60)
    os.close(master)
    return proc.returncode, out.decode(), screen.decode(errors="replace")
