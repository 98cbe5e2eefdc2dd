"""The sandbox as the conformance server (issue 14) and its two 409 codes.

A conforming client (the Python SDK) leaves every conformance counter at 0 through its retries, with faults that
carry ``Retry-After``; raw requests that break one rule are each counted exactly once, in ``GET /_sandbox/stats``
(``conformance``) and in the per-request list (``GET /_sandbox/requests``). Then: a key whose first request is
still running is a 409 ``idempotency_in_progress`` (retried by the SDK), a key reused with another body a 409
``idempotency_conflict`` (not retried). Each test's docstring names the break it catches.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import imagineo
import pytest
from imagineo import _retry
from imagineo.sandbox._conformance import RULES
from imagineo.testing import sandbox_server, sandbox_transport

from tests.spec_cases import DEFAULT_MODEL_TYPE, ENDPOINT, REQUEST_EXAMPLES, TAG_FIELD
from tests.test_sandbox import spec_validator

KEY = "sk-conformance"
AUTH = {"Authorization": f"Bearer {KEY}"}
BODY: dict[str, Any] = next(dict(b) for b in REQUEST_EXAMPLES.values() if b[TAG_FIELD] == DEFAULT_MODEL_TYPE)
ZERO = dict.fromkeys(RULES, 0)


def body(n: int) -> dict[str, Any]:
    return {**BODY, "prompt": f"{BODY['prompt']} #{n}"}


@pytest.fixture(params=["served", "transport"])
def sandbox(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Both wires, with a short real Retry-After (the SDK must sit it out: nothing here skips its waits)."""
    if request.param == "served":
        with sandbox_server(api_key=KEY, retry_after=0.2) as served:
            yield served
    else:
        yield sandbox_transport(api_key=KEY, retry_after=0.2)


def test_the_sdk_breaks_no_rule_through_its_retries(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches a false positive in the rules (or an SDK regression): the SDK's retries after 429/503 with
    Retry-After, 500/502 after the run, a dropped answer, a client timeout, a session fault and a 409 in progress
    must all count as conforming."""
    monkeypatch.setattr(_retry, "INITIAL_RETRY_DELAY", 0.01)  # backoff without Retry-After: no rule; not waited
    faults = ["429", "503;times=2", "500", "502", "drop", "slow=1", None]

    async def calls() -> list[Any]:
        async with sandbox.async_client(max_retries=3, timeout=0.3) as client:
            return await asyncio.gather(
                *(
                    client.images.generate(body(n), extra_headers={"X-Sandbox-Fault": fault} if fault else None)
                    for n, fault in enumerate(faults)
                )
            )

    sandbox.set_faults(fail_first=1, fail_status=429)
    assert all(result is not None for result in asyncio.run(calls()))
    stats = sandbox.stats()
    assert stats["runs_created"] == len(faults)
    assert stats["generate_requests"] > len(faults) + 4  # the retries happened
    assert stats["conformance"] == ZERO
    assert all(entry["violations"] == [] for entry in sandbox.requests())
    assert any(entry["retry_after"] == 0.2 for entry in sandbox.requests())


def _post(http: httpx.Client, url: str, data: dict[str, Any], **headers: str) -> httpx.Response:
    return http.post(url + ENDPOINT, json=data, headers={**AUTH, **headers})


#: rule -> requests (body number, headers) that break it exactly once; the sandbox's Retry-After is 30 s.
BREAKS: dict[str, list[tuple[int, dict[str, str]]]] = {
    "missing_idempotency_key": [(1, {})],
    "retry_changed_body": [(1, {"Idempotency-Key": "k", "X-Sandbox-Fault": "500"}), (2, {"Idempotency-Key": "k"})],
    "retry_changed_key": [(1, {"Idempotency-Key": "k1", "X-Sandbox-Fault": "502"}), (1, {"Idempotency-Key": "k2"})],
    "retry_before_retry_after": [
        (1, {"Idempotency-Key": "k", "X-Sandbox-Fault": "429"}),
        (1, {"Idempotency-Key": "k"}),
    ],
}


@pytest.mark.parametrize("rule", list(BREAKS))
def test_each_broken_rule_is_counted_once_and_listed_on_its_request(rule: str) -> None:
    """Catches a rule that does not fire, fires twice, fires another rule too, or is missing from the stats, the
    per-request list or the conformance report served over HTTP."""
    with sandbox_server(api_key=KEY, retry_after=30) as server, httpx.Client() as http:
        responses = [_post(http, server.url, body(n), **headers) for n, headers in BREAKS[rule]]
        stats = http.get(server.url + "/_sandbox/stats").json()
        listed = http.get(server.url + "/_sandbox/requests").json()
        report = http.get(server.url + "/_sandbox/conformance").json()
    assert stats["conformance"] == {**ZERO, rule: 1}
    assert [entry["request_id"] for entry in listed] == [r.headers["x-request-id"] for r in responses]
    assert [entry["violations"] for entry in listed] == [[]] * (len(responses) - 1) + [[rule]]
    assert listed[0]["status"] == responses[0].status_code
    assert report["counts"] == stats["conformance"]
    assert [entry["request_id"] for entry in report["violations"]] == [listed[-1]["request_id"]]
    assert set(report["rules"]) == set(RULES)


def test_legitimate_patterns_are_not_flagged() -> None:
    """Catches false positives: a new call with the same body after a *successful* one, a retry after Retry-After 0,
    a replay of a finished key, and a new key after a final 4xx are what conforming clients do."""
    sandbox = sandbox_transport(api_key=KEY, retry_after=0)
    http = sandbox.http_client()
    _post(http, sandbox.url, body(1), **{"Idempotency-Key": "a"})
    _post(http, sandbox.url, body(1), **{"Idempotency-Key": "b"})  # a second, deliberate call
    _post(http, sandbox.url, body(2), **{"Idempotency-Key": "c", "X-Sandbox-Fault": "503"})
    _post(http, sandbox.url, body(2), **{"Idempotency-Key": "c"})  # Retry-After: 0
    _post(http, sandbox.url, body(2), **{"Idempotency-Key": "c"})  # a replay
    _post(http, sandbox.url, body(3), **{"Idempotency-Key": "d", "X-Sandbox-Fault": "400"})
    _post(http, sandbox.url, body(3), **{"Idempotency-Key": "e"})
    assert sandbox.stats()["conformance"] == ZERO
    sandbox.reset()
    assert sandbox.requests() == []


# ---------------------------------------------------------------------------------------------------------------
# The two 409s


def test_a_key_still_running_is_409_in_progress_which_the_sdk_retries_into_the_original_run(sandbox: Any) -> None:
    """Catches the sandbox answering a key whose first request is still running with `idempotency_conflict` (which
    clients must not retry) or waiting for it, instead of `idempotency_in_progress` with Retry-After; and a
    second run being created for the retried key."""
    first: dict[str, Any] = {}

    def first_call() -> None:  # held in progress 1.5 s: the other requests arrive meanwhile
        first["result"] = sandbox.client(max_retries=0).images.generate(
            BODY, idempotency_key="busy", extra_headers={"X-Sandbox-Fault": "hold=1.5"}
        )

    thread = threading.Thread(target=first_call)
    thread.start()
    while sandbox.runs_created == 0:
        threading.Event().wait(0.01)
    with sandbox.http_client() if hasattr(sandbox, "http_client") else httpx.Client() as http:
        busy = _post(http, sandbox.url, sandbox.runs()[0]["body"], **{"Idempotency-Key": "busy"})
        other = _post(http, sandbox.url, {**BODY, "prompt": "another"}, **{"Idempotency-Key": "busy"})
    assert busy.status_code == 409
    assert busy.json()["code"] == "idempotency_in_progress"
    assert busy.headers["retry-after"] in ("1", "2")
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_conflict"
    retried = sandbox.client(max_retries=3).images.generate(BODY, idempotency_key="busy")
    thread.join()
    assert retried is not None
    assert retried.run_id == first["result"].run_id
    stats = sandbox.stats()
    assert stats["runs_created"] == 1
    assert stats["in_progress"] >= 2
    assert stats["conflicts"] == 1
    # the raw request with another body broke two rules (and was judged so); the SDK's retry, none
    assert stats["conformance"] == {**ZERO, "retry_changed_body": 1, "retry_before_retry_after": 1}
    assert [e["violations"] for e in sandbox.requests() if e["violations"]] == [
        ["retry_changed_body", "retry_before_retry_after"]
    ]


def test_a_key_reused_with_another_body_is_409_conflict_and_never_retried(spec: dict[str, Any]) -> None:
    """Catches the two 409 codes swapped: a reused key with another body must be `idempotency_conflict` (the SDK
    raises ConflictError at once, one request) and must validate as the spec's Error."""
    sandbox = sandbox_transport(api_key=KEY)
    client = sandbox.client(max_retries=3)
    client.images.generate(BODY, idempotency_key="same")
    with pytest.raises(imagineo.ConflictError):
        client.images.generate({**BODY, "prompt": "another"}, idempotency_key="same")
    answer = sandbox.requests()[-1]
    assert answer["status"] == 409
    assert answer["code"] == "idempotency_conflict"
    assert sandbox.stats()["generate_requests"] == 2  # not retried
    raw = _post(sandbox.http_client(), sandbox.url, {**BODY, "prompt": "x"}, **{"Idempotency-Key": "same"})
    spec_validator(spec, "Error").validate(raw.json())
