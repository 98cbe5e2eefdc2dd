"""A type checker flags a missing or misspelled field for a given model_type literal (mypy --strict)."""

from __future__ import annotations

import re
from pathlib import Path

from mypy import api

CASES = Path(__file__).parent / "typing_cases" / "calls.py"


def test_mypy_flags_exactly_the_marked_lines() -> None:
    """Breaks if the overloads stop rejecting a missing required field (or start rejecting a valid call)."""
    root = Path(__file__).resolve().parent.parent
    stdout, stderr, _ = api.run(
        ["--strict", "--no-error-summary", "--config-file", str(root / "pyproject.toml"), str(CASES)]
    )
    flagged: dict[int, str] = {}
    for line in stdout.splitlines():
        m = re.match(r".*calls\.py:(\d+): error: (.*)", line)
        if m:
            flagged.setdefault(int(m.group(1)), m.group(2))
    expected = {
        n: words
        for n, text in enumerate(CASES.read_text().splitlines(), start=1)
        if (words := text.partition("# E: ")[2])
    }
    assert set(flagged) == set(expected), f"mypy said:\n{stdout}{stderr}"
    for n, words in expected.items():
        assert words in flagged[n], (n, flagged[n])
