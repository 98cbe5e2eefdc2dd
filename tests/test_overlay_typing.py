"""Both type checkers' verdicts on the typed surface: mypy --strict and pyright (strict) on tests/typing_cases/
(calls.py: valid calls and rejections; mistakes.py: the common mistakes and what each checker says about them), and
pyright --verifytypes on the whole package.

Each case file marks each call a checker must flag with a comment line before it, "# E: <mypy's words> | <pyright's
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

from tests import spec_cases as sc

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).parent / "typing_cases" / "calls.py"
MISTAKES = Path(__file__).parent / "typing_cases" / "mistakes.py"
PYRIGHT = ROOT / "node_modules" / ".bin" / "pyright"

#: {file name: {line: [every line the checker printed about it]}}, one entry per printed diagnostic.
Verdicts = dict[str, dict[int, list[str]]]


def expected(checker: int, cases: Path = CASES) -> dict[int, str]:
    """{line: words} for one side of the markers (0: mypy, 1: pyright); a marker applies to the next line."""
    lines = cases.read_text().splitlines()
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


@pytest.fixture(scope="module")
def mypy_says() -> tuple[Verdicts, Verdicts, str]:
    """mypy --strict on both case files: (errors per file and line, every printed line per file and line, stdout)."""
    stdout, stderr, _ = api.run(
        ["--strict", "--no-error-summary", "--config-file", str(ROOT / "pyproject.toml"), str(CASES), str(MISTAKES)]
    )
    errors: Verdicts = {}
    printed: Verdicts = {}
    for line in stdout.splitlines():
        m = re.match(r".*?([a-z_]+\.py):(\d+): (error|note): (.*)", line)
        if m:
            printed.setdefault(m.group(1), {}).setdefault(int(m.group(2)), []).append(line)
            if m.group(3) == "error":
                errors.setdefault(m.group(1), {}).setdefault(int(m.group(2)), []).append(m.group(4))
    return errors, printed, stdout + stderr


@pytest.fixture(scope="module")
def pyright_says() -> tuple[Verdicts, str]:
    """pyright (strict) on both case files: (the error messages per file and line, the report)."""
    report = pyright(str(CASES), str(MISTAKES))
    errors: Verdicts = {}
    for diagnostic in report["generalDiagnostics"]:
        if diagnostic["severity"] == "error":
            name = Path(diagnostic["file"]).name
            errors.setdefault(name, {}).setdefault(diagnostic["range"]["start"]["line"] + 1, []).append(
                diagnostic["message"]
            )
    return errors, json.dumps(report["generalDiagnostics"], indent=1)


@pytest.mark.parametrize("cases", [CASES, MISTAKES], ids=lambda p: p.name)
def test_mypy_flags_exactly_the_marked_lines(cases: Path, mypy_says: tuple[Verdicts, Verdicts, str]) -> None:
    """Breaks if the overloads stop rejecting a missing required field, a misspelled field or an unknown model type
    (or start rejecting a valid call), for images.generate or images.with_raw_response.generate, under mypy; or if
    mypy's words for a common mistake stop naming the field where mistakes.py says it does."""
    errors, _, said = mypy_says
    compare(errors.get(cases.name, {}), expected(0, cases), said)


@pytest.mark.parametrize("cases", [CASES, MISTAKES], ids=lambda p: p.name)
def test_pyright_strict_flags_exactly_the_marked_lines(cases: Path, pyright_says: tuple[Verdicts, str]) -> None:
    """Breaks if pyright's strict mode disagrees with the markers: a valid call rejected (an Unknown type leaking
    from the overlay, say) or an invalid one accepted, for either client and the raw-response calls; or if its words
    for a common mistake stop naming the field (the wrong type's, the wrong model_type) where mistakes.py says so."""
    errors, said = pyright_says
    compare(errors.get(cases.name, {}), expected(1, cases), said)


def test_common_mistakes_get_short_messages(
    mypy_says: tuple[Verdicts, Verdicts, str], pyright_says: tuple[Verdicts, str]
) -> None:
    """Issue 23: each common mistake (mistakes.py) gets a message a user can read. mypy lists every overload of a
    call it rejects, so its message is at most its verdict, "Possible overload variants:", one line per overload
    (one per model type of the spec, plus the one taking a whole input) and, for a misspelled field, its "did you
    mean" line: breaks if an overload comes back twice (the default model type had one of its own beside its model
    type's: 11 overloads for 9 model types). pyright: at most 3 lines per mistake ("No overloads" and the closest
    overload's two-line complaint). Which mistakes name the field is in the markers (README "Typing" has the table)."""
    _, printed, said = mypy_says
    pyright_errors, pyright_said = pyright_says
    for line, words in expected(0, MISTAKES).items():
        lines = printed[MISTAKES.name][line]
        most_mypy = 2 + (len(sc.MODEL_TYPES) + 1) + ("did you mean" in words)
        assert len(lines) <= most_mypy, (
            f"mypy printed {len(lines)} lines (at most {most_mypy}) for line {line}:\n{said}"
        )
    for line in expected(1, MISTAKES):
        count = sum(message.count("\n") + 1 for message in pyright_errors[MISTAKES.name][line])
        assert count <= 3, f"pyright printed {count} lines for line {line}:\n{pyright_said}"


def test_pyright_verifytypes_scores_100_percent() -> None:
    """Breaks if a public symbol of `imagineo` loses its type to inference (an unannotated attribute such as
    APIStatusError.status_code was one): pyright --verifytypes must find every exported symbol's type known."""
    report = pyright("--verifytypes", "imagineo", "--ignoreexternal")
    completeness = report["typeCompleteness"]
    ambiguous = [s["name"] for s in completeness["symbols"] if not s["isTypeKnown"] or s["isTypeAmbiguous"]]
    assert not report["generalDiagnostics"], report["generalDiagnostics"]  # "No py.typed file found", say
    assert completeness["exportedSymbolCounts"]["withKnownType"] > 0
    assert completeness["completenessScore"] == 1.0, ambiguous
