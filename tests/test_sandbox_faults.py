"""Fault settings are validated (issue 19, item 3) and faults apply to replays (item 4).

Settings arrive three ways, and each is checked by the same rule: ``POST /_sandbox/faults`` (a 422 naming each
field, nothing changed), ``imagineo.testing`` / ``SandboxServer`` arguments (`SettingError`, a ValueError naming the
field, before anything listens) and the CLI flags (exit 2 naming the option). Replays go through the in-process
transport: the same `SandboxApp.handle` as the served sandbox (tests/test_sandbox_transport.py proves the two alike).
"""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest
from imagineo import APIStatusError
from imagineo.sandbox import SettingError
from imagineo.testing import sandbox_server, sandbox_transport

from tests import spec_cases as sc
from tests.cli_helpers import call

pytestmark = pytest.mark.usefixtures("no_backoff")  # tests/conftest.py

EXAMPLE = next(iter(sc.REQUEST_EXAMPLES.values()))
KEY = "sk-imagineo-sandbox-test"  # imagineo.testing's default

# (setting, a value out of its documented range or of the wrong type, as JSON can carry it)
BAD_OVER_HTTP: list[tuple[str, Any]] = [
    ("latency", "inf"),
    ("latency", 1e300),
    ("latency", -1),
    ("latency", True),
    ("retry_after", "inf"),
    ("retry_after", 601),
    ("fail_status", 503.5),
    ("fail_status", "503"),
    ("fail_status", 200),
    ("fail_status", 499),
    ("fail_first", -1),
    ("fail_first", 1.5),
    ("fail_each", 10**12),
    ("rate_limit", "fast"),
    ("rate_limit", "0/s"),
    ("rate_limit", 10),
]


@pytest.fixture(scope="module")
def server() -> Any:
    with sandbox_server() as s:
        yield s


@pytest.mark.parametrize(("field", "value"), BAD_OVER_HTTP, ids=[f"{f}={v!r}" for f, v in BAD_OVER_HTTP])
def test_a_bad_setting_over_http_is_a_422_naming_the_field_and_changes_nothing(
    server: Any, field: str, value: Any
) -> None:
    """Breaks if a non-finite, out-of-range or mistyped setting is taken (``latency: "inf"`` raised OverflowError
    and dropped the answer, ``retry_after: "inf"`` sent ``Retry-After: inf``, ``fail_status: 503.5`` created a run
    for what should be a refusal), answered with anything but a JSON 422 naming it, or half-applied."""
    before = server.settings()
    answer = httpx.post(server.url + "/_sandbox/faults", json={"fail_first": 2, field: value})
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert [d["field"] for d in body["details"]] == [field]
    assert body["code"] == "validation_error"
    assert server.settings() == before  # fail_first=2 beside it was not applied either


def test_every_bad_setting_is_named_at_once(server: Any) -> None:
    """Breaks if only the first problem is reported (a user fixes one, resubmits, finds the next)."""
    answer = httpx.post(server.url + "/_sandbox/faults", json={"latency": "x", "fail_status": 1, "nope": 0})
    assert answer.status_code == 422
    assert [d["field"] for d in answer.json()["details"]] == ["nope"]  # unknown names are reported first, alone
    answer = httpx.post(server.url + "/_sandbox/faults", json={"latency": "x", "fail_status": 1, "rate_limit": "?"})
    assert sorted(d["field"] for d in answer.json()["details"]) == ["fail_status", "latency", "rate_limit"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("latency", math.inf), ("latency", math.nan), ("retry_after", -0.5), ("fail_status", 503.0), ("fail_each", -2)],
)
def test_a_bad_testing_argument_raises_naming_the_field(field: str, value: Any) -> None:
    """Breaks if `imagineo.testing` takes a setting the HTTP admin API would refuse (one rule for both)."""
    with pytest.raises(SettingError) as caught:
        sandbox_transport(**{field: value})
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--latency", "inf"), ("--retry-after", "1e300"), ("--fail-status", "200"), ("--rate-limit", "10/m")],
)
def test_a_bad_cli_flag_is_a_usage_error_naming_the_option(
    flag: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Breaks if ``imagineo sandbox`` starts with a setting out of range, or its error names the Python field
    rather than the option the user typed."""
    code, _, err = call("sandbox", "--port", "0", flag, value, capsys=capsys)
    assert code == 2
    assert flag in err


def post(sandbox: Any, http: httpx.Client, key: str, fault: str | None = None, body: Any = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {KEY}", "Idempotency-Key": key}
    if fault is not None:
        headers["X-Sandbox-Fault"] = fault
    return http.post(sandbox.url + sc.ENDPOINT, json=body or EXAMPLE, headers=headers)


def test_times_all_faults_every_replay_and_creates_one_run() -> None:
    """Breaks if a retry with the same Idempotency-Key is answered from the stored run before the fault applies
    (a persistent 500 could not be simulated), or if faults_injected counts faults that were never sent."""
    sandbox = sandbox_transport()
    with sandbox.http_client() as http:
        statuses = [post(sandbox, http, "k1", "500;times=all").status_code for _ in range(4)]
    assert statuses == [500, 500, 500, 500]
    stats = sandbox.stats()
    assert stats["runs_created"] == 1
    assert stats["idempotent_replays"] == 3
    assert stats["faults_injected"] == 4


def test_fail_each_faults_the_replays_it_falls_on_then_the_original_run_comes_back() -> None:
    """Breaks if ``fail_each`` skips replays (it applied only to the attempt that created the run)."""
    sandbox = sandbox_transport(fail_each=3, fail_status=502)
    with sandbox.http_client() as http:
        answers = [post(sandbox, http, "k2") for _ in range(4)]
    assert [a.status_code for a in answers] == [502, 502, 502, 200]
    assert answers[3].headers["Idempotent-Replayed"] == "true"
    assert sandbox.stats()["faults_injected"] == 3
    assert sandbox.runs_created == 1


def test_a_dropped_and_a_slow_replay_and_faults_not_sent_are_not_counted() -> None:
    """Breaks if ``drop`` on a replay still answers, or a fault that a 409 pre-empted is counted as injected."""
    sandbox = sandbox_transport()
    with sandbox.http_client() as http:
        assert post(sandbox, http, "k3").status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            post(sandbox, http, "k3", "drop;times=all")
        conflict = post(sandbox, http, "k3", "500;times=all", body={**EXAMPLE, "prompt": "another body"})
        assert conflict.status_code == 409
    stats = sandbox.stats()
    assert stats["faults_injected"] == 1  # the drop; the 500 fell on a 409 and was never sent
    assert stats["runs_created"] == 1


def test_the_sdk_gives_up_on_a_persistent_500_without_a_second_run() -> None:
    """Breaks if the SDK's retries of one call, all faulted, create more than the one run (what a user rehearsing
    an outage checks)."""
    sandbox = sandbox_transport()
    client = sandbox.client(max_retries=2)
    with pytest.raises(APIStatusError) as caught:
        client.images.generate(**EXAMPLE, extra_headers={"X-Sandbox-Fault": "500;times=all"})
    assert caught.value.status_code == 500
    assert sandbox.runs_created == 1
    assert sandbox.stats()["faults_injected"] == 3
