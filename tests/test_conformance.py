"""The conformance vectors (tools/conformance.py, `make spec` -> dist/spec/conformance.json) through the Python SDK.

The vectors are made from openapi/imagineo.yaml alone, never from the SDK, so these tests judge the SDK against the
spec: a default, alias, bound or retry rule that drifts between the two fails here, naming the case.

* every request case through `client.images.generate(input)` on an httpx.MockTransport: a valid one sends exactly
  the vector's body; an invalid one raises ImagineoValidationError naming the vector's field, and sends nothing;
* every answer case from a real loopback server (tests/loopback.py): the result, None, or the error class of the
  vector's category; retried or not, after the vector's wait (the SDK's sleep is replaced to record waits).

The TypeScript runner of the same vectors against the sandbox is tests/test_conformance_typescript.py.
"""

from __future__ import annotations

import json
import re
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import imagineo
import jsonschema
import pytest
from imagineo import _send

from .loopback import LoopbackServer
from .spec_cases import ROOT, SPEC

sys.path.insert(0, str(ROOT / "tools"))
import conformance

VECTORS: dict[str, Any] = conformance.build_vectors(SPEC)
VALID = VECTORS["requests"]["valid"]
INVALID = VECTORS["requests"]["invalid"]
ANSWERS = VECTORS["answers"]
API_KEY = "sk-conformance"

#: The vectors' error categories -> the Python SDK's exception classes (README "Errors").
CATEGORY_CLASSES: dict[str, type[Exception]] = {
    "bad_request": imagineo.BadRequestError,
    "auth": imagineo.AuthenticationError,
    "permission": imagineo.PermissionDeniedError,
    "not_found": imagineo.NotFoundError,
    "conflict": imagineo.ConflictError,
    "payload_too_large": imagineo.APIStatusError,
    "validation": imagineo.UnprocessableEntityError,
    "rate_limit": imagineo.RateLimitError,
    "server": imagineo.InternalServerError,
    "response_validation": imagineo.APIResponseValidationError,
}


def ids(cases: list[dict[str, Any]]) -> list[str]:
    return [case["id"] for case in cases]


def test_vectors_match_their_schema_and_the_spec_version() -> None:
    """Catches: a vectors file that breaks its own published JSON Schema, vectors not tied to info.version, a
    category with no Python exception class, and a model type of the spec with no request case."""
    jsonschema.Draft202012Validator(conformance.SCHEMA).validate(VECTORS)
    assert VECTORS["version"] == SPEC["info"]["version"]
    assert set(
        conformance.SCHEMA["properties"]["answers"]["items"]["properties"]["outcome"]["properties"]["category"]["enum"]
    ) == set(CATEGORY_CLASSES)
    mapping = SPEC["components"]["schemas"]["GenerateImageInput"]["discriminator"]["mapping"]
    assert {c["model_type"] for c in VALID} == set(mapping) == {c["model_type"] for c in INVALID}


# -- request cases -------------------------------------------------------------------------------------------------


@pytest.fixture
def sent() -> Iterator[tuple[imagineo.ImagineoAIClient, list[httpx.Request]]]:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json={"image_url": "https://cdn.example.com/x.png"})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = imagineo.ImagineoAIClient("http://127.0.0.1:9", api_key=API_KEY, http_client=http, max_retries=0)
    yield client, requests
    http.close()


def _generate(client: imagineo.ImagineoAIClient, case: dict[str, Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # a deprecated alias warns; the body is what counts
        return client.images.generate(case["input"])


@pytest.mark.parametrize("case", VALID, ids=ids(VALID))
def test_valid_request_case_sends_the_vectors_body(
    case: dict[str, Any], sent: tuple[imagineo.ImagineoAIClient, list[httpx.Request]]
) -> None:
    """Catches: a default the SDK fills in differently from the spec (or not at all), an alias not renamed, the
    default model type not applied, a bound or enum value of the spec that the SDK rejects."""
    client, requests = sent
    try:
        _generate(client, case)
    except imagineo.ImagineoValidationError as exc:
        pytest.fail(f"conformance case {case['id']}: the SDK rejected a valid input: {exc}")
    assert len(requests) == 1
    body = json.loads(requests[0].content)
    assert body == case["body"], f"conformance case {case['id']}: sent {body}, the spec says {case['body']}"


def _field(label: str) -> str:
    """The SDK's field label (``image_urls[0]``, ``prompt (given as x)``) as the vectors' JSON path."""
    label = label.split(" (given as ")[0]
    return re.sub(r"\[(\w+)\]", r".\1", label)


@pytest.mark.parametrize("case", INVALID, ids=ids(INVALID))
def test_invalid_request_case_is_refused_naming_the_field(
    case: dict[str, Any], sent: tuple[imagineo.ImagineoAIClient, list[httpx.Request]]
) -> None:
    """Catches: a bound, enum, format, type, required field or closed variant of the spec that the SDK lets
    through (it would be sent and answered 422), and an error that names another field."""
    client, requests = sent
    with pytest.raises(imagineo.ImagineoValidationError) as info:
        _generate(client, case)
    fields = [_field(error.field) for error in info.value.errors]
    assert case["field"] in fields, f"conformance case {case['id']}: expected {case['field']!r}, got {fields}"
    assert requests == []


# -- answer cases --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    loopback = LoopbackServer()
    yield loopback
    loopback.close()


def _serve(server: LoopbackServer, answer: dict[str, Any]) -> None:
    headers = dict(answer["headers"])
    if "body" in answer:
        server.enqueue(answer["status"], body=json.dumps(answer["body"]).encode(), headers=headers)
    else:
        headers.setdefault("content-type", "text/plain")
        server.enqueue(answer["status"], body=answer.get("body_text", "").encode(), headers=headers)


def _check_result(case: dict[str, Any], result: Any, outcome: dict[str, Any]) -> None:
    if outcome["kind"] == "none":
        assert result is None, f"conformance case {case['id']}: expected no result, got {result!r}"
    else:
        got = result.to_dict() if result is not None else None
        assert got == outcome["result"], f"conformance case {case['id']}: result {got}, expected {outcome['result']}"


def _check_error(case: dict[str, Any], exc: BaseException, outcome: dict[str, Any]) -> None:
    expected = CATEGORY_CLASSES[outcome["category"]]
    assert isinstance(exc, expected), f"conformance case {case['id']}: {type(exc).__name__}, expected {expected}"
    if "status" in outcome:
        assert getattr(exc, "status_code", None) == outcome["status"], case["id"]


@pytest.mark.parametrize("case", ANSWERS, ids=ids(ANSWERS))
def test_answer_case_gives_the_vectors_outcome(
    case: dict[str, Any], server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Catches: a status mapped to the wrong error class, a retried 409 idempotency_conflict or 413, a 429/503 not
    retried, a Retry-After not honoured (or a wait past the limit sat out), a 200 that breaks the schema returned as
    a result, a 204 not returned as None, an unknown response field dropped, another Idempotency-Key on a retry."""
    waits: list[float] = []
    monkeypatch.setattr(_send, "_sleep", waits.append)
    outcome = case["outcome"]
    retried = outcome.get("retry", False)
    client = imagineo.ImagineoAIClient(server.url, api_key=API_KEY, max_retries=1 if retried else 2)
    server.reset()
    _serve(server, case["answer"])
    success = next(c for c in ANSWERS if c["outcome"]["kind"] == "result")
    if retried:
        _serve(server, success["answer"])  # what the retry gets
    input_ = VALID[0]["input"]
    try:
        if outcome["kind"] == "error" and not retried:
            with pytest.raises(imagineo.ImagineoError) as info:
                client.images.generate(input_)
            _check_error(case, info.value, outcome)
            assert len(server.requests) == 1, f"conformance case {case['id']}: retried, must not be"
            assert waits == []
            return
        result = client.images.generate(input_)
        _check_result(case, result, success["outcome"] if retried else outcome)
        if not retried:
            assert len(server.requests) == 1
            return
        assert len(server.requests) == 2, f"conformance case {case['id']}: not retried"
        keys = {r.headers.get("idempotency-key") for r in server.requests}
        assert len(keys) == 1 and None not in keys, f"conformance case {case['id']}: keys {keys}"
        backoff = VECTORS["policy"]["backoff"]
        if outcome["wait_seconds"] is None:
            low = backoff["initial_seconds"] * (1 - backoff["jitter_fraction"])
            assert len(waits) == 1 and low <= waits[0] <= backoff["initial_seconds"], (case["id"], waits)
        elif outcome["wait_seconds"] == 0:
            assert waits in ([], [0]), f"conformance case {case['id']}: waited {waits}, expected no wait"
        else:
            assert waits == [pytest.approx(outcome["wait_seconds"], abs=1.0 if "date" in case["id"] else 1e-9)], (
                f"conformance case {case['id']}: waited {waits}, expected {outcome['wait_seconds']}"
            )
        # With no retry left, the same answer is the vector's error.
        server.reset()
        _serve(server, case["answer"])
        with pytest.raises(imagineo.ImagineoError) as info:
            client.images.generate(input_, max_retries=0)
        _check_error(case, info.value, outcome)
    finally:
        client.close()
