"""Answer cases served: ``X-Sandbox-Answer: <case id>`` answers a request with that conformance answer case.

The conformance kit (``conformance.json``, written by ``tools/conformance.py``; ``make spec`` puts it in
``dist/spec/``) lists *answer cases*: a status, headers and a body (JSON ``body`` or raw ``body_text``), with the
outcome a client must produce. Start the sandbox with ``--answers conformance.json`` (``answers=`` in
`imagineo.testing`), and a request to an operation carrying ``X-Sandbox-Answer: 429/retry-after-seconds``
is answered with exactly that case, so a client in any language runs the answer vectors against the sandbox with
no mock server of its own.

Like a fault, the header applies to the first attempt of a call (attempts counted per Idempotency-Key), so a client
that retries (the case's outcome says ``retry: true``) gets an ordinary answer to its retry: "serve it, then a 200",
as the kit describes; ``;times=N`` or ``;times=all`` as for faults. The request is authenticated and validated first
(a broken request still gets its 401, 400 or 422); an answer case creates no run and is not stored under the
Idempotency-Key. Served cases are counted in ``answers_served``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .._exceptions import ImagineoError
from ._reply import Reply

__all__ = ["ANSWER_HEADER", "AnswerCases", "load_answers"]

ANSWER_HEADER = "X-Sandbox-Answer"


class AnswerCases:
    """The answer cases of one conformance.json, by id."""

    def __init__(self, path: Path, cases: dict[str, dict[str, Any]]) -> None:
        self.path = path
        self._cases = cases

    def __len__(self) -> int:
        return len(self._cases)

    def ids(self) -> list[str]:
        return list(self._cases)

    def check(self, case_id: str) -> None:
        if case_id not in self._cases:
            raise ValueError(f"no answer case {case_id[:80]!r} in {self.path.name} ({len(self)} cases)")

    def reply(self, case_id: str) -> Reply:
        """The case's answer as the wire must write it: status, headers (x-request-id included) and body bytes."""
        answer = self._cases[case_id]
        headers = {str(k): str(v) for k, v in answer.get("headers", {}).items()}
        content_type = next((headers.pop(k) for k in list(headers) if k.lower() == "content-type"), None)
        if "body_text" in answer:
            content = str(answer["body_text"]).encode()
        elif "body" in answer:
            content = json.dumps(answer["body"]).encode()
        else:
            content = b""
        return Reply(int(answer["status"]), headers=headers, content=content, content_type=content_type)


def load_answers(path: Path) -> AnswerCases:
    """The answer cases of the conformance file at `path` (`ImagineoError` if it is not one)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        cases = {case["id"]: case["answer"] for case in document["answers"]}
        for answer in cases.values():
            if not isinstance(answer["status"], int) or not 100 <= answer["status"] <= 599:
                raise ValueError(f"status {answer['status']!r}")
    except OSError as exc:
        raise ImagineoError(f"cannot read the answer cases {path}: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ImagineoError(
            f"{path} is not a conformance.json with answer cases ({type(exc).__name__}: {exc})"
        ) from None
    return AnswerCases(path, cases)
