"""Both type checkers' verdicts on the typed surface: mypy --strict and pyright (strict) on tests/typing_cases/calls.py,
and pyright --verifytypes on the whole package.

calls.py marks each call a checker must flag with a comment line before it, "# E: <mypy's words> | <pyright's
words>" (an empty side: that checker must accept the line); every other line must pass both. pyright is the
exactly pinned npm devDependency in node_modules/ (`make install`), run against this interpreter's packages.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).parent / "typing_cases" / "calls.py"
PYRIGHT = ROOT / "node_modules" / ".bin" / "pyright"


def expected(checker: int) -> dict[int, str]:
    """{line: words} for one side of the markers (0: mypy, 1: pyright); a marker applies to the next line."""
    lines = CASES.read_text().splitlines()
    marks: dict[int, str] = {}
    for n, text in enumerate(lines, start=1):
        marker = text.strip().partition("# E: ")[2] if text.strip().startswith("# E: ") else ""
        if marker:
            words = marker.split(" | ")[checker].strip()
            if words:
                marks[n + 1] = words
    return marks


def compare(flagged: dict[int, list[str]], marks: dict[int, str], said: str) -> None:
    assert set(flagged) == set(marks), f"flagged {sorted(flagged)}, expected {sorted(marks)}:\n{said}"
    for n, words in marks.items():
        assert any(words in message for message in flagged[n]), (n, words, flagged[n])


def pyright(*args: str) -> dict[str, Any]:
    if not PYRIGHT.exists():
        pytest.fail(f"{PYRIGHT} is missing: run `make install` (npm ci installs the pinned pyright)")
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH; pyright (node_modules/.bin/pyright) needs it")
    command = [str(PYRIGHT), "--outputjson", "--pythonpath", sys.executable, *args]
    # --verifytypes finds the package through the first `python` on PATH (it ignores --pythonpath): this one's.
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    try:
        report: dict[str, Any] = json.loads(done.stdout)
    except ValueError:
        pytest.fail(f"pyright did not answer in JSON (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    return report


def test_mypy_flags_exactly_the_marked_lines() -> None:
    """Breaks if the overloads stop rejecting a missing required field, a misspelled field or an unknown model type
    (or start rejecting a valid call), for images.generate or images.with_raw_response.generate, under mypy."""
    stdout, stderr, _ = api.run(
        ["--strict", "--no-error-summary", "--config-file", str(ROOT / "pyproject.toml"), str(CASES)]
    )
    flagged: dict[int, list[str]] = {}
    for line in stdout.splitlines():
        m = re.match(r".*calls\.py:(\d+): error: (.*)", line)
        if m:
            flagged.setdefault(int(m.group(1)), []).append(m.group(2))
    compare(flagged, expected(0), stdout + stderr)


def test_pyright_strict_flags_exactly_the_marked_lines() -> None:
    """Breaks if pyright's strict mode disagrees with the markers: a valid call rejected (an Unknown type leaking
    from the overlay, say) or an invalid one accepted, for either client and the raw-response calls."""
    report = pyright(str(CASES))
    flagged: dict[int, list[str]] = {}
    for diagnostic in report["generalDiagnostics"]:
        if diagnostic["severity"] == "error":
            flagged.setdefault(diagnostic["range"]["start"]["line"] + 1, []).append(diagnostic["message"])
    compare(flagged, expected(1), json.dumps(report["generalDiagnostics"], indent=1))


def test_pyright_verifytypes_scores_100_percent() -> None:
    """Breaks if a public symbol of `imagineo` loses its type to inference (an unannotated attribute such as
    APIStatusError.status_code was one): pyright --verifytypes must find every exported symbol's type known."""
    report = pyright("--verifytypes", "imagineo", "--ignoreexternal")
    completeness = report["typeCompleteness"]
    ambiguous = [s["name"] for s in completeness["symbols"] if not s["isTypeKnown"] or s["isTypeAmbiguous"]]
    assert not report["generalDiagnostics"], report["generalDiagnostics"]  # "No py.typed file found", say
    assert completeness["exportedSymbolCounts"]["withKnownType"] > 0
    assert completeness["completenessScore"] == 1.0, ambiguous
