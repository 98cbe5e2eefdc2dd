"""What the benchmark rows share: the row record, the spec's examples, the turn-taking order and the paired ratio."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "imagineo.yaml"
API_KEY = "sk-bench-0123456789abcdef"
MOCK_BASE = "http://127.0.0.1:9"  # MockTransport: nothing is ever connected to
PATH = "/api/v1/runs/generate"
EXAMPLES_AT = ("paths", PATH, "post", "requestBody", "content", "application/json", "examples")


@dataclass
class Row:
    id: str
    metric: str
    imagineo: float
    baseline: str
    baseline_value: float | None
    unit: str
    ratio: float | None  # imagineo / baseline (throughput: imagineo / baseline too, so higher is better there)
    target: str  # e.g. "<= 1.30x", ">= 0.85x", "<= 40 MiB"
    met: bool | None
    detail: dict[str, Any] = field(default_factory=dict)


def examples() -> list[dict[str, Any]]:
    """The spec's named request example for each model type, in the spec's order."""
    node: Any = yaml.safe_load(SPEC.read_text())
    for key in EXAMPLES_AT:
        node = node[key]
    return [dict(ex["value"]) for ex in node.values()]


def rotations(names: Sequence[str], rounds: int) -> list[list[str]]:
    """The contenders' order in each round: rotated by one every round, so none always goes first."""
    n = len(names)
    return [[names[(r + i) % n] for i in range(n)] for r in range(rounds)]


def paired_ratio(a: list[float], b: list[float]) -> float:
    """Median over rounds of a/b, so a slow round slows both sides of its own ratio."""
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def check(ratio: float, op: str, bound: float) -> bool:
    return ratio <= bound if op == "<=" else ratio >= bound
