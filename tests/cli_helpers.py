"""Running the ``imagineo`` command in this process, for the CLI test modules (the same `main` the console script
runs, so no subprocess start-up per case)."""

from __future__ import annotations

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
