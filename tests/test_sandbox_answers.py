"""Answer vectors served (issue 19, item 6): ``X-Sandbox-Answer: <case id>`` answers with that conformance answer
case, byte for byte, so a client in any language runs the kit's answer vectors against the sandbox.

The TypeScript runner runs them too (tests/test_conformance_typescript.py); here, what the sandbox sends.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from imagineo.testing import sandbox_server

from tests import spec_cases as sc

sys.path.insert(0, str(sc.ROOT / "tools"))
import conformance

EXAMPLE = next(iter(sc.REQUEST_EXAMPLES.values()))
HEADERS = {"Authorization": "Bearer sk-imagineo-sandbox-test"}


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kit")
    conformance.write(out, sc.SPEC_PATH)
    return out / conformance.VECTORS_NAME


@pytest.fixture(scope="module")
def served(kit: Path) -> Any:
    with sandbox_server(answers=kit) as sandbox:
        yield sandbox


def answer_cases(kit: Path) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(kit.read_text())["answers"]
    return cases


def test_every_answer_case_is_served_as_written_and_creates_no_run(served: Any, kit: Path) -> None:
    """Breaks if a case's status, a header (Retry-After forms, x-request-id, content-type) or its body (JSON, or a
    non-JSON page) is not what the kit says, or if serving one creates a run (a client would see a result that
    the case does not have)."""
    cases = answer_cases(kit)
    assert len(cases) >= 30  # the spec still documents enough statuses for the kit's usual set
    with httpx.Client() as http:
        for n, case in enumerate(cases):
            headers = {**HEADERS, "Idempotency-Key": f"answer-{n}", "X-Sandbox-Answer": case["id"]}
            got = http.post(served.url + sc.ENDPOINT, json=EXAMPLE, headers=headers)
            want = case["answer"]
            assert got.status_code == want["status"], case["id"]
            for name, value in want["headers"].items():
                assert got.headers.get(name) == value, (case["id"], name)
            if "body" in want:
                assert got.json() == want["body"], case["id"]
            elif "body_text" in want:
                assert got.text == want["body_text"], case["id"]
            else:
                assert got.content == b"", case["id"]
    assert served.runs_created == 0
    assert served.stats()["answers_served"] == len(cases)


def test_a_retry_after_a_served_answer_gets_an_ordinary_run(served: Any) -> None:
    """Breaks if the header applies to the retry too: the kit's "serve it, then a 200" for a retryable case."""
    headers = {**HEADERS, "Idempotency-Key": "retried", "X-Sandbox-Answer": "503/plain"}
    with httpx.Client() as http:
        assert http.post(served.url + sc.ENDPOINT, json=EXAMPLE, headers=headers).status_code == 503
        again = http.post(served.url + sc.ENDPOINT, json=EXAMPLE, headers=headers)
    assert again.status_code == 200
    assert "image_url" in again.json()


def test_an_unknown_case_or_no_kit_is_a_400_naming_the_header(served: Any) -> None:
    """Breaks if an unknown case id (a typo) is silently answered with an ordinary run, or if a sandbox started
    without ``--answers`` does not say how to load them."""
    with httpx.Client() as http:
        unknown = http.post(
            served.url + sc.ENDPOINT, json=EXAMPLE, headers={**HEADERS, "X-Sandbox-Answer": "999/nothing"}
        )
        assert unknown.status_code == 400
        assert "X-Sandbox-Answer" in unknown.json()["error"]
        with sandbox_server() as bare:
            refused = http.post(bare.url + sc.ENDPOINT, json=EXAMPLE, headers={**HEADERS, "X-Sandbox-Answer": "x"})
            assert refused.status_code == 400
            assert "--answers" in refused.json()["error"]
            assert bare.runs_created == 0
